"""A small OpenID4VCI wallet in Python (httpx + joserfc) for the tests and the claims benchmark.

It speaks to a real ``credkit serve`` over 127.0.0.1 and makes key proofs the way a wallet does
(OID4VCI 1.0 Appendix F.1); ``proof()`` can also make every kind of wrong proof.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey

from credkit.identity.keys import KeyPair
from credkit.identity.p256 import P256PublicKey
from credkit.issuer.oid4vci import CONFIGURATION_ID, PRE_AUTHORIZED_GRANT, PROOF_TYP


def proof(
    key: KeyPair,
    *,
    nonce: str | None,
    aud: str,
    iat: float | None = None,
    typ: str = PROOF_TYP,
    binding: str = "kid",
    signer: KeyPair | None = None,
) -> str:
    """A ``jwt`` key proof for ``key``; ``signer`` signs it instead (a proof by another key)."""
    header: dict[str, Any] = {"alg": "EdDSA", "typ": typ}
    if binding == "kid":
        header["kid"] = key.id
    else:
        header["jwk"] = key.public_key.to_jwk()
    claims: dict[str, Any] = {"aud": aud, "iat": int(iat if iat is not None else time.time())}
    if nonce is not None:
        claims["nonce"] = nonce
    private: dict[str, str | list[str]] = {**(signer or key).to_jwk(include_private=True)}
    return jws.serialize_compact(
        header, json.dumps(claims), OKPKey.import_key(private), algorithms=["EdDSA"]
    )


def p256_did(key: ECKey) -> str:
    """The did:key of a P-256 key (did:key:zDn…)."""
    public = {k: v for k, v in key.as_dict(private=False).items() if k in ("kty", "crv", "x", "y")}
    return P256PublicKey.from_jwk(public).did_key()


def proof_es256(
    key: ECKey,
    *,
    nonce: str | None,
    aud: str,
    binding: str = "kid",
    alg: str = "ES256",
    signer: ECKey | None = None,
) -> str:
    """A ``jwt`` key proof signed with a P-256 key, as a wallet whose keys live in a phone's
    secure element makes it; ``signer`` signs it instead (a proof by another key)."""
    header: dict[str, Any] = {"alg": alg, "typ": PROOF_TYP}
    if binding == "kid":
        did = p256_did(key)
        header["kid"] = f"{did}#{did.removeprefix('did:key:')}"
    else:
        header["jwk"] = {
            k: v for k, v in key.as_dict(private=False).items() if k in ("kty", "crv", "x", "y")
        }
    claims: dict[str, Any] = {"aud": aud, "iat": int(time.time())}
    if nonce is not None:
        claims["nonce"] = nonce
    return jws.serialize_compact(header, json.dumps(claims), signer or key, algorithms=[alg])


class Wallet:
    """One wallet's view of one issuer: each step of the pre-authorized code flow."""

    def __init__(self, client: httpx.Client, base_url: str) -> None:
        self.client = client
        self.base = base_url.rstrip("/")

    def path(self, url: str) -> str:
        """The server's endpoints are absolute URLs; the client has the base already."""
        return urlsplit(url).path

    def offer(self, secret: str) -> httpx.Response:
        return self.client.get(f"/oid4vci/offers/{secret}")

    def code(self, secret: str) -> str:
        answer = self.offer(secret)
        assert answer.status_code == 200, answer.text
        code: str = answer.json()["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
        return code

    def token(self, code: str, tx_code: str | None = None, **extra: str) -> httpx.Response:
        form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, **extra}
        if tx_code is not None:
            form["tx_code"] = tx_code
        return self.client.post("/oid4vci/token", data=form)

    def access(self, secret: str, tx_code: str | None = None) -> str:
        answer = self.token(self.code(secret), tx_code)
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    def nonce(self) -> str:
        answer = self.client.post("/oid4vci/nonce")
        assert answer.status_code == 200, answer.text
        nonce: str = answer.json()["c_nonce"]
        return nonce

    def credential(
        self, access: str | None, body: Any = None, *, raw: bytes | None = None
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if access is not None:
            headers["Authorization"] = f"Bearer {access}"
        content = raw if raw is not None else json.dumps(body).encode("utf-8")
        return self.client.post("/oid4vci/credential", content=content, headers=headers)

    def request(self, jwt: str) -> dict[str, Any]:
        return {"credential_configuration_id": CONFIGURATION_ID, "proofs": {"jwt": [jwt]}}

    def claim(self, secret: str, key: KeyPair, tx_code: str | None = None) -> dict[str, Any]:
        """The whole flow; returns the delivered credential."""
        access = self.access(secret, tx_code)
        jwt = proof(key, nonce=self.nonce(), aud=self.base)
        answer = self.credential(access, self.request(jwt))
        assert answer.status_code == 200, answer.text
        credential: dict[str, Any] = answer.json()["credentials"][0]["credential"]
        return credential
