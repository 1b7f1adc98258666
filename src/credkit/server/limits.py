"""Request limits, enforced before any framework code parses a body.

A body over the limit gets 413 and is never kept: a modestly oversized one is read and dropped
first (so clients that send everything before reading see the 413), a flood is cut off.
JSON nested deeper than a verifier would accept is refused with 400 here, because the standard
library's parser answers very deep nesting with a ``RecursionError`` that a framework would turn
into a 500.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from credkit.verify.checks import json_text_depth

MAX_JSON_DEPTH = 64
DRAIN_FACTOR = 8  # bodies up to 8x the limit are read to the end (and dropped) before 413


def json_depth(body: bytes) -> int:
    """Nesting depth of JSON text, counted without parsing (strings removed first)."""
    return json_text_depth(body)


async def _answer(send: Send, status: int, detail: str, code: str) -> None:
    body = json.dumps({"detail": detail, "code": code}).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# A request body must arrive within this many seconds: a client trickling a byte at a time would
# otherwise hold a worker's connection (and the memory of its partial body) indefinitely.
BODY_DEADLINE_S = 10.0


class BodyLimit:
    """ASGI middleware: at most ``max_body`` bytes per request body, JSON at most 64 deep, the
    whole body within ``deadline`` seconds (408 otherwise)."""

    def __init__(
        self,
        app: ASGIApp,
        max_body: int,
        max_depth: int = MAX_JSON_DEPTH,
        deadline: float = BODY_DEADLINE_S,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_depth = max_depth
        self.deadline = deadline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        too_big = f"request body over the {self.max_body}-byte limit"
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                if int(declared) > DRAIN_FACTOR * self.max_body:
                    await _answer(send, 413, too_big, "PAYLOAD_TOO_LARGE")
                    return
            except ValueError:
                await _answer(send, 400, "Content-Length is not a number", "BAD_REQUEST")
                return
        body = bytearray()
        seen = 0
        more = True
        try:
            with anyio.fail_after(self.deadline):
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    chunk = message.get("body", b"")
                    seen += len(chunk)
                    if seen <= self.max_body:
                        body += chunk
                    elif seen > DRAIN_FACTOR * self.max_body:
                        break  # stop reading a flood; the answer goes out, the connection closes
                    more = bool(message.get("more_body", False))
        except TimeoutError:
            why = f"the request body did not arrive within {self.deadline:g} s"
            await _answer(send, 408, why, "REQUEST_TIMEOUT")
            return
        if seen > self.max_body:
            # the rest was read and dropped, so a simple client that sends everything before
            # reading sees this answer instead of a broken pipe
            await _answer(send, 413, too_big, "PAYLOAD_TOO_LARGE")
            return
        content_type = headers.get(b"content-type", b"").lower()
        if b"json" in content_type and json_depth(bytes(body)) > self.max_depth:
            await _answer(
                send, 400, f"JSON nested deeper than {self.max_depth} levels", "PARSING_ERROR"
            )
            return
        await self.app(scope, _replay(bytes(body), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            message: dict[str, Any] = {"type": "http.request", "body": body, "more_body": False}
            return message
        return await receive()

    return replay


# --- secrets never travel in URLs --------------------------------------------------------------

# query parameters that carry a credential in the usual conventions (RFC 6750 §2.3 names
# ``access_token``; the rest are common spellings). URLs end up in access logs, proxy logs,
# browser history and Referer headers, so a token in one is a leaked token.
TOKEN_PARAMS = frozenset(
    {
        "token",
        "access_token",
        "accesstoken",
        "api_token",
        "api-token",
        "apitoken",
        "api_key",
        "api-key",
        "apikey",
        "auth",
        "authorization",
        "bearer",
        "bearer_token",
        "id_token",
        "refresh_token",
    }
)


def token_params(query_string: bytes) -> list[str]:
    """Names of credential-carrying parameters in a raw query string (case-insensitive)."""
    from urllib.parse import parse_qsl

    text = query_string.decode("latin-1")
    names = [k for k, _ in parse_qsl(text, keep_blank_values=True)]
    return sorted({n for n in names if n.strip().lower() in TOKEN_PARAMS})


class NoTokensInUrl:
    """ASGI middleware: a request carrying a token in its query string is refused with 400.

    The server reads tokens from the ``Authorization`` header only (RFC 6750 §2.1); refusing
    the URL form outright (instead of ignoring it) tells the client its token has leaked.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            found = token_params(scope["query_string"])
            if found:
                await _answer(
                    send,
                    400,
                    f"credentials are not accepted in URLs (query parameter {found[0]!r}): send "
                    "Authorization: Bearer TOKEN, and replace the token, which may now be logged",
                    "TOKEN_IN_URL",
                )
                return
        await self.app(scope, receive, send)


def loggable_path(path: str) -> str:
    """A request path fit for a log line: a claim link's secret (a capability) replaced by …"""
    return CAPABILITY_PATH.sub(r"\1…", path)


class QuerylessAccessLog(logging.Filter):
    """Access-log filter: the request line is logged without its query string.

    uvicorn logs ``(client, method, path?query, version, status)``; the query is replaced by
    ``?…`` so nothing a client put in a URL (a token, an e-mail address) reaches the log.
    Headers (``Authorization`` among them) are never part of the access line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2]
            if "?" in path:
                path = path.split("?", 1)[0] + "?…"
            # a claim link's secret is a capability (issue 18): /claim/…, /exchanges/…
            record.args = (*args[:2], loggable_path(path), *args[3:])
        return True


# paths whose last segment is a claim offer's secret (credkit.issuer.offers): the link is the
# capability, so the access log keeps only the prefix
CAPABILITY_PATH = re.compile(r"(/(?:claim|exchanges|oid4vci/offers)/)[^/?]+")


def log_config() -> dict[str, Any]:
    """uvicorn's logging settings with :class:`QuerylessAccessLog` on the access handler."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["queryless"] = {"()": QuerylessAccessLog}
    config["handlers"]["access"]["filters"] = ["queryless"]
    return config
