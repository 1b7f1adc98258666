"""Who holds which diploma: the issuer store read as a list of graduates, and finding one diploma.

An issuer thinks in graduates (a name, an email, a roster row), a verifier in credential ids, the
file system in paths. ``credkit list`` shows all three side by side, and ``credkit status revoke``
accepts any of them, so nobody has to work out which ``graduate-<hash>.json`` is whose. The store
keeps a hash of each email, never the address: an email finds its diploma, a listing cannot show
it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from credkit.errors import StoreError
from credkit.issuer.store import REPLACED_MARK, IssuedCredential, IssuerStore, email_hash

_URI_PREFIXES = ("urn:", "http:", "https:", "did:")


@dataclass(frozen=True)
class DiplomaRow:
    """One issued diploma as ``credkit list`` shows it."""

    name: str | None
    roster_id: str | None  # the roster's id column, when the row had one
    id: str  # the credential id, what verifiers and status lists know
    file: str | None
    status: str  # active | revoked | suspended | replaced | not revocable
    issued_at: str
    replaced_by: str | None = None

    def json(self) -> dict[str, Any]:
        return asdict(self)


def _roster_id(record: IssuedCredential) -> tuple[str | None, str | None]:
    key = record.subject_key or ""
    key, _, replaced_by = key.partition(REPLACED_MARK)
    roster_id = key if key and not key.startswith("sha256:") else None
    return roster_id, replaced_by or None


def _status(store: IssuerStore, record: IssuedCredential, replaced_by: str | None) -> str:
    states = store.get_status(record.id)
    if states.get("revocation"):
        return "replaced" if replaced_by else "revoked"
    if states.get("suspension"):
        return "suspended"
    return "active" if "revocation" in states else "not revocable"


def list_diplomas(
    store: IssuerStore,
    *,
    name: str | None = None,
    email: str | None = None,
    ident: str | None = None,
) -> list[DiplomaRow]:
    """Every diploma in the store, oldest first, filtered by name (part of it, any case), email
    (exact, any case) or id (the credential id or the roster id)."""
    wanted_hash = email_hash(email) if email else None
    rows = []
    for record in store.credentials(documents=False):
        roster_id, replaced_by = _roster_id(record)
        if name and name.casefold() not in (record.subject_name or "").casefold():
            continue
        if wanted_hash and record.email_hash != wanted_hash:
            continue
        if ident and ident not in (record.id, roster_id):
            continue
        rows.append(
            DiplomaRow(
                name=record.subject_name,
                roster_id=roster_id,
                id=record.id,
                file=None if replaced_by else record.path,  # its bytes stay in the store
                status=_status(store, record, replaced_by),
                issued_at=record.issued_at,
                replaced_by=replaced_by,
            )
        )
    return rows


def find_diploma(store: IssuerStore, ref: str) -> str:
    """The credential id ``ref`` names: a credential id, a roster id, an email or a diploma file.

    An email or roster id names the graduate's current diploma (not one a re-issue replaced).
    Raises :class:`StoreError` saying what was tried when nothing, or more than one, matches.
    """
    path = Path(ref)
    if not ref.startswith(_URI_PREFIXES) and path.is_file():
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            raise StoreError(f"{ref} is not a diploma file (not JSON)") from None
        if not isinstance(document, dict) or not isinstance(document.get("id"), str):
            raise StoreError(f"{ref} is not a credential with an id")
        return str(document["id"])
    if ref.startswith(_URI_PREFIXES):
        return ref
    if "@" in ref:
        found = [r for r in list_diplomas(store, email=ref) if r.replaced_by is None]
    else:
        found = [r for r in list_diplomas(store, ident=ref) if r.replaced_by is None]
    if len(found) == 1:
        return found[0].id
    if not found:
        raise StoreError(
            f"no diploma in the store matches {ref!r}: give a diploma id (urn:uuid:...), a "
            "roster id, the graduate's email or the diploma's file; `credkit list` shows them"
        )
    ids = ", ".join(r.id for r in found)
    raise StoreError(f"{ref!r} matches {len(found)} diplomas ({ids}): give the diploma id")


__all__ = ["DiplomaRow", "find_diploma", "list_diplomas"]
