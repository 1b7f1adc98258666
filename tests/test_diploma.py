"""credkit.model.diploma: every diploma of the example cohort is valid OB 3.0, signed and verifiable."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from credkit.errors import TemplateError
from credkit.identity.keys import KeyPair
from credkit.model.diploma import (
    build_diploma,
    build_endorsement,
    credential_id_for,
    issue_diploma,
    issue_endorsement,
)
from credkit.model.models import AchievementCredential
from credkit.model.roster import Graduate, read_roster
from credkit.model.schema_check import validate_endorsement, validate_ob3, validate_profile
from credkit.model.template import DiplomaTemplate, load_template

EXAMPLE = Path(__file__).parent.parent / "examples" / "postproduction"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ISSUER_SEED = bytes(range(32))
SPONSOR_SEED = bytes(range(1, 33))


@pytest.fixture(scope="module")
def template() -> DiplomaTemplate:
    return load_template(EXAMPLE / "program.toml")


@pytest.fixture(scope="module")
def graduates() -> list[Graduate]:
    return read_roster(EXAMPLE / "roster.csv").graduates


@pytest.fixture(scope="module")
def issuer_key() -> KeyPair:
    return KeyPair.from_seed(ISSUER_SEED)


def test_every_example_diploma_passes_both_schemas(
    template: DiplomaTemplate, graduates: list[Graduate], issuer_key: KeyPair
) -> None:
    assert len(graduates) == 30
    for graduate in graduates:
        doc = build_diploma(template, graduate, issuer_id=issuer_key.controller, now=NOW)
        assert validate_ob3(doc) == [], graduate.name
        assert validate_profile(doc, require_proof=False) == [], graduate.name
        assert doc["credentialSubject"]["name"] == graduate.name
        assert doc["issuer"]["id"] == issuer_key.controller
        # the e-mail itself never appears, only its salted hash
        assert graduate.email not in json.dumps(doc)


def test_signed_example_diplomas_pass_the_profile_with_proof(
    template: DiplomaTemplate, graduates: list[Graduate], issuer_key: KeyPair
) -> None:
    for graduate in graduates[::6]:
        doc = issue_diploma(template, graduate, issuer_key, now=NOW)
        assert isinstance(doc["proof"], list)
        assert validate_ob3(doc) == [] and validate_profile(doc) == []


def test_re_runs_give_the_same_credential(
    template: DiplomaTemplate, graduates: list[Graduate], issuer_key: KeyPair
) -> None:
    first = build_diploma(template, graduates[0], issuer_id=issuer_key.controller, now=NOW)
    again = build_diploma(template, graduates[0], issuer_id=issuer_key.controller, now=NOW)
    assert first == again
    key = graduates[0].key(template.achievement.id)
    assert first["id"] == credential_id_for(key, template.achievement.id)
    other = build_diploma(template, graduates[1], issuer_id=issuer_key.controller, now=NOW)
    assert other["id"] != first["id"]
    assert first["id"].startswith("urn:uuid:")


def test_dates_come_from_template_roster_and_valid_years(
    template: DiplomaTemplate, issuer_key: KeyPair
) -> None:
    graduate = Graduate(name="Võ Ngọc Trâm", email="tram.vo@example.com")
    doc = build_diploma(template, graduate, issuer_id=issuer_key.controller, now=NOW)
    assert doc["validFrom"] == "2026-11-20T04:30:00Z" == doc["awardedDate"]
    assert doc["validUntil"] == "2036-11-20T04:30:00Z"
    assert doc["credentialSubject"]["activityStartDate"] == "2026-01-12T00:00:00Z"
    late = Graduate(name="X", email="x@example.com", valid_from="2027-01-15T00:00:00Z")
    assert build_diploma(template, late, issuer_id=issuer_key.controller)["validFrom"] == (
        "2027-01-15T00:00:00Z"
    )


def test_non_ascii_names_survive_build_serialize_parse(
    template: DiplomaTemplate, graduates: list[Graduate], issuer_key: KeyPair
) -> None:
    for name in ("प्रिया शर्मा", "สมชาย ใจดี", "Nguyễn Thị Thu Hà", "রাহুল বন্দ্যোপাধ্যায়"):
        graduate = next(g for g in graduates if g.name == name)
        doc = build_diploma(template, graduate, issuer_id=issuer_key.controller, now=NOW)
        for text in (json.dumps(doc, ensure_ascii=False), json.dumps(doc)):
            back = AchievementCredential.model_validate(json.loads(text))
            assert back.credential_subject.name == name
            assert back.to_dict() == doc


def test_grades_become_results_pointing_at_the_scale(
    template: DiplomaTemplate, issuer_key: KeyPair
) -> None:
    graduate = Graduate(name="Dewi", email="dewi@example.com", grade="Distinction")
    doc = build_diploma(template, graduate, issuer_id=issuer_key.controller, now=NOW)
    (result,) = doc["credentialSubject"]["result"]
    (scale,) = doc["credentialSubject"]["achievement"]["resultDescription"]
    assert result == {"type": ["Result"], "value": "Distinction", "resultDescription": scale["id"]}
    bad = Graduate(name="Dewi", email="dewi@example.com", grade="A+", line=7)
    with pytest.raises(TemplateError, match=r"roster line 7\): grade 'A\+' is not one of"):
        build_diploma(template, bad, issuer_id=issuer_key.controller, now=NOW)


def test_status_entry_is_one_object(template: DiplomaTemplate, issuer_key: KeyPair) -> None:
    entry = {
        "id": "https://reelbridge.example/status/1#42",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "42",
        "statusListCredential": "https://reelbridge.example/status/1",
    }
    graduate = Graduate(name="A", email="a@example.com")
    doc = build_diploma(
        template, graduate, issuer_id=issuer_key.controller, status=[entry], now=NOW
    )
    assert doc["credentialStatus"] == entry
    with pytest.raises(TemplateError, match="one credentialStatus"):
        build_diploma(
            template, graduate, issuer_id=issuer_key.controller, status=[entry, entry], now=NOW
        )


def test_issuer_id_in_template_must_match_the_key(
    template: DiplomaTemplate, issuer_key: KeyPair
) -> None:
    from dataclasses import replace

    pinned = replace(template, issuer=replace(template.issuer, id="did:web:reelbridge.example"))
    with pytest.raises(TemplateError, match=r"issuer\.id"):
        build_diploma(pinned, Graduate(name="A", email="a@example.com"), issuer_id="did:key:z6Mk")


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_non_ascii_diploma_signs_and_verifies(
    suite: str, template: DiplomaTemplate, graduates: list[Graduate], issuer_key: KeyPair
) -> None:
    from credkit.proofs import verify

    graduate = next(g for g in graduates if g.name == "สมชาย ใจดี")
    signed = issue_diploma(template, graduate, issuer_key, cryptosuite=suite, now=NOW)
    assert signed["proof"][0]["cryptosuite"] == suite
    assert verify(signed).verified
    # survives a trip through UTF-8 JSON text
    again = json.loads(json.dumps(signed, ensure_ascii=False).encode("utf-8"))
    assert verify(again).verified
    tampered = json.loads(json.dumps(signed))
    tampered["credentialSubject"]["name"] = "สมชาย ใจร้าย"
    assert not verify(tampered).verified


def _sponsor_endorsement(tmp_path: Path, target_id: str) -> Path:
    request = tomllib.loads((EXAMPLE / "sponsor-endorsement.toml").read_text(encoding="utf-8"))
    sponsor = KeyPair.from_seed(SPONSOR_SEED)
    signed = issue_endorsement(
        {"type": ["Profile"], **request["endorser"]},
        target_id,
        request["endorsement"]["comment"],
        sponsor,
        name=request["endorsement"]["name"],
        now=NOW,
        created=NOW,
    )
    path = tmp_path / "sponsor-endorsement.json"
    path.write_text(json.dumps(signed, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_sponsor_endorsement_is_embedded_under_the_achievement(
    tmp_path: Path, template: DiplomaTemplate, graduates: list[Graduate], issuer_key: KeyPair
) -> None:
    from credkit.proofs import verify

    path = _sponsor_endorsement(tmp_path, template.achievement.id)
    endorsement: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert endorsement["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert endorsement["credentialSubject"]["type"] == ["EndorsementSubject"]
    assert validate_endorsement(endorsement) == []
    assert verify(endorsement).verified

    text = (EXAMPLE / "program.toml").read_text(encoding="utf-8")
    text += f'\n[[endorsement]]\nfile = "{path.name}"\n'
    (tmp_path / "program.toml").write_text(text, encoding="utf-8")
    endorsed = load_template(tmp_path / "program.toml")
    doc = issue_diploma(endorsed, graduates[0], issuer_key, now=NOW)
    assert doc["credentialSubject"]["achievement"]["endorsement"] == [endorsement]
    assert "endorsement" not in doc["issuer"]
    assert validate_ob3(doc) == [] and validate_profile(doc) == []
    assert verify(doc).verified
    assert verify(doc["credentialSubject"]["achievement"]["endorsement"][0]).verified


def test_endorsement_of_the_issuer_goes_under_issuer(
    tmp_path: Path, template: DiplomaTemplate, graduates: list[Graduate], issuer_key: KeyPair
) -> None:
    path = _sponsor_endorsement(tmp_path, issuer_key.controller)
    text = (EXAMPLE / "program.toml").read_text(encoding="utf-8")
    (tmp_path / "program.toml").write_text(text + f'\n[[endorsement]]\nfile = "{path.name}"\n')
    endorsed = load_template(tmp_path / "program.toml")
    doc = build_diploma(endorsed, graduates[0], issuer_id=issuer_key.controller, now=NOW)
    assert len(doc["issuer"]["endorsement"]) == 1
    with pytest.raises(TemplateError, match="neither the achievement"):
        build_diploma(endorsed, graduates[0], issuer_id="did:key:z6MkOther", now=NOW)


def test_unsigned_endorsement_file_is_refused(tmp_path: Path, template: DiplomaTemplate) -> None:
    unsigned = build_endorsement(
        {"id": "did:key:z6MkSponsor", "type": ["Profile"], "name": "Sponsor"},
        template.achievement.id,
        "Good programme.",
        now=NOW,
    )
    (tmp_path / "e.json").write_text(json.dumps(unsigned), encoding="utf-8")
    text = (EXAMPLE / "program.toml").read_text(encoding="utf-8")
    (tmp_path / "program.toml").write_text(text + '\n[[endorsement]]\nfile = "e.json"\n')
    with pytest.raises(TemplateError, match="is not signed"):
        load_template(tmp_path / "program.toml")


def test_issue_one_example_runs() -> None:
    import runpy

    namespace = runpy.run_path(str(EXAMPLE.parent / "issue_one.py"), run_name="not_main")
    signed = namespace["issue_one"]()
    assert validate_profile(signed) == []
