"""Issuer keys at rest: sealed key files, passphrase sources, the clear-key warning, and a cohort
signed from an encrypted key with no clear copy of the key anywhere on disk (real processes)."""

from __future__ import annotations

import base64
import csv
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from credkit.errors import KeyFileError, KeyPassphraseError
from credkit.identity import passphrase as phrases
from credkit.identity.keys import ClearKeyWarning, KeyPair, is_encrypted, public_of
from credkit.proofs import sign, verify

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "postproduction"
PASS = "correct horse battery staple"
CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential"],
    "credentialSubject": {"id": "did:example:graduate"},
}


def run(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    passphrase: str | None = PASS,
    **kwargs: object,
) -> subprocess.CompletedProcess[str]:
    """``credkit ARGS`` with the passphrase in the environment (None: no passphrase at all)."""
    full = {k: v for k, v in os.environ.items() if k != phrases.ENV}
    if passphrase is not None:
        full[phrases.ENV] = passphrase
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "credkit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full,
        timeout=600,
        stdin=subprocess.DEVNULL,
        **kwargs,  # type: ignore[call-overload]
    )


def secret_forms(pair: KeyPair) -> list[str]:
    """Every spelling of the private key a leak could take."""
    seed = pair._seed()
    return [
        pair.secret_multibase,
        seed.hex(),
        base64.urlsafe_b64encode(seed).decode().rstrip("="),
        base64.b64encode(seed).decode().rstrip("="),
    ]


# --- library ------------------------------------------------------------------------------------


def test_round_trip_and_public_part_without_passphrase(tmp_path: Path) -> None:
    pair = KeyPair.generate()
    path = pair.save(tmp_path / "k.key", passphrase=PASS)
    text = path.read_text()
    assert all(form not in text for form in secret_forms(pair))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert is_encrypted(path)
    loaded = KeyPair.load(path, passphrase=PASS)
    assert loaded == pair
    public = public_of(path)
    assert public is not None and public["publicKeyMultibase"] == pair.public_key.multibase
    signed = sign(dict(CREDENTIAL, issuer=pair.controller), loaded)
    assert verify(signed).verified


def test_passphrase_is_unicode_normalised(tmp_path: Path) -> None:
    pair = KeyPair.generate()
    path = pair.save(tmp_path / "k.key", passphrase="café au lait")  # NFC é
    assert KeyPair.load(path, passphrase="cafe\u0301 au lait") == pair  # NFD: same passphrase


def test_wrong_passphrase_and_tampering_are_refused(tmp_path: Path) -> None:
    pair = KeyPair.generate()
    path = pair.save(tmp_path / "k.key", passphrase=PASS)
    with pytest.raises(KeyPassphraseError) as caught:
        KeyPair.load(path, passphrase="not the passphrase")
    assert all(form not in str(caught.value) for form in secret_forms(pair))
    assert PASS not in str(caught.value)
    # the sealed secret moved under another public key does not open, even with the passphrase
    doc = json.loads(path.read_text())
    other = KeyPair.generate()
    doc["publicKeyMultibase"] = other.public_key.multibase
    doc["id"] = doc["controller"] = f"did:key:{other.public_key.multibase}"
    moved = tmp_path / "moved.key"
    moved.write_text(json.dumps(doc))
    moved.chmod(0o600)
    with pytest.raises(KeyPassphraseError):
        KeyPair.load(moved, passphrase=PASS)
    # a hostile file cannot make scrypt allocate gigabytes
    doc = json.loads(path.read_text())
    doc["secretKeyEncrypted"]["kdf"]["N"] = 1 << 24
    path.write_text(json.dumps(doc))
    with pytest.raises(KeyFileError, match="out of range"):
        KeyPair.load(path, passphrase=PASS)


def test_no_passphrase_source_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = KeyPair.generate().save(tmp_path / "k.key", passphrase=PASS)
    monkeypatch.delenv(phrases.ENV, raising=False)
    phrases.forget()
    with pytest.raises(KeyPassphraseError, match=phrases.ENV):
        KeyPair.load(path)


def test_clear_key_loads_with_a_warning(tmp_path: Path) -> None:
    pair = KeyPair.generate()
    path = pair.save(tmp_path / "k.key")
    with pytest.warns(ClearKeyWarning, match="credkit keys encrypt"):
        assert KeyPair.load(path) == pair
    # and a PKCS#8 PEM, clear or encrypted (what `openssl genpkey` writes) still loads
    pem = tmp_path / "k.pem"
    pem.write_bytes(pair.to_pem(include_private=True))
    pem.chmod(0o600)
    with pytest.warns(ClearKeyWarning):
        assert KeyPair.load(pem).public_key == pair.public_key
    from cryptography.hazmat.primitives import serialization

    encrypted = pair._private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASS.encode()),
    )
    pem.write_bytes(encrypted)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClearKeyWarning)
        assert KeyPair.load(pem, passphrase=PASS).public_key == pair.public_key
    with pytest.raises(KeyPassphraseError):
        KeyPair.load(pem, passphrase="not the passphrase")


def test_worker_factory_hands_over_the_key_in_memory() -> None:
    import pickle

    from credkit.identity.signer import Signer, rebuild, worker_factory

    pair = KeyPair.generate()
    factory = worker_factory(pair)
    assert factory is not None
    again = rebuild(pickle.loads(pickle.dumps(factory)))
    assert isinstance(again, Signer) and again.id == pair.id
    assert pair.public_key.verify(again.sign(b"x"), b"x")


# --- the command line ---------------------------------------------------------------------------


def test_init_encrypts_by_default_and_unencrypted_says_so(tmp_path: Path) -> None:
    out = run("init", str(tmp_path / "lab"), "--name", "Lab", passphrase=None)
    assert out.returncode == 2, out
    assert "--unencrypted" in out.stderr and not (tmp_path / "lab").exists()

    out = run("init", str(tmp_path / "lab"), "--name", "Lab")
    assert out.returncode == 0, out.stderr
    assert "encrypted (scrypt" in out.stdout
    assert is_encrypted(tmp_path / "lab" / "issuer.key")

    out = run("init", str(tmp_path / "demo"), "--name", "Demo", "--unencrypted", passphrase=None)
    assert out.returncode == 0, out.stderr
    assert "NOT ENCRYPTED" in out.stdout
    assert not is_encrypted(tmp_path / "demo" / "issuer.key")
    # using it warns, in one line, and says how to fix it
    cred = tmp_path / "c.json"
    cred.write_text(json.dumps(CREDENTIAL))
    out = run("issue", str(cred), "--issuer-dir", str(tmp_path / "demo"), passphrase=None)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("credkit: warning: ")
    assert "credkit keys encrypt" in lines[0]


def test_short_new_passphrase_refused(tmp_path: Path) -> None:
    out = run("keys", "generate", "--out", str(tmp_path / "k.key"), passphrase="short")
    assert out.returncode == 2 and "at least 8" in out.stderr
    assert not (tmp_path / "k.key").exists()


def test_wrong_passphrase_exits_2_and_signs_nothing(tmp_path: Path) -> None:
    assert run("keys", "generate", "--out", str(tmp_path / "k.key")).returncode == 0
    cred = tmp_path / "c.json"
    cred.write_text(json.dumps(CREDENTIAL))
    signed = tmp_path / "signed.json"
    out = run(
        "issue",
        str(cred),
        "--key",
        str(tmp_path / "k.key"),
        "--out",
        str(signed),
        passphrase="the wrong passphrase",
    )
    assert out.returncode == 2
    assert "wrong passphrase" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert not signed.exists() and out.stdout == ""
    out = run("issue", str(cred), "--key", str(tmp_path / "k.key"), passphrase=None)
    assert out.returncode == 2 and phrases.ENV in out.stderr and out.stdout == ""


def test_passphrase_from_file_and_descriptor(tmp_path: Path) -> None:
    phrase_file = tmp_path / "pass.txt"
    phrase_file.write_text(PASS + "\n")
    key = tmp_path / "k.key"
    out = run(
        "keys",
        "generate",
        "--out",
        str(key),
        "--passphrase-file",
        str(phrase_file),
        passphrase=None,
    )
    assert out.returncode == 0, out.stderr
    assert KeyPair.load(key, passphrase=PASS).controller in out.stdout
    cred = tmp_path / "c.json"
    cred.write_text(json.dumps(CREDENTIAL))
    out = run(
        "issue",
        str(cred),
        "--key",
        str(key),
        "--passphrase-file",
        str(phrase_file),
        passphrase=None,
    )
    assert out.returncode == 0, out.stderr
    assert verify(json.loads(out.stdout)).verified
    # /dev/fd/N: an inherited pipe, nothing on disk
    read_end, write_end = os.pipe()
    os.write(write_end, PASS.encode() + b"\n")
    os.close(write_end)
    try:
        out = run(
            "issue",
            str(cred),
            "--key",
            str(key),
            "--passphrase-file",
            f"/dev/fd/{read_end}",
            passphrase=None,
            pass_fds=(read_end,),
        )
    finally:
        os.close(read_end)
    assert out.returncode == 0, out.stderr
    assert verify(json.loads(out.stdout)).verified
    # the passphrase never shows in what the command prints
    assert PASS not in out.stdout + out.stderr


def test_keys_encrypt_converts_in_place(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    assert run("keys", "generate", "--out", str(key), "--unencrypted").returncode == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClearKeyWarning)
        clear = KeyPair.load(key)
    out = run("keys", "encrypt", str(key))
    assert out.returncode == 0, out.stderr
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    text = key.read_text()
    assert all(form not in text for form in secret_forms(clear))
    assert KeyPair.load(key, passphrase=PASS) == clear
    # no temp file left beside it, and a second run refuses
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.key"]
    out = run("keys", "encrypt", str(key))
    assert out.returncode == 2 and "already encrypted" in out.stderr
    # `keys show` reads the public part without the passphrase
    out = run("keys", "show", str(key), passphrase=None)
    assert out.returncode == 0 and clear.controller in out.stdout


def _roster(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "email"])
        for i in range(rows):
            writer.writerow([f"Graduate {i}", f"grad{i}@example.com"])


def test_cohort_with_encrypted_key_leaves_no_clear_key_on_disk(tmp_path: Path) -> None:
    """Workers sign (a pool: more than 32 rows, 2 workers) and no file holds the key in clear."""
    tmp = tmp_path / "tmp"  # the processes' TMPDIR: a temp file of theirs would land here
    tmp.mkdir()
    env = {"TMPDIR": str(tmp)}
    lab = tmp_path / "lab"
    out = run("init", str(lab), "--name", "Lab", "--base-url", "https://lab.example", env=env)
    assert out.returncode == 0, out.stderr
    shutil.copy(EXAMPLE / "program.toml", lab / "program.toml")
    _roster(tmp_path / "roster.csv", 40)
    out = run(
        "issue-cohort",
        "--issuer-dir",
        str(lab),
        "--roster",
        str(tmp_path / "roster.csv"),
        "--workers",
        "2",
        "--allow-placeholders",
        env=env,
    )
    assert out.returncode == 0, out.stderr
    diplomas = sorted((lab / "diplomas").glob("*.json"))
    assert len(diplomas) == 40
    for path in diplomas[:3]:
        assert verify(json.loads(path.read_text())).verified
    pair = KeyPair.load(lab / "issuer.key", passphrase=PASS)
    forms = [f.encode() for f in secret_forms(pair)] + [pair._seed()]
    for folder in (lab, tmp, tmp_path):
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert not any(form in data for form in forms), f"{path} holds the key"
    assert PASS not in out.stdout + out.stderr


def test_serve_reads_the_passphrase_once_at_start(tmp_path: Path) -> None:
    """`credkit serve` opens the encrypted key before listening: a wrong passphrase stops it."""
    pytest.importorskip("uvicorn")
    lab = tmp_path / "lab"
    assert (
        run("init", str(lab), "--name", "Lab", "--base-url", "https://lab.example").returncode == 0
    )
    out = run("serve", "--issuer-dir", str(lab), "--port", "0", passphrase="not the passphrase")
    assert out.returncode == 2 and "wrong passphrase" in out.stderr
    assert "credkit server on" not in out.stderr
    phrase_file = tmp_path / "pass.txt"
    phrase_file.write_text(PASS + "\n")
    env = {k: v for k, v in os.environ.items() if k != phrases.ENV}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "credkit",
            "serve",
            "--issuer-dir",
            str(lab),
            "--port",
            "0",
            "--passphrase-file",
            str(phrase_file),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert server.stderr is not None
        first = server.stderr.readline()
        assert "credkit server on" in first, first
    finally:
        server.terminate()
        server.wait(timeout=30)


def _on_terminal(args: list[str], answers: list[bytes], cwd: Path) -> tuple[int, str]:
    """Run credkit on a pseudo-terminal, answering each prompt in turn; (exit status, output)."""
    pty = pytest.importorskip("pty")
    env = {k: v for k, v in os.environ.items() if k != phrases.ENV}
    pid, fd = pty.fork()
    if pid == 0:  # the child: credkit, with the terminal as stdin/stdout/stderr
        os.chdir(cwd)
        os.execve(sys.executable, [sys.executable, "-m", "credkit", *args], env)
    out = b""
    for answer in [*answers, None]:
        while b": " not in out.rsplit(b"\n", 1)[-1]:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                chunk = b""
            if not chunk:
                break
            out += chunk
        if answer is None:
            break
        os.write(fd, answer + b"\n")
        out += b"\n"
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def test_prompt_asks_twice_for_a_new_key_and_never_echoes(tmp_path: Path) -> None:
    code, out = _on_terminal(
        ["keys", "generate", "--out", "k.key"], [b"typed on a tty 1"] * 2, tmp_path
    )
    assert code == 0, out
    assert "the same passphrase again" in out and "typed on a tty 1" not in out
    assert KeyPair.load(tmp_path / "k.key", passphrase="typed on a tty 1")
    code, out = _on_terminal(
        ["keys", "generate", "--out", "j.key"], [b"typed on a tty 1", b"typed on a tty 2"], tmp_path
    )
    assert code == 2 and "differ" in out
    assert not (tmp_path / "j.key").exists()


def _worker_cannot_sign() -> KeyPair:
    raise RuntimeError("this process cannot reach the key")


class _KeyOnlyHere:
    """A Signer whose key cannot be rebuilt in a worker (as a token refusing a session)."""

    def __init__(self, pair: KeyPair) -> None:
        self._pair = pair
        self.public_key, self.controller, self.id = pair.public_key, pair.controller, pair.id

    def sign(self, data: bytes) -> bytes:
        return self._pair.sign(data)

    def worker_factory(self) -> tuple[object, tuple[object, ...]]:
        return (_worker_cannot_sign, ())


def test_cohort_worker_that_cannot_get_the_key_stops_cleanly(tmp_path: Path) -> None:
    from credkit.errors import CredkitError
    from credkit.issuer.cohort import issue_cohort
    from credkit.model.roster import read_roster
    from credkit.model.template import load_template

    _roster(tmp_path / "roster.csv", 40)
    template = load_template(EXAMPLE / "program.toml")
    signer = _KeyOnlyHere(KeyPair.generate())
    with pytest.raises(CredkitError, match="worker process failed to start"):
        issue_cohort(
            template,
            read_roster(tmp_path / "roster.csv"),
            signer,
            tmp_path / "out",
            workers=2,
        )
    assert list((tmp_path / "out").glob("*.json")) == []
    # any Signer works in this process: without a pool (one worker) the cohort is issued
    report = issue_cohort(
        template,
        read_roster(tmp_path / "roster.csv"),
        signer,
        tmp_path / "out",
        workers=1,
    )
    assert report.ok and len(report.issued) == 40
    assert verify(json.loads(report.issued[0].read_text())).verified
