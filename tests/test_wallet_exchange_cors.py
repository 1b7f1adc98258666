"""CORS on the VC-API exchange, and nowhere else: a browser wallet on its own origin can POST to
``/exchanges/{secret}`` and read the answer; it gets no more than the flow needs (POST,
Content-Type, no credentials), and no other endpoint answers another origin.

The first tests use the app in process (headers only); the last runs headless Chromium on a page
served from a second origin, so the browser's own CORS check is the judge.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credkit.server import ServerConfig, create_app
from test_server_helpers import TOKEN, Server, diploma, make_workspace, serve_workspace

WALLET = "https://wallet.example"
PREFLIGHT = {
    "Origin": WALLET,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    """The service in process, and the exchange URL path of one fresh offer."""
    ws = make_workspace(tmp_path_factory.mktemp("cors") / "ws", "http://testserver")
    config = ServerConfig(issuer_dir=ws.root, tokens=frozenset({TOKEN}))
    with TestClient(create_app(config)) as client:
        issued = client.post(
            "/credentials/issue", json={"credential": diploma(), "options": {}}, headers=AUTH
        )
        assert issued.status_code == 201, issued.text
        credential_id = issued.json()["verifiableCredential"]["id"]
        offer = client.post("/offers", json={"credentialId": credential_id}, headers=AUTH)
        assert offer.status_code == 201, offer.text
        yield client, offer.json()["exchangeUrl"].removeprefix("http://testserver")


def test_the_exchange_answers_a_browser_wallets_preflight(app: tuple[TestClient, str]) -> None:
    client, path = app
    answer = client.options(path, headers=PREFLIGHT)
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.headers["access-control-allow-methods"] == "POST"
    assert answer.headers["access-control-allow-headers"] == "Content-Type"
    assert "access-control-allow-credentials" not in answer.headers
    assert int(answer.headers["access-control-max-age"]) > 0


def test_its_answers_and_refusals_are_readable_cross_origin(app: tuple[TestClient, str]) -> None:
    client, path = app
    started = client.post(path, json={}, headers={"Origin": WALLET})
    assert started.status_code == 200 and "verifiablePresentationRequest" in started.json()
    refused = client.post(path, json={"verifiablePresentation": 1}, headers={"Origin": WALLET})
    unknown = client.post("/exchanges/" + "x" * 43, json={}, headers={"Origin": WALLET})
    assert refused.status_code == 400 and unknown.status_code == 404
    for answer in (started, refused, unknown):
        assert answer.headers["access-control-allow-origin"] == "*"
        assert answer.headers["access-control-expose-headers"] == "Retry-After"
        assert "access-control-allow-credentials" not in answer.headers
    # no Origin (a native wallet): no CORS headers, the same answer
    native = client.post(path, json={})
    assert native.status_code == 200 and "access-control-allow-origin" not in native.headers


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("PUT", "content-type"),
        ("GET", ""),
        ("POST", "content-type, authorization"),
        ("POST", "x-custom"),
    ],
)
def test_a_preflight_for_more_than_the_flow_needs_is_refused(
    app: tuple[TestClient, str], method: str, headers: str
) -> None:
    client, path = app
    asked = {**PREFLIGHT, "Access-Control-Request-Method": method}
    asked["Access-Control-Request-Headers"] = headers
    answer = client.options(path, headers=asked)
    assert answer.status_code == 400 and answer.json()["code"] == "CORS_NOT_ALLOWED"
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize(
    "path",
    [
        "/oid4vci/nonce",
        "/oid4vci/token",
        "/offers",
        "/credentials/issue",
        "/credentials/verify",
        "/claim/" + "x" * 43,
        "/exchanges",
        "/exchanges/a/b",
    ],
)
def test_nothing_else_gains_cors(app: tuple[TestClient, str], path: str) -> None:
    client, _ = app
    answer = client.options(path, headers=PREFLIGHT)
    assert "access-control-allow-origin" not in answer.headers
    posted = client.post(path, content=b"{}", headers={"Origin": WALLET})
    assert "access-control-allow-origin" not in posted.headers


def test_the_operators_origin_list_stays_as_it_was(tmp_path: Path) -> None:
    """``--cors-origin`` opens the VC-API to the named origins; the exchange stays at ``*`` and
    other origins still get nothing from the VC-API."""
    ws = make_workspace(tmp_path / "ws", "http://testserver")
    config = ServerConfig(issuer_dir=ws.root, cors_origins=("https://hr.example",))
    with TestClient(create_app(config)) as client:
        hr = client.options(
            "/credentials/verify", headers={**PREFLIGHT, "Origin": "https://hr.example"}
        )
        assert hr.headers["access-control-allow-origin"] == "https://hr.example"
        other = client.options("/credentials/verify", headers=PREFLIGHT)
        assert "access-control-allow-origin" not in other.headers
        exchange = client.options(
            "/exchanges/" + "x" * 43, headers={**PREFLIGHT, "Origin": "https://hr.example"}
        )
        assert (
            exchange.status_code == 204 and exchange.headers["access-control-allow-origin"] == "*"
        )


# --- the browser's own check -----------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WALLET_PAGE = b"<!doctype html><title>a web wallet</title><p>wallet</p>"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = serve_workspace(tmp_path_factory.mktemp("cors-browser"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def wallet_origin() -> Iterator[str]:
    """A second origin (another port) serving the wallet's page."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(WALLET_PAGE)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


FETCH = """async ([url, init]) => {
  try {
    const answer = await fetch(url, init);
    return {status: answer.status, body: await answer.json()};
  } catch (error) {
    return {blocked: String(error)};
  }
}"""


def test_a_browser_wallet_on_another_origin_can_use_the_exchange_and_nothing_else(
    server: Server, wallet_origin: str
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright")
    if not Path(CHROMIUM).exists():
        pytest.skip("needs Chromium: apt-get install -y chromium")
    import httpx

    vc = server.issue(diploma())
    made = httpx.post(server.url + "/offers", json={"credentialId": vc["id"]}, headers=AUTH)
    assert made.status_code == 201, made.text
    exchange = made.json()["exchangeUrl"]
    json_post = {"method": "POST", "headers": {"Content-Type": "application/json"}, "body": "{}"}
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(wallet_origin + "/")
            started = page.evaluate(FETCH, [exchange, json_post])
            assert started.get("status") == 200, started
            request = started["body"]["verifiablePresentationRequest"]
            assert request["query"][0]["type"] == "DIDAuthentication" and request["challenge"]
            refused = page.evaluate(
                FETCH, [exchange, {**json_post, "body": '{"verifiablePresentation": 1}'}]
            )
            assert refused.get("status") == 400, refused  # the wallet can read why
            # with credentials (cookies): "*" does not allow them, the browser blocks it
            cookies = page.evaluate(FETCH, [exchange, {**json_post, "credentials": "include"}])
            assert "blocked" in cookies, cookies
            # another endpoint of the service: blocked by the browser
            nonce = page.evaluate(FETCH, [server.url + "/oid4vci/nonce", {"method": "POST"}])
            assert "blocked" in nonce, nonce
            verify = page.evaluate(FETCH, [server.url + "/credentials/verify", json_post])
            assert "blocked" in verify, verify
        finally:
            browser.close()
