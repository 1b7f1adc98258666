"""The proof check: every proof verifies, and the party the document names signed it.

VC Data Integrity 1.0 §4.5: each proof of a set or chain is verified, and the document is verified
only if all are. credkit never passes over a proof it cannot check: an unknown ``type`` or
``cryptosuite`` fails, a key credkit refuses (malformed, small-order) fails, and a key published
online while the network is off leaves the check inconclusive, never passed. Binding (DI §2.6,
CID 1.0 §3.3): at least one valid proof of a credential must be by a key its issuer controls;
valid proofs by others are co-signers (DI "Proof Sets"), named in the check. Every proof of a
presentation must be by a key its holder controls (the holder authenticates, nobody else).
Chains (``previousProof``) and exact copies are handled by :func:`credkit.proofs.verify`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from credkit import proofs
from credkit.errors import (
    CredkitError,
    DeadlineExceededError,
    DidResolutionError,
    MalformedValueError,
    NetworkDisabledError,
    ParsingError,
    ProofVerificationError,
    RetiredKeyError,
    UnknownCryptosuiteError,
    WeakKeyError,
)
from credkit.verify.checks import as_list
from credkit.verify.result import Check, UnusableInputError

if TYPE_CHECKING:
    from credkit.verify.verifier import Verifier


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)[:limit]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _base(proof: dict[str, Any]) -> str:
    """The DID (or URL) a proof's verification method belongs to: the URL without fragment.

    CID 1.0 §3.3 makes this the method's controller once resolved, so it is known even when the
    document cannot be fetched.
    """
    method = proof.get("verificationMethod")
    return method.partition("#")[0] if isinstance(method, str) else ""


def _failure(result: proofs.ProofResult, label: str, whose: str, check_id: str) -> Check:
    """The failed check for the first proof that did not verify, in words that say why."""
    err: CredkitError = result.error or ProofVerificationError("proof failed")
    if isinstance(err, DeadlineExceededError):  # not checked, so neither valid nor invalid
        return Check.skipped(
            check_id, f"{label}not checked in time: {err.message}", conclusive=False
        )
    if isinstance(err, WeakKeyError):
        return Check.failed(
            check_id, f"{label}the signing key is refused: {err.message}", err, "weak signing key"
        )
    if isinstance(err, UnknownCryptosuiteError):
        what = "cryptosuite" if result.proof.get("type") == "DataIntegrityProof" else "type"
        message = (
            f"{label}credkit cannot check a proof of {what} {_short(result.proof.get(what))}, "
            "and every proof of a document must verify (VC Data Integrity 1.0 §4.5)"
        )
        return Check.failed(check_id, message, err, "unknown proof type")
    if isinstance(err, RetiredKeyError):
        return Check.failed(check_id, f"{label}{err.message}", err, "key retired or revoked")
    if isinstance(err, DidResolutionError):
        return Check.failed(
            check_id,
            f"{label}the signing key could not be confirmed as the {whose}'s: {err.message}",
            err,
            "signing key not confirmed",
        )
    if isinstance(err, MalformedValueError):  # signed, but not the JSON it claims to be
        return Check.failed(check_id, f"{label}{err.message}", err, "malformed")
    return Check.failed(
        check_id, f"{label}signature not valid: {err.message}", err, "invalid signature"
    )


def _not_bound(method: Any, controller: str, owner: str | None, whose: str, check_id: str) -> Check:
    err = ProofVerificationError(
        f"signed by a key that does not belong to the {whose}: {method} is controlled by "
        f"{controller}, but the {whose} is {owner}",
        code="INVALID_VERIFICATION_METHOD",
    )
    return Check.failed(check_id, err.message, err, f"signed by someone other than the {whose}")


def _signer(r: proofs.ProofResult, role: str) -> dict[str, Any]:
    return {
        "verificationMethod": r.verification_method,
        "controller": r.controller,
        "cryptosuite": r.suite,
        "role": role,
    }


def check_proofs(
    verifier: Verifier,
    document: dict[str, Any],
    now: datetime,
    *,
    owner: str | None,
    purpose: str,
    challenge: str | None,
    domain: str | None,
    check_id: str,
    whose: str,
    bind_owner: bool,
    max_proofs: int,
    co_signers: bool = True,
) -> Check:
    """The ``proof`` (or ``presentation_proof``) check of :meth:`Verifier.proof`.

    Every proof must verify (DI §4.5). With ``bind_owner``, at least one valid proof must be by a
    key the owner controls (DI §2.6); valid proofs by others are co-signers, named in the message
    and in ``details`` ("Proof Sets"), or, without ``co_signers`` (a presentation: the holder
    authenticates), a failure.
    """
    err: CredkitError
    if "proof" not in document or document["proof"] in (None, [], {}):
        if check_id == "proof":
            raise UnusableInputError(ParsingError("the credential has no proof: it is not signed"))
        err = ProofVerificationError(f"the presentation is not signed by its {whose}")
        return Check.failed(check_id, err.message, err, "not signed")
    raw = as_list(document["proof"])
    if len(raw) > max_proofs:
        err = ProofVerificationError(f"{len(raw)} proofs; credkit checks at most {max_proofs}")
        return Check.failed(check_id, err.message, err, "too many proofs")
    outcome = proofs.verify(
        document,
        resolver=verifier.resolver,
        loader=verifier.loader,
        expected_proof_purpose=purpose,
        challenge=challenge,
        domain=domain,
        now=now,
    )
    results = outcome.results
    unknown = [r for r in results if isinstance(r.error, UnknownCryptosuiteError)]
    if check_id == "proof" and len(unknown) == len(results):
        # nothing credkit can check at all: there is no signature to speak of
        raise UnusableInputError(unknown[0].error or UnknownCryptosuiteError("unknown cryptosuite"))
    total = len(raw)
    for r in results:
        if r.error is not None and not isinstance(r.error, NetworkDisabledError):
            label = f"proof {r.number} of {total}: " if total > 1 else ""
            return _failure(r, label, whose, check_id)
    good = [r for r in results if r.verified]
    if verifier.strict:
        for r in good:
            if r.unbound_chain:
                err = ProofVerificationError(
                    f"proof {r.number} of {total} names a previousProof it did not sign "
                    "(refused with --strict; VC Data Integrity 1.0 §4.3)"
                )
                return Check.failed(check_id, err.message, err, "unsigned proof chain")
    offline = outcome.offline
    others: list[proofs.ProofResult] = []
    if bind_owner:
        # DI §2.6: the owner (issuer, holder) must have signed. An offline key can only ever be
        # its own DID's (CID 1.0 §3.3), so one of another DID is not the owner's, unfetched.
        mine = [r for r in good if r.controller == owner]
        others = [r for r in good if r.controller != owner]
        offline_mine = [r for r in offline if _base(r.proof) == owner]
        strangers = [*others, *(r for r in offline if _base(r.proof) != owner)]
        if strangers and (not co_signers or not (mine or offline_mine)):
            first = min(strangers, key=lambda r: r.number)
            if first.verified:
                return _not_bound(
                    first.verification_method, str(first.controller), owner, whose, check_id
                )
            return _not_bound(
                first.proof.get("verificationMethod"), _base(first.proof), owner, whose, check_id
            )
    if offline:
        first = offline[0]
        where = first.proof.get("verificationMethod")
        own = not bind_owner or _base(first.proof) == owner
        role = f"the {whose}'s" if own else "a co-signer's"
        return Check.skipped(
            check_id,
            f"{role} key {where} is published online; pass --allow-network to fetch it "
            "(every proof must be checked)",
            conclusive=False,
        )
    other_ids = {id(r) for r in others}
    mine = [r for r in good if id(r) not in other_ids]
    suites = ", ".join(sorted({r.suite or "?" for r in good}))
    strip = owner if bind_owner and owner else "\0"
    methods = ", ".join(sorted({(r.verification_method or "?").removeprefix(strip) for r in mine}))
    if bind_owner:
        message = f"signature valid ({suites}): signed with key {methods} of the {whose} {owner}"
    else:
        message = f"signature valid ({suites}): signed with key {methods} (no {whose} named)"
    names = sorted({str(r.controller) for r in others})
    if names:
        message += f"; co-signed by {', '.join(names)}"
    role = whose if bind_owner else "signer"
    check = Check.passed(check_id, message)
    check.warnings = outcome.warnings
    if len(results) > 1 or names:
        check.details = {
            "signers": [_signer(r, "co-signer" if id(r) in other_ids else role) for r in good],
            "coSigners": names,
        }
    return check
