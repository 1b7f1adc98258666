"""The printable diploma page: escaping, scripts and languages, render methods, and a real browser.

The browser tests render the page with headless Chromium (Debian package ``chromium``), screenshot
it, and read the QR code out of the screenshot with zxing-cpp: what an employer's phone would do
with the printed page. Screenshots are kept in tests/artifacts/ for a human to look at.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from credkit.proofs import verify
from credkit.share.qr import EmbeddedPayload, LinkPayload, qr_for, read_payload, svg
from credkit.share.render import detect_lang, render_html, render_method_html
from test_qr_payload import NAMES, SUITES, signed_diploma

ARTIFACTS = Path(__file__).parent / "artifacts"
BASE_URL = "https://diplomas.example.org"
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def _page(credential: dict[str, Any], mode: str = "embed", **kwargs: Any) -> str:
    symbol = qr_for(credential, mode, base_url=BASE_URL)
    link = symbol.text if mode == "link" else None
    return render_html(credential, qr_svg=svg(symbol, xml_declaration=False), link=link, **kwargs)


# --- markup ----------------------------------------------------------------------------------


def test_hostile_values_are_escaped_everywhere() -> None:
    credential = signed_diploma()
    credential["credentialSubject"]["name"] = HOSTILE
    credential["issuer"]["name"] = HOSTILE
    credential["credentialSubject"]["achievement"]["name"] = HOSTILE
    credential["credentialSubject"]["achievement"]["description"] = HOSTILE
    credential["id"] = 'urn:x"><script>alert(3)</script>'
    credential["endorsement"] = [
        {"issuer": {"name": HOSTILE}, "credentialSubject": {"endorsementComment": HOSTILE}}
    ]
    page = render_html(credential)
    assert "<script" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "urn:x&quot;&gt;&lt;script&gt;" in page


def test_page_is_self_contained() -> None:
    credential = signed_diploma()
    credential["issuer"]["image"] = {"id": "https://tracker.example/logo.png", "type": "Image"}
    page = _page(credential)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<svg" in page and "<link" not in page
    assert "@page { size: A4 landscape" in page


def test_data_image_logo_is_shown() -> None:
    credential = signed_diploma()
    pixel = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
    credential["issuer"]["image"] = {"id": f"data:image/png;base64,{pixel}", "type": "Image"}
    assert f'src="data:image/png;base64,{pixel}"' in render_html(credential)
    credential["issuer"]["image"] = "data:text/html;base64,PHNjcmlwdD4="
    assert "data:text/html" not in render_html(credential)


@pytest.mark.parametrize(
    ("name", "lang"),
    [
        (NAMES["devanagari"], "und-Deva"),
        (NAMES["thai"], "th"),
        (NAMES["vietnamese"], "vi"),
        ("Maria Santos", None),
        ("Siti Nurhaliza", None),
    ],
)
def test_graduate_name_is_tagged_with_its_script(name: str, lang: str | None) -> None:
    assert detect_lang(name) == lang
    credential = signed_diploma(name)
    page = render_html(credential)
    tag = f' lang="{lang}"' if lang else ""
    assert f'<div class="name"{tag}>{name}</div>' in page
    assert "Noto Serif Devanagari" in page and "Noto Serif Thai" in page


def test_language_value_object_wins_over_detection() -> None:
    credential = signed_diploma()
    credential["credentialSubject"]["name"] = {"@value": "प्रिया शर्मा", "@language": "mr"}
    assert '<div class="name" lang="mr">प्रिया शर्मा</div>' in render_html(credential)


def test_endorsements_are_listed() -> None:
    credential = signed_diploma()
    credential["credentialSubject"]["achievement"]["endorsement"] = [
        {
            "type": ["VerifiableCredential", "EndorsementCredential"],
            "issuer": {
                "id": "did:web:skills.example",
                "name": "Media & Entertainment Skills Council",
            },
            "credentialSubject": {
                "endorsementComment": "Meets the national post-production standard."
            },
        }
    ]
    page = render_html(credential)
    assert "Endorsed by" in page
    assert "Media &amp; Entertainment Skills Council" in page
    assert "Meets the national post-production standard." in page


def test_verification_result_is_shown() -> None:
    page = render_html(
        signed_diploma(),
        verification={
            "verified": False,
            "checks": [{"name": "revocation_status", "passed": False}],
        },
    )
    assert "Not verified" in page and "revocation_status" in page


# --- render method ---------------------------------------------------------------------------


def _svg_template() -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 100">'
        '<text x="10" y="50">{{credentialSubject.name}} / {{ /credentialSubject/achievement/name }}'
        "</text><text>{{issuer.id}}</text></svg>"
    )


def test_inline_render_method_is_filled_escaped_and_sandboxed() -> None:
    credential = signed_diploma()
    credential["credentialSubject"]["name"] = HOSTILE
    template = base64.b64encode(_svg_template().encode()).decode()
    credential["renderMethod"] = {
        "type": "TemplateRenderMethod",
        "renderSuite": "svg-mustache",
        "template": f"data:image/svg+xml;base64,{template}",
        "renderProperty": ["/credentialSubject/name", "/credentialSubject/achievement/name"],
    }
    filled = render_method_html(credential)
    assert filled is not None
    assert "&lt;script&gt;" in filled and "<script" not in filled
    assert "Diploma in Applied Data Engineering" in filled
    assert credential["issuer"]["id"] not in filled  # not in renderProperty
    page = render_html(credential)
    assert '<iframe class="issuer-design" sandbox=""' in page
    frame = re.search(r'srcdoc="([^"]*)"', page)
    assert frame is not None and "<script" not in frame.group(1)


def test_remote_render_templates_are_never_fetched() -> None:
    credential = signed_diploma()
    credential["renderMethod"] = {
        "type": "TemplateRenderMethod",
        "renderSuite": "svg-mustache",
        "template": {"id": "https://issuer.example/t.svg", "mediaType": "image/svg+xml"},
    }
    assert render_method_html(credential) is None
    page = render_html(credential)
    assert "issuer.example/t.svg" not in page and "This is to certify that" in page


# --- headless Chromium -----------------------------------------------------------------------


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = _chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed (Debian: apt-get install chromium fonts-noto-core)",
)


def _browser(page: Path, *args: str) -> None:
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                *args,
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def _screenshot(html: str, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    page = ARTIFACTS / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    shot = ARTIFACTS / f"{name}.png"
    shot.unlink(missing_ok=True)
    # The virtual time budget lets sandboxed iframes (issuer designs) paint before the shot.
    _browser(page, f"--screenshot={shot}", "--window-size=1400,1000", "--virtual-time-budget=3000")
    assert shot.exists() and shot.stat().st_size > 10_000
    return shot


@needs_chromium
@pytest.mark.parametrize("script", sorted(NAMES))
def test_printed_page_qr_scans_back_to_the_diploma(script: str) -> None:
    pytest.importorskip("zxingcpp", reason="reading QR codes needs zxing-cpp ([qr-read])")
    credential = signed_diploma(NAMES[script], SUITES[0])
    shot = _screenshot(_page(credential), f"diploma-{script}")
    payload = read_payload(shot)
    assert isinstance(payload, EmbeddedPayload)
    assert payload.credential == credential
    assert verify(payload.credential).verified


@needs_chromium
def test_printed_page_with_a_link_qr() -> None:
    pytest.importorskip("zxingcpp", reason="reading QR codes needs zxing-cpp ([qr-read])")
    credential = signed_diploma(NAMES["thai"], "eddsa-jcs-2022")
    shot = _screenshot(_page(credential, "link"), "diploma-link")
    payload = read_payload(shot)
    assert isinstance(payload, LinkPayload) and payload.matches(credential)


@needs_chromium
def test_issuer_design_is_painted_and_its_script_does_not_run() -> None:
    pytest.importorskip("zxingcpp", reason="reading QR codes needs zxing-cpp ([qr-read])")
    image_mod = pytest.importorskip("PIL.Image", reason="needs Pillow ([qr-read])")
    credential = signed_diploma(NAMES["thai"])
    design = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 200">'
        '<rect width="400" height="200" fill="#123a6b"/>'
        '<text x="200" y="90" fill="#fff" font-size="22" text-anchor="middle">'
        "{{credentialSubject.name}}</text>"
        '<script>parent.document.body.style.background="red";'
        'document.documentElement.innerHTML=""</script></svg>'
    )
    credential["renderMethod"] = {
        "type": "TemplateRenderMethod",
        "renderSuite": "svg-mustache",
        "template": "data:image/svg+xml;base64," + base64.b64encode(design.encode()).decode(),
    }
    shot = _screenshot(_page(credential), "diploma-render-method")
    image = image_mod.open(shot).convert("RGB")
    assert image.getpixel((540, 400)) == (
        18,
        58,
        107,
    )  # the design painted (script did not wipe it)
    assert image.getpixel((20, 900)) != (255, 0, 0)  # nor reach the page
    payload = read_payload(shot)
    assert isinstance(payload, EmbeddedPayload) and payload.credential == credential


@needs_chromium
def test_print_to_pdf_is_one_a4_landscape_page(tmp_path: Path) -> None:
    page = tmp_path / "diploma.html"
    page.write_text(_page(signed_diploma(NAMES["vietnamese"])), encoding="utf-8")
    pdf = tmp_path / "diploma.pdf"
    _browser(page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert box is not None
    width, height = float(box.group(1)), float(box.group(2))
    assert abs(width - 841.9) < 2 and abs(height - 595.3) < 2  # A4 landscape in points


@needs_chromium
def test_graduate_copy_carries_a_wallet_qr_and_linkedin(tmp_path: Path) -> None:
    """The graduate's own printable copy: the claim QR scans back to the claim link, and the
    LinkedIn button carries the diploma's own fields (the public page never has the claim)."""
    zxingcpp = pytest.importorskip("zxingcpp", reason="reading QR codes needs zxing-cpp")
    image_mod = pytest.importorskip("PIL.Image", reason="needs Pillow ([qr-read])")
    from credkit.cli.qr import render_file
    from credkit.share.linkedin import parse_linkedin_url

    credential = signed_diploma(NAMES["thai"], "eddsa-jcs-2022")
    claim = "https://diplomas.example/claim/" + "k" * 43
    out = tmp_path / "copy.html"
    render_file(credential, str(out), base_url="https://diplomas.example", claim_url=claim)
    page = out.read_text(encoding="utf-8")
    assert f'class="wallet-link" href="{claim}"' in page
    found = re.search(r'class="linkedin" href="([^"]+)"', page)
    assert found is not None
    fields = parse_linkedin_url(found.group(1).replace("&amp;", "&"))
    assert fields["certId"] == credential["id"] and fields["startTask"] == "CERTIFICATION_NAME"
    shot = _screenshot(page, "diploma-wallet")
    texts = {r.text for r in zxingcpp.read_barcodes(image_mod.open(shot))}
    assert claim in texts
    assert any(t.startswith("https://diplomas.example/c/") for t in texts)


def test_claim_url_must_be_https() -> None:
    from credkit.cli.qr import render_file
    from credkit.share.qr import QrError

    credential = signed_diploma(NAMES["thai"], "eddsa-jcs-2022")
    with pytest.raises(QrError):
        render_file(credential, "/dev/null", claim_url="javascript:alert(1)")
