"""The verifier's answer: named checks, one verdict, and words an employer can act on.

Shaped after digitalcredentials/verifier-core (a list of named steps) and VC DM 2.0 §7.1 (a result
with ``warnings`` and ``errors`` as RFC 9457 problem details). The verdict is derived from the
checks by fixed rules, so a program reading ``--json`` and a person reading the checklist always
see the same decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from credkit.errors import CredkitError

PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"
WARNING = "warning"

VERIFIED = "verified"
NOT_VERIFIED = "not verified"
INCONCLUSIVE = "inconclusive"
UNUSABLE = "unusable"

EXIT_CODES = {VERIFIED: 0, NOT_VERIFIED: 1, UNUSABLE: 2, INCONCLUSIVE: 3}

# The verdict rules, in one table (docs/verification.md, "The verdict rules" renders it and a
# test holds the two equal). Each row: a state a check can be in, whether the check is one the
# verdict cannot do without, and what that state does to the verdict. The verdict is the worst
# effect over all checks (unusable > not verified > inconclusive > verified); "-" leaves it be.
# Required checks: a credential's well_formed, proof, validity and status, a presentation's
# presentation_well_formed and presentation_proof. A required check that did not run at all, or
# was skipped, can never leave the verdict at verified: what was not checked is not vouched for.
VERDICT_TABLE: tuple[tuple[str, str, str, str], ...] = (
    # (state, for which checks, effect, why)
    ("unusable input", "any", UNUSABLE, "nothing can be verified (not JSON, no proof, ...)"),
    ("failed", "any", NOT_VERIFIED, "the check found something false"),
    ("missing", "required", NOT_VERIFIED, "a check the verdict needs did not run"),
    ("skipped", "required", INCONCLUSIVE, "a check the verdict needs could not be done"),
    ("skipped, inconclusive", "optional", INCONCLUSIVE, "its outcome could change the answer"),
    ("skipped, conclusive", "optional", "-", "nothing to check (no endorsements, no list)"),
    ("warning", "any", "-", "listed among the warnings (--strict turns such checks into failures)"),
    ("passed", "any", "-", "the check holds"),
)
_SEVERITY = {"-": 0, VERIFIED: 0, INCONCLUSIVE: 1, NOT_VERIFIED: 2, UNUSABLE: 3}
REQUIRED_CREDENTIAL = ("well_formed", "proof", "validity", "status")
REQUIRED_PRESENTATION = ("presentation_well_formed", "presentation_proof")


def _effect(state: str, required: bool) -> str:
    kind = "required" if required else "optional"
    for row_state, which, effect, _ in VERDICT_TABLE:
        if row_state == state and which in ("any", kind):
            return effect
    raise ValueError(f"no verdict rule for {state!r}")  # pragma: no cover - the table is total


def verdict_of(checks: list[Check], required: tuple[str, ...], unusable: bool = False) -> str:
    """The verdict :data:`VERDICT_TABLE` gives for these checks (and nothing else decides it)."""
    if unusable:
        return UNUSABLE
    worst = VERIFIED
    present = {c.id for c in checks}
    states = [("missing", True) for name in required if name not in present]
    for c in checks:
        is_required = c.id in required
        if c.status == SKIPPED:
            if is_required:
                state = "skipped"
            else:
                state = "skipped, conclusive" if c.conclusive else "skipped, inconclusive"
        else:
            state = c.status
        states.append((state, is_required))
    for state, is_required in states:
        effect = _effect(state, is_required)
        if _SEVERITY[effect] > _SEVERITY[worst]:
            worst = effect
    return worst if checks else UNUSABLE


# How trusted_issuer starts its message when it was given no list at all.
NO_TRUST_LIST = "no trust list given"

# Problem types credkit reports that no W3C spec names (expiry, revocation, trust, ...). A URN,
# not a web address: nothing is hosted there and nothing pretends to be.
CREDKIT_PROBLEMS = "urn:credkit:problem:"


class VerificationError(CredkitError):
    """A verification outcome without a spec-defined error code."""

    namespace: ClassVar[str] = CREDKIT_PROBLEMS


class UnusableInputError(Exception):
    """Raised inside the verifier when the input cannot be verified at all (verdict unusable)."""

    def __init__(self, error: CredkitError) -> None:
        super().__init__(error.message)
        self.error = error


def problem(code: str, message: str) -> VerificationError:
    return VerificationError(message, code=code)


@dataclass
class Check:
    """One named step. ``error`` is an RFC 9457 problem detail when the step failed.

    ``reason`` is the short phrase the verdict uses ("expired", "issuer not trusted");
    ``conclusive`` is False for a skipped step whose outcome could change the verdict.
    ``warnings`` are notes that change nothing (the result lists them among its warnings);
    ``details`` is structured data a program may want (the proof check's signers).
    """

    id: str
    status: str
    message: str
    error: dict[str, Any] | None = None
    reason: str | None = None
    conclusive: bool = True
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] | None = None

    @classmethod
    def passed(cls, check_id: str, message: str) -> Check:
        return cls(check_id, PASSED, message)

    @classmethod
    def failed(
        cls, check_id: str, message: str, error: CredkitError, reason: str | None = None
    ) -> Check:
        return cls(check_id, FAILED, message, error.to_problem(), reason or check_id)

    @classmethod
    def skipped(cls, check_id: str, message: str, *, conclusive: bool = True) -> Check:
        return cls(check_id, SKIPPED, message, conclusive=conclusive)

    @classmethod
    def warning(cls, check_id: str, message: str) -> Check:
        return cls(check_id, WARNING, message)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "status": self.status, "message": self.message}
        if self.error is not None:
            out["error"] = self.error
        if self.details is not None:
            out["details"] = self.details
        return out


@dataclass
class VerificationResult:
    """Everything the verifier found, and the display fields a verification page shows.

    ``issuer_name`` is the name the credential gives its issuer: the issuer's own description,
    which anyone can write. ``issuer_listed_name`` is the name the trust list that vouches for the
    issuer gives it (set only when ``trusted_issuer`` passed), and is what :attr:`issuer_label`
    shows: a lab calling itself "Harvard University" is shown as what its accreditor calls it.
    """

    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unusable: dict[str, Any] | None = None  # the problem detail when the input is unusable
    issuer_id: str | None = None
    issuer_name: str | None = None
    subject_name: str | None = None
    achievement_name: str | None = None
    credential_name: str | None = None
    valid_from: str | None = None  # the dates as the credential states them
    valid_until: str | None = None
    credentials: list[VerificationResult] = field(default_factory=list)
    issuer_listed_name: str | None = None
    issuer_list: str | None = None  # the name of the trust list that vouches for the issuer
    issuer_vouched_by: str | None = None  # who signed that list, when it is signed
    # the checks the verdict cannot do without (VERDICT_TABLE); set by the verifier per kind
    required: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        return verdict_of(self.checks, self.required, self.unusable is not None)

    @property
    def verified(self) -> bool:
        return self.verdict == VERIFIED

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    @property
    def errors(self) -> list[dict[str, Any]]:
        if self.unusable is not None:
            return [self.unusable]
        return [c.error for c in self.checks if c.status == FAILED and c.error is not None]

    @property
    def all_warnings(self) -> list[str]:
        return [
            *self.warnings,
            *(f"{c.id}: {note}" for c in self.checks for note in c.warnings),
            *(f"{c.id}: {c.message}" for c in self.checks if c.status == WARNING),
        ]

    @property
    def co_signers(self) -> list[str]:
        """Who else signed the credential with a valid proof (VC DI 1.0 "Proof Sets")."""
        proof = self.check("proof")
        found = (proof.details or {}).get("coSigners") if proof is not None else None
        return list(found) if isinstance(found, list) else []

    def check(self, check_id: str) -> Check | None:
        return next((c for c in self.checks if c.id == check_id), None)

    @property
    def summary(self) -> str:
        """The verdict as one sentence, starting with the verdict itself."""
        verdict = self.verdict
        if verdict == UNUSABLE:
            detail = (self.unusable or {}).get("detail", "nothing to verify")
            return f"unusable: {detail}"
        if verdict == NOT_VERIFIED:
            present = {c.id for c in self.checks}
            reasons = [f"{name} was not checked" for name in self.required if name not in present]
            for c in self.checks:
                if c.status == FAILED and (c.reason or c.id) not in reasons:
                    reasons.append(c.reason or c.id)
            return "not verified: " + "; ".join(reasons)
        if verdict == INCONCLUSIVE:
            open_checks = [
                c
                for c in self.checks
                if c.status == SKIPPED and (not c.conclusive or c.id in self.required)
            ]
            return "inconclusive: " + "; ".join(c.message for c in open_checks)
        if not self.issuer_vouched:
            trust = self.check("trusted_issuer")
            why = (
                "no trust list was given"
                if trust is None or trust.message.startswith(NO_TRUST_LIST)
                else "no list you trust vouches for its issuer"
            )
            return (
                f"verified: genuine, unaltered and currently valid, but {why}; "
                f"decide yourself whether you trust the issuer {self.issuer_label}"
            )
        return f"verified: genuine diploma from {self.issuer_label}, valid and not revoked"

    @property
    def issuer_vouched(self) -> bool:
        """True when a trust list vouches for the issuer (of each credential of a presentation)."""
        if self.credentials:
            return all(c.issuer_vouched for c in self.credentials)
        trust = self.check("trusted_issuer")
        return trust is not None and trust.status == PASSED

    @property
    def issuer_label(self) -> str:
        """The issuer as a person should read it: by the name a trust list gives, with its DID.

        A name the credential gives itself is shown as just that ("calls itself"): it is signed by
        the issuer, so it is genuine as a claim, but nobody vouched for it.
        """
        if self.issuer_listed_name and self.issuer_id:
            return f"{self.issuer_listed_name} ({self.issuer_id})"
        if self.issuer_id and self.issuer_name:
            return f'{self.issuer_id} (calls itself "{self.issuer_name}")'
        if self.issuer_name:
            return f'an issuer calling itself "{self.issuer_name}"'
        return self.issuer_id or "an unnamed issuer"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verified": self.verified,
            "verdict": self.verdict,
            "summary": self.summary,
            "checks": [c.to_json() for c in self.checks],
            "warnings": self.all_warnings,
            "errors": self.errors,
            # "name" is what a trust list calls the issuer (null when none vouches for it); the
            # credential's own name for its issuer is "selfDescribedName"
            "issuer": {
                "id": self.issuer_id,
                "name": self.issuer_listed_name if self.issuer_vouched else None,
                "selfDescribedName": self.issuer_name,
                "vouched": self.issuer_vouched,
                "list": self.issuer_list if self.issuer_vouched else None,
                "vouchedBy": self.issuer_vouched_by if self.issuer_vouched else None,
                "label": self.issuer_label,
            },
            "subject": {"name": self.subject_name},
            "achievement": {"name": self.achievement_name},
            "credentialName": self.credential_name,
            "validFrom": self.valid_from,
            "validUntil": self.valid_until,
        }
        if self.credentials:
            out["credentials"] = [c.to_json() for c in self.credentials]
        return out


def unusable_result(error: CredkitError) -> VerificationResult:
    """The result for input that cannot be verified at all; still one clear failed check."""
    result = VerificationResult(unusable=error.to_problem())
    result.checks.append(Check.failed("well_formed", error.message, error, "unusable input"))
    return result
