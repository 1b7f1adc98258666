"""``Ed25519Signature2020`` (legacy; VC DI EdDSA 1.0 Appendix A), still carried by deployed wallets.

The algorithm is that of eddsa-rdfc-2022 with another proof ``type`` and no ``cryptosuite``; the
document must include the suite context, which defines the proof terms.
"""

from __future__ import annotations

from typing import Any

from credkit.errors import ProofVerificationError
from credkit.jsonld.contexts import ED25519_2020_V1
from credkit.proofs.suites.eddsa_rdfc_2022 import EddsaRdfc2022


def has_suite_context(document: dict[str, Any]) -> bool:
    ctx = document.get("@context")
    return ED25519_2020_V1 in (ctx if isinstance(ctx, list) else [ctx])


class Ed25519Signature2020(EddsaRdfc2022):
    name = "Ed25519Signature2020"
    proof_type = "Ed25519Signature2020"
    cryptosuite: str | None = None

    def prepare_verification(
        self, unsecured: dict[str, Any], options: dict[str, Any]
    ) -> dict[str, Any]:
        if not has_suite_context(unsecured):
            raise ProofVerificationError(
                f"an Ed25519Signature2020 proof needs the context {ED25519_2020_V1} in the document"
            )
        return unsecured
