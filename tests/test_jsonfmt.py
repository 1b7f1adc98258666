"""credkit.jsonfmt writes exactly what json.dumps(indent=2, ensure_ascii=False) + newline does."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from credkit.jsonfmt import dumps_pretty
from credkit.proofs import fastcheck

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=30,
)


def _stdlib(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


@settings(max_examples=500, deadline=None)
@given(_json)
def test_any_json_value(value: Any) -> None:
    assert dumps_pretty(value) == _stdlib(value)


def test_generated_diplomas() -> None:
    rng = random.Random(5)
    for _ in range(300):
        doc = fastcheck.diploma(rng)
        assert dumps_pretty(doc) == _stdlib(doc)


def test_values_the_stdlib_converts_go_to_it() -> None:
    for value in ({1: "int key"}, {None: [1.5, float("nan")]}, [float("inf")], (1, 2), {True: 1}):
        assert dumps_pretty(value) == _stdlib(value)
