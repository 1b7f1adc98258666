"""docs/cli.md names every command the CLI has, so the reference cannot silently fall behind."""

from __future__ import annotations

from pathlib import Path

import click

from credkit.cli import main

DOC = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "credkit") -> list[str]:
    names = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names.extend(_commands(command, f"{prefix} {name}"))
        else:
            names.append(f"{prefix} {name}")
    return names


def test_every_command_is_documented() -> None:
    missing = []
    for command in _commands(main):
        *group, leaf = command.split(" ")
        if command not in DOC and not (f"{' '.join(group)} " in DOC and f"{leaf}" in DOC):
            missing.append(command)
    assert not missing, f"add to docs/cli.md: {missing}"
