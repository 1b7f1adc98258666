"""Writing files so that a crash or a reader never sees half of one.

Diplomas, key files, status lists and published pages are all written the same way: a temp file in
the same folder, flushed to disk, given its final mode, renamed over the target (atomic on POSIX),
and the folder synced so the rename itself survives a power loss.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644) -> Path:
    """Replace ``path`` with ``data``: afterwards the file is the old one or the new one, whole.

    ``mode`` is set before the rename, so a secret (``0o600``) is never readable by others, even
    for a moment; public material (status lists, pages) is ``0o644``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    sync_dir(target.parent)
    return target


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
