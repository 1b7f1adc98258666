"""The VC-API exchange a Learner Credential Wallet claims a diploma through (DCC pattern).

What the wallet does, read from its source (digitalcredentials/learner-credential-wallet):

- CHAPI / VC-API form (``app/lib/exchanges.ts`` ``handleVcApiExchangeComplete``, reached from a
  ``{"credentialRequestOrigin", "protocols": {"vcapi": URL}}`` request): POST ``{}`` to the URL;
  the answer's ``verifiablePresentationRequest`` asks for ``DIDAuthentication`` with a
  ``challenge`` and ``domain``; the wallet signs an empty presentation over both
  (``vc.signPresentation``, Ed25519Signature2020) and POSTs ``{"verifiablePresentation": VP}`` to
  ``interact.service[0].serviceEndpoint`` (else the same URL). It takes the credential from the
  answer's ``verifiablePresentation.verifiableCredential[0]``
  (``app/screens/ExchangeCredentials/ExchangeCredentials.tsx``).
- Deep-link form (``https://lcw.app/request.html?issuer=…&auth_type=bearer&challenge=…&
  vc_request_url=…`` or ``dccrequest://request?…``; ``app/lib/credentialRequest.ts``
  ``requestCredential``): no first round trip; the wallet signs the link's ``challenge``
  with no ``domain`` (``app/lib/present.ts``) and POSTs the bare VP to ``vc_request_url``.
  It accepts a VC or a VP back (``extractCredentialsFrom``). The DCC's own server answers this
  with the bare signed VC (workflow-coordinator ``src/app.js``, ``POST
  /exchange/:exchangeId/:transactionId``), and so does credkit.

Both forms use the one URL ``/exchanges/{secret}``. Challenges are one-time store tokens tied to
the offer; the claim page's deep links carry one made when the page was shown (``direct``), the
VC-API request hands out another, which also binds the ``domain``. The VP is checked by credkit's
own verifier (proofPurpose ``authentication``, the challenge, the domain, a key the holder DID
lists; did:web only through the service's fetcher, so never a network surprise). Then one store
transaction uses the challenge and claims the offer with the holder DID: a refused request leaves
the offer as it was.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from credkit.issuer.offers import (
    CLAIMED,
    EXPIRED,
    OFFER_TOKEN_CAP,
    REVOKED,
    REVOKED_DIPLOMA,
    Offer,
    OfferError,
    TokenLimitError,
    exchange_url,
    withheld,
)
from credkit.issuer.store import SqlIssuerStore, StoreBusyError, serialize_credential
from credkit.issuer.wallet import WalletCopyError, wallet_copy
from credkit.jsonld.contexts import VC_V2
from credkit.server.errors import ApiError
from credkit.server.state import ServerState
from credkit.verify.result import PASSED, VERIFIED

router = APIRouter(tags=["wallets"])

CHALLENGE = "challenge"
CHALLENGE_LIFETIME = timedelta(minutes=10)  # a VC-API request: answered within seconds
DIRECT_LIFETIME = timedelta(minutes=30)  # a deep link on the claim page: scanned, then opened
_GONE = {
    CLAIMED: ("this claim link was already used; each link works once", "OFFER_CLAIMED"),
    REVOKED: ("this claim link was withdrawn by the issuer", "OFFER_REVOKED"),
    EXPIRED: ("this claim link has expired; ask the issuer for a new one", "OFFER_EXPIRED"),
}


# --- shared with the claim page and the offers API --------------------------------------------


def state_of(request: Request) -> ServerState:
    state: ServerState = request.app.state.credkit
    return state


def base_url(state: ServerState) -> str:
    """The public URL claim links live under (the workspace's ``publish.base_url``)."""
    if state.ws is None:
        raise ApiError(
            501, "this server has no issuer workspace (--issuer-dir)", "ISSUING_NOT_CONFIGURED"
        )
    if not state.ws.base_url:
        raise ApiError(
            501,
            "the workspace has no publish.base_url: claim links need the service's public URL",
            "NO_BASE_URL",
        )
    return state.ws.base_url.rstrip("/")


def service_domain(state: ServerState) -> str:
    """The ``domain`` a DIDAuth must name: the service's origin, as the DCC transaction service
    sets it (``domain: exchangeHost``, src/transactionManager.js)."""
    parts = urlsplit(base_url(state))
    return f"{parts.scheme}://{parts.netloc}"


def withheld_refusal(store: SqlIssuerStore, credential_id: str) -> ApiError | None:
    """The refusal for a diploma that must not go into a wallet now (``offers.withheld``: the
    rule OID4VCI applies too): revoked is gone for good (410); suspended, not now (409), and the
    offer stays active so the same link works once the diploma is reinstated."""
    why = withheld(store, credential_id)
    if why is None:
        return None
    if why == REVOKED_DIPLOMA:
        return ApiError(410, "the diploma this link was for has been revoked", "DIPLOMA_REVOKED")
    return ApiError(
        409,
        "the diploma this link was for is suspended by the issuer; the link works again if it "
        "is reinstated",
        "DIPLOMA_SUSPENDED",
    )


def usable_offer(store: SqlIssuerStore, secret: str) -> Offer:
    """The active offer ``secret`` opens, or the specific 404/410 refusal."""
    offer = store.offer_by_secret(secret) if 16 <= len(secret) <= 128 else None
    if offer is None:
        raise ApiError(404, "no such claim link (it is mistyped or was never issued)", "NO_OFFER")
    status = offer.status()
    if status in _GONE:
        detail, code = _GONE[status]
        raise ApiError(410, detail, code)
    refusal = withheld_refusal(store, offer.credential_id)
    if refusal is not None:
        raise refusal
    return offer


def new_challenge(
    store: SqlIssuerStore, offer: Offer, lifetime: timedelta, data: dict[str, Any]
) -> str:
    """A one-time challenge for the offer; at most OFFER_TOKEN_CAP live ones per offer, so a
    link opened or posted in a loop does not grow the store (429 until some expire)."""
    try:
        return store.issue_token(
            CHALLENGE, offer_id=offer.id, lifetime=lifetime, data=data, cap=OFFER_TOKEN_CAP
        )
    except TokenLimitError:
        raise ApiError(
            429,
            "too many open requests for this claim link; try again in a few minutes",
            "TOO_MANY_CHALLENGES",
            headers={"Retry-After": "60"},
        ) from None


def direct_challenge(store: SqlIssuerStore, offer: Offer, domain: str) -> str:
    """A challenge for the deep links the claim page shows (LCW signs it with no domain)."""
    return new_challenge(store, offer, DIRECT_LIFETIME, {"direct": True, "domain": domain})


def lcw_params(state: ServerState, secret: str, challenge: str) -> str:
    """The query LCW reads (``CredentialRequestParams``: issuer, auth_type, challenge,
    vc_request_url; ``bearer`` is the only auth_type it accepts, credentialRequest.ts)."""
    host = urlsplit(base_url(state)).netloc
    return urlencode(
        {
            "issuer": host,
            "auth_type": "bearer",
            "challenge": challenge,
            "vc_request_url": exchange_url(base_url(state), secret),
        }
    )


def lcw_links(state: ServerState, secret: str, challenge: str) -> dict[str, str]:
    """The web link (opens LCW from a phone's camera or mail), the in-app scanner's
    ``dccrequest://`` form (decode.ts ``isDeepLink``) and the CHAPI request JSON
    (``credentialRequestOrigin`` and ``protocols`` are both required, credentialRequest.ts
    ``isChapiCredentialRequest``)."""
    query = lcw_params(state, secret, challenge)
    chapi = {
        "credentialRequestOrigin": service_domain(state),
        "protocols": {"vcapi": exchange_url(base_url(state), secret)},
    }
    return {
        "lcw": f"https://lcw.app/request.html?{query}",
        "dccrequest": f"dccrequest://request?{query}",
        "chapi": json.dumps(chapi, separators=(",", ":")),
    }


# --- the exchange ------------------------------------------------------------------------------


def _problem(status: int, detail: str, code: str) -> ApiError:
    return ApiError(status, detail, code)


def _proofs(vp: dict[str, Any]) -> list[dict[str, Any]]:
    proof = vp.get("proof")
    proofs = proof if isinstance(proof, list) else [proof] if proof is not None else []
    if not proofs or not all(isinstance(p, dict) for p in proofs):
        raise _problem(400, "the presentation is not signed (no proof)", "DIDAUTH_UNSIGNED")
    return proofs


def _holder(vp: dict[str, Any]) -> str:
    holder = vp.get("holder")
    if isinstance(holder, dict):
        holder = holder.get("id")
    if not isinstance(holder, str) or not holder.startswith("did:") or len(holder) > 2048:
        raise _problem(
            400, "the presentation must name its holder, a DID (did:key or did:web)", "NO_HOLDER"
        )
    return holder


def vpr(state: ServerState, store: SqlIssuerStore, offer: Offer, secret: str) -> dict[str, Any]:
    """VC-API ``verifiablePresentationRequest`` for DIDAuthentication (VC-API §"Exchanges";
    query shape as the DCC transaction service and LCW's exchanges.ts read it)."""
    domain = service_domain(state)
    challenge = new_challenge(store, offer, CHALLENGE_LIFETIME, {"domain": domain})
    return {
        "verifiablePresentationRequest": {
            "query": [
                {
                    "type": "DIDAuthentication",
                    "acceptedMethods": [{"method": "key"}, {"method": "web"}],
                    "acceptedCryptosuites": [
                        {"cryptosuite": "eddsa-rdfc-2022"},
                        {"cryptosuite": "Ed25519Signature2020"},
                    ],
                }
            ],
            "challenge": challenge,
            "domain": domain,
            "interact": {
                "service": [
                    {
                        "type": "UnmediatedPresentationService2021",
                        "serviceEndpoint": exchange_url(base_url(state), secret),
                    }
                ]
            },
        }
    }


def _check_didauth(
    state: ServerState, store: SqlIssuerStore, offer: Offer, vp: dict[str, Any]
) -> tuple[str, str]:
    """``(holder, challenge)`` of a DIDAuth presentation that passes, or the specific refusal."""
    holder = _holder(vp)
    proofs = _proofs(vp)
    if not all(isinstance(p.get("challenge"), str) for p in proofs):
        raise _problem(400, "the presentation's proof carries no challenge", "NO_CHALLENGE")
    challenges = {str(p["challenge"]) for p in proofs}
    if len(challenges) != 1:
        raise _problem(400, "the proofs name different challenges", "BAD_CHALLENGE")
    challenge = challenges.pop()
    if not all(isinstance(p.get("domain"), str | None) for p in proofs):
        # VC DI 1.0 allows a list of domains; credkit asks for one, its own origin
        raise _problem(400, "the proof's domain must be this service's origin", "BAD_DOMAIN")
    found = store.peek_token(challenge, CHALLENGE)
    if found is None:
        raise _problem(
            400,
            "the challenge is unknown, already used or expired: start the claim again",
            "BAD_CHALLENGE",
        )
    token_offer, data = found
    if token_offer != offer.id:
        raise _problem(400, "the challenge was issued for another claim link", "BAD_CHALLENGE")
    expected = str(data.get("domain") or service_domain(state))
    domains = {p.get("domain") for p in proofs}
    direct = bool(data.get("direct"))
    if domains != {expected} and not (direct and domains == {None}):
        raise _problem(
            400,
            f"the presentation is not for this service (domain must be {expected})",
            "BAD_DOMAIN",
        )
    result = state.verifier().verify_presentation(
        vp, challenge=challenge, domain=None if domains == {None} else expected
    )
    failed = [c for c in result.checks if c.status != PASSED and c.id.startswith("presentation")]
    if failed or result.verdict != VERIFIED:
        why = "; ".join(c.message for c in failed) or result.summary
        raise _problem(401, f"the DIDAuth presentation does not verify: {why}", "DIDAUTH_FAILED")
    return holder, challenge


def _types(document: dict[str, Any]) -> list[Any]:
    kinds = document.get("type")
    return kinds if isinstance(kinds, list) else [kinds]


def _claim(state: ServerState, secret: str, body: Any) -> tuple[dict[str, Any], bool]:
    """The whole exchange step, on a worker thread: ``(answer, direct)``."""
    if not isinstance(body, dict):
        raise _problem(400, "the exchange takes a JSON object", "BAD_EXCHANGE_REQUEST")
    store = state.store()
    offer = usable_offer(store, secret)
    if offer.has_tx_code:
        # the code travels out of band and only OID4VCI has a place for it (tx_code)
        raise _problem(403, "this offer needs a transaction code: claim it with OID4VCI", "TX_CODE")
    if not body:
        return vpr(state, store, offer, secret), False
    if "verifiablePresentation" in body:
        vp, direct = body["verifiablePresentation"], False
        if set(body) - {"verifiablePresentation"}:
            raise _problem(400, "unexpected members beside verifiablePresentation", "BAD_EXCHANGE")
    elif "VerifiablePresentation" in _types(body):
        vp, direct = body, True  # LCW's deep-link flow posts the bare VP
    else:
        raise _problem(
            400,
            'send {} to start, then {"verifiablePresentation": VP} signed by your DID',
            "BAD_EXCHANGE_REQUEST",
        )
    if not isinstance(vp, dict):
        raise _problem(400, "verifiablePresentation must be an object", "BAD_EXCHANGE_REQUEST")
    holder, challenge = _check_didauth(state, store, offer, vp)
    record = store.credential(offer.credential_id)
    if record is None or state.key is None:
        raise _problem(404, "the diploma is no longer in the store", "NO_DIPLOMA")
    try:
        copy = wallet_copy(record.json(), state.key, holder, legacy_proof=True)
    except WalletCopyError as exc:
        raise _problem(409, exc.message, exc.code) from None
    digest = hashlib.sha256(serialize_credential(copy)).hexdigest()
    try:
        with store.transaction():
            if store.use_token(challenge, CHALLENGE) is None:
                raise _problem(400, "the challenge was used already", "BAD_CHALLENGE")
            # again under the write lock: a suspension or revocation made while the copy was
            # being signed still withholds it (the transaction is undone)
            refusal = withheld_refusal(store, offer.credential_id)
            if refusal is not None:
                raise refusal
            store.claim_offer(offer.id, holder=holder, flow="vcapi", delivered_digest=digest)
    except OfferError as exc:
        if exc.reason == "tx_code":
            raise _problem(
                403, "this offer needs a transaction code: claim it with OID4VCI", "TX_CODE"
            ) from None
        detail, code = _GONE.get(exc.reason, (exc.message, "OFFER_UNUSABLE"))
        raise _problem(410, detail, code) from None
    if direct:
        return copy, True
    wrapped = {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [copy],
    }
    return {"verifiablePresentation": wrapped}, False


@router.post(
    "/exchanges/{secret}",
    responses={400: {}, 401: {}, 403: {}, 404: {}, 410: {}, 413: {}, 501: {}, 503: {}},
)
async def exchange(secret: str, request: Request) -> JSONResponse:
    """VC-API exchange: ``{}`` -> a DIDAuthentication request; a DIDAuth VP -> the diploma bound
    to the holder's DID (in a VP; the bare VC to a bare VP, as the DCC's service answers)."""
    state = state_of(request)
    base_url(state)
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        raise _problem(400, "the body is not JSON", "PARSING_ERROR") from None
    try:
        answer, _ = await anyio.to_thread.run_sync(lambda: _claim(state, secret, body))
    except StoreBusyError:
        raise
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})
