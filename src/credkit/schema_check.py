"""Offline JSON Schema validation: the official OB 3.0 schema and credkit's diploma profile.

OB 3.0 §9 (verification step 1) has a verifier validate a credential against every
``credentialSchema`` of type ``1EdTechJsonSchemaValidator2019`` it declares. The schemas are shipped
inside the package (``credkit/schemas/``) and resolved through a registry, never fetched: a schema
fetched at verification time could be swapped, and the fetch leaks what is being verified. The
official file is pinned by SHA-256, like the JSON-LD contexts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
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


def _path(error: ValidationError) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path]
    return "".join(parts).lstrip(".") or "(credential)"


def _messages(errors: Iterable[ValidationError]) -> list[str]:
    out: list[str] = []
    for error in errors:
        detail = error.message
        if error.context:  # oneOf/anyOf: the closest branch says more than "is not valid"
            detail = best_match(error.context).message
        if len(detail) > 300:
            detail = detail[:297] + "..."
        out.append(f"{_path(error)}: {detail}")
    return sorted(set(out))


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
    "validate_endorsement",
    "validate_ob3",
    "validate_profile",
]
