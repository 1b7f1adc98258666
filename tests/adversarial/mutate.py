"""A structural mutator of signed documents, and the targets it mutates.

``tests/test_verify_fuzz.py`` edits values (delete, replace, one character) and asserts that a
mutant never verifies. This module edits *structure*, where a mutant may keep the signed meaning:
it inserts JSON-LD keywords (inline ``@context`` objects, ``@vocab``, ``@id``, ``@graph``,
``@included``, ``@reverse``, ``@nest``, ``@index`` containers, ``@import``), blank-node keys,
nulls and empty arrays; it moves values under wrappers that repeat a node's id (JSON-LD node
merging), changes types, edits proofs, and writes odd Unicode and oversized values. A mutant may
legitimately still verify (a re-ordered key, a dropped empty context), so the property is
differential: credkit may call a mutant "verified" only if it still means what was signed
(:mod:`.oracle`).

Mutations draw their choices from a :class:`Chooser`, so the same code runs under hypothesis
(:class:`HypothesisChooser`, shrinkable, derandomized in CI), a seeded ``random.Random``
(:class:`RandomChooser`, ``scripts/fuzz-verifier``) and atheris (:class:`BytesChooser` over the
fuzzer's bytes).

Targets: a diploma in each cryptosuite, an expired and a revoked diploma, an endorsed diploma, a
presentation, the status list a diploma's status is read from (clear and revoked), and the signed
trust list that vouches for the lab (and, for an attacker's diploma, that does not).
"""

from __future__ import annotations

import copy
import json
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from .corpus import (
    CHALLENGE,
    CLEAR,
    CRED,
    DOMAIN,
    EXPIRED,
    LAB_REVOCATION,
    OB_EXTENSIONS,
    OB_V3P0,
    REVOKED,
    UNDEFINED_TERMS_V2,
    VC_V2,
    build,
    corpus,
    diploma,
    endorsed_diploma,
    endorsement,
    keys,
    presentation,
    signed,
    trust_list,
)

T = TypeVar("T")
VERIFIED = "verified"


class InapplicableError(Exception):
    """This mutation does not apply to this document (another is tried)."""


# --- choosers --------------------------------------------------------------------------------


class Chooser:
    """Where a mutation's choices come from; subclasses give :meth:`integer` and :meth:`text`."""

    def integer(self, lo: int, hi: int) -> int:
        raise NotImplementedError

    def text(self, max_size: int) -> str:
        raise NotImplementedError

    def choice(self, options: Sequence[T]) -> T:
        if not options:
            raise InapplicableError("nothing to choose from")
        return options[self.integer(0, len(options) - 1)]

    def boolean(self) -> bool:
        return self.integer(0, 1) == 1

    def json_value(self, depth: int = 2) -> Any:
        kind = self.integer(0, 9 if depth > 0 else 6)
        if kind == 0:
            return None
        if kind == 1:
            return self.boolean()
        if kind == 2:
            return self.integer(-(2**40), 2**40)
        if kind == 3:
            return self.choice([0.5, -0.0, 1e308, 1.0, 1e-7])
        if kind in (4, 5, 6):
            return self.text(12)
        if kind in (7, 8):
            return [self.json_value(depth - 1) for _ in range(self.integer(0, 3))]
        return {self.text(6): self.json_value(depth - 1) for _ in range(self.integer(0, 3))}


class RandomChooser(Chooser):
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def text(self, max_size: int) -> str:
        alphabet = "aZ09:_@#/.- é\u0301\u200b\u202e\ufeff\x0c\x00ßİı"
        return "".join(
            self.rng.choice(alphabet)
            if self.rng.random() < 0.8
            else chr(self.rng.randint(0x20, 0x2FFF))
            for _ in range(self.rng.randint(0, max_size))
        )


class HypothesisChooser(Chooser):
    """Choices drawn from hypothesis (``data.draw``), so failures shrink."""

    def __init__(self, draw: Callable[[Any], Any]) -> None:
        from hypothesis import strategies as st

        self.draw = draw
        self.st = st

    def integer(self, lo: int, hi: int) -> int:
        value: int = self.draw(self.st.integers(min_value=lo, max_value=hi))
        return value

    def text(self, max_size: int) -> str:
        value: str = self.draw(self.st.text(max_size=max_size))
        return value


class BytesChooser(Chooser):
    """Choices read from fuzzer bytes (atheris' FuzzedDataProvider or any ``bytes``)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def integer(self, lo: int, hi: int) -> int:
        span = hi - lo
        if span <= 0:
            return lo
        value = 0
        for _ in range(max(1, (span.bit_length() + 7) // 8)):
            value = (value << 8) | self._byte()
        return lo + value % (span + 1)

    def text(self, max_size: int) -> str:
        size = self.integer(0, max_size)
        raw = bytes(self._byte() for _ in range(size * 2))
        return raw.decode("utf-16-le", errors="replace")[:max_size]


# --- documents as trees ----------------------------------------------------------------------

Path = tuple[Any, ...]


def walk(node: Any, path: Path = ()) -> list[tuple[Path, Any]]:
    out = [(path, node)]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(walk(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(walk(value, (*path, index)))
    return out


def get(doc: Any, path: Path) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def put(doc: Any, path: Path, value: Any) -> None:
    get(doc, path[:-1])[path[-1]] = value


def dict_nodes(doc: Any) -> list[tuple[Path, dict[str, Any]]]:
    return [(p, n) for p, n in walk(doc) if isinstance(n, dict)]


def _not_context(path: Path) -> bool:
    return "@context" not in path


# --- vocabulary of mutations -----------------------------------------------------------------

KEYWORDS = [
    "@context",
    "@vocab",
    "@id",
    "@type",
    "@graph",
    "@included",
    "@reverse",
    "@nest",
    "@index",
    "@import",
    "@value",
    "@language",
    "@direction",
    "@set",
    "@list",
    "@json",
    "@none",
    "@base",
    "@protected",
    "@version",
]
BLANK_KEYS = ["_:x", "_:b0", "_:c14n0", "_:"]
TERMS = [
    "validUntil",
    "validFrom",
    "credentialStatus",
    "expirationDate",
    "issuer",
    "name",
    "id",
    "type",
    "evidence",
    "description",
    "credentialSubject",
    "endorsement",
    "registry",
    "encodedList",
    "statusPurpose",
    "proof",
    "holder",
    "verifiableCredential",
]
IRI_KEYS = [CRED + t for t in ("validUntil", "validFrom", "credentialStatus", "issuer")] + [
    "https://schema.org/name",
    "urn:x:y",
    "did:key:z6MkfakeFakeFake",
    "relative/path",
    "http://example.org/base/x",
]
SHIPPED = [VC_V2, OB_V3P0, OB_EXTENSIONS, UNDEFINED_TERMS_V2]
ODD = [
    "",
    " ",
    "\u200b",
    "\ufeff",
    "\u202e",
    "\x0c",
    "\x00",
    "\u2028",
    "\ud800",
    "e\u0301",
    "\u0130",
    "\U0001f600",
    "<",
    ">",
    '"',
    "\\",
    "\n_:b0 <x> <y> .\n",
]


def _some_id(doc: dict[str, Any], node: dict[str, Any]) -> Any:
    return node.get("id", node.get("@id", doc.get("id")))


def _new_value(doc: dict[str, Any], node: dict[str, Any], ch: Chooser) -> Any:
    kind = ch.integer(0, 9)
    if kind == 0:
        return None
    if kind == 1:
        return []
    if kind == 2:
        return {}
    if kind == 3:
        subtrees = [n for p, n in walk(doc) if p and _not_context(p)]
        return copy.deepcopy(ch.choice(subtrees))
    if kind == 4:
        return _some_id(doc, node)
    if kind == 5:
        return {"id": _some_id(doc, node), "type": copy.deepcopy(node.get("type"))}
    if kind == 6:
        return EXPIRED
    if kind == 7:
        return ch.choice(["_:b0", "2099-01-01T00:00:00Z", "urn:evil:x", "revocation"])
    return ch.json_value()


def m_add_key(doc: dict[str, Any], ch: Chooser) -> str:
    path, node = ch.choice([(p, n) for p, n in dict_nodes(doc) if _not_context(p)])
    pool = ch.choice([KEYWORDS, BLANK_KEYS, TERMS, IRI_KEYS])
    key = ch.choice(pool) if ch.integer(0, 5) else ch.text(10)
    value = _new_value(doc, node, ch)
    node[key] = value
    return f"add {key!r} at {list(path)}"


def m_hide(doc: dict[str, Any], ch: Chooser) -> str:
    """Move a member under a wrapper that JSON-LD merges back (or drops)."""
    candidates = [
        (p, n)
        for p, n in dict_nodes(doc)
        if _not_context(p) and any(not k.startswith("@") for k in n)
    ]
    path, node = ch.choice(candidates)
    name = ch.choice([k for k in node if not k.startswith("@")])
    value = node.pop(name)
    how = ch.integer(0, 7)
    if how == 0:
        node.setdefault("@nest", {})
        if not isinstance(node["@nest"], dict):
            raise InapplicableError("@nest taken")
        node["@nest"][name] = value
        return f"nest {name} at {list(path)}"
    if how == 1:
        node[CRED + name] = value
        return f"IRI key for {name} at {list(path)}"
    wrapper = ch.choice(["_:x", "@included", "evidence", "hidden", "@graph", "stash", "_:"])
    moved: dict[str, Any] = {}
    ident = node.get("id", node.get("@id"))
    if ident is not None:
        moved["id"] = ident
    if "type" in node:
        moved["type"] = copy.deepcopy(node["type"])
    moved[name] = value
    if wrapper in ("hidden", "stash"):
        ctx = {"hidden": "_:hidden"} if wrapper == "hidden" else {"@vocab": "_:"}
        doc["@context"] = [*_contexts(doc), ctx]
    node[wrapper] = [moved] if wrapper == "@included" else moved
    return f"hide {name} under {wrapper} at {list(path)}"


def _contexts(doc: dict[str, Any]) -> list[Any]:
    ctx = doc.get("@context", [])
    return list(ctx) if isinstance(ctx, list) else [ctx]


def m_context(doc: dict[str, Any], ch: Chooser) -> str:
    ctx = _contexts(doc)
    term = ch.choice(TERMS)
    options: list[Any] = [
        {"@vocab": "_:"},
        {"@vocab": "urn:x:"},
        {"@vocab": CRED},
        {term: "_:t"},
        {term: None},
        {term: {"@id": "https://attacker.example/v#" + term}},
        {term: {"@id": CRED + term, "@container": "@index"}},
        {term: {"@id": CRED + term, "@container": "@graph"}},
        {term: {"@id": CRED + term, "@type": "@json"}},
        {term: {"@reverse": CRED + "evidence"}},
        {"@import": ch.choice(SHIPPED)},
        {"@import": OB_EXTENSIONS, "1EdTechJsonSchemaValidator2019": "urn:evil:v"},
        {"@protected": False},
        {"@base": "https://attacker.example/"},
        {"@version": 1.1},
        {"@propagate": False},
        {"@language": "ar", "@direction": "rtl"},
        {"alias": "@nest"},
        {"alias": "@id"},
        {"alias": "@type"},
        {},
    ]
    how = ch.integer(0, 5)
    if how <= 2:
        ctx.insert(ch.integer(0, len(ctx)), ch.choice(options))
    elif how == 3 and ctx:
        ctx.pop(ch.integer(0, len(ctx) - 1))
    elif how == 4 and len(ctx) > 1:
        ctx.reverse()
    else:
        ctx.append(ch.choice(SHIPPED))
    doc["@context"] = ctx if len(ctx) != 1 or ch.boolean() else ctx[0]
    # a context in a nested node is legal JSON-LD too (a type-scoped place a reader skips)
    if how == 5 and ch.boolean():
        nodes = [(p, n) for p, n in dict_nodes(doc) if p and _not_context(p)]
        path, node = ch.choice(nodes)
        node["@context"] = ch.choice(options)
        return f"nested @context at {list(path)}"
    return f"@context edit ({how})"


def m_delete(doc: dict[str, Any], ch: Chooser) -> str:
    path, _ = ch.choice([(p, n) for p, n in walk(doc) if p])
    parent = get(doc, path[:-1])
    del parent[path[-1]]
    return f"delete {list(path)}"


def m_replace(doc: dict[str, Any], ch: Chooser) -> str:
    path, old = ch.choice([(p, n) for p, n in walk(doc) if p])
    how = ch.integer(0, 10)
    new: Any
    if how == 0:
        new = None
    elif how == 1:
        new = []
    elif how == 2:
        new = [old]
    elif how == 3 and isinstance(old, list) and len(old) == 1:
        new = old[0]
    elif how == 4:
        new = {"@value": old}
    elif how == 5 and isinstance(old, str):
        new = {"@id": old}
    elif how == 6:
        new = {"@set": [old]}
    elif how == 7:
        new = {"@list": [old] if not isinstance(old, list) else old}
    elif how == 8 and isinstance(old, str) and old.isdigit():
        new = int(old)
    elif how == 9 and isinstance(old, int | float) and not isinstance(old, bool):
        new = str(old)
    else:
        new = ch.json_value()
    put(doc, path, new)
    return f"replace {list(path)} ({how})"


def _odd_text(old: str, ch: Chooser) -> str:
    how = ch.integer(0, 8)
    if how == 0:
        return unicodedata.normalize(ch.choice(["NFD", "NFC", "NFKC", "NFKD"]), old)
    if how == 1:
        at = ch.integer(0, len(old))
        return old[:at] + ch.choice(ODD) + old[at:]
    if how == 2:
        homoglyphs = str.maketrans({"a": "а", "e": "е", "o": "о", "i": "і", "c": "с", "p": "р"})
        return old.translate(homoglyphs)
    if how == 3:
        return old.upper() if ch.boolean() else old.lower()
    if how == 4:
        return old + ch.choice([" ", "\n", "\t", "\x00", "Z"])
    if how == 5:
        return old * ch.integer(2, 2000)  # size blowup
    if how == 6 and old:
        i = ch.integer(0, len(old) - 1)
        return old[:i] + ch.text(3) + old[i + 1 :]
    if how == 7:
        return old.replace(":", "%3A", 1)
    return old.encode("utf-8").decode("latin-1")  # mojibake


def m_text(doc: dict[str, Any], ch: Chooser) -> str:
    strings = [(p, n) for p, n in walk(doc) if p and isinstance(n, str)]
    if ch.integer(0, 3) == 0:  # edit a key instead
        path, node = ch.choice([(p, n) for p, n in dict_nodes(doc) if n])
        key = ch.choice(list(node))
        node[_odd_text(key, ch)] = node.pop(key)
        return f"odd key at {list(path)}"
    path, old = ch.choice(strings)
    put(doc, path, _odd_text(old, ch))
    return f"odd text at {list(path)}"


def _proof_paths(doc: Any) -> list[Path]:
    return [
        p
        for p, n in walk(doc)
        if p
        and p[-1] != "@context"
        and isinstance(n, dict)
        and ("proofValue" in n or n.get("type") == "DataIntegrityProof")
    ]


def m_proof(doc: dict[str, Any], ch: Chooser) -> str:
    path = ch.choice(_proof_paths(doc))
    proof: dict[str, Any] = get(doc, path)
    how = ch.integer(0, 13)
    if how == 0:
        proof["type"] = ch.choice(["Ed25519Signature2020", "TrustMe2099", "DataIntegrityProof", ""])
    elif how == 1:
        proof["cryptosuite"] = ch.choice(["eddsa-jcs-2022", "eddsa-rdfc-2022", "x", None])
    elif how == 2:
        proof["proofPurpose"] = ch.choice(["authentication", "capabilityInvocation", ""])
    elif how == 3:
        proof["verificationMethod"] = ch.choice(
            [keys().attacker.id, proof.get("verificationMethod", "") + "x", "did:key:z6Mk"]
        )
    elif how == 4:
        proof["created"] = ch.choice(["2099-01-01T00:00:00Z", "yesterday", None])
    elif how == 5:
        proof["expires"] = ch.choice(["2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z"])
    elif how == 6:
        proof["@context"] = copy.deepcopy(doc.get("@context"))
    elif how == 7:
        proof.pop("proofValue", None)
    elif how == 8:
        value = proof.get("proofValue", "z")
        proof["proofValue"] = ch.choice(["u" + value[1:], value[:-1] + "1", value + "1", "z"])
    elif how == 9:
        parent = get(doc, path[:-1])
        twin = copy.deepcopy(proof)
        twin[ch.choice(["nonce", "domain", "challenge", "id"])] = "x"
        if not isinstance(parent, list):
            raise InapplicableError("proof is not a set")
        parent.append(twin)
    elif how == 10:
        holder = get(doc, path[:-2]) if len(path) >= 2 else doc
        if isinstance(holder, dict) and isinstance(holder.get("proof"), list):
            holder["proof"] = holder["proof"][0]
        else:
            raise InapplicableError("proof is an object")
    elif how == 11:
        proof[ch.choice(["foo", "_:x", "@index", CRED + "foo"])] = ch.json_value(1)
    elif how == 12:
        proof["previousProof"] = ch.choice(["urn:x", [proof.get("id", "urn:y")]])
    else:
        proof["id"] = ch.choice(["urn:uuid:1", "_:b0", ""])
    return f"proof edit {how} at {list(path)}"


def m_blowup(doc: dict[str, Any], ch: Chooser) -> str:
    lists = [(p, n) for p, n in walk(doc) if p and isinstance(n, list) and n and _not_context(p)]
    how = ch.integer(0, 2)
    if how == 0 and lists:
        path, items = ch.choice(lists)
        items.extend(copy.deepcopy(items[0]) for _ in range(ch.integer(1, 200)))
        return f"repeat {list(path)}"
    if how == 1:
        path, node = ch.choice([(p, n) for p, n in dict_nodes(doc) if _not_context(p)])
        deep: Any = "x"
        for _ in range(ch.integer(10, 70)):
            deep = {"name": deep} if ch.boolean() else [deep]
        node[ch.choice(["description", "name", "_:x"])] = deep
        return f"deep value at {list(path)}"
    path, node = ch.choice([(p, n) for p, n in dict_nodes(doc) if _not_context(p)])
    node["description"] = "é" * ch.integer(1000, 200_000)
    return f"long string at {list(path)}"


def m_reorder(doc: dict[str, Any], ch: Chooser) -> str:
    """Same JSON-LD, other JSON: reverse a member order or an unordered array."""
    path, node = ch.choice([(p, n) for p, n in walk(doc) if isinstance(n, dict | list) and n])
    if isinstance(node, dict):
        items = list(node.items())
        node.clear()
        node.update(reversed(items))
    elif "@context" not in path:
        node.reverse()
    else:
        raise InapplicableError("context order is meaningful")
    return f"reorder {list(path)}"


def m_types(doc: dict[str, Any], ch: Chooser) -> str:
    typed = [(p, n) for p, n in dict_nodes(doc) if "type" in n and _not_context(p)]
    path, node = ch.choice(typed)
    types = node["type"] if isinstance(node["type"], list) else [node["type"]]
    types = [t for t in types if isinstance(t, str)]
    how = ch.integer(0, 5)
    if how == 0 and len(types) > 1:
        types = types[1:]
    elif how == 1:
        types = [*types, ch.choice(["EvilCredential", "EndorsementCredential", "Evidence"])]
    elif how == 2:
        types = [CRED + t if not t.startswith("http") else t for t in types]
    elif how == 3:
        types = list(reversed(types))
    elif how == 4:
        types = [t.lower() for t in types]
    else:
        node["type"] = types[0] if len(types) == 1 else types
        return f"type shape at {list(path)}"
    node["type"] = types
    return f"types {how} at {list(path)}"


def m_merge(doc: dict[str, Any], ch: Chooser) -> str:
    """Copy a node that has an id into another property (JSON-LD merges it with the original)."""
    with_id = [(p, n) for p, n in dict_nodes(doc) if isinstance(n.get("id"), str) and p]
    _, node = ch.choice(with_id or [((), doc)])
    part = {k: copy.deepcopy(v) for k, v in node.items() if k in ("id", "type") or ch.boolean()}
    path, target = ch.choice([(p, n) for p, n in dict_nodes(doc) if _not_context(p)])
    prop = ch.choice(["evidence", "credentialSubject", "endorsement", "relatedResource", "_:x"])
    existing = target.get(prop)
    target[prop] = [*(existing if isinstance(existing, list) else [existing] if existing else [])]
    target[prop].append(part)
    return f"merge node {part.get('id')} into {prop} at {list(path)}"


MUTATIONS: list[tuple[str, Callable[[dict[str, Any], Chooser], str]]] = [
    ("add-key", m_add_key),
    ("hide", m_hide),
    ("context", m_context),
    ("delete", m_delete),
    ("replace", m_replace),
    ("text", m_text),
    ("proof", m_proof),
    ("blowup", m_blowup),
    ("reorder", m_reorder),
    ("types", m_types),
    ("merge", m_merge),
]


def mutate(doc: dict[str, Any], ch: Chooser, steps: int) -> list[str]:
    """Apply ``steps`` mutations to ``doc`` in place; return what was done."""
    done: list[str] = []
    for _ in range(steps):
        for _attempt in range(8):
            name, op = ch.choice(MUTATIONS)
            snapshot = copy.deepcopy(doc)
            try:
                done.append(f"{name}: {op(doc, ch)}")
                break
            except Exception:  # earlier steps left a shape this one cannot work on: another
                doc.clear()
                doc.update(snapshot)
    if not done:  # always change something
        doc["_:x"] = None
        done.append("add-key: '_:x' (fallback)")
    return done


# --- targets ---------------------------------------------------------------------------------


def norm(value: Any) -> Any:
    """JSON compared as JSON-LD reads it: arrays are sets (unordered, no repeats), a singleton
    is its member."""
    if isinstance(value, list):
        unique = {json.dumps(norm(v), sort_keys=True, ensure_ascii=False): norm(v) for v in value}
        items = [unique[k] for k in sorted(unique)]
        return items[0] if len(items) == 1 else items
    if isinstance(value, dict):
        if list(value) == ["@value"]:  # a value object with nothing else is its value
            return norm(value["@value"])
        # what a nested @context changes is the N-Quads oracle's to judge, not a field
        return {k: norm(v) for k, v in value.items() if k != "@context"}
    return value


def _proofs(doc: dict[str, Any]) -> Any:
    """The proofs, less what the suites themselves set: eddsa-rdfc-2022 and Ed25519Signature2020
    sign with the document's @context whatever a proof says (VC DI EdDSA §3.2.4), and an
    eddsa-jcs-2022 proof's copy of the document's @context is the one it signed (§3.3.5)."""
    raw = doc.get("proof")
    out = []
    for proof in raw if isinstance(raw, list) else [raw]:
        if isinstance(proof, dict) and "@context" in proof:
            jcs = proof.get("cryptosuite") == "eddsa-jcs-2022"
            if not jcs or _prefix(proof["@context"], doc.get("@context")):
                proof = {k: v for k, v in proof.items() if k != "@context"}
        if isinstance(proof, dict) and str(proof.get("id", "")).startswith("_:"):
            proof = {k: v for k, v in proof.items() if k != "id"}  # a blank node: no name at all
        out.append(proof)
    return norm(out)


def _prefix(short: Any, long: Any) -> bool:
    """eddsa-jcs-2022 §3.3.2: the document's @context starts with the proof's (contexts added
    after signing are not covered by the proof: the N-Quads oracle judges what they change)."""
    a = short if isinstance(short, list) else [short]
    b = long if isinstance(long, list) else [long]
    return a == b[: len(a)]


def _name(node: Any) -> Any:
    return node.get("name") if isinstance(node, dict) else None


def credential_fields(doc: Any) -> Any:
    """What a verifier reads from a credential (or presentation) as JSON, normalised."""
    if not isinstance(doc, dict):
        return repr(doc)
    issuer = doc.get("issuer")
    subjects = doc.get("credentialSubject")
    subject_fields: list[Any] = []
    for s in subjects if isinstance(subjects, list) else [subjects]:
        if not isinstance(s, dict):
            subject_fields.append(repr(s))
            continue
        achievement = s.get("achievement")
        subject_fields.append(
            {
                "id": s.get("id"),
                "name": s.get("name"),
                "achievement": None
                if not isinstance(achievement, dict)
                else {
                    "id": achievement.get("id"),
                    "name": achievement.get("name"),
                    "achievementType": achievement.get("achievementType"),
                    "endorsement": [
                        credential_fields(e) for e in _items(achievement.get("endorsement"))
                    ],
                },
                "registry": s.get("registry"),
                "encodedList": s.get("encodedList"),
                "statusPurpose": s.get("statusPurpose"),
                "type": s.get("type"),
            }
        )
    return norm(
        {
            "id": doc.get("id"),
            "type": doc.get("type"),
            "issuer": issuer.get("id") if isinstance(issuer, dict) else issuer,
            "issuer_name": _name(issuer),
            "issuer_endorsement": [
                credential_fields(e)
                for e in _items(issuer.get("endorsement") if isinstance(issuer, dict) else None)
            ],
            "validFrom": doc.get("validFrom"),
            "validUntil": doc.get("validUntil"),
            "issuanceDate": doc.get("issuanceDate"),
            "expirationDate": doc.get("expirationDate"),
            "credentialStatus": doc.get("credentialStatus"),
            "credentialSchema": doc.get("credentialSchema"),
            "endorsement": [credential_fields(e) for e in _items(doc.get("endorsement"))],
            "subject": subject_fields,
            "holder": doc.get("holder"),
            "verifiableCredential": [
                credential_fields(c) for c in _items(doc.get("verifiableCredential"))
            ],
            "proof": _proofs(doc),
        }
    )


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def trust_list_fields(doc: Any) -> Any:
    """A trust list as the verifier reads it for the lab: dates, signer, the lab's entry."""
    fields = credential_fields(doc)
    subject = doc.get("credentialSubject") if isinstance(doc, dict) else None
    registry = subject.get("registry") if isinstance(subject, dict) else None
    lab = keys().issuer.controller
    entry = registry.get(lab, "absent") if isinstance(registry, dict) else repr(registry)
    if isinstance(entry, dict):  # what credkit.verify.trust reads of an entry
        entry = {k: entry.get(k) for k in ("name", "location", "url")}
    if isinstance(fields, dict):
        fields = {**fields, "subject": None, "lab": norm(entry)}
    return fields


@dataclass
class Target:
    """A signed object to mutate, and how the verifier meets it."""

    name: str
    original: dict[str, Any]
    base_verdict: str  # the verdict of the unmutated object in this setting
    verify: Callable[[dict[str, Any]], Any] = field(repr=False)
    fields: Callable[[Any], Any] = field(default=credential_fields, repr=False)

    def js_documents(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        """What the JS reference checks (its proofs, in safe mode) for a mutant."""
        if "VerifiablePresentation" in _items(doc.get("type")):
            return [c for c in _items(doc.get("verifiableCredential")) if isinstance(c, dict)]
        return [doc]


def _fetcher(lists: dict[str, dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    from credkit.errors import StatusRetrievalError

    def fetch(url: str) -> dict[str, Any]:
        if url not in lists:
            raise StatusRetrievalError(f"{url}: no such list here")
        return copy.deepcopy(lists[url])

    return fetch


def _verifier(
    *, lists: dict[str, dict[str, Any]] | None = None, trust: Any = "lab", strict: bool = False
) -> Any:
    from credkit.verify import Verifier
    from credkit.verify.trust import TrustRegistry

    registry = TrustRegistry.of([keys().issuer.controller], name="lab") if trust == "lab" else trust
    return Verifier(
        status_fetcher=_fetcher(corpus().status_lists if lists is None else lists),
        trust=registry,
        strict=strict,
    )


def _with_list(url: str, doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {**corpus().status_lists, url: doc}


def _with_trust_list(doc: dict[str, Any]) -> Any:
    from credkit.verify.trust import TrustRegistry, parse_json

    anchor = keys().accreditor.controller
    try:
        listed = parse_json(copy.deepcopy(doc), name="mutated list", anchors=[anchor])
    except Exception as exc:  # an unreadable list: the CLI stops before verifying anything
        raise InapplicableError(f"trust list refused when read: {exc}") from None
    try:
        return TrustRegistry([listed], anchors=[anchor])
    except TypeError:  # a TrustRegistry without anchors= (before issue 13)
        return TrustRegistry([listed])


@cache
def targets() -> tuple[Target, ...]:
    """Every target, built once (signing is deterministic: the same bytes every run)."""
    k = keys()
    lab_diploma = diploma(1, status=CLEAR)
    revoked = diploma(1, status=REVOKED)
    status_list = corpus().status_lists[LAB_REVOCATION]
    honest_list = trust_list(
        {keys().issuer.controller: {"name": "Reelbridge Post Lab", "location": "Mumbai"}}
    )
    attacker_diploma = signed(build(4, issuer=k.attacker, status=None), k.attacker)

    def credential(doc: dict[str, Any]) -> Any:
        return _verifier().verify_credential(doc)

    def vp(doc: dict[str, Any]) -> Any:
        return _verifier().verify_presentation(doc, challenge=CHALLENGE, domain=DOMAIN)

    def listed(diploma_doc: dict[str, Any]) -> Callable[[dict[str, Any]], Any]:
        def run(doc: dict[str, Any]) -> Any:
            return _verifier(lists=_with_list(LAB_REVOCATION, doc)).verify_credential(
                copy.deepcopy(diploma_doc)
            )

        return run

    def trusted(diploma_doc: dict[str, Any]) -> Callable[[dict[str, Any]], Any]:
        def run(doc: dict[str, Any]) -> Any:
            return _verifier(trust=_with_trust_list(doc)).verify_credential(
                copy.deepcopy(diploma_doc)
            )

        return run

    return (
        Target("diploma-rdfc", lab_diploma, VERIFIED, credential),
        Target(
            "diploma-jcs",
            signed(build(2, status=CLEAR), suite="eddsa-jcs-2022"),
            VERIFIED,
            credential,
        ),
        Target(
            "diploma-ed25519-2020",
            signed(build(3, status=CLEAR), suite="Ed25519Signature2020"),
            VERIFIED,
            credential,
        ),
        Target(
            "diploma-expired",
            signed(build(1, status=CLEAR, valid_until=EXPIRED)),
            "not verified",
            credential,
        ),
        Target("diploma-revoked", revoked, "not verified", credential),
        Target(
            "diploma-endorsed",
            endorsed_diploma(endorsement(ident="5"), n=2),
            VERIFIED,
            credential,
        ),
        Target("presentation", presentation(lab_diploma), VERIFIED, vp),
        Target("status-list", status_list, VERIFIED, listed(lab_diploma)),
        Target("status-list-revoked", status_list, "not verified", listed(revoked)),
        Target("trust-list", honest_list, VERIFIED, trusted(lab_diploma), fields=trust_list_fields),
        Target(
            "trust-list-attacker",
            honest_list,
            "not verified",
            trusted(attacker_diploma),
            fields=trust_list_fields,
        ),
    )


@dataclass
class Mutant:
    target: Target
    document: dict[str, Any]
    steps: list[str]

    def dumps(self) -> str:
        return json.dumps(self.document, ensure_ascii=False, sort_keys=True)


def make_mutant(ch: Chooser, max_steps: int = 3) -> Mutant:
    target = ch.choice(targets())
    doc = copy.deepcopy(target.original)
    steps = mutate(doc, ch, ch.integer(1, max_steps))
    return Mutant(target, doc, steps)


@dataclass
class Outcome:
    """A mutant's verdict and, when credkit verified it, whether that is already a finding."""

    verdict: str
    finding: str | None = None  # set when no oracle is needed to see it is wrong
    needs_oracle: bool = False


def judge(mutant: Mutant) -> Outcome:
    """Verify ``mutant``; a verdict of "verified" is a finding unless the mutant still says
    exactly what was signed: the base object verified, and every field the verifier reads is
    unchanged (the canonical N-Quads are the oracle's to compare, see :mod:`.oracle`)."""
    try:
        result = mutant.target.verify(copy.deepcopy(mutant.document))
    except InapplicableError:
        return Outcome("unusable")
    verdict: str = result.verdict
    if verdict != VERIFIED:
        return Outcome(verdict)
    target = mutant.target
    if target.base_verdict != VERIFIED:
        return Outcome(
            verdict,
            f"{target.name}: the unmutated object is '{target.base_verdict}', the mutant verified",
        )
    before, after = target.fields(target.original), target.fields(mutant.document)
    if before != after:
        changed = sorted(
            k
            for k in set(before) | set(after)
            if isinstance(before, dict)
            and isinstance(after, dict)
            and before.get(k) != after.get(k)
        )
        return Outcome(
            verdict, f"{target.name}: verified, but the JSON it reads changed: {changed}"
        )
    return Outcome(verdict, None, needs_oracle=True)
