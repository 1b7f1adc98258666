"""The issuer's audit log: append-only, hash-chained, in the same transaction as the change.

Each entry commits to the one before it: ``hash = sha256(prev_hash || canonical entry)``, so an
edited or deleted entry breaks every hash after it. SQLite triggers refuse UPDATE and DELETE on
the table (a mistake, not an attacker, is what they stop); the head (last sequence number and
hash) is also kept in ``meta`` and SQLite's own ``sqlite_sequence``, so cutting entries off the
end is seen too. Someone able to rewrite the whole file can rewrite the whole chain: export the
head (``credkit audit --json``) somewhere else to make that visible as well.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

AUDIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,              -- issue, status, offer.create, key.rotate ...
    credential_id TEXT,
    digest        TEXT,                       -- sha256 hex of what was signed or delivered
    detail        TEXT NOT NULL,              -- JSON object
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


def default_actor() -> str:
    """``user@host`` of this process, or ``CREDKIT_ACTOR`` (a service names its operator)."""
    named = os.environ.get("CREDKIT_ACTOR")
    if named:
        return named
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"{user}@{socket.gethostname()}"


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    credential_id: str | None
    digest: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    def json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "credentialId": self.credential_id,
            "digest": self.digest,
            "detail": self.detail,
            "prevHash": self.prev_hash,
            "hash": self.hash,
        }


def entry_hash(
    prev_hash: str,
    seq: int,
    at: str,
    actor: str,
    action: str,
    credential_id: str | None,
    digest: str | None,
    detail: str,
) -> str:
    """The chain link: sha256 over the previous hash and the entry as a canonical JSON array."""
    body = json.dumps(
        [seq, at, actor, action, credential_id, digest, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


def detail_text(detail: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(detail or {}), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def append(
    db: sqlite3.Connection,
    at: str,
    actor: str,
    action: str,
    credential_id: str | None,
    digest: str | None,
    detail: Mapping[str, Any] | None,
) -> AuditEntry:
    """Append one entry; the caller holds the write transaction (so the chain cannot fork)."""
    return append_many(db, at, actor, [(action, credential_id, digest, detail)])[0]


# one entry to append: action, credential id, digest of what was signed, detail
Pending = tuple[str, str | None, str | None, Mapping[str, Any] | None]


Row = tuple[int, str, str, str, str | None, str | None, str, str, str]
INSERT_ENTRIES = (
    "INSERT INTO audit_log (seq, at, actor, action, credential_id, digest, detail, prev_hash, "
    "hash) VALUES (?,?,?,?,?,?,?,?,?)"
)


def chain(seq: int, prev: str, at: str, actor: str, pending: Sequence[Pending]) -> list[Row]:
    """The rows that append ``pending`` after the head ``(seq, prev)``, each linked to the one
    before it: what one by one appends would write."""
    rows: list[Row] = []
    for action, credential_id, digest, detail in pending:
        seq += 1
        text = detail_text(detail)
        digest_of = entry_hash(prev, seq, at, actor, action, credential_id, digest, text)
        rows.append((seq, at, actor, action, credential_id, digest, text, prev, digest_of))
        prev = digest_of
    return rows


def entries_of(rows: Sequence[Row]) -> list[AuditEntry]:
    return [
        AuditEntry(n, at, actor, action, cid, dig, json.loads(text), before, after)
        for n, at, actor, action, cid, dig, text, before, after in rows
    ]


def append_many(
    db: sqlite3.Connection, at: str, actor: str, pending: Sequence[Pending]
) -> list[AuditEntry]:
    """Append entries in order, chained as one by one appends would chain them, with one read of
    the head, one multi-row insert and one head update (a cohort batch's 512 issuances were
    three statements each)."""
    if not pending:
        return []
    row = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (int(row[0]), str(row[1])) if row else (0, GENESIS)
    rows = chain(seq, prev, at, actor, pending)
    db.executemany(INSERT_ENTRIES, rows)
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('audit_head', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (f"{rows[-1][0]}:{rows[-1][-1]}",),
    )
    return entries_of(rows)


def _entry(row: Iterable[Any]) -> AuditEntry:
    seq, at, actor, action, cred, digest, detail, prev, hashed = tuple(row)
    try:
        parsed = json.loads(detail)
    except ValueError:
        parsed = {"unreadable": str(detail)}
    return AuditEntry(int(seq), at, actor, action, cred, digest, parsed, prev, hashed)


_COLUMNS = "seq, at, actor, action, credential_id, digest, detail, prev_hash, hash"


def entries(
    db: sqlite3.Connection, *, credential_id: str | None = None, since: int = 0
) -> list[AuditEntry]:
    if credential_id is None:
        rows = db.execute(f"SELECT {_COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq", (since,))
    else:
        rows = db.execute(
            f"SELECT {_COLUMNS} FROM audit_log WHERE seq > ? AND credential_id = ? ORDER BY seq",
            (since, credential_id),
        )
    return [_entry(r) for r in rows]


def verify_chain(db: sqlite3.Connection, *, sequence_table: bool = True) -> list[str]:
    """Every break in the chain, in words; empty when the log is whole. ``sequence_table``:
    also compare with SQLite's ``sqlite_sequence`` (PostgreSQL has none to compare with)."""
    problems: list[str] = []
    prev, expected_seq = GENESIS, 1
    for seq, at, actor, action, cred, digest, detail, prev_hash, hashed in db.execute(
        f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq"
    ):
        if int(seq) != expected_seq:
            problems.append(f"entry {expected_seq} to {int(seq) - 1} missing (deleted)")
        if prev_hash != prev:
            problems.append(f"entry {seq}: prev_hash does not match entry {int(seq) - 1}")
        recomputed = entry_hash(prev_hash, int(seq), at, actor, action, cred, digest, detail)
        if recomputed != hashed:
            problems.append(f"entry {seq}: contents changed after it was written")
        prev, expected_seq = str(hashed), int(seq) + 1
    last = expected_seq - 1
    head = db.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()
    if head is not None:
        head_seq, _, head_hash = str(head[0]).partition(":")
        if int(head_seq) != last or (last and head_hash != prev):
            problems.append(
                f"the log ends at entry {last}, but its recorded head is entry {head_seq}: "
                "entries were cut off the end or the head was changed"
            )
    elif last:
        problems.append("the recorded head of the log is missing")
    try:
        sequence = (
            db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()
            if sequence_table
            else None
        )
    except sqlite3.Error:
        sequence = None
    if sequence is not None and int(sequence[0]) != last:
        problems.append(
            f"SQLite handed out entry numbers up to {sequence[0]}, the log ends at {last}"
        )
    return problems
