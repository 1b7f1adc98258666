"""``credkit trust add/list/remove``: a signed trust list, checked once, used by every verify.

Networked tests run on 127.0.0.1 only: an https server with a self-signed certificate, trusted
through ``SSL_CERT_FILE`` (the fetch policy's default SSL context reads it), reached with
``--allow-private-network``.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from credkit.cli.main import main
from test_server_tls import self_signed
from test_verify_helpers import ISSUER, OTHER, signed_diploma

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "sign_trust_list", ROOT / "examples" / "trust" / "sign_trust_list.py"
)
assert _spec is not None and _spec.loader is not None
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)
ACCREDITOR = example.accreditor().controller


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config" / "credkit" / "trust"
    monkeypatch.delenv("CREDKIT_TRUST_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return folder


def cli(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def write_list(tmp: Path, issuers: dict[str, str], name: str = "labs.json") -> Path:
    path = tmp / name
    path.write_text(json.dumps(example.trust_list(issuers)), encoding="utf-8")
    return path


def test_add_a_local_signed_list_saves_it_private_and_list_shows_why(
    tmp_path: Path, store: Path
) -> None:
    path = write_list(tmp_path, {ISSUER.controller: "Example Training Lab"})
    added = cli("trust", "add", str(path), "--accreditor", ACCREDITOR)
    assert added.exit_code == 0, added.output
    assert "Example Media Accreditation Council" in added.output
    files = sorted(store.iterdir())
    assert len(files) == 2
    assert stat.S_IMODE(store.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    shown = cli("trust", "list")
    assert "Accredited post-production training providers (example)" in shown.output
    assert ACCREDITOR in shown.output and "until 2036-12-01T00:00:00Z" in shown.output
    assert f"{ISSUER.controller}  Example Training Lab" in shown.output
    [entry] = json.loads(cli("trust", "list", "--json").output)
    assert entry["accreditor"] == ACCREDITOR and entry["expired"] is False
    assert entry["issuers"] == [{"id": ISSUER.controller, "name": "Example Training Lab"}]
    assert str(tmp_path) not in shown.output  # a file is named, never its folder


def test_the_ready_example_list_is_signed_by_the_example_accreditor(store: Path) -> None:
    path = ROOT / "examples" / "trust" / "accredited-labs.json"
    added = cli("trust", "add", str(path), "--accreditor", ACCREDITOR)
    assert added.exit_code == 0, added.output
    assert "Example Training Lab" in added.output


@pytest.mark.parametrize("how", ["other accreditor", "altered", "unsigned"])
def test_a_list_not_signed_by_the_accreditor_is_refused_and_nothing_saved(
    tmp_path: Path, store: Path, how: str
) -> None:
    path = write_list(tmp_path, {ISSUER.controller: "Example Training Lab"})
    accreditor = ACCREDITOR
    if how == "other accreditor":
        accreditor = OTHER.controller
    elif how == "altered":
        doc = json.loads(path.read_text())
        doc["credentialSubject"]["registry"][OTHER.controller] = {"name": "Forged Lab"}
        path.write_text(json.dumps(doc))
    else:
        path.write_text(json.dumps({"registry": {OTHER.controller: {"name": "Lab"}}}))
    refused = cli("trust", "add", str(path), "--accreditor", accreditor)
    assert refused.exit_code == 2
    assert refused.output.startswith("credkit: error: ")
    assert "labs.json" in refused.output and "Traceback" not in refused.output
    assert not store.exists() or not any(store.iterdir())


def test_verify_uses_saved_lists_until_removed(tmp_path: Path, store: Path) -> None:
    diploma = tmp_path / "diploma.json"
    diploma.write_text(json.dumps(signed_diploma()))
    path = write_list(tmp_path, {ISSUER.controller: "Example Training Lab (accredited)"})
    assert cli("trust", "add", str(path), "--accreditor", ACCREDITOR).exit_code == 0
    checked = cli("verify", str(diploma), "--at", "2026-11-23T12:00:00Z")
    assert checked.exit_code == 0, checked.output
    assert "listed in 'Accredited post-production training providers (example)'" in (
        checked.output
    )
    assert "Example Training Lab (accredited)" in checked.output
    ignored = cli("verify", str(diploma), "--at", "2026-11-23T12:00:00Z", "--no-saved-trust")
    assert "no trust list was given" in ignored.output
    removed = cli("trust", "remove", ACCREDITOR)
    assert removed.exit_code == 0 and "removed trust list" in removed.output
    assert "no trust list was given" in cli("verify", str(diploma), "--at", "2026-11-23T12:00:00Z").output
    again = cli("trust", "remove", ACCREDITOR)
    assert again.exit_code == 2 and "credkit trust list" in again.output


# --- over https, on 127.0.0.1 ----------------------------------------------------------------


class Serve(http.server.BaseHTTPRequestHandler):
    body = b""

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/trust/labs.json":
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.body)))
            self.end_headers()
            self.wfile.write(self.body)
        else:
            self.send_response(404)
            self.end_headers()


@pytest.fixture
def https_site(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    import ssl

    cert, key = self_signed(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Serve)
    server.daemon_threads = True
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert, key)
    server.socket = served.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], cert
    finally:
        server.shutdown()
        server.server_close()


def test_add_fetches_over_https_under_the_fetch_policy(
    tmp_path: Path, store: Path, https_site: tuple[int, Path]
) -> None:
    port, cert = https_site
    Serve.body = json.dumps(example.trust_list({ISSUER.controller: "Lab"})).encode()
    url = f"https://127.0.0.1:{port}/trust/labs.json"
    env = {"SSL_CERT_FILE": str(cert)}
    refused = cli("trust", "add", url, "--accreditor", ACCREDITOR, env=env)
    assert refused.exit_code == 2 and "--allow-private-network" in refused.output
    plain = cli("trust", "add", url.replace("https", "http"), "--accreditor", ACCREDITOR, env=env)
    assert plain.exit_code == 2 and "only https" in plain.output
    missing = cli(
        "trust", "add", url + ".old", "--accreditor", ACCREDITOR, "--allow-private-network", env=env
    )
    assert missing.exit_code == 2 and "HTTP 404" in missing.output
    assert not store.exists() or not any(store.iterdir())
    added = cli("trust", "add", url, "--accreditor", ACCREDITOR, "--allow-private-network", env=env)
    assert added.exit_code == 0, added.output
    [entry] = json.loads(cli("trust", "list", "--json").output)
    assert entry["source"] == url and entry["accreditor"] == ACCREDITOR
