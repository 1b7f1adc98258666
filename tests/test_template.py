"""credkit.model.template: the program template loads, and every error names the field and the fix."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from credkit.errors import TemplateError
from credkit.model.template import (
    InvalidTemplateError,
    load_template,
    parse_template,
    starter_template,
)

EXAMPLE = Path(__file__).parent.parent / "examples" / "postproduction" / "program.toml"

MINIMAL = """
[issuer]
name = "Reelbridge Post Lab"

[achievement]
id = "https://reelbridge.example/achievements/d"
name = "Diploma"
description = "A diploma."
achievementType = "Diploma"
criteria = "Delivered six episodes."
"""


def test_example_template_loads() -> None:
    template = load_template(EXAMPLE)
    assert template.achievement.achievement_type == "Diploma"
    assert "ACES" in (template.achievement.criteria.narrative or "")
    assert template.valid_from == "2026-11-20T04:30:00Z"  # 10:00 Mumbai time
    assert template.valid_years == 10
    assert template.grade is not None and template.grade.allowed_value == [
        "Distinction",
        "Merit",
        "Pass",
    ]
    assert template.issuer.address and template.issuer.address["addressLocality"] == "Mumbai"


def test_missing_criteria_names_the_path_and_the_fix() -> None:
    text = MINIMAL.replace('criteria = "Delivered six episodes."\n', "")
    with pytest.raises(TemplateError) as info:
        parse_template(text, source="program.toml")
    message = str(info.value)
    assert (
        'achievement.criteria: missing — add criteria = "What a graduate did to earn this" '
        "under [achievement]" in message
    )
    assert message.startswith("program.toml: 1 problem")


def test_all_problems_are_reported_at_once() -> None:
    text = MINIMAL.replace('name = "Reelbridge Post Lab"', 'url = "not a url"').replace(
        '"Diploma"\ncriteria', '"Diplomma"\ncriteria'
    )
    with pytest.raises(InvalidTemplateError) as info:
        parse_template(text)
    problems = info.value.problems
    assert any(p.startswith("issuer.name: missing — add name = ") for p in problems)
    assert any(p.startswith("issuer.url: 'not a url' is not an http(s) URL") for p in problems)
    assert any("achievementType" in p and "did you mean 'Diploma'" in p for p in problems)


def test_typos_and_misplaced_keys_get_suggestions() -> None:
    text = MINIMAL + 'fieldofstudy = "Film"\n' + "valid_years = 5\n"
    with pytest.raises(InvalidTemplateError) as info:
        parse_template(text.replace("valid_years = 5\n", ""))
    assert (
        "achievement.fieldofstudy: unknown key — did you mean fieldOfStudy?" in info.value.problems
    )
    with pytest.raises(InvalidTemplateError) as info:
        parse_template("valid_years = 5\n" + MINIMAL)
    assert "valid_years: unknown top-level key — move it under [credential]" in info.value.problems


def test_dates_need_a_timezone_and_years_or_until_not_both() -> None:
    with pytest.raises(InvalidTemplateError) as info:
        parse_template(MINIMAL + "[credential]\nvalidFrom = 2026-11-20T10:00:00\n")
    assert any("credential.validFrom: has no timezone" in p for p in info.value.problems)
    with pytest.raises(InvalidTemplateError, match="not both"):
        parse_template(MINIMAL + "[credential]\nvalid_years = 5\nvalidUntil = 2031-01-01\n")


def test_bad_toml_is_a_template_error_not_a_traceback() -> None:
    with pytest.raises(TemplateError, match="not valid TOML"):
        parse_template('[issuer\nname = "x"')


def test_missing_endorsement_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "program.toml"
    path.write_text(MINIMAL + '[[endorsement]]\nfile = "nope.json"\n', encoding="utf-8")
    with pytest.raises(InvalidTemplateError, match=r"endorsement\[0\]\.file: cannot read"):
        load_template(path)


def test_starter_template_is_valid_toml_and_loads() -> None:
    text = starter_template('Reelbridge "Post" Lab', "https://reelbridge.example/")
    doc = tomllib.loads(text)
    assert doc["issuer"]["name"] == 'Reelbridge "Post" Lab'
    template = parse_template(text)
    assert template.achievement.id == "https://reelbridge.example/achievements/diploma"
    assert template.issuer.email == "registrar@reelbridge.example"


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="credkit init"):
        load_template(tmp_path / "none.toml")
