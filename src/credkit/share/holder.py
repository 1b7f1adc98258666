"""The wallet side of a VC-API claim: answer a DIDAuthentication request, receive the diploma.

A graduate's wallet proves control of its DID by signing an empty presentation over the issuer's
``challenge`` and ``domain`` (VC Data Integrity 1.0 §2.1, proofPurpose ``authentication``); the
issuer answers with the diploma bound to that DID. This is what the Learner Credential Wallet does
(``app/lib/exchanges.ts`` ``handleVcApiExchangeComplete``: POST ``{}``, read the
``verifiablePresentationRequest``, POST ``{"verifiablePresentation": VP}`` to
``interact.service[0].serviceEndpoint``), written here so credkit's tests and benchmark can play
the wallet without a phone.
"""

from __future__ import annotations

from typing import Any

from credkit.errors import CredkitError
from credkit.identity.keys import KeyPair
from credkit.jsonld.contexts import VC_V2
from credkit.proofs.dataintegrity import sign

DIDAUTH_SUITES = ("eddsa-rdfc-2022", "Ed25519Signature2020")
MAX_INTERACTIONS = 4  # LCW stops at 10; a claim needs two


class ExchangeError(CredkitError):
    """The issuer's exchange refused the wallet or answered something that is not a diploma."""

    code = "EXCHANGE_ERROR"

    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


def didauth_presentation(
    key: KeyPair,
    challenge: str,
    domain: str | None,
    *,
    cryptosuite: str = "eddsa-rdfc-2022",
) -> dict[str, Any]:
    """An empty presentation by ``key.controller``, signed for authentication over ``challenge``
    (and ``domain`` when the request named one): VC DM 2.0 §4.13, VC DI 1.0 §2.1."""
    if cryptosuite not in DIDAUTH_SUITES:
        raise ExchangeError(f"DIDAuth is signed with {' or '.join(DIDAUTH_SUITES)}")
    vp = {"@context": [VC_V2], "type": ["VerifiablePresentation"], "holder": key.controller}
    return sign(
        vp,
        key,
        cryptosuite=cryptosuite,
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
    )


def _post(client: Any, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(url, json=body)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code >= 400 or not isinstance(answer, dict):
        detail = answer.get("detail") if isinstance(answer, dict) else None
        raise ExchangeError(
            f"the exchange answered {response.status_code}: {detail or 'not JSON'}",
            status=response.status_code,
            body=answer,
        )
    return answer


def claim_via_exchange(
    exchange_url: str,
    holder_key: KeyPair,
    client: Any,
    *,
    cryptosuite: str = "eddsa-rdfc-2022",
) -> dict[str, Any]:
    """Run a VC-API exchange as LCW does and return the first credential received.

    ``client`` is an ``httpx.Client`` (or anything with ``post(url, json=)`` returning such a
    response). Raises :class:`ExchangeError` on a refusal or an answer with no credential.
    """
    url = exchange_url
    answer = _post(client, url, {})
    for _ in range(MAX_INTERACTIONS):
        request = answer.get("verifiablePresentationRequest")
        if not isinstance(request, dict):
            break
        queries = request.get("query")
        queries = queries if isinstance(queries, list) else [queries]
        kinds = {q.get("type") for q in queries if isinstance(q, dict)}
        if not kinds & {"DIDAuthentication", "DIDAuth"}:
            raise ExchangeError(f"the exchange asks for {sorted(map(str, kinds))}, not DIDAuth")
        challenge = request.get("challenge")
        if not isinstance(challenge, str):
            raise ExchangeError("the presentation request has no challenge")
        domain = request.get("domain")
        vp = didauth_presentation(
            holder_key,
            challenge,
            domain if isinstance(domain, str) else None,
            cryptosuite=cryptosuite,
        )
        services = (request.get("interact") or {}).get("service") or []
        if services and isinstance(services[0], dict):
            url = str(services[0].get("serviceEndpoint") or url)
        answer = _post(client, url, {"verifiablePresentation": vp})
    vp_out = answer.get("verifiablePresentation")
    credentials = vp_out.get("verifiableCredential") if isinstance(vp_out, dict) else None
    if isinstance(credentials, dict):
        credentials = [credentials]
    if not credentials or not isinstance(credentials[0], dict):
        raise ExchangeError("the exchange returned no credential", body=answer)
    credential: dict[str, Any] = credentials[0]
    return credential


__all__ = ["ExchangeError", "claim_via_exchange", "didauth_presentation"]
