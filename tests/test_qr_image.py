"""QR images: diploma → PNG/SVG → zxing-cpp → payload → proof verifies; and the CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from credkit.proofs import verify
from credkit.share.qr import (
    EmbeddedPayload,
    LinkPayload,
    QrError,
    make_symbol,
    png,
    qr_for,
    read_payload,
    read_qr,
    svg,
    write_image,
)
from test_qr_payload import NAMES, SUITES, signed_diploma

zxingcpp = pytest.importorskip("zxingcpp", reason="reading QR codes needs zxing-cpp ([qr-read])")
Image = pytest.importorskip("PIL.Image", reason="reading QR codes needs Pillow ([qr-read])")

ARTIFACTS = Path(__file__).parent / "artifacts"
BASE_URL = "https://diplomas.example.org"


def _cairo_available() -> bool:
    try:
        import cairosvg  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


needs_cairo = pytest.mark.skipif(
    not _cairo_available(), reason="rasterising SVG needs cairosvg and libcairo2 ([qr-read])"
)


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("script", sorted(NAMES))
@pytest.mark.parametrize("mode", ["embed", "link"])
def test_png_round_trip_through_a_real_decoder(
    tmp_path: Path, suite: str, script: str, mode: str
) -> None:
    signed = signed_diploma(NAMES[script], suite)
    symbol = qr_for(signed, mode, base_url=BASE_URL)
    out = write_image(symbol, tmp_path / "qr.png")
    payload = read_payload(out)
    if mode == "embed":
        assert isinstance(payload, EmbeddedPayload)
        assert payload.credential["credentialSubject"]["name"] == NAMES[script]
        assert verify(payload.credential).verified
    else:
        assert isinstance(payload, LinkPayload)
        assert payload.url.startswith(BASE_URL + "/c/")
        assert payload.matches(signed)
        assert verify(signed).verified  # what the link serves


@needs_cairo
@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("mode", ["embed", "link"])
def test_svg_round_trip_rasterised(tmp_path: Path, suite: str, mode: str) -> None:
    signed = signed_diploma(NAMES["thai"], suite)
    symbol = qr_for(signed, mode, base_url=BASE_URL)
    out = write_image(symbol, tmp_path / "qr.svg", caption=f"{NAMES['thai']} — scan to verify")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<?xml") and "<script" not in text
    assert NAMES["thai"] in text  # the caption, as text
    payload = read_payload(out)
    if mode == "embed":
        assert isinstance(payload, EmbeddedPayload)
        assert verify(payload.credential).verified
    else:
        assert isinstance(payload, LinkPayload) and payload.matches(signed)


def test_embedded_example_diploma_scans_from_a_300px_png() -> None:
    signed = signed_diploma("Maria Santos", "eddsa-rdfc-2022")
    symbol = qr_for(signed, "embed")
    data = png(symbol, size_px=300)
    image = Image.open(io.BytesIO(data))
    assert image.size == (300, 300)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "embedded-300px.png").write_bytes(data)
    # docs/qr.md reports these: version 27, 125 x 125 modules, ECC L, 2 px a module.
    assert (symbol.version, symbol.modules, symbol.ecc) == (27, 125, "L")
    payload = read_payload(data)
    assert isinstance(payload, EmbeddedPayload)
    assert verify(payload.credential).verified


def test_embedded_diploma_still_scans_after_jpeg_and_resampling() -> None:
    symbol = qr_for(signed_diploma(), "embed")
    image = Image.open(io.BytesIO(png(symbol, scale=4))).convert("RGB")
    image = image.resize((520, 520), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=70)
    payload = read_payload(buf.getvalue())
    assert isinstance(payload, EmbeddedPayload) and verify(payload.credential).verified


def test_ecc_level_and_quiet_zone() -> None:
    symbol = make_symbol("https://diplomas.example.org/c/53yymfjj2tuebr5wkzmhkad6bu", ecc="H")
    assert symbol.ecc == "H"
    image = Image.open(io.BytesIO(png(symbol, scale=1))).convert("L")
    assert image.size == (symbol.modules + 8, symbol.modules + 8)
    quiet = [image.getpixel((x, y)) for x in range(4) for y in range(image.height)]
    assert min(quiet) == 255  # 4 white modules on the left edge
    assert image.getpixel((4, 4)) == 0  # the finder pattern starts right after


def test_png_caption_and_too_small_size() -> None:
    symbol = qr_for(signed_diploma(), "embed")
    with pytest.raises(QrError, match="cannot be drawn in 100 pixels"):
        png(symbol, size_px=100)
    captioned = png(symbol, scale=3, caption="Scan to verify — " + NAMES["devanagari"])
    image = Image.open(io.BytesIO(captioned))
    assert image.height > image.width
    assert read_payload(captioned)


def test_reading_an_image_without_a_qr_code(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    with pytest.raises(QrError, match="no QR code"):
        read_qr(blank)
    not_image = tmp_path / "x.png"
    not_image.write_bytes(b"definitely not a PNG")
    with pytest.raises(QrError, match="not a readable image"):
        read_qr(not_image)


def test_svg_escapes_its_caption() -> None:
    symbol = make_symbol("https://x.example/c/53yymfjj2tuebr5wkzmhkad6bu")
    markup = svg(symbol, caption='<script>alert(1)</script> & "x"')
    assert "<script>" not in markup and "&lt;script&gt;" in markup


# --- CLI -------------------------------------------------------------------------------------


def _cli() -> object:
    import click

    from credkit.cli.qr import qr, render

    group = click.Group()
    group.add_command(qr)
    group.add_command(render)
    return group


def test_cli_qr_embed_then_decode(tmp_path: Path) -> None:
    diploma = tmp_path / "diploma.json"
    signed = signed_diploma(NAMES["vietnamese"], "eddsa-jcs-2022")
    diploma.write_text(json.dumps(signed, ensure_ascii=False), encoding="utf-8")
    runner = CliRunner()
    out = tmp_path / "qr.png"
    made = runner.invoke(
        _cli(), ["qr", str(diploma), "--mode", "embed", "--out", str(out), "--ecc", "l"]
    )  # type: ignore[arg-type]
    assert made.exit_code == 0, made.output
    assert "QR version" in made.output
    decoded = runner.invoke(_cli(), ["qr", "--decode", str(out)])  # type: ignore[arg-type]
    assert decoded.exit_code == 0, decoded.output
    assert json.loads(decoded.stdout) == signed


def test_cli_qr_link_then_decode(tmp_path: Path) -> None:
    diploma = tmp_path / "diploma.json"
    diploma.write_text(json.dumps(signed_diploma()), encoding="utf-8")
    out = tmp_path / "qr.png"
    runner = CliRunner()
    args = ["qr", str(diploma), "--base-url", BASE_URL, "--out", str(out), "--caption", "Scan"]
    assert runner.invoke(_cli(), args).exit_code == 0  # type: ignore[arg-type]
    decoded = runner.invoke(_cli(), ["qr", "--decode", str(out)])  # type: ignore[arg-type]
    assert decoded.stdout.strip().startswith(BASE_URL + "/c/")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["qr", "{diploma}", "--out", "{tmp}/q.png"], "needs a base URL"),
        (["qr", "{unsigned}", "--mode", "embed", "--out", "{tmp}/q.png"], "has no proof"),
        (["qr", "{diploma}", "--mode", "embed", "--out", "{tmp}/q.gif"], ".png or .svg"),
        (["qr", "{diploma}", "--mode", "embed"], "--out"),
        (["qr", "--decode", "{garbage}"], "not a readable image"),
        (["qr", "{garbage}", "--mode", "embed", "--out", "{tmp}/q.png"], "not valid JSON"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    diploma = tmp_path / "d.json"
    diploma.write_text(json.dumps(signed_diploma()), encoding="utf-8")
    unsigned = tmp_path / "u.json"
    unsigned.write_text(json.dumps({k: v for k, v in signed_diploma().items() if k != "proof"}))
    garbage = tmp_path / "g.png"
    garbage.write_bytes(b"\x00garbage")
    values = {"diploma": diploma, "unsigned": unsigned, "garbage": garbage, "tmp": tmp_path}
    result = CliRunner().invoke(_cli(), [a.format(**values) for a in args])  # type: ignore[arg-type]
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def _blank_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width`` x ``height`` white pixels (a few KB: zeros compress)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(row * height, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_an_image_over_the_pixel_limit_is_refused_before_decoding() -> None:
    # 8,900 x 8,900 = 79 Mpx: under Pillow's own bomb threshold (twice its limit), over ours
    from credkit.share.qr_image import MAX_IMAGE_PIXELS, load_image

    huge = _blank_png(8_900, 8_900)
    assert len(huge) < 1_000_000 and 2 * MAX_IMAGE_PIXELS > 8_900 * 8_900
    with pytest.raises(QrError, match="megapixel limit"):
        load_image(huge)
    assert load_image(_blank_png(300, 300)).size == (300, 300)  # a normal image still loads
