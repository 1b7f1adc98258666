"""docs/cli.md's reference part is generated from the click commands and must match them."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from credkit.cli import main
from credkit.cli.reference import MARKER, generate, render

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_docs_cli_md_is_the_generated_reference() -> None:
    current = DOC.read_text(encoding="utf-8")
    assert MARKER in current, "docs/cli.md lost its generated part"
    assert current == render(current), "docs/cli.md is stale: run python -m credkit.cli.reference"


def test_generator_walks_any_group_and_keeps_the_intro() -> None:
    @click.group()
    def tool() -> None:
        """A tool."""

    @tool.group()
    def trust() -> None:
        """Trust lists."""

    @trust.command("add")
    @click.argument("url")
    @click.option("--accreditor", metavar="DID", required=True, help="Who signs the list.")
    @click.option("--ttl", default=7, show_default=True, help="Days.")
    def add(url: str, accreditor: str, ttl: int) -> None:
        """Add a list."""

    text = render("# intro\n\nhand-written\n", tool)
    assert text.startswith("# intro\n\nhand-written\n\n" + MARKER)
    assert "### `credkit trust add`" in text
    assert "| `URL` | argument |" in text
    assert "| `--accreditor` `DID` | Who signs the list. (required) |" in text
    assert "| `--ttl` `INTEGER` | Days. (default: `7`) |" in text
    assert render(text, tool) == text  # idempotent


def test_every_option_of_every_command_is_in_the_reference() -> None:
    text = generate()
    for opt in ("--site-dir", "--ecc", "--caption", "--max-bytes", "--issuer-dir"):
        assert f"`{opt}`" in text


def test_status_revoke_help_says_what_it_takes() -> None:
    out = CliRunner().invoke(main, ["status", "revoke", "--help"]).output
    assert "DIPLOMA" in out and "its file" in out and "email" in out and "credkit list" in out


def test_qr_ecc_is_case_insensitive_and_says_so(tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["qr", "--help"]).output
    assert "[L|M|Q|H]" in out and "case-insensitive" in out
