"""Shape-compiled canonicalization (credkit.jsonld.shapes) must give stock pyld's bytes, or fall back.

The differential run compares it with stock pyld on 5,000 generated same-shape documents per CI
run (hostile Unicode, odd ids, equal values, kind changes, tampering); the rest pins the hazards
one by one: compact-IRI prefixes, node merges, IRIs the template already holds, a template that
fails its first check, the cache bound, and verification of tampered same-shape documents.
"""

from __future__ import annotations

import copy
import hashlib
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from credkit.identity.keys import KeyPair
from credkit.jsonld import fastld, rdfc, shapes
from credkit.proofs import fastcheck, sign, verify

sys.path.insert(0, str(Path(__file__).parent))
from interop import documents

COUNT = int(os.environ.get("CREDKIT_SHAPES_COUNT", "5000"))
SEED = int(os.environ.get("CREDKIT_DIFF_SEED", "20261124"))
KEY = KeyPair.from_seed(hashlib.sha256(b"credkit shapes tests").digest())
CREATED = "2026-11-24T00:00:00Z"


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    fastld.set_enabled(True)
    shapes.set_enabled(True)
    shapes.set_verify(False)
    yield
    shapes.set_verify(False)
    shapes.set_enabled(True)


def _stock(doc: dict[str, Any]) -> str:
    with fastld.stock():
        return rdfc.canonicalize(doc)


def _cohort(n: int) -> list[dict[str, Any]]:
    """Same-shape diplomas; the grade is text with a quote and a newline (escaped in N-Quads)."""
    out = documents.ob3_cohort(KEY.controller, n, seed=7)
    for i, doc in enumerate(out):
        doc["credentialSubject"]["result"][0]["value"] = f'{2.5 + (i % 15) / 10:.1f} "quoted"\n'
    return out


def test_generated_same_shape_documents_match_stock() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        report = fastcheck.run_shapes(COUNT, seed=SEED)
    summary = (
        f"{report.documents} docs ({report.canonicalized} ok, {report.errors} errors "
        f"{dict(report.error_kinds)}), {report.tampered} tampered, {report.seconds:.1f}s, "
        f"stats {dict(report.stats)}"
    )
    print(summary)
    assert report.documents == COUNT
    assert report.mismatches == [], summary
    assert report.tamper_collisions == [], summary
    # the compiled path really ran, and so did each way out of it
    assert report.stats["shape_hit"] > COUNT // 4, summary
    assert report.stats["shape_trusted"] > 0
    assert report.stats["shape_probe_failed"] > 0  # e.g. a relative IRI: stock's error instead
    assert report.stats["shape_fallback_context"] > 0  # inline or unknown contexts


def test_cohort_hits_after_one_checked_compile() -> None:
    shapes.clear()
    docs = _cohort(40)
    rdfc.canonicalize(docs[0])  # pyld's process-wide context cache: filled on first use
    before = dict(shapes.STATS)
    for doc in docs:
        assert shapes.canonicalize_for_signing(doc) == _stock(doc)
    new = {k: shapes.STATS[k] - before.get(k, 0) for k in shapes.STATS}
    assert new.get("shape_new") == 1 and new.get("shape_trusted") == 1
    assert new.get("shape_hit") == 39


def test_signatures_are_those_of_the_exact_algorithm() -> None:
    for doc in _cohort(10):
        fast = sign(doc, KEY, cryptosuite="eddsa-rdfc-2022", created=CREATED)
        shapes.set_enabled(False)
        with fastld.stock():
            slow = sign(doc, KEY, cryptosuite="eddsa-rdfc-2022", created=CREATED)
        shapes.set_enabled(True)
        assert fast == slow
        assert verify(fast).verified


def test_a_defined_prefix_changes_the_shape_not_the_bytes() -> None:
    # OB 3.0 defines terms that look like schemes; "ob:x" or "xsd:x" in an @id position is a
    # compact IRI (expanded), "urn:x" is not: the scheme is part of the key.
    ctx = [
        "https://www.w3.org/ns/credentials/v2",
        {"ex": "https://ex.example/ns#", "link": {"@id": "ex:link", "@type": "@id"}},
    ]
    base = {"@context": ctx, "id": "urn:a:1", "type": "VerifiableCredential", "link": "urn:b:1"}
    docs = [dict(base, link=v) for v in ("urn:b:2", "ex:b3", "ex://b4", "https://b5", "tag:b6")]
    for doc in docs:  # inline context: not compiled at all (falls back), still exact
        assert shapes.canonicalize_for_signing(doc) == _stock(doc)
    shipped_ctx = ["https://www.w3.org/ns/credentials/v2", fastcheck.OB_V3P0]
    for scheme_value in ("urn:x:1", "xsd:x1", "ob:x1", "tag:x1", "https://x1", "did:x:1"):
        for doc in _cohort(3):
            doc["@context"] = shipped_ctx
            doc["credentialSubject"]["achievement"]["id"] = scheme_value
            doc["credentialSubject"]["achievement"]["criteria"]["id"] = scheme_value + "c"
            assert shapes.canonicalize_for_signing(doc) == _stock(doc), scheme_value


def test_equal_ids_merge_nodes_as_stock_does() -> None:
    docs = _cohort(6)
    for i, doc in enumerate(docs):
        # the subject's achievement id equal to the credential id: one node, merged properties
        if i % 2:
            doc["credentialSubject"]["achievement"]["id"] = doc["id"]
        assert shapes.canonicalize_for_signing(doc) == _stock(doc)


def test_an_iri_the_template_holds_elsewhere_falls_back() -> None:
    docs = _cohort(3)
    for doc in docs:
        shapes.canonicalize_for_signing(doc)
    before = shapes.STATS["shape_fallback_iri_collision"]
    doc = copy.deepcopy(docs[0])
    # a substituted IRI equal to an IRI the template holds as a constant (here an expanded
    # type): had that been a node's id, stock would merge the two nodes, which the template
    # cannot show -- so any such value goes to the full algorithm
    doc["credentialSubject"]["achievement"]["criteria"]["id"] = (
        "https://www.w3.org/2018/credentials#VerifiableCredential"
    )
    assert shapes.canonicalize_for_signing(doc) == _stock(doc)
    assert shapes.STATS["shape_fallback_iri_collision"] == before + 1


def test_a_template_that_fails_its_first_check_is_never_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shapes.clear()
    real = shapes._Variant.canonicalize

    def wrong(self: Any, values: list[str]) -> str:
        return real(self, values) + "<urn:x> <urn:y> <urn:z> .\n"

    monkeypatch.setattr(shapes._Variant, "canonicalize", wrong)
    before = dict(shapes.STATS)
    for doc in _cohort(5):
        assert shapes.canonicalize_for_signing(doc) == _stock(doc)
    assert shapes.STATS["shape_rejected"] == before.get("shape_rejected", 0) + 1
    assert shapes.STATS["shape_hit"] == before.get("shape_hit", 0)
    assert shapes.STATS["shape_fallback_failed"] == before.get("shape_fallback_failed", 0) + 4


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    shapes.clear()
    monkeypatch.setattr(shapes, "MAX_SHAPES", 3)
    for n in range(6):  # six shapes: a different number of alignments each
        doc = _cohort(1)[0]
        doc["credentialSubject"]["achievement"]["tag"] = [f"t{i}" for i in range(n + 1)]
        assert shapes.canonicalize_for_signing(doc) == _stock(doc)
    assert len(shapes._shapes) == 3


def test_the_key_holds_pyld_version_and_context_hashes() -> None:
    version, hashes = shapes._SALT
    assert version == fastld.SUPPORTED_PYLD
    assert any(h.startswith("https://www.w3.org/ns/credentials/v2=") for h in hashes)


def test_a_non_json_value_is_not_compiled() -> None:
    doc = _cohort(1)[0]
    doc["name"] = ("a", "tuple")
    before = shapes.STATS["shape_fallback_unshapeable"]
    assert shapes.canonicalize_for_signing(doc) == _stock(doc)  # pyld reads a tuple as a list
    assert shapes.STATS["shape_fallback_unshapeable"] == before + 1


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [
            p
            for k, v in value.items()
            if k not in ("@context", "proof")
            for p in _leaf_paths(v, (*path, k))
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, (*path, i))]
    return [path] if isinstance(value, str) else []


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def _get(doc: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = doc
    for step in path:
        node = node[step]
    return node


def test_tampered_same_shape_documents_never_verify_with_compiled_verification() -> None:
    """The case that makes verification dangerous: a tampered document of a known shape.

    Every string of every signed diploma is changed in a way that keeps the shape (same kind:
    an IRI keeps its scheme), or swapped with another diploma's value, or with another string of
    the same diploma; each tampered copy must fail compiled verification exactly as it fails with
    the exact algorithm, and every genuine one must verify.
    """
    shapes.set_verify(True)
    signed = [sign(d, KEY, cryptosuite="eddsa-rdfc-2022", created=CREATED) for d in _cohort(12)]
    for doc in signed:
        assert verify(doc).verified
    hits_before = shapes.STATS["shape_hit"]
    tampered = 0
    for n, doc in enumerate(signed):
        other = signed[(n + 1) % len(signed)]
        paths = _leaf_paths(doc)
        for i, path in enumerate(paths):
            value = _get(doc, path)
            colon = value.find(":")
            candidates = [
                value[: colon + 1] + value[colon + 1 :][::-1] + "x" if colon > 0 else value + "x",
                _get(other, path) if _get(other, path) != value else value + "\u00e9",
                _get(doc, paths[(i + 1) % len(paths)]),
            ]
            for new in candidates:
                if new == value:
                    continue
                forged = copy.deepcopy(doc)
                _set(forged, path, new)
                shapes.set_verify(True)
                compiled = verify(forged).verified
                shapes.set_verify(False)
                exact = verify(forged).verified
                assert compiled is exact, (path, new)
                assert not compiled, (path, new)
                tampered += 1
    assert tampered > 300
    assert shapes.STATS["shape_hit"] > hits_before + tampered // 3  # most were shape hits
