"""Schema 3 of the issuer store: claim offers used once, one-time tokens, and an audit log whose
hash chain shows an edited, deleted or cut-off entry."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from credkit.errors import StoreError
from credkit.issuer.offers import OfferError
from credkit.issuer.store import SCHEMA_VERSION, SqliteStore
from test_store import BASE, issue


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "issuer.db", base_url=BASE, actor="tester@lab")


def test_offer_is_claimed_once_and_keeps_the_first_holder(store: SqliteStore) -> None:
    issue(store, "urn:uuid:1")
    offer, secret = store.create_offer("urn:uuid:1", lifetime=timedelta(days=30))
    assert store.offer_by_secret(secret) == offer
    assert store.offer_by_secret(secret + "x") is None
    claimed = store.claim_offer(
        offer.id, holder="did:key:z6MkA", flow="vcapi", delivered_digest="d1"
    )
    assert claimed.status() == "claimed" and claimed.holder == "did:key:z6MkA"
    with pytest.raises(OfferError) as err:
        store.claim_offer(offer.id, holder="did:key:z6MkB", flow="vcapi", delivered_digest="d2")
    assert err.value.reason == "claimed"
    assert store.offer(offer.id) == claimed


def test_racing_claims_have_exactly_one_winner(tmp_path: Path) -> None:
    path = tmp_path / "issuer.db"
    with SqliteStore(path, base_url=BASE) as first:
        issue(first, "urn:uuid:1")
        offer, _ = first.create_offer("urn:uuid:1", lifetime=timedelta(hours=1))
    wins: list[str] = []
    losses: list[str] = []

    def claim(n: int) -> None:
        with SqliteStore(path, base_url=BASE, busy_timeout_ms=20_000) as mine:
            try:
                mine.claim_offer(
                    offer.id, holder=f"did:key:z{n}", flow="vcapi", delivered_digest="x"
                )
                wins.append(str(n))
            except OfferError as exc:
                losses.append(exc.reason)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1 and losses == ["claimed"] * 7


def test_expired_revoked_and_wrong_code_offers_are_refused_unchanged(store: SqliteStore) -> None:
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
    assert (
        store.claim_offer(
            coded.id, holder="did:key:z1", flow="oid4vci", delivered_digest="x", tx_code="493817"
        ).state
        == "claimed"
    )
    with pytest.raises(StoreError):
        store.create_offer("urn:uuid:unknown", lifetime=timedelta(days=1))


def test_a_failed_handover_undoes_the_claim(store: SqliteStore) -> None:
    issue(store, "urn:uuid:1")
    offer, _ = store.create_offer("urn:uuid:1", lifetime=timedelta(days=1))
    with pytest.raises(RuntimeError), store.transaction():
        store.claim_offer(offer.id, holder="did:key:z1", flow="vcapi", delivered_digest="x")
        raise RuntimeError("signing the wallet copy failed")
    assert store.offer(offer.id) == offer


def test_tokens_are_used_once_and_expire(store: SqliteStore) -> None:
    token = store.issue_token(
        "c_nonce", offer_id=None, lifetime=timedelta(minutes=5), data={"a": 1}
    )
    assert store.peek_token(token, "c_nonce") == (None, {"a": 1})
    assert store.peek_token(token, "access_token") is None
    assert store.use_token(token, "c_nonce") == (None, {"a": 1})
    assert store.use_token(token, "c_nonce") is None
    old = store.issue_token("challenge", offer_id=None, lifetime=timedelta(microseconds=1))
    assert store.use_token(old, "challenge") is None


def test_changes_are_audited_in_a_chain(store: SqliteStore) -> None:
    issued = issue(store, "urn:uuid:1")
    store.set_status("urn:uuid:1", "revocation", 1, reason="fraud")
    actions = [(e.action, e.credential_id) for e in store.audit_entries()]
    assert actions == [("issue", "urn:uuid:1"), ("status", "urn:uuid:1")]
    first = store.audit_entries()[0]
    assert first.digest == issued.digest and first.actor == "tester@lab"
    assert store.verify_audit() == []


def _raw(store: SqliteStore) -> sqlite3.Connection:
    db = sqlite3.connect(store.path, isolation_level=None)
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("DROP TRIGGER audit_log_no_delete")
    return db


def test_the_log_refuses_updates_and_deletes(store: SqliteStore) -> None:
    issue(store, "urn:uuid:1")
    db = sqlite3.connect(store.path, isolation_level=None)
    for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(sql)


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_log SET actor = 'someone else' WHERE seq = 2",
        "UPDATE audit_log SET credential_id = 'urn:uuid:9' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 3",
    ],
)
def test_an_edit_or_deletion_is_detected(store: SqliteStore, tamper: str) -> None:
    for n in range(3):
        issue(store, f"urn:uuid:{n}")
    assert store.verify_audit() == []
    _raw(store).execute(tamper)
    assert store.verify_audit() != []


def test_a_schema_2_store_migrates_with_its_records(tmp_path: Path) -> None:
    path = tmp_path / "issuer.db"
    with SqliteStore(path, base_url=BASE) as store:
        issue(store, "urn:uuid:1")
    db = sqlite3.connect(path, isolation_level=None)
    for table in ("offer_tokens", "offers", "audit_log"):
        db.execute(f"DROP TABLE {table}")
    db.execute("PRAGMA user_version = 2")
    db.close()
    with SqliteStore(path, base_url=BASE) as store:
        assert store.credential("urn:uuid:1") is not None
        offer, _ = store.create_offer("urn:uuid:1", lifetime=timedelta(days=1))
        assert store.offer(offer.id) == offer
        assert [e.action for e in store.audit_entries()] == ["offer.create"]
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4


def test_a_schema_3_store_gains_the_token_indexes(tmp_path: Path) -> None:
    path = tmp_path / "issuer.db"
    with SqliteStore(path, base_url=BASE) as store:
        issue(store, "urn:uuid:1")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("DROP INDEX offer_tokens_expiry")
    db.execute("DROP INDEX offer_tokens_offer_kind")
    db.execute("PRAGMA user_version = 3")
    db.close()
    with SqliteStore(path, base_url=BASE) as store:
        assert store.credential("urn:uuid:1") is not None
    with sqlite3.connect(path) as check:
        names = {r[0] for r in check.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"offer_tokens_expiry", "offer_tokens_offer_kind"} <= names
        assert check.execute("PRAGMA user_version").fetchone()[0] == 4
        plan = check.execute(
            "EXPLAIN QUERY PLAN SELECT token_hash FROM offer_tokens WHERE expires_at <= ? LIMIT 64",
            ("2026-01-01T00:00:00Z",),
        ).fetchall()
        assert any("offer_tokens_expiry" in str(row) for row in plan)
