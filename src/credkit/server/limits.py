"""Request limits, enforced before any framework code parses a body.

A body over the limit gets 413 and is never kept: a modestly oversized one is read and dropped
first (so clients that send everything before reading see the 413), a flood is cut off.
JSON nested deeper than a verifier would accept is refused with 400 here, because the standard
library's parser answers very deep nesting with a ``RecursionError`` that a framework would turn
into a 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_JSON_DEPTH = 64
DRAIN_FACTOR = 8  # bodies up to 8x the limit are read to the end (and dropped) before 413
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(rb"[\[\]{}]")


def json_depth(body: bytes) -> int:
    """Nesting depth of JSON text, counted without parsing (strings removed first)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub(b"", body)):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


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


class BodyLimit:
    """ASGI middleware: at most ``max_body`` bytes per request body, JSON at most 64 deep."""

    def __init__(self, app: ASGIApp, max_body: int, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_body = max_body
        self.max_depth = max_depth

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
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen <= self.max_body:
                body += chunk
            elif seen > DRAIN_FACTOR * self.max_body:
                break  # stop reading a flood; the answer goes out and the connection closes
            more = bool(message.get("more_body", False))
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
