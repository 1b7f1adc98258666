"""What every EdDSA cryptosuite shares: hashing, signing, multibase proof values.

Each suite is the spec's stages (VC DI EdDSA 1.0 §3): transformation → proof configuration →
hashing → serialization. Subclasses supply the first two; the last two are identical for all three
suites: hashData = SHA-256(canonical proof config) ‖ SHA-256(transformed document) (§3.2.4/§3.3.4,
proof-config hash first), signed with pure Ed25519, proofValue = ``z`` + base58btc(signature).
"""

from __future__ import annotations

import copy
import hashlib
import marshal
import re
from abc import ABC, abstractmethod
from typing import Any

from credkit.errors import MalformedProofError, ProofGenerationError, ProofVerificationError
from credkit.identity.keys import PublicKey
from credkit.identity.multibase import decode_base58btc, encode_base58btc
from credkit.identity.signer import Signer
from credkit.jsonld.contexts import DocumentLoader

# XML Schema dateTimeStamp (VC DM 2.0 §4.10; the spec's non-normative regex), offset optional:
# values without an offset are read as UTC (DI §2.1 created/expires).
DATETIME = re.compile(
    r"^-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|(24:00:00(\.0+)?))"
    r"(Z|z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?$"
)


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON value, equal to ``copy.deepcopy``'s and several times faster.

    ``marshal`` round-trips the exact built-in types (a subclass or any other type is refused with
    ValueError, as is nesting beyond its depth limit: then ``copy.deepcopy`` runs) and, like
    ``deepcopy``, keeps shared and cyclic references. Key order is kept.
    """
    try:
        return marshal.loads(marshal.dumps(value))
    except ValueError:
        return copy.deepcopy(value)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class Cryptosuite(ABC):
    """One Data Integrity proof suite, registered by ``name`` (cryptosuite or legacy type)."""

    name: str
    proof_type: str
    cryptosuite: str | None

    # --- the suite-specific stages -------------------------------------------------------

    @abstractmethod
    def transform(self, unsecured: dict[str, Any], loader: DocumentLoader) -> bytes:
        """Transformation: the canonical bytes of the document without its proof."""

    @abstractmethod
    def configure(
        self, proof: dict[str, Any], unsecured: dict[str, Any], loader: DocumentLoader
    ) -> bytes:
        """Proof configuration: the canonical bytes of the proof options (no proofValue)."""

    def transform_for_signing(self, unsecured: dict[str, Any], loader: DocumentLoader) -> bytes:
        """Transformation when signing; a suite may use a faster path it proves on this side
        only (a wrong byte here makes a proof that fails, never a forgery that verifies)."""
        return self.transform(unsecured, loader)

    def prepare_options(self, options: dict[str, Any], unsecured: dict[str, Any]) -> dict[str, Any]:
        """Suite additions to the emitted proof (JCS copies ``@context`` into it)."""
        return options

    def prepare_verification(
        self, unsecured: dict[str, Any], options: dict[str, Any]
    ) -> dict[str, Any]:
        """Suite adjustments to the unsecured document before verifying (JCS §3.3.2 step 4)."""
        return unsecured

    # --- shared stages -------------------------------------------------------------------

    def check_options(self, options: dict[str, Any], error: type[Exception]) -> None:
        if options.get("type") != self.proof_type:
            raise error(f"proof type must be {self.proof_type!r}")
        if self.cryptosuite is not None and options.get("cryptosuite") != self.cryptosuite:
            raise error(f"cryptosuite must be {self.cryptosuite!r}")
        for key in ("created", "expires"):
            value = options.get(key)
            if value is not None and not (isinstance(value, str) and DATETIME.match(value)):
                raise error(f"proof {key} {value!r} is not an XML Schema dateTimeStamp")

    def hash_data(self, config: bytes, transformed: bytes) -> bytes:
        return sha256(config) + sha256(transformed)

    def create(
        self,
        unsecured: dict[str, Any],
        options: dict[str, Any],
        key: Signer,
        loader: DocumentLoader,
    ) -> dict[str, Any]:
        """Create Proof (§3.x.1): the proof object with its proofValue."""
        proof = self.prepare_options(json_copy(options), unsecured)
        self.check_options(proof, ProofGenerationError)
        config = self.configure(proof, unsecured, loader)
        transformed = self.transform_for_signing(unsecured, loader)
        signature = key.sign(self.hash_data(config, transformed))
        proof["proofValue"] = encode_base58btc(signature)
        return proof

    def verify(
        self,
        unsecured: dict[str, Any],
        proof: dict[str, Any],
        public_key: PublicKey,
        loader: DocumentLoader,
    ) -> None:
        """Verify Proof (§3.x.2); raises a ProofVerificationError subclass when it fails."""
        options = {k: v for k, v in proof.items() if k != "proofValue"}
        value = proof.get("proofValue")
        if not isinstance(value, str):
            raise MalformedProofError("proof has no proofValue string")
        try:
            signature = decode_base58btc(value)
        except ValueError as exc:
            raise MalformedProofError(f"proofValue is not base58btc multibase: {exc}") from None
        if len(signature) != 64:
            raise MalformedProofError(f"proofValue holds {len(signature)} bytes, not 64")
        self.check_options(options, ProofVerificationError)
        unsecured = self.prepare_verification(unsecured, options)
        transformed = self.transform(unsecured, loader)
        config = self.configure(options, unsecured, loader)
        if not public_key.verify(signature, self.hash_data(config, transformed)):
            raise ProofVerificationError(
                "signature does not match: the document or its proof was altered, "
                "or it was signed by another key"
            )
