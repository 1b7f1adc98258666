"""`credkit site build` (static files) and a server that consults a trust list."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from credkit.identity.did import Resolver
from credkit.issuer.hosting import HostedTable, host
from credkit.share.qr import link_id
from credkit.status import Bitstring, DirectoryFetcher
from credkit.verify import Verifier
from test_server_helpers import Server, diploma, free_port, make_workspace


def test_site_build_writes_what_the_server_serves(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    ws = make_workspace(tmp_path / "ws", base, did_web="school.example")
    server = Server(tmp_path, workspace=ws, port=port)
    try:
        vc = server.issue(diploma("สมชาย ใจดี"))
        served_list = server("GET", "/status/1").json()
    finally:
        server.stop()
    store = ws.store()
    table = HostedTable(ws.store_path)
    host(ws, store, table, vc)
    table.close()
    store.close()
    out = tmp_path / "site"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "credkit.cli.serve",
            "site",
            "build",
            "--out",
            str(out),
            "--issuer-dir",
            str(ws.root),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    listed = json.loads((out / "status" / "1").read_text())
    assert listed["id"] == served_list["id"] == f"{base}/status/1"
    assert Bitstring.decode(listed["credentialSubject"]["encodedList"]).count() == 0
    did = json.loads((out / ".well-known" / "did.json").read_text())
    assert did["id"] == "did:web:school.example"
    assert json.loads((out / "issuer").read_text())["name"] == "Reelbridge Lab"
    ident = link_id(vc)
    assert json.loads((out / "c" / f"{ident}.json").read_text()) == vc
    page = (out / "c" / ident / "index.html").read_text(encoding="utf-8")
    assert 'lang="th"' in page and "Verified" in page
    assert "_headers" in {p.name for p in out.iterdir()}
    # the static files are enough for a verifier: status from the folder, key from did.json
    verifier = Verifier(
        resolver=Resolver(documents={did["id"]: did}),
        status_fetcher=DirectoryFetcher(out, base_url=base),
    )
    assert verifier.verify_credential(vc).verified


def test_site_build_without_workspace_fails_cleanly(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "credkit.cli.serve",
            "site",
            "build",
            "--out",
            str(tmp_path / "o"),
            "--issuer-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and "not a credkit workspace" in run.stderr


def test_server_trust_list_decides_issuer_trusted(tmp_path: Path) -> None:
    port = free_port()
    ws = make_workspace(tmp_path / "ws", f"http://127.0.0.1:{port}")
    trust = tmp_path / "trusted.txt"
    trust.write_text(f"# accredited\n{ws.issuer_did}\n", encoding="utf-8")
    server = Server(tmp_path, workspace=ws, port=port, args=("--trust", str(trust)))
    try:
        vc = server.issue(diploma())
        out = server.verify(vc).json()
        check = next(r for r in out["results"] if r["id"] == "trusted_issuer")
        assert check["status"] == "passed" and out["warnings"] == []
    finally:
        server.stop()
    other = tmp_path / "other.txt"
    other.write_text("did:example:somebody-else\n", encoding="utf-8")
    server = Server(tmp_path, workspace=ws, port=free_port(), args=("--trust", str(other)))
    try:
        answer = server.verify(vc)
        assert answer.status == 400
        check = next(r for r in answer.json()["results"] if r["id"] == "trusted_issuer")
        assert check["status"] == "failed"
    finally:
        server.stop()


def test_serve_refuses_a_short_token(tmp_path: Path) -> None:
    token = tmp_path / "t"
    token.write_text("short\n")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "credkit.cli.serve",
            "serve",
            "--token-file",
            str(token),
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert run.returncode == 2 and "at least 16 characters" in run.stderr
