"""P-256 public keys as a wallet names them: a ``did:key`` (``zDn…``) or an EC JWK.

credkit signs with Ed25519 only; P-256 appears where a wallet proves it holds a key (OID4VCI
key proofs with ``ES256``), so only public keys are handled here. The did:key form follows the
did:key method (w3c-ccg/did-key-spec, "P-256"): multibase base58btc of the multicodec
``p256-pub`` (0x1200, varint ``0x80 0x24``) followed by the 33-byte compressed SEC1 point; the
verification method's fragment is the same multibase string. Decoding checks that the point is
on the curve (``cryptography``), so a key that cannot verify anything is refused up front.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from credkit.errors import KeyFormatError
from credkit.identity.multibase import decode_base58btc, encode_base58btc

P256_PUB = b"\x80\x24"  # multicodec p256-pub 0x1200 as an unsigned varint
DID_KEY_PREFIX = "did:key:zDn"  # every P-256 did:key starts so (the header's base58 form)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64url(text: Any, what: str) -> bytes:
    if not isinstance(text, str) or not text or any(c in text for c in "+/="):
        raise KeyFormatError(f"the JWK's {what} is not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise KeyFormatError(f"the JWK's {what} is not base64url") from None


@dataclass(frozen=True)
class P256PublicKey:
    """A P-256 public key whose point was checked to be on the curve."""

    key: ec.EllipticCurvePublicKey

    @classmethod
    def from_compressed(cls, point: bytes) -> P256PublicKey:
        if len(point) != 33 or point[0] not in (2, 3):
            raise KeyFormatError("a P-256 did:key holds a 33-byte compressed point")
        try:
            return cls(ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point))
        except ValueError:
            raise KeyFormatError("the P-256 point is not on the curve") from None

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> P256PublicKey:
        """RFC 7518 §6.2.1: ``kty`` EC, ``crv`` P-256, 32-byte ``x`` and ``y``; public only."""
        if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
            raise KeyFormatError("an EC JWK for ES256 must have kty EC and crv P-256")
        if "d" in jwk:
            raise KeyFormatError("the JWK holds a private key; send the public key only")
        x, y = _unb64url(jwk.get("x"), "x"), _unb64url(jwk.get("y"), "y")
        if len(x) != 32 or len(y) != 32:
            raise KeyFormatError("a P-256 JWK's x and y are 32 bytes each")
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        )
        try:
            return cls(numbers.public_key())
        except ValueError:
            raise KeyFormatError("the P-256 point is not on the curve") from None

    @classmethod
    def from_did_key(cls, did: str) -> P256PublicKey:
        if not did.startswith(DID_KEY_PREFIX):
            raise KeyFormatError("not a P-256 did:key (did:key:zDn…)")
        try:
            raw = decode_base58btc(did.removeprefix("did:key:"))
        except ValueError as exc:
            raise KeyFormatError(f"the did:key is not base58btc: {exc}") from None
        if not raw.startswith(P256_PUB):
            raise KeyFormatError("the did:key's multicodec is not p256-pub (0x1200)")
        return cls.from_compressed(raw[len(P256_PUB) :])

    def multibase(self) -> str:
        point = self.key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
        return encode_base58btc(P256_PUB + point)

    def did_key(self) -> str:
        return "did:key:" + self.multibase()

    def to_jwk(self) -> dict[str, str]:
        numbers = self.key.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }
