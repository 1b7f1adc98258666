"""Exception hierarchy: every failure a caller can act on has its own type and spec error code.

The codes are the names the W3C specs use (VC Data Integrity 1.0 §4.7, VC Data Model 2.0 §7.1,
Controlled Identifiers 1.0 §3.3, Bitstring Status List 1.0 §3.2), so a result can be reported as an
RFC 9457 problem detail whose ``type`` URL another implementation recognises.
"""

from __future__ import annotations

from typing import Any, ClassVar

_SECURITY = "https://w3id.org/security#"
_VCDM = "https://www.w3.org/TR/vc-data-model#"
_STATUS = "https://www.w3.org/ns/credentials/status-list#"

# The numeric codes of the 2023 Data Integrity CR1 (the REC dropped numbers). Reported as an
# optional extension because some test suites and older verifiers still look for them.
LEGACY_CODES: dict[str, int] = {
    "PROOF_GENERATION_ERROR": -16,
    "MALFORMED_PROOF_ERROR": -17,
    "MISMATCHED_PROOF_PURPOSE_ERROR": -18,
    "INVALID_DOMAIN_ERROR": -19,
    "INVALID_CHALLENGE_ERROR": -20,
    "INVALID_VERIFICATION_METHOD_URL": -21,
    "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID": -22,
    "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT": -23,
    "INVALID_VERIFICATION_METHOD": -24,
    "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD": -25,
    "PARSING_ERROR": -64,
    "CRYPTOGRAPHIC_SECURITY_ERROR": -65,
    "MALFORMED_VALUE_ERROR": -66,
    "RANGE_ERROR": -67,
    "STATUS_RETRIEVAL_ERROR": -128,
    "STATUS_VERIFICATION_ERROR": -129,
    "STATUS_LIST_LENGTH_ERROR": -130,
}


class CredkitError(Exception):
    """Base of every error credkit raises on purpose."""

    code: ClassVar[str] = "CREDKIT_ERROR"
    namespace: ClassVar[str] = _SECURITY

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]

    @property
    def type_url(self) -> str:
        """The RFC 9457 problem ``type`` URL named by the spec for this error."""
        return self.namespace + self.code

    def to_problem(self) -> dict[str, Any]:
        """The error as an RFC 9457 problem detail (the VC-API/VCDM error shape)."""
        problem: dict[str, Any] = {
            "type": self.type_url,
            "title": self.code,
            "detail": self.message,
        }
        if self.code in LEGACY_CODES:
            problem["code"] = LEGACY_CODES[self.code]
        return problem


# --- input ----------------------------------------------------------------------------------


class ParsingError(CredkitError):
    """The input is not JSON, or not a JSON object where one is required (DI §4.4 step 1)."""

    code = "PARSING_ERROR"
    namespace = _VCDM


class MalformedValueError(CredkitError):
    """A value breaks a normative rule of the data model (VCDM §7.1)."""

    code = "MALFORMED_VALUE_ERROR"
    namespace = _VCDM


# --- keys and identifiers -------------------------------------------------------------------


class KeyFormatError(CredkitError):
    """A key could not be decoded: wrong multicodec header, wrong length, bad JWK or PEM."""

    code = "INVALID_VERIFICATION_METHOD"


class KeyFileError(CredkitError):
    """A key file is missing, unreadable, or readable by other users."""

    code = "KEY_FILE_ERROR"


class KeyPassphraseError(KeyFileError):
    """An encrypted key file could not be opened: no passphrase was given, or it is wrong.

    The message names the file and where a passphrase can come from, never the passphrase or
    any key material.
    """

    code = "KEY_PASSPHRASE_ERROR"


class HardwareKeyError(CredkitError):
    """A PKCS#11 token cannot sign: module, token, key, PIN or mechanism missing or refused."""

    code = "HARDWARE_KEY_ERROR"


class DidResolutionError(CredkitError):
    """A DID or verification method could not be resolved (CID 1.0 §3.3 error names)."""

    code = "INVALID_VERIFICATION_METHOD_URL"


class NetworkDisabledError(DidResolutionError):
    """A remote lookup was needed but no fetcher was allowed (credkit is offline by default)."""

    code = "NETWORK_DISABLED"


class WeakKeyError(KeyFormatError, DidResolutionError):
    """An Ed25519 public key of small order (or a non-canonical encoding): refused on decoding.

    With such a key a trivial "signature" (R = identity, S = 0) verifies for any document (VC DI
    EdDSA 1.0 §4.1, "Taming the many EdDSAs"). Both a key format and a resolution error, so each
    layer's callers catch it; the verifier reports it as a failed proof.
    """

    code = "INVALID_VERIFICATION_METHOD"


# --- JSON-LD --------------------------------------------------------------------------------


class ContextError(CredkitError):
    """A JSON-LD context is not one credkit ships or the user registered; it is never fetched."""

    code = "CONTEXT_NOT_ALLOWED"


# --- proofs (VC Data Integrity 1.0 §4.7) ----------------------------------------------------


class ProofError(CredkitError):
    """Base of Data Integrity proof errors."""


class ProofGenerationError(ProofError):
    code = "PROOF_GENERATION_ERROR"


class ProofVerificationError(ProofError):
    code = "PROOF_VERIFICATION_ERROR"


class RetiredKeyError(ProofVerificationError):
    """The proof was created when its key no longer signed: at or after the ``expires`` or
    ``revoked`` time the controller document gives the verification method (CID 1.0 §2.2)."""

    code = "PROOF_VERIFICATION_ERROR"


class MalformedProofError(ProofVerificationError):
    """The proof object lacks a required property or has a value of the wrong kind."""

    code = "MALFORMED_PROOF_ERROR"


class MismatchedProofPurposeError(ProofVerificationError):
    code = "MISMATCHED_PROOF_PURPOSE_ERROR"


class UnknownCryptosuiteError(ProofVerificationError):
    """The proof names a type/cryptosuite credkit does not implement."""

    code = "UNKNOWN_CRYPTOSUITE"


class InvalidDomainError(ProofVerificationError):
    code = "INVALID_DOMAIN_ERROR"


class InvalidChallengeError(ProofVerificationError):
    code = "INVALID_CHALLENGE_ERROR"


class ProofTransformationError(ProofError):
    code = "PROOF_TRANSFORMATION_ERROR"


class DataLossError(ProofTransformationError):
    """RDF canonicalization would silently drop data (DI §2.4.3); signing it would sign less."""

    code = "DATA_LOSS_DETECTION_ERROR"


class CanonicalizationLimitError(ProofTransformationError):
    """The document has too many or too tangled blank nodes: a poisoned dataset (RDFC-1.0 §4.1)."""

    code = "PROOF_TRANSFORMATION_ERROR"


class DeadlineExceededError(CredkitError):
    """The work ran past the deadline its caller set (:mod:`credkit.deadline`): never a verdict
    of verified, and the thread is free again soon after the deadline."""

    code = "DEADLINE_EXCEEDED"


# --- status (Bitstring Status List 1.0 §3.2) ------------------------------------------------


class StatusError(CredkitError):
    namespace = _STATUS
    code = "STATUS_VERIFICATION_ERROR"


class StatusRetrievalError(StatusError):
    code = "STATUS_RETRIEVAL_ERROR"


class StatusUnreachableError(StatusRetrievalError):
    """The status list's host could not be reached (DNS, timeout, refused by the fetch policy).

    Nobody answered, so nothing is known about the list: "could not check", never "revoked".
    A host that answers with an error, or a list that is invalid, is a StatusRetrievalError.
    """


class StatusVerificationError(StatusError):
    code = "STATUS_VERIFICATION_ERROR"


class StatusListLengthError(StatusError):
    code = "STATUS_LIST_LENGTH_ERROR"


class StatusRangeError(StatusError):
    code = "RANGE_ERROR"
    namespace = _VCDM


# --- issuer side ----------------------------------------------------------------------------


class TemplateError(CredkitError):
    """A diploma template or roster row is invalid; the message names the field and the fix."""

    code = "TEMPLATE_ERROR"


class StoreError(CredkitError):
    """The issuer store could not complete an operation; nothing was half-written."""

    code = "STORE_ERROR"
