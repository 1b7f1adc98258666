"""Remote lookups, off by default: everything remote goes through an injected fetcher.

credkit never reaches the network unless the caller hands it a fetcher (the CLI's
``--allow-network``). The HTTP fetcher applies the one fetch policy (:mod:`credkit.netpolicy`):
https only, public addresses only, pinned connections, checked redirects, a timeout, a total
deadline and a size cap, so a hostile DID or status URL can neither hang or flood us nor reach
into the verifier's own network.
"""

from __future__ import annotations

from typing import Protocol

from credkit.errors import NetworkDisabledError
from credkit.netpolicy import MAX_BYTES, FetchError, NetPolicy

__all__ = ["MAX_BYTES", "FetchError", "Fetcher", "HttpFetcher", "NetPolicy", "NoNetwork"]


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
    """GET under :class:`~credkit.netpolicy.NetPolicy`; ``what`` names the document in errors.

    ``allow_http`` (development only) and ``allow_private_network`` relax the policy; a full
    ``policy`` replaces it (tests inject a resolver and a transport there).
    """

    def __init__(
        self,
        *,
        timeout: float = 5.0,
        max_bytes: int = MAX_BYTES,
        allow_http: bool = False,
        allow_private_network: bool = False,
        deadline: float = 15.0,
        what: str = "document",
        policy: NetPolicy | None = None,
    ) -> None:
        self.policy = policy or NetPolicy(
            allow_http=allow_http,
            allow_private_network=allow_private_network,
            timeout=timeout,
            deadline=deadline,
            max_bytes=max_bytes,
        )
        self.what = what

    @property
    def max_bytes(self) -> int:
        return self.policy.max_bytes

    def __call__(self, url: str) -> bytes:
        return self.policy.fetch(url, self.what)
