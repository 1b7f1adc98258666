"""Each named check of the verifier, passing and failing, on real signed diplomas."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from credkit import Resolver, sign
from credkit.jsonld.contexts import ED25519_2020_V1, VC_V1
from credkit.verify import Verifier
from test_verify_helpers import (
    ISSUER,
    NOW,
    OTHER,
    clone,
    diploma,
    memory_fetcher,
    seeded,
    signed,
    signed_diploma,
    status_setup,
    trust_of,
    verifier,
    web_issuer,
)


def status_of(result: object, check_id: str) -> str:
    check = result.check(check_id)  # type: ignore[attr-defined]
    assert check is not None, check_id
    return str(check.status)


# --- the happy path ---------------------------------------------------------------------------


def test_signed_diploma_from_trusted_issuer_is_verified() -> None:
    result = verifier().verify_credential(signed_diploma())
    assert result.verdict == "verified", result.to_json()
    assert result.verified and result.exit_code == 0
    ids = [c.id for c in result.checks]
    assert ids == [
        "well_formed",
        "proof",
        "validity",
        "status",
        "schema",
        "trusted_issuer",
        "endorsements",
    ]
    assert result.check("status").message == "no status information: cannot be revoked"
    assert result.issuer_name == "Example Training Lab"
    assert result.achievement_name == "Applied Cryptography"
    out = result.to_json()
    assert out["verified"] is True and out["errors"] == []
    assert {"id", "status", "message"} <= set(out["checks"][0])
    json.dumps(out)  # serialisable


def test_bytes_and_text_input_verify_like_dicts() -> None:
    doc = signed_diploma()
    assert verifier().verify_credential(json.dumps(doc).encode()).verified
    assert verifier().verify_credential(json.dumps(doc)).verified


def test_verifier_does_not_mutate_the_callers_document() -> None:
    doc = signed_diploma()
    before = clone(doc)
    verifier().verify_credential(doc)
    assert doc == before


# --- well_formed ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.update(type=["OpenBadgeCredential"]), "VerifiableCredential"),
        (lambda d: d.update(issuer={"name": "no id"}), "issuer"),
        (lambda d: d.pop("credentialSubject"), "credentialSubject"),
        (lambda d: d.update(credentialSubject="a string"), "credentialSubject"),
        (lambda d: d.update(validFrom="30/06/2026"), "validFrom"),
        (lambda d: d.update(id="not a url"), "id"),
        (lambda d: d.update(credentialStatus={"id": "https://x.example/s"}), "type"),
        (lambda d: d.update(evidence=[{"id": "https://x.example/e"}]), "evidence"),
        (lambda d: d.update(termsOfUse=["x"]), "termsOfUse"),
        (lambda d: d["@context"].reverse(), "@context"),
        (lambda d: d.update(validUntil="2026-01-01T00:00:00Z"), "ends before it starts"),
    ],
)
def test_malformed_credentials_fail_well_formed(change, words) -> None:  # type: ignore[no-untyped-def]
    doc = signed_diploma()
    change(doc)
    result = verifier().verify_credential(doc)
    check = result.check("well_formed")
    assert check is not None and check.status == "failed", result.to_json()
    assert words in check.message
    assert check.error["type"] == "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR"
    assert result.verdict == "not verified" and result.exit_code == 1


# --- proof --------------------------------------------------------------------------------------


def test_altered_diploma_fails_proof() -> None:
    doc = signed_diploma()
    doc["credentialSubject"]["achievement"]["name"] = "Doctor of Medicine"
    result = verifier().verify_credential(doc)
    assert status_of(result, "proof") == "failed"
    assert "signature not valid" in result.check("proof").message
    assert result.summary.startswith("not verified: invalid signature")


def test_did_key_issuer_with_proof_by_another_did_key_fails() -> None:
    # the issuer says ISSUER, but OTHER signed: a valid signature by the wrong party
    doc = signed(diploma(ISSUER.controller), OTHER)
    result = verifier(trust=trust_of(ISSUER.controller, OTHER.controller)).verify_credential(doc)
    check = result.check("proof")
    assert check.status == "failed"
    assert "signed by a key that does not belong to the issuer" in check.message
    assert not result.verified


def test_did_web_diploma_verifies_through_injected_fetcher() -> None:
    key, docs = web_issuer()
    doc = signed(diploma(key.controller), key)
    v = verifier(resolver=Resolver(fetcher=memory_fetcher(docs)), trust=trust_of(key.controller))
    result = v.verify_credential(doc)
    assert result.verified, result.to_json()


def test_did_web_diploma_signed_by_key_not_in_issuer_document_fails() -> None:
    key, docs = web_issuer()
    rogue = seeded(42, controller=key.controller, key_id=f"{key.controller}#key-2")
    doc = signed(diploma(key.controller), rogue)
    v = verifier(resolver=Resolver(fetcher=memory_fetcher(docs)), trust=trust_of(key.controller))
    result = v.verify_credential(doc)
    check = result.check("proof")
    assert check.status == "failed"
    assert "not in the controller document" in check.message
    assert result.verdict == "not verified"


def test_did_web_without_network_is_inconclusive() -> None:
    key, _ = web_issuer()
    doc = signed(diploma(key.controller), key)
    result = verifier(trust=trust_of(key.controller)).verify_credential(doc)
    assert status_of(result, "proof") == "skipped"
    assert result.verdict == "inconclusive" and result.exit_code == 3
    assert "--allow-network" in result.check("proof").message


def test_expired_proof_fails() -> None:
    doc = sign(
        diploma(ISSUER.controller),
        ISSUER,
        created="2026-01-01T00:00:00Z",
        expires="2026-02-01T00:00:00Z",
    )
    result = verifier().verify_credential(doc)
    assert status_of(result, "proof") == "failed"
    assert "expired" in result.check("proof").message


def test_duplicate_proofs_count_once_with_a_warning() -> None:
    # VC DI 1.0 §2.1 / issue 16: an exact copy adds no signer and forges nothing
    doc = signed_diploma()
    doc["proof"] = [doc["proof"][0], clone(doc["proof"][0])]
    result = verifier().verify_credential(doc)
    assert status_of(result, "proof") == "passed"
    assert any("exact copy of proof 1" in w for w in result.all_warnings)


def test_proof_set_by_issuer_with_two_suites_verifies() -> None:
    doc = signed(signed_diploma(), ISSUER, "eddsa-jcs-2022")
    assert len(doc["proof"]) == 2
    assert verifier().verify_credential(doc).verified


def test_unknown_extra_proof_type_fails_in_every_mode() -> None:
    # VC DI 1.0 §4.5: every proof of a set must verify; one credkit cannot check is not skipped
    doc = signed_diploma()
    doc["proof"].append({**doc["proof"][0], "cryptosuite": "ecdsa-rdfc-2019"})
    assert status_of(verifier().verify_credential(doc), "proof") == "failed"
    assert status_of(verifier(strict=True).verify_credential(doc), "proof") == "failed"


# --- VC 1.1 + Ed25519Signature2020, as the Learner Credential Wallet carries them -------------


def lcw_credential(**extra: object) -> dict:  # type: ignore[type-arg]
    doc = {
        "@context": [VC_V1, ED25519_2020_V1],
        "id": "urn:uuid:7a8b9c0d-1111-4222-8333-444455556666",
        "type": ["VerifiableCredential"],
        "issuer": ISSUER.controller,  # the 1.1 context defines no issuer name
        "issuanceDate": "2025-06-30T00:00:00Z",
        "credentialSubject": {"id": "did:example:graduate-17"},
    }
    doc.update(extra)
    return sign(doc, ISSUER, cryptosuite="Ed25519Signature2020", created="2025-06-30T00:00:00Z")


def test_vc11_ed25519signature2020_credential_verifies() -> None:
    doc = lcw_credential()
    assert doc["proof"]["type"] == "Ed25519Signature2020"
    result = verifier().verify_credential(doc)
    assert result.verified, result.to_json()
    assert "1.1" in result.check("well_formed").message
    assert "Ed25519Signature2020" in result.check("proof").message


def test_vc11_expired_by_expiration_date() -> None:
    result = verifier().verify_credential(lcw_credential(expirationDate="2026-01-01T00:00:00Z"))
    assert status_of(result, "validity") == "failed"
    assert "expired on 2026-01-01T00:00:00Z (expirationDate)" in result.check("validity").message


def test_vc11_issued_in_the_future_is_not_yet_valid() -> None:
    result = verifier().verify_credential(lcw_credential(issuanceDate="2027-01-01T00:00:00Z"))
    assert status_of(result, "validity") == "failed"
    assert result.summary == "not verified: not yet valid"


def test_vc11_without_issuance_date_is_malformed() -> None:
    doc = lcw_credential()
    doc.pop("issuanceDate")
    assert status_of(verifier().verify_credential(doc), "well_formed") == "failed"


# --- validity -------------------------------------------------------------------------------


def test_valid_until_in_the_past_fails_validity() -> None:
    doc = signed_diploma(validUntil="2026-09-01T00:00:00Z")
    result = verifier().verify_credential(doc)
    assert status_of(result, "proof") == "passed"
    check = result.check("validity")
    assert check.status == "failed" and "expired on 2026-09-01" in check.message
    assert check.error["type"] == "urn:credkit:problem:CREDENTIAL_EXPIRED"
    assert result.summary == "not verified: expired"


def test_valid_from_in_the_future_fails_validity() -> None:
    doc = signed_diploma(validFrom="2027-01-01T00:00:00Z")
    assert status_of(verifier().verify_credential(doc), "validity") == "failed"


def test_clock_is_injected() -> None:
    doc = signed_diploma(validUntil="2026-09-01T00:00:00Z")
    early = Verifier(
        clock=lambda: datetime(2026, 8, 1, tzinfo=UTC), trust=trust_of(ISSUER.controller)
    )
    assert early.verify_credential(doc).verified
    assert status_of(early.verify_credential(doc), "validity") == "passed"


# --- status ---------------------------------------------------------------------------------


def test_status_not_revoked_passes(tmp_path: Path) -> None:
    entry, fetcher = status_setup(tmp_path)
    result = verifier(status_fetcher=fetcher).verify_credential(
        signed_diploma(credentialStatus=entry)
    )
    assert result.verified, result.to_json()
    assert "not revoked" in result.check("status").message


def test_revoked_diploma_fails_status(tmp_path: Path) -> None:
    entry, fetcher = status_setup(tmp_path, revoked=(7,))
    result = verifier(status_fetcher=fetcher).verify_credential(
        signed_diploma(credentialStatus=entry)
    )
    check = result.check("status")
    assert check.status == "failed" and "revoked" in check.message
    assert result.summary == "not verified: revoked"


def test_suspended_diploma_fails_status(tmp_path: Path) -> None:
    entry, fetcher = status_setup(tmp_path, revoked=(7,), purpose="suspension")
    result = verifier(status_fetcher=fetcher).verify_credential(
        signed_diploma(credentialStatus=entry)
    )
    assert "suspended" in result.check("status").message and not result.verified


def test_status_without_fetcher_is_inconclusive(tmp_path: Path) -> None:
    entry, _ = status_setup(tmp_path)
    result = verifier().verify_credential(signed_diploma(credentialStatus=entry))
    check = result.check("status")
    assert check.status == "skipped"
    assert "--status-dir DIR" in check.message and "--allow-network" in check.message
    assert result.verdict == "inconclusive" and result.exit_code == 3 and not result.verified


def test_status_list_missing_fails_closed(tmp_path: Path) -> None:
    entry, fetcher = status_setup(tmp_path)
    (tmp_path / "1").unlink()
    result = verifier(status_fetcher=fetcher).verify_credential(
        signed_diploma(credentialStatus=entry)
    )
    check = result.check("status")
    assert check.status == "failed"
    assert check.error["type"].endswith("#STATUS_RETRIEVAL_ERROR")


def test_status_list_signed_by_someone_else_fails(tmp_path: Path) -> None:
    entry, fetcher = status_setup(tmp_path, issuer=OTHER)
    result = verifier(status_fetcher=fetcher).verify_credential(
        signed_diploma(credentialStatus=entry)
    )
    assert result.check("status").error["type"].endswith("#STATUS_VERIFICATION_ERROR")


def test_tampered_status_list_fails(tmp_path: Path) -> None:
    entry, fetcher = status_setup(tmp_path, revoked=(7,))
    listed = json.loads((tmp_path / "1").read_text())
    # "un-revoke" by swapping in an all-zero list: the signature no longer matches
    listed["credentialSubject"]["encodedList"] = (
        "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
    )
    (tmp_path / "1").write_text(json.dumps(listed))
    result = verifier(status_fetcher=fetcher).verify_credential(
        signed_diploma(credentialStatus=entry)
    )
    assert status_of(result, "status") == "failed"


def test_unsupported_status_type_is_inconclusive_or_fails_when_strict(tmp_path: Path) -> None:
    _, fetcher = status_setup(tmp_path)
    entry = {"id": "https://x.example/revocations", "type": "1EdTechRevocationList"}
    doc = signed_diploma(credentialStatus=entry)
    assert verifier(status_fetcher=fetcher).verify_credential(doc).verdict == "inconclusive"
    assert verifier(status_fetcher=fetcher, strict=True).verify_credential(doc).verdict == (
        "not verified"
    )


# --- schema -----------------------------------------------------------------------------------


def test_schema_failure_is_reported() -> None:
    doc = diploma(ISSUER.controller)
    doc["credentialSubject"]["achievement"].pop("criteria")  # required by the OB 3.0 schema
    result = verifier().verify_credential(signed(doc))
    check = result.check("schema")
    assert check.status == "failed" and "criteria" in check.message, check
    assert check.error["type"] == "urn:credkit:problem:SCHEMA_VALIDATION_ERROR"


def test_unknown_remote_schema_is_a_warning_unless_strict() -> None:
    doc = signed_diploma(
        credentialSchema=[{"id": "https://x.example/schema.json", "type": "JsonSchema"}]
    )
    lenient = verifier().verify_credential(doc)
    assert status_of(lenient, "schema") == "warning" and lenient.verified
    assert any("schema" in w for w in lenient.to_json()["warnings"])
    assert status_of(verifier(strict=True).verify_credential(doc), "schema") == "failed"


def test_no_schema_declared_is_skipped() -> None:
    doc = diploma(ISSUER.controller)
    doc.pop("credentialSchema")
    result = verifier().verify_credential(signed(doc))
    assert status_of(result, "schema") == "skipped" and result.verified


def test_now_constant_is_the_brief_date() -> None:
    assert NOW.date().isoformat() == "2026-11-23"
