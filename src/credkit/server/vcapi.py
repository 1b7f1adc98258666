"""The VC-API endpoints (W3C CCG VC-API): issue, verify, presentations, status.

Issuing and status changes act in the issuer's name, so they need a bearer token; verifying is
open to anyone. Every failure is an answer with a message (400, 401, 403, 404, 409, 413, 422,
501, 503), never a 500: a credential is input from strangers.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from credkit import deadline
from credkit.errors import (
    DataLossError,
    DeadlineExceededError,
    MalformedValueError,
    ParsingError,
    StoreError,
)
from credkit.issuer.store import StoreBusyError
from credkit.server.errors import ApiError
from credkit.server.issuing import (
    IssueConflictError,
    IssueRefusedError,
    own_url_problem,
    prepare,
    setting,
    sign_into_store,
)
from credkit.server.state import ServerState
from credkit.status import (
    MAX_ISSUED_STATUS_SIZE,
    StatusSpec,
    status_messages,
    status_references,
)
from credkit.verify.checks import check_shape
from credkit.verify.report import UnknownCheckError, restrict, vcapi_json, wanted_checks

router = APIRouter()
bearer = HTTPBearer(auto_error=False, description="The token from --token-file")


def state_of(request: Request) -> ServerState:
    state: ServerState = request.app.state.credkit
    return state


async def require_issuer(
    request: Request, auth: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> ServerState:
    """Issuing is off without a workspace (501) or without a token (403); a bad token is 401.

    A coroutine: it only compares strings, and a plain function dependency would cost every
    issue and status request a hop to a worker thread and back."""
    state = state_of(request)
    if state.ws is None:
        raise ApiError(
            501,
            "this server has no issuer workspace (start it with --issuer-dir)",
            "ISSUING_NOT_CONFIGURED",
        )
    if not state.config.tokens:
        raise ApiError(
            403,
            "issuing is disabled on this server: no API token is configured "
            "(start it with --token-file FILE or CREDKIT_API_TOKEN)",
            "ISSUING_DISABLED",
        )
    if auth is None or auth.scheme.lower() != "bearer" or not state.token_ok(auth.credentials):
        raise ApiError(
            401,
            "a valid bearer token is required (Authorization: Bearer TOKEN)",
            "UNAUTHORIZED",
            headers={"WWW-Authenticate": 'Bearer realm="credkit"'},
        )
    return state


# --- models ------------------------------------------------------------------------------------


class StatusMessageItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(examples=["0x0"])
    message: str


class StatusOption(BaseModel):
    """One entry to allocate; a ``message`` entry brings its size and messages (BSL §2.1)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["BitstringStatusListEntry"] = "BitstringStatusListEntry"
    statusPurpose: Literal["revocation", "suspension", "message"] | None = None  # noqa: N815 (VC-API name)
    statusSize: int | None = None  # noqa: N815
    statusMessage: list[StatusMessageItem] | None = None  # noqa: N815
    statusReference: str | list[str] | None = None  # noqa: N815

    def spec(self) -> StatusSpec | str | None:
        """The store's request for this entry (None: the workspace's purposes)."""
        multi = (self.statusSize, self.statusMessage, self.statusReference)
        if self.statusPurpose != "message":
            if any(v is not None for v in multi):
                raise ApiError(
                    400,
                    "statusSize, statusMessage and statusReference belong to statusPurpose "
                    "message; revocation and suspension entries are one bit",
                    "BAD_STATUS",
                )
            return self.statusPurpose
        if self.statusMessage is None:
            raise ApiError(
                400,
                "a message status entry needs statusMessage: one {status, message} per value "
                "(BSL §2.1; 2^statusSize of them)",
                "BAD_STATUS",
            )
        size = 1 if self.statusSize is None else self.statusSize
        raw = [m.model_dump() for m in self.statusMessage]
        try:
            if not 1 <= size <= MAX_ISSUED_STATUS_SIZE:
                raise MalformedValueError(
                    f"statusSize must be 1 to {MAX_ISSUED_STATUS_SIZE}, got {size}"
                )
            table = status_messages(raw, size)
            refs = self.statusReference
            if refs is not None:
                status_references(refs)
            return StatusSpec.message(table, size=size, reference=refs or ())
        except (MalformedValueError, ValueError) as exc:
            why = exc.message if isinstance(exc, MalformedValueError) else str(exc)
            raise ApiError(400, f"options.credentialStatus: {why}", "BAD_STATUS") from None


class IssueOptions(BaseModel):
    """VC-API ``IssueCredentialOptions`` (credentialId, mandatoryPointers) and credkit's own.

    VC-API "Handling Unknown Options and Data": an implementation MUST throw an error on options
    or option values it does not understand; unknown keys are kept here and answered 400
    ``UNKNOWN_OPTION`` by the endpoint, naming them (docs/server.md).
    """

    model_config = ConfigDict(extra="allow")
    cryptosuite: str | None = Field(default=None, examples=["eddsa-rdfc-2022"])
    credentialStatus: StatusOption | list[StatusOption] | Literal[False] | None = Field(  # noqa: N815
        default=None,
        description=(
            "status entries to allocate on this issuer's lists (one, or an array; a message "
            "entry brings statusSize and statusMessage); false: none; absent: the workspace "
            "default (issue.vcapi_status)"
        ),
    )
    credentialId: str | None = Field(  # noqa: N815
        default=None,
        description=(
            "VC-API: the name the issuer keeps the credential under when credential.id is absent; "
            "it is not written into the credential"
        ),
    )
    mandatoryPointers: list[str] | None = Field(  # noqa: N815
        default=None, description="VC-API, for selective disclosure suites (none here: 400)"
    )


class IssueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    credential: dict[str, Any]
    options: IssueOptions = Field(default_factory=lambda: IssueOptions())


class IssueResponse(BaseModel):
    verifiableCredential: dict[str, Any]  # noqa: N815


class VerifyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checks: list[str] | None = Field(
        default=None,
        examples=[["proof", "status"]],
        description=(
            "The checks the verdict counts (a credkit extension; the VC-API lets implementations "
            "add verify options). well_formed, proof and validity always count, whatever is "
            "asked: a subset never makes a forged or expired credential verified. Checks left "
            "out are still reported, as not counted. An unknown name is a 400."
        ),
    )


class VerifyCredentialRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verifiableCredential: dict[str, Any]  # noqa: N815
    options: VerifyOptions = Field(default_factory=lambda: VerifyOptions())


class PresentationOptions(VerifyOptions):
    challenge: str | None = None
    domain: str | None = None


class VerifyPresentationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verifiablePresentation: dict[str, Any]  # noqa: N815
    options: PresentationOptions = Field(default_factory=lambda: PresentationOptions())


class VerificationResponse(BaseModel):
    verified: bool
    checks: list[str]
    warnings: list[str]
    errors: list[dict[str, Any]]
    verdict: str
    summary: str
    results: list[dict[str, Any]]


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["BitstringStatusListEntry"] = "BitstringStatusListEntry"
    status: str | bool | int = Field(examples=["revoked", "suspended", "active", "0x2"])
    statusPurpose: Literal["revocation", "suspension", "message"] | None = None  # noqa: N815


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    credentialId: str  # noqa: N815
    credentialStatus: list[StatusChange] = Field(min_length=1, max_length=2)  # noqa: N815


# --- issue -------------------------------------------------------------------------------------


@router.post(
    "/credentials/issue",
    status_code=201,
    response_model=IssueResponse,
    tags=["VC-API"],
    responses={400: {}, 401: {}, 403: {}, 409: {}, 413: {}, 422: {}, 501: {}},
)
def issue_credential(
    body: IssueRequest, state: Annotated[ServerState, Depends(require_issuer)]
) -> dict[str, Any]:
    """Sign a credential as this server's issuer, with a status entry from the issuer's store."""
    ws, key = state.ws, state.key
    assert ws is not None and key is not None  # require_issuer
    moved = state.key_set_moved()[1]
    if moved:
        raise ApiError(503, moved, "KEY_SET_CHANGED")
    options = body.options
    unknown = sorted(options.model_extra or {})
    if unknown:
        raise ApiError(
            400,
            f"unknown option(s) {', '.join(unknown)}; this issuer understands cryptosuite, "
            "credentialId, credentialStatus and mandatoryPointers (VC-API: unknown options are "
            "an error)",
            "UNKNOWN_OPTION",
        )
    if options.mandatoryPointers is not None:
        raise ApiError(
            400,
            "mandatoryPointers is for selective disclosure cryptosuites; this issuer signs with "
            "eddsa-rdfc-2022, eddsa-jcs-2022 and Ed25519Signature2020, which disclose everything",
            "UNSUPPORTED_OPTION",
        )
    credential = dict(body.credential)
    credential_id = options.credentialId
    if credential_id is not None and credential.get("id", credential_id) != credential_id:
        # VC-API: credentialId names a credential that has no id; two names would disagree
        raise ApiError(
            400,
            f"options.credentialId {credential_id!r} differs from credential.id; send one",
            "ISSUE_REFUSED",
        )
    purposes = _purposes(options.credentialStatus, credential, ws)
    loader = state.loader
    try:
        if credential_id is not None:
            own = own_url_problem(credential_id, ws.base_url)
            if own:
                raise IssueRefusedError(own)
        document = prepare(
            credential,
            ws,
            loader,
            want_status=bool(purposes),
            keep_without_id=credential_id is not None,
        )
        signed = sign_into_store(
            document,
            ws,
            key,
            state.store(),
            purposes,
            options.cryptosuite or ws.cryptosuite,
            loader,
            credential_id=credential_id,
        )
    except IssueConflictError as exc:
        raise ApiError(409, exc.message, exc.code) from None
    except DataLossError as exc:
        raise ApiError(
            422,
            f"{exc.message} (add the context that defines these terms, or "
            "https://www.w3.org/ns/credentials/undefined-terms/v2 as the last context)",
            exc.code,
        ) from None
    return {"verifiableCredential": signed}


def _purposes(
    asked: StatusOption | list[StatusOption] | Literal[False] | None, credential: Any, ws: Any
) -> list[str | StatusSpec]:
    """The status entries to allocate: as asked, else the workspace default (docs/server.md).

    ``issue.vcapi_status`` (default true) gives every VC-API issue a status entry when the
    workspace has a ``publish.base_url``; a credential that brings its own ``credentialStatus``
    gets none added unless ``options.credentialStatus`` asks for one. An entry without a
    ``statusPurpose`` stands for the workspace's purposes; a ``message`` entry is a
    :class:`StatusSpec` with its size and messages (Bitstring Status List §2.1).
    """
    if asked is False:
        return []
    if asked is None:
        if "credentialStatus" in credential or not ws.base_url:
            return []
        return list(ws.status_purposes) if setting(ws, "vcapi_status", True) else []
    purposes: list[str | StatusSpec] = []
    for option in asked if isinstance(asked, list) else [asked]:
        spec = option.spec()
        purposes += [spec] if spec is not None else list(ws.status_purposes)
    named = [p.purpose if isinstance(p, StatusSpec) else p for p in purposes]
    if len(set(named)) != len(named):
        raise ApiError(400, "options.credentialStatus asks for one purpose twice", "BAD_STATUS")
    return purposes


# --- verify ------------------------------------------------------------------------------------


# Verification is CPU work (JSON-LD, canonicalization) and may wait on the network: it runs in
# worker threads, never on the event loop, so one heavy request cannot stall unrelated ones.
# Its own limiter keeps verifications from taking every thread of the shared pool (issuing and
# status changes run there too); the deadline covers the wait for a thread and the work.
VERIFY_THREADS = 4
VERIFY_DEADLINE = 20.0  # seconds
_limiter: anyio.CapacityLimiter | None = None


def _verify_limiter() -> anyio.CapacityLimiter:
    global _limiter
    if _limiter is None:  # made on first use: a limiter belongs to the running event loop
        _limiter = anyio.CapacityLimiter(VERIFY_THREADS)
    return _limiter


def _bounded(document: Any) -> None:
    """The work bounds (verify_checks.MAX_NODES, ...) checked before a thread is taken: 413."""
    try:
        check_shape(document)
    except ParsingError as exc:
        raise ApiError(413, exc.message, "INPUT_TOO_LARGE") from None


async def _off_loop(verify: Callable[[], Any]) -> Any:
    """``verify()`` in a worker thread under the deadline; 503 when the deadline passes.

    A thread cannot be stopped from outside: past the deadline the answer is sent, and the
    verification itself, which runs under the same deadline (credkit.deadline), fails at its next
    step (a JSON-LD node, a check, a fetch) and frees its thread.
    """
    started = time.monotonic()

    def bounded() -> Any:  # the deadline counts from the request, not from getting a thread
        with deadline.within(VERIFY_DEADLINE - (time.monotonic() - started)):
            result = verify()
            deadline.check()  # a result cut short by the deadline is no answer: 503 as below
            return result

    try:
        with anyio.fail_after(VERIFY_DEADLINE):
            return await anyio.to_thread.run_sync(
                bounded, limiter=_verify_limiter(), abandon_on_cancel=True
            )
    except (TimeoutError, DeadlineExceededError):
        raise ApiError(
            503,
            f"verification did not finish within {VERIFY_DEADLINE:g} seconds; try again later",
            "VERIFY_TIMEOUT",
            headers={"Retry-After": "10"},
        ) from None


def _answer(result: Any) -> JSONResponse:
    return JSONResponse(vcapi_json(result), status_code=200 if result.verified else 400)


def _wanted(checks: list[str] | None) -> set[str] | None:
    try:
        return wanted_checks(checks)
    except UnknownCheckError as exc:
        raise ApiError(400, str(exc), "UNKNOWN_CHECK") from None


@router.post(
    "/credentials/verify",
    response_model=VerificationResponse,
    tags=["VC-API"],
    responses={400: {"model": VerificationResponse}, 413: {}, 422: {}, 503: {}},
)
async def verify_credential(body: VerifyCredentialRequest, request: Request) -> JSONResponse:
    """Verify a credential: 200 when verified, 400 with the failed checks otherwise."""
    wanted = _wanted(body.options.checks)
    _bounded(body.verifiableCredential)
    verifier = state_of(request).verifier()
    result = await _off_loop(lambda: verifier.verify_credential(body.verifiableCredential))
    return _answer(restrict(result, wanted))


@router.post(
    "/presentations/verify",
    response_model=VerificationResponse,
    tags=["VC-API"],
    responses={400: {"model": VerificationResponse}, 413: {}, 422: {}, 503: {}},
)
async def verify_presentation(body: VerifyPresentationRequest, request: Request) -> JSONResponse:
    """Verify a presentation (holder proof, challenge, domain) and every credential in it."""
    _wanted(body.options.checks)  # names are checked; a presentation is judged on every check
    _bounded(body.verifiablePresentation)
    verifier = state_of(request).verifier()

    def verify() -> Any:
        return verifier.verify_presentation(
            body.verifiablePresentation,
            challenge=body.options.challenge,
            domain=body.options.domain,
        )

    return _answer(await _off_loop(verify))


# --- status ------------------------------------------------------------------------------------

_SET = {"revoked": ("revocation", 1), "suspended": ("suspension", 1)}
_CLEAR = {"active", "reinstated", "unsuspended", "valid"}


def _change(change: StatusChange) -> tuple[str, int]:
    """``(purpose, value)`` for one requested change."""
    value = change.status
    if change.statusPurpose == "message":
        # a message entry's value: an integer or its statusMessage form "0x2" (BSL §2.1);
        # the store refuses one the entry's statusSize cannot hold
        if isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{1,4}", value.strip()):
            return "message", int(value.strip(), 16)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 16:
            return "message", value
        raise ApiError(
            400,
            f"a message status is a value like 0x2 (or its integer), not {value!r}",
            "BAD_STATUS",
        )
    if isinstance(value, int) and not isinstance(value, bool):
        raise ApiError(400, "a number is a status only with statusPurpose message", "BAD_STATUS")
    if isinstance(value, bool):
        if change.statusPurpose is None:
            raise ApiError(400, "a true/false status needs statusPurpose", "BAD_STATUS")
        return change.statusPurpose, int(value)
    word = value.strip().lower()
    if word in _SET:
        purpose, bit = _SET[word]
        if change.statusPurpose not in (None, purpose):
            raise ApiError(400, f"status {word!r} belongs to purpose {purpose}", "BAD_STATUS")
        return purpose, bit
    if word in _CLEAR:
        purpose = change.statusPurpose or "suspension"
        return purpose, 0
    raise ApiError(
        400,
        f"unknown status {value!r}: use revoked, suspended or active (to lift a suspension)",
        "BAD_STATUS",
    )


@router.post(
    "/credentials/status",
    tags=["VC-API"],
    responses={400: {}, 401: {}, 403: {}, 404: {}, 409: {}, 422: {}, 501: {}},
)
def update_status(
    body: StatusRequest, state: Annotated[ServerState, Depends(require_issuer)]
) -> dict[str, Any]:
    """Revoke, suspend or reinstate an issued credential; the next status list shows it."""
    store = state.store()
    if store.credential(body.credentialId) is None:
        raise ApiError(404, f"no credential {body.credentialId} was issued here", "NOT_FOUND")
    changes = [_change(c) for c in body.credentialStatus]  # every change is checked first
    applied = []
    try:
        # all or nothing: one transaction, so a refused second change rolls back the first (a
        # client told "409" must not find a revocation it believes failed)
        with store.transaction():
            for purpose, bit in changes:
                changed = store.set_status(body.credentialId, purpose, bit, reason="VC-API")
                applied.append({"statusPurpose": purpose, "value": bit, "changed": changed})
    except StoreBusyError:
        raise  # 503 (server/errors.py): busy is not a conflict
    except StoreError as exc:
        raise ApiError(409, exc.message, exc.code) from None
    current = store.get_status(body.credentialId)
    return {"credentialId": body.credentialId, "credentialStatus": applied, "current": current}
