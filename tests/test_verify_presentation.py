"""Verifiable Presentations: holder proof with challenge/domain, then every credential."""

from __future__ import annotations

from typing import Any

import pytest

from credkit import sign
from credkit.jsonld.contexts import VC_V2
from test_verify_helpers import HOLDER, ISSUER, OTHER, signed_diploma, verifier

CHALLENGE = "c0ffee-1234"
DOMAIN = "hiring.employer.example"


def presentation(
    *credentials: dict[str, Any],
    holder: Any = HOLDER,
    challenge: str | None = CHALLENGE,
    domain: str | None = DOMAIN,
    with_holder: bool = True,
) -> dict[str, Any]:
    vp: dict[str, Any] = {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": list(credentials),
    }
    if with_holder:
        vp["holder"] = HOLDER.controller
    return sign(
        vp,
        holder,
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
        created="2026-11-23T11:59:00Z",
    )


def test_presentation_with_right_challenge_and_domain_verifies() -> None:
    result = verifier().verify_presentation(
        presentation(signed_diploma()), challenge=CHALLENGE, domain=DOMAIN
    )
    assert result.verdict == "verified", result.to_json()
    ids = [c.id for c in result.checks]
    assert ids == [
        "presentation_well_formed",
        "presentation_proof",
        "credential[0]",
        "holder_binding",
    ]
    assert result.achievement_name == "Applied Cryptography"
    assert result.to_json()["credentials"][0]["verdict"] == "verified"


@pytest.mark.parametrize(
    ("signed_with", "asked", "code"),
    [
        ({"challenge": "other"}, {"challenge": CHALLENGE}, "INVALID_CHALLENGE_ERROR"),
        ({"challenge": None}, {"challenge": CHALLENGE}, "INVALID_CHALLENGE_ERROR"),
        ({"domain": "evil.example"}, {"challenge": CHALLENGE, "domain": DOMAIN}, "INVALID_DOMAIN"),
        ({"domain": None}, {"challenge": CHALLENGE, "domain": DOMAIN}, "INVALID_DOMAIN"),
    ],
)
def test_wrong_or_missing_challenge_or_domain_fails(
    signed_with: dict[str, Any], asked: dict[str, Any], code: str
) -> None:
    vp = presentation(signed_diploma(), **signed_with)
    result = verifier().verify_presentation(vp, **asked)
    check = result.check("presentation_proof")
    assert check.status == "failed", result.to_json()
    assert code in check.error["type"]
    assert result.verdict == "not verified"


def test_no_challenge_asked_warns_about_replay() -> None:
    result = verifier().verify_presentation(presentation(signed_diploma()))
    assert result.verified
    assert any("replay" in w for w in result.to_json()["warnings"])


def test_presentation_signed_by_someone_other_than_the_holder_fails() -> None:
    vp = presentation(signed_diploma(), holder=OTHER)
    result = verifier().verify_presentation(vp, challenge=CHALLENGE, domain=DOMAIN)
    check = result.check("presentation_proof")
    assert check.status == "failed" and "does not belong to the holder" in check.message


def test_unsigned_presentation_fails() -> None:
    vp = presentation(signed_diploma())
    vp.pop("proof")
    result = verifier().verify_presentation(vp, challenge=CHALLENGE)
    assert result.check("presentation_proof").status == "failed"


def test_presentation_with_assertion_proof_purpose_fails() -> None:
    vp = {"@context": [VC_V2], "type": ["VerifiablePresentation"], "holder": HOLDER.controller}
    vp = sign(vp, HOLDER, challenge=CHALLENGE)  # assertionMethod, not authentication
    result = verifier().verify_presentation(vp, challenge=CHALLENGE)
    assert result.check("presentation_proof").status == "failed"


def test_bad_credential_inside_a_good_presentation_fails_the_presentation() -> None:
    bad = signed_diploma()
    bad["credentialSubject"]["achievement"]["name"] = "Something else"
    result = verifier().verify_presentation(
        presentation(signed_diploma(), bad), challenge=CHALLENGE, domain=DOMAIN
    )
    # the holder signed the altered copy, so only the issuer's proof inside catches it
    assert result.check("presentation_proof").status == "passed"
    assert result.check("credential[0]").status == "passed"
    assert result.check("credential[1]").status == "failed"
    assert result.verdict == "not verified"


def test_string_credential_in_presentation_is_malformed() -> None:
    vp = presentation(signed_diploma())
    vp["verifiableCredential"].append("https://school.example/credentials/1")
    result = verifier().verify_presentation(vp, challenge=CHALLENGE, domain=DOMAIN)
    assert result.check("presentation_well_formed").status == "failed"
    assert not result.verified


def test_untrusted_credential_in_presentation_explains_why() -> None:
    from credkit.verify.trust import TrustRegistry

    v = verifier(trust=TrustRegistry.of(["did:web:other.example"]))
    result = v.verify_presentation(
        presentation(signed_diploma()), challenge=CHALLENGE, domain=DOMAIN
    )
    check = result.check("credential[0]")
    assert check.status == "failed" and "issuer not trusted" in check.message
    assert ISSUER.controller in check.message


def _subject(holder_did: str) -> dict[str, Any]:
    subject = signed_diploma()["credentialSubject"]
    return {**subject, "id": holder_did}


def _binding(result: Any) -> Any:
    return next(c for c in result.checks if c.id == "holder_binding")


def test_holder_binding_passes_when_the_presenter_is_the_subject() -> None:
    bound = signed_diploma(credentialSubject=_subject(HOLDER.controller))
    result = verifier().verify_presentation(presentation(bound), challenge=CHALLENGE, domain=DOMAIN)
    assert result.verdict == "verified", result.to_json()
    check = _binding(result)
    assert check.status == "passed" and HOLDER.controller in check.message
    strict = verifier(require_holder_binding=True).verify_presentation(
        presentation(bound), challenge=CHALLENGE, domain=DOMAIN
    )
    assert strict.verdict == "verified"


def test_someone_elses_diploma_is_a_warning_or_with_require_a_failure() -> None:
    # the diploma names did:example:graduate-17; HOLDER presents it
    vp = presentation(signed_diploma())
    result = verifier().verify_presentation(vp, challenge=CHALLENGE, domain=DOMAIN)
    check = _binding(result)
    assert check.status == "warning" and "graduate-17" in check.message
    assert result.verdict == "verified"
    required = verifier(require_holder_binding=True).verify_presentation(
        vp, challenge=CHALLENGE, domain=DOMAIN
    )
    assert required.verdict == "not verified"
    assert _binding(required).error["title"] == "HOLDER_NOT_SUBJECT"


def test_binding_needs_the_holder_to_have_signed() -> None:
    bound = signed_diploma(credentialSubject=_subject(HOLDER.controller))
    # signed by OTHER while naming HOLDER: the proof fails, the binding is not shown
    vp = presentation(bound, holder=OTHER)
    result = verifier(require_holder_binding=True).verify_presentation(
        vp, challenge=CHALLENGE, domain=DOMAIN
    )
    assert result.verdict == "not verified"
    assert _binding(result).status == "skipped"
    # no holder named: whoever signed is not matched to the subject
    anonymous = presentation(bound, with_holder=False)
    result = verifier(require_holder_binding=True).verify_presentation(
        anonymous, challenge=CHALLENGE, domain=DOMAIN
    )
    assert _binding(result).status == "failed" and result.verdict == "not verified"


def test_a_diploma_naming_no_subject_binds_to_nobody() -> None:
    subject = {k: v for k, v in signed_diploma()["credentialSubject"].items() if k != "id"}
    # OB 3.0 AchievementSubject: an identifier instead of an id (a student number, hashed)
    subject["identifier"] = [
        {
            "type": "IdentityObject",
            "identityHash": "student-4711",
            "identityType": "sisSourcedId",
            "hashed": False,
        }
    ]
    unbound = signed_diploma(credentialSubject=subject)
    result = verifier().verify_presentation(
        presentation(unbound), challenge=CHALLENGE, domain=DOMAIN
    )
    assert _binding(result).status == "skipped" and result.verdict == "verified"
    required = verifier(require_holder_binding=True).verify_presentation(
        presentation(unbound), challenge=CHALLENGE, domain=DOMAIN
    )
    assert required.verdict == "not verified"
