"""``eddsa-jcs-2022`` (VC DI EdDSA 1.0 §3.3): RFC 8785 JSON canonicalization, Ed25519.

No JSON-LD processing at all; the proof carries the document's ``@context`` so a verifier can tell
which contexts were signed (§3.3.1 step 2, §3.3.2 step 4).
"""

from __future__ import annotations

from typing import Any

import rfc8785

from credkit import fastjcs
from credkit.contexts import DocumentLoader
from credkit.errors import MalformedValueError, ProofVerificationError
from credkit.suites.base import Cryptosuite


def jcs(value: Any) -> bytes:
    try:
        data: bytes = fastjcs.dumps(value)  # rfc8785 output, via json's C encoder when exact
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        # e.g. integers beyond I-JSON's 2^53 or NaN: JCS cannot represent them exactly
        raise MalformedValueError(f"cannot canonicalize as RFC 8785 JSON: {exc}") from None
    return data


class EddsaJcs2022(Cryptosuite):
    name = "eddsa-jcs-2022"
    proof_type = "DataIntegrityProof"
    cryptosuite: str | None = "eddsa-jcs-2022"

    def transform(self, unsecured: dict[str, Any], loader: DocumentLoader) -> bytes:
        return jcs(unsecured)

    def prepare_options(self, options: dict[str, Any], unsecured: dict[str, Any]) -> dict[str, Any]:
        # §3.3.1 step 2: if the document has @context, the proof gets the same @context
        if "@context" in unsecured:
            options["@context"] = unsecured["@context"]
        return options

    def prepare_verification(
        self, unsecured: dict[str, Any], options: dict[str, Any]
    ) -> dict[str, Any]:
        # §3.3.2 step 4: the document's @context must start with the proof's, in order;
        # then the proof's @context is what was signed.
        if "@context" not in options:
            return unsecured
        signed = options["@context"]
        signed_list = signed if isinstance(signed, list) else [signed]
        current = unsecured.get("@context")
        current_list = current if isinstance(current, list) else [current]
        if current_list[: len(signed_list)] != signed_list:
            raise ProofVerificationError(
                "the document's @context does not start with the @context the proof signed"
            )
        return {**unsecured, "@context": signed}

    def configure(
        self, proof: dict[str, Any], unsecured: dict[str, Any], loader: DocumentLoader
    ) -> bytes:
        # §3.3.5 Proof Configuration: JCS of the options (with @context when the doc has one)
        config = {k: v for k, v in proof.items() if k != "proofValue"}
        if "@context" in unsecured:
            config["@context"] = unsecured["@context"]
        return jcs(config)
