"""Verifier results in the two forms the server speaks: VC-API JSON and words for employers.

The VC-API result (W3C CCG VC-API, "verify credential") is ``{verified, checks, warnings,
errors}`` where ``checks`` names the checks performed; credkit adds ``results`` (each named check
with its status and message), ``verdict`` and ``summary``, which a program can show as they are.
"""

from __future__ import annotations

from typing import Any

from credkit.verify_result import FAILED, PASSED, SKIPPED, WARNING, VerificationResult

# VC-API and verifier-core names clients send in options.checks → credkit's check ids
CHECK_ALIASES = {
    "proof": "proof",
    "signature": "proof",
    "valid_signature": "proof",
    "credentialStatus": "status",
    "status": "status",
    "revocation_status": "status",
    "expiration": "validity",
    "validity": "validity",
    "issuer": "trusted_issuer",
    "registered_issuer": "trusted_issuer",
    "trusted_issuer": "trusted_issuer",
    "schema": "schema",
    "credentialSchema": "schema",
    "well_formed": "well_formed",
    "endorsements": "endorsements",
}
ALWAYS = ("well_formed",)  # a document that cannot be read is never "verified" for any subset

# What an employer reads beside each check (the verifier's own message follows it).
LABELS = {
    "well_formed": "Readable credential",
    "proof": "Genuine and unaltered",
    "validity": "Dates",
    "status": "Not revoked or suspended",
    "schema": "Open Badges format",
    "trusted_issuer": "Issuer trusted",
    "endorsements": "Endorsements",
    "presentation_well_formed": "Readable presentation",
    "presentation_proof": "Presented by its holder",
}
VERDICT_WORDS = {
    PASSED: "yes",
    FAILED: "no",
    SKIPPED: "not checked",
    WARNING: "with a caveat",
}


class UnknownCheckError(ValueError):
    """options.checks names a check credkit does not have."""


def wanted_checks(requested: list[str] | None) -> set[str] | None:
    """credkit ids for the requested checks; None means all of them."""
    if requested is None:
        return None
    out: set[str] = set(ALWAYS)
    for name in requested:
        if name not in CHECK_ALIASES:
            raise UnknownCheckError(
                f"unknown check {name!r}; known: {', '.join(sorted(CHECK_ALIASES))}"
            )
        out.add(CHECK_ALIASES[name])
    return out


def restrict(result: VerificationResult, wanted: set[str] | None) -> VerificationResult:
    """The result judged on the requested checks only (the verdict follows from the subset)."""
    if wanted is None:
        return result
    kept = VerificationResult(
        checks=[c for c in result.checks if c.id in wanted],
        warnings=list(result.warnings),
        unusable=result.unusable,
        issuer_id=result.issuer_id,
        issuer_name=result.issuer_name,
        subject_name=result.subject_name,
        achievement_name=result.achievement_name,
        credential_name=result.credential_name,
        credentials=result.credentials,
    )
    return kept


def vcapi_json(result: VerificationResult) -> dict[str, Any]:
    """VC-API shape plus credkit's named results."""
    full = result.to_json()
    out: dict[str, Any] = {
        "verified": result.verified,
        "checks": [c.id for c in result.checks if c.status in (PASSED, WARNING)],
        "warnings": full["warnings"],
        "errors": full["errors"],
        "verdict": full["verdict"],
        "summary": full["summary"],
        "results": full["checks"],
        "issuer": full["issuer"],
        "subject": full["subject"],
        "achievement": full["achievement"],
    }
    if "credentials" in full:
        out["credentials"] = full["credentials"]
    return out


def render_status(result: VerificationResult, checked_at: str) -> dict[str, Any]:
    """The ``verification`` argument of :func:`credkit.render.render_html` (name/passed)."""
    return {
        "verified": result.verified,
        "checkedAt": checked_at,
        "checks": [
            {"name": LABELS.get(c.id, c.id), "passed": c.status in (PASSED, WARNING)}
            for c in result.checks
            if c.status != SKIPPED
        ],
    }
