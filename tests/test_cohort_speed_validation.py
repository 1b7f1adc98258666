"""build_diploma's split validation (schema_check.validate_diploma) is exactly the full one.

The cohort path validates the subtrees every diploma shares (issuer, achievement, template texts)
once per distinct value and the rest of each diploma against a split copy of the schema; these
tests compare it with whole-document validation on valid diplomas and on diplomas broken in each
kind of field, per-row and template alike, signed and unsigned.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from credkit.errors import TemplateError
from credkit.identity.keys import KeyPair
from credkit.model import schema_check
from credkit.model.diploma import build_diploma, issue_diploma, issue_endorsement
from credkit.model.models import OB_SCHEMA_URL
from credkit.model.roster import Graduate, read_roster
from credkit.model.schema_check import (
    PROFILE_SCHEMA_URL,
    validate,
    validate_diploma,
    validate_ob3,
    validate_profile,
)
from credkit.model.template import DiplomaTemplate, load_template

EXAMPLE = Path(__file__).parent.parent / "examples" / "postproduction"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
URLS = (OB_SCHEMA_URL, PROFILE_SCHEMA_URL)
Doc = dict[str, Any]


@pytest.fixture(scope="module")
def template() -> DiplomaTemplate:
    return load_template(EXAMPLE / "program.toml")


@pytest.fixture(scope="module")
def graduates() -> list[Graduate]:
    return read_roster(EXAMPLE / "roster.csv").graduates


@pytest.fixture(scope="module")
def key() -> KeyPair:
    return KeyPair.from_seed(bytes(range(32)))


@pytest.fixture(scope="module")
def docs(template: DiplomaTemplate, graduates: list[Graduate], key: KeyPair) -> list[Doc]:
    return [build_diploma(template, g, issuer_id=key.controller, now=NOW) for g in graduates]


def full(doc: Any) -> dict[str, list[str]]:
    return {url: validate(doc, url) for url in URLS}


def test_both_shipped_schemas_split() -> None:
    # if a schema update made the split unprovable, validate_diploma falls back to whole-document
    # validation (still exact, just slow): this says so loudly
    for url in URLS:
        split = schema_check._split(url)
        assert split is not None, url
        paths = {path for path, _ in split.slots}
        assert ("issuer",) in paths and ("credentialSubject", "achievement") in paths


def test_valid_diplomas_agree(docs: list[Doc], graduates: list[Graduate]) -> None:
    assert len(docs) == 30
    for doc, graduate in zip(docs, graduates, strict=True):
        assert validate_diploma(doc, *URLS) == full(doc), graduate.name
        assert full(doc)[OB_SCHEMA_URL] == []


def test_signed_diplomas_agree(
    template: DiplomaTemplate, graduates: list[Graduate], key: KeyPair
) -> None:
    for graduate in graduates[::7]:
        doc = issue_diploma(template, graduate, key, now=NOW)
        assert validate_diploma(doc, *URLS) == full(doc) == {url: [] for url in URLS}


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return apply


def _delete(path: str) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]

    return apply


BREAKS: dict[str, Callable[[Doc], None]] = {
    # per-row fields
    "id": _set("id", "not-a-urn"),
    "id type": _set("id", 42),
    "validFrom": _set("validFrom", "2026-13-01T00:00:00Z"),
    "validFrom missing": _delete("validFrom"),
    "validUntil": _set("validUntil", 2036),
    "awardedDate": _set("awardedDate", "yesterday"),
    "subject id": _set("credentialSubject.id", "mailto:x@example.com"),
    "subject name": _set("credentialSubject.name", " "),
    "subject name missing": _delete("credentialSubject.name"),
    "identifier hash": _set("credentialSubject.identifier.0.identityHash", "md5$00"),
    "identifier empty": _set("credentialSubject.identifier", []),
    "identifier type": _set("credentialSubject.identifier.0.type", "Identity"),
    "result value": _set("credentialSubject.result", [{"type": ["Result"], "value": ""}]),
    "result not list": _set("credentialSubject.result", {"value": "Pass"}),
    "status": _set("credentialStatus", {"id": "x", "type": "BitstringStatusListEntry"}),
    "status list": _set("credentialStatus", [{"type": "BitstringStatusListEntry"}]),
    "subject not object": _set("credentialSubject", "graduate"),
    "subject missing": _delete("credentialSubject"),
    "root not object": lambda doc: doc.clear(),
    # template fields
    "@context": _set("@context", ["https://www.w3.org/ns/credentials/v2"]),
    "@context order": _set(
        "@context",
        [
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://www.w3.org/ns/credentials/v2",
        ],
    ),
    "type": _set("type", ["VerifiableCredential"]),
    "type string": _set("type", "OpenBadgeCredential"),
    "name": _set("name", ""),
    "description": _set("description", ["x"]),
    "credentialSchema": _set("credentialSchema", [{"id": "https://x.example", "type": "X"}]),
    "subject type": _set("credentialSubject.type", ["Person"]),
    "activityStartDate": _set("credentialSubject.activityStartDate", "2026-01-12"),
    "activityEndDate": _set("credentialSubject.activityEndDate", None),
    "issuer string": _set("issuer", "https://issuer.example"),
    "issuer number": _set("issuer", 7),
    "issuer id": _set("issuer.id", "https://issuer.example"),
    "issuer name": _set("issuer.name", ""),
    "issuer type": _delete("issuer.type"),
    "issuer missing": _delete("issuer"),
    "issuer email": _set("issuer.email", "nobody"),
    "achievement missing": _delete("credentialSubject.achievement"),
    "achievement id": _set("credentialSubject.achievement.id", "ftp://x"),
    "achievement criteria": _delete("credentialSubject.achievement.criteria"),
    "achievement narrative": _set("credentialSubject.achievement.criteria", {"narrative": ""}),
    "achievement type": _set("credentialSubject.achievement.achievementType", "Trophy"),
    "achievement name": _set("credentialSubject.achievement.name", 3),
    "achievement endorsement": _set(
        "credentialSubject.achievement.endorsement", [{"type": ["EndorsementCredential"]}]
    ),
}


@pytest.fixture(scope="module")
def endorsed(docs: list[Doc], key: KeyPair) -> Doc:
    """docs[0] with a signed endorsement on the issuer and one on the achievement."""
    sponsor = KeyPair.from_seed(bytes(range(1, 33)))
    doc = copy.deepcopy(docs[0])
    for node in (doc["issuer"], doc["credentialSubject"]["achievement"]):
        node["endorsement"] = [
            issue_endorsement(
                {"name": "Sponsor Guild"}, node["id"], "Rigorous program.", sponsor, now=NOW
            )
        ]
    return doc


def test_endorsed_diploma_agrees(endorsed: Doc) -> None:
    unsigned = {
        OB_SCHEMA_URL: [],
        PROFILE_SCHEMA_URL: ["(credential): 'proof' is a required property"],
    }
    assert validate_diploma(endorsed, *URLS) == full(endorsed) == unsigned


ENDORSEMENT_BREAKS: dict[str, Callable[[Doc], None]] = {}
for _where in ("issuer", "credentialSubject.achievement"):
    _base = f"{_where}.endorsement.0"
    ENDORSEMENT_BREAKS[f"{_where} endorsement proof"] = _set(f"{_base}.proof.0.proofValue", "x0")
    ENDORSEMENT_BREAKS[f"{_where} endorsement comment"] = _set(
        f"{_base}.credentialSubject.endorsementComment", ""
    )
    ENDORSEMENT_BREAKS[f"{_where} endorsement issuer"] = _delete(f"{_base}.issuer")
    ENDORSEMENT_BREAKS[f"{_where} endorsement type"] = _set(f"{_base}.type", ["X"])


def test_broken_endorsements_agree(endorsed: Doc) -> None:
    for what, brk in ENDORSEMENT_BREAKS.items():
        doc = copy.deepcopy(endorsed)
        brk(doc)
        expected = full(doc)
        assert any(expected.values()), f"{what}: the break should make the diploma invalid"
        assert validate_diploma(doc, *URLS) == expected, what
        assert validate_diploma(endorsed, *URLS) == full(endorsed)
        assert validate_diploma(doc, *URLS) == expected, what


def test_broken_diplomas_agree(docs: list[Doc]) -> None:
    for index, (what, brk) in enumerate(BREAKS.items()):
        # a different graduate for each break, and each break applied on top of a valid one
        doc = copy.deepcopy(docs[index % len(docs)])
        brk(doc)
        expected = full(doc)
        assert any(expected.values()), f"{what}: the break should make the diploma invalid"
        assert validate_diploma(doc, *URLS) == expected, what
        # again, now from the cache, and after a valid diploma filled it with valid values
        assert validate_diploma(docs[0], *URLS) == full(docs[0])
        assert validate_diploma(doc, *URLS) == expected, what


def test_two_breaks_at_once_agree(docs: list[Doc]) -> None:
    names = list(BREAKS)
    for i, first in enumerate(names):
        second = names[(i * 7 + 3) % len(names)]
        doc = copy.deepcopy(docs[i % len(docs)])
        try:
            BREAKS[first](doc)
            BREAKS[second](doc)
        except (KeyError, TypeError, IndexError):
            continue  # the first removed what the second breaks
        assert validate_diploma(doc, *URLS) == full(doc), (first, second)


def test_json_round_trip_agrees(docs: list[Doc]) -> None:
    # the documents files hold (and a verifier re-reads) validate alike
    for doc in docs[:5]:
        again = json.loads(json.dumps(doc))
        assert validate_diploma(again, *URLS) == full(again) == full(doc)


def test_bad_row_message_is_unchanged(
    template: DiplomaTemplate, graduates: list[Graduate], key: KeyPair
) -> None:
    # a row only the schemas catch (a blank name) gets the same message as with full validation
    bad = dataclasses.replace(graduates[3], name="\t")
    with pytest.raises(TemplateError) as caught:
        build_diploma(template, bad, issuer_id=key.controller, now=NOW)
    message = str(caught.value)
    assert message.startswith(f"{bad.name} (roster line {bad.line}): the diploma would not be")
    assert "credentialSubject.name" in message
    # the errors it lists are those of whole-document validation
    good = build_diploma(template, graduates[3], issuer_id=key.controller, now=NOW)
    good["credentialSubject"]["name"] = "\t"
    errors = validate_ob3(good) + validate_profile(good, require_proof=False)
    assert errors and message.endswith("; ".join(errors[:5]))


# --- the rest memoized by shape (schema_check._rest_messages) -------------------------------------

STRINGS = [
    "",
    " ",
    "\t",
    "x",
    "short",
    "Zoë Łukasz",
    "प्रिया",
    "urn:uuid:00000000-0000-5000-8000-000000000000",
    "urn:uuid:00000000-0000-9000-8000-000000000000",
    "urn:uuid:0000",
    "did:key:z6Mk",
    "mailto:x@example.com",
    "https://x.example/status/1",
    "sha256$" + "a" * 64,
    "sha256$" + "A" * 64,
    "md5$00",
    "emailAddress",
    "ext:custom",
    "ext:",
    "IdentityObject",
    "BitstringStatusListEntry",
    "revocation",
    "12345",
    "2026-11-23T09:00:00Z",
    "0123456789abcdef0123456789abcdef",
]


def _string_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, str):
        return [path]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _string_paths(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _string_paths(v, (*path, i))]
    return []


def _rest_string_paths(doc: Doc) -> list[tuple[Any, ...]]:
    """The strings outside the slots: the ones the shape memo checks per row."""
    slots = {path for url in URLS for path, _ in schema_check._split(url).slots}  # type: ignore[union-attr]
    return [p for p in _string_paths(doc) if not any(p[: len(s)] == s for s in slots)]


def _with(doc: Doc, path: tuple[Any, ...], value: Any) -> Doc:
    out = copy.deepcopy(doc)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


def _with_status(doc: Doc, index: int) -> Doc:
    out = copy.deepcopy(doc)
    out["credentialStatus"] = {
        "id": f"https://x.example/status/1#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": "https://x.example/status/1",
    }
    return out


def test_shapes_are_remembered_for_a_cohort(docs: list[Doc]) -> None:
    schema_check._SHAPES.clear()
    for doc in docs:
        validate_diploma(doc, *URLS)
    remembered = {url: shape for (url, _), shape in schema_check._SHAPES.items()}
    # both schemas: the OB one valid, the profile one with only "proof is required"
    assert set(remembered) == set(URLS)
    assert all(shape is not None for shape in remembered.values())
    assert remembered[PROFILE_SCHEMA_URL].messages == (  # type: ignore[union-attr]
        "(credential): 'proof' is a required property",
    )


def test_every_rest_string_broken_behind_a_warm_memo(docs: list[Doc]) -> None:
    # every string outside the slots, set to each of a range of values (valid and not under the
    # per-field patterns), after a valid document of the same shape warmed the memo
    for base in (docs[0], _with_status(docs[1], 7)):
        paths = _rest_string_paths(base)
        assert len(paths) >= 6
        for path in paths:
            for value in STRINGS:
                doc = _with(base, path, value)
                validate_diploma(base, *URLS)  # warm
                assert validate_diploma(doc, *URLS) == full(doc), (path, value)


def test_two_rest_strings_broken_at_once(docs: list[Doc]) -> None:
    base = _with_status(docs[2], 99)
    paths = _rest_string_paths(base)
    for i, first in enumerate(paths):
        for j, second in enumerate(paths[i + 1 :]):
            doc = _with(base, first, STRINGS[(i * 5 + j) % len(STRINGS)])
            doc = _with(doc, second, STRINGS[(i + j * 3) % len(STRINGS)])
            validate_diploma(base, *URLS)
            assert validate_diploma(doc, *URLS) == full(doc), (first, second)


def test_signed_and_status_rows_agree(
    template: DiplomaTemplate, graduates: list[Graduate], key: KeyPair
) -> None:
    for index, graduate in enumerate(graduates):
        status = [
            {
                "id": f"https://x.example/status/2#{index * 37}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": str(index * 37),
                "statusListCredential": "https://x.example/status/2",
            }
        ]
        doc = issue_diploma(template, graduate, key, now=NOW, status=status)
        assert validate_diploma(doc, *URLS) == full(doc) == {url: [] for url in URLS}


def test_a_refused_trace_still_validates_exactly(
    docs: list[Doc], monkeypatch: pytest.MonkeyPatch
) -> None:
    # with no keyword allowed on objects, every trace is refused: whole validation, same answers
    monkeypatch.setattr(schema_check, "_STRUCTURAL", frozenset())
    schema_check._SHAPES.clear()
    for doc in docs[:5]:
        assert validate_diploma(doc, *URLS) == full(doc)
    assert schema_check._SHAPES and all(v is None for v in schema_check._SHAPES.values())
    broken = _with(docs[0], ("credentialSubject", "name"), " ")
    assert validate_diploma(broken, *URLS) == full(broken)
    schema_check._SHAPES.clear()
