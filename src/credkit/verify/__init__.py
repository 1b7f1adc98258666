"""The verifier: :class:`~credkit.verify.verifier.Verifier` and its checks, one module per
family (form and dates: ``checks``; proofs: ``proof``; presentations: ``presentation``;
endorsements: ``endorsement``; trust lists: ``trust``; status: :mod:`credkit.status`), the
result and its verdict (``result``) and its VC-API report (``report``).

Layer: above :mod:`credkit.model`; needs nothing from :mod:`credkit.issuer`, the server or the
CLI. ``credkit.verify`` keeps the names it had as a module.
"""

from credkit.verify.verifier import (
    FINISH_STATUS,
    MAX_BYTES,
    MAX_DEPTH,
    MAX_PROOFS,
    PASSED,
    TRUST_PROOF_SECONDS,
    VERIFIED,
    Check,
    VerificationResult,
    Verifier,
)

__all__ = [
    "FINISH_STATUS",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_PROOFS",
    "PASSED",
    "TRUST_PROOF_SECONDS",
    "VERIFIED",
    "Check",
    "VerificationResult",
    "Verifier",
]
