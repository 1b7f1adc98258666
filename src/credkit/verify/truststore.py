"""Trust lists an employer added once (``credkit trust add``) and every ``credkit verify`` uses.

An accrediting body publishes its register as a *signed* trust list (an ``IssuerTrustList``
credential, :mod:`credkit.verify.trust`). The employer names the accreditor they believe once;
the list is fetched (or read from a file), its signature and its signer checked against that
accreditor, and only then saved, with the accreditor it must keep being signed by. Saving is not
trusting forever: at every verification the saved list is judged again (signature, dates, its own
revocation status), so an expired or revoked list stops counting without anyone removing it.

The folder is per user (``$CREDKIT_TRUST_DIR``, else ``$XDG_CONFIG_HOME/credkit/trust``, else
``~/.config/credkit/trust``), mode 0700, files 0600: what an employer trusts is their own business.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from credkit.atomic import write_atomic
from credkit.proofs.dataintegrity import parse_datetime
from credkit.verify.trust import TrustList, TrustListError, parse_trust_list
from credkit.verify.verifier import Verifier

ENV_DIR = "CREDKIT_TRUST_DIR"


def default_dir() -> Path:
    """Where saved lists live: ``$CREDKIT_TRUST_DIR``, else the XDG config folder."""
    explicit = os.environ.get(ENV_DIR)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "credkit" / "trust"


@dataclass(frozen=True)
class SavedList:
    """What ``credkit trust list`` shows: a list, who signs it, until when, whom it names."""

    key: str
    name: str
    accreditor: str
    vouched_by: str
    source: str
    added: str
    valid_until: str | None
    issuers: dict[str, str | None] = field(default_factory=dict)

    def expired(self, now: datetime | None = None) -> bool:
        if not self.valid_until:
            return False
        try:
            return parse_datetime(self.valid_until) <= (now or datetime.now(UTC))
        except ValueError:
            return True

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "accreditor": self.accreditor,
            "vouchedBy": self.vouched_by,
            "source": self.source,
            "added": self.added,
            "validUntil": self.valid_until,
            "expired": self.expired(),
            "issuers": [{"id": d, "name": n} for d, n in self.issuers.items()],
        }


def source_label(source: str) -> str:
    """A URL as given; a local file by its name only (folders stay private, as in results)."""
    return source if "://" in source else Path(source).name


class TrustStore:
    """The saved lists in one folder."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else default_dir()

    def add(self, data: bytes, *, source: str, accreditor: str, verifier: Verifier) -> SavedList:
        """Check ``data`` is a list signed by ``accreditor`` that verifies now, then save it.

        Re-adding the same source for the same accreditor replaces the saved copy (an update).
        Raises :class:`TrustListError` saying why a list is refused; nothing is saved then.
        """
        label = source_label(source)
        trust_list = parse_trust_list(data, source=label, anchors={accreditor})
        if trust_list.kind != "signed":
            raise TrustListError(
                f"{label} is not a signed trust list (a credential of type IssuerTrustList): "
                "nothing shows who wrote it; ask the accreditor for its signed list, or pass "
                "this file to verify with --trust"
            )
        verdict = verifier.check_trust_list(trust_list)
        if not verdict.accepted:
            why = (verdict.problem or "it does not verify").replace(
                "--trust-anchor", "--accreditor"
            )
            raise TrustListError(f"trust list {label} was not added: {why}")
        document = trust_list.document or {}
        # the earliest end the list states: validUntil, or a VC 1.1 list's expirationDate (the
        # verifier holds it to both, credkit.verify.checks.validity)
        ends = [document.get(n) for n in ("validUntil", "expirationDate")]
        valid_until = min((e for e in ends if isinstance(e, str)), default=None)
        key = hashlib.sha256(f"{accreditor}\n{source}".encode()).hexdigest()[:16]
        saved = SavedList(
            key=key,
            name=trust_list.name,
            accreditor=accreditor,
            vouched_by=verdict.vouched_by or accreditor,
            source=label,
            added=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            valid_until=valid_until if isinstance(valid_until, str) else None,
            issuers={did: entry.name for did, entry in trust_list.entries.items()},
        )
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        write_atomic(self.root / f"{key}.json", data, mode=0o600)
        meta = json.dumps(saved.to_json() | {"expired": None}, indent=2, ensure_ascii=False)
        write_atomic(self.root / f"{key}.meta.json", meta.encode("utf-8"), mode=0o600)
        return saved

    def saved(self) -> list[SavedList]:
        """Every saved list, oldest first (the order ``verify`` consults them in)."""
        if not self.root.is_dir():
            return []
        found: list[SavedList] = []
        for meta_file in sorted(self.root.glob("*.meta.json")):
            try:
                meta = json.loads(meta_file.read_text(encoding="utf-8"))
                found.append(
                    SavedList(
                        key=str(meta["key"]),
                        name=str(meta["name"]),
                        accreditor=str(meta["accreditor"]),
                        vouched_by=str(meta.get("vouchedBy") or meta["accreditor"]),
                        source=str(meta["source"]),
                        added=str(meta["added"]),
                        valid_until=meta.get("validUntil"),
                        issuers={i["id"]: i.get("name") for i in meta.get("issuers", [])},
                    )
                )
            except (OSError, ValueError, KeyError, TypeError):
                raise TrustListError(
                    f"saved trust list {meta_file.name} is damaged: remove it with "
                    f"`credkit trust remove {meta_file.name.split('.')[0]}` and add it again"
                ) from None
        return sorted(found, key=lambda s: (s.added, s.key))

    def remove(self, what: str) -> list[SavedList]:
        """Remove the lists whose key, name, source or accreditor is ``what``; those removed."""
        gone = [s for s in self.saved() if what in (s.key, s.name, s.source, s.accreditor)]
        for s in gone:
            (self.root / f"{s.key}.json").unlink(missing_ok=True)
            (self.root / f"{s.key}.meta.json").unlink(missing_ok=True)
        return gone

    def trust_lists(self) -> list[TrustList]:
        """The saved lists, ready for a registry: each bound to the accreditor it was added for."""
        lists: list[TrustList] = []
        for s in self.saved():
            try:
                data = (self.root / f"{s.key}.json").read_bytes()
            except OSError:
                raise TrustListError(
                    f"saved trust list '{s.name}' is missing its file: "
                    f"`credkit trust remove {s.key}` and add it again"
                ) from None
            lists.append(parse_trust_list(data, source=s.source, anchors={s.accreditor}))
        return lists


__all__ = ["ENV_DIR", "SavedList", "TrustStore", "default_dir", "source_label"]
