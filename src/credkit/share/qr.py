"""Share a signed diploma as a QR code: a link (small, robust) or the whole credential (offline).

The façade over :mod:`credkit.share.qr_payload` (what the QR says) and
:mod:`credkit.share.qr_image` (drawing
and reading symbols). Typical use::

    symbol = qr_for(signed, mode="embed")
    write_image(symbol, "diploma-qr.png", caption="Scan to verify")
    payload = decode_payload(read_qr("diploma-qr.png"))   # EmbeddedPayload or LinkPayload
"""

from __future__ import annotations

from typing import Any

from credkit.share.qr_image import (
    ECC_LEVELS,
    QUIET_ZONE,
    Symbol,
    load_image,
    make_symbol,
    png,
    read_qr,
    read_qr_texts,
    svg,
    write_image,
)
from credkit.share.qr_payload import (
    EMBED_PREFIX,
    EmbeddedPayload,
    LinkPayload,
    Payload,
    QrError,
    QrPayloadError,
    decode_embedded,
    decode_payload,
    encode_embedded,
    link_id,
    link_url,
    make_payload,
    parse_link,
)

__all__ = [
    "DEFAULT_ECC",
    "ECC_LEVELS",
    "EMBED_PREFIX",
    "QUIET_ZONE",
    "EmbeddedPayload",
    "LinkPayload",
    "Payload",
    "QrError",
    "QrPayloadError",
    "Symbol",
    "decode_embedded",
    "decode_payload",
    "encode_embedded",
    "link_id",
    "link_url",
    "load_image",
    "make_payload",
    "make_symbol",
    "parse_link",
    "png",
    "qr_for",
    "read_payload",
    "read_qr",
    "read_qr_texts",
    "svg",
    "write_image",
]

# A link is short, so it can afford Q (25 % of the symbol may be damaged: a fold, a stain, a
# thumb on a phone screen). An embedded diploma is already large; L keeps it at a version a phone
# can still read, and segno raises the level when a higher one fits the same version.
DEFAULT_ECC = {"link": "Q", "embed": "L"}


def qr_for(
    credential: dict[str, Any],
    mode: str = "link",
    *,
    base_url: str | None = None,
    ecc: str | None = None,
    mask: int | None = None,
) -> Symbol:
    """The QR symbol sharing ``credential``.

    ``base_url`` is where the issuer publishes signed diplomas (``{base_url}/c/{id}``); a
    workspace's configured URL is meant to be passed here by the caller.
    """
    mode = "embed" if mode == "embedded" else mode
    text = make_payload(credential, mode, base_url=base_url)
    return make_symbol(text, ecc=ecc or DEFAULT_ECC.get(mode, "M"), mask=mask)


def read_payload(source: Any) -> Payload:
    """Read the QR code in an image file (PNG, SVG, screenshot) and decode its payload."""
    return decode_payload(read_qr(source))
