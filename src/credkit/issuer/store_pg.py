"""The issuer store on PostgreSQL, for several processes or service replicas on one database.

The statements are :class:`~credkit.issuer.store.SqlIssuerStore`'s, shared with SQLite; this
module supplies connections (``psycopg`` 3 through a ``psycopg-pool`` pool per process) and the
concurrency SQLite gets for free from its one write lock:

- a status index is ``PRIMARY KEY (list_id, idx)``: two transactions drawing the same random
  index cannot both commit; the loser's ``INSERT … ON CONFLICT DO NOTHING`` inserts nothing and
  it draws again. No lock
  is held across signing, so replicas sign in parallel. Creating a list takes a transaction-scoped
  advisory lock, so two processes never create list n+1 at once;
- changing a list's bits reads them ``FOR NO KEY UPDATE`` (a row lock), so two revocations on
  one list never overwrite each other, and bumps ``version`` in the same transaction;
- an offer is claimed by one conditional ``UPDATE`` (the row lock makes the second one see
  ``claimed``); a one-time token likewise;
- audit entries are appended under a row lock on the chain's head (``meta`` row
  ``audit_head``, read ``FOR UPDATE``), so the chain never forks: appends are serialized, and
  only for the end of a transaction. Locking and reading the head is one statement, writing the
  entry and the new head another (two round trips for a transaction's first entry and one for
  each further entry, where an advisory lock, a read of the last entry, the insert and the
  head's upsert took four, then three).

Transactions run at READ COMMITTED and stay short; a deadlock or serialization failure is retried
a few times by the outermost call, a lock held past ``lock_timeout`` answers
:class:`~credkit.issuer.store.StoreBusyError` (a service's 503). The schema lives in versioned
migrations (:data:`MIGRATIONS`, table ``credkit_migrations``), applied on open or by
``credkit store migrate``; one PostgreSQL schema per workspace is allowed (``?schema=lab1``).

A pooled connection whose server went away (a database restart) is noticed when it is taken
from the pool, without a round trip (its socket has the server's goodbye to read), and replaced;
while the database cannot be reached, a change answers
:class:`StoreUnavailableError` (a busy store: the service's 503), never a 500 or a 400.
"""

from __future__ import annotations

import atexit
import os
import re
import select
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool, PoolTimeout

from credkit.errors import StoreError
from credkit.issuer import audit as audit_log
from credkit.issuer.audit import AuditEntry, default_actor
from credkit.issuer.offers import OFFER_SCHEMA, TOKEN_INDEXES
from credkit.issuer.store import (
    _SCHEMA,
    BUSY_TIMEOUT_MS,
    SCHEMA_VERSION,
    DuplicateCredentialError,
    IssuedCredential,
    SqlIssuerStore,
    StoreBusyError,
    _now,
    random_indexes,
)
from credkit.status import MIN_LENGTH, StatusSpec

SCHEMES = ("postgresql", "postgres")
RETRIES = 4  # attempts of an outermost change that hit a deadlock or serialization failure
POOL_MAX = int(os.environ.get("CREDKIT_PG_POOL_MAX", "8"))
# longest pause between two statements of one transaction (a cohort batch waits for signatures)
IDLE_IN_TX_MS = 60_000
# longest wait for a pooled connection (all in use, or the database unreachable): then 503
POOL_TIMEOUT = float(os.environ.get("CREDKIT_PG_POOL_TIMEOUT", "10"))
# how long the pool keeps retrying a lost connection on its own, backing off 1 s, 2 s, 4 s ...;
# kept short so that, once the database is back, the next request starts a fresh attempt at
# once instead of waiting out a long back-off (psycopg-pool's default is 300 s)
RECONNECT_S = 2.0

T = TypeVar("T")


def is_store_url(value: str | os.PathLike[str] | None) -> bool:
    """Whether a configured store names a PostgreSQL database rather than a SQLite file."""
    return isinstance(value, str) and value.split(":", 1)[0].lower() in SCHEMES


# --- the URL ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreURL:
    """A ``postgresql://`` store URL split into what libpq takes and what credkit adds:
    ``schema`` (one per workspace) and ``password_file`` (the password is never in the URL
    credkit writes; libpq also reads ``PGPASSWORD`` and ``~/.pgpass``)."""

    conninfo: str
    schema: str
    password_file: str | None
    has_password: bool

    @classmethod
    def parse(cls, url: str) -> StoreURL:
        parts = urlsplit(url)
        if parts.scheme.lower() not in SCHEMES:
            raise StoreError(f"a store URL starts with postgresql://, not {parts.scheme}://")
        query = parse_qsl(parts.query, keep_blank_values=True)
        schema = "public"
        password_file = None
        kept: list[tuple[str, str]] = []
        for key, value in query:
            if key == "schema":
                schema = value
            elif key == "password_file":
                password_file = value
            else:
                if key == "options":
                    # libpq's own way: options=-csearch_path=lab1
                    found = re.search(r"-c\s*search_path\s*=\s*([^\s,]+)", value)
                    if found:
                        schema = found.group(1)
                kept.append((key, value))
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", schema):
            raise StoreError(f"store schema {schema!r}: letters, digits and _ only")
        conninfo = urlunsplit(
            (parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment)
        )
        return cls(conninfo, schema, password_file, parts.password is not None)

    def redacted(self) -> str:
        """The URL for messages: no password, whatever was passed."""
        parts = urlsplit(self.conninfo)
        netloc = parts.netloc.rsplit("@", 1)
        if len(netloc) == 2:
            user = unquote(netloc[0].split(":", 1)[0])
            host = f"{user}@{netloc[1]}"
        else:
            host = netloc[0]
        return urlunsplit((parts.scheme, host, parts.path, "", "")) + f" (schema {self.schema})"

    def connect_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"autocommit": True}
        if self.password_file:
            try:
                kwargs["password"] = Path(self.password_file).read_text("utf-8").strip()
            except OSError as exc:
                raise StoreError(f"store password_file {self.password_file}: {exc}") from None
        return kwargs


# --- the schema, in versioned migrations -------------------------------------------------------


def _pg_ddl(sqlite_ddl: str) -> str:
    """SQLite's table definitions in PostgreSQL's words: one schema written once.

    Text compares bytewise (``COLLATE "C"``) as in SQLite, so timestamps and ids sort the same
    on both backends whatever the database's locale."""
    swaps = [
        (
            "INTEGER PRIMARY KEY AUTOINCREMENT",
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        ),
        ("BLOB", "BYTEA"),
        ("length(bits)", "octet_length(bits)"),
    ]
    for old, new in swaps:
        sqlite_ddl = sqlite_ddl.replace(old, new)
    return re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', sqlite_ddl)


_AUDIT_PG = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq           BIGINT PRIMARY KEY,
    at            TEXT COLLATE "C" NOT NULL,
    actor         TEXT COLLATE "C" NOT NULL,
    action        TEXT COLLATE "C" NOT NULL,
    credential_id TEXT COLLATE "C",
    digest        TEXT COLLATE "C",
    detail        TEXT COLLATE "C" NOT NULL,
    prev_hash     TEXT COLLATE "C" NOT NULL,
    hash          TEXT COLLATE "C" NOT NULL UNIQUE
);
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
"""

# (version, what it does, DDL); applied in order, each in its own transaction, never edited
# once released: a change is a new entry.
MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        f"issuer store schema {SCHEMA_VERSION}: status lists, credentials, allocations, status "
        "events, claim offers and tokens, the hash-chained audit log",
        _pg_ddl(_SCHEMA) + _pg_ddl(OFFER_SCHEMA) + _AUDIT_PG,
    ),
    (
        2,
        "published status lists: the signed list of each version, written by the one elected "
        "publisher and served by every replica",
        """
CREATE TABLE published_lists (
    list_id      INTEGER PRIMARY KEY REFERENCES status_lists (id),
    version      BIGINT NOT NULL,             -- status_lists.version these bytes were signed from
    body         BYTEA NOT NULL,              -- the signed BitstringStatusListCredential
    published_at TEXT COLLATE "C" NOT NULL
);
""",
    ),
    (3, "indexes for purging expired offer tokens and counting live ones", TOKEN_INDEXES),
    (
        4,
        "hosted diplomas: the issuer's choice of diplomas served at /c/<link id>, shared by "
        "every replica",
        """
CREATE TABLE hosted_credentials (
    link_id       TEXT COLLATE "C" PRIMARY KEY,
    credential_id TEXT COLLATE "C" NOT NULL UNIQUE,
    added_at      TEXT COLLATE "C" NOT NULL
);
""",
    ),
]

_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS credkit_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


def _quoted(schema: str) -> str:
    return '"' + schema + '"'  # StoreURL.parse allows [A-Za-z0-9_] only


def migrate(url: str | StoreURL) -> list[int]:
    """Apply the migrations the database lacks; returns the versions applied (empty: current).

    Serialized by an advisory lock, so replicas starting together migrate once."""
    target = url if isinstance(url, StoreURL) else StoreURL.parse(url)
    try:
        with psycopg.connect(target.conninfo, **target.connect_kwargs()) as conn:
            applied: list[int] = []
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('credkit.migrate'))")
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_quoted(target.schema)}")
                conn.execute(f"SET LOCAL search_path TO {_quoted(target.schema)}")
                conn.execute(_MIGRATIONS_TABLE)
                done = {int(r[0]) for r in conn.execute("SELECT version FROM credkit_migrations")}
                newest = max(version for version, _, _ in MIGRATIONS)
                if done and max(done) > newest:
                    raise StoreError(
                        f"{target.redacted()} was migrated by a newer credkit (version "
                        f"{max(done)}, this one knows {newest})"
                    )
                for version, name, ddl in MIGRATIONS:
                    if version in done:
                        continue
                    conn.execute(ddl.encode("utf-8"))
                    conn.execute(
                        "INSERT INTO credkit_migrations (version, name) VALUES (%s, %s)",
                        (version, name),
                    )
                    applied.append(version)
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(SCHEMA_VERSION),),
                )
            return applied
    except psycopg.Error as exc:
        raise StoreError(f"cannot migrate issuer store {target.redacted()}: {_why(exc)}") from None


def migrations_applied(url: str | StoreURL) -> list[int]:
    """The versions already applied (empty for a database credkit has not set up)."""
    target = url if isinstance(url, StoreURL) else StoreURL.parse(url)
    try:
        with psycopg.connect(target.conninfo, **target.connect_kwargs()) as conn:
            conn.execute(f"SET search_path TO {_quoted(target.schema)}")
            exists = conn.execute("SELECT to_regclass('credkit_migrations')").fetchone()
            if exists is None or exists[0] is None:
                return []
            return [int(r[0]) for r in conn.execute("SELECT version FROM credkit_migrations")]
    except psycopg.OperationalError as exc:
        # the server is not there (down, restarting, unreachable): try again, not "bad request"
        raise StoreUnavailableError(
            f"cannot reach issuer store {target.redacted()}: {_why(exc)}"
        ) from None
    except psycopg.Error as exc:
        raise StoreError(f"cannot open issuer store {target.redacted()}: {_why(exc)}") from None


# (pid, conninfo, schema) of the stores this process found fully migrated: a service opens a
# store per worker thread, and each need not connect once more only to ask
_CURRENT: set[tuple[int, str, str]] = set()


def _why(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --- connections -------------------------------------------------------------------------------

_POOLS: dict[tuple[int, str, str], ConnectionPool] = {}
_POOLS_LOCK = threading.Lock()


def _pool(target: StoreURL, lock_timeout_ms: int) -> ConnectionPool:
    """One pool per process and database (a forked child opens its own: sockets do not fork)."""
    key = (os.getpid(), target.conninfo, target.schema)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is not None:
            return pool
        schema = _quoted(target.schema)

        def configure(conn: psycopg.Connection[Any]) -> None:
            conn.execute(f"SET search_path TO {schema}")
            # a lock held longer than this is "busy, retry", as SQLite's busy timeout
            conn.execute(f"SET lock_timeout = {int(lock_timeout_ms)}")
            # a replica frozen mid-transaction (SIGSTOP, a debugger) must not hold the audit head
            # or a list row forever: PostgreSQL ends such a session, and its locks with it
            conn.execute(f"SET idle_in_transaction_session_timeout = {IDLE_IN_TX_MS}")

        pool = ConnectionPool(
            target.conninfo,
            min_size=1,
            max_size=max(1, POOL_MAX),
            kwargs=target.connect_kwargs(),
            configure=configure,
            timeout=POOL_TIMEOUT,
            reconnect_timeout=RECONNECT_S,
            name=f"credkit-{target.schema}",
            open=False,
        )
        pool.open(wait=False)
        try:
            pool.wait(timeout=10)
        except PoolTimeout:
            pool.close()
            raise StoreError(
                f"cannot connect to issuer store {target.redacted()} (is the server up, the "
                "password in PGPASSWORD or password_file?)"
            ) from None
        _POOLS[key] = pool
        return pool


@atexit.register
def close_pools() -> None:
    """Close this process's pools (also at exit, so no pool thread outlives the interpreter)."""
    with _POOLS_LOCK:
        for key, pool in list(_POOLS.items()):
            if key[0] == os.getpid():
                pool.close()
            del _POOLS[key]


def _translate(sql: str, _cache: dict[str, str] = {}) -> str:  # noqa: B006 (a memo)
    """The shared statements' ``?`` parameters as psycopg's ``%s``; ``IS ?`` (SQLite's
    null-safe equality) as ``IS NOT DISTINCT FROM``."""
    done = _cache.get(sql)
    if done is None:
        done = sql.replace("%", "%%").replace(" IS ?", " IS NOT DISTINCT FROM ?")
        done = _cache[sql] = done.replace("?", "%s")
    return done


class _Rows:
    """A statement's result, read whole (the connection goes back to the pool at once)."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self.rowcount = cursor.rowcount
        self._rows: list[tuple[Any, ...]] = cursor.fetchall() if cursor.description else []

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._rows)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._rows)


def _gone(conn: psycopg.Connection[Any]) -> bool:
    """Whether a pooled connection lost its server while it sat in the pool.

    An idle session is sent nothing; a restarting or stopping server sends each session a FATAL
    message and closes it, so a readable socket means it is gone. One ``select`` with no wait: no
    round trip on the path of every request (psycopg-pool's ``check`` would cost one, and backs
    off a second or more after each stale connection it meets)."""
    if conn.closed or conn.broken:
        return True
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError, psycopg.Error):
        return True
    return bool(readable)


def _lost(exc: BaseException, conn: psycopg.Connection[Any] | None) -> bool:
    """Whether ``exc`` is the connection failing (the server gone), not the statement."""
    if isinstance(exc, pg_errors.AdminShutdown | pg_errors.CrashShutdown):
        return True
    if isinstance(exc, pg_errors.CannotConnectNow):
        return True
    return isinstance(exc, psycopg.OperationalError) and conn is not None and bool(conn.broken)


class StoreUnavailableError(StoreBusyError):
    """The database cannot be reached (restarting, down, unreachable): nothing was changed that
    was not answered; try again (the service's 503)."""

    code = "STORE_UNAVAILABLE"


class _Db:
    """``execute`` as the shared statements expect it: on the transaction's connection when one
    is open, else on a pooled connection in autocommit mode (a read sees committed data)."""

    def __init__(self, store: PostgresStore) -> None:
        self._store = store

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Rows:
        conn = self._store._conn
        if conn is not None:
            if "audit_log" in sql or "ROLLBACK" in sql.upper():
                # an entry written some other way, or undone with a savepoint (and with it the
                # row lock taken inside it): lock and read the head again
                self._store._head = None
                self._store._locks.discard("audit")
            return _Rows(conn.execute(_translate(sql), tuple(params)))
        # a read on a connection that broke under it (the server went away after the check) is
        # tried once more on a fresh one: a read changes nothing
        reread = sql.lstrip()[:6].upper() == "SELECT"
        for attempt in range(2):
            fresh = self._store._checkout()
            try:
                return _Rows(fresh.execute(_translate(sql), tuple(params)))
            except psycopg.Error as exc:
                if _lost(exc, fresh):
                    if reread and attempt == 0:
                        continue
                    raise StoreUnavailableError(
                        f"issuer store {self._store._name()} cannot be reached: {_why(exc)}"
                    ) from None
                raise StoreError(f"issuer store {self._store._name()}: {_why(exc)}") from None
            finally:
                self._store._pool.putconn(fresh)
        raise AssertionError("unreachable")

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Many rows in one pipelined batch (psycopg sends them without waiting for each
        answer); only inside a transaction, where the shared code calls it."""
        conn = self._store._conn
        if conn is None:
            raise StoreError("executemany outside a transaction")
        with conn.cursor() as cursor:
            cursor.executemany(_translate(sql), [tuple(r) for r in rows])


_HEAD_FOR_UPDATE = "SELECT value FROM meta WHERE key = 'audit_head' FOR UPDATE"
_TRANSIENT = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)


class PostgresStore(SqlIssuerStore):
    """:class:`~credkit.issuer.store.IssuerStore` on PostgreSQL, safe for many processes on many
    machines. Like :class:`~credkit.issuer.store.SqliteStore`, an instance is for one thread at a
    time (a service keeps one per thread); instances share the process's connection pool."""

    _integrity_errors = (psycopg.IntegrityError,)
    # the list's row, locked while its bits are read, changed and its version bumped; NO KEY
    # UPDATE, as the UPDATE itself takes: it does not wait for (nor deadlock with) the KEY SHARE
    # lock an allocation's foreign key takes on the same row
    _lock_list_row = " FOR NO KEY UPDATE OF l"
    _skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(
        self,
        url: str,
        *,
        base_url: str | None = None,
        list_length: int = MIN_LENGTH,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        actor: str | None = None,
        migrate_schema: bool = True,
    ) -> None:
        self.actor = actor or default_actor()
        if list_length <= 0 or list_length % 8:
            raise StoreError("list_length must be a positive multiple of 8")
        self.url = StoreURL.parse(url)
        self.list_length = list_length
        self._depth = 0
        self._open = {}
        self._conn: psycopg.Connection[Any] | None = None
        self._locks: set[str] = set()  # advisory locks this transaction holds
        # the audit chain's head as this transaction last read or wrote it, under its row lock;
        # forgotten when any other statement touches audit_log (_Db.execute), and at the end
        self._head: tuple[int, str] | None = None
        self._blind: int | None = None  # the list of the last unprobed index draw
        self._crowded: set[int] = set()  # lists where an unprobed draw met a taken index
        current = (os.getpid(), self.url.conninfo, self.url.schema)
        if current not in _CURRENT:
            applied = migrations_applied(self.url)
            if len(applied) < len(MIGRATIONS):
                if not migrate_schema:
                    raise StoreError(
                        f"{self.url.redacted()} lacks credkit's schema (or its newest "
                        "migrations): run `credkit store migrate`"
                    )
                migrate(self.url)
            _CURRENT.add(current)
        self._pool = _pool(self.url, busy_timeout_ms)
        self._db = _Db(self)
        self.base_url = self._bind_base_url(base_url)

    # --- plumbing -------------------------------------------------------------------------

    def _name(self) -> str:
        return self.url.redacted()

    def close(self) -> None:
        """Nothing to close per instance: connections belong to the process's pool."""

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _checkout(self) -> psycopg.Connection[Any]:
        """A pooled connection whose server is still there; stale ones (a database restart) are
        closed, and the pool opens new ones in their place."""
        for _ in range(max(1, POOL_MAX) + 2):
            try:
                conn = self._pool.getconn()
            except PoolTimeout:
                raise StoreUnavailableError(
                    f"no connection to {self._name()} within {self._pool.timeout:g} s; try again"
                ) from None
            if not _gone(conn):
                return conn
            conn.close()
            self._pool.putconn(conn)  # a closed connection is dropped, and replaced
        raise StoreUnavailableError(f"issuer store {self._name()} keeps dropping connections")

    @contextmanager
    def transaction(self) -> Iterator[PostgresStore]:
        """One transaction on one pooled connection; nested uses join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        conn = self._checkout()
        try:
            conn.execute("BEGIN")
        except psycopg.Error as exc:
            # nothing was sent but BEGIN: on a connection that broke since the check, start over
            # once on a fresh one
            self._pool.putconn(conn)
            if not _lost(exc, conn):
                raise StoreError(f"issuer store {self._name()}: {_why(exc)}") from None
            conn = self._checkout()
            try:
                conn.execute("BEGIN")
            except psycopg.Error as again:
                self._pool.putconn(conn)
                raise StoreUnavailableError(
                    f"issuer store {self._name()} cannot be reached: {_why(again)}"
                ) from None
        self._conn, self._depth = conn, 1
        ok = False
        try:
            yield self
            conn.execute("COMMIT")
            ok = True
        except _TRANSIENT as exc:
            raise _TransientError(f"issuer store {self._name()}: {_why(exc)}") from None
        except pg_errors.LockNotAvailable as exc:
            raise StoreBusyError(f"issuer store {self._name()} is busy: {_why(exc)}") from None
        except psycopg.Error as exc:
            if _lost(exc, conn):
                # the server went away mid-transaction: rolled back with the session (or, at
                # COMMIT, the caller cannot know; nothing was answered as done either way)
                raise StoreUnavailableError(
                    f"issuer store {self._name()} cannot be reached: {_why(exc)}"
                ) from None
            if isinstance(exc, psycopg.IntegrityError):  # the deferred foreign key, at COMMIT
                raise StoreError(f"issuer store refused the change: {_why(exc)}") from None
            raise StoreError(f"issuer store {self._name()}: {_why(exc)}") from None
        finally:
            self._conn, self._depth = None, 0
            self._locks.clear()
            self._head = None
            if not ok:
                self._open.clear()  # lists it created may be gone with the rollback
                try:
                    if not conn.closed:
                        conn.execute("ROLLBACK")
                except psycopg.Error:
                    pass
            self._pool.putconn(conn)

    @contextmanager
    def _guard(self) -> Iterator[object]:
        """A savepoint: a violated constraint undoes this statement, not the transaction."""
        conn = self._conn
        if conn is None:
            yield None
            return
        conn.execute("SAVEPOINT credkit_guard")
        try:
            yield None
        except psycopg.Error:
            conn.execute("ROLLBACK TO SAVEPOINT credkit_guard")
            self._head = None  # an entry written inside the savepoint is gone with it
            self._locks.discard("audit")
            raise
        conn.execute("RELEASE SAVEPOINT credkit_guard")

    def _advisory(self, name: str) -> None:
        """A lock named ``name`` in this schema, held to the end of the transaction; ``audit`` is
        the chain head's row lock (:meth:`_audit_head`)."""
        if name in self._locks:
            return
        if name == "audit":
            self._audit_head()
            return
        self._db.execute(
            "SELECT pg_advisory_xact_lock(hashtext(?))", (f"credkit.{name}:{self.url.schema}",)
        )
        self._locks.add(name)

    def _audit_head(self) -> tuple[int, str]:
        """Lock the audit chain's head (held to commit) and read it: ``(seq, hash)``.

        The head lives in ``meta`` (``audit.append`` keeps it there, and ``verify_chain`` checks
        it against the log), so ``SELECT … FOR UPDATE`` on its row is the lock and the read in
        one round trip; READ COMMITTED re-reads a row it waited for, so a waiter sees the head
        the previous holder committed. A store that never audited gets the row first."""
        if self._head is not None:
            return self._head  # locked and read (or written) earlier in this transaction
        row = self._db.execute(_HEAD_FOR_UPDATE).fetchone()
        if row is None:
            # the head of the entries already there (none: seq 0); a racing maker waits on the
            # key, then finds the row and locks it as well
            self._db.execute(
                "INSERT INTO meta (key, value) SELECT 'audit_head', coalesce((SELECT seq || ':' "
                "|| hash FROM audit_log ORDER BY seq DESC LIMIT 1), '0:') "
                "ON CONFLICT (key) DO NOTHING"
            )
            row = self._db.execute(_HEAD_FOR_UPDATE).fetchone()
            if row is None:
                raise StoreError(f"{self._name()}: the audit log's head cannot be recorded")
        self._locks.add("audit")
        seq, _, hashed = str(row[0]).partition(":")
        self._head = (int(seq), hashed or audit_log.GENESIS)
        return self._head

    def _lock_lists(self) -> None:
        self._advisory("lists")

    def _in(self, values: Sequence[Any]) -> tuple[str, Any]:
        return "= ANY(?)", list(values)

    def _free_indexes(self, list_id: int, length: int, free: int, wanted: int) -> list[int]:
        """While the list is sparse (under a quarter allocated, as last counted), random indexes
        without the probe: the insert's ``ON CONFLICT DO NOTHING`` tells a taken one and
        :meth:`allocate_many` draws again. Rejection sampling, so still uniform over the free
        indexes (BSL §5.1), one round trip fewer per allocation. Once a draw met a taken index
        the list is probed, as the shared code does."""
        sparse = (length - free) * 4 < length and free >= 4 * wanted
        if not sparse or list_id in self._crowded:
            self._blind = None
            return super()._free_indexes(list_id, length, free, wanted)
        self._blind = list_id
        return random_indexes(length, wanted)

    def _insert_allocations(
        self, list_id: int, rows: Sequence[tuple[int, str]], purpose: str
    ) -> set[str]:
        """One statement, no savepoint: ``ON CONFLICT DO NOTHING`` waits for a concurrent
        transaction holding the same key and then skips the row if it committed; the rows
        skipped are drawn again, unless their credential already holds an index."""
        done = self._db.execute(
            "INSERT INTO allocations (list_id, idx, credential_id, purpose, allocated_at) "
            "SELECT ?, t.idx, t.cid, ?, ? FROM unnest(?::integer[], ?::text[]) AS t(idx, cid) "
            "ON CONFLICT DO NOTHING RETURNING credential_id",
            (list_id, purpose, _now(), [i for i, _ in rows], [c for _, c in rows]),
        )
        won = {str(r[0]) for r in done}
        lost = [cid for _, cid in rows if cid not in won]
        if lost and self._blind == list_id:
            self._crowded.add(list_id)  # an unprobed draw met a taken index: probe from now on
        if lost:
            fragment, param = self._in(lost)
            held = self._db.execute(
                f"SELECT credential_id FROM allocations WHERE purpose = ? AND credential_id "
                f"{fragment}",
                (purpose, param),
            ).fetchone()
            if held is not None:
                raise StoreError(f"credential {held[0]} already has a {purpose} index")
        return won

    def _retry(self, call: Callable[[], T]) -> T:
        """Run ``call``; an outermost call that lost a deadlock or a serialization race is run
        again from the start (its transaction was rolled back whole)."""
        if self._depth:
            return call()
        for attempt in range(RETRIES):
            try:
                return call()
            except _TransientError:
                if attempt == RETRIES - 1:
                    raise
                time.sleep(0.01 * (2**attempt))
        raise AssertionError("unreachable")

    # --- the changes, retried as a whole --------------------------------------------------

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
        """As :meth:`SqliteStore.issue`; two processes issuing one subject key (a roster run on
        two machines) get one diploma: the loser's insert meets the winner's unique key, and
        the winner's record is returned."""
        outermost = not self._depth

        def run() -> IssuedCredential:
            return super(PostgresStore, self).issue(
                credential_id,
                purposes,
                build,
                subject_key=subject_key,
                subject_name=subject_name,
                email=email,
                path=path,
            )

        try:
            return self._retry(run)
        except StoreError as exc:
            if not outermost or isinstance(exc, DuplicateCredentialError | StoreBusyError):
                raise
            if subject_key is not None:
                existing = self.find_by_subject_key(subject_key)
                if existing is not None:
                    return existing
            if self.credential(credential_id) is not None:
                raise DuplicateCredentialError(
                    f"a credential with id {credential_id} was already issued"
                ) from None
            raise

    def set_status(
        self, credential_id: str, purpose: str, value: int | bool, *, reason: str | None = None
    ) -> bool:
        """As :meth:`SqliteStore.set_status`. Locks are always taken in one order, the audit
        head first and then the list's row (``replace`` audits before it revokes), so two
        changes never wait for each other in a cycle."""

        def run() -> bool:
            with self.transaction():
                self._advisory("audit")
                return super(PostgresStore, self).set_status(
                    credential_id, purpose, value, reason=reason
                )

        return self._retry(run)

    def replace(self, old_id: str, new_id: str) -> bool:
        return self._retry(lambda: super(PostgresStore, self).replace(old_id, new_id))

    def _append_audit(self, pending: Sequence[audit_log.Pending]) -> list[AuditEntry]:
        """Append under the chain head's row lock (held to commit), so appends never fork it;
        the same entries and hashes as :func:`credkit.issuer.audit.append_many` writes: after
        the lock-and-read, one statement for one entry and its new head, two for a batch."""

        def run() -> list[AuditEntry]:
            with self.transaction():
                if not pending:
                    return []
                prev_seq, prev = self._audit_head()
                rows = audit_log.chain(prev_seq, prev, _now(), self.actor, pending)
                head = f"{rows[-1][0]}:{rows[-1][-1]}"
                if len(rows) == 1:
                    # the entry and the new head in one statement (audit.append's two writes)
                    self._db.execute(
                        "WITH entry AS (INSERT INTO audit_log (seq, at, actor, action, "
                        "credential_id, digest, detail, prev_hash, hash) VALUES "
                        "(?,?,?,?,?,?,?,?,?)) UPDATE meta SET value = ? WHERE key = 'audit_head'",
                        (*rows[0], head),
                    )
                else:
                    self._db.executemany(audit_log.INSERT_ENTRIES, rows)
                    self._db.execute("UPDATE meta SET value = ? WHERE key = 'audit_head'", (head,))
                self._head = (rows[-1][0], rows[-1][-1])  # the next entry of this transaction
                return audit_log.entries_of(rows)

        return self._retry(run)

    # --- published lists (replicas) ---------------------------------------------------------

    def lists_to_publish(self) -> list[tuple[int, int, str, str, str, bytes]]:
        """``(id, version, url, purpose, updated_at, bits)`` of each list changed since it was
        last published; each row is read in one statement, so its bits are its version's."""
        rows = self._db.execute(
            "SELECT l.id, l.version, l.url, l.purpose, l.updated_at, l.bits FROM status_lists l "
            "LEFT JOIN published_lists p ON p.list_id = l.id "
            "WHERE p.version IS NULL OR p.version < l.version ORDER BY l.id"
        ).fetchall()
        return [(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), bytes(r[5])) for r in rows]

    def save_published(self, list_id: int, version: int, body: bytes) -> bool:
        """Keep ``body`` as the list's published form unless a newer version is already kept
        (the version fences a publisher that lost its election mid-cycle); True when kept."""
        with self.transaction():
            done = self._db.execute(
                "INSERT INTO published_lists (list_id, version, body, published_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (list_id) DO UPDATE SET version = "
                "excluded.version, body = excluded.body, published_at = excluded.published_at "
                "WHERE published_lists.version < excluded.version",
                (list_id, version, body, _now()),
            )
        return bool(done.rowcount == 1)

    def published(self, list_id: int) -> tuple[int, bytes] | None:
        """``(version, signed body)`` of the newest published form of a list, or None."""
        row = self._db.execute(
            "SELECT version, body FROM published_lists WHERE list_id = ?", (list_id,)
        ).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def verify_audit(self) -> list[str]:
        return audit_log.verify_chain(self._db, sequence_table=False)

    def _engine_problems(self) -> list[str]:
        # constraints are checked by PostgreSQL as rows are written (no after-the-fact pragma);
        # an allocation without its record cannot commit (deferred foreign key)
        rows = self._db.execute(
            "SELECT a.list_id, a.idx FROM allocations a LEFT JOIN credentials c "
            "ON c.id = a.credential_id WHERE c.id IS NULL"
        ).fetchall()
        return [f"foreign key: allocation {tuple(r)} without its credential" for r in rows]


class _TransientError(StoreBusyError):
    """A deadlock or serialization failure: the transaction was rolled back and may be rerun."""
