"""Interoperability with the reference JavaScript implementation (Digital Bazaar's VC stack).

Each test runs real npm packages in a real Node process (``tests/interop/node/ref.mjs``), pinned
by ``tests/interop/node/package-lock.json``; see ``docs/interop.md``. For every cryptosuite:

* what credkit signs, the reference verifies (``vc.verifyCredential``: proof, issuer binding,
  dates);
* what the reference signs, credkit verifies;
* with the same key and ``created``, both produce the same proof (Ed25519 is deterministic, so
  equal signatures mean equal canonical forms, hashes and proof configurations);
* a tampered credential fails on both sides, and both sides agree on edge cases.
"""

from __future__ import annotations

import copy
import hashlib
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest

from credkit.errors import DataLossError, ProofError
from credkit.identity.keys import KeyPair
from credkit.proofs import sign, verify
from credkit.verify import Verifier
from interop import documents as docs
from interop.jsref import (
    JsReference,
    ReferenceRunError,
    ReferenceUnavailableError,
    interop_must_run,
    skip_requested,
)

pytestmark = pytest.mark.interop

SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"]
W3C_SIGNED = {
    "eddsa-rdfc-2022": "eddsa-rdfc-2022/signedDataInt.json",
    "eddsa-jcs-2022": "eddsa-jcs-2022/signedJCS.json",
    "Ed25519Signature2020": "Ed25519Signature2020/signedEdSig.json",
}
W3C_CREATED = "2023-02-24T23:36:38Z"

Doc = dict[str, Any]


@pytest.fixture(scope="session")
def js() -> JsReference:
    if skip_requested():
        pytest.skip("CREDKIT_SKIP_INTEROP is set")
    try:
        return JsReference.setup()
    except ReferenceUnavailableError as exc:
        if interop_must_run():
            pytest.fail(f"interop reference unavailable in CI (CI=true): {exc}", pytrace=False)
        pytest.skip(f"interop reference unavailable: {exc}")


@pytest.fixture(scope="session")
def key() -> KeyPair:
    return KeyPair.from_seed(hashlib.sha256(b"credkit interop tests").digest())


@pytest.fixture(scope="session")
def js_key(key: KeyPair) -> dict[str, Any]:
    # the key file format: one Multikey document both implementations read
    return key.to_multikey(include_secret=True)


DOCUMENTS: dict[str, Callable[[str], Doc]] = {
    "w3c-alumni": docs.w3c_alumni,
    "ob3-i18n": docs.ob3_i18n,
    "ob3-diploma": docs.ob3_diploma,
    "jcs-edge": docs.jcs_edge,  # JSON-only edge cases; not meaningful JSON-LD
}
CASES = [
    (suite, name)
    for suite in SUITES
    for name in DOCUMENTS
    if name != "jcs-edge" or suite == "eddsa-jcs-2022"
]


def proof_list(document: Doc) -> list[Doc]:
    value = document["proof"]
    return value if isinstance(value, list) else [value]


def single_proof(document: Doc) -> Doc:
    proofs = proof_list(document)
    assert len(proofs) == 1, proofs
    return proofs[0]


def normalized(document: Doc) -> Doc:
    """Proof as a one-element list: credkit emits a list for OB 3.0 (its schema wants one)."""
    return {**document, "proof": proof_list(document)}


def credkit_verdict(document: Doc) -> tuple[bool, str]:
    try:
        result = verify(document)
    except ProofError as exc:
        return False, f"{type(exc).__name__}: {exc}"
    errors = "; ".join(f"{type(e).__name__}: {e}" for e in result.errors)
    return result.verified, errors


@pytest.fixture(scope="session")
def signed_pairs(
    js: JsReference, key: KeyPair, js_key: dict[str, Any]
) -> Callable[[str, str], tuple[Doc, Doc]]:
    """(credkit-signed, JS-signed) for a (suite, document) case, signed once per session."""
    cache: dict[tuple[str, str], tuple[Doc, Doc]] = {}

    def get(suite: str, name: str) -> tuple[Doc, Doc]:
        if (suite, name) not in cache:
            unsigned = DOCUMENTS[name](key.controller)
            ours = sign(unsigned, key, cryptosuite=suite, created=docs.CREATED)
            theirs = js.sign(unsigned, js_key, cryptosuite=suite, created=docs.CREATED)
            cache[suite, name] = (ours, theirs)
        return cache[suite, name]

    return get


# --- the harness itself reproduces the published vectors --------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_reference_and_credkit_reproduce_w3c_vector(js: JsReference, suite: str) -> None:
    """Both sides sign the W3C vc-di-eddsa input into exactly the published signed document."""
    expected = docs.load(docs.W3C / W3C_SIGNED[suite])
    unsigned = docs.w3c_alumni()  # issuer stays https://vc.example/issuers/5678 → proof mode
    theirs = js.sign(unsigned, docs.w3c_key(), cryptosuite=suite, created=W3C_CREATED, mode="proof")
    pair = KeyPair.from_secret_multibase(docs.w3c_key()["secretKeyMultibase"])
    ours = sign(unsigned, pair, cryptosuite=suite, created=W3C_CREATED)
    assert theirs == expected
    assert ours == expected
    assert js.verify(expected, mode="proof")["verified"] is True
    assert verify(expected).verified is True


def test_reference_enforces_issuer_binding(js: JsReference) -> None:
    """Control: the reference checks issuer binding; the W3C vector's issuer is not its key."""
    expected = docs.load(docs.W3C / W3C_SIGNED["eddsa-rdfc-2022"])
    out = js.verify(expected)
    assert out["verified"] is False
    assert "issuer" in (out["error"] or "")


# --- both directions, same bytes -------------------------------------------------------------


@pytest.mark.parametrize(("suite", "name"), CASES)
def test_reference_verifies_what_credkit_signs(
    js: JsReference, signed_pairs: Callable[[str, str], tuple[Doc, Doc]], suite: str, name: str
) -> None:
    ours, _ = signed_pairs(suite, name)
    out = js.verify(ours)
    assert out["verified"] is True, out["error"]
    assert [p["verified"] for p in out["proofs"]] == [True]


@pytest.mark.parametrize(("suite", "name"), CASES)
def test_credkit_verifies_what_reference_signs(
    signed_pairs: Callable[[str, str], tuple[Doc, Doc]], suite: str, name: str
) -> None:
    _, theirs = signed_pairs(suite, name)
    verified, errors = credkit_verdict(theirs)
    assert verified, errors
    proof = single_proof(theirs)
    assert proof["type"] == (
        "Ed25519Signature2020" if suite == "Ed25519Signature2020" else "DataIntegrityProof"
    )
    assert proof.get("cryptosuite") == (None if suite == "Ed25519Signature2020" else suite)


@pytest.mark.parametrize(("suite", "name"), CASES)
def test_same_key_and_created_give_the_same_proof(
    key: KeyPair, signed_pairs: Callable[[str, str], tuple[Doc, Doc]], suite: str, name: str
) -> None:
    ours, theirs = signed_pairs(suite, name)
    assert single_proof(ours)["proofValue"] == single_proof(theirs)["proofValue"]
    # not only the signature: the whole secured document (added contexts, proof options) agrees
    assert normalized(ours) == normalized(theirs)
    assert single_proof(ours)["verificationMethod"] == key.id


def test_non_ascii_text_survives_unchanged(
    signed_pairs: Callable[[str, str], tuple[Doc, Doc]],
) -> None:
    """Neither side normalizes Unicode: the NFD description is still NFD after signing."""
    for suite in SUITES:
        ours, theirs = signed_pairs(suite, "ob3-i18n")
        for document in (ours, theirs):
            achievement = document["credentialSubject"]["achievement"]
            assert achievement["description"] == docs.ACHIEVEMENT_DESC_NFD
            assert not unicodedata.is_normalized("NFC", achievement["description"])
            assert document["issuer"]["name"] == docs.ISSUER_NAME
            assert document["name"] == docs.CREDENTIAL_NAME


# --- tampering fails on both sides -----------------------------------------------------------


def _set_name(d: Doc) -> None:
    d["name"] = d["name"] + " (forged)"


def _set_subject(d: Doc) -> None:
    d["credentialSubject"]["id"] = "did:example:someone-else"


def _set_valid_from(d: Doc) -> None:
    d["validFrom"] = "2001-01-01T00:00:00Z"


def _set_created(d: Doc) -> None:
    single_proof(d)["created"] = "2024-01-01T00:00:01Z"


def _set_proof_purpose(d: Doc) -> None:
    # a proof made for assertionMethod is replayed as if it had been made for authentication
    single_proof(d)["proofPurpose"] = "authentication"


def _nfc_description(d: Doc) -> None:
    achievement = d["credentialSubject"].get("achievement")
    if achievement is None:  # documents without one: change a claim instead
        d["credentialSubject"]["alumniOf"] = unicodedata.normalize("NFD", "École des Exemples")
    else:
        achievement["description"] = unicodedata.normalize("NFC", achievement["description"])
        assert achievement["description"] != docs.ACHIEVEMENT_DESC_NFD


TAMPERS: dict[str, Callable[[Doc], None]] = {
    "name": _set_name,
    "subject-id": _set_subject,
    "validFrom": _set_valid_from,
    "proof-created": _set_created,
    "unicode-normalization": _nfc_description,
}


@pytest.mark.parametrize(("suite", "name"), [c for c in CASES if c[1] != "ob3-diploma"])
def test_tampered_credential_fails_on_both_sides(
    js: JsReference,
    signed_pairs: Callable[[str, str], tuple[Doc, Doc]],
    suite: str,
    name: str,
) -> None:
    ours, theirs = signed_pairs(suite, name)
    tampered: list[tuple[str, Doc]] = []
    for origin, signed in (("credkit", ours), ("js", theirs)):
        for label, tamper in TAMPERS.items():
            if name == "jcs-edge" and label == "unicode-normalization":
                continue
            document = copy.deepcopy(signed)
            tamper(document)
            assert document != signed
            tampered.append((f"{origin}/{label}", document))
    # control first: the untampered documents pass in the same mode
    control = js.verify_many([ours, theirs], mode="proof")
    assert [r["verified"] for r in control] == [True, True]
    verdicts = js.verify_many([d for _, d in tampered], mode="proof")
    for (label, document), js_out in zip(tampered, verdicts, strict=True):
        assert js_out["verified"] is False, f"reference accepted {label}"
        verified, errors = credkit_verdict(document)
        assert not verified, f"credkit accepted {label}"
        assert errors, label


@pytest.mark.parametrize("suite", SUITES)
def test_wrong_proof_purpose_fails_on_both_sides(
    js: JsReference, signed_pairs: Callable[[str, str], tuple[Doc, Doc]], suite: str
) -> None:
    ours, _ = signed_pairs(suite, "w3c-alumni")
    document = copy.deepcopy(ours)
    _set_proof_purpose(document)
    assert js.verify(document, mode="proof")["verified"] is False
    # with the purpose the proof now claims, the signature no longer matches either
    result = verify(document, expected_proof_purpose="authentication")
    assert result.verified is False


@pytest.mark.parametrize("suite", SUITES)
def test_signature_from_another_key_fails_on_both_sides(
    js: JsReference, key: KeyPair, suite: str
) -> None:
    """A proof signed by key B but naming key A's verification method."""
    other = KeyPair.from_seed(
        hashlib.sha256(b"someone else").digest(), key_id=key.id, controller=key.controller
    )
    forged = sign(docs.w3c_alumni(key.controller), other, cryptosuite=suite, created=docs.CREATED)
    assert single_proof(forged)["verificationMethod"] == key.id
    out = js.verify(forged)
    assert out["verified"] is False
    assert credkit_verdict(forged)[0] is False


# --- agreement on edge cases -----------------------------------------------------------------


def test_jcs_context_appended_after_signing_is_ignored_by_both(
    js: JsReference, signed_pairs: Callable[[str, str], tuple[Doc, Doc]]
) -> None:
    """eddsa-jcs-2022 §3.3.2 step 4: the proof's @context replaces the document's when hashing.

    So a context appended after signing does not break the proof; both sides must say so.
    """
    ours, _ = signed_pairs("eddsa-jcs-2022", "w3c-alumni")
    document = copy.deepcopy(ours)
    document["@context"] = [*document["@context"], "https://w3id.org/security/data-integrity/v2"]
    assert js.verify(document, mode="proof")["verified"] is True
    assert credkit_verdict(document)[0] is True
    # but changing a context the proof covers is caught
    document["@context"] = list(reversed(ours["@context"]))
    assert js.verify(document, mode="proof")["verified"] is False
    assert credkit_verdict(document)[0] is False


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "Ed25519Signature2020"])
def test_both_refuse_to_sign_undefined_terms_under_rdfc(
    js: JsReference, key: KeyPair, js_key: dict[str, Any], suite: str
) -> None:
    """RDF canonicalization would silently drop an undefined term; both sides refuse (DI §2.4.3)."""
    document = docs.ob3_diploma(key.controller)
    document["credentialSchema"] = [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
            "ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",  # not defined by the OB 3.0.3 context
        }
    ]
    with pytest.raises(ReferenceRunError, match=r"[Ss]afe mode"):
        js.sign(document, js_key, cryptosuite=suite, created=docs.CREATED)
    with pytest.raises(DataLossError):
        sign(document, key, cryptosuite=suite, created=docs.CREATED)
    # JCS signs JSON, not RDF: the same document is fine there, on both sides
    ours = sign(document, key, cryptosuite="eddsa-jcs-2022", created=docs.CREATED)
    theirs = js.sign(document, js_key, cryptosuite="eddsa-jcs-2022", created=docs.CREATED)
    assert single_proof(ours)["proofValue"] == single_proof(theirs)["proofValue"]


# --- the full verifiers agree (credkit.verify.Verifier vs vc.verifyCredential) -----------------


def _proof_check(document: Doc) -> str:
    checks = {c.id: c for c in Verifier().verify_credential(document).checks}
    return checks["proof"].status


@pytest.mark.parametrize("suite", SUITES)
def test_full_verifiers_agree_on_issuer_binding(
    js: JsReference, signed_pairs: Callable[[str, str], tuple[Doc, Doc]], suite: str
) -> None:
    """Both credential-level verifiers accept issuer == key controller and reject otherwise."""
    _, theirs = signed_pairs(suite, "ob3-i18n")
    assert js.verify(theirs)["verified"] is True
    assert _proof_check(theirs) == "passed"
    stranger = docs.load(docs.W3C / W3C_SIGNED[suite])  # issuer https://vc.example/issuers/5678
    out = js.verify(stranger)
    assert out["verified"] is False
    assert "issuer" in (out["error"] or "")
    assert _proof_check(stranger) == "failed"


def test_language_strings_with_a_base_direction_interoperate(
    js: JsReference, key: KeyPair, js_key: dict[str, Any]
) -> None:
    """Both sides keep @direction in the RDF (rdfDirection i18n-datatype): same proof, both ways."""
    doc = docs.w3c_alumni(key.controller)
    doc["name"] = {"@value": "شهادة الخريجين", "@language": "ar", "@direction": "rtl"}
    theirs = js.sign(doc, js_key, cryptosuite="eddsa-rdfc-2022", created=W3C_CREATED)
    ours = sign(doc, key, created=W3C_CREATED)
    assert single_proof(theirs)["proofValue"] == single_proof(ours)["proofValue"]
    assert verify(theirs).verified
    assert js.verify(ours)["verified"]
    flipped = copy.deepcopy(theirs)
    flipped["name"]["@direction"] = "ltr"
    assert not verify(flipped).verified
    assert not js.verify(flipped)["verified"]
