"""`credkit verify --qr`: an employer scans a diploma's QR code (real image, real decoder)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from credkit.identity.keys import KeyPair
from credkit.proofs import sign

pytest.importorskip("zxingcpp", reason="reading QR codes needs the qr-read extra (zxing-cpp)")

ROOT = Path(__file__).resolve().parents[1]


def credkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "credkit", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def signed(tmp_path: Path) -> Path:
    doc = json.loads((ROOT / "examples" / "credential.json").read_text(encoding="utf-8"))
    key = KeyPair.generate()
    doc["issuer"] = {"id": key.controller, "type": ["Profile"], "name": "Reelbridge Post Lab"}
    path = tmp_path / "diploma.json"
    path.write_text(json.dumps(sign(doc, key), ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_embedded_qr_verifies_after_scanning(signed: Path, tmp_path: Path, fmt: str) -> None:
    image = tmp_path / f"qr.{fmt}"
    made = credkit("qr", str(signed), "--mode", "embed", "--out", str(image))
    assert made.returncode == 0, made.stderr
    out = credkit("verify", "--qr", str(image), "--json")
    result = json.loads(out.stdout)
    # no status entry and no trust list: verified, with the trust check skipped
    assert out.returncode == 0, out.stdout
    assert result["verified"] is True
    assert {c["id"]: c["status"] for c in result["checks"]}["proof"] == "passed"


def test_link_qr_is_not_followed_offline(signed: Path, tmp_path: Path) -> None:
    image = tmp_path / "qr.png"
    made = credkit(
        "qr",
        str(signed),
        "--mode",
        "link",
        "--base-url",
        "https://lab.example",
        "--out",
        str(image),
    )
    assert made.returncode == 0, made.stderr
    out = credkit("verify", "--qr", str(image))
    assert out.returncode == 2
    assert "--allow-network" in out.stderr and "https://lab.example/c/" in out.stderr


def test_file_and_qr_together_is_an_error(signed: Path) -> None:
    out = credkit("verify", str(signed), "--qr", str(signed))
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_the_postproduction_example_diploma_scans_from_a_300px_png(tmp_path: Path) -> None:
    """The README's example (Devanagari name, long criteria text): embedded, 300 × 300 pixels."""
    from credkit.model.diploma import issue_diploma
    from credkit.model.roster import read_roster
    from credkit.model.template import load_template
    from credkit.proofs import verify
    from credkit.share.qr import qr_for, read_payload, write_image

    example = ROOT / "examples" / "postproduction"
    graduate = next(iter(read_roster(example / "roster.csv")))
    signed = issue_diploma(load_template(example / "program.toml"), graduate, KeyPair.generate())
    symbol = qr_for(signed, "embed")
    image = tmp_path / "example-300.png"
    write_image(symbol, image, size_px=300)
    print(
        f"example diploma: QR version {symbol.version}, {symbol.modules} modules, ECC {symbol.ecc}"
    )
    payload = read_payload(image)
    assert payload.credential == signed  # type: ignore[union-attr]
    assert verify(payload.credential).verified  # type: ignore[union-attr]
