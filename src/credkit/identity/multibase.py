"""Multibase / multicodec helpers for the few encodings the specs use.

base58btc is written here by hand (about 20 lines) rather than pulling a dependency: the algorithm
is fixed, tiny, and the Bitcoin alphabet is the only one Data Integrity and Multikey use.
"""

from __future__ import annotations

import base64
import sys

from credkit.errors import KeyFormatError

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
# Decoding is quadratic in the length (one big-integer multiply per character): a 1 MB proofValue
# took minutes. Nothing credkit decodes is near this (a signature is 88 characters, a Multikey 48);
# 4096 characters (about 3 KB) bounds the work to milliseconds.
MAX_BASE58_CHARS = 4096

# Multicodec varint headers (CID 1.0 §2.2.2 Multikey; multicodec table).
ED25519_PUB = b"\xed\x01"
ED25519_PRIV = b"\x80\x26"


# Encoding divides the big integer by 58^10 (ten digits at a time), then the small remainder by
# 58^2 (two digits per table entry): fewer big-integer steps, the same output.
_B58_PAIRS = [a + b for a in _B58 for b in _B58]
_B58_CHUNK = 58**10


def b58encode(data: bytes) -> str:
    """Bitcoin base58: leading zero bytes become leading '1's."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, _B58_CHUNK)
        for _ in range(5):
            r, d = divmod(r, 3364)
            out.append(_B58_PAIRS[d])
    # the last chunk is padded with zero digits ('1'); the number itself never starts with one
    return "1" * zeros + "".join(reversed(out)).lstrip("1")


# Decoding reads two digits at a time: the text's bytes are mapped to digit values (255: not in
# the alphabet), and each native 16-bit pair of digit bytes indexes its two-digit value (0..3363).
_B58_DIGITS = bytes(_B58_INDEX.get(chr(b), 255) for b in range(256))
_B58_PAIR_VALUES = [0] * 65536
for _hi in range(58):
    for _lo in range(58):
        _pair = bytes((_hi, _lo))
        _B58_PAIR_VALUES[int.from_bytes(_pair, sys.byteorder)] = _hi * 58 + _lo
del _hi, _lo, _pair


def _b58_number(text: str) -> int | None:
    """The number a base58 text spells, or None when a character is outside the alphabet."""
    try:
        digits = text.encode("ascii").translate(_B58_DIGITS)
    except UnicodeEncodeError:
        return None
    if 255 in digits:
        return None
    n = 0
    if len(digits) & 1:
        n = digits[0]
        digits = digits[1:]
    for pair in map(_B58_PAIR_VALUES.__getitem__, memoryview(digits).cast("H")):
        n = n * 3364 + pair
    return n


def b58decode(text: str) -> bytes:
    """Inverse of :func:`b58encode`; raises ValueError on a character outside the alphabet."""
    if len(text) > MAX_BASE58_CHARS:
        raise ValueError(f"base58 text of {len(text)} characters, over {MAX_BASE58_CHARS}")
    if type(text) is str:
        number = _b58_number(text)
        if number is not None:
            zeros = len(text) - len(text.lstrip("1"))
            body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
            return b"\0" * zeros + body
    # the character-by-character reading: it names the first character outside the alphabet
    n = 0
    for ch in text:
        try:
            n = n * 58 + _B58_INDEX[ch]
        except KeyError:
            raise ValueError(f"invalid base58 character {ch!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def encode_base58btc(data: bytes) -> str:
    """Multibase base58btc: the ``z`` prefix."""
    return "z" + b58encode(data)


def decode_base58btc(text: str) -> bytes:
    """Decode a ``z``-prefixed multibase string; anything else is an error, not a guess."""
    if not isinstance(text, str) or not text.startswith("z") or len(text) < 2:
        raise ValueError("expected a base58btc multibase string starting with 'z'")
    return b58decode(text[1:])


def encode_base64url(data: bytes) -> str:
    """Multibase base64url without padding: the ``u`` prefix (Bitstring Status List §2.1)."""
    return "u" + base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def decode_base64url(text: str) -> bytes:
    """Decode a ``u``-prefixed multibase string (padding optional)."""
    if not isinstance(text, str) or not text.startswith("u"):
        raise ValueError("expected a base64url multibase string starting with 'u'")
    body = text[1:]
    if any(c in body for c in "+/="):
        # base64url with no padding is the only alphabet multibase 'u' allows
        raise ValueError("invalid character in base64url multibase string")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def encode_multikey(header: bytes, key: bytes) -> str:
    return encode_base58btc(header + key)


def decode_multikey(value: str, header: bytes, length: int, what: str) -> bytes:
    """Decode a Multikey value, checking its multicodec header and key length."""
    try:
        raw = decode_base58btc(value)
    except ValueError as exc:
        raise KeyFormatError(f"{what} is not base58btc multibase: {exc}") from None
    if raw[:2] != header:
        raise KeyFormatError(
            f"{what} has multicodec header 0x{raw[:2].hex()}, expected 0x{header.hex()} (Ed25519)"
        )
    if len(raw) != 2 + length:
        raise KeyFormatError(f"{what} must hold {length} key bytes, found {len(raw) - 2}")
    return raw[2:]
