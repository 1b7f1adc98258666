"""Typed literals have the lexical forms jsonld.js writes (credkit.jsonld.literals), or are refused.

Expected values were read off jsonld.js 9.0.0 (``tests/interop/node/canon.mjs``);
``tests/test_interop_nquads.py`` checks the same table, and random doubles, against it live. Each
row marked "pyld" is one where pyld 3.3.0 alone writes something else, so the test fails on the
code before credkit.jsonld.literals.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from credkit.errors import ProofTransformationError
from credkit.identity.keys import KeyPair
from credkit.jsonld import literals, rdfc
from credkit.proofs import sign, verify

XSD = "http://www.w3.org/2001/XMLSchema#"
VOCAB = "https://vectors.example/vocab#"
CONTEXT = {
    "@vocab": VOCAB,
    "xsd": XSD,
    "d": {"@id": VOCAB + "d", "@type": "xsd:double"},
    "i": {"@id": VOCAB + "i", "@type": "xsd:integer"},
    "f": {"@id": VOCAB + "f", "@type": "xsd:float"},
    "r": {"@id": VOCAB + "r", "@type": "@id"},
}


def _object(term: str, value: Any) -> str:
    """The object of the one quad ``{term: value}`` canonicalizes to."""
    doc = {"@context": CONTEXT, "@id": "https://vectors.example/s", term: value}
    line = rdfc.canonicalize(doc)
    assert line.count("\n") == 1, line
    return line.split("> ", 2)[2].removesuffix(" .\n")


def _lit(lexical: str, datatype: str) -> str:
    return f'"{lexical}"^^<{XSD}{datatype}>'


# (term, JSON value, object as jsonld.js writes it)
AGREED = [
    ("d", "1.5", _lit("1.5E0", "double")),
    ("d", "1.50", _lit("1.5E0", "double")),
    ("d", " 1.5", _lit("1.5E0", "double")),  # parseFloat skips leading white space
    ("d", "\u00a01.5\u2028", _lit("1.5E0", "double")),
    ("d", "1E+05", _lit("1.0E5", "double")),
    ("d", ".5", _lit("5.0E-1", "double")),
    ("d", "-0", _lit("0.0E0", "double")),  # pyld: -0.0E0
    ("d", "Infinity", _lit("Infinity", "double")),  # pyld: INF
    ("d", "-Infinity", _lit("-Infinity", "double")),  # pyld: -INF
    ("d", "1e400", _lit("Infinity", "double")),  # pyld: INF
    ("d", 1, _lit("1.0E0", "double")),
    ("d", 1.5, _lit("1.5E0", "double")),
    ("d", -0.0, _lit("0.0E0", "double")),  # pyld: -0.0E0
    ("d", 0.1 + 0.2, _lit("3.0E-1", "double")),
    ("d", 1000000000000000.5, _lit("1.000000000000001E15", "double")),  # tie; pyld: 1.0E15
    ("d", -1000000000000000.5, _lit("-1.000000000000001E15", "double")),  # pyld: -1.0E15
    ("d", 5e-324, _lit("4.940656458412465E-324", "double")),
    ("d", True, _lit("true", "double")),
    ("plain", 1.5, _lit("1.5E0", "double")),
    ("plain", 5.0, _lit("5", "integer")),
    ("plain", -0.0, _lit("0", "integer")),
    ("plain", 1e21, _lit("1.0E21", "double")),
    ("plain", 10**22, _lit("1.0E22", "double")),
    ("plain", 2**53, _lit("9007199254740992", "integer")),
    ("plain", 1.5e-7, _lit("1.5E-7", "double")),
    ("plain", 1e-6, _lit("1.0E-6", "double")),
    ("i", "1.5", _lit("1.5", "integer")),  # a string keeps its form unless typed xsd:double
    ("i", 1.5, _lit("1.5E0", "integer")),
    ("i", 1000000000000000.5, _lit("1.000000000000001E15", "integer")),  # pyld: 1.0E15
    ("f", 5.0, _lit("5", "float")),
    ("f", "1.0", _lit("1.0", "float")),
    ("r", 5, _lit("5", "integer")),  # a number is a value even where @type is @id
]


@pytest.mark.parametrize(("term", "value", "expected"), AGREED)
def test_typed_literal_has_the_reference_lexical_form(term: str, value: Any, expected: str) -> None:
    assert _object(term, value) == expected


# (term, JSON value, what jsonld.js would sign instead of what the document says)
REFUSED = [
    ("d", "abc", "NaN"),  # pyld: "abc"
    ("d", "", "NaN"),
    ("d", "inf", "NaN"),  # pyld: INF
    ("d", "NaN", "NaN"),
    ("d", "\u0661\u0662", "NaN"),  # Arabic-Indic digits; pyld: 1.2E1
    ("d", "1.5abc", "1.5E0"),  # parseFloat reads a prefix; pyld: "1.5abc"
    ("d", "1_0", "1.0E0"),  # pyld: 1.0E1
    ("d", "0x10", "0.0E0"),
    ("d", "1e", "1.0E0"),
    ("plain", 2**53 + 1, "9007199254740992"),  # JSON.parse rounds it; pyld: ...993
    ("i", 123456789012345678, "123456789012345680"),
    ("d", 10**400, "Infinity"),
    ("plain", 1e-7, "0 (xsd:integer)"),  # String(1e-7) has no "."; pyld: 1.0E-7 double
    ("plain", -1e-7, "-0 (xsd:integer)"),
    ("plain", float("nan"), "NaN"),
    ("plain", float("inf"), "Infinity"),
]


@pytest.mark.parametrize(("term", "value", "reference"), REFUSED)
def test_a_value_the_reference_would_sign_differently_is_refused(
    term: str, value: Any, reference: str
) -> None:
    with pytest.raises(ProofTransformationError):
        _object(term, value)


def test_js_double_rounds_ties_away_from_zero_like_to_exponential() -> None:
    assert literals.js_double(1000000000000000.5) == "1.000000000000001E15"
    assert f"{1000000000000000.5:1.15E}" == "1.000000000000000E+15"  # Python: half to even
    assert literals.js_double(2.5) == "2.5E0"
    assert literals.js_double(123456789.0) == "1.23456789E8"
    assert literals.js_double(-0.0) == "0.0E0"
    # 16 digits of the double's exact value (99999999999999991611392), not of the text "1e23"
    assert literals.js_double(1e23) == "9.999999999999999E22"


def test_signing_refuses_a_double_term_that_is_not_a_number() -> None:
    key = KeyPair.from_seed(hashlib.sha256(b"typed literals").digest())
    doc = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            {"weight": {"@id": VOCAB + "weight", "@type": XSD + "double"}},
        ],
        "type": ["VerifiableCredential"],
        "issuer": key.controller,
        "credentialSubject": {"id": "did:example:subject", "weight": "1.5"},
    }
    signed = sign(doc, key, created="2024-01-01T00:00:00Z")
    assert verify(signed).verified
    # "1.50" has the same canonical form, so the proof holds; "1.5kg" would not be the number
    # the reference signs, so it is refused rather than signed
    same = copy.deepcopy(signed)
    same["credentialSubject"]["weight"] = "1.50"
    assert verify(same).verified
    doc["credentialSubject"]["weight"] = "1.5kg"
    with pytest.raises(ProofTransformationError, match="not a number"):
        sign(doc, key, created="2024-01-01T00:00:00Z")
    forged = copy.deepcopy(signed)
    forged["credentialSubject"]["weight"] = "1.5kg"  # the reference would accept this one
    assert not verify(forged).verified
