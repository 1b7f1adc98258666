"""OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow: the protocol parts.

What a wallet reads (the credential offer, the issuer and authorization server metadata) and
the check of its key proof, with no HTTP in them; ``credkit.server.oid4vci`` serves them.
Section numbers are those of OID4VCI 1.0 (openid.net/specs/openid-4-verifiable-credential-
issuance-1_0.html).

Tokens (all one-time, only their SHA-256 kept in the store, see ``credkit.issuer.offers``):

- the **offer secret** in the link is the capability; it is never sent to the token endpoint.
  Each fetch of the offer mints a fresh ``pre-authorized_code`` token tied to the offer (short
  lived and single use, as §4.1.1 requires of the code; the offer link itself lives for weeks);
- the token endpoint trades the code for an ``access_token`` tied to the offer;
- the nonce endpoint hands out ``c_nonce`` tokens tied to no offer (§7: it is not protected);
- the credential endpoint uses the access token and the ``c_nonce`` and claims the offer in one
  store transaction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import ECKey, OKPKey

from credkit.errors import CredkitError
from credkit.identity.did import did_key, did_key_document
from credkit.identity.keys import PublicKey
from credkit.identity.p256 import DID_KEY_PREFIX, P256PublicKey
from credkit.jsonld.contexts import OB_V3P0, VC_V2

# RFC 9864 deprecates the polymorphic "EdDSA" in favour of "Ed25519"; wallets (and the OID4VCI
# examples) still send "EdDSA", and the key is always built here as an Ed25519 key from credkit's
# checked PublicKey, so the ambiguity the RFC removes cannot arise. Only that warning is silenced.
warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)

CONFIGURATION_ID = "OpenBadgeCredential_ldp_vc"
PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_TYP = "openid4vci-proof+jwt"  # Appendix F.1
# JWS algorithms verified for key proofs: Ed25519 ("EdDSA", RFC 8037; "Ed25519", RFC 9864) and
# P-256 with SHA-256 ("ES256", RFC 7518 §3.4), which many wallets use because phones' secure
# elements and passkey hardware hold P-256 keys only
ED25519_ALGS = ("EdDSA", "Ed25519")
P256_ALGS = ("ES256",)
PROOF_ALGS = ED25519_ALGS + P256_ALGS
# what the diploma copy is signed with (Appendix A.1.2: "signature suite identifiers")
SIGNING_SUITES = ("eddsa-rdfc-2022", "Ed25519Signature2020")

CODE_LIFETIME = timedelta(minutes=10)  # pre-authorized code: short lived, single use (§4.1.1)
ACCESS_LIFETIME = timedelta(minutes=10)
NONCE_LIFETIME = timedelta(minutes=5)
# a key proof's iat may be this old (it is made right after the nonce) or this far ahead (clocks)
PROOF_MAX_AGE_S = 300
PROOF_MAX_SKEW_S = 60
MAX_PROOF_CHARS = 8192
MAX_TX_CODE_CHARS = 64
# wrong transaction codes accepted per offer before the token endpoint stops trying them
# (Security Considerations, "Transaction Code Guessing": limit the attempts)
MAX_TX_CODE_MISSES = 5

CODE_KIND, ACCESS_KIND, NONCE_KIND, MISS_KIND = (
    "pre-authorized_code",
    "access_token",
    "c_nonce",
    "tx_code_miss",
)


class KeyProofError(CredkitError):
    """A key proof that cannot be accepted; ``error`` is the §8.3.1.2 code to answer with."""

    code = "INVALID_PROOF"

    def __init__(self, message: str, *, error: str = "invalid_proof") -> None:
        super().__init__(message)
        self.error = error


def issuer_id(base_url: str) -> str:
    """The Credential Issuer Identifier (§12.2.1): the service's base URL, no trailing slash."""
    return base_url.rstrip("/")


def endpoint(base_url: str, name: str) -> str:
    return f"{issuer_id(base_url)}/oid4vci/{name}"


def credential_offer(base_url: str, code: str, *, tx_code: bool) -> dict[str, Any]:
    """§4.1.1: the offer object a wallet fetches from ``credential_offer_uri``."""
    grant: dict[str, Any] = {"pre-authorized_code": code}
    if tx_code:
        # §4.1.1: present (even empty) when a code is expected; the issuer sends it out of band
        grant["tx_code"] = {
            "input_mode": "text",
            "description": "The code your institution sent you separately (not in the email "
            "with this link).",
        }
    return {
        "credential_issuer": issuer_id(base_url),
        "credential_configuration_ids": [CONFIGURATION_ID],
        "grants": {PRE_AUTHORIZED_GRANT: grant},
    }


def issuer_metadata(base_url: str, issuer_name: str) -> dict[str, Any]:
    """§12.2.4 Credential Issuer Metadata, with the diploma as one ``ldp_vc`` configuration.

    No ``authorization_servers``: the issuer is its own authorization server (§12.2.4), whose
    RFC 8414 metadata is :func:`authorization_server_metadata`.
    """
    return {
        "credential_issuer": issuer_id(base_url),
        "credential_endpoint": endpoint(base_url, "credential"),
        "nonce_endpoint": endpoint(base_url, "nonce"),
        "display": [{"name": issuer_name, "locale": "en"}],
        "credential_configurations_supported": {
            CONFIGURATION_ID: {
                "format": "ldp_vc",
                # Appendix A.1.2: @context and type of the credential
                "credential_definition": {
                    "@context": [VC_V2, OB_V3P0],
                    "type": ["VerifiableCredential", "OpenBadgeCredential"],
                },
                "credential_signing_alg_values_supported": list(SIGNING_SUITES),
                # the copy names a did:key (Ed25519 z6Mk… or P-256 zDn…); a jwk key proof is
                # bound to that key's did:key
                "cryptographic_binding_methods_supported": ["did:key", "jwk"],
                "proof_types_supported": {
                    "jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGS)}
                },
                "credential_metadata": {
                    "display": [
                        {
                            "name": "Diploma",
                            "locale": "en",
                            "description": f"A diploma issued by {issuer_name} (Open Badges 3.0).",
                        }
                    ]
                },
            }
        },
    }


def authorization_server_metadata(base_url: str) -> dict[str, Any]:
    """RFC 8414 metadata of the issuer acting as its own authorization server (§12.3)."""
    return {
        "issuer": issuer_id(base_url),
        "token_endpoint": endpoint(base_url, "token"),
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        # §12.3: a Token Request with a pre-authorized code needs no client_id here
        "pre-authorized_grant_anonymous_access_supported": True,
        "token_endpoint_auth_methods_supported": ["none"],
    }


# --- the transaction code, kept with the access token without being stored ----------------------


def _pad(token: str, length: int) -> bytes:
    stream = b""
    counter = 0
    while len(stream) < length:
        block = f"tx|{counter}".encode()
        stream += hmac.new(token.encode("utf-8"), block, hashlib.sha256).digest()
        counter += 1
    return stream[:length]


def seal_tx_code(tx_code: str, access_token: str) -> str:
    """The code XOR a pad derived from the access token: the store holds only the token's hash,
    so a copy of the store does not reveal the code the graduate typed."""
    raw = tx_code.encode("utf-8")
    sealed = bytes(a ^ b for a, b in zip(raw, _pad(access_token, len(raw)), strict=True))
    return base64.urlsafe_b64encode(sealed).decode("ascii")


def open_tx_code(sealed: str, access_token: str) -> str:
    raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
    return bytes(a ^ b for a, b in zip(raw, _pad(access_token, len(raw)), strict=True)).decode(
        "utf-8"
    )


# --- the key proof (Appendix F.1) ---------------------------------------------------------------


@dataclass(frozen=True)
class KeyProof:
    """A checked key proof: the holder DID the copy is bound to, and the nonce it used."""

    holder: str
    nonce: str


def _json_part(part: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, TypeError):
        raise KeyProofError(f"the key proof's {what} is not base64url JSON") from None
    if not isinstance(value, dict):
        raise KeyProofError(f"the key proof's {what} is not a JSON object")
    return value


HolderKey = PublicKey | P256PublicKey


def _kid_key(kid: Any) -> tuple[str, HolderKey]:
    """A did:key DID URL whose fragment is its own key: Ed25519 (``z6Mk…``) or P-256 (``zDn…``)."""
    if not isinstance(kid, str) or not kid.startswith("did:key:") or "#" not in kid:
        raise KeyProofError("kid must be a did:key DID URL (did:key:z…#z…)")
    did, fragment = kid.split("#", 1)
    if did.startswith(DID_KEY_PREFIX):
        p256 = P256PublicKey.from_did_key(did)
        if fragment != p256.multibase():
            raise KeyProofError("kid does not name the key of its did:key")
        return did, p256
    document = did_key_document(did)
    method = document["verificationMethod"][0]
    if fragment != method["publicKeyMultibase"]:
        raise KeyProofError("kid does not name the key of its did:key")
    return did, PublicKey.from_multibase(method["publicKeyMultibase"])


def _jwk_key(jwk: Any) -> tuple[str, HolderKey]:
    """A public JWK, bound to the did:key of the same key (Ed25519 OKP or P-256 EC)."""
    if not isinstance(jwk, dict) or "d" in jwk:
        raise KeyProofError("jwk must be a public JWK")
    if jwk.get("kty") == "EC":
        p256 = P256PublicKey.from_jwk(jwk)
        return p256.did_key(), p256
    public = PublicKey.from_jwk(jwk)
    return did_key(public), public


def _holder_key(header: dict[str, Any]) -> tuple[str, HolderKey]:
    """The DID the copy is bound to and the key that must have signed, from ``kid`` or ``jwk``.

    F.1: exactly one of ``kid``, ``jwk``, ``x5c``. A ``kid`` must be a did:key URL whose
    fragment names the DID's own key; a ``jwk`` (Ed25519 or P-256) binds to that key's did:key
    (did:jwk is not used).
    """
    present = [name for name in ("kid", "jwk", "x5c") if name in header]
    if len(present) != 1:
        raise KeyProofError("the key proof header must carry exactly one of kid, jwk or x5c")
    try:
        if present[0] == "kid":
            return _kid_key(header["kid"])
        if present[0] == "jwk":
            return _jwk_key(header["jwk"])
    except CredkitError as exc:
        if isinstance(exc, KeyProofError):
            raise
        raise KeyProofError(f"the key proof's key cannot be used: {exc.message}") from None
    raise KeyProofError("x5c key proofs are not supported; use a did:key kid or a jwk")


def _verify_signature(jwt: str, alg: str, public: HolderKey) -> bytes:
    """The payload, once the JWS verifies by ``public`` with ``alg``; the alg must fit the key
    (EdDSA/Ed25519 for an Ed25519 key, ES256 for a P-256 key: RFC 7518 §3.4 and RFC 8037)."""
    try:
        if isinstance(public, P256PublicKey):
            if alg not in P256_ALGS:
                raise KeyProofError(f"key proof alg {alg!r} does not fit a P-256 key (ES256)")
            ec_jwk: dict[str, str | list[str]] = {**public.to_jwk()}
            verified = jws.deserialize_compact(jwt, ECKey.import_key(ec_jwk), algorithms=["ES256"])
        else:
            if alg not in ED25519_ALGS:
                raise KeyProofError(f"key proof alg {alg!r} does not fit an Ed25519 key (EdDSA)")
            okp_jwk: dict[str, str | list[str]] = {**public.to_jwk()}
            verified = jws.deserialize_compact(
                jwt, OKPKey.import_key(okp_jwk), algorithms=list(ED25519_ALGS)
            )
    except JoseError:
        raise KeyProofError(
            "the key proof's signature is not by the key its header names"
        ) from None
    return verified.payload


def check_key_proof(jwt: Any, *, audience: str, now: float | None = None) -> KeyProof:
    """Verify a ``jwt`` key proof (Appendix F.1) but for its nonce's freshness.

    Checked: compact JWS, ``typ``, ``alg`` (EdDSA/Ed25519 or ES256, fitting the key), the key
    from ``kid``/``jwk``, the signature by that key (joserfc), ``aud`` = the Credential Issuer
    Identifier, ``iat`` recent, ``nonce`` present. Whether the nonce is one this service issued
    and has not used is for the caller (the store), which answers ``invalid_nonce`` (§8.3.1.2).
    """
    if not isinstance(jwt, str) or not jwt or len(jwt) > MAX_PROOF_CHARS:
        raise KeyProofError("a key proof must be a compact JWS string")
    parts = jwt.split(".")
    if len(parts) != 3:
        raise KeyProofError("a key proof must be a compact JWS (three dot-separated parts)")
    header = _json_part(parts[0], "header")
    if header.get("typ") != PROOF_TYP:
        raise KeyProofError(f"the key proof's typ must be {PROOF_TYP!r}")
    alg = header.get("alg")
    if alg not in PROOF_ALGS:
        raise KeyProofError(
            f"key proof alg {alg!r} is not supported (only {', '.join(PROOF_ALGS)})"
        )
    if "crit" in header:
        raise KeyProofError("key proofs with critical header parameters are not supported")
    holder, public = _holder_key(header)
    payload = _verify_signature(jwt, str(alg), public)
    claims = _json_part(parts[1], "payload")
    if json.loads(payload) != claims:  # pragma: no cover - same bytes, both parsers
        raise KeyProofError("the key proof's payload could not be read")
    if claims.get("aud") != audience:
        raise KeyProofError(f"the key proof's aud must be this credential issuer ({audience})")
    iat = claims.get("iat")
    moment = time.time() if now is None else now
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise KeyProofError("the key proof has no numeric iat")
    if iat < moment - PROOF_MAX_AGE_S or iat > moment + PROOF_MAX_SKEW_S:
        raise KeyProofError("the key proof's iat is not recent; make a new proof")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        # F.1: the nonce "MUST be present when the issuer has a Nonce Endpoint"; §8.3.1.2 (3)
        raise KeyProofError("the key proof carries no nonce; get one from the nonce endpoint")
    return KeyProof(holder=holder, nonce=nonce)
