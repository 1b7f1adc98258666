"""Read a cohort roster (CSV) into graduates, collecting bad rows instead of stopping at them.

Format (see docs/diplomas.md): UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8" adds
one); the first line names the columns. ``name`` and ``email`` are required; ``id``, ``validFrom``,
``validUntil`` and ``grade`` are optional; other columns are ignored. Header names are matched
without regard to case, spaces, ``-`` or ``_`` (``Valid From`` = ``validFrom``). A file saved
with ``;`` or tab separators (spreadsheets in many locales) is read too.

Dates must say their timezone (``2026-11-23T10:00:00+05:30``) or be a plain date
(``2026-11-23``), read as midnight UTC: a date-time without a timezone is ambiguous across the
five countries of a cohort, so it is reported rather than guessed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from credkit.errors import TemplateError
from credkit.model.models import format_datetime

REQUIRED_COLUMNS = ("name", "email")
OPTIONAL_COLUMNS = ("id", "validFrom", "validUntil", "grade")

# Deliberately loose (RFC 5321/6531 allow far more than any regex should judge): one "@", no
# spaces, a dot in the domain. Catches the usual roster mistakes: swapped columns, blanks, typos.
_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]{2,}$")
_PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HAS_TZ = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_URI_ID = re.compile(r"^(did:[a-z0-9]+:|urn:[A-Za-z0-9-]+:|https?://)\S+$")


def _norm_header(text: str) -> str:
    return re.sub(r"[\s_-]", "", text).lower()


_HEADERS = {_norm_header(c): c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)}


def normalize_email(email: str) -> str:
    """Trimmed, NFC, lower-cased: the form credkit hashes and keys on (tell verifiers)."""
    return unicodedata.normalize("NFC", email.strip()).lower()


@dataclass(frozen=True)
class Graduate:
    """One roster row that passed the checks. Dates are already ``YYYY-MM-DDTHH:MM:SSZ``."""

    name: str
    email: str
    line: int = 0
    id: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    grade: str | None = None

    @property
    def subject_id(self) -> str | None:
        """The ``id`` column when it is a DID or URL: then it names the graduate (subject id)."""
        return self.id if self.id and _URI_ID.match(self.id) else None

    def key(self, achievement_id: str) -> str:
        """Stable key for idempotent re-runs: the ``id`` column, else hash(email, achievement)."""
        if self.id:
            return self.id
        material = f"{normalize_email(self.email)}\n{achievement_id}".encode()
        return "sha256:" + hashlib.sha256(material).hexdigest()

    def file_name(self, achievement_id: str, suffix: str = ".json") -> str:
        """A file name that is the same on every run and safe on every filesystem."""
        if self.id and _SAFE_ID.match(self.id):
            return self.id + suffix
        digest = hashlib.sha256(self.key(achievement_id).encode()).hexdigest()[:16]
        return f"graduate-{digest}{suffix}"


@dataclass(frozen=True)
class RowError:
    """A rejected row: where it is, which column, and what to change."""

    line: int
    column: str
    message: str
    source: str = "roster"

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.column}: {self.message}"


@dataclass
class Roster:
    graduates: list[Graduate] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    source: str = "roster"

    def __iter__(self) -> Iterator[Graduate]:
        return iter(self.graduates)

    def __len__(self) -> int:
        return len(self.graduates)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_date(text: str) -> str:
    """A roster date as ``YYYY-MM-DDTHH:MM:SSZ``; raises ValueError with a fix-it message."""
    value = text.strip()
    if _PLAIN_DATE.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a real calendar date") from None
        return format_datetime(datetime(day.year, day.month, day.day, tzinfo=UTC))
    iso = value.replace(" ", "T", 1)
    if not _HAS_TZ.search(iso):
        raise ValueError(
            f"{value!r} has no timezone; write a plain date (2026-11-23) or add one "
            "(2026-11-23T10:00:00+05:30 or ...Z)"
        )
    try:
        parsed = datetime.fromisoformat(iso.replace("z", "Z"))
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+HH:MM"
        ) from None
    return format_datetime(parsed)


def _dialect(header_line: str) -> type[csv.Dialect] | csv.Dialect:
    if "," not in header_line:
        for sep in (";", "\t"):
            if sep in header_line:

                class _Sep(csv.excel):
                    delimiter = sep

                return _Sep
    return csv.excel


def parse_roster(text: str, *, source: str = "roster") -> Roster:
    """Parse roster text; header problems raise :class:`TemplateError`, row problems are listed."""
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_dialect(first))
    try:
        header = next(reader)
    except StopIteration:
        raise TemplateError(
            f"{source}: the file is empty; the first line must name the columns: name,email"
        ) from None
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        canonical = _HEADERS.get(_norm_header(raw))
        if canonical and canonical not in columns:
            columns[canonical] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise TemplateError(
            f"{source}:1: header lacks {', '.join(missing)}; the first line must name the "
            f"columns, e.g. name,email,grade (found: {', '.join(header) or 'nothing'})"
        )

    roster = Roster(source=source)
    seen_email: dict[str, int] = {}
    seen_id: dict[str, int] = {}
    end_of_previous = reader.line_num
    for row in reader:
        line = end_of_previous + 1  # where this record starts (a quoted field may span lines)
        end_of_previous = reader.line_num
        cells = {c: (row[i].strip() if i < len(row) else "") for c, i in columns.items()}
        if not any(cell.strip() for cell in row):
            continue  # blank lines are not rows

        def bad(column: str, message: str, at: int = line) -> None:
            roster.errors.append(RowError(at, column, message, source))

        count = len(roster.errors)
        name = unicodedata.normalize("NFC", cells["name"])
        email = cells["email"]
        if not name:
            bad("name", "missing; every graduate needs the name to print on the diploma")
        if not email:
            bad("email", "missing; the diploma names its recipient by a hash of this address")
        elif not _EMAIL.match(email):
            bad("email", f"{email!r} is not an email address (expected like name@example.com)")
        dates: dict[str, str | None] = {}
        for column in ("validFrom", "validUntil"):
            raw = cells.get(column, "")
            dates[column] = None
            if raw:
                try:
                    dates[column] = parse_date(raw)
                except ValueError as exc:
                    bad(column, str(exc))
        start, end = dates["validFrom"], dates["validUntil"]
        if start and end and end < start:  # same fixed-width UTC form: string order is time order
            bad("validUntil", f"{end} is before validFrom {start}")
        ident = cells.get("id") or None
        if ident is not None and ident in seen_id:
            bad("id", f"{ident!r} repeats line {seen_id[ident]}; each graduate needs their own id")
        if email and ident is None and normalize_email(email) in seen_email:
            bad(
                "email",
                f"repeats line {seen_email[normalize_email(email)]}; give each row its own id "
                "column if one person really earns two diplomas",
            )
        if len(roster.errors) > count:
            continue
        if ident is not None:
            seen_id[ident] = line
        seen_email.setdefault(normalize_email(email), line)
        roster.graduates.append(
            Graduate(
                name=name,
                email=email,
                line=line,
                id=ident,
                valid_from=start,
                valid_until=end,
                grade=cells.get("grade") or None,
            )
        )
    return roster


def read_roster(path: str | os.PathLike[str]) -> Roster:
    """Read a roster CSV file (UTF-8, BOM or not)."""
    source = Path(path)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise TemplateError(f"cannot read roster {source}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TemplateError(
            f"{source}:{line}: not UTF-8; save the roster as 'CSV UTF-8' so names in Devanagari, "
            "Thai or Vietnamese survive"
        ) from None
    return parse_roster(text, source=str(source))


__all__ = [
    "Graduate",
    "Roster",
    "RowError",
    "normalize_email",
    "parse_date",
    "parse_roster",
    "read_roster",
]
