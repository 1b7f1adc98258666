"""Shape-compiled RDFC-1.0 for *signing* same-shape documents (a cohort from one template).

Why: after :mod:`credkit.jsonld.fastld` the exact algorithm still spends most of a signature
expanding
JSON-LD and building RDF, work that is the same for every diploma of a cohort except for the values
that end up verbatim in the quads. This module learns, from pyld's own output, which quad term each
JSON string becomes for one document *shape*, then for the next document of that shape substitutes
its values into the kept quads and runs only the canonicalization step (credkit.jsonld.rdfc's
RDFC-1.0).

The shape key holds everything whose value can change the RDF other than by appearing verbatim:

* the structure: every object's keys in order, array lengths, and numbers, booleans and nulls by
  type and value;
* verbatim: every ``@context`` (shipped, hash-pinned URLs only: pyld must resolve each to credkit's
  own copy), the values of ``@type``, ``@language``, ``@direction``, ``@index`` and every term any
  shipped context aliases to one of them (``type``: type-scoped contexts), and strings that are a
  term of a shipped context, start with ``@`` or ``_:``, or hold lone surrogates;
* each other string by *kind*: an IRI-like string by its scheme and whether ``//`` follows it
  (pyld decides compact-IRI expansion on exactly that: JSON-LD 1.1 API §6.3, pyld ``_expand_iri``),
  text safe in an IRI, or text that is not;
* which strings are equal (equal ids merge nodes, equal values de-duplicate).

Compiling a shape: every class of equal strings is replaced by a unique token of its kind and the
probe document goes through the full safe-mode algorithm. A class is *substitutable* if its token
appears in the dataset only as a whole literal lexical form or a whole IRI; any other appearance
(inside an expanded IRI, a JSON literal, a datatype, a graph name) or none pins the class: its
value joins the key. A second probe with the pinned values gives the template, which is *trusted
only after* it reproduces, for the document that created it, exactly what the full algorithm
produced.

On a hit, an IRI position takes the new value only if that value is of the probed kind (absolute,
and nothing RFC 3987 forbids: what :mod:`credkit.jsonld.rdfc` safe mode enforces) and is not an IRI
the
template holds from elsewhere (a merge the template could not show); otherwise the full algorithm
runs. Every miss, fallback and hit is counted in :data:`STATS`.

Verification does not use this by default (docs/performance.md, "Shape compilation"): a wrong byte
when signing makes a proof that fails to verify; a wrong byte when verifying could make a forgery
verify. :func:`set_verify` turns it on for verification too (measured, tested, not the default).
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from operator import itemgetter
from typing import Any

from pyld.__about__ import __version__ as PYLD_VERSION  # noqa: N812

from credkit.errors import CredkitError
from credkit.jsonld import contexts, fastld, nquads, rdfc
from credkit.jsonld.contexts import DocumentLoader

MAX_SHAPES = 256
MAX_VARIANTS = 16
STATS: Counter[str] = Counter()

_enabled = os.environ.get("CREDKIT_SHAPES", "1").lower() not in {"0", "false", "no", "off"}
_verify = os.environ.get("CREDKIT_SHAPES_VERIFY", "0").lower() in {"1", "true", "yes", "on"}
_lock = threading.Lock()
_NONCE = secrets.token_hex(8)

# The keywords whose values select contexts or change a literal other than by appearing in it.
_VERBATIM_KEYWORDS = frozenset({"@context", "@type", "@language", "@direction", "@index"})
# pyld's absolute-IRI scheme test (``[A-Za-z0-9+-.]`` is a range: + , - .), up to the first colon.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+,\-.]*\Z")
# Anything RFC 3987 forbids in an IRI or pyld's ``\s`` refuses (credkit.jsonld.rdfc._NOT_IRI and
# more).
_NOT_IRI = re.compile(r'[\s\x00-\x20<>"{}|\\^`\x7f-\x9f]')
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class _UnshapeableError(Exception):
    """A document this module does not compile (it goes to the full algorithm)."""


def _shipped_vocabulary() -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
    """Every key of every object in every shipped context (a superset of their terms), the terms
    aliasing a verbatim keyword, and the context hashes (part of every key)."""
    terms: set[str] = set()
    aliases: set[str] = set()
    stack: list[Any] = []
    hashes = []
    for url, entry in sorted(contexts.shipped().items()):
        stack.append(contexts.get(url))
        hashes.append(f"{url}={entry.sha256}")
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                terms.add(key)
                target = value.get("@id") if isinstance(value, dict) else value
                if target in _VERBATIM_KEYWORDS:
                    aliases.add(key)
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return frozenset(terms), frozenset(aliases), tuple(hashes)


_TERMS, _ALIASES, _CONTEXT_HASHES = _shipped_vocabulary()
_VERBATIM_KEYS = _VERBATIM_KEYWORDS | _ALIASES
_SALT = (PYLD_VERSION, _CONTEXT_HASHES)
_STRUCTURE = frozenset({"{", "["})


def set_enabled(on: bool) -> None:
    global _enabled
    _enabled = on
    clear()


@contextmanager
def _switched(name: str, value: bool) -> Iterator[None]:
    """Set the module switch ``name`` for the enclosed code, then put it back."""
    before = globals()[name]
    globals()[name] = value
    try:
        yield
    finally:
        globals()[name] = before


def off() -> AbstractContextManager[None]:
    """Run the enclosed code on the exact algorithm (compiled shapes kept for later)."""
    return _switched("_enabled", False)


def verifying() -> AbstractContextManager[None]:
    """Use compiled shapes for verification in the enclosed code (off by default)."""
    return _switched("_verify", True)


def set_verify(on: bool) -> None:
    """Use compiled shapes for verification too (off by default: docs/performance.md)."""
    global _verify
    _verify = on


def verify_enabled() -> bool:
    return _verify and _enabled


def clear() -> None:
    with _lock:
        _shapes.clear()


# --- the key -------------------------------------------------------------------------------------


_kinds: dict[str, Any] = {}
_MAX_KINDS = 65536


def _kind(value: str) -> Any:
    """:func:`_classify`, remembered for short strings (a cohort repeats most of them)."""
    kind = _kinds.get(value)
    if kind is None:
        kind = _classify(value)
        if len(value) <= 512:  # bounded memory: 64 Ki entries of at most 512 characters
            if len(_kinds) >= _MAX_KINDS:
                _kinds.clear()
            _kinds[value] = kind
    return kind


def _classify(value: str) -> Any:
    """How pyld may treat a string beyond copying it: the part of its value the key must hold."""
    if value in _TERMS or value[:1] == "@" or value[:2] == "_:" or _SURROGATE.search(value):
        return ("V", value)
    colon = value.find(":")
    if colon < 0:
        return "L" if not _NOT_IRI.search(value) else "X"
    scheme = value[:colon]
    if _NOT_IRI.search(value):
        return "X"
    if colon == 0 or not _SCHEME.match(scheme):
        # not absolute: pyld still expands it if the prefix is a term; else it is text to pyld
        # (an IRI position refuses it, a literal keeps it: a date, "Grade: A")
        return ("V", value) if scheme in _TERMS else "X"
    return ("I", scheme, value.startswith("//", colon + 1))


def _walk(value: Any, sig: list[Any], leaves: list[str], kinds: list[Any], ctxs: list[Any]) -> None:
    """Append ``value``'s shape to ``sig``, its strings and their kinds to ``leaves``/``kinds``."""
    t = type(value)
    if t is str:
        kind = _kind(value)
        leaves.append(value)
        kinds.append(kind)
        sig.append(kind)
    elif t is dict:
        keys = tuple(value)
        sig.append(("{", keys))
        for k, v in value.items():
            if type(k) is not str:
                raise _UnshapeableError("non-string key")
            if k in _VERBATIM_KEYS:
                if k == "@context":
                    ctxs.append(v)
                try:
                    sig.append(("=", fastld.typed_key(v)))
                except fastld.UncacheableError:
                    raise _UnshapeableError("non-JSON value") from None
            else:
                _walk(v, sig, leaves, kinds, ctxs)
    elif t is list:
        sig.append(("[", len(value)))
        for v in value:
            _walk(v, sig, leaves, kinds, ctxs)
    elif value is None or t is bool or t is int:
        sig.append(("#", t, value))
    elif t is float and value == value and value not in (float("inf"), float("-inf")):
        sig.append(("#", t, repr(value)))
    else:
        raise _UnshapeableError(f"value of type {t.__name__}")


def _rebuild(value: Any, replace: Iterator[str]) -> Any:
    """A copy of ``value``, its walked strings (in :func:`_walk` order) taken from ``replace``."""
    t = type(value)
    if t is str:
        return next(replace)
    if t is dict:
        return {k: (v if k in _VERBATIM_KEYS else _rebuild(v, replace)) for k, v in value.items()}
    if t is list:
        return [_rebuild(v, replace) for v in value]
    return value


def _contexts_live(ctxs: list[Any]) -> bool:
    return all(fastld.shipped_contexts_live(c, contexts.get) for c in ctxs)


# --- compiled templates --------------------------------------------------------------------------


# Every line is written with credkit.jsonld.nquads, as the exact path writes it (canonical N-Quads,
# the
# reference's escapes and line order), so a template reproduces the exact bytes.
_escape = nquads.escape_literal


def _literal_suffix(term: dict[str, Any]) -> str:
    return nquads.literal_suffix(term["datatype"], term.get("language"))


def _term_text(term: dict[str, Any]) -> str:
    """One IRI or literal term as :func:`credkit.jsonld.nquads.serialize_quad` writes it."""
    if term["type"] == "IRI":
        return "<" + nquads.escape_iri(term["value"]) + ">"
    return '"' + _escape(term["value"]) + '"' + _literal_suffix(term)


# A quad part: a serialized constant (str), a blank node (0, label), an IRI slot (1, class) or a
# literal slot (2, class, suffix). A quad: (subject, predicate, object, graph or None).
_BLANK, _IRI_SLOT, _LITERAL_SLOT = 0, 1, 2
_Quad = tuple[Any, ...]
_Segs = tuple[tuple[str, int, Any], ...]


class _Line:
    """One template quad as :func:`credkit.jsonld.nquads.serialize_quad` writes it, compiled to a
    ``%``
    format and an ``itemgetter`` of its holes' texts (slots, and blank nodes unless their labels
    are fixed)."""

    __slots__ = ("constant", "fmt", "get")

    def __init__(self, quad: _Quad, n: int, blanks: dict[str, int], fixed: Any = None) -> None:
        pieces: list[str] = []
        holes: list[int] = []
        for part in quad:
            if part is None:
                continue
            if type(part) is str:
                pieces.append(part.replace("%", "%%"))
            elif part[0] == _BLANK and fixed is not None:
                pieces.append(fixed(part[1]))
            elif part[0] == _BLANK:
                pieces.append("%s")
                holes.append(2 * n + blanks[part[1]])
            elif part[0] == _IRI_SLOT:
                pieces.append("%s")
                holes.append(part[1])
            else:
                pieces.append("%s" + part[2].replace("%", "%%"))
                holes.append(n + part[1])
        self.fmt = " ".join(pieces) + " .\n"
        self.get = itemgetter(*holes) if holes else None
        self.constant = self.fmt.replace("%%", "%")

    def text(self, texts: list[str]) -> str:
        """The line, the holes filled from ``texts`` (IRI texts, literal texts, blank labels)."""
        if self.get is None:
            return self.constant
        line: str = self.fmt % self.get(texts)
        return line


def _first_degree_label(reference: str) -> Callable[[str], str]:
    """RDFC-1.0 §4.6 step 3.1.1: the reference blank node is ``_:a``, every other ``_:z``."""
    return lambda label: "_:a" if label == reference else "_:z"


def _first_degree(lines: list[str]) -> str:
    """RDFC-1.0 §4.6 step 4-5 as the exact path does it: sorted lines, SHA-256, hex."""
    return nquads.hash_lines(lines)


class _Variant:
    """One template: the dataset's quads with the substitutable classes' positions marked.

    Canonicalization on a hit is RDFC-1.0 §4.4 specialised to the template: quads with no blank
    node and no slot are serialized once, and so are the first-degree hashes (§4.6) of blank nodes
    no slot touches. When every blank node's first-degree hash is unique, step 5 issues them all,
    in hash order, in its first pass: that is done here directly. A shared hash (step 6, N-degree
    hashing) builds the dataset and runs stock pyld instead (counted).
    """

    __slots__ = (
        "blank_fixed",
        "blank_index",
        "blank_lines",
        "hash_const",
        "hash_lines",
        "iri_classes",
        "iris",
        "literal_classes",
        "n",
        "quads",
        "relabelled",
        "slot_lines",
        "trusted",
    )

    def __init__(self) -> None:
        # per quad: (graph, [(position, constant-or-None, class or -1, template term)])
        self.quads: list[tuple[str, list[tuple[str, Any, int, dict[str, Any]]]]] = []
        self.iri_classes: tuple[int, ...] = ()
        self.literal_classes: tuple[int, ...] = ()
        self.iris: frozenset[str] = frozenset()
        self.trusted = False
        self.n = 0  # classes
        self.blank_index: dict[str, int] = {}
        self.slot_lines: list[_Line] = []  # every quad with a slot, or no blank node
        self.blank_lines: list[_Line] = []  # quads with blank nodes and no slot
        self.blank_fixed: dict[str, str] = {}  # first-degree hash of a blank node no slot touches
        self.hash_const: dict[str, list[str]] = {}  # the constant first-degree lines of the rest
        self.hash_lines: list[tuple[str, _Line]] = []  # (blank node, its first-degree line)
        self.relabelled: OrderedDict[tuple[str, ...], list[str]] = OrderedDict()

    def prepare(self, n: int) -> None:
        """Precompile what does not depend on the substituted values."""
        self.n = n
        iri_classes: set[int] = set()
        literal_classes: set[int] = set()
        quads: list[tuple[_Quad, tuple[str, ...], bool]] = []
        for graph, terms in self.quads:
            parts: list[Any] = []
            blank_list: list[str] = []
            slotted = False
            for _position, const, cls, term in terms:  # subject, predicate, object (pyld order)
                if cls >= 0:
                    slotted = True
                    if term["type"] == "IRI":
                        iri_classes.add(cls)
                        parts.append((_IRI_SLOT, cls))
                    else:
                        literal_classes.add(cls)
                        parts.append((_LITERAL_SLOT, cls, _literal_suffix(term)))
                elif const is None:
                    blank_list.append(term["value"])
                    parts.append((_BLANK, term["value"]))
                else:
                    parts.append(_term_text(term))
            if graph == "@default":
                parts.append(None)
            elif graph.startswith("_:"):
                blank_list.append(graph)
                parts.append((_BLANK, graph))
            else:
                parts.append("<" + nquads.escape_iri(graph) + ">")
            quads.append((tuple(parts), tuple(blank_list), slotted))
            for blank in blank_list:
                self.blank_index.setdefault(blank, len(self.blank_index))
        self.iri_classes = tuple(sorted(iri_classes))
        self.literal_classes = tuple(sorted(literal_classes))
        touched = {b for _q, blanks, slotted in quads if slotted for b in blanks}
        const_hash: dict[str, list[str]] = {}
        for quad, blanks, slotted in quads:
            line = _Line(quad, n, self.blank_index)
            (self.slot_lines if slotted or not blanks else self.blank_lines).append(line)
            for blank in blanks:  # once per occurrence, as pyld's blank node to quads map
                first = _Line(quad, n, self.blank_index, _first_degree_label(blank))
                if slotted:
                    self.hash_lines.append((blank, first))
                else:
                    const_hash.setdefault(blank, []).append(first.text([]))
        self.blank_fixed = {
            b: _first_degree(list(v)) for b, v in const_hash.items() if b not in touched
        }
        self.hash_const = {b: v for b, v in const_hash.items() if b in touched}

    def canonicalize(self, values: list[str]) -> str:
        texts = values * 2
        n = self.n
        for cls in self.iri_classes:
            # a slot only takes an IRI of the probed kind: nothing canonical N-Quads escapes
            texts[cls] = "<" + values[cls] + ">"
        for cls in self.literal_classes:
            texts[n + cls] = '"' + _escape(values[cls]) + '"'
        hashes = dict(self.blank_fixed)
        pending: dict[str, list[str]] = {}
        for blank, line in self.hash_lines:
            lines = pending.get(blank)
            if lines is None:
                lines = pending[blank] = list(self.hash_const.get(blank, ()))
            lines.append(line.text(texts))
        for blank, lines in pending.items():
            hashes[blank] = _first_degree(lines)
        if len(set(hashes.values())) != len(hashes):
            STATS["shape_stock_canonize"] += 1
            return self._stock(values)
        order = tuple(sorted(hashes, key=hashes.__getitem__))
        labels = [""] * len(order)
        for i, blank in enumerate(order):
            labels[self.blank_index[blank]] = f"_:c14n{i}"
        texts.extend(labels)
        relabelled = self.relabelled.get(order)
        if relabelled is None:  # the quads with blank nodes and no slot, for this labelling
            relabelled = [line.text(texts) for line in self.blank_lines]
            with _lock:
                self.relabelled[order] = relabelled
                while len(self.relabelled) > 32:
                    self.relabelled.popitem(last=False)
        out = [line.text(texts) for line in self.slot_lines]
        out.extend(relabelled)
        return nquads.sort_lines(out)

    def _stock(self, values: list[str]) -> str:
        """The substituted dataset through the exact RDFC-1.0 (credkit.jsonld.rdfc.canonize)."""
        dataset: dict[str, list[dict[str, Any]]] = {}
        for graph, terms in self.quads:
            quad: dict[str, Any] = {}
            for position, const, cls, term in terms:
                if cls >= 0:
                    new = dict(term)
                    new["value"] = values[cls]
                    quad[position] = new
                elif const is None:  # a blank node: URDNA2015 relabels it in place
                    quad[position] = dict(term)
                else:
                    quad[position] = const
            dataset.setdefault(graph, []).append(quad)
        return rdfc.canonize(dataset)


class _Shape:
    __slots__ = ("failed", "pinned", "variants", "view_clean")

    def __init__(self, pinned: tuple[int, ...] | None) -> None:
        self.pinned = pinned or ()
        self.failed = pinned is None
        self.variants: OrderedDict[tuple[str, ...], _Variant | None] = OrderedDict()
        # credkit.proofs.sign: json_view_problems found nothing in a document of this shape (its
        # verdict depends only on what the shape key holds: keys, nulls, contexts, equal strings)
        self.view_clean = False


# The shape the last canonicalize_for_signing of this thread used, with the document it was for.
_last = threading.local()


def signed_shape(document: Any) -> _Shape | None:
    """The shape the last :func:`canonicalize_for_signing` here used for ``document`` (once)."""
    seen: tuple[Any, _Shape] | None = getattr(_last, "shape", None)
    _last.shape = None
    return seen[1] if seen is not None and seen[0] is document else None


_shapes: OrderedDict[tuple[Any, ...], _Shape] = OrderedDict()


def _token(kind: Any, cls: int) -> str:
    base = f"ckshape{_NONCE}n{cls}"
    if type(kind) is tuple and kind[0] == "I":
        return f"{kind[1]}:{'//' if kind[2] else ''}{base}"
    return base


def _probe(
    document: dict[str, Any],
    leaves: list[str],
    classes: list[int],
    kinds: list[Any],
    keep: set[int],
    loader: DocumentLoader | None,
) -> tuple[dict[str, Any], dict[str, int]] | None:
    """The dataset of ``document`` with every class not in ``keep`` replaced by its token."""
    tokens: dict[str, int] = {}
    replaced = []
    for value, cls, kind in zip(leaves, classes, kinds, strict=True):
        if cls in keep or (type(kind) is tuple and kind[0] == "V"):
            replaced.append(value)
        else:
            token = _token(kind, cls)
            tokens[token] = cls
            replaced.append(token)
    try:
        return rdfc.to_dataset(_rebuild(document, iter(replaced)), loader), tokens
    except CredkitError:
        return None


def _appearances(
    dataset: dict[str, Any], tokens: dict[str, int]
) -> tuple[set[int], set[int], set[int]]:
    """Classes whose token appears whole as a literal or IRI; elsewhere; and in IRI positions."""
    exact: set[int] = set()
    inexact: set[int] = set()
    as_iri: set[int] = set()
    marker = f"ckshape{_NONCE}n"
    for graph, triples in dataset.items():
        if marker in graph:
            inexact.update(c for t, c in tokens.items() if t in graph)
        for triple in triples:
            for position, term in triple.items():
                for field, text in term.items():
                    if marker not in text:
                        continue
                    whole = tokens.get(text)
                    if (
                        whole is not None
                        and field == "value"
                        and position != "predicate"
                        and term["type"] in ("IRI", "literal")
                    ):
                        exact.add(whole)
                        if term["type"] == "IRI":
                            as_iri.add(whole)
                    else:
                        inexact.update(c for t, c in tokens.items() if t in text)
    return exact, inexact, as_iri


def _compile_shape(
    document: dict[str, Any],
    leaves: list[str],
    classes: list[int],
    kinds: list[Any],
    loader: DocumentLoader | None,
) -> _Shape:
    """First probe: which classes can be substituted; the rest are pinned."""
    probed = _probe(document, leaves, classes, kinds, set(), loader)
    if probed is None:
        STATS["shape_probe_failed"] += 1
        return _Shape(None)
    dataset, tokens = probed
    exact, inexact, as_iri = _appearances(dataset, tokens)
    class_kind = dict(zip(classes, kinds, strict=True))
    pinned = {
        cls
        for cls in set(classes)
        if cls not in exact
        or cls in inexact
        or (cls in as_iri and not (type(class_kind[cls]) is tuple and class_kind[cls][0] == "I"))
    }
    return _Shape(tuple(sorted(pinned)))


def _compile_variant(
    document: dict[str, Any],
    leaves: list[str],
    classes: list[int],
    kinds: list[Any],
    shape: _Shape,
    loader: DocumentLoader | None,
) -> _Variant | None:
    """Second probe, pinned classes as they are: the template (not yet trusted)."""
    probed = _probe(document, leaves, classes, kinds, set(shape.pinned), loader)
    if probed is None:
        STATS["shape_probe_failed"] += 1
        return None
    dataset, tokens = probed
    exact, inexact, _as_iri = _appearances(dataset, tokens)
    expected = set(classes) - set(shape.pinned)
    expected = {c for c in expected if c in tokens.values()}
    if exact != expected or inexact:
        STATS["shape_probe_unstable"] += 1
        return None
    variant = _Variant()
    iris: set[str] = set()
    for graph, triples in dataset.items():
        for triple in triples:
            terms = []
            for position, term in triple.items():
                cls = tokens.get(term["value"], -1) if position != "predicate" else -1
                if cls >= 0:
                    terms.append((position, None, cls, term))
                elif term["type"] == "blank node":
                    terms.append((position, None, -1, term))
                else:
                    if term["type"] == "IRI":
                        iris.add(term["value"])
                    terms.append((position, term, -1, term))
            variant.quads.append((graph, terms))
    variant.iris = frozenset(iris)
    variant.prepare(len(set(classes)))
    return variant


def canonicalize_for_signing(document: Any, loader: DocumentLoader | None = None) -> str:
    """:func:`credkit.jsonld.rdfc.canonicalize`, from a compiled shape when one is trusted for
    it."""
    _last.shape = None
    if not (_enabled and fastld.available()) or type(document) is not dict:
        return rdfc.canonicalize(document, loader)
    sig: list[Any] = []
    leaves: list[str] = []
    kinds: list[Any] = []
    ctxs: list[Any] = []
    try:
        _walk(document, sig, leaves, kinds, ctxs)
    except (_UnshapeableError, RecursionError):
        STATS["shape_fallback_unshapeable"] += 1
        return rdfc.canonicalize(document, loader)
    if not ctxs or not _contexts_live(ctxs):
        STATS["shape_fallback_context"] += 1
        return rdfc.canonicalize(document, loader)
    ids: dict[str, int] = {}
    classes = [ids.setdefault(v, len(ids)) for v in leaves]
    key = (_SALT, tuple(sig), tuple(classes))
    values = list(ids)  # class -> value
    shape = _shapes.get(key)
    if shape is None:
        shape = _compile_shape(document, leaves, classes, kinds, loader)
        with _lock:
            _shapes[key] = shape
            while len(_shapes) > MAX_SHAPES:
                _shapes.popitem(last=False)
        STATS["shape_new"] += 1
    _last.shape = (document, shape)
    if shape.failed:
        STATS["shape_fallback_failed"] += 1
        return rdfc.canonicalize(document, loader)
    pinned = tuple(values[c] for c in shape.pinned)
    if pinned not in shape.variants:
        variant = _compile_variant(document, leaves, classes, kinds, shape, loader)
        full = rdfc.canonicalize(document, loader)
        if variant is not None:
            try:
                variant.trusted = variant.canonicalize(values) == full
            except CredkitError:
                variant.trusted = False
            STATS["shape_trusted" if variant.trusted else "shape_rejected"] += 1
        with _lock:
            shape.variants[pinned] = variant if variant is not None and variant.trusted else None
            while len(shape.variants) > MAX_VARIANTS:
                shape.variants.popitem(last=False)
        return full
    variant = shape.variants[pinned]
    if variant is None:
        STATS["shape_fallback_failed"] += 1
        return rdfc.canonicalize(document, loader)
    for cls in variant.iri_classes:
        if values[cls] in variant.iris:
            STATS["shape_fallback_iri_collision"] += 1
            return rdfc.canonicalize(document, loader)
    STATS["shape_hit"] += 1
    return variant.canonicalize(values)
