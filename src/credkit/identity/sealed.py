"""The encrypted secret of a key file: scrypt + ChaCha20-Poly1305, in the Multikey document.

Why not ``cryptography``'s PKCS#8 ``BestAvailableEncryption``: for PKCS#8 it writes PBES2 with
PBKDF2-HMAC-SHA256 at 2,048 iterations (checked with ``openssl asn1parse`` on cryptography 50),
about 300 times fewer than OWASP's current advice for PBKDF2-SHA256 (600,000), and nothing in its
API raises them. A stolen key file must resist offline guessing, so credkit seals the 32-byte
Ed25519 seed itself:

- **KDF**: scrypt (RFC 7914) with N = 2^16, r = 8, p = 1: 64 MiB of memory a guess, about 0.25 s
  here. Memory-hard, unlike PBKDF2: a GPU or ASIC guesser pays for the memory too. Half the
  compute of OWASP's password-storage line (N = 2^17), chosen so that the one KDF a cohort run
  pays stays under 10% of a 2,000-diploma cohort on two cores (N = 2^17 takes 0.45-0.6 s here,
  more than 10% of a 4 s run). The parameters are stored in each file, so later versions can
  raise them and still read today's files; they are bounded on reading (a hostile file cannot
  ask for GiBs).
- **AEAD**: ChaCha20-Poly1305 (RFC 8439), 256-bit key from scrypt, random 96-bit nonce, a fresh
  16-byte salt per file. The associated data binds the envelope version and the public key, so
  a sealed secret moved under another ``publicKeyMultibase`` does not open; a wrong passphrase
  and a tampered file both fail the tag check, and both are reported as "wrong passphrase or
  damaged file" (they cannot be told apart, by design).

The document keeps ``id``, ``controller`` and ``publicKeyMultibase`` in the clear: the DID can
be shown and published without the passphrase. One KDF per process: callers decrypt once and keep
the key (a cohort hands the seed to its workers through the pool's pipe, never through a file).
"""

from __future__ import annotations

import base64
import os
import unicodedata
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from credkit.errors import KeyFileError, KeyPassphraseError

FORMAT = "credkit-sealed-key-v1"
FIELD = "secretKeyEncrypted"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 16, 8, 1
_MAX_SCRYPT_MEMORY = 512 << 20  # 128 * r * N * p bytes; refuse files asking for more
MIN_NEW_PASSPHRASE = 8


def normalize(passphrase: str | bytes) -> bytes:
    """The bytes the KDF sees: NFC of the text (the same passphrase typed anywhere), UTF-8."""
    if isinstance(passphrase, bytes):
        try:
            passphrase = passphrase.decode("utf-8")
        except UnicodeDecodeError:
            raise KeyPassphraseError("the passphrase is not UTF-8 text") from None
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise KeyFileError(f"encrypted key: {what} is missing")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        raise KeyFileError(f"encrypted key: {what} is not base64url") from None


def _aad(public_multibase: str) -> bytes:
    return FORMAT.encode("ascii") + b"\0" + public_multibase.encode("ascii")


def _kdf(passphrase: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase)


def seal(seed: bytes, passphrase: str | bytes, public_multibase: str) -> dict[str, Any]:
    """The sealed form of ``seed`` (the ``secretKeyEncrypted`` member of the key document)."""
    secret = normalize(passphrase)
    if len(secret) == 0:
        raise KeyPassphraseError("an empty passphrase does not protect a key")
    salt, nonce = os.urandom(16), os.urandom(12)
    key = _kdf(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    ciphertext = ChaCha20Poly1305(key).encrypt(nonce, seed, _aad(public_multibase))
    return {
        "format": FORMAT,
        "kdf": {"name": "scrypt", "salt": _b64(salt), "N": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
        "cipher": "ChaCha20-Poly1305",
        "nonce": _b64(nonce),
        "ciphertext": _b64(ciphertext),
    }


def unseal(sealed: Any, passphrase: str | bytes, public_multibase: str, source: str) -> bytes:
    """The seed inside ``sealed``; :class:`KeyPassphraseError` when the passphrase is wrong."""
    if not isinstance(sealed, dict) or sealed.get("format") != FORMAT:
        raise KeyFileError(f"{source}: the encrypted key is not in the {FORMAT} format")
    kdf = sealed.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("name") != "scrypt":
        raise KeyFileError(f"{source}: the encrypted key names an unknown KDF")
    if sealed.get("cipher") != "ChaCha20-Poly1305":
        raise KeyFileError(f"{source}: the encrypted key names an unknown cipher")
    n, r, p = kdf.get("N"), kdf.get("r"), kdf.get("p")
    if not all(type(v) is int and v > 0 for v in (n, r, p)):
        raise KeyFileError(f"{source}: the scrypt parameters are not positive integers")
    assert isinstance(n, int) and isinstance(r, int) and isinstance(p, int)
    if n < 2 or n & (n - 1) or 128 * r * n * p > _MAX_SCRYPT_MEMORY:
        raise KeyFileError(f"{source}: the scrypt parameters are out of range")
    salt = _unb64(kdf.get("salt"), "salt")
    nonce = _unb64(sealed.get("nonce"), "nonce")
    ciphertext = _unb64(sealed.get("ciphertext"), "ciphertext")
    if len(nonce) != 12 or len(ciphertext) != 32 + 16 or len(salt) < 16:
        raise KeyFileError(f"{source}: the encrypted key has the wrong length")
    key = _kdf(normalize(passphrase), salt, n, r, p)
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, ciphertext, _aad(public_multibase))
    except InvalidTag:
        raise KeyPassphraseError(
            f"{source}: wrong passphrase (or the key file was altered); nothing was signed"
        ) from None
