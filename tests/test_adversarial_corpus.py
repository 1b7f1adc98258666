"""Every hostile document of the corpus, through the library, the CLI and the server.

The corpus (``tests/adversarial/corpus.py``) holds one case per attack class of issue 13, each
generated from a freshly signed diploma with fixed keys. Every case must come out of all three
faces with the same verdict, that verdict must be the one the case expects, and none may ever be
"verified". The CLI runs as ``python -m credkit verify --json`` in a fresh process per case, so its
exit code is checked against the verdict it prints (0 verified, 1 not verified, 2 unusable,
3 inconclusive).

A case whose fix has not landed is marked ``xfail(strict=True)`` in :data:`PENDING`: once the
fix lands the case passes, strict turns that into a failure, and the mark must go.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adversarial.corpus import CLASSES, Case, corpus
from adversarial.run import (
    EXIT_CODES,
    CliAnswer,
    Env,
    in_fresh_processes,
    library_result,
    load_dumped,
    prepare,
    server_answer,
)

CORPUS = corpus()

# case name -> the class whose fix is pending (remove the entry when the case passes)
PENDING: dict[str, str] = {}


def _param(case: Case) -> Any:
    marks = []
    if case.name in PENDING:
        marks.append(pytest.mark.xfail(strict=True, reason=f"fix pending: {PENDING[case.name]}"))
    return pytest.param(case, id=case.name, marks=marks)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield prepare(tmp_path_factory.mktemp("adversarial-corpus"))


@pytest.fixture(scope="module")
def cli(env: Env) -> dict[str, CliAnswer]:
    """``credkit verify`` on every case and valid document, one fresh process each (2 at once)."""
    answers: dict[str, CliAnswer] = in_fresh_processes([*CORPUS.cases, *CORPUS.valid], env)
    return answers


def _show(case: Case, answers: dict[str, Any]) -> str:
    return (
        f"{case.name} ({case.attack}: {CLASSES.get(case.attack, ('', ''))[1]}): "
        + json.dumps(answers, default=str)[:3000]
    )


@pytest.mark.parametrize("case", [_param(c) for c in CORPUS.cases])
def test_hostile_document_is_never_verified_and_every_face_agrees(
    case: Case, env: Env, cli: dict[str, CliAnswer]
) -> None:
    library = library_result(case, env)
    command = cli[case.name]
    server = server_answer(case, env)
    verdicts = {"library": library.verdict, "cli": command.verdict, "server": server.verdict}
    shown = _show(
        case,
        {
            "verdicts": verdicts,
            "library": library.to_json()["checks"],
            "cli_stderr": command.stderr,
            "server": server.body,
        },
    )
    assert "verified" not in verdicts.values(), shown
    assert library.verdict in case.verdicts, shown
    assert len(set(verdicts.values())) == 1, shown
    assert command.exit_code == EXIT_CODES[command.verdict], shown
    assert server.http_status == 400, shown  # the VC-API answers 200 only when verified


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CORPUS.valid])
def test_valid_documents_of_the_corpus_verify_everywhere(
    case: Case, env: Env, cli: dict[str, CliAnswer]
) -> None:
    """The settings are right: what makes a hostile case fail is its attack, not its setting."""
    library = library_result(case, env)
    command = cli[case.name]
    server = server_answer(case, env)
    verdicts = {"library": library.verdict, "cli": command.verdict, "server": server.verdict}
    shown = _show(case, {"verdicts": verdicts, "library": library.to_json()["checks"]})
    assert set(verdicts.values()) == {"verified"}, shown
    assert command.exit_code == 0 and server.http_status == 200, shown


def test_every_attack_class_of_the_issue_has_a_case() -> None:
    covered = {c.attack for c in CORPUS.cases}
    assert covered == set(CLASSES), set(CLASSES) ^ covered


def test_no_hostile_case_expects_verified() -> None:
    for case in CORPUS.cases:
        assert "verified" not in case.verdicts, case.name


def test_pending_marks_name_real_cases() -> None:
    names = {c.name for c in CORPUS.cases}
    assert set(PENDING) <= names, set(PENDING) - names


def test_corpus_is_rebuilt_byte_for_byte(tmp_path: Path) -> None:
    """Fixed keys, fixed dates, deterministic signatures: two builds give the same files."""
    from adversarial import corpus as module

    first, second = tmp_path / "a", tmp_path / "b"
    CORPUS.dump(first)
    module.corpus.cache_clear()
    try:
        module.corpus().dump(second)
    finally:
        module.corpus.cache_clear()
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_dumped_corpus_reads_back_as_the_same_cases(env: Env) -> None:
    loaded = {c.name: c for c in load_dumped(env.root)}
    for case in (*CORPUS.cases, *CORPUS.valid):
        back = loaded[case.name]
        assert back.document == case.document
        assert (back.attack, back.expected, back.accept, back.kind, back.setting) == (
            case.attack,
            case.expected,
            case.accept,
            case.kind,
            case.setting,
        )
