"""Property fuzzing: mutated diplomas never verify, and nothing the verifier is fed makes it raise.

A mutation is a random JSON edit of a signed diploma: delete a member, replace a value with random
JSON (so types swap), edit one character of a string, add a member. Edits that leave the JSON-LD
meaning unchanged (``x`` → ``[x]``) are excluded for the RDFC-signed copy, since RDF canonicalization
rightly treats them as the same document. Run with ``-s`` to see how many inputs were tried.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from test_verify_helpers import ISSUER, diploma, signed, verifier

BASES = {
    "rdfc": signed(diploma(ISSUER.controller)),
    "jcs": signed(diploma(ISSUER.controller), ISSUER, "eddsa-jcs-2022"),
}
VERIFIER = verifier()
TRIED = {"mutations": 0, "bytes": 0}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(paths(value, (*prefix, index)))
    return out


def parent_of(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    base_name = draw(st.sampled_from(sorted(BASES)))
    doc = copy.deepcopy(BASES[base_name])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        all_paths = paths(doc)
        if not all_paths:
            break
        path = draw(st.sampled_from(all_paths))
        parent, key = parent_of(doc, path), path[-1]
        old = parent[key]
        op = draw(st.sampled_from(["delete", "replace", "edit", "add"]))
        if op == "delete":
            del parent[key]
        elif op == "replace":
            new = draw(json_values)
            same = new == old or new == [old] or old == [new]
            assume(not (same and base_name == "rdfc") and new != old)
            parent[key] = new
        elif op == "edit" and isinstance(old, str) and old:
            i = draw(st.integers(min_value=0, max_value=len(old) - 1))
            char = draw(st.characters(codec="utf-8"))
            assume(char != old[i])
            parent[key] = old[:i] + char + old[i + 1 :]
        elif op == "add" and isinstance(old, dict):
            name = draw(st.text(min_size=1, max_size=10))
            assume(name not in old)
            old[name] = draw(json_values.filter(lambda v: v is not None))
        else:
            assume(False)
    assume(normal(doc) != normal(BASES[base_name]))
    return base_name, doc


def normal(doc: dict[str, Any]) -> dict[str, Any]:
    """Drop a proof's copy of the document's own @context: eddsa-jcs-2022 §3.3.5 signs
    the document's @context in the proof configuration either way, so the copy is redundant."""
    out = copy.deepcopy(doc)
    proofs = out.get("proof")
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        if (
            isinstance(proof, dict)
            and "@context" in proof
            and proof["@context"] == out.get("@context")
        ):
            proof.pop("@context")
    return out


def test_bases_verify() -> None:
    for doc in BASES.values():
        assert VERIFIER.verify_credential(doc).verified


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(mutated())
def test_mutated_diplomas_never_verify(case: tuple[str, dict[str, Any]]) -> None:
    _, doc = case
    TRIED["mutations"] += 1
    result = VERIFIER.verify_credential(doc)
    assert result.verdict != "verified", json.dumps(doc)[:2000]
    json.dumps(result.to_json())  # the result itself is always serialisable


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode())))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    TRIED["bytes"] += 1
    result = VERIFIER.verify_credential(data)
    assert result.verdict in ("unusable", "not verified")
    VERIFIER.verify_presentation(data, challenge="c")


def test_report_fuzz_counts() -> None:
    print(
        f"\nverifier fuzz: {TRIED['mutations']} mutated diplomas, {TRIED['bytes']} arbitrary inputs"
    )
    # (both counts are 0 when this test is run on its own)
