"""The issuer's records: status lists, allocated indexes, issued credentials, status changes.

One SQLite file in WAL mode, every change in a ``BEGIN IMMEDIATE`` transaction with
``synchronous=FULL``, so two processes can issue at once and a crash (even ``kill -9``) leaves
either the whole issuance or none of it. The schema makes the promises structural: an index is
``PRIMARY KEY (list_id, idx)`` so it is never handed out twice, and an allocation references its
credential record with a deferred foreign key, so no transaction can commit one without the other.
Callers see only :class:`IssuerStore`; a server database can implement it later.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, Protocol, runtime_checkable

from credkit.errors import StoreError
from credkit.issuer import audit as audit_log
from credkit.issuer.audit import AUDIT_SCHEMA, AuditEntry, default_actor
from credkit.issuer.offers import (
    COUNT_LIVE_TOKENS,
    OFFER_COLUMNS,
    OFFER_SCHEMA,
    PURGE_BATCH,
    PURGE_EXPIRED_TOKENS,
    TOKEN_INDEXES,
    Offer,
    OfferError,
    TokenLimitError,
    expiry,
    new_secret,
    offer_from_row,
    secret_hash,
    timestamp,
    why_unusable,
)
from credkit.jsonfmt import dumps_pretty
from credkit.status import MIN_LENGTH, Bitstring, StatusSpec, status_entries, status_entry

# 2: status lists of any purpose, with multi-bit entries (size) and their messages (issue 16)
# 3: claim offers and their one-time tokens (issue 18), the hash-chained audit log (issue 19)
# 4: indexes for purging expired tokens and counting live ones
SCHEMA_VERSION = 4
ISSUER_PURPOSES = ("revocation", "suspension", "message")
# How long a write waits for another process's lock before StoreBusyError: a few seconds, so a
# service answers "busy, retry" (503) instead of holding the request (and its thread) for 30 s.
BUSY_TIMEOUT_MS = 3_000
# random draws for a free index before giving up (each miss is a race lost to another process)
ALLOCATE_TRIES = 16

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS status_lists (
    id         INTEGER PRIMARY KEY,          -- n in {base_url}/status/{n}
    url        TEXT NOT NULL UNIQUE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('revocation', 'suspension', 'message')),
    length     INTEGER NOT NULL CHECK (length > 0 AND length % 8 = 0),  -- entries, not bits
    bits       BLOB NOT NULL CHECK (length(bits) * 8 = length * size),
    version    INTEGER NOT NULL DEFAULT 1,   -- bumped on every change, for publishers
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    size       INTEGER NOT NULL DEFAULT 1 CHECK (size BETWEEN 1 AND 8),  -- bits per entry
    messages   TEXT                          -- JSON statusMessage every entry commits to
);
CREATE TABLE IF NOT EXISTS credentials (
    id             TEXT PRIMARY KEY,
    subject_key    TEXT UNIQUE,              -- idempotency key, e.g. cohort + roster row
    subject_name   TEXT,
    email_hash     TEXT,                     -- sha256 of the normalised address, never the address
    digest         TEXT NOT NULL,            -- sha256 hex of the exact signed JSON bytes
    document       BLOB NOT NULL,            -- those bytes: a lost file can be written again
    path           TEXT,
    status_entries TEXT NOT NULL,            -- JSON array of credentialStatus entries
    issued_at      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS allocations (
    list_id       INTEGER NOT NULL REFERENCES status_lists (id),
    idx           INTEGER NOT NULL CHECK (idx >= 0),
    credential_id TEXT NOT NULL
        REFERENCES credentials (id) DEFERRABLE INITIALLY DEFERRED,
    purpose       TEXT NOT NULL,
    allocated_at  TEXT NOT NULL,
    PRIMARY KEY (list_id, idx),
    UNIQUE (credential_id, purpose)
);
CREATE TABLE IF NOT EXISTS status_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    credential_id TEXT NOT NULL REFERENCES credentials (id),
    purpose       TEXT NOT NULL,
    list_id       INTEGER NOT NULL REFERENCES status_lists (id),
    idx           INTEGER NOT NULL,
    value         INTEGER NOT NULL,
    reason        TEXT,
    at            TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS status_events_credential ON status_events (credential_id);
"""
# added by schema 3; created by a new store and by the 2 -> 3 migration alike
_SCHEMA_3 = OFFER_SCHEMA + AUDIT_SCHEMA


# appended to the subject key of a diploma a re-issue replaced (SqliteStore.replace)
REPLACED_MARK = "#replaced-by:"


class StoreBusyError(StoreError):
    """Another process holds the store's write lock past the busy timeout: try again later."""

    code = "STORE_BUSY"


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite gave up waiting for another connection's lock (busy, not broken)."""
    return "locked" in str(exc) or "busy" in str(exc)


class DuplicateCredentialError(StoreError):
    """A credential with this id is already in the store (a conflict, not a broken store)."""

    code = "ISSUE_CONFLICT"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def email_hash(email: str) -> str:
    """A stable lookup key for an address without storing it (trimmed, case-folded)."""
    return hashlib.sha256(email.strip().casefold().encode("utf-8")).hexdigest()


def serialize_credential(document: Mapping[str, Any]) -> bytes:
    """The bytes credkit writes for a signed credential; the stored digest is of these bytes."""
    return dumps_pretty(document).encode("utf-8")


def _entry_key(entry: Mapping[str, Any]) -> tuple[str, str, int]:
    raw = entry.get("statusListIndex")
    index = int(raw) if isinstance(raw, str) and raw.isdigit() else -1
    return (str(entry.get("statusPurpose")), str(entry.get("statusListCredential")), index)


def _subject_detail(record: IssuedCredential) -> dict[str, Any] | None:
    """An issuance's audit detail: its subject key, when it has one."""
    return {"subject_key": record.subject_key} if record.subject_key else None


def random_indexes(length: int, count: int, seen: set[int] | None = None) -> list[int]:
    """``count`` distinct random indexes below ``length`` not in ``seen`` (which gains them), in
    the order drawn: taking the first free ones in that order keeps each uniform (§5.1)."""
    seen = set() if seen is None else seen
    draws: list[int] = []
    while len(draws) < count:
        idx = secrets.randbelow(length)
        if idx not in seen:
            seen.add(idx)
            draws.append(idx)
    return draws


class Allocation(NamedTuple):
    list_url: str
    list_index: int  # the statusListIndex (not "index": tuple.index exists)


class IssueRow(NamedTuple):
    """One signed credential to record (:meth:`SqlIssuerStore.record_issued_many`)."""

    credential_id: str
    document: Mapping[str, Any] | bytes
    subject_key: str | None = None
    subject_name: str | None = None
    email: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class StatusListInfo:
    id: int
    url: str
    purpose: str
    length: int
    allocated: int
    set_count: int
    version: int
    updated_at: str
    size: int = 1  # bits per entry (statusSize); set_count counts bits, not entries


@dataclass(frozen=True)
class IssuedCredential:
    id: str
    digest: str
    status_entries: list[dict[str, Any]]
    issued_at: str
    subject_key: str | None = None
    subject_name: str | None = None
    email_hash: str | None = None
    path: str | None = None
    document: bytes | None = None

    def json(self) -> dict[str, Any]:
        """The signed credential as stored."""
        if self.document is None:
            raise StoreError(f"credential {self.id} was recorded without its document")
        doc: dict[str, Any] = json.loads(self.document)
        return doc


@dataclass(frozen=True)
class StatusEvent:
    seq: int
    credential_id: str
    purpose: str
    value: int
    reason: str | None
    at: str


@runtime_checkable
class IssuerStore(Protocol):
    """What issuing, revoking and publishing need from storage; SQLite is one implementation."""

    def transaction(self) -> AbstractContextManager[IssuerStore]: ...
    def allocate(self, purpose: str | StatusSpec, credential_id: str) -> Allocation: ...
    def allocate_many(
        self, purpose: str | StatusSpec, credential_ids: Sequence[str]
    ) -> list[Allocation]: ...
    def claim(
        self, list_url: str, index: int, purpose: str | StatusSpec, credential_id: str
    ) -> Allocation: ...
    def record_issued(
        self,
        credential_id: str,
        document: Mapping[str, Any] | bytes,
        *,
        subject_key: str | None = None,
        subject_name: str | None = None,
        email: str | None = None,
        path: str | None = None,
    ) -> IssuedCredential: ...
    def record_issued_many(self, rows: Sequence[IssueRow]) -> list[IssuedCredential]: ...
    def issue(
        self,
        credential_id: str,
        purposes: Sequence[str | StatusSpec],
        build: Callable[[list[dict[str, Any]]], Mapping[str, Any] | bytes],
        *,
        subject_key: str | None = None,
        subject_name: str | None = None,
        email: str | None = None,
        path: str | None = None,
    ) -> IssuedCredential: ...
    def set_status(
        self, credential_id: str, purpose: str, value: int | bool, *, reason: str | None = None
    ) -> bool: ...
    def get_status(self, credential_id: str) -> dict[str, int]: ...
    def history(self, credential_id: str) -> list[StatusEvent]: ...
    def lists(self) -> list[StatusListInfo]: ...
    def bitstring(self, list_id: int | str) -> Bitstring: ...
    def credential(self, credential_id: str) -> IssuedCredential | None: ...
    def find_by_subject_key(self, key: str) -> IssuedCredential | None: ...
    def credentials(self, *, documents: bool = True) -> list[IssuedCredential]: ...
    def replace(self, old_id: str, new_id: str) -> bool: ...
    def audit(
        self,
        action: str,
        *,
        credential_id: str | None = None,
        digest: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry | None: ...
    def audit_at_commit(self) -> AbstractContextManager[None]: ...
    def audit_entries(
        self, *, credential_id: str | None = None, since: int = 0
    ) -> list[AuditEntry]: ...
    def verify_audit(self) -> list[str]: ...
    def create_offer(
        self, credential_id: str, *, lifetime: timedelta, tx_code: str | None = None
    ) -> tuple[Offer, str]: ...
    def offer(self, offer_id: str) -> Offer | None: ...
    def offer_by_secret(self, secret: str) -> Offer | None: ...
    def offers(self, credential_id: str | None = None) -> list[Offer]: ...
    def revoke_offer(self, offer_id: str) -> Offer: ...
    def claim_offer(
        self,
        offer_id: str,
        *,
        holder: str,
        flow: str,
        delivered_digest: str,
        tx_code: str | None = None,
    ) -> Offer: ...
    def issue_token(
        self,
        kind: str,
        *,
        offer_id: str | None,
        lifetime: timedelta,
        data: Mapping[str, Any] | None = None,
        cap: int | None = None,
    ) -> str: ...
    def peek_token(self, token: str, kind: str) -> tuple[str | None, dict[str, Any]] | None: ...
    def use_token(self, token: str, kind: str) -> tuple[str | None, dict[str, Any]] | None: ...


class SqlIssuerStore:
    """The :class:`IssuerStore` logic both SQL backends share (SQLite here, PostgreSQL in
    :mod:`credkit.issuer.store_pg`): the statements are written once, with ``?`` parameters.

    A backend supplies the connection (``_db.execute``), :meth:`transaction`, and the few places
    where engines differ: which exceptions are constraint violations, how a statement that is
    allowed to fail keeps the transaction usable (:meth:`_guard`), how creating a list and
    changing a list's bits are serialized against other processes (:meth:`_lock_lists`,
    ``_lock_list_row``), and the engine's own integrity checks.
    """

    _db: Any
    actor: str
    base_url: str | None
    list_length: int
    _depth: int
    # the list being filled, per purpose, with its allocation count (a hint: rechecked when full)
    _open: dict[str, list[Any]]
    # audit entries held to the end of an audit_at_commit block (None: appended at once)
    _deferred: list[audit_log.Pending] | None = None
    # what a violated PRIMARY KEY / UNIQUE / FOREIGN KEY raises
    _integrity_errors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
    # appended to the SELECT that reads a list's bits before changing them: a row lock where
    # another process could change them between the read and the write (SQLite's write lock
    # already excludes that)
    _lock_list_row = ""
    # appended to the purge of expired tokens' row selection (offers.PURGE_EXPIRED_TOKENS)
    _skip_locked = ""

    def transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the store holds (its connection)."""

    def _name(self) -> str:
        """The store as named in error messages."""
        raise NotImplementedError

    def _guard(self) -> AbstractContextManager[object]:
        """Around a statement whose constraint violation is turned into a StoreError."""
        return nullcontext()

    def _lock_lists(self) -> None:
        """Before creating a status list: exclude other processes creating one at once."""

    def _engine_problems(self) -> list[str]:
        return []

    def _require_tx(self, what: str) -> None:
        if not self._depth:
            raise StoreError(f"{what} must run inside store.transaction() (or use issue())")

    def _bind_base_url(self, base_url: str | None) -> str | None:
        base = base_url.rstrip("/") if base_url else None
        query = "SELECT value FROM meta WHERE key = 'base_url'"
        row = self._db.execute(query).fetchone()  # a read: no write lock unless it must write
        if row is None:
            if base is None:
                return None
            with self.transaction():
                row = self._db.execute(query).fetchone()
                if row is None:
                    self._db.execute(
                        "INSERT INTO meta VALUES ('base_url', ?) ON CONFLICT (key) DO NOTHING",
                        (base,),
                    )
                    row = self._db.execute(query).fetchone()
        stored = str(row[0])
        if base is not None and base != stored:
            raise StoreError(
                f"{self._name()} issues status lists under {stored}, not {base}; list URLs are "
                "signed into every diploma and cannot move"
            )
        return stored

    # --- allocation -----------------------------------------------------------------------

    def _open_list(self, spec: StatusSpec) -> tuple[int, str, int]:
        """The list to allocate from: the oldest with a free index whose purpose, entry size and
        messages are the entry's (one list, one meaning per value), or a new one."""
        messages = json.dumps(spec.status_message()) if spec.messages else None
        query = (
            "SELECT l.id, l.url, l.length FROM status_lists AS l WHERE l.purpose = ? AND "
            "l.size = ? AND l.messages IS ? AND "
            "(SELECT count(*) FROM allocations AS a WHERE a.list_id = l.id) < l.length "
            "ORDER BY l.id LIMIT 1"
        )
        rows = self._db.execute(query, (spec.purpose, spec.size, messages)).fetchone()
        if rows is None:
            self._lock_lists()  # then look again: another process may have just made one
            rows = self._db.execute(query, (spec.purpose, spec.size, messages)).fetchone()
        if rows is not None:
            return int(rows[0]), str(rows[1]), int(rows[2])
        if self.base_url is None:
            raise StoreError("the store has no base_url yet: pass base_url= to create status lists")
        next_id = self._db.execute("SELECT coalesce(max(id), 0) + 1 FROM status_lists").fetchone()
        list_id = int(next_id[0])
        url = f"{self.base_url}/status/{list_id}"
        now = _now()
        # §3.2 step 7: a verifier divides the bit count by statusSize, so a list of n-bit
        # entries holds list_length entries, list_length × n bits
        self._db.execute(
            "INSERT INTO status_lists (id, url, purpose, length, bits, created_at, updated_at, "
            "size, messages) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                list_id,
                url,
                spec.purpose,
                self.list_length,
                bytes(self.list_length * spec.size // 8),
                now,
                now,
                spec.size,
                messages,
            ),
        )
        return list_id, url, self.list_length

    def _in(self, values: Sequence[Any]) -> tuple[str, Any]:
        """``column <fragment>`` matching any of ``values``, with its one parameter: one
        statement for a whole batch, whatever its size (SQLite: a JSON array it unpacks)."""
        return "IN (SELECT value FROM json_each(?))", json.dumps(list(values))

    def _free_indexes(self, list_id: int, length: int, free: int, wanted: int) -> list[int]:
        """Up to ``wanted`` distinct, uniformly random unused indexes of the list (§5.1 herd
        privacy: the order of indexes must not leak the order of issuance).

        While the list is mostly empty, random draws checked in one statement suffice (taken in
        the order drawn, so each is uniform among the free ones); a list filling up is read
        whole and sampled."""
        wanted = min(wanted, free)
        if wanted <= 0:
            return []
        picked: list[int] = []
        if free >= 4 * wanted:
            seen: set[int] = set()
            for _ in range(8):
                draws = random_indexes(length, 2 * (wanted - len(picked)), seen)
                taken = self._taken(list_id, draws)
                picked += [idx for idx in draws if idx not in taken][: wanted - len(picked)]
                if len(picked) == wanted:
                    return picked
        chosen = set(picked)
        used = {
            int(r[0])
            for r in self._db.execute("SELECT idx FROM allocations WHERE list_id = ?", (list_id,))
        }
        pool = [i for i in range(length) if i not in used and i not in chosen]
        more = min(wanted - len(picked), len(pool))
        return picked + secrets.SystemRandom().sample(pool, more)

    def _taken(self, list_id: int, candidates: Sequence[int]) -> set[int]:
        """Which of ``candidates`` are allocated already (one statement)."""
        fragment, param = self._in(candidates)
        return {
            int(r[0])
            for r in self._db.execute(
                f"SELECT idx FROM allocations WHERE list_id = ? AND idx {fragment}",
                (list_id, param),
            )
        }

    def _insert_allocations(
        self, list_id: int, rows: Sequence[tuple[int, str]], purpose: str
    ) -> set[str]:
        """Record ``(index, credential id)`` allocations; the ids whose index was free (the rest
        lost a race to another transaction: draw again). A StoreError when a credential already
        has an index for ``purpose``. SQLite's write lock excludes races: all are recorded."""
        now = _now()
        try:
            with self._guard():
                self._db.executemany(
                    "INSERT INTO allocations (list_id, idx, credential_id, purpose, "
                    "allocated_at) VALUES (?, ?, ?, ?, ?)",
                    [(list_id, idx, cid, purpose, now) for idx, cid in rows],
                )
        except self._integrity_errors:
            held = ", ".join(cid for _, cid in rows[:3])
            raise StoreError(f"credential {held} already has a {purpose} index") from None
        return {cid for _, cid in rows}

    def _status_spec(self, purpose: str | StatusSpec) -> StatusSpec:
        spec = purpose if isinstance(purpose, StatusSpec) else StatusSpec(purpose)
        if spec.purpose not in ISSUER_PURPOSES:
            raise StoreError(f"credkit allocates {', '.join(ISSUER_PURPOSES)} indexes only")
        if spec.purpose != "message" and (spec.size != 1 or spec.messages):
            raise StoreError(f"{spec.purpose} entries are one bit, without messages")
        if spec.purpose == "message" and not spec.messages:
            raise StoreError("a message entry needs its statusMessage (§2.1)")
        try:
            spec.validate()
        except ValueError as exc:
            raise StoreError(str(exc)) from None
        return spec

    def allocate(self, purpose: str | StatusSpec, credential_id: str) -> Allocation:
        """Reserve a fresh random index for ``credential_id``; must share a transaction with
        :meth:`record_issued` (the deferred foreign key refuses a commit without the record).

        ``purpose`` is a purpose name (one-bit entry) or a :class:`StatusSpec` (a ``message``
        entry of ``size`` bits with its messages)."""
        return self.allocate_many(purpose, [credential_id])[0]

    def allocate_many(
        self, purpose: str | StatusSpec, credential_ids: Sequence[str]
    ) -> list[Allocation]:
        """:meth:`allocate` for many credentials at once, in a few statements (a cohort batch).

        Each gets its own uniformly random free index; a list that fills up is continued in a
        new one. In the caller's transaction, like :meth:`allocate`."""
        spec = self._status_spec(purpose)
        self._require_tx("allocate()")
        if len(set(credential_ids)) != len(credential_ids):
            raise StoreError("a credential is listed twice in one allocation")
        found: dict[str, Allocation] = {}
        todo = list(credential_ids)
        misses = 0
        while todo:
            if misses >= ALLOCATE_TRIES:
                raise StoreBusyError(
                    f"no free {spec.purpose} index after {ALLOCATE_TRIES} draws; try again"
                )
            cached = self._open.get(spec.key())
            if cached is None or cached[3] >= cached[2]:
                list_id, url, length = self._open_list(spec)
                count = self._db.execute(
                    "SELECT count(*) FROM allocations WHERE list_id = ?", (list_id,)
                ).fetchone()[0]
                cached = self._open[spec.key()] = [list_id, url, length, int(count)]
            list_id, url, length = int(cached[0]), str(cached[1]), int(cached[2])
            indexes = self._free_indexes(list_id, length, length - int(cached[3]), len(todo))
            if not indexes:  # other processes filled the list since it was cached
                del self._open[spec.key()]
                misses += 1
                continue
            pairs = list(zip(indexes, todo, strict=False))
            won = self._insert_allocations(list_id, pairs, spec.purpose)
            cached[3] += len(won)
            for idx, cid in pairs:
                if cid in won:
                    found[cid] = Allocation(url, idx)
            if len(won) < len(pairs):
                misses += 1  # a concurrent transaction took some of these: draw again
            todo = [cid for cid in todo if cid not in found]
        return [found[cid] for cid in credential_ids]

    def claim(
        self, list_url: str, index: int, purpose: str | StatusSpec, credential_id: str
    ) -> Allocation:
        """Reserve a caller-chosen index on one of this store's lists (the VC-API caller sent a
        status entry of its own); the list must exist, have that purpose, entry size and
        messages (a ``message`` entry's, as a :class:`StatusSpec`), and the index be free."""
        self._require_tx("claim()")
        spec = purpose if isinstance(purpose, StatusSpec) else StatusSpec(purpose)
        row = self._db.execute(
            "SELECT id, purpose, length, size, messages FROM status_lists WHERE url = ?",
            (list_url,),
        ).fetchone()
        if row is None:
            raise StoreError(f"{list_url} is not one of this issuer's status lists")
        list_id, list_purpose, length = int(row[0]), str(row[1]), int(row[2])
        size, messages = int(row[3]), row[4]
        if list_purpose != spec.purpose:
            raise StoreError(f"{list_url} is a {list_purpose} list, not a {spec.purpose} list")
        if spec.size != size:
            raise StoreError(
                f"{list_url} holds {size}-bit entries; the entry says statusSize {spec.size}"
            )
        wanted = json.dumps(spec.status_message()) if spec.messages else None
        if wanted != messages:
            # one list, one meaning per value (§2.1 statusMessage): the entry must commit to
            # the messages the list was made with
            raise StoreError(f"{list_url}: the entry's statusMessage differs from the list's")
        if isinstance(index, bool) or not 0 <= index < length:
            raise StoreError(f"index {index} is outside {list_url} (0..{length - 1})")
        try:
            with self._guard():
                self._db.execute(
                    "INSERT INTO allocations (list_id, idx, credential_id, purpose, allocated_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (list_id, index, credential_id, spec.purpose, _now()),
                )
        except self._integrity_errors:
            raise StoreError(
                f"index {index} of {list_url} is taken (or {credential_id} has a "
                f"{spec.purpose} index)"
            ) from None
        # the cached free count of that list is stale now
        for key in [k for k, cached in self._open.items() if int(cached[0]) == list_id]:
            del self._open[key]
        return Allocation(list_url, index)

    # --- issued credentials ---------------------------------------------------------------

    def record_issued(
        self,
        credential_id: str,
        document: Mapping[str, Any] | bytes,
        *,
        subject_key: str | None = None,
        subject_name: str | None = None,
        email: str | None = None,
        path: str | None = None,
    ) -> IssuedCredential:
        """Record a signed credential; its ``credentialStatus`` must name exactly the indexes
        allocated to it, so the store and the diploma can never disagree."""
        row = IssueRow(credential_id, document, subject_key, subject_name, email, path)
        return self.record_issued_many([row])[0]

    def record_issued_many(self, rows: Sequence[IssueRow]) -> list[IssuedCredential]:
        """:meth:`record_issued` for many credentials, with the same checks, in a few statements
        (a cohort batch): one read of their allocations, one multi-row insert, one audit append.
        All or none: the first row that fails a check fails the call (and its transaction)."""
        parsed: list[tuple[IssueRow, bytes, list[dict[str, Any]]]] = []
        for row in rows:
            cid, document = row.credential_id, row.document
            body = document if isinstance(document, bytes) else serialize_credential(document)
            try:
                doc = json.loads(body)
            except ValueError as exc:
                raise StoreError(f"credential {cid} is not JSON: {exc}") from None
            if not isinstance(doc, dict):
                raise StoreError(f"credential {cid} is not a JSON object")
            if doc.get("id") not in (None, cid):
                raise StoreError(f"document id {doc.get('id')!r} is not {cid!r}")
            parsed.append((row, body, status_entries(doc)))
        if not parsed:
            return []
        with self.transaction():
            fragment, param = self._in([row.credential_id for row, _, _ in parsed])
            expected: dict[str, list[tuple[str, str, int]]] = {}
            for r in self._db.execute(
                "SELECT a.credential_id, a.purpose, l.url, a.idx FROM allocations a "
                f"JOIN status_lists l ON l.id = a.list_id WHERE a.credential_id {fragment}",
                (param,),
            ):
                expected.setdefault(str(r[0]), []).append((str(r[1]), str(r[2]), int(r[3])))
            own = {str(r[0]) for r in self._db.execute("SELECT url FROM status_lists")}
            prefix = f"{self.base_url}/" if self.base_url else None

            def foreign(entry: Mapping[str, Any]) -> bool:
                # a list URL away from this store's base URL (a foreign entry the caller sent and
                # the workspace accepts, issue 16); everything else must be allocated here
                url = entry.get("statusListCredential")
                if not isinstance(url, str) or url in own:
                    return False
                return prefix is None or not url.startswith(prefix)

            now = _now()
            records: list[IssuedCredential] = []
            for row, body, entries in parsed:
                cid = row.credential_id
                found = sorted(_entry_key(e) for e in entries if not foreign(e))
                allocated = sorted(expected.get(cid, []))
                if allocated != found:
                    raise StoreError(
                        f"credential {cid}: credentialStatus {found} does not match the "
                        f"indexes allocated to it {allocated}"
                    )
                records.append(
                    IssuedCredential(
                        id=cid,
                        digest=hashlib.sha256(body).hexdigest(),
                        status_entries=entries,
                        issued_at=now,
                        subject_key=row.subject_key,
                        subject_name=row.subject_name,
                        email_hash=email_hash(row.email) if row.email else None,
                        path=row.path,
                        document=body,
                    )
                )
            try:
                with self._guard():
                    self._db.executemany(
                        "INSERT INTO credentials (id, subject_key, subject_name, email_hash, "
                        "digest, document, path, status_entries, issued_at) "
                        "VALUES (?,?,?,?,?,?,?,?,?)",
                        [
                            (r.id, r.subject_key, r.subject_name, r.email_hash, r.digest,
                             r.document, r.path, json.dumps(r.status_entries), r.issued_at)
                            for r in records
                        ],
                    )  # fmt: skip
            except self._integrity_errors as exc:
                which = records[0].id if len(records) == 1 else f"{len(records)} credentials"
                raise StoreError(f"{which} not recorded: {exc}") from None
            self.audit_many([("issue", r.id, r.digest, _subject_detail(r)) for r in records])
        return records

    def issue(
        self,
        credential_id: str,
        purposes: Sequence[str | StatusSpec],
        build: Callable[[list[dict[str, Any]]], Mapping[str, Any] | bytes],
        *,
        subject_key: str | None = None,
        subject_name: str | None = None,
        email: str | None = None,
        path: str | None = None,
    ) -> IssuedCredential:
        """Allocate, build (sign) and record in one transaction; a crash keeps none of it.

        ``build`` gets the ``credentialStatus`` entries and returns the signed credential. With
        ``subject_key`` an earlier issuance for the same key is returned instead (cohort re-runs).
        """
        with self.transaction():
            if subject_key is not None:
                existing = self.find_by_subject_key(subject_key)
                if existing is not None:
                    return existing
            # checked under the write lock: two racing issues of one id cannot both pass
            found = self._db.execute("SELECT 1 FROM credentials WHERE id = ?", (credential_id,))
            if found.fetchone():
                raise DuplicateCredentialError(
                    f"a credential with id {credential_id} was already issued"
                )
            entries = [status_entry(*self.allocate(p, credential_id), p) for p in purposes]
            document = build(entries)
            return self.record_issued(
                credential_id,
                document,
                subject_key=subject_key,
                subject_name=subject_name,
                email=email,
                path=path,
            )

    def record_reissued(
        self,
        credential_id: str,
        document: Mapping[str, Any],
        *,
        detail: Mapping[str, Any] | None = None,
    ) -> tuple[IssuedCredential, str]:
        """Replace the signed bytes of a credential with a new signing of the same credential.

        Used after a key compromise (credkit.issuer.keyring): everything but ``proof`` must be
        unchanged (same id, same ``credentialStatus`` entries, so its status bits and
        allocations stay). The
        audit log gets one ``reissue`` entry with the old and the new digest. Returns the new
        record and the old digest.
        """
        body = serialize_credential(document)
        with self.transaction():
            old = self.credential(credential_id)
            if old is None or old.document is None:
                raise StoreError(f"no credential {credential_id} in the store")
            before = {k: v for k, v in json.loads(old.document).items() if k != "proof"}
            after = {k: v for k, v in dict(document).items() if k != "proof"}
            if before != after:
                raise StoreError(
                    f"credential {credential_id}: a re-issue signs the same credential again "
                    "(same id, same status entries, same claims); only the proofs may differ"
                )
            digest = hashlib.sha256(body).hexdigest()
            self._db.execute(
                "UPDATE credentials SET document = ?, digest = ? WHERE id = ?",
                (body, digest, credential_id),
            )
            self.audit(
                "reissue",
                credential_id=credential_id,
                digest=digest,
                detail={**dict(detail or {}), "old_digest": old.digest, "new_digest": digest},
            )
        record = self.credential(credential_id)
        assert record is not None
        return record, old.digest

    def set_path(self, credential_id: str, path: str) -> None:
        """Note where the credential file was written (after the issuing transaction)."""
        with self.transaction():
            cur = self._db.execute(
                "UPDATE credentials SET path = ? WHERE id = ?", (path, credential_id)
            )
            if cur.rowcount != 1:
                raise StoreError(f"no credential {credential_id} in the store")

    _COLUMNS = (
        "id, digest, status_entries, issued_at, subject_key, subject_name, email_hash, path, "
        "document"
    )

    @staticmethod
    def _record(row: Sequence[Any] | None) -> IssuedCredential | None:
        if row is None:
            return None
        return IssuedCredential(
            id=row[0],
            digest=row[1],
            status_entries=json.loads(row[2]),
            issued_at=row[3],
            subject_key=row[4],
            subject_name=row[5],
            email_hash=row[6],
            path=row[7],
            document=bytes(row[8]) if row[8] is not None else None,
        )

    def credential(self, credential_id: str) -> IssuedCredential | None:
        row = self._db.execute(
            f"SELECT {self._COLUMNS} FROM credentials WHERE id = ?", (credential_id,)
        ).fetchone()
        return self._record(row)

    def find_by_subject_key(self, key: str) -> IssuedCredential | None:
        row = self._db.execute(
            f"SELECT {self._COLUMNS} FROM credentials WHERE subject_key = ?", (key,)
        ).fetchone()
        return self._record(row)

    def credentials(self, *, documents: bool = True) -> list[IssuedCredential]:
        """Every record, oldest first; ``documents=False`` leaves the signed bytes out (listing)."""
        columns = self._COLUMNS if documents else self._COLUMNS.replace("document", "NULL")
        rows = self._db.execute(f"SELECT {columns} FROM credentials ORDER BY issued_at, id")
        return [r for r in (self._record(row) for row in rows) if r is not None]

    def replace(self, old_id: str, new_id: str) -> bool:
        """Retire ``old_id`` in favour of ``new_id`` (a re-issue); True when it was revoked here.

        The old record keeps its document and history; its subject key gets
        ``#replaced-by:<new id>`` appended (so the graduate's key is free for the new diploma and
        the link is kept), and its revocation entry, if it has one, is set with that reason. Run
        in the transaction that records the new diploma, so either both happen or neither.
        """
        with self.transaction():
            cur = self._db.execute(
                "UPDATE credentials SET subject_key = subject_key || ? WHERE id = ?",
                (REPLACED_MARK + new_id, old_id),
            )
            if cur.rowcount != 1:
                raise StoreError(f"no credential {old_id} in the store")
            self.audit("replace", credential_id=old_id, detail={"replaced_by": new_id})
            if self.get_status(old_id).get("revocation") is None:
                return False
            return self.set_status(old_id, "revocation", 1, reason=f"replaced by {new_id}")

    # --- status changes -------------------------------------------------------------------

    def set_status(
        self, credential_id: str, purpose: str, value: int | bool, *, reason: str | None = None
    ) -> bool:
        """Set the credential's ``purpose`` status; returns False when it already had ``value``.

        One-bit purposes take 0 or 1; a ``message`` entry of n bits takes 0 … 2^n - 1, the
        values its ``statusMessage`` names. Revocation is final (§2.1: "revocation ... is not
        reversible"): clearing it is refused. Every change is logged with its reason, in the
        same transaction as the bits.
        """
        if isinstance(value, bool):
            value = int(value)
        if not isinstance(value, int) or value < 0:
            raise StoreError(f"a status value is a non-negative integer, got {value!r}")
        bit = value
        with self.transaction():
            row = self._db.execute(
                "SELECT a.list_id, a.idx, l.bits, l.size FROM allocations a JOIN status_lists l "
                "ON l.id = a.list_id WHERE a.credential_id = ? AND a.purpose = ?"
                + self._lock_list_row,
                (credential_id, purpose),
            ).fetchone()
            if row is None:
                known = self._db.execute(
                    "SELECT 1 FROM credentials WHERE id = ?", (credential_id,)
                ).fetchone()
                if known is None:
                    raise StoreError(f"no credential {credential_id} in the store")
                raise StoreError(f"credential {credential_id} was issued without a {purpose} entry")
            list_id, idx, size = int(row[0]), int(row[1]), int(row[3])
            if bit >= 1 << size:
                raise StoreError(
                    f"the {purpose} status of {credential_id} is {size} bit(s): "
                    f"0 to {(1 << size) - 1}, not {bit}"
                )
            bits = Bitstring.from_bytes(row[2])
            current = bits.value(idx, size)
            if current == bit:
                return False
            if purpose == "revocation" and current == 1:
                raise StoreError(f"credential {credential_id} is revoked; revocation is final")
            bits.set_value(idx, size, bit)
            now = _now()
            self._db.execute(
                "UPDATE status_lists SET bits = ?, version = version + 1, updated_at = ? "
                "WHERE id = ?",
                (bytes(bits), now, list_id),
            )
            self._db.execute(
                "INSERT INTO status_events (credential_id, purpose, list_id, idx, value, reason, "
                "at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (credential_id, purpose, list_id, idx, bit, reason, now),
            )
            detail: dict[str, Any] = {"purpose": purpose, "value": bit, "from": current}
            if reason:
                detail["reason"] = reason
            self.audit("status", credential_id=credential_id, detail=detail)
        return True

    def get_status(self, credential_id: str) -> dict[str, int]:
        """``{purpose: value}`` for every status entry of the credential (a bit, or a
        ``message`` entry's n-bit value)."""
        rows = self._db.execute(
            "SELECT a.purpose, a.idx, l.bits, l.size FROM allocations a JOIN status_lists l "
            "ON l.id = a.list_id WHERE a.credential_id = ?",
            (credential_id,),
        ).fetchall()
        if not rows and self.credential(credential_id) is None:
            raise StoreError(f"no credential {credential_id} in the store")
        return {str(p): Bitstring.from_bytes(b).value(int(i), int(n)) for p, i, b, n in rows}

    def status_messages(self, credential_id: str) -> dict[str, dict[int, str]]:
        """``{purpose: {value: message}}`` for the credential's entries that carry messages."""
        rows = self._db.execute(
            "SELECT a.purpose, l.messages FROM allocations a JOIN status_lists l "
            "ON l.id = a.list_id WHERE a.credential_id = ? AND l.messages IS NOT NULL",
            (credential_id,),
        ).fetchall()
        return {
            str(p): {int(m["status"], 16): str(m["message"]) for m in json.loads(raw)}
            for p, raw in rows
        }

    def history(self, credential_id: str) -> list[StatusEvent]:
        rows = self._db.execute(
            "SELECT seq, credential_id, purpose, value, reason, at FROM status_events "
            "WHERE credential_id = ? ORDER BY seq",
            (credential_id,),
        )
        return [StatusEvent(int(r[0]), r[1], r[2], int(r[3]), r[4], r[5]) for r in rows]

    # --- lists ----------------------------------------------------------------------------

    def lists(self) -> list[StatusListInfo]:
        rows = self._db.execute(
            "SELECT l.id, l.url, l.purpose, l.length, "
            "(SELECT count(*) FROM allocations a WHERE a.list_id = l.id), l.bits, l.version, "
            "l.updated_at, l.size FROM status_lists l ORDER BY l.id"
        ).fetchall()
        return [
            StatusListInfo(
                id=int(r[0]),
                url=r[1],
                purpose=r[2],
                length=int(r[3]),
                allocated=int(r[4]),
                set_count=Bitstring.from_bytes(r[5]).count(),
                version=int(r[6]),
                updated_at=r[7],
                size=int(r[8]),
            )
            for r in rows
        ]

    def bitstring(self, list_id: int | str) -> Bitstring:
        """The current bits of a list, by number or URL."""
        column = "url" if isinstance(list_id, str) else "id"
        row = self._db.execute(
            f"SELECT bits FROM status_lists WHERE {column} = ?", (list_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"no status list {list_id!r} in the store")
        return Bitstring.from_bytes(row[0])

    def list_header(self, list_id: int) -> tuple[int, str, str, str] | None:
        """``(version, url, purpose, updated_at)`` of a list without its bits, or None: what a
        server checks before deciding whether to sign the list again."""
        row = self._db.execute(
            "SELECT version, url, purpose, updated_at FROM status_lists WHERE id = ?", (list_id,)
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]), str(row[2]), str(row[3]))

    def list_id_for(self, url: str) -> int | None:
        row = self._db.execute("SELECT id FROM status_lists WHERE url = ?", (url,)).fetchone()
        return None if row is None else int(row[0])

    def list_snapshot(self, list_id: int | str) -> tuple[Bitstring, int, str]:
        """A list's bits, version and time of last change read in one statement (one snapshot),
        so a publisher that signs these bits and records this version never calls a revocation
        published that is not in the bits."""
        column = "url" if isinstance(list_id, str) else "id"
        row = self._db.execute(
            f"SELECT bits, version, updated_at FROM status_lists WHERE {column} = ?", (list_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"no status list {list_id!r} in the store")
        return Bitstring.from_bytes(bytes(row[0])), int(row[1]), str(row[2])

    def check_consistency(self) -> list[str]:
        """Problems found by the engine's own checks plus credkit's invariants; empty when sound."""
        problems = self._engine_problems()
        for cred in self.credentials():
            found = sorted(_entry_key(e) for e in cred.status_entries)
            expected = sorted(
                (str(r[0]), str(r[1]), int(r[2]))
                for r in self._db.execute(
                    "SELECT a.purpose, l.url, a.idx FROM allocations a JOIN status_lists l "
                    "ON l.id = a.list_id WHERE a.credential_id = ?",
                    (cred.id,),
                )
            )
            if found != expected:
                problems.append(f"credential {cred.id}: entries {found} != allocations {expected}")
            document = cred.document or b""
            if hashlib.sha256(document).hexdigest() != cred.digest:
                problems.append(f"credential {cred.id}: digest does not match its document")
        # replaying the change log must give exactly the stored bits
        infos = self.lists()
        sizes = {info.id: info.size for info in infos}
        replay: dict[int, Bitstring] = {
            info.id: Bitstring.from_bytes(bytes(info.length * info.size // 8)) for info in infos
        }
        for list_id, idx, value in self._db.execute(
            "SELECT list_id, idx, value FROM status_events ORDER BY seq"
        ):
            replay[int(list_id)].set_value(int(idx), sizes[int(list_id)], int(value))
        for list_id, bits in replay.items():
            if bits != self.bitstring(list_id):
                problems.append(f"status list {list_id}: bits differ from the change log")
        return problems

    # --- audit log (issue 19) -------------------------------------------------------------

    def audit(
        self,
        action: str,
        *,
        credential_id: str | None = None,
        digest: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry | None:
        """Append to the hash-chained audit log, in the caller's transaction when there is one
        (so the entry commits with the change it records, or not at all). None when the entry
        waits for the end of an :meth:`audit_at_commit` block."""
        made = self.audit_many([(action, credential_id, digest, detail)])
        return made[0] if made else None

    def audit_many(self, pending: Sequence[audit_log.Pending]) -> list[AuditEntry]:
        """Append several entries in order (one head read, one insert), in one transaction;
        inside :meth:`audit_at_commit`, they wait for the end of the block (and [] is returned)."""
        if self._deferred is not None and self._depth:
            self._deferred.extend(pending)
            return []
        return self._append_audit(pending)

    def _append_audit(self, pending: Sequence[audit_log.Pending]) -> list[AuditEntry]:
        with self.transaction():
            return audit_log.append_many(self._db, _now(), self.actor, pending)

    @contextmanager
    def audit_at_commit(self) -> Iterator[None]:
        """Inside a transaction: keep the block's audit entries and append them, in order, when
        the block ends without an error (still inside the transaction, so they commit with the
        changes they record, or not at all). Why: appending takes the chain head, which every
        other writer needs too (on PostgreSQL a row lock held to the commit); a cohort batch
        would hold it from its first record to its commit, now only for its last statements."""
        self._require_tx("audit_at_commit()")
        if self._deferred is not None:  # nested: the outer block appends
            yield
            return
        self._deferred = []
        try:
            yield
            pending, self._deferred = self._deferred, None
            self._append_audit(pending)
        finally:
            self._deferred = None

    def audit_entries(
        self, *, credential_id: str | None = None, since: int = 0
    ) -> list[AuditEntry]:
        return audit_log.entries(self._db, credential_id=credential_id, since=since)

    def verify_audit(self) -> list[str]:
        """Every break in the audit chain (edited, deleted or cut-off entries); empty if whole."""
        return audit_log.verify_chain(self._db)

    # --- claim offers (issue 18) ----------------------------------------------------------

    def create_offer(
        self, credential_id: str, *, lifetime: timedelta, tx_code: str | None = None
    ) -> tuple[Offer, str]:
        """A new active offer for an issued credential; returns it and its secret (shown once:
        only its hash is stored)."""
        now = datetime.now(UTC)
        secret = new_secret()
        offer = Offer(
            id="offer-" + secrets.token_hex(8),
            credential_id=credential_id,
            created_at=timestamp(now),
            expires_at=expiry(now, lifetime),
            state="active",
            has_tx_code=tx_code is not None,
        )
        with self.transaction():
            if self.credential(credential_id) is None:
                raise StoreError(f"no credential {credential_id} in the store")
            self._db.execute(
                "INSERT INTO offers (id, secret_hash, credential_id, created_at, expires_at, "
                "state, tx_code_hash) VALUES (?,?,?,?,?,?,?)",
                (
                    offer.id,
                    secret_hash(secret),
                    credential_id,
                    offer.created_at,
                    offer.expires_at,
                    offer.state,
                    secret_hash(tx_code) if tx_code is not None else None,
                ),
            )
            self.audit(
                "offer.create",
                credential_id=credential_id,
                detail={"offer": offer.id, "expires_at": offer.expires_at},
            )
        return offer, secret

    def offer(self, offer_id: str) -> Offer | None:
        row = self._db.execute(
            f"SELECT {OFFER_COLUMNS} FROM offers WHERE id = ?", (offer_id,)
        ).fetchone()
        return offer_from_row(row)

    def offer_by_secret(self, secret: str) -> Offer | None:
        row = self._db.execute(
            f"SELECT {OFFER_COLUMNS} FROM offers WHERE secret_hash = ?", (secret_hash(secret),)
        ).fetchone()
        return offer_from_row(row)

    def offers(self, credential_id: str | None = None) -> list[Offer]:
        if credential_id is None:
            rows = self._db.execute(f"SELECT {OFFER_COLUMNS} FROM offers ORDER BY created_at, id")
        else:
            rows = self._db.execute(
                f"SELECT {OFFER_COLUMNS} FROM offers WHERE credential_id = ? "
                "ORDER BY created_at, id",
                (credential_id,),
            )
        return [o for o in (offer_from_row(r) for r in rows) if o is not None]

    def revoke_offer(self, offer_id: str) -> Offer:
        """Withdraw an unclaimed offer (a forwarded email, a graduate who asked); a claimed one
        is refused: the wallet already holds its copy (revoke the diploma's status instead)."""
        now = datetime.now(UTC)
        with self.transaction():
            cur = self._db.execute(
                "UPDATE offers SET state = 'revoked', revoked_at = ? "
                "WHERE id = ? AND state = 'active'",
                (timestamp(now), offer_id),
            )
            offer = self.offer(offer_id)
            if cur.rowcount != 1 or offer is None:
                raise why_unusable(offer, now)
            self.audit(
                "offer.revoke", credential_id=offer.credential_id, detail={"offer": offer_id}
            )
        return offer

    def claim_offer(
        self,
        offer_id: str,
        *,
        holder: str,
        flow: str,
        delivered_digest: str,
        tx_code: str | None = None,
    ) -> Offer:
        """Mark the offer claimed by ``holder``, once: raises :class:`OfferError` (and changes
        nothing) when it is unknown, claimed, revoked, expired, or the transaction code is wrong.
        Run it in the transaction that hands out the copy, so a failure there undoes the claim."""
        now = datetime.now(UTC)
        with self.transaction():
            row = self._db.execute(
                "SELECT tx_code_hash FROM offers WHERE id = ?", (offer_id,)
            ).fetchone()
            wanted = row[0] if row is not None else None
            if wanted is not None and (
                tx_code is None or not secrets.compare_digest(secret_hash(tx_code), wanted)
            ):
                raise OfferError("the transaction code is wrong", reason="tx_code")
            cur = self._db.execute(
                "UPDATE offers SET state = 'claimed', claimed_at = ?, holder = ?, flow = ?, "
                "delivered_digest = ? WHERE id = ? AND state = 'active' AND expires_at > ?",
                (timestamp(now), holder, flow, delivered_digest, offer_id, timestamp(now)),
            )
            offer = self.offer(offer_id)
            if cur.rowcount != 1 or offer is None:
                raise why_unusable(offer, now)
            self.audit(
                "offer.claim",
                credential_id=offer.credential_id,
                digest=delivered_digest,
                detail={"offer": offer_id, "holder": holder, "flow": flow},
            )
        return offer

    def issue_token(
        self,
        kind: str,
        *,
        offer_id: str | None,
        lifetime: timedelta,
        data: Mapping[str, Any] | None = None,
        cap: int | None = None,
    ) -> str:
        """A one-time token of ``kind`` (challenge, access_token, c_nonce...), optionally tied to
        an offer, with JSON ``data`` the flow needs back; only its hash is stored. Expired rows
        are purged on the way, a bounded batch; with ``cap``, refused (TokenLimitError) when
        ``cap`` live tokens of ``kind`` for this offer (or unbound) exist (offers.PURGE_BATCH)."""
        now = datetime.now(UTC)
        token = new_secret()
        with self.transaction():
            moment = timestamp(now)
            purge = PURGE_EXPIRED_TOKENS.format(lock=self._skip_locked)
            self._db.execute(purge, (moment, PURGE_BATCH))
            if cap is not None:
                live = self._db.execute(COUNT_LIVE_TOKENS, (kind, offer_id, moment)).fetchone()
                if int(live[0]) >= cap:
                    raise TokenLimitError(f"too many live {kind} tokens; try again in a while")
            self._db.execute(
                "INSERT INTO offer_tokens (token_hash, offer_id, kind, created_at, expires_at, "
                "data) VALUES (?,?,?,?,?,?)",
                (
                    secret_hash(token),
                    offer_id,
                    kind,
                    timestamp(now),
                    expiry(now, lifetime),
                    json.dumps(dict(data or {})),
                ),
            )
        return token

    def offer_tx_code(self, offer_id: str, miss_kind: str) -> tuple[str | None, int]:
        """The offer's transaction-code hash and how many ``miss_kind`` tokens (wrong attempts)
        were recorded against it: the OID4VCI token endpoint refuses a wrong code, and stops
        after a few, before anything is claimed."""
        row = self._db.execute(
            "SELECT tx_code_hash FROM offers WHERE id = ?", (offer_id,)
        ).fetchone()
        misses = self._db.execute(
            "SELECT COUNT(*) FROM offer_tokens WHERE offer_id = ? AND kind = ?",
            (offer_id, miss_kind),
        ).fetchone()
        return (row[0] if row else None), int(misses[0])

    def peek_token(self, token: str, kind: str) -> tuple[str | None, dict[str, Any]] | None:
        """``(offer_id, data)`` of an unused, unexpired token of ``kind``, without using it."""
        row = self._db.execute(
            "SELECT offer_id, data FROM offer_tokens WHERE token_hash = ? AND kind = ? "
            "AND used_at IS NULL AND expires_at > ?",
            (secret_hash(token), kind, timestamp(datetime.now(UTC))),
        ).fetchone()
        return None if row is None else (row[0], json.loads(row[1] or "{}"))

    def use_token(self, token: str, kind: str) -> tuple[str | None, dict[str, Any]] | None:
        """Use a token once: ``(offer_id, data)``, or None when unknown, used or expired."""
        now = timestamp(datetime.now(UTC))
        with self.transaction():
            found = self.peek_token(token, kind)
            if found is None:
                return None
            cur = self._db.execute(
                "UPDATE offer_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
                (now, secret_hash(token)),
            )
            return found if cur.rowcount == 1 else None


class SqliteStore(SqlIssuerStore):
    """:class:`IssuerStore` in one SQLite file; safe for several processes on one machine.

    ``base_url`` is fixed the first time a list is created (list URLs are signed into diplomas,
    so they can never move); opening the store later with another ``base_url`` is an error.
    ``list_length`` below 131,072 is for tests only: verifiers reject shorter lists (§3.2).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        base_url: str | None = None,
        list_length: int = MIN_LENGTH,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        actor: str | None = None,
    ) -> None:
        self.actor = actor or default_actor()
        if list_length <= 0 or list_length % 8:
            raise StoreError("list_length must be a positive multiple of 8")
        self.path = Path(path)
        self.list_length = list_length
        self._depth = 0
        # the list being filled, per purpose, with its allocation count: valid only inside one
        # write transaction (BEGIN IMMEDIATE holds the lock, so no other process can allocate)
        self._open: dict[str, list[Any]] = {}
        if not self.path.exists():
            # the store names graduates: readable by the issuer only (WAL files inherit the mode)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            self._db = sqlite3.connect(
                self.path, timeout=busy_timeout_ms / 1000, isolation_level=None
            )
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{self.path}: could not switch to WAL mode (got {mode})")
            # FULL: a committed issuance survives power loss, not only a crashed process
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = ON")
            # a store already at this schema is opened without the write lock, so a reader (a
            # server thread answering GET) never waits behind a writer in another process
            if self._schema_version() != SCHEMA_VERSION:
                # the 1 -> 2 migration rebuilds status_lists; SQLite's documented way to change a
                # table's constraints (lang_altertable.html, "other kinds of table schema
                # changes") turns foreign keys off around it, and the pragma is a no-op inside a
                # transaction, so it is switched here and checked with foreign_key_check below
                self._db.execute("PRAGMA foreign_keys = OFF")
                try:
                    with self.transaction():
                        # statement by statement: executescript() would commit the transaction
                        version = self._schema_version()
                        if version == 1:
                            self._migrate_1_to_2()
                        elif version == 0:
                            self._run_script(_SCHEMA)
                        if version < 3:
                            self._run_script(_SCHEMA_3)
                        if version < 4:
                            self._run_script(TOKEN_INDEXES)
                        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                finally:
                    self._db.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open issuer store {self.path}: {exc}") from None
        self.base_url = self._bind_base_url(base_url)

    # --- plumbing -------------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[SqliteStore]:
        """One write transaction (``BEGIN IMMEDIATE``: the write lock is taken up front, so two
        processes queue instead of failing half-way). Nested uses join the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise StoreBusyError(f"issuer store {self.path} is busy: {exc}") from None
            raise StoreError(f"issuer store {self.path}: {exc}") from None
        except sqlite3.Error as exc:
            raise StoreError(f"issuer store {self.path} is busy: {exc}") from None
        self._depth = 1
        self._open.clear()
        try:
            yield self
            self._db.execute("COMMIT")
        except sqlite3.IntegrityError as exc:
            self._rollback()
            raise StoreError(f"issuer store refused the change: {exc}") from None
        except BaseException:
            self._rollback()
            raise
        finally:
            self._depth = 0

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    @contextmanager
    def _guard(self) -> Iterator[object]:
        """A savepoint: a violated constraint undoes the whole statement (an ``executemany``
        inserts row by row, and the rows before the failing one would stay), not the
        transaction, as on PostgreSQL."""
        if not self._db.in_transaction:
            yield None
            return
        self._db.execute("SAVEPOINT credkit_guard")
        try:
            yield None
        except sqlite3.Error:
            self._db.execute("ROLLBACK TO SAVEPOINT credkit_guard")
            self._db.execute("RELEASE SAVEPOINT credkit_guard")
            raise
        self._db.execute("RELEASE SAVEPOINT credkit_guard")

    def _migrate_1_to_2(self) -> None:
        """Schema 1 -> 2: status_lists gains ``size`` and ``messages`` and the ``message`` purpose.

        Existing lists keep their rows, ids, URLs and bits (all one-bit entries: size 1), so every
        diploma already issued still points at the same bit. Inside the caller's transaction.
        """
        create = _SCHEMA.split("CREATE TABLE IF NOT EXISTS status_lists", 1)[1].split(";", 1)[0]
        self._db.execute("CREATE TABLE status_lists_v2" + create)
        self._db.execute(
            "INSERT INTO status_lists_v2 (id, url, purpose, length, bits, version, created_at, "
            "updated_at) SELECT id, url, purpose, length, bits, version, created_at, updated_at "
            "FROM status_lists"
        )
        self._db.execute("DROP TABLE status_lists")
        self._db.execute("ALTER TABLE status_lists_v2 RENAME TO status_lists")
        broken = self._db.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise StoreError(f"{self.path}: migration to schema 2 broke references: {broken[:3]}")

    def _run_script(self, script: str) -> None:
        """Run DDL statement by statement (executescript() would commit the transaction);
        trigger bodies hold ``;`` of their own, so statements are split at ``END;`` too."""
        statement = ""
        for part in script.split(";"):
            statement += part + ";"
            if "CREATE TRIGGER" in statement and "END;" not in statement:
                continue
            if statement.strip(" \n;"):
                self._db.execute(statement)
            statement = ""

    def _schema_version(self) -> int:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer credkit (schema {version})")
        return version

    def _engine_problems(self) -> list[str]:
        integrity = [r[0] for r in self._db.execute("PRAGMA integrity_check")]
        problems = [] if integrity == ["ok"] else [f"integrity_check: {m}" for m in integrity]
        fk = self._db.execute("PRAGMA foreign_key_check")
        return problems + [f"foreign key: {tuple(r)}" for r in fk]

    def _name(self) -> str:
        return str(self.path)
