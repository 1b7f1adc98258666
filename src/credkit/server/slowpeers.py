"""A deadline for request headers, so a client trickling a header a byte at a time cannot hold a
connection open indefinitely.

uvicorn times out idle keep-alive connections and nothing else: a connection that sends half a
request line and then waits is kept for ever, and a few thousand of them exhaust the worker's file
descriptors. The body has its own deadline (:class:`credkit.server.limits.BodyLimit`, in the ASGI
layer); the headers come before any ASGI code runs, so their deadline lives in the HTTP protocol.
The clock starts when the connection opens and again after every response, stops when a request's
headers are complete, and closes the connection when it runs out.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_DEADLINE_S = 10.0


class _Deadline:
    """The timer shared by both protocol classes (a mixin, first in the bases)."""

    header_deadline: float = HEADER_DEADLINE_S
    _header_timer: asyncio.TimerHandle | None = None
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def _arm(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self._header_timer = self.loop.call_later(self.header_deadline, self._headers_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        self.transport.close()

    # cooperative: the uvicorn protocol after this mixin in the bases does the real work
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]


class H11HeaderDeadline(_Deadline, H11Protocol):
    """uvicorn's h11 protocol with the header deadline."""

    def handle_events(self) -> None:
        super().handle_events()
        # the client is past its request line and headers once h11 leaves IDLE for them
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.IDLE:
            self._arm()


class HttpToolsHeaderDeadline(_Deadline, HttpToolsProtocol):
    """uvicorn's httptools protocol (its choice when httptools is installed, as the server extra
    does) with the header deadline."""

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()


def protocol() -> type[asyncio.Protocol]:
    """The HTTP protocol class for ``uvicorn.run(http=...)``: httptools, as uvicorn's own "auto"
    would choose with the server extra installed, with the header deadline."""
    return HttpToolsHeaderDeadline
