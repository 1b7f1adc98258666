"""The graduate's journey: LinkedIn's add-to-profile link, and a link QR verified end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from credkit import KeyPair, issue_diploma, load_template, read_roster
from credkit.cli import main
from credkit.errors import ParsingError
from credkit.share.linkedin import LinkedInError, linkedin_url, parse_linkedin_url
from credkit.share.qr_payload import link_id

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "postproduction"
BASE = "https://reelbridge.example/credentials"


@pytest.fixture(scope="module")
def diploma() -> dict[str, Any]:
    template = load_template(EXAMPLE / "program.toml")
    graduate = next(iter(read_roster(EXAMPLE / "roster.csv")))
    return issue_diploma(template, graduate, KeyPair.generate())


def test_linkedin_url_round_trip(diploma: dict[str, Any]) -> None:
    fields = parse_linkedin_url(linkedin_url(diploma, base_url=BASE))
    issued = diploma.get("awardedDate") or diploma["validFrom"]
    assert fields["startTask"] == "CERTIFICATION_NAME"
    assert fields["name"] == diploma["credentialSubject"]["achievement"]["name"]
    assert fields["organizationName"] == diploma["issuer"]["name"]
    assert (fields["issueYear"], fields["issueMonth"]) == (issued[:4], str(int(issued[5:7])))
    assert fields["certId"] == diploma["id"]
    assert fields["certUrl"] == f"{BASE}/c/{link_id(diploma)}"


def test_linkedin_refuses_unsigned_or_nameless(diploma: dict[str, Any]) -> None:
    with pytest.raises(LinkedInError):
        linkedin_url({k: v for k, v in diploma.items() if k != "proof"})
    with pytest.raises(LinkedInError):
        linkedin_url(diploma | {"issuer": {"id": "did:example:x"}})
    with pytest.raises(LinkedInError):
        parse_linkedin_url("https://evil.example/profile/add?name=x")


def test_share_linkedin_cli(diploma: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps(diploma), encoding="utf-8")
    result = CliRunner().invoke(main, ["share", "linkedin", str(path), "--base-url", BASE])
    assert result.exit_code == 0, result.output
    assert parse_linkedin_url(result.stdout.strip())["certId"] == diploma["id"]
    unsigned = tmp_path / "u.json"
    unsigned.write_text(json.dumps({"id": "x"}), encoding="utf-8")
    bad = CliRunner().invoke(main, ["share", "linkedin", str(unsigned)])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def _qr(diploma: dict[str, Any], tmp_path: Path) -> Path:
    pytest.importorskip("zxingcpp")
    path, image = tmp_path / "d.json", tmp_path / "qr.png"
    path.write_text(json.dumps(diploma), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["qr", str(path), "--base-url", BASE, "--out", str(image), "--ecc", "q"]
    )
    assert result.exit_code == 0, result.output
    return image


def test_verify_qr_reads_the_linked_diploma_from_a_site_copy(
    diploma: dict[str, Any], tmp_path: Path
) -> None:
    image = _qr(diploma, tmp_path)
    site = tmp_path / "www"
    (site / "c").mkdir(parents=True)
    (site / "c" / f"{link_id(diploma)}.json").write_text(json.dumps(diploma), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["verify", "--qr", str(image), "--site-dir", str(site), "--json"]
    )
    report = json.loads(result.stdout)
    assert {c["id"]: c["status"] for c in report["checks"]}["proof"] == "passed", result.output


def test_verify_qr_refuses_a_swapped_file_in_the_site_copy(
    diploma: dict[str, Any], tmp_path: Path
) -> None:
    image = _qr(diploma, tmp_path)
    site = tmp_path / "www"
    (site / "c").mkdir(parents=True)
    other = diploma | {"name": "something else"}
    (site / "c" / f"{link_id(diploma)}.json").write_text(json.dumps(other), encoding="utf-8")
    result = CliRunner().invoke(main, ["verify", "--qr", str(image), "--site-dir", str(site)])
    assert result.exit_code == 2 and "different document" in result.output
    empty = CliRunner().invoke(main, ["verify", "--qr", str(image), "--site-dir", str(tmp_path)])
    assert empty.exit_code == 2 and "not in --site-dir" in empty.output


def test_demo_verifies_what_the_qr_holds() -> None:
    demo = (ROOT / "examples" / "demo.sh").read_text(encoding="utf-8")
    assert "credkit verify --qr" in demo


class _StaticHost:
    """Answers like a static web host holding `credkit site build`'s output: the link itself is
    the diploma's HTML page, ``<link>.json`` the credential. Records every URL asked for."""

    def __init__(self, diploma: dict[str, Any], *, json_body: bytes | None = None) -> None:
        self.asked: list[str] = []
        self.json_body = json_body if json_body is not None else json.dumps(diploma).encode()

    def fetch(self, url: str) -> bytes:
        self.asked.append(url)
        if url.endswith(".json"):
            return self.json_body
        return b"<!doctype html><title>diploma</title>"


def test_verify_qr_over_a_static_host_reads_the_json_beside_the_page(
    diploma: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link QR to a static host got the HTML page and "did not return a JSON credential"."""
    from credkit.cli import verify as cli_verify

    image = _qr(diploma, tmp_path)
    host = _StaticHost(diploma)

    class Fetcher:
        def __init__(self, **_: Any) -> None:
            pass

        def __call__(self, url: str) -> bytes:
            return host.fetch(url)

    monkeypatch.setattr(cli_verify, "HttpFetcher", Fetcher)
    body = cli_verify._from_qr(str(image), True, 1 << 20)
    assert json.loads(body) == diploma
    link = f"{BASE}/c/{link_id(diploma)}"
    assert host.asked == [link, link + ".json"]
    # the content address still decides: a different document beside the page is refused
    host.json_body = json.dumps(diploma | {"name": "something else"}).encode()
    with pytest.raises(ParsingError, match="different document"):
        cli_verify._from_qr(str(image), True, 1 << 20)
