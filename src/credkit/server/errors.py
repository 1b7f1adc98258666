"""One error shape for every endpoint: ``{"detail": message, "code": CODE}`` and a status code.

Handlers turn credkit errors into 400s (a busy store into a 503), request-shape errors into 422s
with a readable sentence, and anything unforeseen into a logged 500 that says nothing about
internals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from credkit.errors import ContextError, CredkitError
from credkit.issuer.store import DuplicateCredentialError, StoreBusyError
from credkit.server.limits import loggable_path

log = logging.getLogger("credkit.server")


class ApiError(Exception):
    """An answer other than success, with the message the client should read."""

    def __init__(
        self, status: int, detail: str, code: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.headers = headers


def _json(status: int, detail: str, code: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": code, **extra}, status_code=status)


def _where(loc: Any) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


def install(app: FastAPI, error_page: Callable[[int, str], str]) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        response = _json(exc.status, exc.detail, exc.code)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(CredkitError)
    async def credkit_error(request: Request, exc: CredkitError) -> Response:
        if isinstance(exc, StoreBusyError):
            # another process holds the write lock: a retry will do; the message names no path
            log.warning(
                "issuer store busy on %s %s", request.method, loggable_path(request.url.path)
            )
            response = _json(503, "the issuer store is busy; try again shortly", exc.code)
            response.headers["Retry-After"] = "5"
            return response
        status = 422 if isinstance(exc, ContextError) else 400
        if isinstance(exc, DuplicateCredentialError):
            status = 409  # racing issues of one id: the loser is told of the conflict
        return _json(status, exc.message, exc.code, problem=exc.to_problem())

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = [f"{_where(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()]
        return _json(422, "invalid request: " + "; ".join(problems[:10]), "INVALID_REQUEST")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = str(exc.detail)
        if "text/html" in request.headers.get("accept", ""):  # the page comes from pages.py
            return HTMLResponse(error_page(exc.status_code, detail), status_code=exc.status_code)
        return _json(exc.status_code, detail, "HTTP_ERROR")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, loggable_path(request.url.path))
        return _json(500, "internal error (logged on the server)", "INTERNAL_ERROR")
