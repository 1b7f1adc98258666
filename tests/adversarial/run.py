"""Put a corpus case through credkit's three faces and read the verdict each gives.

* the library: a :class:`credkit.verify.Verifier` built from the case's setting, as a program
  would build one (``library_verdict``), or one long-lived verifier re-pointed at each case's
  setting (``Reconfigurable``, the order-independence test);
* the CLI: ``python -m credkit verify --json`` in a fresh process (exit code and JSON verdict);
* the server: ``POST /credentials/verify`` or ``/presentations/verify`` through the FastAPI app.

The server has no flag for strict mode, a status directory or a fixed clock, so those three are
set on the verifier object the app built (``ServerState.verifier()``) and on its status fetcher's
fallback: the request still goes through the app, its option parsing and its result shaping.

``python -m adversarial.run --dir DIR --case NAME`` (with ``tests`` on ``sys.path``) verifies one
case of a dumped corpus with the library in a fresh process and prints the verdict as JSON: the
reference the order-independence test compares against.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .corpus import REPO, Case, Setting

EXIT_CODES = {"verified": 0, "not verified": 1, "unusable": 2, "inconclusive": 3}
TESTS = REPO / "tests"


@dataclass(frozen=True)
class Env:
    """A dumped corpus on disk: documents, status lists (``status/``), trust lists (``trust/``)."""

    root: Path

    @property
    def status(self) -> Path:
        return self.root / "status"

    @property
    def trust(self) -> Path:
        return self.root / "trust"

    def file(self, case: Case) -> Path:
        folder = "valid" if case.attack == "valid" else "cases"
        return self.root / folder / f"{case.name}.json"

    def trust_paths(self, setting: Setting) -> list[str]:
        return [str(self.trust / name) for name in setting.trust]


def prepare(root: Path) -> Env:
    from .corpus import corpus

    corpus().dump(root)
    return Env(root)


def load_dumped(root: Path) -> list[Case]:
    """The cases (hostile first, then valid) of a corpus written by ``Corpus.dump``."""
    index = json.loads((root / "index.json").read_text(encoding="utf-8"))
    out: list[Case] = []
    for entry in [*index["cases"], *index["valid"]]:
        raw = dict(entry["setting"])
        for name in ("trust", "anchors", "warmup"):
            raw[name] = tuple(raw[name])
        if raw["checks"] is not None:
            raw["checks"] = tuple(raw["checks"])
        out.append(
            Case(
                name=entry["name"],
                attack=entry["attack"],
                expected=entry["expected"],
                document=json.loads((root / entry["file"]).read_text(encoding="utf-8")),
                kind=entry["kind"],
                setting=Setting(**raw),
                accept=tuple(entry["accept"]),
                note=entry["note"],
            )
        )
    return out


# --- library -----------------------------------------------------------------------------------


def _at(text: str) -> Any:
    from credkit.proofs import parse_datetime

    return parse_datetime(text)


def _verify(verifier: Any, case: Case) -> Any:
    setting = case.setting
    if case.kind == "presentation":
        return verifier.verify_presentation(
            case.doc(), challenge=setting.challenge, domain=setting.domain
        )
    return verifier.verify_credential(case.doc())


def _registry(env: Env, setting: Setting) -> Any:
    from credkit.verify.trust import load_registry

    if not setting.trust:
        return None
    return load_registry(env.trust_paths(setting), anchors=setting.anchors)


def library_verifier(env: Env, setting: Setting) -> Any:
    """A Verifier as ``credkit verify`` builds one for this setting (offline resolver)."""
    from credkit.fetch import NoNetwork
    from credkit.identity.did import Resolver
    from credkit.status import DirectoryFetcher
    from credkit.verify import Verifier

    return Verifier(
        resolver=Resolver(fetcher=NoNetwork()),
        status_fetcher=DirectoryFetcher(env.status) if setting.status else None,
        trust=_registry(env, setting),
        strict=setting.strict,
    )


@contextmanager
def moment(verifier: Any, when: str | None) -> Iterator[None]:
    """Set the verifier's clocks (the credential's and, where it has one, the lists') to ``when``.

    ``None`` leaves the verifier's own clock in place.
    """
    if when is None:
        yield
        return
    instant = _at(when)
    saved = {n: getattr(verifier, n) for n in ("clock", "list_clock") if hasattr(verifier, n)}
    for name in saved:
        setattr(verifier, name, lambda: instant)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(verifier, name, value)


def _run_with_warmup(verifier: Any, case: Case) -> Any:
    """Earlier verifications of the same document at the warm-up times, then the real one."""
    for earlier in case.setting.warmup:
        with moment(verifier, earlier):
            _verify(verifier, case)
    with moment(verifier, case.setting.at):
        return _verify(verifier, case)


def library_result(case: Case, env: Env) -> Any:
    return _run_with_warmup(library_verifier(env, case.setting), case)


def library_verdict(case: Case, env: Env) -> str:
    verdict: str = library_result(case, env).verdict
    return verdict


@dataclass
class Reconfigurable:
    """One long-lived Verifier (one loader, one resolver, one set of caches) re-pointed per case.

    Trust registries are kept per trust setting, as a server keeps the ones it was started with.
    """

    env: Env
    verifier: Any = None
    registries: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.verifier = library_verifier(self.env, Setting(trust=()))
        self.fetcher = self.verifier.status_fetcher

    def verdict(self, case: Case) -> str:
        setting = case.setting
        key = (setting.trust, setting.anchors)
        if key not in self.registries:
            self.registries[key] = _registry(self.env, setting)
        v = self.verifier
        v.trust = self.registries[key]
        v.strict = setting.strict
        v.status_fetcher = self.fetcher if setting.status else None
        verdict: str = _run_with_warmup(v, case).verdict
        return verdict


ORDER_SEEDS = (13, 1313, 20261203)


def orders(
    documents: list[Case], seeds: Iterable[int] = ORDER_SEEDS
) -> list[tuple[str, list[Case]]]:
    """The orders the order-independence test runs, one after the other: the context poisoner
    first (what a hostile client of a freshly started server sends first: a poisoner only bites
    before anything else used the context it imports), canonical, reversed, shuffled per seed."""
    poison = [c for c in documents if c.attack == "context-state"]
    out = [("poison first", poison + [c for c in documents if c not in poison])]
    out += [("canonical", list(documents)), ("reversed", list(reversed(documents)))]
    for seed in seeds:
        shuffled = list(documents)
        random.Random(seed).shuffle(shuffled)
        out.append((f"seed {seed}", shuffled))
    return out


def sequence_verdicts(env: Env, documents: list[Case]) -> list[tuple[str, int, str, str]]:
    """Every order of :func:`orders` in turn through ONE verifier: (order, position, case, verdict)."""
    verifier = Reconfigurable(env)
    return [
        (label, position, case.name, verifier.verdict(case))
        for label, order in orders(documents)
        for position, case in enumerate(order)
    ]


def fresh_sequence_verdicts(env: Env) -> list[tuple[str, int, str, str]]:
    """:func:`sequence_verdicts` of the dumped corpus in a new process (one that built nothing)."""
    proc = subprocess.run(
        [sys.executable, "-m", "adversarial.run", "--dir", str(env.root), "--sequence"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_child_env(),
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"sequence driver failed (exit {proc.returncode}): {proc.stderr[-2000:]}"
        )
    return [(str(a), int(b), str(c), str(d)) for a, b, c, d in json.loads(proc.stdout)]


# --- CLI ---------------------------------------------------------------------------------------


def cli_args(case: Case, env: Env) -> list[str]:
    setting = case.setting
    args = ["verify", "--json", str(env.file(case))]
    if setting.at is not None:
        args += ["--at", setting.at]
    for path in env.trust_paths(setting):
        args += ["--trust", path]
    for anchor in setting.anchors:
        args += ["--trust-anchor", anchor]
    if setting.status:
        args += ["--status-dir", str(env.status)]
    if setting.strict:
        args.append("--strict")
    if setting.challenge is not None:
        args += ["--challenge", setting.challenge]
    if setting.domain is not None:
        args += ["--domain", setting.domain]
    return args


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # a PYTHONPATH given to the test run goes first (run the harness against another tree)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(TESTS), *filter(None, [env.get("PYTHONPATH")]), str(REPO / "src")]
    )
    env.pop("CREDKIT_FASTLD", None)
    env.pop("CREDKIT_SHAPES", None)
    return env


@dataclass(frozen=True)
class CliAnswer:
    verdict: str
    exit_code: int
    output: dict[str, Any] | None
    stderr: str


def cli_answer(case: Case, env: Env) -> CliAnswer:
    """``credkit verify --json`` in a fresh process: the verdict it prints, and its exit code."""
    proc = subprocess.run(
        [sys.executable, "-m", "credkit", *cli_args(case, env)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_child_env(),
        timeout=120,
        check=False,
    )
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        out = None
    verdict = out.get("verdict") if isinstance(out, dict) else None
    if not isinstance(verdict, str):
        verdict = f"no JSON verdict (exit {proc.returncode})"
    return CliAnswer(verdict, proc.returncode, out, proc.stderr[-2000:])


def in_fresh_processes(
    cases: Iterable[Case], env: Env, *, workers: int = 2, cli: bool = True
) -> dict[str, Any]:
    """The CLI answer (or the fresh-library verdict) of every case, one fresh process each."""
    todo = list(cases)
    run = (lambda c: cli_answer(c, env)) if cli else (lambda c: fresh_library_verdict(c, env))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip([c.name for c in todo], pool.map(run, todo), strict=True))


def fresh_library_verdict(case: Case, env: Env) -> str:
    """The library's verdict on ``case`` in a process that has verified nothing before."""
    proc = subprocess.run(
        [sys.executable, "-m", "adversarial.run", "--dir", str(env.root), "--case", case.name],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_child_env(),
        timeout=120,
        check=False,
    )
    try:
        verdict = json.loads(proc.stdout)["verdict"]
    except (ValueError, KeyError, TypeError):
        return f"driver failed (exit {proc.returncode}): {proc.stderr[-500:]}"
    return str(verdict)


# --- server ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerAnswer:
    verdict: str
    http_status: int
    body: Any


def server_answer(case: Case, env: Env) -> ServerAnswer:
    """The service's answer, through the ASGI app (no socket)."""
    from fastapi.testclient import TestClient

    from credkit.server.app import create_app
    from credkit.server.state import ServerConfig
    from credkit.status import DirectoryFetcher

    setting = case.setting
    app = create_app(
        ServerConfig(trust=tuple(env.trust_paths(setting)), anchors=tuple(setting.anchors))
    )
    state = app.state.credkit
    verifier = state.verifier()
    verifier.strict = setting.strict
    if setting.status:
        state.status_fetcher.fallback = DirectoryFetcher(env.status)
    if case.kind == "presentation":
        path = "/presentations/verify"
        options: dict[str, Any] = {}
        if setting.challenge is not None:
            options["challenge"] = setting.challenge
        if setting.domain is not None:
            options["domain"] = setting.domain
        body: dict[str, Any] = {"verifiablePresentation": case.doc(), "options": options}
    else:
        path = "/credentials/verify"
        body = {"verifiableCredential": case.doc()}
        if setting.checks is not None:
            body["options"] = {"checks": list(setting.checks)}
    with TestClient(app, raise_server_exceptions=True) as client:
        for earlier in setting.warmup:
            with moment(verifier, earlier):
                client.post(path, json=body)
        with moment(verifier, setting.at):
            answer = client.post(path, json=body)
    try:
        data = answer.json()
    except ValueError:
        data = answer.text
    verdict = data.get("verdict") if isinstance(data, dict) else None
    if not isinstance(verdict, str):
        # a request the app refused before verifying (422 and the like) verified nothing
        verdict = "unusable" if answer.status_code in (413, 422) else f"HTTP {answer.status_code}"
    return ServerAnswer(verdict, answer.status_code, data)


# --- fresh-process driver ----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="verify dumped cases in this fresh process")
    parser.add_argument("--dir", required=True, type=Path)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--case", help="one case: print its verdict")
    what.add_argument(
        "--sequence", action="store_true", help="every order of orders() through one verifier"
    )
    args = parser.parse_args(argv)
    env = Env(args.dir)
    cases = load_dumped(args.dir)
    if args.sequence:
        print(json.dumps(sequence_verdicts(env, cases)))
        return 0
    case = next(c for c in cases if c.name == args.case)
    print(json.dumps({"case": case.name, "verdict": library_verdict(case, env)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
