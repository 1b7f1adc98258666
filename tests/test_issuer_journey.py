"""The issuer's first hour (issue 17): what a new training program hits, through the real CLI.

Placeholder templates are refused before anything is signed; a changed template never doubles a
cohort silently (``--reissue`` replaces and revokes); ``credkit list`` maps graduates to diplomas
and ``status revoke`` takes an email, a roster id, a file or a diploma id; an empty or misnamed
roster exits 2 saying what was expected and found; the package metadata uses PEP 639.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "postproduction"


def credkit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "credkit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def own_template() -> str:
    """The example template made the Test Lab's own: every example value replaced."""
    text = (EXAMPLE / "program.toml").read_text(encoding="utf-8")
    text = text.replace("reelbridge.example", "testlab.org")
    return re.sub("reelbridge", "Testlab", text, flags=re.IGNORECASE)


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    ws = tmp_path / "lab"
    out = credkit(
        "init", str(ws), "--name", "Testlab", "--url", "https://testlab.org",
        "--base-url", "https://testlab.org/credentials",
        "--unencrypted",  # not a test of key encryption: no scrypt per command
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return ws


def roster(tmp_path: Path, text: str, name: str = "graduates.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


NAME_EMAIL = (
    "name,email\nAna Lima,ana@testlab.org\nBo Chen,bo@testlab.org\nCy Diaz,cy@testlab.org\n"
)


def issue(lab: Path, csv: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return credkit("issue-cohort", "--roster", str(csv), "--issuer-dir", str(lab), *extra)


def diplomas(lab: Path) -> list[Path]:
    return sorted((lab / "diplomas").glob("*.json"))


# --- 1. placeholders and invalid templates: refused before anything is signed -----------------


def test_the_starter_template_is_refused_naming_the_field(lab: Path, tmp_path: Path) -> None:
    out = issue(lab, roster(tmp_path, NAME_EMAIL))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "achievement.criteria" in out.stderr and "Replace this with" in out.stderr
    assert "--allow-placeholders" in out.stderr and "Traceback" not in out.stderr
    assert diplomas(lab) == []


def test_the_example_template_is_refused_in_another_issuers_workspace(
    lab: Path, tmp_path: Path
) -> None:
    (lab / "program.toml").write_text(
        (EXAMPLE / "program.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    out = issue(lab, roster(tmp_path, NAME_EMAIL))
    assert out.returncode == 2
    for field in ("issuer.name", "issuer.url", "achievement.id", "achievement.criteria_url"):
        assert f"{field}:" in out.stderr, field
    assert "reelbridge.example" in out.stderr
    assert diplomas(lab) == []


def test_a_reserved_example_domain_is_a_placeholder(lab: Path, tmp_path: Path) -> None:
    text = own_template().replace(
        'criteria_url = "https://testlab.org/', 'criteria_url = "https://school.example.com/'
    )
    (lab / "program.toml").write_text(text, encoding="utf-8")
    out = issue(lab, roster(tmp_path, NAME_EMAIL))
    assert out.returncode == 2 and "achievement.criteria_url" in out.stderr
    assert "RFC 2606" in out.stderr


def test_allow_placeholders_signs_a_trial_run(lab: Path, tmp_path: Path) -> None:
    out = issue(lab, roster(tmp_path, NAME_EMAIL), "--allow-placeholders")
    assert out.returncode == 0, out.stderr
    assert len(diplomas(lab)) == 3


def test_the_own_template_issues(lab: Path, tmp_path: Path) -> None:
    (lab / "program.toml").write_text(own_template(), encoding="utf-8")
    out = issue(lab, roster(tmp_path, NAME_EMAIL))
    assert out.returncode == 0, out.stderr
    assert len(diplomas(lab)) == 3


def test_a_template_that_cannot_make_a_diploma_stops_before_signing(
    lab: Path, tmp_path: Path
) -> None:
    """An endorsement of something else fails every row: one exit 2, not N row failures."""
    from credkit.identity.keys import KeyPair
    from credkit.model.diploma import issue_endorsement

    sponsor = KeyPair.generate()
    endorsement = issue_endorsement(
        {"name": "Sponsor", "url": "https://sponsor.org"},
        "https://elsewhere.org/achievements/other",
        "We endorse another programme.",
        sponsor,
    )
    (lab / "stray.json").write_text(json.dumps(endorsement), encoding="utf-8")
    text = own_template() + '\n[[endorsement]]\nfile = "stray.json"\n'
    (lab / "program.toml").write_text(text, encoding="utf-8")
    out = issue(lab, roster(tmp_path, NAME_EMAIL))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "nothing was signed" in out.stderr and "stray.json" in out.stderr
    assert diplomas(lab) == []


# --- 2. re-issuing --------------------------------------------------------------------------


def _status(lab: Path, ref: str) -> dict[str, int]:
    out = credkit("status", "show", ref, "--issuer-dir", str(lab), "--json")
    assert out.returncode == 0, out.stderr
    status: dict[str, int] = json.loads(out.stdout)["status"]
    return status


def test_a_changed_achievement_id_never_doubles_the_cohort(lab: Path, tmp_path: Path) -> None:
    """3 graduates, template edited, run again: 3 diplomas, not 6 (the issue's report)."""
    (lab / "program.toml").write_text(own_template(), encoding="utf-8")
    csv = roster(tmp_path, NAME_EMAIL)
    assert issue(lab, csv).returncode == 0
    first = {p.name: json.loads(p.read_text(encoding="utf-8"))["id"] for p in diplomas(lab)}
    edited = own_template().replace(
        "achievements/post-supervisor-diploma-episodic", "achievements/episodic-post-diploma"
    )
    (lab / "program.toml").write_text(edited, encoding="utf-8")

    refused = issue(lab, csv)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "--reissue" in refused.stderr and "ana@testlab.org" in refused.stderr
    assert len(diplomas(lab)) == 3

    replaced = issue(lab, csv, "--reissue")
    assert replaced.returncode == 0, replaced.stderr
    assert "replaced 3" in replaced.stdout
    now = diplomas(lab)
    assert len(now) == 3
    new_ids = {json.loads(p.read_text(encoding="utf-8"))["id"] for p in now}
    assert not new_ids & set(first.values())
    for old in first.values():
        assert _status(lab, old)["revocation"] == 1
    for new in new_ids:
        assert _status(lab, new)["revocation"] == 0
    # and the next run is quiet again
    again = issue(lab, csv)
    assert again.returncode == 0 and "already issued 3" in again.stdout


def test_reissue_with_roster_ids_replaces_at_the_same_file(lab: Path, tmp_path: Path) -> None:
    (lab / "program.toml").write_text(own_template(), encoding="utf-8")
    csv = roster(tmp_path, "id,name,email\nT-1,Ana Lima,ana@testlab.org\n")
    assert issue(lab, csv).returncode == 0
    path = lab / "diplomas" / "T-1.json"
    old = json.loads(path.read_text(encoding="utf-8"))["id"]
    (lab / "program.toml").write_text(
        own_template().replace("(2026 cohort)", "(2026 cohort, corrected)"), encoding="utf-8"
    )
    kept = issue(lab, csv)
    assert kept.returncode == 0 and "--reissue" in kept.stdout  # says how to apply the edit
    assert json.loads(path.read_text(encoding="utf-8"))["id"] == old
    assert issue(lab, csv, "--reissue").returncode == 0
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["id"] != old and "corrected" in document["name"]
    assert _status(lab, old)["revocation"] == 1
    listed = json.loads(credkit("list", "--issuer-dir", str(lab), "--json").stdout)
    assert [(r["id"], r["status"]) for r in listed] == [
        (old, "replaced"),
        (document["id"], "active"),
    ]
    assert listed[0]["replaced_by"] == document["id"]


# --- 3. list, and revoking by what an issuer knows ---------------------------------------------


def test_list_and_revoke_by_email_roster_id_and_file(lab: Path, tmp_path: Path) -> None:
    (lab / "program.toml").write_text(own_template(), encoding="utf-8")
    csv = roster(tmp_path, NAME_EMAIL + "")
    assert issue(lab, csv).returncode == 0
    listed = credkit("list", "--issuer-dir", str(lab), "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert sorted(r["name"] for r in rows) == ["Ana Lima", "Bo Chen", "Cy Diaz"]
    assert all(r["status"] == "active" and Path(r["file"]).is_file() for r in rows)
    bo = json.loads(
        credkit("list", "--issuer-dir", str(lab), "--email", "BO@testlab.org", "--json").stdout
    )
    assert [r["name"] for r in bo] == ["Bo Chen"]
    assert (
        json.loads(credkit("list", "--issuer-dir", str(lab), "--name", "diaz", "--json").stdout)[0][
            "name"
        ]
        == "Cy Diaz"
    )

    by_email = credkit("status", "revoke", "bo@testlab.org", "--issuer-dir", str(lab))
    assert by_email.returncode == 0, by_email.stderr
    assert bo[0]["id"] in by_email.stdout
    ana = next(r for r in rows if r["name"] == "Ana Lima")
    by_file = credkit("status", "revoke", ana["file"], "--issuer-dir", str(lab))
    assert by_file.returncode == 0 and ana["id"] in by_file.stdout
    text = credkit("list", "--issuer-dir", str(lab)).stdout
    assert re.search(r"Bo Chen .*revoked", text) and re.search(r"Cy Diaz .*active", text)

    unknown = credkit("status", "revoke", "nobody@testlab.org", "--issuer-dir", str(lab))
    assert unknown.returncode == 2 and "credkit list" in unknown.stderr


def test_revoke_and_suspend_take_a_roster_id(tmp_path: Path) -> None:
    ws = tmp_path / "lab"
    assert (
        credkit(
            "init",
            str(ws),
            "--name",
            "Testlab",
            "--url",
            "https://testlab.org",
            "--suspension",
            "--unencrypted",
        ).returncode
        == 0
    )
    (ws / "program.toml").write_text(own_template(), encoding="utf-8")
    csv = roster(
        tmp_path, "id,name,email\nT-1,Ana Lima,ana@testlab.org\nT-2,Bo Chen,bo@testlab.org\n"
    )
    assert issue(ws, csv).returncode == 0, "issue"
    assert credkit("status", "suspend", "T-2", "--issuer-dir", str(ws)).returncode == 0
    assert credkit("status", "revoke", "T-1", "--issuer-dir", str(ws)).returncode == 0
    rows = {
        r["roster_id"]: r["status"]
        for r in json.loads(credkit("list", "--issuer-dir", str(ws), "--json").stdout)
    }
    assert rows == {"T-1": "revoked", "T-2": "suspended"}
    assert credkit("status", "reinstate", "T-2", "--issuer-dir", str(ws)).returncode == 0


# --- 5. rosters that cannot issue anything ---------------------------------------------------


def test_a_header_only_roster_exits_2(lab: Path, tmp_path: Path) -> None:
    (lab / "program.toml").write_text(own_template(), encoding="utf-8")
    out = issue(lab, roster(tmp_path, "name,email\n"))
    assert out.returncode == 2
    assert "no graduates" in out.stderr and "name,email" in out.stderr


@pytest.mark.parametrize("text", ["", "\n"])
def test_an_empty_roster_exits_2(lab: Path, tmp_path: Path, text: str) -> None:
    (lab / "program.toml").write_text(own_template(), encoding="utf-8")
    out = issue(lab, roster(tmp_path, text))
    assert out.returncode == 2 and "name,email" in out.stderr


def test_misnamed_columns_exit_2_with_expected_and_found(lab: Path, tmp_path: Path) -> None:
    (lab / "program.toml").write_text(own_template(), encoding="utf-8")
    out = issue(lab, roster(tmp_path, "Full Name,Mail\nAna Lima,ana@testlab.org\n"))
    assert out.returncode == 2
    assert "name, email" in out.stderr and "found: Full Name, Mail" in out.stderr
    assert diplomas(lab) == []


# --- 6. packaging ----------------------------------------------------------------------------


def test_pyproject_uses_pep_639_license_metadata() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "Apache-2.0"
    assert project["project"]["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").is_file()
    assert "setuptools>=77" in project["build-system"]["requires"]  # PEP 639 support
