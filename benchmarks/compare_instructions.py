"""Instructions per operation, two checkouts side by side: a figure the machine's load cannot move.

    .venv/bin/python benchmarks/compare_instructions.py OLD_SRC NEW_SRC [--ops rdfc-sign,...]

Wall-clock figures on a shared two-core machine swing by 20% between runs, too much to hold a
change to "within 10%". ``valgrind --tool=callgrind`` counts instructions instead, and the count
is the same run to run. Each operation runs in a fresh interpreter under callgrind twice, with
10 and with 60 repetitions; the difference divided by 50 is the cost of one operation, start-up
and warm-up cancelled out. Operations (``benchmarks/diploma.json``, exact path, shapes off):
``rdfc-sign``, ``rdfc-verify``, ``jcs-sign``, ``jcs-verify`` and ``verifier`` (every check).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OPS = ("rdfc-sign", "rdfc-verify", "jcs-sign", "jcs-verify", "verifier")

WORKLOAD = """
import json, sys
from datetime import UTC, datetime, timedelta
from credkit import KeyPair, Verifier
from credkit.proofs import sign, verify
try:  # the layer packages (issue 15), or the flat layout before them
    from credkit.jsonld import shapes
    from credkit.verify.trust import TrustRegistry
except ImportError:
    from credkit import shapes
    from credkit.trust import TrustRegistry
op, n = sys.argv[1], int(sys.argv[2])
key = KeyPair.from_seed(bytes(range(32)))
doc = json.loads(open(sys.argv[3], encoding="utf-8").read())
doc.pop("proof", None)
doc["issuer"]["id"] = key.controller
suite = "eddsa-jcs-2022" if op.startswith("jcs") else "eddsa-rdfc-2022"
signed = sign(doc, key, cryptosuite=suite)
verifier = Verifier(trust=TrustRegistry.of([key.controller]))
start = datetime(2026, 1, 1, tzinfo=UTC)
with shapes.off():
    for i in range(n):
        if op.endswith("sign"):
            sign(doc, key, cryptosuite=suite, created=start + timedelta(seconds=i))
        elif op.endswith("verify"):
            verify(signed)
        else:
            verifier.verify_credential(signed)
"""


def instructions(src: str, op: str, n: int) -> int:
    """Instructions callgrind counts for ``n`` repetitions of ``op`` with ``src`` on the path."""
    env = {**os.environ, "PYTHONPATH": src, "PYTHONHASHSEED": "0"}  # the same dict layouts
    run = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            WORKLOAD,
            op,
            str(n),
            str(HERE / "diploma.json"),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", run.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count for {op}: {run.stderr[-500:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the old checkout's src folder")
    parser.add_argument("new", help="the new checkout's src folder")
    parser.add_argument("--ops", default=",".join(OPS))
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    print(f"{'operation':<14} {'old instr/op':>14} {'new instr/op':>14} {'change':>8}")
    for op in args.ops.split(","):
        per_op = []
        for src in (args.old, args.new):
            per_op.append((instructions(src, op, 60) - instructions(src, op, 10)) // 50)
        old, new = per_op
        print(f"{op:<14} {old:>14,} {new:>14,} {100 * (new - old) / old:>+7.1f}%")


if __name__ == "__main__":
    main()
