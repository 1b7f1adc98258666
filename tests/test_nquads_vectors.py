"""Canonical N-Quads, byte for byte as the reference writes them (credkit.jsonld.nquads).

``tests/vectors/canonical-nquads/*-in.jsonld`` hold control characters (U+0000–U+001F, U+007F),
``"`` and ``\\``, non-ASCII neighbours (U+0080, U+2028, U+FEFF, emoji) in plain, language,
directional, typed and JSON literals, in blank nodes told apart only by such characters, and in
predicate IRIs; each ``*-rdfc.nq`` is what the JavaScript reference (jsonld.js 9 + rdf-canonize
5, ``tests/interop/record_nquads_vectors.py``) produced for it. credkit must produce the same
bytes on every path: the exact one, stock pyld underneath (fastld off), and a compiled shape.
pyld 3.3.0 alone writes U+0000–U+001F (but tab, newline, carriage return) and U+007F raw and sorts
by code point: every vector fails on the code before credkit.jsonld.nquads (stock pyld differs on each).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from credkit.errors import ProofTransformationError
from credkit.jsonld import fastld, nquads, rdfc, shapes

FOLDER = Path(__file__).parent / "vectors" / "canonical-nquads"
VECTORS = sorted(p.name.removesuffix("-in.jsonld") for p in FOLDER.glob("*-in.jsonld"))


def _input(name: str) -> Any:
    return json.loads((FOLDER / f"{name}-in.jsonld").read_text(encoding="utf-8"))


def _expected(name: str) -> bytes:
    return (FOLDER / f"{name}-rdfc.nq").read_bytes()


def test_every_vector_has_its_recorded_output() -> None:
    assert len(VECTORS) >= 6
    for name in VECTORS:
        assert (FOLDER / f"{name}-rdfc.nq").is_file(), name


@pytest.mark.parametrize("name", VECTORS)
def test_credkit_canonicalizes_each_vector_to_the_reference_bytes(name: str) -> None:
    assert rdfc.canonicalize(_input(name)).encode("utf-8") == _expected(name)


@pytest.mark.parametrize("name", VECTORS)
def test_stock_pyld_underneath_gives_the_same_bytes(name: str) -> None:
    with fastld.stock():
        assert rdfc.canonicalize(_input(name)).encode("utf-8") == _expected(name)


@pytest.mark.parametrize("name", VECTORS)
def test_compiled_shapes_give_the_same_bytes(name: str) -> None:
    shapes.clear()
    first = shapes.canonicalize_for_signing(_input(name))  # compiles, checks against exact
    again = shapes.canonicalize_for_signing(_input(name))  # from the shape when trusted
    assert first.encode("utf-8") == _expected(name)
    assert again.encode("utf-8") == _expected(name)


def test_a_compiled_shape_substitutes_control_characters_exactly() -> None:
    """Same shape, new values: the substituted literals are escaped as the exact path does."""
    shapes.clear()
    base = _input("diploma")
    shapes.canonicalize_for_signing(base)
    before = shapes.STATS["shape_hit"]
    for i, name in enumerate(["\u0001x\u000c", "tab\there", 'q"\\', "\U0001f393\uff01", "\x7f"]):
        doc = json.loads(json.dumps(base))
        doc["name"] = name
        doc["id"] = f"urn:uuid:00000000-0000-4000-8000-00000000000{i}"
        assert shapes.canonicalize_for_signing(doc) == rdfc.canonicalize(doc)
    assert shapes.STATS["shape_hit"] > before


# --- the escaping rule itself ------------------------------------------------------------------

# RDF 1.2 N-Quads, canonical form: ECHAR for these seven, UCHAR (upper-case hex) for the rest of
# U+0000-U+001F and U+007F; nothing else.
ECHAR = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}


def _rule(code: int) -> str:
    if code in ECHAR:
        return ECHAR[code]
    if code < 0x20 or code == 0x7F:
        return f"\\u{code:04X}"
    return chr(code)


def test_every_code_point_is_escaped_as_canonical_n_quads_says() -> None:
    for code in range(0x80):
        assert nquads.escape_literal(chr(code)) == _rule(code), hex(code)
    others = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert nquads.escape_literal(others) == others


def test_a_literal_line_is_written_with_the_reference_escapes() -> None:
    quad = {
        "subject": {"type": "IRI", "value": "urn:s"},
        "predicate": {"type": "IRI", "value": "urn:p"},
        "object": {
            "type": "literal",
            "value": "\b\t\n\u000b\f\r\"\\\u007f",
            "datatype": "http://www.w3.org/2001/XMLSchema#string",
        },
    }
    # rdf-canon test060's literal, in its expected output
    assert nquads.serialize_quad(quad) == '<urn:s> <urn:p> "\\b\\t\\n\\u000B\\f\\r\\"\\\\\\u007F" .\n'


def test_iris_are_written_with_the_reference_uchar_escapes() -> None:
    assert nquads.escape_iri("https://e.example/a b<c>") == "https://e.example/a\\u0020b\\u003Cc\\u003E"
    assert nquads.escape_iri('{}|^`\\"') == "\\u007B\\u007D\\u007C\\u005E\\u0060\\u005C\\u0022"
    assert nquads.escape_iri("https://e.example/\u00fc\x7f") == "https://e.example/\u00fc\x7f"


def test_a_language_tag_that_could_break_the_line_is_refused() -> None:
    with pytest.raises(ProofTransformationError):
        nquads.literal_suffix(nquads.RDF_LANGSTRING, "en\n<urn:x> <urn:y> <urn:z> .")
    assert nquads.literal_suffix(nquads.RDF_LANGSTRING, "en-US") == "@en-US"


def test_lines_sort_by_utf16_code_units_as_the_reference_does() -> None:
    """JavaScript's sort: an astral character (surrogate D83D) before U+E000-U+FFFF."""
    lines = ['<urn:s> <urn:p> "\uff01" .\n', '<urn:s> <urn:p> "\U0001f600" .\n', '<urn:s> <urn:p> "a" .\n']
    text = nquads.sort_lines(lines)
    assert text.index("a") < text.index("\U0001f600") < text.index("\uff01")
    # code point order would put U+FF01 first: the one place the two orders differ
    assert sorted(lines)[1] == '<urn:s> <urn:p> "\uff01" .\n'


def test_first_degree_hashes_use_the_same_escapes_and_order() -> None:
    lines = ['_:a <urn:p> "\\u0001" .\n', '_:a <urn:p> "\U0001f600" .\n', '_:a <urn:p> "\uff01" .\n']
    joined = lines[0] + lines[1] + lines[2]
    assert nquads.hash_lines(list(reversed(lines))) == hashlib.sha256(joined.encode()).hexdigest()


def test_pyld_alone_writes_control_characters_raw() -> None:
    """The defect this module fixes: pyld's own serializer differs from the reference."""
    from pyld.nquads import escape

    assert escape("\u000c\u0001\u007f") == "\u000c\u0001\u007f"
    assert nquads.escape_literal("\u000c\u0001\u007f") == "\\f\\u0001\\u007F"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
