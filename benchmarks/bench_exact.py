"""Exact-path sign and verify, and the employer's whole verification, in operations per second.

    .venv/bin/python benchmarks/bench_exact.py [--seconds S] [--rounds R] [--json]

The figures the verifier's security work must not slow down (issue 13: "exact sign/verify within
10%"), measured on ``benchmarks/diploma.json`` with a fresh ``created`` per signature, so no
compiled shape or kept configuration is reused (shape compilation off, memoized pyld on, as by
default when verifying):

* ``sign``/``verify`` per suite: ``credkit.proofs.sign`` / ``credkit.proofs.verify``;
* ``verifier``: ``Verifier.verify_credential`` with every check (form, proof, dates, status
  absent, schema, trust list of one DID, endorsements), what ``credkit verify`` runs.

To compare two checkouts, run this script under each one's ``PYTHONPATH=<tree>/src`` in turn,
several times, and compare the medians: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def _rate(op: Callable[[int], object], seconds: float) -> float:
    """Operations per second of ``op(i)``, run for about ``seconds`` after a warm-up."""
    for i in range(20):
        op(i)
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(10):
            op(done)
            done += 1
    return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per figure and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    args = parser.parse_args()

    from credkit import KeyPair, Verifier
    from credkit.jsonld import shapes
    from credkit.proofs import sign, verify
    from credkit.verify.trust import TrustRegistry

    key = KeyPair.from_seed(bytes(range(32)))
    doc: dict[str, Any] = json.loads((HERE / "diploma.json").read_text(encoding="utf-8"))
    doc.pop("proof", None)
    issuer = doc.get("issuer")
    if isinstance(issuer, dict):
        issuer["id"] = key.controller
    else:
        doc["issuer"] = key.controller
    base = datetime(2026, 1, 1, tzinfo=UTC)
    signed = {s: sign(doc, key, cryptosuite=s) for s in ("eddsa-rdfc-2022", "eddsa-jcs-2022")}
    verifier = Verifier(trust=TrustRegistry.of([key.controller]))
    assert verifier.verify_credential(signed["eddsa-rdfc-2022"]).verdict == "verified"

    def signer(suite: str) -> Callable[[int], object]:
        return lambda i: sign(doc, key, cryptosuite=suite, created=base + timedelta(seconds=i))

    ops: dict[str, Callable[[int], object]] = {}
    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        ops[f"{suite} sign"] = signer(suite)
        ops[f"{suite} verify"] = lambda i, d=signed[suite]: verify(d)
    ops["verifier (all checks, rdfc)"] = lambda i: verifier.verify_credential(
        signed["eddsa-rdfc-2022"]
    )

    figures: dict[str, list[float]] = {name: [] for name in ops}
    with shapes.off():
        for _ in range(args.rounds):
            for name, op in ops.items():
                figures[name].append(_rate(op, args.seconds))
    medians = {name: statistics.median(values) for name, values in figures.items()}
    if args.json:
        json.dump(medians, sys.stdout)
        print()
        return
    print(f"{'operation':<32} {'ops/s':>9} {'ms/op':>8}   (median of {args.rounds} rounds)")
    for name, rate in medians.items():
        print(f"{name:<32} {rate:>9.1f} {1000 / rate:>8.3f}")


if __name__ == "__main__":
    main()
