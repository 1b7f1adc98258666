"""The CLI imports a command's module only when the command runs (credkit.cli.common.CredkitGroup):
every command is still listed and found, and the start-up of a simple command stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from credkit.cli.common import SUITE_NAMES
from credkit.cli.main import keys, main
from credkit.proofs.suites import SUITES

SRC = Path(__file__).resolve().parents[1] / "src"


def test_the_suite_choices_are_the_suites_credkit_has() -> None:
    assert tuple(sorted(SUITES)) == SUITE_NAMES


def test_every_lazy_command_is_listed_and_loads() -> None:
    ctx = main.make_context("credkit", ["--help"], resilient_parsing=True)
    for group in (main, keys):
        names = group.list_commands(ctx)
        assert set(group.lazy) <= set(names)  # type: ignore[attr-defined]
        for name in names:
            command = group.get_command(ctx, name)
            assert command is not None and command.name, name
    shown = CliRunner().invoke(main, ["--help"])
    assert shown.exit_code == 0 and "issue-cohort" in shown.output and "audit" in shown.output
    assert "pkcs11-generate" in CliRunner().invoke(main, ["keys", "--help"]).output


def test_a_key_command_does_not_import_the_signing_stack() -> None:
    """`credkit keys generate` needs no JSON-LD processor, server or QR code: none is imported."""
    probe = (
        "import sys\n"
        "from credkit.cli.main import main\n"
        "try:\n"
        "    main(['keys', 'show', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('pyld', 'fastapi', 'qrcode', 'credkit.issuer.cohort') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr
