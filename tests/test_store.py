"""The issuer store: random never-reused indexes, one transaction per issuance, final revocation,
and nothing lost when two processes write at once or one is killed with SIGKILL."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from credkit.errors import StoreError
from credkit.issuer.store import IssuerStore, SqliteStore, email_hash, serialize_credential
from credkit.status import Bitstring

BASE = "https://diplomas.example.edu"
WORKER = Path(__file__).with_name("store_worker.py")
SRC = Path(__file__).resolve().parents[1] / "src"


def build_for(credential_id: str) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    def build(entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": credential_id,
            "type": ["VerifiableCredential"],
            "issuer": "did:example:issuer",
            "credentialSubject": {"name": "Ada"},
            "credentialStatus": entries,
        }

    return build


def issue(store: SqliteStore, cid: str, purposes: tuple[str, ...] = ("revocation",)) -> Any:
    return store.issue(cid, list(purposes), build_for(cid))


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "issuer.db", base_url=BASE)


def test_sqlite_store_implements_the_issuer_store_interface(store: SqliteStore) -> None:
    assert isinstance(store, IssuerStore)


def test_store_file_is_private_and_in_wal_mode(tmp_path: Path, store: SqliteStore) -> None:
    path = tmp_path / "issuer.db"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_issue_allocates_entries_records_the_document_and_its_digest(store: SqliteStore) -> None:
    rec = store.issue(
        "urn:uuid:1",
        ["revocation", "suspension"],
        build_for("urn:uuid:1"),
        subject_name="Ada Lovelace",
        email=" Ada@Example.edu ",
        subject_key="cohort-2026/ada",
        path="out/ada.json",
    )
    assert [e["statusPurpose"] for e in rec.status_entries] == ["revocation", "suspension"]
    urls = {e["statusListCredential"] for e in rec.status_entries}
    assert urls == {f"{BASE}/status/1", f"{BASE}/status/2"}
    for e in rec.status_entries:
        assert isinstance(e["statusListIndex"], str) and e["id"].endswith(
            "#" + e["statusListIndex"]
        )
    stored = store.credential("urn:uuid:1")
    assert stored is not None and stored.document is not None
    assert stored.json()["credentialStatus"] == rec.status_entries
    assert stored.digest == __import__("hashlib").sha256(stored.document).hexdigest()
    assert stored.document == serialize_credential(stored.json())
    assert stored.email_hash == email_hash("ada@example.edu") and "@" not in stored.email_hash
    assert stored.subject_name == "Ada Lovelace" and stored.path == "out/ada.json"
    assert store.get_status("urn:uuid:1") == {"revocation": 0, "suspension": 0}
    assert [(i.id, i.purpose, i.allocated) for i in store.lists()] == [
        (1, "revocation", 1),
        (2, "suspension", 1),
    ]


def test_indexes_are_random_not_sequential(store: SqliteStore) -> None:
    idx = [int(issue(store, f"urn:c:{i}").status_entries[0]["statusListIndex"]) for i in range(50)]
    assert len(set(idx)) == 50
    assert idx != sorted(idx)
    assert max(idx) > 10_000  # 50 sequential indexes would all be < 50


def test_rerun_with_the_same_subject_key_returns_the_first_issuance(store: SqliteStore) -> None:
    first = store.issue("urn:a", ["revocation"], build_for("urn:a"), subject_key="row-7")
    again = store.issue("urn:b", ["revocation"], build_for("urn:b"), subject_key="row-7")
    assert again.id == "urn:a" and again.status_entries == first.status_entries
    assert store.find_by_subject_key("row-7") == store.credential("urn:a")
    assert store.credential("urn:b") is None
    assert store.lists()[0].allocated == 1


def test_allocate_outside_a_transaction_is_refused(store: SqliteStore) -> None:
    with pytest.raises(StoreError, match="transaction"):
        store.allocate("revocation", "urn:x")


def test_an_allocation_without_its_credential_record_cannot_commit(store: SqliteStore) -> None:
    with pytest.raises(StoreError, match="refused"), store.transaction():
        store.allocate("revocation", "urn:orphan")
    assert store.lists() == []  # even the new list was rolled back


def test_a_failing_build_leaves_nothing_behind(store: SqliteStore) -> None:
    issue(store, "urn:ok")

    def boom(entries: list[dict[str, Any]]) -> dict[str, Any]:
        raise RuntimeError("signing failed")

    with pytest.raises(RuntimeError):
        store.issue("urn:bad", ["revocation", "suspension"], boom)
    assert store.credential("urn:bad") is None
    assert [(i.purpose, i.allocated) for i in store.lists()] == [("revocation", 1)]
    assert store.check_consistency() == []


def test_a_document_whose_status_disagrees_with_the_allocation_is_refused(
    store: SqliteStore,
) -> None:
    def forged(entries: list[dict[str, Any]]) -> dict[str, Any]:
        doc = build_for("urn:f")(entries)
        doc["credentialStatus"][0]["statusListIndex"] = "0"
        return doc

    with pytest.raises(StoreError, match="does not match"):
        store.issue("urn:f", ["revocation"], forged)
    with pytest.raises(StoreError, match="does not match"):
        store.record_issued(
            "urn:g",
            build_for("urn:g")([{"type": "BitstringStatusListEntry"}]),
        )
    assert store.credential("urn:f") is None and store.lists() == []


def test_credential_ids_are_unique(store: SqliteStore) -> None:
    issue(store, "urn:dup")
    with pytest.raises(StoreError):
        issue(store, "urn:dup")
    assert store.lists()[0].allocated == 1


def test_a_full_list_opens_a_new_one_and_never_reuses_an_index(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db", base_url=BASE, list_length=16)
    seen = set()
    for i in range(40):
        e = issue(store, f"urn:{i}").status_entries[0]
        seen.add((e["statusListCredential"], int(e["statusListIndex"])))
    assert len(seen) == 40
    infos = store.lists()
    assert [(i.url, i.allocated) for i in infos] == [
        (f"{BASE}/status/1", 16),
        (f"{BASE}/status/2", 16),
        (f"{BASE}/status/3", 8),
    ]
    assert {i for u, i in seen if u.endswith("/1")} == set(range(16))


def test_revocation_is_final_and_suspension_reversible(store: SqliteStore) -> None:
    rec = issue(store, "urn:r", ("revocation", "suspension"))
    rev = next(e for e in rec.status_entries if e["statusPurpose"] == "revocation")
    assert store.set_status("urn:r", "suspension", 1, reason="inquiry") is True
    assert store.set_status("urn:r", "suspension", 1) is False  # already suspended
    assert store.set_status("urn:r", "suspension", 0, reason="cleared") is True
    assert store.set_status("urn:r", "revocation", True, reason="fraud") is True
    with pytest.raises(StoreError, match="final"):
        store.set_status("urn:r", "revocation", 0)
    assert store.get_status("urn:r") == {"revocation": 1, "suspension": 0}
    assert store.bitstring(rev["statusListCredential"]).get(int(rev["statusListIndex"])) == 1
    assert store.bitstring(1).count() == 1
    assert [(h.purpose, h.value, h.reason) for h in store.history("urn:r")] == [
        ("suspension", 1, "inquiry"),
        ("suspension", 0, "cleared"),
        ("revocation", 1, "fraud"),
    ]
    before = store.lists()[0].version
    store.set_status("urn:r", "revocation", 1)
    assert store.lists()[0].version == before  # no change, no new version to publish


def test_status_of_unknown_credentials_or_purposes_is_an_error(store: SqliteStore) -> None:
    issue(store, "urn:only-rev")
    with pytest.raises(StoreError, match="no credential"):
        store.set_status("urn:nobody", "revocation", 1)
    with pytest.raises(StoreError, match="without a suspension"):
        store.set_status("urn:only-rev", "suspension", 1)
    with pytest.raises(StoreError):
        store.get_status("urn:nobody")
    with pytest.raises(StoreError):
        store.set_status("urn:only-rev", "revocation", 2)


def test_base_url_is_fixed_once_lists_exist(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    issue(SqliteStore(path, base_url=BASE + "/"), "urn:1")
    assert SqliteStore(path).base_url == BASE
    with pytest.raises(StoreError, match="cannot move"):
        SqliteStore(path, base_url="https://elsewhere.example")
    with pytest.raises(StoreError, match="base_url"):
        issue(SqliteStore(tmp_path / "fresh.db"), "urn:2")


def test_bitstring_from_the_store_is_a_full_size_list(store: SqliteStore) -> None:
    issue(store, "urn:1")
    bits = store.bitstring(1)
    assert isinstance(bits, Bitstring) and len(bits) == 131_072
    with pytest.raises(StoreError):
        store.bitstring(99)


# --- real processes ----------------------------------------------------------------------------


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC)}


def _worker(*args: str, start_at: float = 0.0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**_env(), "STORE_WORKER_START_AT": str(start_at)},
    )


def test_two_processes_allocating_500_each_get_1000_distinct_indexes(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    SqliteStore(path, base_url=BASE)  # create the schema once; the race is on allocation
    start = time.time() + 1.5  # both import credkit first, then start at the same instant
    procs = [_worker("issue", path, BASE, name, "500", start_at=start) for name in ("a", "b")]
    spans = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert out.count("issued ") == 500
        times = dict(line.split() for line in out.splitlines() if line.startswith(("start", "end")))
        spans.append((float(times["start"]), float(times["end"])))
    # the two really wrote at the same time (SQLite does not queue fairly, so the interleaving
    # of their commits varies; the overlap of their lifetimes does not)
    (a0, a1), (b0, b1) = spans
    assert max(a0, b0) < min(a1, b1), f"no overlap: {spans}"
    store = SqliteStore(path)
    creds = store.credentials()
    assert len(creds) == 1000
    indexes = [
        (e["statusListCredential"], e["statusListIndex"]) for c in creds for e in c.status_entries
    ]
    assert len(set(indexes)) == 1000
    assert store.lists()[0].allocated == 1000
    assert store.check_consistency() == []


def _parse(lines: list[str]) -> tuple[set[str], list[tuple[str, str, int]]]:
    issued, changes = set(), []
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and parts[0] == "issued":
            issued.add(parts[1])
        elif len(parts) == 4 and parts[0] == "status":
            changes.append((parts[1], parts[2], int(parts[3])))
    return issued, changes


@pytest.mark.slow
def test_sigkill_mid_issuance_loses_nothing_and_leaves_no_half_state(tmp_path: Path) -> None:
    path = str(tmp_path / "crash.db")
    SqliteStore(path, base_url=BASE, list_length=64)  # small lists: kills also hit list creation
    rng = random.Random()
    reported_issued: set[str] = set()
    reported_changes: list[tuple[str, str, int]] = []
    for round_ in range(8):
        proc = _worker("churn", path, BASE, f"r{round_}", "0", "64")
        assert proc.stdout is not None
        first = proc.stdout.readline()  # it is running and committing
        assert first, proc.stderr.read() if proc.stderr else ""
        time.sleep(rng.uniform(0.05, 0.6))
        os.kill(proc.pid, signal.SIGKILL)
        # read through the buffer readline() filled: communicate() reads the pipe itself and
        # drops the lines buffered there (on a loaded machine several, and the test failed)
        rest = proc.stdout.read()
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        lines = [first, *rest.splitlines()]
        if lines[-1] and not rest.endswith("\n"):
            lines = lines[:-1]  # a line cut by the kill says nothing
        issued, changes = _parse(lines)
        reported_issued |= issued
        reported_changes += changes

        store = SqliteStore(path)
        assert store.check_consistency() == [], f"round {round_}"
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            orphans = db.execute(
                "SELECT count(*) FROM allocations a LEFT JOIN credentials c "
                "ON c.id = a.credential_id WHERE c.id IS NULL"
            ).fetchone()[0]
            assert orphans == 0
            bare = db.execute(
                "SELECT count(*) FROM credentials c WHERE (SELECT count(*) FROM allocations a "
                "WHERE a.credential_id = c.id) != 2"
            ).fetchone()[0]
            assert bare == 0
        # nothing a process reported as committed is missing
        for cid in reported_issued:
            assert store.credential(cid) is not None, cid
        logged = [
            (h.credential_id, h.purpose, h.value) for c in reported_issued for h in store.history(c)
        ]
        for change in reported_changes:
            assert change in logged, change
        store.close()
    store = SqliteStore(path)
    assert len(reported_issued) > 20, "the workers barely ran; kill timing proved nothing"
    assert len(store.lists()) > 2
    # and the store still works after all those kills
    issue(store, "urn:after-the-crashes", ("revocation", "suspension"))
    assert store.check_consistency() == []
    print(json.dumps({"issued": len(store.credentials()), "changes": len(reported_changes)}))


# --- the status command group (mounted into `credkit` by the lead) -----------------------------


def test_status_commands_revoke_suspend_reinstate_show_and_publish(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from credkit import proofs
    from credkit.cli.status import status
    from credkit.identity.keys import KeyPair

    db = tmp_path / "issuer.db"
    issue(SqliteStore(db, base_url=BASE), "urn:c1", ("revocation", "suspension"))
    key = tmp_path / "key.json"
    KeyPair.generate().save(key)
    run = CliRunner().invoke
    s = ["--store", str(db)]

    r = run(status, [*s, "suspend", "urn:c1", "--reason", "inquiry"])
    assert r.exit_code == 0 and "suspended" in r.output
    r = run(status, [*s, "reinstate", "urn:c1"])
    assert r.exit_code == 0 and "reinstated" in r.output
    r = run(status, [*s, "revoke", "urn:c1", "--reason", "fraud"])
    assert r.exit_code == 0 and "revoked" in r.output
    r = run(status, [*s, "reinstate", "urn:c1"])
    assert r.exit_code == 0 and "already reinstated" in r.output
    r = run(status, [*s, "show", "urn:c1", "--json"])
    shown = json.loads(r.output)
    assert shown["status"] == {"revocation": 1, "suspension": 0}
    assert [h["reason"] for h in shown["history"]] == ["inquiry", None, "fraud"]
    r = run(status, [*s, "show"])
    assert f"{BASE}/status/1" in r.output and "1 set" in r.output

    r = run(status, [*s, "publish", "--key", str(key), "--out", str(tmp_path / "site")])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "site" / "status" / "1").read_text())
    assert proofs.verify(doc).verified

    r = run(status, [*s, "revoke", "urn:nobody"])
    assert r.exit_code == 2 and "no credential urn:nobody" in r.output
    r = run(status, ["--store", str(db), "--base-url", "https://moved.example", "show"])
    assert r.exit_code == 2 and "cannot move" in r.output
