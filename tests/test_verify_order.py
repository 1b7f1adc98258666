"""The same verdict whatever came before (issue 13 §3).

pyld writes into the parsed contexts it is handed (``@import``), and credkit keeps caches in the
loader, in :mod:`credkit.jsonld.fastld`, in :mod:`credkit.jsonld.shapes` and in the verifier: a crafted
credential once made the same process reject valid diplomas afterwards. Here the whole corpus --
hostile cases and valid documents -- runs in several random orders (fixed seeds), all in this
one process through ONE long-lived :class:`~credkit.verify.Verifier` (re-pointed at each case's
trust lists and mode, as a server keeps its own), and every verdict is compared with the verdict
the library gives the same document in a fresh process that has verified nothing before.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adversarial.corpus import Case, corpus
from adversarial.run import (
    Env,
    fresh_sequence_verdicts,
    in_fresh_processes,
    prepare,
    sequence_verdicts,
)

CORPUS = corpus()
DOCUMENTS: list[Case] = [*CORPUS.cases, *CORPUS.valid]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield prepare(tmp_path_factory.mktemp("adversarial-order"))


@pytest.fixture(scope="module")
def fresh(env: Env) -> dict[str, str]:
    """Each document's verdict from a process of its own (the library, nothing verified before)."""
    verdicts: dict[str, str] = in_fresh_processes(DOCUMENTS, env, cli=False)
    return verdicts


def test_valid_documents_verify_in_a_fresh_process(fresh: dict[str, str]) -> None:
    """The reference is sane (hostile verdicts are tests/test_adversarial_corpus.py's job)."""
    for case in CORPUS.valid:
        assert fresh[case.name] == "verified", (case.name, fresh[case.name])


def _differences(rows: list[tuple[str, int, str, str]], fresh: dict[str, str]) -> list[str]:
    out: list[str] = []
    for order, position, name, got in rows:
        if got != fresh[name]:
            before = [r[2] for r in rows if r[0] == order and position - 3 <= r[1] < position]
            out.append(
                f"{order} #{position}: {name} is {got!r} here but {fresh[name]!r} in a fresh "
                f"process (after: {', '.join(before) or 'nothing'})"
            )
    return out


def test_verdicts_in_this_process_do_not_depend_on_what_came_before(
    env: Env, fresh: dict[str, str]
) -> None:
    """This (test-runner) process has built and verified a lot already: a warm, shared state."""
    differences = _differences(sequence_verdicts(env, DOCUMENTS), fresh)
    assert not differences, "\n".join(differences)


def test_verdicts_in_a_new_process_do_not_depend_on_what_came_before(
    env: Env, fresh: dict[str, str]
) -> None:
    """A process that starts with the corpus: the first document to touch a shared context is a
    hostile one in some orders (a context poisoner only bites before anything else used it)."""
    differences = _differences(fresh_sequence_verdicts(env), fresh)
    assert not differences, "\n".join(differences)
