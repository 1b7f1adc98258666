"""The verdict rules are one table, written once (issue 13): the code's table, the docs' copy of
it, and every verdict the verifier gives agree."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from credkit.verify.result import (
    EXIT_CODES,
    FAILED,
    INCONCLUSIVE,
    NOT_VERIFIED,
    PASSED,
    REQUIRED_CREDENTIAL,
    SKIPPED,
    UNUSABLE,
    VERDICT_TABLE,
    VERIFIED,
    WARNING,
    Check,
    VerificationResult,
    verdict_of,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "verification.md"
OPTIONAL = ("schema", "trusted_issuer", "endorsements")


def _docs_rows() -> list[tuple[str, ...]]:
    text = DOCS.read_text(encoding="utf-8")
    block = text.split("<!-- verdict-table:", 1)[1].split("\n\n", 1)[0]
    rows = [line for line in block.splitlines() if line.startswith("| ") and "---" not in line]
    cells = [tuple(c.strip() for c in row.strip("|").split("|")) for row in rows]
    return cells[1:]  # without the header


def test_the_docs_show_the_table_the_code_applies() -> None:
    expected = []
    for state, which, effect, why in VERDICT_TABLE:
        shown = f"`{effect}`" if effect != "-" else "-"
        code = str(EXIT_CODES[effect]) if effect != "-" else "-"
        expected.append((state, which, shown, code, why))
    assert _docs_rows() == expected


def _independent_verdict(checks: list[Check], required: tuple[str, ...]) -> str:
    """The docs' plain-words rule, written separately from the table."""
    if not checks:
        return UNUSABLE
    present = {c.id for c in checks}
    if any(c.status == FAILED for c in checks) or any(r not in present for r in required):
        return NOT_VERIFIED
    for c in checks:
        if c.status == SKIPPED and (c.id in required or not c.conclusive):
            return INCONCLUSIVE
    return VERIFIED


STATES = [
    (PASSED, True),
    (WARNING, True),
    (FAILED, True),
    (SKIPPED, True),
    (SKIPPED, False),
    (None, True),  # the check did not run at all
]


def _checks(assignment: tuple[tuple[str | None, bool], ...], names: tuple[str, ...]) -> list[Check]:
    out = []
    for name, (status, conclusive) in zip(names, assignment, strict=True):
        if status is not None:
            out.append(Check(name, status, "m", conclusive=conclusive))
    return out


def test_every_combination_of_required_check_states_follows_the_table() -> None:
    for assignment in itertools.product(STATES, repeat=len(REQUIRED_CREDENTIAL)):
        checks = _checks(assignment, REQUIRED_CREDENTIAL)
        got = verdict_of(checks, REQUIRED_CREDENTIAL)
        assert got == _independent_verdict(checks, REQUIRED_CREDENTIAL), assignment
        result = VerificationResult(checks=checks, required=REQUIRED_CREDENTIAL)
        assert result.verdict == got
        assert result.exit_code == EXIT_CODES[got]
        assert result.summary.startswith(got)
        if got == VERIFIED:  # only when every required check ran and held
            assert all(s in (PASSED, WARNING) for s, _ in assignment)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(REQUIRED_CREDENTIAL + OPTIONAL), st.sampled_from(STATES))))
def test_any_mix_of_checks_follows_the_table(picked: list[tuple[str, tuple[str | None, bool]]]) -> None:
    checks = [Check(n, s, "m", conclusive=c) for n, (s, c) in picked if s is not None]
    got = verdict_of(checks, REQUIRED_CREDENTIAL)
    assert got == _independent_verdict(checks, REQUIRED_CREDENTIAL)
    # the same checks in another order give the same verdict
    assert verdict_of(list(reversed(checks)), REQUIRED_CREDENTIAL) == got


def test_a_result_without_its_proof_check_is_never_verified() -> None:
    checks = [Check(n, PASSED, "ok") for n in REQUIRED_CREDENTIAL if n != "proof"]
    result = VerificationResult(checks=checks, required=REQUIRED_CREDENTIAL)
    assert result.verdict == NOT_VERIFIED
    assert result.summary == "not verified: proof was not checked"


def test_the_cli_exit_code_is_the_tables() -> None:
    # the exit codes the docs list beside the verdicts are the ones the command returns
    text = DOCS.read_text(encoding="utf-8")
    for verdict, code in EXIT_CODES.items():
        assert re.search(rf"^\| {code} \| `{verdict}` \|", text, re.M), verdict
