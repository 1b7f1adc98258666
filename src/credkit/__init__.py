"""credkit: issue and verify W3C Verifiable Credential diplomas with Data Integrity EdDSA proofs.

The public API is what ``__all__`` lists; everything else may change. Names are imported on first
use, so ``import credkit`` stays cheap for a command that needs only part of it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from credkit import _moved

__version__ = "0.1.0"
_moved.install()  # old module paths (credkit.keys, credkit.verify_checks, ...) keep working

_EXPORTS: dict[str, str] = {
    # keys and identifiers
    "KeyPair": "credkit.identity.keys",
    "PublicKey": "credkit.identity.keys",
    "Resolver": "credkit.identity.did",
    "VerificationMethod": "credkit.identity.did",
    "did_key": "credkit.identity.did",
    "did_key_document": "credkit.identity.did",
    "did_web": "credkit.identity.did",
    "did_web_document": "credkit.identity.did",
    "did_web_url": "credkit.identity.did",
    "DocumentLoader": "credkit.jsonld.contexts",
    # proofs
    "sign": "credkit.proofs",
    "verify": "credkit.proofs",
    "ProofResult": "credkit.proofs",
    "ProofSetResult": "credkit.proofs",
    # diplomas
    "DiplomaTemplate": "credkit.model.template",
    "load_template": "credkit.model.template",
    "read_roster": "credkit.model.roster",
    "Graduate": "credkit.model.roster",
    "build_diploma": "credkit.model.diploma",
    "issue_diploma": "credkit.model.diploma",
    "build_endorsement": "credkit.model.diploma",
    "issue_endorsement": "credkit.model.diploma",
    "issue_cohort": "credkit.issuer.cohort",
    "Workspace": "credkit.issuer.workspace",
    # status
    "SqliteStore": "credkit.issuer.store",
    "Bitstring": "credkit.status",
    "DirectoryFetcher": "credkit.status",
    "StatusSpec": "credkit.status",
    # verification
    "Verifier": "credkit.verify",
    "VerificationResult": "credkit.verify",
    # sharing
    "qr_for": "credkit.share.qr",
    "read_qr": "credkit.share.qr",
    "render_html": "credkit.share.render",
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
    from credkit.errors import CredkitError
    from credkit.identity.did import (
        Resolver,
        VerificationMethod,
        did_key,
        did_key_document,
        did_web,
        did_web_document,
        did_web_url,
    )
    from credkit.identity.keys import KeyPair, PublicKey
    from credkit.issuer.cohort import issue_cohort
    from credkit.issuer.store import SqliteStore
    from credkit.issuer.workspace import Workspace
    from credkit.jsonld.contexts import DocumentLoader
    from credkit.model.diploma import (
        build_diploma,
        build_endorsement,
        issue_diploma,
        issue_endorsement,
    )
    from credkit.model.roster import Graduate, read_roster
    from credkit.model.template import DiplomaTemplate, load_template
    from credkit.proofs.dataintegrity import ProofResult, ProofSetResult, sign, verify
    from credkit.share.qr import qr_for, read_qr
    from credkit.share.render import render_html
    from credkit.status import Bitstring, DirectoryFetcher, StatusSpec
    from credkit.verify.verifier import VerificationResult, Verifier


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'credkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
