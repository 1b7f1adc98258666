"""Proof sets, proof chains and exact copies of a proof (issue 16).

VC Data Integrity 1.0 "Proof Sets" and "Proof Chains" (§2.1.1, §2.1.2) and the verification
algorithm for them (§4.5): every proof must verify; a credential needs at least one valid proof by
a key its issuer controls (§2.6), and valid proofs by others are co-signers, named in the result;
each ``previousProof`` must name a proof of the set that verifies, with no cycle; two identical
proofs are one signature said twice, counted once with a warning.
"""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

import pytest

from credkit import proofs, sign
from credkit.identity.keys import KeyPair
from credkit.jsonld.contexts import DEFAULT_LOADER, VC_V2
from credkit.proofs.suites import by_name
from credkit.verify import Verifier
from credkit.verify.result import VerificationResult
from test_verify_helpers import HOLDER, ISSUER, OTHER, diploma, seeded, signed, signed_diploma

THIRD = seeded(24)
CREATED = "2026-06-30T00:00:00Z"


def cosigned(doc: dict[str, Any], *keys: KeyPair, suite: str = "eddsa-rdfc-2022") -> Any:
    for n, key in enumerate(keys):
        doc = sign(doc, key, cryptosuite=suite, created=f"2026-07-0{n + 1}T00:00:00Z")
    return doc


def chain(length: int, suite: str = "eddsa-rdfc-2022") -> dict[str, Any]:
    """The issuer's proof, then ``length - 1`` proofs each naming the one before (credkit signs
    each over the document plus the proof it names, DI §4.3)."""
    keys = [ISSUER, OTHER, THIRD]
    doc = signed(diploma(ISSUER.controller), ISSUER, suite, proof_id="urn:proof:1")
    for n in range(2, length + 1):
        doc = sign(
            doc,
            keys[n - 1],
            cryptosuite=suite,
            created=CREATED,
            proof_id=f"urn:proof:{n}",
            previous_proof=f"urn:proof:{n - 1}",
        )
    return doc


def unbound_link(doc: dict[str, Any], key: KeyPair, previous: Any, **extra: Any) -> Any:
    """A chained proof as @digitalbazaar/data-integrity 2.x (the W3C suites) makes it: the
    ``previousProof`` is in the proof options, the previous proofs are not signed."""
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": CREATED,
        "verificationMethod": key.id,
        "proofPurpose": "assertionMethod",
        "previousProof": previous,
        **extra,
    }
    proof = by_name("eddsa-rdfc-2022").create(unsecured, options, key, DEFAULT_LOADER)
    return {**doc, "proof": [*proofs.proofs_of(doc), proof]}


def check_of(result: VerificationResult, check_id: str = "proof") -> Any:
    check = result.check(check_id)
    assert check is not None, result.to_json()
    return check


# --- proof sets ----------------------------------------------------------------------------


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_a_co_signed_credential_verifies_and_names_the_co_signer(suite: str) -> None:
    doc = cosigned(signed_diploma(), OTHER, suite=suite)
    result = Verifier().verify_credential(doc)
    check = check_of(result)
    assert check.status == "passed", result.to_json()
    assert f"co-signed by {OTHER.controller}" in check.message
    assert ISSUER.controller in check.message
    assert result.co_signers == [OTHER.controller]
    roles = {s["controller"]: s["role"] for s in check.details["signers"]}
    assert roles == {ISSUER.controller: "issuer", OTHER.controller: "co-signer"}
    assert check.to_json()["details"]["coSigners"] == [OTHER.controller]


def test_co_signers_are_named_whatever_the_order_of_the_set() -> None:
    doc = cosigned(signed_diploma(), OTHER, THIRD)
    messages = set()
    for order in itertools.permutations(doc["proof"]):
        check = check_of(Verifier().verify_credential({**doc, "proof": list(order)}))
        assert check.status == "passed"
        messages.add(check.message)
    assert len(messages) == 1
    (message,) = messages
    assert f"co-signed by {', '.join(sorted([OTHER.controller, THIRD.controller]))}" in message


def test_only_co_signers_and_no_issuer_proof_fails() -> None:
    doc = cosigned(signed(diploma(ISSUER.controller), OTHER), THIRD)
    result = Verifier().verify_credential(doc)
    check = check_of(result)
    assert check.status == "failed" and result.verdict == "not verified"
    assert "does not belong to the issuer" in check.message
    assert check.error["title"] == "INVALID_VERIFICATION_METHOD"
    # the library's proof set is fine: every proof verifies, the binding is the verifier's rule
    assert proofs.verify(doc).verified


@pytest.mark.parametrize("which", [0, 1])
def test_a_tampered_proof_fails_the_whole_set(which: int) -> None:
    doc = cosigned(signed_diploma(), OTHER)
    doc["proof"][which]["created"] = "2026-08-01T00:00:00Z"
    result = Verifier().verify_credential(doc)
    check = check_of(result)
    assert check.status == "failed" and result.verdict == "not verified"
    assert f"proof {which + 1} of 2: signature not valid" in check.message


def test_a_co_signer_whose_key_cannot_be_checked_fails_closed() -> None:
    stranger = seeded(22, controller="did:example:nobody", key_id="did:example:nobody#k1")
    result = Verifier().verify_credential(cosigned(signed_diploma(), stranger))
    assert check_of(result).status == "failed" and result.verdict == "not verified"


def test_an_offline_co_signer_is_inconclusive_and_named() -> None:
    web = seeded(21, controller="did:web:cosigner.example", key_id="did:web:cosigner.example#k1")
    result = Verifier().verify_credential(cosigned(signed_diploma(), web))
    check = check_of(result)
    assert check.status == "skipped" and not check.conclusive
    assert result.verdict == "inconclusive"
    assert "co-signer" in check.message and "did:web:cosigner.example#k1" in check.message


def test_a_presentation_still_takes_only_the_holder() -> None:
    # DI §2.6 for presentations: the holder authenticates; a second signer is not a co-signer
    vp: dict[str, Any] = {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "holder": HOLDER.controller,
        "verifiableCredential": [signed_diploma()],
    }
    for key in (HOLDER, OTHER):
        vp = sign(vp, key, proof_purpose="authentication", challenge="c1", created=CREATED)
    check = check_of(Verifier().verify_presentation(vp, challenge="c1"), "presentation_proof")
    assert check.status == "failed" and "does not belong to the holder" in check.message


def test_vcapi_answer_stays_in_shape_with_co_signers() -> None:
    from credkit.server.vcapi import VerificationResponse
    from credkit.verify.report import vcapi_json

    body = vcapi_json(Verifier().verify_credential(cosigned(signed_diploma(), OTHER)))
    VerificationResponse.model_validate(body)
    proof = next(r for r in body["results"] if r["id"] == "proof")
    assert proof["details"]["coSigners"] == [OTHER.controller]
    assert "proof" in body["checks"]


# --- proof chains --------------------------------------------------------------------------


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
@pytest.mark.parametrize("length", [2, 3])
def test_a_chain_of_two_or_three_verifies(length: int, suite: str) -> None:
    doc = chain(length, suite)
    outcome = proofs.verify(doc)
    assert outcome.verified and not outcome.warnings
    assert not any(r.unbound_chain for r in outcome.results)
    result = Verifier().verify_credential(doc)
    check = check_of(result)
    assert check.status == "passed", result.to_json()
    assert len(result.co_signers) == length - 1


def test_a_chain_link_signs_the_proof_it_names() -> None:
    # the previous proof is part of what the chained proof signed: swap it for another valid
    # proof with the same id and the chained proof fails (credkit's chain is bound, DI §4.3)
    doc = chain(2)
    doc["proof"][0] = sign(
        {k: v for k, v in doc.items() if k != "proof"},
        ISSUER,
        created="2026-06-29T00:00:00Z",
        proof_id="urn:proof:1",
    )["proof"][0]
    outcome = proofs.verify(doc)
    assert [r.verified for r in outcome.results] == [True, False]


@pytest.mark.parametrize("previous", ["urn:proof:missing", ["urn:proof:missing"]])
def test_a_dangling_previous_proof_fails(previous: Any) -> None:
    doc = signed_diploma()
    doc = sign(doc, OTHER, created=CREATED, previous_proof=None)
    doc["proof"][1]["previousProof"] = previous
    result = Verifier().verify_credential(doc)
    check = check_of(result)
    assert check.status == "failed" and "urn:proof:missing" in check.message
    assert check.error["title"] == "PROOF_VERIFICATION_ERROR"
    # also when the dangling link was signed that way (no signature could be valid otherwise)
    doc = unbound_link(signed_diploma(), OTHER, previous)
    assert check_of(Verifier().verify_credential(doc)).status == "failed"


@pytest.mark.parametrize("previous", [[], [""], 7, ["urn:proof:1", 7]])
def test_a_malformed_previous_proof_fails(previous: Any) -> None:
    doc = chain(2)
    doc["proof"][1]["previousProof"] = previous
    assert check_of(Verifier().verify_credential(doc)).status == "failed"


def test_a_chain_whose_named_proof_fails_fails() -> None:
    doc = chain(3)
    doc["proof"][0]["proofValue"] = "zinvalidProofValue"
    outcome = proofs.verify(doc)
    assert [r.verified for r in outcome.results] == [False, False, False]
    assert "did not verify" in str(outcome.results[2].error)


def test_a_cycle_fails() -> None:
    # signed as the JS libraries sign chains (without the named proofs), a cycle could verify
    base = {**diploma(ISSUER.controller)}
    doc = unbound_link(base, ISSUER, "urn:proof:b", id="urn:proof:a")
    doc = unbound_link(doc, OTHER, "urn:proof:a", id="urn:proof:b")
    outcome = proofs.verify(doc)
    assert not outcome.verified
    assert all("cycle" in str(r.error) for r in outcome.results)
    assert check_of(Verifier().verify_credential(doc)).status == "failed"
    # a proof naming itself is the smallest cycle
    doc = unbound_link(signed_diploma(), OTHER, "urn:proof:self", id="urn:proof:self")
    outcome = proofs.verify(doc)
    assert [r.verified for r in outcome.results] == [True, False]
    assert "cycle" in str(outcome.results[1].error)


def test_a_chain_signed_without_the_named_proofs_verifies_with_a_warning() -> None:
    # what the W3C eddsa suite sends (previousProofString / previousProofArray)
    first = signed(diploma(ISSUER.controller), ISSUER, proof_id="urn:uuid:test:first:proof")
    for previous in ("urn:uuid:test:first:proof", ["urn:uuid:test:first:proof"]):
        doc = unbound_link(first, ISSUER, previous)
        result = Verifier().verify_credential(doc)
        check = check_of(result)
        assert check.status == "passed", result.to_json()
        assert any("chain order is not signed" in w for w in result.all_warnings)
        # --strict refuses the unsigned link
        strict = Verifier(strict=True).verify_credential(doc)
        assert check_of(strict).status == "failed"
        assert "previousProof it did not sign" in check_of(strict).message
    # and the suite's previousProofFail: the named proof is broken
    doc = unbound_link(first, ISSUER, "urn:uuid:test:first:proof")
    doc["proof"][0]["proofValue"] = "invalidProofValue"
    assert Verifier().verify_credential(doc).verdict == "not verified"


def test_a_bound_chain_never_falls_back_to_the_unbound_reading() -> None:
    doc = chain(2)
    doc["proof"][1]["created"] = "2026-08-01T00:00:00Z"  # the chained proof itself altered
    outcome = proofs.verify(doc)
    assert [r.verified for r in outcome.results] == [True, False]
    assert not outcome.results[1].unbound_chain


# --- exact copies ----------------------------------------------------------------------------


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_the_same_proof_twice_is_counted_once_with_a_warning_in_any_order(suite: str) -> None:
    doc = signed(diploma(ISSUER.controller), ISSUER, suite)
    twice = {**doc, "proof": [doc["proof"][0], copy.deepcopy(doc["proof"][0])]}
    # key order does not make a different proof
    twice["proof"][1] = json.loads(json.dumps(twice["proof"][1], sort_keys=True))
    reordered = {**twice, "proof": list(reversed(twice["proof"]))}
    answers = set()
    for _ in range(2):
        for variant in (twice, reordered):
            result = Verifier().verify_credential(copy.deepcopy(variant))
            check = check_of(result)
            warnings = tuple(w for w in result.all_warnings if w.startswith("proof:"))
            answers.add((result.verdict, check.status, check.message, warnings))
            outcome = proofs.verify(copy.deepcopy(variant))
            assert outcome.verified and outcome.copies == [(2, 1)]
            assert [r.number for r in outcome.results] == [1]
    assert len(answers) == 1, answers
    ((verdict, status, _, warnings),) = answers
    assert status == "passed" and verdict in ("verified", "inconclusive")
    assert warnings == (
        "proof: proof 2 is an exact copy of proof 1: counted once "
        "(a proof set holds each proof once, VC Data Integrity 1.0 §2.1)",
    )


def test_copies_of_a_bad_proof_still_fail_and_copies_add_no_signer() -> None:
    doc = cosigned(signed_diploma(), OTHER)
    doc["proof"].append(copy.deepcopy(doc["proof"][1]))
    check = check_of(Verifier().verify_credential(doc))
    assert check.status == "passed" and check.details["coSigners"] == [OTHER.controller]
    assert len(check.details["signers"]) == 2
    bad = copy.deepcopy(doc)
    bad["proof"][1]["proofValue"] = bad["proof"][2]["proofValue"] = "z" + "1" * 80
    assert check_of(Verifier().verify_credential(bad)).status == "failed"


def test_two_different_proofs_with_one_id_are_refused() -> None:
    doc = chain(2)
    doc["proof"][1]["id"] = "urn:proof:1"
    assert check_of(Verifier().verify_credential(doc)).status == "failed"


def test_the_w3c_chain_vector_verifies_its_proofs_and_names_all_signers() -> None:
    from conftest import load

    doc = load("vc-di-eddsa/proof-set-chain/signedProofChain2.json")
    outcome = proofs.verify(doc)
    assert outcome.verified and not outcome.warnings
    # none of its four keys is the issuer's (https://vc.example/issuers/5678): not bound
    check = check_of(Verifier().verify_credential(doc))
    assert check.status == "failed" and "does not belong to the issuer" in check.message


def test_the_cli_names_co_signers_and_shows_the_copy_warning(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from credkit.cli.verify import verify as verify_command

    doc = cosigned(signed_diploma(), OTHER)
    doc["proof"].append(copy.deepcopy(doc["proof"][0]))
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    run = CliRunner().invoke(verify_command, [str(path)])
    assert f"co-signed by {OTHER.controller}" in run.output
    assert "proof: proof 3 is an exact copy of proof 1" in run.output
    run = CliRunner().invoke(verify_command, [str(path), "--json"])
    body = json.loads(run.output)
    proof = next(c for c in body["checks"] if c["id"] == "proof")
    assert proof["details"]["coSigners"] == [OTHER.controller]
    assert any("exact copy" in w for w in body["warnings"])


# --- the JavaScript reference (tests/interop/jsref.py) ----------------------------------------


@pytest.fixture(scope="module")
def js() -> Any:
    from interop.jsref import (
        JsReference,
        ReferenceUnavailableError,
        interop_must_run,
        skip_requested,
    )

    if skip_requested():
        pytest.skip("CREDKIT_SKIP_INTEROP is set")
    try:
        return JsReference.setup()
    except ReferenceUnavailableError as exc:
        if interop_must_run():
            pytest.fail(f"interop reference unavailable in CI (CI=true): {exc}", pytrace=False)
        pytest.skip(f"interop reference unavailable: {exc}")


@pytest.mark.interop
@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_a_co_signature_added_by_the_reference_is_named_by_credkit(js: Any, suite: str) -> None:
    theirs = js.sign(
        signed_diploma(),
        OTHER.to_multikey(include_secret=True),
        cryptosuite=suite,
        created=CREATED,
        mode="proof",
    )
    assert len(theirs["proof"]) == 2
    check = check_of(Verifier().verify_credential(theirs))
    assert check.status == "passed" and check.details["coSigners"] == [OTHER.controller]
    out = js.verify(theirs, mode="proof")
    assert out["verified"] is True and [p["verified"] for p in out["proofs"]] == [True, True]


@pytest.mark.interop
def test_the_reference_verifies_credkits_co_signed_set(js: Any) -> None:
    out = js.verify(cosigned(signed_diploma(), OTHER), mode="proof")
    assert out["verified"] is True, out["error"]
    assert [p["verified"] for p in out["proofs"]] == [True, True]


@pytest.mark.interop
def test_chains_the_reference_and_credkit_read_differently(js: Any) -> None:
    """A known difference, pinned so a change on either side shows.

    The reference (@digitalbazaar/data-integrity 2.x) signs and checks a chained proof over the
    document alone. credkit signs the named proofs too (DI §4.3), as the W3C chain vector does
    (test_vectors_eddsa reproduces it byte for byte): the reference fails the chained proofs of
    that vector and of credkit's chains, and still answers verified=True, as jsonld-signatures
    counts a set verified when some proof is. credkit reads the reference's chains, with a warning.
    """
    from conftest import load

    for doc in (chain(2), load("vc-di-eddsa/proof-set-chain/signedProofChain2.json")):
        out = js.verify(doc, mode="proof")
        links = [
            p["verified"]
            for p, raw in zip(out["proofs"], doc["proof"], strict=True)
            if "previousProof" in raw
        ]
        assert links and not any(links), out
        assert proofs.verify(doc).verified
    theirs = unbound_link(
        signed(diploma(ISSUER.controller), ISSUER, proof_id="urn:proof:1"), OTHER, "urn:proof:1"
    )
    out = js.verify(theirs, mode="proof")
    assert [p["verified"] for p in out["proofs"]] == [True, True], out
    outcome = proofs.verify(theirs)
    assert outcome.verified and outcome.results[1].unbound_chain
