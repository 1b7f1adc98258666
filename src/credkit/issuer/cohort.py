"""Issue a whole cohort: one signed diploma per roster row, idempotent and crash-safe.

Why it is shaped like this:
- **Idempotent.** Each graduate has a stable key (roster ``id``, else email + achievement), hence a
  stable credential id and file name. A graduate already issued is never issued again: with a
  store, the store's record decides (and a missing file is rewritten from it); without one, an
  existing file with the right id does.
- **Crash-safe.** With a store, status indexes are allocated, diplomas signed and records written in
  one store transaction per batch: a kill leaves the batch either wholly committed or not at all.
  Each file is written to a temp file while the batch is signed and renamed into place only after
  the commit (all synced first), so a reader never sees half a diploma nor one the store lacks; a
  crash between commit and rename is repaired by the next run.
- **One live diploma per graduate and achievement.** A row whose graduate already holds a
  diploma is skipped (same key) or, when the key changed (a row without an ``id`` whose template's
  achievement id was edited), refused with :class:`ReissueRequiredError` before anything is
  signed. ``reissue=True`` replaces instead: a new diploma (new credential id, new status index)
  at the graduate's file, and the old one revoked in the same transaction (``store.replace``).
- **Every core.** Signing (JSON-LD canonicalization) is the cost; it runs in a process pool while
  the main process owns the store.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from credkit.atomic import StagedFiles, temp_owner, write_atomic
from credkit.errors import CredkitError, StoreError, TemplateError
from credkit.identity.signer import Signer, WorkerFactory, rebuild, worker_factory
from credkit.issuer.store import (
    REPLACED_MARK,
    IssuedCredential,
    IssueRow,
    IssuerStore,
    email_hash,
)
from credkit.issuer.wallet import sign_with_legacy
from credkit.jsonfmt import dumps_pretty
from credkit.model.diploma import build_diploma, check_template, credential_id_for
from credkit.model.roster import Graduate, Roster
from credkit.model.template import DiplomaTemplate
from credkit.proofs.dataintegrity import format_datetime
from credkit.status import StatusSpec, status_entry

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

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
    replaced: list[str] = field(default_factory=list)  # ids of the diplomas a re-issue replaced

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass
class _Job:
    graduate: Graduate
    key: str
    credential_id: str
    path: Path
    replaces: tuple[IssuedCredential, ...] = ()


class ReissueRequiredError(TemplateError):
    """Graduates of the roster already hold a diploma under another key: re-issuing must be asked.

    Raised before anything is signed, so a run either issues all of its new rows or nothing.
    """


def _encode(document: dict[str, Any]) -> bytes:
    return dumps_pretty(document).encode("utf-8")


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
    key: Signer
    template: DiplomaTemplate
    suite: str
    moment: datetime
    legacy_proof: bool = False


_STATE: _WorkerState | None = None


def _init_worker(
    signer: Signer | WorkerFactory,
    template: DiplomaTemplate,
    suite: str,
    moment: datetime,
    legacy_proof: bool,
) -> None:
    """``signer``: the signer itself (this process) or how to rebuild it (a pool worker: a file
    key's seed through the pool's pipe, never a file; a PKCS#11 key's token and label)."""
    global _STATE
    key = rebuild(signer) if isinstance(signer, tuple) else signer
    _STATE = _WorkerState(key, template, suite, moment, legacy_proof)


def _die_with_parent(parent: int) -> None:
    """End this worker when the cohort process dies, even by SIGKILL (no cleanup runs there).

    A pool worker inherits the task queue's pipe, so it never sees end-of-file and would wait
    forever, holding the issuer's key in memory. On Linux the kernel delivers SIGKILL to the
    worker when its parent goes (``PR_SET_PDEATHSIG``); everywhere, a daemon thread checks once
    a second that the parent is still the one that started the pool.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=watch, name="credkit-parent-watch", daemon=True).start()


def _init_pool_worker(parent: int, *args: Any) -> None:
    _die_with_parent(parent)
    _init_worker(*args)


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
    # with legacy_proof, a second, Ed25519Signature2020 proof for wallets that verify nothing
    # newer (the DCC Learner Credential Wallet)
    return sign_with_legacy(
        document,
        _STATE.key,
        cryptosuite=_STATE.suite,
        created=format_datetime(_STATE.moment),
        legacy=_STATE.legacy_proof,
    )


_RowJob = tuple[Graduate, str, list[dict[str, Any]] | None]


def _issue_in_worker(job: _RowJob) -> bytes | str:
    """Build, attach the status entries (``None``: no store), sign and encode one diploma.

    One round trip per row: the graduate and its status entries go out, the file's bytes come
    back (pickling whole documents both ways, twice, was a large share of the main process).
    """
    graduate, credential_id, entries = job
    built = _build_in_worker((graduate, credential_id))
    if isinstance(built, str):
        return built
    if entries is not None:
        _attach_status(built, entries)
    return _encode(_sign_in_worker(built))


class _InProcess(Executor):
    """A stand-in for a pool when one process is asked for (or the cohort is tiny)."""

    def map(self, fn: Callable[[Any], Any], *iterables: Any, **_: Any) -> Iterator[Any]:
        return map(fn, *iterables)


# --- the cohort ----------------------------------------------------------------------------------


def issue_cohort(
    template: DiplomaTemplate,
    roster: Roster | Sequence[Graduate],
    key: Signer,
    out_dir: str | os.PathLike[str],
    *,
    store: IssuerStore | None = None,
    purposes: Sequence[str | StatusSpec] = ("revocation",),
    cryptosuite: str = "eddsa-rdfc-2022",
    legacy_proof: bool = False,
    workers: int | None = None,
    batch_size: int = 512,
    progress: Progress | None = None,
    now: datetime | None = None,
    reissue: bool = False,
) -> CohortReport:
    """Issue every graduate of ``roster`` into ``out_dir``; see the module docstring for why.

    ``reissue``: graduates who already hold a diploma get a new one and the old one is revoked
    (with a store; without one the file is simply rewritten).
    """
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
    owned: set[str] = set()
    files: set[str] = set()  # the file names taken, case folded
    conflicts: list[str] = []
    # one read of the store's records (without their bytes) for the whole roster: who holds a
    # diploma already, by subject key and by email (a row each was a query each, before signing)
    records = store.credentials(documents=False) if store is not None else []
    by_key = {r.subject_key: r for r in records if r.subject_key}
    by_email = _live_by_email(records)
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
        if path.name.casefold() in files:
            # two graduates, one file (an id spelled like another row's file name, or ids that
            # differ only in case on a case-insensitive disk): the second would overwrite the first
            report.failed.append(
                f"roster line {graduate.line}: {graduate.name}: file {path.name} is an earlier "
                "row's file too; give this row another id; skipped"
            )
            tick(1)
            continue
        seen.add(gkey)
        files.add(path.name.casefold())
        owned.add(path.name)
        job = _Job(graduate, gkey, credential_id_for(gkey, achievement_id), path)
        # a row without an id is the graduate's email: a diploma under another key for the same
        # email is this graduate's from an earlier template (its achievement id was edited)
        others = [
            c
            for c in ([] if graduate.id else by_email.get(email_hash(graduate.email), []))
            if c.subject_key != gkey
        ]
        if reissue and store is not None:
            record = by_key.get(gkey)
            olds = tuple(([record] if record else []) + [c for c in others if _live(store, c)])
            if record is not None or olds:
                job.replaces = olds
                job.credential_id = "urn:uuid:" + str(uuid.uuid4())
                pending.append(job)
                continue
        elif reissue:  # no store: nothing to revoke, the file is written again
            pending.append(job)
            continue
        if _already_issued(job, store, report, by_key):
            tick(1)
            continue
        live = [c for c in others if store is not None and _live(store, c)]
        if live:
            conflicts.append(
                f"roster line {graduate.line}: {graduate.name} <{graduate.email}> already holds "
                f"{live[0].id} ({live[0].path or 'no file'})"
            )
            continue
        pending.append(job)
    if conflicts:
        more = [f"... and {len(conflicts) - 5} more"] if len(conflicts) > 5 else []
        shown = conflicts[:5] + more
        raise ReissueRequiredError(
            f"{len(conflicts)} graduate(s) already hold a diploma issued from an earlier version "
            "of the template (its achievement id changed); nothing was issued:\n  "
            + "\n  ".join(shown)
            + "\npass --reissue to issue them new diplomas and revoke the old ones "
            '(docs/diplomas.md, "Re-issuing"), or restore the template\'s achievement id'
        )
    if pending:
        # a template that cannot make a valid diploma fails here, before anything is signed
        check_template(template, key.controller)

    # every diploma of this roster, issued or not: a temp file of one a killed run had already
    # committed (and this run only skips or repairs) is as stale as one of a pending row
    _remove_stale_temp_files(out, owned)
    if not pending:
        return report
    count = workers if workers is not None else (os.cpu_count() or 1)
    # a signer that cannot be rebuilt in another process signs here, one diploma at a time
    factory = worker_factory(key)
    use_pool = count > 1 and len(pending) > 32 and factory is not None
    # what every worker (or this process, without a pool) signs with
    worker_args = (template, cryptosuite, moment, legacy_proof)
    pool: Executor = (
        ProcessPoolExecutor(
            max_workers=count,
            initializer=_init_pool_worker,
            initargs=(os.getpid(), factory, *worker_args),
            # a signer holding native state (a PKCS#11 library) must not be forked with it
            mp_context=multiprocessing.get_context(getattr(key, "start_method", None)),
        )
        if use_pool
        else _InProcess()
    )

    def chunksize(rows: int) -> int:
        # a few chunks per worker: little pickling overhead, and a short tail at a batch's end
        return max(1, rows // (count * 8)) if use_pool else 1

    if not use_pool:
        _init_worker(key, *worker_args)
    writer = _FileWriter(report)
    try:
        for start in range(0, len(pending), batch_size):
            chunk = pending[start : start + batch_size]
            try:
                _issue_batch(chunk, store, purposes, pool, report, writer, chunksize(len(chunk)))
            except StoreError:
                # the same roster run on another machine against the same (PostgreSQL) store
                # committed some of these rows first: they are issued (the batch was rolled
                # back whole, nothing of ours stayed); take theirs, issue the rest
                raced = [job for job in chunk if _already_issued(job, store, report)]
                if not raced:
                    raise
                rest = [job for job in chunk if job not in raced]
                if rest:
                    _issue_batch(rest, store, purposes, pool, report, writer, chunksize(len(rest)))
            tick(len(chunk))
    except BrokenExecutor:
        # a worker that could not start (a token refusing its session) or died: the batch in
        # flight was rolled back with its transaction; batches before it stay issued
        raise CredkitError(
            "a signing worker process failed to start or died; its batch was not issued (the "
            "batches before it were); run the command again to finish: it skips those issued"
        ) from None
    finally:
        try:
            writer.close()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return report


def _live_by_email(records: list[IssuedCredential]) -> dict[str, list[IssuedCredential]]:
    """The store's current (not replaced) diplomas by email hash."""
    found: dict[str, list[IssuedCredential]] = {}
    for record in records:
        key = record.subject_key or ""
        if record.email_hash and REPLACED_MARK not in key:
            found.setdefault(record.email_hash, []).append(record)
    return found


def _live(store: IssuerStore, record: IssuedCredential) -> bool:
    """Not revoked: a revoked diploma does not stop a graduate from getting a new one."""
    return store.get_status(record.id).get("revocation", 0) == 0


def _remove_stale_temp_files(out: Path, names: set[str]) -> None:
    """Remove temp files a killed run left for diplomas this run is about to write.

    ``credkit.atomic`` names them ``.<file>.<pid>-<n>.tmp`` (older versions: a random part); a
    SIGKILL between staging one and renaming it leaves it behind (a batch's files are staged while
    it is signed). Only temp files of this roster's diplomas are touched, one folder scan, and
    never those of a live process: another run of the same roster into this folder stages its
    batch's files for as long as the batch is signed, and renames them after its commit.
    """
    try:
        entries = list(os.scandir(out))
    except OSError:
        return
    for entry in entries:
        owner = temp_owner(entry.name)
        if owner is None or owner[0] not in names:
            continue
        pid = owner[1]
        if pid is not None and pid != os.getpid() and _alive(pid):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive, not ours to judge
        return True
    return True


def _already_issued(
    job: _Job,
    store: IssuerStore | None,
    report: CohortReport,
    known: dict[str, IssuedCredential] | None = None,
) -> bool:
    """Whether the store (or, without one, the folder) has this row's diploma; a file the store
    has and the folder lost is written again. ``known``: the store's records by subject key,
    read once for the roster (else the store is asked, as after a race)."""
    if store is not None:
        record = known.get(job.key) if known is not None else store.find_by_subject_key(job.key)
        if record is None:
            return False
        if not job.path.exists() or _existing_id(job.path) != record.id:
            # committed but the file was not written (a crash) or was lost: restore it
            if record.document is None:  # read without its bytes: fetch them now
                record = store.credential(record.id) or record
            if record.document is None:  # typed now (IssuerStore): a record without its bytes
                raise StoreError(f"credential {record.id} was recorded without its document")
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


class _FileWriter:
    """Writes diploma files in a thread, in the order asked: ``stage`` (a temp file beside the
    diploma, while the rest of its batch is signed), ``publish`` (after the batch's commit: one
    sync, then every staged file renamed into place) or ``discard`` (the batch rolled back).

    So the store's commit is followed only by a sync and renames, not by writing the batch's
    files; a crash before a publish leaves only temp files (removed by the next run, which also
    restores any file the store has and the folder lacks). At most a few batches' worth of
    requests wait, so memory stays flat. Any write error is raised in the main thread, at the
    next call or at ``close``.
    """

    _QUEUE_MAX = 4096

    def __init__(self, report: CohortReport) -> None:
        self._report = report
        self._queue: queue.Queue[tuple[str, Path | None, bytes] | None] = queue.Queue(
            maxsize=self._QUEUE_MAX
        )
        self._staged = StagedFiles(mode=DIPLOMA_MODE)
        self._error: BaseException | None = None  # raised once, in the main thread
        self._failed = False  # and from then on nothing more is staged or published
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while (request := self._queue.get()) is not None:
            action, path, data = request
            if self._failed:
                if action != "stage":
                    self._staged.discard()
                continue  # drain: the main thread raises the first error
            try:
                if action == "stage":
                    assert path is not None
                    self._staged.add(path, data)
                elif action == "publish":
                    self._report.issued.extend(self._staged.publish())
                else:
                    self._staged.discard()
            except BaseException as exc:  # handed to the main thread
                self._error, self._failed = exc, True
                self._staged.discard()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _put(self, request: tuple[str, Path | None, bytes], *, raise_pending: bool = True) -> None:
        if raise_pending:
            self._raise()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="cohort-files", daemon=True)
            self._thread.start()
        self._queue.put(request)

    def stage(self, path: Path, data: bytes) -> None:
        self._put(("stage", path, data))

    def publish(self) -> None:
        self._put(("publish", None, b""))

    def discard(self) -> None:
        """Throw the staged files away; a pending write error waits for the next call, so it
        never hides the error that made the batch roll back."""
        self._put(("discard", None, b""), raise_pending=False)

    def put(self, files: list[tuple[Path, bytes]]) -> None:
        """Stage and publish ``files`` at once (files with no store to commit first)."""
        if files:
            for path, data in files:
                self.stage(path, data)
            self.publish()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._staged.discard()  # staged but never published (an error cut the run short)
        self._raise()


class _BatchHadFailures(Exception):  # noqa: N818 - control flow, never escapes this module
    """A row of the batch did not build: roll its status allocations back and redo the batch."""


def _allocate(
    store: IssuerStore, purposes: Sequence[str | StatusSpec], chunk: Sequence[_Job]
) -> list[list[dict[str, Any]]]:
    """Each row's status entries, in ``purposes`` order: a few statements for the whole batch."""
    ids = [job.credential_id for job in chunk]
    entries: list[list[dict[str, Any]]] = [[] for _ in chunk]
    for purpose in purposes:
        for row, slot in zip(entries, store.allocate_many(purpose, ids), strict=True):
            row.append(status_entry(slot.list_url, slot.list_index, purpose))
    return entries


# rows recorded per statement batch while the pool signs the rest: the store's work overlaps the
# workers', and a batch's statements stay few (one multi-row insert per flush, not one per row)
RECORD_FLUSH = 64


def _issue_batch(
    chunk: list[_Job],
    store: IssuerStore | None,
    purposes: Sequence[str | StatusSpec],
    pool: Executor,
    report: CohortReport,
    writer: _FileWriter,
    chunksize: int = 1,
    *,
    known_good: bool = False,
) -> None:
    if store is None:
        files: list[tuple[Path, bytes]] = []
        jobs: list[_RowJob] = [(j.graduate, j.credential_id, None) for j in chunk]
        for job, result in zip(
            chunk, pool.map(_issue_in_worker, jobs, chunksize=chunksize), strict=True
        ):
            if isinstance(result, str):
                report.failed.append(result)
            else:
                files.append((job.path, result))
        writer.put(files)
        return
    # Status indexes are allocated for the whole batch up front, in the batch's transaction, so
    # workers build and sign each row in one go while the main process records the rows already
    # back. A row that does not build must not keep an index (the store refuses to commit one
    # without its record): then the whole transaction is rolled back, the batch is built once to
    # find the bad rows, and the good ones are issued as a batch of their own.
    written: list[Path] = []
    try:
        # the batch's audit entries are appended at its end: the chain head (which every other
        # writer of the store needs, on PostgreSQL every replica) is held only for the commit
        with store.transaction(), store.audit_at_commit():
            row_jobs: list[_RowJob] = [
                (j.graduate, j.credential_id, entries)
                for j, entries in zip(chunk, _allocate(store, purposes, chunk), strict=True)
            ]
            failed = False
            waiting: list[IssueRow] = []

            def flush() -> None:
                store.record_issued_many(waiting)
                waiting.clear()

            results = pool.map(_issue_in_worker, row_jobs, chunksize=chunksize)
            for job, result in zip(chunk, results, strict=True):
                if isinstance(result, str):
                    failed = True
                if failed:
                    continue  # keep draining the pool's results; nothing of this batch stays
                assert isinstance(result, bytes)
                if job.replaces:
                    flush()  # in roster order: a replaced key is freed before it is taken
                    for old in job.replaces:
                        store.replace(old.id, job.credential_id)
                waiting.append(
                    IssueRow(
                        job.credential_id,
                        result,
                        subject_key=job.key,
                        subject_name=job.graduate.name,
                        email=job.graduate.email,
                        path=str(job.path),
                    )
                )
                if len(waiting) >= RECORD_FLUSH:
                    flush()
                writer.stage(job.path, result)  # its temp file, written while others sign
                written.append(job.path)
            if failed:
                raise _BatchHadFailures
            flush()
    except BaseException as exc:
        writer.discard()  # rolled back: none of this batch's files may appear
        if not isinstance(exc, _BatchHadFailures):
            raise
        _issue_good_rows(chunk, store, purposes, pool, report, writer, chunksize, known_good)
        return
    # after the commit: a crash from here on is repaired by the next run from the store
    writer.publish()
    done = set(written)
    for job in chunk:
        if job.replaces and job.path in done:
            report.replaced.extend(old.id for old in job.replaces)
            for old in job.replaces:
                _remove_replaced_file(old, job.path)


def _issue_good_rows(
    chunk: list[_Job],
    store: IssuerStore,
    purposes: Sequence[str | StatusSpec],
    pool: Executor,
    report: CohortReport,
    writer: _FileWriter,
    chunksize: int,
    known_good: bool,
) -> None:
    """A batch with rows that do not build was rolled back: build it once to find them and
    report them, then issue the good rows as a batch of their own."""
    if known_good:  # cannot happen: building is deterministic; never loop
        raise CredkitError("a diploma built once and then failed to build")
    good: list[_Job] = []
    built = pool.map(
        _build_in_worker, [(j.graduate, j.credential_id) for j in chunk], chunksize=chunksize
    )
    for job, outcome in zip(chunk, built, strict=True):
        if isinstance(outcome, str):
            if outcome not in report.failed:  # a batch redone after a race meets it again
                report.failed.append(outcome)
        else:
            good.append(job)
    if good:
        _issue_batch(good, store, purposes, pool, report, writer, chunksize, known_good=True)


def _remove_replaced_file(old: IssuedCredential, new_path: Path) -> None:
    """Remove a replaced diploma's file when it sits elsewhere (the store keeps its bytes).

    Only a file whose id is still the replaced diploma's is removed: never one a person put there.
    """
    if not old.path or Path(old.path) == new_path:
        return
    if _existing_id(Path(old.path)) == old.id:
        with contextlib.suppress(OSError):
            os.unlink(old.path)
