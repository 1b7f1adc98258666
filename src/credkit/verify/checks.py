"""The verifier's document-level checks: reading input safely, well-formedness, dates, schema.

These need no keys and no network. Each returns a :class:`Check`; none raises except
:func:`load_document`, whose :class:`ParsingError`/:class:`ContextError` mean "unusable input".
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta
from typing import Any

from credkit.errors import ContextError, MalformedValueError, ParsingError
from credkit.jsonld.contexts import VC_V1, VC_V2, DocumentLoader, context_sites
from credkit.model import schema_check
from credkit.proofs.dataintegrity import parse_datetime
from credkit.proofs.suites.base import DATETIME
from credkit.status import MAX_CLOCK_SKEW
from credkit.verify import related
from credkit.verify.result import Check, problem

_BRACKETS = re.compile(r"[\[\]{}]")
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$")
MAX_SAFE_INTEGER = 2**53 - 1  # I-JSON (RFC 7493 §2.2): beyond this, implementations disagree
# Work bounds (issue 14, docs/verification.md "Limits"): JSON-LD expansion and canonicalization
# are quadratic in the values of one property (5,000 strings in one array took 11 s), so the
# shape is bounded before any JSON-LD runs. Real diplomas are far below: the OB 3.0 full example
# with its endorsement has 545 values, no array over 31 entries and no object over 24 names.
# Objects sharing one ``id`` merge into one node, so the values of a property can add up across
# arrays: the total is what bounds the worst case (5,000 values: about 13 s; see the docs).
MAX_NODES = 5_000  # JSON values of any kind (objects, arrays, strings, numbers, ...)
MAX_ARRAY = 256  # entries in one array
MAX_KEYS = 256  # names in one object

OB_TYPES = {"OpenBadgeCredential", "AchievementCredential"}
SCHEMA_TYPES = {"1EdTechJsonSchemaValidator2019", "JsonSchema", "JsonSchemaValidator2019"}
# VC DM 2.0 §4.x: these properties hold objects (or sets of objects) that each need a ``type``
TYPED_PROPERTIES = (
    "credentialStatus",
    "credentialSchema",
    "evidence",
    "termsOfUse",
    "refreshService",
)


# --- reading input ---------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (RFC 8259 §6)")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose names are unique (I-JSON, RFC 7493 §2.3: MUST NOT repeat a name).

    With a repeated name Python and JavaScript keep the last value and other tools the first, so
    the same signed bytes would show different diplomas; the input is refused instead.
    """
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the name {key!r} appears twice in one object (RFC 7493 §2.3)")
        out[key] = value
    return out


def json_text_depth(text: str | bytes) -> int:
    """Nesting depth of JSON text, counted before parsing so deep input cannot recurse.

    Strings are cut out with ``replace`` and ``split`` (escaped backslashes first, then escaped
    quotes; every other piece is then outside strings), not with a regular expression: a pattern
    for a JSON string backtracks per character and held 1.3 GB for one 10 MB string.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    outside = "".join(text.replace("\\\\", "").replace('\\"', "").split('"')[::2])
    depth = deepest = 0
    for bracket in _BRACKETS.findall(outside):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _value_depth(value: Any, limit: int) -> int:
    """Nesting depth of parsed data, iteratively, stopping past ``limit`` (so cycles end)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def check_shape(
    document: Any, max_nodes: int = MAX_NODES, max_array: int = MAX_ARRAY, max_keys: int = MAX_KEYS
) -> None:
    """Refuse more values, array entries or object names than the limits (iteratively)."""
    nodes = 0
    stack: list[Any] = [document]
    while stack:
        item = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise ParsingError(f"input has more than {max_nodes} JSON values (the limit)")
        if isinstance(item, list):
            if len(item) > max_array:
                raise ParsingError(
                    f"input has an array of {len(item)} entries, over the {max_array}-entry limit"
                )
            stack.extend(item)
        elif isinstance(item, dict):
            if len(item) > max_keys:
                raise ParsingError(
                    f"input has an object with {len(item)} names, over the {max_keys}-name limit"
                )
            stack.extend(item.values())


def load_document(
    source: Any,
    *,
    max_bytes: int,
    max_depth: int,
    max_nodes: int = MAX_NODES,
    max_array: int = MAX_ARRAY,
    max_keys: int = MAX_KEYS,
) -> dict[str, Any]:
    """A private copy of the input as plain JSON data, or ParsingError saying why not.

    Besides bytes and depth, the count of values, entries per array and names per object are
    bounded (see MAX_NODES): the refusal comes before any JSON-LD work, so its cost is linear.
    """
    if isinstance(source, bytes | bytearray | memoryview | str):
        raw = source.encode("utf-8") if isinstance(source, str) else bytes(source)
        if len(raw) > max_bytes:
            raise ParsingError(f"input is {len(raw)} bytes, over the {max_bytes}-byte limit")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ParsingError(f"input is not UTF-8 text: {exc.reason}") from None
        if json_text_depth(text) > max_depth:
            raise ParsingError(f"input is nested deeper than {max_depth} levels")
        try:
            document = json.loads(
                text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys
            )
        except (ValueError, RecursionError) as exc:
            raise ParsingError(f"input is not JSON: {exc}") from None
    else:
        if _value_depth(source, max_depth) > max_depth:
            raise ParsingError(f"input is nested deeper than {max_depth} levels")
        try:
            text = json.dumps(source, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise ParsingError(f"input is not JSON data: {exc}") from None
        if len(text.encode("utf-8")) > max_bytes:
            raise ParsingError(f"input is over the {max_bytes}-byte limit")
        document = json.loads(text)
    if not isinstance(document, dict):
        raise ParsingError(f"input is JSON {type(document).__name__}, not a JSON object")
    check_shape(document, max_nodes, max_array, max_keys)
    return document


def check_contexts(document: Any, loader: DocumentLoader) -> list[str]:
    """Every ``@context`` URL anywhere must be one we hold (DI §4.6); inline ones are reported.

    Unknown URLs raise :class:`ContextError` (unusable: credkit never fetches contexts).
    """
    inline: list[str] = []
    for value, path in context_sites(document):
        for entry in value if isinstance(value, list) else [value]:
            if isinstance(entry, str) and not loader.known(entry):
                raise ContextError(
                    f"unknown JSON-LD context {entry} at {path}: credkit does not "
                    "fetch contexts, so it cannot tell what this document means"
                )
            if isinstance(entry, dict):
                inline.append(path)
    return inline


# --- small readers ---------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def types_of(node: Any) -> list[str]:
    if not isinstance(node, dict):
        return []
    return [t for t in as_list(node.get("type")) if isinstance(t, str)]


def issuer_id(document: dict[str, Any]) -> str | None:
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def text_of(value: Any) -> str | None:
    """A display string from a plain string or a language value object/set (VC DM §11.1)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("@value"), str):
        return str(value["@value"])
    if isinstance(value, list):
        return next((t for t in map(text_of, value) if t), None)
    return None


def display(document: dict[str, Any]) -> dict[str, str | None]:
    """Names a verification page shows: issuer, graduate, achievement, credential."""
    issuer = document.get("issuer")
    subject = document.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, dict) else {}
    return {
        "issuer_id": issuer_id(document),
        "issuer_name": text_of(issuer.get("name")) if isinstance(issuer, dict) else None,
        "subject_name": text_of(subject.get("name")),
        "achievement_name": text_of(achievement.get("name")),
        "credential_name": text_of(document.get("name")),
        # VC DM 2.0 validFrom/validUntil; 1.1 issuanceDate/expirationDate (as the issuer wrote
        # them: the validity check says whether they hold)
        "valid_from": text_of(document.get("validFrom", document.get("issuanceDate"))),
        "valid_until": text_of(document.get("validUntil", document.get("expirationDate"))),
    }


def base_version(document: dict[str, Any]) -> int | None:
    """2 or 1 by the first @context (VC DM 2.0 §4.3; 1.1 §4.1), None if neither."""
    ctx = as_list(document.get("@context"))
    first = ctx[0] if ctx else None
    return 2 if first == VC_V2 else 1 if first == VC_V1 else None


# --- well_formed (VC DM 2.0 §4, §7.1 MALFORMED_VALUE_ERROR) ----------------------------------


def _numbers(document: Any) -> list[str]:
    """Numbers that JSON peers would read differently: non-finite or past 2^53 (RFC 7493)."""
    bad: list[str] = []
    stack: list[tuple[Any, str]] = [(document, "$")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            stack.extend((v, f"{path}.{k}") for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node))
        elif isinstance(node, float) and not math.isfinite(node):
            bad.append(f"{path} is a number too large to represent")
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > MAX_SAFE_INTEGER:
            bad.append(f"{path} is an integer beyond ±2^53, which JSON tools read inexactly")
    return bad


def _date(document: dict[str, Any], name: str, problems: list[str]) -> datetime | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not DATETIME.match(value):
        problems.append(f"{name} {value!r} is not an XML Schema dateTimeStamp")
        return None
    try:
        return parse_datetime(value)
    except (ValueError, OverflowError):
        problems.append(f"{name} {value!r} is not a real date")
        return None


def _typed_objects(document: dict[str, Any], name: str, problems: list[str]) -> None:
    value = document.get(name)
    if value is None:
        return
    items = as_list(value)
    if not items:
        problems.append(f"{name} is empty")
    for item in items:
        if not isinstance(item, dict):
            problems.append(f"{name} must hold objects, not {type(item).__name__}")
            continue
        if not types_of(item) or len(types_of(item)) != len(as_list(item.get("type"))):
            problems.append(f"every {name} needs a type (a string or list of strings)")
        if "id" in item and not (isinstance(item["id"], str) and URL.match(item["id"])):
            problems.append(f"{name} id {item['id']!r} is not a URL")
        if name == "credentialSchema" and not isinstance(item.get("id"), str):
            problems.append("every credentialSchema needs an id (VC DM 2.0 §5.4)")


def well_formed_problems(document: dict[str, Any], kind: str = "VerifiableCredential") -> list[str]:
    """What a conforming verifier must reject (VC DM 2.0 §4, or 1.1 for v1 documents)."""
    problems: list[str] = []
    ctx = document.get("@context")
    if not isinstance(ctx, list | str) or not ctx:
        problems.append("@context is missing")
    elif base_version(document) is None:
        problems.append(f"@context must start with {VC_V2} (or {VC_V1} for VC 1.1)")
    elif any(not isinstance(c, str | dict) for c in as_list(ctx)):
        problems.append("@context entries must be URLs or objects")
    types = as_list(document.get("type"))
    if not types or not all(isinstance(t, str) for t in types):
        problems.append("type must be a string or a list of strings")
    elif kind not in types:
        problems.append(f"type must include {kind}")
    if "id" in document and not (isinstance(document["id"], str) and URL.match(document["id"])):
        problems.append(f"id {document['id']!r} is not a URL")
    if kind == "VerifiablePresentation":
        holder = document.get("holder")
        if isinstance(holder, dict):
            holder = holder.get("id")
        if "holder" in document and not (isinstance(holder, str) and URL.match(holder)):
            problems.append("holder must be a URL or an object with an id URL")
        for vc in as_list(document.get("verifiableCredential")):
            if not isinstance(vc, dict):
                problems.append("verifiableCredential entries must be objects (VC DM 2.0 §4.13)")
        problems.extend(_numbers(document))
        return problems
    issuer = issuer_id(document)
    if issuer is None or not URL.match(issuer):
        problems.append("issuer must be a URL or an object whose id is a URL")
    subjects = as_list(document.get("credentialSubject"))
    if not subjects:
        problems.append("credentialSubject is missing")
    elif not all(isinstance(s, dict) for s in subjects):
        problems.append("credentialSubject must be an object or a list of objects")
    elif any(not s for s in subjects):
        # VC DM 2.0 §4.8: each subject is "the subject of one or more claims"; {} claims nothing
        problems.append("credentialSubject must not hold an empty object (VC DM 2.0 §4.8)")
    version = base_version(document)
    if version == 1:
        if "issuanceDate" not in document:
            problems.append("a VC 1.1 credential needs issuanceDate (VC DM 1.1 §4.6)")
        start, end = (
            _date(document, "issuanceDate", problems),
            _date(document, "expirationDate", problems),
        )
    else:
        start, end = _date(document, "validFrom", problems), _date(document, "validUntil", problems)
    if start and end and start > end:
        problems.append("the credential ends before it starts (validFrom after validUntil)")
    for name in TYPED_PROPERTIES:
        _typed_objects(document, name, problems)
    problems.extend(related.problems(document))  # VC DM 2.0 §5.3: id, unique, a digest
    for name in ("name", "description"):
        if name in document and text_of(document[name]) is None:
            problems.append(f"{name} must be a string or a language value object")
    if OB_TYPES & set(types_of(document)):
        for subject in (s for s in subjects if isinstance(s, dict)):
            if "id" not in subject and not subject.get("identifier"):
                problems.append("an Open Badge credentialSubject needs an id or an identifier")
            if not isinstance(subject.get("achievement"), dict):
                problems.append("an Open Badge credentialSubject needs an achievement object")
    problems.extend(_numbers(document))
    return problems


def related_resource(document: dict[str, Any], strict: bool = False) -> Check:
    """VC DM 2.0 §5.3: each digest against the bytes credkit holds for the resource; no fetch.

    A mismatch fails. A resource credkit does not hold is not checked: credkit never fetches it
    and does not use it (the spec's MUST binds a verifier that retrieves the resource), so that
    is conclusive, except in strict mode, where what was not checked is not vouched for.
    """
    outcomes = related.check(document)
    wrong = [o for o in outcomes if o.state == "mismatched"]
    if wrong:
        error = MalformedValueError(
            "relatedResource digest mismatch (VC DM 2.0 §5.3): "
            + "; ".join(o.detail for o in wrong)
        )
        return Check.failed("related_resource", error.message, error, "related resource altered")
    unchecked = [o for o in outcomes if o.state == "unchecked"]
    if unchecked:
        return Check.skipped(
            "related_resource",
            "not checked: " + "; ".join(o.detail for o in unchecked),
            conclusive=not strict,
        )
    return Check.passed(
        "related_resource", f"{len(outcomes)} related resource(s) match their digests"
    )


def well_formed(document: dict[str, Any], kind: str = "VerifiableCredential") -> Check:
    problems = well_formed_problems(document, kind)
    check_id = "well_formed" if kind == "VerifiableCredential" else "presentation_well_formed"
    if problems:
        error = MalformedValueError("; ".join(problems))
        return Check.failed(
            check_id, "not a well-formed credential: " + error.message, error, "malformed"
        )
    version = base_version(document)
    what = "Verifiable Presentation" if kind != "VerifiableCredential" else "Verifiable Credential"
    return Check.passed(
        check_id, f"a well-formed {what} (data model {'2.0' if version == 2 else '1.1'})"
    )


# --- validity (VC DM 2.0 §4.9; 1.1 §4.6/§7.8) -------------------------------------------------


def validity(document: dict[str, Any], now: datetime, skew: timedelta = MAX_CLOCK_SKEW) -> Check:
    """The credential's own validity period against the clock (not the proof's).

    Clocks differ by a few seconds or minutes: like the reference verifier (@digitalbazaar/vc,
    ``maxClockSkew`` 300 s) a date within ``skew`` of ``now`` counts as reached.
    """
    problems: list[str] = []
    # VC 1.1 dates are issuanceDate/expirationDate, but the credentials/v1 context also defines
    # validFrom/validUntil (the same IRIs as VC 2.0's): signed data either way, so each one found
    # must hold. (Reading only the 1.1 pair verified a 1.1 credential whose validUntil had passed.)
    pairs = [("validFrom", "validUntil")]
    if base_version(document) == 1:
        pairs.insert(0, ("issuanceDate", "expirationDate"))
    dated: list[tuple[str, datetime]] = []
    for pair in pairs:
        for name in pair:
            value = _date(document, name, problems)
            if value is not None:
                dated.append((name, value))
    if problems:
        error = MalformedValueError("; ".join(problems))
        return Check.failed(
            "validity", "its dates cannot be read: " + error.message, error, "unreadable dates"
        )
    when = now.strftime("%Y-%m-%d %H:%M:%SZ")
    starts = [(n, d) for n, d in dated if n in ("issuanceDate", "validFrom")]
    ends = [(n, d) for n, d in dated if n in ("expirationDate", "validUntil")]
    for name, start in starts:
        if start > now + skew:
            return Check.failed(
                "validity",
                f"not valid yet: valid from {document[name]}, and it is now {when}",
                problem("CREDENTIAL_NOT_YET_VALID", f"valid from {document[name]}"),
                "not yet valid",
            )
    for name, end in ends:
        if end < now - skew:
            return Check.failed(
                "validity",
                f"expired on {document[name]} ({name}); it is now {when}",
                problem("CREDENTIAL_EXPIRED", f"{name} {document[name]} has passed"),
                "expired",
            )
    if not ends:
        since = f"valid since {document[starts[0][0]]}" if starts else "no validity period given"
        return Check.passed("validity", f"{since}; it does not expire")
    first_end = min(ends, key=lambda item: item[1])[0]
    return Check.passed("validity", f"valid until {document[first_end]}")


# --- schema (VC DM 2.0 §5.4; OB 3.0 §verification step 1) ------------------------------------


def schema(document: dict[str, Any], *, strict: bool) -> Check:
    """Validate against each declared JSON Schema credkit ships; never fetch one."""
    declared = [s for s in as_list(document.get("credentialSchema")) if isinstance(s, dict)]
    if not declared:
        return Check.skipped("schema", "no credentialSchema declared: nothing to validate against")
    unknown: list[str] = []
    checked: list[str] = []
    for entry in declared:
        sid, stypes = entry.get("id"), set(types_of(entry))
        if isinstance(sid, str) and sid in schema_check.SCHEMA_FILES and stypes & SCHEMA_TYPES:
            # exactly ``validate``; the issuer and achievement subtrees, the same in every diploma
            # of an issuer, are validated once per distinct value (schema_check.validate_diploma)
            errors = schema_check.validate_diploma(document, sid)[sid]
            if errors:
                shown = "; ".join(errors[:5]) + ("; ..." if len(errors) > 5 else "")
                return Check.failed(
                    "schema",
                    f"does not match its declared schema {sid}: {shown}",
                    problem("SCHEMA_VALIDATION_ERROR", shown),
                    "does not match its schema",
                )
            checked.append(sid.rsplit("/", 1)[-1])
        else:
            unknown.append(str(sid))
    if unknown:
        message = "schema not checked (credkit validates only the schemas it ships, and never "
        message += "fetches one): " + ", ".join(unknown)
        if strict:
            return Check.failed(
                "schema", message, problem("SCHEMA_UNKNOWN", message), "schema not checkable"
            )
        return Check.warning("schema", message)
    return Check.passed("schema", f"matches its declared schema ({', '.join(checked)})")
