"""The claim page a graduate opens from the email: which diploma, and one way in per wallet.

Server-rendered like the verification page (pages.py): no scripts, every value escaped, inline
SVG QR codes (the CSP allows no loads), ``no-store`` and ``no-referrer`` because the URL itself is
the capability. An unknown, used, withdrawn or expired link gets a plain page with 404 or 410 and
no links at all.
"""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from credkit.issuer.offers import oid4vci_offer_link
from credkit.server.errors import ApiError
from credkit.server.exchanges import (
    base_url,
    direct_challenge,
    lcw_links,
    service_domain,
    state_of,
    usable_offer,
)
from credkit.server.pages import HEADERS, _page
from credkit.server.state import ServerState
from credkit.share.qr_image import make_symbol, svg
from credkit.share.render import escape as _e

router = APIRouter(include_in_schema=False)
FOOTER = (
    "Served by credkit for the issuer. The diploma goes only to the wallet you choose; this page "
    "stores nothing about you."
)


def _qr(text: str, title: str) -> str:
    return svg(make_symbol(text, ecc="L"), scale=3, title=title, xml_declaration=False)


def _way(title: str, lead: str, link: str, *, href: bool = True, label: str = "Open") -> str:
    anchor = f'<p><a href="{_e(link)}">{_e(label)}</a></p>' if href else ""
    return (
        f'<section class="result"><h2>{_e(title)}</h2><p>{_e(lead)}</p>{anchor}'
        f'<div class="qr">{_qr(link, title)}</div>'
        f"<details><summary>The link as text</summary><code>{_e(link)}</code></details></section>"
    )


def _subject(doc: dict[str, object]) -> tuple[str, str]:
    subject = doc.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, dict) else {}
    what = achievement.get("name") or doc.get("name") or "Diploma"
    who = subject.get("name") or ""
    return str(what), str(who)


def _render(state: ServerState, secret: str) -> str:
    store = state.store()
    offer = usable_offer(store, secret)
    record = store.credential(offer.credential_id)
    if record is None:
        raise ApiError(404, "the diploma is no longer in the store", "NO_DIPLOMA")
    what, who = _subject(record.json())
    issuer = state.ws.issuer_name if state.ws is not None else ""
    oid4vci = oid4vci_offer_link(base_url(state), secret)
    head = (
        f"<h1>Add your diploma to your wallet</h1>"
        f'<p class="lead"><strong>{_e(what)}</strong>'
        f"{' for ' + _e(who) if who else ''}, issued by {_e(issuer)}.</p>"
        "<p>This link works once and expires on "
        f"{_e(offer.expires_at[:10])}. The wallet that claims it proves its own identifier "
        "(DID); the diploma it receives names that DID as its holder. Do not forward this "
        "link: whoever claims it first gets the diploma in their wallet. Opening this page "
        "does not use the link up.</p>"
    )
    ways = ""
    if offer.has_tx_code:
        # only OID4VCI carries the out-of-band code (exchanges.py refuses VC-API with 403)
        head += "<p>Your wallet will ask for the code the issuer sent you separately.</p>"
    else:
        challenge = direct_challenge(store, offer, service_domain(state))
        links = lcw_links(state, secret, challenge)
        ways = (
            _way(
                "Learner Credential Wallet",
                "On your phone: tap the button (or scan the code with the camera); the wallet "
                "opens and asks which profile receives the diploma. The code works for 30 "
                "minutes; reload this page for a new one.",
                links["lcw"],
                label="Add to Learner Credential Wallet",
            )
            + _way(
                "Learner Credential Wallet: scan from the app",
                "In the wallet: Add credential, Scan QR code.",
                links["dccrequest"],
                href=False,
            )
            + _way(
                "Other VC-API wallets (CHAPI request)",
                "Wallets that take a credential request with a VC-API exchange URL.",
                links["chapi"],
                href=False,
            )
        )
    body = (
        head
        + ways
        + _way(
            "OpenID4VCI wallets",
            "EU Digital Identity and other OpenID for Verifiable Credential Issuance wallets: "
            "scan the code from the wallet.",
            oid4vci,
            label="Open in an OpenID4VCI wallet",
        )
    )
    return _page("Add your diploma to your wallet", body, issuer_name=issuer or None, footer=FOOTER)


@router.get("/claim/{secret}", response_class=HTMLResponse)
async def claim_page(secret: str, request: Request) -> HTMLResponse:
    """The graduate's page: the diploma and each wallet's link and QR code."""
    state = state_of(request)
    try:
        page = await anyio.to_thread.run_sync(lambda: _render(state, secret))
    except ApiError as exc:
        gone = _page(
            "Claim link",
            f"<h1>This claim link cannot be used</h1><p>{_e(exc.detail)}</p>"
            "<p>Ask the issuer for a new link if you still need the diploma in a wallet.</p>",
            footer=FOOTER,
        )
        return HTMLResponse(gone, status_code=exc.status, headers=HEADERS)
    return HTMLResponse(page, headers=HEADERS)
