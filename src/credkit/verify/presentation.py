"""Verifiable Presentations: the holder's proof, then each credential in full.

VC DM 2.0 §4.13 (presentations) and VC DI 1.0 §4.4 steps 3-5: the holder signs with proofPurpose
``authentication`` over the verifier's ``challenge`` (and ``domain``), which is what stops someone
replaying a presentation they once saw. A presentation passes only when its proof and every
credential in it pass.

The holder's proof fails closed (VC DI 1.0 §4.5): every proof must verify, one of a type or
cryptosuite credkit does not implement fails (it is never skipped), and every proof must be by a
key the ``holder`` controls. A presentation without a proof is still opened and its credentials
checked, but ``presentation_proof`` fails ("not signed"): nobody is shown to have presented it,
whether or not a challenge was asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from credkit.errors import MalformedValueError
from credkit.verify.checks import as_list, well_formed
from credkit.verify.result import (
    INCONCLUSIVE,
    REQUIRED_PRESENTATION,
    UNUSABLE,
    VERIFIED,
    Check,
    VerificationResult,
    problem,
)

if TYPE_CHECKING:
    from credkit.verify.verifier import Verifier


def _holder(document: dict[str, Any]) -> str | None:
    holder = document.get("holder")
    if isinstance(holder, dict):
        holder = holder.get("id")
    return holder if isinstance(holder, str) else None


def presentation(
    verifier: Verifier, document: dict[str, Any], challenge: str | None, domain: str | None
) -> VerificationResult:
    now = verifier.clock()
    result = VerificationResult(required=REQUIRED_PRESENTATION)
    result.checks.append(
        verifier._run(
            "presentation_well_formed", lambda: well_formed(document, "VerifiablePresentation")
        )
    )
    holder = _holder(document)

    def holder_proof() -> Check:
        if holder is None and document.get("holder") is not None:
            err = MalformedValueError("holder must be a URL or an object with an id URL")
            return Check.failed(
                "presentation_proof",
                f"the proof cannot be bound to the holder: {err.message}",
                err,
                "holder not identified",
            )
        return verifier.proof(
            document,
            now,
            owner=holder,
            purpose="authentication",
            challenge=challenge,
            domain=domain,
            check_id="presentation_proof",
            whose="holder",
            bind_owner=holder is not None,
            co_signers=False,  # the holder authenticates the presentation, nobody beside it
        )

    result.checks.append(verifier._run("presentation_proof", holder_proof))
    if challenge is None:
        result.warnings.append(
            "no challenge was asked for: this presentation could be a replay of an old one"
        )
    if holder is None:
        result.warnings.append("the presentation names no holder: whoever signed it presented it")
    credentials = as_list(document.get("verifiableCredential"))
    if not credentials:
        result.warnings.append("the presentation carries no credentials")
    for index, credential in enumerate(credentials):
        check_id = f"credential[{index}]"
        if not isinstance(credential, dict):
            err = problem("MALFORMED_VALUE_ERROR", f"{check_id} is not an object")
            result.checks.append(Check.failed(check_id, err.message, err, "malformed credential"))
            continue
        if "EnvelopedVerifiableCredential" in as_list(credential.get("type")):
            err = problem("UNSUPPORTED_ENVELOPE", "enveloped (VC-JOSE-COSE) credentials")
            result.checks.append(
                Check.failed(
                    check_id,
                    "an enveloped (JWT) credential: credkit cannot verify it",
                    err,
                    "unsupported credential",
                )
            )
            continue
        inner = verifier.verify_credential(credential)
        result.credentials.append(inner)
        if index == 0 or result.issuer_id is None:
            for name in (
                "issuer_id",
                "issuer_name",
                "subject_name",
                "achievement_name",
                "credential_name",
                "valid_from",
                "valid_until",
                "issuer_listed_name",
                "issuer_list",
                "issuer_vouched_by",
            ):
                setattr(result, name, getattr(inner, name))
        about = inner.achievement_name or inner.credential_name or "credential"
        message = f"{about} from {inner.issuer_label}: {inner.summary}"
        if inner.verdict == VERIFIED:
            result.checks.append(Check.passed(check_id, message))
        elif inner.verdict == INCONCLUSIVE:
            result.checks.append(Check.skipped(check_id, message, conclusive=False))
        else:
            code = "CREDENTIAL_UNUSABLE" if inner.verdict == UNUSABLE else "CREDENTIAL_NOT_VERIFIED"
            err = problem(code, message)
            result.checks.append(Check.failed(check_id, message, err, inner.summary))
    return result
