"""``relatedResource`` integrity (VC DM 2.0 §5.3 "Integrity of Related Resources").

Each entry names a resource (``id``) and one or more digests of it (``digestSRI``, an SRI hash
expression, and/or ``digestMultibase``, a multibase digest). A verifier that retrieves the
resource MUST produce an error when a digest does not match. credkit never fetches a related
resource (docs/verification.md): it checks the digests of the resources it holds, the JSON-LD
contexts it ships (their bundled bytes, pinned by hash, plus the digests the specifications
publish for earlier revisions of the same URL), and reports every other entry as not checked.

Malformed entries (no ``id``, a duplicate ``id``, no digest, a digest that is not an SRI
expression or a multibase digest) make the credential not well formed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from credkit.identity.multibase import b58decode
from credkit.jsonld import contexts
from credkit.model import schema_check

URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
# SRI §3.5 hash-expression: hash-algo "-" base64-value (standard alphabet, padded); options
# ("?...") are allowed by the grammar and ignored, as SRI says
_SRI = re.compile(r"^(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})(\?\S*)?$")
_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}
_BY_SIZE = {size: algo for algo, size in _SIZES.items()}
# multihash codes (multicodec table): sha2-256 0x12, sha2-512 0x13, sha2-384 0x20
_MULTIHASH = {0x12: "sha256", 0x20: "sha384", 0x13: "sha512"}

# Digests the specifications publish for revisions of a shipped context other than the bundled
# bytes. VC DM 2.0 §B.1 ("Base Context") publishes the SHA2-256 of the base context file it was
# written against: 24a18c90…; the bundled file is the 2025 Recommendation's (59955ced…). A
# credential whose relatedResource pins either revision is right about the base context.
PUBLISHED: dict[str, dict[str, set[bytes]]] = {
    "https://www.w3.org/ns/credentials/v2": {
        "sha256": {
            bytes.fromhex("24a18c90e9856d526111f29376e302d970b2bd10182e33959995b0207d7043b9")
        },
    },
}


@dataclass(frozen=True)
class Digest:
    """One declared digest: where it was written, the algorithm and the raw digest bytes."""

    where: str  # "digestSRI" or "digestMultibase"
    algorithm: str  # sha256, sha384, sha512
    value: bytes


def _sri(text: Any) -> list[Digest] | str:
    """SRI hash expressions (space-separated, SRI §3.5), or why ``text`` is not one."""
    if not isinstance(text, str) or not text.strip():
        return "digestSRI must be an SRI string such as sha384-<base64>"
    found: list[Digest] = []
    for token in text.split():
        match = _SRI.match(token)
        if not match:
            return f"digestSRI {token[:60]!r} is not sha256-, sha384- or sha512-<base64>"
        algorithm = match.group(1)
        try:
            raw = base64.b64decode(match.group(2), validate=True)
        except (binascii.Error, ValueError):
            return f"digestSRI {token[:60]!r} is not base64"
        if len(raw) != _SIZES[algorithm]:
            return f"digestSRI {token[:60]!r}: a {algorithm} digest is {_SIZES[algorithm]} bytes"
        found.append(Digest("digestSRI", algorithm, raw))
    return found


def _multibase(text: Any) -> list[Digest] | str:
    """A multibase digest (``u`` base64url or ``z`` base58btc), or why ``text`` is not one.

    VC Data Integrity §2.6 says a multibase-encoded *multihash*; the W3C test suite and several
    implementations write the bare digest. Both are read: a multihash header (sha2-256/384/512)
    names the algorithm, otherwise the length does (32, 48, 64 bytes).
    """
    if not isinstance(text, str) or len(text) < 2:
        return "digestMultibase must be a multibase string (u… or z…)"
    prefix, body = text[0], text[1:]
    try:
        if prefix == "u":
            if not re.fullmatch(r"[A-Za-z0-9_-]+", body):
                raise ValueError
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        elif prefix == "z":
            raw = b58decode(body)
        else:
            return f"digestMultibase {text[:60]!r}: only base64url (u) and base58btc (z) are read"
    except (binascii.Error, ValueError):
        return f"digestMultibase {text[:60]!r} is not valid multibase"
    if len(raw) >= 2 and raw[0] in _MULTIHASH and raw[1] == _SIZES[_MULTIHASH[raw[0]]]:
        algorithm = _MULTIHASH[raw[0]]
        if len(raw) == 2 + _SIZES[algorithm]:
            return [Digest("digestMultibase", algorithm, raw[2:])]
    if len(raw) in _BY_SIZE:
        return [Digest("digestMultibase", _BY_SIZE[len(raw)], raw)]
    return f"digestMultibase {text[:60]!r} is no sha256/384/512 digest (or multihash of one)"


def entries(document: dict[str, Any]) -> tuple[list[tuple[str, list[Digest]]], list[str]]:
    """The well-formed entries as ``(id, digests)`` and the problems of the others (§5.3)."""
    if "relatedResource" not in document:
        return [], []
    raw = document["relatedResource"]
    items = raw if isinstance(raw, list) else [raw]
    problems: list[str] = []
    good: list[tuple[str, list[Digest]]] = []
    if not items:
        problems.append("relatedResource is empty")
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            problems.append("relatedResource entries must be objects with an id and a digest")
            continue
        rid = item.get("id")
        if not (isinstance(rid, str) and URL.match(rid)):
            problems.append(f"relatedResource id {rid!r} is not a URL")
            continue
        if rid in seen:
            problems.append(f"relatedResource id {rid} appears twice (ids must be unique)")
            continue
        seen.add(rid)
        if "digestSRI" not in item and "digestMultibase" not in item:
            problems.append(f"relatedResource {rid} needs digestSRI or digestMultibase")
            continue
        digests: list[Digest] = []
        for name, parse in (("digestSRI", _sri), ("digestMultibase", _multibase)):
            if name not in item:
                continue
            values = item[name] if isinstance(item[name], list) else [item[name]]
            for value in values or [None]:
                parsed = parse(value)
                if isinstance(parsed, str):
                    problems.append(f"relatedResource {rid}: {parsed}")
                else:
                    digests.extend(parsed)
        if "mediaType" in item and not isinstance(item["mediaType"], str):
            problems.append(f"relatedResource {rid}: mediaType must be a string")
        good.append((rid, digests))
    return good, problems


def problems(document: dict[str, Any]) -> list[str]:
    """Why the ``relatedResource`` entries are malformed (none: an empty list)."""
    return entries(document)[1]


@dataclass(frozen=True)
class Outcome:
    """The digest check of one resource: ``matched``, ``mismatched`` or ``unchecked``."""

    id: str
    state: str
    detail: str


def _known(url: str) -> tuple[dict[str, set[bytes]], bool] | None:
    """Digests per algorithm of every revision credkit knows of ``url``, and whether every
    algorithm covers every known revision (the bundled bytes hash to anything; a published
    digest of another revision exists for its algorithm only)."""
    if url not in contexts.shipped():
        # a JSON Schema credkit ships is a resource it uses too (the schema check validates
        # with these bytes): its digest must match them
        schema = schema_check.shipped_bytes(url)
        if schema is None:
            return None
        return {algo: {hashlib.new(algo, schema).digest()} for algo in _SIZES}, True
    data = contexts.read_bytes(url)  # hash-pinned: a changed file is an error, never used
    known = {algo: {hashlib.new(algo, data).digest()} for algo in _SIZES}
    published = PUBLISHED.get(url, {})
    for algo, values in published.items():
        known[algo] = known[algo] | values
    return known, not published


def check(document: dict[str, Any]) -> list[Outcome]:
    """Each well-formed entry's digests against the resource's bytes credkit holds; no fetch."""
    outcomes: list[Outcome] = []
    for rid, digests in entries(document)[0]:
        known = _known(rid)
        if known is None:
            outcomes.append(
                Outcome(rid, "unchecked", f"{rid} is not a resource credkit holds (never fetched)")
            )
            continue
        values, complete = known
        wrong = [d for d in digests if d.value not in values[d.algorithm]]
        if not wrong:
            outcomes.append(Outcome(rid, "matched", f"{rid}: digest matches"))
        elif all(d.algorithm != "sha256" for d in wrong) and not complete:
            # another published revision of this URL is known by its SHA-256 only: a sha384/512
            # digest of that revision cannot be told from a wrong one
            outcomes.append(
                Outcome(
                    rid,
                    "unchecked",
                    f"{rid}: {wrong[0].where} ({wrong[0].algorithm}) matches the bundled revision "
                    "neither; other revisions are known by SHA-256 only",
                )
            )
        else:
            outcomes.append(
                Outcome(
                    rid,
                    "mismatched",
                    f"{rid}: {wrong[0].where} ({wrong[0].algorithm}) does not match the resource",
                )
            )
    return outcomes
