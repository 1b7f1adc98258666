"""Private keys never appear in output (issue 19).

Two layers. ``secret_scan`` (loaded by conftest.py) scans everything the whole session saw for
every key it made; the first tests here check that scanner can fail. The last one is the
dedicated sweep: a workspace signing with a known key, every ``credkit`` command family once
(and the error paths that print a key's file, DID or parse failure), every server endpoint
family, log records, exception reprs and tracebacks, and the files credkit publishes; none may
hold any form of the seed.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from credkit.identity.keys import KeyPair
from credkit.issuer.workspace import Workspace
from secret_scan import find_secrets, secret_forms

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
SEED = bytes.fromhex("9b1c3a7d5e2f40618293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9")
pytest_plugins = ["pytester"]
TOKEN = "a-token-of-at-least-16-chars-0123456789"


def forms_of(seed: bytes) -> dict[str, str]:
    forms = secret_forms(seed)
    forms[seed.decode("latin-1")] = "raw seed bytes"
    return forms


def leaks(text: str | bytes, seed: bytes = SEED) -> list[str]:
    data = text.decode("latin-1") if isinstance(text, bytes) else text
    return [kind for form, kind in forms_of(seed).items() if form in data]


# --- the session scanner can fail --------------------------------------------------------------


def test_the_scanner_finds_every_form_embedded_in_json_and_longer_tokens() -> None:
    forms = secret_forms(SEED)
    assert len(forms) == 8
    for form, kind in forms.items():
        outputs = [
            ("t", "json", json.dumps({"x": f"prefix{form}suffix"})),
            ("t", "line", f"error: {form}"),
        ]
        assert [h[2] for h in find_secrets(outputs, forms)] == [kind, kind]
    other = secret_forms(bytes(range(32)))
    assert find_secrets([("t", "s", " ".join(other))], forms) == []


def _scanned_session(
    pytester: pytest.Pytester, tests: str, *options: str
) -> subprocess.CompletedProcess[str]:
    """A pytest session of ``tests`` (test_leak.py) with the secret scan as its plugin, run in a
    fresh process as the project's own sessions are."""
    shutil.copy(Path(__file__).with_name("secret_scan.py"), pytester.path / "secret_scan.py")
    pytester.makeconftest(
        "from secret_scan import (pytest_configure, pytest_runtest_logreport,\n"
        "    pytest_runtest_logstart, pytest_sessionfinish)\n"
    )
    pytester.makepyfile(test_leak=tests)
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{pytester.path}"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            *options,
            str(pytester.path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=pytester.path,
        timeout=180,
    )


def test_a_session_that_prints_a_key_fails(pytester: pytest.Pytester) -> None:
    run = _scanned_session(
        pytester,
        """
        from credkit.identity.keys import KeyPair

        def test_prints_jwk():
            print(KeyPair.generate().to_jwk(include_private=True))

        def test_quiet():
            KeyPair.generate()
        """,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "2 passed" in run.stdout
    assert "PRIVATE KEY IN OUTPUT: test_leak.py::test_prints_jwk" in run.stdout
    assert "seed base64url (JWK d)" in run.stdout
    assert "test_quiet" not in run.stdout.split("PRIVATE KEY IN OUTPUT")[1]


def test_a_leak_fails_the_run_under_xdist_too(pytester: pytest.Pytester) -> None:
    """With pytest-xdist each worker is a session: a leak seen by any worker fails the whole run,
    both a key made in the worker's process and one only a ``credkit`` subprocess made (found
    in the worker's own temp folder)."""
    pytest.importorskip("xdist", reason="pytest-xdist is in the dev extra")
    run = _scanned_session(
        pytester,
        """
        import subprocess, sys
        from credkit.identity.keys import KeyPair

        def test_prints_jwk():
            print(KeyPair.generate().to_jwk(include_private=True))

        def test_quiet():
            KeyPair.generate()

        def test_cli_key_file_printed(tmp_path):
            key = tmp_path / "made-by-cli.key"
            subprocess.run([sys.executable, "-m", "credkit", "keys", "generate", "--unencrypted",
                            "--out", str(key)], check=True, capture_output=True)
            print(key.read_text())

        def test_quiet_too():
            pass
        """,
        "-n",
        "2",
    )
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "4 passed" in out
    assert "secret scan (2 workers):" in out
    assert "PRIVATE KEY IN OUTPUT: test_leak.py::test_prints_jwk" in out
    assert "seed base64url (JWK d)" in out
    assert "PRIVATE KEY IN OUTPUT: test_leak.py::test_cli_key_file_printed" in out
    assert "key file written during the session (secretKeyMultibase)" in out
    hits = out.split("PRIVATE KEY IN OUTPUT", 1)[1]
    assert "test_quiet" not in hits


# --- the dedicated sweep -------------------------------------------------------------------------


def cli(tmp: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "CREDKIT_API_TOKEN": ""}
    return subprocess.run(
        [sys.executable, "-m", "credkit", *args],
        capture_output=True,
        env=env,
        cwd=tmp,
        timeout=180,
    )


def test_no_command_endpoint_log_or_error_shows_the_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[tuple[str, bytes | str]] = []
    ws = Workspace.create(
        tmp_path / "lab",
        name="Reelbridge Lab",
        did_web_domain="lab.test",
        base_url="https://lab.test",
    )
    known = KeyPair.from_seed(SEED).with_controller(ws.issuer_did)
    known = known.with_controller(ws.issuer_did, f"{ws.issuer_did}#{known.public_key.multibase}")
    known.save(ws.key_path, overwrite=True)
    lab = str(ws.root)
    shutil.copy(ROOT / "examples/postproduction/roster.csv", tmp_path / "roster.csv")
    jwk = tmp_path / "key.jwk"
    jwk.write_text(json.dumps(known.to_jwk(include_private=True)))
    os.chmod(jwk, 0o600)
    bad_jwk = tmp_path / "bad.jwk"
    bad_jwk.write_text(
        json.dumps({**known.to_jwk(include_private=True), "x": KeyPair.generate().to_jwk()["x"]})
    )
    leaky = tmp_path / "leaky.key"
    leaky.write_text(json.dumps(known.to_multikey(include_secret=True)))
    os.chmod(leaky, 0o644)  # refused: readable by others
    mismatch = tmp_path / "mismatch.key"
    mismatch.write_text(
        json.dumps(
            {
                **known.to_multikey(include_secret=True),
                "publicKeyMultibase": KeyPair.generate().public_key.multibase,
            }
        )
    )
    os.chmod(mismatch, 0o600)
    cred = tmp_path / "cred.json"
    cred.write_text(
        json.dumps(
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential"],
                "credentialSubject": {"name": "x"},
            }
        )
    )
    (tmp_path / "spec.toml").write_text(
        '[endorser]\nname = "Sponsor"\n[endorsement]\ncomment = "We endorse it."\n'
    )

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        out = cli(tmp_path, *args)
        seen.append((" ".join(args) + " [stdout]", out.stdout))
        seen.append((" ".join(args) + " [stderr]", out.stderr))
        assert b"Traceback" not in out.stderr, out.stderr
        return out

    assert run("init", "other", "--name", "Other").returncode == 0
    assert run("keys", "generate", "--out", "g.key").returncode == 0
    assert run("keys", "import", "--jwk", str(jwk), "--out", "imported.key").returncode == 0
    assert run("keys", "import", "--jwk", str(bad_jwk), "--out", "x.key").returncode == 2
    assert run("keys", "show", str(ws.key_path)).returncode == 0
    assert run("keys", "show", "--json", str(ws.key_path)).returncode == 0
    assert run("keys", "show", "--jwk", str(ws.key_path)).returncode == 0
    assert run("keys", "show", str(leaky)).returncode == 2
    assert run("keys", "show", str(mismatch)).returncode == 2
    assert run("keys", "did-document", str(ws.key_path)).returncode == 0
    issued = run(
        "issue-cohort",
        "--issuer-dir",
        lab,
        "--roster",
        "roster.csv",
        "--allow-placeholders",
        "--workers",
        "1",
    )
    assert issued.returncode == 0, issued.stderr
    diploma = str(ws.diplomas_dir / "RPL26-001.json")
    diploma_id = json.loads(Path(diploma).read_text())["id"]
    assert run("issue", str(cred), "--issuer-dir", lab).returncode == 0
    assert run("issue", str(tmp_path / "spec.toml"), "--issuer-dir", lab).returncode == 2
    assert (
        run(
            "endorse", "spec.toml", "--key", str(ws.key_path), "--target-id", "did:web:lab.test"
        ).returncode
        == 0
    )
    assert run("list", "--issuer-dir", lab, "--json").returncode == 0
    assert run("status", "--issuer-dir", lab, "show").returncode == 0
    assert run("status", "--issuer-dir", lab, "revoke", diploma_id).returncode == 0
    assert run("status", "--issuer-dir", lab, "publish", "--out", "published").returncode == 0
    assert run("verify", diploma).returncode in (0, 1, 3)
    assert run("trust", "list").returncode == 0
    assert run("qr", diploma, "--issuer-dir", lab, "--out", "q.svg").returncode == 0
    assert run("render", diploma, "--out", "page.html").returncode == 0
    assert run("share", "linkedin", diploma).returncode in (0, 2)
    assert run("host", "add", "--all", "--issuer-dir", lab).returncode == 0
    assert run("host", "list", "--issuer-dir", lab).returncode == 0
    assert run("site", "build", "--issuer-dir", lab, "--out", "site").returncode == 0
    assert run("keys", "list", "--issuer-dir", lab, "--json").returncode == 0
    assert run("keys", "rotate", "--issuer-dir", lab).returncode == 0
    assert run("keys", "list", "--issuer-dir", lab, "--did-document").returncode == 0
    assert (
        run(
            "keys", "revoke", known.id, "--compromised-at", "2026-01-01", "--issuer-dir", lab
        ).returncode
        == 0
    )
    assert run("keys", "reissue", "--key", known.id, "--issuer-dir", lab).returncode == 0
    assert (
        run("keys", "retire", "nope", "--after", "2030-01-01", "--issuer-dir", lab).returncode == 2
    )
    assert run("audit", "--issuer-dir", lab, "--json", "--verify").returncode == 0
    assert run("serve", "--issuer-dir", lab, "--port", "not-a-port").returncode == 2
    # a workspace whose key file belongs to another DID: the error names files and DIDs only
    shutil.copy(tmp_path / "g.key", tmp_path / "other" / "issuer.key")
    assert run("list", "--issuer-dir", "other").returncode == 0
    assert run("issue", str(cred), "--issuer-dir", "other").returncode == 2

    # the server: every endpoint family, with the known key as its (old) key and a fresh one
    from fastapi import testclient

    from credkit.server import ServerConfig, create_app

    lab_before = tmp_path / "lab-before"
    shutil.copytree(ws.root, lab_before)
    config = ServerConfig(issuer_dir=lab_before, tokens=frozenset({TOKEN}))
    with testclient.TestClient(create_app(config), raise_server_exceptions=False) as http_:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        signed = json.loads(Path(diploma).read_text())
        answers = [
            http_.get("/.well-known/did.json"),
            http_.get("/issuer"),
            http_.get("/status/1"),
            http_.get("/status/99"),
            http_.get("/healthz"),
            http_.get("/"),
            http_.post(
                "/credentials/issue",
                json={"credential": json.loads(cred.read_text())},
                headers=auth,
            ),
            http_.post("/credentials/issue", json={"credential": "nope"}, headers=auth),
            http_.post("/credentials/issue", json={"credential": {}}),
            http_.post("/credentials/verify", json={"verifiableCredential": signed}),
            http_.post(
                "/credentials/verify",
                content=b"{not json",
                headers={"Content-Type": "application/json"},
            ),
            http_.get("/credentials/status/anything"),
            http_.get("/nowhere"),
            http_.get("/openapi.json"),
        ]
        for link in (tmp_path / "site" / "c").glob("*.json"):
            answers.append(http_.get(f"/c/{link.stem}", headers={"Accept": "text/html"}))
            answers.append(http_.get(f"/c/{link.name}"))
    assert {a.status_code for a in answers} & {200, 201}
    assert any(a.status_code >= 400 for a in answers)
    seen += [(f"HTTP {a.request.method} {a.request.url}", a.content) for a in answers]
    seen += [(f"HTTP headers {a.request.url}", str(a.headers)) for a in answers]

    # in-process: reprs, exception messages and tracebacks around the key
    try:
        KeyPair.from_jwk(json.loads(bad_jwk.read_text()))
    except Exception as exc:
        seen += [("exception", repr(exc)), ("traceback", traceback.format_exc())]
    try:
        KeyPair.load(leaky)
    except Exception as exc:
        seen += [("exception", repr(exc)), ("traceback", traceback.format_exc())]
    seen += [
        ("repr KeyPair", repr(known)),
        ("str KeyPair", str(known)),
        ("repr Workspace", repr(Workspace.open(ws.root))),
        ("verification method", json.dumps(known.verification_method())),
        ("log records", "\n".join(r.getMessage() for r in caplog.records)),
        ("captured log", caplog.text),
    ]
    # everything credkit wrote outside the key files: diplomas, site, published lists, pages
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix != ".key" and path.name not in ("key.jwk", "bad.jwk"):
            if "issuer.db" in path.name:
                continue  # the store holds no key, but it is not output
            seen.append((str(path.relative_to(tmp_path)), path.read_bytes()))

    assert len(seen) > 80
    found = [(where, kinds) for where, text in seen if (kinds := leaks(text))]
    assert found == []
    # and the sweep would have seen it: the key is in the file it was saved to
    assert leaks(ws.key_path.read_bytes()) == ["secretKeyMultibase"]
    assert "seed base64url (JWK d)" in leaks(jwk.read_text())
