"""Data Integrity proofs (VC Data Integrity 1.0): :func:`sign` and :func:`verify` in
:mod:`~credkit.proofs.dataintegrity`, one module per cryptosuite in :mod:`~credkit.proofs.suites`
(the JCS fast path :mod:`~credkit.proofs.suites.fastjcs` beside ``eddsa_jcs_2022``).

Layer: above :mod:`credkit.identity` and :mod:`credkit.jsonld`. ``credkit.proofs`` keeps the
names it had as a module.
"""

from credkit.proofs.dataintegrity import (
    OB_CONTEXT_PREFIX,
    RDF_SUITES,
    ProofResult,
    ProofSetResult,
    format_datetime,
    now_utc,
    parse_datetime,
    proofs_of,
    sign,
    verify,
)

__all__ = [
    "OB_CONTEXT_PREFIX",
    "RDF_SUITES",
    "ProofResult",
    "ProofSetResult",
    "format_datetime",
    "now_utc",
    "parse_datetime",
    "proofs_of",
    "sign",
    "verify",
]
