"""Shared fixtures: the spec test vectors as data."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

import xdist_order
from secret_scan import pytest_configure as _secret_scan_configure

# issue 19: no private key made during the session may appear in any output it saw
from secret_scan import (  # noqa: F401  (pytest finds hooks by name)
    pytest_runtest_logreport,
    pytest_runtest_logstart,
    pytest_sessionfinish,
)

VECTORS = Path(__file__).parent / "vectors"

# `credkit verify` also uses the trust lists saved by `credkit trust add`: tests (and the CLI
# processes they start, which inherit this) see an empty store, never the developer's own lists
os.environ.setdefault("CREDKIT_TRUST_DIR", tempfile.mkdtemp(prefix="credkit-trust-"))
# `credkit init` and `credkit keys generate` encrypt new keys with a passphrase: the CLI processes
# tests start find it here (tests of the passphrase sources set or remove it themselves)
os.environ.setdefault("CREDKIT_KEY_PASSPHRASE", "test passphrase, not a secret")
EDDSA = VECTORS / "vc-di-eddsa"


def pytest_configure(config: pytest.Config) -> None:
    _secret_scan_configure(config)
    xdist_order.register(config)  # -n N --dist loadfile: the longest files first


def load(path: Path | str) -> Any:
    return json.loads((VECTORS / path).read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _own_trust_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test its own empty saved-trust store: a test that runs `credkit trust add` must not
    change what another test's `credkit verify` trusts."""
    monkeypatch.setenv("CREDKIT_TRUST_DIR", str(tmp_path_factory.mktemp("trust")))


@pytest.fixture
def vector_key() -> Any:
    from credkit.identity.keys import KeyPair

    return KeyPair.from_secret_multibase(load("vc-di-eddsa/keyPair.json")["privateKeyMultibase"])


@pytest.fixture
def unsigned() -> dict[str, Any]:
    doc: dict[str, Any] = load("vc-di-eddsa/unsigned.json")
    return doc
