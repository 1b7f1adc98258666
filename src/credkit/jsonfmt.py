"""The bytes credkit writes for a credential file: ``json.dumps(doc, indent=2,
ensure_ascii=False) + "\\n"``, twice as fast.

Why: with ``indent`` the standard library falls back from its C encoder to the pure-Python one,
and encoding was a tenth of a cohort's per-diploma time. This writes the very same text (the
strings through the stdlib's own C escaper); anything but plain JSON types -- a non-string key,
a subclass, a non-finite float -- goes to ``json.dumps`` itself. Tested equal on generated
documents (tests/test_jsonfmt.py).
"""

from __future__ import annotations

import json
from json import encoder as _encoder
from typing import Any

_escape = _encoder.encode_basestring  # the C escaper when the C module is there


class _NotPlainError(Exception):
    """A value the fast writer does not handle: the standard library writes it."""


def dumps_pretty(document: Any) -> str:
    """``json.dumps(document, indent=2, ensure_ascii=False) + "\\n"``, exactly."""
    out: list[str] = []
    try:
        _write(document, out, "\n")
    except (_NotPlainError, RecursionError):
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    out.append("\n")
    return "".join(out)


def _write(value: Any, out: list[str], newline: str) -> None:
    t = type(value)
    if t is str:
        out.append(_escape(value))
    elif t is dict:
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        opener = "{"
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlainError
            out.append(opener + inner + _escape(key) + ": ")
            opener = ","
            _write(item, out, inner)
        out.append(newline + "}")
    elif t is list:
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        opener = "["
        for item in value:
            out.append(opener + inner)
            opener = ","
            _write(item, out, inner)
        out.append(newline + "]")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif t is int:
        out.append(int.__repr__(value))
    elif t is float and value == value and value not in (float("inf"), float("-inf")):
        out.append(float.__repr__(value))
    else:
        raise _NotPlainError
