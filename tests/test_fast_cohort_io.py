"""Batched durable writes for issue-cohort (credkit.atomic.write_atomic_many)."""

from __future__ import annotations

from pathlib import Path

import pytest

from credkit.atomic import write_atomic_many


def test_every_file_is_written_whole(tmp_path: Path) -> None:
    items = [(tmp_path / f"d{i}.json", f"diploma {i}\n".encode() * 100) for i in range(20)]
    (tmp_path / "d3.json").write_bytes(b"old")
    write_atomic_many(items)
    for path, data in items:
        assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p, _ in items)


def test_a_failed_batch_leaves_old_files_and_no_temp_files(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"old")
    items = [(tmp_path / "a.json", b"new"), (tmp_path / "missing" / "b.json", b"x")]
    with pytest.raises(FileNotFoundError):
        write_atomic_many(items)
    assert (tmp_path / "a.json").read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_the_batch_is_made_durable_before_any_file_is_renamed(tmp_path: Path) -> None:
    """The order that makes a crash safe, seen in the system calls themselves: every temp file
    is synced (one syncfs for the batch on Linux, else an fsync each) before the first rename,
    and the folder is fsynced after the last."""
    import shutil
    import subprocess
    import sys

    import pytest

    if shutil.which("strace") is None or not sys.platform.startswith("linux"):
        pytest.skip("needs strace on Linux to watch the system calls")
    probe = subprocess.run(["strace", "-o", "/dev/null", "true"], capture_output=True)
    if probe.returncode != 0:  # a container that forbids ptrace
        pytest.skip(f"strace cannot trace here: {probe.stderr.decode()[:200]}")
    script = (
        "from pathlib import Path; from credkit.atomic import write_atomic_many; "
        f"write_atomic_many([(Path({str(tmp_path)!r}) / f'd{{i}}.json', b'{{}}') "
        "for i in range(20)], mode=0o600)"
    )
    log = tmp_path / "trace.txt"
    subprocess.run(
        ["strace", "-f", "-o", str(log), "-e", "trace=syncfs,fsync,fdatasync,rename,renameat,"
         "renameat2", sys.executable, "-c", script],
        check=True, capture_output=True,
    )  # fmt: skip
    calls = [line.split("(", 1)[0].split()[-1] for line in log.read_text().splitlines()]
    calls = [c for c in calls if c in {"syncfs", "fsync", "fdatasync", "rename", "renameat",
                                        "renameat2"}]  # fmt: skip
    renames = [i for i, c in enumerate(calls) if c.startswith("rename")]
    syncs = [i for i, c in enumerate(calls) if not c.startswith("rename")]
    assert len(renames) == 20, calls
    assert syncs and syncs[0] < renames[0], calls  # durable before any rename
    assert "syncfs" in calls or calls.count("fsync") >= 21, calls
    assert syncs[-1] > renames[-1], calls  # and the folder after the renames
    assert sorted(p.name for p in tmp_path.glob("d*.json")) == sorted(
        f"d{i}.json" for i in range(20)
    )


def test_one_path_staged_twice_ends_with_the_last_bytes(tmp_path: Path) -> None:
    """As write_atomic twice: the last bytes win, no temp file is left (each staging has its own
    temp name; with one name per process the second took the first's, and publish failed)."""
    target = tmp_path / "a.json"
    write_atomic_many([(target, b"first"), (target, b"second")])
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_a_second_run_sweeps_a_dead_runs_temp_files_and_spares_a_live_ones(tmp_path: Path) -> None:
    """Two runs of one roster into one folder: a run's sweep of leftovers at its start must not
    take the files another live run has staged for a batch it is still signing (found in
    review: that run then failed after its commit); a killed run's leftovers do go."""
    import subprocess
    import sys

    from credkit.issuer.cohort import _remove_stale_temp_files

    src = str(Path(__file__).resolve().parents[1] / "src")
    live = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from credkit.atomic import StagedFiles\n"
            "s = StagedFiles(mode=0o600)\n"
            f"s.add(Path({str(tmp_path)!r}) / 'alice.json', b'{{}}')\n"
            "print('staged', flush=True); sys.stdin.readline()\n"
            "print(len(s.publish()), flush=True)\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"},
    )
    assert live.stdout is not None and live.stdin is not None
    assert live.stdout.readline().strip() == "staged"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True)  # fmt: skip
    leftover = tmp_path / f".bob.json.{int(dead.stdout)}-0.tmp"
    leftover.write_bytes(b"{")
    _remove_stale_temp_files(tmp_path, {"alice.json", "bob.json"})
    assert not leftover.exists()
    live.stdin.write("\n")
    live.stdin.flush()
    assert live.stdout.readline().strip() == "1" and live.wait(timeout=30) == 0
    assert (tmp_path / "alice.json").read_bytes() == b"{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alice.json"]
