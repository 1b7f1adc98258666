"""HTTPS with a certificate the client trusts, and a did:web issuer resolved over it end to end."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import urllib.error
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from test_server_helpers import Server, call, diploma, free_port, make_workspace


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_https_serves_with_the_given_certificate(tmp_path: Path) -> None:
    tls = self_signed(tmp_path)
    port = free_port()
    ws = make_workspace(tmp_path / "ws", f"https://localhost:{port}")
    server = Server(tmp_path, workspace=ws, port=port, tls=tls, host="localhost")
    try:
        assert server.url.startswith("https://")
        vc = server.issue(diploma())
        assert vc["credentialStatus"]["statusListCredential"].startswith(server.url + "/status/")
        assert server.verify(vc).status == 200
        # a client that does not trust the certificate refuses the connection
        with pytest.raises(urllib.error.URLError) as refused:
            call("GET", server.url + "/issuer", context=ssl.create_default_context())
        assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)
        # plain http to the TLS port gets nothing usable
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            call("GET", f"http://localhost:{port}/issuer", timeout=5)
    finally:
        server.stop()


def test_did_web_issuer_over_https_verifies_with_credkit_verify(tmp_path: Path) -> None:
    """did:web:localhost%3APORT resolves to this server's did.json; status list fetched too."""
    tls = self_signed(tmp_path)
    port = free_port()
    ws = make_workspace(tmp_path / "ws", f"https://localhost:{port}", did_web=f"localhost:{port}")
    assert ws.issuer_did == f"did:web:localhost%3A{port}"
    server = Server(tmp_path, workspace=ws, port=port, tls=tls, host="localhost")
    try:
        vc = server.issue(diploma())
        file = tmp_path / "diploma.json"
        file.write_text(json.dumps(vc), encoding="utf-8")
        env = {**os.environ, "SSL_CERT_FILE": str(tls[0])}
        run = subprocess.run(
            [
                sys.executable,
                *("-m", "credkit.cli.verify", "--allow-network", "--json", str(file)),
                "--allow-private-network",  # the test server is on loopback
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        result = json.loads(run.stdout)
        assert run.returncode == 0, run.stdout + run.stderr
        assert result["verified"] is True
        status = next(c for c in result["checks"] if c["id"] == "status")
        assert "not revoked" in status["message"]
        offline = subprocess.run(
            [sys.executable, "-m", "credkit.cli.verify", str(file)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert offline.returncode == 3  # inconclusive without the network: says so
    finally:
        server.stop()
