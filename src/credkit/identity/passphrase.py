"""Where a key file's passphrase comes from, asked for once per process.

Sources, first that is set wins:

1. a file (``--passphrase-file FILE``; ``/dev/fd/N`` reads an inherited descriptor, so a script
   can pass it as ``--passphrase-file /dev/fd/3 3<<<"$PASS"`` without a file on disk);
2. the environment variable ``CREDKIT_KEY_PASSPHRASE``;
3. a prompt on the terminal (``getpass``: not echoed), only when the CLI allowed it and stdin is
   a terminal; a new passphrase is asked twice.

Never argv (other users see it in ``ps``), never a log line. The passphrase obtained is kept in
this process (a descriptor can be read only once, and ``credkit serve`` or a cohort must not ask
again), so a process decrypts each key once.
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass

from credkit.errors import KeyPassphraseError
from credkit.identity.sealed import MIN_NEW_PASSPHRASE, normalize

ENV = "CREDKIT_KEY_PASSPHRASE"
_MAX_FILE = 4096
HOW = f"set {ENV}, pass --passphrase-file FILE (or /dev/fd/N), or run in a terminal to be asked"


@dataclass
class _Sources:
    file: str | None = None
    prompt: bool = False
    cached: bytes | None = None


_sources = _Sources()


def configure(*, file: str | None = None, prompt: bool | None = None) -> None:
    """Set the sources (the CLI: ``--passphrase-file``, prompting allowed)."""
    if file is not None and file != _sources.file:
        _sources.file = file
        _sources.cached = None
    if prompt is not None:
        _sources.prompt = prompt


def forget() -> None:
    """Drop the kept passphrase and the configured file (tests; a new key in the same process)."""
    _sources.file = None
    _sources.cached = None


def read_file(path: str) -> bytes:
    """A passphrase file's first line (one trailing newline is not part of the passphrase)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_FILE + 1)
    except OSError as exc:
        raise KeyPassphraseError(
            f"cannot read the passphrase file {path}: {exc.strerror or exc}"
        ) from None
    if len(data) > _MAX_FILE:
        raise KeyPassphraseError(f"the passphrase file {path} is larger than {_MAX_FILE} bytes")
    if data.endswith(b"\r\n"):
        data = data[:-2]
    elif data.endswith(b"\n"):
        data = data[:-1]
    if not data:
        raise KeyPassphraseError(f"the passphrase file {path} is empty")
    return normalize(data)


def _interactive() -> bool:
    try:
        return _sources.prompt and sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False


def _prompt(what: str, *, confirm: bool) -> bytes:
    first = getpass.getpass(f"passphrase for {what}: ")
    if confirm:
        again = getpass.getpass("the same passphrase again: ")
        if again != first:
            raise KeyPassphraseError("the two passphrases differ; nothing was written")
    return normalize(first)


def obtain(what: str, *, new: bool = False) -> bytes | None:
    """The passphrase for ``what`` (a key file), or None when no source is set.

    ``new``: the passphrase will encrypt a key: a prompt asks twice, and a passphrase shorter
    than 8 characters is refused, whatever its source.
    """
    if _sources.cached is None:
        env = os.environ.get(ENV)
        if _sources.file is not None:
            _sources.cached = read_file(_sources.file)
        elif env:
            _sources.cached = normalize(env)
        elif _interactive():
            _sources.cached = _prompt(what, confirm=new)
        else:
            return None
    if new and len(_sources.cached.decode("utf-8")) < MIN_NEW_PASSPHRASE:
        raise KeyPassphraseError(
            f"a key passphrase needs at least {MIN_NEW_PASSPHRASE} characters; nothing was written"
        )
    return _sources.cached


def require(what: str, *, new: bool = False) -> bytes:
    """:func:`obtain`, refusing when no source is set (the message says which exist)."""
    found = obtain(what, new=new)
    if found is None:
        verb = "encrypt" if new else "open"
        raise KeyPassphraseError(f"a passphrase is needed to {verb} {what}: {HOW}")
    return found


def share_with_children() -> None:
    """Hand the passphrase this process holds to the processes it starts (``credkit serve
    --workers``: each worker opens the key itself) through the inherited environment, which only
    this user can read (``/proc/PID/environ`` is 0400), never argv."""
    if _sources.cached is not None and not os.environ.get(ENV):
        os.environ[ENV] = _sources.cached.decode("utf-8")
