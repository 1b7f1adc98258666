"""The accelerator (credkit.jsonld.fastld) must never produce a byte stock pyld would not.

5,000 generated OB 3.0 diplomas per run (hostile Unicode, odd ids, shape changes, numbers,
language values, embedded endorsements, undefined terms, inline contexts), canonicalized fast and
stock; plus the guards that make the memo fall back to stock.
"""

from __future__ import annotations

import copy
import hashlib
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from credkit.errors import DataLossError
from credkit.identity.keys import KeyPair
from credkit.jsonld import fastld, rdfc
from credkit.jsonld.contexts import OB_V3P0, VC_V2, DocumentLoader
from credkit.jsonld.literals import ReferenceLiteralsProcessor
from credkit.proofs import fastcheck, sign, verify
from credkit.proofs.suites import fastjcs

sys.path.insert(0, str(Path(__file__).parent))
from interop import documents

COUNT = int(os.environ.get("CREDKIT_DIFF_COUNT", "5000"))
SEED = int(os.environ.get("CREDKIT_DIFF_SEED", "20261123"))


@pytest.fixture(autouse=True)
def _fast_on() -> Any:
    fastld.set_enabled(True)
    yield
    fastld.set_enabled(True)


def test_generated_documents_canonicalize_identically_fast_and_stock() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # pyld's "@"-reserved warnings, on purpose
        report = fastcheck.run(COUNT, seed=SEED)
    summary = (
        f"{report.documents} docs ({report.canonicalized} ok, {report.errors} errors "
        f"{dict(report.error_kinds)}), {report.configs} proof configs, {report.tampered} "
        f"tampered, {report.seconds:.1f}s, stats {dict(report.stats)}"
    )
    print(summary)
    assert report.documents == COUNT
    assert report.mismatches == [], summary
    assert report.tamper_collisions == [], summary
    # the accelerator was really exercised, and so were its fallbacks
    assert report.stats["hit"] > COUNT
    assert report.stats["rdf_direct"] > COUNT // 2
    assert report.stats["config_hit"] > 0
    assert report.stats["fallback_reserved_or_import"] > 0
    assert report.stats["subtree_hit"] > COUNT
    # a hostile mix: both outcomes well represented (the stricter safe mode refuses more)
    assert report.canonicalized > COUNT * 2 // 5 and report.errors > COUNT // 10
    assert report.jcs == 2 * COUNT  # fastjcs vs rfc8785 on each document and on random JSON


def test_signatures_are_identical_fast_and_stock() -> None:
    key = KeyPair.from_seed(hashlib.sha256(b"fast differential").digest())
    doc = documents.ob3_diploma(key.controller)
    fast = sign(doc, key, created=documents.CREATED)
    with fastld.stock():
        slow = sign(doc, key, created=documents.CREATED)
        assert verify(fast).verified
    assert fast == slow
    assert verify(slow).verified


def test_the_memo_is_hit_after_the_first_document() -> None:
    doc = documents.ob3_diploma("did:example:issuer")
    fastld.clear()
    rdfc.canonicalize(doc)
    before = fastld.STATS["hit"]
    rdfc.canonicalize(copy.deepcopy(doc))
    assert fastld.STATS["hit"] > before


def test_an_edited_scoped_context_is_noticed() -> None:
    """The memo keys scoped contexts by content: an in-place edit must not reuse a stale result."""
    scoped = {"@protected": True, "id": "@id", "type": "@type", "v": "https://ex.example/v"}
    loader = DocumentLoader()
    ctx = {"T": {"@id": "https://ex.example/T", "@context": scoped}}
    doc = {"@context": [VC_V2, ctx], "type": "T", "v": "x"}
    first = rdfc.canonicalize(doc, loader)
    assert "https://ex.example/v" in first
    scoped["v"] = "https://ex.example/changed"
    fast = rdfc.canonicalize(doc, loader)
    with fastld.stock():
        assert fast == rdfc.canonicalize(doc, loader)
    assert "https://ex.example/changed" in fast


def test_contexts_a_loader_serves_per_call_are_not_memoized() -> None:
    """A registered (non-shipped) context may change between calls: always processed afresh."""
    url = "https://ex.example/ctx"
    loader = DocumentLoader({url: {"@context": {"p": "https://ex.example/one"}}})
    doc = {"@context": [VC_V2, url], "type": "VerifiableCredential", "p": "x"}
    before = fastld.STATS["fallback_not_static"]
    assert "https://ex.example/one" in rdfc.canonicalize(doc, loader)
    assert fastld.STATS["fallback_not_static"] > before
    loader.register(url, {"@context": {"p": "https://ex.example/two"}})
    assert "https://ex.example/two" in rdfc.canonicalize(doc, loader)


def test_undefined_terms_raise_the_same_error_fast_and_stock() -> None:
    doc = documents.ob3_diploma("did:example:issuer")
    doc["credentialSubject"]["achievement"]["surprise"] = "x"
    with pytest.raises(DataLossError) as fast:
        rdfc.canonicalize(doc)
    with fastld.stock(), pytest.raises(DataLossError) as slow:
        rdfc.canonicalize(doc)
    assert str(fast.value) == str(slow.value)


def test_an_unknown_pyld_version_falls_back_to_stock_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fastld, "_version_ok", False)
    monkeypatch.setattr(fastld, "_warned", False)
    with pytest.warns(RuntimeWarning, match="pyld"):
        assert not fastld.available()
    # stock pyld, but for @import, which credkit always merges on copies (credkit.jsonld.contexts),
    # and typed literals, which credkit writes as the reference does (credkit.jsonld.literals)
    assert type(fastld.processor()).__mro__[1:4] == (
        ReferenceLiteralsProcessor,
        jsonld.JsonLdProcessor,
        object,
    )
    assert type(fastld.processor()).__name__ == "_ImportSafeProcessor"
    doc = documents.ob3_diploma("did:example:issuer")
    with fastld.stock():
        want = rdfc.canonicalize(doc)
    assert rdfc.canonicalize(doc) == want


def test_the_proof_config_cache_is_keyed_on_exact_json() -> None:
    config = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-11-23T00:00:00Z",
        "verificationMethod": "did:example:i#k",
        "proofPurpose": "assertionMethod",
        "@context": [VC_V2, OB_V3P0],
    }
    first = rdfc.canonicalize_repeated(config)
    other = dict(config, created="2026-11-23T00:00:01Z")
    assert rdfc.canonicalize_repeated(other) != first
    assert rdfc.canonicalize_repeated(dict(config)) == first
    with fastld.stock():
        assert rdfc.canonicalize(other) == rdfc.canonicalize_repeated(other)


def test_an_iri_with_a_space_is_covered_by_the_canonical_form() -> None:
    doc = documents.ob3_diploma("did:example:issuer")
    tampered = copy.deepcopy(doc)
    doc["credentialSubject"]["achievement"]["criteria"]["id"] = "https://ex.example/a b"
    tampered["credentialSubject"]["achievement"]["criteria"]["id"] = "https://ex.example/a b"
    tampered["credentialSubject"]["achievement"]["criteria"]["narrative"] = "forged"
    try:
        result = rdfc.canonicalize(tampered) != rdfc.canonicalize(doc)
    except DataLossError:
        result = True  # refusing the IRI would also close the hole
    assert result


def test_a_scoped_context_edited_in_place_gets_a_new_key() -> None:
    scoped: dict[str, Any] = {"@protected": True, "x": {"@id": "https://ex.example/x"}}
    first = fastld._local_key(scoped)
    assert fastld._local_key(scoped) == first
    scoped["@protected"] = 1  # equal to True in Python, not in JSON
    assert fastld._local_key(scoped) != first
    scoped["@protected"] = True
    scoped["x"]["@id"] = "https://ex.example/y"
    assert fastld._local_key(scoped) != first


def test_jcs_fast_path_and_fallbacks_match_rfc8785() -> None:
    import rfc8785

    cases: list[Any] = [
        {"\ue000": 1, "😀": 2, "é": 3, "z": 4},  # UTF-16 order differs from code points
        {"a": '\x00\x1f\x7f\u2028"\\/'},
        {"k": [True, False, None, 2**53 - 1, -(2**53) + 1, ""]},
        {"f": [0.1, 1e21, 1e-7, -0.0, 120.0]},
    ]
    for value in cases:
        assert fastjcs.dumps(value) == rfc8785.dumps(value)
    for bad in ({"k": 2**53}, {"s": "\ud800"}, {1: "x"}, {"n": float("nan")}):
        with pytest.raises(Exception) as fast:
            fastjcs.dumps(bad)
        with pytest.raises(Exception) as slow:
            rfc8785.dumps(bad)
        assert (type(fast.value), str(fast.value)) == (type(slow.value), str(slow.value))
