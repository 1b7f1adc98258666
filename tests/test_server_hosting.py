"""Hosted diplomas, the did:web document, the profile and the verification page, over a socket."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from credkit.issuer.hosting import HostedTable, host
from credkit.issuer.workspace import Workspace
from credkit.share.linkedin import parse_linkedin_url
from credkit.share.qr import link_id
from test_server_helpers import TOKEN, Server, diploma, make_workspace, serve_workspace


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = serve_workspace(tmp_path_factory.mktemp("hosting"), did_web="school.example")
    yield srv
    srv.stop()


def _host(ws: Workspace, vc: dict[str, Any]) -> str:
    store = ws.store()
    table = HostedTable(ws.store_path)
    try:
        return host(ws, store, table, vc)
    finally:
        table.close()
        store.close()


def _multipart(fields: dict[str, tuple[str | None, bytes]]) -> tuple[bytes, str]:
    boundary = "----credkit" + uuid.uuid4().hex
    parts = []
    for name, (filename, value) in fields.items():
        disposition = f'form-data; name="{name}"'
        if filename:
            disposition += f'; filename="{filename}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if filename:
            head += "Content-Type: application/json\r\n"
        parts.append(head.encode() + b"\r\n" + value + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _post_form(server: Server, fields: dict[str, tuple[str | None, bytes]]) -> Any:
    body, ctype = _multipart(fields)
    return server("POST", "/verify", raw=body, headers={"Content-Type": ctype})


# --- publishing ------------------------------------------------------------------------------


def test_did_web_document_and_issuer_profile(server: Server) -> None:
    ws = server.workspace
    did = server("GET", "/.well-known/did.json")
    assert did.status == 200
    assert did.headers["Access-Control-Allow-Origin"] == "*"
    doc = did.json()
    assert doc["id"] == ws.issuer_did == "did:web:school.example"
    assert doc["assertionMethod"] == [ws.key().id]
    profile = server("GET", "/issuer").json()
    assert profile["id"] == ws.issuer_did and profile["name"] == "Reelbridge Lab"
    assert "Profile" in profile["type"]


def test_did_web_issuer_diploma_verifies_without_network(server: Server) -> None:
    vc = server.issue(diploma())
    assert vc["proof"][0]["verificationMethod"].startswith("did:web:school.example#")
    assert server.verify(vc).status == 200


def test_unknown_status_list_is_404(server: Server) -> None:
    assert server("GET", "/status/999").status == 404
    assert server("GET", "/status/not-a-number").status == 422


def test_a_diploma_is_hosted_only_when_the_issuer_chooses(server: Server) -> None:
    ws = server.workspace
    vc = server.issue(diploma("สมชาย ใจดี"))
    ident = link_id(vc)
    assert server("GET", f"/c/{ident}").status == 404  # issued, not hosted
    link = _host(ws, vc)
    assert link == f"{server.url}/c/{ident}"
    as_json = server("GET", f"/c/{ident}", headers={"Accept": "application/json"})
    assert as_json.status == 200 and as_json.json() == vc
    as_vc = server("GET", f"/c/{ident}", headers={"Accept": "application/vc"})
    assert as_vc.headers["Content-Type"].startswith("application/vc")
    assert server("GET", f"/c/{ident}.json").json() == vc
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = server("GET", f"/c/{ident}", headers={"Accept": browser})
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert 'lang="th"' in page.text and "สมชาย ใจดี" in page.text
    assert "Verified" in page.text and "<svg" in page.text
    # LinkedIn's add-to-profile link, from the signed fields; no claim link on a public page
    linkedin = re.search(r'class="linkedin" href="([^"]+)"', page.text)
    assert linkedin is not None
    fields = parse_linkedin_url(html.unescape(linkedin.group(1)))
    assert fields["certUrl"] == link and fields["certId"] == vc["id"]
    assert "/claim/" not in page.text and "/exchanges/" not in page.text
    assert "claim link your program sent you" in page.text
    # the issuer changes their mind: the link stops working
    table = HostedTable(ws.store_path)
    assert table.remove(vc["id"])
    table.close()
    assert server("GET", f"/c/{ident}", headers={"Accept": "application/json"}).status == 404


def test_hosting_refuses_an_altered_copy(server: Server) -> None:
    from credkit.issuer.hosting import HostingError

    vc = server.issue(diploma())
    vc["credentialSubject"]["name"] = "Someone Else"
    with pytest.raises(HostingError, match="differs"):
        _host(server.workspace, vc)  # type: ignore[attr-defined]


@pytest.mark.parametrize("ident", ["x", "a" * 26, "../../etc/passwd", "%00", "A" * 300])
def test_guessing_hosted_ids_finds_nothing(server: Server, ident: str) -> None:
    assert server("GET", f"/c/{ident}").status in (404, 400)


# --- verification page -----------------------------------------------------------------------


def test_verify_form_needs_no_javascript(server: Server) -> None:
    page = server("GET", "/verify", headers={"Accept": "text/html"})
    assert page.status == 200
    assert "<script" not in page.text.lower()
    assert 'method="post"' in page.text and 'enctype="multipart/form-data"' in page.text
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "Noto Sans" in page.text


def test_pasted_diploma_is_verified_with_checks_by_name(server: Server) -> None:
    vc = server.issue(diploma("Nguyễn Thị Minh Khai"))
    answer = _post_form(server, {"credential": (None, json.dumps(vc).encode())})
    assert answer.status == 200
    assert 'data-verdict="verified"' in answer.text
    for check in ("well_formed", "proof", "validity", "status", "trusted_issuer"):
        assert f'data-check="{check}"' in answer.text
    assert 'lang="vi"' in answer.text and "Nguyễn Thị Minh Khai" in answer.text
    assert "Genuine and unaltered" in answer.text and "Issuer trusted" in answer.text


def test_uploaded_revoked_diploma_says_why(server: Server) -> None:
    vc = server.issue(diploma())
    changed = server(
        "POST",
        "/credentials/status",
        {"credentialId": vc["id"], "credentialStatus": [{"status": "revoked"}]},
        token=TOKEN,
    )
    assert changed.status == 200
    answer = _post_form(server, {"file": ("diploma.json", json.dumps(vc).encode())})
    assert 'data-verdict="not verified"' in answer.text
    assert re.search(r'data-check="status" data-status="failed"', answer.text)
    assert "revoked" in answer.text


def test_hosted_link_and_query_verify(server: Server) -> None:
    vc = server.issue(diploma())
    link = _host(server.workspace, vc)  # type: ignore[attr-defined]
    by_query = server("GET", f"/verify?c={link_id(vc)}")
    assert 'data-verdict="verified"' in by_query.text
    by_link = _post_form(server, {"link": (None, link.encode())})
    assert 'data-verdict="verified"' in by_link.text
    elsewhere = _post_form(server, {"link": (None, b"https://other.example/c/" + b"a" * 26)})
    assert elsewhere.status == 404 and "another issuer" in elsewhere.text
    not_a_link = server("GET", "/verify?c=https://example.com/")
    assert not_a_link.status == 400


def test_everything_from_the_credential_is_escaped(server: Server) -> None:
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    doc = diploma(hostile)
    doc["credentialSubject"]["achievement"]["name"] = hostile
    vc = server.issue(doc)
    answer = _post_form(server, {"credential": (None, json.dumps(vc).encode())})
    assert "<script>alert" not in answer.text and "<img src=x" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text


@pytest.mark.parametrize(
    "payload",
    [b"", b"not json", b"[1,2]", b"{" * 10000, b'{"@context": 5}', "\ufeff{}".encode()],
)
def test_bad_pastes_get_a_page_not_a_500(server: Server, payload: bytes) -> None:
    answer = _post_form(server, {"credential": (None, payload)})
    assert answer.status in (200, 400), answer
    assert "<h1>Check a diploma</h1>" in answer.text


def test_a_non_form_post_is_answered(server: Server) -> None:
    answer = server("POST", "/verify", raw=b"\x00\x01", headers={"Content-Type": "text/plain"})
    assert answer.status == 400


# --- CLI -------------------------------------------------------------------------------------


def test_host_cli_add_list_remove(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", "https://diplomas.example")
    from credkit.proofs import sign

    key = ws.key()
    store = ws.store()
    unsigned = diploma(id="urn:uuid:00000000-0000-4000-8000-000000000001")
    unsigned["issuer"] = ws.issuer_did
    record = store.issue(
        unsigned["id"],
        ["revocation"],
        lambda entries: sign({**unsigned, "credentialStatus": entries[0]}, key),
    )
    store.close()
    file = tmp_path / "d.json"
    file.write_text(json.dumps(record.json()), encoding="utf-8")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "credkit.cli.serve",
                "host",
                *args,
                "--issuer-dir",
                str(ws.root),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )

    added = cli("add", str(file))
    assert added.returncode == 0, added.stderr
    assert f"https://diplomas.example/c/{link_id(record.json())}" in added.stdout
    assert link_id(record.json()) in cli("list").stdout
    assert cli("remove", str(file)).returncode == 0
    assert cli("remove", str(file)).returncode == 1
    assert cli("add", "--all").returncode == 0
    assert cli("add").returncode == 2
