"""One behaviour, two backends: every test here runs on SQLite and on PostgreSQL.

The PostgreSQL server is started by the suite itself from the system's binaries (initdb, pg_ctl)
on a free port in a temp dir, once per session; each test gets a database of its own. Without
the binaries the PostgreSQL half is skipped with the reason. The multi-process cases are the
promises replicas rely on: no index handed out twice, one diploma per roster row, offers claimed
once, and no revocation lost between a write and a publish.
"""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import pg_server
from credkit.errors import StoreError
from credkit.issuer.offers import PURGE_BATCH, OfferError, TokenLimitError
from credkit.issuer.store import (
    DuplicateCredentialError,
    IssueRow,
    IssuerStore,
    SqlIssuerStore,
    SqliteStore,
    email_hash,
    serialize_credential,
)
from credkit.status import Bitstring, StatusSpec
from test_store import BASE, build_for, issue

WORKER = Path(__file__).with_name("store_worker.py")
SRC = Path(__file__).resolve().parents[1] / "src"
_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg() -> Iterator[pg_server.PgServer]:
    if pg_server.binaries() is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on PATH or /usr/lib/postgresql")
    try:
        server = pg_server.shared()  # one server for every module that asks; stopped at exit
    except RuntimeError as exc:
        pytest.skip(f"PostgreSQL did not start here: {exc}")
    yield server
    from credkit.issuer.store_pg import close_pools

    close_pools()


@dataclass
class Backend:
    """One store location (a SQLite file, a PostgreSQL database) and raw SQL on it."""

    kind: str
    target: str

    def open(self, **kwargs: Any) -> SqlIssuerStore:
        if self.kind == "sqlite":
            return SqliteStore(self.target, **kwargs)
        from credkit.issuer.store_pg import PostgresStore

        return PostgresStore(self.target, **kwargs)

    def raw(self, sql: str) -> list[tuple[Any, ...]]:
        """Run SQL outside credkit (a tamperer, an inspection); raises the engine's error."""
        if self.kind == "sqlite":
            with sqlite3.connect(self.target, isolation_level=None) as db:
                return db.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.target, autocommit=True) as conn:
            cur = conn.execute(sql.encode())
            return cur.fetchall() if cur.description else []

    @property
    def integrity_error(self) -> type[Exception]:
        if self.kind == "sqlite":
            return sqlite3.IntegrityError
        import psycopg

        return psycopg.Error


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield Backend("sqlite", str(tmp_path / "issuer.db"))
        return
    server: pg_server.PgServer = request.getfixturevalue("pg")
    import psycopg

    name = f"t{os.getpid()}_{next(_names)}"
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    yield Backend("postgresql", server.db_url(name))
    from credkit.issuer.store_pg import close_pools

    close_pools()  # this test's pool: its connections and threads end with it


@pytest.fixture
def store(backend: Backend) -> SqlIssuerStore:
    return backend.open(base_url=BASE, actor="tester@lab")


# --- records and allocation --------------------------------------------------------------------


def test_implements_the_issuer_store_interface(store: SqlIssuerStore) -> None:
    assert isinstance(store, IssuerStore)


def test_issue_records_entries_document_and_digest(store: SqlIssuerStore) -> None:
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
    assert {e["statusListCredential"] for e in rec.status_entries} == {
        f"{BASE}/status/1",
        f"{BASE}/status/2",
    }
    stored = store.credential("urn:uuid:1")
    assert stored is not None and stored.document is not None
    assert stored.json()["credentialStatus"] == rec.status_entries
    assert stored.document == serialize_credential(stored.json())
    assert stored.digest == __import__("hashlib").sha256(stored.document).hexdigest()
    assert stored.email_hash == email_hash("ada@example.edu")
    assert stored.subject_name == "Ada Lovelace" and stored.path == "out/ada.json"
    assert store.get_status("urn:uuid:1") == {"revocation": 0, "suspension": 0}
    assert [(i.id, i.purpose, i.allocated) for i in store.lists()] == [
        (1, "revocation", 1),
        (2, "suspension", 1),
    ]
    assert store.find_by_subject_key("cohort-2026/ada") == stored
    listed = store.credentials(documents=False)
    assert [c.id for c in listed] == ["urn:uuid:1"] and listed[0].document is None


def test_indexes_are_random_not_sequential(store: SqlIssuerStore) -> None:
    idx = [int(issue(store, f"urn:c:{i}").status_entries[0]["statusListIndex"]) for i in range(40)]
    assert len(set(idx)) == 40 and idx != sorted(idx) and max(idx) > 10_000


def test_a_batch_gets_distinct_uniform_indexes_in_no_issue_order(store: SqlIssuerStore) -> None:
    """allocate_many (a cohort batch): every id its own index, spread over the whole list (a
    lopsided draw would show in the halves and in the correlation with issue order)."""
    ids = [f"urn:batch:{i}" for i in range(600)]
    slots = _issue_batch(store, ids)
    idx = [s.list_index for s in slots]
    assert len(set(idx)) == 600 and all(0 <= i < 131_072 for i in idx)
    low = sum(i < 65_536 for i in idx)
    assert 240 < low < 360  # a fair coin 600 times: outside this is p < 1e-6
    n = len(idx)
    mean_i, mean_x = (n - 1) / 2, sum(idx) / n
    cov = sum((k - mean_i) * (x - mean_x) for k, x in enumerate(idx))
    sd = (sum((k - mean_i) ** 2 for k in range(n)) * sum((x - mean_x) ** 2 for x in idx)) ** 0.5
    assert abs(cov / sd) < 0.2  # no trace of issue order
    for cid, slot in zip(ids[:5], slots, strict=False):
        assert store.credential(cid).status_entries == [_slot_entry(slot)]  # type: ignore[union-attr]
    assert store.check_consistency() == []
    assert [e.action for e in store.audit_entries()].count("issue") == 600
    assert store.verify_audit() == []


def _issue_batch(store: SqlIssuerStore, ids: list[str]) -> list[Any]:
    """A cohort batch through the batch calls: allocate every id, record every credential."""
    with store.transaction():
        slots = store.allocate_many("revocation", ids)
        rows = [
            IssueRow(c, build_for(c)([_slot_entry(s)])) for c, s in zip(ids, slots, strict=True)
        ]
        store.record_issued_many(rows)
    return slots


def _slot_entry(slot: Any) -> dict[str, Any]:
    from credkit.status import status_entry

    return status_entry(slot.list_url, slot.list_index, "revocation")


def test_a_batch_fills_a_list_and_continues_in_the_next(backend: Backend) -> None:
    store = backend.open(base_url=BASE, list_length=16)
    issue(store, "urn:before")
    ids = [f"urn:b:{i}" for i in range(37)]
    slots = _issue_batch(store, ids)
    assert len({(s.list_url, s.list_index) for s in slots}) == 37
    assert [i.allocated for i in store.lists()] == [16, 16, 6]


def test_a_batch_with_one_bad_row_records_nothing(store: SqlIssuerStore) -> None:
    """record_issued_many checks every row as record_issued does; one mismatch fails the call
    and its transaction, allocations included."""
    ids = ["urn:ok:1", "urn:ok:2", "urn:bad"]
    with pytest.raises(StoreError, match="does not match"), store.transaction():
        slots = store.allocate_many("revocation", ids)
        rows = [
            IssueRow(c, build_for(c)([_slot_entry(s)])) for c, s in zip(ids, slots, strict=True)
        ]
        rows[2] = IssueRow("urn:bad", build_for("urn:bad")([_slot_entry(slots[0])]))
        store.record_issued_many(rows)
    assert store.credentials(documents=False) == []
    assert all(i.allocated == 0 for i in store.lists())
    assert store.audit_entries() == []
    with pytest.raises(StoreError, match="twice"), store.transaction():
        store.allocate_many("revocation", ["urn:x", "urn:x"])


def test_audit_entries_held_to_the_end_of_a_block_chain_as_if_written_at_once(
    backend: Backend,
) -> None:
    """audit_at_commit (a cohort batch): the block's entries are appended when it ends, in
    order, in its transaction; a block that fails appends none, its changes rolled back too."""
    store = backend.open(base_url=BASE)
    issue(store, "urn:first")
    with store.transaction(), store.audit_at_commit():
        slots = store.allocate_many("revocation", ["urn:a", "urn:b"])
        rows = [
            IssueRow(c, build_for(c)([_slot_entry(s)]))
            for c, s in zip(["urn:a", "urn:b"], slots, strict=True)
        ]
        assert store.record_issued_many(rows[:1]) and store.audit("note", detail={"n": 1}) is None
        store.record_issued_many(rows[1:])
        assert [e.action for e in store.audit_entries()] == ["issue"]  # nothing yet
    entries = store.audit_entries()
    assert [(e.action, e.credential_id) for e in entries] == [
        ("issue", "urn:first"),
        ("issue", "urn:a"),
        ("note", None),
        ("issue", "urn:b"),
    ]
    assert store.verify_audit() == []
    with pytest.raises(StoreError, match="refused"), store.transaction(), store.audit_at_commit():
        store.allocate_many("revocation", ["urn:orphan"])  # no record: the commit is refused
    with pytest.raises(RuntimeError), store.transaction(), store.audit_at_commit():
        issue(store, "urn:gone")
        raise RuntimeError("the batch failed")
    assert len(store.audit_entries()) == 4 and store.credential("urn:gone") is None
    assert store.verify_audit() == [] and store.check_consistency() == []
    with pytest.raises(StoreError, match="transaction"), store.audit_at_commit():
        pass


def test_a_block_holding_its_audit_entries_does_not_hold_the_chain_head(backend: Backend) -> None:
    """While a cohort batch is open, another writer of the store can audit (PostgreSQL: another
    replica's issue or revocation does not wait for the batch); SQLite has one writer at a time
    anyway, so this is PostgreSQL's."""
    if backend.kind == "sqlite":
        pytest.skip("SQLite serializes every writer on its file lock")
    store, other = backend.open(base_url=BASE), backend.open(base_url=BASE)
    issue(store, "urn:before")
    done = threading.Event()
    with store.transaction(), store.audit_at_commit():
        issue(store, "urn:in-batch")
        writer = threading.Thread(target=lambda: (other.audit("key.rotate"), done.set()))
        writer.start()
        assert done.wait(10), "the other writer waited for the batch's chain head"
        writer.join()
    assert [e.action for e in store.audit_entries()] == ["issue", "key.rotate", "issue"]
    assert store.verify_audit() == []


def test_a_batch_record_that_fails_on_a_row_keeps_none_of_its_rows(store: SqlIssuerStore) -> None:
    """record_issued_many is all or none even when its caller handles the error and commits:
    SQLite's executemany inserts row by row, so the rows before a duplicate stayed, with no
    audit entry (found in review; PostgreSQL's savepoint already undid the whole insert)."""
    store.record_issued("urn:old", {"id": "urn:old"})
    with store.transaction(), pytest.raises(StoreError, match="not recorded"):
        store.record_issued_many(
            [IssueRow("urn:new", {"id": "urn:new"}), IssueRow("urn:old", {"id": "urn:old"})]
        )
    assert store.credential("urn:new") is None
    assert [e.credential_id for e in store.audit_entries()] == ["urn:old"]
    assert store.verify_audit() == [] and store.check_consistency() == []


def test_rerun_with_the_same_subject_key_returns_the_first(store: SqlIssuerStore) -> None:
    first = store.issue("urn:a", ["revocation"], build_for("urn:a"), subject_key="row-7")
    again = store.issue("urn:b", ["revocation"], build_for("urn:b"), subject_key="row-7")
    assert again.id == "urn:a" and again.status_entries == first.status_entries
    assert store.credential("urn:b") is None and store.lists()[0].allocated == 1


def test_allocate_outside_a_transaction_is_refused(store: SqlIssuerStore) -> None:
    with pytest.raises(StoreError, match="transaction"):
        store.allocate("revocation", "urn:x")


def test_an_allocation_without_its_record_cannot_commit(store: SqlIssuerStore) -> None:
    with pytest.raises(StoreError, match="refused"), store.transaction():
        store.allocate("revocation", "urn:orphan")
    assert store.lists() == []  # the new list went with the rollback
    issue(store, "urn:after")  # and the store's cached open list did too
    assert [i.allocated for i in store.lists()] == [1]


def test_a_failing_build_leaves_nothing_behind(store: SqlIssuerStore) -> None:
    issue(store, "urn:ok")

    def boom(entries: list[dict[str, Any]]) -> dict[str, Any]:
        raise RuntimeError("signing failed")

    with pytest.raises(RuntimeError):
        store.issue("urn:bad", ["revocation", "suspension"], boom)
    assert store.credential("urn:bad") is None
    assert [(i.purpose, i.allocated) for i in store.lists()] == [("revocation", 1)]
    assert store.check_consistency() == []


def test_a_document_disagreeing_with_its_allocation_is_refused(store: SqlIssuerStore) -> None:
    def forged(entries: list[dict[str, Any]]) -> dict[str, Any]:
        doc = build_for("urn:f")(entries)
        doc["credentialStatus"][0]["statusListIndex"] = "0"
        return doc

    with pytest.raises(StoreError, match="does not match"):
        store.issue("urn:f", ["revocation"], forged)
    assert store.credential("urn:f") is None and store.lists() == []


def test_credential_ids_are_unique(store: SqlIssuerStore) -> None:
    issue(store, "urn:dup")
    with pytest.raises(DuplicateCredentialError):
        issue(store, "urn:dup")
    assert store.lists()[0].allocated == 1


def test_a_full_list_opens_a_new_one_and_never_reuses_an_index(backend: Backend) -> None:
    store = backend.open(base_url=BASE, list_length=16)
    seen = set()
    for i in range(40):
        e = issue(store, f"urn:{i}").status_entries[0]
        seen.add((e["statusListCredential"], int(e["statusListIndex"])))
    assert len(seen) == 40
    assert [(i.url, i.allocated) for i in store.lists()] == [
        (f"{BASE}/status/1", 16),
        (f"{BASE}/status/2", 16),
        (f"{BASE}/status/3", 8),
    ]


def test_a_taken_claimed_index_is_refused_and_the_transaction_goes_on(
    store: SqlIssuerStore,
) -> None:
    rec = issue(store, "urn:first")
    entry = rec.status_entries[0]
    url, taken = entry["statusListCredential"], int(entry["statusListIndex"])
    with store.transaction():
        with pytest.raises(StoreError, match="taken"):
            store.claim(url, taken, "revocation", "urn:second")
        free = (taken + 1) % 131_072
        got = store.claim(url, free, "revocation", "urn:second")
        store.record_issued("urn:second", build_for("urn:second")([_entry(url, free)]))
    assert got.list_index == free and store.get_status("urn:second") == {"revocation": 0}
    with pytest.raises(StoreError, match="not one of"), store.transaction():
        store.claim("https://elsewhere.example/status/1", 3, "revocation", "urn:third")


def _entry(url: str, idx: int) -> dict[str, Any]:
    return {
        "id": f"{url}#{idx}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(idx),
        "statusListCredential": url,
    }


def test_message_entries_keep_their_size_and_messages(store: SqlIssuerStore) -> None:
    spec = StatusSpec.message(["valid", "pending", "withdrawn", "expired"])
    rec = store.issue("urn:m", [spec], build_for("urn:m"))
    assert rec.status_entries[0]["statusSize"] == 2
    assert store.set_status("urn:m", "message", 2, reason="withdrawn") is True
    assert store.get_status("urn:m") == {"message": 2}
    with pytest.raises(StoreError, match="bit"):
        store.set_status("urn:m", "message", 4)
    assert store.lists()[0].size == 2 and len(store.bitstring(1)) == 2 * 131_072


# --- status changes ----------------------------------------------------------------------------


def test_revocation_is_final_and_suspension_reversible(store: SqlIssuerStore) -> None:
    rec = issue(store, "urn:r", ("revocation", "suspension"))
    rev = next(e for e in rec.status_entries if e["statusPurpose"] == "revocation")
    assert store.set_status("urn:r", "suspension", 1, reason="inquiry") is True
    assert store.set_status("urn:r", "suspension", 1) is False
    assert store.set_status("urn:r", "suspension", 0, reason="cleared") is True
    assert store.set_status("urn:r", "revocation", True, reason="fraud") is True
    with pytest.raises(StoreError, match="final"):
        store.set_status("urn:r", "revocation", 0)
    assert store.get_status("urn:r") == {"revocation": 1, "suspension": 0}
    assert store.bitstring(rev["statusListCredential"]).get(int(rev["statusListIndex"])) == 1
    assert [(h.purpose, h.value, h.reason) for h in store.history("urn:r")] == [
        ("suspension", 1, "inquiry"),
        ("suspension", 0, "cleared"),
        ("revocation", 1, "fraud"),
    ]
    version = store.lists()[0].version
    assert version == 2  # created at 1, one change
    store.set_status("urn:r", "revocation", 1)
    assert store.lists()[0].version == version  # no change, no new version to publish
    bits, snap_version, updated = store.list_snapshot(1)
    assert bits == store.bitstring(1) and snap_version == version and updated
    assert store.check_consistency() == []


def test_unknown_credentials_or_purposes_are_errors(store: SqlIssuerStore) -> None:
    issue(store, "urn:only-rev")
    with pytest.raises(StoreError, match="no credential"):
        store.set_status("urn:nobody", "revocation", 1)
    with pytest.raises(StoreError, match="without a suspension"):
        store.set_status("urn:only-rev", "suspension", 1)
    with pytest.raises(StoreError):
        store.get_status("urn:nobody")
    with pytest.raises(StoreError):
        store.set_status("urn:only-rev", "revocation", 2)
    with pytest.raises(StoreError):
        store.bitstring(99)


def test_replace_retires_the_old_diploma(store: SqlIssuerStore) -> None:
    store.issue("urn:old", ["revocation"], build_for("urn:old"), subject_key="ada")
    with store.transaction():
        assert store.replace("urn:old", "urn:new") is True
        store.issue("urn:new", ["revocation"], build_for("urn:new"), subject_key="ada")
    old = store.credential("urn:old")
    assert old is not None and old.subject_key == "ada#replaced-by:urn:new"
    assert store.get_status("urn:old") == {"revocation": 1}
    assert [e.action for e in store.audit_entries()] == [
        "issue",
        "replace",
        "status",
        "issue",
    ]


def test_base_url_is_fixed_once_set(backend: Backend) -> None:
    issue(backend.open(base_url=BASE + "/"), "urn:1")
    assert backend.open().base_url == BASE
    with pytest.raises(StoreError, match="cannot move"):
        backend.open(base_url="https://elsewhere.example")


def test_a_store_without_base_url_cannot_create_lists(backend: Backend) -> None:
    with pytest.raises(StoreError, match="base_url"):
        issue(backend.open(), "urn:2")


# --- offers, tokens, audit ---------------------------------------------------------------------


def test_offer_is_claimed_once(store: SqlIssuerStore) -> None:
    issue(store, "urn:uuid:1")
    offer, secret = store.create_offer("urn:uuid:1", lifetime=timedelta(days=30))
    assert store.offer_by_secret(secret) == offer and store.offer_by_secret(secret + "x") is None
    assert store.offers("urn:uuid:1") == [offer] == store.offers()
    claimed = store.claim_offer(offer.id, holder="did:key:zA", flow="vcapi", delivered_digest="d")
    assert claimed.status() == "claimed" and claimed.holder == "did:key:zA"
    with pytest.raises(OfferError) as err:
        store.claim_offer(offer.id, holder="did:key:zB", flow="vcapi", delivered_digest="e")
    assert err.value.reason == "claimed" and store.offer(offer.id) == claimed
    with pytest.raises(OfferError) as err:
        store.claim_offer("offer-nope", holder="did:key:zB", flow="vcapi", delivered_digest="e")
    assert err.value.reason == "unknown"


def test_expired_revoked_and_wrong_code_offers_are_refused(store: SqlIssuerStore) -> None:
    issue(store, "urn:uuid:1")
    expired, _ = store.create_offer("urn:uuid:1", lifetime=timedelta(microseconds=1))
    with pytest.raises(OfferError) as err:
        store.claim_offer(expired.id, holder="did:key:z1", flow="oid4vci", delivered_digest="x")
    assert err.value.reason == "expired"
    revoked, _ = store.create_offer("urn:uuid:1", lifetime=timedelta(days=1))
    store.revoke_offer(revoked.id)
    with pytest.raises(OfferError) as err:
        store.claim_offer(revoked.id, holder="did:key:z1", flow="oid4vci", delivered_digest="x")
    assert err.value.reason == "revoked"
    coded, _ = store.create_offer("urn:uuid:1", lifetime=timedelta(days=1), tx_code="493817")
    for wrong in (None, "000000"):
        with pytest.raises(OfferError) as err:
            store.claim_offer(
                coded.id, holder="did:key:z1", flow="oid4vci", delivered_digest="x", tx_code=wrong
            )
        assert err.value.reason == "tx_code"
    assert store.offer(coded.id) == coded
    with pytest.raises(StoreError):
        store.create_offer("urn:uuid:unknown", lifetime=timedelta(days=1))


def test_a_failed_handover_undoes_the_claim(store: SqlIssuerStore) -> None:
    issue(store, "urn:uuid:1")
    offer, _ = store.create_offer("urn:uuid:1", lifetime=timedelta(days=1))
    with pytest.raises(RuntimeError), store.transaction():
        store.claim_offer(offer.id, holder="did:key:z1", flow="vcapi", delivered_digest="x")
        raise RuntimeError("signing the wallet copy failed")
    assert store.offer(offer.id) == offer


def test_tokens_are_used_once_and_expire(store: SqlIssuerStore) -> None:
    token = store.issue_token(
        "c_nonce", offer_id=None, lifetime=timedelta(minutes=5), data={"a": 1}
    )
    assert store.peek_token(token, "c_nonce") == (None, {"a": 1})
    assert store.peek_token(token, "access_token") is None
    assert store.use_token(token, "c_nonce") == (None, {"a": 1})
    assert store.use_token(token, "c_nonce") is None
    old = store.issue_token("challenge", offer_id=None, lifetime=timedelta(microseconds=1))
    assert store.use_token(old, "challenge") is None


def _token_rows(backend: Backend, where: str = "TRUE") -> int:
    return int(backend.raw(f"SELECT COUNT(*) FROM offer_tokens WHERE {where}")[0][0])


def test_expired_tokens_are_purged_a_bounded_batch_per_write(
    backend: Backend, store: SqlIssuerStore
) -> None:
    """An expired row answers nothing, so each write deletes some (at most PURGE_BATCH): the
    table does not grow with the open nonce endpoint, and no live or used row is touched."""
    live = store.issue_token("c_nonce", offer_id=None, lifetime=timedelta(hours=1))
    used = store.issue_token("c_nonce", offer_id=None, lifetime=timedelta(hours=1))
    assert store.use_token(used, "c_nonce") is not None
    values = ", ".join(
        f"('expired{i:04d}', NULL, 'c_nonce', '2020-01-01T00:00:00.000000Z', "
        f"'2020-01-01T00:05:00.000000Z', NULL, NULL)"
        for i in range(PURGE_BATCH * 2 + 10)
    )
    backend.raw(f"INSERT INTO offer_tokens VALUES {values}")
    expired = "expires_at < '2021'"
    assert _token_rows(backend, expired) == PURGE_BATCH * 2 + 10
    store.issue_token("challenge", offer_id=None, lifetime=timedelta(minutes=5))
    assert _token_rows(backend, expired) == PURGE_BATCH + 10  # one batch, not all
    store.issue_token("challenge", offer_id=None, lifetime=timedelta(minutes=5))
    store.issue_token("challenge", offer_id=None, lifetime=timedelta(minutes=5))
    assert _token_rows(backend, expired) == 0
    assert _token_rows(backend) == 2 + 3  # the live, the used, three challenges
    assert store.peek_token(live, "c_nonce") is not None
    assert store.use_token(used, "c_nonce") is None  # a used token is still refused


def test_live_tokens_are_capped_per_offer_and_kind(store: SqlIssuerStore) -> None:
    issue(store, "urn:uuid:1")
    offer, _ = store.create_offer("urn:uuid:1", lifetime=timedelta(days=1))
    other, _ = store.create_offer("urn:uuid:1", lifetime=timedelta(days=1))
    hour = timedelta(hours=1)
    nonces = [store.issue_token("c_nonce", offer_id=None, lifetime=hour, cap=3) for _ in "abc"]
    with pytest.raises(TokenLimitError):
        store.issue_token("c_nonce", offer_id=None, lifetime=hour, cap=3)
    # other offers and kinds have their own count; a used or expired token no longer counts
    for owner in (offer.id, other.id):
        for _ in range(3):
            store.issue_token("challenge", offer_id=owner, lifetime=hour, cap=3)
        with pytest.raises(TokenLimitError):
            store.issue_token("challenge", offer_id=owner, lifetime=hour, cap=3)
    store.use_token(nonces[0], "c_nonce")
    again = store.issue_token("c_nonce", offer_id=None, lifetime=hour, cap=3)
    assert store.peek_token(again, "c_nonce") == (None, {})
    short = store.issue_token("c_nonce", offer_id=None, lifetime=timedelta(microseconds=1))
    assert store.peek_token(short, "c_nonce") is None
    with pytest.raises(TokenLimitError):  # refused: nothing was written
        store.issue_token("c_nonce", offer_id=None, lifetime=hour, cap=3)


def test_changes_are_audited_in_a_chain(store: SqlIssuerStore) -> None:
    issued = issue(store, "urn:uuid:1")
    store.set_status("urn:uuid:1", "revocation", 1, reason="fraud")
    store.audit("key.rotate", detail={"note": "by hand"})
    entries = store.audit_entries()
    assert [(e.action, e.credential_id) for e in entries] == [
        ("issue", "urn:uuid:1"),
        ("status", "urn:uuid:1"),
        ("key.rotate", None),
    ]
    assert entries[0].digest == issued.digest and entries[0].actor == "tester@lab"
    assert [e.seq for e in store.audit_entries(since=1)] == [2, 3]
    assert [e.seq for e in store.audit_entries(credential_id="urn:uuid:1")] == [1, 2]
    assert store.verify_audit() == []


def test_the_log_refuses_updates_and_deletes(backend: Backend, store: SqlIssuerStore) -> None:
    issue(store, "urn:uuid:1")
    for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(backend.integrity_error, match="append-only"):
            backend.raw(sql)
    assert store.verify_audit() == []


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_log SET actor = 'someone else' WHERE seq = 2",
        "UPDATE audit_log SET credential_id = 'urn:uuid:9' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 3",
    ],
)
def test_an_edit_or_deletion_is_detected(
    backend: Backend, store: SqlIssuerStore, tamper: str
) -> None:
    for n in range(3):
        issue(store, f"urn:uuid:{n}")
    assert store.verify_audit() == []
    if backend.kind == "sqlite":
        backend.raw("DROP TRIGGER audit_log_no_update")
        backend.raw("DROP TRIGGER audit_log_no_delete")
    else:
        backend.raw("ALTER TABLE audit_log DISABLE TRIGGER USER")
    backend.raw(tamper)
    assert store.verify_audit() != []


# --- several processes at once -----------------------------------------------------------------


def _worker(*args: str, start_at: float = 0.0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC), "STORE_WORKER_START_AT": str(start_at)},
    )


def _run_all(procs: list[subprocess.Popen[str]]) -> list[str]:
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
        outs.append(out)
    return outs


def test_three_processes_never_get_one_index_twice(backend: Backend) -> None:
    # lists of 64 entries: the race covers list creation and random draws colliding too
    backend.open(base_url=BASE, list_length=64)
    start = time.time() + 1.5
    procs = [
        _worker("issue", backend.target, BASE, name, "120", "64", start_at=start)
        for name in ("a", "b", "c")
    ]
    outs = _run_all(procs)
    assert [out.count("issued ") for out in outs] == [120, 120, 120]
    store = backend.open(list_length=64)
    creds = store.credentials()
    assert len(creds) == 360
    slots = [
        (e["statusListCredential"], e["statusListIndex"]) for c in creds for e in c.status_entries
    ]
    assert len(set(slots)) == 360
    infos = store.lists()
    assert sum(i.allocated for i in infos) == 360 and all(i.allocated <= 64 for i in infos)
    assert [i.id for i in infos] == list(range(1, len(infos) + 1))
    assert store.check_consistency() == [] and store.verify_audit() == []


def test_one_roster_on_two_machines_issues_each_row_once(backend: Backend) -> None:
    backend.open(base_url=BASE)
    start = time.time() + 1.5
    procs = [
        _worker("roster", backend.target, BASE, name, "80", start_at=start) for name in ("a", "b")
    ]
    outs = _run_all(procs)
    acknowledged: dict[str, set[str]] = {}
    for out in outs:
        for line in out.splitlines():
            _, cid, key = line.split()
            acknowledged.setdefault(key, set()).add(cid)
    # both processes were told the same diploma for each row: the one in the store
    assert len(acknowledged) == 80 and all(len(ids) == 1 for ids in acknowledged.values())
    store = backend.open()
    assert len(store.credentials()) == 80
    assert store.lists()[0].allocated == 80 and store.check_consistency() == []


def test_racing_claims_have_exactly_one_winner(backend: Backend) -> None:
    first = backend.open(base_url=BASE)
    issue(first, "urn:uuid:1")
    offer, _ = first.create_offer("urn:uuid:1", lifetime=timedelta(hours=1))
    token = first.issue_token("c_nonce", offer_id=offer.id, lifetime=timedelta(hours=1))
    wins: list[str] = []
    losses: list[str] = []
    used: list[object] = []
    barrier = threading.Barrier(8)

    def claim(n: int) -> None:
        mine = backend.open(base_url=BASE, busy_timeout_ms=20_000)
        barrier.wait()
        try:
            mine.claim_offer(offer.id, holder=f"did:key:z{n}", flow="vcapi", delivered_digest="x")
            wins.append(str(n))
        except OfferError as exc:
            losses.append(exc.reason)
        used.append(mine.use_token(token, "c_nonce"))
        mine.close()

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1 and losses == ["claimed"] * 7
    assert [u for u in used if u is not None] == [(offer.id, {})]
    assert [e.action for e in first.audit_entries()].count("offer.claim") == 1


def test_concurrent_revocations_on_one_list_are_all_kept(backend: Backend) -> None:
    store = backend.open(base_url=BASE)
    for prefix in ("a", "b"):
        for i in range(60):
            cid = f"urn:test:{prefix}-{i}"
            store.issue(cid, ["revocation"], build_for(cid))
    _, version_before, _ = store.list_snapshot(1)
    start = time.time() + 1.5
    # a publisher reads (bits, version) while two processes revoke on the same list
    procs = [_worker("revoke", backend.target, BASE, p, "60", start_at=start) for p in "ab"]
    snapshots: list[tuple[int, int]] = []  # (set bits, version)
    while any(p.poll() is None for p in procs):
        bits, version, _ = store.list_snapshot(1)
        snapshots.append((_ones(bits), version))
        time.sleep(0.005)
    outs = _run_all(procs)
    assert sum(out.count("status ") for out in outs) == 120
    bits, version, _ = store.list_snapshot(1)
    assert bits.count() == 120  # no lost update: every acknowledged revocation is in the bits
    assert version == version_before + 120  # one version per change, none skipped or merged
    snapshots.append((_ones(bits), version))
    # a snapshot's version names exactly its bits: one set bit per version step, never fewer
    assert len(snapshots) > 5
    for ones, snap_version in snapshots:
        assert ones == snap_version - version_before
    assert store.check_consistency() == [] and store.verify_audit() == []


def _ones(bits: Bitstring) -> int:
    return int.from_bytes(bytes(bits), "big").bit_count()


@pytest.mark.slow
def test_sigkill_mid_change_loses_nothing(backend: Backend) -> None:
    backend.open(base_url=BASE, list_length=64)
    reported: set[str] = set()
    changes: list[tuple[str, str, int]] = []
    for round_ in range(4):
        proc = _worker("churn", backend.target, BASE, f"r{round_}", "0", "64")
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.3 + 0.2 * round_)
        os.kill(proc.pid, signal.SIGKILL)
        # read through the buffer readline() filled: communicate() reads the pipe itself and
        # drops the lines buffered there (on a loaded machine several, and the test failed)
        rest = proc.stdout.read()
        proc.communicate(timeout=30)
        lines = [first, *rest.splitlines()]
        if not rest.endswith("\n"):
            lines = lines[:-1]
        for line in lines:
            parts = line.split()
            if len(parts) == 2 and parts[0] == "issued":
                reported.add(parts[1])
            elif len(parts) == 4 and parts[0] == "status":
                changes.append((parts[1], parts[2], int(parts[3])))
        store = backend.open(list_length=64)
        assert store.check_consistency() == [], f"round {round_}"
        assert store.verify_audit() == []
        for cid in reported:
            assert store.credential(cid) is not None, cid
        logged = {(h.credential_id, h.purpose, h.value) for c in reported for h in store.history(c)}
        assert set(changes) <= logged
        store.close()
    assert len(reported) > 10
