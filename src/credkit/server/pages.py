"""The verification page employers use: paste, upload or link a diploma; read the verdict.

Server-rendered HTML with a form that posts back: it works with JavaScript off, in a text
browser, and through a screen reader. Every value from a credential is escaped (a diploma is a
stranger's file), the graduate's name carries its ``lang`` and a font stack with Noto faces for
Devanagari, Thai and Vietnamese, and a Content-Security-Policy forbids scripts and every load.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from credkit.server.errors import ApiError
from credkit.server.state import ServerState
from credkit.share.qr_payload import LINK_ID_RE, QrError, link_origin, parse_link
from credkit.share.render import SANS, SERIF, detect_lang, escape
from credkit.verify.report import LABELS, VERDICT_WORDS
from credkit.verify.result import (
    FAILED,
    INCONCLUSIVE,
    NO_TRUST_LIST,
    NOT_VERIFIED,
    PASSED,
    SKIPPED,
    UNUSABLE,
    VERIFIED,
    VerificationResult,
)
from credkit.verify.trust import TrustRegistry

router = APIRouter(include_in_schema=False)

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
HEADLINES = {
    VERIFIED: "Verified",
    NOT_VERIFIED: "Not verified",
    INCONCLUSIVE: "Could not be fully checked",
    UNUSABLE: "Not a diploma that can be checked",
}
# A genuine, valid diploma whose issuer nobody this site trusts vouches for: anyone can make a key
# and sign a diploma in any school's name, so this is never the green "Verified".
UNVOUCHED = "Genuine signature, issuer not vouched for"
UNVOUCHED_LEAD = (
    "The diploma is genuine, unaltered and currently valid, but no one this site trusts vouches "
    "for its issuer: the issuer's name is its own description. Check who the issuer is "
    "before you rely on it."
)
# A link whose host is not this service, to a diploma this service also hosts: the page checks its
# own copy (the link's last segment is a content address, docs/qr.md), and says so (issue 14).
ELSEWHERE = (
    "This link points to {host}, not to this site. This site did not contact {host}: it checked "
    "its own copy of the diploma with the same content address ({ident}), which is the exact "
    "document the link was made for. Whether {host} actually serves it was not checked."
)
MARKS = {PASSED: "✓", FAILED: "✗", SKIPPED: "–", "warning": "!"}

_CSS = """
* { box-sizing: border-box; }
body { font-family: $SANS; margin: 0; background: #f4f2ec; color: #1d1d1b; line-height: 1.5; }
main { max-width: 52rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-family: $SERIF; font-weight: 600; margin: .2rem 0 .4rem; }
.lead { color: #444; margin-top: 0; }
form { background: #fff; padding: 1rem 1.2rem; border-radius: .4rem;
  box-shadow: 0 1px 4px rgba(0,0,0,.12); }
label { display: block; font-weight: 600; margin: .8rem 0 .3rem; }
textarea, input[type=text] { width: 100%; font: .85rem "DejaVu Sans Mono", Consolas, monospace;
  padding: .5rem; border: 1px solid #aaa; border-radius: .3rem; }
button { margin-top: 1rem; font-size: 1.05rem; padding: .5rem 1.6rem; background: #27513a;
  color: #fff; border: 0; border-radius: .3rem; cursor: pointer; }
.result { margin-top: 1.5rem; background: #fff; border-radius: .4rem; padding: 1rem 1.2rem;
  border-left: .6rem solid #888; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
.result.verified { border-color: #2e7d32; }
.result.not-verified, .result.unusable { border-color: #b71c1c; }
.result.inconclusive { border-color: #c77700; }
.result h2 { margin: 0 0 .3rem; font-size: 1.6rem; }
.verified h2 { color: #1b5e20; } .not-verified h2, .unusable h2 { color: #8e1212; }
.inconclusive h2 { color: #8a5300; }
.result.unvouched { border-color: #5c6b7a; } .unvouched h2 { color: #37474f; }
.who { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .8rem 0; }
.who dt { color: #555; } .who dd { margin: 0; }
.name { font-family: $SERIF; font-size: 1.5rem; line-height: 1.6; }
table { border-collapse: collapse; width: 100%; margin-top: .6rem; }
th, td { text-align: left; vertical-align: top; padding: .45rem .4rem; border-top: 1px solid #ddd; }
td.mark { width: 1.5rem; font-weight: 700; }
tr.passed td.mark { color: #2e7d32; } tr.failed td.mark { color: #b71c1c; }
tr.skipped td.mark, tr.warning td.mark { color: #8a5300; }
td.msg { color: #333; font-size: .92rem; overflow-wrap: anywhere; }
.warnings { color: #6b4a00; font-size: .92rem; }
.elsewhere { background: #fff4d6; border: 1px solid #c77700; padding: .5rem .7rem; }
footer { margin-top: 2rem; font-size: .85rem; color: #666; }
code { overflow-wrap: anywhere; }
""".replace("$SANS", SANS).replace("$SERIF", SERIF)


_e = escape  # escaped, with bidi controls and NUL neutralized (see credkit.share.render.escape)


FOOTER = (
    "Checked by credkit: signatures (W3C Data Integrity), dates, revocation (Bitstring Status "
    "List) and the issuer's standing. Nothing you paste here is stored."
)


def _page(title: str, body: str, *, issuer_name: str | None = None, footer: str = FOOTER) -> str:
    by = f" — {_e(issuer_name)}" if issuer_name else ""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}{by}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n<footer>{footer}</footer>\n</main>\n</body>\n</html>\n"  # a constant
    )


def error_page(status: int, detail: str) -> str:
    return _page(
        f"Error {status}",
        f'<h1>Error {status}</h1><p>{_e(detail)}</p><p><a href="/verify">Check a diploma</a></p>',
    )


def _form(link: str = "") -> str:
    return (
        "<h1>Check a diploma</h1>\n"
        '<p class="lead">Paste the diploma file (JSON), upload it, or enter the link printed '
        "under its QR code. The answer says whether it is genuine, unaltered, still valid, not "
        "revoked, and whether its issuer is one this site trusts.</p>\n"
        '<form method="post" action="/verify" enctype="multipart/form-data">\n'
        '<label for="credential">Diploma JSON</label>\n'
        '<textarea id="credential" name="credential" rows="8" spellcheck="false" '
        'placeholder="{&quot;@context&quot;: [...], ...}"></textarea>\n'
        '<label for="file">or upload the file</label>\n'
        '<input type="file" id="file" name="file" '
        'accept=".json,.jsonld,application/json,application/vc,application/vc+ld+json">\n'
        '<label for="link">or the link from its QR code</label>\n'
        f'<input type="text" id="link" name="link" value="{_e(link)}" '
        'placeholder="https://…/c/…">\n'
        '<button type="submit">Verify</button>\n</form>\n'
    )


def _name_and_lang(credential: Any, fallback: str | None) -> tuple[str | None, str | None]:
    """The graduate's name and its language tag (from a language value object, or the script)."""
    subject = credential.get("credentialSubject") if isinstance(credential, Mapping) else None
    subject = subject[0] if isinstance(subject, list) and subject else subject
    raw = subject.get("name") if isinstance(subject, Mapping) else None
    if isinstance(raw, list) and raw:
        raw = raw[0]
    lang = None
    if isinstance(raw, Mapping):
        lang = raw.get("@language") if isinstance(raw.get("@language"), str) else None
    name = fallback
    return name, (lang or (detect_lang(name) if name else None))


def headline(result: VerificationResult) -> tuple[str, str]:
    """The headline and its style: green "Verified" only when a trust list vouches for the issuer.

    A self-signed diploma that copies this site's issuer name has a genuine signature too; what
    makes it different is that nobody vouches for its key.
    """
    verdict = result.verdict
    if verdict == VERIFIED and not result.issuer_vouched:
        return UNVOUCHED, "unvouched"
    return HEADLINES.get(verdict, verdict), verdict.replace(" ", "-")


def _vouched_row(result: VerificationResult) -> str:
    """Who vouches for the issuer, in a sentence a visitor understands."""
    if result.issuer_vouched and result.issuer_list:
        by = f"the list '{result.issuer_list}'"
        if result.issuer_vouched_by:
            by += f", signed by {result.issuer_vouched_by}"
        return f"<dt>Vouched for by</dt><dd>{_e(by)}</dd>"
    if result.issuer_id is None and result.issuer_name is None:
        return ""
    return (
        "<dt>Vouched for by</dt><dd>nobody this site trusts: the issuer's name is its own "
        "description</dd>"
    )


_NOBODY = (
    "This site has no list of trusted issuers. It checks that a diploma is genuine, unaltered, "
    "currently valid and not revoked, but it cannot tell you whether its issuer is a real school "
    "or training provider: check who the issuer is yourself before you rely on it."
)
_SHOWN_ISSUERS = 5


def trust_statement(trust: TrustRegistry | None) -> str:
    """Which issuers this site vouches for, and what that means, for a person with a browser.

    The checks' own messages speak to a command-line user ("pass --trust LIST"); a visitor of the
    page can pass nothing, so the page says what this site trusts instead.
    """
    if trust is None or not trust.lists:
        return _NOBODY
    parts: list[str] = []
    for t in trust.lists:
        names = [e.name or e.did for e in t.entries.values()]
        who = ", ".join(names[:_SHOWN_ISSUERS])
        if len(names) > _SHOWN_ISSUERS:
            who += f" and {len(names) - _SHOWN_ISSUERS} more"
        if not trust.exclusive:
            parts.append(f"its own issuer, {who}")
            continue
        by = ""
        if t.kind == "signed":
            by = f", published by the accrediting body {t.vouched_by or ', '.join(t.anchors)}"
        parts.append(f"the list '{t.name}'{by} ({who or 'nobody yet'})")
    return (
        "This site vouches only for the issuers on "
        + "; ".join(parts)
        + ". A diploma from any other issuer may still be genuine, but this site does not vouch "
        "for who issued it: its name is the issuer's own description."
    )


def _for_visitor(message: str, statement: str) -> str:
    """A check message without command-line advice; the trust advice becomes the site's."""
    if "--trust" in message or message.startswith(NO_TRUST_LIST):
        return statement
    return message


def result_html(
    result: VerificationResult,
    credential: Any = None,
    notice: str | None = None,
    trust: TrustRegistry | None = None,
) -> str:
    """The verdict, who and what the diploma is about, and every check in plain words.

    ``notice`` is said right under the headline (what was checked, when it is not what the
    visitor gave: see :data:`ELSEWHERE`).
    """
    verdict = result.verdict
    words, css = headline(result)
    statement = trust_statement(trust)
    name, lang = _name_and_lang(credential, result.subject_name)
    rows: list[str] = []
    if name:
        lang_attr = f' lang="{_e(lang)}"' if lang else ""
        rows.append(f'<dt>Graduate</dt><dd class="name"{lang_attr}>{_e(name)}</dd>')
    what = result.achievement_name or result.credential_name
    if what:
        rows.append(f"<dt>Achievement</dt><dd>{_e(what)}</dd>")
    if result.issuer_id or result.issuer_name:
        rows.append(f"<dt>Issued by</dt><dd>{_e(result.issuer_label)}</dd>")
        rows.append(_vouched_row(result))
    checks: list[str] = []
    for check in result.checks:
        label = LABELS.get(check.id, check.id)
        word = VERDICT_WORDS.get(check.status, check.status)
        message = check.message
        if check.id == "trusted_issuer" and check.status != PASSED:
            message = _for_visitor(message, statement)
        checks.append(
            f'<tr class="{_e(check.status)}" data-check="{_e(check.id)}" '
            f'data-status="{_e(check.status)}"><td class="mark" aria-hidden="true">'
            f'{MARKS.get(check.status, "?")}</td><th scope="row">{_e(label)}</th>'
            f'<td>{_e(word)}</td><td class="msg">{_e(message)}</td></tr>'
        )
    warnings = "".join(
        f"<li>{_e(_for_visitor(w, statement))}</li>" for w in result.all_warnings if w != notice
    )
    return (
        f'<section class="result {_e(css)}" id="result" data-verdict="{_e(verdict)}" '
        f'data-vouched="{"yes" if result.issuer_vouched else "no"}" aria-live="polite">\n'
        f'<h2 id="verdict">{_e(words)}</h2>\n'
        + (f'<p class="lead">{_e(UNVOUCHED_LEAD)}</p>\n' if css == "unvouched" else "")
        + (f'<p class="elsewhere" id="elsewhere">{_e(notice)}</p>\n' if notice else "")
        + f'<p class="summary">{_e(result.summary)}</p>\n'
        + (f'<dl class="who">{"".join(rows)}</dl>\n' if rows else "")
        + '<table class="checks"><thead><tr><td></td><th scope="col">Check</th>'
        '<th scope="col">Result</th><th scope="col">Details</th></tr></thead><tbody>'
        + "".join(checks)
        + "</tbody></table>\n"
        + (f'<ul class="warnings">{warnings}</ul>\n' if warnings else "")
        + f'<p class="site-trust" id="site-trust">{_e(statement)}</p>\n'
        + "</section>\n"
    )


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.credkit
    return state


def _issuer_name(state: ServerState) -> str | None:
    return state.ws.issuer_name if state.ws is not None else None


def _respond(state: ServerState, body: str, status: int = 200) -> HTMLResponse:
    page = _page("Check a diploma", body, issuer_name=_issuer_name(state))
    return HTMLResponse(page, status_code=status, headers=HEADERS)


def _hosted_id(text: str) -> str:
    """A hosted diploma id from a bare id or a link-mode URL (``…/c/{id}``)."""
    text = text.strip()
    if LINK_ID_RE.match(text.lower()):
        return text.lower()
    try:
        return parse_link(text).link_id
    except QrError as exc:
        raise ApiError(400, exc.message, exc.code) from None


def elsewhere_notice(state: ServerState, ref: str, own_url: str) -> str | None:
    """What to tell a visitor whose link names another host than this service's own, or None.

    This service's own origins are its published ``base_url`` and the one the visitor reached it
    at (``own_url``). A bare id names no host. The notice names the link's host and says that
    the local copy with the same content address was checked instead of fetching the link.
    """
    text = ref.strip()
    if LINK_ID_RE.match(text.lower()):
        return None
    link = link_origin(text)
    if link is None:
        return None
    own = {link_origin(own_url)}
    if state.ws is not None and state.ws.base_url:
        own.add(link_origin(state.ws.base_url))
    if link in own:
        return None
    scheme, host, port = link
    shown = host if port == (443 if scheme == "https" else 80) else f"{host}:{port}"
    return ELSEWHERE.format(host=shown, ident=_hosted_id(text))


def _verify_hosted(
    state: ServerState, ref: str, own_url: str = ""
) -> tuple[VerificationResult, Any, str | None]:
    """The verification of a hosted diploma named by id or link, and the notice to show with it.

    A link to another host is not fetched: the page verifies this service's copy with the same
    content address, and the result says so plainly (a warning naming the link's host).
    """
    from credkit.server.hosting import hosted

    ident = _hosted_id(ref)
    try:
        credential, _raw = hosted(state, ident)
    except ApiError:
        raise ApiError(
            404,
            "no diploma is hosted here under that link. If it points to another issuer's "
            "site, open it there, save the diploma file and upload it here.",
            "NOT_FOUND",
        ) from None
    result = state.verifier().verify_credential(credential)
    notice = elsewhere_notice(state, ref, own_url)
    if notice:
        result.warnings.append(notice)
    return result, credential, notice


@router.get("/", response_class=HTMLResponse)
def index() -> Response:
    return RedirectResponse("/verify", status_code=303)


@router.get("/verify", response_class=HTMLResponse)
def verify_page(request: Request, c: str | None = None) -> HTMLResponse:
    """The form; with ``?c=ID`` or ``?c=LINK`` the hosted diploma is verified straight away."""
    state = _state(request)
    if not c:
        return _respond(state, _form())
    try:
        result, credential, notice = _verify_hosted(state, c, str(request.base_url))
    except ApiError as exc:
        return _respond(state, _form(c) + _problem(exc.detail), exc.status)
    return _respond(state, _form(c) + result_html(result, credential, notice, state.trust))


def _problem(message: str) -> str:
    return (
        '<section class="result unusable" id="result" data-verdict="error">'
        f'<h2 id="verdict">Nothing to check</h2><p>{_e(message)}</p></section>'
    )


@router.post("/verify", response_class=HTMLResponse)
async def verify_submit(request: Request) -> HTMLResponse:
    """The form posted back: a pasted or uploaded diploma, or a link to a hosted one."""
    state = _state(request)
    limit = state.config.max_body
    try:
        form = await request.form(max_files=1, max_fields=8, max_part_size=limit)
    except (MultiPartException, ValueError, UnicodeDecodeError) as exc:
        return _respond(state, _form() + _problem(f"the form could not be read: {exc}"), 400)
    pasted = form.get("credential")
    upload = form.get("file")
    link = form.get("link")
    data: bytes | None = None
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(limit + 1)
    elif isinstance(pasted, str) and pasted.strip():
        data = pasted.encode("utf-8")
    if data is None:
        if isinstance(link, str) and link.strip():
            try:
                result, credential, notice = await run_in_threadpool(
                    _verify_hosted, state, link, str(request.base_url)
                )
            except ApiError as exc:
                return _respond(state, _form(link) + _problem(exc.detail), exc.status)
            page = _form(link) + result_html(result, credential, notice, state.trust)
            return _respond(state, page)
        return _respond(
            state, _form() + _problem("paste a diploma, choose its file, or enter its link"), 400
        )
    verifier = state.verifier()
    result = await run_in_threadpool(_verify_bytes, verifier, data)
    credential = _peek(data)
    status = 200 if result.verdict != UNUSABLE else 400
    return _respond(state, _form() + result_html(result, credential, trust=state.trust), status)


def _verify_bytes(verifier: Any, data: bytes) -> VerificationResult:
    """A presentation when its type says so, else a credential (VC DM 2.0 §6.2)."""
    credential = _peek(data)
    types = credential.get("type") if isinstance(credential, dict) else None
    if "VerifiablePresentation" in (types if isinstance(types, list) else [types]):
        result: VerificationResult = verifier.verify_presentation(data)
        return result
    result = verifier.verify_credential(data)
    return result


def _peek(data: bytes) -> Any:
    """The parsed document for display only (the verifier parses it again, under its limits)."""
    import json

    from credkit.server.limits import MAX_JSON_DEPTH, json_depth

    if len(data) > (1 << 20) or json_depth(data) > MAX_JSON_DEPTH:
        return None
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
