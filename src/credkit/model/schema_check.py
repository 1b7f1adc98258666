"""Offline JSON Schema validation: the official OB 3.0 schema and credkit's diploma profile.

OB 3.0 §9 (verification step 1) has a verifier validate a credential against every
``credentialSchema`` of type ``1EdTechJsonSchemaValidator2019`` it declares. The schemas are shipped
inside the package (``credkit/schemas/``) and resolved through a registry, never fetched: a schema
fetched at verification time could be swapped, and the fetch leaks what is being verified. The
official file is pinned by SHA-256, like the JSON-LD contexts.
"""

from __future__ import annotations

import copy
import hashlib
import json
import marshal
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# jsonschema ships no type hints (types-jsonschema is not a dev dependency)
from jsonschema import Draft201909Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped]
from jsonschema.validators import extend  # type: ignore[import-untyped]
from pydantic import BaseModel
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT201909

from credkit.errors import TemplateError
from credkit.model.models import OB_SCHEMA_URL

OB_SCHEMA_FILE = "ob_v3p0_achievementcredential_schema.json"
# sha256 of the shipped official schema (see schemas/README.md for provenance).
OB_SCHEMA_SHA256 = "86a141ff0c1b1a6b4e08460f786a8ffe0f737d8256a86243d134a2e6450efe4d"
# The copy's own "$id" names the json-ld folder; the spec and its examples name the json folder.
OB_SCHEMA_JSONLD_URL = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json-ld/ob_v3p0_achievementcredential_schema.json"
PROFILE_SCHEMA_FILE = "credkit-diploma-profile.json"
PROFILE_SCHEMA_URL = "urn:credkit:schema:diploma-profile:1"

# schema URL → file shipped in credkit/schemas/
SCHEMA_FILES: dict[str, str] = {
    OB_SCHEMA_URL: OB_SCHEMA_FILE,
    OB_SCHEMA_JSONLD_URL: OB_SCHEMA_FILE,
    PROFILE_SCHEMA_URL: PROFILE_SCHEMA_FILE,
}
# credentialSchema ``type`` values that ask for JSON Schema validation (OB 3.0 §8.1; the second is
# the name in the schema copy's own description text).
SCHEMA_TYPES = frozenset({"1EdTechJsonSchemaValidator2019", "JsonSchemaValidator2019"})

Credential = Mapping[str, Any] | BaseModel


@cache
def _read(file: str) -> bytes:
    return resources.files("credkit").joinpath("schemas", file).read_bytes()


def shipped_bytes(url: str) -> bytes | None:
    """The bytes of the schema credkit ships for ``url`` (the ones it validates with), or None."""
    file = SCHEMA_FILES.get(url)
    return None if file is None else _read(file)


@cache
def load_schema(url: str) -> dict[str, Any]:
    """The shipped schema for ``url``; raises :class:`TemplateError` for a schema we do not ship."""
    file = SCHEMA_FILES.get(url)
    if file is None:
        raise TemplateError(f"no shipped JSON Schema for {url}; credkit does not fetch schemas")
    data = _read(file)
    if file == OB_SCHEMA_FILE and hashlib.sha256(data).hexdigest() != OB_SCHEMA_SHA256:
        raise TemplateError(f"shipped {file} does not match its pinned SHA-256; reinstall credkit")
    schema: dict[str, Any] = json.loads(data)
    return schema


@cache
def registry() -> Registry[Any]:
    """Every shipped schema under every URL it is known by; unknown URLs are refused."""
    resources_ = [
        (url, Resource.from_contents(load_schema(url), default_specification=DRAFT201909))
        for url in SCHEMA_FILES
    ]
    # A Registry without a ``retrieve`` callback raises for any URI it does not hold: a $ref
    # outside the shipped schemas is an error, never a network fetch.
    return Registry().with_resources(resources_)


@cache
def _validator(url: str, pointer: str = "") -> Draft201909Validator:
    schema: dict[str, Any] = {"$ref": url + pointer} if pointer else load_schema(url)
    return Draft201909Validator(
        schema, registry=registry(), format_checker=Draft201909Validator.FORMAT_CHECKER
    )


def _as_json(credential: Credential) -> Any:
    if isinstance(credential, BaseModel):
        return credential.model_dump(mode="json", by_alias=True)
    return credential


def _message(error: ValidationError, prefix: Sequence[str | int] = ()) -> str:
    detail = error.message
    if error.context:  # oneOf/anyOf: the closest branch says more than "is not valid"
        detail = best_match(error.context).message
    if len(detail) > 300:
        detail = detail[:297] + "..."
    parts = [*prefix, *error.absolute_path]
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
    return f"{where.lstrip('.') or '(credential)'}: {detail}"


def _messages(errors: Iterable[ValidationError]) -> list[str]:
    return sorted({_message(error) for error in errors})


def validate(credential: Credential, schema_url: str) -> list[str]:
    """Errors of ``credential`` against the shipped schema at ``schema_url`` (empty when valid)."""
    return _messages(_validator(schema_url).iter_errors(_as_json(credential)))


def validate_ob3(credential: Credential) -> list[str]:
    """Errors against the official OB 3.0 AchievementCredential JSON Schema (draft 2019-09)."""
    return validate(credential, OB_SCHEMA_URL)


def validate_endorsement(credential: Credential) -> list[str]:
    """Errors against the OB 3.0 ``EndorsementCredential`` definition of the official schema."""
    validator = _validator(OB_SCHEMA_URL, "#/$defs/EndorsementCredential")
    return _messages(validator.iter_errors(_as_json(credential)))


def validate_profile(credential: Credential, *, require_proof: bool = True) -> list[str]:
    """Errors against credkit's diploma profile; ``require_proof=False`` for unsigned drafts."""
    errors = validate(credential, PROFILE_SCHEMA_URL)
    if not require_proof:
        errors = [e for e in errors if e != "(credential): 'proof' is a required property"]
    return errors


# --- diplomas of one cohort: the shared subtrees validated once ----------------------------------
#
# Every diploma of a cohort carries the same issuer Profile and the same Achievement (each with its
# signed endorsements): most of the document and most of the validation time. ``validate_diploma``
# gives exactly the errors of ``validate`` (same messages, same paths) for both schemas, but
# validates those two subtrees once per distinct JSON value (a small cache) and the rest of each
# diploma against a *split* copy of the schema in which the subschema of that property is ``true``.
#
# Why that is exact. In JSON Schema 2019-09 the outcome at a location is the conjunction of the
# keywords of the schemas applied there, and only applicators carry evaluation down to a child
# location. A child is reached by ``properties`` (for a listed name), ``patternProperties``,
# ``additionalProperties`` (only for names *not* listed in ``properties``/``patternProperties``),
# ``items``/``additionalItems``/``contains`` (arrays), ``propertyNames``, ``unevaluated*``, and via
# the in-place applicators (``$ref``, ``allOf``/``anyOf``/``oneOf``/``not``, ``if``/``then``/
# ``else``, ``dependentSchemas``) of the schemas on the way. So if, on the path from the root to
# the split property, every schema (a) uses no in-place applicator but a lone ``$ref`` and (b)
# descends to the next name only by ``properties`` -- with ``additionalProperties`` harmless since
# the name is listed, and no ``patternProperties``/``propertyNames``/``unevaluated*``/
# ``dependentSchemas``/``if`` anywhere, nor ``const``/``enum`` on an ancestor -- then exactly one
# schema applies at the split location, its verdict is used nowhere else (no ``not``/``oneOf``
# above it to negate or count it), and the verdicts of everything else do not look at the subtree.
# Hence: errors(document) = errors(document, split schema) + errors(subtree, that subschema) with
# the subtree's paths prefixed -- and the subtree's errors depend on its JSON value alone, so they
# can be cached by its JSON text. The split schema replaces a slot inside a ``$defs`` entry only
# when that entry is referenced once (from the path itself), so no other location changes.
# Several slots split at once are disjoint locations (none inside another), so the argument
# applies to each of them in turn. ``_split`` checks all of this on the shipped schemas when it
# builds the split copy and refuses (``validate_diploma`` then validates the whole document)
# should a schema update break it; the tests compare both paths on valid and broken diplomas.
# Input must be JSON data (dicts, lists, str, numbers, bool, None), as ``model_dump(mode="json")``
# and ``json.loads`` give.

# The split slots: instance paths whose values are the same (or take a few values) across a
# cohort -- the issuer, the achievement, the template's texts, dates and types, the grade (the
# dates come from the template unless the roster sets them). Per-row values (ids, names, identity
# hashes, status) stay in the rest.
_SLOTS: tuple[tuple[str, ...], ...] = (
    ("@context",),
    ("type",),
    ("name",),
    ("description",),
    ("issuer",),
    ("validFrom",),
    ("validUntil",),
    ("awardedDate",),
    ("credentialSchema",),
    ("credentialSubject", "type"),
    ("credentialSubject", "achievement"),
    ("credentialSubject", "result"),
    ("credentialSubject", "activityStartDate"),
    ("credentialSubject", "activityEndDate"),
)
_SPLIT_URLS = (OB_SCHEMA_URL, PROFILE_SCHEMA_URL)
# keywords that would make the split inexact wherever they appear (checked by key name anywhere,
# which may refuse needlessly but never wrongly)
_NON_LOCAL = frozenset(
    {
        "patternProperties", "propertyNames", "unevaluatedProperties", "unevaluatedItems",
        "dependentSchemas", "dependencies", "if", "then", "else", "$recursiveRef",
        "$recursiveAnchor", "$dynamicRef", "$dynamicAnchor",
    }
)  # fmt: skip
# keywords an ancestor schema on the split path may carry: annotations, checks of the object
# itself (type, required, ...), and the applicators that descend by listed name or skip it
_ANCESTOR_OK = frozenset(
    {
        "$schema", "$id", "$defs", "$comment", "title", "description", "type", "required",
        "properties", "additionalProperties", "minProperties", "maxProperties", "default",
        "examples", "deprecated", "readOnly", "writeOnly",
    }
)  # fmt: skip
_SPLIT_PREFIX = "urn:credkit:schema:split:"


class _UnsplittableError(Exception):
    pass


def _keys(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from _keys(value)


def _items(node: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _items(value)
    elif isinstance(node, list):
        for value in node:
            yield from _items(value)


def _schema_at(root: dict[str, Any], node: Any) -> dict[str, Any]:
    """``node`` with a lone local ``$ref`` followed (an ancestor may be nothing else)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        if set(node) - {"$ref", "$comment", "description", "title"} or seen > 8:
            raise _UnsplittableError("$ref with siblings")
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/$defs/") or ref.count("/") != 2:
            raise _UnsplittableError(f"$ref {ref!r}")
        if json.dumps(root).count(json.dumps(ref)) != 1:
            raise _UnsplittableError(f"{ref} is referenced more than once")
        node = root["$defs"][ref.split("/")[2]]
        seen += 1
    if not isinstance(node, dict) or set(node) - _ANCESTOR_OK:
        raise _UnsplittableError("an ancestor with other keywords")
    return node


def _pointer(schema: dict[str, Any], node: Any) -> str:
    """The JSON pointer of ``node`` (found by identity) inside ``schema``."""
    stack: list[tuple[Any, str]] = [(schema, "")]
    while stack:
        here, where = stack.pop()
        if here is node:
            return where
        if isinstance(here, dict):
            stack.extend(
                (v, f"{where}/{k.replace('~', '~0').replace('/', '~1')}") for k, v in here.items()
            )
        elif isinstance(here, list):
            stack.extend((v, f"{where}/{i}") for i, v in enumerate(here))
    raise _UnsplittableError("slot not found")


@dataclass(frozen=True)
class _Split:
    rest: Draft201909Validator  # the schema with ``true`` in every slot
    slots: tuple[tuple[tuple[str, ...], str], ...]  # (instance path, pointer of its subschema)
    # the same schema with every keyword call recorded (see "shapes" below); None: not provable
    traced: Draft201909Validator | None = None


@cache
def _split(url: str) -> _Split | None:
    """Schema ``url`` split at ``_SLOTS``, or None when that is not provably exact (see above)."""
    schema = load_schema(url)
    keys = list(_keys(schema))
    if _NON_LOCAL & set(keys) or keys.count("$id") > 1:  # a nested $id would move base URIs
        return None
    split = copy.deepcopy(schema)
    slots: list[tuple[tuple[str, ...], str]] = []
    try:
        for path in _SLOTS:
            # walk the instance path through the original schema, checking every ancestor
            node = _schema_at(schema, schema)
            slot: Any = None
            for depth, name in enumerate(path):
                props = node.get("properties")
                if not isinstance(props, dict) or name not in props:
                    break  # not a listed property: left to the rest (never split)
                slot = props[name]
                if depth < len(path) - 1:
                    node = _schema_at(schema, slot)
            else:
                pointer = _pointer(schema, slot)
                holder: Any = split
                parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
                for part in parts[:-1]:
                    holder = holder[part]
                holder[parts[-1]] = True
                slots.append((path, pointer))
    except (_UnsplittableError, KeyError, TypeError):
        return None
    split["$id"] = _SPLIT_PREFIX + url
    rest = Draft201909Validator(
        split, registry=registry(), format_checker=Draft201909Validator.FORMAT_CHECKER
    )
    # a trace sees every keyword call only if every subschema is run by the traced class: no
    # nested ``$schema`` (it would pick another class) and every ``$ref`` into ``$defs``
    refs = [v for k, v in _items(schema) if k == "$ref"]
    traceable = keys.count("$schema") <= 1 and all(
        isinstance(r, str) and r.startswith("#/$defs/") for r in refs
    )
    traced = (
        _Traced(split, registry=registry(), format_checker=Draft201909Validator.FORMAT_CHECKER)
        if traceable
        else None
    )
    return _Split(rest, tuple(slots), traced)


_SUBTREE_CACHE: dict[tuple[str, str, bytes | str], tuple[str, ...]] = {}
_SUBTREE_CACHE_MAX = 256


def _slot_messages(
    url: str, pointer: str, path: tuple[str, ...], value: Any, text: bytes | str
) -> tuple[str, ...]:
    key = (url, pointer, text)
    found = _SUBTREE_CACHE.get(key)
    if found is None:
        errors = _validator(url, "#" + pointer).iter_errors(value)
        found = tuple(sorted({_message(error, path) for error in errors}))
        if len(_SUBTREE_CACHE) >= _SUBTREE_CACHE_MAX:
            _SUBTREE_CACHE.clear()  # a cohort has a few distinct values per slot: stays small
        _SUBTREE_CACHE[key] = found
    return found


# --- the rest of each diploma: validated once per shape, its strings checked per row -------------
#
# What is left of a diploma outside the slots (its id, the subject's name and identifier, the
# status entry) differs between two rows of a cohort only in its *strings*; its shape -- keys,
# nesting, array lengths, every non-string value -- is the same. Validating that rest whole for
# every row was most of the remaining cost (~0.3 ms for both schemas). Instead, the first document
# of a shape is validated by a *traced* validator, which records every keyword call with the
# instance it was made on, and each later document of the same shape has the first one's errors
# when, at every string that differs from the first document's, each *local* keyword recorded
# there (``type``, ``pattern``, ``minLength``, ``format``, ``enum``, ...; jsonschema's own keyword
# functions, run on the new string) gives the same verdict as on the first document's string. A
# shape is remembered only when the first document's errors cannot quote a value: none, or only
# ``required`` ones (an unsigned diploma lacks the proof the profile requires).
#
# Why that is exact. jsonschema's outcome is a deterministic function of the keyword calls it
# makes; which calls it makes, and what each returns, can differ between two same-shape documents
# only through a call whose result differs. A call on an object or array may only be a keyword
# whose result depends on the keys, the lengths and the verdicts of subschemas at the children
# (``_STRUCTURAL``; ``enum``/``const``/``uniqueItems`` compare values, so a trace with one on a
# container is refused); a call on a number, boolean or null sees a value the shape fixes; a call
# on a string is either one of the pure combinators (``$ref``, ``allOf``, ``anyOf``, ``oneOf``,
# ``not``, ``if``), whose result is a function of the subschema calls made on the same string --
# recorded too -- or a local keyword, re-run per row. So if every re-run agrees, every call on the
# way agrees by induction in the order jsonschema makes them, and the same calls fail: the new
# document's errors are the first one's. Any disagreement, any call on an instance the trace
# cannot place (say inside a slot), or a schema that could escape the traced class (a nested
# ``$schema``, a ``$ref`` out of ``$defs``), and the document is validated whole, as before; so
# is every document whose errors could quote it. ``tests/test_cohort_speed_validation``
# compares this with whole-document validation on broken strings behind a warm memo.

_STRUCTURAL = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "items", "additionalItems",
        "contains", "minItems", "maxItems", "minContains", "maxContains", "minProperties",
        "maxProperties", "dependentRequired", "$ref", "allOf", "anyOf", "oneOf", "not",
    }
)  # fmt: skip
_COMBINATORS = frozenset({"$ref", "allOf", "anyOf", "oneOf", "not", "if"})
_KeywordFn = Callable[[Any, Any, Any, Any], Any]
_Call = tuple[str, _KeywordFn, Any, Any, Any, Any]  # keyword, function, its value, instance, ...


class _Sink(threading.local):
    calls: list[_Call] | None = None


_SINK = _Sink()


def _recording(name: str, fn: _KeywordFn) -> _KeywordFn:
    def call(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        calls = _SINK.calls
        if calls is not None:
            calls.append((name, fn, value, instance, schema, validator))
        return fn(validator, value, instance, schema)

    return call


_Traced = extend(
    Draft201909Validator,
    {name: _recording(name, fn) for name, fn in Draft201909Validator.VALIDATORS.items()},
)


class _NoShapeError(Exception):
    pass


_LEAF = object()  # a string, in a shape
_OPEN = object()
_CLOSE = object()
_SlotTree = dict[str, "_SlotTree | None"]  # None: a slot (left out of the shape)


def _shape(node: Any, slots: _SlotTree | None, tokens: list[Any], leaves: list[str]) -> None:
    """Append ``node``'s shape to ``tokens`` and its strings to ``leaves`` (slots left out)."""
    kind = type(node)
    if kind is str:
        tokens.append(_LEAF)
        leaves.append(node)
    elif kind is dict:
        tokens.append(_OPEN)
        for key, value in node.items():
            if type(key) is not str:
                raise _NoShapeError
            tokens.append(key)
            if slots is not None and key in slots:
                below = slots[key]
                if below is None:
                    tokens.append(_CLOSE)  # a slot: present, its value validated on its own
                    continue
                _shape(value, below, tokens, leaves)
            else:
                _shape(value, None, tokens, leaves)
        tokens.append(_CLOSE)
    elif kind is list:
        tokens.append(_OPEN)
        tokens.append(len(node))
        for value in node:
            _shape(value, None, tokens, leaves)
        tokens.append(_CLOSE)
    elif node is None or kind is bool or kind is int or kind is float:
        tokens.append((kind, repr(node)))
    else:
        raise _NoShapeError  # not JSON data: validated whole


def _placed(node: Any, slots: _SlotTree | None, found: dict[int, list[Any]]) -> None:
    """Every node of the rest (slots left out) by ``id``, for placing a trace's calls."""
    found.setdefault(id(node), []).append(node)
    if type(node) is dict:
        for key, value in node.items():
            below = slots.get(key, None) if slots is not None else None
            if slots is not None and key in slots and below is None:
                continue
            _placed(value, below, found)
    elif type(node) is list:
        for value in node:
            _placed(value, None, found)


def _agrees(fn: _KeywordFn, validator: Any, value: Any, instance: Any, schema: Any) -> bool:
    """Whether the keyword finds no error in ``instance``."""
    errors = fn(validator, value, instance, schema)
    return errors is None or next(iter(errors), None) is None


@dataclass(frozen=True)
class _Shape:
    leaves: tuple[str, ...]  # the first document's strings, in shape order
    # per string: the local keyword calls made on it, with their verdict on the first string
    checks: tuple[tuple[tuple[_KeywordFn, Any, Any, Any, bool], ...], ...]
    messages: tuple[str, ...]  # the first document's (``required`` ones only)


_SHAPES: dict[tuple[str, tuple[Any, ...]], _Shape | None] = {}
_SHAPES_MAX = 64


_TREES: list[_SlotTree] = []


@cache
def _slot_tree(url: str) -> _SlotTree:
    """The slots of ``url``'s split as a tree of names; equal trees are one object (shared
    walks)."""
    split = _split(url)
    tree: _SlotTree = {}
    for path, _ in split.slots if split is not None else ():
        node = tree
        for name in path[:-1]:
            below = node.setdefault(name, {})
            if below is None:
                break
            node = below
        else:
            node[path[-1]] = None
    for known in _TREES:
        if known == tree:
            return known
    _TREES.append(tree)
    return tree


def _learn(
    split: _Split, document: dict[str, Any], tree: _SlotTree, leaves: list[str]
) -> tuple[list[str], _Shape | None]:
    """Validate the rest of ``document`` with the traced validator: its messages, and the shape
    to remember (else None: a call it cannot place, or an error whose message could name a
    string of the document)."""
    assert split.traced is not None
    calls: list[_Call] = []
    _SINK.calls = calls
    try:
        errors = list(split.traced.iter_errors(document))
    finally:
        _SINK.calls = None
    messages = sorted({_message(error) for error in errors})
    # ``required`` says "'<name>' is a required property" at a path of keys and indexes: both
    # fixed by the shape (an unsigned diploma lacks its proof); any other error may quote values
    if any(error.validator != "required" or error.context for error in errors):
        return messages, None
    found: dict[int, list[Any]] = {}
    _placed(document, tree, found)
    where: dict[int, list[int]] = {}
    for i, leaf in enumerate(leaves):
        where.setdefault(id(leaf), []).append(i)
    checks: list[dict[tuple[str, int], tuple[_KeywordFn, Any, Any, Any, bool]]] = [
        {} for _ in leaves
    ]
    for name, fn, value, instance, schema, validator in calls:
        if not any(node is instance for node in found.get(id(instance), ())):
            return messages, None  # a call the trace cannot place: never remembered
        kind = type(instance)
        if kind is dict or kind is list:
            if name not in _STRUCTURAL:
                return messages, None
        elif kind is str and name not in _COMBINATORS:
            for i in where[id(instance)]:
                verdict = _agrees(fn, validator, value, leaves[i], schema)
                checks[i][(name, id(schema))] = (fn, validator, value, schema, verdict)
    shape = _Shape(tuple(leaves), tuple(tuple(c.values()) for c in checks), tuple(messages))
    return messages, shape


def _whole_rest(split: _Split, document: dict[str, Any]) -> list[str]:
    return sorted({_message(error) for error in split.rest.iter_errors(document)})


def _rest_messages(
    split: _Split,
    url: str,
    document: dict[str, Any],
    walked: dict[int, tuple[tuple[Any, ...], list[str]] | None],
) -> list[str]:
    """The errors of ``split.rest`` on ``document``: from its shape, or from jsonschema.

    ``walked`` keeps the document's shape per slot tree (both schemas usually share one)."""
    if split.traced is None:
        return _whole_rest(split, document)
    tree = _slot_tree(url)
    if id(tree) not in walked:
        tokens: list[Any] = []
        leaves: list[str] = []
        try:
            _shape(document, tree, tokens, leaves)
            walked[id(tree)] = (tuple(tokens), leaves)
        except _NoShapeError:
            walked[id(tree)] = None
    seen = walked[id(tree)]
    if seen is None:
        return _whole_rest(split, document)
    tokens_, leaves_ = seen
    key = (url, tokens_)
    if key in _SHAPES:
        shape = _SHAPES[key]
        if shape is None:  # refused once: this shape is always validated whole
            return _whole_rest(split, document)
        for leaf, first, checks in zip(leaves_, shape.leaves, shape.checks, strict=True):
            if leaf != first:
                for fn, validator, value, schema, verdict in checks:
                    if _agrees(fn, validator, value, leaf, schema) is not verdict:
                        return _whole_rest(split, document)
        return list(shape.messages)
    messages, learned = _learn(split, document, tree, leaves_)
    if learned is not None or not messages:  # an invalid document's refusal is not remembered
        if len(_SHAPES) >= _SHAPES_MAX:
            _SHAPES.clear()  # a cohort has one or a few shapes: stays small
        _SHAPES[key] = learned
    return messages


def _slot_text(value: Any) -> bytes | str:
    """A key equal for two values only if they are the same JSON (types included).

    marshal is exact for JSON data (bool apart from int, floats bit for bit) and ~4x faster than
    ``json.dumps``; its bytes can differ for equal values (shared objects), which only misses the
    cache. Anything it refuses falls back to the JSON text (a ``str``: never equal to bytes).
    """
    try:
        return marshal.dumps(value)
    except ValueError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def validate_diploma(credential: Credential, *schema_urls: str) -> dict[str, list[str]]:
    """``{url: validate(credential, url)}`` exactly, faster for many diplomas of one cohort.

    The subtrees at ``_SLOTS`` are validated once per distinct JSON value, the rest once per
    shape (see above); a schema that cannot be split provably exactly is validated whole.
    """
    document = _as_json(credential)
    texts: dict[tuple[str, ...], tuple[Any, bytes | str] | None] = {}
    walked: dict[int, tuple[tuple[Any, ...], list[str]] | None] = {}

    def at(path: tuple[str, ...]) -> tuple[Any, bytes | str] | None:
        if path not in texts:
            value: Any = document
            for name in path:
                if not isinstance(value, dict) or name not in value:
                    texts[path] = None  # ``properties`` does not reach it: no error from it
                    return None
                value = value[name]
            texts[path] = (value, _slot_text(value))
        return texts[path]

    results: dict[str, list[str]] = {}
    for url in schema_urls:
        split = _split(url) if url in _SPLIT_URLS and isinstance(document, dict) else None
        if split is None:
            results[url] = validate(document, url)
            continue
        out = set(_rest_messages(split, url, document, walked))
        for path, pointer in split.slots:
            found = at(path)
            if found is not None:
                out.update(_slot_messages(url, pointer, path, *found))
        results[url] = sorted(out)
    return results


def validate_declared(credential: Mapping[str, Any]) -> dict[str, list[str]]:
    """Validate against each ``credentialSchema`` the credential declares (OB 3.0 §9 step 1).

    Returns schema URL → errors. A declared schema credkit does not ship maps to a single error
    saying so (it is not fetched); entries of other ``type``s are skipped.
    """
    declared = credential.get("credentialSchema") or []
    if isinstance(declared, Mapping):
        declared = [declared]
    results: dict[str, list[str]] = {}
    for entry in declared:
        if not isinstance(entry, Mapping) or entry.get("type") not in SCHEMA_TYPES:
            continue
        url = entry.get("id")
        if not isinstance(url, str):
            results[str(url)] = ["credentialSchema entry has no id"]
        elif url not in SCHEMA_FILES:
            results[url] = [f"schema {url} is not shipped with credkit and is not fetched"]
        else:
            results[url] = validate(credential, url)
    return results


__all__ = [
    "OB_SCHEMA_JSONLD_URL",
    "OB_SCHEMA_SHA256",
    "PROFILE_SCHEMA_URL",
    "SCHEMA_FILES",
    "load_schema",
    "registry",
    "validate",
    "validate_declared",
    "validate_diploma",
    "validate_endorsement",
    "validate_ob3",
    "validate_profile",
]
