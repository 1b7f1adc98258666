"""eddsa-jcs-2022 and the contexts a document carries (credkit.proofs.suites.eddsa_jcs_2022).

JCS signs the JSON, and a verifier hashes it under the proof's ``@context`` (VC DI EdDSA 1.0
§3.3.2 step 4), so contexts appended after signing leave the signature intact; yet the JSON-LD
meaning of the signed JSON comes from every context the document carries. A context that
redefines a protected term or points a term into another vocabulary must never verify (issue 13
part 4); on the code before this module every case below verified.

What happens, case by case:

============================================================  =========  ===============
document                                                      credkit    JS reference
============================================================  =========  ===============
shipped context appended after signing                        verified   verified
inline context appended for a new, unused term                verified   verified
appended context redefining ``name`` (protected, VC v2)       fails      verified
appended context redefining ``VerifiableCredential``         fails      verified
appended definition of ``validUntil`` where the JSON has one  fails      verified
appended inline alias into the VC vocabulary (``vu``)         fails      verified
appended ``@vocab``                                           fails      verified
appended definition of a term the signed JSON used undefined  fails      verified
unknown context URL appended                                  fails      fails (loader)
inline context signed with the document, harmless             verified   fails (its bug)
inline context signed with the document, redefining ``name``  refused    signs; fails
============================================================  =========  ===============
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from credkit.errors import MalformedValueError, ProofGenerationError
from credkit.identity.keys import KeyPair
from credkit.jsonld import rdfc
from credkit.jsonld.contexts import DEFAULT_LOADER
from credkit.proofs import sign, verify
from credkit.verify import Verifier
from interop import documents as docs

KEY = KeyPair.from_seed(hashlib.sha256(b"jcs contexts").digest())
SUITE = "eddsa-jcs-2022"
DI_V2 = "https://w3id.org/security/data-integrity/v2"

Doc = dict[str, Any]


def _signed(extra_context: Any = None, **fields: Any) -> Doc:
    doc = docs.ob3_diploma(KEY.controller)
    if extra_context is not None:
        doc["@context"] = [*doc["@context"], extra_context]
    doc.update(fields)
    return sign(doc, KEY, cryptosuite=SUITE, created=docs.CREATED)


SIGNED = _signed()


def _appended(context: Any) -> Doc:
    document = copy.deepcopy(SIGNED)
    document["@context"] = [*document["@context"], context]
    return document


def _errors(document: Doc) -> str:
    result = verify(document)
    assert not result.verified
    return "; ".join(str(e) for e in result.errors)


def _unsecured(document: Doc) -> Doc:
    return {k: v for k, v in document.items() if k != "proof"}


def test_the_untouched_document_verifies() -> None:
    assert verify(SIGNED).verified


def test_an_appended_shipped_context_verifies_and_means_the_same() -> None:
    document = _appended(DI_V2)
    assert verify(document).verified
    assert rdfc.canonicalize(_unsecured(document)) == rdfc.canonicalize(_unsecured(SIGNED))


def test_an_appended_inline_context_for_a_new_unused_term_verifies() -> None:
    document = _appended({"nickname": "https://vocab.example/nickname"})
    assert verify(document).verified
    assert Verifier().verify_credential(document).verdict == "verified"
    assert rdfc.canonicalize(_unsecured(document)) == rdfc.canonicalize(_unsecured(SIGNED))


@pytest.mark.parametrize(
    "context",
    [
        {"name": "https://evil.example/name"},  # another vocabulary, and protected by VC v2
        {"description": {"@id": "https://evil.example/description"}},
        {"VerifiableCredential": "https://evil.example/Forgery"},
    ],
)
def test_an_appended_context_redefining_a_protected_term_fails(context: Doc) -> None:
    assert "protected term" in _errors(_appended(context))


def test_an_appended_definition_of_a_scoped_vc_term_the_document_uses_fails() -> None:
    """validUntil is defined inside VC v2's VerifiableCredential scope, which would still win in
    the credential node; credkit refuses any appended definition of a word the signed JSON uses
    rather than reason about scopes."""
    signed = _signed(validUntil="2030-01-01T00:00:00Z")
    document = copy.deepcopy(signed)
    document["@context"] = [*document["@context"], {"validUntil": "https://evil.example/vu"}]
    assert "'validUntil'" in _errors(document)


def test_an_appended_alias_into_the_vc_vocabulary_fails() -> None:
    context = {"vu": "https://www.w3.org/2018/credentials#validUntil"}
    assert "another name for" in _errors(_appended(context))


def test_an_appended_vocab_fails() -> None:
    assert "@vocab" in _errors(_appended({"@vocab": "https://evil.example/"}))


def test_an_appended_definition_of_a_term_the_signed_json_used_undefined_fails() -> None:
    # JCS signs JSON: a term no context defines is signed, with no JSON-LD meaning
    signed = _signed(nickname="Ada")
    assert verify(signed).verified
    document = copy.deepcopy(signed)
    document["@context"] = [*document["@context"], {"nickname": "https://vocab.example/nick"}]
    assert "'nickname'" in _errors(document)


def test_an_appended_unknown_context_url_fails() -> None:
    assert "does not process" in _errors(_appended("https://unknown.example/context.jsonld"))


def test_reordering_the_signed_contexts_still_fails() -> None:
    document = copy.deepcopy(SIGNED)
    document["@context"] = list(reversed(document["@context"]))
    assert not verify(document).verified


def test_a_harmless_inline_context_signed_with_the_document_verifies() -> None:
    signed = _signed({"nickname": "https://vocab.example/nickname"})
    assert verify(signed).verified


@pytest.mark.parametrize(
    "context",
    [
        {"name": "https://evil.example/name"},
        {"vu": "https://www.w3.org/2018/credentials#validUntil"},
        {"@vocab": "https://www.w3.org/2018/credentials#"},
        {"n": "@nest"},
    ],
)
def test_signing_refuses_an_inline_context_that_changes_meaning(context: Doc) -> None:
    doc = docs.ob3_diploma(KEY.controller)
    doc["@context"] = [*doc["@context"], context]
    with pytest.raises(ProofGenerationError, match="contexts could change"):
        sign(doc, KEY, cryptosuite=SUITE, created=docs.CREATED)


def test_a_nested_inline_context_that_redefines_a_term_is_refused() -> None:
    doc = docs.ob3_diploma(KEY.controller)
    doc["credentialSubject"]["@context"] = {"name": "https://evil.example/name"}
    with pytest.raises(ProofGenerationError, match="contexts could change"):
        sign(doc, KEY, cryptosuite=SUITE, created=docs.CREATED)


def test_a_document_signed_elsewhere_with_a_redefining_context_fails_verification() -> None:
    """As the reference signs it (it checks nothing): the signature holds, the meaning does not."""
    from credkit.proofs.suites import by_name
    from credkit.proofs.suites.base import Cryptosuite

    doc = docs.ob3_diploma(KEY.controller)
    doc["@context"] = [*doc["@context"], {"name": "https://evil.example/name"}]
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": SUITE,
        "created": docs.CREATED,
        "verificationMethod": KEY.id,
        "proofPurpose": "assertionMethod",
    }
    # the suite's stages without its context checks
    proof = Cryptosuite.create(by_name(SUITE), doc, options, KEY, DEFAULT_LOADER)
    signed = {**doc, "proof": proof}
    errors = _errors(signed)
    assert "protected term" in errors
    with pytest.raises(MalformedValueError):
        by_name(SUITE).verify(doc, proof, KEY.public_key, DEFAULT_LOADER)
    verdict = Verifier().verify_credential(signed)
    assert verdict.verdict != "verified"


def test_the_verifier_refuses_an_appended_redefinition_too() -> None:
    result = Verifier().verify_credential(_appended({"name": "https://evil.example/name"}))
    assert result.verdict != "verified"
    proof = next(c for c in result.checks if c.id == "proof")
    assert proof.status == "failed"


# --- what the reference does (recorded in the module table) --------------------------------------


@pytest.mark.interop
def test_reference_behaviour_matches_the_table() -> None:
    from interop.jsref import (
        JsReference,
        ReferenceUnavailableError,
        interop_must_run,
        skip_requested,
    )

    if skip_requested():
        pytest.skip("CREDKIT_SKIP_INTEROP is set")
    try:
        js = JsReference.setup()
    except ReferenceUnavailableError as exc:
        if interop_must_run():
            pytest.fail(f"interop reference unavailable in CI (CI=true): {exc}", pytrace=False)
        pytest.skip(f"interop reference unavailable: {exc}")
    key = KEY.to_multikey(include_secret=True)
    cases = {
        "appended shipped": (_appended(DI_V2), True, True),
        "appended new term": (_appended({"nickname": "https://vocab.example/n"}), True, True),
        "appended name": (_appended({"name": "https://evil.example/name"}), True, False),
        "appended vu": (_appended({"vu": "https://www.w3.org/2018/credentials#validUntil"}), True, False),
        "signed harmless inline": (_signed({"nickname": "https://vocab.example/n"}), False, True),
    }
    doc = docs.ob3_diploma(KEY.controller)
    doc["@context"] = [*doc["@context"], {"name": "https://evil.example/name"}]
    theirs = js.sign(doc, key, cryptosuite=SUITE, created=docs.CREATED)  # the reference signs it
    cases["signed name, by the reference"] = (theirs, False, False)
    outcomes = js.verify_many([c[0] for c in cases.values()], mode="proof")
    for (label, (document, js_verdict, ours)), out in zip(cases.items(), outcomes, strict=True):
        assert out["verified"] is js_verdict, (label, out["error"])
        assert verify(document).verified is ours, label
