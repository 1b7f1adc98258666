"""Verifier results in the two forms the server speaks: VC-API JSON and words for employers.

The VC-API result (W3C CCG VC-API, "verify credential") is ``{verified, checks, warnings,
errors}`` where ``checks`` names the checks performed; credkit adds ``results`` (each named check
with its status and message), ``verdict`` and ``summary``, which a program can show as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from credkit.verify.result import (
    FAILED,
    PASSED,
    REQUIRED_CREDENTIAL,
    SKIPPED,
    VERIFIED,
    WARNING,
    Check,
    VerificationResult,
)

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
    "relatedResource": "related_resource",
    "related_resource": "related_resource",
    "holder_binding": "holder_binding",
}
# Never left out, whatever options.checks says: without them "verified" would say nothing about
# the document (a forged or expired diploma would pass). VC DM 2.0 §7.1: a verifier MUST verify the
# securing mechanism and check the document conforms. Status too: a client leaving it out must not
# get "verified: true" for a diploma its issuer revoked.
ALWAYS = REQUIRED_CREDENTIAL  # the checks a credential's verdict needs (VERDICT_TABLE)

# What an employer reads beside each check (the verifier's own message follows it).
LABELS = {
    "well_formed": "Readable credential",
    "proof": "Genuine and unaltered",
    "validity": "Dates",
    "status": "Not revoked or suspended",
    "schema": "Open Badges format",
    "trusted_issuer": "Issuer trusted",
    "endorsements": "Endorsements",
    "related_resource": "Related resources unaltered",
    "presentation_well_formed": "Readable presentation",
    "presentation_proof": "Presented by its holder",
    "holder_binding": "Presented by the graduate it names",
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


@dataclass
class RestrictedResult(VerificationResult):
    """A result judged on fewer checks than credkit ran; its summary says which do not count."""

    left_out: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        text = super().summary
        if self.verdict != VERIFIED or not self.left_out:
            return text
        return (
            f"verified on the requested checks only: {', '.join(self.left_out)} not counted "
            "(options.checks); the answer says nothing about them"
        )


def restrict(result: VerificationResult, wanted: set[str] | None) -> VerificationResult:
    """The result judged on the requested checks plus :data:`ALWAYS` (the verdict follows).

    A check left out stays in the results, marked as not counted, with a warning: a client that
    asked for less must not read the answer as covering it.
    """
    if wanted is None:
        return result
    wanted = wanted | set(ALWAYS)
    checks: list[Check] = []
    left_out: list[str] = []
    for c in result.checks:
        if c.id in wanted or result.unusable is not None:
            checks.append(c)
        else:
            left_out.append(c.id)
            checks.append(
                Check.skipped(c.id, f"not counted (not in options.checks): {c.status}: {c.message}")
            )
    warnings = list(result.warnings)
    if left_out:
        warnings.append(
            f"options.checks left out {', '.join(left_out)}: the verdict does not cover them"
        )
    # every other field (names, trust-list labels, inner credentials) as the verifier set it
    kept: dict[str, Any] = {f.name: getattr(result, f.name) for f in fields(VerificationResult)}
    kept.update(checks=checks, warnings=warnings)
    return RestrictedResult(left_out=left_out, **kept)


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
    """The ``verification`` argument of :func:`credkit.share.render.render_html` (name/passed)."""
    return {
        "verified": result.verified,
        "checkedAt": checked_at,
        "checks": [
            {"name": LABELS.get(c.id, c.id), "passed": c.status in (PASSED, WARNING)}
            for c in result.checks
            if c.status != SKIPPED
        ],
    }
