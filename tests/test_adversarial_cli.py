"""``credkit verify`` on hostile files: never a traceback, never a terminal the diploma controls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from credkit.cli.verify import json_safe, terminal_safe
from test_verify_cli import AT, run, write
from test_verify_helpers import signed_diploma


def test_escape_sequences_in_names_cannot_drive_the_terminal(tmp_path: Path) -> None:
    # the header is printed even when the proof fails: a name that clears the screen, conceals
    # what follows (SGR 8) and draws its own verdict must come out inert
    doc = signed_diploma()
    doc["issuer"]["name"] = "X\x1b[2J\x1b[H\u2714 verified\x1b[8m\rSchool\u202e"
    out = run([write(tmp_path, "d.json", doc), *AT])
    assert out.returncode == 1
    text = out.stdout.decode("utf-8")
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    assert "\\x1b[8m" in text and "not verified" in text


def test_lone_surrogates_do_not_crash_text_or_json_output(tmp_path: Path) -> None:
    doc = signed_diploma()
    doc["issuer"]["name"] = "Eve\ud800"
    doc["credentialSubject"]["achievement"]["name"] = "A\udfff"
    path = write(tmp_path, "d.json", json.dumps(doc))  # json escapes them as \\ud800
    for extra in ([], ["--json"]):
        out = run([path, *AT, *extra])
        assert out.returncode == 1, out.stderr
        assert b"Traceback" not in out.stderr
    parsed = json.loads(run([path, *AT, "--json"]).stdout)
    assert parsed["verdict"] == "not verified"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"\xff\xfe{", "not UTF-8"),
        (b"", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"a": 1, "a": 2}', "appears twice"),
        (b"[" * 100_000, "nested deeper"),
        (b'{"x": ' + b"9" * 10_000 + b"}", "not JSON"),
    ],
)
def test_unusable_files_exit_2_with_one_line(tmp_path: Path, body: bytes, words: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(body)
    out = run([str(path), *AT])
    assert out.returncode == 2
    assert words in out.stderr.decode("utf-8")
    assert b"Traceback" not in out.stderr


def test_directory_empty_stdin_and_bad_at_are_usage_errors(tmp_path: Path) -> None:
    assert run([str(tmp_path), *AT]).returncode == 2
    assert run(["-", *AT], stdin=b"").returncode == 2
    for at in ("not-a-date", "99999-01-01T00:00:00Z", "2026-02-30T00:00:00Z"):
        out = run([write(tmp_path, "d.json", signed_diploma()), "--at", at])
        assert out.returncode == 2 and b"Traceback" not in out.stderr


def test_terminal_safe_keeps_ordinary_text() -> None:
    assert terminal_safe("José Martí — ✔ 각 🎓") == "José Martí — ✔ 각 🎓"
    assert terminal_safe("a\nb\tc") == "a\\nb\\tc"
    assert json.loads(json_safe(json.dumps(["\udfff"], ensure_ascii=False))) == ["\udfff"]
