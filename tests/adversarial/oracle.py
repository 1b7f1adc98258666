"""The differential oracle: does a document credkit verified still mean what was signed?

Two independent judges, neither of them credkit's verifier:

* **stock pyld in a fresh process** (:class:`StockCanonicalizer`): a worker process that never
  imports credkit (so none of its accelerators, caches or patches), started with
  ``CREDKIT_FASTLD=0`` and ``CREDKIT_SHAPES=0`` for good measure, that canonicalizes (RDFC-1.0,
  ``rdfDirection: i18n-datatype`` as credkit signs) each document with a fresh context resolver
  and fresh copies of the shipped contexts. A mutant means what was signed only if its canonical
  N-Quads (without its proof) equal those of the signed original.
* **the JavaScript reference in safe mode** (:func:`js_verdicts`, where Node is present): Digital
  Bazaar's Data Integrity stack (tests/interop/jsref.py) verifies each proof with jsonld.js
  ``safe: true``, which refuses anything JSON-LD processing would drop.

``python -m adversarial.oracle --worker`` is the worker (JSON lines in, JSON lines out).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from .corpus import REPO

CONTEXTS = REPO / "src" / "credkit" / "jsonld" / "contexts"


def _without_proof(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: v for k, v in doc.items() if k != "proof"}
    return doc


class StockCanonicalizer:
    """A long-lived worker that answers "canonical N-Quads of this document" with stock pyld."""

    def __init__(self) -> None:
        env = dict(os.environ)
        env["CREDKIT_FASTLD"] = "0"
        env["CREDKIT_SHAPES"] = "0"
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO / "tests"), *filter(None, [env.get("PYTHONPATH")])]
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "adversarial.oracle", "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
        )

    def ask(self, doc: Any) -> dict[str, Any]:
        """``{"nquads", "drops"}`` of ``doc`` without its proof, or ``{"error"}``."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"doc": _without_proof(doc)}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the stock pyld worker died")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def nquads(self, doc: Any) -> str:
        """Canonical N-Quads of ``doc`` without its proof, or ``"ERROR: ..."``."""
        answer = self.ask(doc)
        return str(answer["nquads"]) if "nquads" in answer else f"ERROR: {answer['error']}"

    def drops(self, doc: Any) -> list[str]:
        """What stock pyld leaves out of the RDF of ``doc``: keys that expand to no IRI (its
        property-dropped events) and blank-node predicates (toRdf skips them)."""
        return list(self.ask(doc).get("drops", []))

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)

    def __enter__(self) -> StockCanonicalizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def js_reference() -> Any:
    """The JS reference driver, or None when Node or its packages are not available here."""
    try:
        from interop.jsref import JsReference, ReferenceUnavailableError, skip_requested
    except ImportError:
        return None
    if skip_requested():
        return None
    try:
        return JsReference.setup()
    except ReferenceUnavailableError:
        return None


def js_verdicts(js: Any, documents: list[dict[str, Any]]) -> list[tuple[bool, str | None]]:
    """(verified, error) per document: every proof, in safe mode (no VC date or status logic)."""
    if not documents:
        return []
    try:
        results = js.verify_many([copy.deepcopy(d) for d in documents], mode="proof")
    except Exception as exc:  # a crash of the reference is not a yes
        return [(False, f"reference failed: {exc}")] * len(documents)
    return [(bool(r.get("verified")), r.get("error")) for r in results]


@dataclass
class Finding:
    target: str
    reason: str
    steps: list[str]
    document: str
    kind: str = "finding"  # or "reference-quirk": only the JS reference disagrees, known why

    def show(self) -> str:
        label = "FINDING" if self.kind == "finding" else "REFERENCE QUIRK"
        return (
            f"{label} [{self.target}] {self.reason}\n  mutations: {'; '.join(self.steps)}\n"
            f"  document: {self.document[:4000]}"
        )


def _proofs_of(doc: Any) -> list[dict[str, Any]]:
    raw = doc.get("proof") if isinstance(doc, dict) else None
    return [p for p in (raw if isinstance(raw, list) else [raw]) if isinstance(p, dict)]


def _contexts_in(doc: Any) -> list[Any]:
    """Every entry of every @context array in ``doc``, nested ones included."""
    out: list[Any] = []
    if isinstance(doc, list):
        for item in doc:
            out.extend(_contexts_in(item))
    elif isinstance(doc, dict):
        for key, value in doc.items():
            if key == "@context":
                out.extend(value if isinstance(value, list) else [value])
            else:
                out.extend(_contexts_in(value))
    return out


def reference_quirk(mutant: Any, error: str | None) -> str | None:
    """Why the JS reference refuses a mutant that stock pyld reads exactly as the signed original
    (same N-Quads, nothing dropped), when the reason is known and lies with the reference:

    * jsonld.js crashes in safe mode (``processed.events is not iterable``): no verdict at all;
    * jsonld.js calls a context URL listed twice in one ``@context`` a cycle;
    * jsonld.js imports its own processed form of a context (``@import``: "a term definition must
      not contain mappings", "keywords cannot be overridden"), where JSON-LD 1.1 §4.1.2 5.6 merges
      the imported document;
    * jsonld-signatures lets a proof's own ``@context`` replace the document's in the proof
      configuration, where VC DI EdDSA 1.0 §3.2.5, §3.3.5 (and the 2020 suite) set it to the
      document's ``@context``: a proof whose ``@context`` was added, changed or removed (what a
      change of the document's own ``@context`` does is the N-Quads' to say, and they agreed).
    """
    text = error or ""
    doc = mutant.document
    dumped = json.dumps(doc)
    absent = "(no @context)"  # not None: a proof may say "@context": null
    proof_contexts = [p.get("@context", absent) for p in _proofs_of(doc)]
    signed_contexts = [p.get("@context", absent) for p in _proofs_of(mutant.target.original)]
    if "processed.events is not iterable" in text:
        return "jsonld.js crashed in safe mode"
    urls = [c for c in _contexts_in(doc) if isinstance(c, str)]
    if "Cyclical context definition" in text and len(urls) != len(set(urls)):
        return "jsonld.js takes a context URL listed twice for a cycle (JSON-LD 1.1 allows it)"
    if '"@import"' in dumped and (
        "must not contain mappings" in text or "keywords cannot be overridden" in text
    ):
        return "jsonld.js @import of an already processed context"
    if proof_contexts != signed_contexts:
        return "jsonld-signatures takes the proof's own @context, the spec the document's"
    return None


def check_verified(mutants: list[Any], canon: StockCanonicalizer, js: Any | None) -> list[Finding]:
    """The oracle's judgement on mutants credkit verified (``mutate.Mutant``): a finding where
    stock pyld sees other N-Quads than the signed original's, or the JS reference disagrees."""
    findings: list[Finding] = []
    flagged: list[tuple[Any, Finding]] = []
    originals: dict[str, str] = {}
    for mutant in mutants:
        target = mutant.target
        if target.name not in originals:
            originals[target.name] = canon.nquads(target.original)
        answer = canon.ask(mutant.document)
        got = answer.get("nquads", f"ERROR: {answer.get('error')}")
        reason = None
        if got != originals[target.name]:
            reason = (
                "stock pyld cannot process it: " + got
                if got.startswith("ERROR")
                else "verified, but its canonical N-Quads differ from the signed original's"
            )
        elif answer.get("drops"):
            reason = (
                "verified, but stock pyld leaves data out of what the proof covers: "
                + ", ".join(map(str, answer["drops"][:5]))
            )
        if reason is not None:
            findings.append(Finding(target.name, reason, mutant.steps, mutant.dumps()))
            flagged.append((mutant, findings[-1]))
    if js is not None:
        batch = [(m, d) for m in mutants for d in m.target.js_documents(m.document)]
        answers = js_verdicts(js, [d for _, d in batch])
        stock_agrees = {id(m) for m in mutants} - {id(m) for m, f in flagged}
        for (mutant, _), (ok, error) in zip(batch, answers, strict=True):
            if not ok:
                quirk = reference_quirk(mutant, error) if id(mutant) in stock_agrees else None
                findings.append(
                    Finding(
                        mutant.target.name,
                        f"verified by credkit, refused by the JS reference: {error}"
                        + (f" (known: {quirk})" if quirk else ""),
                        mutant.steps,
                        mutant.dumps(),
                        "reference-quirk" if quirk else "finding",
                    )
                )
    return findings


# --- the worker ------------------------------------------------------------------------------


def _inline_imports(node: Any, files: dict[str, str]) -> Any:
    """``node`` with every ``{"@import": URL, ...}`` context replaced by the merged context."""
    if isinstance(node, list):
        return [_inline_imports(item, files) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _inline_imports(v, files) for k, v in node.items()}
    url = out.get("@import")
    if isinstance(url, str) and url in files:
        imported = json.loads(files[url]).get("@context")
        if isinstance(imported, dict) and "@import" not in imported:
            local = {k: v for k, v in out.items() if k != "@import"}
            return {**imported, **local}
    return out


def _blank_predicates(node: Any, out: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _blank_predicates(item, out)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("_:"):
                out.append(f"blank-node predicate {key!r}")
            _blank_predicates(value, out)


def _worker() -> int:
    """Stock pyld only: no credkit import, a fresh resolver and fresh context copies per document.

    pyld's ``@import`` writes the importing context's terms into the imported document (the
    mutable-context bug of issue 13 §3), which leaks into every later use of that context, even
    within one document (a presentation's inline context into the credential it carries). So
    ``@import`` is done here before pyld sees it, as JSON-LD 1.1 API §4.1.2 step 5.6 defines it:
    the imported context with the local entries merged over it.
    """
    from pyld import jsonld
    from pyld.context_resolver import ContextResolver

    index = json.loads((CONTEXTS / "index.json").read_text(encoding="utf-8"))
    files = {
        url: (CONTEXTS / "files" / entry["file"]).read_text(encoding="utf-8")
        for url, entry in index["contexts"].items()
    }

    def loader(url: str, options: Any = None) -> dict[str, Any]:
        if url not in files:
            raise jsonld.JsonLdError(
                f"offline oracle refuses {url}",
                "jsonld.LoadDocumentError",
                code="loading document failed",
            )
        return {"contextUrl": None, "documentUrl": url, "document": json.loads(files[url])}

    for line in sys.stdin:
        request = json.loads(line)
        try:
            options = {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": loader,
                "base": None,
                "rdfDirection": "i18n-datatype",
                "contextResolver": ContextResolver(jsonld.LRUCache(maxsize=64), loader),
            }
            request["doc"] = _inline_imports(request["doc"], files)
            answer: dict[str, Any] = {"nquads": jsonld.normalize(request["doc"], options)}
            dropped: list[str] = []
            processor = jsonld.JsonLdProcessor(
                on_property_dropped=lambda key, out=dropped: out.append(
                    f"key {key!r} expands to no IRI"
                )
            )
            options["contextResolver"] = ContextResolver(jsonld.LRUCache(maxsize=64), loader)
            _blank_predicates(processor.expand(request["doc"], options), dropped)
            answer["drops"] = dropped
        except RecursionError:
            answer = {"error": "nested too deeply"}
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        raise SystemExit(_worker())
    print(__doc__, file=sys.stderr)
    raise SystemExit(2)


__all__ = ["Finding", "StockCanonicalizer", "check_verified", "js_reference", "js_verdicts"]
