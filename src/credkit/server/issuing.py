"""Issuing through the VC-API: check the credential, allocate status, sign, record.

The data model is checked *before* signing (VC DM 2.0 §4; a conforming issuer must not sign a
non-conforming credential), with the verifier's own well-formedness rules plus the ones only an
issuer meets: ``relatedResource`` entries need an ``id`` and a digest (§5.3). Terms the JSON-LD
contexts do not define are caught by the rdfc suite's safe mode (``DataLossError``) while signing.

The issuer signs only what it means to sign (docs/security.md, "Sign only what you mean to sign"):
the signed data may name no second issuer and no status entry other than the one the store
allocates, however it is spelled (a full-IRI key, an inline alias or prefix, ``@graph``,
``@included``, ``@reverse``): the compacted-form rule the verifier applies
(:func:`credkit.jsonview.json_view_problems`), here for every suite. Status list credentials, and
ids under the service's own addresses, are made only by the status machinery; Open Badges
credentials must match the OB 3.0 schema.
"""

from __future__ import annotations

import copy
import posixpath
import re
import uuid
from typing import Any
from urllib.parse import unquote, urlsplit

from credkit import proofs
from credkit.contexts import DATA_INTEGRITY_V2, ED25519_2020_V1, DocumentLoader
from credkit.errors import CredkitError, MalformedValueError
from credkit.jsonview import json_view_problems
from credkit.keys import KeyPair
from credkit.schema_check import PROFILE_SCHEMA_URL, SCHEMA_FILES, validate_declared, validate_ob3
from credkit.status import StatusSpec
from credkit.suites import SUITES
from credkit.verify_checks import (
    OB_TYPES,
    URL,
    as_list,
    base_version,
    check_contexts,
    display,
    types_of,
    well_formed_problems,
)
from credkit.workspace import Workspace

STATUS_V1 = "https://www.w3.org/ns/credentials/status/v1"
_SRI = re.compile(r"^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$")
# Paths below the base URL where the service serves documents of its own making: status lists,
# hosted diplomas, the issuer profile and the did:web document.
OWN_PATHS = ("/status/", "/c/", "/issuer", "/.well-known/", "/did.json")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class IssueRefusedError(CredkitError):
    """The request cannot be issued as asked (HTTP 400): the message says what to change."""

    code = "ISSUE_REFUSED"


class IssueConflictError(IssueRefusedError):
    """The credential id was issued before (HTTP 409)."""

    code = "ISSUE_CONFLICT"


def related_resource_problems(document: dict[str, Any]) -> list[str]:
    """VC DM 2.0 §5.3: each ``relatedResource`` has a unique ``id`` URL and a digest."""
    if "relatedResource" not in document:
        return []
    problems: list[str] = []
    seen: set[str] = set()
    items = as_list(document["relatedResource"])
    if not items:
        problems.append("relatedResource is empty")
    for item in items:
        if not isinstance(item, dict):
            problems.append("relatedResource entries must be objects")
            continue
        rid = item.get("id")
        if not (isinstance(rid, str) and URL.match(rid)):
            problems.append(f"relatedResource id {rid!r} is not a URL")
        elif rid in seen:
            problems.append(f"relatedResource id {rid} appears twice")
        else:
            seen.add(rid)
        sri, multibase = item.get("digestSRI"), item.get("digestMultibase")
        if sri is None and multibase is None:
            problems.append(f"relatedResource {rid} needs digestSRI or digestMultibase")
        if sri is not None and not (isinstance(sri, str) and _SRI.match(sri)):
            problems.append(f"relatedResource {rid}: digestSRI {sri!r} is not sha256/384/512-…")
        if multibase is not None and not (isinstance(multibase, str) and len(multibase) > 1):
            problems.append(f"relatedResource {rid}: digestMultibase must be a multibase string")
    return problems


def _shorten(problems: list[str]) -> str:
    return "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")


def _normal_url(url: str) -> tuple[str, str, int | None, str] | None:
    """(scheme, host, port, path) with case, default port, escapes and dot segments undone."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not scheme or not parts.hostname:
        return None
    path = re.sub(r"/{2,}", "/", unquote(parts.path)) or "/"
    trailing = path.endswith("/")
    path = posixpath.normpath(path) + ("/" if trailing and path != "/" else "")
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS.get(scheme), path.lstrip("/")


def own_url_problem(value: Any, base_url: str | None) -> str | None:
    """Why ``value`` may not be a credential id here: the service's own address, or under it.

    A signed credential whose id is the service's status list URL (or a hosted diploma's link)
    could be served by a mirror or cache in place of the real one: a signed "nothing is revoked".
    """
    if not base_url or not isinstance(value, str):
        return None
    own, wanted = _normal_url(base_url.rstrip("/") + "/"), _normal_url(value)
    if own is None or wanted is None or wanted[:3] != own[:3]:
        return None
    prefix = own[3]
    rest = wanted[3]
    if rest.rstrip("/") == prefix.rstrip("/"):
        return f"id {value} is this service's own base URL"
    if not rest.startswith(prefix):
        return None
    below = "/" + rest[len(prefix) :]
    for path in OWN_PATHS:
        if below == path.rstrip("/") or below.startswith(path.rstrip("/") + "/"):
            return (
                f"id {value} is one of this service's own addresses ({path.rstrip('/')}...): "
                "the documents there are made only by the service"
            )
    return None


def status_list_problem(document: dict[str, Any]) -> str | None:
    """A status list credential (by type) is made only by the status machinery, never asked for."""
    subject = document.get("credentialSubject")
    subjects = [s for s in as_list(subject) if isinstance(s, dict)]
    for where, node in [("type", document), *(("credentialSubject.type", s) for s in subjects)]:
        for name in types_of(node):
            if "statuslist" in name.lower():
                return (
                    f"{where} {name!r}: status list credentials are made only by this service's "
                    "status machinery"
                )
    return None


def schema_problems(document: dict[str, Any]) -> list[str]:
    """OB 3.0 credentials match the official schema; declared shipped schemas are met too."""
    problems: list[str] = []
    if OB_TYPES & set(types_of(document)):
        problems += validate_ob3(document)
    for url, errors in validate_declared(document).items():
        if url not in SCHEMA_FILES:
            continue  # not shipped: the verifier says so; nothing to check it against here
        if url == PROFILE_SCHEMA_URL:
            errors = [e for e in errors if e != "(credential): 'proof' is a required property"]
        problems += [e for e in errors if e not in problems]
    return problems


def _issuer_of(document: dict[str, Any]) -> str | None:
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def prepare(
    credential: dict[str, Any],
    ws: Workspace,
    loader: DocumentLoader,
    *,
    want_status: bool,
) -> dict[str, Any]:
    """A copy ready to sign, or IssueRefusedError/MalformedValueError saying why it cannot be."""
    document = copy.deepcopy(credential)
    if "proof" in document:
        raise IssueRefusedError("the credential already has a proof; send it unsigned")
    # before anything else reads a key: a statement hidden from the JSON (a second issuer under a
    # full IRI, an aliased credentialStatus, @graph/@included/@reverse) is refused for every suite
    hidden = json_view_problems(document)
    if hidden:
        raise IssueRefusedError(
            "the credential is not written the way its contexts define (compacted JSON-LD), so "
            f"its signed data would say more than its JSON: {_shorten(hidden)}"
        )
    listed = status_list_problem(document)
    if listed:
        raise IssueRefusedError(listed)
    own = own_url_problem(document.get("id"), ws.base_url)
    if own:
        raise IssueRefusedError(own)
    if "credentialStatus" in document:
        raise IssueRefusedError(
            "credentialStatus is assigned by the issuer: leave it out and ask for one with "
            'options.credentialStatus {"type": "BitstringStatusListEntry", "statusPurpose": ...}'
        )
    issuer = _issuer_of(document)
    if "issuer" not in document:
        # VC 1.1's context defines no issuer name or Profile: a bare DID there
        document["issuer"] = (
            ws.issuer_did
            if base_version(document) == 1
            else {"id": ws.issuer_did, "type": ["Profile"], "name": ws.issuer_name}
        )
    elif issuer != ws.issuer_did:
        raise IssueRefusedError(
            f"this server issues as {ws.issuer_did}, but the credential names {issuer!r} as issuer"
        )
    if "id" not in document:
        document["id"] = f"urn:uuid:{uuid.uuid4()}"
    if base_version(document) == 1:
        # VC 1.1's context has no Data Integrity terms; status entries need the BSL context
        ctx = list(as_list(document.get("@context")))
        wanted = [DATA_INTEGRITY_V2] + ([STATUS_V1] if want_status else [])
        document["@context"] = ctx + [c for c in wanted if c not in ctx]
    problems = well_formed_problems(document) + related_resource_problems(document)
    if problems:
        raise MalformedValueError("not a valid credential: " + "; ".join(problems))
    check_contexts(document, loader)  # an unknown context URL: ContextError, never a fetch
    try:
        invalid = schema_problems(document)
    except RecursionError:
        invalid = ["the credential is nested too deeply to validate"]
    if invalid:
        raise MalformedValueError(
            f"not a valid Open Badges 3.0 credential (its JSON Schema): {_shorten(invalid)}"
        )
    return document


def sign_into_store(
    document: dict[str, Any],
    ws: Workspace,
    key: KeyPair,
    store: Any,
    purposes: list[str | StatusSpec],
    cryptosuite: str,
    loader: DocumentLoader,
) -> dict[str, Any]:
    """Allocate status indexes, sign and record in one store transaction (none of it on error)."""
    if cryptosuite not in SUITES:
        raise IssueRefusedError(
            f"unknown cryptosuite {cryptosuite!r}; this server signs with "
            f"{', '.join(sorted(SUITES))}"
        )
    if purposes and not ws.base_url:
        raise IssueRefusedError(
            "this issuer has no publish.base_url, so it cannot give credentials a status entry"
        )
    if cryptosuite == "Ed25519Signature2020" and base_version(document) == 1:
        # the 2020 suite brings its own context; the DI v2 one is not needed beside it
        document["@context"] = [c for c in document["@context"] if c != DATA_INTEGRITY_V2]
        if ED25519_2020_V1 not in document["@context"]:
            document["@context"].append(ED25519_2020_V1)
    credential_id = str(document["id"])

    def build(entries: list[dict[str, Any]]) -> dict[str, Any]:
        unsigned = dict(document)
        if entries:
            unsigned["credentialStatus"] = entries[0] if len(entries) == 1 else entries
        signed: dict[str, Any] = proofs.sign(unsigned, key, cryptosuite=cryptosuite, loader=loader)
        return signed

    if store.credential(credential_id) is not None:
        raise IssueConflictError(f"a credential with id {credential_id} was already issued")
    record = store.issue(
        credential_id, purposes, build, subject_name=display(document)["subject_name"]
    )
    issued: dict[str, Any] = record.json()
    return issued
