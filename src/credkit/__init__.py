"""credkit: issue and verify W3C Verifiable Credential diplomas with Data Integrity EdDSA proofs."""

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
from credkit.errors import CredkitError
from credkit.keys import KeyPair, PublicKey
from credkit.proofs import ProofResult, ProofSetResult, sign, verify

__version__ = "0.1.0"

__all__ = [
    "CredkitError",
    "DocumentLoader",
    "KeyPair",
    "ProofResult",
    "ProofSetResult",
    "PublicKey",
    "Resolver",
    "VerificationMethod",
    "__version__",
    "did_key",
    "did_key_document",
    "did_web",
    "did_web_document",
    "did_web_url",
    "sign",
    "verify",
]
