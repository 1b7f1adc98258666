"""Hostile input that used to hang the verifier, or read as something it is not.

Each test asserts the safe outcome and, where the attack was a hang, a time bound far above the
fixed cost but far below the old one.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from credkit.identity.multibase import MAX_BASE58_CHARS, b58decode
from credkit.verify import MAX_PROOFS
from credkit.verify.endorsement import MAX_ENDORSEMENTS
from test_verify_helpers import (
    ACCREDITOR,
    ISSUER,
    OTHER,
    diploma,
    signed,
    signed_diploma,
    verifier,
)
from test_verify_trust import endorsement


def test_megabyte_proofvalue_is_refused_quickly() -> None:
    # the base58 decoder is quadratic: 1 MB of '2's took over three minutes before the cap
    doc = signed_diploma()
    doc["proof"][0]["proofValue"] = "z" + "2" * 1_000_000
    start = time.monotonic()
    result = verifier(max_bytes=4 << 20).verify_credential(doc)
    assert time.monotonic() - start < 5
    assert result.verdict == "not verified"
    assert "base58" in result.check("proof").message


def test_base58_decoder_refuses_long_text() -> None:
    with pytest.raises(ValueError, match="over"):
        b58decode("2" * (MAX_BASE58_CHARS + 1))


def test_huge_did_key_is_refused_quickly() -> None:
    doc = signed_diploma()
    doc["proof"][0]["verificationMethod"] = "did:key:z" + "2" * 500_000 + "#k"
    start = time.monotonic()
    result = verifier().verify_credential(doc)
    assert time.monotonic() - start < 5
    assert result.verdict == "not verified"


def test_hundreds_of_proofs_are_refused_before_any_key_is_resolved() -> None:
    doc = signed_diploma()
    proof = doc["proof"][0]
    doc["proof"] = [
        dict(proof, verificationMethod=f"did:web:h{i}.example#k") for i in range(MAX_PROOFS + 1)
    ]
    seen: list[str] = []

    def fetch(url: str) -> bytes:  # would be a 10 s timeout each, online
        seen.append(url)
        raise OSError("unreachable")

    from credkit.identity.did import Resolver

    result = verifier(resolver=Resolver(fetcher=fetch)).verify_credential(doc)
    assert result.verdict == "not verified"
    assert "at most" in result.check("proof").message
    assert seen == []


def test_a_proof_set_of_issuer_and_a_stranger_names_the_stranger_as_co_signer() -> None:
    # VC DI 1.0 "Proof Sets" (issue 16): the issuer signed, the stranger's valid proof is a
    # co-signature, shown as such; a stranger alone never passes (tests/test_proof_sets.py)
    result = verifier().verify_credential(signed(signed_diploma(), OTHER))
    assert result.verdict == "verified" and result.co_signers == [OTHER.controller]
    assert f"co-signed by {OTHER.controller}" in result.check("proof").message


def test_too_many_endorsements_are_refused() -> None:
    doc = diploma(ISSUER.controller)
    doc["credentialSubject"]["achievement"]["endorsement"] = [endorsement()] * (
        MAX_ENDORSEMENTS + 1
    )
    check = verifier(max_bytes=4 << 20).verify_credential(signed(doc)).check("endorsements")
    assert check.status == "failed" and "at most" in check.message


def test_endorsement_of_another_programme_does_not_endorse_this_one() -> None:
    # the accreditor really signed it -- but about another school's programme; the issuer copied
    # it into its own diplomas
    e = endorsement()
    body = {k: v for k, v in e.items() if k != "proof"}
    body["credentialSubject"] = dict(body["credentialSubject"], id="https://other.example/mba")
    doc = diploma(ISSUER.controller)
    doc["credentialSubject"]["achievement"]["endorsement"] = [signed(body, ACCREDITOR)]
    result = verifier().verify_credential(signed(doc))
    check = result.check("endorsements")
    assert check.status == "failed" and "about something else" in check.message
    assert result.verdict == "not verified"


def test_issuer_endorsement_must_name_the_issuer() -> None:
    e = endorsement()  # about the achievement, placed on the issuer profile
    doc = diploma(ISSUER.controller)
    doc["issuer"]["endorsement"] = [e]
    assert verifier().verify_credential(signed(doc)).check("endorsements").status == "failed"
    body = {k: v for k, v in e.items() if k != "proof"}
    body["credentialSubject"] = dict(body["credentialSubject"], id=ISSUER.controller)
    doc["issuer"]["endorsement"] = [signed(body, ACCREDITOR)]
    assert verifier().verify_credential(signed(doc)).check("endorsements").status == "passed"


def test_credential_level_endorsement_may_name_the_achievement() -> None:
    doc = diploma(ISSUER.controller)
    doc["endorsement"] = [endorsement()]
    assert verifier().verify_credential(signed(doc)).check("endorsements").status == "passed"


@pytest.mark.parametrize(
    "inject",
    [
        lambda text: '{"name": "Doctor of Medicine", ' + text[1:],  # a first-wins reader's view
        lambda text: text.replace('"credentialSubject": {', '"credentialSubject": {"id": "x", ', 1),
    ],
)
def test_duplicate_names_are_unusable(inject: Any) -> None:
    text = inject(json.dumps(signed_diploma()))
    result = verifier().verify_credential(text)
    assert result.verdict == "unusable"
    assert "appears twice" in result.errors[0]["detail"]
