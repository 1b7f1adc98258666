"""Coverage-guided fuzzing of the verifier with atheris (libFuzzer); not part of the test run.

    .venv/bin/pip install atheris
    .venv/bin/python tests/fuzz/fuzz_verify.py -runs=20000        # or -max_total_time=60

Seeds are real signed diplomas (RDFC and JCS); libFuzzer mutates their bytes. The property: the
verifier never raises, and no input other than the unmodified seeds verifies.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import tempfile

import atheris

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

with atheris.instrument_imports(include=["credkit"]):
    from test_verify_helpers import ISSUER, diploma, signed, verifier

SEEDS = [
    json.dumps(signed(diploma(ISSUER.controller))).encode(),
    json.dumps(signed(diploma(ISSUER.controller), ISSUER, "eddsa-jcs-2022")).encode(),
]
SEED_SET = set(SEEDS)
VERIFIER = verifier()
COUNT = {"inputs": 0, "verified": 0, "unusable": 0, "not verified": 0, "inconclusive": 0}


def one_input(data: bytes) -> None:
    COUNT["inputs"] += 1
    result = VERIFIER.verify_credential(data)
    COUNT[result.verdict] += 1
    if COUNT["inputs"] % 10000 == 0:  # libFuzzer ends with os._exit, so report as we go
        print(f"atheris verifier fuzz: {COUNT}", file=sys.stderr, flush=True)
    if result.verdict == "verified":
        # a re-serialisation of a seed (whitespace, key order) is the same document
        try:
            same = json.loads(data) in [json.loads(s) for s in SEEDS]
        except ValueError:
            same = False
        if not same and data not in SEED_SET:
            raise AssertionError(f"a mutated diploma verified: {data[:300]!r}")


def main() -> None:
    atexit.register(lambda: print(f"\natheris verifier fuzz: {COUNT}", file=sys.stderr))
    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):
        corpus = tempfile.mkdtemp(prefix="credkit-fuzz-")
        for i, seed in enumerate(SEEDS):
            with open(os.path.join(corpus, f"seed{i}.json"), "wb") as fh:
                fh.write(seed)
        args.append(corpus)
    atheris.Setup(args, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
