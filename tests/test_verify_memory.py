"""Memory per verification is bounded by a small multiple of the input (issue 14).

A 50 MB document with a raised ``--max-bytes`` once took 6.4 GB: the regular expression that
removes JSON strings before the depth count backtracked per character. The bound measured here
(Python allocations, tracemalloc) is the one docs/security.md states: at most 12 times the input,
plus 40 MB for the interpreter's working set, whatever the shape of the strings.
"""

from __future__ import annotations

import json
import tracemalloc

import pytest

from credkit import KeyPair, Verifier, sign
from credkit.server.limits import json_depth
from credkit.verify.checks import json_text_depth

SIZE = 3_000_000  # characters in the long value
FACTOR, SLACK = 12, 40 << 20


def _signed(name: str | list[str], suite: str) -> bytes:
    key = KeyPair.from_seed(bytes(32))
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": key.controller,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:graduate", "name": name},
    }
    return json.dumps(sign(doc, key, cryptosuite=suite)).encode("utf-8")


SHAPES = {
    "one long string": "a" * SIZE,
    "escapes": "\n\\\"" * (SIZE // 3),
    "non-ASCII": "\u00e9\u0939\U0001f3ac" * (SIZE // 3),
    "many strings": ["b" * (SIZE // 200)] * 200,
}


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_peak_memory_is_a_small_multiple_of_the_input(shape: str, suite: str) -> None:
    raw = _signed(SHAPES[shape], suite)
    verifier = Verifier(max_bytes=len(raw))
    tracemalloc.start()
    try:
        result = verifier.verify_credential(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.verdict == "verified"
    assert peak <= FACTOR * len(raw) + SLACK, f"{peak >> 20} MB for {len(raw) >> 20} MB of input"


@pytest.mark.parametrize("text", ['"' + "\\n" * 2_000_000 + '"', '"' + "x" * 4_000_000 + '"'])
def test_the_depth_count_holds_no_more_than_a_few_copies(text: str) -> None:
    tracemalloc.start()
    try:
        assert json_text_depth(text) == 0
        assert json_depth(text.encode()) == 0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 4 * len(text)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("[]", 1),
        ('{"a": "[[[{{{"}', 1),
        ('["\\\\", [1]]', 2),  # an escaped backslash ends before the closing quote
        ('["\\"[", [[1]]]', 3),  # an escaped quote does not end the string
        ('[["\\\\\\"]]"]]', 2),
        ('{"a": [{"b": [[]]}]}', 5),
    ],
)
def test_the_depth_count_skips_strings_and_their_escapes(text: str, depth: int) -> None:
    assert json.loads(text) is not None
    assert json_text_depth(text) == depth
    assert json_depth(text.encode()) == depth
