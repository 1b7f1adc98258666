"""Proofs fail closed: nothing credkit cannot check ever leaves a verdict at "verified".

Issue 13 §2 and the last point of §5: a presentation whose proof is any made-up string, a proof set
with one proof credkit cannot check, a small-order (identity) key that "signs" every document, and
``options.checks`` asking the service to leave the proof out. Each hostile document goes through
the three faces an employer uses (the library, ``credkit verify``, ``POST /…/verify``), which must
give the same verdict.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from credkit import proofs, sign
from credkit.cli.verify import verify as verify_command
from credkit.errors import UnknownCryptosuiteError, WeakKeyError
from credkit.identity import did as did_module
from credkit.identity import keys as keys_module
from credkit.identity.keys import KeyPair
from credkit.identity.multibase import ED25519_PUB, encode_base58btc, encode_multikey
from credkit.jsonld.contexts import DEFAULT_LOADER, VC_V2
from credkit.proofs.suites import by_name
from credkit.verify import Verifier
from credkit.verify.result import EXIT_CODES
from test_verify_helpers import (
    HOLDER,
    ISSUER,
    OTHER,
    diploma,
    seeded,
    signed,
    signed_diploma,
    web_issuer,
)

CHALLENGE = "c-7f3a"
DOMAIN = "hiring.example"
IDENTITY = b"\x01" + bytes(31)  # the identity point of edwards25519: a key of order 1
TRIVIAL = IDENTITY + bytes(32)  # R = identity, S = 0
WEAK_MB = encode_multikey(ED25519_PUB, IDENTITY)
WEAK_DID = f"did:key:{WEAK_MB}"
WEAK_VM = f"{WEAK_DID}#{WEAK_MB}"


# --- builders --------------------------------------------------------------------------------


def trivially_signed(document: dict[str, Any], purpose: str, **options: Any) -> dict[str, Any]:
    """``document`` with a proof by the identity key that cryptography accepts for any message."""
    proof: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-06-30T00:00:00Z",
        "verificationMethod": WEAK_VM,
        "proofPurpose": purpose,
        **options,
    }
    suite = by_name("eddsa-rdfc-2022")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    hashed = suite.hash_data(
        suite.configure(proof, unsecured, DEFAULT_LOADER),
        suite.transform(unsecured, DEFAULT_LOADER),
    )
    Ed25519PublicKey.from_public_bytes(IDENTITY).verify(TRIVIAL, hashed)  # accepted: no error
    return {**unsecured, "proof": [{**proof, "proofValue": encode_base58btc(TRIVIAL)}]}


def weak_diploma() -> dict[str, Any]:
    return trivially_signed(diploma(WEAK_DID), "assertionMethod")


def with_extra_proof(doc: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["proof"] = [*out["proof"], extra]
    return out


def unknown_suite_copy(doc: dict[str, Any]) -> dict[str, Any]:
    return with_extra_proof(doc, {**doc["proof"][0], "cryptosuite": "ecdsa-rdfc-2019"})


def made_up_proof(purpose: str = "assertionMethod", **extra: Any) -> dict[str, Any]:
    return {
        "type": "TotallyRealProof2099",
        "created": "2026-06-30T00:00:00Z",
        "verificationMethod": HOLDER.id if purpose == "authentication" else ISSUER.id,
        "proofPurpose": purpose,
        "proofValue": "z" + "1" * 40,
        **extra,
    }


def offline_cosigner(doc: dict[str, Any]) -> dict[str, Any]:
    web = seeded(21, controller="did:web:cosigner.example", key_id="did:web:cosigner.example#k1")
    cosigned = sign(doc, web, created="2026-06-30T00:00:00Z")
    assert len(cosigned["proof"]) == 2
    return cosigned


def web_diploma() -> dict[str, Any]:
    key, _ = web_issuer()
    return signed(diploma(key.controller), key)


def unresolvable_cosigner(doc: dict[str, Any]) -> dict[str, Any]:
    stranger = seeded(22, controller="did:example:nobody", key_id="did:example:nobody#k1")
    return sign(doc, stranger, created="2026-06-30T00:00:00Z")


def forged(doc: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["credentialSubject"]["achievement"]["name"] = "Doctor of Medicine"
    return out


def presentation(*credentials: dict[str, Any], holder: str | None = HOLDER.controller) -> Any:
    vp: dict[str, Any] = {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": list(credentials),
    }
    if holder is not None:
        vp["holder"] = holder
    return vp


def holder_signed(vp: dict[str, Any], key: KeyPair = HOLDER) -> dict[str, Any]:
    return sign(
        vp,
        key,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
        created="2026-11-23T11:59:00Z",
    )


def vp_with_proof(proof: Any, **kw: Any) -> dict[str, Any]:
    return {**presentation(signed_diploma(), **kw), "proof": proof}


def holder_signed_plus(extra: dict[str, Any]) -> dict[str, Any]:
    vp = holder_signed(presentation(signed_diploma()))
    return {**vp, "proof": [vp["proof"], extra]}


ASK = {"challenge": CHALLENGE, "domain": DOMAIN}


# --- the corpus: (name, kind, document, presentation options, server checks, verdict) ----------

Case = tuple[str, str, Callable[[], dict[str, Any]], dict[str, str], Any, str]

CASES: list[Case] = [
    # controls: the harness can say "verified"
    ("control diploma", "vc", signed_diploma, {}, None, "verified"),
    (
        "control presentation",
        "vp",
        lambda: holder_signed(presentation(signed_diploma())),
        ASK,
        None,
        "verified",
    ),
    # proof sets: every proof must verify (VC DI 1.0 §4.5)
    (
        "set with an unknown cryptosuite",
        "vc",
        lambda: unknown_suite_copy(signed_diploma()),
        {},
        None,
        "not verified",
    ),
    (
        "set with a made-up proof type",
        "vc",
        lambda: with_extra_proof(signed_diploma(), made_up_proof()),
        {},
        None,
        "not verified",
    ),
    (
        "set with a key on an unknown DID method",
        "vc",
        lambda: unresolvable_cosigner(signed_diploma()),
        {},
        None,
        "not verified",
    ),
    (
        "set with a did:web co-signer, network off",
        "vc",
        lambda: offline_cosigner(signed_diploma()),
        {},
        None,
        "inconclusive",
    ),
    ("did:web issuer, network off", "vc", web_diploma, {}, None, "inconclusive"),
    (
        "did:web issuer, network off, plus an unknown proof",
        "vc",
        lambda: unknown_suite_copy(web_diploma()),
        {},
        None,
        "not verified",
    ),
    (
        "the same proof twice (counted once)",
        "vc",
        lambda: with_extra_proof(signed_diploma(), copy.deepcopy(signed_diploma()["proof"][0])),
        {},
        None,
        "verified",
    ),
    # keys: the identity point "signs" everything
    ("issuer key of small order", "vc", weak_diploma, {}, None, "not verified"),
    # options.checks never drops the proof, well-formedness or dates
    ("forged diploma, checks []", "vc", lambda: forged(signed_diploma()), {}, [], "not verified"),
    (
        "forged diploma, checks [credentialStatus]",
        "vc",
        lambda: forged(signed_diploma()),
        {},
        ["credentialStatus"],
        "not verified",
    ),
    (
        "expired diploma, checks [proof]",
        "vc",
        lambda: signed_diploma(validUntil="2026-09-01T00:00:00Z"),
        {},
        ["proof"],
        "not verified",
    ),
    # presentations: the holder's proof must verify, by the holder's key
    (
        "made-up proof, challenge asked",
        "vp",
        lambda: vp_with_proof(made_up_proof("authentication", **ASK)),
        ASK,
        None,
        "not verified",
    ),
    (
        "made-up proof, nothing asked",
        "vp",
        lambda: vp_with_proof(made_up_proof("authentication")),
        {},
        None,
        "not verified",
    ),
    (
        "unknown cryptosuite on the holder proof",
        "vp",
        lambda: vp_with_proof(
            {
                **holder_signed(presentation(signed_diploma()))["proof"],
                "cryptosuite": "bbs-2023",
            }
        ),
        ASK,
        None,
        "not verified",
    ),
    (
        "good holder proof plus a made-up one",
        "vp",
        lambda: holder_signed_plus(made_up_proof("authentication", **ASK)),
        ASK,
        None,
        "not verified",
    ),
    (
        "signed by someone other than the holder",
        "vp",
        lambda: holder_signed(presentation(signed_diploma()), OTHER),
        ASK,
        None,
        "not verified",
    ),
    (
        "holder proof co-signed by a stranger",
        "vp",
        lambda: holder_signed(holder_signed(presentation(signed_diploma())), OTHER),
        ASK,
        None,
        "not verified",
    ),
    (
        "holder that is not a URL",
        "vp",
        lambda: holder_signed(presentation(signed_diploma(), holder=None) | {"holder": {}}, OTHER),
        ASK,
        None,
        "not verified",
    ),
    (
        "no proof, nothing asked",
        "vp",
        lambda: presentation(signed_diploma()),
        {},
        None,
        "not verified",
    ),
    (
        "holder key of small order",
        "vp",
        lambda: trivially_signed(
            presentation(signed_diploma(), holder=WEAK_DID), "authentication", **ASK
        ),
        ASK,
        None,
        "not verified",
    ),
]


# --- the three faces -------------------------------------------------------------------------


def library(kind: str, doc: dict[str, Any], ask: dict[str, str]) -> str:
    verifier = Verifier()  # the defaults every face shares: offline, real clock, no trust list
    if kind == "vp":
        return verifier.verify_presentation(doc, **ask).verdict
    return verifier.verify_credential(doc).verdict


def cli(tmp: Path, kind: str, doc: dict[str, Any], ask: dict[str, str]) -> str:
    path = tmp / "doc.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    args = [str(path), "--json"]
    for name, value in ask.items():
        args += [f"--{name}", value]
    run = CliRunner().invoke(verify_command, args)
    verdict = str(json.loads(run.output)["verdict"])
    assert run.exit_code == EXIT_CODES[verdict], run.output
    return verdict


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pytest.importorskip("fastapi", reason="the server face needs: pip install 'credkit[server]'")
    from test_server_helpers import Server

    srv = Server(tmp_path_factory.mktemp("failclosed"), token=None)
    yield srv
    srv.stop()


def served(server: Any, kind: str, doc: dict[str, Any], ask: dict[str, str], checks: Any) -> str:
    options: dict[str, Any] = dict(ask)
    if checks is not None:
        options["checks"] = checks
    if kind == "vp":
        answer = server(
            "POST", "/presentations/verify", {"verifiablePresentation": doc, "options": options}
        )
    else:
        answer = server(
            "POST", "/credentials/verify", {"verifiableCredential": doc, "options": options}
        )
    body = answer.json()
    assert (answer.status == 200) == (body["verdict"] == "verified") == body["verified"], body
    return str(body["verdict"])


@pytest.mark.parametrize(
    ("name", "kind", "build", "ask", "checks", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_library_cli_and_server_agree_on_every_hostile_document(
    server: Any,
    tmp_path: Path,
    name: str,
    kind: str,
    build: Callable[[], dict[str, Any]],
    ask: dict[str, str],
    checks: Any,
    expected: str,
) -> None:
    doc = build()
    verdicts = {
        "library": library(kind, doc, ask),
        "cli": cli(tmp_path, kind, doc, ask),
        "server": served(server, kind, doc, ask, checks),
    }
    assert verdicts == dict.fromkeys(verdicts, expected), (name, verdicts)


# --- what each face says, and why ---------------------------------------------------------


def test_an_unknown_proof_next_to_a_good_one_fails_the_proof_check_and_says_why() -> None:
    result = Verifier().verify_credential(unknown_suite_copy(signed_diploma()))
    check = result.check("proof")
    assert check is not None and check.status == "failed"
    assert "proof 2 of 2" in check.message and "ecdsa-rdfc-2019" in check.message
    assert check.error is not None and check.error["title"] == "UNKNOWN_CRYPTOSUITE"
    assert result.summary == "not verified: unknown proof type"


def test_a_presentation_with_a_made_up_proof_never_skips_the_holder_proof() -> None:
    vp = vp_with_proof(made_up_proof("authentication", **ASK))
    result = Verifier().verify_presentation(vp, **ASK)
    check = result.check("presentation_proof")
    assert check is not None and check.status == "failed", result.to_json()
    assert "TotallyRealProof2099" in check.message
    # the stolen diploma inside is genuine: the presentation fails on its proof alone
    assert result.check("credential[0]").status == "passed"  # type: ignore[union-attr]


def test_a_presentation_without_proof_is_opened_but_never_holder_authenticated() -> None:
    result = Verifier().verify_presentation(presentation(signed_diploma()))
    proof = result.check("presentation_proof")
    assert proof is not None and proof.status == "failed" and "not signed" in proof.message
    assert result.check("credential[0]").status == "passed"  # type: ignore[union-attr]


def test_a_presentation_proof_must_be_by_the_holder_every_time() -> None:
    vp = holder_signed(holder_signed(presentation(signed_diploma())), OTHER)
    check = Verifier().verify_presentation(vp, **ASK).check("presentation_proof")
    assert check is not None and check.status == "failed"
    assert "does not belong to the holder" in check.message and OTHER.controller in check.message


def test_a_credential_needs_one_issuer_proof_and_names_its_co_signers() -> None:
    # DI "Proof Sets" (issue 16): a stranger's valid proof beside the issuer's is a co-signer,
    # named; with no issuer proof at all the binding fails (tests/test_proof_sets.py has more)
    cosigned = sign(signed_diploma(), OTHER, created="2026-06-30T00:00:00Z")
    check = Verifier().verify_credential(cosigned).check("proof")
    assert check is not None and check.status == "passed"
    assert f"co-signed by {OTHER.controller}" in check.message
    doc = sign(signed(diploma(ISSUER.controller), OTHER), seeded(23))
    check = Verifier().verify_credential(doc).check("proof")
    assert check is not None and check.status == "failed"
    assert "does not belong to the issuer" in check.message


def test_an_offline_key_of_another_did_is_never_the_issuers() -> None:
    # a did:web key can only be its own DID's (CID 1.0 §3.3): not the did:key issuer's, so a
    # credential signed by it alone fails without fetching; beside an issuer proof it is a
    # co-signer that must still be checked: inconclusive, never verified
    web = seeded(21, controller="did:web:cosigner.example", key_id="did:web:cosigner.example#k1")
    alone = sign(diploma(ISSUER.controller), web, created="2026-06-30T00:00:00Z")
    check = Verifier().verify_credential(alone).check("proof")
    assert check is not None and check.status == "failed"
    assert "did:web:cosigner.example" in check.message
    check = Verifier().verify_credential(offline_cosigner(signed_diploma())).check("proof")
    assert check is not None and check.status == "skipped" and not check.conclusive
    assert "did:web:cosigner.example" in check.message


def test_an_offline_key_is_inconclusive_never_verified() -> None:
    result = Verifier().verify_credential(web_diploma())
    check = result.check("proof")
    assert check is not None and check.status == "skipped" and not check.conclusive
    assert "--allow-network" in check.message and result.verdict == "inconclusive"
    # the library's proof set: one good proof and one offline key is inconclusive, not verified
    outcome = proofs.verify(offline_cosigner(signed_diploma()))
    assert not outcome.verified and outcome.inconclusive
    assert [r.verified for r in outcome.results] == [True, False]


def test_proof_set_library_result_is_never_verified_with_an_uncheckable_proof() -> None:
    outcome = proofs.verify(unknown_suite_copy(signed_diploma()))
    assert not outcome.verified and not outcome.inconclusive
    assert isinstance(outcome.results[1].error, UnknownCryptosuiteError)


def test_the_same_proof_twice_counts_once_in_any_order_and_every_run() -> None:
    doc = signed_diploma()
    twice = with_extra_proof(doc, copy.deepcopy(doc["proof"][0]))
    reordered = {**twice, "proof": list(reversed(twice["proof"]))}
    verdicts: set[tuple[str, str, str]] = set()
    library_answers: set[tuple[bool, tuple[bool, ...]]] = set()
    for _ in range(3):
        for variant in (twice, reordered):
            result = Verifier().verify_credential(copy.deepcopy(variant))
            check = result.check("proof")
            assert check is not None
            verdicts.add((result.verdict, check.status, check.message))
            outcome = proofs.verify(copy.deepcopy(variant))
            library_answers.add((outcome.verified, tuple(r.verified for r in outcome.results)))
    # issue 16: a copy is one signature said twice, counted once (with a warning)
    assert len(verdicts) == 1 and next(iter(verdicts))[:2] == ("verified", "passed")
    assert library_answers == {(True, (True,))}


def test_the_w3c_proof_set_vector_still_verifies_proof_by_proof() -> None:
    from conftest import load

    outcome = proofs.verify(load("vc-di-eddsa/proof-set-chain/signedProofSet2.json"))
    assert outcome.verified and len(outcome.results) == 2


def test_a_small_order_issuer_key_is_a_failed_proof_not_a_traceback() -> None:
    result = Verifier().verify_credential(weak_diploma())
    check = result.check("proof")
    assert check is not None and check.status == "failed", result.to_json()
    assert "small order" in check.message and result.summary == "not verified: weak signing key"
    outcome = proofs.verify(weak_diploma())
    assert isinstance(outcome.results[0].error, WeakKeyError)


def test_without_the_key_check_the_trivial_signature_would_verify(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The forged diploma is a real forgery: take away credkit's check and it verifies."""

    def length_only(raw: bytes) -> None:
        assert len(raw) == 32

    def clear() -> None:  # nothing decoded without the check may outlive this test
        keys_module._public_from_multibase.cache_clear()
        keys_module._ed25519_public.cache_clear()
        did_module._did_key_method.cache_clear()

    clear()
    monkeypatch.setattr(keys_module, "check_public_key", length_only)
    try:
        assert Verifier().verify_credential(weak_diploma()).verdict == "verified"
    finally:
        monkeypatch.undo()
        clear()
    assert Verifier().verify_credential(weak_diploma()).verdict == "not verified"


# --- options.checks on the service ---------------------------------------------------------


def test_checks_left_out_are_reported_not_counted_and_the_summary_says_so(server: Any) -> None:
    doc = signed_diploma()
    body = {"verifiableCredential": doc, "options": {"checks": ["proof"]}}
    answer = server("POST", "/credentials/verify", body)
    out = answer.json()
    assert answer.status == 200 and out["verified"] is True, out
    assert {"well_formed", "proof", "validity"} <= set(out["checks"])
    assert "schema" not in out["checks"]
    schema = next(r for r in out["results"] if r["id"] == "schema")
    assert schema["status"] == "skipped" and "not counted" in schema["message"]
    assert out["summary"].startswith("verified on the requested checks only")
    assert any("options.checks left out" in w for w in out["warnings"])


def test_unknown_check_names_are_a_400_with_a_message(server: Any) -> None:
    body = {"verifiableCredential": signed_diploma(), "options": {"checks": ["astrology"]}}
    answer = server("POST", "/credentials/verify", body)
    assert answer.status == 400 and "unknown check 'astrology'" in answer.json()["detail"]
