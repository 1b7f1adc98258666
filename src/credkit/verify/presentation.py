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
    PASSED,
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

    proof_check = verifier._run("presentation_proof", holder_proof)
    result.checks.append(proof_check)
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
    result.checks.append(
        verifier._run(
            "holder_binding",
            lambda: holder_binding(
                holder,
                credentials,
                proof_check,
                require=verifier.require_holder_binding or verifier.strict,
            ),
        )
    )
    return result


def _subject_ids(credential: Any) -> list[str]:
    if not isinstance(credential, dict):
        return []
    subjects = as_list(credential.get("credentialSubject"))
    return [s["id"] for s in subjects if isinstance(s, dict) and isinstance(s.get("id"), str)]


def holder_binding(
    holder: str | None, credentials: list[Any], proof_check: Check, *, require: bool
) -> Check:
    """Whether the presenter is the subject of what it presents.

    VC DM 2.0 §4.13 and Appendix C.5 ("Subject-Holder Relationships"): a holder need not be the
    subject, and a verifier that wants them to be the same must check it itself: the holder
    authenticated the presentation (``presentation_proof``), and each credential names a
    ``credentialSubject.id``; the binding holds when that id is the holder. A credential naming
    no subject id binds to nobody (nothing to check). A mismatch is a warning, or a failure with
    ``require`` (``--require-holder-binding``, ``--strict``).
    """
    named = [(i, ids) for i, c in enumerate(credentials) if (ids := _subject_ids(c))]
    if not named:
        if require and credentials:
            message = "no credential names its subject (credentialSubject.id): none is bound"
            err = problem("HOLDER_NOT_SUBJECT", message)
            return Check.failed("holder_binding", message, err, "not bound to a holder")
        return Check.skipped(
            "holder_binding",
            "no credential names its subject (credentialSubject.id): nothing binds it to a holder",
        )
    if proof_check.status != PASSED:
        return Check.skipped(
            "holder_binding",
            "the holder's proof did not pass, so who presented it is not known",
        )
    if holder is None:
        others = [f"credential[{i}]" for i, _ in named]
        message = (
            "the presentation names no holder, so the presenter cannot be matched to the "
            f"subject of {', '.join(others)}"
        )
    else:
        unbound = [(i, ids) for i, ids in named if holder not in ids]
        if not unbound:
            which = ", ".join(f"credential[{i}]" for i, _ in named)
            return Check.passed(
                "holder_binding", f"the presenter {holder} is the subject of {which}"
            )
        message = "; ".join(
            f"credential[{i}] is about {', '.join(ids)}, not the presenter {holder}"
            for i, ids in unbound
        )
    if require:
        err = problem("HOLDER_NOT_SUBJECT", message)
        return Check.failed("holder_binding", message, err, "presented by someone else")
    return Check.warning("holder_binding", message)
