"""Share a signed diploma as a QR code and check it the way an employer would.

Signs the example diploma for a graduate with a Devanagari name, writes an embedded QR (PNG and
SVG), a link QR and the printable page into a scratch folder (or the folder given as argument),
then reads the PNG back with a real decoder and verifies the proof. Needs credkit[qr-read].
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from credkit.identity.keys import KeyPair
from credkit.proofs import sign, verify
from credkit.share.qr import EmbeddedPayload, LinkPayload, qr_for, read_payload, svg, write_image
from credkit.share.render import render_html

HERE = Path(__file__).resolve().parent


def main(out_dir: Path) -> None:
    issuer = KeyPair.generate()
    diploma = json.loads((HERE.parent / "benchmarks" / "diploma.json").read_text("utf-8"))
    diploma["issuer"]["id"] = issuer.controller
    diploma["credentialSubject"]["name"] = "प्रिया शर्मा"
    signed = sign(diploma, issuer, cryptosuite="eddsa-rdfc-2022")

    embedded = qr_for(signed, "embed")
    png = write_image(embedded, out_dir / "diploma-qr.png", size_px=300)
    write_image(embedded, out_dir / "diploma-qr.svg", caption="Scan to verify")
    size = f"version {embedded.version}, {embedded.modules} modules, ECC {embedded.ecc}"
    print(f"embedded QR: {size}")

    link = qr_for(signed, "link", base_url="https://diplomas.example.org")
    write_image(link, out_dir / "diploma-link.png")
    print(f"link QR: {link.text} (version {link.version})")

    page = render_html(signed, qr_svg=svg(embedded, xml_declaration=False))
    (out_dir / "diploma.html").write_text(page, encoding="utf-8")

    # The employer's side: scan, decode, verify.
    payload = read_payload(png)
    assert isinstance(payload, EmbeddedPayload)
    result = verify(payload.credential)
    print(f"scanned {payload.credential['credentialSubject']['name']}: verified={result.verified}")
    assert result.verified
    link_payload = read_payload(out_dir / "diploma-link.png")
    assert isinstance(link_payload, LinkPayload) and link_payload.matches(signed)
    print(f"wrote {out_dir}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as scratch:
            main(Path(scratch))
