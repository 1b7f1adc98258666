"""Issuing through the VC-API: check the credential, allocate status, sign, record.

The data model is checked *before* signing (VC DM 2.0 §4; a conforming issuer must not sign a
non-conforming credential), with the verifier's own well-formedness rules plus the ones only an
issuer meets: ``relatedResource`` entries need an ``id`` and a digest (§5.3). Terms the JSON-LD
contexts do not define are caught by the rdfc suite's safe mode (``DataLossError``) while signing.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

from credkit import proofs
from credkit.contexts import DATA_INTEGRITY_V2, ED25519_2020_V1, DocumentLoader
from credkit.errors import CredkitError, MalformedValueError
from credkit.keys import KeyPair
from credkit.suites import SUITES
from credkit.verify_checks import (
    URL,
    as_list,
    base_version,
    check_contexts,
    display,
    well_formed_problems,
)
from credkit.workspace import Workspace

STATUS_V1 = "https://www.w3.org/ns/credentials/status/v1"
_SRI = re.compile(r"^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$")


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
    return document


def sign_into_store(
    document: dict[str, Any],
    ws: Workspace,
    key: KeyPair,
    store: Any,
    purposes: list[str],
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
