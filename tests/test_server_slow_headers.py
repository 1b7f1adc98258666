"""A client that trickles its request headers is cut off at the deadline, on a fresh connection and
on a kept-alive one; a client that sends its headers in time is served (issue 14).

A real uvicorn server on 127.0.0.1 with credkit's protocol classes and a short deadline.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from credkit.server import slowpeers
from ports import free_port as _free_port

DEADLINE = 0.6


async def _app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await send({"type": "http.response.body", "body": b"ok"})


class _FastH11(slowpeers.H11HeaderDeadline):
    header_deadline = DEADLINE


class _FastHttpTools(slowpeers.HttpToolsHeaderDeadline):
    header_deadline = DEADLINE


@pytest.fixture(params=[_FastH11, _FastHttpTools], ids=["h11", "httptools"])
def server(request: pytest.FixtureRequest) -> Iterator[int]:
    port = _free_port()
    config = uvicorn.Config(
        _app, host="127.0.0.1", port=port, http=request.param, log_level="error", lifespan="off"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(srv.serve()), daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.02)
    yield port
    srv.should_exit = True
    thread.join(5)


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closed the connection within ``seconds``, and what it sent first."""
    sock.settimeout(seconds)
    got = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return True, got
            got += chunk
    except TimeoutError:
        return False, got
    except ConnectionResetError:
        return True, got


def _response(sock: socket.socket) -> bytes:
    """One whole response of the test app (it ends with its 2-byte body)."""
    sock.settimeout(2)
    got = b""
    while not got.endswith(b"\r\n\r\nok"):
        chunk = sock.recv(4096)
        assert chunk, f"connection closed after {got!r}"
        got += chunk
    return got


def test_half_a_request_line_is_cut_off_at_the_deadline(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        start = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        closed, _ = _closed_within(sock, DEADLINE * 5)
        assert closed
        assert DEADLINE * 0.8 <= time.monotonic() - start < DEADLINE * 4


def test_a_header_trickled_byte_by_byte_is_still_cut_off(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        start = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\n")
        closed = False
        for _ in range(40):  # a byte every 0.1 s: each arrives well within any idle timeout
            try:
                sock.sendall(b"a")
            except OSError:
                closed = True
                break
            time.sleep(0.1)
            sock.settimeout(0.001)
            try:
                if sock.recv(4096) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
        assert closed
        assert time.monotonic() - start < DEADLINE * 4


def test_a_kept_alive_connection_gets_the_deadline_again(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert _response(sock).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET / HTTP/1.1\r\nHo")
        closed, _ = _closed_within(sock, DEADLINE * 5)
        assert closed


def test_headers_in_time_are_served_and_the_connection_kept(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        for _ in range(3):
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert _response(sock).startswith(b"HTTP/1.1 200")
            time.sleep(DEADLINE / 3)


def test_serve_uses_the_deadline_protocol() -> None:
    assert issubclass(slowpeers.protocol(), slowpeers._Deadline)
    assert slowpeers.HEADER_DEADLINE_S <= 30
