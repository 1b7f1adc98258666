"""The program template: one TOML file that describes the issuer and the diploma, once.

A program coordinator writes it (``credkit init`` prints a starter), so every error names the
field path *and the fix*, and all problems are reported together rather than one per run. The
format is documented field by field in docs/diplomas.md. Field names inside ``[issuer]`` and
``[achievement]`` are the Open Badges 3.0 property names, so the TOML reads like the credential.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from credkit.errors import TemplateError
from credkit.model.models import (
    ACHIEVEMENT_TYPES,
    EXT_TERM,
    RESULT_TYPES,
    Achievement,
    Address,
    Criteria,
    EndorsementCredential,
    Image,
    Profile,
    ResultDescription,
    format_datetime,
)
from credkit.model.roster import parse_date
from credkit.model.schema_check import validate_endorsement

_URL = re.compile(r"^https?://[^\s/]+\S*$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LANG = re.compile(r"^[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")  # OB inLanguage
_IMAGE = re.compile(r"^(https?://\S+|data:image/\S+)$")


class InvalidTemplateError(TemplateError):
    """Every problem found in one template, each ``path: what is wrong — how to fix it``."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        super().__init__(f"{source}: {count}:\n" + "\n".join(f"  {p}" for p in problems))


# --- the model the rest of credkit uses -------------------------------------------------------


@dataclass(frozen=True)
class IssuerTemplate:
    """The issuer's profile, minus its id: the DID comes from the signing key at issue time."""

    name: str
    id: str | None = None
    url: str | None = None
    email: str | None = None
    image: str | None = None
    description: str | None = None
    phone: str | None = None
    address: dict[str, str] | None = None

    def profile(self, issuer_id: str, endorsements: list[dict[str, Any]] | None = None) -> Profile:
        """The OB 3.0 ``Profile`` for the credential's ``issuer`` (id = the issuer's DID)."""
        if self.id is not None and self.id != issuer_id:
            raise TemplateError(
                f"issuer.id: the template says {self.id} but the signing key belongs to "
                f"{issuer_id} — remove issuer.id or sign with that issuer's key"
            )
        return Profile(
            id=issuer_id,
            name=self.name,
            url=self.url,
            email=self.email,
            description=self.description,
            phone=self.phone,
            image=Image(id=self.image) if self.image else None,
            address=Address.model_validate(self.address) if self.address else None,
            endorsement=list(endorsements or []),
        )


@dataclass(frozen=True)
class EndorsementFile:
    """A signed ``EndorsementCredential`` an endorser sent, to embed as-is in every diploma."""

    path: Path
    credential: dict[str, Any]
    target: str | None = None  # "achievement" | "issuer" | None (decided by credentialSubject.id)

    @property
    def subject_id(self) -> str:
        return str(self.credential["credentialSubject"]["id"])


@dataclass(frozen=True)
class DiplomaTemplate:
    """Everything a diploma carries that is the same for every graduate of the program."""

    issuer: IssuerTemplate
    achievement: Achievement
    credential_name: str
    credential_description: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    valid_years: int | None = None
    activity_start_date: str | None = None
    activity_end_date: str | None = None
    grade: ResultDescription | None = None
    endorsements: tuple[EndorsementFile, ...] = field(default_factory=tuple)
    source: str = "template"
    # every text value of [issuer], [achievement] and [credential] with its field path, so the
    # placeholder check can name the field to change
    texts: tuple[tuple[str, str], ...] = field(default_factory=tuple)


# --- field checking ---------------------------------------------------------------------------

Check = Callable[[Any], str | None]  # returns an error text, or None when the value is fine


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be non-empty text"


def _match(pattern: re.Pattern[str], what: str) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not pattern.match(value.strip()):
            return f"{value!r} is not {what}"
        return None

    return check


def _achievement_type(value: Any) -> str | None:
    if isinstance(value, str) and (value in ACHIEVEMENT_TYPES or EXT_TERM.match(value)):
        return None
    close = difflib.get_close_matches(str(value), ACHIEVEMENT_TYPES, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return (
        f"{value!r} is not an Open Badges 3.0 achievementType; {hint}use one of Diploma, "
        "Certificate, CertificateOfCompletion, Degree, MicroCredential, ... or ext:YourName"
    )


def _result_type(value: Any) -> str | None:
    if isinstance(value, str) and (value in RESULT_TYPES or EXT_TERM.match(value)):
        return None
    return f"{value!r} is not an OB 3.0 resultType; use one of {', '.join(sorted(RESULT_TYPES))}"


def _text_list(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return None
    return 'must be a list of text, e.g. ["colour", "sound"]'


def _years(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 100:
        return None
    return "must be a whole number of years from 1 to 100"


def _when(value: Any) -> str | None:
    return _to_datetime(value)[1]


def _to_datetime(value: Any) -> tuple[str | None, str | None]:
    """A TOML date, offset date-time or string as ``YYYY-MM-DDTHH:MM:SSZ`` (value, error)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return None, "has no timezone; add one (2031-06-30T00:00:00Z or +05:30)"
        return format_datetime(value), None
    if isinstance(value, date):
        return format_datetime(datetime(value.year, value.month, value.day, tzinfo=UTC)), None
    if isinstance(value, str):
        try:
            return parse_date(value), None
        except ValueError as exc:
            return None, str(exc)
    return None, "must be a date (2031-06-30) or a date-time with a timezone"


URL = _match(_URL, "an http(s) URL")
URI = _match(_URI, "a URI (https://..., urn:uuid:..., did:...)")

# section → key → (check, required, example shown in the fix)
_FIELDS: dict[str, dict[str, tuple[Check, bool, str]]] = {
    "issuer": {
        "id": (_match(re.compile(r"^did:\S+$"), "a DID"), False, 'id = "did:web:example.org"'),
        "name": (_text, True, 'name = "Your Lab or School"'),
        "url": (URL, False, 'url = "https://your-lab.example"'),
        "email": (_match(_EMAIL, "an email address"), False, 'email = "registrar@example.org"'),
        "image": (_match(_IMAGE, "an image URL"), False, 'image = "https://example.org/logo.png"'),
        "description": (_text, False, 'description = "Who you are"'),
        "phone": (_text, False, 'phone = "+91 22 5550 0100"'),
        "address": (
            lambda v: None if isinstance(v, dict) else "must be a table",
            False,
            "[issuer.address]",
        ),
    },
    "issuer.address": {
        key: (_text, False, f'{key} = "..."')
        for key in (
            "streetAddress",
            "addressLocality",
            "addressRegion",
            "postalCode",
            "addressCountry",
            "addressCountryCode",
            "postOfficeBoxNumber",
        )
    },
    "achievement": {
        "id": (URI, True, 'id = "https://your-lab.example/achievements/diploma"'),
        "name": (_text, True, 'name = "Name of the diploma"'),
        "description": (_text, True, 'description = "What this diploma recognises"'),
        "criteria": (_text, True, 'criteria = "What a graduate did to earn this"'),
        "criteria_url": (URL, False, 'criteria_url = "https://your-lab.example/criteria"'),
        "achievementType": (_achievement_type, True, 'achievementType = "Diploma"'),
        "fieldOfStudy": (_text, False, 'fieldOfStudy = "Film post-production"'),
        "specialization": (_text, False, 'specialization = "Episodic series"'),
        "inLanguage": (
            _match(_LANG, "a language tag like en or en-IN"),
            False,
            'inLanguage = "en"',
        ),
        "tags": (_text_list, False, 'tags = ["post-production"]'),
        "image": (_match(_IMAGE, "an image URL"), False, 'image = "https://.../badge.png"'),
        "humanCode": (_text, False, 'humanCode = "PPS-DIP"'),
        "version": (_text, False, 'version = "2026"'),
        "creditsAvailable": (
            lambda v: (
                None
                if isinstance(v, int | float) and not isinstance(v, bool)
                else "must be a number"
            ),
            False,
            "creditsAvailable = 60",
        ),
        "grade": (
            lambda v: None if isinstance(v, dict) else "must be a table",
            False,
            "[achievement.grade]",
        ),
    },
    "achievement.grade": {
        "name": (_text, False, 'name = "Final grade"'),
        "resultType": (_result_type, False, 'resultType = "LetterGrade"'),
        "allowedValues": (_text_list, False, 'allowedValues = ["A", "B", "C"]'),
    },
    "credential": {
        "name": (_text, False, 'name = "Diploma: ..."'),
        "description": (_text, False, 'description = "..."'),
        "validFrom": (_when, False, "validFrom = 2026-11-20"),
        "validUntil": (_when, False, "validUntil = 2031-11-20"),
        "valid_years": (_years, False, "valid_years = 5"),
        "activityStartDate": (_when, False, "activityStartDate = 2026-01-12"),
        "activityEndDate": (_when, False, "activityEndDate = 2026-11-13"),
    },
    "endorsement": {
        "file": (_text, True, 'file = "sponsor-endorsement.json"'),
        "target": (
            lambda v: (
                None if v in ("achievement", "issuer") else 'must be "achievement" or "issuer"'
            ),
            False,
            'target = "achievement"',
        ),
    },
}
_TOP = {"issuer", "achievement", "credential", "endorsement"}


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def section(self, doc: dict[str, Any], name: str, where: str | None = None) -> dict[str, Any]:
        """Check one table; returns it (or {} if absent/wrong) with only its known keys."""
        where = where or name
        spec = _FIELDS[name]
        table = doc
        if not isinstance(table, dict):
            self.problems.append(f"{where}: must be a table — write [{where}] on its own line")
            return {}
        for key in table:
            if key not in spec:
                close = difflib.get_close_matches(key, spec, n=1, cutoff=0.6)
                fix = f"did you mean {close[0]}?" if close else f"allowed: {', '.join(spec)}"
                self.problems.append(f"{where}.{key}: unknown key — {fix}")
        for key, (check, required, example) in spec.items():
            if key not in table:
                if required:
                    table_name = f"[{where}]" if "[" not in where else f"[[{name}]]"
                    self.problems.append(
                        f"{where}.{key}: missing — add {example} under {table_name}"
                    )
                continue
            error = check(table[key])
            if error:
                self.problems.append(f"{where}.{key}: {error} — e.g. {example}")
        return {k: v for k, v in table.items() if k in spec}


def _grade_scale(achievement_id: str, table: dict[str, Any]) -> ResultDescription:
    # A stable id, so every diploma of the program points at the same ResultDescription.
    rd_id = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, achievement_id + "#grade"))
    return ResultDescription(
        id=rd_id,
        name=table.get("name", "Final grade"),
        result_type=table.get("resultType", "LetterGrade"),
        allowed_value=list(table.get("allowedValues", [])),
    )


def _load_endorsement(
    base: Path, index: int, entry: dict[str, Any], c: _Checker
) -> EndorsementFile | None:
    where = f"endorsement[{index}].file"
    path = (base / str(entry["file"])).resolve()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        c.problems.append(
            f"{where}: cannot read {path} ({exc.strerror}) — check the path, "
            "relative to the template file"
        )
        return None
    except (UnicodeDecodeError, json.JSONDecodeError):
        c.problems.append(
            f"{where}: {path} is not a JSON file — ask the endorser for the signed "
            "EndorsementCredential JSON"
        )
        return None
    try:
        EndorsementCredential.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        c.problems.append(
            f"{where}: {path.name} is not an OB 3.0 EndorsementCredential "
            f"({loc}: {first['msg']}) — ask the endorser to re-issue it"
        )
        return None
    errors = validate_endorsement(data)
    if errors:
        c.problems.append(
            f"{where}: {path.name} fails the OB 3.0 schema ({errors[0]}) — ask the "
            "endorser to re-issue it"
        )
        return None
    if not data.get("proof"):
        c.problems.append(
            f"{where}: {path.name} is not signed — ask the endorser for the signed "
            "file (credkit's build_endorsement + sign)"
        )
        return None
    return EndorsementFile(path=path, credential=data, target=entry.get("target"))


def parse_template(
    text: str, *, source: str = "template", base: Path | None = None
) -> DiplomaTemplate:
    """Parse template TOML text; ``base`` is the folder endorsement files are relative to."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(
            f"{source}: not valid TOML ({exc}) — check quotes and brackets around that line"
        ) from None
    c = _Checker()
    for key in doc:
        if key not in _TOP:
            where = next(
                (s for s in ("credential", "achievement", "issuer") if key in _FIELDS[s]), None
            )
            fix = f"move it under [{where}]" if where else f"allowed tables: {', '.join(_TOP)}"
            c.problems.append(f"{key}: unknown top-level key — {fix}")
    for name in ("issuer", "achievement"):
        if name not in doc:
            c.problems.append(f"[{name}]: missing — add an [{name}] table (see credkit init)")
    issuer = c.section(doc.get("issuer", {}), "issuer")
    address = c.section(issuer["address"], "issuer.address") if "address" in issuer else None
    ach = c.section(doc.get("achievement", {}), "achievement")
    grade = c.section(ach["grade"], "achievement.grade") if "grade" in ach else None
    cred = c.section(doc.get("credential", {}), "credential")
    if "validUntil" in cred and "valid_years" in cred:
        c.problems.append("credential.valid_years: set either validUntil or valid_years, not both")
    dates = {
        k: _to_datetime(cred[k])[0]
        for k in ("validFrom", "validUntil", "activityStartDate", "activityEndDate")
        if k in cred
    }
    if (
        dates.get("validFrom")
        and dates.get("validUntil")
        and (str(dates["validUntil"]) < str(dates["validFrom"]))
    ):
        c.problems.append("credential.validUntil: is before validFrom — swap or correct them")
    raw_endorsements = doc.get("endorsement", [])
    if not isinstance(raw_endorsements, list):
        c.problems.append("endorsement: write each as [[endorsement]] (double brackets)")
        raw_endorsements = []
    entries = [
        c.section(e, "endorsement", f"endorsement[{i}]") for i, e in enumerate(raw_endorsements)
    ]
    if c.problems:
        raise InvalidTemplateError(source, c.problems)

    base = base or Path.cwd()
    endorsements = [_load_endorsement(base, i, e, c) for i, e in enumerate(entries)]
    try:
        scale = _grade_scale(str(ach["id"]), grade) if grade is not None else None
        achievement = Achievement(
            id=ach["id"].strip(),
            name=ach["name"].strip(),
            description=ach["description"].strip(),
            criteria=Criteria(id=ach.get("criteria_url"), narrative=ach["criteria"].strip()),
            achievement_type=ach["achievementType"],
            field_of_study=ach.get("fieldOfStudy"),
            specialization=ach.get("specialization"),
            in_language=ach.get("inLanguage"),
            tag=list(ach.get("tags", [])),
            image=Image(id=ach["image"]) if "image" in ach else None,
            human_code=ach.get("humanCode"),
            version=ach.get("version"),
            credits_available=ach.get("creditsAvailable"),
            result_description=[scale] if scale else [],
        )
        issuer_t = IssuerTemplate(
            name=issuer["name"].strip(),
            id=issuer.get("id"),
            url=issuer.get("url"),
            email=issuer.get("email"),
            image=issuer.get("image"),
            description=issuer.get("description"),
            phone=issuer.get("phone"),
            address={k: str(v) for k, v in address.items()} if address else None,
        )
    except ValidationError as exc:  # belt and braces: the checks above should catch all of it
        first = exc.errors()[0]
        c.problems.append(f"{'.'.join(map(str, first['loc']))}: {first['msg']}")
    if c.problems:
        raise InvalidTemplateError(source, c.problems)
    texts = tuple(
        (f"{name}.{path}", value)
        for name in ("issuer", "achievement", "credential")
        for path, value in _texts(doc.get(name, {}))
    )
    return DiplomaTemplate(
        texts=texts,
        issuer=issuer_t,
        achievement=achievement,
        credential_name=cred.get("name", achievement.name),
        credential_description=cred.get("description"),
        valid_from=dates.get("validFrom"),
        valid_until=dates.get("validUntil"),
        valid_years=cred.get("valid_years"),
        activity_start_date=dates.get("activityStartDate"),
        activity_end_date=dates.get("activityEndDate"),
        grade=scale,
        endorsements=tuple(e for e in endorsements if e is not None),
        source=source,
    )


def _texts(node: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(node, str):
        return [(prefix, node)]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _texts(v, f"{prefix}.{k}" if prefix else k)]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _texts(v, f"{prefix}[{i}]")]
    return []


# --- placeholders: the example's values must not be signed into real diplomas -----------------

# Text that only a template nobody finished holds: the starter template's filler (credkit init)
# and the example lab's and sponsor's names and domains (examples/postproduction). Matched
# without regard to case; each with what it is, for the message.
PLACEHOLDER_MARKERS: tuple[tuple[str, str], ...] = (
    ("Replace this with", "the starter template's filler text"),
    ("One or two sentences about", "the starter template's filler text"),
    ("your-lab.example", "the starter template's sample domain"),
    ("reelbridge.example", "the example lab's domain (examples/postproduction)"),
    ("Reelbridge", "the example lab's name (examples/postproduction)"),
    ("apspa.example", "the example sponsor's domain"),
    ("Asia Pacific Screen Post Alliance", "the example sponsor's name"),
)
# Domains reserved for documentation (RFC 2606, RFC 6761): no real issuer lives there.
RESERVED_DOMAINS = ("example.com", "example.org", "example.net")
RESERVED_TLDS = ("example", "test", "invalid", "localhost")
_HOSTS = re.compile(r"(?:https?://|@)([A-Za-z0-9.-]+)", re.IGNORECASE)


def _reserved(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host.rsplit(".", 1)[-1] in RESERVED_TLDS or any(
        host == d or host.endswith("." + d) for d in RESERVED_DOMAINS
    )


def _host_of(url: str) -> str | None:
    found = _HOSTS.search(url)
    return found[1].lower().rstrip(".") if found else None


def placeholder_problems(
    template: DiplomaTemplate, *, own_names: tuple[str, ...] = (), own_urls: tuple[str, ...] = ()
) -> list[str]:
    """Fields of ``template`` that still hold the example's or the starter's placeholder values.

    A marker that is part of the issuer's own name or domain (``own_names``, ``own_urls``: the
    workspace's, from ``credkit init``) is the issuer's own value, not a placeholder: the example
    lab issuing its own example cohort is not an error. Each problem names the field and the fix.
    """
    own_hosts = {h for h in (_host_of(u) for u in own_urls) if h}
    own_text = " ".join([*own_names, *own_hosts]).lower()

    def own(host: str) -> bool:
        return any(host == h or host.endswith("." + h) for h in own_hosts)

    problems: list[str] = []
    for path, value in template.texts:
        lowered = value.lower()
        why = next(
            (
                f"{marker!r}, {what}"
                for marker, what in PLACEHOLDER_MARKERS
                if marker.lower() in lowered and marker.lower() not in own_text
            ),
            None,
        )
        if why is None:
            host = next(
                (h for h in map(str.lower, _HOSTS.findall(value)) if _reserved(h) and not own(h)),
                None,
            )
            if host is not None:
                why = f"{host!r}, a domain reserved for examples (RFC 2606)"
        if why is not None:
            shown = value if len(value) <= 60 else value[:57] + "..."
            problems.append(
                f"{path}: {shown!r} still holds a placeholder ({why}) — replace it with your "
                f"own value in {template.source}"
            )
    return problems


def load_template(path: str | Path) -> DiplomaTemplate:
    """Read and check a program template file; raises :class:`TemplateError` naming each fix."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(
            f"cannot read template {source}: {exc.strerror} — run `credkit init` to create one"
        ) from None
    except UnicodeDecodeError:
        raise TemplateError(f"{source}: not UTF-8 — save the file as UTF-8") from None
    return parse_template(text, source=str(source), base=source.parent)


def _toml(value: str) -> str:
    # JSON string escapes (\" \\ \n \uXXXX) are all valid TOML basic-string escapes.
    return json.dumps(value, ensure_ascii=False)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "diploma"


def starter_template(
    issuer_name: str,
    issuer_url: str,
    *,
    issuer_email: str | None = None,
    achievement_name: str = "Diploma",
    achievement_type: str = "Diploma",
) -> str:
    """A commented starter template for ``credkit init``; it loads as-is, then gets edited."""
    base = issuer_url.rstrip("/")
    email = issuer_email or f"registrar@{re.sub(r'^https?://', '', base).split('/')[0]}"
    return f"""\
# credkit program template: describes the issuer and the diploma once.
# Every graduate's diploma is built from this file plus one roster row.
# Field reference: docs/diplomas.md

[issuer]
# id = "did:web:your-lab.example"   # optional; must match the DID of the signing key
name = {_toml(issuer_name)}
url = {_toml(base)}
email = {_toml(email)}
# image = {_toml(base + "/logo.png")}
# description = "One or two sentences about who you are."

# [issuer.address]
# streetAddress = "..."
# addressLocality = "..."
# addressCountry = "..."
# addressCountryCode = "IN"

[achievement]
# A stable URL (or urn:uuid) for this diploma; keep it the same across cohorts.
id = {_toml(f"{base}/achievements/{_slug(achievement_name)}")}
name = {_toml(achievement_name)}
description = {_toml(f"{achievement_name} awarded by {issuer_name}.")}
# One of the Open Badges 3.0 types: Diploma, Certificate, CertificateOfCompletion, Degree, ...
achievementType = {_toml(achievement_type)}
# What a graduate did to earn this (Markdown). Employers read this: be concrete.
criteria = \"\"\"
Replace this with what graduates did: the modules they completed, the projects they
delivered, and how they were assessed.
\"\"\"
# fieldOfStudy = "..."
# specialization = "..."
inLanguage = "en"
# tags = ["...", "..."]
# image = {_toml(base + "/diploma.png")}

# [achievement.grade]              # only if the roster has a grade column
# name = "Final grade"
# resultType = "LetterGrade"       # or PerformanceLevel, Percent, ...
# allowedValues = ["A", "B", "C"]

[credential]
# validFrom = 2026-11-20            # graduation day; default: the moment of issuing
# valid_years = 5                   # or: validUntil = 2031-11-20
# activityStartDate = 2026-01-12
# activityEndDate = 2026-11-13

# [[endorsement]]                   # a signed EndorsementCredential JSON from a sponsor
# file = "sponsor-endorsement.json"
# target = "achievement"            # or "issuer"
"""


__all__ = [
    "PLACEHOLDER_MARKERS",
    "DiplomaTemplate",
    "EndorsementFile",
    "InvalidTemplateError",
    "IssuerTemplate",
    "load_template",
    "parse_template",
    "placeholder_problems",
    "starter_template",
]
