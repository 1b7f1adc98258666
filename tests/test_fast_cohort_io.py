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
