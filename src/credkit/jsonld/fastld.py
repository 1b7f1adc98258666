"""An exact accelerator for pyld (used by :mod:`credkit.jsonld.rdfc`): memoized context processing,
subtree expansion and IRI expansion, and ``to_rdf`` without its no-op second expansion. What each
part does and why it is exact: docs/performance.md; the stock-vs-fast proof:
credkit.proofs.fastcheck.

The context memo, the one the others lean on. Why: pyld caches a processed context under the
active context's ``_uuid``, but every clone it makes for a type- or property-scoped context gets
a fresh ``uuid1()``, so for an Open Badges credential it
re-processes the same scoped contexts (and JCS-canonicalizes each inline one to find it) on every
document. Context processing is a pure function of the active context, the local context, a few
flags and the context documents the loader serves, so its result can be kept -- *if* each of those
inputs is provably the same. This module keeps it only then:

* the active context is the same immutable object (a pyld ``frozendict`` that still carries its
  ``_uuid``; held by the memo, so its ``id`` cannot be reused while the entry lives);
* the local context is equal *with types* (``1``, ``1.0`` and ``True`` differ; key order counts);
* the flags, ``base``, ``processingMode`` and document loader are the same;
* every context URL the first run resolved still resolves to the very same pyld ``ResolvedContext``
  object -- which holds only for documents pyld keeps process-wide (``static``: credkit's shipped,
  hash-pinned contexts); anything a loader serves per call is re-processed every time;
* the first run raised nothing, emitted no warning (no ``@``-reserved strings), met no ``@import``
  (pyld mutates the imported document) and returned a frozen context.

Anything else runs stock pyld, and is counted in :data:`STATS`. The memo is used only through
:func:`processor` (a subclass) and only on the pyld version it was written and differential-tested
against: on any other version it warns once and stays stock. One pure pyld helper is replaced
module-wide, on that version only: ``_is_absolute_iri`` (answered from a memo; every caller tests
only its truth, and when the accelerator is off it calls the original).
``CREDKIT_FASTLD=0`` in the environment, or :func:`set_enabled`, turns it off.
"""

from __future__ import annotations

import marshal
import os
import re
import threading
import warnings
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pyld import jsonld
from pyld.__about__ import __version__ as PYLD_VERSION  # noqa: N812
from pyld.context_resolver import ContextResolver
from pyld.identifier_issuer import IdentifierIssuer

from credkit import deadline
from credkit.jsonld.contexts import inline_imports
from credkit.jsonld.literals import ReferenceLiteralsProcessor

SUPPORTED_PYLD = "3.3.0"
MAX_ENTRIES = 4096

# pyld's own: a term or IRI value like this is warned about and ignored (pyld jsonld.py).
_RESERVED = re.compile(jsonld.KEYWORD_PATTERN)
_KEYWORDS: frozenset[str] = frozenset(jsonld.KEYWORDS)
_FROZEN: type[Any] = type(jsonld.freeze({}))

STATS: Counter[str] = Counter()
_lock = threading.Lock()
_memo: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
_doc_safe: dict[int, tuple[Any, bool]] = {}
_subtrees: OrderedDict[tuple[Any, ...], _Subtree] = OrderedDict()
MAX_SUBTREES = 4096
_key_of: OrderedDict[int, tuple[Any, str, Any]] = OrderedDict()
_iri_memo: OrderedDict[int, tuple[Any, dict[tuple[Any, ...], Any]]] = OrderedDict()
MAX_IRI_CONTEXTS = 1024
_enabled = os.environ.get("CREDKIT_FASTLD", "1").lower() not in {"0", "false", "no", "off"}
_version_ok = PYLD_VERSION == SUPPORTED_PYLD
_warned = False


class UncacheableError(Exception):
    """A local context holding something other than JSON values: not memoized."""


class _Entry:
    __slots__ = ("active", "result", "urls")

    def __init__(self, active: Any, result: Any, urls: tuple[tuple[str, Any], ...]) -> None:
        self.active = active  # strong ref: keeps id(active) from being reused
        self.result = result
        self.urls = urls


def available() -> bool:
    """Whether the accelerator runs: switched on, and pyld is the version it was proven on."""
    global _warned
    if _enabled and not _version_ok and not _warned:
        _warned = True
        warnings.warn(
            f"credkit.jsonld.fastld was verified against pyld {SUPPORTED_PYLD}, "
            f"found {PYLD_VERSION}; "
            "using stock pyld (exact, slower)",
            RuntimeWarning,
            stacklevel=2,
        )
    return _enabled and _version_ok


def set_enabled(on: bool) -> None:
    """Module-level switch (tests and benchmarks compare both ways); also clears the memo."""
    global _enabled
    _enabled = on
    clear()


def clear() -> None:
    with _lock:
        _memo.clear()
        _doc_safe.clear()
        _iri_memo.clear()
        _key_of.clear()
        _subtrees.clear()


@contextmanager
def stock() -> Iterator[None]:
    """Run the enclosed code on stock pyld (the differential tests' reference side)."""
    global _enabled
    before = _enabled
    _enabled = False
    try:
        yield
    finally:
        _enabled = before


def processor(on_property_dropped: Callable[[Any], None] | None = None) -> Any:
    """A pyld ``JsonLdProcessor``: the memoizing one when available, else stock (both with
    ``@import`` merged on copies, see :class:`_ImportSafeProcessor`)."""
    cls = _MemoProcessor if available() else _ImportSafeProcessor
    if on_property_dropped is None:
        return cls()
    return cls(on_property_dropped=on_property_dropped)


class _Marshalled:
    """Stands in for a document given to pyld ``expand``, whose only use of it is a deepcopy.

    ``marshal`` round-trips exactly the built-in JSON types (exact types only: a subclass is
    refused, and then the document is passed as is), keeps shared and cyclic references as
    ``deepcopy`` does, and is several times faster.
    """

    __slots__ = ("blob",)

    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    def __deepcopy__(self, memo: Any) -> Any:
        return marshal.loads(self.blob)


def expand_input(document: Any) -> Any:
    """What to hand pyld ``expand`` for ``document``: a cheap-to-copy stand-in when exact."""
    if not (_enabled and _version_ok) or type(document) is not dict:
        return document
    try:
        return _Marshalled(marshal.dumps(document))
    except ValueError:  # a type marshal refuses: stock deepcopy
        STATS["fallback_copy"] += 1
        return document


# --- keys ---------------------------------------------------------------------------------------


def typed_key(value: Any) -> Any:
    """A hashable key equal only for JSON-equal values *of the same JSON types*, order kept."""
    t = type(value)
    if t is str:
        return value
    if t is dict:
        return ("{", *[(k, typed_key(v)) for k, v in value.items()])
    if t is list:
        return ("[", *[typed_key(v) for v in value])
    if value is None or t is bool:
        return ("c", value)
    if t is int:
        return ("i", value)
    if t is float:
        return ("f", repr(value))
    raise UncacheableError(t.__name__)


def _local_key(value: Any) -> Any:
    """``typed_key``, kept per object for the scoped contexts pyld passes again and again.

    A kept key is reused only for the same object whose ``repr`` is unchanged since: ``repr`` of
    JSON values is injective and type-exact (``1``, ``1.0``, ``True``, ``'1'`` all differ), so an
    in-place edit of the context is noticed and the key recomputed.
    """
    if type(value) is str:
        return value
    kept = _key_of.get(id(value))
    text = repr(value)
    if kept is not None and kept[0] is value and kept[1] == text:
        return kept[2]
    key = typed_key(value)
    if type(value) is dict:  # document-level @context lists are fresh objects: not worth keeping
        with _lock:
            _key_of[id(value)] = (value, text, key)
            if len(_key_of) > MAX_ENTRIES:
                _key_of.popitem(last=False)
    return key


def _has_reserved(value: Any) -> bool:
    """Strings pyld warns about (``@``-shaped non-keywords) or an ``@import``: never memoize."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                if k == "@import" or (
                    isinstance(k, str) and k not in _KEYWORDS and _RESERVED.match(k)
                ):
                    return True
                stack.append(v)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and item not in _KEYWORDS and _RESERVED.match(item):
            return True
    return False


def _document_safe(resolved: Any) -> bool:
    """``_has_reserved`` for a resolved context document, computed once per object."""
    items = resolved if isinstance(resolved, list) else [resolved]
    for rc in items:
        cached = _doc_safe.get(id(rc))
        if cached is None or cached[0] is not rc:
            cached = (rc, not _has_reserved(rc.document))
            if len(_doc_safe) >= MAX_ENTRIES:
                _doc_safe.clear()
            _doc_safe[id(rc)] = cached
        if not cached[1]:
            return False
    return True


# --- the processor --------------------------------------------------------------------------------


class _RecordingResolver(ContextResolver):  # type: ignore[misc]
    """The op's own resolver (same caches, shared state), noting what each URL resolved to."""

    def __init__(self, inner: Any) -> None:
        # the same cache objects as the op's resolver, so stock sees exactly what it would
        self.per_op_cache = inner.per_op_cache
        self.shared_cache = inner.shared_cache
        self.document_loader = inner.document_loader
        self.max_context_urls = inner.max_context_urls
        self.seen: list[tuple[str, Any]] = []

    def resolve(self, active_ctx: Any, context: Any, base: Any, cycles: Any = None) -> Any:
        result = super().resolve(active_ctx, context, base, cycles)
        items = context
        if isinstance(items, dict) and "@context" in items:
            items = items["@context"]
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, str):
                self.seen.append((item, self._get(item)))
        return result

    def static(self, url: str) -> Any:
        """What pyld keeps process-wide for ``url`` (credkit tags only shipped contexts so)."""
        tags = self.shared_cache.get(url)
        return tags.get("static") if tags else None


class _Subtree:
    __slots__ = ("active", "blob", "handler", "scoped", "urls")

    def __init__(
        self, active: Any, scoped: Any, handler: Any, blob: bytes, urls: tuple[Any, ...]
    ) -> None:
        self.active = active
        self.scoped = scoped
        self.handler = handler
        self.blob = blob
        self.urls = urls


class _Trace:
    """What one subtree's expansion relied on: memoized contexts (their URLs), or stock."""

    __slots__ = ("tainted", "urls")

    def __init__(self) -> None:
        self.urls: list[tuple[str, Any]] = []
        self.tainted = False


def _without_imports(local_ctx: Any, options: Any) -> Any:
    loader = options.get("documentLoader") or jsonld.get_document_loader()
    return inline_imports(local_ctx, loader)


class _ImportSafeProcessor(ReferenceLiteralsProcessor):
    """pyld's processor, but ``@import`` is merged by credkit on fresh copies before pyld sees a
    local context: pyld merges it into the shared imported document (credkit.jsonld.contexts)."""

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        local_ctx = _without_imports(local_ctx, options)
        return super()._process_context(active_ctx, local_ctx, options, override_protected,
                                        propagate, validate_scoped, cycles)  # fmt: skip

    # The two recursions whose work grows with the input (a node map's duplicate test is linear
    # per value, so quadratic per property) check the caller's deadline at every node.
    def _expand(self, *args: Any, **kwargs: Any) -> Any:
        deadline.check()
        return super()._expand(*args, **kwargs)

    def _create_node_map(self, *args: Any, **kwargs: Any) -> Any:
        deadline.check()
        return super()._create_node_map(*args, **kwargs)


class _MemoProcessor(_ImportSafeProcessor):
    """pyld's processor with ``_process_context``, ``_expand_iri`` and ``_expand`` memoized
    under the guards in the module doc."""

    def __init__(self, on_property_dropped: Callable[[Any], None] = jsonld.noop) -> None:
        self._handler = on_property_dropped
        self._drops = 0
        self._traces: list[_Trace] = []

        def counted(term: Any) -> None:
            self._drops += 1  # a handler that returns (does not raise) was called: no memo
            on_property_dropped(term)

        super().__init__(on_property_dropped=counted)

    def _taint(self) -> None:
        for trace in self._traces:
            trace.tainted = True

    def _used(self, urls: tuple[tuple[str, Any], ...]) -> None:
        for trace in self._traces:
            trace.urls.extend(urls)

    def _expand(
        self,
        active_ctx: Any,
        active_property: Any,
        element: Any,
        options: Any,
        inside_list: bool = False,
        inside_index: bool = False,
        type_scoped_ctx: Any = None,
    ) -> Any:
        """Memoized for node objects: the expansion of a subtree is a pure function of the
        (frozen) active and type-scoped contexts, the property, the subtree and a few options --
        the issuer and achievement parts of a cohort's diplomas are the same every time.

        The subtree is keyed by ``repr``: exact and injective for the builtin JSON types, which
        is all :func:`expand_input`'s ``marshal`` copy can hold. Not kept: subtrees holding an
        ``@context`` (resolved through the loader), or whose expansion ran any context
        processing stock, called a drop handler that returned, or raised. A kept result is
        reused only while every context URL its context processing relied on still resolves to
        the same pyld object, and handed out as a fresh copy.
        """
        stock = super()._expand
        if (
            not _enabled
            or type(element) is not dict
            or len(element) < 3
            or type(active_ctx) is not _FROZEN
            or not (type_scoped_ctx is None or type(type_scoped_ctx) is _FROZEN)
        ):
            return stock(active_ctx, active_property, element, options, inside_list,
                         inside_index, type_scoped_ctx)  # fmt: skip
        text = repr(element)
        if "'@context'" in text:
            self._taint()
            return stock(active_ctx, active_property, element, options, inside_list,
                         inside_index, type_scoped_ctx)  # fmt: skip
        key = (
            id(active_ctx),
            active_property,
            text,
            inside_list,
            inside_index,
            id(type_scoped_ctx),
            id(self._handler),
            typed_key(options.get("base", "")),
            options.get("isFrame"),
            options.get("keepFreeFloatingNodes"),
            options.get("processingMode"),
            id(options.get("documentLoader")),
        )
        resolver = options.get("contextResolver")
        entry = _subtrees.get(key)
        if (
            entry is not None
            and entry.active is active_ctx
            and entry.scoped is type_scoped_ctx
            and entry.handler is self._handler
            and all(resolver._get(url) is rc for url, rc in entry.urls)
        ):
            STATS["subtree_hit"] += 1
            self._used(entry.urls)
            return marshal.loads(entry.blob)
        trace = _Trace()
        drops = self._drops
        self._traces.append(trace)
        try:
            result = stock(active_ctx, active_property, element, options, inside_list,
                           inside_index, type_scoped_ctx)  # fmt: skip
        finally:
            self._traces.pop()
        if trace.tainted or self._drops != drops:
            self._taint()
            STATS["subtree_uncacheable"] += 1
            return result
        try:
            blob = marshal.dumps(result)
        except ValueError:
            self._taint()
            return result
        STATS["subtree_miss"] += 1
        urls = tuple(trace.urls)
        self._used(urls)
        with _lock:
            _subtrees[key] = _Subtree(active_ctx, type_scoped_ctx, self._handler, blob, urls)
            while len(_subtrees) > MAX_SUBTREES:
                _subtrees.popitem(last=False)
        return result

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        local_ctx = _without_imports(local_ctx, options)
        # pyld's own, past _ImportSafeProcessor: the imports were merged just above
        stock = super(_ImportSafeProcessor, self)._process_context
        if (
            not _enabled
            or cycles is not None  # nested pre-validation of a scoped context: stock
            or type(active_ctx) is not _FROZEN
            or "_uuid" not in active_ctx
        ):
            STATS["stock_call"] += 1
            if cycles is None:
                self._taint()
            return stock(active_ctx, local_ctx, options, override_protected, propagate,
                         validate_scoped, cycles)  # fmt: skip
        resolver = options.get("contextResolver")
        try:
            key = (
                id(active_ctx),
                _local_key(local_ctx),
                override_protected,
                propagate,
                validate_scoped,
                typed_key(options.get("base", "")),
                options.get("processingMode"),
                id(options.get("documentLoader")),
            )
        except UncacheableError:
            STATS["fallback_local_type"] += 1
            self._taint()
            return stock(active_ctx, local_ctx, options, override_protected, propagate,
                         validate_scoped)  # fmt: skip
        entry = _memo.get(key)
        if entry is not None and entry.active is active_ctx:
            if all(resolver._get(url) is rc for url, rc in entry.urls):
                STATS["hit"] += 1
                self._used(entry.urls)
                return entry.result
            STATS["fallback_url_changed"] += 1

        # miss: run stock, recording the context URLs it resolves
        recorder = _RecordingResolver(resolver)
        options["contextResolver"] = recorder
        try:
            result = stock(active_ctx, local_ctx, options, override_protected, propagate,
                           validate_scoped)  # fmt: skip
        finally:
            options["contextResolver"] = resolver
        reason = self._uncacheable(result, local_ctx, recorder)
        if reason:
            STATS[f"fallback_{reason}"] += 1
            self._taint()
            return result
        STATS["miss"] += 1
        self._used(tuple(recorder.seen))
        with _lock:
            _memo[key] = _Entry(active_ctx, result, tuple(recorder.seen))
            while len(_memo) > MAX_ENTRIES:
                _memo.popitem(last=False)
        return result

    @staticmethod
    def _uncacheable(result: Any, local_ctx: Any, recorder: _RecordingResolver) -> str | None:
        seen = recorder.seen
        if type(result) is not _FROZEN or "_uuid" not in result:
            return "unfrozen_result"
        if any(rc is None or recorder.static(url) is not rc for url, rc in seen):
            return "not_static"  # a URL pyld does not keep process-wide: re-load every time
        if _has_reserved(local_ctx) or not all(_document_safe(rc) for _, rc in seen):
            return "reserved_or_import"
        return None

    def _expand_iri(
        self,
        active_ctx: Any,
        value: Any,
        base: Any = None,
        vocab: Any = False,
        local_ctx: Any = None,
        defined: Any = None,
    ) -> Any:
        """Memoized per frozen active context: outside context processing the result depends
        only on the (immutable) context, the string and the two flags."""
        if local_ctx is not None or type(value) is not str or type(active_ctx) is not _FROZEN:
            return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
        table = _iri_memo.get(id(active_ctx))
        if table is None or table[0] is not active_ctx:
            table = (active_ctx, {})
            with _lock:
                _iri_memo[id(active_ctx)] = table
                if len(_iri_memo) > MAX_IRI_CONTEXTS:
                    _iri_memo.popitem(last=False)
        key = (value, base, type(base), vocab, type(vocab))
        try:
            return table[1][key]
        except KeyError:
            result = super()._expand_iri(active_ctx, value, base, vocab)
            table[1][key] = result
            return result


# --- RDF from expanded input ----------------------------------------------------------------------


# pyld's own absolute-IRI test (``jsonld._is_absolute_iri``), compiled once
_PYLD_ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")


_stock_is_absolute_iri = jsonld._is_absolute_iri
_absolute_memo: dict[str, bool] = {}


def _is_absolute_iri(value: Any) -> Any:
    """pyld's ``_is_absolute_iri`` from a memo (pyld calls it ~150 times per diploma)."""
    if _enabled and type(value) is str:
        known = _absolute_memo.get(value)
        if known is None:
            known = _PYLD_ABSOLUTE.match(value) is not None
            if len(_absolute_memo) >= 65536:
                _absolute_memo.clear()
            _absolute_memo[value] = known
        return known
    return _stock_is_absolute_iri(value)


if _version_ok:
    jsonld._is_absolute_iri = _is_absolute_iri


def _absolute(value: Any) -> bool:
    """pyld's test, not credkit's: re-expansion returns such IRIs (and blank nodes) unchanged."""
    return type(value) is str and bool(_is_absolute_iri(value))


def _plain_value(item: dict[str, Any]) -> bool:
    v = item["@value"]
    t = type(v)
    if t is float:
        if v != v or v in (float("inf"), float("-inf")):
            return False
    elif t not in (str, int, bool):
        return False
    for k, x in item.items():
        if k == "@type":
            if not _absolute(x) or x.startswith("_:"):
                return False
        elif k == "@language":
            if type(x) is not str:
                return False
        elif k != "@value":
            return False
    return not ("@type" in item and "@language" in item)


def plain_expanded(expanded: Any) -> bool:
    """Whether ``expanded`` is pyld expansion output of the simple kind re-expansion leaves as is.

    Node objects with absolute (or blank-node) ``@id``/``@type``, absolute property IRIs, and values
    that are node objects, ``{"@value"[, "@type" | "@language"]}`` or a flat ``@list``. Anything
    else (``@graph``, ``@reverse``, ``@included``, ``@index``, ``@json``, ``@direction``, nested
    lists, odd IRIs) is not claimed, and the caller runs stock ``to_rdf``.
    """
    if type(expanded) is not list:
        return False
    stack: list[Any] = list(expanded)
    while stack:
        node = stack.pop()
        if type(node) is not dict:
            return False
        for key, values in node.items():
            if key == "@id":
                if not _absolute(values):
                    return False
            elif key == "@type":
                if type(values) is not list or not all(_absolute(t) for t in values):
                    return False
            elif key.startswith(("@", "_:")) or not _absolute(key) or type(values) is not list:
                return False
            else:
                for item in values:
                    if type(item) is not dict:
                        return False
                    if "@value" in item:
                        if not _plain_value(item):
                            return False
                    elif "@list" in item:
                        members = item["@list"]
                        if len(item) != 1 or type(members) is not list:
                            return False
                        for member in members:
                            if type(member) is not dict or "@list" in member:
                                return False
                            if "@value" in member:
                                if not _plain_value(member):
                                    return False
                            else:
                                stack.append(member)
                    else:
                        stack.append(item)
    return True


def to_rdf(proc: Any, expanded: list[Any], options: dict[str, Any]) -> dict[str, Any]:
    """``proc.to_rdf(expanded, options)`` without its re-expansion, when that is a no-op.

    Stock ``to_rdf`` expands its input again; for input already expanded by pyld (and of the plain
    kind :func:`plain_expanded` accepts) that returns the same structure, so the node map and
    triples are built directly, with the same defaults stock would set. ``expanded`` may be
    modified (pyld's node map relabels blank-node types in place), as stock modifies its copy.
    """
    if not (_enabled and _version_ok and plain_expanded(expanded)):
        STATS["rdf_stock"] += 1
        result: dict[str, Any] = proc.to_rdf(expanded, options)
        return result
    STATS["rdf_direct"] += 1
    opts = dict(options)
    opts.setdefault("produceGeneralizedRdf", False)
    opts.setdefault("processingMode", "json-ld-1.1")
    opts.setdefault("identifierIssuer", IdentifierIssuer("_:b"))
    issuer = opts["identifierIssuer"]
    node_map: dict[str, Any] = {"@default": {}}
    proc._create_node_map(expanded, node_map, "@default", issuer)
    dataset: dict[str, Any] = {}
    for graph_name, graph in sorted(node_map.items()):
        if graph_name == "@default" or jsonld._is_absolute_iri(graph_name):
            dataset[graph_name] = proc._graph_to_rdf(graph, issuer, opts)
    return dataset


# --- shipped contexts in pyld's process-wide cache ------------------------------------------------


def shipped_contexts_live(context: Any, shipped: Callable[[str], Any]) -> bool:
    """Whether every entry of ``context`` is a URL that pyld will resolve to credkit's own parsed
    copy: pyld's process-wide cache holds, under the URL, a single resolved context whose document
    *is* ``shipped(url)["@context"]``. Then canonicalizing anything with this ``@context`` uses
    exactly those documents, whatever loader is passed (pyld asks its cache first)."""
    items = context if type(context) is list else [context]
    cache = jsonld._resolved_context_cache
    for url in items:
        if type(url) is not str:
            return False
        try:
            expected = shipped(url)["@context"]
        except Exception:
            return False
        tags = cache.get(url)
        resolved = tags.get("static") if tags else None
        if type(resolved) is not list or len(resolved) != 1:
            return False
        if resolved[0].document is not expected:
            return False
    return True
