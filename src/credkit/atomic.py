"""Writing files so that a crash or a reader never sees half of one.

Diplomas, key files, status lists and published pages are all written the same way: a temp file in
the same folder, flushed to disk, given its final mode, renamed over the target (atomic on POSIX),
and the folder synced so the rename itself survives a power loss.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import sys
from collections.abc import Sequence
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644) -> Path:
    """Replace ``path`` with ``data``: afterwards the file is the old one or the new one, whole.

    ``mode`` is set before the rename, so a secret (``0o600``) is never readable by others, even
    for a moment; public material (status lists, pages) is ``0o644``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic_many([(target, data)], mode=mode)
    return target


_EXCLUSIVE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)


def _create_exclusive(tmp: str) -> int:
    """A new file, never an existing one or a link's target (as mkstemp: O_EXCL, mode 0600)."""
    try:
        return os.open(tmp, _EXCLUSIVE, 0o600)
    except FileExistsError:
        os.unlink(tmp)  # a leftover of a killed run of a process with the same pid
        return os.open(tmp, _EXCLUSIVE, 0o600)


_STAGED = itertools.count()


def temp_owner(name: str) -> tuple[str, int | None] | None:
    """For a temp file's name, ``(the file it stands for, the pid that staged it)``; the pid is
    None for an older credkit's random names; None when ``name`` is no temp file of ours."""
    if not (name.startswith(".") and name.endswith(".tmp")):
        return None
    parts = name[1:].rsplit(".", 2)
    if len(parts) != 3:
        return None
    pid = parts[1].split("-", 1)[0]
    return parts[0], int(pid) if pid.isdigit() else None


class StagedFiles:
    """Files written now as temp files and put in place later, all at once, or thrown away.

    Why: a cohort writes each diploma's bytes while the next ones are signed, but may rename
    them into place only after the store has committed them; staging does the slow part (create
    and write) early, so the commit is followed only by one sync and the renames. The guarantee
    is :func:`write_atomic`'s, per file: old, new or absent, never half, never a renamed empty
    file (every temp file is durable before the first rename).
    """

    def __init__(self, *, mode: int = 0o644) -> None:
        self.mode = mode
        self._staged: list[tuple[str, Path]] = []  # (temp file, target)

    def __len__(self) -> int:
        return len(self._staged)

    def add(self, path: Path, data: bytes) -> None:
        """Write ``data`` to a temp file beside ``path`` (``path`` itself is untouched)."""
        # ``.<file>.<pid>-<n>.tmp``: the pid says whose it is (a cohort's sweep of a killed run's
        # leftovers spares a live process's), n keeps two stagings of one path apart; an
        # exclusive create without mkstemp's random names (cheaper on a busy folder)
        tmp = f"{path.parent}/.{path.name}.{os.getpid()}-{next(_STAGED)}.tmp"
        fd = _create_exclusive(tmp)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, self.mode)
        except BaseException:
            os.close(fd)
            Path(tmp).unlink(missing_ok=True)
            raise
        os.close(fd)
        self._staged.append((tmp, path))

    def publish(self) -> list[Path]:
        """Make every staged file durable, then rename each into place; the targets, in order.

        A failure part-way leaves each target old or new (and removes the temp files left)."""
        staged, self._staged = self._staged, []
        renamed = 0
        try:
            _sync_paths([tmp for tmp, _ in staged])
            for tmp, path in staged:
                os.replace(tmp, path)
                renamed += 1
        except BaseException:
            for tmp, _ in staged[renamed:]:
                Path(tmp).unlink(missing_ok=True)
            raise
        for folder in {path.parent for _, path in staged}:
            sync_dir(folder)
        return [path for _, path in staged]

    def discard(self) -> None:
        """Remove every staged temp file (their targets were never touched)."""
        staged, self._staged = self._staged, []
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)


def write_atomic_many(items: Sequence[tuple[Path, bytes]], *, mode: int = 0o644) -> None:
    """:func:`write_atomic` for a batch, with the same guarantee per file (old, new or absent).

    Why: one fsync per diploma, each forcing its own journal commit, was the cohort's largest
    serial cost (~2 ms a file on ext4). Every temp file is written first, then all are made
    durable at once (one ``syncfs`` on Linux, else an fsync each), and only then renamed, so a
    crash never leaves a renamed empty file.
    """
    staged = StagedFiles(mode=mode)
    try:
        for path, data in items:
            staged.add(path, data)
    except BaseException:
        staged.discard()
        raise
    staged.publish()


def _syncfs() -> object:
    """libc's ``syncfs`` (Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


_SYNCFS = _syncfs()


def _sync_paths(paths: Sequence[str]) -> None:
    """Make every file's data and metadata durable: ``syncfs(2)`` writes back the whole
    filesystem they share (a batch's 512 fsyncs were 512 journal waits on a busy disk) and, since
    Linux 5.8, reports a writeback error of any of them; where it fails or is missing, each file
    is fsynced, which reports its own."""
    if not paths:
        return
    if len(paths) > 1 and _SYNCFS is not None:
        # one call per filesystem the files are on (a batch is normally one folder)
        folders: dict[int, str] = {}
        for path in paths:
            folder = os.path.dirname(path) or "."
            if folder not in folders.values():
                folders.setdefault(os.stat(folder).st_dev, folder)
        if all(_syncfs_folder(folder) for folder in folders.values()):
            return
    for path in paths:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _syncfs_folder(folder: str) -> bool:
    fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return bool(_SYNCFS(fd) == 0)  # type: ignore[operator]
    finally:
        os.close(fd)


def sync_dir(folder: Path) -> None:
    """fsync a folder, so renames into it are durable (a no-op where folders can't be opened)."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
