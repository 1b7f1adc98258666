"""Claim offers over the service API, for issuers who automate: create, list, revoke.

Same bearer-token auth as issuing (vcapi.require_issuer). The secret is in the answer to
``POST /offers`` only (inside the links, which are the capability); listings show offer ids.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from credkit.errors import StoreError
from credkit.issuer.offers import (
    REVOKED_DIPLOMA,
    OfferError,
    claim_page_url,
    exchange_url,
    oid4vci_offer_link,
    parse_lifetime,
    withheld,
)
from credkit.issuer.store import StoreBusyError
from credkit.server.errors import ApiError
from credkit.server.exchanges import base_url
from credkit.server.state import ServerState
from credkit.server.vcapi import require_issuer

router = APIRouter(tags=["wallets"])
DEFAULT_LIFETIME = "30d"


class OfferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    credentialId: str = Field(max_length=2048)  # noqa: N815 (VC-API naming)
    expires: str | int = Field(
        default=DEFAULT_LIFETIME, description="lifetime: 30d, 12h, 90m, 2w or seconds"
    )


def new_offer(state: ServerState, credential_id: str, lifetime: str | int) -> dict[str, Any]:
    """Create an offer; the links that carry its secret (returned once)."""
    base = base_url(state)
    store = state.store()
    try:
        life = parse_lifetime(lifetime)
    except StoreError as exc:
        raise ApiError(400, exc.message, "BAD_LIFETIME") from None
    if store.credential(credential_id) is None:
        raise ApiError(404, f"no credential {credential_id} was issued here", "NOT_FOUND")
    # a suspended diploma can be offered: the link works once it is reinstated (offers.withheld)
    if withheld(store, credential_id) == REVOKED_DIPLOMA:
        raise ApiError(409, "the diploma is revoked: it cannot be offered", "DIPLOMA_REVOKED")
    offer, secret = store.create_offer(credential_id, lifetime=life)
    return {
        "id": offer.id,
        "credentialId": credential_id,
        "claimUrl": claim_page_url(base, secret),
        "exchangeUrl": exchange_url(base, secret),
        "oid4vciOffer": oid4vci_offer_link(base, secret),
        "expiresAt": offer.expires_at,
    }


@router.post("/offers", status_code=201, responses={400: {}, 401: {}, 404: {}, 409: {}})
def create(
    body: OfferRequest, state: Annotated[ServerState, Depends(require_issuer)]
) -> JSONResponse:
    """A one-time claim offer for an issued diploma: its claim page, exchange and OID4VCI links."""
    return JSONResponse(
        new_offer(state, body.credentialId, body.expires),
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/offers", responses={401: {}})
def listing(
    state: Annotated[ServerState, Depends(require_issuer)],
    credentialId: str | None = None,  # noqa: N803
) -> dict[str, Any]:
    """Offers (all, or one diploma's), newest state first; no secrets."""
    return {"offers": [o.json() for o in state.store().offers(credentialId)]}


@router.post("/offers/{offer_id}/revoke", responses={401: {}, 404: {}, 409: {}})
def revoke(offer_id: str, state: Annotated[ServerState, Depends(require_issuer)]) -> dict[str, Any]:
    """Withdraw an unclaimed offer (a forwarded email, a graduate who asked)."""
    try:
        return state.store().revoke_offer(offer_id).json()
    except StoreBusyError:
        raise
    except OfferError as exc:
        status = 404 if exc.reason == "unknown" else 409
        raise ApiError(status, exc.message, f"OFFER_{exc.reason.upper()}") from None
