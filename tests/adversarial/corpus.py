"""Hostile documents, one per attack class of issue 13, generated from freshly signed diplomas.

Every case is built when :func:`corpus` is first called, from the example programme
(``examples/postproduction/program.toml``), with keys derived from fixed seeds and fixed dates,
so two builds produce byte-identical documents. A case names its attack class, the verdict
credkit must give (never "verified") and the setting the verifier runs in: trust lists, trust
anchors, strict mode, the challenge asked of a presentation, earlier verifications by the same
long-lived verifier, and (for the server) the ``options.checks`` a client sends. Verifiers run
on their own clock: the dates are chosen so that every verdict holds for any present after the
corpus was written (see ``WRITTEN``). Status lists and trust-list files are shared by the whole
corpus (:data:`Corpus.status_lists`, :data:`Corpus.trust_files`) so that one verifier can run
every case in one process (the order-independence test, issue 13 §3).

Dump it as files for the fuzz script and the JS oracle::

    python -m tests.adversarial.corpus --out DIR

``DIR/index.json`` lists the cases and valid documents with their settings; documents are in
``DIR/cases/`` and ``DIR/valid/``, status lists under ``DIR/status/`` (pass it as
``credkit verify --status-dir DIR/status``) and trust lists under ``DIR/trust/``.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "examples" / "postproduction" / "program.toml"

VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
DI_V2 = "https://w3id.org/security/data-integrity/v2"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
UNDEFINED_TERMS_V2 = "https://www.w3.org/ns/credentials/undefined-terms/v2"
CRED = "https://www.w3.org/2018/credentials#"

# Every case is judged by the verifier's own clock (``credkit verify --at`` moves only a
# diploma's time, not a status or trust list's). So the dates below are fixed and far from any
# present after the corpus was written (2026-12): the programme's diplomas are valid from
# 2026-11-20 for ten years, "expired" means 2026-11-25, "not yet valid" 2099, and honest lists
# stay valid until 2099.
WRITTEN = "2026-12-01T00:00:00Z"
CREATED = "2026-11-20T05:00:00Z"
EXPIRED = "2026-11-25T00:00:00Z"
FUTURE = "2099-06-01T00:00:00Z"
LISTS_UNTIL = "2099-01-01T00:00:00Z"
LIST_FROM = datetime(2026, 11, 1, tzinfo=UTC)
CHALLENGE = "7f3c1d2e-adversarial-challenge"
DOMAIN = "hiring.employer.example"

VERIFIED = "verified"
NOT_VERIFIED = "not verified"
INCONCLUSIVE = "inconclusive"
UNUSABLE = "unusable"

# Status list URLs (each path is unique, so one --status-dir serves them all)
LAB_REVOCATION = "https://reelbridge.example/status/revocation-1"
LAB_HOLD = "https://reelbridge.example/status/hold-1"  # a purpose credkit does not know
ACCREDITOR_REVOCATION = "https://accreditor.example/status/lists-1"
SPONSOR_REVOCATION = "https://apspa.example/status/endorsements-1"
WEB_REVOCATION = "https://lab.example/status/web-1"
REVOKED, CLEAR, HELD = 7, 8, 9  # bit indexes in the lab's lists
ACCREDITOR_REVOKED, SPONSOR_REVOKED = 3, 5

# Attack classes of issue 13, in the issue's order: (issue section, what the attacker does).
CLASSES: dict[str, tuple[str, str]] = {
    "blank-node-predicate": (
        "§1",
        'a key "_:x" (dropped by toRdf) carries an object repeating the credential id that moves '
        "validUntil / validFrom / expirationDate / credentialStatus out of the JSON credkit reads, "
        "or adds claims nobody signed",
    ),
    "inline-context-blank-node": (
        "§1",
        "an inline context maps a term or @vocab to a blank node, with the same effect",
    ),
    "node-merge": (
        "§1",
        "an ordinary property holds a node with the credential's own id carrying validUntil; "
        "JSON-LD merges it into the credential node while the JSON no longer shows it",
    ),
    "unsigned-json": (
        "§1",
        "JSON the proof does not cover (a trust-list registry entry whose value is null or [], "
        "dropped by JSON-LD) becomes data",
    ),
    "presentation-proof": (
        "§2",
        "a presentation carries a proof of a made-up type or cryptosuite around a stolen diploma",
    ),
    "proof-set": ("§2", "a proof set holds one valid proof and one that cannot be verified"),
    "small-order-key": (
        "§2",
        "a did:key of a small-order Ed25519 point (the identity) with R = identity, S = 0",
    ),
    "context-state": (
        "§3",
        "an @import in an inline context writes into the shared parsed context (state poisoning)",
    ),
    "jcs-context": (
        "§4",
        "contexts appended after an eddsa-jcs-2022 signature change what the JSON means",
    ),
    "status-entries": (
        "§5",
        "an unsupported status entry placed before a revoked Bitstring entry",
    ),
    "endorsement-status": ("§5", "a revoked or expired endorsement still reads as endorsed"),
    "trust-list-status": ("§5", "a revoked trust list still vouches"),
    "trust-list-expiry": (
        "§5",
        "a long-lived verifier keeps trusting a trust list that expired after it was first read",
    ),
    "status-purpose": ("§5", "a set bit under a status purpose credkit does not know"),
    "status-offline": (
        "§5",
        "a did:web issuer checked offline with --status-dir: the list cannot be checked",
    ),
    "checks-subset": (
        "§5",
        "a client of the service asks for options.checks [] or a subset to skip the proof",
    ),
    "trust-registry": (
        "§6",
        "an unsigned registry file given with --trust-anchor in strict mode",
    ),
    "json-view": (
        "regression",
        "JSON-LD re-spellings (@nest, full-IRI keys) that hide validUntil (credkit.jsonld.jsonview)",
    ),
    "forgery": ("regression", "tampered, self-signed or replayed diplomas"),
}


# --- keys --------------------------------------------------------------------------------------


def _seed(role: str) -> bytes:
    return hashlib.sha256(f"credkit adversarial corpus: {role}".encode()).digest()


@dataclass(frozen=True)
class Keys:
    issuer: Any  # the lab (did:key)
    attacker: Any  # a fake school / the forger
    accreditor: Any  # the trust anchor that signs trust lists
    sponsor: Any  # the endorser
    holder: Any  # the graduate presenting
    web: Any  # a did:web issuer


@cache
def keys() -> Keys:
    from credkit import KeyPair

    web_did = "did:web:lab.example"
    return Keys(
        issuer=KeyPair.from_seed(_seed("issuer")),
        attacker=KeyPair.from_seed(_seed("attacker")),
        accreditor=KeyPair.from_seed(_seed("accreditor")),
        sponsor=KeyPair.from_seed(_seed("sponsor")),
        holder=KeyPair.from_seed(_seed("holder")),
        web=KeyPair.from_seed(_seed("web"), controller=web_did, key_id=f"{web_did}#key-1"),
    )


# --- cases -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """What the verifier is told besides the document (the same for library, CLI and server).

    ``trust`` names files of :attr:`Corpus.trust_files`; ``status`` gives the verifier the
    corpus status lists (``--status-dir``); ``warmup`` are earlier clock readings at which a
    long-lived verifier (library, server) first verified the same document; ``checks`` is the
    server's ``options.checks`` (the library and CLI always run every check).
    """

    at: str | None = None  # None: the verifier's clock (every case today)
    trust: tuple[str, ...] = ("lab.txt",)
    anchors: tuple[str, ...] = ()
    status: bool = True
    strict: bool = False
    challenge: str | None = None
    domain: str | None = None
    checks: tuple[str, ...] | None = None
    warmup: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    """One document and the verdict credkit must give it."""

    name: str
    attack: str  # a key of CLASSES ("valid" for the valid documents)
    expected: str
    document: dict[str, Any] = field(repr=False, compare=False)
    kind: str = "credential"  # or "presentation"
    setting: Setting = Setting()
    accept: tuple[str, ...] = ()  # other verdicts that are also right (never "verified")
    note: str = ""

    @property
    def verdicts(self) -> tuple[str, ...]:
        return (self.expected, *self.accept)

    def doc(self) -> dict[str, Any]:
        """A private copy (the corpus is shared; the verifier must never see a mutated one)."""
        return copy.deepcopy(self.document)

    def describe(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "attack": self.attack,
            "section": CLASSES.get(self.attack, ("valid", ""))[0],
            "expected": self.expected,
            "accept": list(self.accept),
            "kind": self.kind,
            "setting": asdict(self.setting),
            "note": self.note,
        }
        return out


@dataclass(frozen=True)
class Corpus:
    cases: tuple[Case, ...]
    valid: tuple[Case, ...]
    status_lists: dict[str, dict[str, Any]] = field(compare=False)  # URL -> signed list
    trust_files: dict[str, str] = field(compare=False)  # file name -> text

    def case(self, name: str) -> Case:
        for c in (*self.cases, *self.valid):
            if c.name == name:
                return c
        raise KeyError(name)

    def write_status(self, root: Path) -> Path:
        """The status lists laid out by URL path under ``root`` (``--status-dir root``)."""
        from urllib.parse import urlsplit

        for url, listed in self.status_lists.items():
            path = root.joinpath(*[p for p in urlsplit(url).path.split("/") if p])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(listed, ensure_ascii=False), encoding="utf-8")
        return root

    def write_trust(self, root: Path) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        for name, text in self.trust_files.items():
            (root / name).write_text(text, encoding="utf-8")
        return root

    def dump(self, out: Path) -> None:
        """Every case and valid document as JSON files, with ``index.json`` describing them."""
        self.write_status(out / "status")
        self.write_trust(out / "trust")
        index: dict[str, Any] = {"written": WRITTEN, "classes": CLASSES, "cases": [], "valid": []}
        for folder, group in (("cases", self.cases), ("valid", self.valid)):
            (out / folder).mkdir(parents=True, exist_ok=True)
            for c in group:
                file = f"{folder}/{c.name}.json"
                (out / file).write_text(
                    json.dumps(c.document, ensure_ascii=False, indent=2), encoding="utf-8"
                )
                index[folder].append({**c.describe(), "file": file})
        (out / "index.json").write_text(json.dumps(index, indent=2), encoding="utf-8")


# --- builders ----------------------------------------------------------------------------------


@cache
def _template() -> Any:
    from credkit import load_template

    return load_template(TEMPLATE)


def _graduate(n: int = 1, **extra: Any) -> Any:
    from credkit.model.roster import Graduate

    names = ["Maria Santos", "Nguyễn Thị Lan", "ปกรณ์ ศรีสุข", "Arjun Mehta"]
    return Graduate(
        name=names[(n - 1) % len(names)],
        email=f"graduate{n}@example.com",
        grade="Merit",
        line=n,
        **extra,
    )


def build(
    n: int = 1, *, issuer: Any = None, status: int | None = None, **grad: Any
) -> dict[str, Any]:
    """An unsigned diploma of graduate ``n`` (dict), optionally with a revocation entry."""
    from credkit import build_diploma
    from credkit.status import status_entry

    issuer = issuer or keys().issuer
    entries = [status_entry(LAB_REVOCATION, status, "revocation")] if status is not None else None
    doc: dict[str, Any] = build_diploma(
        _template(), _graduate(n, **grad), issuer_id=issuer.controller, status=entries
    )
    return doc


def signed(
    doc: dict[str, Any],
    key: Any = None,
    suite: str = "eddsa-rdfc-2022",
    **kw: Any,
) -> dict[str, Any]:
    """``doc`` signed now (fixed ``created``), ``proof`` as a list as OB 3.0 wants."""
    from credkit import sign

    kw.setdefault("created", CREATED)
    kw.setdefault("proof_as_list", True)
    out: dict[str, Any] = sign(doc, key or keys().issuer, cryptosuite=suite, **kw)
    return out


def diploma(n: int = 1, *, status: int | None = CLEAR, **grad: Any) -> dict[str, Any]:
    """A freshly signed diploma of the lab (index ``status`` in its revocation list)."""
    return signed(build(n, status=status, **grad))


def _status_list(url: str, key: Any, purpose: str, set_bits: tuple[int, ...]) -> dict[str, Any]:
    from credkit.status import Bitstring, status_list_credential

    bits = Bitstring()
    for i in set_bits:
        bits.set(i)
    unsigned = status_list_credential(url, key.controller, purpose, bits, valid_from=LIST_FROM)
    return signed(unsigned, key, proof_as_list=False)


def trust_list(
    registry: dict[str, Any],
    *,
    valid_until: str = LISTS_UNTIL,
    status: int | None = None,
    ident: str = "urn:uuid:6a1f4c52-0d1e-4b7a-9c3e-acc2ed170001",
) -> dict[str, Any]:
    """The accrediting body's signed IssuerTrustList (docs/verification.md)."""
    from credkit.status import status_entry

    doc: dict[str, Any] = {
        "@context": [VC_V2, UNDEFINED_TERMS_V2],
        "id": ident,
        "type": ["VerifiableCredential", "IssuerTrustList"],
        "issuer": {"id": keys().accreditor.controller, "name": "Screen Skills Accreditation Board"},
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": valid_until,
        "credentialSubject": {
            "id": ident + "#list",
            "type": "IssuerTrustList",
            "name": "Accredited post-production programmes",
            "registry": registry,
        },
    }
    if status is not None:
        doc["credentialStatus"] = status_entry(ACCREDITOR_REVOCATION, status, "revocation")
    return signed(doc, keys().accreditor, proof_as_list=False)


def _lab_entry() -> dict[str, Any]:
    return {
        keys().issuer.controller: {
            "name": "Reelbridge Post Lab",
            "location": "Mumbai, India",
            "url": "https://reelbridge.example",
        }
    }


def endorsement(
    *, status: int | None = None, valid_until: str | None = None, ident: str = "1"
) -> dict[str, Any]:
    """The sponsor's signed endorsement of the programme's achievement."""
    from credkit import build_endorsement
    from credkit.status import status_entry

    sponsor = keys().sponsor
    doc: dict[str, Any] = build_endorsement(
        {
            "id": sponsor.controller,
            "type": ["Profile"],
            "name": "Asia Pacific Screen Post Alliance",
            "url": "https://apspa.example",
        },
        _template().achievement.id,
        "APSPA member facilities recognise this diploma when hiring post supervisors.",
        endorsement_id=f"urn:uuid:0e0d0c0b-0a09-4807-8605-04030201000{ident}",
        valid_from=datetime(2026, 10, 1, tzinfo=UTC),
        valid_until=datetime.fromisoformat(valid_until.replace("Z", "+00:00"))
        if valid_until
        else None,
    )
    if status is not None:
        doc["credentialStatus"] = status_entry(SPONSOR_REVOCATION, status, "revocation")
    return signed(doc, sponsor)


def endorsed_diploma(endorsed: dict[str, Any], n: int = 1) -> dict[str, Any]:
    doc = build(n, status=CLEAR)
    doc["credentialSubject"]["achievement"]["endorsement"] = [endorsed]
    return signed(doc)


def presentation(
    *credentials: dict[str, Any],
    challenge: str | None = CHALLENGE,
    domain: str | None = DOMAIN,
    holder: Any = None,
) -> dict[str, Any]:
    """A presentation signed by the graduate (authentication, challenge, domain)."""
    holder = holder or keys().holder
    vp: dict[str, Any] = {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "holder": holder.controller,
        "verifiableCredential": list(credentials),
    }
    return signed(
        vp,
        holder,
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
        created="2026-11-30T11:59:00Z",
    )


def _b58(data: bytes) -> str:
    from credkit.identity.multibase import encode_base58btc

    return str(encode_base58btc(data))


def small_order_forgery() -> dict[str, Any]:
    """A "diploma" whose issuer is the did:key of the identity point, "signed" R=identity, S=0.

    With A of small order, [S]B = R + [k]A reads 0 = 0 for every message: the signature verifies
    for any document unless the key is refused (VC DI EdDSA 1.0 §4.1, "Taming EdDSAs").
    """
    from credkit.identity.multibase import encode_multikey

    identity = bytes([1]) + bytes(31)  # y = 1, x = 0: the neutral element
    mb = str(encode_multikey(b"\xed\x01", identity))
    did = f"did:key:{mb}"
    doc: dict[str, Any] = build(3, status=None)
    doc["issuer"]["id"] = did
    doc["issuer"]["name"] = "Reelbridge Post Lab"
    doc["proof"] = [
        {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": CREATED,
            "verificationMethod": f"{did}#{mb}",
            "proofPurpose": "assertionMethod",
            "proofValue": _b58(identity + bytes(32)),
        }
    ]
    return doc


def _hide(doc: dict[str, Any], key: str, *names: str, context: Any = None) -> dict[str, Any]:
    """Move ``names`` under ``key`` in an object repeating the credential's id and types.

    JSON-LD merges the object into the credential node; the repeated types keep the type-scoped
    context that defines the moved terms (VC 2.0 defines validUntil inside VerifiableCredential),
    and add no triple the credential does not already have.
    """
    out = copy.deepcopy(doc)
    moved = {"id": out["id"], "type": copy.deepcopy(out["type"]), **{n: out.pop(n) for n in names}}
    if context is not None:
        out["@context"] = [*out["@context"], context]
    out[key] = moved
    return out


# --- the corpus --------------------------------------------------------------------------------


def _hostile(k: Keys) -> list[Case]:
    from credkit.status import status_entry

    cases: list[Case] = []

    def add(name: str, attack: str, expected: str, document: dict[str, Any], **kw: Any) -> None:
        cases.append(Case(name, attack, expected, document, **kw))

    expired = signed(build(1, status=CLEAR, valid_until=EXPIRED))
    revoked = diploma(1, status=REVOKED)
    future = build(2, status=CLEAR, valid_from=FUTURE)
    future.pop("credentialSchema")  # the OB schema would catch a missing validFrom on its own
    future = signed(future)

    # §1 blank-node predicates
    add(
        "bnode-key-hides-validUntil",
        "blank-node-predicate",
        NOT_VERIFIED,
        _hide(expired, "_:x", "validUntil"),
        note="expired diploma; RDF identical to the signed one",
    )
    add(
        "bnode-key-hides-validFrom",
        "blank-node-predicate",
        NOT_VERIFIED,
        _hide(future, "_:x", "validFrom"),
        note="not-yet-valid diploma (no credentialSchema, so only the dates can catch it)",
    )
    add(
        "bnode-key-hides-credentialStatus",
        "blank-node-predicate",
        NOT_VERIFIED,
        _hide(revoked, "_:x", "credentialStatus"),
        note="revoked diploma",
    )
    claim = diploma(1)
    claim["_:honours"] = "Awarded with highest honours"  # the only triple it makes is dropped
    add(
        "bnode-key-adds-unsigned-claim",
        "blank-node-predicate",
        NOT_VERIFIED,
        claim,
        note="a claim nobody signed",
    )
    v1 = {
        "@context": [VC_V1, DI_V2, EXAMPLES_V2],
        "id": "urn:uuid:3b0a5f0e-1111-4c2d-8e9f-0a1b2c3d4e5f",
        "type": ["VerifiableCredential"],
        "issuer": k.issuer.controller,
        "issuanceDate": "2025-06-01T00:00:00Z",
        "expirationDate": "2026-06-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:graduate-1", "name": "Maria Santos"},
    }
    add(
        "bnode-key-hides-expirationDate-vc11",
        "blank-node-predicate",
        NOT_VERIFIED,
        _hide(signed(v1, proof_as_list=False), "_:x", "expirationDate"),
        note="an expired VC 1.1 credential",
    )
    tampered = endorsed_diploma(endorsement(valid_until=EXPIRED, ident="9"))
    held = tampered["credentialSubject"]["achievement"]["endorsement"]
    held[0] = _hide(held[0], "_:x", "validUntil")
    add(
        "bnode-key-in-endorsement",
        "blank-node-predicate",
        NOT_VERIFIED,
        tampered,
        note="the graduate moves the embedded endorsement's validUntil under _:x after the lab "
        "signed the diploma: neither proof notices on RDF",
    )

    # §1 inline contexts mapping to blank nodes
    add(
        "inline-term-to-bnode-hides-validUntil",
        "inline-context-blank-node",
        NOT_VERIFIED,
        _hide(expired, "hidden", "validUntil", context={"hidden": "_:hidden"}),
    )
    add(
        "inline-vocab-to-bnode-hides-validUntil",
        "inline-context-blank-node",
        NOT_VERIFIED,
        _hide(expired, "stash", "validUntil", context={"@vocab": "_:"}),
    )
    add(
        "inline-term-to-bnode-hides-credentialStatus",
        "inline-context-blank-node",
        NOT_VERIFIED,
        _hide(revoked, "meta", "credentialStatus", context={"meta": {"@id": "_:meta"}}),
    )

    # §1 node merging through an ordinary property
    add(
        "evidence-node-merge-hides-validUntil",
        "node-merge",
        NOT_VERIFIED,
        _hide(expired, "evidence", "validUntil"),
        note="the object repeats the credential's id and types: the RDF differs from the signed "
        "one only by <id> evidence <id>",
    )
    add(
        "included-node-merge-hides-validUntil",
        "node-merge",
        NOT_VERIFIED,
        _hide(expired, "@included", "validUntil"),
        note="@included merges the node without any linking triple: RDF identical",
    )

    # §1 JSON the proof does not cover: trust-list registry entries JSON-LD drops
    attacker_diploma = signed(build(4, issuer=k.attacker, status=None), k.attacker)
    signed_setting = Setting(trust=("accreditor.json",), anchors=(k.accreditor.controller,))
    for label in ("null", "empty-array"):
        add(
            f"trust-registry-{label}-entry-vouches-attacker",
            "unsigned-json",
            NOT_VERIFIED,
            attacker_diploma,
            setting=replace(signed_setting, trust=(f"accreditor-{label}-attacker.json",)),
            note=f"the signed trust list's registry gained the attacker's DID with value {label}",
        )

    # §2 presentation proofs
    stolen = diploma(1)

    def made_up(proof: dict[str, Any]) -> dict[str, Any]:
        """A stolen diploma wrapped by the attacker, with any string as its "proof"."""
        return {
            "@context": [VC_V2],
            "type": ["VerifiablePresentation"],
            "holder": k.attacker.controller,
            "verifiableCredential": [copy.deepcopy(stolen)],
            "proof": [
                {
                    "created": "2026-11-30T11:59:00Z",
                    "verificationMethod": f"{k.attacker.controller}#{k.attacker.controller[8:]}",
                    "proofPurpose": "authentication",
                    "challenge": CHALLENGE,
                    "domain": DOMAIN,
                    "proofValue": _b58(bytes(64)),
                    **proof,
                }
            ],
        }

    asked = Setting(challenge=CHALLENGE, domain=DOMAIN)
    add(
        "vp-made-up-proof-type",
        "presentation-proof",
        NOT_VERIFIED,
        made_up({"type": "TrustMeSignature2099"}),
        kind="presentation",
        setting=asked,
    )
    add(
        "vp-made-up-cryptosuite",
        "presentation-proof",
        NOT_VERIFIED,
        made_up({"type": "DataIntegrityProof", "cryptosuite": "eddsa-trustme-2099"}),
        kind="presentation",
        setting=asked,
    )
    add(
        "vp-made-up-proof-no-challenge-asked",
        "presentation-proof",
        NOT_VERIFIED,
        made_up({"type": "TrustMeSignature2099"}),
        kind="presentation",
        note="the verifier asked for no challenge, but the VP carries a proof: it must verify",
    )
    vp_set = presentation(stolen)
    vp_set["proof"] = [*vp_set["proof"], made_up({"type": "TrustMeSignature2099"})["proof"][0]]
    add(
        "vp-proof-set-valid-plus-made-up",
        "proof-set",
        NOT_VERIFIED,
        vp_set,
        kind="presentation",
        setting=asked,
    )

    # §2 proof sets
    pset = diploma(1)
    pset["proof"] = [
        *pset["proof"],
        {**pset["proof"][0], "cryptosuite": "eddsa-trustme-2099"},
    ]
    add("proof-set-valid-plus-unknown-cryptosuite", "proof-set", NOT_VERIFIED, pset)
    pset_type = diploma(1)
    pset_type["proof"] = [
        *pset_type["proof"],
        {
            "type": "TrustMeSignature2099",
            "created": CREATED,
            "verificationMethod": pset_type["proof"][0]["verificationMethod"],
            "proofPurpose": "assertionMethod",
            "proofValue": _b58(bytes(64)),
        },
    ]
    add("proof-set-valid-plus-unknown-type", "proof-set", NOT_VERIFIED, pset_type)
    pset_bad = diploma(1)
    bad = copy.deepcopy(pset_bad["proof"][0])
    bad["created"] = "2026-11-20T05:00:01Z"  # the signature no longer matches its options
    pset_bad["proof"] = [*pset_bad["proof"], bad]
    add("proof-set-valid-plus-invalid", "proof-set", NOT_VERIFIED, pset_bad)

    # §2 keys
    add(
        "small-order-key-identity-point",
        "small-order-key",
        NOT_VERIFIED,
        small_order_forgery(),
        setting=Setting(trust=()),
        note="no trust list: only the key check stands between this and 'verified'",
    )

    # §3 state poisoning
    poison = diploma(1)
    poison["@context"] = [
        VC_V2,
        OB_V3P0,
        {"@import": OB_EXTENSIONS, "1EdTechJsonSchemaValidator2019": "urn:evil:validator"},
    ]
    add(
        "import-context-poisons-shared-context",
        "context-state",
        NOT_VERIFIED,
        poison,
        accept=(UNUSABLE,),
        note="pyld writes the inline terms into the shipped extensions context it imports; "
        "diplomas verified later in the same process then fail (tests/test_verify_order.py)",
    )

    # §4 eddsa-jcs-2022 with contexts appended after signing
    jcs = signed(build(1, status=CLEAR), suite="eddsa-jcs-2022")
    jcs_inline = copy.deepcopy(jcs)
    jcs_inline["@context"] = [*jcs_inline["@context"], {"name": "https://attacker.example/v#name"}]
    add(
        "jcs-appended-inline-context",
        "jcs-context",
        NOT_VERIFIED,
        jcs_inline,
        accept=(UNUSABLE,),
        note="the proof's @context is a prefix of the document's: the appended context "
        "maps a term into another vocabulary",
    )
    jcs_url = copy.deepcopy(jcs)
    jcs_url["@context"] = [*jcs_url["@context"], EXAMPLES_V2]
    add(
        "jcs-appended-context-url",
        "jcs-context",
        NOT_VERIFIED,
        jcs_url,
        accept=(UNUSABLE,),
        note="a shipped context with @vocab appended after signing",
    )

    for label, extra in (("language", {"@language": "fr"}), ("direction", {"@direction": "rtl"})):
        appended = copy.deepcopy(jcs)
        appended["@context"] = [*appended["@context"], extra]
        add(
            f"jcs-appended-default-{label}",
            "jcs-context",
            NOT_VERIFIED,
            appended,
            accept=(UNUSABLE,),
            note=f"an appended context that only sets @{label}: every plain string of the signed "
            "JSON gets a new meaning (its canonical N-Quads change), no term is redefined",
        )

    # §5 status entries
    mixed = build(1, status=REVOKED)
    mixed.pop("credentialSchema")  # OB allows one credentialStatus; keep the schema out of it
    mixed["credentialStatus"] = [
        {
            "id": "https://reelbridge.example/vcrl/1#7",
            "type": "1EdTechRevocationList",
        },
        mixed["credentialStatus"],
    ]
    add("unsupported-status-entry-before-revoked", "status-entries", NOT_VERIFIED, signed(mixed))

    # §5 endorsements
    add(
        "revoked-endorsement",
        "endorsement-status",
        NOT_VERIFIED,
        endorsed_diploma(endorsement(status=SPONSOR_REVOKED, ident="2")),
        note="the sponsor revoked its endorsement",
    )
    add(
        "expired-endorsement",
        "endorsement-status",
        NOT_VERIFIED,
        endorsed_diploma(endorsement(valid_until=EXPIRED, ident="3")),
        note="verdict for an expired endorsement is this harness's reading of §5",
    )

    # §5 trust lists
    good = diploma(1)
    add(
        "revoked-trust-list-vouches",
        "trust-list-status",
        NOT_VERIFIED,
        good,
        setting=replace(signed_setting, trust=("accreditor-revoked.json",)),
    )
    add(
        "expired-trust-list-long-lived-verifier",
        "trust-list-expiry",
        NOT_VERIFIED,
        good,
        setting=replace(
            signed_setting,
            trust=("accreditor-expiring.json",),
            warmup=("2026-11-28T00:00:00Z",),
        ),
        note="the list expired 2026-11-30; the long-lived verifier first read it on 2026-11-28",
    )
    add(
        "unknown-status-purpose-set-bit-strict",
        "status-purpose",
        INCONCLUSIVE,
        signed(
            {
                **build(1, status=None),
                "credentialStatus": {
                    "id": f"{LAB_HOLD}#{HELD}",
                    "type": "BitstringStatusListEntry",
                    "statusPurpose": "hold",
                    "statusListIndex": str(HELD),
                    "statusListCredential": LAB_HOLD,
                },
            }
        ),
        setting=Setting(strict=True),
        accept=(NOT_VERIFIED,),
    )
    web = build(1, issuer=k.web, status=None)
    web["credentialStatus"] = status_entry(WEB_REVOCATION, CLEAR, "revocation")
    add(
        "did-web-offline-status-dir",
        "status-offline",
        INCONCLUSIVE,
        signed(web, k.web),
        setting=Setting(trust=()),
        note="offline: neither the diploma's nor the list's key can be fetched",
    )

    # §5 options.checks on the service
    forged = diploma(1)
    forged["credentialSubject"]["name"] = "Someone Else"
    for label, subset in (("empty", ()), ("status-only", ("credentialStatus",))):
        add(
            f"server-checks-{label}-forged",
            "checks-subset",
            NOT_VERIFIED,
            forged,
            setting=Setting(checks=subset),
        )

    # §6 unsigned registry with a trust anchor, strict
    add(
        "unsigned-registry-with-anchor-strict",
        "trust-registry",
        NOT_VERIFIED,
        diploma(1),
        setting=Setting(
            trust=("dcc-registry.json",), anchors=(k.accreditor.controller,), strict=True
        ),
        accept=(UNUSABLE,),
    )

    # regressions: JSON-LD re-spellings and plain forgeries
    nested = copy.deepcopy(expired)
    nested["@nest"] = {"validUntil": nested.pop("validUntil")}
    add("nest-hides-validUntil", "json-view", NOT_VERIFIED, nested)
    iri = copy.deepcopy(expired)
    iri[CRED + "validUntil"] = {
        "@value": iri.pop("validUntil"),
        "@type": "http://www.w3.org/2001/XMLSchema#dateTime",
    }
    add("iri-key-hides-validUntil", "json-view", NOT_VERIFIED, iri)
    add("tampered-subject-name", "forgery", NOT_VERIFIED, forged)
    add(
        "fake-school-self-signed",
        "forgery",
        NOT_VERIFIED,
        attacker_diploma,
        note="a lab of the same name with its own key; the employer trusts the real lab",
    )
    add(
        "replayed-vp-wrong-challenge",
        "forgery",
        NOT_VERIFIED,
        presentation(stolen, challenge="an-old-challenge"),
        kind="presentation",
        setting=asked,
    )
    return cases


def _valid(k: Keys) -> list[Case]:
    signed_setting = Setting(trust=("accreditor.json",), anchors=(k.accreditor.controller,))
    stolen = diploma(1)
    return [
        Case("valid-diploma", "valid", VERIFIED, stolen),
        Case("valid-diploma-2", "valid", VERIFIED, diploma(2)),
        Case(
            "valid-diploma-jcs",
            "valid",
            VERIFIED,
            signed(build(1, status=CLEAR), suite="eddsa-jcs-2022"),
        ),
        Case(
            "valid-diploma-ed25519-2020",
            "valid",
            VERIFIED,
            signed(build(4, status=CLEAR), suite="Ed25519Signature2020"),
        ),
        Case(
            "valid-endorsed-diploma",
            "valid",
            VERIFIED,
            endorsed_diploma(endorsement(ident="4"), n=2),
        ),
        Case("valid-diploma-signed-trust-list", "valid", VERIFIED, stolen, setting=signed_setting),
        Case(
            "valid-presentation",
            "valid",
            VERIFIED,
            presentation(stolen),
            kind="presentation",
            setting=Setting(challenge=CHALLENGE, domain=DOMAIN),
        ),
        Case(
            "valid-trust-list-as-credential",
            "valid",
            VERIFIED,
            trust_list(_lab_entry()),
            setting=Setting(trust=("accreditor-anchor.txt",)),
        ),
    ]


def _status_lists(k: Keys) -> dict[str, dict[str, Any]]:
    return {
        LAB_REVOCATION: _status_list(LAB_REVOCATION, k.issuer, "revocation", (REVOKED,)),
        LAB_HOLD: _status_list(LAB_HOLD, k.issuer, "hold", (HELD,)),
        ACCREDITOR_REVOCATION: _status_list(
            ACCREDITOR_REVOCATION, k.accreditor, "revocation", (ACCREDITOR_REVOKED,)
        ),
        SPONSOR_REVOCATION: _status_list(
            SPONSOR_REVOCATION, k.sponsor, "revocation", (SPONSOR_REVOKED,)
        ),
        WEB_REVOCATION: _status_list(WEB_REVOCATION, k.web, "revocation", ()),
    }


def _trust_files(k: Keys) -> dict[str, str]:
    def dumped(doc: Any) -> str:
        return json.dumps(doc, ensure_ascii=False, indent=2)

    honest = trust_list(_lab_entry())
    null_entry = copy.deepcopy(honest)
    null_entry["credentialSubject"]["registry"][k.attacker.controller] = None
    empty_entry = copy.deepcopy(honest)
    empty_entry["credentialSubject"]["registry"][k.attacker.controller] = []
    return {
        "lab.txt": f"# the employer's own list\n{k.issuer.controller}  # Reelbridge Post Lab\n",
        "accreditor-anchor.txt": f"{k.accreditor.controller}\n",
        "accreditor.json": dumped(honest),
        "accreditor-null-attacker.json": dumped(null_entry),
        "accreditor-empty-array-attacker.json": dumped(empty_entry),
        "accreditor-revoked.json": dumped(
            trust_list(
                _lab_entry(),
                status=ACCREDITOR_REVOKED,
                ident="urn:uuid:6a1f4c52-0d1e-4b7a-9c3e-acc2ed170002",
            )
        ),
        "accreditor-expiring.json": dumped(
            trust_list(
                _lab_entry(),
                valid_until="2026-11-30T00:00:00Z",
                ident="urn:uuid:6a1f4c52-0d1e-4b7a-9c3e-acc2ed170003",
            )
        ),
        "dcc-registry.json": dumped(
            {
                "meta": {"name": "unsigned copy of the accreditor's registry"},
                "registry": _lab_entry(),
            }
        ),
    }


@cache
def corpus() -> Corpus:
    """The whole corpus (built once per process; treat it as read-only, use :meth:`Case.doc`)."""
    k = keys()
    hostile = _hostile(k)
    names = [c.name for c in hostile]
    assert len(set(names)) == len(names), "case names must be unique"
    for c in hostile:
        assert c.attack in CLASSES, c.attack
        assert VERIFIED not in c.verdicts, f"{c.name}: a hostile case never expects verified"
    return Corpus(
        cases=tuple(hostile),
        valid=tuple(_valid(k)),
        status_lists=_status_lists(k),
        trust_files=_trust_files(k),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="folder to write the corpus to")
    args = parser.parse_args(argv)
    built = corpus()
    built.dump(args.out)
    print(
        f"wrote {len(built.cases)} hostile cases, {len(built.valid)} valid documents, "
        f"{len(built.status_lists)} status lists, {len(built.trust_files)} trust lists "
        f"to {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
