"""Record the expected canonical N-Quads of ``tests/vectors/canonical-nquads/*-in.jsonld``.

The expected files are the reference's output, not credkit's: jsonld.js + rdf-canonize run by
``node/canon.mjs canonize`` exactly as the eddsa-rdfc-2022 cryptosuite canonicalizes (RDFC-1.0,
safe mode, ``rdfDirection: i18n-datatype``). Run once, when a vector is added::

    .venv/bin/python tests/interop/record_nquads_vectors.py

``tests/test_interop_nquads.py`` re-runs the reference on every input and checks the recording
still matches; ``tests/test_nquads_vectors.py`` checks credkit against it without Node.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from interop.jscanon import JsCanon
from interop.jsref import JsReference

FOLDER = Path(__file__).resolve().parents[1] / "vectors" / "canonical-nquads"


def main() -> int:
    js = JsCanon.setup()
    inputs = sorted(FOLDER.glob("*-in.jsonld"))
    documents = [json.loads(path.read_text(encoding="utf-8")) for path in inputs]
    for path, result in zip(inputs, js.canonize_many(documents), strict=True):
        if "error" in result:
            print(f"{path.name}: the reference refuses it: {result['error']}", file=sys.stderr)
            return 1
        target = path.with_name(path.name.replace("-in.jsonld", "-rdfc.nq"))
        target.write_bytes(result["nquads"].encode("utf-8"))
        print(f"{target.name}: {result['nquads'].count(chr(10))} lines")
    versions = JsReference.setup().info()["versions"]
    print(f"jsonld {versions['jsonld']}, rdf-canonize {versions['rdf-canonize']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
