"""A client that trickles its request body is cut off with 408, not kept forever (issue 14)."""

from __future__ import annotations

import time
from typing import Any

import anyio

from credkit.server.limits import BodyLimit


async def _never_called(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("the app must not see a body that never arrived")


def _run(chunks: list[tuple[float, bytes, bool]], deadline: float) -> tuple[list[Any], float]:
    """Drive the middleware with a receive that waits before each chunk; return what it sent."""
    sent: list[Any] = []
    queue = list(chunks)

    async def receive() -> Any:
        delay, body, more = queue.pop(0)
        await anyio.sleep(delay)
        return {"type": "http.request", "body": body, "more_body": more}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "headers": [(b"content-type", b"application/json")]}
    middleware = BodyLimit(_never_called, max_body=1024, deadline=deadline)
    start = time.monotonic()
    anyio.run(middleware, scope, receive, send)
    return sent, time.monotonic() - start


def test_a_trickled_body_is_answered_408_at_the_deadline() -> None:
    chunks = [(0.1, b"{", True)] * 50 + [(0.1, b"}", False)]
    sent, took = _run(chunks, deadline=0.5)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 408
    assert b"did not arrive within 0.5 s" in b"".join(m.get("body", b"") for m in sent[1:])
    assert took < 2.0


def test_a_body_in_time_reaches_the_app() -> None:
    reached: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        reached.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> Any:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: Any) -> None:
        pass

    scope = {"type": "http", "method": "POST", "headers": [(b"content-type", b"application/json")]}
    anyio.run(BodyLimit(app, max_body=1024, deadline=0.5), scope, receive, send)
    assert reached == [b"{}"]
