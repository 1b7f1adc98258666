"""The fetch policy (credkit.netpolicy): where credkit may connect, and what its errors reveal.

Real sockets only on 127.0.0.1 (loopback is private, so those tests pass allow_private_network).
Private, link-local, mapped and public addresses are reached only through an injected resolver and
a recording transport factory: each refusal is asserted to happen before any transport exists,
so no test here sends a packet outside 127.0.0.0/8.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import httpx
import pytest
from click.testing import CliRunner

from credkit import status as bsl
from credkit.cli.verify import build_verifier, verify
from credkit.errors import DidResolutionError, StatusRetrievalError
from credkit.fetch import FetchError, HttpFetcher
from credkit.netpolicy import NetPolicy, is_public, literal_address

PUBLIC = "93.184.215.14"  # a global unicast address; only ever handed to a mock transport


class Recorder:
    """An injected resolver and transport factory that log every call; no socket is ever made."""

    def __init__(self, answers: dict[str, list[str]], handler: Any = None) -> None:
        self.answers = answers
        self.resolved: list[str] = []
        self.transports: list[list[str]] = []
        self.requests: list[httpx.Request] = []
        self.handler = handler or (lambda request: httpx.Response(200, content=b"{}"))

    def resolve(self, host: str, port: int) -> list[str]:
        self.resolved.append(host)
        return self.answers[host]

    def transport(self, addresses: Sequence[str]) -> httpx.BaseTransport:
        self.transports.append(list(addresses))

        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            made: httpx.Response = self.handler(request)  # streamed, as a network answer is
            return httpx.Response(
                made.status_code, headers=made.headers, stream=httpx.ByteStream(made.content)
            )

        return httpx.MockTransport(handle)

    def policy(self, **kwargs: Any) -> NetPolicy:
        return NetPolicy(resolve=self.resolve, transport=self.transport, **kwargs)


PRIVATE_ANSWERS = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # shared address space (carrier NAT)
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",  # documentation
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "fec0::1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "::127.0.0.1",  # IPv4-compatible (deprecated)
]


@pytest.mark.parametrize("answer", PRIVATE_ANSWERS)
def test_a_name_resolving_to_a_non_public_address_is_refused_before_any_connection(
    answer: str,
) -> None:
    rec = Recorder({"issuer.example": [answer]})
    with pytest.raises(FetchError) as refused:
        rec.policy().fetch("https://issuer.example/.well-known/did.json", "DID document")
    assert rec.transports == [] and rec.requests == []
    message = str(refused.value)
    assert message.startswith("could not fetch DID document from host issuer.example: ")
    assert "--allow-private-network" in message


def test_one_private_address_among_public_ones_refuses_the_whole_name() -> None:
    rec = Recorder({"issuer.example": [PUBLIC, "10.0.0.7"]})
    with pytest.raises(FetchError, match="private"):
        rec.policy().fetch("https://issuer.example/x")
    assert rec.transports == []


NUMERIC_SPELLINGS = [
    "https://2130706433/",
    "https://0x7f.1/",
    "https://0x7f000001/",
    "https://017700000001/",
    "https://127.1/",
    "https://0177.0.0.1/",
    "https://0251.0376.0251.0376/latest/meta-data/",  # 169.254.169.254 in octal
    "https://169.254.169.254/latest/meta-data/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:7f00:1]/",
    "https://[::1]:8443/",
    "https://[0:0:0:0:0:0:0:1]/",
    "https://localhost/",
    "https://LocalHost./",
    "https://api.localhost/",
    "https://127.0.0.1.:443/",
]


@pytest.mark.parametrize("url", NUMERIC_SPELLINGS)
def test_numeric_and_local_spellings_are_refused_without_resolving_or_connecting(url: str) -> None:
    rec = Recorder({})
    with pytest.raises(FetchError) as refused:
        rec.policy().fetch(url, "status list")
    assert rec.resolved == [] and rec.transports == []
    message = str(refused.value)
    assert message.startswith("could not fetch status list from host ")
    assert ":8443" not in message and ":443" not in message


def test_legacy_numeric_hosts_mean_the_address_a_c_resolver_would_connect_to() -> None:
    assert str(literal_address("2130706433")) == "127.0.0.1"
    assert str(literal_address("0x7f.1")) == "127.0.0.1"
    assert str(literal_address("017700000001")) == "127.0.0.1"
    assert literal_address("example.com") is None
    assert literal_address("cafe.example") is None
    for embedded in ("::ffff:1.1.1.1", "64:ff9b::a00:1", "2002:a00:1::1"):
        assert not is_public(literal_address(embedded) or pytest.fail(embedded))


def test_plain_http_and_other_schemes_are_refused_unless_http_is_opted_into() -> None:
    rec = Recorder({"issuer.example": [PUBLIC]})
    for url in ("http://issuer.example/x", "file:///etc/passwd", "ftp://issuer.example/x"):
        with pytest.raises(FetchError, match="only https"):
            rec.policy().fetch(url)
    assert rec.resolved == [] and rec.transports == []
    assert rec.policy(allow_http=True).fetch("http://issuer.example/x") == b"{}"
    with pytest.raises(FetchError, match="user names"):
        rec.policy().fetch(f"https://user@{PUBLIC}/x")


def test_a_public_address_is_fetched_through_a_transport_pinned_to_it() -> None:
    """Resolve once; the transport gets the checked address; Host stays the name."""
    answers = iter([[PUBLIC], ["127.0.0.1"]])  # a rebinding DNS: public first, loopback next

    class Rebinding(Recorder):
        def resolve(self, host: str, port: int) -> list[str]:
            self.resolved.append(host)
            return next(answers)

    rec = Rebinding({})
    assert rec.policy().fetch("https://issuer.example/did.json") == b"{}"
    assert rec.resolved == ["issuer.example"] and rec.transports == [[PUBLIC]]
    assert rec.requests[0].headers["host"] == "issuer.example"


def test_a_redirect_to_a_private_address_is_refused_before_connecting_there() -> None:
    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://metadata.example/latest/"})

    rec = Recorder({"issuer.example": [PUBLIC], "metadata.example": ["169.254.169.254"]}, redirect)
    with pytest.raises(FetchError) as refused:
        rec.policy().fetch("https://issuer.example/status/1", "status list")
    assert rec.transports == [[PUBLIC]]  # the second hop never got a transport
    assert "host metadata.example" in str(refused.value)
    for target in ("http://issuer.example/x", "https://2130706433/"):
        rec.handler = lambda r, t=target: httpx.Response(301, headers={"Location": t})
        with pytest.raises(FetchError):
            rec.policy().fetch("https://issuer.example/status/1")


def test_redirects_are_followed_at_most_three_hops() -> None:
    def hop(request: httpx.Request) -> httpx.Response:
        n = int(request.url.path.strip("/") or 0)
        if n == 9:
            return httpx.Response(200, content=b"done")
        return httpx.Response(307, headers={"Location": f"/{n + 1}"})

    rec = Recorder({"issuer.example": [PUBLIC]}, hop)
    assert rec.policy().fetch("https://issuer.example/6") == b"done"  # 3 redirects
    with pytest.raises(FetchError, match="more than 3 redirects"):
        rec.policy().fetch("https://issuer.example/5")
    assert all(t == [PUBLIC] for t in rec.transports)


# --- real sockets, 127.0.0.1 only -----------------------------------------------------------


class Handler(http.server.BaseHTTPRequestHandler):
    hosts: ClassVar[list[str]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        Handler.hosts.append(self.headers.get("Host", ""))
        if self.path == "/ok":
            self._send(b'{"ok": true}')
        elif self.path == "/big":  # no Content-Length: the cap must hold while reading
            self.send_response(200)
            self.end_headers()
            for _ in range(64):
                self.wfile.write(b" " * 65536)
        elif self.path == "/declared-big":
            self.send_response(200)
            self.send_header("Content-Length", str(10 << 20))
            self.end_headers()
        elif self.path == "/hang":
            time.sleep(3)
        elif self.path == "/trickle":
            self.send_response(200)
            self.end_headers()
            for _ in range(30):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.1)
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def site() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.hosts = []
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def loopback_policy(**kwargs: Any) -> NetPolicy:
    """http on loopback: both development opt-ins, and a name that only our resolver knows."""
    return NetPolicy(
        allow_http=True,
        allow_private_network=True,
        resolve=lambda host, port: ["127.0.0.1"] if host == "diplomas.test" else [],
        **kwargs,
    )


def test_loopback_is_refused_by_default_and_fetched_with_allow_private_network(site: int) -> None:
    with pytest.raises(FetchError, match="private"):
        NetPolicy(allow_http=True).fetch(f"http://127.0.0.1:{site}/ok")
    assert Handler.hosts == []
    assert loopback_policy().fetch(f"http://127.0.0.1:{site}/ok") == b'{"ok": true}'


def test_the_connection_goes_to_the_checked_address_with_the_original_host_header(
    site: int,
) -> None:
    """diplomas.test exists only in the injected resolver: the bytes prove where we connected."""
    assert loopback_policy().fetch(f"http://diplomas.test:{site}/ok") == b'{"ok": true}'
    assert Handler.hosts == [f"diplomas.test:{site}"]


def test_environment_proxies_are_not_used(site: int, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    assert loopback_policy().fetch(f"http://diplomas.test:{site}/ok") == b'{"ok": true}'


def test_the_size_cap_holds_with_and_without_a_declared_length(site: int) -> None:
    policy = loopback_policy(max_bytes=100_000)
    for path in ("/big", "/declared-big"):
        with pytest.raises(FetchError, match="larger than 100000 bytes"):
            policy.fetch(f"http://127.0.0.1:{site}{path}")


def test_a_hanging_host_times_out_and_a_trickling_one_hits_the_deadline(site: int) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError):
        loopback_policy(timeout=0.5).fetch(f"http://127.0.0.1:{site}/hang")
    assert time.monotonic() - started < 2
    started = time.monotonic()
    with pytest.raises(FetchError, match="no answer within 1 s"):
        loopback_policy(timeout=0.5, deadline=1.0).fetch(f"http://127.0.0.1:{site}/trickle")
    assert time.monotonic() - started < 2


def test_a_hanging_host_ties_up_only_its_own_slots(site: int) -> None:
    """Per-host concurrency: with one slot, a second fetch from the hanging host is refused at
    once, while another host is fetched as usual."""
    policy = NetPolicy(
        allow_http=True,
        allow_private_network=True,
        timeout=2.5,
        max_per_host=1,
        resolve=lambda host, port: ["127.0.0.1"] if host.endswith(".test") else [],
    )
    outcome: list[BaseException] = []

    def hang() -> None:
        try:
            policy.fetch(f"http://slow.test:{site}/hang")
        except FetchError as exc:
            outcome.append(exc)

    hanging = threading.Thread(target=hang)
    hanging.start()
    try:
        deadline = time.monotonic() + 2
        while not any(h.startswith("slow.test") for h in Handler.hosts):
            assert time.monotonic() < deadline, "the hanging fetch never reached the server"
            time.sleep(0.01)
        started = time.monotonic()
        with pytest.raises(FetchError, match="already in progress"):
            policy.fetch(f"http://slow.test:{site}/ok")
        assert time.monotonic() - started < 0.5
        assert policy.fetch(f"http://fast.test:{site}/ok") == b'{"ok": true}'
    finally:
        hanging.join(timeout=10)
    assert outcome, "the hanging fetch must fail on its timeout"
    assert policy.fetch(f"http://slow.test:{site}/ok") == b'{"ok": true}'  # the slot came back


def test_a_redirect_loop_on_loopback_stops_after_three_hops(site: int) -> None:
    with pytest.raises(FetchError, match="more than 3 redirects"):
        loopback_policy().fetch(f"http://127.0.0.1:{site}/loop")
    assert len(Handler.hosts) == 4


def test_errors_name_the_host_only_and_do_not_tell_closed_from_silent_ports(site: int) -> None:
    from ports import free_port

    closed_port = free_port()  # nobody listens there (no other xdist worker takes it)
    silent = socket.socket()  # listens, never accepts: the handshake completes, nothing answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        messages = set()
        for port in (closed_port, silent.getsockname()[1]):
            fetch = HttpFetcher(what="status list", policy=loopback_policy(timeout=0.5))
            with pytest.raises(FetchError) as failed:
                fetch(f"http://127.0.0.1:{port}/status/1")
            messages.add(str(failed.value))
    finally:
        silent.close()
    assert messages == {"could not fetch status list from host 127.0.0.1"}


def test_status_list_fetcher_is_https_only_and_public_only_by_default(site: int) -> None:
    with pytest.raises(StatusRetrievalError, match="only https"):
        bsl.HttpFetcher()(f"http://127.0.0.1:{site}/ok")
    with pytest.raises(StatusRetrievalError) as refused:
        bsl.HttpFetcher()(f"https://127.0.0.1:{site}/status/1")
    assert str(refused.value).startswith("could not fetch status list from host 127.0.0.1: ")
    assert str(site) not in str(refused.value)
    assert Handler.hosts == []


def test_cli_verifier_refuses_private_did_web_hosts_unless_allowed(site: int) -> None:
    kwargs: dict[str, Any] = dict(
        trust=(), anchors=(), at=None, allow_network=True, status_dir=None, strict=False
    )
    did = f"did:web:localhost%3A{site}"
    default = build_verifier(max_bytes=1 << 20, **kwargs)
    with pytest.raises(DidResolutionError, match="allow-private-network"):
        default.resolver.resolve(did)
    allowed = build_verifier(max_bytes=1 << 20, allow_private_network=True, **kwargs)
    with pytest.raises(DidResolutionError) as failed:  # now it connects: https to an http port
        allowed.resolver.resolve(did)
    assert "private" not in str(failed.value) and f":{site}" not in str(failed.value)
    assert "--allow-private-network" in CliRunner().invoke(verify, ["--help"]).output


def test_tls_checks_the_url_name_while_connecting_to_the_pinned_address(tmp_path: Any) -> None:
    """SNI and the certificate check use diplomas.test; the TCP connection goes to 127.0.0.1."""
    import datetime as dt
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "diplomas.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("diplomas.test")]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = tmp_path / "cert.pem"
    key_pem = tmp_path / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert_pem, key_pem)
    server.socket = served.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Handler.hosts = []
    port = server.server_address[1]
    trusting = ssl.create_default_context(cafile=str(cert_pem))
    policy = NetPolicy(
        allow_private_network=True,
        ssl_context=trusting,
        timeout=3,
        resolve=lambda host, _port: ["127.0.0.1"],
    )
    try:
        assert policy.fetch(f"https://diplomas.test:{port}/ok") == b'{"ok": true}'
        assert Handler.hosts == [f"diplomas.test:{port}"]
        with pytest.raises(FetchError):  # same server, but the name no longer matches
            policy.fetch(f"https://127.0.0.1:{port}/ok")
    finally:
        server.shutdown()
        server.server_close()


def test_the_service_reaches_private_addresses_only_when_told() -> None:
    # credkit serve --allow-network [--allow-private-network]: the same policy as credkit verify
    from credkit.server import ServerConfig, create_app

    for private in (False, True):
        config = ServerConfig(allow_network=True, allow_private_network=private)
        state = create_app(config).state.credkit
        did_fetcher = state.resolver.fetcher
        while not hasattr(did_fetcher, "policy"):  # the verifier may wrap it
            did_fetcher = did_fetcher.inner
        assert did_fetcher.policy.allow_private_network is private
        assert not did_fetcher.policy.allow_http
