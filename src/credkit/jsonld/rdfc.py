"""RDF Dataset Canonicalization (RDFC-1.0) of JSON-LD documents, in safe mode.

pyld names RDFC-1.0 ``URDNA2015`` (same algorithm) and defaults to the older URGNA2012, so the
algorithm is always passed explicitly. Safe mode: JSON-LD → RDF silently drops terms no context
defines and IRIs that are not absolute; signing such a document would sign less than it shows, so VC
Data Integrity 1.0 §2.4.3 requires an error instead (DATA_LOSS_DETECTION_ERROR). Blank-node-heavy
inputs can make RDFC exponential (RDFC-1.0 §4.1 "dataset poisoning"); work is bounded.

Speed: pyld runs through :mod:`credkit.jsonld.fastld`, which memoizes context processing exactly and
skips ``to_rdf``'s second expansion where that is provably a no-op; output and errors are those of
stock pyld (differential-tested; ``CREDKIT_FASTLD=0`` or ``fastld.set_enabled(False)`` for stock).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from pyld.jsonld import _is_absolute_iri as _pyld_is_absolute_iri

from credkit import deadline
from credkit.errors import (
    CanonicalizationLimitError,
    ContextError,
    DataLossError,
    DeadlineExceededError,
    MalformedValueError,
    ProofTransformationError,
)
from credkit.jsonld import contexts, fastld
from credkit.jsonld.contexts import DEFAULT_LOADER, DocumentLoader
from credkit.jsonld.nquads import CanonicalURDNA2015

# Characters RFC 3987 §2.2 never allows in an IRI. N-Quads writes IRIs between <> unescaped, so
# one of these (a '>' or a newline) could forge other quads in the canonical form; pyld's own
# absolute-IRI test also lets a trailing newline through (Python's `$`), where jsonld.js drops it.
_NOT_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')


# BCP 47 well-formedness as JSON-LD 1.1 §9.8 / jsonld.js check it ("invalid @language value"):
# N-Quads writes the tag unescaped after '@', so anything else could forge quads.
_LANGUAGE = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*\Z")


def _absolute(value: str) -> bool:
    """An IRI toRdf keeps (pyld's own test: a scheme or ``_:``) and that N-Quads can carry
    verbatim: anything else must be refused here, or the proof would not cover what it shows."""
    return bool(_pyld_is_absolute_iri(value)) and not _NOT_IRI.search(value)


# Calls into the N-degree hash allowed per blank node before we call the dataset poisoned.
_WORK_FACTOR = 64
_MIN_WORK = 256


class _BoundedURDNA2015(CanonicalURDNA2015):
    """URDNA2015 that gives up, rather than spinning, on a poisoned dataset; its N-Quads are
    canonical N-Quads as the reference writes them (credkit.jsonld.nquads), in output and hashes."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self._budget = limit

    def hash_n_degree_quads(self, id_: Any, issuer: Any) -> Any:
        self._budget -= 1
        if self._budget < 0:
            raise CanonicalizationLimitError(
                "canonicalization aborted: too many blank-node comparisons (poisoned dataset?)"
            )
        deadline.check()
        return super().hash_n_degree_quads(id_, issuer)

    def modify_first_degree_component(self, id_: Any, component: Any, key: Any) -> Any:
        # pyld deep-copies each blank-node term here; a term is a flat dict of strings, for which
        # a shallow copy is the same thing, several times cheaper
        if (
            component["type"] == "blank node"
            and fastld.available()
            and type(component) is dict
            and all(type(v) is str for v in component.values())
        ):
            copied = dict(component)
            copied["value"] = "_:a" if component["value"] == id_ else "_:z"
            return copied
        return super().modify_first_degree_component(id_, component, key)


def _raise_dropped(term: Any) -> None:
    raise DataLossError(
        f"term {term!r} is not defined by any @context of the document; RDF canonicalization "
        "would drop it, so the proof would not cover it (add a context that defines it)"
    )


def _check_iris(node: Any, path: str = "$") -> None:
    """Relative IRIs in @id/@type are dropped by toRdf with a null base: refuse them."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            _check_iris(item, f"{path}[{i}]")
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key.startswith("_:"):
            # A blank-node predicate: toRdf drops the whole statement (JSON-LD 1.1 API §8.5 with
            # produceGeneralizedRdf false), so its value -- possibly an object that repeats the
            # document's own id and carries validUntil or credentialStatus -- would not be
            # signed. jsonld.js safe mode refuses it; VC DI 1.0 §2.4.3 data-loss detection.
            raise DataLossError(
                f"{path}: property {key!r} is a blank node; RDF drops such statements, so the "
                "proof would not cover it"
            )
        if key == "@id" and isinstance(value, str):
            if not _absolute(value):
                raise DataLossError(f"{path}: identifier {value!r} is not an absolute IRI")
        elif key == "@type" and "@value" not in node:
            for t in value if isinstance(value, list) else [value]:
                if isinstance(t, str) and not _absolute(t):
                    raise DataLossError(f"{path}: type {t!r} is not defined by any @context")
        elif (
            key == "@type"
            and isinstance(value, str)
            and not (value == "@json" or (_absolute(value) and not value.startswith("_:")))
        ):
            raise DataLossError(f"{path}: datatype {value!r} is not an absolute IRI")
        elif key == "@language" and "@value" in node:
            if not (isinstance(value, str) and _LANGUAGE.match(value)):
                raise DataLossError(f"{path}: {value!r} is not a well-formed language tag")
        elif key == "@value":
            continue
        else:
            _check_iris(value, f"{path}.{key}")


def _unwrap(exc: BaseException) -> BaseException:
    """pyld wraps loader and handler exceptions; surface the credkit error inside, if any."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(
            seen, ContextError | DataLossError | CanonicalizationLimitError | DeadlineExceededError
        ):
            return seen
        details = getattr(seen, "details", None)
        cause = details.get("cause") if isinstance(details, dict) else None
        seen = cause if isinstance(cause, BaseException) else seen.__cause__ or seen.__context__
    return exc


def expand(document: Any, loader: DocumentLoader | None = None) -> list[Any]:
    """Safe-mode JSON-LD expansion: an undefined term or relative IRI is an error."""
    options = {"documentLoader": loader or DEFAULT_LOADER, "base": None}
    try:
        processor = fastld.processor(on_property_dropped=_raise_dropped)
        expanded: list[Any] = processor.expand(fastld.expand_input(document), options)
    except (DataLossError, ContextError, CanonicalizationLimitError, DeadlineExceededError):
        raise
    except RecursionError:
        raise MalformedValueError("document is nested too deeply to process") from None
    except Exception as exc:  # pyld raises JsonLdError and, on odd input, plain Python errors
        inner = _unwrap(exc)
        if inner is not exc:
            raise inner from None
        raise ProofTransformationError(f"JSON-LD processing failed: {_describe(exc)}") from None
    _check_iris(expanded)
    return expanded


def canonicalize(document: Any, loader: DocumentLoader | None = None) -> str:
    """The canonical N-Quads of ``document`` (RDFC-1.0), each line ending in ``\\n``."""
    return canonize(to_dataset(document, loader))


def to_dataset(document: Any, loader: DocumentLoader | None = None) -> dict[str, Any]:
    """Safe-mode JSON-LD → RDF: pyld's dataset (graph name → triples), not yet canonical."""
    expanded = expand(document, loader)
    processor = fastld.processor()
    try:
        # rdfDirection i18n-datatype: the base direction of a language string stays in the RDF
        # (JSON-LD 1.1 API §8.6), as the reference JS Data Integrity suites canonicalize it;
        # without a mode toRdf drops it and the proof would not cover it
        options = {
            "documentLoader": loader or DEFAULT_LOADER,
            "base": None,
            "rdfDirection": "i18n-datatype",
        }
        return fastld.to_rdf(processor, expanded, options)
    except DeadlineExceededError:
        raise
    except RecursionError:
        raise MalformedValueError("document is nested too deeply to process") from None
    except Exception as exc:
        raise ProofTransformationError(f"RDF canonicalization failed: {_describe(exc)}") from None


def canonize(dataset: dict[str, Any]) -> str:
    """RDFC-1.0 of a pyld dataset, with bounded work; the dataset's quads are modified."""
    try:
        blank_nodes = {
            c["value"]
            for triples in dataset.values()
            for t in triples
            for c in (t["subject"], t["object"])
            if c["type"] == "blank node"
        }
        algo = _BoundedURDNA2015(max(_MIN_WORK, _WORK_FACTOR * len(blank_nodes)))
        result: str = algo.main(dataset, {"format": "application/n-quads"})
    except (CanonicalizationLimitError, DeadlineExceededError):
        raise
    except RecursionError:
        raise MalformedValueError("document is nested too deeply to process") from None
    except Exception as exc:
        raise ProofTransformationError(f"RDF canonicalization failed: {_describe(exc)}") from None
    return result


_REPEATED: OrderedDict[Any, str] = OrderedDict()
_REPEATED_MAX = 256


def canonicalize_repeated(document: Any, loader: DocumentLoader | None = None) -> str:
    """:func:`canonicalize` for a document canonicalized again and again unchanged.

    A cohort's proof configurations are identical (same ``created``, options and ``@context``), so
    the result is kept, keyed on the exact JSON (types and key order included), and reused only
    while every ``@context`` entry is a shipped context that pyld resolves to credkit's own copy --
    then stock pyld would compute the very same string (see :mod:`credkit.jsonld.fastld`).
    """
    key = None
    if fastld.available() and isinstance(document, dict):
        try:
            key = fastld.typed_key(document)
        except fastld.UncacheableError:
            key = None
        if key is not None and fastld.shipped_contexts_live(document.get("@context"), contexts.get):
            kept = _REPEATED.get(key)
            if kept is not None:
                fastld.STATS["config_hit"] += 1
                return kept
    result = canonicalize(document, loader)
    if key is not None and fastld.shipped_contexts_live(document.get("@context"), contexts.get):
        fastld.STATS["config_miss"] += 1
        _REPEATED[key] = result
        while len(_REPEATED) > _REPEATED_MAX:
            _REPEATED.popitem(last=False)
    return result


def _describe(exc: BaseException) -> str:
    parts = [str(exc).strip() or type(exc).__name__]
    details = getattr(exc, "details", None)
    cause = exc.__cause__
    while cause is not None and len(parts) < 4:
        parts.append(str(cause).strip() or type(cause).__name__)
        cause = cause.__cause__
    if isinstance(details, dict) and details.get("code"):
        parts.append(str(details["code"]))
    return "; ".join(dict.fromkeys(p.splitlines()[0] for p in parts if p))
