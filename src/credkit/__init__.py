"""credkit: issue and verify W3C Verifiable Credential diplomas with Data Integrity EdDSA proofs.

The public API is what ``__all__`` lists; everything else may change. Names are imported on first
use, so ``import credkit`` stays cheap for a command that needs only part of it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # keys and identifiers
    "KeyPair": "credkit.keys",
    "PublicKey": "credkit.keys",
    "Resolver": "credkit.did",
    "VerificationMethod": "credkit.did",
    "did_key": "credkit.did",
    "did_key_document": "credkit.did",
    "did_web": "credkit.did",
    "did_web_document": "credkit.did",
    "did_web_url": "credkit.did",
    "DocumentLoader": "credkit.contexts",
    # proofs
    "sign": "credkit.proofs",
    "verify": "credkit.proofs",
    "ProofResult": "credkit.proofs",
    "ProofSetResult": "credkit.proofs",
    # diplomas
    "DiplomaTemplate": "credkit.template",
    "load_template": "credkit.template",
    "read_roster": "credkit.roster",
    "Graduate": "credkit.roster",
    "build_diploma": "credkit.diploma",
    "issue_diploma": "credkit.diploma",
    "build_endorsement": "credkit.diploma",
    "issue_endorsement": "credkit.diploma",
    "issue_cohort": "credkit.cohort",
    "Workspace": "credkit.workspace",
    # status
    "SqliteStore": "credkit.store",
    "Bitstring": "credkit.status",
    "DirectoryFetcher": "credkit.status",
    "StatusSpec": "credkit.status",
    # verification
    "Verifier": "credkit.verify",
    "VerificationResult": "credkit.verify",
    # sharing
    "qr_for": "credkit.qr",
    "read_qr": "credkit.qr",
    "render_html": "credkit.render",
    # errors
    "CredkitError": "credkit.errors",
}

__all__ = [
    "Bitstring",
    "CredkitError",
    "DiplomaTemplate",
    "DirectoryFetcher",
    "DocumentLoader",
    "Graduate",
    "KeyPair",
    "ProofResult",
    "ProofSetResult",
    "PublicKey",
    "Resolver",
    "SqliteStore",
    "StatusSpec",
    "VerificationMethod",
    "VerificationResult",
    "Verifier",
    "Workspace",
    "__version__",
    "build_diploma",
    "build_endorsement",
    "did_key",
    "did_key_document",
    "did_web",
    "did_web_document",
    "did_web_url",
    "issue_cohort",
    "issue_diploma",
    "issue_endorsement",
    "load_template",
    "qr_for",
    "read_qr",
    "read_roster",
    "render_html",
    "sign",
    "verify",
]

if TYPE_CHECKING:
    from credkit.cohort import issue_cohort
    from credkit.contexts import DocumentLoader
    from credkit.did import (
        Resolver,
        VerificationMethod,
        did_key,
        did_key_document,
        did_web,
        did_web_document,
        did_web_url,
    )
    from credkit.diploma import build_diploma, build_endorsement, issue_diploma, issue_endorsement
    from credkit.errors import CredkitError
    from credkit.keys import KeyPair, PublicKey
    from credkit.proofs import ProofResult, ProofSetResult, sign, verify
    from credkit.qr import qr_for, read_qr
    from credkit.render import render_html
    from credkit.roster import Graduate, read_roster
    from credkit.status import Bitstring, DirectoryFetcher, StatusSpec
    from credkit.store import SqliteStore
    from credkit.template import DiplomaTemplate, load_template
    from credkit.verify import VerificationResult, Verifier
    from credkit.workspace import Workspace


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'credkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
