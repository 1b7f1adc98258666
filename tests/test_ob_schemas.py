"""credkit.model.schema_check and the shipped schemas: pinned, identical, offline."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from credkit.model.models import OB_SCHEMA_URL
from credkit.model.schema_check import (
    OB_SCHEMA_JSONLD_URL,
    OB_SCHEMA_SHA256,
    PROFILE_SCHEMA_URL,
    load_schema,
    validate,
    validate_declared,
    validate_endorsement,
    validate_ob3,
    validate_profile,
)

ROOT = Path(__file__).parent.parent
OB3 = Path(__file__).parent / "vectors" / "ob3"
SCHEMA_FILES = ["ob_v3p0_achievementcredential_schema.json", "credkit-diploma-profile.json"]


def test_official_schema_copy_matches_its_pinned_hash() -> None:
    for folder in (ROOT / "schemas", ROOT / "src" / "credkit" / "schemas"):
        data = (folder / SCHEMA_FILES[0]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == OB_SCHEMA_SHA256
    # and it is byte-identical to the vector it was taken from
    assert (ROOT / "schemas" / SCHEMA_FILES[0]).read_bytes() == (OB3 / SCHEMA_FILES[0]).read_bytes()
    assert OB_SCHEMA_SHA256 in (ROOT / "schemas" / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_packaged_schemas_are_identical_to_the_repository_copies(name: str) -> None:
    assert (ROOT / "schemas" / name).read_bytes() == (
        ROOT / "src" / "credkit" / "schemas" / name
    ).read_bytes()


def test_the_schema_is_registered_under_both_of_its_urls() -> None:
    assert load_schema(OB_SCHEMA_URL) == load_schema(OB_SCHEMA_JSONLD_URL)
    assert load_schema(PROFILE_SCHEMA_URL)["$id"] == PROFILE_SCHEMA_URL


@pytest.mark.parametrize(
    "path",
    [*sorted((OB3 / "spec-examples").glob("*.json")), OB3 / "validator-testcases" / "simple.json"],
    ids=lambda p: p.name,
)
def test_spec_examples_pass_the_official_schema(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    if "EndorsementCredential" in doc["type"]:
        assert validate_endorsement(doc) == []
    else:
        assert validate_ob3(doc) == []


def test_errors_name_the_path() -> None:
    doc = json.loads((OB3 / "validator-testcases" / "simple.json").read_text(encoding="utf-8"))
    del doc["credentialSubject"]["achievement"]["criteria"]
    doc["type"] = "OpenBadgeCredential"
    errors = validate_ob3(doc)
    assert "credentialSubject.achievement: 'criteria' is a required property" in errors
    assert any(e.startswith("type:") for e in errors)


def test_legacy_vc_1_1_credential_fails_the_ob_schema() -> None:
    doc = json.loads(
        (OB3 / "validator-testcases" / "simple-eddsa-2022-legacy-v1.json").read_text("utf-8")
    )
    assert any("validFrom" in e for e in validate_ob3(doc))


def test_a_remote_ref_is_never_fetched() -> None:
    from jsonschema.exceptions import _WrappedReferencingError  # type: ignore[import-untyped]

    from credkit.model.schema_check import registry

    assert "https://example.org/evil.json" not in registry()
    with pytest.raises(_WrappedReferencingError):
        from jsonschema import Draft201909Validator  # type: ignore[import-untyped]

        Draft201909Validator(
            {"$ref": "https://example.org/evil.json"}, registry=registry()
        ).validate({})


def test_validate_declared_checks_only_shipped_schemas() -> None:
    doc = json.loads((OB3 / "spec-examples" / "fullOpenBadge.json").read_text(encoding="utf-8"))
    assert validate_declared(doc) == {OB_SCHEMA_URL: []}
    doc["credentialSchema"].append(
        {"id": "https://unknown.example/s.json", "type": "1EdTechJsonSchemaValidator2019"}
    )
    result = validate_declared(doc)
    assert "not shipped" in result["https://unknown.example/s.json"][0]


def test_profile_reports_what_a_spec_example_lacks() -> None:
    doc = json.loads((OB3 / "validator-testcases" / "simple.json").read_text(encoding="utf-8"))
    errors = validate_profile(doc)
    assert "credentialSubject.achievement: 'achievementType' is a required property" in errors
    assert "id: 'http://example.com/credentials/3527' does not match" in " ".join(errors)
    assert validate(doc, OB_SCHEMA_URL) == []
