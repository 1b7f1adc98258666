"""The accelerator (credkit.jsonld.fastld, fastjcs) against stock pyld / rfc8785 and the JS
reference.

    .venv/bin/python benchmarks/bench_fast.py [--rounds R] [--budget S] [--no-js]
    .venv/bin/python benchmarks/bench_fast.py --long [--docs N]       # differential, >= 100,000
    .venv/bin/python benchmarks/bench_fast.py --long-shapes [--docs N] # compiled shapes only
    .venv/bin/python benchmarks/bench_fast.py --cohort 1000,10000     # credkit issue-cohort
    .venv/bin/python benchmarks/bench_fast.py --cohort 2000 --cohort-keys encrypted,clear \
        --cohort-repeat 3                              # the cost of an encrypted issuer key

Table: sign and verify, ``eddsa-rdfc-2022`` and ``eddsa-jcs-2022``, in two modes:

* ``single``: one credential (``benchmarks/diploma.json``), a *different* ``created`` on every
  operation, on the exact algorithm (memoized pyld; shape compilation off), so nothing is reused
  between operations but the processed contexts (the honest cost of one credential, any shape;
  the JS harness re-signs one credential with one ``created``);
* ``batch``: a same-shape cohort -- 200 diplomas differing in id, identity hash, dates and grade,
  one ``created`` (as ``credkit issue-cohort`` signs them) -- per-operation average. Signing uses
  the compiled shape (credkit.jsonld.shapes, the default); verification stays exact (the default);
* ``batch*``: the same cohort verified with compiled shapes (opt-in: ``CREDKIT_SHAPES_VERIFY=1``).

The machine is shared and noisy, so the three sides are measured *interleaved*, in rounds: each
round times stock, fast and JS once per cell (each figure the best of 3 timings, as the JS harness
reports its own); the table shows the median over rounds, and each ratio is the median of the
per-round ratios (paired, so a burst of load affects both sides of a ratio alike).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import pyld.__about__  # noqa: E402
import rfc8785  # noqa: E402

from credkit.identity.keys import KeyPair  # noqa: E402
from credkit.jsonld import fastld, shapes  # noqa: E402
from credkit.proofs import (  # noqa: E402
    fastcheck,
    sign,
    verify,
)
from credkit.proofs.suites import fastjcs  # noqa: E402
from interop import documents  # noqa: E402
from interop.jsref import (  # noqa: E402
    JsReference,
)

SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022"]
BATCH = 200
BASE = datetime(2026, 11, 23, tzinfo=UTC)


@contextmanager
def stock() -> Iterator[None]:
    """Both accelerators off: stock pyld and rfc8785."""
    with fastld.stock():
        fastjcs.set_enabled(False)
        try:
            yield
        finally:
            fastjcs.set_enabled(True)


def _stamp(i: int) -> str:
    return (BASE + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _best_ms(op: Callable[[int], object], n: int, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(n):
            op(i)
        best = min(best, (time.perf_counter() - start) / n * 1000.0)
    return best


class Cells:
    """The credkit operations of one suite, prepared once (signed inputs for verification)."""

    def __init__(self, suite: str, key: KeyPair, n_single: int) -> None:
        self.suite = suite
        self.key = key
        self.doc = documents.ob3_diploma(key.controller)
        self.batch = documents.ob3_cohort(key.controller, BATCH)
        self.n_single = n_single
        self.single_signed = [self._sign(self.doc, _stamp(i)) for i in range(n_single)]
        self.batch_signed = [self._sign(d, _stamp(0)) for d in self.batch]

    def _sign(self, doc: dict[str, Any], created: str) -> dict[str, Any]:
        return sign(doc, self.key, cryptosuite=self.suite, created=created)

    def _verify(self, doc: dict[str, Any]) -> None:
        if not verify(doc).verified:
            raise SystemExit(f"{self.suite}: credkit failed to verify its own credential")

    def measure(self) -> dict[tuple[str, str], float]:
        n, m = self.n_single, len(self.batch)
        offset = random.randrange(10**6)  # fresh `created` values each round: no config reuse
        with shapes.off():
            out = {
                ("sign", "single"): _best_ms(lambda i: self._sign(self.doc, _stamp(offset + i)), n),
                ("verify", "single"): _best_ms(lambda i: self._verify(self.single_signed[i]), n),
            }
        out[("sign", "batch")] = _best_ms(lambda i: self._sign(self.batch[i], _stamp(0)), m)
        out[("verify", "batch")] = _best_ms(lambda i: self._verify(self.batch_signed[i]), m)
        if self.suite == "eddsa-rdfc-2022":
            with shapes.verifying():
                out[("verify", "batch*")] = _best_ms(
                    lambda i: self._verify(self.batch_signed[i]), m
                )
        return out


def _identical_outputs(cells: Cells) -> None:
    """The table is only meaningful if both sides produce the same bytes: check first."""
    for doc in (cells.doc, *cells.batch[:20]):
        fast = cells._sign(doc, _stamp(0))
        with stock():
            slow = cells._sign(doc, _stamp(0))
        if fast != slow:
            raise SystemExit(f"{cells.suite}: fast and stock signatures differ")


def run_table(args: argparse.Namespace) -> None:
    key = KeyPair.from_seed(hashlib.sha256(b"credkit benchmark issuer").digest())
    js, js_note = JsReference.for_benchmark(not args.no_js)
    size = len(json.dumps(documents.ob3_diploma(key.controller), separators=(",", ":")).encode())
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"python {platform.python_version()}, pyld {pyld.__about__.__version__}, "
        f"rfc8785 {getattr(rfc8785, '__version__', '?')}; JS: {js_note}"
    )
    print(f"document: benchmarks/diploma.json ({size} bytes); batch: {BATCH} same-shape diplomas")
    print()

    results: dict[tuple[str, str, str, str], list[float]] = {}
    ratios: dict[tuple[str, str, str, str], list[float]] = {}
    cells = {suite: Cells(suite, key, args.single) for suite in SUITES}
    for suite in SUITES:
        _identical_outputs(cells[suite])
        cells[suite].measure()  # warm-up (both paths)
        with stock():
            cells[suite].measure()
    for r in range(args.rounds):
        for suite in SUITES:
            fast = cells[suite].measure()
            with stock():
                slow = cells[suite].measure()
            theirs: dict[str, float] = {}
            if js is not None:
                out = js.bench(
                    cells[suite].doc,
                    key.to_multikey(include_secret=True),
                    cryptosuite=suite,
                    created=documents.CREATED,
                    iterations=args.js_iterations,
                    repeats=3,
                )
                theirs = {"sign": out["signMs"], "verify": out["verifyMs"]}
            for (op, mode), ms in fast.items():
                if (op, mode) not in slow:
                    slow[(op, mode)] = slow[(op, "batch")]  # stock has no compiled verification
                results.setdefault((suite, op, mode, "fast"), []).append(ms)
                results.setdefault((suite, op, mode, "stock"), []).append(slow[(op, mode)])
                ratios.setdefault((suite, op, mode, "fast/stock"), []).append(slow[(op, mode)] / ms)
                if theirs:
                    results.setdefault((suite, op, mode, "js"), []).append(theirs[op])
                    ratios.setdefault((suite, op, mode, "fast/js"), []).append(theirs[op] / ms)
        print(f"round {r + 1}/{args.rounds} done (load {os.getloadavg()[0]:.2f})", file=sys.stderr)

    def med(key: tuple[str, str, str, str], table: dict[Any, list[float]]) -> float | None:
        values = table.get(key)
        return statistics.median(values) if values else None

    header = [
        "suite",
        "op",
        "mode",
        "stock ops/s",
        "fast ops/s",
        "fast ms",
        "JS ops/s",
        "fast÷stock",
        "fast÷JS",
    ]
    rows = [header]
    for suite in SUITES:
        for op in ("sign", "verify"):
            for mode in ("single", "batch", "batch*"):
                k = (suite, op, mode)
                if not results.get((*k, "fast")):
                    continue
                s, f, j = (med((*k, side), results) for side in ("stock", "fast", "js"))
                rs, rj = med((*k, "fast/stock"), ratios), med((*k, "fast/js"), ratios)
                rows.append(
                    [
                        suite,
                        op,
                        mode,
                        f"{1000 / s:,.0f}" if s else "-",
                        f"{1000 / f:,.0f}" if f else "-",
                        f"{f:.3f}" if f else "-",
                        (f"{1000 / j:,.0f}" if j else "-")
                        + (" (1 doc)" if j and mode != "single" else ""),
                        f"{rs:.2f}x" if rs else "-",
                        f"{rj:.2f}x" if rj else "-",
                    ]
                )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        print(
            "  ".join(
                c.ljust(w) if j < 3 else c.rjust(w)
                for j, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(
        f"\n{args.rounds} rounds; medians; ratios = median of per-round ratios (above 1: fast is "
        "faster). JS: the reference harness, one credential re-signed with one `created`, best of "
        f"3 x {args.js_iterations}; its figure is repeated on the batch rows for comparison.\n"
        "single: exact algorithm (memoized pyld, no shape compilation). batch: signing from the "
        "compiled shape (default), verification exact (default). batch*: verification from the "
        "compiled shape (opt-in, CREDKIT_SHAPES_VERIFY=1)."
    )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"fastld counters: {dict(fastld.STATS)}")
    print(f"fastjcs counters: {dict(fastjcs.STATS)}")
    print(f"shape counters (hits, compiles, fallbacks): {dict(shapes.STATS)}")
    if args.json:
        print(json.dumps({"|".join(k): v for k, v in results.items()}, indent=1))


# --- the long differential run -------------------------------------------------------------------


def _add(total: fastcheck.Report, report: fastcheck.Report, start: float) -> None:
    """Fold one chunk's report into the running total, and say how far the run is."""
    for name in ("documents", "canonicalized", "errors", "configs", "jcs", "tampered"):
        setattr(total, name, getattr(total, name) + getattr(report, name))
    total.mismatches += report.mismatches
    total.tamper_collisions += report.tamper_collisions
    total.stock_collisions += report.stock_collisions
    total.error_kinds.update(report.error_kinds)
    total.stats.update(report.stats)
    print(
        f"{total.documents:>7} docs, {len(total.mismatches)} mismatches, "
        f"{time.perf_counter() - start:.0f}s",
        file=sys.stderr,
    )


def run_long(args: argparse.Namespace) -> int:
    import warnings

    warnings.simplefilter("ignore", SyntaxWarning)
    total = fastcheck.Report()
    chunk = 5000
    seed = args.seed
    start = time.perf_counter()
    while total.documents < args.docs:
        report = fastcheck.run(min(chunk, args.docs - total.documents), seed=seed)
        seed += 1
        _add(total, report, start)
    fallbacks = {k: v for k, v in total.stats.items() if k.startswith(("fallback", "rdf_stock"))}
    print(f"documents: {total.documents} (seeds {args.seed}..{seed - 1})")
    print(f"  canonicalized: {total.canonicalized}; errors: {dict(total.error_kinds)}")
    print(f"  proof configs compared: {total.configs}; JCS values compared: {total.jcs}")
    print(f"  tampered (one leaf changed): {total.tampered}")
    print(f"MISMATCHES fast vs stock: {len(total.mismatches)}")
    for line in total.mismatches[:20]:
        print("   ", line)
    print(
        f"tampered docs canonicalizing to the original's form, fast only: "
        f"{len(total.tamper_collisions)}"
    )
    print(
        f"  ... and with stock too (stock safe-mode hole, not the accelerator): "
        f"{len(total.stock_collisions)}"
    )
    print(
        f"memo: hits {total.stats['hit']}, stored misses {total.stats['miss']}, "
        f"nested/unfrozen stock calls {total.stats['stock_call']}"
    )
    print(
        f"to_rdf direct {total.stats['rdf_direct']} (incl. stock side: rdf_stock "
        f"{total.stats['rdf_stock']})"
    )
    print(
        f"proof config kept: hits {total.stats['config_hit']}, misses {total.stats['config_miss']}"
    )
    print(f"fallbacks: {fallbacks}")
    print(f"fastjcs: {dict(fastjcs.STATS)}")
    print(f"time: {time.perf_counter() - start:.0f}s")
    return 1 if total.mismatches or total.tamper_collisions else 0


def run_long_shapes(args: argparse.Namespace) -> int:
    """The shape-compiled path against stock on ``--docs`` same-shape documents."""
    import warnings

    warnings.simplefilter("ignore", SyntaxWarning)
    total = fastcheck.Report()
    seed = args.seed
    start = time.perf_counter()
    while total.documents < args.docs:
        report = fastcheck.run_shapes(min(5000, args.docs - total.documents), seed=seed)
        seed += 1
        _add(total, report, start)
    stats = total.stats
    print(f"shape-compiled documents: {total.documents} (seeds {args.seed}..{seed - 1})")
    print(f"  canonicalized: {total.canonicalized}; errors: {dict(total.error_kinds)}")
    print(f"  tampered (one leaf changed) and compared too: {total.tampered}")
    print(f"MISMATCHES shapes vs stock: {len(total.mismatches)}")
    for line in total.mismatches[:20]:
        print("   ", line)
    print(f"tampered docs canonicalizing to the original's form: {len(total.tamper_collisions)}")
    print(
        f"hits {stats['shape_hit']}; shapes compiled {stats['shape_new']}, templates trusted "
        f"{stats['shape_trusted']}, rejected by their first check {stats['shape_rejected']}"
    )
    ways_out = ("fallback", "stock", "failed", "unstable")
    print(f"fallbacks: { {k: v for k, v in stats.items() if any(w in k for w in ways_out)} }")
    print(f"time: {time.perf_counter() - start:.0f}s")
    return 1 if total.mismatches or total.tamper_collisions else 0


# --- the cohort ----------------------------------------------------------------------------------


_GIVEN = ["प्रिया", "Ananya", "José", "Nguyễn Thị", "محمد", "Ada", "சரண்யா", "Łukasz", "Zoë"]
_FAMILY = ["Sharma", "Iyer", "Martí", "Minh Khai", "الخوارزمي", "Lovelace", "ராமகிருஷ்ணன்"]


def write_roster(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "name", "email", "grade", "country", "notes"])
        for i in range(rows):
            out.writerow(
                [
                    f"B-{i:06d}",
                    f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}",
                    f"graduate{i}@example.com",
                    rng.choice(["Distinction", "Merit", "Pass", ""]),
                    rng.choice(["India", "Viet Nam", "Spain", "Poland"]),
                    "",
                ]
            )


def _tree_rss_kb(root: int) -> int:
    """Resident memory of ``root`` and all its descendants (from /proc), in KiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue
        pid, ppid = int(entry), int(fields.get("PPid", "0").strip() or 0)
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) if "VmRSS" in fields else 0
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_cohort_once(
    rows: int,
    workers: int | None,
    extra: list[str],
    scratch: Path | None = None,
    key: str = "encrypted",
    store_url: str | None = None,
) -> dict[str, Any]:
    """One issue-cohort run in a fresh workspace under ``scratch`` (kept until the caller ends:
    on a disk mounted with `discard`, deleting 10,000 files makes the next run's fsyncs pay for
    freeing their blocks, which no issuer's real run would)."""
    if scratch is None:
        with tempfile.TemporaryDirectory(prefix="credkit-cohort-") as tmp:
            return _cohort_once(rows, workers, extra, Path(tmp), key, store_url)
    return _cohort_once(rows, workers, extra, Path(tempfile.mkdtemp(dir=scratch)), key, store_url)


BENCH_PASSPHRASE = "benchmark passphrase, not a secret"


def _credkit_command() -> list[str]:
    installed = ROOT / ".venv" / "bin" / "credkit"
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "credkit"]


def _cohort_once(
    rows: int,
    workers: int | None,
    extra: list[str],
    base: Path,
    key: str = "encrypted",
    store_url: str | None = None,
) -> dict[str, Any]:
    """``key``: "encrypted" (the default of `credkit init`: one scrypt per run, in the main
    process; workers get the seed through the pool's pipe) or "clear" (``--unencrypted``).
    ``store_url``: a PostgreSQL store for the workspace (else its SQLite file)."""
    credkit = _credkit_command()
    env = {**os.environ, "CREDKIT_KEY_PASSPHRASE": BENCH_PASSPHRASE}
    with contextlib.nullcontext(str(base)) as tmp:
        ws = Path(tmp) / "ws"
        clear = ["--unencrypted"] if key == "clear" else []
        clear += ["--store", store_url] if store_url else []
        subprocess.run(
            [*credkit, "init", str(ws), "--name", "Bench Institute", "--base-url",
             "https://x.example", *clear],
            check=True, capture_output=True, env=env,
        )  # fmt: skip
        shutil.copy(ROOT / "examples" / "postproduction" / "program.toml", ws / "program.toml")
        roster = Path(tmp) / "roster.csv"
        write_roster(roster, rows)
        cmd = [*credkit, "issue-cohort", "--issuer-dir", str(ws), "--roster", str(roster)]
        cmd += ["--allow-placeholders", *extra]  # the example template, as a trial run
        if workers is not None:
            cmd += ["--workers", str(workers)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_tree = 0
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak_tree
            while not done.wait(0.1):
                peak_tree = max(peak_tree, _tree_rss_kb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _out, err = proc.communicate()
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        files = len(list((ws / "diplomas").glob("*.json")))
        if proc.returncode != 0 or files != rows:
            raise SystemExit(
                f"issue-cohort failed ({proc.returncode}, {files} files): {err[-500:]!r}"
            )
        return {
            "rows": rows,
            "key": key,
            "workers": workers or os.cpu_count(),
            "wall_s": wall,
            "cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "peak_rss_process_mb": after.ru_maxrss / 1024,
            "peak_rss_tree_mb": peak_tree / 1024,
            "ms_per_diploma": wall / rows * 1000,
        }


Cell = tuple[int, int | None, str, str]  # rows, workers, key kind, store


def run_cohort(args: argparse.Namespace) -> None:
    sizes = [int(x) for x in args.cohort.split(",")]
    print(
        f"credkit issue-cohort, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; "
        "workspace by `credkit init`, examples/postproduction/program.toml"
    )
    keys = args.cohort_keys.split(",")
    stores = args.cohort_stores.split(",")
    print(
        "rows    key        store       workers  wall s  CPU s   ms/diploma  "
        "peak RSS/process MB  peak RSS tree MB"
    )
    walls: dict[Cell, list[float]] = {}
    cpus: dict[Cell, list[float]] = {}
    ratios: dict[Cell, list[float]] = {}  # each run against the reference timed right after it
    js = JsReference.for_benchmark(True)[0] if args.cohort_js else None
    js_sign_ms: list[float] = []
    js_key = KeyPair.from_seed(hashlib.sha256(b"credkit benchmark issuer").digest())
    with contextlib.ExitStack() as stack:
        pg_url = None
        if "postgresql" in stores:
            import pg_server  # tests/pg_server.py: PostgreSQL from the system's binaries

            # durable, as SQLite's synchronous=FULL: fsync and synchronous_commit on
            server = pg_server.start(fsync=True)
            stack.callback(server.stop)
            pg_url = server.db_url("postgres")
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="credkit-cohorts-")))
        runs = 0
        for rows in sizes:
            for workers in (1, None) if not args.cohort_workers else (args.cohort_workers,):
                # the key kinds and stores interleaved, run after run: a burst of load hits
                # every cell alike
                for _ in range(args.cohort_repeat):
                    for env_fast in ["1"] if not args.cohort_stock else ["1", "0"]:
                        for key in keys:
                            for store in stores:
                                runs += 1
                                url = f"{pg_url}?schema=bench{runs}" if store != "sqlite" else None
                                os.environ["CREDKIT_FASTLD"] = env_fast
                                r = run_cohort_once(rows, workers, [], scratch, key, url)
                                cell = (rows, workers, key, store)
                                if env_fast == "1":
                                    walls.setdefault(cell, []).append(r["wall_s"])
                                    cpus.setdefault(cell, []).append(r["cpu_s"])
                                label = "" if env_fast == "1" else "  (stock pyld)"
                                if js is not None and env_fast == "1":
                                    # the reference's bare signing of the same diploma, measured
                                    # right after each run (a burst of load hits both alike)
                                    out = js.bench(
                                        documents.ob3_diploma(js_key.controller),
                                        js_key.to_multikey(include_secret=True),
                                        cryptosuite="eddsa-rdfc-2022",
                                        created=documents.CREATED,
                                        iterations=200,
                                        repeats=3,
                                    )
                                    js_sign_ms.append(float(out["signMs"]))
                                    bare = float(out["signMs"]) * rows / 1000
                                    ratios.setdefault(cell, []).append(bare / r["wall_s"])
                                    label += (
                                        f"  reference bare signing {bare:.1f} s: "
                                        f"{bare / r['wall_s']:.2f}x"
                                    )
                                print(
                                    f"{r['rows']:<7} {key:<10} {store:<11} {r['workers']:<8} "
                                    f"{r['wall_s']:<7.1f} {r['cpu_s']:<7.1f} "
                                    f"{r['ms_per_diploma']:<11.2f} "
                                    f"{r['peak_rss_process_mb']:<20.0f} "
                                    f"{r['peak_rss_tree_mb']:.0f}{label}",
                                    flush=True,
                                )
    os.environ.pop("CREDKIT_FASTLD", None)
    if js_sign_ms:
        ms = statistics.median(js_sign_ms)
        for (rows, workers, key, store), values in sorted(walls.items(), key=str):
            wall = statistics.median(values)
            paired = sorted(ratios.get((rows, workers, key, store), []))
            spread = (
                f"; run by run {paired[0]:.2f}x to {paired[-1]:.2f}x, median "
                f"{statistics.median(paired):.2f}x, {sum(x >= 4 for x in paired)} of "
                f"{len(paired)} at 4x or more"
                if paired
                else ""
            )
            print(
                f"vs the JS reference's bare signing ({ms:.2f} ms/diploma, one process): "
                f"{rows} rows, workers {workers or os.cpu_count()}, {key} key, {store}: median "
                f"{wall:.2f} s = {ms * rows / 1000 / wall:.2f}x faster{spread}"
            )
    if {"clear", "encrypted"} <= set(keys):
        for (rows, workers, key, store), values in sorted(walls.items(), key=str):
            if key != "encrypted":
                continue
            clear_cell = (rows, workers, "clear", store)
            clear = statistics.median(walls[clear_cell])
            enc = statistics.median(values)
            cpu_clear = statistics.median(cpus[clear_cell])
            cpu_enc = statistics.median(cpus[(rows, workers, "encrypted", store)])
            pairs = zip(values, walls[clear_cell], strict=False)
            paired = statistics.median(e / c for e, c in pairs)
            print(
                f"encrypted vs clear key, {rows} rows, workers {workers or os.cpu_count()}, "
                f"{store}: median of paired wall ratios {(paired - 1) * 100:+.1f}%; "
                f"median wall {enc:.2f} s vs {clear:.2f} s ({(enc / clear - 1) * 100:+.1f}%), "
                f"CPU {cpu_enc:.2f} s vs {cpu_clear:.2f} s "
                f"({(cpu_enc / cpu_clear - 1) * 100:+.1f}%)"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--single", type=int, default=100, help="ops per single-mode timing")
    parser.add_argument("--js-iterations", type=int, default=100)
    parser.add_argument("--no-js", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--long", action="store_true", help="differential run instead of table")
    parser.add_argument("--long-shapes", action="store_true", help="only the shapes differential")
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1_000)
    parser.add_argument("--cohort", help="comma-separated roster sizes, e.g. 1000,10000")
    parser.add_argument("--cohort-stock", action="store_true", help="also with CREDKIT_FASTLD=0")
    parser.add_argument(
        "--cohort-keys",
        default="encrypted",
        help="issuer key kinds to compare: encrypted (credkit init's default), clear, or both "
        "as encrypted,clear (interleaved; prints the median difference)",
    )
    parser.add_argument("--cohort-repeat", type=int, default=1, help="runs per cell")
    parser.add_argument(
        "--cohort-js",
        action="store_true",
        help="beside each cohort run, time the JS reference signing the same diploma",
    )
    parser.add_argument("--cohort-workers", type=int, help="only this worker count")
    parser.add_argument(
        "--cohort-stores",
        default="sqlite",
        help="issuer stores to compare: sqlite (the default), postgresql (a durable server "
        "started from the system's binaries, as the tests do), or both as sqlite,postgresql",
    )
    args = parser.parse_args(argv)
    if args.long:
        return run_long(args) | run_long_shapes(args)
    if args.long_shapes:
        return run_long_shapes(args)
    if args.cohort:
        run_cohort(args)
        return 0
    run_table(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
