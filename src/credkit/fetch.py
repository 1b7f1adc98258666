"""Remote lookups, off by default: everything remote goes through an injected fetcher.

credkit never reaches the network unless the caller hands it a fetcher (the CLI's
``--allow-network``). The HTTP fetcher is bounded in time and size, and refuses plain http and
non-default schemes unless told otherwise, so a hostile DID or status URL cannot hang or flood us.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Protocol

from credkit.errors import NetworkDisabledError

MAX_BYTES = 1 << 20


class FetchError(Exception):
    """A remote document could not be fetched; the message says why, in one line."""


class Fetcher(Protocol):
    def __call__(self, url: str) -> bytes: ...


class NoNetwork:
    """The default: every remote lookup is refused, naming the URL and how to allow it."""

    def __call__(self, url: str) -> bytes:
        raise NetworkDisabledError(
            f"{url} would have to be fetched from the network, which is off "
            "(pass --allow-network, or give the document locally)"
        )


class HttpFetcher:
    """urllib GET with a timeout, a size cap and https only (unless ``allow_http``)."""

    def __init__(
        self, *, timeout: float = 5.0, max_bytes: int = MAX_BYTES, allow_http: bool = False
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.allow_http = allow_http

    def __call__(self, url: str) -> bytes:
        schemes = ("https://", "http://") if self.allow_http else ("https://",)
        if not url.startswith(schemes):
            raise FetchError(f"refusing to fetch {url}: only {', '.join(schemes)} URLs")
        request = urllib.request.Request(
            url, headers={"Accept": "application/json, application/ld+json, application/vc"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body: bytes = response.read(self.max_bytes + 1)
        except urllib.error.HTTPError as exc:
            raise FetchError(f"{url}: HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise FetchError(f"{url}: {reason}") from None
        if len(body) > self.max_bytes:
            raise FetchError(f"{url}: response larger than {self.max_bytes} bytes")
        return body
