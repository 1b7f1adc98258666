"""CORS for the VC-API exchange only: browser wallets POST to ``/exchanges/{secret}`` from their
own origin.

A web wallet (a CHAPI wallet in a browser tab, or a wallet's web build) runs on its own origin,
which the issuer cannot list in advance, so the exchange answers every origin: ``*``. That is
safe because the exchange needs no ambient authority: the capability is the secret in the URL,
and the holder proves its DID inside the body. So the answer allows exactly what the flow needs
(Fetch standard, "CORS protocol"): method ``POST``, request header ``Content-Type`` (JSON is not
a CORS-safelisted type, hence the preflight), no credentials (``*`` makes browsers refuse
cookies and HTTP auth, and ``Access-Control-Allow-Credentials`` is never sent). Preflights asking
for anything else are refused without CORS headers, so the browser blocks the request. Nothing
else in the service gains CORS from this; the operator's ``--cors-origin`` list for the VC-API
is separate (``app.py``).
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

EXCHANGE_PATH = re.compile(r"/exchanges/[^/]+")
ALLOWED_METHOD = "POST"
ALLOWED_HEADERS = frozenset({"content-type"})
# a browser may cache the preflight this long (seconds); browsers cap it (Chromium: 2 hours)
MAX_AGE = "600"


def _preflight(headers: Headers) -> Response:
    method = headers.get("access-control-request-method", "")
    asked = {
        h.strip().lower() for h in headers.get("access-control-request-headers", "").split(",")
    }
    asked.discard("")
    if method != ALLOWED_METHOD or not asked <= ALLOWED_HEADERS:
        return JSONResponse(
            {
                "detail": "the exchange takes POST with a Content-Type header, nothing else",
                "code": "CORS_NOT_ALLOWED",
            },
            status_code=400,
        )
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": ALLOWED_METHOD,
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": MAX_AGE,
        },
    )


class ExchangeCors:
    """ASGI middleware: the CORS answers of ``/exchanges/{secret}``; other paths pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not EXCHANGE_PATH.fullmatch(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if "origin" not in headers:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await _preflight(headers)(scope, receive, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer = MutableHeaders(scope=message)
                answer["Access-Control-Allow-Origin"] = "*"
                # a 429/503 tells the wallet when to come back; let its script read that
                answer["Access-Control-Expose-Headers"] = "Retry-After"
                if "access-control-allow-credentials" in answer:  # never with "*"
                    del answer["access-control-allow-credentials"]
            await send(message)

        await self.app(scope, receive, with_cors)
