"""Issue a whole cohort: one signed diploma per roster row, idempotent and crash-safe.

Why it is shaped like this:
- **Idempotent.** Each graduate has a stable key (roster ``id``, else email + achievement), hence a
  stable credential id and file name. A graduate already issued is never issued again: with a
  store, the store's record decides (and a missing file is rewritten from it); without one, an
  existing file with the right id does.
- **Crash-safe.** With a store, status indexes are allocated, diplomas signed and records written in
  one SQLite transaction per batch: a kill leaves the batch either wholly committed or not at all.
  Files are written after the commit, atomically (temp file + rename), so a reader never sees half a
  diploma; a crash between commit and file write is repaired by the next run.
- **Every core.** Signing (JSON-LD canonicalization) is the cost; it runs in a process pool while
  the main process owns the store.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from credkit.atomic import write_atomic, write_atomic_many
from credkit.contexts import ED25519_2020_V1
from credkit.diploma import build_diploma, credential_id_for
from credkit.errors import CredkitError
from credkit.keys import KeyPair
from credkit.proofs import format_datetime, sign
from credkit.roster import Graduate, Roster
from credkit.status import status_entry
from credkit.template import DiplomaTemplate

# diplomas name graduates: readable by the issuer only until published (host/site)
DIPLOMA_MODE = 0o600
OB_SCHEMA_MARK = "/spec/ob/v3p0/schema/"
Progress = Callable[[int], None]  # called with how many rows were just finished


@dataclass
class CohortReport:
    issued: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    repaired: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass
class _Job:
    graduate: Graduate
    key: str
    credential_id: str
    path: Path
    document: dict[str, Any] | None = None


def _encode(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _existing_id(path: Path) -> str | None:
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    value = document.get("id") if isinstance(document, dict) else None
    return value if isinstance(value, str) else None


# --- signing in worker processes -----------------------------------------------------------------


@dataclass
class _WorkerState:
    key: KeyPair
    template: DiplomaTemplate
    suite: str
    moment: datetime
    legacy_proof: bool = False


_STATE: _WorkerState | None = None


def _init_worker(
    secret: str,
    controller: str,
    key_id: str,
    template: DiplomaTemplate,
    suite: str,
    moment: datetime,
    legacy_proof: bool,
) -> None:
    global _STATE
    key = KeyPair.from_secret_multibase(secret, controller=controller, key_id=key_id)
    _STATE = _WorkerState(key, template, suite, moment, legacy_proof)


def _build_in_worker(job: tuple[Graduate, str]) -> dict[str, Any] | str:
    """The unsigned diploma, or the reason the row cannot become one."""
    assert _STATE is not None
    graduate, credential_id = job
    try:
        return build_diploma(
            _STATE.template,
            graduate,
            issuer_id=_STATE.key.controller,
            credential_id=credential_id,
            now=_STATE.moment,
        )
    except CredkitError as exc:
        where = "" if "roster line" in exc.message else f"roster line {graduate.line}: "
        return where + exc.message


def _sign_in_worker(document: dict[str, Any]) -> dict[str, Any]:
    assert _STATE is not None
    created = format_datetime(_STATE.moment)
    if not _STATE.legacy_proof:
        return sign(document, _STATE.key, cryptosuite=_STATE.suite, created=created)
    # a second, Ed25519Signature2020 proof for wallets that verify nothing newer (the DCC
    # Learner Credential Wallet); its context goes in before the first proof, so both proofs
    # sign the same document
    document = {**document, "@context": [*document["@context"], ED25519_2020_V1]}
    signed = sign(document, _STATE.key, cryptosuite=_STATE.suite, created=created)
    return sign(signed, _STATE.key, cryptosuite="Ed25519Signature2020", created=created)


class _InProcess(Executor):
    """A stand-in for a pool when one process is asked for (or the cohort is tiny)."""

    def map(self, fn: Callable[[Any], Any], *iterables: Any, **_: Any) -> Iterator[Any]:
        return map(fn, *iterables)


# --- the cohort ----------------------------------------------------------------------------------


def issue_cohort(
    template: DiplomaTemplate,
    roster: Roster | Sequence[Graduate],
    key: KeyPair,
    out_dir: str | os.PathLike[str],
    *,
    store: Any | None = None,
    purposes: Sequence[str] = ("revocation",),
    cryptosuite: str = "eddsa-rdfc-2022",
    legacy_proof: bool = False,
    workers: int | None = None,
    batch_size: int = 64,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> CohortReport:
    """Issue every graduate of ``roster`` into ``out_dir``; see the module docstring for why."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = CohortReport()
    if isinstance(roster, Roster):
        report.failed.extend(str(e) for e in roster.errors)
    graduates = list(roster)
    achievement_id = template.achievement.id
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    tick = progress or (lambda n: None)

    pending: list[_Job] = []
    seen: set[str] = set()
    for graduate in graduates:
        gkey = graduate.key(achievement_id)
        path = out / graduate.file_name(achievement_id)
        if gkey in seen:
            report.failed.append(
                f"roster line {graduate.line}: {graduate.name}: same graduate as an earlier row "
                "(same id or email); skipped"
            )
            tick(1)
            continue
        seen.add(gkey)
        job = _Job(graduate, gkey, credential_id_for(gkey, achievement_id), path)
        if _already_issued(job, store, report):
            tick(1)
            continue
        pending.append(job)

    if not pending:
        return report
    count = workers if workers is not None else (os.cpu_count() or 1)
    use_pool = count > 1 and len(pending) > 2 * batch_size // 4
    pool: Executor = (
        ProcessPoolExecutor(
            max_workers=count,
            initializer=_init_worker,
            initargs=(
                key.secret_multibase,
                key.controller,
                key.id,
                template,
                cryptosuite,
                moment,
                legacy_proof,
            ),
        )
        if use_pool
        else _InProcess()
    )
    if not use_pool:
        _init_worker(
            key.secret_multibase,
            key.controller,
            key.id,
            template,
            cryptosuite,
            moment,
            legacy_proof,
        )
    try:
        for start in range(0, len(pending), batch_size):
            chunk = pending[start : start + batch_size]
            _issue_batch(chunk, store, purposes, pool, report)
            tick(len(chunk))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return report


def _already_issued(job: _Job, store: Any | None, report: CohortReport) -> bool:
    if store is not None:
        record = store.find_by_subject_key(job.key)
        if record is None:
            return False
        if not job.path.exists() or _existing_id(job.path) != record.id:
            # committed but the file was not written (a crash) or was lost: restore it
            write_atomic(job.path, record.document, mode=DIPLOMA_MODE)
            report.repaired.append(job.path)
        else:
            report.skipped.append(job.path)
        return True
    if _existing_id(job.path) == job.credential_id:
        report.skipped.append(job.path)
        return True
    return False


def _attach_status(document: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    """Add the status entries; OB 3.0 allows one (its schema wants an object, 0..1).

    With suspension as well as revocation the diploma carries a set (allowed by VC DM 2.0 §4.11)
    and no longer conforms to the OB 3.0 JSON Schema, so it must not claim that schema either
    (see docs/status.md: suspension is off by default for this reason).
    """
    if len(entries) == 1:
        document["credentialStatus"] = entries[0]
        return
    document["credentialStatus"] = entries
    kept = [
        s for s in document.get("credentialSchema", []) if OB_SCHEMA_MARK not in str(s.get("id"))
    ]
    if kept:
        document["credentialSchema"] = kept
    else:
        document.pop("credentialSchema", None)


def _issue_batch(
    chunk: list[_Job],
    store: Any | None,
    purposes: Sequence[str],
    pool: Executor,
    report: CohortReport,
) -> None:
    ready: list[_Job] = []
    built = pool.map(_build_in_worker, [(j.graduate, j.credential_id) for j in chunk])
    for job, result in zip(chunk, built, strict=True):
        if isinstance(result, str):
            report.failed.append(result)
        else:
            job.document = result
            ready.append(job)
    if store is None:
        signed_iter = pool.map(_sign_in_worker, [j.document for j in ready])
        files = [(j.path, _encode(signed)) for j, signed in zip(ready, signed_iter, strict=True)]
        write_atomic_many(files, mode=DIPLOMA_MODE)
        report.issued.extend(path for path, _ in files)
        return
    written: list[tuple[_Job, bytes]] = []
    with store.transaction():
        for job in ready:
            # allocated only for rows that built, so no index is left without its record
            entries = []
            for purpose in purposes:
                slot = store.allocate(purpose, job.credential_id)
                entries.append(status_entry(slot.list_url, slot.list_index, purpose))
            assert job.document is not None
            _attach_status(job.document, entries)
        signed_all = list(pool.map(_sign_in_worker, [j.document for j in ready]))
        for job, signed in zip(ready, signed_all, strict=True):
            body = _encode(signed)
            store.record_issued(
                job.credential_id,
                body,
                subject_key=job.key,
                subject_name=job.graduate.name,
                email=job.graduate.email,
                path=str(job.path),
            )
            written.append((job, body))
    # after the commit: a crash from here on is repaired by the next run from the store
    write_atomic_many([(job.path, body) for job, body in written], mode=DIPLOMA_MODE)
    report.issued.extend(job.path for job, _ in written)
