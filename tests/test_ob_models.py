"""credkit.model.models: the OB 3.0 shapes parse and re-serialize without losing anything."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from credkit.model.models import (
    OB_V3_CONTEXT,
    VC_V2_CONTEXT,
    Achievement,
    AchievementCredential,
    AchievementSubject,
    CredentialSchema,
    CredentialStatus,
    Criteria,
    EndorsementCredential,
    IdentityObject,
    Profile,
)

IST = timezone(timedelta(hours=5, minutes=30))
NAIVE = datetime(2026, 1, 1, 0, 0)
AWARE = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
OB3 = Path(__file__).parent / "vectors" / "ob3"
EXAMPLES = sorted((OB3 / "spec-examples").glob("*.json"))
VALIDATOR_CASES = [
    OB3 / "validator-testcases" / n for n in ("simple.json", "simple-did-key-method.json")
]


def _canonical(doc: Any) -> str:
    # Text comparison, not dict equality: 42 == 42.0 in Python but not in a signature.
    return json.dumps(doc, sort_keys=True, ensure_ascii=False)


@pytest.mark.parametrize("path", EXAMPLES + VALIDATOR_CASES, ids=lambda p: p.name)
def test_spec_examples_round_trip_exactly(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    model = (
        EndorsementCredential if "EndorsementCredential" in doc["type"] else AchievementCredential
    )
    again = model.model_validate(doc).to_dict()
    assert _canonical(again) == _canonical(doc)
    assert next(iter(again)) == "@context"


def test_identity_hash_vector_from_the_ob_spec() -> None:
    expected = "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    assert IdentityObject.hash_identity("a@example.com", "Kosher") == expected
    ident = IdentityObject.for_email("a@example.com", "Kosher")
    assert ident.to_dict() == {
        "type": "IdentityObject",
        "hashed": True,
        "identityHash": expected,
        "identityType": "emailAddress",
        "salt": "Kosher",
    }
    assert ident.matches("a@example.com")
    assert not ident.matches("b@example.com")


def _minimal(**subject: Any) -> AchievementCredential:
    return AchievementCredential(
        id="urn:uuid:2f3b9a9e-0b0a-4f8e-9d7a-5b7a9c1d2e3f",
        issuer=Profile(id="did:key:z6MkExample", name="Lab"),
        # a datetime is accepted and written as UTC with Z (the field's static type is str)
        valid_from=datetime(2026, 11, 20, 10, 0, tzinfo=IST),  # type: ignore[arg-type]
        credential_subject=AchievementSubject(
            name="Nguyễn Thị Thu Hà",
            identifier=[IdentityObject.for_email("thuha@example.com", "s4lt")],
            achievement=Achievement(
                id="https://reelbridge.example/a/1",
                name="Diploma",
                description="d",
                criteria=Criteria(narrative="did it"),
                achievement_type="Diploma",
            ),
            **subject,
        ),
        credential_schema=[CredentialSchema()],
    )


def test_serialization_shape_matches_the_spec_examples() -> None:
    doc = _minimal().to_dict()
    assert next(iter(doc)) == "@context"
    assert doc["@context"] == [VC_V2_CONTEXT, OB_V3_CONTEXT]
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["issuer"]["type"] == ["Profile"]
    assert doc["credentialSubject"]["type"] == ["AchievementSubject"]
    assert doc["credentialSubject"]["achievement"]["type"] == ["Achievement"]
    assert doc["credentialSubject"]["achievement"]["achievementType"] == "Diploma"
    assert isinstance(doc["credentialSchema"], list)
    # UTC, seconds, Z
    assert doc["validFrom"] == "2026-11-20T04:30:00Z"
    # None and [] are omitted everywhere
    text = json.dumps(doc)
    assert "null" not in text and "[]" not in text
    assert "validUntil" not in doc and "result" not in doc["credentialSubject"]


def test_non_ascii_names_survive_serialize_and_parse() -> None:
    doc = _minimal().to_dict()
    text = json.dumps(doc, ensure_ascii=False)
    back = AchievementCredential.model_validate(json.loads(text))
    assert back.credential_subject.name == "Nguyễn Thị Thu Hà"


def test_lone_type_strings_become_arrays() -> None:
    profile = Profile.model_validate({"id": "https://x.example", "type": "Profile"})
    assert profile.to_dict()["type"] == ["Profile"]


def test_unknown_properties_are_kept() -> None:
    doc = _minimal().to_dict()
    doc["credentialSubject"]["achievement"]["x-local"] = {"n": None, "list": []}
    doc["termsOfUse"] = [{"type": "Custom"}]
    back = AchievementCredential.model_validate(doc).to_dict()
    assert back["credentialSubject"]["achievement"]["x-local"] == {"n": None, "list": []}
    assert back["termsOfUse"] == [{"type": "Custom"}]


def test_numbers_keep_their_json_kind() -> None:
    doc = _minimal(credits_earned=42).to_dict()
    assert json.dumps(doc["credentialSubject"]["creditsEarned"]) == "42"
    doc["credentialSubject"]["creditsEarned"] = 42.0
    back = AchievementCredential.model_validate(doc).to_dict()
    assert json.dumps(back["credentialSubject"]["creditsEarned"]) == "42.0"


@pytest.mark.parametrize("value", ["Diploma", "Certificate", "ext:Masterclass"])
def test_achievement_type_accepts_the_ob_enumeration_and_extensions(value: str) -> None:
    Achievement(
        id="urn:x:1", name="n", description="d", criteria=Criteria(), achievement_type=value
    )


@pytest.mark.parametrize("value", ["diploma", "Diplom", "ext:", "Masterclass"])
def test_achievement_type_rejects_other_values(value: str) -> None:
    with pytest.raises(ValidationError, match="achievementType"):
        Achievement(
            id="urn:x:1", name="n", description="d", criteria=Criteria(), achievement_type=value
        )


def test_status_list_index_is_a_string() -> None:
    entry = CredentialStatus(
        id="https://s.example/1#5",
        status_purpose="revocation",
        status_list_index=5,  # type: ignore[arg-type]
        status_list_credential="https://s.example/1",
    )
    assert entry.to_dict()["statusListIndex"] == "5"
    with pytest.raises(ValidationError):
        CredentialStatus(status_purpose="revocation", status_list_credential="https://s.example/1")


def test_dates_without_timezone_are_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        AchievementCredential.model_validate(
            {**_minimal().to_dict(), "validFrom": "2026-11-20T10:00:00"}
        )
    # a naive datetime from Python code is read as UTC, as VC DM 2.0 §4.10 says for values
    naive = AchievementCredential.model_validate({**_minimal().to_dict(), "validFrom": NAIVE})
    assert naive.valid_from == "2026-01-01T00:00:00Z"
    aware = AchievementCredential.model_validate({**_minimal().to_dict(), "validFrom": AWARE})
    assert aware.valid_from == "2026-01-01T00:00:00Z"


def test_subject_needs_id_or_identifier() -> None:
    with pytest.raises(ValidationError, match="identifier"):
        AchievementSubject(
            achievement=Achievement(id="urn:x:1", name="n", description="d", criteria=Criteria())
        )


def test_context_must_start_with_vc_v2() -> None:
    doc = _minimal().to_dict()
    doc["@context"] = [OB_V3_CONTEXT, VC_V2_CONTEXT]
    with pytest.raises(ValidationError, match="@context"):
        AchievementCredential.model_validate(doc)
