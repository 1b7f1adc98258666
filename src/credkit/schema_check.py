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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# jsonschema ships no type hints (types-jsonschema is not a dev dependency)
from jsonschema import Draft201909Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped]
from pydantic import BaseModel
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT201909

from credkit.errors import TemplateError
from credkit.models import OB_SCHEMA_URL

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
    return _Split(rest, tuple(slots))


_SUBTREE_CACHE: dict[tuple[str, str, str], tuple[str, ...]] = {}
_SUBTREE_CACHE_MAX = 256


def _slot_messages(
    url: str, pointer: str, path: tuple[str, ...], value: Any, text: str
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


def validate_diploma(credential: Credential, *schema_urls: str) -> dict[str, list[str]]:
    """``{url: validate(credential, url)}`` exactly, faster for many diplomas of one cohort.

    The subtrees at ``_SLOTS`` are validated once per distinct JSON value (see above); a schema
    that cannot be split provably exactly is validated whole.
    """
    document = _as_json(credential)
    texts: dict[tuple[str, ...], tuple[Any, str] | None] = {}

    def at(path: tuple[str, ...]) -> tuple[Any, str] | None:
        if path not in texts:
            value: Any = document
            for name in path:
                if not isinstance(value, dict) or name not in value:
                    texts[path] = None  # ``properties`` does not reach it: no error from it
                    return None
                value = value[name]
            texts[path] = (value, json.dumps(value, ensure_ascii=False, separators=(",", ":")))
        return texts[path]

    results: dict[str, list[str]] = {}
    for url in schema_urls:
        split = _split(url) if url in _SPLIT_URLS and isinstance(document, dict) else None
        if split is None:
            results[url] = validate(document, url)
            continue
        out = {_message(error) for error in split.rest.iter_errors(document)}
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
