"""A VC 1.1 credential is held to every date it carries (found by review, session 4).

The credentials/v1 context defines validFrom and validUntil as well as issuanceDate and
expirationDate (the same IRIs as VC 2.0's), so all four are signed data. The verifier read only the
1.1 pair, and verified a 1.1 credential whose validUntil had passed; a saved trust list in 1.1
form with a passed validUntil still made its issuers trusted the same way.
"""

from __future__ import annotations

from typing import Any

import pytest

from credkit import sign
from test_verify_helpers import ISSUER, verifier


def _v1(**dates: str) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "https://w3id.org/security/data-integrity/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "id": "urn:uuid:11111111-2222-4333-8444-555555555555",
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "issuer": ISSUER.controller,
        "credentialSubject": {"id": "did:example:graduate", "degree": "BSc"},
        **dates,
    }


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
@pytest.mark.parametrize(
    ("dates", "verdict", "said"),
    [
        ({"issuanceDate": "2020-01-01T00:00:00Z", "validUntil": "2021-01-01T00:00:00Z"},
         "not verified", "expired on 2021-01-01T00:00:00Z (validUntil)"),
        ({"issuanceDate": "2020-01-01T00:00:00Z", "validFrom": "2099-01-01T00:00:00Z"},
         "not verified", "not valid yet"),
        ({"issuanceDate": "2020-01-01T00:00:00Z", "expirationDate": "2099-01-01T00:00:00Z",
          "validUntil": "2021-01-01T00:00:00Z"},
         "not verified", "(validUntil)"),
        ({"issuanceDate": "2020-01-01T00:00:00Z", "validUntil": "2099-01-01T00:00:00Z"},
         "verified", "valid until 2099-01-01T00:00:00Z"),
        ({"issuanceDate": "2020-01-01T00:00:00Z", "expirationDate": "2019-01-01T00:00:00Z"},
         "not verified", "(expirationDate)"),
    ],
)  # fmt: skip
def test_every_date_of_a_1_1_credential_holds(
    suite: str, dates: dict[str, str], verdict: str, said: str
) -> None:
    signed = sign(_v1(**dates), ISSUER, cryptosuite=suite, created="2020-01-01T00:00:00Z")
    result = verifier().verify_credential(signed)
    assert result.verdict == verdict, result.check("validity").message
    assert said in result.check("validity").message
