"""Fetchers the verifier cannot be hung or flooded by: a time limit and a size cap around any.

A fetcher is caller code (an HTTP client, a test dict); a slow, huge or malformed answer from a
did:web host or status-list server must end in a clear failed check, never a hang (VC DI 1.0 §5
"security considerations": verification must not be a denial-of-service lever). Messages name the
host only (:func:`credkit.netpolicy.host_of`): never a port, a path's secrets or the fetcher's
internal error text, which could tell a closed port from a filtered one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from credkit.errors import CredkitError
from credkit.fetch import Fetcher, FetchError
from credkit.netpolicy import host_of


def bounded_call(
    call: Callable[[str], Any], timeout: float, what: str = "document"
) -> Callable[[str], Any]:
    """Run a fetcher in a daemon thread and stop waiting after ``timeout`` seconds.

    A fetcher is caller code; a slow did:web or status server must not hang the verdict.
    """

    def bounded(url: str) -> Any:
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = call(url)
            except BaseException as exc:  # handed back to the caller's thread
                box["error"] = exc

        worker = threading.Thread(target=run, daemon=True, name="credkit-fetch")
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise FetchError(
                f"could not fetch {what} from host {host_of(url)}: no answer within {timeout:g} s",
                unreachable=True,
            )
        if "error" in box:
            raise box["error"]
        return box["value"]

    return bounded


class SafeFetcher:
    """A DID-document fetcher that always returns bytes under a size cap, or FetchError."""

    def __init__(self, inner: Fetcher, timeout: float, max_bytes: int) -> None:
        self._call = bounded_call(inner, timeout, "DID document")
        self.max_bytes = max_bytes

    def __call__(self, url: str) -> bytes:
        failed = f"could not fetch DID document from host {host_of(url)}"
        try:
            body = self._call(url)
        except (CredkitError, FetchError):
            raise
        except Exception:  # caller code: its error text may carry ports or banners
            raise FetchError(failed) from None
        if not isinstance(body, bytes | bytearray):
            raise FetchError(f"{failed}: the fetcher returned {type(body).__name__}, not bytes")
        if len(body) > self.max_bytes:
            raise FetchError(f"{failed}: answer is over {self.max_bytes} bytes")
        return bytes(body)
