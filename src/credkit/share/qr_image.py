"""QR symbols as PNG and SVG, and reading them back with a real decoder.

Symbols are made with ``segno`` (measured faster than ``qrcode``: ~1.6x to build a version-27
symbol, ~6x to write its SVG; numbers in docs/qr.md). The mask is chosen by the standard's
penalty rules unless a fixed ``mask`` is passed: evaluating all eight costs ~70 ms for a big
embedded symbol, which is worth it for a code that must scan from paper, and a batch can fix it.
The quiet zone is 4 modules (ISO/IEC 18004 §6.3.8); ``segno`` raises the error-correction level
for free when the data still fits the same version, and the symbol reports what it got.

Reading uses ``zxing-cpp`` on a Pillow image; SVG is rasterised with ``cairosvg`` (which does not
fetch external resources unless told to). Those three are the ``[qr-read]`` extra; PNG captions
and exact pixel sizes need Pillow too.
"""

from __future__ import annotations

import importlib
import io
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

import segno

from credkit.share.qr_payload import QrError

if TYPE_CHECKING:
    from PIL.Image import Image

QUIET_ZONE = 4
ECC_LEVELS = ("L", "M", "Q", "H")
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000

# Fonts for PNG captions, by script (Debian paths from fonts-noto-core / fonts-dejavu-core).
_FONT_DIRS = ("/usr/share/fonts/truetype/noto", "/usr/share/fonts/truetype/dejavu")
_FONTS = {
    "Deva": ("NotoSansDevanagari-Regular.ttf",),
    "Thai": ("NotoSansThai-Regular.ttf", "NotoSansThaiUI-Regular.ttf"),
    "Latn": ("NotoSans-Regular.ttf", "DejaVuSans.ttf"),
}
CAPTION_FONT_STACK = (
    '"Noto Sans", "Noto Sans Devanagari", "Noto Sans Thai", "Nirmala UI", '
    '"Leelawadee UI", "Segoe UI", Tahoma, "DejaVu Sans", sans-serif'
)


@dataclass(frozen=True)
class Symbol:
    """A built QR symbol and what it came out as (for reports and docs)."""

    qr: Any  # segno.QRCode (segno ships no type hints for it)
    text: str

    @property
    def version(self) -> int:
        return int(self.qr.version)

    @property
    def modules(self) -> int:
        """Width in modules, without the quiet zone (17 + 4 x version)."""
        return int(self.qr.symbol_size(border=0)[0])

    @property
    def ecc(self) -> str:
        return str(self.qr.error)

    @property
    def mode(self) -> str:
        return str(self.qr.mode)


def make_symbol(text: str, *, ecc: str = "M", mask: int | None = None) -> Symbol:
    """Build the QR symbol; alphanumeric mode is picked by segno when the text allows it."""
    level = ecc.upper()
    if level not in ECC_LEVELS:
        raise QrError(f"error correction {ecc!r} is not one of L, M, Q, H")
    if mask is not None and not 0 <= mask <= 7:
        raise QrError(f"mask {mask} is not 0..7")
    try:
        qr = segno.make_qr(text, error=level, mask=mask, boost_error=True)
    except segno.DataOverflowError:
        raise QrError(
            f"{len(text)} characters do not fit a QR code at error correction {level}; "
            "use a lower --ecc or share a link (--mode link)"
        ) from None
    return Symbol(qr, text)


def _script(text: str) -> str:
    """The first non-Latin script in ``text`` (``Deva``, ``Thai``) or ``Latn``."""
    for ch in text:
        name = unicodedata.name(ch, "")
        if name.startswith("DEVANAGARI"):
            return "Deva"
        if name.startswith("THAI"):
            return "Thai"
    return "Latn"


# --- SVG -------------------------------------------------------------------------------------


def _path_data(matrix: Any) -> str:
    """One closed run per horizontal stretch of dark modules, in module units."""
    parts: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        width = len(row)
        while x < width:
            if row[x] & 1:
                start = x
                while x < width and row[x] & 1:
                    x += 1
                parts.append(f"M{start + QUIET_ZONE} {y + QUIET_ZONE}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return "".join(parts)


def svg(
    symbol: Symbol,
    *,
    scale: int = 4,
    caption: str | None = None,
    title: str | None = None,
    xml_declaration: bool = True,
) -> str:
    """A standalone SVG (crisp edges, white background, 4-module quiet zone, optional caption).

    Drawn here rather than by segno so the caption can sit inside the same picture and the
    markup can be inlined into the printable diploma as it is.
    """
    size = symbol.modules + 2 * QUIET_ZONE
    band = 0.0
    caption_el = ""
    if caption:
        font = max(3.0, size / 22)
        band = font * 2.2
        caption_el = (
            f'<text x="{size / 2:g}" y="{size + font * 0.9:g}" text-anchor="middle" '
            f'font-size="{font:g}" font-family={quoteattr(CAPTION_FONT_STACK)} '
            f'fill="#000">{escape(caption)}</text>'
        )
    height = size + band
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if xml_declaration else ""
    title_el = f"<title>{escape(title)}</title>" if title else ""
    return (
        f'{head}<svg xmlns="http://www.w3.org/2000/svg" class="credkit-qr" '
        f'width="{size * scale}" height="{height * scale:g}" viewBox="0 0 {size} {height:g}" '
        f'shape-rendering="crispEdges" role="img">{title_el}'
        f'<rect width="{size}" height="{height:g}" fill="#fff"/>'
        f'<path fill="#000" d="{_path_data(symbol.qr.matrix)}"/>{caption_el}</svg>\n'
    )


# --- PNG -------------------------------------------------------------------------------------


def _pil() -> Any:
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ModuleNotFoundError:
        raise QrError("this needs Pillow: pip install 'credkit[qr-read]' (or pillow)") from None
    return Image, ImageDraw, ImageFont


def _caption_font(text: str, size: int) -> Any:
    _, _, image_font = _pil()
    for name in _FONTS[_script(text)]:
        for folder in _FONT_DIRS:
            path = os.path.join(folder, name)
            if os.path.exists(path):
                return image_font.truetype(path, size)
    return image_font.load_default(size)


def png(
    symbol: Symbol,
    *,
    scale: int | None = None,
    size_px: int | None = None,
    caption: str | None = None,
) -> bytes:
    """A 1-bit-looking PNG: integer pixels per module (no blur), quiet zone of 4 modules.

    ``size_px`` makes an exact square of that many pixels: the largest whole number of pixels per
    module that fits, centred on white (the extra margin only widens the quiet zone).
    """
    total = symbol.modules + 2 * QUIET_ZONE
    if size_px is not None:
        scale = size_px // total
        if scale < 1:
            raise QrError(
                f"a version-{symbol.version} QR has {total} modules with its quiet zone; "
                f"it cannot be drawn in {size_px} pixels (need at least {total})"
            )
    scale = scale or 8
    if size_px is None and not caption:
        out = io.BytesIO()
        symbol.qr.save(out, kind="png", scale=scale, border=QUIET_ZONE)
        return out.getvalue()
    image_mod, draw_mod, _ = _pil()
    buf = io.BytesIO()
    symbol.qr.save(buf, kind="png", scale=scale, border=QUIET_ZONE)
    code = image_mod.open(io.BytesIO(buf.getvalue())).convert("L")
    width = size_px or code.width
    band = 0
    font = None
    if caption:
        font = _caption_font(caption, max(12, width // 24))
        band = int(font.size * 2)
    canvas = image_mod.new("L", (width, (size_px or code.height) + band), 255)
    offset = (width - code.width) // 2
    canvas.paste(code, (offset, ((size_px or code.height) - code.height) // 2))
    if caption and font is not None:
        draw = draw_mod.Draw(canvas)
        draw.text(
            (width / 2, (size_px or code.height) + band / 2),
            caption,
            fill=0,
            font=font,
            anchor="mm",
        )
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()


def write_image(
    symbol: Symbol,
    out: str | os.PathLike[str],
    *,
    caption: str | None = None,
    scale: int | None = None,
    size_px: int | None = None,
) -> Path:
    """Write PNG or SVG, chosen by the file's suffix."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        path.write_text(svg(symbol, scale=scale or 4, caption=caption), encoding="utf-8")
    elif suffix == ".png":
        path.write_bytes(png(symbol, scale=scale, size_px=size_px, caption=caption))
    else:
        raise QrError(f"{path.name}: write .png or .svg (got {suffix or 'no suffix'!r})")
    return path


# --- reading back ----------------------------------------------------------------------------


def _rasterise_svg(data: bytes, width: int = 1400) -> Image:
    try:
        cairosvg = importlib.import_module("cairosvg")  # untyped; Any is what we get anyway
    except (ModuleNotFoundError, OSError):  # OSError: the cairo C library is missing
        raise QrError(
            "reading SVG needs cairosvg and the cairo library: pip install 'credkit[qr-read]' "
            "(Debian: apt-get install libcairo2)"
        ) from None
    image_mod, _, _ = _pil()
    try:
        raster = cairosvg.svg2png(bytestring=data, output_width=width, background_color="white")
    except Exception as exc:  # cairosvg raises a mix of XML and value errors
        raise QrError(f"the SVG could not be drawn: {exc}") from None
    return image_mod.open(io.BytesIO(raster))  # type: ignore[no-any-return]


def load_image(source: str | os.PathLike[str] | bytes) -> Image:
    """Open PNG/JPEG/... with Pillow, or rasterise SVG; refuse huge files and pixel bombs."""
    image_mod, _, _ = _pil()
    if isinstance(source, bytes):
        data = source
    else:
        with open(source, "rb") as fh:
            data = fh.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise QrError(f"image is larger than {MAX_IMAGE_BYTES} bytes")
    head = data[:512].lstrip()
    if head.startswith((b"<svg", b"<?xml")) or b"<svg" in head:
        return _rasterise_svg(data)
    image_mod.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        image = image_mod.open(io.BytesIO(data))  # lazy: reads the header, not the pixels
    except Exception as exc:  # Pillow: UnidentifiedImageError, DecompressionBombError, ...
        # Pillow names its buffer ("<_io.BytesIO object at 0x…>"): say which image instead
        name = "the image" if isinstance(source, bytes) else Path(source).name
        if type(exc).__name__ == "UnidentifiedImageError":
            raise QrError(f"{name} is not a readable image (PNG, JPEG or SVG)") from None
        raise QrError(f"{name} is not a readable image: {exc}") from None
    # Pillow refuses only beyond twice its limit (between 1x and 2x it merely warns), so a
    # 79-megapixel image took 841 MB: the limit is enforced here, before any pixel is decoded
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise QrError(
            f"image is {width}x{height} pixels, over the {MAX_IMAGE_PIXELS // 1_000_000}-megapixel "
            "limit"
        )
    try:
        image.load()
    except Exception as exc:
        name = "the image" if isinstance(source, bytes) else Path(source).name
        raise QrError(f"{name} is not a readable image: {exc}") from None
    return image  # type: ignore[no-any-return]


def read_qr_texts(source: str | os.PathLike[str] | bytes | Image) -> list[str]:
    """Every QR code's text found in the image, in the decoder's order."""
    try:
        import zxingcpp
    except ModuleNotFoundError:
        raise QrError("reading QR codes needs zxing-cpp: pip install 'credkit[qr-read]'") from None
    image = load_image(source) if isinstance(source, str | bytes | os.PathLike) else source
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    found = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    return [str(b.text) for b in found if b.valid]


def read_qr(source: str | os.PathLike[str] | bytes | Image) -> str:
    """The text of the one QR code in the image (PNG, JPEG, SVG, a screenshot)."""
    texts = list(dict.fromkeys(read_qr_texts(source)))
    if not texts:
        raise QrError("no QR code could be read in the image")
    if len(texts) > 1:
        raise QrError(f"the image holds {len(texts)} different QR codes; crop it to one")
    return texts[0]
