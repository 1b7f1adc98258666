"""The same verdict whatever came before (issue 13, part 3).

pyld 3.3.0 merges an ``@import`` into the imported context *in place*, and it keeps that context
process-wide: before credkit merged imports itself, one crafted credential rewrote a shipped,
hash-pinned context, and the same process then rejected valid diplomas. These tests run the
crafted documents first and then check that nothing they touched changed.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from credkit.errors import ContextError, ProofTransformationError
from credkit.jsonld import contexts, rdfc
from credkit.jsonld.contexts import DocumentLoader
from test_verify_helpers import ISSUER, diploma, signed, verifier

SHIPPED = sorted(contexts.shipped())


def _pristine(url: str) -> Any:
    return json.loads(contexts.read_bytes(url))


def _importing(doc: dict[str, Any], url: str) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    ctx = out["@context"]
    out["@context"] = [ctx[0], {"@import": url, "name": "https://evil.example/name"}, *ctx[1:]]
    return out


@pytest.mark.parametrize("url", SHIPPED)
def test_an_import_never_changes_a_shipped_context(url: str) -> None:
    good = signed(diploma(ISSUER.controller))
    v = verifier()
    assert v.verify_credential(_importing(good, url)).verdict != "verified"
    assert contexts.get(url) == _pristine(url)
    result = v.verify_credential(good)
    assert result.verdict == "verified", result.check("proof")


def test_an_import_means_what_the_merged_context_means() -> None:
    # JSON-LD 1.1 API §4.1.2 step 5.6.8: the imported map, the local entries winning
    term = {"@id": "https://school.example/vocab#cohort"}
    merged = copy.deepcopy(contexts.get(contexts.UNDEFINED_TERMS_V2)["@context"])
    merged["cohort"] = term
    base = diploma(ISSUER.controller)
    with_import = {**base, "@context": [*base["@context"], {"@import": contexts.UNDEFINED_TERMS_V2, "cohort": term}]}
    inline = {**base, "@context": [*base["@context"], merged]}
    with_import["cohort"] = inline["cohort"] = "2026 intake"
    assert rdfc.canonicalize(with_import) == rdfc.canonicalize(inline)
    assert "school.example/vocab#cohort" in rdfc.canonicalize(with_import)


@pytest.mark.parametrize(
    "value, message",
    [(7, "must be a string"), ("relative/ctx", "not an absolute URL"), ("https://nowhere.example/c", "not one credkit ships")],
)
def test_bad_imports_are_refused_with_a_reason(value: Any, message: str) -> None:
    doc = diploma(ISSUER.controller)
    doc["@context"] = [*doc["@context"], {"@import": value}]
    with pytest.raises((ContextError, ProofTransformationError), match=message):
        rdfc.canonicalize(doc)


def test_a_registered_context_is_handed_out_as_a_copy() -> None:
    # pyld writes into the contexts it loads: a caller's registered document must survive it
    url = "https://school.example/contexts/cohort.jsonld"
    registered = {"@context": {"cohort": "https://school.example/vocab#cohort"}}
    loader = DocumentLoader({url: registered})
    first = loader(url)["document"]
    first["@context"]["cohort"] = "https://evil.example/cohort"
    assert loader(url)["document"] == {"@context": {"cohort": "https://school.example/vocab#cohort"}}
    assert registered["@context"]["cohort"] == "https://school.example/vocab#cohort"
