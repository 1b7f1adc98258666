"""A new issuer workspace is private whatever the umask: folders 0700, files 0600.

It holds the issuer's signing key, the store of every graduate and the settings; under
``umask 000`` (some containers, some CI runners) plain creation would make them world-writable.
The umask is process-wide, so each case runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")

SCRIPT = """
import json, os, sys
os.umask(int(sys.argv[2], 8))
{create}
modes = {{}}
for folder, dirs, files in os.walk(sys.argv[1]):
    for name in dirs + files:
        path = os.path.join(folder, name)
        modes[os.path.relpath(path, sys.argv[1])] = os.lstat(path).st_mode
modes["."] = os.lstat(sys.argv[1]).st_mode
print(json.dumps(modes))
"""

LIBRARY = "from credkit.issuer.workspace import Workspace\n" + (
    "Workspace.create(sys.argv[1], name='Reelbridge Lab', base_url='https://r.example')"
)
CLI = (
    "from click.testing import CliRunner\nfrom credkit.cli import main\n"
    "r = CliRunner().invoke(main, ['init', sys.argv[1], '--name', 'Reelbridge Lab'])\n"
    "assert r.exit_code == 0, r.output\n"
)


def _modes(root: Path, umask: int, create: str) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(create=create), str(root), f"{umask:o}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    modes: dict[str, int] = json.loads(done.stdout.splitlines()[-1])
    return modes


@pytest.mark.parametrize("umask", [0o000, 0o002, 0o022])
@pytest.mark.parametrize("create", [LIBRARY, CLI], ids=["library", "cli"])
def test_new_workspace_is_private_whatever_the_umask(
    tmp_path: Path, umask: int, create: str
) -> None:
    root = tmp_path / "school" / "ws"
    modes = _modes(root, umask, create)
    assert {"credkit.toml", "issuer.key", "issuer.db", "program.toml", "diplomas"} <= set(modes)
    for name, mode in modes.items():
        if stat.S_ISDIR(mode):
            assert stat.S_IMODE(mode) == 0o700, (name, oct(mode))
        else:
            assert stat.S_ISREG(mode), name
            assert stat.S_IMODE(mode) == 0o600, (name, oct(mode))


def test_init_into_an_existing_folder_keeps_its_mode(tmp_path: Path) -> None:
    root = tmp_path / "mine"
    root.mkdir(mode=0o750)
    os.chmod(root, 0o750)
    modes = _modes(root, 0o000, LIBRARY)
    assert stat.S_IMODE(modes["."]) == 0o750
    assert stat.S_IMODE(modes["credkit.toml"]) == 0o600
