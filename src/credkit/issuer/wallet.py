"""The wallet copy of a diploma: the issued diploma bound to the graduate's own DID.

A wallet that claims an offer proves control of a DID (a DIDAuth presentation, or an OID4VCI key
proof). The copy it receives is the stored diploma with ``credentialSubject.id`` set to that DID
and new proofs: same ``id``, same ``credentialStatus`` entries (so revoking the diploma revokes the
copy too), same dates. With that binding an employer can ask the wallet for a presentation over a
fresh challenge and see that the presenter is the graduate (the verifier's ``holder_binding``).
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from credkit.errors import CredkitError
from credkit.identity.signer import Signer
from credkit.jsonld.contexts import ED25519_2020_V1
from credkit.proofs.dataintegrity import format_datetime, now_utc, sign


class WalletCopyError(CredkitError):
    """The stored diploma cannot be bound to a holder (no single subject, or a bad DID)."""

    code = "WALLET_COPY_ERROR"


def bind_to_holder(document: dict[str, Any], holder: str) -> dict[str, Any]:
    """The unsigned copy: proofs removed, ``credentialSubject.id`` set to ``holder``."""
    if not isinstance(holder, str) or not holder.startswith("did:") or len(holder) > 2048:
        raise WalletCopyError("the holder must be a DID")
    unsigned = copy.deepcopy({k: v for k, v in document.items() if k != "proof"})
    subject = unsigned.get("credentialSubject")
    if not isinstance(subject, dict):
        raise WalletCopyError("only a diploma with one credentialSubject can be bound to a holder")
    # OB 3.0 AchievementSubject.id: "An identifier for the Credential Subject" (a DID is the
    # recommended form); the subject's other claims (name, achievement, identifier) stay
    unsigned["credentialSubject"] = {
        "id": holder,
        **{k: v for k, v in subject.items() if k != "id"},
    }
    return unsigned


def wallet_copy(
    document: dict[str, Any],
    key: Signer,
    holder: str,
    *,
    cryptosuite: str = "eddsa-rdfc-2022",
    legacy_proof: bool = True,
    created: datetime | str | None = None,
) -> dict[str, Any]:
    """Bind ``document`` to ``holder`` and sign it: a proof set of ``cryptosuite`` and, with
    ``legacy_proof``, an ``Ed25519Signature2020`` proof (released Learner Credential Wallet
    versions verify nothing newer). Both proofs sign the same document: the 2020 suite's context
    goes in before the first proof, as the cohort's ``legacy_proof`` does."""
    unsigned = bind_to_holder(document, holder)
    when = format_datetime(created or now_utc())
    return sign_with_legacy(
        unsigned, key, cryptosuite=cryptosuite, created=when, legacy=legacy_proof
    )


def sign_with_legacy(
    document: dict[str, Any], key: Signer, *, cryptosuite: str, created: str, legacy: bool
) -> dict[str, Any]:
    """Sign with ``cryptosuite`` and, with ``legacy``, add an ``Ed25519Signature2020`` proof
    (a proof set): what the cohort and the wallet copy deliver for wallets that verify nothing
    newer. The 2020 suite's context goes in before the first proof, so both sign one document."""
    if not legacy:
        return sign(document, key, cryptosuite=cryptosuite, created=created)
    contexts = document.get("@context")
    contexts = contexts if isinstance(contexts, list) else [contexts]
    if ED25519_2020_V1 not in contexts:
        document = {**document, "@context": [*contexts, ED25519_2020_V1]}
    signed = sign(document, key, cryptosuite=cryptosuite, created=created)
    if cryptosuite != "Ed25519Signature2020":
        signed = sign(signed, key, cryptosuite="Ed25519Signature2020", created=created)
    return signed
