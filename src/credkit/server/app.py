"""The ASGI app: VC-API, hosted material and the verification page, in one FastAPI instance.

``create_app(config)`` builds everything from a :class:`ServerConfig`; the CLI runs it with
uvicorn. The OpenAPI description is at ``/openapi.json``. FastAPI's interactive ``/docs`` and
``/redoc`` are off: they load their scripts and styles from a CDN with no Content-Security-Policy,
so every visitor would run third-party code on the service's origin (and they do not work offline).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from credkit import __version__
from credkit.issuer.hosting import did_document_path
from credkit.server import claim, errors, exchanges, hosting, offers, oid4vci, pages, vcapi
from credkit.server.exchange_cors import ExchangeCors
from credkit.server.limits import BodyLimit, NoTokensInUrl
from credkit.server.state import ServerConfig, ServerState, load_tokens

WORKER_CONFIG_ENV = "CREDKIT_SERVE_CONFIG"

DESCRIPTION = """
Issue and verify W3C Verifiable Credential 2.0 diplomas (Open Badges 3.0) with Data Integrity
EdDSA proofs. Issuing and status changes need `Authorization: Bearer TOKEN`; verifying is open.
Employers can use the form at `/verify`.
"""


class HeadAsGet:
    """ASGI middleware: ``HEAD`` is answered as ``GET`` would be, without the body.

    RFC 9110 §9.3.2: a server SHOULD send the same header fields for HEAD as for GET. FastAPI
    routes declared with ``@get`` refuse HEAD with 405, which breaks link checkers and caches
    probing pages, lists and diplomas. The route runs as a GET (all GET routes are safe) and
    the body is dropped; Content-Length still says what a GET would carry.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def no_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, no_body)


def create_app(config: ServerConfig | None = None) -> FastAPI:
    """A ready app; raises a credkit error when the workspace or trust lists cannot be read."""
    config = config or ServerConfig()
    state = ServerState(config)
    app = FastAPI(
        title="credkit",
        version=__version__,
        description=DESCRIPTION,
        # off: the Swagger UI / ReDoc pages pull scripts from a CDN (issue 14); the JSON stays
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "VC-API", "description": "W3C CCG VC-API: issue, verify, status"},
            {"name": "hosting", "description": "What the issuer publishes"},
            {"name": "OpenID4VCI", "description": "OpenID4VCI 1.0: diplomas into wallets"},
        ],
    )
    app.state.credkit = state
    errors.install(app, pages.error_page)
    app.include_router(vcapi.router)
    app.include_router(hosting.router)
    app.include_router(pages.router)
    app.include_router(offers.router)  # claim offers into wallets (issue 18)
    app.include_router(exchanges.router)  # VC-API exchange (Learner Credential Wallet)
    app.include_router(claim.router)
    app.include_router(oid4vci.router)  # OpenID4VCI 1.0 pre-authorized code flow
    did_paths = {"/.well-known/did.json"}
    if state.ws is not None:
        own = did_document_path(state.ws)
        if own:
            did_paths.add(own)
    for path in sorted(did_paths):
        hosting.add_did_route(app.router, path)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse(
            {
                "ok": True,
                "issuer": state.ws.issuer_did if state.ws else None,
                "issuing": state.issuing,
            }
        )

    app.add_middleware(BodyLimit, max_body=config.max_body)
    if config.cors_origins:
        # only the origins the operator names may call the VC-API from a browser (their
        # preflight is answered); with none named, a preflight is refused as before
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    app.add_middleware(ExchangeCors)  # /exchanges/{secret} only: browser wallets (any origin)
    app.add_middleware(HeadAsGet)
    app.add_middleware(NoTokensInUrl)  # outermost: refused before anything reads the request
    return app


def worker_settings(
    issuer_dir: str | None,
    token_file: str | None,
    trust: tuple[str, ...],
    anchors: tuple[str, ...],
    allow_network: bool,
    allow_private_network: bool = False,
    cors_origins: tuple[str, ...] = (),
) -> str:
    """What ``credkit serve --workers N`` hands each worker process (JSON, no secrets in it).

    Tokens are not copied: each worker reads the token file (and ``CREDKIT_API_TOKEN``) itself.
    """
    return json.dumps(
        {
            "issuer_dir": str(Path(issuer_dir).resolve()) if issuer_dir else None,
            "token_file": str(Path(token_file).resolve()) if token_file else None,
            "trust": [str(Path(t).resolve()) for t in trust],
            "anchors": list(anchors),
            "allow_network": allow_network,
            "allow_private_network": allow_private_network,
            "cors_origins": list(cors_origins),
        }
    )


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn factory): its own state, store connections, caches.

    Nothing is shared between workers but the store file; SQLite serializes writers across
    processes, and every cache is keyed on the store's version or the request itself.
    """
    raw = json.loads(os.environ[WORKER_CONFIG_ENV])
    config = ServerConfig(
        issuer_dir=Path(raw["issuer_dir"]) if raw["issuer_dir"] else None,
        # the parent already checked (and warned about) the file's mode; no warning per worker
        tokens=load_tokens(raw["token_file"], dict(os.environ), check_mode=False),
        trust=tuple(raw["trust"]),
        anchors=tuple(raw["anchors"]),
        allow_network=bool(raw["allow_network"]),
        allow_private_network=bool(raw.get("allow_private_network", False)),
        cors_origins=tuple(raw.get("cors_origins", ())),
    )
    return create_app(config)
