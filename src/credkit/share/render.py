"""The printable diploma: one self-contained HTML page a graduate can print or keep on a phone.

No external assets (inline CSS, inline SVG QR, only ``data:`` images), a Content-Security-Policy
that forbids every fetch and every script, print CSS for A4 landscape. Every value from the
credential is escaped: a diploma is data from a file someone handed over, and a name like
``<script>`` must print as that text.

The graduate's name is tagged with its language (``lang``) and gets a font stack with Noto,
Windows and macOS faces for Devanagari, Thai and Vietnamese, so it is shaped properly in the
graduate's own script.

Render method (W3C VC Render Method draft, ``TemplateRenderMethod``): credkit honours an
*inline* template only — ``template`` as a string or a ``data:`` URL (``text/html`` or
``image/svg+xml``) with ``renderSuite`` ``html``, ``html-mustache`` or ``svg-mustache`` — and only
``{{ /json/pointer }}`` or ``{{ dotted.path }}`` variables (no sections, partials or raw
``{{{ }}}``), every value escaped, restricted to ``renderProperty`` when present. The result is
shown in an ``<iframe sandbox>`` (no scripts, no same-origin) with a CSP that blocks all loads. A
template given by URL is never fetched (privacy: it would tell the issuer who looks at the
diploma).
"""

from __future__ import annotations

import base64
import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import unquote_to_bytes

__all__ = ["detect_lang", "escape", "render_html", "render_method_html"]

MAX_TEMPLATE_BYTES = 256 * 1024
MAX_DATA_IMAGE_BYTES = 300 * 1024
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml")
_TEMPLATE_SUITES = {"html", "html-mustache", "svg-mustache"}
_VAR = re.compile(r"\{\{\s*([^{}]{1,200}?)\s*\}\}")
_VIETNAMESE = set("ăâđêôơưĂÂĐÊÔƠƯ")

PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; "
    "frame-src 'self' about: data:; base-uri 'none'; form-action 'none'"
)
_FRAME_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

SERIF = (
    '"Noto Serif", "Noto Serif Devanagari", "Noto Serif Thai", "Noto Sans Devanagari", '
    '"Noto Sans Thai", "Nirmala UI", "Leelawadee UI", "Kohinoor Devanagari", "Thonburi", '
    '"Times New Roman", Georgia, serif'
)
SANS = (
    '"Noto Sans", "Noto Sans Devanagari", "Noto Sans Thai", "Segoe UI", "Nirmala UI", '
    '"Leelawadee UI", Roboto, "Helvetica Neue", Arial, sans-serif'
)

_CSS = """
@page { size: A4 landscape; margin: 0; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; background: #e9e6df; }
body { font-family: $SANS; color: #1d1d1b; }
.sheet { width: 297mm; height: 210mm; margin: 8mm auto; background: #fffdf8; position: relative;
  padding: 11mm; overflow: hidden; box-shadow: 0 2px 12px rgba(0,0,0,.18); }
.frame { border: 1.2mm double #8a6d3b; height: 100%; padding: 9mm 14mm 8mm; display: flex;
  flex-direction: column; }
.issuer { text-align: center; font-family: $SERIF; font-size: 15pt; letter-spacing: .08em;
  text-transform: uppercase; color: #5b4a2a; }
.issuer img { max-height: 18mm; max-width: 50mm; display: block; margin: 0 auto 2mm; }
.kind { text-align: center; font-size: 10pt; letter-spacing: .3em; text-transform: uppercase;
  color: #8a6d3b; margin-top: 2mm; }
.main { flex: 1; display: flex; gap: 10mm; align-items: stretch; margin-top: 5mm; }
.text { flex: 1; text-align: center; display: flex; flex-direction: column;
  justify-content: center; min-width: 0; }
.certify { font-size: 11pt; color: #555; font-style: italic; }
.name { font-family: $SERIF; font-size: 34pt; line-height: 1.35; margin: 2mm 0 3mm;
  color: #111; overflow-wrap: anywhere; }
.name:lang(th) { line-height: 1.6; }
.awarded { font-size: 11pt; color: #555; font-style: italic; }
.achievement { font-family: $SERIF; font-size: 21pt; margin: 2mm 0; color: #3d3020; }
.description { font-size: 9.5pt; color: #444; max-width: 165mm; margin: 1mm auto 0;
  line-height: 1.4; }
.date { font-size: 11pt; margin-top: 4mm; }
.endorsements { margin: 4mm auto 0; font-size: 8.5pt; color: #444; max-width: 170mm;
  text-align: left; }
.endorsements h2 { font-size: 8.5pt; letter-spacing: .2em; text-transform: uppercase;
  color: #8a6d3b; margin: 0 0 1mm; font-weight: 600; }
.endorsements ul { margin: 0; padding-left: 4mm; }
.verify { width: 62mm; display: flex; flex-direction: column; align-items: center;
  justify-content: center; text-align: center; }
.verify svg { width: 58mm; height: auto; display: block; }
.verify .scan { font-size: 9pt; margin-top: 1mm; color: #333; }
.verify .link { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 6.5pt;
  overflow-wrap: anywhere; color: #333; margin-top: 1mm; }
.status { margin-top: 2mm; font-size: 8.5pt; padding: 1mm 2mm; border-radius: 1mm; }
.status.ok { background: #e5f3e5; color: #185c18; }
.status.bad { background: #fbe4e4; color: #8a1616; }
.status ul { margin: 1mm 0 0; padding-left: 4mm; text-align: left; }
.footer { display: flex; justify-content: space-between; font-size: 7pt; color: #666;
  border-top: .2mm solid #c8b98f; padding-top: 1.5mm; gap: 4mm; }
.footer code { font-family: "DejaVu Sans Mono", Consolas, monospace; overflow-wrap: anywhere; }
iframe.issuer-design { border: 0; width: 100%; height: 100%; background: #fff; }
.verify .wallet { margin-top: 3mm; display: flex; flex-direction: column; align-items: center; }
.verify .wallet svg { width: 28mm; }
.share { width: 297mm; margin: 0 auto 8mm; display: flex; gap: 4mm; flex-wrap: wrap;
  justify-content: center; font-size: 11pt; }
.share a { padding: 2mm 4mm; border-radius: 1mm; background: #fffdf8; color: #1d1d1b;
  border: .3mm solid #8a6d3b; text-decoration: none; }
.share p { margin: 0; color: #444; }
@media print {
  .share { display: none; }
  html, body { background: none; }
  .sheet { margin: 0; box-shadow: none; page-break-after: always; }
}
@media screen and (max-width: 900px) {
  .sheet { width: auto; height: auto; margin: 0; padding: 4mm; }
  .main { flex-direction: column; }
  .verify { width: auto; }
  .name { font-size: 26pt; }
}
""".replace("$SERIF", SERIF).replace("$SANS", SANS)


# Bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069) reorder the text that follows
# them on the same line: an issuer name ending in U+202E would print the DID after it backwards. A
# name never needs them, so they (and NUL) are shown as U+FFFD: visible, and inert.
_NEUTRALIZE = dict.fromkeys([0, *range(0x202A, 0x202F), *range(0x2066, 0x206A)], 0xFFFD)


def escape(value: Any) -> str:
    """``value`` as HTML text or attribute value: escaped, bidi controls and NUL neutralized."""
    return html.escape(str(value).translate(_NEUTRALIZE), quote=True)


_e = escape


def _text(value: Any) -> str | None:
    """A display string from a plain string or a JSON-LD value object / language array."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("@value"), str):
        return str(value["@value"])
    if isinstance(value, list) and value:
        return _text(value[0])
    return None


def _lang_of(value: Any) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("@language"), str):
        return str(value["@language"])
    if isinstance(value, list) and value:
        return _lang_of(value[0])
    return None


def detect_lang(text: str) -> str | None:
    """A BCP 47 tag for a name's script: Devanagari (any of several languages), Thai, Vietnamese.

    Devanagari is written for Hindi, Marathi, Nepali and more, so it gets ``und-Deva``
    (language unknown, script known) rather than a guess.
    """
    for ch in text:
        if ch in _VIETNAMESE or 0x1EA0 <= ord(ch) <= 0x1EF9:
            return "vi"
        name = unicodedata.name(ch, "")
        if name.startswith("DEVANAGARI"):
            return "und-Deva"
        if name.startswith("THAI"):
            return "th"
    return None


def _name_of(party: Any) -> str | None:
    if isinstance(party, Mapping):
        return _text(party.get("name")) or (
            party.get("id") if isinstance(party.get("id"), str) else None
        )
    return party if isinstance(party, str) else None


def _date(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return f"{moment.day} {moment.strftime('%B %Y')}"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _data_image(value: Any) -> str | None:
    """Only ``data:`` images of known types (never a URL: the page must not phone home)."""
    url = value.get("id") if isinstance(value, Mapping) else value
    if not isinstance(url, str) or not url.startswith("data:") or len(url) > MAX_DATA_IMAGE_BYTES:
        return None
    media = url[5:].split(";", 1)[0].split(",", 1)[0].lower()
    return url if media in _IMAGE_TYPES else None


def _endorsements(credential: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    issuer = credential.get("issuer")
    found: list[Any] = _as_list(credential.get("endorsement"))
    for holder in (issuer, achievement):
        if isinstance(holder, Mapping):
            found += _as_list(holder.get("endorsement"))
    out: list[tuple[str, str | None]] = []
    for item in found:
        if not isinstance(item, Mapping):
            continue
        who = _name_of(item.get("issuer")) or "an endorser"
        body = item.get("credentialSubject")
        comment = _text(body.get("endorsementComment")) if isinstance(body, Mapping) else None
        out.append((who, comment))
    return out


def _verification_html(verification: Any) -> str:
    """A status line from a verifier result: anything with ``verified`` (attr or key)."""
    if verification is None:
        return ""
    get = verification.get if isinstance(verification, Mapping) else None

    def field(name: str) -> Any:
        return get(name) if get else getattr(verification, name, None)

    ok = bool(field("verified"))
    checked = field("checked_at") or field("checkedAt")
    title = "Verified" if ok else "Not verified"
    when = f" on {_e(_date(checked) or checked)}" if checked else ""
    items = []
    for check in _as_list(field("checks")):
        name = check.get("name") if isinstance(check, Mapping) else getattr(check, "name", None)
        passed = (
            check.get("passed") if isinstance(check, Mapping) else getattr(check, "passed", None)
        )
        if name:
            items.append(f"<li>{'✓' if passed else '✗'} {_e(name)}</li>")
    listing = f"<ul>{''.join(items)}</ul>" if items else ""
    return f'<div class="status {"ok" if ok else "bad"}">{title}{when}{listing}</div>'


# --- render method ---------------------------------------------------------------------------


def _pointer(document: Any, pointer: str) -> Any:
    """RFC 6901 JSON Pointer (``/a/0/b``; ``~1`` = ``/``, ``~0`` = ``~``)."""
    node = document
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif isinstance(node, Mapping) and token in node:
            node = node[token]
        else:
            return None
    return node


def _template_text(method: Mapping[str, Any]) -> str | None:
    template = method.get("template")
    if not isinstance(template, str):
        return None  # a {id, mediaType} map points at a remote file: never fetched
    if not template.startswith("data:"):
        return template if len(template) <= MAX_TEMPLATE_BYTES else None
    head, sep, body = template[5:].partition(",")
    if not sep:
        return None
    media = head.split(";")[0].lower()
    if media not in ("text/html", "image/svg+xml"):
        return None
    try:
        data = (
            base64.b64decode(body, validate=True)
            if head.endswith(";base64")
            else (unquote_to_bytes(body))
        )
        text = data.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return text if len(data) <= MAX_TEMPLATE_BYTES else None


def _fill(template: str, credential: Mapping[str, Any], allowed: set[str]) -> str:
    def one(match: re.Match[str]) -> str:
        path = match.group(1)
        pointer = path if path.startswith("/") else "/" + path.replace(".", "/")
        if allowed and pointer not in allowed:
            return ""
        value = _pointer(credential, pointer)
        shown = str(value) if isinstance(value, int | float) else _text(value)
        return _e(shown) if shown is not None else ""

    return _VAR.sub(one, template)


def render_method_html(credential: Mapping[str, Any]) -> str | None:
    """The issuer's inline template, filled in and escaped; None when credkit honours none."""
    for method in _as_list(credential.get("renderMethod")):
        if not isinstance(method, Mapping):
            continue
        types = _as_list(method.get("type"))
        if "TemplateRenderMethod" not in types or method.get("renderSuite") not in _TEMPLATE_SUITES:
            continue
        template = _template_text(method)
        if template is None:
            continue
        allowed = {p for p in _as_list(method.get("renderProperty")) if isinstance(p, str)}
        return _fill(template, credential, allowed)
    return None


def _issuer_design(filled: str) -> str:
    document = (
        f'<!doctype html><html><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_FRAME_CSP}">'
        f"<style>html,body{{margin:0}}svg{{width:100%;height:auto}}</style></head>"
        f"<body>{filled}</body></html>"
    )
    return (
        '<iframe class="issuer-design" sandbox="" referrerpolicy="no-referrer" '
        f'title="Issuer\'s design of this diploma" srcdoc="{_e(document)}"></iframe>'
    )


# --- page ------------------------------------------------------------------------------------


def render_html(
    credential: Mapping[str, Any],
    *,
    qr_svg: str | None = None,
    verification: Any = None,
    link: str | None = None,
    use_render_method: bool = True,
    linkedin: str | None = None,
    wallet: tuple[str, str] | None = None,
    wallet_hint: bool = False,
) -> str:
    """The diploma as one HTML page (A4 landscape when printed).

    ``qr_svg`` is inline SVG markup from :func:`credkit.share.qr_image.svg` (trusted: credkit made
    it);
    ``link`` is printed under the QR for people who type; ``verification`` is a verifier result
    (``verified`` plus optional ``checks`` of ``name``/``passed``) shown as a status line.
    ``linkedin`` is an add-to-profile URL (:mod:`credkit.share.linkedin`); ``wallet`` is a claim
    link and its QR markup, for the graduate's own copy only: a claim link is a one-time
    capability, so a public page never carries one (``wallet_hint`` says where to find it).
    """
    issuer = credential.get("issuer")
    issuer_name = _name_of(issuer) or "Unknown issuer"
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    subject = subject if isinstance(subject, Mapping) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, Mapping) else {}

    raw_name = subject.get("name")
    name = _text(raw_name) or "the holder of this credential"
    lang = _lang_of(raw_name) or detect_lang(name)
    lang_attr = f' lang="{_e(lang)}"' if lang else ""
    title = _text(achievement.get("name")) or _text(credential.get("name")) or "Diploma"
    kind = _text(achievement.get("achievementType")) or "Credential"
    kind = re.sub(r"^ext:", "", kind)
    description = _text(achievement.get("description"))
    awarded = _date(credential.get("awardedDate") or credential.get("validFrom"))
    until = _date(credential.get("validUntil"))
    cred_id = credential.get("id") if isinstance(credential.get("id"), str) else None
    logo = _data_image(issuer.get("image")) if isinstance(issuer, Mapping) else None

    endorsed = _endorsements(credential)
    endorsements = ""
    if endorsed:
        rows = "".join(
            f"<li><strong>{_e(who)}</strong>" + (f" — {_e(comment)}" if comment else "") + "</li>"
            for who, comment in endorsed
        )
        endorsements = (
            f'<section class="endorsements"><h2>Endorsed by</h2><ul>{rows}</ul></section>'
        )

    verify_parts: list[str] = []
    if qr_svg:
        verify_parts.append(qr_svg)
        verify_parts.append('<div class="scan">Scan to check this diploma</div>')
    if link:
        verify_parts.append(f'<div class="link">{_e(link)}</div>')
    verify_parts.append(_verification_html(verification))
    if wallet is not None:
        verify_parts.append(
            f'<div class="wallet">{wallet[1]}'
            '<div class="scan">Add to my wallet: scan with your wallet app</div></div>'
        )
    share: list[str] = []
    if wallet is not None:
        share.append(f'<a class="wallet-link" href="{_e(wallet[0])}">Add to my wallet</a>')
    elif wallet_hint:
        share.append(
            "<p>To add this diploma to a wallet app, open the claim link your program sent you.</p>"
        )
    if linkedin:
        share.append(
            f'<a class="linkedin" href="{_e(linkedin)}" rel="noopener noreferrer">'
            "Add to LinkedIn</a>"
        )
    share_html = f'<nav class="share">{"".join(share)}</nav>' if share else ""

    design = render_method_html(credential) if use_render_method else None
    if design is not None:
        body = f'<div class="text">{_issuer_design(design)}</div>'
    else:
        body = (
            '<div class="text">'
            '<div class="certify">This is to certify that</div>'
            f'<div class="name"{lang_attr}>{_e(name)}</div>'
            '<div class="awarded">has been awarded</div>'
            f'<div class="achievement">{_e(title)}</div>'
            + (f'<div class="description">{_e(description)}</div>' if description else "")
            + (f'<div class="date">Awarded {_e(awarded)}</div>' if awarded else "")
            + endorsements
            + "</div>"
        )

    footer_bits: Iterable[str] = (
        f"Issued by {_e(issuer_name)}"
        + (f" · <code>{_e(issuer.get('id'))}</code>" if isinstance(issuer, Mapping) else ""),
        (f"Credential <code>{_e(cred_id)}</code>" if cred_id else "")
        + (f" · valid until {_e(until)}" if until else ""),
    )
    logo_html = f'<img alt="" src="{_e(logo)}">' if logo else ""
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{PAGE_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_e(title)} — {_e(name)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        '<main class="sheet"><div class="frame">'
        f'<header class="issuer">{logo_html}{_e(issuer_name)}</header>'
        f'<div class="kind">{_e(kind)}</div>'
        f'<div class="main">{body}<aside class="verify">{"".join(verify_parts)}</aside></div>'
        f'<footer class="footer">{"".join(f"<span>{b}</span>" for b in footer_bits)}</footer>'
        f"</div></main>{share_html}\n</body>\n</html>\n"
    )
