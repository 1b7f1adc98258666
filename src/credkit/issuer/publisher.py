"""One status list publisher among replicas sharing a PostgreSQL store.

Every ``credkit serve`` replica on a PostgreSQL store runs a :class:`ListPublisher` thread; the
one holding the session-level advisory lock ``pg_try_advisory_lock`` on its own connection is
the publisher: it signs each list whose version moved and keeps the signed bytes with that
version (``published_lists``). Every replica serves those bytes, so two replicas never hand out
different lists for one version. When the publisher dies (even by SIGKILL) its session ends, the
lock goes with it, and another replica takes over within one ``interval``. A publisher that lost
the lock mid-cycle cannot overwrite a newer list: the stored version only moves forward.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

import psycopg

from credkit.identity.signer import Signer
from credkit.issuer.hosting import STATUS_TTL_MS
from credkit.issuer.store_pg import PostgresStore
from credkit.status import Bitstring, list_valid_from, sign_status_list, status_list_credential


def signed_list_body(
    key: Signer,
    issuer_did: str,
    cryptosuite: str,
    row: tuple[int, int, str, str, str, bytes],
) -> bytes:
    """The signed BitstringStatusListCredential of one ``lists_to_publish`` row."""
    _, _, url, purpose, updated_at, bits = row
    now = datetime.now(UTC)
    unsigned = status_list_credential(
        url,
        issuer_did,
        purpose,
        Bitstring.from_bytes(bits),
        valid_from=list_valid_from(now, updated_at),
        ttl=STATUS_TTL_MS,  # BSL §2.2 ttl: how long a verifier may cache it
    )
    signed = sign_status_list(unsigned, key, cryptosuite=cryptosuite, created=now)
    return json.dumps(signed, ensure_ascii=False).encode("utf-8")


class ListPublisher:
    """The background publisher of one replica: publishes while it holds the election lock."""

    def __init__(
        self,
        store: PostgresStore,
        key: Signer,
        issuer_did: str,
        cryptosuite: str,
        *,
        interval: float = 0.5,
    ) -> None:
        self.store, self.key = store, key
        self.issuer_did, self.cryptosuite = issuer_did, cryptosuite
        self.interval = interval
        self.leader = False
        self.published = 0  # lists this replica signed and kept
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="credkit-publisher", daemon=True)

    def start(self) -> ListPublisher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def publish_once(self) -> int:
        """Sign and keep every list whose version moved; the number kept."""
        kept = 0
        for row in self.store.lists_to_publish():
            body = signed_list_body(self.key, self.issuer_did, self.cryptosuite, row)
            if self.store.save_published(row[0], row[1], body):
                kept += 1
        self.published += kept
        return kept

    def _run(self) -> None:
        target = self.store.url
        lock_name = f"credkit.publisher:{target.schema}"
        while not self._stop.is_set():
            try:
                # a connection of its own: the lock lives exactly as long as this session
                with psycopg.connect(target.conninfo, **target.connect_kwargs()) as conn:
                    while not self._stop.is_set():
                        if not self.leader:
                            row: Any = conn.execute(
                                "SELECT pg_try_advisory_lock(hashtext(%s))", (lock_name,)
                            ).fetchone()
                            self.leader = bool(row and row[0])
                        if self.leader:
                            conn.execute("SELECT 1")  # the session (and so the lock) is alive
                            self.publish_once()
                        self._stop.wait(self.interval)
            except Exception:
                self.leader = False
                self._stop.wait(max(1.0, self.interval))
        self.leader = False
