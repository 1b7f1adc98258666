"""The employer's first hour (issue 17): whose diploma, could-not-check vs failed, one error style,
and a web page that speaks to a visitor."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from credkit.cli.main import main
from credkit.server.pages import result_html, trust_statement
from credkit.status import status_entry
from credkit.verify.trust import TrustRegistry
from test_verify_helpers import ISSUER, NOW, signed_diploma, trust_of, verifier

AT = ["--at", "2026-11-23T12:00:00Z"]


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(tmp: Path, name: str, body: Any) -> str:
    path = tmp / name
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return str(path)


def graduate_diploma(**extra: Any) -> dict[str, Any]:
    doc = signed_diploma(**extra) if extra else signed_diploma()
    return doc


# --- whose diploma ---------------------------------------------------------------------------


def test_verify_says_whose_diploma_it_is_on_the_terminal_and_in_json(tmp_path: Path) -> None:
    from test_verify_helpers import diploma, signed

    doc = diploma(ISSUER.controller, validUntil="2036-06-30T00:00:00Z")
    doc["credentialSubject"]["name"] = "Nguyễn Thị Thu Hà"
    path = write(tmp_path, "d.json", signed(doc))
    trust = write(
        tmp_path,
        "registry.json",
        {"meta": {"name": "Employer registry"}, "registry": {ISSUER.controller: {"name": "Lab"}}},
    )
    shown = cli("verify", path, "--trust", trust, *AT)
    lines = shown.output.splitlines()
    assert "  graduate:    Nguyễn Thị Thu Hà" in lines
    assert "  achievement: Applied Cryptography" in lines
    assert f"  issuer:      Lab ({ISSUER.controller}), as named in trust list 'Employer registry'" in (
        lines
    )
    assert "  dates:       valid from 2026-06-30T00:00:00Z, until 2036-06-30T00:00:00Z" in lines
    out = json.loads(cli("verify", path, "--trust", trust, "--json", *AT).output)
    assert out["subject"]["name"] == "Nguyễn Thị Thu Hà"
    assert out["achievement"]["name"] == "Applied Cryptography"
    assert out["issuer"]["name"] == "Lab" and out["issuer"]["list"] == "Employer registry"
    assert out["validFrom"] == "2026-06-30T00:00:00Z"
    assert out["validUntil"] == "2036-06-30T00:00:00Z"


def test_an_issuer_no_list_names_is_said_to_be_unnamed_by_any_list(tmp_path: Path) -> None:
    path = write(tmp_path, "d.json", signed_diploma())
    shown = cli("verify", path, *AT, "--no-saved-trust")
    assert "not named by any trust list you use" in shown.output


# --- status: could not check (3) vs failed (1) -----------------------------------------------


class Status(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/garbage"):
            body = b"this is not a status list"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(404)
        self.end_headers()


@pytest.fixture
def https_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    import ssl

    from test_server_tls import self_signed

    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Status)
    server.daemon_threads = True
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert, key)
    server.socket = served.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def with_status(tmp: Path, url: str) -> str:
    return write(tmp, "d.json", signed_diploma(credentialStatus=status_entry(url, 7, "revocation")))


def test_a_status_host_refused_by_the_fetch_policy_is_inconclusive_exit_3(
    tmp_path: Path, https_site: int
) -> None:
    path = with_status(tmp_path, f"https://127.0.0.1:{https_site}/status/1")
    shown = cli("verify", path, "--allow-network", *AT)
    assert shown.exit_code == 3, shown.output
    assert "revocation not checked" in shown.output and "inconclusive" in shown.output


def test_a_status_host_that_does_not_answer_is_inconclusive_exit_3(tmp_path: Path) -> None:
    from ports import free_port

    port = free_port()  # a port nobody listens on (no other xdist worker takes it): refused
    path = with_status(tmp_path, f"https://127.0.0.1:{port}/status/1")
    shown = cli("verify", path, "--allow-network", "--allow-private-network", *AT)
    assert shown.exit_code == 3, shown.output


@pytest.mark.parametrize("where", ["missing/1", "garbage/1"])
def test_a_status_list_the_host_answers_for_but_missing_or_invalid_fails_exit_1(
    tmp_path: Path, https_site: int, where: str
) -> None:
    path = with_status(tmp_path, f"https://127.0.0.1:{https_site}/{where}")
    shown = cli("verify", path, "--allow-network", "--allow-private-network", *AT)
    assert shown.exit_code == 1, shown.output
    assert "status not confirmed" in shown.output


def test_an_unresolvable_status_host_is_inconclusive_in_the_library() -> None:
    from credkit import status as bsl
    from credkit.netpolicy import NetPolicy

    def no_dns(host: str, port: int) -> list[str]:
        raise OSError("name does not resolve")

    fetch = bsl.HttpFetcher(policy=NetPolicy(resolve=no_dns))
    doc = signed_diploma(
        credentialStatus=status_entry("https://status.example/1", 3, "revocation")
    )
    result = verifier(status_fetcher=fetch).verify_credential(doc)
    assert result.verdict == "inconclusive" and result.exit_code == 3
    assert "does not resolve" in (result.check("status") or pytest.fail()).message


# --- one error style -------------------------------------------------------------------------


def test_usage_errors_use_the_credkit_error_style(tmp_path: Path) -> None:
    shown = cli("verify", "d.json", "--bogus")
    assert shown.exit_code == 2
    assert shown.output.strip().startswith("credkit: error: no such option '--bogus'")
    assert "see `" in shown.output and "Usage:" not in shown.output


def test_unusable_input_is_one_line_naming_the_input_and_the_same_text_in_json(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "junk.json", "not a diploma")
    shown = cli("verify", path)
    assert shown.exit_code == 2
    [line] = shown.output.strip().splitlines()
    assert line.startswith("credkit: error: input is not JSON")
    assert "(junk.json): give the diploma file" in line
    out = json.loads(cli("verify", path, "--json").output)
    assert out["errors"][0]["detail"] == line.removeprefix("credkit: error: ")


def test_an_unreadable_qr_image_is_named_not_shown_as_a_buffer(tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    image = write(tmp_path, "photo.png", "not an image")
    shown = cli("verify", "--qr", image)
    assert shown.exit_code == 2
    assert "BytesIO" not in shown.output and "photo.png" in shown.output
    assert shown.output.startswith("credkit: error: ")


# --- the web page speaks to a visitor --------------------------------------------------------


def test_the_page_says_which_issuers_the_site_trusts_never_pass_trust() -> None:
    result = verifier(trust=None, clock=lambda: NOW).verify_credential(signed_diploma())
    page = result_html(result, None, None, None)
    assert "--trust" not in page and "pass --" not in page
    assert "no list of trusted issuers" in page
    trust = trust_of(ISSUER.controller)
    named = result_html(verifier(trust=trust).verify_credential(signed_diploma()), trust=trust)
    assert "--trust" not in named
    assert "This site vouches only for the issuers on the list &#x27;employer list&#x27;" in (
        named
    ) or "This site vouches only for the issuers on the list 'employer list'" in named


def test_trust_statement_names_the_accreditor_of_a_signed_list() -> None:
    from credkit.verify.trust import TrustedIssuer, TrustList

    signed_list = TrustList(
        name="Accredited 2026",
        kind="signed",
        entries={ISSUER.controller: TrustedIssuer(ISSUER.controller, "Lab")},
        anchors=frozenset({"did:web:accreditation.example"}),
    )
    text = trust_statement(TrustRegistry([signed_list]))
    assert "'Accredited 2026', published by the accrediting body did:web:accreditation.example" in (
        text
    )
    assert "(Lab)" in text
