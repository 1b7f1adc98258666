"""Sign/verify round trips and the ways a proof must fail (VC Data Integrity 1.0 §4)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credkit.errors import (
    ContextError,
    DataLossError,
    DidResolutionError,
    InvalidChallengeError,
    InvalidDomainError,
    MalformedProofError,
    MismatchedProofPurposeError,
    ProofError,
    ProofVerificationError,
    UnknownCryptosuiteError,
)
from credkit.identity.keys import KeyPair
from credkit.proofs import sign, verify

SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"]
KEY = KeyPair.from_seed(bytes(range(32)))
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def diploma(name: str = "Nguyễn Thị Thu Hà") -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", OB],
        "id": "urn:uuid:2f2c6b4e-4e0b-4d8e-9a55-1a2b3c4d5e6f",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": KEY.controller, "type": ["Profile"], "name": "Reelbridge Post Lab"},
        "validFrom": "2026-06-30T00:00:00Z",
        "name": "Post-Production Supervisor Diploma",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": name,
            "identifier": [
                {
                    "type": "IdentityObject",
                    "hashed": True,
                    "identityHash": "sha256$" + "ab" * 32,
                    "identityType": "emailAddress",
                    "salt": "pepper",
                }
            ],
            "achievement": {
                "id": "https://reelbridge.example/achievements/pps-diploma",
                "type": ["Achievement"],
                "achievementType": "Diploma",
                "name": "Post-Production Supervisor Diploma — Episodic Storytelling",
                "description": "Supervising post-production of episodic drama.",
                "criteria": {"narrative": "Delivered a six-episode season to spec."},
            },
        },
    }


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(
    "name", ["प्रिया शर्मा", "สมชาย ใจดี", "Nguyễn Thị Thu Hà", "María José Dela Cruz"]
)
def test_non_ascii_diplomas_round_trip(suite: str, name: str) -> None:
    signed = sign(diploma(name), KEY, cryptosuite=suite)
    # through JSON text and back, as a file would carry it
    again = json.loads(json.dumps(signed, ensure_ascii=False))
    result = verify(again)
    assert result.verified, result.errors
    assert result.results[0].controller == KEY.controller
    assert isinstance(signed["proof"], list)  # OB 3.0 schema wants a proof array


@pytest.mark.parametrize("suite", SUITES)
def test_changed_subject_name_fails(suite: str) -> None:
    signed = sign(diploma(), KEY, cryptosuite=suite)
    signed["credentialSubject"]["name"] = "Someone Else"
    result = verify(signed)
    assert not result.verified
    assert isinstance(result.errors[0], ProofVerificationError)


def test_undefined_term_cannot_be_signed_with_rdfc() -> None:
    doc = diploma()
    doc["credentialSubject"]["favouriteLens"] = "85mm"
    with pytest.raises(DataLossError, match="favouriteLens"):
        sign(doc, KEY)
    # JCS does no JSON-LD processing, so it signs every byte it is given
    assert verify(sign(doc, KEY, cryptosuite="eddsa-jcs-2022")).verified


def test_undefined_type_cannot_be_signed_with_rdfc() -> None:
    doc = diploma()
    doc["type"].append("GraduationCredential")
    with pytest.raises(DataLossError, match="GraduationCredential"):
        sign(doc, KEY)


def test_unknown_context_cannot_be_signed() -> None:
    doc = diploma()
    doc["@context"].append("https://unknown.example/context.jsonld")
    with pytest.raises(ContextError, match=r"unknown\.example"):
        sign(doc, KEY)


def test_wrong_purpose_challenge_domain() -> None:
    doc = diploma()
    signed = sign(
        doc, KEY, proof_purpose="authentication", challenge="c-123", domain="employer.example"
    )
    assert isinstance(verify(signed).errors[0], MismatchedProofPurposeError)
    ok = verify(
        signed,
        expected_proof_purpose="authentication",
        challenge="c-123",
        domain="employer.example",
    )
    assert ok.verified
    bad_challenge = verify(signed, expected_proof_purpose="authentication", challenge="other")
    assert isinstance(bad_challenge.errors[0], InvalidChallengeError)
    bad_domain = verify(signed, expected_proof_purpose="authentication", domain="evil.example")
    assert isinstance(bad_domain.errors[0], InvalidDomainError)
    plain = sign(doc, KEY, proof_purpose="authentication")
    missing = verify(plain, expected_proof_purpose="authentication", challenge="c-123")
    assert isinstance(missing.errors[0], InvalidChallengeError)


def test_expired_proof_fails() -> None:
    past = datetime.now(UTC) - timedelta(days=1)
    signed = sign(diploma(), KEY, created=past - timedelta(days=1), expires=past)
    result = verify(signed)
    assert not result.verified and "expired" in str(result.errors[0])
    assert verify(signed, now=past - timedelta(hours=1)).verified


def test_unknown_cryptosuite_and_missing_proof() -> None:
    signed = sign(diploma(), KEY)
    signed["proof"][0]["cryptosuite"] = "eddsa-2022"
    assert isinstance(verify(signed).errors[0], UnknownCryptosuiteError)
    with pytest.raises(MalformedProofError):
        verify(diploma())


def test_proof_set_of_two_issuers() -> None:
    other = KeyPair.generate()
    signed = sign(sign(diploma(), KEY), other, cryptosuite="eddsa-jcs-2022")
    result = verify(signed)
    assert result.verified and len(result.results) == 2
    assert result.controllers == {KEY.controller, other.controller}
    signed["proof"][1]["proofValue"] = signed["proof"][0]["proofValue"]
    assert [r.verified for r in verify(signed).results] == [True, False]


def test_proof_by_a_key_of_another_did_fails() -> None:
    signed = sign(diploma(), KEY)
    intruder = KeyPair.generate()
    # claim the issuer's key but sign with another: the signature cannot match
    forged = sign(diploma(), intruder.with_controller(KEY.controller, KEY.id))
    assert not verify(forged).verified
    assert verify(signed).verified


# --- property-based tampering ---------------------------------------------------------------

SIGNED = {suite: sign(diploma(), KEY, cryptosuite=suite) for suite in SUITES}


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every string/bool leaf."""
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _paths(v, (*prefix, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _paths(v, (*prefix, i))]
    return [prefix] if isinstance(node, str | bool) else []


def _edit(doc: dict[str, Any], path: tuple[Any, ...], new: str) -> bool:
    target: Any = doc
    for step in path[:-1]:
        target = target[step]
    old = target[path[-1]]
    value: Any = (not old) if isinstance(old, bool) else new
    if value == old:
        return False
    target[path[-1]] = value
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    suite=st.sampled_from(SUITES),
    where=st.sampled_from(["document", "options", "proofValue"]),
    pick=st.integers(min_value=0, max_value=10_000),
    new=st.text(min_size=1, max_size=12),
)
def test_any_edit_makes_verification_fail(suite: str, where: str, pick: int, new: str) -> None:
    doc = copy.deepcopy(SIGNED[suite])
    proof = doc["proof"][0]
    if where == "proofValue":
        value = proof["proofValue"]
        i = 1 + pick % (len(value) - 1)
        alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
        proof["proofValue"] = (
            value[:i] + alphabet[(alphabet.index(value[i]) + 1) % 58] + value[i + 1 :]
        )
    else:
        base = proof if where == "options" else doc
        paths = [p for p in _paths(base) if p and p[0] not in ("proof", "proofValue")]
        if not _edit(base, paths[pick % len(paths)], new):
            return
    result = verify(doc)
    assert not result.verified
    error = result.errors[0]
    assert isinstance(error, ProofError | ContextError | DidResolutionError)


@pytest.mark.parametrize("bad", ["https://ex.example/a b", "https://ex.example/a\tb", "urn:x\n"])
def test_an_iri_that_rdf_would_drop_cannot_be_signed(bad: str) -> None:
    """toRdf drops a node whose IRI holds whitespace, and with it every claim about that node."""
    doc = diploma()
    doc["credentialSubject"]["achievement"]["criteria"]["id"] = bad
    with pytest.raises(DataLossError, match="absolute IRI"):
        sign(doc, KEY)


@pytest.mark.parametrize("bad", ['urn:x> <urn:evil> "1" .', 'urn:a"b', "urn:a{b}", "urn:a\\b"])
def test_an_iri_that_could_forge_nquads_cannot_be_signed(bad: str) -> None:
    doc = diploma()
    doc["credentialSubject"]["achievement"]["id"] = bad
    with pytest.raises(DataLossError):
        sign(doc, KEY)


@pytest.mark.parametrize(
    "name",
    [
        {"@value": "Priya", "@language": 'en .\n<urn:a> <urn:b> "c"'},  # would forge a quad
        {"@value": "Priya", "@language": "not a tag"},
    ],
)
def test_language_values_rdf_cannot_carry_are_refused(name: dict[str, str]) -> None:
    doc = diploma()
    doc["name"] = name
    with pytest.raises(DataLossError):
        sign(doc, KEY)


def test_well_formed_language_values_sign() -> None:
    doc = diploma()
    doc["name"] = {"@value": "डिप्लोमा", "@language": "hi-Deva"}
    assert verify(sign(doc, KEY)).verified


def test_base_direction_is_covered_by_the_proof() -> None:
    """Canonicalized with rdfDirection i18n-datatype (as the JS reference does): flipping the
    direction of a language string must break the signature."""
    doc = diploma()
    doc["name"] = {"@value": "دبلوم", "@language": "ar", "@direction": "rtl"}
    signed = sign(doc, KEY)
    assert verify(signed).verified
    signed["name"]["@direction"] = "ltr"
    assert not verify(signed).verified
