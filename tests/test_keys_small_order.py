"""Small-order Ed25519 public keys are refused wherever credkit reads a key.

Independent truth: a few lines of edwards25519 arithmetic (RFC 8032 §5.1) confirm that every
refused encoding is a point of order dividing 8, and ``cryptography`` itself shows the danger: it
accepts R = identity, S = 0 as a signature of any message under the identity key.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from credkit.errors import DidResolutionError, KeyFormatError, WeakKeyError
from credkit.fetch import FetchError
from credkit.identity.did import Resolver, did_key_document
from credkit.identity.keys import KeyPair, PublicKey
from credkit.identity.multibase import ED25519_PUB, b58encode, encode_multikey

P = 2**255 - 19
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
IDENTITY = b"\x01" + bytes(31)


def decode_point(raw: bytes) -> tuple[int, int] | None:
    """Lenient RFC 8032 §5.1.3 decoding (y reduced mod p, "-0" allowed): the point, or None."""
    value = int.from_bytes(raw, "little")
    sign, y = value >> 255, (value & ((1 << 255) - 1)) % P
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    if x & 1 != sign:
        x = (P - x) % P
    return x, y


def add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + y1 * x2) * pow(1 + t, P - 2, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P  # a = -1
    return x3, y3


def times_eight(point: tuple[int, int]) -> tuple[int, int]:
    for _ in range(3):
        point = add(point, point)
    return point


def encodings() -> list[bytes]:
    """The 8 small-order points, with both sign bits, plus y = p and y = p + 1 (non-canonical)."""
    y8 = int.from_bytes(
        bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"), "little"
    )
    ys = [0, 1, P - 1, y8, P - y8, P, P + 1]
    return [(y | sign << 255).to_bytes(32, "little") for y in ys for sign in (0, 1)]


SMALL = encodings()


def test_every_refused_encoding_is_a_point_of_small_order() -> None:
    assert len(set(SMALL)) == 14
    for raw in SMALL:
        point = decode_point(raw)
        assert point is not None, raw.hex()
        assert times_eight(point) == (0, 1), raw.hex()
    points = {decode_point(raw) for raw in SMALL}
    assert len(points) == 8  # all eight points of the 8-torsion


def test_cryptography_alone_accepts_a_trivial_signature_under_the_identity_key() -> None:
    # what credkit's check stands between: OpenSSL verifies this for any message
    key = Ed25519PublicKey.from_public_bytes(IDENTITY)
    for message in (b"", b"any document", os.urandom(64)):
        key.verify(IDENTITY + bytes(32), message)  # no InvalidSignature


@pytest.mark.parametrize("raw", SMALL, ids=[r.hex()[:6] + r.hex()[-2:] for r in SMALL])
def test_small_order_key_is_refused_in_every_encoding(raw: bytes) -> None:
    with pytest.raises(WeakKeyError, match="small order"):
        PublicKey(raw)
    mb = encode_multikey(ED25519_PUB, raw)
    with pytest.raises(WeakKeyError):
        PublicKey.from_multibase(mb)
    x = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    with pytest.raises(WeakKeyError):
        PublicKey.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": x})
    did = f"did:key:{mb}"
    with pytest.raises(WeakKeyError, match=did):
        did_key_document(did)
    with pytest.raises(WeakKeyError):
        Resolver().resolve_verification_method(f"{did}#{mb}", "assertionMethod")
    # the same error is also a key format error and a resolution error, for callers of each layer
    assert issubclass(WeakKeyError, KeyFormatError) and issubclass(WeakKeyError, DidResolutionError)


@pytest.mark.parametrize("shape", ["publicKeyMultibase", "publicKeyJwk", "publicKeyBase58"])
def test_small_order_key_in_a_did_web_document_is_refused(shape: str) -> None:
    did = "did:web:weak.example"
    vm_id = f"{did}#key-1"
    method: dict[str, Any] = {"id": vm_id, "type": "Multikey", "controller": did}
    if shape == "publicKeyMultibase":
        method[shape] = encode_multikey(ED25519_PUB, IDENTITY)
    elif shape == "publicKeyJwk":
        x = base64.urlsafe_b64encode(IDENTITY).decode().rstrip("=")
        method[shape] = {"kty": "OKP", "crv": "Ed25519", "x": x}
    else:
        method[shape] = b58encode(IDENTITY)
    doc = {"id": did, "verificationMethod": [method], "assertionMethod": [vm_id]}

    def fetch(url: str) -> bytes:
        if url != "https://weak.example/.well-known/did.json":
            raise FetchError(url)
        return json.dumps(doc).encode()

    with pytest.raises(WeakKeyError, match="key-1"):
        Resolver(fetcher=fetch).resolve_verification_method(vm_id, "assertionMethod")


def test_non_canonical_encoding_of_an_ordinary_y_is_a_format_error() -> None:
    # y = p + 2 .. p + 18 would reduce to small y values; RFC 8032 §5.1.3 refuses y >= p outright
    raw = (P + 5).to_bytes(32, "little")
    with pytest.raises(KeyFormatError, match="canonical") as caught:
        PublicKey(raw)
    assert not isinstance(caught.value, WeakKeyError)


def test_ordinary_keys_are_still_accepted() -> None:
    for _ in range(64):
        pair = KeyPair.generate()
        assert PublicKey(pair.public_key.raw) == pair.public_key
        assert PublicKey.from_multibase(pair.public_key.multibase) == pair.public_key
