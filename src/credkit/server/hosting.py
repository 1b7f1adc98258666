"""What the issuer publishes: status lists, the did:web document, the profile, hosted diplomas.

All of it is public by design, so it is served with ``Access-Control-Allow-Origin: *`` (a
verifier running in someone's browser may fetch it) and a short cache lifetime. A hosted diploma
is one URL for people and programs alike: a browser asking for HTML gets the printable page with
a live verification; anything asking for JSON gets the signed credential, byte for byte.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from credkit.issuer.hosting import STATUS_TTL_MS, did_document, issuer_profile, stored_document
from credkit.server.errors import ApiError
from credkit.server.state import ServerState
from credkit.share.qr_payload import LINK_ID_RE
from credkit.share.render import PAGE_CSP
from credkit.verify.report import render_status

router = APIRouter()
PUBLIC = {"Access-Control-Allow-Origin": "*"}
MAX_LIST_ID = (1 << 63) - 1
VC_TYPES = ("application/vc", "application/vc+ld+json", "application/ld+json", "application/json")


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.credkit
    return state


def _need_issuer(state: ServerState) -> None:
    if state.ws is None:
        raise ApiError(
            404, "this server publishes nothing: it has no issuer workspace", "NOT_FOUND"
        )


def _media(accept: str, default: str = "application/vc+ld+json") -> str:
    """``application/vc`` when the client names it (VC DM 2.0 REC), else the OB 3.0 type."""
    names = [p.split(";")[0].strip().lower() for p in accept.split(",")]
    return "application/vc" if "application/vc" in names else default


def wants_html(accept: str) -> bool:
    """True when the client prefers HTML to JSON (what a browser opening a QR link sends)."""
    best_html = best_json = None
    for position, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        kind = fields[0].lower()
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        rank = (q, -position)
        if kind in ("text/html", "application/xhtml+xml"):
            best_html = max(best_html or rank, rank)
        elif kind in VC_TYPES:
            best_json = max(best_json or rank, rank)
    if best_html is None:
        return False
    return best_json is None or best_html > best_json


def _vc_response(body: bytes, accept: str, extra: dict[str, str] | None = None) -> Response:
    headers = {**PUBLIC, "Cache-Control": "public, max-age=300", **(extra or {})}
    return Response(body, media_type=_media(accept), headers=headers)


@router.get("/status/{list_id}", tags=["hosting"], responses={404: {}})
def status_list(list_id: int, request: Request) -> Response:
    """A signed BitstringStatusListCredential, re-signed whenever the store changed."""
    state = _state(request)
    _need_issuer(state)
    if not 0 < list_id <= MAX_LIST_ID:
        # list ids are SQLite rowids: anything outside 1..2**63-1 names no list (and would not
        # even fit the query: a 500 for a typo in a URL)
        raise ApiError(404, "no such status list", "NOT_FOUND")
    assert state.table is not None and state.signer is not None
    _, moved = state.key_set_moved()
    if moved:
        raise ApiError(503, moved, "KEY_SET_CHANGED")
    max_age = STATUS_TTL_MS // 1000  # the list's ttl (BSL §2.2): caches keep it as long
    headers = {"Cache-Control": f"public, max-age={max_age}"}
    shared = state.table.lists  # a PostgreSQL store shared by replicas
    found = shared.published(list_id) if shared is not None else None
    if found is not None:
        # the elected publisher's bytes for this version: every replica serves the same list,
        # so the version names the representation (a strong ETag)
        version, body = found
        headers["ETag"] = f'"{list_id}.{version}"'
        if request.headers.get("if-none-match") == headers["ETag"]:
            return Response(status_code=304, headers={**PUBLIC, **headers})
    else:
        signed = state.signer.signed(state.table, list_id)
        if signed is None:
            raise ApiError(404, f"no status list {list_id}", "NOT_FOUND")
        body = json.dumps(signed, ensure_ascii=False).encode("utf-8")
    return _vc_response(body, request.headers.get("accept", ""), headers)


def did_json(request: Request) -> Response:
    """The did:web document of the issuer (404 for a did:key issuer: nothing to publish)."""
    state = _state(request)
    _need_issuer(state)
    ws, moved = state.key_set_moved()
    if moved:
        raise ApiError(503, moved, "KEY_SET_CHANGED")
    assert ws is not None and state.key is not None
    document = did_document(ws, state.key)
    if document is None:
        raise ApiError(
            404,
            f"the issuer is {ws.issuer_did}; a did:key needs no published document",
            "NOT_FOUND",
        )
    return JSONResponse(
        document,
        media_type="application/did+json",
        headers={**PUBLIC, "Cache-Control": "public, max-age=300"},
    )


@router.get("/issuer", tags=["hosting"])
def issuer(request: Request) -> JSONResponse:
    """The issuer's Open Badges Profile (id, name, url)."""
    state = _state(request)
    _need_issuer(state)
    assert state.ws is not None
    return JSONResponse(issuer_profile(state.ws), headers=PUBLIC)


def hosted(state: ServerState, ident: str) -> tuple[dict[str, Any], bytes]:
    """The hosted credential (parsed, and the exact stored bytes), or 404."""
    ident = ident.lower()
    if state.table is None or not LINK_ID_RE.match(ident):
        raise ApiError(404, "no diploma is hosted at this address", "NOT_FOUND")
    credential_id = state.table.lookup(ident)
    if credential_id is None:
        raise ApiError(404, "no diploma is hosted at this address", "NOT_FOUND")
    record = state.store().credential(credential_id)
    if record is None or record.document is None:
        raise ApiError(404, "no diploma is hosted at this address", "NOT_FOUND")
    return stored_document(state.store(), credential_id), bytes(record.document)


def diploma_page(state: ServerState, credential: dict[str, Any], ident: str) -> str:
    """The printable diploma with its QR link and a verification made just now."""
    from credkit.share.linkedin import linkedin_link
    from credkit.share.qr import make_symbol, svg
    from credkit.share.render import render_html

    link = state.link_for(ident)
    qr_svg = svg(make_symbol(link, ecc="Q"), xml_declaration=False) if link else None
    result = state.verifier().verify_credential(credential)
    checked = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return render_html(
        credential,
        qr_svg=qr_svg,
        link=link,
        verification=render_status(result, checked),
        linkedin=linkedin_link(credential, state.ws.base_url if state.ws else None),
        wallet_hint=True,
    )


@router.get("/c/{ident}", tags=["hosting"], responses={404: {}})
def hosted_diploma(ident: str, request: Request) -> Response:
    """A hosted diploma: the page for browsers, the signed JSON for programs (``.json`` too)."""
    state = _state(request)
    as_json = ident.endswith(".json")
    ident = ident.removesuffix(".json").removesuffix(".html")
    credential, raw = hosted(state, ident)
    accept = request.headers.get("accept", "")
    if not as_json and wants_html(accept):
        return HTMLResponse(
            diploma_page(state, credential, ident),
            headers={
                # the page's own <meta> policy, also as a header: a meta tag cannot forbid framing
                "Content-Security-Policy": f"{PAGE_CSP}; frame-ancestors 'none'",
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
                "Vary": "Accept",
            },
        )
    return _vc_response(raw, accept, {"Vary": "Accept", "Cache-Control": "no-store"})


def add_did_route(router_: APIRouter, path: str) -> None:
    router_.add_api_route(path, did_json, methods=["GET"], tags=["hosting"])
