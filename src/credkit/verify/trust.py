"""Trusted-issuer lists: which DIDs an employer accepts as issuers of diplomas.

A valid signature only says *who* signed; whether that signer is a school worth believing is the
employer's call (VC DM 2.0 Appendix A "issuer" validation). Three list shapes are read:

* a plain text file: one DID per line, ``#`` starts a comment;
* the Digital Credentials Consortium issuer-registry JSON (what the Learner Credential Wallet
  uses): ``{"meta": {...}, "registry": {DID: {"name", "location", "url"}}}``, or the same under
  ``entries``;
* a *signed* list: a Verifiable Credential of type ``IssuerTrustList`` issued by an accrediting
  body, its ``credentialSubject.registry`` shaped like the DCC registry (or a list of objects with
  ``id``). It counts only after its proof verifies and its issuer is one of the caller's trust
  anchors; that check runs inside :class:`credkit.verify.Verifier`, with the verifier's own
  resolver, loader and clock.

Lists are consulted in order, most authoritative first (as the DCC registry client does): the
first list naming a DID supplies its display name. A signed list is judged again at every
verification (its dates against the clock, its own revocation status): a long-lived verifier must
stop trusting a list the moment it expires or its accreditor revokes it, not at its next restart.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from credkit.errors import CredkitError, MalformedValueError

TRUST_LIST_TYPE = "IssuerTrustList"
MAX_LIST_BYTES = 4 << 20


class TrustListError(CredkitError):
    """A trust list could not be read, or a signed one did not verify."""

    code = "TRUST_LIST_ERROR"


@dataclass(frozen=True)
class TrustedIssuer:
    """One entry of a trust list: the DID and what the list says about it."""

    did: str
    name: str | None = None
    location: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class TrustMatch:
    """The answer to "who vouches for this issuer?"."""

    issuer: TrustedIssuer
    list_name: str
    vouched_by: str | None = None  # the accrediting body of a signed list
    list_kind: str = "plain"


@dataclass(frozen=True)
class ListVerdict:
    """Whether a list counts at this verification, and if not, why.

    ``conclusive`` is False when the list could not be checked (its accreditor's key is online and
    the network is off, its revocation status cannot be read): it is not known to be bad, only
    unconfirmed, so an issuer found only there is "could not check", not "not trusted".
    """

    accepted: bool
    problem: str | None = None
    conclusive: bool = True
    vouched_by: str | None = None


@dataclass(frozen=True)
class TrustAnswer:
    """One lookup: the list that vouches (if any), and the lists naming the DID that did not."""

    match: TrustMatch | None
    ignored: tuple[tuple[TrustList, ListVerdict], ...] = ()


# The verifier judges each list (signed ones: proof, dates, status, anchor) at every lookup.
SignedListCheck = Callable[["TrustList"], ListVerdict]


@dataclass
class TrustList:
    """One list. ``kind`` is ``plain``, ``dcc`` or ``signed``; signed lists carry their VC."""

    name: str
    kind: str
    entries: dict[str, TrustedIssuer] = field(default_factory=dict)
    source: str | None = None  # the file's name (never its path: results travel to others)
    document: dict[str, Any] | None = None
    anchors: frozenset[str] = frozenset()
    accepted: bool | None = None  # the outcome of the last check (for display; never reused)
    problem: str | None = None
    vouched_by: str | None = None
    raw: bytes | None = field(default=None, repr=False)  # the bytes read, when read from a file

    def judge(self, check: SignedListCheck | None) -> ListVerdict:
        """Whether this list counts now: asked of ``check`` every time, never remembered.

        Without a verifier to ask, plain and DCC lists count as read and a signed list does not.
        """
        if check is None:
            verdict = (
                ListVerdict(True)
                if self.kind != "signed"
                else ListVerdict(False, "no verifier to check its signature")
            )
        else:
            verdict = check(self)
        self.accepted, self.problem = verdict.accepted, verdict.problem
        if verdict.vouched_by is not None:
            self.vouched_by = verdict.vouched_by
        return verdict

    def usable(self, check: SignedListCheck | None) -> bool:
        """Plain and DCC lists are usable as read; a signed list only while it verifies."""
        return self.judge(check).accepted

    def lookup(self, did: str) -> TrustedIssuer | None:
        return self.entries.get(did)


class TrustRegistry:
    """Several lists, most authoritative first.

    ``anchors`` are the accrediting bodies whose signed lists count (``--trust-anchor``); the
    anchors given to each signed list are added. ``exclusive`` (the default) makes an issuer on no
    list "not trusted"; a registry that is not exclusive only vouches for those it names and says
    nothing of others (a service vouching for its own issuer, see :func:`own_issuer`).
    """

    def __init__(
        self,
        lists: Iterable[TrustList] = (),
        *,
        anchors: Iterable[str] = (),
        exclusive: bool = True,
    ) -> None:
        self.lists = list(lists)
        self._anchors = frozenset(anchors)
        self.exclusive = exclusive

    @classmethod
    def of(cls, dids: Iterable[str], *, name: str = "trusted issuers") -> TrustRegistry:
        """A registry of one plain list, for callers that keep their DIDs in code."""
        return cls(
            [TrustList(name=name, kind="plain", entries={d: TrustedIssuer(d) for d in dids})]
        )

    def __len__(self) -> int:
        return len(self.lists)

    @property
    def anchors(self) -> frozenset[str]:
        return self._anchors.union(*(t.anchors for t in self.lists))

    def unsigned(self) -> list[TrustList]:
        """Lists nobody signed: anyone able to edit the file can add an issuer to them."""
        return [t for t in self.lists if t.kind != "signed"]

    def consult(self, did: str, check: SignedListCheck | None = None) -> TrustAnswer:
        """The first list that names ``did`` and counts now; lists not naming it are not judged."""
        ignored: list[tuple[TrustList, ListVerdict]] = []
        for trust_list in self.lists:
            entry = trust_list.lookup(did)
            if entry is None:
                continue
            verdict = trust_list.judge(check)
            if verdict.accepted:
                match = TrustMatch(entry, trust_list.name, verdict.vouched_by, trust_list.kind)
                return TrustAnswer(match, tuple(ignored))
            ignored.append((trust_list, verdict))
        return TrustAnswer(None, tuple(ignored))

    def lookup(self, did: str, check: SignedListCheck | None = None) -> TrustMatch | None:
        return self.consult(did, check).match

    def rejected(self) -> list[TrustList]:
        """Lists refused at their last check (so a message can say why)."""
        return [t for t in self.lists if t.accepted is False]


def own_issuer(did: str, name: str | None = None) -> TrustRegistry:
    """What a service that issues vouches for when given no trust list: its own issuer, and only
    that one. Another issuer's diploma is "not vouched for" (never "trusted" because it reuses the
    site's name), and not "not trusted" either: the service has no opinion about it."""
    entries = {did: TrustedIssuer(did, name)}
    return TrustRegistry(
        [TrustList(name="this site's own issuer", kind="plain", entries=entries)], exclusive=False
    )


# --- reading ---------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _entries_from_registry(registry: Any, where: str) -> dict[str, TrustedIssuer]:
    """A DCC ``registry`` map (DID → {name, location, url}) or a list of ``{id, name, ...}``."""
    items: list[tuple[Any, Any]]
    if isinstance(registry, Mapping):
        items = list(registry.items())
    elif isinstance(registry, list):
        items = [(e.get("id") if isinstance(e, Mapping) else None, e) for e in registry]
    else:
        raise MalformedValueError(f"{where}: registry must be an object keyed by DID, or a list")
    out: dict[str, TrustedIssuer] = {}
    for did, info in items:
        if not isinstance(did, str) or ":" not in did:
            raise MalformedValueError(f"{where}: registry key {did!r} is not a DID or URL")
        if info is None or info == []:
            # a key with nothing under it states nothing: in an RDF-signed list it is not even
            # signed (JSON-LD drops nulls and empty arrays), so it never vouches for anyone
            continue
        info = info if isinstance(info, Mapping) else {}
        out[did] = TrustedIssuer(
            did, _text(info.get("name")), _text(info.get("location")), _text(info.get("url"))
        )
    return out


def parse_plain(text: str, *, name: str = "trust list") -> TrustList:
    """One DID per line; blank lines and ``#`` comments ignored (also after a DID)."""
    entries: dict[str, TrustedIssuer] = {}
    for number, line in enumerate(text.splitlines(), 1):
        did = line.split("#", 1)[0].strip()
        if not did:
            continue
        if " " in did or ":" not in did:
            raise TrustListError(f"{name} line {number}: {did!r} is not a DID")
        entries[did] = TrustedIssuer(did)
    return TrustList(name=name, kind="plain", entries=entries)


def parse_json(
    document: Any, *, name: str = "trust list", anchors: Iterable[str] = ()
) -> TrustList:
    """A DCC registry or a signed ``IssuerTrustList`` credential, told apart by their shape."""
    if not isinstance(document, dict):
        raise TrustListError(f"{name}: a JSON trust list must be an object")
    types = document.get("type")
    types = types if isinstance(types, list) else [types]
    if "VerifiableCredential" in types:
        if TRUST_LIST_TYPE not in types:
            raise TrustListError(
                f"{name}: a credential used as trust list needs type {TRUST_LIST_TYPE}"
            )
        subject = document.get("credentialSubject")
        if not isinstance(subject, dict):
            raise TrustListError(f"{name}: credentialSubject must be one object")
        try:
            entries = _entries_from_registry(subject.get("registry"), name)
        except MalformedValueError as exc:
            raise TrustListError(exc.message) from None
        label = _text(subject.get("name")) or _text(document.get("name")) or name
        return TrustList(
            name=label,
            kind="signed",
            entries=entries,
            document=document,
            anchors=frozenset(anchors),
        )
    registry = document.get("registry", document.get("entries"))
    if registry is None:
        raise TrustListError(f"{name}: no 'registry' or 'entries' (DCC issuer registry format)")
    try:
        entries = _entries_from_registry(registry, name)
    except MalformedValueError as exc:
        raise TrustListError(exc.message) from None
    meta = document.get("meta")
    label = (_text(meta.get("name")) if isinstance(meta, dict) else None) or name
    return TrustList(name=label, kind="dcc", entries=entries)


def load_trust_list(
    path: str | os.PathLike[str], *, anchors: Iterable[str] = (), name: str | None = None
) -> TrustList:
    """Read a list file; JSON when it parses as JSON object, the plain format otherwise."""
    file = Path(path)
    # errors and results name the file, never its path: a result is shown to other people (the
    # service's page), and the folders of the machine that checked are nobody's business
    try:
        with file.open("rb") as fh:
            data = fh.read(MAX_LIST_BYTES + 1)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise TrustListError(f"cannot read trust list {file.name}: {why}") from None
    return parse_trust_list(data, source=file.name, anchors=anchors, name=name)


def parse_trust_list(
    data: bytes, *, source: str, anchors: Iterable[str] = (), name: str | None = None
) -> TrustList:
    """A list from its bytes (a file's, or a download's); ``source`` names it in messages."""
    label = name or source
    if len(data) > MAX_LIST_BYTES:
        raise TrustListError(f"trust list {source} is larger than {MAX_LIST_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TrustListError(f"trust list {source} is not UTF-8 text") from None
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            document = json.loads(stripped)
        except (ValueError, RecursionError) as exc:
            raise TrustListError(f"trust list {source} is not valid JSON: {exc}") from None
        trust_list = parse_json(document, name=label, anchors=anchors)
    else:
        trust_list = parse_plain(text, name=label)
    trust_list.source = source
    trust_list.raw = data
    return trust_list


def load_registry(
    paths: Iterable[str | os.PathLike[str]], *, anchors: Iterable[str] = ()
) -> TrustRegistry:
    """Several list files in the order given (most authoritative first)."""
    anchor_set = frozenset(anchors)
    return TrustRegistry(
        (load_trust_list(p, anchors=anchor_set) for p in paths), anchors=anchor_set
    )


__all__ = [
    "TRUST_LIST_TYPE",
    "ListVerdict",
    "TrustAnswer",
    "TrustList",
    "TrustListError",
    "TrustMatch",
    "TrustRegistry",
    "TrustedIssuer",
    "load_registry",
    "load_trust_list",
    "own_issuer",
    "parse_json",
    "parse_plain",
    "parse_trust_list",
]
