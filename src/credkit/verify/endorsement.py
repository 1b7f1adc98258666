"""Open Badges 3.0 endorsements: each embedded EndorsementCredential must verify on its own.

OB 3.0 §9.1 step 6 and §9.2. An endorsement is a third party's signed statement about the issuer
or the achievement (an accreditor saying "in good standing"); a forged one misleads an employer
as much as a forged diploma, so a bad signature fails the check. §9.2 checks an endorsement's
status and dates like a credential's, and §9.1 treats the badge as verified only "if all the above
steps pass": an endorsement its endorser revoked or suspended, or that expired, fails the check
too (the diploma still carries a claim its endorser no longer makes), and one whose key or
status could not be checked leaves it inconclusive. None of these is ever listed as "endorsed
by". Each endorser is named by its DID, with the name a trust list gives it, or marked
"self-described" when no trust list knows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from credkit.errors import CredkitError, MalformedValueError
from credkit.verify.checks import as_list, display, types_of
from credkit.verify.result import (
    FAILED,
    PASSED,
    SKIPPED,
    WARNING,
    Check,
    UnusableInputError,
    problem,
)

if TYPE_CHECKING:
    from credkit.verify.verifier import Verifier

# Each endorsement is a full verification (its issuer's key may be on the web): bound the work.
MAX_ENDORSEMENTS = 32


def endorser_label(verifier: Verifier, did: str | None, claimed: str | None) -> str:
    """Who endorses, in words that say who vouches: the endorser's DID always, its name as a
    trust list gives it, or marked as its own description when no trust list knows it."""
    match = None
    if did and verifier.trust is not None and len(verifier.trust):
        match = verifier.trust.consult(did, verifier.check_trust_list).match
    if did is None:
        return f'an endorser calling itself "{claimed}"' if claimed else "an unidentified endorser"
    if match is not None:
        if match.issuer.name:
            return f"{match.issuer.name} ({did}, listed in '{match.list_name}')"
        said = f', calls itself "{claimed}"' if claimed else ""
        return f"{did} (listed in '{match.list_name}'{said})"
    return f'{did} (self-described as "{claimed}")' if claimed else f"{did} (self-described)"


def check_endorsements(verifier: Verifier, document: dict[str, Any], now: datetime) -> Check:
    """Each embedded EndorsementCredential must itself verify (OB 3.0 §verification 6).

    A forged, altered or malformed endorsement fails the check at once. One that is genuine but
    revoked, suspended, expired or not yet valid fails it too (OB 3.0 §9.2); one whose key or
    status could not be checked makes it inconclusive; a status bit of a purpose credkit cannot
    act on is a warning. Only endorsements that pass everything are listed as "endorsed by".
    """
    err: CredkitError
    found = _embedded_endorsements(document)
    if not found:
        return Check.skipped("endorsements", "no endorsements")
    if len(found) > MAX_ENDORSEMENTS:
        err = MalformedValueError(
            f"{len(found)} endorsements; credkit checks at most {MAX_ENDORSEMENTS}"
        )
        return Check.failed("endorsements", err.message, err, "too many endorsements")
    good: list[str] = []
    failures: list[_Outcome] = []
    unconfirmed: list[str] = []
    notes: list[str] = []
    for where, endorsement, targets in found:
        if not isinstance(endorsement, dict):
            err = MalformedValueError(f"{where} is not an object")
            return Check.failed(
                "endorsements",
                f"endorsement at {where} is not a credential",
                err,
                "invalid endorsement",
            )
        who = display(endorsement)
        name = endorser_label(verifier, who["issuer_id"], who["issuer_name"])
        if "EndorsementCredential" not in types_of(endorsement):
            err = MalformedValueError(f"{where} is not an EndorsementCredential")
            return Check.failed("endorsements", err.message, err, "invalid endorsement")
        subjects = [
            e.get("id")
            for e in as_list(endorsement.get("credentialSubject"))
            if isinstance(e, dict)
        ]
        if not any(isinstance(i, str) and i in targets for i in subjects):
            # OB 3.0 EndorsementSubject.id names what is endorsed: an endorsement of another
            # school or programme, copied in, must not read as an endorsement of this one
            err = MalformedValueError(
                f"{where} endorses {', '.join(map(str, subjects)) or 'nothing'}, "
                f"not {' or '.join(sorted(targets)) or 'an identified party'}"
            )
            return Check.failed(
                "endorsements",
                f"endorsement by {name} is about something else: {err.message}",
                err,
                "invalid endorsement",
            )
        try:
            loaded = verifier.load(endorsement)
        except UnusableInputError as exc:
            return Check.failed(
                "endorsements",
                f"endorsement by {name}: {exc.error.message}",
                exc.error,
                "invalid endorsement",
            )
        checks = verifier.core_checks(loaded, now)
        checks.append(verifier._run("status", partial(verifier.status, loaded, now)))
        outcome = _judge(name, checks)
        if isinstance(outcome, Check):
            return outcome  # forged, altered or malformed: fails at once
        if outcome.kind == PASSED:
            good.append(name)
        elif outcome.kind == FAILED:
            failures.append(outcome)
        elif outcome.kind == SKIPPED:
            unconfirmed.append(outcome.text)
        else:
            notes.append(outcome.text)
    message = f"endorsed by {', '.join(good)}" if good else "no valid endorsement"
    if failures:
        err = problem("ENDORSEMENT_INVALID", "; ".join(f.text for f in failures))
        text = "; ".join([message, *(f.text for f in failures), *unconfirmed, *notes])
        return Check.failed("endorsements", text, err, failures[0].reason)
    if unconfirmed:
        return Check.skipped(
            "endorsements", "; ".join([message, *unconfirmed, *notes]), conclusive=False
        )
    if notes:
        return Check.warning("endorsements", "; ".join([message, *notes]))
    return Check.passed("endorsements", message)


@dataclass(frozen=True)
class _Outcome:
    kind: str  # PASSED, FAILED, SKIPPED (could not be checked) or WARNING
    text: str = ""
    reason: str = ""


def _judge(name: str, checks: list[Check]) -> Check | _Outcome:
    """One endorsement's checks: OB 3.0 §9.2, where every step must pass for it to count.

    A forged or malformed one returns the failed check itself. Revoked, suspended, expired or
    not yet valid (§9.2 "check the status"), or a status list that could not be confirmed:
    FAILED. A key or status that could not be checked (network off, no status source): SKIPPED.
    A status bit of a purpose credkit cannot act on: WARNING.
    """
    by = f"endorsement by {name}"
    failed: list[_Outcome] = []
    open_: list[str] = []
    noted: list[str] = []
    for c in checks:
        if c.id == "status" and c.status == FAILED and c.reason in ("revoked", "suspended"):
            text = f"{by} was {c.reason} by its endorser"
            failed.append(_Outcome(FAILED, text, f"endorsement {c.reason}"))
        elif c.id == "status" and c.status == FAILED:
            text = f"{by} could not be confirmed: {c.message}"
            failed.append(_Outcome(FAILED, text, "endorsement not confirmed"))
        elif c.id == "validity" and c.status == FAILED:
            text = f"{by} {c.message}"
            failed.append(_Outcome(FAILED, text, f"endorsement {c.reason or 'out of date'}"))
        elif c.status == FAILED:
            err = problem("ENDORSEMENT_INVALID", f"{name}: {c.message}")
            return Check.failed(
                "endorsements", f"{by} is not valid: {c.message}", err, "invalid endorsement"
            )
        elif c.status == SKIPPED and not c.conclusive:
            open_.append(f"{by} could not be confirmed: {c.message}")
        elif c.status in (SKIPPED, WARNING) and c.id == "proof":
            open_.append(f"{by} not fully checked: {c.message}")
        elif c.status == WARNING and c.id == "status":
            noted.append(f"{by}: {c.message}")
    if failed:
        return failed[0]
    if open_:
        return _Outcome(SKIPPED, "; ".join(open_))
    if noted:
        return _Outcome(WARNING, "; ".join(noted))
    return _Outcome(PASSED)


def _embedded_endorsements(document: dict[str, Any]) -> list[tuple[str, Any, set[str]]]:
    """OB 3.0 places EndorsementCredentials on the credential, its issuer and its achievement.

    Each comes with the ids it may endorse: the node it sits on, or (on the credential itself,
    which OB says may carry claims "about the credential, and the achievement and profiles in
    the credential") any of those.
    """

    def ids(*nodes: Any) -> set[str]:
        return {n["id"] for n in nodes if isinstance(n, dict) and isinstance(n.get("id"), str)}

    issuer = document.get("issuer")
    top = ids(document, issuer) | ({issuer} if isinstance(issuer, str) else set())
    places: list[tuple[str, Any, set[str]]] = []
    if isinstance(issuer, dict):
        places.append(("issuer.endorsement", issuer, ids(issuer)))
    for subject in as_list(document.get("credentialSubject")):
        achievement = subject.get("achievement") if isinstance(subject, dict) else None
        if isinstance(achievement, dict):
            places.append(("achievement.endorsement", achievement, ids(achievement)))
            top |= ids(achievement)
            creator = achievement.get("creator")
            if isinstance(creator, dict):
                places.append(("achievement.creator.endorsement", creator, ids(creator)))
                top |= ids(creator)
    places.insert(0, ("endorsement", document, top))
    return [
        (f"{where}[{i}]", e, targets)
        for where, node, targets in places
        for i, e in enumerate(as_list(node.get("endorsement")))
    ]
