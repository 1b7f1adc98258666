"""Ed25519 signing throughput: a SoftHSM2 token (PKCS#11, CKM_EDDSA) against the file key.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_pkcs11.py [--ops N] [--processes 1,2,4]

A fresh token in a temp folder (``softhsm2-util --init-token``), an Ed25519 key generated on it
by credkit, then signatures of a 64-byte message (what the eddsa suites sign: two SHA-256
hashes) timed for the file key and the token, in 1..P processes. A process is one PKCS#11 session
(python-pkcs11 promises the module single-threaded use, so parallel signing is over processes,
as ``credkit issue-cohort``'s workers do). Each figure is the best of 3 timings.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
)
PIN = "bench-pin"
MESSAGE = bytes(range(64))
_SIGNER: Any = None


def _init(kind: str, module: str, seed: bytes) -> None:
    global _SIGNER
    if kind == "file":
        from credkit.identity.keys import KeyPair

        _SIGNER = KeyPair.from_seed(seed)
    else:
        from credkit.identity.pkcs11 import Pkcs11Config, Pkcs11Signer

        _SIGNER = Pkcs11Signer(Pkcs11Config(module, "bench", "bench-key", pin_env="BENCH_PIN"))


def _sign_many(count: int) -> int:
    for _ in range(count):
        _SIGNER.sign(MESSAGE)
    return count


def measure(kind: str, module: str, seed: bytes, processes: int, ops: int) -> float:
    """Signatures per second over ``processes`` worker processes (best of 3)."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, initializer=_init, initargs=(kind, module, seed)) as pool:
        pool.map(_sign_many, [50] * processes)  # warm-up: sessions open, caches hot
        best = 0.0
        for _ in range(3):
            start = time.perf_counter()
            done = sum(pool.map(_sign_many, [ops // processes] * processes))
            best = max(best, done / (time.perf_counter() - start))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--ops", type=int, default=4000, help="signatures per timing")
    parser.add_argument("--processes", default=f"1,{os.cpu_count() or 1}")
    args = parser.parse_args()
    module = next((m for m in MODULES if Path(m).is_file()), None)
    if module is None or shutil.which("softhsm2-util") is None:
        print("SoftHSM2 is not installed (apt-get install softhsm2)")
        return 2
    folder = Path(tempfile.mkdtemp(prefix="credkit-bench-hsm-"))
    try:
        (folder / "tokens").mkdir()
        conf = folder / "softhsm2.conf"
        conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nlog.level = ERROR\n")
        os.environ["SOFTHSM2_CONF"] = str(conf)
        os.environ["BENCH_PIN"] = PIN
        subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", "bench", "--pin", PIN,
             "--so-pin", "bench-so-pin"],
            check=True, capture_output=True,
        )  # fmt: skip
        from credkit.identity.pkcs11 import Pkcs11Config, generate

        generate(Pkcs11Config(module, "bench", "bench-key", pin_env="BENCH_PIN"))
        seed = os.urandom(32)
        version = subprocess.run(
            ["softhsm2-util", "--version"], capture_output=True, text=True
        ).stdout.strip()
        print(
            f"Ed25519 signatures/s of a 64-byte message; SoftHSM2 {version} ({module}); "
            f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; best of 3 x {args.ops}"
        )
        print("processes  file key/s  SoftHSM2/s  token / file")
        for processes in (int(p) for p in args.processes.split(",")):
            file_rate = measure("file", module, seed, processes, args.ops)
            hsm_rate = measure("hsm", module, seed, processes, args.ops)
            print(
                f"{processes:<10} {file_rate:<11.0f} {hsm_rate:<11.0f} {hsm_rate / file_rate:.2f}x",
                flush=True,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
