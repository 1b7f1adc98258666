"""After ``kill -9`` of ``issue-cohort``: no worker outlives it, and a rerun leaves no temp file.

Real processes: the cohort runs as ``python -m credkit issue-cohort`` and only that process is
killed (not its group), the way an operator or an OOM killer ends it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_cohort import EXAMPLE, credkit, make_roster

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _children(pid: int) -> set[int]:
    """Live (non-zombie) processes whose parent is ``pid``."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] not in ("Z", "X")


def _standalone_args(tmp_path: Path, rows: int) -> list[str]:
    roster = tmp_path / "roster.csv"
    make_roster(roster, rows)
    if not (tmp_path / "issuer.key").exists():
        # not a test of key encryption: a clear key spares each run its scrypt
        key = credkit("keys", "generate", "--out", str(tmp_path / "issuer.key"), "--unencrypted")
        assert key.returncode == 0
    return [
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


def test_signing_workers_die_with_a_killed_cohort(tmp_path: Path) -> None:
    args = _standalone_args(tmp_path, 3000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "credkit", *args, "--workers", "2"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline and len(workers) < 2:
            workers = _children(proc.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, "the pool never started"
        proc.send_signal(signal.SIGKILL)  # this process only: no cleanup code runs
        proc.wait(30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        survivors = [w for w in workers if _alive(w)]
        assert not survivors, f"workers {survivors} outlived the killed cohort"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        for worker in workers:  # the test's own grandchildren, by pid
            if _alive(worker):
                os.kill(worker, signal.SIGKILL)


def test_rerun_removes_stale_temp_files_of_this_roster_only(tmp_path: Path) -> None:
    args = _standalone_args(tmp_path, 5)
    first = credkit(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = tmp_path / "out"
    diplomas = sorted(p.name for p in out.glob("*.json"))
    assert len(diplomas) == 5
    # what a kill between creating and renaming leaves (write_atomic / write_atomic_many names)
    stale = [out / f".{diplomas[0]}.k3j9x_q2.tmp", out / f".{diplomas[1]}.4242.tmp"]
    foreign = [out / ".someone-else.json.abc.tmp", out / "notes.tmp"]
    for path in stale + foreign:
        path.write_bytes(b'{"half": ')
    again = credkit(*args, cwd=tmp_path)  # every diploma is already there: nothing to sign
    assert again.returncode == 0, again.stderr
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in foreign)
    assert sorted(p.name for p in out.glob("*.json")) == diplomas
