"""What goes inside a diploma's QR code: a link to the hosted credential, or the credential itself.

Two payloads, told apart by their first characters:

* **link** — ``{base_url}/c/{link_id}``. ``link_id`` is the first 128 bits of SHA-256 over the
  RFC 8785 (JCS) form of the *signed* credential, in lower-case RFC 4648 base32 (26 characters).
  Because the hash covers the proof value, nobody can guess the link of a diploma they have not
  seen, and whoever fetches the link can check the document they got hashes back to the id
  (a swapped or edited file on the host is caught before its signature is even looked at).
* **embedded** — ``CK1-R`` + RFC 9285 base45 of the RFC 1950 zlib stream of the credential's
  minified UTF-8 JSON. Everything is in the base45 alphabet, which is exactly the QR alphanumeric
  set, so the symbol uses alphanumeric mode (5.5 bits a character). The layering copies W3C VC
  Barcodes / vpqr (``VC1-`` + multibase prefix ``R`` = base45) but with credkit's own header,
  because vpqr's ``VC1-R`` promises CBOR-LD, which this is not. See docs/qr.md for the measurements
  behind the choice.

Decoding is strict: the header, the alphabet, the length, one complete zlib stream and no more,
a cap on the inflated size (a decompression bomb stops at the cap), and a JSON object with no
duplicate keys or NaN.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import rfc8785

from credkit.errors import CredkitError

EMBED_HEADER = "CK1-"
BASE45_PREFIX = "R"  # the multibase code for base45 (multiformats table; vpqr uses it too)
EMBED_PREFIX = EMBED_HEADER + BASE45_PREFIX
LINK_PATH = "/c/"
LINK_ID_BYTES = 16
LINK_ID_RE = re.compile(r"^[a-z2-7]{26}$")

# A version-40 QR in alphanumeric mode at ECC L holds 4296 characters; nothing longer can have
# come out of a QR code.
MAX_TEXT_CHARS = 4296
# A signed diploma is 2-4 KB of JSON; 256 KiB leaves room for generous credentials while a bomb
# (zlib reaches ~1000:1) is cut off long before it costs real memory.
MAX_JSON_BYTES = 256 * 1024
# Versions of QR a phone camera reads reliably from paper or a screen; larger ones still work
# with a good camera, and the encoder only warns through `too_large_for_phones`.
COMFORTABLE_VERSION = 25

_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_INDEX = {c: i for i, c in enumerate(_B45)}


class QrError(CredkitError):
    """A QR payload or image cannot be made or read; the message says what to do."""

    code = "QR_ERROR"


class QrPayloadError(QrError):
    """The text read from a QR code is not a payload credkit understands, or is damaged."""

    code = "QR_PAYLOAD_ERROR"


# --- RFC 9285 base45 -------------------------------------------------------------------------
# Written here (20 lines) rather than taken from the `base45` package: that one is correct but
# untyped and unmaintained since 2022, and these two functions are the whole of the RFC.


def b45encode(data: bytes) -> str:
    """RFC 9285 §4: each 2 bytes become 3 characters, a trailing byte 2 characters."""
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        e, n = divmod(n, 45 * 45)
        d, c = divmod(n, 45)
        out += (_B45[c], _B45[d], _B45[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += (_B45[c], _B45[d])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """RFC 9285 §4.2: refuse characters outside the alphabet and values that overflow."""
    try:
        values = [_B45_INDEX[c] for c in text]
    except KeyError as exc:
        raise QrPayloadError(f"character {exc.args[0]!r} is not in the base45 alphabet") from None
    if len(values) % 3 == 1:
        raise QrPayloadError("base45 text has a dangling character (truncated payload?)")
    out = bytearray()
    for i in range(0, len(values), 3):
        chunk = values[i : i + 3]
        n = sum(v * 45**k for k, v in enumerate(chunk))
        if len(chunk) == 3:
            if n > 0xFFFF:
                raise QrPayloadError("base45 triple exceeds 65535 (corrupted payload)")
            out += n.to_bytes(2, "big")
        else:
            if n > 0xFF:
                raise QrPayloadError("base45 pair exceeds 255 (corrupted payload)")
            out.append(n)
    return bytes(out)


# --- payload types ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkPayload:
    """A URL where the signed credential can be fetched; ``link_id`` is its last segment."""

    url: str
    link_id: str

    def matches(self, credential: dict[str, Any]) -> bool:
        """True when ``credential`` is the document this link was made for (content address)."""
        return link_id(credential) == self.link_id


@dataclass(frozen=True)
class EmbeddedPayload:
    """The whole signed credential, carried by the QR code itself."""

    credential: dict[str, Any]
    text_chars: int


Payload = LinkPayload | EmbeddedPayload


# --- link ------------------------------------------------------------------------------------


def link_id(credential: dict[str, Any]) -> str:
    """The 26-character id of a signed credential: base32(SHA-256(JCS(credential))[:16]).

    The credential must carry its proof: an id over an unsigned document would be guessable by
    anyone who knows the template and the graduate's name.
    """
    if not isinstance(credential, dict) or not credential.get("proof"):
        raise QrError("a link needs the signed credential (it has no proof yet): issue it first")
    try:
        canonical = rfc8785.dumps(credential)
    except Exception as exc:  # rfc8785 raises its own types for floats/keys it cannot encode
        raise QrError(f"the credential cannot be canonicalized (RFC 8785): {exc}") from None
    digest = hashlib.sha256(canonical).digest()[:LINK_ID_BYTES]
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()


def _check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise QrError(f"--base-url {base_url!r} must be an absolute http(s) URL")
    if parts.query or parts.fragment:
        raise QrError(f"--base-url {base_url!r} must not have a query or fragment")
    return base_url.rstrip("/")


def link_url(credential: dict[str, Any], base_url: str) -> str:
    """``{base_url}/c/{link_id}``: where the issuer (or the graduate) hosts the signed file."""
    return _check_base_url(base_url) + LINK_PATH + link_id(credential)


def parse_link(text: str) -> LinkPayload:
    """Split a credkit link into URL and id, refusing anything that is not ``…/c/<26 base32>``."""
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise QrPayloadError(f"{text[:80]!r} is not an http(s) URL")
    _head, sep, tail = parts.path.rpartition(LINK_PATH)
    ident = tail.lower()
    if not sep or not LINK_ID_RE.match(ident):
        raise QrPayloadError(
            f"{text[:80]!r} is a URL but not a credkit credential link (…/c/<26-character id>)"
        )
    return LinkPayload(url=text, link_id=ident)


def link_origin(url: str) -> tuple[str, str, int] | None:
    """The RFC 6454 origin of an http(s) URL: (scheme, lower-case host, port), or None.

    Used to tell a link to this service from a link to another host that merely carries a
    content address this service also hosts. Default ports are made explicit (so
    ``https://a.example`` and ``https://A.example:443/`` are one origin) and a trailing dot of a
    fully qualified host name is dropped.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname.rstrip("."), port if port is not None else default


# --- embedded --------------------------------------------------------------------------------


def encode_embedded(credential: dict[str, Any]) -> str:
    """The ``CK1-R…`` text of a signed credential (QR alphanumeric mode, no other characters)."""
    if not isinstance(credential, dict):
        raise QrError("the credential must be a JSON object")
    raw = json.dumps(credential, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = EMBED_PREFIX + b45encode(zlib.compress(raw.encode("utf-8"), 9))
    if len(text) > MAX_TEXT_CHARS:
        raise QrError(
            f"the credential needs {len(text)} QR characters, more than a QR code holds "
            f"({MAX_TEXT_CHARS}); share it as a link (--mode link) instead"
        )
    return text


def _inflate(data: bytes) -> bytes:
    if len(data) < 2 or data[0] & 0x0F != 8 or (data[0] * 256 + data[1]) % 31:
        raise QrPayloadError("payload is not a zlib (RFC 1950) stream")
    if data[1] & 0x20:
        raise QrPayloadError("payload asks for a preset zlib dictionary, which CK1 does not use")
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_JSON_BYTES)
    except zlib.error as exc:
        raise QrPayloadError(f"payload is damaged: zlib says {exc}") from None
    if inflater.unconsumed_tail:
        raise QrPayloadError(
            f"payload inflates to more than {MAX_JSON_BYTES} bytes; refused (decompression bomb?)"
        )
    if not inflater.eof:
        raise QrPayloadError("payload is truncated: the zlib stream does not end")
    if inflater.unused_data:
        raise QrPayloadError("payload has bytes after the end of its zlib stream")
    return out


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two parsers taking different copies of a duplicated key could show one name and verify
    # another; a signed credential never needs duplicates, so refuse them.
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise QrPayloadError(f"credential JSON repeats the key {key!r}")
        obj[key] = value
    return obj


def _refuse_constant(name: str) -> Any:
    raise QrPayloadError(f"credential JSON contains {name}, which JSON does not allow")


def parse_credential_json(raw: bytes) -> dict[str, Any]:
    """Strict JSON: UTF-8, an object, no duplicate keys, no NaN/Infinity, bounded size/depth."""
    if len(raw) > MAX_JSON_BYTES:
        raise QrPayloadError(f"credential JSON is larger than {MAX_JSON_BYTES} bytes")
    try:
        value = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_refuse_constant,
        )
    except UnicodeDecodeError:
        raise QrPayloadError("credential JSON is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise QrPayloadError(f"credential JSON is invalid ({exc.msg} at {exc.pos})") from None
    except RecursionError:
        raise QrPayloadError("credential JSON is nested too deeply") from None
    if not isinstance(value, dict):
        raise QrPayloadError("credential JSON is not an object")
    return value


def decode_embedded(text: str) -> dict[str, Any]:
    """The credential inside a ``CK1-R…`` text (strict; see the module docstring)."""
    if len(text) > MAX_TEXT_CHARS + len(EMBED_PREFIX):
        raise QrPayloadError(f"payload is {len(text)} characters, more than a QR code holds")
    if not text.startswith(EMBED_HEADER):
        raise QrPayloadError(f"payload does not start with {EMBED_HEADER!r}")
    body = text[len(EMBED_HEADER) :]
    if not body.startswith(BASE45_PREFIX):
        raise QrPayloadError(
            f"unknown encoding {body[:1]!r} after {EMBED_HEADER!r} (only 'R' = base45 is defined)"
        )
    return parse_credential_json(_inflate(b45decode(body[1:])))


def decode_payload(text: str) -> Payload:
    """Tell a QR text apart and decode it: credkit link, ``CK1-`` embedded, or bare JSON."""
    text = text.strip()
    if not text:
        raise QrPayloadError("the QR code is empty")
    upper = text[:4].upper()
    if upper == EMBED_HEADER:
        return EmbeddedPayload(decode_embedded(text), len(text))
    if upper in ("VC1-", "VP1-"):
        raise QrPayloadError(
            f"this is a W3C VC Barcodes / vpqr CBOR-LD payload ({text[:5]}…); credkit reads its "
            "own CK1- payloads and links, not CBOR-LD yet"
        )
    if text.lower().startswith(("https://", "http://")):
        return parse_link(text)
    if text.startswith("{"):
        # Some wallets put plain JSON in a QR code; accept it under the same limits.
        return EmbeddedPayload(parse_credential_json(text.encode("utf-8")), len(text))
    raise QrPayloadError(f"QR text {text[:24]!r}… is neither a credkit link nor a CK1- credential")


def make_payload(credential: dict[str, Any], mode: str, *, base_url: str | None = None) -> str:
    """The QR text for ``mode`` ``link`` (needs ``base_url``) or ``embed``."""
    if mode == "link":
        if not base_url:
            raise QrError(
                "link mode needs a base URL (--base-url https://your-host) where the signed "
                "diploma will be published"
            )
        return link_url(credential, base_url)
    if mode in ("embed", "embedded"):
        return encode_embedded(credential)
    raise QrError(f"unknown QR mode {mode!r}: use 'link' or 'embed'")
