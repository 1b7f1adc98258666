"""Ed25519 key pairs on ``cryptography``, their Multikey / JWK / PEM encodings, and key files.

A key file is a Multikey JSON document (CID 1.0 §2.2.2) carrying ``secretKeyMultibase``: the same
shape ``@digitalbazaar/ed25519-multikey``'s ``Ed25519Multikey.from()`` reads, so a key can move
between credkit and the reference JS libraries. Key files are written 0600 and refused on load when
other users can read them. The secret is never part of ``repr`` or any log line.

With a passphrase the secret is sealed instead (``secretKeyEncrypted``, see
:mod:`credkit.identity.sealed`: scrypt + ChaCha20-Poly1305); the public members stay
readable. A clear file still loads, with a :class:`ClearKeyWarning` that says how to encrypt it.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import warnings
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from credkit.atomic import write_atomic
from credkit.errors import KeyFileError, KeyFormatError, KeyPassphraseError, WeakKeyError
from credkit.identity import passphrase as phrases
from credkit.identity import sealed
from credkit.identity.multibase import ED25519_PRIV, ED25519_PUB, decode_multikey, encode_multikey

MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64url(text: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise KeyFormatError(f"JWK {what} is not base64url") from None


# Curve25519's field prime, and the y-coordinates of the eight points of small order on edwards25519
# (order 1: y = 1; order 2: y = -1; order 4: y = 0; order 8: y = ±_Y8), as libsodium's blocklist.
_P = 2**255 - 19
_Y8 = int.from_bytes(
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"), "little"
)
_SMALL_ORDER_Y = frozenset({1, _P - 1, 0, _Y8, _P - _Y8})
_Y_MASK = (1 << 255) - 1


def check_public_key(raw: bytes) -> None:
    """Refuse an encoding that is not a usable Ed25519 public key.

    RFC 8032 §5.1.3: y must be below p (a non-canonical encoding fails decoding). VC DI EdDSA 1.0
    §4.1: reject small-order keys. With A of small order, [k]A is in the 8-torsion for every
    message hash k, so R = identity and S = 0 "signs" any document (every one for the identity,
    one in eight for the others: a forger grinds a timestamp); OpenSSL, behind ``cryptography``,
    accepts such signatures. The sign bit is ignored: it cannot move a point out of the list.
    """
    if len(raw) != 32:
        raise KeyFormatError(f"an Ed25519 public key has 32 bytes, got {len(raw)}")
    y = int.from_bytes(raw, "little") & _Y_MASK
    if y in _SMALL_ORDER_Y or y - _P in _SMALL_ORDER_Y:
        raise WeakKeyError(
            "the Ed25519 public key is a point of small order (such as the identity point): "
            "with it a trivial signature verifies for any document, so credkit refuses it"
        )
    if y >= _P:
        raise KeyFormatError("the Ed25519 public key is not canonically encoded (y >= p)")


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key: verify signatures, encode as Multikey or JWK.

    Every constructor (raw bytes, Multikey, JWK, base58, did:key) passes through
    :func:`check_public_key`, so no PublicKey of small order exists.
    """

    raw: bytes

    def __post_init__(self) -> None:
        check_public_key(self.raw)

    @classmethod
    def from_multibase(cls, value: str) -> PublicKey:
        """Decode ``publicKeyMultibase`` (``z6Mk…``: base58btc of 0xed01 ‖ key).

        A pure function of the string, and a PublicKey is immutable: decoded keys are kept per
        string (bounded LRU; a failure raises afresh every time, it is never kept).
        """
        if cls is PublicKey and type(value) is str:
            return _public_from_multibase(value)
        return cls(decode_multikey(value, ED25519_PUB, 32, "publicKeyMultibase"))

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> PublicKey:
        if (
            jwk.get("kty") != "OKP"
            or jwk.get("crv") != "Ed25519"
            or not isinstance(jwk.get("x"), str)
        ):
            raise KeyFormatError("JWK must be an OKP key on curve Ed25519 with an 'x' member")
        return cls(_unb64url(jwk["x"], "x"))

    @cached_property
    def multibase(self) -> str:
        # computed once per instance (``raw`` is frozen); not a field: eq, hash and repr unchanged
        return encode_multikey(ED25519_PUB, self.raw)

    def to_jwk(self) -> dict[str, str]:
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(self.raw)}

    def to_pem(self) -> bytes:
        return self._key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def _key(self) -> Ed25519PublicKey:
        if type(self.raw) is bytes:
            return _ed25519_public(self.raw)
        return Ed25519PublicKey.from_public_bytes(self.raw)

    def verify(self, signature: bytes, data: bytes) -> bool:
        """True when ``signature`` is a valid Ed25519 signature of ``data`` (RFC 8032 checks)."""
        if len(signature) != 64:
            return False
        try:
            self._key().verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True


@lru_cache(maxsize=1024)
def _public_from_multibase(value: str) -> PublicKey:
    return PublicKey(decode_multikey(value, ED25519_PUB, 32, "publicKeyMultibase"))


@lru_cache(maxsize=1024)
def _ed25519_public(raw: bytes) -> Ed25519PublicKey:
    """The cryptography key object for raw bytes: immutable, so one per key is enough."""
    return Ed25519PublicKey.from_public_bytes(raw)


class KeyPair:
    """An Ed25519 signing key with the identifiers it signs under.

    ``controller`` is the DID that controls the key (``did:key`` derived from the key unless told
    otherwise, e.g. a ``did:web``); ``id`` is the verification method URL proofs name.
    """

    __slots__ = ("_private", "controller", "id", "public_key")

    def __init__(
        self,
        private_key: Ed25519PrivateKey,
        *,
        controller: str | None = None,
        key_id: str | None = None,
    ) -> None:
        self._private = private_key
        raw = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.public_key = PublicKey(raw)
        mb = self.public_key.multibase
        self.controller = controller or f"did:key:{mb}"
        self.id = key_id or f"{self.controller}#{mb}"

    # --- constructors -------------------------------------------------------------------

    @classmethod
    def generate(cls, *, controller: str | None = None, key_id: str | None = None) -> KeyPair:
        return cls(Ed25519PrivateKey.generate(), controller=controller, key_id=key_id)

    @classmethod
    def from_seed(
        cls, seed: bytes, *, controller: str | None = None, key_id: str | None = None
    ) -> KeyPair:
        """The RFC 8032 private key is the 32-byte seed; the same seed always gives the same key."""
        if not isinstance(seed, bytes | bytearray) or len(seed) != 32:
            raise KeyFormatError("an Ed25519 seed is exactly 32 bytes")
        return cls(
            Ed25519PrivateKey.from_private_bytes(bytes(seed)), controller=controller, key_id=key_id
        )

    @classmethod
    def from_secret_multibase(
        cls, value: str, *, controller: str | None = None, key_id: str | None = None
    ) -> KeyPair:
        """Decode ``secretKeyMultibase`` (``z3u2…``: base58btc of 0x8026 ‖ seed)."""
        seed = decode_multikey(value, ED25519_PRIV, 32, "secretKeyMultibase")
        return cls.from_seed(seed, controller=controller, key_id=key_id)

    @classmethod
    def from_jwk(
        cls, jwk: dict[str, Any], *, controller: str | None = None, key_id: str | None = None
    ) -> KeyPair:
        public = PublicKey.from_jwk(jwk)
        if not isinstance(jwk.get("d"), str):
            raise KeyFormatError("JWK has no private member 'd'")
        pair = cls.from_seed(_unb64url(jwk["d"], "d"), controller=controller, key_id=key_id)
        if pair.public_key != public:
            raise KeyFormatError("JWK 'x' does not match the public key of 'd'")
        return pair

    @classmethod
    def from_pem(
        cls,
        pem: bytes,
        password: bytes | None = None,
        *,
        controller: str | None = None,
        key_id: str | None = None,
    ) -> KeyPair:
        try:
            key = serialization.load_pem_private_key(pem, password=password)
        except (ValueError, TypeError) as exc:
            raise KeyFormatError(f"not a readable PEM private key: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFormatError("PEM key is not an Ed25519 key")
        return cls(key, controller=controller, key_id=key_id)

    @classmethod
    def from_multikey(cls, doc: dict[str, Any]) -> KeyPair:
        """Read a Multikey document with ``secretKeyMultibase`` (the key file format)."""
        if not isinstance(doc, dict) or doc.get("type") != "Multikey":
            raise KeyFormatError("key document must be a JSON object with type 'Multikey'")
        secret = doc.get("secretKeyMultibase")
        if not isinstance(secret, str):
            raise KeyFormatError("key document has no secretKeyMultibase")
        controller = doc.get("controller") if isinstance(doc.get("controller"), str) else None
        key_id = doc.get("id") if isinstance(doc.get("id"), str) else None
        if key_id and key_id.startswith("#") and controller:
            key_id = controller + key_id
        pair = cls.from_secret_multibase(secret, controller=controller, key_id=key_id)
        public = doc.get("publicKeyMultibase")
        if public is not None and public != pair.public_key.multibase:
            raise KeyFormatError("publicKeyMultibase does not match secretKeyMultibase")
        return pair

    # --- use ----------------------------------------------------------------------------

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)

    @property
    def key_id(self) -> str:
        """The verification method id (the :class:`credkit.identity.signer.Signer` ``id``)."""
        return self.id

    def verify(self, signature: bytes, data: bytes) -> bool:
        return self.public_key.verify(signature, data)

    def with_controller(self, controller: str, key_id: str | None = None) -> KeyPair:
        """The same key under another DID (e.g. a ``did:web`` the issuer publishes)."""
        return KeyPair(self._private, controller=controller, key_id=key_id)

    # --- export -------------------------------------------------------------------------

    @property
    def secret_multibase(self) -> str:
        return encode_multikey(ED25519_PRIV, self._seed())

    def _seed(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    def verification_method(self) -> dict[str, str]:
        """The public Multikey verification method object, as a DID document lists it."""
        return {
            "id": self.id,
            "type": "Multikey",
            "controller": self.controller,
            "publicKeyMultibase": self.public_key.multibase,
        }

    def to_multikey(self, *, include_secret: bool = False) -> dict[str, Any]:
        doc: dict[str, Any] = {"@context": MULTIKEY_CONTEXT, **self.verification_method()}
        if include_secret:
            doc["secretKeyMultibase"] = self.secret_multibase
        return doc

    def to_jwk(self, *, include_private: bool = False) -> dict[str, str]:
        jwk = self.public_key.to_jwk()
        if include_private:
            jwk["d"] = _b64url(self._seed())
        return jwk

    def to_pem(self, *, include_private: bool = False) -> bytes:
        if not include_private:
            return self.public_key.to_pem()
        return self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def __repr__(self) -> str:  # never the secret
        return f"KeyPair(id={self.id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeyPair) and self._seed() == other._seed() and self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    # --- files --------------------------------------------------------------------------

    def worker_factory(self) -> tuple[Any, tuple[Any, ...]]:
        """Rebuild this key in a worker process: the seed goes through the pool's pipe, in
        memory, never through a file (see :mod:`credkit.identity.signer`)."""
        return (_from_worker, (self._seed(), self.controller, self.id))

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        passphrase: str | bytes | None = None,
    ) -> Path:
        """Write the key file with mode 0600, atomically; refuse to replace a key unless told.

        With ``passphrase`` the secret is sealed (scrypt + ChaCha20-Poly1305,
        :mod:`credkit.identity.sealed`); without, it is written in the clear.
        """
        target = Path(path)
        if target.exists() and not overwrite:
            raise KeyFileError(f"{target} exists; refusing to overwrite a key file")
        doc = self.to_multikey(include_secret=passphrase is None)
        if passphrase is not None:
            doc[sealed.FIELD] = sealed.seal(self._seed(), passphrase, self.public_key.multibase)
        data = json.dumps(doc, indent=2).encode() + b"\n"
        try:
            write_atomic(target, data, mode=0o600)
        except OSError as exc:
            raise KeyFileError(f"cannot write key file {target}: {exc.strerror}") from None
        return target

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, passphrase: str | bytes | None = None
    ) -> KeyPair:
        """Read a key file; refuse one that group or others may read (it holds a secret).

        An encrypted file is opened with ``passphrase``, else with the process's passphrase
        source (:mod:`credkit.identity.passphrase`); a wrong one raises
        :class:`KeyPassphraseError`. A clear file (a Multikey JSON with ``secretKeyMultibase``
        or a PKCS#8 PEM) loads with a :class:`ClearKeyWarning`.
        """
        source = Path(path)
        text = _read_key_text(source)
        if text.lstrip().startswith("-----BEGIN"):
            return cls._load_pem(source, text, passphrase)
        doc = _json_key(source, text)
        if sealed.FIELD in doc:
            public = doc.get("publicKeyMultibase")
            if not isinstance(public, str):
                raise KeyFileError(f"{source}: an encrypted key needs its publicKeyMultibase")
            secret = passphrase if passphrase is not None else phrases.require(str(source))
            seed = sealed.unseal(doc[sealed.FIELD], secret, public, str(source))
            plain = {k: v for k, v in doc.items() if k != sealed.FIELD}
            plain["secretKeyMultibase"] = encode_multikey(ED25519_PRIV, seed)
            return cls.from_multikey(plain)
        pair = cls.from_multikey(doc)
        _warn_clear(source)
        return pair

    @classmethod
    def _load_pem(cls, source: Path, text: str, passphrase: str | bytes | None) -> KeyPair:
        encrypted = "ENCRYPTED PRIVATE KEY" in text
        secret = None
        if encrypted:
            given = passphrase if passphrase is not None else phrases.require(str(source))
            secret = sealed.normalize(given)
        try:
            key = serialization.load_pem_private_key(text.encode("ascii", "replace"), secret)
        except ValueError as exc:
            if encrypted and "password" in str(exc).lower():
                raise KeyPassphraseError(f"{source}: wrong passphrase; nothing signed") from None
            raise KeyFormatError(f"{source}: not a readable PEM private key") from None
        except TypeError:
            raise KeyFormatError(f"{source}: not a readable PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFormatError(f"{source}: the PEM key is not an Ed25519 key")
        if not encrypted:
            _warn_clear(source)
        return cls(key)


class ClearKeyWarning(UserWarning):
    """A private key was read from a file that holds it in the clear."""


def _warn_clear(source: Path) -> None:
    warnings.warn(
        ClearKeyWarning(
            f"{source} holds the issuer's private key unencrypted; encrypt it with "
            f"`credkit keys encrypt {source}`"
        ),
        stacklevel=3,
    )


def is_encrypted(path: str | os.PathLike[str]) -> bool:
    """True when the key file's secret is sealed with a passphrase (no passphrase needed)."""
    source = Path(path)
    text = _read_key_text(source)
    if text.lstrip().startswith("-----BEGIN"):
        return "ENCRYPTED PRIVATE KEY" in text
    return sealed.FIELD in _json_key(source, text)


def public_of(path: str | os.PathLike[str]) -> dict[str, str] | None:
    """The public verification method a Multikey key file states, read without the passphrase
    (``id``, ``controller``, ``publicKeyMultibase``), or None for a PEM file."""
    source = Path(path)
    text = _read_key_text(source)
    if text.lstrip().startswith("-----BEGIN"):
        return None
    doc = _json_key(source, text)
    public = PublicKey.from_multibase(str(doc.get("publicKeyMultibase", "")))
    controller = doc.get("controller")
    controller = controller if isinstance(controller, str) else f"did:key:{public.multibase}"
    key_id = doc.get("id") if isinstance(doc.get("id"), str) else None
    if key_id and key_id.startswith("#"):
        key_id = controller + key_id
    return {
        "id": key_id or f"{controller}#{public.multibase}",
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": public.multibase,
    }


def _from_worker(seed: bytes, controller: str, key_id: str) -> KeyPair:
    return KeyPair.from_seed(seed, controller=controller, key_id=key_id)


def _read_key_text(source: Path) -> str:
    try:
        mode = source.stat().st_mode
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(
                f"{source} is readable by other users (mode {stat.S_IMODE(mode):o}); "
                f"run: chmod 600 {source}"
            )
        return source.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {source}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise KeyFileError(f"{source} is not a UTF-8 key file") from None


def _json_key(source: Path, text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        raise KeyFileError(f"{source} is not a JSON Multikey document") from None
    if not isinstance(doc, dict):
        raise KeyFormatError("key document must be a JSON object with type 'Multikey'")
    return doc
