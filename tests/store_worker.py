"""A separate process that issues and changes statuses in a store, for the concurrency and
crash tests. It prints a line only after the transaction it reports has committed."""

from __future__ import annotations

import os
import random
import sys
import time
from typing import Any

from credkit.issuer.store import SqlIssuerStore, SqliteStore


def open_store(target: str, base_url: str, length: int) -> SqlIssuerStore:
    """A SQLite file, or a PostgreSQL store URL (the conformance suite runs both)."""
    if target.startswith("postgresql://"):
        from credkit.issuer.store_pg import PostgresStore

        return PostgresStore(target, base_url=base_url, list_length=length)
    return SqliteStore(target, base_url=base_url, list_length=length)


def _build(credential_id: str) -> Any:
    def build(entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": credential_id,
            "type": ["VerifiableCredential"],
            "issuer": "did:example:issuer",
            "credentialSubject": {"name": credential_id},
            "credentialStatus": entries,
        }

    return build


def main() -> None:
    mode, path, base_url, prefix = sys.argv[1:5]
    length = int(sys.argv[6]) if len(sys.argv) > 6 else 131_072
    store = open_store(path, base_url, length)
    out = sys.stdout
    start_at = float(os.environ.get("STORE_WORKER_START_AT", "0"))
    time.sleep(max(0.0, start_at - time.time()))  # a barrier: both workers begin together
    if mode == "issue":
        out.write(f"start {time.time()}\n")
        for i in range(int(sys.argv[5])):
            cid = f"urn:test:{prefix}-{i}"
            store.issue(cid, ["revocation"], _build(cid), subject_key=cid)
            out.write(f"issued {cid}\n")
            out.flush()
        out.write(f"end {time.time()}\n")
    elif mode == "roster":  # the same roster as another process: keys shared, ids our own
        for i in range(int(sys.argv[5])):
            cid = f"urn:test:{prefix}-{i}"
            got = store.issue(cid, ["revocation"], _build(cid), subject_key=f"roster-{i}")
            out.write(f"issued {got.id} roster-{i}\n")
            out.flush()
    elif mode == "revoke":  # revoke urn:test:{prefix}-{i}, already issued by the test
        for i in range(int(sys.argv[5])):
            cid = f"urn:test:{prefix}-{i}"
            if store.set_status(cid, "revocation", 1, reason="race"):
                out.write(f"status {cid} revocation 1\n")
                out.flush()
    elif mode == "churn":  # issue, revoke, suspend, reinstate until killed
        issued: list[str] = []
        rng = random.Random()
        i = 0
        while True:
            if not issued or rng.random() < 0.6:
                cid = f"urn:test:{prefix}-{i}"
                i += 1
                store.issue(cid, ["revocation", "suspension"], _build(cid), subject_key=cid)
                issued.append(cid)
                out.write(f"issued {cid}\n")
            else:
                cid = rng.choice(issued)
                purpose = rng.choice(["revocation", "suspension", "suspension"])
                value = 1 if purpose == "revocation" else rng.choice([0, 1])
                if store.get_status(cid)["revocation"] and purpose == "revocation":
                    continue
                if store.set_status(cid, purpose, value, reason="churn"):
                    out.write(f"status {cid} {purpose} {value}\n")
            out.flush()
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
