"""What an issuer publishes on the web: hosted diplomas, signed status lists, DID doc, profile.

A diploma is hosted only when the issuer says so (``credkit host add``): the graduate's name is on
it, so putting it on the web is a choice, never a side effect of issuing. The choice is one row in
a table of our own (``hosted_credentials``) beside the store's tables: in the workspace's SQLite
file, or, with a PostgreSQL store, in its schema (migration 4), so every replica serves the same
hosted diplomas and a replica's workspace can stay read-only.

A hosted diploma lives at ``{base_url}/c/{link_id}``: the id is :func:`credkit.share.qr.link_id`,
128
bits of SHA-256 over the signed credential, so nobody can enumerate or guess hosted diplomas.

Nothing here imports a web framework: the server (``credkit.server``) and the static site
builder both use it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from credkit.errors import CredkitError, StoreError
from credkit.identity.did import did_web_url
from credkit.identity.signer import Signer
from credkit.issuer.keyring import workspace_did_document
from credkit.issuer.store import BUSY_TIMEOUT_MS, IssuerStore, StoreBusyError, is_busy
from credkit.issuer.workspace import Workspace
from credkit.jsonld.contexts import OB_V3P0, VC_V2
from credkit.share.qr_payload import LINK_ID_RE, link_id
from credkit.status import (
    Bitstring,
    list_valid_from,
    sign_status_list,
    status_list_credential,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS hosted_credentials (
    link_id       TEXT PRIMARY KEY,
    credential_id TEXT NOT NULL UNIQUE,
    added_at      TEXT NOT NULL
)
"""

# Re-sign a status list at least this often even when nothing changed, so its validFrom stays
# recent and caches (``ttl``) keep asking.
STATUS_MAX_AGE = timedelta(hours=6)
STATUS_TTL_MS = 300_000  # verifiers may cache a list for five minutes (BSL §2.2 ttl)


class HostingError(CredkitError):
    """A diploma cannot be hosted (not issued here, altered copy, no base URL)."""

    code = "HOSTING_ERROR"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class HostedDiploma:
    link_id: str
    credential_id: str
    added_at: str


@contextmanager
def _busy_is_busy() -> Iterator[None]:
    """SQLite's "database is locked" past the busy timeout as the store's StoreBusyError."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise StoreBusyError("the hosting table is busy; try again shortly") from None
        raise


class HostedTable:
    """The issuer's choice of hosted diplomas, in the store's database (:meth:`open`)."""

    def __init__(self, path: str | Path, *, lists: Any = None) -> None:
        self.path = Path(path)
        # where status lists and hosting choices live when not in this file: a PostgreSQL store
        # (statements outside transactions, each on a pooled connection, so one instance serves
        # every thread)
        self.lists = lists
        self._lock = threading.Lock()  # one connection shared by the server's threads
        self._db: sqlite3.Connection | None = None
        if lists is not None:
            return
        try:
            # the store's short busy timeout: a locked table is "busy, try again" (503), not a
            # request held for 30 s (issue 14)
            self._db = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._db.execute(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {self.path}: {exc}") from None

    @classmethod
    def open(cls, ws: Workspace) -> HostedTable:
        """The workspace's table: its SQLite file, or its PostgreSQL store's schema."""
        return cls(ws.store_path, lists=ws.store() if ws.store_url else None)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.lists is not None:
            return list(self.lists._db.execute(sql, args).fetchall())
        assert self._db is not None
        with self._lock, _busy_is_busy():
            return list(self._db.execute(sql, args).fetchall())

    def _change(self, sql: str, args: tuple[Any, ...]) -> int:
        if self.lists is not None:
            return int(self.lists._db.execute(sql, args).rowcount)
        assert self._db is not None
        with self._lock, _busy_is_busy():
            return int(self._db.execute(sql, args).rowcount)

    def add(self, credential_id: str, ident: str) -> bool:
        """True when newly hosted; False when it already was."""
        try:
            added = self._change(
                "INSERT INTO hosted_credentials (link_id, credential_id, added_at) "
                "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (ident, credential_id, _now()),
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot host {credential_id}: {exc}") from None
        return added == 1

    def remove(self, ref: str) -> bool:
        """Stop hosting by credential id or link id; True when something was removed."""
        removed = self._change(
            "DELETE FROM hosted_credentials WHERE credential_id = ? OR link_id = ?", (ref, ref)
        )
        return removed > 0

    def lookup(self, ident: str) -> str | None:
        """The credential id hosted under ``ident``, or None."""
        if not LINK_ID_RE.match(ident):
            return None
        rows = self._all("SELECT credential_id FROM hosted_credentials WHERE link_id = ?", (ident,))
        return str(rows[0][0]) if rows else None

    # read-only views of the store's status_lists table (its ``version`` column is documented
    # as "bumped on every change, for publishers"): cheaper than SqliteStore.lists(), which
    # decodes every list to count it
    def list_version(self, list_id: int) -> tuple[int, str, str, str] | None:
        """``(version, url, purpose, updated_at)`` of a status list, or None."""
        if self.lists is not None:
            header: tuple[int, str, str, str] | None = self.lists.list_header(list_id)
            return header
        rows = self._all(
            "SELECT version, url, purpose, updated_at FROM status_lists WHERE id = ?", (list_id,)
        )
        if not rows:
            return None
        return int(rows[0][0]), str(rows[0][1]), str(rows[0][2]), str(rows[0][3])

    def list_bits(self, list_id: int) -> Bitstring:
        if self.lists is not None:
            bits: Bitstring = self.lists.bitstring(list_id)
            return bits
        rows = self._all("SELECT bits FROM status_lists WHERE id = ?", (list_id,))
        if not rows:
            raise StoreError(f"no status list {list_id}")
        return Bitstring.from_bytes(bytes(rows[0][0]))

    def list_id_for(self, url: str) -> int | None:
        if self.lists is not None:
            found: int | None = self.lists.list_id_for(url)
            return found
        rows = self._all("SELECT id FROM status_lists WHERE url = ?", (url,))
        return int(rows[0][0]) if rows else None

    def list_ids(self) -> list[int]:
        return [int(r[0]) for r in self._all("SELECT id FROM status_lists ORDER BY id")]

    def all(self) -> list[HostedDiploma]:
        rows = self._all(
            "SELECT link_id, credential_id, added_at FROM hosted_credentials ORDER BY added_at"
        )
        return [HostedDiploma(str(a), str(b), str(c)) for a, b, c in rows]


def stored_document(store: IssuerStore, credential_id: str) -> dict[str, Any]:
    """The signed credential exactly as the store recorded it."""
    record = store.credential(credential_id)
    if record is None or record.document is None:
        raise HostingError(f"{credential_id} was not issued from this workspace's store")
    document = json.loads(record.document)
    if not isinstance(document, dict):
        raise HostingError(f"{credential_id}: the stored record is not a JSON object")
    return document


def host(ws: Workspace, store: IssuerStore, table: HostedTable, document: dict[str, Any]) -> str:
    """Host a diploma issued from this workspace; returns its link URL.

    The copy given must be the one the store recorded: hosting an altered file would publish a
    diploma that fails its own signature under the issuer's name.
    """
    base = ws.require_base_url()
    cred_id = document.get("id")
    if not isinstance(cred_id, str):
        raise HostingError("the diploma has no id, so it cannot be matched to the store")
    stored = stored_document(store, cred_id)
    if link_id(stored) != link_id(document):
        raise HostingError(
            f"{cred_id}: this file differs from the diploma the store recorded; host the "
            "issued copy (or `credkit host add --all`)"
        )
    ident = link_id(stored)
    table.add(cred_id, ident)
    return f"{base.rstrip('/')}/c/{ident}"


# --- published issuer material -------------------------------------------------------------


def issuer_profile(ws: Workspace) -> dict[str, Any]:
    """The issuer's OB 3.0 Profile, the document ``GET /issuer`` answers with."""
    profile: dict[str, Any] = {
        "@context": [VC_V2, OB_V3P0],
        "id": ws.issuer_did,
        "type": ["Profile"],
        "name": ws.issuer_name,
    }
    if ws.issuer_url:
        profile["url"] = ws.issuer_url
    return profile


def did_document(ws: Workspace, key: Signer) -> dict[str, Any] | None:
    """The did:web document to publish, or None for a did:key issuer (nothing to publish).

    Built from the workspace's key set (credkit.issuer.keyring): the current key, older keys
    still listed, retired ones with ``expires``, compromised ones left out.
    """
    return workspace_did_document(ws, key)


def did_document_path(ws: Workspace) -> str | None:
    """The URL path where the did:web document must be served (``/.well-known/did.json``)."""
    if not ws.issuer_did.startswith("did:web:"):
        return None
    url = did_web_url(ws.issuer_did)
    return "/" + url.split("/", 3)[3]


class StatusListSigner:
    """Signed status list credentials, re-signed only when the store's list changed.

    Keyed by the list's ``version`` column (bumped on every change), so a revocation shows up
    in the very next request, while an unchanged list is signed once, not once per request.
    """

    def __init__(self, ws: Workspace, key: Signer) -> None:
        self.ws = ws
        self.key = key
        self._lock = threading.Lock()
        self._cache: dict[int, tuple[int, datetime, dict[str, Any]]] = {}

    def signed(self, table: HostedTable, list_id: int) -> dict[str, Any] | None:
        """The signed list credential for ``list_id``, or None when the store has no such list."""
        found = table.list_version(list_id)
        if found is None:
            return None
        version, url, purpose, changed_at = found
        now = datetime.now(UTC)
        hit = self._cache.get(list_id)
        if hit is not None and hit[0] == version and now - hit[1] < STATUS_MAX_AGE:
            return hit[2]
        with self._lock:
            hit = self._cache.get(list_id)
            if hit is not None and hit[0] == version and now - hit[1] < STATUS_MAX_AGE:
                return hit[2]
            bits = table.list_bits(list_id)
            # bits read after the version: if they moved on meanwhile, the cache holds newer bits
            # under the older version, and the next request simply signs again
            # validFrom is the last change, not the signing time: a verifier that read its clock
            # just before this list was signed must not find it "not valid yet"
            unsigned = status_list_credential(
                url,
                self.ws.issuer_did,
                purpose,
                bits,
                valid_from=list_valid_from(now, changed_at),
                ttl=STATUS_TTL_MS,
            )
            signed = sign_status_list(
                unsigned, self.key, cryptosuite=self.ws.cryptosuite, created=now
            )
            self._cache[list_id] = (version, now, signed)
            return signed


__all__ = [
    "HostedDiploma",
    "HostedTable",
    "HostingError",
    "StatusListSigner",
    "did_document",
    "did_document_path",
    "host",
    "issuer_profile",
    "stored_document",
]
