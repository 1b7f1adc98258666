"""Lexical forms of typed literals, as the reference (jsonld.js 9) writes them in toRdf.

JSON-LD 1.1 API §8.6 "Object to RDF Conversion" turns a JSON number into an ``xsd:integer`` or
``xsd:double`` literal (``xsd:double`` in the canonical ``%1.15E`` form, e.g. ``1.5E0``), and the
Data Integrity proof signs that text. pyld 3.3.0 and jsonld.js 9 (what the reference suites and
the W3C test suites run) write some values differently, and then each side rejects the other's
signature. Found by running both (tests/test_typed_literals.py, tests/test_interop_nquads.py):

=============================================  ==================  ====================
value (``@type``)                              pyld 3.3.0          jsonld.js 9
=============================================  ==================  ====================
``"1.5abc"`` (xsd:double)                      ``1.5abc``          ``1.5E0`` (parseFloat)
``"abc"``, ``""``, ``"inf"`` (xsd:double)      ``abc``, ``INF``    ``NaN``
``"1_0"`` (xsd:double)                         ``1.0E1``           ``1.0E0``
``"١٢"`` (Arabic-Indic digits, xsd:double)     ``1.2E1``           ``NaN``
``"Infinity"`` (xsd:double)                    ``INF``             ``Infinity``
``-0.0``, ``"-0"`` (xsd:double)                ``-0.0E0``          ``0.0E0``
``1000000000000000.5`` (a tie at 16 digits)    ``1.0E15``          ``1.000000000000001E15``
``1e-7`` (no ``@type``)                        ``1.0E-7`` double   ``0`` xsd:integer
``9007199254740993`` (beyond 2^53)             ``...993``          ``...992``
=============================================  ==================  ====================

Decision. credkit writes what jsonld.js writes wherever that is a faithful rendering of what the
document says: a string of an ``xsd:double`` term that *is* a JavaScript decimal literal (``"1.5"``,
``" 1.50"``, ``"1e5"``, ``"-0"``, ``"Infinity"``) becomes that number's canonical form (jsonld.js
parses it; the spec would keep the string, but the signature must be the reference's); numbers
use JavaScript's ``toExponential(15)`` rounding (half away from zero; Python's ``%E`` rounds half
to even) and ``-0`` is ``0.0E0``. Where the reference would sign a *different* value than the
document holds, credkit refuses (:class:`LexicalFormError`, a data-loss error; VC DI 1.0 §2.4.3)
rather than sign or accept it: a string under ``xsd:double`` that is not a number
(``"1.5abc"``, ``"abc"``), a JSON integer no IEEE double holds exactly (the reference silently
rounds it; the JSON would then say one number and the proof cover another), a NaN or infinite
JSON number, and a tiny non-integral number such as ``1e-7`` that jsonld.js writes as the
integer ``0``. The reference's own JSON never holds an inexact integer (``JSON.stringify``
writes a double exactly); for the other cases a document the reference signed fails in credkit,
the safe direction, and credkit signs nothing the reference would read differently.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Context
from typing import Any

from pyld import jsonld

from credkit.errors import DataLossError

XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"

# ECMA-262 StrWhiteSpaceChar (WhiteSpace and LineTerminator), what parseFloat skips
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"  # noqa: E501
# ECMA-262 StrDecimalLiteral: ASCII digits, no separators, no hex, "Infinity" spelled so
_JS_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_SIXTEEN_DIGITS = Context(prec=16, rounding=ROUND_HALF_UP)


class LexicalFormError(DataLossError):
    """The reference would sign another value than the document holds: refused, never signed."""


def js_double(value: float) -> str:
    """``value.toExponential(15).replace(/(\\d)0*e\\+?/, '$1E')`` (jsonld.js toRdf), exactly."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0.0E0"  # toExponential tests x < 0, which -0 is not
    # ECMA-262 Number.prototype.toExponential: 16 significant digits of the exact value, a tie
    # going to the larger magnitude
    rounded = _SIXTEEN_DIGITS.create_decimal_from_float(abs(value))
    digits = "".join(map(str, rounded.as_tuple().digits)).ljust(16, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[0]}.{digits[1:].rstrip('0') or '0'}E{rounded.adjusted()}"


def _js_string_has_point(value: float) -> bool:
    """Whether JavaScript's ``String(value)`` of a finite non-integral number has a ``.``:
    always from 1e-6 up; below, only if its shortest digits are more than one (``1.5e-7``)."""
    if abs(value) >= 1e-6:
        return True
    mantissa = repr(abs(value)).split("e")[0]
    return len(mantissa.replace(".", "").strip("0")) > 1


def number_literal(value: int | float, datatype: str | None) -> tuple[str, str]:
    """The (lexical form, datatype) jsonld.js writes for a JSON number, or LexicalFormError."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LexicalFormError(f"the number {value!r} has no JSON-LD literal form")
        number = value
    else:
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if number != value:
            raise LexicalFormError(
                f"the integer {value} is not exactly an IEEE 754 double; the reference reads it "
                "as another number, so the proof would not cover this one"
            )
    # jsonld.js: double if @type is xsd:double, or String(value) has a "." or |value| >= 1e21
    if datatype == XSD_DOUBLE or abs(number) >= 1e21:
        return js_double(number), datatype or XSD_DOUBLE
    if number.is_integer():
        return str(int(number)), datatype or XSD_INTEGER
    if _js_string_has_point(number):
        return js_double(number), datatype or XSD_DOUBLE
    raise LexicalFormError(
        f"the number {value!r} is written by the reference as the integer "
        f"{'-0' if number < 0 else '0'} (JSON-LD 1.1 API §8.6 says xsd:double): no proof can agree"
    )


def double_string_literal(value: str) -> str:
    """The lexical form jsonld.js writes for a string whose ``@type`` is ``xsd:double``:
    ``parseFloat(value)`` in canonical form, if the whole string is that number."""
    text = value.strip(_JS_SPACE)
    if _JS_DECIMAL.fullmatch(text) is None:
        raise LexicalFormError(
            f"{value!r} is typed xsd:double but is not a number; the reference would sign "
            f"{'NaN' if _JS_DECIMAL.match(text) is None else 'its numeric prefix'} instead"
        )
    return js_double(float(text))


class ReferenceLiteralsProcessor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor writing typed literals as jsonld.js does (the module doc's table).

    Only value objects holding a number, or a string typed ``xsd:double``, are decided here; every
    other object (booleans, ``@json``, plain and language strings, nodes, lists) is pyld's.
    """

    def _object_to_rdf(self, item: Any, issuer: Any, triples: Any, options: Any) -> Any:
        # called for every object of every triple: decide with as few steps as possible
        if type(item) is dict and "@value" in item:
            value = item["@value"]
            kind = type(value)
            if kind is int or kind is float:
                datatype = item.get("@type")
                if datatype != "@json":
                    lexical, datatype = number_literal(value, datatype)
                    return {"type": "literal", "value": lexical, "datatype": datatype}
            elif kind is str and item.get("@type") == XSD_DOUBLE:
                lexical = double_string_literal(value)
                return {"type": "literal", "value": lexical, "datatype": XSD_DOUBLE}
        return _pyld_object_to_rdf(self, item, issuer, triples, options)


_pyld_object_to_rdf = jsonld.JsonLdProcessor._object_to_rdf
