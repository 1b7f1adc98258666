"""credkit.model.roster: bad rows are reported with their line and skipped; good rows go on."""

from __future__ import annotations

from pathlib import Path

import pytest

from credkit.errors import TemplateError
from credkit.model.roster import Graduate, parse_date, parse_roster, read_roster

EXAMPLE = Path(__file__).parent.parent / "examples" / "postproduction" / "roster.csv"


def test_example_roster_reads_all_thirty_graduates() -> None:
    roster = read_roster(EXAMPLE)
    assert roster.ok, [str(e) for e in roster.errors]
    assert len(roster) == 30
    names = {g.name for g in roster}
    assert {"प्रिया शर्मा", "สมชาย ใจดี", "Nguyễn Thị Thu Hà"} <= names
    assert roster.graduates[0].line == 2 and roster.graduates[-1].line == 31


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes("\ufeffname,email\nสมชาย ใจดี,somchai@example.com\n".encode())
    roster = read_roster(path)
    assert roster.ok and roster.graduates[0].name == "สมชาย ใจดี"


def test_bad_rows_carry_line_numbers_and_the_rest_continue() -> None:
    text = (
        "name,email,validFrom,grade,extra\n"  # 1
        "Ana Santos,ana@example.com,2026-11-20,A,x\n"  # 2 ok
        ",nobody@example.com,,,\n"  # 3 missing name
        "Budi,budi-at-example.com,,,\n"  # 4 bad email
        "\n"  # 5 blank: skipped
        "Chi,chi@example.com,2026-11-20T10:00:00,,\n"  # 6 no timezone
        "Dev,dev@example.com,2026-02-30,,\n"  # 7 not a date
        "Eka,ana@example.com,,,\n"  # 8 duplicate email
        "Fah,fah@example.com,2026-11-20T10:00:00+07:00,,\n"  # 9 ok
    )
    roster = parse_roster(text, source="cohort.csv")
    assert [g.line for g in roster] == [2, 9]
    found = {(e.line, e.column) for e in roster.errors}
    assert found == {(3, "name"), (4, "email"), (6, "validFrom"), (7, "validFrom"), (8, "email")}
    messages = [str(e) for e in roster.errors]
    assert messages[0].startswith("cohort.csv:3: name: missing")
    assert any("no timezone" in m for m in messages)
    assert any("repeats line 2" in m for m in messages)


def test_line_numbers_account_for_multi_line_quoted_fields() -> None:
    text = 'name,email,notes\n"Ana",ana@example.com,"two\nlines"\n"",b@example.com,\n'
    roster = parse_roster(text)
    assert roster.errors[0].line == 4


def test_dates_plain_dates_are_midnight_utc_and_offsets_become_utc() -> None:
    assert parse_date("2026-11-20") == "2026-11-20T00:00:00Z"
    assert parse_date("2026-11-20T10:00:00+05:30") == "2026-11-20T04:30:00Z"
    assert parse_date("2026-11-20T10:00:00Z") == "2026-11-20T10:00:00Z"
    with pytest.raises(ValueError, match="timezone"):
        parse_date("2026-11-20 10:00")


def test_valid_until_before_valid_from_is_a_row_error() -> None:
    roster = parse_roster(
        "name,email,validFrom,validUntil\nA,a@example.com,2026-11-20,2025-01-01\n"
    )
    assert roster.errors[0].line == 2 and roster.errors[0].column == "validUntil"


def test_missing_required_header_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="header lacks email"):
        parse_roster("name,mail\nA,a@example.com\n")
    with pytest.raises(TemplateError, match="empty"):
        parse_roster("")


def test_headers_are_matched_loosely_and_semicolons_are_read() -> None:
    roster = parse_roster("Name;E-Mail;Valid From\nA;a@example.com;2026-11-20\n")
    assert roster.ok and roster.graduates[0].valid_from == "2026-11-20T00:00:00Z"


def test_non_utf8_file_names_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes("name,email\nJosé,j@example.com\n".encode("cp1252"))
    with pytest.raises(TemplateError, match="CSV UTF-8"):
        read_roster(path)


def test_graduate_key_and_file_name_are_stable() -> None:
    a = Graduate(name="A", email=" Ana@Example.com ")
    b = Graduate(name="A (renamed)", email="ana@example.com")
    assert a.key("urn:a") == b.key("urn:a") != a.key("urn:b")
    assert a.file_name("urn:a") == b.file_name("urn:a")
    assert a.file_name("urn:a").startswith("graduate-")
    with_id = Graduate(name="A", email="a@example.com", id="RPL26-001")
    assert with_id.key("urn:a") == "RPL26-001" and with_id.file_name("urn:a") == "RPL26-001.json"
    assert with_id.subject_id is None
    assert Graduate(name="A", email="a@x.com", id="did:key:z6Mk1").subject_id == "did:key:z6Mk1"


def test_duplicate_ids_are_row_errors() -> None:
    roster = parse_roster("id,name,email\nX1,A,a@example.com\nX1,B,b@example.com\n")
    assert [(e.line, e.column) for e in roster.errors] == [(3, "id")]
