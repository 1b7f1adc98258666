"""The pipelined cohort: one worker round trip per row, status allocated per batch up front.

A row that fails to build must leave no status index behind (the batch is rolled back and redone
without it), the rest of the batch is issued, and every diploma carries exactly its indexes.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from credkit.identity.keys import KeyPair
from credkit.issuer.cohort import issue_cohort
from credkit.issuer.store import SqliteStore
from credkit.model.roster import Graduate
from credkit.model.schema_check import validate_ob3
from credkit.model.template import load_template
from credkit.proofs import verify

EXAMPLE = Path(__file__).parent.parent / "examples" / "postproduction"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BAD = {5, 40, 41}  # validUntil before validFrom: fails in build_diploma, in the worker


def _graduates(rows: int) -> list[Graduate]:
    out = []
    for i in range(rows):
        dates = (
            {"valid_from": "2026-06-01T00:00:00Z", "valid_until": "2025-06-01T00:00:00Z"}
            if i in BAD
            else {}
        )
        out.append(Graduate(name=f"Graduate {i}", email=f"g{i}@example.com", line=i + 2, **dates))
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_failed_rows_leave_no_index_and_the_rest_is_issued(tmp_path: Path, workers: int) -> None:
    rows = 60
    template = load_template(EXAMPLE / "program.toml")
    key = KeyPair.from_seed(bytes(range(32)))
    db = tmp_path / "issuer.db"
    with SqliteStore(db, base_url="https://issuer.example") as store:
        report = issue_cohort(
            template,
            _graduates(rows),
            key,
            tmp_path / "out",
            store=store,
            workers=workers,
            batch_size=16,
            now=NOW,
        )
    assert len(report.failed) == len(BAD)
    for line, message in zip(sorted(BAD), report.failed, strict=True):
        assert f"roster line {line + 2}" in message and "validUntil" in message
    assert len(report.issued) == rows - len(BAD)
    files = sorted((tmp_path / "out").glob("*.json"))
    assert len(files) == rows - len(BAD)
    assert not list((tmp_path / "out").glob(".*.tmp"))

    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM credentials").fetchone()[0] == rows - len(BAD)
    assert con.execute("SELECT COUNT(*) FROM allocations").fetchone()[0] == rows - len(BAD)
    con.close()
    indexes = set()
    for path in files:
        doc = json.loads(path.read_bytes())
        indexes.add(doc["credentialStatus"]["statusListIndex"])
        assert validate_ob3(doc) == []
    assert len(indexes) == rows - len(BAD)
    for path in files[::10]:
        assert verify(json.loads(path.read_bytes())).verified

    # a re-run issues nothing new and leaves everything as it was
    with SqliteStore(db, base_url="https://issuer.example") as store:
        again = issue_cohort(
            template, _graduates(rows), key, tmp_path / "out", store=store, workers=workers, now=NOW
        )
    assert not again.issued and len(again.skipped) == rows - len(BAD)


def test_stale_temp_files_of_pending_diplomas_are_removed(tmp_path: Path) -> None:
    template = load_template(EXAMPLE / "program.toml")
    key = KeyPair.from_seed(bytes(range(32)))
    out = tmp_path / "out"
    out.mkdir()
    graduates = _graduates(3)[:3]
    name = graduates[0].file_name(template.achievement.id)
    stale = out / f".{name}.abc123xy.tmp"
    stale.write_bytes(b"{")
    other = out / ".unrelated.json.abc123xy.tmp"
    other.write_bytes(b"{")
    report = issue_cohort(template, graduates, key, out, store=None, workers=1, now=NOW)
    assert len(report.issued) == 3
    assert not stale.exists() and other.exists()


class _RefusingStore(SqliteStore):
    """A real store whose commit of the third batch fails half-way (a disk full, a lost race):
    what the folder shows must then be exactly the committed batches."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.flushes = 0

    def record_issued_many(self, rows):  # type: ignore[no-untyped-def]
        self.flushes += 1
        if self.flushes == 3:  # batch 3 of 16 rows, one flush each: its files are staged by now
            from credkit.errors import StoreError

            raise StoreError("the disk is full")
        return super().record_issued_many(rows)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_batch_the_store_refuses_leaves_no_file_and_no_temp_file(
    tmp_path: Path, workers: int
) -> None:
    """Files are staged while their batch is signed and renamed in only after its commit: a
    refused commit leaves none of that batch's diplomas (nor temp files) in the folder, and the
    batches committed before it are all there; a rerun finishes the roster."""
    from credkit.errors import StoreError

    template = load_template(EXAMPLE / "program.toml")
    key = KeyPair.from_seed(bytes(range(32)))
    graduates = [g for i, g in enumerate(_graduates(64)) if i not in BAD]
    out = tmp_path / "out"
    store = _RefusingStore(tmp_path / "issuer.db", base_url="https://issuer.example")
    with pytest.raises(StoreError, match="disk is full"):
        issue_cohort(
            template, graduates, key, out, store=store, workers=workers, batch_size=16, now=NOW
        )
    files = sorted(p.name for p in out.iterdir())
    assert not [f for f in files if f.endswith(".tmp")], files
    recorded = {Path(str(c.path)).name for c in store.credentials(documents=False)}
    assert len(recorded) == 32 and set(files) == recorded  # batches 1 and 2, nothing of 3
    store.close()
    with SqliteStore(tmp_path / "issuer.db") as again:
        report = issue_cohort(
            template, graduates, key, out, store=again, workers=workers, batch_size=16, now=NOW
        )
    assert len(report.issued) == len(graduates) - 32 and len(report.skipped) == 32
    assert len(list(out.glob("*.json"))) == len(graduates)
    assert not list(out.glob(".*.tmp"))


def test_two_rows_that_would_share_a_file_issue_the_first_and_refuse_the_second(
    tmp_path: Path,
) -> None:
    """Ids that differ only in case name one file on a case-insensitive disk (and a copy of the
    folder made there): the second row is refused with its line instead of overwriting the first
    row's diploma."""
    template = load_template(EXAMPLE / "program.toml")
    key = KeyPair.from_seed(bytes(range(32)))
    rows = [
        Graduate(name="Asha Rao", email="asha@example.com", id="RPL-7", line=2),
        Graduate(name="Arjun Rao", email="arjun@example.com", id="rpl-7", line=3),
    ]
    with SqliteStore(tmp_path / "issuer.db", base_url="https://issuer.example") as store:
        report = issue_cohort(template, rows, key, tmp_path / "out", store=store, now=NOW)
        assert [p.name for p in report.issued] == ["RPL-7.json"]
        assert len(report.failed) == 1 and "roster line 3" in report.failed[0]
        assert "rpl-7.json" in report.failed[0] and len(store.credentials()) == 1
    issued = json.loads((tmp_path / "out" / "RPL-7.json").read_text())
    assert issued["credentialSubject"]["name"] == "Asha Rao"
