"""The one fetch policy every remote lookup goes through (did:web, status lists, QR links).

A hostile credential chooses the URLs credkit fetches, so a verifier with ``--allow-network`` must
not become a way into the machine's own network (SSRF: cloud metadata at 169.254.169.254, admin
ports on 127.0.0.1, the office LAN), nor a port scanner whose error messages tell a closed port
from a filtered one. The rules, in order, for the first URL and for every redirect:

- ``https`` only; plain ``http`` only when the caller opts in (development);
- no user-info in the URL; the host is resolved once, and every address it resolves to must be
  public (not loopback, private, shared, link-local, multicast, reserved or unspecified, in IPv4
  and IPv6, with IPv4 embedded in IPv6 checked too; numeric spellings such as ``2130706433`` or
  ``0x7f.1`` are read as the address they mean), unless ``allow_private_network``;
- the connection goes to an address that was checked (the transport is pinned to it: a second DNS
  answer cannot rebind the name), with the original ``Host`` header and TLS server name;
- at most ``max_redirects`` hops, a per-request timeout, a total deadline and a size cap;
- failures say ``could not fetch <what> from host <host>`` and at most a reason that is credkit's
  own decision (policy, size, deadline, HTTP status): never a port, a banner or a socket error.

httpx is imported on first use so that offline verification does not pay for it.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from credkit import deadline as work_deadline

if TYPE_CHECKING:
    import ssl

    import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str, int], Sequence[str]]
"""``(host, port)`` to the addresses to try, as strings (``socket.getaddrinfo`` by default)."""
TransportFactory = Callable[[Sequence[str]], "httpx.BaseTransport"]
"""Checked addresses to the transport that connects to them (and only them)."""

MAX_BYTES = 1 << 20
REDIRECTS = (301, 302, 303, 307, 308)
# Fetches from one host in flight at once, process-wide: a host that hangs then ties up at most
# this many of the verifier's threads, and every other request needing it is told at once.
MAX_PER_HOST = 4
_in_flight: dict[str, int] = {}
_in_flight_lock = threading.Lock()


@contextmanager
def _host_slot(host: str, limit: int, failed: FetchError) -> Iterator[None]:
    """One of ``limit`` slots for ``host``, or FetchError at once when all are taken."""
    with _in_flight_lock:
        if _in_flight.get(host, 0) >= limit:
            raise FetchError(
                f"{failed}: {limit} fetches from it are already in progress", unreachable=True
            )
        _in_flight[host] = _in_flight.get(host, 0) + 1
    try:
        yield
    finally:
        with _in_flight_lock:
            left = _in_flight[host] - 1
            if left:
                _in_flight[host] = left
            else:
                del _in_flight[host]


ACCEPT = "application/json, application/ld+json, application/vc"
_NUMERIC_HOST = re.compile(r"[0-9a-fx.]+")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class FetchError(Exception):
    """A remote document could not be fetched; the message says why, in one line.

    ``unreachable`` is True when no host answered (the name does not resolve, the policy refused
    it, the connection failed or timed out): nothing is known about the document. False when the
    host answered and what it said was refused (an HTTP error, too large, a bad redirect).
    """

    def __init__(self, message: str = "", *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


def host_of(url: str) -> str:
    """The host part of ``url`` for messages: no user-info, no port, no path."""
    try:
        host = urllib.parse.urlsplit(url).hostname
    except ValueError:
        host = None
    if not host:
        return "(none)"
    return f"[{host}]" if ":" in host else host


def literal_address(host: str) -> IPAddress | None:
    """The address a URL host spells as a number, in any form a C resolver would accept.

    ``ipaddress`` reads the canonical forms; ``inet_aton`` the legacy ones browsers and libc
    still take (``2130706433``, ``0x7f.1``, ``017700000001``, ``127.1``). A numeric-looking host
    that is neither is refused rather than sent to DNS.
    """
    name = host.strip("[]").removesuffix(".")
    if "%" in name:  # an IPv6 zone id names an interface of this machine
        raise FetchError("a zone id in the host")
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    labels = name.split(".")
    if _NUMERIC_HOST.fullmatch(name) and (labels[-1].isdigit() or labels[-1].startswith("0x")):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            raise FetchError("not a host name or an address") from None
    return None


def is_public(address: IPAddress) -> bool:
    """True for a globally reachable unicast address, with embedded IPv4 checked as well.

    IANA special-purpose registries (RFC 6890) via ``ipaddress``; the IPv4 inside a mapped
    (``::ffff:127.0.0.1``), 6to4, Teredo or NAT64 (RFC 6052) address must be public too.
    """
    if (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    ):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:
            return False
        embedded: list[ipaddress.IPv4Address] = []
        if address.ipv4_mapped is not None:
            embedded.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            embedded.append(address.sixtofour)
        if address.teredo is not None:
            embedded.extend(address.teredo)
        if address in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        return all(is_public(v4) for v4 in embedded)
    return True


def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (TCP), in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))


def default_ssl_context() -> ssl.SSLContext:
    """The system's trust store when ``SSL_CERT_FILE``/``SSL_CERT_DIR`` say so, else certifi's."""
    import ssl  # here, not at import: offline verification never needs it

    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context()
    try:
        import certifi
    except ImportError:  # pragma: no cover - httpx depends on certifi
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def pinned_transport(addresses: Sequence[str], ssl_context: ssl.SSLContext) -> httpx.BaseTransport:
    """An httpx transport whose every TCP connection goes to one of ``addresses``.

    httpcore still uses the URL's host for the ``Host`` header and the TLS server name (SNI and
    certificate check), so pinning changes where we connect, never what we ask for.
    """
    import httpcore
    import httpx

    class PinnedBackend(httpcore.SyncBackend):
        def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> httpcore.NetworkStream:
            last: Exception = httpcore.ConnectError("no address")
            for address in addresses:  # the checked ones, in the resolver's order
                try:
                    return super().connect_tcp(
                        address, port, timeout, local_address, socket_options
                    )
                except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                    last = exc
            raise last

    class Stream(httpx.SyncByteStream):
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def __iter__(self) -> Iterator[bytes]:
            yield from self._inner

        def close(self) -> None:
            if hasattr(self._inner, "close"):
                self._inner.close()

    class PinnedTransport(httpx.BaseTransport):
        def __init__(self) -> None:
            self._pool = httpcore.ConnectionPool(
                ssl_context=ssl_context,
                max_connections=1,
                retries=0,
                network_backend=PinnedBackend(),
            )

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            req = httpcore.Request(
                method=request.method,
                url=httpcore.URL(
                    scheme=request.url.raw_scheme,
                    host=request.url.raw_host,
                    port=request.url.port,
                    target=request.url.raw_path,
                ),
                headers=request.headers.raw,
                content=request.stream,
                extensions=request.extensions,
            )
            resp = self._pool.handle_request(req)
            return httpx.Response(
                status_code=resp.status,
                headers=resp.headers,
                stream=Stream(resp.stream),
                extensions=resp.extensions,
            )

        def close(self) -> None:
            self._pool.close()

    return PinnedTransport()


@dataclass
class NetPolicy:
    """Where and how credkit may fetch; one instance can serve many fetches (it keeps no state).

    ``resolve`` and ``transport`` are injectable so tests can show a refusal happens before any
    connection: the transport is only built for addresses that passed the check.
    """

    allow_http: bool = False
    allow_private_network: bool = False
    timeout: float = 5.0
    deadline: float = 15.0
    max_bytes: int = MAX_BYTES
    max_redirects: int = 3
    max_per_host: int = MAX_PER_HOST
    resolve: Resolve = system_resolve
    transport: TransportFactory | None = None
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False)

    def check(self, url: str, what: str = "document") -> tuple[str, list[str]]:
        """The host and the checked addresses for ``url``, or FetchError naming the rule broken."""
        host = host_of(url)

        def refuse(why: str) -> FetchError:
            return FetchError(f"could not fetch {what} from host {host}: {why}", unreachable=True)

        try:
            parts = urllib.parse.urlsplit(url)
            port = parts.port
        except ValueError:
            raise refuse("not a valid URL") from None
        schemes = ("https", "http") if self.allow_http else ("https",)
        if parts.scheme not in schemes:
            raise refuse(
                "only https URLs are fetched"
                if parts.scheme == "http"
                else f"only {' and '.join(schemes)} URLs are fetched"
            )
        name = parts.hostname
        if not name:
            raise refuse("no host")
        if parts.username is not None or parts.password is not None:
            raise refuse("user names in URLs are not followed")
        private = "a private or local network address (pass --allow-private-network to allow it)"
        try:
            literal = literal_address(name)
        except FetchError as exc:
            raise refuse(str(exc)) from None
        lowered = name.lower().removesuffix(".")
        if literal is not None:
            addresses = [str(literal)]
        else:
            if (lowered == "localhost" or lowered.endswith(".localhost")) and not (
                self.allow_private_network
            ):
                raise refuse(private)  # RFC 6761 §6.3: always loopback
            default_port = 443 if parts.scheme == "https" else 80
            try:
                addresses = list(self.resolve(name, port or default_port))
            except Exception:  # resolver failures: one message, no resolver detail
                raise refuse("the host name does not resolve") from None
            if not addresses:
                raise refuse("the host name does not resolve")
        checked: list[str] = []
        for text in addresses:
            try:
                address = ipaddress.ip_address(text)
            except ValueError:
                raise refuse("the host name does not resolve") from None
            if not self.allow_private_network and not is_public(address):
                raise refuse(private)
            checked.append(str(address))
        return host, checked

    def fetch(self, url: str, what: str = "document") -> bytes:
        """GET ``url`` under the policy: every hop checked, the answer's body or FetchError."""
        import httpx

        started = time.monotonic()
        budget = self.deadline  # the fetch's own deadline, or the caller's if that comes first
        outer = work_deadline.remaining()
        if outer is not None and outer < budget:
            budget = outer
        for _hop in range(self.max_redirects + 1):
            host, addresses = self.check(url, what)
            failed = FetchError(f"could not fetch {what} from host {host}")
            remaining = budget - (time.monotonic() - started)
            if remaining <= 0:
                raise FetchError(f"{failed}: no answer within {budget:.3g} s", unreachable=True)
            factory = self.transport or (
                lambda a: pinned_transport(a, self.ssl_context or default_ssl_context())
            )
            client = httpx.Client(
                transport=factory(addresses),
                timeout=httpx.Timeout(min(self.timeout, remaining)),
                follow_redirects=False,
                trust_env=False,  # an environment proxy would connect somewhere unchecked
            )
            try:
                with (
                    _host_slot(host, self.max_per_host, failed),
                    client,
                    client.stream(
                        "GET", url, headers={"Accept": ACCEPT, "Accept-Encoding": "identity"}
                    ) as response,
                ):
                    if response.status_code in REDIRECTS:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchError(f"{failed}: a redirect without a location")
                        url = urllib.parse.urljoin(url, location)
                        continue
                    if response.status_code != 200:
                        raise FetchError(f"{failed}: HTTP {response.status_code}")
                    return self._body(response, failed, started, budget)
            except FetchError:
                raise
            except Exception:  # connect, TLS, timeout, protocol: all the same to the caller
                if time.monotonic() - started >= budget:
                    raise FetchError(
                        f"{failed}: no answer within {budget:.3g} s", unreachable=True
                    ) from None
                raise FetchError(str(failed), unreachable=True) from None
        raise FetchError(
            f"could not fetch {what} from host {host_of(url)}: more than {self.max_redirects} "
            "redirects"
        )

    def _body(
        self, response: httpx.Response, failed: FetchError, started: float, budget: float
    ) -> bytes:
        """The body, read in chunks under the size cap and the total deadline."""
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise FetchError(f"{failed}: a compressed answer was not asked for")
        too_large = FetchError(f"{failed}: answer larger than {self.max_bytes} bytes")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > self.max_bytes:
                raise too_large
            if time.monotonic() - started > budget:
                raise FetchError(f"{failed}: no answer within {budget:.3g} s")
            chunks.append(chunk)
        return b"".join(chunks)
