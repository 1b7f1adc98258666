"""Hostile credential content on the HTML pages: the printable diploma and the server's pages.

A diploma is data from a file someone handed over. Whatever its names, comments, URLs and dates
hold (markup, attribute breakouts, ``javascript:`` URLs, CSS, bidi overrides, NUL, megabytes),
the pages show it as text: no element, attribute, script, style or load comes from it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest

from credkit.share.render import render_html

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(2)>'
SINGLE = "' onmouseover='alert(3)"
CSS = "</style><style>body{background:url(https://evil.example/t)}</style>"
JS_URL = "javascript:alert(4)"
BIDI = "Lab\u202e gnirts desrever \u2066isolate"
NUL = "Ananya\x00Sharma"
HOSTILE = [SCRIPT, BREAKOUT, SINGLE, CSS, JS_URL, BIDI, NUL]
BIDI_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]


class _Markup(HTMLParser):
    """Every start tag with its attributes, and the text (to find escaped values)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Markup:
    parser = _Markup()
    parser.feed(page)
    parser.close()
    return parser


def assert_inert(page: str, *, allowed_tags: set[str]) -> _Markup:
    """No markup from the credential: only the page's own tags, no handlers, no remote loads."""
    markup = _parse(page)
    tags = {tag for tag, _ in markup.tags}
    assert tags <= allowed_tags, f"unexpected elements: {tags - allowed_tags}"
    assert sum(tag == "script" for tag, _ in markup.tags) == 0
    assert sum(tag == "style" for tag, _ in markup.tags) == 1
    for tag, attrs in markup.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            assert name != "style", (tag, name, value)
            if name in ("src", "href", "action", "formaction", "xlink:href"):
                assert value is not None
                if tag == "a" and name == "href" and value.startswith(LINKEDIN_ADD):
                    # the page's own share button: the credential's values only as encoded
                    # query parameters of LinkedIn's fixed add-to-profile address
                    assert not any(c in value for c in "<>\"' "), value
                    continue
                assert value.startswith(("data:image/", "/", "#")), (tag, name, value)
    for control in [*BIDI_CONTROLS, "\x00"]:
        assert control not in page, f"U+{ord(control):04X} reaches the page"
    return markup


# --- the printable page (credkit.share.render) -------------------------------------------------------

RENDER_TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "div", "header", "aside",
    "footer", "span", "code", "section", "h2", "ul", "li", "strong", "img", "iframe",
    "svg", "path", "rect", "text", "g", "nav", "a", "p",
}  # fmt: skip
LINKEDIN_ADD = "https://www.linkedin.com/profile/add?"


def _endorsement(who: str, comment: str) -> dict[str, Any]:
    return {
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "issuer": {"id": "did:example:endorser", "name": who},
        "credentialSubject": {"type": ["EndorsementSubject"], "endorsementComment": comment},
    }


def hostile_credential(value: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"urn:uuid:{value}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": value,
        "issuer": {
            "id": f"did:example:{value}",
            "name": value,
            "url": JS_URL,
            "image": {"id": JS_URL, "type": "Image"},
            "endorsement": [_endorsement(value, value)],
        },
        "validFrom": value,
        "validUntil": value,
        "awardedDate": value,
        "credentialSubject": {
            "name": {"@value": value, "@language": value},
            "achievement": {
                "name": value,
                "description": value,
                "achievementType": f"ext:{value}",
                "image": {"id": JS_URL},
                "endorsement": [_endorsement(value, value)],
            },
        },
        "endorsement": [_endorsement(value, value)],
    }


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_render_shows_hostile_values_as_text(value: str) -> None:
    page = render_html(
        hostile_credential(value),
        link=value,
        verification={"verified": value, "checkedAt": value, "checks": [{"name": value}]},
    )
    markup = assert_inert(page, allowed_tags=RENDER_TAGS)
    assert not any(tag == "img" for tag, _ in markup.tags)  # a URL logo is never shown
    assert "javascript:" not in page or value == JS_URL  # only ever as escaped text
    text = "".join(markup.text)
    if "\x00" not in value and not any(c in value for c in BIDI_CONTROLS):
        assert value in text  # shown, as text


@pytest.mark.parametrize(
    "image",
    [
        "data:text/html,<script>alert(1)</script>",
        'data:image/png;base64,AAAA" onerror="alert(1)',
        "data:image/svg+xml,<svg onload='alert(1)'/>",
        " javascript:alert(1)",
        "DATA:text/html;base64,PHNjcmlwdD4=",
    ],
)
def test_render_logo_is_only_ever_a_data_image(image: str) -> None:
    credential = hostile_credential("x")
    credential["issuer"]["image"] = image
    page = render_html(credential)
    markup = assert_inert(page, allowed_tags=RENDER_TAGS)
    for tag, attrs in markup.tags:
        if tag == "img":  # an SVG in <img> runs no script; the quote cannot break out
            assert (attrs["src"] or "").startswith(("data:image/png", "data:image/svg+xml"))
            assert "onerror" not in attrs


def test_render_method_template_stays_in_a_sandbox() -> None:
    template = (
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">'
        "<script>alert(1)</script><form action=https://evil.example><input></form>"
        '<p title="{{ /credentialSubject/name }}">{{ /credentialSubject/name }}</p>'
    )
    credential = hostile_credential(BREAKOUT)
    credential["renderMethod"] = {
        "type": "TemplateRenderMethod",
        "renderSuite": "html",
        "template": template,
    }
    page = render_html(credential)
    markup = assert_inert(page, allowed_tags=RENDER_TAGS)
    frames = [attrs for tag, attrs in markup.tags if tag == "iframe"]
    assert len(frames) == 1
    assert frames[0]["sandbox"] == ""  # no allow-scripts, allow-forms, allow-top-navigation
    inner = frames[0]["srcdoc"] or ""
    assert inner.startswith("<!doctype html><html><head><meta charset")
    assert "Content-Security-Policy" in inner.split("<body>")[0]
    # the value filled into the issuer's template is escaped inside it
    filled = _parse(inner)
    assert not any(name.startswith("on") for _, attrs in filled.tags for name in attrs), filled.tags
    assert BREAKOUT in "".join(filled.text)
    # the outer page's policy keeps the frame from being navigated away (meta refresh)
    csp = next(a for t, a in markup.tags if t == "meta" and a.get("http-equiv"))["content"]
    assert csp is not None and "frame-src 'self' about: data:" in csp
    assert "default-src 'none'" in csp and "script-src" not in csp


def test_render_huge_values_stay_linear() -> None:
    value = ("<b>" + "ÿ" * 997) * 300  # ~300k characters in every field
    started = time.monotonic()
    page = render_html(hostile_credential(value))
    assert time.monotonic() - started < 5
    assert_inert(page, allowed_tags=RENDER_TAGS)
    assert len(page) < 60 * len(value)


def test_bidi_override_cannot_reorder_the_issuer_did() -> None:
    """An RLO in the issuer's name must not flip the DID printed after it in the footer."""
    credential = hostile_credential("x")
    credential["issuer"]["name"] = "Reelbridge\u202e"
    credential["issuer"]["id"] = "did:web:reelbridge.example"
    page = render_html(credential)
    assert "\u202e" not in page
    assert "Reelbridge\ufffd" in page and "did:web:reelbridge.example" in page


# --- the server's pages, over a socket ----------------------------------------------------------

server_helpers = pytest.importorskip("test_server_helpers")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    srv = server_helpers.serve_workspace(tmp_path_factory.mktemp("hostile"), name=SCRIPT)
    yield srv
    srv.stop()


PAGE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "header", "footer", "h1", "h2",
    "p", "a", "form", "label", "textarea", "input", "button", "section", "dl", "dt", "dd",
    "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "code", "div", "span", "details",
    "summary", "small", "strong", "em", "fieldset", "legend", "abbr", "br", "nav",
}  # fmt: skip


def _issued(server: Any, value: str) -> dict[str, Any]:
    """A diploma the server signs (so every check but trust can pass) with ``value`` everywhere."""
    ws = server.workspace
    doc = server_helpers.diploma(value)
    doc["name"] = value
    doc["issuer"] = {
        "id": ws.issuer_did,
        "type": ["Profile"],
        "name": value,
        "url": JS_URL,
        "image": {"id": JS_URL, "type": "Image"},
    }
    achievement = doc["credentialSubject"]["achievement"]
    achievement["name"] = achievement["description"] = value
    achievement["criteria"] = {"narrative": value}
    vc: dict[str, Any] = server.issue(doc)
    return vc


def _post_paste(server: Any, text: str) -> Any:
    from test_server_hosting import _post_form

    return _post_form(server, {"credential": (None, text.encode("utf-8"))})


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_verify_page_shows_hostile_values_as_text(server: Any, value: str) -> None:
    vc = _issued(server, value)
    answer = _post_paste(server, json.dumps(vc))
    assert answer.status == 200, answer
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    markup = assert_inert(answer.text, allowed_tags=PAGE_TAGS)
    verdict = next(a for t, a in markup.tags if t == "section" and "data-verdict" in a)
    assert verdict["data-verdict"] == "verified", answer.text[-3000:]


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_hosted_diploma_page_shows_hostile_values_as_text(server: Any, value: str) -> None:
    from test_server_hosting import _host

    vc = _issued(server, value)
    link = _host(server.workspace, vc)
    path = "/c/" + link.rsplit("/", 1)[1]
    answer = server("GET", path, headers={"Accept": "text/html"})
    assert answer.status == 200, answer
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    markup = assert_inert(answer.text, allowed_tags=RENDER_TAGS)
    assert not any(tag == "img" for tag, _ in markup.tags)
    # the same verification through ?c= (a link the page reflects back into the form)
    answer = server("GET", f"/verify?c={link}")
    assert answer.status == 200, answer
    assert_inert(answer.text, allowed_tags=PAGE_TAGS)


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_reflected_link_and_paste_are_escaped(server: Any, value: str) -> None:
    from urllib.parse import quote

    answer = server("GET", "/verify?c=" + quote(value, safe=""))
    assert answer.status in (400, 404), answer
    assert_inert(answer.text, allowed_tags=PAGE_TAGS)
    answer = _post_paste(server, value)
    assert answer.status in (200, 400), answer
    assert_inert(answer.text, allowed_tags=PAGE_TAGS)


def test_huge_paste_is_refused_with_a_page(server: Any) -> None:
    doc = json.dumps({"credentialSubject": {"name": SCRIPT * 300_000}})
    answer = _post_paste(server, doc)
    assert answer.status in (400, 413), answer
    assert "<script>alert" not in answer.text


def test_issuer_name_from_the_workspace_is_escaped_in_titles(server: Any) -> None:
    answer = server("GET", "/verify")
    assert answer.status == 200
    assert_inert(answer.text, allowed_tags=PAGE_TAGS)
    assert "&lt;script&gt;" in answer.text
