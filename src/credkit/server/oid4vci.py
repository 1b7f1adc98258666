"""OpenID4VCI 1.0 pre-authorized code flow over HTTP: offer, metadata, token, nonce, credential.

The protocol parts (offer and metadata objects, the key proof check) are in
``credkit.issuer.oid4vci``; this module reads requests, talks to the issuer store and answers.
Errors are OAuth-shaped (``error`` + ``error_description``, what wallets read: RFC 6749 §5.2,
RFC 6750 §3, OID4VCI §6.3 and §8.3.1) and also carry credkit's ``detail`` + ``code``. A refused
request changes nothing in the store: the access token, the ``c_nonce`` and the offer are used
in one transaction, after every check and after the copy is signed.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from credkit.errors import CredkitError
from credkit.issuer import oid4vci as proto
from credkit.issuer.offers import (
    ACTIVE,
    NONCE_CAP,
    OFFER_TOKEN_CAP,
    REVOKED_DIPLOMA,
    Offer,
    OfferError,
    TokenLimitError,
    secret_hash,
    why_unusable,
    withheld,
)
from credkit.issuer.store import SqlIssuerStore, StoreBusyError, serialize_credential
from credkit.issuer.wallet import wallet_copy
from credkit.server.state import ServerState

router = APIRouter(tags=["OpenID4VCI"])

MAX_REQUEST_BYTES = 32 * 1024  # a token or credential request is a few hundred bytes
NO_STORE = {"Cache-Control": "no-store"}


class OAuthError(Exception):
    """An answer in the OAuth error shape, with the status and headers it needs."""

    def __init__(
        self, status: int, error: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        # error_description: printable ASCII without '"' and '\' (RFC 6749 §5.2, §8.3.1.2)
        text = "".join(c for c in self.description if 0x20 <= ord(c) < 0x7F and c not in '"\\')
        body = {
            "error": self.error,
            "error_description": text,
            "detail": self.description,
            "code": "OID4VCI_" + self.error.upper(),
        }
        return JSONResponse(body, status_code=self.status, headers={**NO_STORE, **self.headers})


def _state(request: Request) -> tuple[ServerState, str]:
    """The server state and its base URL; OID4VCI needs an issuer workspace with a base URL."""
    state: ServerState = request.app.state.credkit
    if state.ws is None or state.key is None or not state.ws.base_url:
        raise OAuthError(
            404,
            "invalid_request",
            "this service issues no credentials over OpenID4VCI (it needs an issuer workspace "
            "with publish.base_url)",
        )
    return state, state.ws.base_url


def _later(status: int, error: str, description: str) -> OAuthError:
    """A cap on live tokens was reached (offers.TokenLimitError): retry once some expire."""
    retry = str(int(proto.NONCE_LIFETIME.total_seconds()))
    return OAuthError(status, error, description, {"Retry-After": retry})


def _json(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, headers=NO_STORE)


def _usable_offer(
    store: SqlIssuerStore, offer_id: str | None, error: str, status: int = 400
) -> Offer:
    """The active offer behind a token, or the refusal (claimed, withdrawn, expired, revoked)."""
    offer = store.offer(offer_id) if offer_id else None
    now = datetime.now(UTC)
    if offer is None:
        raise OAuthError(status, error, "no such offer")
    if offer.status(now) != ACTIVE:
        raise OAuthError(status, error, why_unusable(offer, now).message)
    # one rule with the VC-API exchange (offers.withheld): revoked or suspended, not delivered
    why = withheld(store, offer.credential_id)
    if why == REVOKED_DIPLOMA:
        raise OAuthError(status, error, "this diploma was revoked by the issuer")
    if why is not None:
        # not gone (410) at the offer: the same link works again once the diploma is reinstated
        raise OAuthError(
            409 if status == 410 else status,
            error,
            "this diploma is suspended by the issuer; the link works again if it is reinstated",
        )
    return offer


async def _body(request: Request, media: str) -> bytes:
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != media:
        error = "invalid_request" if media.endswith("urlencoded") else "invalid_credential_request"
        raise OAuthError(400, error, f"the request body must be {media}")
    body = await request.body()
    if len(body) > MAX_REQUEST_BYTES:
        raise OAuthError(413, "invalid_request", f"request body over {MAX_REQUEST_BYTES} bytes")
    return body


def _answer(handler: Any) -> Any:
    """Run ``handler`` and turn an :class:`OAuthError` into its response."""

    async def run(request: Request) -> Response:
        try:
            result: Response = await handler(request)
            return result
        except OAuthError as exc:
            return exc.response()

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


# --- §4.1: the credential offer ------------------------------------------------------------------


def _offer(state: ServerState, base_url: str, secret: str) -> dict[str, Any]:
    store = state.store()
    offer = store.offer_by_secret(secret)
    if offer is None:
        raise OAuthError(404, "invalid_request", "no such offer (the link is wrong)")
    _usable_offer(store, offer.id, "invalid_request", status=410)
    # a fresh pre-authorized code per fetch: short lived and single use (§4.1.1); the long-lived
    # offer secret itself never goes to the token endpoint. At most OFFER_TOKEN_CAP live codes
    # per offer: a link fetched in a loop does not grow the store
    try:
        code = store.issue_token(
            proto.CODE_KIND,
            offer_id=offer.id,
            lifetime=proto.CODE_LIFETIME,
            cap=OFFER_TOKEN_CAP,
        )
    except TokenLimitError:
        raise _later(
            429, "invalid_request", "this offer was fetched too often; try later"
        ) from None
    return proto.credential_offer(base_url, code, tx_code=offer.has_tx_code)


@router.get("/oid4vci/offers/{secret}", summary="OID4VCI credential offer (§4.1.1)")
@_answer
async def credential_offer(request: Request) -> Response:
    """The offer a wallet fetches from the ``credential_offer_uri`` of a claim link."""
    state, base_url = _state(request)
    secret = request.path_params["secret"]
    return _json(await run_in_threadpool(_offer, state, base_url, secret))


# --- §12.2 and §12.3: metadata -------------------------------------------------------------------


def _base_path(base_url: str) -> str:
    return urlsplit(base_url).path.strip("/")


@router.get("/.well-known/openid-credential-issuer", summary="OID4VCI issuer metadata (§12.2)")
@_answer
async def issuer_metadata(request: Request) -> Response:
    state, base_url = _state(request)
    assert state.ws is not None
    return _json(proto.issuer_metadata(base_url, state.ws.issuer_name))


@router.get("/.well-known/openid-credential-issuer/{rest:path}", include_in_schema=False)
@_answer
async def issuer_metadata_under_path(request: Request) -> Response:
    """§12.2.2: for an issuer id with a path, the well-known string goes before the path."""
    state, base_url = _state(request)
    assert state.ws is not None
    if request.path_params["rest"].strip("/") != _base_path(base_url):
        raise OAuthError(404, "invalid_request", "no credential issuer at this path")
    return _json(proto.issuer_metadata(base_url, state.ws.issuer_name))


@router.get("/.well-known/oauth-authorization-server", summary="RFC 8414 metadata (§12.3)")
@_answer
async def as_metadata(request: Request) -> Response:
    _, base_url = _state(request)
    return _json(proto.authorization_server_metadata(base_url))


@router.get("/.well-known/oauth-authorization-server/{rest:path}", include_in_schema=False)
@_answer
async def as_metadata_under_path(request: Request) -> Response:
    """RFC 8414 §3: the well-known string goes between host and path, like §12.2.2."""
    _, base_url = _state(request)
    if request.path_params["rest"].strip("/") != _base_path(base_url):
        raise OAuthError(404, "invalid_request", "no authorization server at this path")
    return _json(proto.authorization_server_metadata(base_url))


# --- §6: the token endpoint ----------------------------------------------------------------------


def _form(body: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        raise OAuthError(400, "invalid_request", "the body is not form-encoded") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:  # RFC 6749 §3.2: parameters MUST NOT be included more than once
            raise OAuthError(400, "invalid_request", f"parameter {name!r} is repeated")
        form[name] = value
    return form


def _token(state: ServerState, form: dict[str, str]) -> dict[str, Any]:
    # §6.1 and RFC 6749 §4.1.3; unknown parameters (resource, user_pin...) are ignored (§6.1)
    grant = form.get("grant_type")
    if not grant:
        raise OAuthError(400, "invalid_request", "grant_type is missing")
    if grant != proto.PRE_AUTHORIZED_GRANT:
        raise OAuthError(
            400, "unsupported_grant_type", f"only the {proto.PRE_AUTHORIZED_GRANT} grant is served"
        )
    code = form.get("pre-authorized_code")
    if not code:
        raise OAuthError(400, "invalid_request", "pre-authorized_code is missing")
    store = state.store()
    found = store.peek_token(code, proto.CODE_KIND)
    if found is None:
        raise OAuthError(
            400, "invalid_grant", "the pre-authorized code is unknown, used or expired"
        )
    offer_id = found[0]
    offer = _usable_offer(store, offer_id, "invalid_grant")
    tx_code = form.get("tx_code")
    wanted, misses = store.offer_tx_code(offer.id, proto.MISS_KIND)
    # §6.3: a code sent when none is expected, or none when one is, is invalid_request
    if wanted is None and tx_code is not None:
        raise OAuthError(400, "invalid_request", "this offer takes no transaction code")
    if wanted is not None:
        if not tx_code:
            raise OAuthError(400, "invalid_request", "this offer needs the transaction code")
        if len(tx_code) > proto.MAX_TX_CODE_CHARS:
            raise OAuthError(400, "invalid_request", "the transaction code is too long")
        if misses >= proto.MAX_TX_CODE_MISSES:
            raise OAuthError(
                400, "invalid_grant", "too many wrong transaction codes; ask the issuer"
            )
        if not secrets.compare_digest(secret_hash(tx_code), wanted):
            # counted (a token row), the offer itself unchanged; §6.3: wrong code is invalid_grant.
            # The row lives as long as the offer, so the purge of expired tokens cannot reset
            # the count while the offer can still be claimed
            store.issue_token(proto.MISS_KIND, offer_id=offer.id, lifetime=_remaining(offer))
            raise OAuthError(400, "invalid_grant", "the transaction code is wrong")
    details = _authorization_details(form.get("authorization_details"))
    # the access token the wallet gets is "<store token>.<key>": the key (never stored) seals
    # the transaction code that claim_offer checks again at the credential endpoint
    key = secrets.token_urlsafe(16)
    data: dict[str, Any] = {"ids": details is not None}
    if tx_code is not None:
        data["tx"] = proto.seal_tx_code(tx_code, key)
    with store.transaction():
        if store.use_token(code, proto.CODE_KIND) is None:
            raise OAuthError(400, "invalid_grant", "the pre-authorized code was just used")
        token = store.issue_token(
            proto.ACCESS_KIND,
            offer_id=offer.id,
            lifetime=proto.ACCESS_LIFETIME,
            data=data,
        )
    answer: dict[str, Any] = {
        "access_token": f"{token}.{key}",
        "token_type": "Bearer",
        "expires_in": int(proto.ACCESS_LIFETIME.total_seconds()),
    }
    if details is not None:
        answer["authorization_details"] = details
    return answer


def _remaining(offer: Offer) -> timedelta:
    """How long the offer can still be claimed (at least a second)."""
    ends = datetime.strptime(offer.expires_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return max(ends - datetime.now(UTC), timedelta(seconds=1))


def _authorization_details(raw: str | None) -> list[dict[str, Any]] | None:
    """§6.1 + §5.1.1: ``authorization_details`` of type ``openid_credential`` naming our one
    configuration; §6.2 then requires them back with ``credential_identifiers`` (ours: one
    dataset per offer, identified by the configuration id itself)."""
    if raw is None:
        return None
    import json

    try:
        asked = json.loads(raw)
    except (ValueError, RecursionError):
        raise OAuthError(400, "invalid_request", "authorization_details is not JSON") from None
    if not isinstance(asked, list) or len(asked) != 1 or not isinstance(asked[0], dict):
        raise OAuthError(
            400, "invalid_authorization_details", "ask for exactly one openid_credential entry"
        )
    entry = asked[0]
    if entry.get("type") != "openid_credential" or (
        entry.get("credential_configuration_id") != proto.CONFIGURATION_ID
    ):
        raise OAuthError(
            400,
            "invalid_authorization_details",
            f"this offer is for the openid_credential {proto.CONFIGURATION_ID}",
        )
    return [
        {
            "type": "openid_credential",
            "credential_configuration_id": proto.CONFIGURATION_ID,
            "credential_identifiers": [proto.CONFIGURATION_ID],
        }
    ]


@router.post("/oid4vci/token", summary="OID4VCI token endpoint, pre-authorized code (§6)")
@_answer
async def token(request: Request) -> Response:
    state, _ = _state(request)
    form = _form(await _body(request, "application/x-www-form-urlencoded"))
    return _json(await run_in_threadpool(_token, state, form))


# --- §7: the nonce endpoint ----------------------------------------------------------------------


@router.post("/oid4vci/nonce", summary="OID4VCI nonce endpoint (§7)")
@_answer
async def nonce(request: Request) -> Response:
    """A fresh ``c_nonce`` (unpredictable, one use); §7.2: the answer is ``no-store``."""
    state, _ = _state(request)

    def issue() -> str:
        # open to anyone (§7): expired nonces are purged as new ones are written, and live ones
        # capped (offers.NONCE_CAP), so a flood gets 503s instead of growing the store
        return state.store().issue_token(
            proto.NONCE_KIND, offer_id=None, lifetime=proto.NONCE_LIFETIME, cap=NONCE_CAP
        )

    try:
        return _json({"c_nonce": await run_in_threadpool(issue)})
    except TokenLimitError:
        raise _later(503, "temporarily_unavailable", "too many nonces outstanding") from None


# --- §8: the credential endpoint -----------------------------------------------------------------


def _bearer(request: Request) -> str:
    """RFC 6750 §2.1 and §3: no token is a bare 401 challenge; a malformed header, 400."""
    header = request.headers.get("authorization")
    if header is None:
        raise OAuthError(
            401, "invalid_token", "an access token is needed", {"WWW-Authenticate": "Bearer"}
        )
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip() or " " in value.strip():
        raise OAuthError(
            400,
            "invalid_request",
            "send Authorization: Bearer ACCESS_TOKEN",
            {"WWW-Authenticate": 'Bearer error="invalid_request"'},
        )
    return value.strip()


def _invalid_token(why: str) -> OAuthError:
    return OAuthError(
        401, "invalid_token", why, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )


def _request_proof(body: bytes, identifiers: bool) -> str:
    """The one ``jwt`` key proof of a §8.2 Credential Request, or the §8.3.1.2 refusal."""
    import json

    try:
        request = json.loads(body)
    except (ValueError, RecursionError):
        raise OAuthError(400, "invalid_credential_request", "the body is not JSON") from None
    if not isinstance(request, dict):
        raise OAuthError(400, "invalid_credential_request", "the body must be a JSON object")
    # §8.2: credential_identifier exactly when the token response carried identifiers
    if identifiers:
        if "credential_configuration_id" in request:
            why = "the token gave credential_identifiers: send credential_identifier"
            raise OAuthError(400, "invalid_credential_request", why)
        if request.get("credential_identifier") != proto.CONFIGURATION_ID:
            raise OAuthError(
                400, "unknown_credential_identifier", f"the identifier is {proto.CONFIGURATION_ID}"
            )
        request = {**request, "credential_configuration_id": proto.CONFIGURATION_ID}
    elif "credential_identifier" in request:
        raise OAuthError(
            400, "invalid_credential_request", "use credential_configuration_id, not an identifier"
        )
    wanted = request.get("credential_configuration_id")
    if not isinstance(wanted, str):
        raise OAuthError(
            400, "invalid_credential_request", "credential_configuration_id is missing"
        )
    if wanted != proto.CONFIGURATION_ID:
        raise OAuthError(
            400, "unknown_credential_configuration", f"this issuer offers {proto.CONFIGURATION_ID}"
        )
    if "credential_response_encryption" in request:
        raise OAuthError(
            400, "invalid_encryption_parameters", "encrypted responses are not offered"
        )
    proofs = request.get("proofs")
    if proofs is None:
        why = "send the key proof in proofs (OID4VCI 1.0 §8.2)"
        raise OAuthError(400, "invalid_proof", why if "proof" in request else "proofs is missing")
    if not isinstance(proofs, dict) or list(proofs) != ["jwt"]:
        raise OAuthError(400, "invalid_proof", "proofs must hold exactly one proof type: jwt")
    jwts = proofs["jwt"]
    if not isinstance(jwts, list) or not jwts:
        raise OAuthError(400, "invalid_proof", "proofs.jwt must be a non-empty array")
    if len(jwts) != 1:
        # no batch_credential_issuance in the metadata (§12.2.4): one key, one copy
        raise OAuthError(400, "invalid_proof", "send exactly one key proof")
    return str(jwts[0]) if isinstance(jwts[0], str) else ""


class _RefusedError(Exception):
    """Raised inside the store transaction to undo it; carries the answer."""

    def __init__(self, error: OAuthError) -> None:
        super().__init__(error.description)
        self.error = error


def _credential(state: ServerState, base_url: str, bearer: str, body: bytes) -> dict[str, Any]:
    token, _, key = bearer.partition(".")
    store = state.store()
    found = store.peek_token(token, proto.ACCESS_KIND) if token and key else None
    if found is None:
        raise _invalid_token("the access token is unknown, used or expired")
    offer_id, data = found
    jwt = _request_proof(body, bool(data.get("ids")))
    try:
        proof = proto.check_key_proof(jwt, audience=proto.issuer_id(base_url))
    except proto.KeyProofError as exc:
        raise OAuthError(400, exc.error, exc.message) from None
    if store.peek_token(proof.nonce, proto.NONCE_KIND) is None:
        raise OAuthError(400, "invalid_nonce", "the nonce is not one this issuer gave, or is used")
    offer = _usable_offer(store, offer_id, "credential_request_denied")
    record = store.credential(offer.credential_id)
    if record is None or record.document is None:
        raise OAuthError(400, "credential_request_denied", "the diploma is not in the store")
    try:
        tx_code = proto.open_tx_code(data["tx"], key) if data.get("tx") else None
    except (ValueError, UnicodeDecodeError):
        raise _invalid_token("the access token is not the one issued") from None
    assert state.ws is not None and state.key is not None
    # signed before the transaction: the write lock is held only for the three conditional
    # updates below, not for the signature
    copy = wallet_copy(record.json(), state.key, proof.holder)
    digest = secret_hash(serialize_credential(copy).decode("utf-8"))
    try:
        with store.transaction():
            if store.use_token(token, proto.ACCESS_KIND) is None:
                raise _RefusedError(_invalid_token("the access token was just used"))
            if store.use_token(proof.nonce, proto.NONCE_KIND) is None:
                raise _RefusedError(OAuthError(400, "invalid_nonce", "the nonce was just used"))
            # again in the transaction: a status change made while the copy was being signed
            # still withholds it (offers.withheld; the transaction is undone)
            try:
                _usable_offer(store, offer.id, "credential_request_denied")
            except OAuthError as refused:
                raise _RefusedError(refused) from None
            try:
                store.claim_offer(
                    offer.id,
                    holder=proof.holder,
                    flow="oid4vci",
                    delivered_digest=digest,
                    tx_code=tx_code,
                )
            except OfferError as exc:
                denied = OAuthError(400, "credential_request_denied", exc.message)
                raise _RefusedError(denied) from None
    except _RefusedError as refused:
        raise refused.error from None
    # §8.3: 1.0 answers an array of objects, each with its credential (ldp_vc: a JSON object)
    return {"credentials": [{"credential": copy}]}


@router.post("/oid4vci/credential", summary="OID4VCI credential endpoint (§8)")
@_answer
async def credential(request: Request) -> Response:
    """The diploma bound to the key of the wallet's key proof, once per offer."""
    state, base_url = _state(request)
    bearer = _bearer(request)
    body = await _body(request, "application/json")
    try:
        return _json(await run_in_threadpool(_credential, state, base_url, bearer, body))
    except StoreBusyError:
        raise  # 503 with Retry-After (credkit.server.errors)
    except CredkitError as exc:
        # the copy could not be made (a subject the holder cannot be bound to): nothing changed
        raise OAuthError(400, "credential_request_denied", exc.message) from None
