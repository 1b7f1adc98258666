"""Open Badges 3.0 endorsements: each embedded EndorsementCredential must verify on its own.

OB 3.0 §verification step 6. An endorsement is a third party's signed statement about the issuer
or the achievement (an accreditor saying "in good standing"); a forged one misleads an employer
as much as a forged diploma, so a bad signature fails the check. An endorsement that merely
expired is reported as a warning: it says nothing false about the diploma itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from credkit.errors import CredkitError, MalformedValueError
from credkit.verify_checks import as_list, display, types_of
from credkit.verify_result import (
    FAILED,
    SKIPPED,
    WARNING,
    Check,
    UnusableInputError,
    problem,
)

if TYPE_CHECKING:
    from credkit.verify import Verifier

# Each endorsement is a full verification (its issuer's key may be on the web): bound the work.
MAX_ENDORSEMENTS = 32


def check_endorsements(verifier: Verifier, document: dict[str, Any], now: datetime) -> Check:
    """Each embedded EndorsementCredential must itself verify (OB 3.0 §verification 6)."""
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
        name = who["issuer_name"] or who["issuer_id"] or "an unnamed endorser"
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
            checks = verifier.core_checks(verifier.load(endorsement), now)
        except UnusableInputError as exc:
            return Check.failed(
                "endorsements",
                f"endorsement by {name}: {exc.error.message}",
                exc.error,
                "invalid endorsement",
            )
        for c in checks:
            if c.id == "validity" and c.status == FAILED:
                notes.append(f"endorsement by {name} {c.message}")
            elif c.status == FAILED:
                err = problem("ENDORSEMENT_INVALID", f"{name}: {c.message}")
                return Check.failed(
                    "endorsements",
                    f"endorsement by {name} is not valid: {c.message}",
                    err,
                    "invalid endorsement",
                )
            elif c.status in (SKIPPED, WARNING) and c.id == "proof":
                notes.append(f"endorsement by {name} not fully checked: {c.message}")
        if not any(n.startswith(f"endorsement by {name}") for n in notes):
            good.append(name)
    message = f"endorsed by {', '.join(good)}" if good else "no valid endorsement"
    if notes:
        return Check.warning("endorsements", "; ".join([message, *notes]))
    return Check.passed("endorsements", message)


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
