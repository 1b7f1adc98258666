"""Run the reference JavaScript implementation (Digital Bazaar's VC stack) from Python.

The npm packages pinned in ``node/package-lock.json`` are installed with ``npm ci`` once per
lockfile into a cache folder outside the source tree::

    $CREDKIT_INTEROP_CACHE/<lock-hash>/          (if the variable is set)
    ${XDG_CACHE_HOME:-~/.cache}/credkit/interop-node/<lock-hash>/

A file lock serialises the install so parallel test runs (pytest-xdist, two terminals, CI
matrix jobs sharing a cache) don't clash; the finished tree is moved into place atomically, so a
half-done install is never mistaken for a good one. ``ref.mjs`` is copied next to the installed
``node_modules`` because Node's ESM resolver ignores ``NODE_PATH`` and resolves bare imports
from the script's own folder.

Only the package registry is contacted, and only by ``npm ci`` at install time; the driver's
document loader is offline (see ``node/ref.mjs``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, installs are still atomic
    fcntl = None  # type: ignore[assignment]

NODE_DIR = Path(__file__).resolve().parent / "node"
REPO_ROOT = Path(__file__).resolve().parents[2]
MIN_NODE_MAJOR = 18
INSTALL_TIMEOUT_S = 600.0
RUN_TIMEOUT_S = 300.0


class ReferenceUnavailableError(RuntimeError):
    """Node/npm missing, too old, or ``npm ci`` failed: the reference cannot run here."""


class ReferenceRunError(RuntimeError):
    """The reference driver ran but reported an error (bad input or a library exception)."""


def interop_must_run() -> bool:
    """Whether an unavailable reference is a failure rather than a skip.

    Deliberate choice: in CI (``CI=true``, set by GitHub Actions, GitLab and most others) an
    unusable reference FAILS the run, so the interoperability suite cannot silently turn into a
    row of skips after, say, a registry outage or a runner image without Node. Locally it skips
    with the reason. ``CREDKIT_SKIP_INTEROP=1`` is the explicit, visible opt-out for both.
    """
    if os.environ.get("CREDKIT_SKIP_INTEROP", "").lower() in {"1", "true", "yes"}:
        return False
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def skip_requested() -> bool:
    return os.environ.get("CREDKIT_SKIP_INTEROP", "").lower() in {"1", "true", "yes"}


def contexts_dir() -> Path:
    """credkit's shipped context folder (``index.json`` + ``files/``), as installed."""
    try:
        import credkit.jsonld.contexts as ctx

        folder = Path(ctx.__file__).resolve().parent
    except ImportError:
        folder = REPO_ROOT / "src" / "credkit" / "jsonld" / "contexts"
    if not (folder / "index.json").is_file():
        raise ReferenceUnavailableError(f"no contexts index at {folder}")
    return folder


def lock_hash(project: Path = NODE_DIR) -> str:
    """Install key: the lockfile (exact versions + integrity hashes) and the manifest."""
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((project / name).read_bytes())
    return digest.hexdigest()[:16]


def cache_root() -> Path:
    env = os.environ.get("CREDKIT_INTEROP_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "credkit" / "interop-node"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        if fcntl is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _node_version(node: str) -> tuple[int, str]:
    try:
        out = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise ReferenceUnavailableError(f"cannot run {node} --version: {exc}") from None
    match = re.match(r"v(\d+)\.", out)
    if not match:
        raise ReferenceUnavailableError(f"unexpected node version string {out!r}")
    return int(match.group(1)), out


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def ensure_installed(project: Path = NODE_DIR) -> Path:
    """Install the pinned packages (once per lockfile) and return the install folder.

    ``project`` is a folder holding ``package.json`` + ``package-lock.json``: by default the
    Digital Bazaar stack in ``node/``; other pinned projects (``dcc/``) install the same way,
    each into its own ``<lock-hash>`` folder.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise ReferenceUnavailableError(
            "Node.js and npm are needed for the interop tests (node>=18); "
            f"found node={node}, npm={npm}"
        )
    major, version = _node_version(node)
    if major < MIN_NODE_MAJOR:
        raise ReferenceUnavailableError(f"node {version} is too old; need >= {MIN_NODE_MAJOR}")
    key = lock_hash(project)
    root = cache_root()
    target = root / key
    marker = target / ".credkit-installed"
    if marker.is_file() and marker.read_text().strip() == key:
        return target
    with _file_lock(root / f"{key}.lock"):
        if marker.is_file() and marker.read_text().strip() == key:
            return target  # another process finished the install while we waited
        staging = Path(tempfile.mkdtemp(prefix=f"{key}.staging-", dir=root))
        try:
            for name in ("package.json", "package-lock.json"):
                shutil.copyfile(project / name, staging / name)
            # `npm ci` installs exactly the lockfile (integrity-checked) and fails when it does not
            # match package.json. --ignore-scripts: nothing in this tree needs an install script.
            proc = subprocess.run(
                [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=staging,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_S,
                check=False,
            )
            if proc.returncode != 0:
                raise ReferenceUnavailableError(
                    f"`npm ci` failed (exit {proc.returncode}) in {staging}:\n"
                    + _tail(proc.stderr or proc.stdout)
                )
            (staging / ".credkit-installed").write_text(key + "\n")
            if target.exists():  # stale or partial tree from an interrupted older run
                shutil.rmtree(target)
            staging.rename(target)
        except subprocess.TimeoutExpired:
            raise ReferenceUnavailableError(
                f"`npm ci` took longer than {INSTALL_TIMEOUT_S:.0f}s"
            ) from None
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    return target


def _install_script(folder: Path, source_path: Path = NODE_DIR / "ref.mjs") -> Path:
    """Copy a driver (ref.mjs) beside node_modules (content-addressed, atomic); return its path.

    The module the drivers share (``offline.mjs``: the pinned contexts, did:key documents) goes
    beside it under its own name, rewritten only when its bytes changed."""
    shared = NODE_DIR / "offline.mjs"
    if not (folder / shared.name).is_file() or (
        (folder / shared.name).read_bytes() != shared.read_bytes()
    ):
        _write_atomic(folder / shared.name, shared.read_bytes())
    source = source_path.read_bytes()
    script = folder / f"{source_path.stem}-{hashlib.sha256(source).hexdigest()[:12]}.mjs"
    if not script.is_file():
        _write_atomic(script, source)
    return script


def _write_atomic(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".mjs.tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)


@dataclass(frozen=True)
class NodeDriver:
    """``node <script> <command> <contexts>`` with JSON in and out, for any installed project."""

    node: str
    script: Path
    contexts: Path

    def run(self, command: str, payload: dict[str, Any]) -> dict[str, Any]:
        proc = subprocess.run(
            [self.node, str(self.script), command, str(self.contexts)],
            input=json.dumps(payload, ensure_ascii=False),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
        try:
            out = json.loads(proc.stdout)
        except json.JSONDecodeError:
            raise ReferenceRunError(
                f"{self.script.name} {command} exit {proc.returncode}, no JSON on stdout:\n"
                + _tail(proc.stdout + "\n" + proc.stderr)
            ) from None
        if proc.returncode != 0 or not isinstance(out, dict):
            message = out.get("error", out) if isinstance(out, dict) else out
            raise ReferenceRunError(f"{self.script.name} {command} failed: {message}")
        return out

    def info(self) -> dict[str, Any]:
        return self.run("info", {})


@dataclass(frozen=True)
class JsReference(NodeDriver):
    """A ready-to-run reference driver: ``node ref.mjs <command> <contexts>`` over JSON."""

    @classmethod
    def setup(cls) -> JsReference:
        folder = ensure_installed()
        node = shutil.which("node")
        assert node is not None  # checked by ensure_installed
        return cls(node=node, script=_install_script(folder), contexts=contexts_dir())

    @classmethod
    def for_benchmark(cls, wanted: bool) -> tuple[JsReference | None, str]:
        """The reference for a benchmark table, or None, with a line saying which or why not."""
        if not wanted:
            return None, "disabled (--no-js)"
        try:
            js = cls.setup()
            info = js.info()
        except (ReferenceUnavailableError, ReferenceRunError) as exc:
            return None, f"unavailable ({str(exc).splitlines()[0]}); credkit figures only"
        names = ("@digitalbazaar/vc", "jsonld", "rdf-canonize", "canonicalize")
        return js, f"node {info['node']}, " + ", ".join(
            f"{k.split('/')[-1]} {v}"
            for k, v in info["versions"].items()
            if k in names or "cryptosuite" in k or "signature-2020" in k
        )

    def sign(
        self,
        credential: dict[str, Any],
        key: dict[str, Any],
        *,
        cryptosuite: str,
        created: str,
        mode: str = "credential",
        proof_purpose: str = "assertionMethod",
    ) -> dict[str, Any]:
        """Sign with the reference; ``mode="proof"`` skips the VC data model checks."""
        return self.run(
            "sign",
            {
                "credential": credential,
                "key": key,
                "cryptosuite": cryptosuite,
                "created": created,
                "mode": mode,
                "proofPurpose": proof_purpose,
            },
        )

    def verify(
        self, credential: dict[str, Any], *, mode: str = "credential", now: str | None = None
    ) -> dict[str, Any]:
        """``{"verified": bool, "error": str|None, "proofs": [...]}``.

        ``mode="credential"`` is ``vc.verifyCredential`` (issuer must be the key's controller,
        validity dates checked); ``mode="proof"`` is plain Data Integrity verification.
        """
        payload: dict[str, Any] = {"credential": credential, "mode": mode}
        if now is not None:
            payload["now"] = now
        return self.run("verify", payload)

    def verify_many(
        self, credentials: list[dict[str, Any]], *, mode: str = "credential"
    ) -> list[dict[str, Any]]:
        """:meth:`verify` for several documents in one Node process."""
        out = self.run("verify", {"credentials": credentials, "mode": mode})
        results: list[dict[str, Any]] = out["results"]
        return results

    def bench(
        self,
        credential: dict[str, Any],
        key: dict[str, Any],
        *,
        cryptosuite: str,
        created: str,
        iterations: int,
        repeats: int = 3,
    ) -> dict[str, Any]:
        """Time in-process sign and verify: best of ``repeats`` runs of ``iterations`` each.

        Returns ``{signMs, verifyMs}`` in milliseconds per operation.
        """
        return self.run(
            "bench",
            {
                "credential": credential,
                "key": key,
                "cryptosuite": cryptosuite,
                "created": created,
                "iterations": iterations,
                "repeats": repeats,
            },
        )


def main() -> int:
    """``python tests/interop/jsref.py``: install (if needed) and print the reference versions."""
    try:
        ref = JsReference.setup()
    except ReferenceUnavailableError as exc:
        print(f"reference unavailable: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"install": str(ref.script.parent), **ref.info()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
