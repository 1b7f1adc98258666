"""W3C Bitstring Status List 1.0: the bitstring, entries, list credentials, checking, fetching.

Revocation and suspension are one bit per credential in a large, gzip-compressed, signed list
(§2). The list is long (≥ 131,072 entries) and indexes are random so that fetching a list says
nothing about which credential is being checked (§5.1 "herd privacy"). The issuer's bookkeeping
lives in :mod:`credkit.issuer.store`; this module is the wire format and the verifier's algorithm.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from credkit.atomic import write_atomic
from credkit.errors import (
    DidResolutionError,
    MalformedValueError,
    NetworkDisabledError,
    StatusListLengthError,
    StatusRangeError,
    StatusRetrievalError,
    StatusUnreachableError,
    StatusVerificationError,
)
from credkit.identity.multibase import decode_base64url, encode_base64url
from credkit.netpolicy import FetchError, NetPolicy, host_of

if TYPE_CHECKING:
    from credkit.identity.signer import Signer
    from credkit.issuer.store import IssuerStore

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
# §3.2 step 5 / §6.1: the minimum list size a verifier accepts unless its ecosystem says otherwise.
MIN_LENGTH = 131_072
# A decoded list is refused beyond this: 16 MiB is 134 million entries, far past any real list,
# and stops a gzip bomb (a few KB that inflate to gigabytes) before it is held in memory.
MAX_DECODED_BYTES = 16 << 20
MAX_DOCUMENT_BYTES = 1 << 20
PURPOSES = ("revocation", "suspension", "refresh", "message")
# The purposes whose set bit means "do not accept this credential" (§2.1); any other purpose
# (refresh, message, or one an ecosystem made up) says something credkit cannot act on.
DECISIVE_PURPOSES = ("revocation", "suspension")
# Clocks disagree: a list signed a moment after the verifier read its clock must not be "not valid
# yet". The reference verifier (@digitalbazaar/vc, ``maxClockSkew``) tolerates 300 seconds on
# validFrom and validUntil; credkit does the same for credentials and status lists alike.
MAX_CLOCK_SKEW = timedelta(seconds=300)
# A verifier caches a list at most this long, whatever its ``ttl`` says (§2.2 makes ttl a hint to
# refresh, never a reason to keep a list: a huge one would overflow the clock arithmetic too).
MAX_CACHE_SECONDS = 24 * 3600.0
_INDEX_RE = re.compile(r"[0-9]{1,20}")


# --- §2.1, §3.3-3.4: the bitstring ----------------------------------------------------------


class Bitstring:
    """A status list of ``length`` one-bit entries; index 0 is the most significant bit of byte 0.

    §2.1 leaves no room for guessing: "the first index, with a value of zero (0), is located at
    the left-most bit in the bitstring", which is ``(byte[i // 8] >> (7 - i % 8)) & 1``.
    """

    __slots__ = ("_bytes",)

    def __init__(self, length: int = MIN_LENGTH, *, min_length: int = MIN_LENGTH) -> None:
        if length < min_length or length % 8:
            raise ValueError(
                f"a status list needs a multiple of 8 entries, at least {min_length}; got {length}"
            )
        self._bytes = bytearray(length // 8)

    @classmethod
    def from_bytes(cls, data: bytes) -> Bitstring:
        """Wrap raw bytes as they are stored or decoded; no length floor (the caller decides)."""
        bits = cls.__new__(cls)
        bits._bytes = bytearray(data)
        return bits

    def __len__(self) -> int:
        return len(self._bytes) * 8

    def __bytes__(self) -> bytes:
        return bytes(self._bytes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bitstring) and self._bytes == other._bytes

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"Bitstring(length={len(self)}, set={self.count()})"

    def _check(self, index: int, size: int = 1) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise StatusRangeError(f"status index must be a non-negative integer, got {index!r}")
        if (index + 1) * size > len(self):
            raise StatusRangeError(
                f"status index {index} is outside a list of {len(self) // size} entries"
            )

    def get(self, index: int) -> int:
        self._check(index)
        return (self._bytes[index >> 3] >> (7 - (index & 7))) & 1

    def set(self, index: int, value: int | bool = 1) -> None:
        self._check(index)
        if value not in (0, 1):
            raise ValueError(f"a one-bit status is 0 or 1, got {value!r}")
        mask = 0x80 >> (index & 7)
        if value:
            self._bytes[index >> 3] |= mask
        else:
            self._bytes[index >> 3] &= ~mask & 0xFF

    def value(self, index: int, size: int = 1) -> int:
        """The ``size``-bit status at entry ``index`` (§3.2 step 8: bits index×size … +size)."""
        self._check(index, size)
        start = index * size
        out = 0
        for bit in range(start, start + size):
            out = (out << 1) | ((self._bytes[bit >> 3] >> (7 - (bit & 7))) & 1)
        return out

    def set_value(self, index: int, size: int, value: int) -> None:
        """Write the ``size``-bit status ``value`` at entry ``index``, most significant bit first.

        §3.3: "the position of the value is computed as statusListIndex times the statusSize";
        within an entry the bits read left to right as a big-endian number, as §2.2 orders the
        whole bitstring (index 0 is the left-most bit).
        """
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"statusSize is a positive integer, got {size!r}")
        self._check(index, size)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << size:
            raise ValueError(f"a {size}-bit status is 0..{(1 << size) - 1}, got {value!r}")
        start = index * size
        for offset in range(size):
            bit = start + offset
            mask = 0x80 >> (bit & 7)
            if (value >> (size - 1 - offset)) & 1:
                self._bytes[bit >> 3] |= mask
            else:
                self._bytes[bit >> 3] &= ~mask & 0xFF

    def count(self) -> int:
        """How many bits are set (for reports; says nothing about which)."""
        return sum(bin(b).count("1") for b in self._bytes)

    def encode(self) -> str:
        """§3.3 Bitstring Generation: GZIP (RFC 1952), then multibase base64url without padding.

        ``mtime=0`` keeps the output a function of the bits alone (no timestamp in the header).
        """
        import gzip

        return encode_base64url(gzip.compress(bytes(self._bytes), compresslevel=9, mtime=0))

    @classmethod
    def decode(cls, encoded: str, *, max_bytes: int = MAX_DECODED_BYTES) -> Bitstring:
        """§3.4 Bitstring Expansion, refusing anything that is not multibase-``u`` GZIP."""
        if not isinstance(encoded, str):
            raise MalformedValueError("encodedList must be a string")
        try:
            compressed = decode_base64url(encoded)
        except ValueError as exc:
            raise MalformedValueError(f"encodedList is not multibase base64url: {exc}") from None
        return cls.from_bytes(gunzip_limited(compressed, max_bytes))


def gunzip_limited(data: bytes, max_bytes: int = MAX_DECODED_BYTES) -> bytes:
    """Inflate GZIP (all members, RFC 1952 §2.2) streaming, stopping at ``max_bytes``.

    ``wbits=16+15`` makes zlib demand the gzip header and CRC-32 trailer, so zlib-wrapped or raw
    deflate data (a common mistake in other implementations) is reported, not half-accepted.
    """
    if data[:2] != b"\x1f\x8b":
        raise MalformedValueError("encodedList is not GZIP-compressed (RFC 1952 magic missing)")
    out = bytearray()
    rest = data
    while rest:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        pending = rest
        try:
            while not inflater.eof and len(out) <= max_bytes:
                chunk = inflater.decompress(pending, max_bytes + 1 - len(out))
                out += chunk
                pending = inflater.unconsumed_tail
                if not chunk and not pending:
                    break  # input exhausted before the stream ended
        except zlib.error as exc:
            raise MalformedValueError(f"encodedList does not inflate: {exc}") from None
        if len(out) > max_bytes:
            raise MalformedValueError(
                f"encodedList inflates beyond {max_bytes} bytes; refusing it (gzip bomb?)"
            )
        if not inflater.eof:
            raise MalformedValueError("encodedList is truncated: the GZIP stream does not end")
        rest = inflater.unused_data
    return bytes(out)


# --- §2.1 entry, §2.2 list credential --------------------------------------------------------


# The largest statusSize credkit issues: 2^8 = 256 messages already make a long credential.
MAX_ISSUED_STATUS_SIZE = 8
_HEX_STATUS_RE = re.compile(r"0x[0-9a-fA-F]{1,16}")


def status_messages(raw: Any, size: int) -> dict[int, str]:
    """``statusMessage`` as ``{value: message}``, refusing what §2.1 does not allow.

    §2.1: an array whose length "MUST equal the number of possible status messages indicated by
    statusSize" (2 for 1 bit, 4 for 2 bits: 2^statusSize), each element with ``status``, "a
    string representing the hexadecimal value of the status prefixed with 0x", and ``message``,
    a string. Two elements for one value, or a value the size cannot hold, leave the meaning of
    a status open, so they are refused too (MALFORMED_VALUE_ERROR, §3).
    """
    count = 1 << size
    if not isinstance(raw, list) or len(raw) != count:
        got = f"{len(raw)} elements" if isinstance(raw, list) else type(raw).__name__
        raise MalformedValueError(
            f"statusMessage must be an array of {count} elements for statusSize {size} "
            f"(§2.1: 2^statusSize), got {got}"
        )
    found: dict[int, str] = {}
    for item in raw:
        if not isinstance(item, Mapping):
            raise MalformedValueError("each statusMessage element must be an object")
        status, message = item.get("status"), item.get("message")
        if not isinstance(status, str) or not _HEX_STATUS_RE.fullmatch(status):
            raise MalformedValueError(
                f"statusMessage status must be a hexadecimal string like '0x1', got {status!r}"
            )
        if not isinstance(message, str):
            raise MalformedValueError(f"statusMessage {status} has no message string")
        value = int(status, 16)
        if value >= count:
            raise MalformedValueError(
                f"statusMessage status {status} does not fit in statusSize {size}"
            )
        if value in found:
            raise MalformedValueError(f"statusMessage names status {status} twice")
        found[value] = message
    return found


def status_references(raw: Any) -> list[str]:
    """``statusReference``: "a URL or an array of URLs" (§2.1); anything else is malformed."""
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(u, str) and urllib.parse.urlsplit(u).scheme for u in items):
        raise MalformedValueError(f"statusReference must be a URL or an array of URLs: {raw!r}")
    return list(items)


@dataclass(frozen=True)
class StatusSpec:
    """What an issuer asks for one status entry: its purpose, and for multi-bit entries the
    size, the messages it commits to and where they are explained (§2.1 ``statusSize``,
    ``statusMessage``, ``statusReference``)."""

    purpose: str
    size: int = 1
    messages: tuple[tuple[int, str], ...] = ()
    reference: tuple[str, ...] = ()

    @classmethod
    def message(
        cls,
        messages: Mapping[int, str] | Sequence[str],
        *,
        size: int | None = None,
        reference: str | Sequence[str] = (),
    ) -> StatusSpec:
        """A ``message`` entry: ``messages`` by value (or in value order); size from their count."""
        table = dict(messages) if isinstance(messages, Mapping) else dict(enumerate(messages))
        if size is None:
            size = max(1, (len(table) - 1).bit_length())
        refs = (reference,) if isinstance(reference, str) else tuple(reference)
        spec = cls("message", size, tuple(sorted(table.items())), refs)
        spec.validate()
        return spec

    def validate(self) -> None:
        """Refuse a spec whose entry would not be well formed (ValueError, for callers)."""
        if not isinstance(self.purpose, str) or not self.purpose:
            raise ValueError("statusPurpose must be a non-empty string")
        size = self.size
        if isinstance(size, bool) or not isinstance(size, int):
            raise ValueError(f"statusSize must be an integer, got {size!r}")
        if not 1 <= size <= MAX_ISSUED_STATUS_SIZE:
            raise ValueError(f"statusSize must be 1 to {MAX_ISSUED_STATUS_SIZE}, got {size}")
        if size > 1 and not self.messages:
            raise ValueError(f"statusSize {size} needs statusMessage (§2.1)")
        try:
            if self.messages:
                status_messages(self.status_message(), size)
            if self.reference:
                status_references(list(self.reference))
        except MalformedValueError as exc:
            raise ValueError(exc.message) from None

    def status_message(self) -> list[dict[str, str]]:
        return [{"status": f"{v:#x}", "message": m} for v, m in self.messages]

    def key(self) -> str:
        """Lists are shared by entries with the same purpose, size and messages."""
        return json.dumps([self.purpose, self.size, self.status_message()], sort_keys=True)


def status_entry(list_url: str, index: int, purpose: str | StatusSpec) -> dict[str, Any]:
    """The ``credentialStatus`` entry for ``index`` in the list at ``list_url`` (§2.1).

    ``statusListIndex`` is a string (the spec's JSON-LD has no integer type for it); the entry's
    ``id`` must differ from the list URL, so it is the list URL with the index as fragment. A
    :class:`StatusSpec` with messages adds ``statusSize``, ``statusMessage`` and
    ``statusReference``: the issuer commits to them at issuance (§2.1, "message").
    """
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"status index must be a non-negative integer, got {index!r}")
    spec = purpose if isinstance(purpose, StatusSpec) else StatusSpec(purpose)
    entry: dict[str, Any] = {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": spec.purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }
    if spec.size > 1:
        entry["statusSize"] = spec.size
    if spec.messages:
        entry["statusMessage"] = spec.status_message()
    if spec.reference:
        entry["statusReference"] = (
            spec.reference[0] if len(spec.reference) == 1 else list(spec.reference)
        )
    return entry


def _timestamp(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return when.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_valid_from(now: datetime, changed_at: datetime | str | None) -> datetime:
    """The ``validFrom`` of a list signed at ``now`` whose bits last changed at ``changed_at``.

    A list states the status as of its last change, so it is valid from then, never later: a list
    re-signed on demand (the server signs one while a verification is running) would otherwise
    carry a validFrom after the moment the verifier read its clock, and be "not valid yet" to it.
    """
    if changed_at is None:
        return now
    if isinstance(changed_at, str):
        try:
            changed_at = _parse_time(changed_at, "updated_at")
        except StatusVerificationError:
            return now
    return min(now, changed_at)


def status_list_credential(
    list_url: str,
    issuer: str | Mapping[str, Any],
    purpose: str,
    bitstring: Bitstring,
    *,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    ttl: int | None = None,
) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` (§2.2); its terms are in the VC v2 context.

    ``ttl`` is milliseconds (§2.2) a verifier may cache the list for.
    """
    subject: dict[str, Any] = {
        "id": f"{list_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": bitstring.encode(),
    }
    if ttl is not None:
        if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
            raise ValueError("ttl is a positive number of milliseconds")
        subject["ttl"] = ttl
    cred: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": dict(issuer) if isinstance(issuer, Mapping) else issuer,
        "validFrom": _timestamp(valid_from or datetime.now(UTC)),
    }
    if valid_until is not None:
        cred["validUntil"] = _timestamp(valid_until)
    cred["credentialSubject"] = subject
    return cred


def sign_status_list(
    credential: dict[str, Any],
    key: Signer,
    *,
    cryptosuite: str = "eddsa-rdfc-2022",
    created: datetime | None = None,
) -> dict[str, Any]:
    """Sign a list credential the way diplomas are signed (§6.3: same securing mechanism)."""
    from credkit import proofs  # the proofs module pulls in pyld; only the issuer needs it

    signed: dict[str, Any] = proofs.sign(credential, key, cryptosuite=cryptosuite, created=created)
    return signed


# --- §3.2 validation -------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusResult:
    """The outcome of §3.2 for one entry: ``valid`` is ``status_value == 0``."""

    purpose: str
    status_value: int
    valid: bool
    message: str | None = None
    list_url: str | None = None
    index: int | None = None


def status_entries(credential: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``BitstringStatusListEntry`` objects of a credential (``credentialStatus`` may be a
    set; entries of other status schemes are left to their own checkers)."""
    raw = credential.get("credentialStatus")
    items = raw if isinstance(raw, list) else [] if raw is None else [raw]
    return [e for e in items if isinstance(e, dict) and e.get("type") == "BitstringStatusListEntry"]


def _parse_time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise StatusVerificationError(f"the status list's {what} is not a date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise StatusVerificationError(
            f"the status list's {what} {value!r} is not a date-time"
        ) from None
    # VCDM 2.0 §4.9: a time without an offset is UTC
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_entry(entry: Any) -> tuple[str, int, str, int]:
    """Check an entry against §2.1; any breach is a MALFORMED_VALUE_ERROR (§3.2, VCDM §7.1)."""
    if not isinstance(entry, Mapping):
        raise MalformedValueError("credentialStatus entry is not an object")
    if entry.get("type") != "BitstringStatusListEntry":
        raise MalformedValueError("credentialStatus entry type is not BitstringStatusListEntry")
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise MalformedValueError("statusPurpose must be a non-empty string")
    raw_index = entry.get("statusListIndex")
    if not isinstance(raw_index, str) or not _INDEX_RE.fullmatch(raw_index):
        raise MalformedValueError(
            f"statusListIndex must be a string of a base-10 integer ≥ 0, got {raw_index!r}"
        )
    url = entry.get("statusListCredential")
    if not isinstance(url, str) or not urllib.parse.urlsplit(url).scheme:
        raise MalformedValueError(f"statusListCredential must be a URL, got {url!r}")
    if entry.get("id") is not None and entry.get("id") == url:
        raise MalformedValueError("the entry id must not be the status list URL (§2.1)")
    size = entry.get("statusSize", 1)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1 or size > 32:
        raise MalformedValueError(f"statusSize must be a positive integer, got {size!r}")
    # §2.1: statusMessage MUST be present when statusSize > 1, MAY be when it is 1; when present
    # it is checked whole (length 2^statusSize, hex statuses, one per value)
    if size > 1 and "statusMessage" not in entry:
        raise MalformedValueError(f"statusSize {size} needs statusMessage (§2.1)")
    if "statusMessage" in entry:
        status_messages(entry["statusMessage"], size)
    if "statusReference" in entry:
        status_references(entry["statusReference"])
    return purpose, int(raw_index), url, size


def _message(entry: Mapping[str, Any], purpose: str, value: int, size: int) -> str:
    if "statusMessage" in entry:  # checked by _parse_entry: one message per possible value
        return status_messages(entry["statusMessage"], size)[value]
    if size == 1 and purpose == "revocation":
        return "revoked" if value else "not revoked"
    if size == 1 and purpose == "suspension":
        return "suspended" if value else "not suspended"
    if size == 1:  # §2.1: without statusMessage, 1 and 0 are "set" and "unset"
        return "set" if value else "unset"
    return f"{purpose} status {value:#x}"


def check_status(
    entry: Mapping[str, Any],
    fetch: Callable[[str], dict[str, Any]],
    *,
    verify_list: Callable[[dict[str, Any]], bool],
    min_length: int = MIN_LENGTH,
    now: datetime | None = None,
    skew: timedelta = MAX_CLOCK_SKEW,
) -> StatusResult:
    """Bitstring Status List 1.0 §3.2 "Validate Algorithm" for one entry.

    ``fetch`` returns the list credential as JSON; ``verify_list`` checks all its proofs (and,
    at the caller's choice, that its issuer is the credential's): it returns False or raises
    :class:`StatusVerificationError` for a list that does not verify, and raises
    :class:`NetworkDisabledError` when the list's key is online and the network is off, which
    passes through: the list could not be checked, which is not the same as a forged list.

    ``now`` is the time at which the *list* must be current (§2.2 validFrom/validUntil are the
    list's own validity period), give or take ``skew``. It is the moment of checking, not the
    time a diploma is judged at: a list published after that time is still evidence of the status.
    Raises the §3.2 errors.
    """
    purpose, index, url, size = _parse_entry(entry)
    try:  # step 3: dereference statusListCredential
        listed = fetch(url)
    except StatusRetrievalError:
        raise
    except Exception as exc:
        if getattr(exc, "unreachable", False):  # nobody answered: could not check, not failed
            raise StatusUnreachableError(f"could not retrieve status list {url}: {exc}") from None
        raise StatusRetrievalError(f"could not retrieve status list {url}: {exc}") from None
    if not isinstance(listed, dict):
        raise StatusRetrievalError(f"status list {url} is not a JSON object")
    types = listed.get("type")
    types = types if isinstance(types, list) else [types]
    if "BitstringStatusListCredential" not in types:
        raise StatusVerificationError(f"{url} is not a BitstringStatusListCredential")
    # The list must name itself: without an id, any list of the same issuer could be served in its
    # place (a clean list for a revoked diploma), and the signature would still hold.
    if listed.get("id") != url:
        # a list served under one URL but naming another must not stand in for it
        raise StatusVerificationError(f"{url} serves the status list {listed.get('id')!r}")
    try:  # step 4: verify all proofs of the list credential
        verified = verify_list(listed)
    except NetworkDisabledError:
        raise  # not checkable offline: the caller says "could not check", not "forged"
    except StatusVerificationError as exc:
        raise StatusVerificationError(f"status list {url}: {exc.message}") from None
    except DidResolutionError as exc:
        raise StatusVerificationError(
            f"status list {url}: its signing key could not be resolved: {exc.message}"
        ) from None
    except Exception as exc:
        raise StatusVerificationError(f"status list {url} could not be verified: {exc}") from None
    if not verified:
        raise StatusVerificationError(f"status list {url} does not verify (proof invalid)")
    when = now or datetime.now(UTC)
    if "validFrom" in listed and _parse_time(listed["validFrom"], "validFrom") > when + skew:
        raise StatusVerificationError(
            f"status list {url} is not valid yet (valid from {listed['validFrom']})"
        )
    if "validUntil" in listed and _parse_time(listed["validUntil"], "validUntil") < when - skew:
        raise StatusVerificationError(f"status list {url} expired at {listed['validUntil']}")
    subject = listed.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if not isinstance(subject, dict) or subject.get("type") != "BitstringStatusList":
        raise StatusVerificationError(f"{url} has no BitstringStatusList credentialSubject")
    purposes = subject.get("statusPurpose")
    purposes = purposes if isinstance(purposes, list) else [purposes]
    if purpose not in purposes:  # step 5
        raise StatusVerificationError(
            f"entry purpose {purpose!r} is not among the list's purposes {purposes!r}"
        )
    # §2.2 still names a list-level credentialSubject.statusSize for purpose "message" (a
    # leftover, w3c/vc-bitstring-status-list#175; the v2 context does not define it). credkit
    # does not write it, but a list that states a size other than the entry's would be read
    # with the wrong boundaries: refuse it rather than guess.
    listed_size = subject.get("statusSize")
    if listed_size is not None and listed_size != size:
        raise StatusVerificationError(
            f"status list {url} holds {listed_size!r}-bit entries, the entry says statusSize {size}"
        )
    bits = Bitstring.decode(subject.get("encodedList"))  # type: ignore[arg-type]  # step 6
    if len(bits) // size < min_length:  # step 7
        raise StatusListLengthError(
            f"status list {url} has {len(bits) // size} entries, fewer than {min_length}"
        )
    try:  # step 8
        value = bits.value(index, size)
    except StatusRangeError:
        raise StatusRangeError(
            f"statusListIndex {index} is outside the {len(bits) // size} entries of {url}"
        ) from None
    return StatusResult(
        purpose=purpose,
        status_value=value,
        valid=value == 0,
        message=_message(entry, purpose, value, size),
        list_url=url,
        index=index,
    )


# --- fetchers --------------------------------------------------------------------------------


class StatusFetcher(Protocol):
    """Turns a ``statusListCredential`` URL into the list credential (parsed JSON)."""

    def __call__(self, url: str) -> dict[str, Any]: ...


def _parse_json(body: bytes, url: str) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise StatusRetrievalError(f"status list {url} is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise StatusRetrievalError(f"status list {url} is not a JSON object")
    return doc


class DirectoryFetcher:
    """Serves list URLs from a folder written by :func:`publish` (tests, air-gapped checks).

    With ``base_url``, ``{base_url}/status/3`` is read from ``root/status/3``. Without it the
    verifier does not know where the issuer's base URL ends, so the longest URL path suffix that
    exists below ``root`` is used (``/lab/status/3`` → ``root/lab/status/3``, else
    ``root/status/3``, else ``root/3``); the list is signed and its ``id`` checked against the URL,
    so a wrong file cannot pass. Anything resolving outside ``root`` (``..``, ``%2e%2e``, symlinks)
    is refused.
    """

    def __init__(self, root: str | os.PathLike[str], *, base_url: str | None = None) -> None:
        self.root = Path(root).resolve()
        self.base_url = base_url.rstrip("/") if base_url else None

    def path_for(self, url: str) -> Path:
        if self.base_url is not None:
            if not url.startswith(self.base_url + "/"):
                raise StatusRetrievalError(f"{url} is not under {self.base_url}")
            rel = urllib.parse.urlsplit(url[len(self.base_url) :]).path
        else:
            rel = urllib.parse.urlsplit(url).path
        parts = [urllib.parse.unquote(p) for p in rel.split("/") if p]
        if not parts or any(p in (".", "..") or "/" in p or "\\" in p or "\0" in p for p in parts):
            raise StatusRetrievalError(f"refusing status list path {rel!r}")
        suffixes = [parts] if self.base_url is not None else [parts[i:] for i in range(len(parts))]
        candidates = [self.root.joinpath(*tail).resolve() for tail in suffixes]
        for path in candidates:
            if not path.is_relative_to(self.root):
                # the folder's own path stays out of the message: results travel to other people
                raise StatusRetrievalError(f"{url} resolves outside the status list folder")
        return next((p for p in candidates if p.is_file()), candidates[0])

    def __call__(self, url: str) -> dict[str, Any]:
        path = self.path_for(url)
        try:
            with path.open("rb") as fh:
                body = fh.read(MAX_DOCUMENT_BYTES + 1)
        except OSError as exc:
            # strerror only: str(exc) carries the local path, which a result must never show
            why = exc.strerror or "unreadable"
            raise StatusRetrievalError(
                f"status list {url} is not in the status list folder ({why})"
            ) from None
        if len(body) > MAX_DOCUMENT_BYTES:
            raise StatusRetrievalError(f"status list {url} is larger than {MAX_DOCUMENT_BYTES}")
        return _parse_json(body, url)


class HttpFetcher:
    """GET a status list under the fetch policy (:mod:`credkit.netpolicy`), 1 MiB at most.

    Wraps :class:`credkit.fetch.HttpFetcher`, which owns the network rules: https only (plain
    http with ``allow_http``, for development), public addresses only unless
    ``allow_private_network``, checked redirects, timeout, deadline and size cap.
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        allow_http: bool = False,
        allow_private_network: bool = False,
        policy: NetPolicy | None = None,
    ) -> None:
        from credkit.fetch import HttpFetcher as _Http

        self._http = _Http(
            timeout=timeout,
            max_bytes=max_bytes,
            allow_http=allow_http,
            allow_private_network=allow_private_network,
            what="status list",
            policy=policy,
        )

    def __call__(self, url: str) -> dict[str, Any]:
        try:
            body = self._http(url)
        except Exception as exc:  # FetchError says what and which host; anything else: generic
            why = str(exc) if isinstance(exc, FetchError) else ""
            why = why or f"could not fetch status list from host {host_of(url)}"
            if getattr(exc, "unreachable", False):
                raise StatusUnreachableError(why) from None
            raise StatusRetrievalError(why) from None
        return _parse_json(body, url)


class CachingFetcher:
    """Keeps fetched lists until the sooner of ``credentialSubject.ttl`` (ms) and ``validUntil``.

    §6.4 asks verifiers to cache (it also hides which credential is checked, §5.1). Without
    either hint a list is kept ``default_ttl`` seconds, and never longer than ``max_ttl``
    seconds whatever the list says (a legal ttl of 2^53 ms is 285,000 years). The clock is
    injectable for tests.
    """

    def __init__(
        self,
        inner: Callable[[str], dict[str, Any]],
        *,
        default_ttl: float = 300.0,
        clock: Callable[[], datetime] | None = None,
        max_entries: int = 256,
        max_ttl: float = MAX_CACHE_SECONDS,
    ) -> None:
        self.inner = inner
        self.max_ttl = max_ttl
        self.default_ttl = min(default_ttl, max_ttl)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.max_entries = max_entries
        self._cache: dict[str, tuple[datetime, dict[str, Any]]] = {}

    def _expiry(self, doc: dict[str, Any], now: datetime) -> datetime:
        expiry = now + timedelta(seconds=self.default_ttl)
        subject = doc.get("credentialSubject")
        ttl = subject.get("ttl") if isinstance(subject, dict) else None
        if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0:
            # clamp in integers first: a 400-digit ttl is legal JSON and too large for a float
            expiry = now + timedelta(milliseconds=min(ttl, int(self.max_ttl * 1000)))
        try:
            if "validUntil" in doc:
                expiry = min(expiry, _parse_time(doc["validUntil"], "validUntil"))
        except StatusVerificationError:
            return now  # unreadable: do not cache; the check itself will report it
        return expiry

    def __call__(self, url: str) -> dict[str, Any]:
        now = self.clock()
        hit = self._cache.get(url)
        if hit is not None and now < hit[0]:
            return hit[1]
        doc = self.inner(url)
        expiry = self._expiry(doc, now)
        if expiry > now:
            if len(self._cache) >= self.max_entries:
                self._cache.pop(next(iter(self._cache)))
            self._cache[url] = (expiry, doc)
        else:
            self._cache.pop(url, None)
        return doc

    def clear(self) -> None:
        self._cache.clear()


# --- publishing -----------------------------------------------------------------------------


def publish(
    store: IssuerStore,
    key: Signer,
    out_dir: str | os.PathLike[str],
    base_url: str,
    *,
    cryptosuite: str = "eddsa-rdfc-2022",
    valid_for: timedelta | None = None,
    ttl: int | None = None,
    now: datetime | None = None,
) -> list[Path]:
    """Sign every list in ``store`` and lay it out under ``out_dir`` by URL path.

    ``out_dir`` mirrors ``base_url``: copy it to the web host there. Each list's bits are read in
    one statement, so a concurrent revocation lands entirely in this publish or the next.
    """
    base = base_url.rstrip("/")
    out = Path(out_dir)
    when = now or datetime.now(UTC)
    written: list[Path] = []
    fetcher = DirectoryFetcher(out, base_url=base)
    for info in store.lists():
        if not info.url.startswith(base + "/"):
            raise ValueError(f"status list {info.url} is not under base URL {base}")
        unsigned = status_list_credential(
            info.url,
            key.controller,
            info.purpose,
            store.bitstring(info.id),
            valid_from=list_valid_from(when, info.updated_at),
            valid_until=when + valid_for if valid_for else None,
            ttl=ttl,
        )
        signed = sign_status_list(unsigned, key, cryptosuite=cryptosuite, created=when)
        path = fetcher.path_for(info.url)
        body = json.dumps(signed, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
        write_atomic(path, body)
        written.append(path)
    return written
