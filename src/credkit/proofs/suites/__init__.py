"""The cryptosuite registry: suites are looked up by their ``cryptosuite`` name (or legacy type)."""

from __future__ import annotations

from typing import Any

from credkit.errors import UnknownCryptosuiteError
from credkit.proofs.suites.base import Cryptosuite
from credkit.proofs.suites.ed25519_signature_2020 import Ed25519Signature2020
from credkit.proofs.suites.eddsa_jcs_2022 import EddsaJcs2022
from credkit.proofs.suites.eddsa_rdfc_2022 import EddsaRdfc2022

SUITES: dict[str, Cryptosuite] = {
    suite.name: suite for suite in (EddsaRdfc2022(), EddsaJcs2022(), Ed25519Signature2020())
}
DEFAULT_SUITE = "eddsa-rdfc-2022"


def by_name(name: str) -> Cryptosuite:
    try:
        return SUITES[name]
    except (KeyError, TypeError):
        raise UnknownCryptosuiteError(
            f"unknown cryptosuite {name!r}; credkit implements {', '.join(SUITES)}"
        ) from None


def for_proof(proof: dict[str, Any]) -> Cryptosuite:
    """The suite a proof object names: by ``cryptosuite`` for DataIntegrityProof, else by type."""
    proof_type = proof.get("type")
    if proof_type == "DataIntegrityProof":
        return by_name(proof.get("cryptosuite"))  # type: ignore[arg-type]
    if proof_type in SUITES and SUITES[proof_type].cryptosuite is None:
        return SUITES[proof_type]
    raise UnknownCryptosuiteError(f"unknown proof type {proof_type!r}")


__all__ = ["DEFAULT_SUITE", "SUITES", "Cryptosuite", "by_name", "for_proof"]
