"""The layers are real (issue 15): the import contracts hold and would catch a wrong import, the
verifier loads nothing of the issuing side, and every old module path still works, warning once.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import credkit
from credkit._moved import MOVED

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(src))
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_import_contracts_hold() -> None:
    done = _lint(ROOT / "src", ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # the verifier reaching into the issuing side: what an employer's install must never need
        ("verify/checks.py", "import credkit.issuer.store", "verifier needs nothing"),
        # a lower layer importing a higher one (and a cycle between the two packages)
        ("jsonld/rdfc.py", "import credkit.proofs.dataintegrity", "Layers"),
        # the shared base reaching up
        ("netpolicy.py", "import credkit.identity.did", "shared base"),
        # a cycle inside one package
        ("server/pages.py", "import credkit.server.app", "No import cycles"),
    ],
)
def test_a_wrong_import_breaks_a_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    shutil.copytree(ROOT / "src", tmp_path / "src")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "src" / "credkit" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", "utf-8")
    done = _lint(tmp_path / "src", tmp_path)
    assert done.returncode != 0
    broken = done.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, done.stdout


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(done.stdout.split())


def test_verifying_loads_nothing_of_the_issuing_side_the_server_or_the_cli() -> None:
    loaded = _loaded_after(
        "import json; from credkit import Verifier; "
        f"Verifier().verify_credential(json.load(open({str(ROOT / 'benchmarks/diploma.json')!r})))"
    )
    assert "credkit.verify.verifier" in loaded and "credkit.proofs.dataintegrity" in loaded
    forbidden = [
        m
        for m in loaded
        if m.startswith(("credkit.issuer", "credkit.server", "credkit.cli", "fastapi", "uvicorn"))
    ]
    assert forbidden == []


def test_importing_the_verifier_is_checked_with_importtime_too() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import credkit.verify"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "credkit.verify.verifier" in imported
    assert not {m for m in imported if m.startswith(("credkit.issuer", "credkit.server"))}
    assert not {m for m in imported if m.startswith("credkit.cli")}


def test_every_public_name_still_imports_from_credkit() -> None:
    for name in credkit.__all__:
        assert getattr(credkit, name) is not None, name


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_module_path_is_the_new_module_with_a_deprecation_warning(old: str) -> None:
    new = importlib.import_module(MOVED[old])
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert module is new
    assert any(
        issubclass(w.category, DeprecationWarning) and MOVED[old] in str(w.message) for w in caught
    )


def test_the_packages_that_were_modules_keep_their_names() -> None:
    from credkit.proofs import ProofResult, sign, verify
    from credkit.verify import MAX_BYTES, Verifier

    assert sign.__module__ == verify.__module__ == "credkit.proofs.dataintegrity"
    assert ProofResult.__module__ == "credkit.proofs.dataintegrity"
    assert Verifier.__module__ == "credkit.verify.verifier" and MAX_BYTES > 0
    from credkit.cli import main

    assert main.name == "main" or callable(main)
