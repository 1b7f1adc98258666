"""relatedResource integrity (VC DM 2.0 §5.3), without any fetch (issue 16)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from credkit.identity.keys import KeyPair
from credkit.jsonld import contexts
from credkit.proofs import sign
from credkit.verify import Verifier, related
from credkit.verify.checks import well_formed_problems

V2 = "https://www.w3.org/ns/credentials/v2"
V2_BYTES = contexts.read_bytes(V2)
# VC DM 2.0 §B.1 publishes this SHA2-256 for the base context (another revision than the bundled)
PUBLISHED_V2 = "24a18c90e9856d526111f29376e302d970b2bd10182e33959995b0207d7043b9"


def _sri(algo: str, data: bytes) -> str:
    return f"{algo}-" + base64.b64encode(hashlib.new(algo, data).digest()).decode()


def _mb(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _vc(resource: Any) -> dict[str, Any]:
    return {
        "@context": [V2],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject"},
        "relatedResource": resource,
    }


def _states(resource: Any) -> list[str]:
    return [o.state for o in related.check(_vc(resource))]


def test_digests_of_the_bundled_context_match() -> None:
    for algo in ("sha256", "sha384", "sha512"):
        assert _states({"id": V2, "digestSRI": _sri(algo, V2_BYTES)}) == ["matched"]
    assert _states({"id": V2, "digestMultibase": _mb(hashlib.sha256(V2_BYTES).digest())}) == [
        "matched"
    ]
    # a multibase multihash (VC DI §2.6): sha2-256 header 0x12 0x20
    multihash = b"\x12\x20" + hashlib.sha256(V2_BYTES).digest()
    assert _states({"id": V2, "digestMultibase": _mb(multihash)}) == ["matched"]


def test_the_published_sha256_of_the_base_context_matches() -> None:
    assert _states({"id": V2, "digestMultibase": _mb(bytes.fromhex(PUBLISHED_V2))}) == ["matched"]


def test_a_wrong_digest_of_a_held_resource_is_a_mismatch() -> None:
    wrong = hashlib.sha256(V2_BYTES + b" ").digest()
    assert _states({"id": V2, "digestMultibase": _mb(wrong)}) == ["mismatched"]
    assert _states({"id": V2, "digestSRI": _sri("sha256", b"other")}) == ["mismatched"]
    other = "https://w3id.org/security/data-integrity/v2"
    sha384 = _sri("sha384", V2_BYTES)  # right digest, wrong resource
    assert _states({"id": other, "digestSRI": sha384}) == ["mismatched"]


def test_a_resource_credkit_does_not_hold_is_not_checked_and_not_fetched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import urllib.request

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("relatedResource must never be fetched")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    entry = {"id": "https://example.org/logo.png", "digestSRI": _sri("sha256", b"x")}
    assert _states(entry) == ["unchecked"]


@pytest.mark.parametrize(
    ("resource", "words"),
    [
        ([V2], "entries must be objects"),
        ([{"digestSRI": _sri("sha256", b"x")}], "is not a URL"),
        ([{"id": V2}], "needs digestSRI or digestMultibase"),
        (
            [{"id": V2, "digestSRI": _sri("sha256", V2_BYTES)},
             {"id": V2, "digestMultibase": _mb(hashlib.sha256(V2_BYTES).digest())}],
            "appears twice",
        ),
        ([{"id": V2, "digestSRI": "sha384-_rCVIV7fSXXTNIvpiq26jRDyj8JG8TDjij-tD0ewLk4JpnXEz6a5AeeY_1qQ0d0P"}],
         "sha256-, sha384- or sha512-"),
        ([{"id": V2, "digestSRI": "md5-" + base64.b64encode(b"0" * 16).decode()}], "sha256-"),
        ([{"id": V2, "digestSRI": "sha256-" + base64.b64encode(b"short").decode()}], "32 bytes"),
        ([{"id": V2, "digestMultibase": "xabc"}], "only base64url"),
        ([{"id": V2, "digestMultibase": _mb(b"12345")}], "no sha256/384/512"),
        ([], "relatedResource is empty"),
    ],
)  # fmt: skip
def test_malformed_entries_are_not_well_formed(resource: Any, words: str) -> None:
    problems = well_formed_problems(_vc(resource))
    assert any(words in p for p in problems), problems


def _verify(resource: Any, *, strict: bool = False) -> Any:
    key = KeyPair.generate()
    doc = _vc(resource)
    doc["issuer"] = key.controller
    signed = sign(doc, key)
    return Verifier(strict=strict).verify_credential(signed)


def test_the_verifier_fails_a_signed_credential_whose_digest_does_not_match() -> None:
    result = _verify({"id": V2, "digestSRI": _sri("sha256", b"not the context")})
    check = result.check("related_resource")
    assert check is not None and check.status == "failed"
    assert not result.verified
    good = _verify({"id": V2, "digestSRI": _sri("sha384", V2_BYTES)})
    check = good.check("related_resource")
    assert check is not None and check.status == "passed"


def test_an_unchecked_resource_is_conclusive_except_in_strict_mode() -> None:
    entry = {"id": "https://example.org/x.pdf", "digestSRI": _sri("sha256", b"pdf")}
    lax = _verify(entry)
    check = lax.check("related_resource")
    assert check is not None and check.status == "skipped" and check.conclusive
    strict = _verify(entry, strict=True)
    check = strict.check("related_resource")
    assert check is not None and not check.conclusive
    assert not strict.verified
