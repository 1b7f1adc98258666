"""A throwaway PostgreSQL server for tests and the load script, from the system's binaries.

initdb refuses to run as root (it would own the data files as the superuser of the machine), so
as root the server runs as ``nobody`` through ``runuser``; its data directory is a fresh temp
dir owned by that user. Connections are TCP on 127.0.0.1, trust-authenticated (test only).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import ports

RUN_AS = "nobody"


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    return None


def free_port() -> int:
    return ports.free_port()


@dataclass
class PgServer:
    root: Path
    port: int
    bindir: Path
    prefix: list[str]
    options: str = ""  # the server's command-line settings (pg_ctl -o)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def db_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self.prefix, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def halt(self, mode: str = "fast") -> None:
        """Stop the server, keeping its data (``fast``: sessions are told and closed;
        ``immediate``: as a crash)."""
        pg_ctl = [*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.root / "data")]
        subprocess.run([*pg_ctl, "-m", mode, "-w", "stop"], check=True, capture_output=True)

    def resume(self) -> None:
        """Start a halted server again, on the same port and data."""
        pg_ctl = [*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.root / "data")]
        subprocess.run(
            [*pg_ctl, "-o", self.options, "-l", str(self.root / "log"), "-w", "start"],
            check=True,
            capture_output=True,
        )

    def restart(self, mode: str = "fast", down: float = 0.0) -> None:
        """Stop, stay down ``down`` seconds, start again: what a database upgrade or failover
        does to the sessions of a running service."""
        self.halt(mode)
        time.sleep(down)
        self.resume()

    def stop(self) -> None:
        subprocess.run(
            [
                *self.prefix,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.root / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start(*, fsync: bool = False, max_connections: int = 100) -> PgServer:
    """initdb + pg_ctl start on a free port; raises RuntimeError with the server's log if not.

    A port taken between choosing and binding it (by a process outside this run) is retried
    on another port, twice."""
    for attempt in range(3):
        try:
            return _start(fsync=fsync, max_connections=max_connections)
        except RuntimeError as exc:
            if attempt == 2 or "already in use" not in str(exc):
                raise
    raise AssertionError("unreachable")


def _start(*, fsync: bool, max_connections: int) -> PgServer:
    bindir = binaries()
    if bindir is None:
        raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl) on PATH or /usr/lib/postgresql")
    # as root the server's user must reach its folder: /tmp, not a TMPDIR under /root
    parent = "/tmp" if os.geteuid() == 0 and os.path.isdir("/tmp") else None
    root = Path(tempfile.mkdtemp(prefix="credkit-pg-", dir=parent))
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            raise RuntimeError("running as root without runuser: initdb would refuse to run")
        prefix = ["runuser", "-u", RUN_AS, "--"]
        os.chmod(root, 0o755)
        try:
            shutil.chown(root, user=RUN_AS)
        except LookupError:
            raise RuntimeError(
                f"no user {RUN_AS!r} to run PostgreSQL as (initdb refuses root)"
            ) from None
    port = free_port()
    server = PgServer(root, port, bindir, prefix)
    data = root / "data"
    try:
        server._run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {root} "
            f"-c max_connections={max_connections} -c fsync={'on' if fsync else 'off'} "
            f"-c synchronous_commit={'on' if fsync else 'off'} -c full_page_writes={'on' if fsync else 'off'}"
        )
        server.options = options
        server._run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(root / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        server.stop()
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr!r} {log[-2000:]}") from None
    return server


_SHARED: list[PgServer] = []


def shared() -> PgServer:
    """One server for the whole test process (several test modules), stopped at exit."""
    if not _SHARED:
        import atexit

        server = start()
        _SHARED.append(server)
        atexit.register(server.stop)
    return _SHARED[0]
