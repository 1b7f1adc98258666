"""Cohort issuance: one diploma per graduate, whatever happens (real processes, real SIGKILL)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from credkit.model.schema_check import validate_ob3
from credkit.proofs import verify

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "postproduction"
NAMES = [
    "प्रिया शर्मा",
    "สมชาย ใจดี",
    "Nguyễn Thị Thu Hà",
    "María Dela Cruz",
    "Budi Santoso",
    "Trần Văn Đức",
    "อรุณี ศรีสุข",
]


def credkit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "credkit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def make_roster(path: Path, rows: int, bad: dict[int, tuple[str, str]] | None = None) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "email"])
        for i in range(rows):
            name, email = (bad or {}).get(
                i, (f"{NAMES[i % len(NAMES)]} {i}", f"grad{i}@example.com")
            )
            writer.writerow([name, email])


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    out = credkit(
        "init", str(ws), "--name", "Reelbridge Post Lab", "--base-url", "https://reelbridge.example",
        "--unencrypted",  # not a test of key encryption: no scrypt per process
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    (ws / "program.toml").write_text(
        (EXAMPLE / "program.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return ws


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.json"))
    }


def test_example_cohort_is_idempotent(workspace: Path) -> None:
    first = credkit(
        "issue-cohort", "--roster", str(EXAMPLE / "roster.csv"), "--issuer-dir", str(workspace)
    )
    assert first.returncode == 0, first.stderr
    before = _digests(workspace / "diplomas")
    assert len(before) >= 30
    again = credkit(
        "issue-cohort", "--roster", str(EXAMPLE / "roster.csv"), "--issuer-dir", str(workspace)
    )
    assert again.returncode == 0 and f"already issued {len(before)}" in again.stdout
    assert _digests(workspace / "diplomas") == before  # the already issued are untouched
    for name in before:
        doc = json.loads((workspace / "diplomas" / name).read_text(encoding="utf-8"))
        assert verify(doc).verified
        assert validate_ob3(doc) == []
        assert doc["credentialStatus"]["statusListCredential"].startswith(
            "https://reelbridge.example/status/"
        )


def test_bad_rows_are_reported_with_line_numbers_and_the_rest_proceed(
    workspace: Path, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    make_roster(roster, 10, bad={3: ("", "nobody@example.com"), 6: ("Somchai", "not-an-email")})
    out = credkit("issue-cohort", "--roster", str(roster), "--issuer-dir", str(workspace))
    assert out.returncode == 1
    assert "issued 8" in out.stdout
    assert ":5:" in out.stderr and ":8:" in out.stderr  # header is line 1, row i is line i + 2
    assert len(list((workspace / "diplomas").glob("*.json"))) == 8


def _kill_midway(
    args: list[str], cwd: Path, out_dir: Path, target: int, limit: float = 120.0
) -> int:
    """Run the cohort and SIGKILL its whole process group once ``target`` diplomas exist.

    Killing on progress rather than after a fixed time keeps the kill mid-run however fast
    issuing gets (the signal then lands at a random point inside a batch)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "credkit", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the signal reaches the signing workers too
    )
    deadline = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < deadline:
        if out_dir.exists() and sum(1 for _ in out_dir.glob("*.json")) >= target:
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return proc.returncode


@pytest.mark.slow
def test_killed_cohort_rerun_gives_exactly_one_verifying_diploma_each(
    workspace: Path, tmp_path: Path
) -> None:
    rows = 1000
    roster = tmp_path / "roster.csv"
    make_roster(roster, rows)
    args = ["issue-cohort", "--roster", str(roster), "--issuer-dir", str(workspace)]
    target = random.randint(1, rows // 2)
    code = _kill_midway(args, tmp_path, workspace / "diplomas", target)
    written = len(list((workspace / "diplomas").glob("*.json")))
    print(f"killed at {target} diplomas (exit {code}); {written} written when it died")
    assert code == -signal.SIGKILL, "the run finished before it could be killed"
    assert written < rows
    # no half-written file is ever visible
    for path in (workspace / "diplomas").glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))

    out = credkit(*args, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    files = sorted((workspace / "diplomas").glob("*.json"))
    assert len(files) == rows
    ids, indexes = set(), set()
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        ids.add(doc["id"])
        indexes.add(doc["credentialStatus"]["statusListIndex"])
        assert verify(doc).verified, path
    assert len(ids) == rows and len(indexes) == rows

    db = sqlite3.connect(workspace / "issuer.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT COUNT(*) FROM credentials").fetchone()[0] == rows
    assert db.execute("SELECT COUNT(DISTINCT idx) FROM allocations").fetchone()[0] == rows
    db.close()


@pytest.mark.slow
def test_killed_standalone_cohort_rerun(tmp_path: Path) -> None:
    """With --template and --key only (no workspace, no store): files decide."""
    rows = 200
    roster = tmp_path / "roster.csv"
    make_roster(roster, rows)
    assert credkit("keys", "generate", "--out", str(tmp_path / "issuer.key")).returncode == 0
    args = [
        "issue-cohort",
        "--roster",
        str(roster),
        "--template",
        str(EXAMPLE / "program.toml"),
        "--key",
        str(tmp_path / "issuer.key"),
        "--out",
        str(tmp_path / "out"),
        "--allow-placeholders",  # the example template, standalone: no issuer of its own
    ]
    _kill_midway(args, tmp_path, tmp_path / "out", random.randint(1, rows // 2))
    out = credkit(*args, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    files = sorted((tmp_path / "out").glob("*.json"))
    assert len(files) == rows
    assert not list((tmp_path / "out").glob(".*.tmp"))
    assert all(verify(json.loads(p.read_text(encoding="utf-8"))).verified for p in files)


def test_workspace_without_base_url_refuses_to_issue_revocable_diplomas(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert credkit("init", str(ws), "--name", "Lab", "--unencrypted").returncode == 0
    (ws / "program.toml").write_text(
        (EXAMPLE / "program.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    out = credkit("issue-cohort", "--roster", str(EXAMPLE / "roster.csv"), "--issuer-dir", str(ws))
    assert out.returncode == 2 and "base_url" in out.stderr


def test_init_refuses_an_existing_workspace(workspace: Path) -> None:
    key_before = (workspace / "issuer.key").read_bytes()
    out = credkit("init", str(workspace), "--name", "Other")
    assert out.returncode == 2
    assert (workspace / "issuer.key").read_bytes() == key_before
    start = time.monotonic()
    assert time.monotonic() - start < 1


def test_legacy_proof_adds_an_ed25519signature2020_proof(workspace: Path) -> None:
    out = credkit(
        "issue-cohort",
        "--roster",
        str(EXAMPLE / "roster.csv"),
        "--issuer-dir",
        str(workspace),
        "--legacy-proof",
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(next((workspace / "diplomas").glob("*.json")).read_text(encoding="utf-8"))
    assert [p["type"] for p in doc["proof"]] == ["DataIntegrityProof", "Ed25519Signature2020"]
    assert "https://w3id.org/security/suites/ed25519-2020/v1" in doc["@context"]
    result = verify(doc)
    assert result.verified and {r.suite for r in result.results} == {
        "eddsa-rdfc-2022",
        "Ed25519Signature2020",
    }
    assert validate_ob3(doc) == []
