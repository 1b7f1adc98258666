"""Issuing through the VC-API: check the credential, allocate status, sign, record.

The data model is checked *before* signing (VC DM 2.0 §4; a conforming issuer must not sign a
non-conforming credential), with the verifier's own well-formedness rules plus the ones only an
issuer meets: ``relatedResource`` entries need an ``id`` and a digest (§5.3). Terms the JSON-LD
contexts do not define are caught by the rdfc suite's safe mode (``DataLossError``) while signing.

The issuer signs only what it means to sign (docs/security.md, "Sign only what you mean to sign"):
the signed data may name no second issuer and no status entry other than those the store
allocates or records (:func:`caller_status`; a foreign one only with ``issue.foreign_status``),
however it is spelled (a full-IRI key, an inline alias or prefix, ``@graph``,
``@included``, ``@reverse``): the compacted-form rule the verifier applies
(:func:`credkit.jsonld.jsonview.json_view_problems`), here for every suite. Status list
credentials, and
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
from credkit.errors import CredkitError, MalformedValueError, StoreError
from credkit.identity.signer import Signer
from credkit.issuer.store import DuplicateCredentialError, IssuerStore, StoreBusyError
from credkit.issuer.workspace import Workspace
from credkit.jsonld.contexts import DATA_INTEGRITY_V2, ED25519_2020_V1, DocumentLoader
from credkit.jsonld.jsonview import json_view_problems
from credkit.model.schema_check import (
    PROFILE_SCHEMA_URL,
    SCHEMA_FILES,
    validate_declared,
    validate_ob3,
)
from credkit.proofs.suites import SUITES
from credkit.status import StatusSpec, status_messages, status_references
from credkit.verify import related
from credkit.verify.checks import (
    OB_TYPES,
    as_list,
    base_version,
    check_contexts,
    display,
    types_of,
    well_formed_problems,
)

STATUS_V1 = "https://www.w3.org/ns/credentials/status/v1"
OB_CONTEXT = "purl.imsglobal.org/spec/ob/v3p0/context"
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
    """VC DM 2.0 §5.3: malformed entries, and digests that do not match a resource credkit holds
    (the shipped contexts); a resource credkit does not hold is never fetched."""
    wrong = [o.detail for o in related.check(document) if o.state == "mismatched"]
    return [f"relatedResource digest mismatch (VC DM 2.0 §5.3): {w}" for w in wrong]


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


def is_open_badge(document: dict[str, Any]) -> bool:
    """An Open Badges 3.0 credential: an OB type, or the OB context."""
    if OB_TYPES & set(types_of(document)):
        return True
    return any(isinstance(c, str) and OB_CONTEXT in c for c in as_list(document.get("@context")))


def default_issuer(document: dict[str, Any], ws: Workspace) -> str | dict[str, Any]:
    """The issuer for a credential that names none: the workspace's, in the credential's terms.

    VC 1.1's context defines no issuer name: a bare DID. Open Badges 3.0 wants a ``Profile``
    (OB 3.0 §B.1.1, defined by its context). A plain VC 2.0 credential gets ``{id, name}``, both
    defined by the VC 2.0 base context: a ``Profile`` type there would be an undefined term.
    """
    if base_version(document) == 1:
        return ws.issuer_did
    if is_open_badge(document):
        return {"id": ws.issuer_did, "type": ["Profile"], "name": ws.issuer_name}
    return {"id": ws.issuer_did, "name": ws.issuer_name}


def prepare(
    credential: dict[str, Any],
    ws: Workspace,
    loader: DocumentLoader,
    *,
    want_status: bool,
    keep_without_id: bool = False,
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
    issuer = _issuer_of(document)
    if "issuer" not in document:
        document["issuer"] = default_issuer(document, ws)
    elif issuer != ws.issuer_did:
        raise IssueRefusedError(
            f"this server issues as {ws.issuer_did}, but the credential names {issuer!r} as issuer"
        )
    if "id" not in document and not keep_without_id:
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


def setting(ws: Workspace, name: str, default: bool) -> bool:
    """A boolean ``[issue]`` setting of the workspace (credkit.toml)."""
    table = ws.extra.get("issue", {})
    value = table.get(name, default) if isinstance(table, dict) else default
    if not isinstance(value, bool):
        raise IssueRefusedError(f"credkit.toml: issue.{name} must be true or false")
    return value


def _claimed_spec(entry: dict[str, Any], url: str) -> StatusSpec:
    """What a caller's entry on one of this issuer's lists commits to: its purpose, and for a
    ``message`` entry its size and messages (Bitstring Status List §2.1), which the store checks
    against the list's own."""
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise IssueRefusedError(f"credentialStatus on {url}: needs a statusPurpose")
    size = entry.get("statusSize", 1)
    if isinstance(size, bool) or not isinstance(size, int):
        raise IssueRefusedError(f"credentialStatus on {url}: statusSize must be an integer")
    raw_messages, refs = entry.get("statusMessage"), entry.get("statusReference")
    if purpose != "message":
        if size != 1 or raw_messages is not None or refs is not None:
            raise IssueRefusedError(
                f"credentialStatus on {url}: a {purpose} entry is one bit, without statusMessage "
                "or statusReference"
            )
        return StatusSpec(purpose)
    if raw_messages is None:
        raise IssueRefusedError(
            f"credentialStatus on {url}: a message entry needs statusMessage (§2.1)"
        )
    try:
        table = status_messages(raw_messages, size)
        if refs is not None:
            status_references(refs)
        return StatusSpec.message(table, size=size, reference=refs if refs is not None else ())
    except (MalformedValueError, ValueError) as exc:
        why = exc.message if isinstance(exc, MalformedValueError) else str(exc)
        raise IssueRefusedError(f"credentialStatus on {url}: {why}") from None


def caller_status(
    document: dict[str, Any], ws: Workspace, store: IssuerStore
) -> tuple[list[dict[str, Any]], list[tuple[str, int, StatusSpec]]]:
    """The caller's ``credentialStatus`` entries, and the indexes they claim on this issuer's lists.

    docs/security.md, "Sign only what you mean to sign": an entry on one of this issuer's lists
    (a ``BitstringStatusListEntry`` whose ``statusListCredential`` the store keeps) is accepted
    when its index is free, and recorded, so revoking it works. Any other entry (another status
    scheme, or someone else's list) is signed only when the workspace says
    ``issue.foreign_status = true``: the issuer would vouch for a status it does not control.
    """
    entries = as_list(document.get("credentialStatus"))
    if not entries:
        return [], []
    own_lists = {info.url: info for info in store.lists()}
    claims: list[tuple[str, int, StatusSpec]] = []
    foreign: list[str] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise IssueRefusedError("credentialStatus entries must be objects")
        url = entry.get("statusListCredential")
        if entry.get("type") == "BitstringStatusListEntry" and url in own_lists:
            raw = entry.get("statusListIndex")
            if not (isinstance(raw, str) and raw.isdigit() and raw.isascii()):
                raise IssueRefusedError(
                    f"credentialStatus on {url}: statusListIndex must be a string of digits"
                )
            if entry.get("id") == url:
                raise IssueRefusedError(
                    "credentialStatus id must differ from its statusListCredential "
                    "(Bitstring Status List §2.1)"
                )
            claims.append((str(url), int(raw), _claimed_spec(entry, str(url))))
            continue
        where = url if isinstance(url, str) else entry.get("id")
        if isinstance(where, str) and own_url_problem(where, ws.base_url):
            raise IssueRefusedError(
                f"credentialStatus names {where}, under this service's own addresses, but it is "
                "not one of this issuer's status lists"
            )
        foreign.append(str(entry.get("type")))
    if foreign and not setting(ws, "foreign_status", False):
        raise IssueRefusedError(
            f"credentialStatus of type {', '.join(foreign)} is not on one of this issuer's status "
            "lists: the issuer would vouch for a status it does not keep. Send an entry on one "
            "of its lists, ask for one with options.credentialStatus, or set "
            "issue.foreign_status = true in the workspace (docs/server.md)"
        )
    return [e for e in entries if isinstance(e, dict)], claims


def sign_into_store(
    document: dict[str, Any],
    ws: Workspace,
    key: Signer,
    store: IssuerStore,
    purposes: list[str | StatusSpec],
    cryptosuite: str,
    loader: DocumentLoader,
    *,
    credential_id: str | None = None,
) -> dict[str, Any]:
    """Allocate status indexes, sign and record in one store transaction (none of it on error).

    ``credential_id`` is the VC-API ``options.credentialId``: the name the store keeps the
    credential under when the credential itself has no ``id``.
    """
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
    key_id = str(document.get("id", credential_id))
    given, claims = caller_status(document, ws, store)
    claimed_purposes = {spec.purpose for _, _, spec in claims}
    purposes = [
        p
        for p in purposes
        if (p.purpose if isinstance(p, StatusSpec) else p) not in claimed_purposes
    ]

    def build(entries: list[dict[str, Any]]) -> dict[str, Any]:
        unsigned = dict(document)
        unsigned.pop("credentialStatus", None)
        every = given + entries
        if every:
            unsigned["credentialStatus"] = every[0] if len(every) == 1 else every
        signed: dict[str, Any] = proofs.sign(unsigned, key, cryptosuite=cryptosuite, loader=loader)
        return signed

    if claims and store.credential(key_id) is not None:
        # before claiming indexes for it; without claims, store.issue refuses a known id itself
        # (DuplicateCredentialError, under its lock), with no extra round trip to the store
        raise IssueConflictError(f"a credential with id {key_id} was already issued")
    subject_name = display(document)["subject_name"]
    try:
        if claims:
            # the claimed indexes and the record commit together, or neither does
            with store.transaction():
                for url, index, spec in claims:
                    store.claim(url, index, spec, key_id)
                record = store.issue(key_id, purposes, build, subject_name=subject_name)
        else:
            record = store.issue(key_id, purposes, build, subject_name=subject_name)
    except DuplicateCredentialError as exc:
        raise IssueConflictError(exc.message) from None
    except StoreBusyError:
        raise
    except StoreError as exc:
        if not claims:
            raise
        raise IssueRefusedError(f"credentialStatus: {exc.message}") from None
    issued: dict[str, Any] = record.json()
    return issued
