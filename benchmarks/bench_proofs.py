"""Sign/verify throughput per cryptosuite: credkit beside the reference JavaScript implementation.

    .venv/bin/python benchmarks/bench_proofs.py [--iterations N] [--budget SECONDS] [--no-js]

The document is ``benchmarks/diploma.json``, a realistic Open Badges 3.0 diploma (issuer profile,
Diploma achievement with criteria narrative, hashed-email identifier, ~2.5 KB compact JSON),
issued by a did:key. One process per side, no parallelism:

* credkit: ``credkit.proofs.sign`` / ``credkit.proofs.verify`` (did:key resolution included);
* JS: ``@digitalbazaar/vc`` ``issue`` / ``verifyCredential`` with the pinned Data Integrity suites,
  timed inside one Node process by ``tests/interop/node/ref.mjs bench`` (did:key resolution by its
  offline document loader; start-up excluded).

Both sides warm up first (JIT, context caches), then time N sequential operations three times and
report the best run (the figure least disturbed by GC pauses and other processes). The ratio is
credkit ops/s divided by JS ops/s (above 1: credkit is faster). When Node or the npm packages are
unavailable, only credkit's figures are printed.

Both sides re-sign one document, so credkit's rdfc signatures come from the compiled shape
(``credkit.jsonld.shapes``, the default when signing); ``bench_fast.py`` is the full table, with the
exact algorithm's single-credential rows beside the same-shape batch rows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the interop helpers live with the tests

from credkit.identity.keys import KeyPair  # noqa: E402
from credkit.proofs import sign, verify  # noqa: E402
from interop import documents  # noqa: E402
from interop.jsref import (  # noqa: E402
    JsReference,
)

SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"]


REPEATS = 3  # timings per figure; the best is reported (least disturbed by GC and neighbours)


def _time_per_op(op: Callable[[], object], iterations: int, repeats: int = 1) -> float:
    """Milliseconds per call: the best of ``repeats`` runs of ``iterations`` calls."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iterations):
            op()
        best = min(best, (time.perf_counter() - start) / iterations)
    return best * 1000.0


def _calibrate(op: Callable[[], object], budget_s: float) -> int:
    """Iterations per run so that all repeats fit ``budget_s`` seconds (after a warm-up)."""
    for _ in range(5):
        op()
    trial = _time_per_op(op, 5) / 1000.0
    return max(10, min(5000, int(budget_s / REPEATS / max(trial, 1e-6))))


def bench_credkit(
    suite: str, credential: dict[str, Any], key: KeyPair, iterations: int | None, budget_s: float
) -> dict[str, Any]:
    def do_sign() -> dict[str, Any]:
        return sign(credential, key, cryptosuite=suite, created=documents.CREATED)

    signed = do_sign()

    def do_verify() -> None:
        if not verify(signed).verified:
            raise SystemExit(f"credkit failed to verify its own {suite} credential")

    do_verify()
    sign_n = iterations or _calibrate(do_sign, budget_s)
    verify_n = iterations or _calibrate(do_verify, budget_s)
    return {
        "signMs": _time_per_op(do_sign, sign_n, REPEATS),
        "verifyMs": _time_per_op(do_verify, verify_n, REPEATS),
        "signN": sign_n,
        "verifyN": verify_n,
    }


def bench_js(
    js: JsReference,
    suite: str,
    credential: dict[str, Any],
    key: KeyPair,
    iterations: int | None,
    budget_s: float,
) -> dict[str, Any]:
    key_doc = key.to_multikey(include_secret=True)
    n = iterations
    if n is None:  # one short run to size the real one
        trial = js.bench(
            credential,
            key_doc,
            cryptosuite=suite,
            created=documents.CREATED,
            iterations=10,
            repeats=1,
        )
        slowest = max(trial["signMs"], trial["verifyMs"])
        n = max(10, min(5000, int(budget_s * 1000.0 / REPEATS / slowest)))
    out = js.bench(
        credential,
        key_doc,
        cryptosuite=suite,
        created=documents.CREATED,
        iterations=n,
        repeats=REPEATS,
    )
    out["signN"] = out["verifyN"] = n
    return out


def _fmt_rate(ms: float | None) -> str:
    return "-" if ms is None else f"{1000.0 / ms:,.0f}"


def _fmt_ms(ms: float | None) -> str:
    return "-" if ms is None else f"{ms:.3f}"


def render(rows: list[dict[str, Any]]) -> str:
    header = ["suite", "op", "credkit ops/s", "credkit ms/op", "JS ops/s", "JS ms/op", "ratio"]
    table = [header]
    for row in rows:
        ours, theirs = row["credkit_ms"], row["js_ms"]
        ratio = "-" if theirs is None else f"{theirs / ours:.2f}x"
        table.append(
            [
                row["suite"],
                row["op"],
                _fmt_rate(ours),
                _fmt_ms(ours),
                _fmt_rate(theirs),
                _fmt_ms(theirs),
                ratio,
            ]
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = []
    for i, r in enumerate(table):
        pairs = enumerate(zip(r, widths, strict=True))
        cells = [c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in pairs]
        lines.append("  ".join(cells))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--iterations", type=int, help="fixed N per op (default: by --budget)")
    parser.add_argument(
        "--budget", type=float, default=1.0, help="seconds per measurement (default 1.0)"
    )
    parser.add_argument("--suite", action="append", choices=SUITES, help="repeatable")
    parser.add_argument("--no-js", action="store_true", help="credkit figures only")
    parser.add_argument("--json", action="store_true", help="print rows as JSON too")
    args = parser.parse_args(argv)
    suites = args.suite or SUITES

    key = KeyPair.from_seed(hashlib.sha256(b"credkit benchmark issuer").digest())
    credential = documents.ob3_diploma(key.controller)
    size = len(json.dumps(credential, separators=(",", ":"), ensure_ascii=False).encode())

    js, js_note = JsReference.for_benchmark(not args.no_js)

    print(f"document: benchmarks/diploma.json, OB 3.0 diploma, {size} bytes compact JSON")
    print(f"python {platform.python_version()} on {platform.machine()}; JS reference: {js_note}")
    if args.iterations:
        print(f"iterations per run: {args.iterations}, best of {REPEATS} runs")
    else:
        print(f"iterations per run: sized to ~{args.budget:g} s per figure, best of {REPEATS} runs")
    print()

    rows: list[dict[str, Any]] = []
    for suite in suites:
        ours = bench_credkit(suite, credential, key, args.iterations, args.budget)
        theirs = bench_js(js, suite, credential, key, args.iterations, args.budget) if js else None
        for op in ("sign", "verify"):
            rows.append(
                {
                    "suite": suite,
                    "op": op,
                    "credkit_ms": ours[f"{op}Ms"],
                    "credkit_n": ours[f"{op}N"],
                    "js_ms": theirs[f"{op}Ms"] if theirs else None,
                    "js_n": theirs[f"{op}N"] if theirs else None,
                }
            )
    print(render(rows))
    print("\nratio = credkit ops/s ÷ JS ops/s (above 1: credkit faster)")
    print(
        "credkit rdfc signatures of this one re-signed document come from its compiled shape "
        "(credkit.jsonld.shapes); exact-algorithm figures: bench_fast.py's single rows"
    )
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
