"""Issue 14: the service's pages load nothing from elsewhere, and say what a foreign link verified.

On 72075bf FastAPI's ``/docs`` and ``/redoc`` were served: both pull Swagger UI / ReDoc scripts
from a CDN with no Content-Security-Policy. And a link ``https://other.example/c/{id}`` pasted in
the verification page was answered with a verification of the *local* copy with that content
address, worded exactly as if the link itself had been checked. Each test here fails there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_server_helpers import TOKEN, diploma, make_workspace

testclient = pytest.importorskip("fastapi.testclient")

from credkit.issuer.hosting import HostedTable, host  # noqa: E402
from credkit.server.app import create_app  # noqa: E402
from credkit.server.state import ServerConfig, ServerState  # noqa: E402
from credkit.share.qr import link_id  # noqa: E402

AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "http://127.0.0.1:9"  # the workspace's published base URL (nothing listens there)
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# any <script> with a src, and any src/href that leaves the origin (http:, https:, //host)
EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=", re.IGNORECASE)
# what a browser loads by itself: src= anywhere, href= of <link> (a stylesheet, an icon); an
# <a href> is a link the reader may follow, checked separately below
EXTERNAL_LOAD = re.compile(
    r"""(?:\bsrc|<link\b[^>]*\bhref)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE
)
ANCHOR_HREF = re.compile(r"""<a\b[^>]*\bhref\s*=\s*["']([^"']*)""", re.IGNORECASE)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Any, Any, Any]]:
    ws = make_workspace(tmp_path / "ws", BASE, name="Reelbridge Lab")
    app = create_app(ServerConfig(issuer_dir=ws.root, tokens=frozenset({TOKEN})))
    with testclient.TestClient(app) as http:
        yield app, ws, http
    state: ServerState = app.state.credkit
    if state.table is not None:
        state.table.close()


def _issue_and_host(ws: Any, http: Any) -> tuple[dict[str, Any], str]:
    answer = http.post("/credentials/issue", json={"credential": diploma()}, headers=AUTH)
    assert answer.status_code == 201, answer.text
    vc: dict[str, Any] = answer.json()["verifiableCredential"]
    store = ws.store()
    table = HostedTable(ws.store_path)
    try:
        link = host(ws, store, table, vc)
    finally:
        table.close()
        store.close()
    return vc, link


def _verify_link(http: Any, link: str, *, post: bool) -> Any:
    if post:
        return http.post("/verify", files={"link": (None, link.encode())})
    return http.get("/verify", params={"c": link})


# --- (1) no CDN scripts ------------------------------------------------------------------------


def test_docs_and_redoc_are_not_served_but_openapi_json_is(site: tuple[Any, Any, Any]) -> None:
    _app, _ws, http = site
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        answer = http.get(path, headers={"Accept": BROWSER})
        assert answer.status_code == 404, (path, answer.status_code)
        assert "cdn.jsdelivr.net" not in answer.text and "swagger" not in answer.text.lower()
    spec = http.get("/openapi.json")
    assert spec.status_code == 200
    assert "/credentials/verify" in spec.json()["paths"]


def test_no_page_the_server_serves_loads_an_external_script(site: tuple[Any, Any, Any]) -> None:
    _app, ws, http = site
    vc, link = _issue_and_host(ws, http)
    ident = link_id(vc)
    pages = {
        "/": http.get("/", headers={"Accept": BROWSER}),  # redirects to /verify
        "/verify": http.get("/verify", headers={"Accept": BROWSER}),
        "/verify?c=id": http.get("/verify", params={"c": ident}),
        "POST /verify": http.post("/verify", files={"link": (None, link.encode())}),
        "/c/id": http.get(f"/c/{ident}", headers={"Accept": BROWSER}),
        "/c/unknown": http.get("/c/" + "a" * 26, headers={"Accept": BROWSER}),
        "/docs": http.get("/docs", headers={"Accept": BROWSER}),
        "/redoc": http.get("/redoc", headers={"Accept": BROWSER}),
    }
    assert pages["/"].history and pages["/"].url.path == "/verify"
    assert pages["/c/id"].headers["content-type"].startswith("text/html")
    assert ident in pages["/c/id"].text  # the real page, with its QR link, was looked at
    for name, answer in pages.items():
        html = answer.text
        assert '<script src="http' not in html, name
        assert not EXTERNAL_SCRIPT.search(html), name
        assert not EXTERNAL_LOAD.search(html), (name, EXTERNAL_LOAD.search(html))
        for href in ANCHOR_HREF.findall(html):
            # the only way off the site is the share button to LinkedIn's add-to-profile form
            if "//" in href:
                assert href.startswith("https://www.linkedin.com/profile/add?"), (name, href)
        if answer.headers.get("content-type", "").startswith("text/html") and answer.is_success:
            csp = answer.headers["content-security-policy"]
            assert "default-src 'none'" in csp and "script-src" not in csp, (name, csp)


# --- (2) a link on another host ------------------------------------------------------------------


@pytest.mark.parametrize("post", [False, True], ids=["query", "form"])
@pytest.mark.parametrize(
    ("origin", "shown"),
    [
        ("https://other.example", "other.example"),
        ("https://Other.Example.:8443", "other.example:8443"),
        ("http://127.0.0.1:10", "127.0.0.1:10"),  # same host, another port: another origin
    ],
)
def test_link_on_another_host_says_the_local_copy_was_checked(
    site: tuple[Any, Any, Any], post: bool, origin: str, shown: str
) -> None:
    _app, ws, http = site
    vc, _link = _issue_and_host(ws, http)
    ident = link_id(vc)
    answer = _verify_link(http, f"{origin}/c/{ident.upper()}", post=post)
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert 'data-verdict="verified"' in html  # the content address names this very document
    notice = re.search(r'<p class="elsewhere" id="elsewhere">([^<]*)</p>', html)
    assert notice, html[-3000:]
    text = notice.group(1)
    assert f"points to {shown}, not to this site" in text
    assert f"did not contact {shown}" in text
    assert "its own copy" in text and f"same content address ({ident})" in text
    # said once, right under the headline, not repeated in the warnings list
    assert html.count("its own copy") == 1
    assert html.index('id="verdict"') < html.index('id="elsewhere"') < html.index('class="checks"')


@pytest.mark.parametrize("post", [False, True], ids=["query", "form"])
def test_own_links_and_bare_ids_carry_no_notice(site: tuple[Any, Any, Any], post: bool) -> None:
    _app, ws, http = site
    vc, link = _issue_and_host(ws, http)
    ident = link_id(vc)
    assert link == f"{BASE}/c/{ident}"
    for ref in (
        link,  # the published base URL
        f"HTTP://127.0.0.1:9/c/{ident.upper()}",  # the same origin, spelled differently
        f"http://testserver/c/{ident}",  # the origin the visitor reached this service at
        ident,  # a bare id names no host
    ):
        answer = _verify_link(http, ref, post=post)
        assert answer.status_code == 200, (ref, answer.text)
        assert 'data-verdict="verified"' in answer.text, ref
        assert 'id="elsewhere"' not in answer.text and "did not contact" not in answer.text, ref


def test_unknown_link_on_another_host_is_still_not_found(site: tuple[Any, Any, Any]) -> None:
    _app, _ws, http = site
    answer = _verify_link(http, "https://other.example/c/" + "a" * 26, post=True)
    assert answer.status_code == 404
    assert "another issuer" in answer.text and 'id="elsewhere"' not in answer.text


def test_link_origin_normalizes_what_one_origin_can_be_spelled_as() -> None:
    from credkit.share.qr_payload import link_origin

    assert link_origin("https://A.example/c/x") == ("https", "a.example", 443)
    assert link_origin("https://a.example.:443/") == ("https", "a.example", 443)
    assert link_origin("http://a.example") == ("http", "a.example", 80)
    assert link_origin("http://a.example:8080/c/x") == ("http", "a.example", 8080)
    assert link_origin("https://a.example") != link_origin("http://a.example")
    for bad in ("ftp://a.example/", "https:///c/x", "https://a.example:99999/", "not a url", ""):
        assert link_origin(bad) is None, bad
