"""The workspace's key set: which key signs now, which older keys still verify, which are gone.

A did:web issuer publishes every key a diploma may carry a proof of. ``credkit.toml`` lists them
as ``[[keys]]`` tables; a workspace without any has one key, ``[issuer] key``, and that is the
current one (every workspace made before rotation existed). Each entry::

    [[keys]]
    id = "did:web:lab.example#z6Mk..."   # the verification method proofs name
    file = "keys/issuer-2.key"          # relative to the workspace
    public_key = "z6Mk..."              # publicKeyMultibase: the DID document needs no secret
    state = "current"                   # current | active | retired | compromised
    retired_after = "2027-01-01T00:00:00Z"   # retired: proofs created from then on fail
    compromised_at = "2026-11-30T00:00:00Z"  # compromised: left the DID document

``[issuer] key`` always names the current key's file, so :meth:`Workspace.key` loads the signing
key without knowing about the set. States and the DID document (CID 1.0 §2.2):

- current: signs; listed under verificationMethod, authentication and assertionMethod.
- active: an older key; listed the same way, so diplomas it signed still verify.
- retired: listed with ``expires`` = ``retired_after`` ("SHOULD cease to be used"): a verifier
  that honours it (credkit does) fails a proof created at or after that time.
- compromised: not listed at all. CID 1.0 §2.2 says a method missing from the latest document
  "is considered invalid or revoked": anyone holding the stolen key can write any ``created``
  they like, so no proof by it can be trusted, whatever its date. Diplomas it signed are signed
  again with the current key (:func:`reissue`).

A did:key workspace cannot rotate: the DID *is* the key, so a new key is a new issuer.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from credkit.atomic import write_atomic
from credkit.errors import CredkitError
from credkit.identity.did import methods_document
from credkit.identity.keys import KeyPair
from credkit.identity.signer import Signer

if TYPE_CHECKING:
    from credkit.issuer.store import SqliteStore
    from credkit.issuer.workspace import Workspace

STATES = ("current", "active", "retired", "compromised")
KEYS_DIR = "keys"
CONFIG_NAME = "credkit.toml"  # credkit.issuer.workspace.CONFIG_NAME (which imports this module)
_KEYS_COMMENT = "# the key set (`credkit keys list`); [issuer] key names the current key"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class KeySetError(CredkitError):
    """The key set cannot do what was asked (did:key rotation, unknown key, bad config)."""

    code = "KEY_SET_ERROR"


@dataclass(frozen=True)
class KeyEntry:
    """One key of the workspace (public parts only: the secret stays in its file)."""

    id: str
    file: str
    public_key: str
    state: str
    created: str | None = None
    retired_after: str | None = None
    compromised_at: str | None = None

    def method(self, did: str) -> dict[str, Any]:
        """The verification method as the DID document lists it (CID 1.0 §2.2)."""
        vm: dict[str, Any] = {
            "id": self.id,
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": self.public_key,
        }
        if self.state == "retired" and self.retired_after:
            vm["expires"] = self.retired_after
        return vm

    def toml(self) -> str:
        lines = ["[[keys]]"]
        for name in ("id", "file", "public_key", "state", "created"):
            value = getattr(self, name)
            if value is not None:
                lines.append(f"{name} = {_toml_str(value)}")
        for name in ("retired_after", "compromised_at"):
            value = getattr(self, name)
            if value is not None:
                lines.append(f"{name} = {_toml_str(value)}")
        return "\n".join(lines)


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def timestamp(value: str | datetime) -> str:
    """A date (``2026-12-01``, midnight UTC) or dateTimeStamp as ``YYYY-MM-DDTHH:MM:SSZ``."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        text = value.strip()
        if _DATE.match(text):
            text += "T00:00:00Z"
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise KeySetError(
                f"{value!r} is not a date (2026-12-01) or a date and time (2026-12-01T09:00:00Z)"
            ) from None
        if moment.tzinfo is None:
            raise KeySetError(f"{value!r} has no time zone: add Z (UTC) or an offset")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> str:
    return timestamp(datetime.now(UTC))


# --- reading ---------------------------------------------------------------------------------


def parse_key_set(raw: Any, did: str, where: str) -> tuple[KeyEntry, ...]:
    """The ``[[keys]]`` tables of ``credkit.toml``; exactly one must be current."""
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise KeySetError(f"{where}: keys must be [[keys]] tables")
    entries: list[KeyEntry] = []
    for n, table in enumerate(raw, 1):
        fields = {k: table.get(k) for k in ("id", "file", "public_key", "state")}
        missing = [k for k, v in fields.items() if not isinstance(v, str) or not v]
        if missing:
            raise KeySetError(f"{where}: [[keys]] #{n} has no {', '.join(missing)}")
        if table["state"] not in STATES:
            raise KeySetError(
                f"{where}: [[keys]] #{n}: state {table['state']!r} is not one of {STATES}"
            )
        if not str(table["id"]).startswith(did + "#"):
            raise KeySetError(f"{where}: [[keys]] #{n}: {table['id']} is not a key of {did}")
        optional = {}
        for name in ("created", "retired_after", "compromised_at"):
            value = table.get(name)
            if value is not None:
                if not isinstance(value, str):
                    raise KeySetError(f"{where}: [[keys]] #{n}: {name} must be a string")
                optional[name] = timestamp(value)
        entries.append(
            KeyEntry(
                id=table["id"],
                file=table["file"],
                public_key=table["public_key"],
                state=table["state"],
                **optional,
            )
        )
    current = [e for e in entries if e.state == "current"]
    if len(current) != 1:
        raise KeySetError(f"{where}: exactly one of [[keys]] must be current, {len(current)} are")
    if entries and len({e.id for e in entries}) != len(entries):
        raise KeySetError(f"{where}: two [[keys]] share an id")
    for entry in entries:
        if entry.state == "retired" and not entry.retired_after:
            raise KeySetError(f"{where}: retired key {entry.id} has no retired_after")
        if entry.state == "compromised" and not entry.compromised_at:
            raise KeySetError(f"{where}: compromised key {entry.id} has no compromised_at")
    return tuple(entries)


def key_set(ws: Workspace, key: Signer | None = None) -> list[KeyEntry]:
    """The workspace's keys; without ``[[keys]]``, the one key file (loaded unless given)."""
    if ws.keys:
        return list(ws.keys)
    pair = key if key is not None else ws.key()
    return [
        KeyEntry(
            id=pair.id,
            file=_relative(ws, ws.key_path),
            public_key=pair.public_key.multibase,
            state="current",
        )
    ]


def _relative(ws: Workspace, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ws.root))
    except ValueError:
        return str(path)


def current_entry(ws: Workspace, key: Signer | None = None) -> KeyEntry:
    return next(e for e in key_set(ws, key) if e.state == "current")


def check_signing_key(ws: Workspace, key: Signer) -> None:
    """The loaded signing key must be the key set's current key (a swapped file would sign
    diplomas with a key the DID document does not list)."""
    if not ws.keys:
        return
    current = current_entry(ws)
    if key.public_key.multibase != current.public_key or key.id != current.id:
        raise KeySetError(
            f"{ws.key_path} holds key {key.id}, but the key set's current key is {current.id} "
            f"({current.file}); fix [issuer] key or [[keys]] in credkit.toml"
        )


def published_methods(ws: Workspace, key: Signer) -> list[dict[str, Any]]:
    """The verification methods the DID document lists: every key but compromised ones,
    the current key first."""
    check_signing_key(ws, key)
    entries = key_set(ws, key)
    ordered = sorted(entries, key=lambda e: e.state != "current")
    return [e.method(ws.issuer_did) for e in ordered if e.state != "compromised"]


def workspace_did_document(ws: Workspace, key: Signer) -> dict[str, Any] | None:
    """The did:web document of the workspace's key set; None for a did:key issuer."""
    if not ws.issuer_did.startswith("did:web:"):
        return None
    return methods_document(ws.issuer_did, published_methods(ws, key))


def find(ws: Workspace, ref: str, entries: Iterable[KeyEntry]) -> KeyEntry:
    """A key by verification method id, its fragment, its publicKeyMultibase or its file."""
    ref = ref.strip()
    for entry in entries:
        fragment = entry.id.partition("#")[2]
        names = {entry.id, fragment, "#" + fragment, entry.public_key, entry.file}
        if ref in names or str((ws.root / entry.file).resolve()) == str(Path(ref).resolve()):
            return entry
    raise KeySetError(f"no key {ref!r} in this workspace (see `credkit keys list`)")


# --- changing ------------------------------------------------------------------------------


def refuse_did_key(ws: Workspace, what: str) -> None:
    if not ws.issuer_did.startswith("did:web:"):
        raise KeySetError(
            f"a did:key issuer cannot {what}: the DID {ws.issuer_did} is the key itself, so "
            "a new key would be a new issuer and every diploma issued so far would name the "
            "old one; use did:web for a real program (`credkit init --did-web DOMAIN`, "
            "docs/keys-and-dids.md)"
        )


def write_key_set(ws: Workspace, entries: list[KeyEntry]) -> None:
    """Rewrite ``credkit.toml``: ``[issuer] key`` names the current key, ``[[keys]]`` the set.

    Everything else in the file (comments included) is kept; the result is parsed and checked
    before it replaces the old file, atomically.
    """
    path = ws.root / CONFIG_NAME
    lines = path.read_text(encoding="utf-8").splitlines()
    kept: list[str] = []
    section = ""
    skipping = False
    current = next(e for e in entries if e.state == "current")
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
            skipping = stripped == "[[keys]]"
            if skipping:
                continue
        if skipping or stripped == _KEYS_COMMENT:
            continue
        if section == "[issuer]" and re.match(r"^key\s*=", stripped):
            line = f"key = {_toml_str(current.file)}"
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    if not any(re.match(r"^key\s*=", ln.strip()) for ln in _section(kept, "[issuer]")):
        at = next(i for i, ln in enumerate(kept) if ln.strip().startswith("[issuer]")) + 1
        kept.insert(at, f"key = {_toml_str(current.file)}")
    text = "\n".join(kept) + "\n\n" + _KEYS_COMMENT + "\n"
    text += "\n\n".join(e.toml() for e in entries) + "\n"
    # never write a file credkit cannot read back
    parsed = parse_key_set(tomllib.loads(text).get("keys"), ws.issuer_did, str(path))
    write_atomic(path, text.encode("utf-8"), mode=0o600)
    # the caller's Workspace now reads as the file does (no stale key set in a library caller)
    ws.keys = parsed
    ws.key_path = ws.root / current.file


def _section(lines: list[str], name: str) -> list[str]:
    out: list[str] = []
    inside = False
    for line in lines:
        if line.strip().startswith("["):
            inside = line.strip() == name
            continue
        if inside:
            out.append(line)
    return out


def refuse_token_key(ws: Workspace) -> None:
    """A rotation writes a key file: it must not quietly move the signing key out of the
    PKCS#11 token the issuer chose to keep it in."""
    issuer = ws.extra.get("issuer", {})
    if isinstance(issuer, dict) and "key_pkcs11" in issuer:
        raise KeySetError(
            "this workspace signs with a PKCS#11 token key; credkit rotates file keys only: "
            "make the new key in the token (credkit keys pkcs11-generate), point "
            "[issuer.key_pkcs11] at it and keep the old key published (docs/keys-and-dids.md)"
        )


def rotate(
    ws: Workspace, store: SqliteStore, *, passphrase: str | bytes | None = None
) -> tuple[KeyEntry, KeyEntry]:
    """A new key becomes the signing key; the old one stays published (state ``active``).
    With ``passphrase`` the new key file is sealed (as ``credkit init`` seals the first).

    Returns (old, new). The new key file is written first (0600, never replacing a file), then
    the config, then the audit entry.
    """
    refuse_did_key(ws, "rotate keys")
    refuse_token_key(ws)
    entries = key_set(ws)
    old = next(e for e in entries if e.state == "current")
    pair = KeyPair.generate()
    pair = pair.with_controller(ws.issuer_did, f"{ws.issuer_did}#{pair.public_key.multibase}")
    folder = ws.root / KEYS_DIR
    if not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True)
        os.chmod(folder, 0o700)
    number = len(entries) + 1
    while (folder / f"issuer-{number}.key").exists():
        number += 1
    relative = f"{KEYS_DIR}/issuer-{number}.key"
    save_key(pair, ws.root / relative, passphrase=passphrase)
    now = _now()
    new = KeyEntry(
        id=pair.id,
        file=relative,
        public_key=pair.public_key.multibase,
        state="current",
        created=now,
    )
    updated = [replace(e, state="active") if e is old else e for e in entries] + [new]
    with store.transaction():  # the entry commits only if the config was written
        store.audit("key.rotate", detail={"old": old.id, "new": new.id, "file": relative})
        write_key_set(ws, updated)
    return old, new


def save_key(pair: KeyPair, path: Path, *, passphrase: str | bytes | None = None) -> None:
    """Write a new key file (0600; sealed with ``passphrase`` when given): the one place a
    rotated key is saved."""
    pair.save(path, passphrase=passphrase)


@dataclass(frozen=True)
class SignedBy:
    """A stored diploma with a proof by some key: its id, file and the proofs' times."""

    credential_id: str
    path: str | None
    created: tuple[str, ...]
    after: bool  # some proof by the key claims a time at or after the date asked about
    subject_name: str | None = None


def signed_by(store: SqliteStore, vm_id: str, since: str | None = None) -> list[SignedBy]:
    """The stored credentials with a proof whose verificationMethod is ``vm_id``."""
    found: list[SignedBy] = []
    limit = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
    for record in store.credentials():
        try:
            document = record.json()
        except (ValueError, CredkitError):
            continue
        proofs = document.get("proof")
        proofs = proofs if isinstance(proofs, list) else [proofs]
        times = tuple(
            str(p.get("created", ""))
            for p in proofs
            if isinstance(p, dict) and p.get("verificationMethod") == vm_id
        )
        if not times:
            continue
        after = False
        if limit is not None:
            for t in times:
                try:
                    after = after or datetime.fromisoformat(t.replace("Z", "+00:00")) >= limit
                except ValueError:
                    after = True  # no readable time: cannot show it was before
        found.append(SignedBy(record.id, record.path, times, after, record.subject_name))
    return found


def retire(ws: Workspace, store: SqliteStore, ref: str, after: str) -> KeyEntry:
    """Mark a key retired from ``after`` on: listed with ``expires`` (CID 1.0 §2.2).

    Refused for the current key (rotate first) and when a diploma in the store carries a proof
    by the key created at or after the date: retiring would break it.
    """
    refuse_did_key(ws, "retire keys")
    entries = key_set(ws)
    entry = find(ws, ref, entries)
    when = timestamp(after)
    if entry.state == "current":
        raise KeySetError(
            f"{entry.id} is the current signing key: run `credkit keys rotate` first, then "
            "retire it"
        )
    if entry.state == "compromised":
        raise KeySetError(f"{entry.id} is compromised; it is no longer published at all")
    late = [s for s in signed_by(store, entry.id, when) if s.after]
    if late:
        raise KeySetError(
            f"{len(late)} diploma(s) in the store carry a proof by {entry.id} created at or "
            f"after {when} (first: {late[0].credential_id}); retiring the key from then would "
            "make them fail: pick a later date"
        )
    updated = [
        replace(e, state="retired", retired_after=when) if e is entry else e for e in entries
    ]
    with store.transaction():
        store.audit("key.retire", detail={"key": entry.id, "retired_after": when})
        write_key_set(ws, updated)
    return replace(entry, state="retired", retired_after=when)


def revoke(
    ws: Workspace, store: SqliteStore, ref: str, compromised_at: str
) -> tuple[KeyEntry, list[SignedBy]]:
    """A stolen key leaves the DID document; returns it and the stored diplomas it signed
    (``after``: some proof by it claims a time at or after ``compromised_at``)."""
    refuse_did_key(ws, "revoke a key")
    entries = key_set(ws)
    entry = find(ws, ref, entries)
    when = timestamp(compromised_at)
    if entry.state == "current":
        raise KeySetError(
            f"{entry.id} is the current signing key: run `credkit keys rotate` first (a new "
            "key signs from then on), then revoke this one"
        )
    affected = signed_by(store, entry.id, when)
    if entry.state != "compromised":
        updated = [
            replace(e, state="compromised", compromised_at=when) if e is entry else e
            for e in entries
        ]
        with store.transaction():
            store.audit(
                "key.revoke",
                detail={
                    "key": entry.id,
                    "compromised_at": when,
                    "signed": len(affected),
                    "signed_after": sum(1 for s in affected if s.after),
                },
            )
            write_key_set(ws, updated)
    return replace(entry, state="compromised", compromised_at=when), affected


@dataclass(frozen=True)
class Reissued:
    credential_id: str
    old_digest: str
    new_digest: str
    path: str | None


def reissue(
    ws: Workspace, store: SqliteStore, key: Signer, ref: str, *, dry_run: bool = False
) -> list[Reissued]:
    """Sign again, with the current key, every stored diploma that carries a proof by the key
    ``ref``: same id, same status entries, same claims, new proofs (one per proof the old key
    made, same cryptosuite). Files are written again; nothing is revoked."""
    from credkit.issuer.cohort import DIPLOMA_MODE
    from credkit.proofs.dataintegrity import now_utc, sign

    check_signing_key(ws, key)
    entries = key_set(ws, key)
    entry = find(ws, ref, entries)
    if entry.state == "current":
        raise KeySetError(f"{entry.id} is the current signing key: nothing to sign again")
    done: list[Reissued] = []
    for item in signed_by(store, entry.id):
        record = store.credential(item.credential_id)
        if record is None:
            continue
        document = record.json()
        proofs = document.get("proof")
        proofs = proofs if isinstance(proofs, list) else [proofs]
        mine = [
            p for p in proofs if isinstance(p, dict) and p.get("verificationMethod") == entry.id
        ]
        kept = [p for p in proofs if not any(p is m for m in mine)]
        suites = [str(p.get("cryptosuite") or p.get("type")) for p in mine]
        signed: dict[str, Any] = {k: v for k, v in document.items() if k != "proof"}
        if kept:
            signed["proof"] = kept
        created = now_utc()
        for suite in suites:
            signed = sign(signed, key, cryptosuite=suite, created=created)
        if dry_run:
            done.append(Reissued(record.id, record.digest, "", record.path))
            continue
        new, old_digest = store.record_reissued(
            record.id, signed, detail={"old_key": entry.id, "new_key": key.id}
        )
        if record.path and new.document is not None:
            write_atomic(record.path, new.document, mode=DIPLOMA_MODE)
        done.append(Reissued(record.id, old_digest, new.digest, record.path))
    return done


def describe(entries: Iterable[KeyEntry]) -> list[dict[str, Any]]:
    """The key set as JSON-ready objects (public parts only)."""
    out = []
    for e in entries:
        item: dict[str, Any] = {
            "id": e.id,
            "file": e.file,
            "publicKeyMultibase": e.public_key,
            "state": e.state,
        }
        for name, value in (
            ("created", e.created),
            ("retiredAfter", e.retired_after),
            ("compromisedAt", e.compromised_at),
        ):
            if value:
                item[name] = value
        out.append(item)
    return out
