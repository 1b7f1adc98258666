"""The credkit command, run as a real subprocess: keys and issue, and its exit codes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EDDSA
from credkit.identity.keys import KeyPair
from credkit.proofs import verify

CREDKIT = [sys.executable, "-m", "credkit"]


def run(
    *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CREDKIT, *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_generate_prints_did_never_secret(tmp_path: Path) -> None:
    out = run("keys", "generate", "--out", str(tmp_path / "issuer.key"))
    assert out.returncode == 0, out.stderr
    pair = KeyPair.load(tmp_path / "issuer.key")
    assert pair.controller in out.stdout
    assert pair.secret_multibase not in out.stdout + out.stderr
    assert stat.S_IMODE(os.stat(tmp_path / "issuer.key").st_mode) == 0o600
    shown = run("keys", "show", str(tmp_path / "issuer.key"), "--json")
    assert json.loads(shown.stdout)["publicKeyMultibase"] == pair.public_key.multibase
    assert "secretKeyMultibase" not in shown.stdout


def test_generate_did_web(tmp_path: Path) -> None:
    out = run("keys", "generate", "--out", str(tmp_path / "k"), "--did-web", "reelbridge.example")
    assert out.returncode == 0 and "did:web:reelbridge.example" in out.stdout
    doc = json.loads(run("keys", "did-document", str(tmp_path / "k")).stdout)
    assert doc["id"] == "did:web:reelbridge.example"
    assert doc["assertionMethod"] == [doc["verificationMethod"][0]["id"]]
    assert "secretKeyMultibase" not in json.dumps(doc)


@pytest.mark.parametrize("how", ["seed", "multibase", "jwk", "pem"])
def test_import_every_format(tmp_path: Path, how: str) -> None:
    pair = KeyPair.from_seed(bytes(range(32)))
    if how == "seed":
        args = ["--seed-hex", bytes(range(32)).hex()]
    elif how == "multibase":
        args = ["--secret-key-multibase", pair.secret_multibase]
    elif how == "jwk":
        (tmp_path / "k.jwk").write_text(json.dumps(pair.to_jwk(include_private=True)))
        args = ["--jwk", str(tmp_path / "k.jwk")]
    else:
        (tmp_path / "k.pem").write_bytes(pair.to_pem(include_private=True))
        args = ["--pem", str(tmp_path / "k.pem")]
    out = run("keys", "import", *args, "--out", str(tmp_path / "issuer.key"))
    assert out.returncode == 0, out.stderr
    assert KeyPair.load(tmp_path / "issuer.key").public_key == pair.public_key


def test_import_bad_seed_is_one_line_exit_2(tmp_path: Path) -> None:
    out = run("keys", "import", "--seed-hex", "abcd", "--out", str(tmp_path / "k"))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"])
def test_issue_reproduces_vector_and_verifies(tmp_path: Path, suite: str) -> None:
    keys = json.loads((EDDSA / "keyPair.json").read_text())
    run(
        "keys",
        "import",
        "--secret-key-multibase",
        keys["privateKeyMultibase"],
        "--out",
        str(tmp_path / "k"),
    )
    out = run(
        "issue",
        "--key",
        str(tmp_path / "k"),
        "--suite",
        suite,
        "--created",
        "2023-02-24T23:36:38Z",
        str(EDDSA / "unsigned.json"),
    )
    assert out.returncode == 0, out.stderr
    signed = json.loads(out.stdout)
    folder = {
        "eddsa-rdfc-2022": "eddsa-rdfc-2022/signedDataInt.json",
        "eddsa-jcs-2022": "eddsa-jcs-2022/signedJCS.json",
        "Ed25519Signature2020": "Ed25519Signature2020/signedEdSig.json",
    }[suite]
    assert signed == json.loads((EDDSA / folder).read_text())
    assert verify(signed).verified


def test_issue_sets_missing_issuer_from_stdin(tmp_path: Path) -> None:
    run("keys", "generate", "--out", str(tmp_path / "k"))
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:1"},
    }
    out = run("issue", "--key", str(tmp_path / "k"), "-", stdin=json.dumps(doc))
    assert out.returncode == 0, out.stderr
    signed = json.loads(out.stdout)
    assert signed["issuer"] == KeyPair.load(tmp_path / "k").controller


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "JSON object"),
        (
            '{"@context": ["https://www.w3.org/ns/credentials/v2", "https://x.example/c"], '
            '"type": ["VerifiableCredential"], "credentialSubject": {"id": "did:example:1"}}',
            "x.example",
        ),
        (
            '{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], '
            '"credentialSubject": {"id": "did:example:1", "shoeSize": 9}}',
            "shoeSize",
        ),
    ],
)
def test_issue_bad_input_one_line_exit_2(tmp_path: Path, content: str, needle: str) -> None:
    run("keys", "generate", "--out", str(tmp_path / "k"))
    (tmp_path / "c.json").write_text(content)
    out = run("issue", "--key", str(tmp_path / "k"), str(tmp_path / "c.json"))
    assert out.returncode == 2
    assert needle in out.stderr and "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1
