"""``credkit qr`` and ``credkit render``: share a signed diploma as a QR code or a printable page.

Register in :mod:`credkit.cli` with ``main.add_command(qr)`` and ``main.add_command(render)``.
``base_url`` is a plain parameter of the helpers below so that a workspace (``--issuer-dir``) can
supply its configured URL later without touching this module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from credkit.cli.common import fail, friendly, read_json
from credkit.share.qr import (
    DEFAULT_ECC,
    EmbeddedPayload,
    LinkPayload,
    QrError,
    Symbol,
    decode_payload,
    make_symbol,
    qr_for,
    read_qr,
    svg,
    write_image,
)
from credkit.share.render import render_html


def _credential(path: str) -> dict[str, Any]:
    document = read_json(path)
    if not isinstance(document, dict):
        fail("the diploma must be a JSON object (a signed credential)")
    if not document.get("proof"):
        fail(f"{path} has no proof: sign it first (credkit issue)")
    return document


def make_qr_file(
    credential: dict[str, Any],
    out: str,
    *,
    mode: str = "link",
    base_url: str | None = None,
    ecc: str | None = None,
    caption: str | None = None,
    size_px: int | None = None,
) -> Symbol:
    """Write the QR image of ``credential``; ``base_url`` may come from a workspace config."""
    symbol = qr_for(credential, mode, base_url=base_url, ecc=ecc)
    write_image(symbol, out, caption=caption, size_px=size_px)
    return symbol


def render_file(
    credential: dict[str, Any],
    out: str,
    *,
    base_url: str | None = None,
    mode: str | None = None,
    claim_url: str | None = None,
) -> Symbol:
    """Write the printable page; the QR is a link when ``base_url`` is known, else embedded.
    ``claim_url`` (a one-time wallet claim link) adds an "Add to my wallet" QR: for the
    graduate's own copy only."""
    chosen = mode or ("link" if base_url else "embed")
    try:
        symbol = qr_for(credential, chosen, base_url=base_url)
    except QrError as exc:
        if chosen != "embed" or mode is not None:
            raise
        raise QrError(
            f"{exc.message.split(';')[0]}; print a link QR instead: pass --base-url URL or "
            "--issuer-dir DIR (where the diploma is hosted)"
        ) from None
    link = symbol.text if chosen == "link" else None
    from credkit.share.linkedin import linkedin_link

    wallet = None
    if claim_url is not None:
        if not claim_url.startswith("https://") or any(c.isspace() for c in claim_url):
            raise QrError(f"--claim-url must be an https:// link, not {claim_url!r}")
        wallet = (claim_url, svg(make_symbol(claim_url, ecc="M"), xml_declaration=False))
    page = render_html(
        credential,
        qr_svg=svg(symbol, xml_declaration=False),
        link=link,
        linkedin=linkedin_link(credential, base_url),
        wallet=wallet,
    )
    Path(out).write_text(page, encoding="utf-8")
    return symbol


def _base_url(base_url: str | None, issuer_dir: str | None) -> str | None:
    """An explicit --base-url wins; else the workspace's (the URL its diplomas are hosted at)."""
    if base_url or issuer_dir is None:
        return base_url
    from credkit.issuer.workspace import Workspace

    return Workspace.open(issuer_dir).require_base_url()


@click.command("qr")
@click.argument("diploma", required=False, type=click.Path(allow_dash=True, dir_okay=False))
@click.option(
    "--mode",
    type=click.Choice(["link", "embed"]),
    default="link",
    show_default=True,
    help="link: a short URL to the hosted diploma; embed: the whole signed diploma (offline).",
)
@click.option("--base-url", help="Where signed diplomas are published (link mode): URL/c/<id>.")
@click.option(
    "--issuer-dir",
    type=click.Path(file_okay=False),
    help="Take --base-url from this issuer workspace's publish.base_url.",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Image to write: .png or .svg.")
@click.option(
    "--ecc",
    type=click.Choice(["L", "M", "Q", "H"], case_sensitive=False),
    metavar="[L|M|Q|H]",
    help="Error correction level, case-insensitive (l, m, q, h work too; default: link "
    f"{DEFAULT_ECC['link']}, embed {DEFAULT_ECC['embed']}).",
)
@click.option("--caption", help="Text under the code, e.g. 'Scan to verify'.")
@click.option("--size", "size_px", type=int, help="PNG: exact width/height in pixels.")
@click.option(
    "--decode",
    "decode_image",
    type=click.Path(exists=True, dir_okay=False),
    help="Read the QR code in this image (PNG/SVG/JPEG) and print its credential or link.",
)
@friendly
def qr(
    diploma: str | None,
    mode: str,
    base_url: str | None,
    issuer_dir: str | None,
    out: str | None,
    ecc: str | None,
    caption: str | None,
    size_px: int | None,
    decode_image: str | None,
) -> None:
    """Make a QR code for a signed DIPLOMA, or read one back with --decode IMAGE."""
    if decode_image:
        if diploma:
            fail("give either a DIPLOMA to encode or --decode IMAGE, not both")
        payload = decode_payload(read_qr(decode_image))
        if isinstance(payload, LinkPayload):
            click.echo(payload.url)
        elif isinstance(payload, EmbeddedPayload):
            click.echo(json.dumps(payload.credential, indent=2, ensure_ascii=False))
        return
    if not diploma:
        fail("give a signed DIPLOMA.json to encode (or --decode IMAGE)")
    if not out:
        fail("--out FILE.png or FILE.svg is required")
    symbol = make_qr_file(
        _credential(diploma),
        out,
        mode=mode,
        base_url=_base_url(base_url, issuer_dir),
        ecc=ecc.upper() if ecc else None,
        caption=caption,
        size_px=size_px,
    )
    click.echo(
        f"wrote {out}: QR version {symbol.version} ({symbol.modules}x{symbol.modules} modules "
        f"+ 4-module quiet zone), ECC {symbol.ecc}, {len(symbol.text)} characters ({mode})",
        err=True,
    )
    if symbol.version > 25:
        click.echo(
            "note: a code this dense needs a sharp print (at least 4 cm wide) or a good camera; "
            "--mode link makes a much smaller one",
            err=True,
        )


@click.command("render")
@click.argument("diploma", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="HTML file to write.")
@click.option("--base-url", help="Put a link QR (URL/c/<id>) on the page instead of the diploma.")
@click.option(
    "--issuer-dir",
    type=click.Path(file_okay=False),
    help="Take --base-url from this issuer workspace's publish.base_url.",
)
@click.option(
    "--claim-url",
    metavar="URL",
    help="Add an 'Add to my wallet' QR for this claim link (credkit offer create): for the "
    "graduate's own copy only, since the link claims the diploma once.",
)
@friendly
def render(
    diploma: str, out: str, base_url: str | None, issuer_dir: str | None, claim_url: str | None
) -> None:
    """Write a printable, self-contained HTML page for a signed DIPLOMA (A4 landscape)."""
    base_url = _base_url(base_url, issuer_dir)
    symbol = render_file(_credential(diploma), out, base_url=base_url, claim_url=claim_url)
    kind = "link" if base_url else "embedded diploma"
    click.echo(f"wrote {out} (QR: {kind}, version {symbol.version})", err=True)
