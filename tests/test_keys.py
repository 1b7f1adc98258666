"""Ed25519 key pairs: encodings round-trip, key files stay secret."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from credkit.errors import KeyFileError, KeyFormatError
from credkit.identity.keys import KeyPair, PublicKey
from credkit.identity.multibase import b58decode, b58encode


def test_seed_is_deterministic_and_signatures_verify() -> None:
    a = KeyPair.from_seed(bytes(range(32)))
    b = KeyPair.from_seed(bytes(range(32)))
    assert a.public_key == b.public_key
    sig = a.sign(b"diploma")
    assert sig == b.sign(b"diploma")  # RFC 8032 Ed25519 is deterministic
    assert b.verify(sig, b"diploma")
    assert not b.verify(sig, b"diplomb")
    assert not b.verify(sig[:-1] + bytes([sig[-1] ^ 1]), b"diploma")


def test_multikey_headers_and_prefixes() -> None:
    pair = KeyPair.generate()
    assert pair.public_key.multibase.startswith("z6Mk")
    assert pair.secret_multibase.startswith("z3u2")
    assert pair.controller == f"did:key:{pair.public_key.multibase}"
    assert KeyPair.from_secret_multibase(pair.secret_multibase).public_key == pair.public_key


@pytest.mark.parametrize(
    "value",
    [
        "z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc",  # X25519 key (0xec01 header)
        "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",  # secp256k1
        "6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",  # no multibase prefix
        "z0OIl",  # not base58
        "z6Mk",  # too short
    ],
)
def test_public_multibase_rejects_other_keys(value: str) -> None:
    with pytest.raises(KeyFormatError):
        PublicKey.from_multibase(value)


def test_jwk_and_pem_round_trip() -> None:
    pair = KeyPair.generate()
    jwk = pair.to_jwk(include_private=True)
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and "d" in jwk
    assert "d" not in pair.to_jwk()
    assert KeyPair.from_jwk(jwk).public_key == pair.public_key
    assert PublicKey.from_jwk(pair.to_jwk()) == pair.public_key
    pem = pair.to_pem(include_private=True)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert KeyPair.from_pem(pem).public_key == pair.public_key
    assert b"PRIVATE" not in pair.to_pem()


def test_jwk_with_mismatched_public_part_is_refused() -> None:
    jwk = KeyPair.generate().to_jwk(include_private=True)
    jwk["x"] = KeyPair.generate().to_jwk()["x"]
    with pytest.raises(KeyFormatError):
        KeyPair.from_jwk(jwk)


def test_key_file_is_0600_and_round_trips(tmp_path: Path) -> None:
    pair = KeyPair.generate()
    path = pair.save(tmp_path / "issuer.key")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    doc = json.loads(path.read_text())
    # the shape Ed25519Multikey.from() reads
    assert doc["type"] == "Multikey" and doc["secretKeyMultibase"].startswith("z3u2")
    assert doc["controller"] == pair.controller and doc["id"] == pair.id
    assert KeyPair.load(path) == pair


def test_key_file_refused_when_others_can_read(tmp_path: Path) -> None:
    path = KeyPair.generate().save(tmp_path / "k.key")
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        KeyPair.load(path)


def test_key_file_not_overwritten(tmp_path: Path) -> None:
    first = KeyPair.generate()
    path = first.save(tmp_path / "k.key")
    with pytest.raises(KeyFileError):
        KeyPair.generate().save(path)
    assert KeyPair.load(path) == first


def test_secret_never_in_repr() -> None:
    pair = KeyPair.generate()
    assert pair.secret_multibase not in repr(pair)
    assert pair.secret_multibase not in str(pair.to_multikey())


def test_base58_leading_zeros_round_trip() -> None:
    for data in (b"", b"\0", b"\0\0\x01", bytes(32), b"\xff" * 40):
        assert b58decode(b58encode(data)) == data
    assert b58encode(b"hello world") == "StV1DL6CwTryKyV"
