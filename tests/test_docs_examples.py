"""The docs' examples run, so they cannot rot ("Examples in the docs run in CI").

Every fenced ```python block in README.md and docs/*.md is run as its own script, in a fresh
temporary folder that holds a copy of ``examples/`` (so a block can say
``load_template("examples/postproduction/program.toml")`` exactly as a reader in the repository
would), with the repository root in ``CREDKIT_REPO``. Fenced ```bash / ```sh blocks whose first
command (after comments) is ``credkit`` run too, with ``set -euo pipefail``: one that starts with
``credkit init`` in a folder holding only the inputs (``graduates.csv``, ...), any other in a
folder where the files the docs name exist (a workspace ``lab`` with the example cohort issued,
``diploma.json``, ...). A block that calls a program this machine lacks (``chromium``) is skipped.

A block that is deliberately not runnable carries ``<!-- not-run: reason -->`` on the line before
its fence; it is skipped, and the reason must say something.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CREDKIT = Path(sys.executable).with_name("credkit")

_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w+-]*)\s*$")
_NOT_RUN = re.compile(r"^\s*<!--\s*not-run:(?P<reason>.*?)-->\s*$")
_SHELLS = {"bash", "sh", "shell"}
_OPTIONAL_PROGRAMS = ("chromium",)


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    not_run: str | None  # the reason, when marked <!-- not-run: ... -->

    @property
    def name(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def blocks(doc: Path) -> list[Block]:
    """Fenced code blocks of ``doc``, with their language and an optional not-run mark."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent = opening["indent"]
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j])
            j += 1
        mark = _NOT_RUN.match(lines[i - 1]) if i > 0 else None
        found.append(
            Block(
                doc,
                i + 1,
                opening["lang"].lower(),
                "\n".join(body) + "\n",
                mark["reason"].strip() if mark else None,
            )
        )
        i = j + 1
    return found


def _first_command(block: Block) -> str:
    lines = (line.strip() for line in block.code.splitlines())
    return next((line for line in lines if line and not line.startswith("#")), "")


def _is_credkit_shell(block: Block) -> bool:
    return block.lang in _SHELLS and _first_command(block).startswith("credkit ")


ALL = [block for doc in DOCS for block in blocks(doc)]
PYTHON = [block for block in ALL if block.lang == "python"]
SHELL = [block for block in ALL if _is_credkit_shell(block)]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["CREDKIT_REPO"] = str(ROOT)
    env["PATH"] = f"{CREDKIT.parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT / "src")
    env.pop("CREDKIT_API_TOKEN", None)
    # each block its own empty trust store: a `credkit trust add` example must not change
    # what another block's `credkit verify` trusts
    env["CREDKIT_TRUST_DIR"] = tempfile.mkdtemp(prefix="credkit-trust-")
    return env


def _fresh(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(ROOT / "examples", work / "examples")
    return work


def _report(block: Block, done: subprocess.CompletedProcess[str]) -> str:
    return (
        f"{block.name} ({block.lang}) exited {done.returncode}\n--- block\n{block.code}"
        f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
    )


def test_blocks_are_found() -> None:
    """The extractor sees the docs' code (a parser that finds nothing would pass everything)."""
    assert len(PYTHON) >= 10
    assert any(block.doc.name == "README.md" for block in PYTHON)


def test_not_run_marks_give_a_reason() -> None:
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in re.finditer(r"<!--\s*not-run:(.*?)-->", text, re.S):
            assert match[1].strip(), f"{doc.name}: a not-run mark needs a reason"
    marks = sum(
        len(re.findall(r"<!--\s*not-run:", doc.read_text(encoding="utf-8"))) for doc in DOCS
    )
    assert marks == sum(block.not_run is not None for block in ALL), (
        "a not-run mark must be on the line right before a fence"
    )


@pytest.mark.parametrize("block", PYTHON, ids=lambda block: block.name)
def test_python_block_runs(block: Block, tmp_path: Path) -> None:
    if block.not_run is not None:
        pytest.skip(f"not-run: {block.not_run}")
    work = _fresh(tmp_path)
    script = tmp_path / "block.py"
    script.write_text(block.code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=work,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, _report(block, done)


_INPUTS = r"""
set -euo pipefail
cp examples/postproduction/roster.csv graduates.csv
cp examples/postproduction/sponsor-endorsement.toml sponsor-endorsement.toml
"""

_ISSUED = r"""
set -euo pipefail
credkit init lab --name "Reelbridge Post Lab" --url https://reelbridge.example \
    --base-url https://reelbridge.example/credentials >/dev/null
cp examples/postproduction/program.toml lab/program.toml
credkit keys generate --out lab/stage-sponsor.key >/dev/null
credkit endorse sponsor-endorsement.toml --key lab/stage-sponsor.key --template lab/program.toml \
    --out lab/stage-endorsement.json
printf '\n[[endorsement]]\nfile = "stage-endorsement.json"\n' >> lab/program.toml
credkit issue-cohort --roster graduates.csv --issuer-dir lab --workers 1 >/dev/null
credkit status publish --issuer-dir lab --out site >/dev/null
ln -s lab reelbridge
credkit issue examples/credential.json --issuer-dir lab --out diploma.json
cp lab/diplomas/RPL26-001.json RPL26-001.json
did="$(sed -n 's/^did = "\(.*\)"/\1/p' lab/credkit.toml)"
printf '%s  # Reelbridge Post Lab\n' "$did" > trusted-issuers.txt
credkit qr diploma.json --mode link --issuer-dir lab --out photo.png >/dev/null
"""


def _bash(script: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def stages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two folders built once with the real CLI, for the shell examples to run in (copies of).

    ``inputs``: ``examples/``, ``graduates.csv`` (the example roster) and
    ``sponsor-endorsement.toml``. ``issued``: the same plus ``lab`` (also as ``reelbridge``), a
    workspace with the example cohort issued, endorsed by the example sponsor; ``site``, its published status lists;
    ``RPL26-001.json``, a copy of the first diploma; ``diploma.json``, the lab's signature on
    ``examples/credential.json`` (small enough for an embedded QR code, which an endorsed diploma
    is not); ``trusted-issuers.txt`` trusting the lab; ``photo.png``, a link QR code.
    """
    inputs = _fresh(tmp_path_factory.mktemp("inputs"))
    done = _bash(_INPUTS, inputs, 60)
    assert done.returncode == 0, done.stderr
    issued = tmp_path_factory.mktemp("issued") / "work"
    shutil.copytree(inputs, issued)
    done = _bash(_ISSUED, issued, 300)
    assert done.returncode == 0, done.stderr
    return {"inputs": inputs, "issued": issued}


@pytest.mark.parametrize("block", SHELL, ids=lambda block: block.name)
def test_credkit_shell_block_runs(block: Block, stages: dict[str, Path], tmp_path: Path) -> None:
    if block.not_run is not None:
        pytest.skip(f"not-run: {block.not_run}")
    for program in _OPTIONAL_PROGRAMS:
        if re.search(rf"^\s*{program}\b", block.code, re.M) and shutil.which(program) is None:
            pytest.skip(f"{program} is not installed")
    stage = "inputs" if _first_command(block).startswith("credkit init ") else "issued"
    work = tmp_path / "work"
    shutil.copytree(stages[stage], work, symlinks=True)
    done = _bash("set -euo pipefail\n" + block.code, work, 120)
    assert done.returncode == 0, _report(block, done)


def test_employer_quickstart_output_is_what_verify_prints(stages: dict[str, Path]) -> None:
    """The quickstart's sample output, checked by name and mark against a real run.

    The quickstart's command fetches the status list (``--allow-network``); the same diploma is
    verified here offline from the published folder (``--status-dir``), after ``credkit trust
    add`` of the example accreditor's list signed for this lab (as the quickstart says to do).
    """
    doc = ROOT / "docs" / "quickstart-employer.md"
    found = blocks(doc)
    command = next(i for i, block in enumerate(found) if block.code.startswith("credkit verify"))
    shown = found[command + 1].code.splitlines()
    done = _bash(
        f"""set -euo pipefail
did="$(sed -n 's/^did = "\\(.*\\)"/\\1/p' lab/credkit.toml)"
acc="$({sys.executable} examples/trust/sign_trust_list.py --issuer "$did" "Reelbridge Post Lab" \\
    --out my-list.json | sed -n 's/.*signed by \\(did:[^ ]*\\).*/\\1/p')"
credkit trust add my-list.json --accreditor "$acc" >/dev/null
credkit verify RPL26-001.json --status-dir site""",
        stages["issued"],
        120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    printed = done.stdout.splitlines()

    def rows(lines: list[str]) -> list[tuple[str, str]]:
        return [(line.split()[0], line.split()[1]) for line in lines if line[:1] in "✔✘–!"]

    def whose(lines: list[str]) -> list[str]:
        return [line.split(":")[0] for line in lines if line.startswith("  ")]

    assert rows(shown) == rows(printed)
    assert whose(shown) == whose(printed) == ["  graduate", "  achievement", "  issuer", "  dates"]
    assert shown[-1].split(":")[0] == printed[-1].split(":")[0] == "verified"
    # the signed list names the lab: the issuer is shown by the list's name for it
    for lines in (shown, printed):
        assert " — issued by Reelbridge Post Lab (did:key:z6Mk" in lines[0]
        assert "as named in trust list 'Accredited post-production training providers" in lines[3]
    assert shown[0].split(" — issued by ")[0] == printed[0].split(" — issued by ")[0]
    assert shown[1] == printed[1]  # the graduate
