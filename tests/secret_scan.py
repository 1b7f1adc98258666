"""A pytest plugin (loaded by conftest.py): no private key credkit made in this test session
appears in any output the session saw. Issue 19: "a test scans all output of the whole test
suite for the key material it created".

What is recorded, test-only (nothing in ``src/`` changes):

- keys: every :class:`credkit.identity.keys.KeyPair` built in the pytest process (its
  ``__init__`` is wrapped), and every key file (``*.key``, Multikey JSON with
  ``secretKeyMultibase``) under the session's temporary folder at the end: that catches keys
  the CLI and the server made in subprocesses. Each key gives its secret forms: seed hex
  (lower and upper case), base64 and base64url (padded and not), ``secretKeyMultibase``, and the
  base64 body of its unencrypted PKCS#8 PEM.
- output: every test's captured stdout, stderr and log records and its failure report;
  stdout and stderr of every subprocess whose command line runs credkit; the output of every
  ``click.testing.CliRunner`` invocation; every HTTP body read through ``httpx`` clients (the
  FastAPI TestClient) and ``http.client`` (``urllib`` against ``credkit serve``); and the server
  logs the tests write (``*.log`` under the session's temporary folder).

At the end of the session all of it is searched for every form of every key; a hit fails the
session (exit status 1) and names the test and the source. Seeds with fewer than 12 distinct
bytes (fixtures such as ``bytes(32)``) are not looked for: their forms are ordinary text. Not covered: output a test never
reads (a subprocess writing to a file the test ignores, outside ``*.log``), the raw 32 seed
bytes inside binary bodies, and forms not listed above (a secret split across lines). Set
``CREDKIT_SECRET_SCAN=0`` to switch it off.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_ENABLED = os.environ.get("CREDKIT_SECRET_SCAN", "1") != "0"
_CAP = 256 * 1024 * 1024  # bytes of output kept for the final scan
_PREFIX = 12
# A seed with few distinct bytes is a test fixture (``bytes(32)``, ``b"\x01" * 32``), never a key
# credkit made, and its forms are common text (64 zeros is also the audit chain's genesis
# hash): such seeds are not looked for. A random seed has ~30 distinct bytes; fewer than 12
# happens with probability below 2**-100.
_MIN_DISTINCT = 12
_RUN = re.compile(rf"[A-Za-z0-9+/=_-]{{{_PREFIX},}}")
_CREDKIT_ARGV = re.compile(r"(^|[\s/])credkit(\s|$|\.)")


class _State:
    def __init__(self) -> None:
        self.forms: dict[str, str] = {}  # secret form -> which key, which form
        self.seeds: set[bytes] = set()
        self.outputs: list[tuple[str, str, str]] = []  # (test, source, text)
        self.kept = 0
        self.dropped = 0
        self.test = "(session)"
        self.undo: list[tuple[Any, str, Any]] = []
        self.controller = False  # pytest-xdist's controller process (runs no test)


_STATE = _State()


def secret_forms(seed: bytes) -> dict[str, str]:
    """The textual forms a 32-byte Ed25519 seed can leak in."""
    from credkit.identity.keys import KeyPair

    pair = KeyPair.from_seed(seed)  # wrapped __init__: record_seed already holds this seed
    der = pair.to_pem(include_private=True).decode().splitlines()
    pem_body = "".join(line for line in der if not line.startswith("-----"))
    forms = {
        seed.hex(): "seed hex",
        seed.hex().upper(): "seed HEX",
        base64.b64encode(seed).decode(): "seed base64",
        base64.b64encode(seed).decode().rstrip("="): "seed base64 (unpadded)",
        base64.urlsafe_b64encode(seed).decode(): "seed base64url",
        base64.urlsafe_b64encode(seed).decode().rstrip("="): "seed base64url (JWK d)",
        pair.secret_multibase: "secretKeyMultibase",
        pem_body: "PKCS#8 PEM body",
    }
    return forms


def record_seed(seed: bytes, label: str) -> None:
    if seed in _STATE.seeds or len(set(seed)) < _MIN_DISTINCT:
        return
    _STATE.seeds.add(seed)
    for form, kind in secret_forms(seed).items():
        _STATE.forms.setdefault(form, f"{label} ({kind})")


def record_output(source: str, text: str | bytes | None) -> None:
    if not text:
        return
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    if _STATE.kept + len(text) > _CAP:
        _STATE.dropped += len(text)
        return
    _STATE.kept += len(text)
    _STATE.outputs.append((_STATE.test, source, text))


def find_secrets(
    outputs: list[tuple[str, str, str]], forms: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(test, source, what) for every output holding a form; linear in the output size."""
    by_prefix: dict[str, list[str]] = {}
    for form in forms:
        if len(form) >= _PREFIX:
            by_prefix.setdefault(form[:_PREFIX], []).append(form)
    hits: list[tuple[str, str, str]] = []
    for test, source, text in outputs:
        found = None
        for run in _RUN.finditer(text):
            chunk = run.group()
            for i in range(len(chunk) - _PREFIX + 1):
                candidates = by_prefix.get(chunk[i : i + _PREFIX])
                if candidates:
                    for form in candidates:
                        if chunk.startswith(form, i):
                            found = forms[form]
                            break
                if found:
                    break
            if found:
                break
        if found:
            hits.append((test, source, found))
    return hits


def _key_files(root: Path) -> Iterator[bytes]:
    """Seeds of the Multikey key files under ``root`` (made by CLI and server subprocesses)."""
    from credkit.identity.multibase import ED25519_PRIV, decode_multikey

    for path in root.rglob("*.key"):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            yield decode_multikey(doc["secretKeyMultibase"], ED25519_PRIV, 32, "secret")
        except Exception:
            continue  # not a clear Multikey file (encrypted, PEM, garbage): nothing to learn


# --- wrapping (test-only) ------------------------------------------------------------------------


def _wrap(owner: Any, name: str, make: Any) -> None:
    original = getattr(owner, name)
    _STATE.undo.append((owner, name, original))
    setattr(owner, name, make(original))


def _install() -> None:
    from credkit.identity.keys import KeyPair

    def keypair_init(original: Any) -> Any:
        def init(self: Any, private_key: Any, *args: Any, **kwargs: Any) -> None:
            original(self, private_key, *args, **kwargs)
            # a key without exportable bytes (a token) has nothing to look for
            with contextlib.suppress(Exception):
                record_seed(self._seed(), f"key made in {_STATE.test}")

        return init

    _wrap(KeyPair, "__init__", keypair_init)

    def communicate(original: Any) -> Any:
        def wrapped(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> Any:
            out, err = original(self, *args, **kwargs)
            command: Any = self.args
            argv = command if isinstance(command, str) else " ".join(map(str, command))
            if _CREDKIT_ARGV.search(argv):
                record_output(f"subprocess stdout: {argv[:120]}", out)
                record_output(f"subprocess stderr: {argv[:120]}", err)
            return out, err

        return wrapped

    _wrap(subprocess.Popen, "communicate", communicate)

    try:
        from click.testing import CliRunner

        def invoke(original: Any) -> Any:
            def wrapped(self: Any, cli: Any, *args: Any, **kwargs: Any) -> Any:
                result = original(self, cli, *args, **kwargs)
                record_output(f"CliRunner {getattr(cli, 'name', cli)}", result.stdout_bytes)
                # stderr mixed into output (click < 8.2) raises ValueError: already recorded
                with contextlib.suppress(ValueError):
                    record_output(f"CliRunner {getattr(cli, 'name', cli)} stderr", result.stderr)
                if result.exception is not None and not isinstance(result.exception, SystemExit):
                    record_output("CliRunner exception", repr(result.exception))
                return result

            return wrapped

        _wrap(CliRunner, "invoke", invoke)
    except ImportError:
        pass

    try:
        import httpx

        def send(original: Any) -> Any:
            def wrapped(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
                response = original(self, request, *args, **kwargs)
                with contextlib.suppress(httpx.ResponseNotRead):  # streamed: the test reads it
                    record_output(f"HTTP {request.method} {request.url}", response.content)
                return response

            return wrapped

        _wrap(httpx.Client, "send", send)
    except ImportError:
        pass

    import http.client

    def read(original: Any) -> Any:
        def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
            data = original(self, *args, **kwargs)
            if isinstance(data, bytes):
                record_output("HTTP body (http.client)", data)
            return data

        return wrapped

    _wrap(http.client.HTTPResponse, "read", read)


# --- hooks (re-exported by conftest.py) ----------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    if _ENABLED and not _STATE.undo:
        _install()
    if _ENABLED and _xdist_controller(config):
        config.pluginmanager.register(_Controller(), "credkit-secret-scan-controller")
        _STATE.controller = True


def _xdist_controller(config: pytest.Config) -> bool:
    """pytest-xdist's controller: it hands the tests to workers (xdist's own test, by option)."""
    return (
        config.pluginmanager.hasplugin("xdist")
        and not hasattr(config, "workerinput")
        and getattr(config.option, "dist", "no") != "no"
        and bool(getattr(config.option, "tx", None))
        and not config.getoption("collectonly")
    )


class _Controller:
    """Under pytest-xdist each worker is a session of its own: it scans what it saw (its tests'
    output, the key files and logs under its own temp folder) and hands its findings back in
    ``workeroutput``; the controller reports them and fails the run on a hit. Its hook is
    registered only when xdist is loaded (pytest refuses unknown hooks)."""

    def __init__(self) -> None:
        self.keys = 0
        self.kept = 0
        self.dropped = 0
        self.hits: list[tuple[str, str, str]] = []
        self.missing: list[str] = []
        self.workers = 0

    @pytest.hookimpl
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        found = getattr(node, "workeroutput", {}).get(_OUTPUT_KEY)
        if found is None:
            # a worker that crashed or never scanned: nothing says its output was clean
            self.missing.append(str(getattr(getattr(node, "gateway", None), "id", node)))
            return
        self.workers += 1
        self.keys += found["keys"]
        self.kept += found["kept"]
        self.dropped += found["dropped"]
        self.hits.extend(tuple(hit) for hit in found["hits"])  # type: ignore[misc]


_OUTPUT_KEY = "credkit_secret_scan"


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    _STATE.test = nodeid


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not _ENABLED or _STATE.controller:  # xdist's controller: the worker recorded it
        return
    for name, text in report.sections:
        record_output(f"{report.when}: {name}", text)
    if report.failed:
        record_output(f"{report.when}: failure report", report.longreprtext)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _ENABLED:
        return
    controller = session.config.pluginmanager.get_plugin("credkit-secret-scan-controller")
    if controller is not None:  # xdist's controller: the workers scanned, it reports
        _report(
            session,
            controller.hits,
            f"secret scan ({controller.workers} workers): {controller.keys} private keys, "
            f"{controller.kept} bytes of output searched"
            + (
                f", {controller.dropped} bytes over the cap NOT searched"
                if controller.dropped
                else ""
            ),
            [f"  worker {name} ended without a secret-scan result" for name in controller.missing],
        )
        return
    factory = getattr(session.config, "_tmp_path_factory", None)
    basetemp = getattr(factory, "_basetemp", None)
    if basetemp is not None and Path(basetemp).is_dir():
        for seed in _key_files(Path(basetemp)):
            record_seed(seed, "key file written during the session")
        for log in Path(basetemp).rglob("*.log"):
            try:
                record_output(f"log file {log.name}", log.read_bytes())
            except OSError:
                continue
    hits = find_secrets(_STATE.outputs, _STATE.forms)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller reports (and fails)
        workeroutput[_OUTPUT_KEY] = {
            "keys": len(_STATE.seeds),
            "kept": _STATE.kept,
            "dropped": _STATE.dropped,
            "hits": [list(hit) for hit in hits],
        }
    _report(
        session,
        hits,
        f"secret scan: {len(_STATE.seeds)} private keys, {_STATE.kept} bytes of output searched"
        + (f", {_STATE.dropped} bytes over the cap NOT searched" if _STATE.dropped else ""),
    )
    for owner, name, original in reversed(_STATE.undo):
        setattr(owner, name, original)
    _STATE.undo.clear()


def _report(
    session: pytest.Session,
    hits: list[tuple[str, str, str]],
    summary: str,
    problems: list[str] | None = None,
) -> None:
    """Print the summary (and every hit or problem); either fails the session."""
    lines = [summary, *(problems or [])]
    for test, source, what in hits:
        lines.append(f"  PRIVATE KEY IN OUTPUT: {test}: {source}: {what}")
    failed = bool(hits or problems)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and (failed or session.config.getoption("verbose") > 0):
        for line in lines:
            reporter.write_line(line, red=failed)
    if failed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
