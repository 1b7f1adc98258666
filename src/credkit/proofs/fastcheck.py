"""Stock-vs-fast differential check of credkit's canonicalization (the accelerator's self-test).

:mod:`credkit.jsonld.fastld` may only ever return what stock pyld returns. This module generates
Open
Badges 3.0 diplomas from a seed -- hostile Unicode, odd identifiers, shape changes, numbers,
language values, embedded endorsements with their own ``@context``, undefined terms, inline
contexts -- and canonicalizes each one both ways, comparing the N-Quads byte for byte, or the
error (type and message) when there is one. It also tampers one leaf of each document that
canonicalized and checks the result differs from the original's. The CI test and
``benchmarks/bench_fast.py --long`` both run it.
"""

from __future__ import annotations

import copy
import random
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import rfc8785

from credkit.jsonld import fastld, rdfc, shapes
from credkit.jsonld.contexts import OB_V3P0, UNDEFINED_TERMS_V2, VC_V2
from credkit.proofs.suites import fastjcs

OB = "https://purl.imsglobal.org/spec/ob/v3p0/"
_NAMES = [
    "Ada Lovelace",
    "José Martí",
    "Nguyễn Thị Minh Khai",
    unicodedata.normalize("NFD", "Nguyễn Thị Minh Khai"),
    "محمد بن موسى الخوارزمي",
    "\u202eevil\u202c name",  # right-to-left override
    "zero\u200bwidth\u200djoin",
    "각",  # conjoining jamo
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🎓👩🏽‍🎓",
    'quote " back \\ slash',
    "new\nline\ttab\r",
    "nul\x00bell\x07del\x7f",
    "form\x0cfeed\x08back\x0bvt\x01soh\x1fus",  # canonical N-Quads: \f \b and \uXXXX escapes
    "\uff01\U0001f600\ue000",  # UTF-16 order differs from code point order (credkit.jsonld.nquads)
    "",
    " ",
    "@context",
    "@id",
    "_:b0",
    "https://not-a-name.example/",
    "a" * 300,
]
_IDS = [
    "https://ex.example/achievements/1",
    "urn:uuid:6f1c2b0e-8d3a-4c52-9b7e-1f0a2d4c6e81",
    "tag:example.com,2026:diploma/7",
    "did:example:123#key-1",
    "_:b0",
    "_:c14n0",
    "_:x",
    "relative/path",
    "#frag",
    "https://ex.example/with space",
    "https://ex.example/ünï",
    "@id",
    "@foo",
    "mailto:registrar@ex.example",
    "http://ex.example/?q=a&b=%20",
    "",
]
_NUMBERS: list[Any] = [0, 1, -1, 120, 120.0, 3.5, -0.0, 1e21, 1e-7, 2**53, 2**53 + 1, 0.1, True]
_LANGS = ["en", "EN-nz", "fr-CA", "zh-Hant-TW", "x-klingon", "not a tag", ""]


def _pick(rng: random.Random, items: list[Any]) -> Any:
    return items[rng.randrange(len(items))]


def _text(rng: random.Random) -> Any:
    """A string, sometimes a language value object (``@direction`` too)."""
    name = _pick(rng, _NAMES)
    roll = rng.random()
    if roll < 0.1:
        return {"@value": name, "@language": _pick(rng, _LANGS)}
    if roll < 0.13:
        return {"@value": name, "@language": "ar", "@direction": _pick(rng, ["rtl", "ltr"])}
    if roll < 0.15:
        return [name, {"@value": name, "@language": "en"}]
    return name


def _maybe_list(rng: random.Random, value: Any) -> Any:
    return [value] if rng.random() < 0.5 else value


def _an_id(rng: random.Random, good: str) -> str:
    return good if rng.random() < 0.96 else _pick(rng, _IDS)


def _profile(rng: random.Random, ident: str) -> dict[str, Any]:
    p: dict[str, Any] = {"id": ident, "type": _maybe_list(rng, "Profile"), "name": _text(rng)}
    if rng.random() < 0.4:
        p["url"] = _pick(rng, ["https://ex.example", "relative", "https://ex.example/a b"])
    if rng.random() < 0.3:
        p["address"] = {
            "type": _maybe_list(rng, "Address"),
            "addressCountry": _text(rng),
            "postalCode": _pick(rng, ["40210", "", "٤٠٢١٠"]),
        }
    return p


def _alignment(rng: random.Random, i: int) -> dict[str, Any]:
    a: dict[str, Any] = {
        "type": _maybe_list(rng, "Alignment"),
        "targetName": _text(rng),
        "targetUrl": _an_id(rng, f"https://ex.example/framework/{i}"),
    }
    if rng.random() < 0.3:
        a["targetType"] = _pick(rng, ["CFItem", "ceasn:Competency", "ext:Custom"])
    return a


def _result(rng: random.Random) -> dict[str, Any]:
    r: dict[str, Any] = {"type": _maybe_list(rng, "Result")}
    if rng.random() < 0.7:
        r["value"] = _pick(rng, ["3.6", "A+", "", "١٠٠"])
    if rng.random() < 0.5:
        r["status"] = _pick(rng, ["Completed", "Enrolled"])
    if rng.random() < 0.2:
        r["achievedLevel"] = _an_id(rng, "https://ex.example/levels/1")
    return r


def _endorsement(rng: random.Random, issuer: str, depth: int) -> dict[str, Any]:
    """An embedded EndorsementCredential with its own ``@context`` (processed mid-document)."""
    e: dict[str, Any] = {
        "@context": [VC_V2, OB_V3P0],
        "id": _an_id(rng, f"urn:uuid:e{rng.randrange(10**6)}"),
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "issuer": _profile(rng, _an_id(rng, "did:example:endorser")),
        "validFrom": _pick(rng, ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00+02:00", "bad"]),
        "credentialSubject": {
            "id": _an_id(rng, issuer),
            "type": _maybe_list(rng, "EndorsementSubject"),
            "endorsementComment": _text(rng),
        },
    }
    if rng.random() < 0.15:
        e["@context"] = _maybe_list(rng, VC_V2)  # OB terms now undefined inside: must error
    if depth < 2 and rng.random() < 0.2:
        e["credentialSubject"]["endorsement"] = [_endorsement(rng, issuer, depth + 1)]
    if rng.random() < 0.1:  # a signed endorsement: proof is an @graph container
        e["proof"] = {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": "2026-01-01T00:00:00Z",
            "verificationMethod": "did:example:endorser#key-1",
            "proofPurpose": "assertionMethod",
            "proofValue": "z3FXQ",
        }
    return e


def diploma(rng: random.Random) -> dict[str, Any]:
    """One generated OB 3.0 diploma (valid most of the time, hostile some of the time)."""
    issuer = _an_id(rng, f"did:key:z6Mk{rng.randrange(10**9):09d}")
    ach_id = _an_id(rng, f"https://ex.example/achievements/{rng.randrange(50)}")
    achievement: dict[str, Any] = {
        "id": ach_id,
        "type": _maybe_list(rng, "Achievement"),
        "achievementType": _pick(rng, ["Diploma", "Certificate", "ext:Custom", ""]),
        "name": _text(rng),
        "description": _text(rng),
        "criteria": {"narrative": _text(rng)},
    }
    if rng.random() < 0.5:
        achievement["criteria"]["id"] = _an_id(rng, ach_id + "/criteria")
    if rng.random() < 0.4:
        achievement["creditsAvailable"] = _pick(rng, _NUMBERS)
    if rng.random() < 0.4:
        achievement["tag"] = _maybe_list(rng, _text(rng))
    if rng.random() < 0.4:
        achievement["alignment"] = _maybe_list(rng, _alignment(rng, 0))
        if rng.random() < 0.5:
            achievement["alignment"] = [_alignment(rng, i) for i in range(rng.randrange(1, 5))]
    if rng.random() < 0.3:
        achievement["resultDescription"] = [
            {
                "id": _an_id(rng, f"{ach_id}/results/{i}"),
                "type": _maybe_list(rng, "ResultDescription"),
                "name": _text(rng),
                "resultType": _pick(rng, ["GradePointAverage", "LetterGrade", "ext:X"]),
            }
            for i in range(rng.randrange(1, 3))
        ]
    if rng.random() < 0.3:
        achievement["image"] = _maybe_list(
            rng,
            {"id": _an_id(rng, "https://ex.example/i.png"), "type": "Image", "caption": _text(rng)},
        )
    if rng.random() < 0.2:
        achievement["creator"] = _profile(rng, _an_id(rng, "https://ex.example"))
    if rng.random() < 0.2:
        achievement["endorsement"] = [
            _endorsement(rng, issuer, 0) for _ in range(rng.randrange(1, 3))
        ]
    subject: dict[str, Any] = {
        "type": _maybe_list(rng, "AchievementSubject"),
        "achievement": achievement,
    }
    if rng.random() < 0.5:
        subject["id"] = _an_id(rng, f"did:example:learner{rng.randrange(10**6)}")
    if rng.random() < 0.6:
        subject["identifier"] = _maybe_list(
            rng,
            {
                "type": "IdentityObject",
                "identityHash": f"sha256${rng.randrange(16**16):016x}",
                "identityType": _pick(rng, ["emailAddress", "sourcedId", "ext:Other"]),
                "hashed": _pick(rng, [True, False, "true", 1]),
                "salt": _pick(rng, _NAMES),
            },
        )
    if rng.random() < 0.5:
        subject["creditsEarned"] = _pick(rng, _NUMBERS)
    if rng.random() < 0.4:
        subject["result"] = [_result(rng) for _ in range(rng.randrange(1, 4))]
    if rng.random() < 0.3:
        subject["activityStartDate"] = _pick(rng, ["2025-07-01", "2025-07-01T00:00:00Z", "x"])
    doc: dict[str, Any] = {
        "@context": [VC_V2, OB_V3P0],
        "id": _an_id(rng, f"urn:uuid:{rng.randrange(16**32):032x}"),
        "type": _pick(
            rng,
            [
                ["VerifiableCredential", "OpenBadgeCredential"],
                ["VerifiableCredential", "AchievementCredential"],
                ["OpenBadgeCredential", "VerifiableCredential"],
                "VerifiableCredential",
            ],
        ),
        "name": _text(rng),
        "issuer": _profile(rng, issuer) if rng.random() < 0.7 else issuer,
        "validFrom": _pick(rng, ["2026-06-30T00:00:00Z", "2026-06-30T00:00:00.123+13:00"]),
        "credentialSubject": _maybe_list(rng, subject),
    }
    if rng.random() < 0.3:
        doc["credentialStatus"] = {
            "id": _an_id(rng, "https://ex.example/status/1#42"),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": _pick(rng, ["42", 42]),
            "statusListCredential": _an_id(rng, "https://ex.example/status/1"),
        }
    if rng.random() < 0.3:
        doc["credentialSchema"] = [
            {
                "id": OB + "schema/json/ob_v3p0_achievementcredential_schema.json",
                "type": _pick(rng, ["JsonSchema", "1EdTechJsonSchemaValidator2019"]),
            }
        ]
    _hostile(rng, doc)
    return doc


def _nodes(value: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            out.append(item)
            stack.extend(v for k, v in item.items() if k != "@context")
        elif isinstance(item, list):
            stack.extend(item)
    return out


def _hostile(rng: random.Random, doc: dict[str, Any]) -> None:
    """Now and then: undefined terms, @-keys, inline or extra contexts, @vocab, @json, nulls."""
    nodes = [n for n in _nodes(doc) if "@value" not in n]
    roll = rng.random()
    if roll < 0.05:
        _pick(rng, nodes)["undefinedTerm"] = "x"  # DataLossError
    elif roll < 0.08:
        _pick(rng, nodes)["@foo"] = "reserved-looking key"
    elif roll < 0.11:
        doc["@context"] = [*doc["@context"], UNDEFINED_TERMS_V2]  # @vocab: undefined ok now
        _pick(rng, nodes)["undefinedTerm"] = _text(rng)
    elif roll < 0.14:
        doc["@context"] = [*doc["@context"], {"ex": "https://ex.example/ns#"}]
        _pick(rng, nodes)["ex:extra"] = _pick(rng, _NUMBERS + _NAMES)
    elif roll < 0.16:
        doc["@context"] = [
            *doc["@context"],
            {"@version": _pick(rng, [1.1, 1, True]), "note": {"@id": "ex:n", "@type": "@json"}},
        ]
        doc["note"] = {"b": [1, 2.5, None], "a": "x"}
    elif roll < 0.18:
        doc["@context"] = [*doc["@context"], {"name": "https://override.example/name"}]
    elif roll < 0.20:
        doc["@context"] = [*doc["@context"], {"@protected": _pick(rng, [True, 1]), "zz": "@id"}]
    elif roll < 0.22:
        _pick(rng, nodes)["name"] = None
    elif roll < 0.24:
        doc["@context"] = list(reversed(doc["@context"]))
    elif roll < 0.25:
        doc["@context"] = [VC_V2, "https://unknown.example/context"]
    elif roll < 0.26:
        doc["@context"] = [*doc["@context"], {"@import": OB_V3P0}]
    elif roll < 0.27:
        doc["@context"] = [*doc["@context"], {"@foo": "x", "t": {"@id": "@bar"}}]


def proof_config(rng: random.Random, document: dict[str, Any]) -> dict[str, Any]:
    """An eddsa-rdfc-2022 proof configuration, as the suite canonicalizes it."""
    config: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": _pick(rng, ["2026-11-23T00:00:00Z", "2026-11-23T00:00:01Z"]),
        "verificationMethod": "did:key:z6Mkexample#z6Mkexample",
        "proofPurpose": _pick(rng, ["assertionMethod", "authentication"]),
    }
    if rng.random() < 0.2:
        config["challenge"] = _pick(rng, _NAMES)
    config["@context"] = document.get("@context")
    return config


# --- tampering --------------------------------------------------------------------------------


def tamper(rng: random.Random, document: dict[str, Any]) -> dict[str, Any] | None:
    """A copy with one leaf value changed (string, number or boolean); None if it has none."""
    leaves: list[tuple[Any, Any]] = []
    stack: list[Any] = [document]
    while stack:
        item = stack.pop()
        pairs = (
            item.items()
            if isinstance(item, dict)
            else enumerate(item)
            if isinstance(item, list)
            else ()
        )
        for k, v in pairs:
            if k == "@context" or k == "type" or k == "@type":
                continue
            if isinstance(v, dict | list):
                stack.append(v)
            elif isinstance(v, int | float) or (isinstance(v, str) and not v.startswith("_:")):
                # (a blank-node label is no content: renaming one may rightly change nothing)
                leaves.append((item, k))
    if not leaves:
        return None
    copied = copy.deepcopy(document)
    # find the same leaf in the copy by walking the same path: simpler to re-collect by identity
    index = rng.randrange(len(leaves))
    target_parent, target_key = leaves[index]
    path = _path_to(document, target_parent)
    parent = copied
    for step in path:
        parent = parent[step]
    value = parent[target_key]
    if isinstance(value, bool):
        parent[target_key] = not value
    elif isinstance(value, int | float):
        # (beyond 2^52 a double cannot tell n from n + 1, and xsd:float values become doubles)
        parent[target_key] = value + 1 if abs(value) < 2**52 else value / 2
    else:
        parent[target_key] = value + "\u00e9"
    return copied


def _path_to(root: Any, target: Any) -> list[Any]:
    stack: list[tuple[Any, list[Any]]] = [(root, [])]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if isinstance(node, dict):
            stack.extend((v, [*path, k]) for k, v in node.items() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, [*path, i]) for i, v in enumerate(node) if isinstance(v, dict | list))
    raise LookupError("leaf parent not found")


# --- the differential run ----------------------------------------------------------------------


@dataclass
class Report:
    documents: int = 0
    canonicalized: int = 0
    errors: int = 0
    configs: int = 0
    jcs: int = 0
    tampered: int = 0
    mismatches: list[str] = field(default_factory=list)
    tamper_collisions: list[str] = field(default_factory=list)  # fast only: a fast-path bug
    stock_collisions: list[str] = field(default_factory=list)  # stock too: a safe-mode hole
    error_kinds: Counter[str] = field(default_factory=Counter)
    stats: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


_KEYS = ["a", "b", "A", "é", "\ue000", "😀", "\ud7ff", "\uffff", "", " ", "\x00", "10", "1"]
_STRINGS = [*_NAMES, "\ud800", "\x7f\u2028\u2029", "\\u0000", "</script>"]
_SCALARS: list[Any] = [
    *_NUMBERS,
    None,
    False,
    2**53 - 1,
    -(2**53) + 1,
    2**53,
    1e300,
    5e-324,
    1e-6,
    1e-7,
    123e-20,
]


def _json_value(rng: random.Random, depth: int) -> Any:
    """Arbitrary JSON for the JCS comparison: key order traps, escapes, numbers at the edges."""
    roll = rng.random()
    if depth < 4 and roll < 0.3:
        return {
            _pick(rng, _KEYS) + _pick(rng, _KEYS): _json_value(rng, depth + 1)
            for _ in range(rng.randrange(6))
        }
    if depth < 4 and roll < 0.45:
        return [_json_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if roll < 0.75:
        return _pick(rng, _STRINGS)
    return _pick(rng, _SCALARS)


def _outcome(fn: Callable[[Any], str | bytes], document: Any) -> tuple[str, str | bytes]:
    try:
        return ("ok", fn(document))
    except Exception as exc:  # compared, not handled
        return (type(exc).__name__, str(exc))


def run(
    count: int,
    seed: int = 0,
    *,
    tamper_every: int = 1,
    config_every: int = 4,
    budget_s: float | None = None,
) -> Report:
    """Canonicalize ``count`` generated documents fast and stock; collect every difference."""
    rng = random.Random(seed)
    report = Report()
    before = Counter(fastld.STATS)
    start = time.perf_counter()
    for i in range(count):
        if budget_s is not None and time.perf_counter() - start > budget_s:
            break
        doc = diploma(rng)
        report.documents += 1
        for value in (doc, _json_value(rng, 0)):
            report.jcs += 1
            if _outcome(fastjcs.dumps, value) != _outcome(rfc8785.dumps, value):
                report.mismatches.append(f"seed={seed} jcs#{i}: {value!r:.300}")
        first_stock = i % 2 == 1  # alternate, so no side's caches are always warmed by the other
        if first_stock:
            with fastld.stock():
                slow = _outcome(rdfc.canonicalize, doc)
            fast = _outcome(rdfc.canonicalize, doc)
        else:
            fast = _outcome(rdfc.canonicalize, doc)
            with fastld.stock():
                slow = _outcome(rdfc.canonicalize, doc)
        if fast != slow:
            report.mismatches.append(f"seed={seed} doc#{i}: fast={fast!r:.300} stock={slow!r:.300}")
        if fast[0] != "ok":
            report.errors += 1
            report.error_kinds[fast[0]] += 1
            continue
        report.canonicalized += 1
        if config_every and i % config_every == 0:
            config = proof_config(rng, doc)
            report.configs += 1
            got = _outcome(rdfc.canonicalize_repeated, config)
            with fastld.stock():
                want = _outcome(rdfc.canonicalize, config)
            if got != want:
                report.mismatches.append(f"seed={seed} config#{i}: {got!r:.200} != {want!r:.200}")
        if tamper_every and i % tamper_every == 0:
            changed = tamper(rng, doc)
            if changed is not None:
                report.tampered += 1
                t_fast = _outcome(rdfc.canonicalize, changed)
                if t_fast == fast:
                    with fastld.stock():
                        t_stock = _outcome(rdfc.canonicalize, changed)
                    where = report.stock_collisions if t_stock == slow else report.tamper_collisions
                    where.append(f"seed={seed} doc#{i}")
                if i % (4 * tamper_every) == 0:  # same-shape documents: stock must agree too
                    with fastld.stock():
                        t_slow = _outcome(rdfc.canonicalize, changed)
                    if t_fast != t_slow:
                        report.mismatches.append(
                            f"seed={seed} tampered#{i}: fast={t_fast!r:.300} stock={t_slow!r:.300}"
                        )
    report.seconds = time.perf_counter() - start
    report.stats = Counter(fastld.STATS)
    report.stats.subtract(before)
    return report


# --- shape compilation (credkit.jsonld.shapes)
# ----------------------------------------------------------

# IRI-safe characters (a varied IRI keeps its kind) and text that is not (a kind of its own).
_IRI_PIECES = ["a", "Z", "9", "-", ".", "_", "~", "%20", "#f", "?q=1", "/", "ü", "😀", ":", "@"]
_TEXT_PIECES = [
    *_IRI_PIECES,
    *('"', "\\", "\n", "\t", "\r", " ", "\u202e", "\x00", "<", ">", "`"),
    *("\x0c", "\x08", "\x01", "\x7f", "\uff01", "\U0001f600"),  # escaped and reordered in N-Quads
]
_KEEP = frozenset({"@context", "type", "@type", "@language", "@direction", "@index"})


def _same_kind(rng: random.Random, value: str) -> str:
    """A new string of ``value``'s kind (credkit.jsonld.shapes): IRI scheme, plain or unsafe
    text."""
    if value[:1] == "@" or value[:2] == "_:" or not value:
        return value
    colon = value.find(":")
    safe = not any(c in value for c in ' "\\\n\t\r<>`\x00\u202e\x0c\x08\x01\x7f')
    if colon > 0 and safe:  # keep scheme and "//"
        head = value[: colon + 1] + ("//" if value.startswith("//", colon + 1) else "")
        return head + "".join(_pick(rng, _IRI_PIECES) for _ in range(rng.randrange(1, 12)))
    if colon >= 0:
        return value
    pieces = [p for p in _IRI_PIECES if p not in (":", "@")] if safe else _TEXT_PIECES
    text = "x" + "".join(_pick(rng, pieces) for _ in range(rng.randrange(0, 15)))
    return text if safe else text + " "


def _strings(value: Any, out: list[str]) -> list[str]:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in _KEEP:
                _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)
    return out


def reroll(rng: random.Random, value: Any, pool: list[str], rate: float = 0.3) -> Any:
    """A same-structure copy of ``value``, its strings varied (types and contexts kept): equal
    strings stay equal (one graduate's id wherever it appears), most keep their kind, and now and
    then one string takes another's value or a hostile one (a new shape)."""
    chosen: dict[str, str] = {}
    odd = rng.random() < 0.3
    odd_at = rng.randrange(max(1, len(pool)))
    seen = 0

    def walk(item: Any) -> Any:
        nonlocal seen
        if isinstance(item, str):
            seen += 1
            if odd and seen == odd_at + 1:
                return str(_pick(rng, pool + _NAMES + _IDS))
            if item not in chosen:
                chosen[item] = _same_kind(rng, item) if rng.random() < rate else item
            return chosen[item]
        if isinstance(item, dict):
            return {k: (v if k in _KEEP else walk(v)) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    return walk(value)


def _compiled_and_stock(
    report: Report, doc: Any, label: str
) -> tuple[tuple[str, str | bytes], tuple[str, str | bytes]]:
    """Canonicalize ``doc`` from compiled shapes and stock; a difference is a mismatch."""
    fast = _outcome(shapes.canonicalize_for_signing, doc)
    with fastld.stock():
        slow = _outcome(rdfc.canonicalize, doc)
    if fast != slow:
        report.mismatches.append(
            f"{label}: fast={fast!r:.300} stock={slow!r:.300} doc={doc!r:.2000}"
        )
    return fast, slow


def run_shapes(count: int, seed: int = 0, *, family: int = 10, tamper_every: int = 4) -> Report:
    """Shape-compiled canonicalization against stock pyld on ``count`` same-shape documents.

    Documents come in families: a generated diploma and ``family - 1`` copies with their strings
    varied (mostly keeping each string's kind, so most are shape hits). Every document, and every
    ``tamper_every``-th one tampered, is compared byte for byte (or error for error) with stock.
    """
    rng = random.Random(seed)
    report = Report()
    before = Counter(shapes.STATS)
    start = time.perf_counter()
    while report.documents < count:
        base = diploma(rng)
        pool = _strings(base, [])
        rate = _pick(rng, [0.05, 0.3, 0.8])
        for j in range(min(family, count - report.documents)):
            doc = base if j == 0 else reroll(rng, base, pool, rate)
            i = report.documents
            report.documents += 1
            fast, slow = _compiled_and_stock(report, doc, f"seed={seed} shape#{i}")
            if fast[0] != "ok":
                report.errors += 1
                report.error_kinds[fast[0]] += 1
                continue
            report.canonicalized += 1
            changed = tamper(rng, doc) if tamper_every and i % tamper_every == 0 else None
            if changed is not None:
                report.tampered += 1
                t_fast, t_slow = _compiled_and_stock(report, changed, f"seed={seed} tampered#{i}")
                if t_fast == fast:
                    where = report.stock_collisions if t_slow == slow else report.tamper_collisions
                    where.append(f"seed={seed} shape#{i}")
    report.seconds = time.perf_counter() - start
    report.stats = Counter(shapes.STATS)
    report.stats.subtract(before)
    return report
