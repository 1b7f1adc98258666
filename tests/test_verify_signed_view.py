"""The verifier reads only what the proof covers (issue 13, part 1).

Each case starts from a genuinely signed document and rewrites its JSON so that the RDF an
eddsa-rdfc-2022 proof signs stays the same (the signature still holds) while the JSON a reader
looks at says something else: a blank-node predicate that RDF drops, an inline context mapping a
term or @vocab to a blank node, nulls and empty arrays that JSON-LD drops, a node repeating the
document's own id. None may ever come out verified; signing such a document must refuse too.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from credkit import sign
from credkit.errors import DataLossError, ProofTransformationError
from credkit.jsonld import fastld, rdfc, shapes
from credkit.proofs import dataintegrity
from credkit.proofs import verify as verify_proofs
from credkit.verify.trust import load_registry
from test_verify_helpers import (
    ACCREDITOR,
    ISSUER,
    OTHER,
    clone,
    diploma,
    signed,
    trust_list_vc,
    verifier,
)

EXPIRED = "2026-07-31T00:00:00Z"  # before test_verify_helpers.NOW


def expiring_diploma() -> dict[str, Any]:
    return signed(diploma(ISSUER.controller, validUntil=EXPIRED))


def test_the_unaltered_expiring_diploma_is_rejected_as_expired() -> None:
    # the baseline every case below starts from: its proof holds and it is expired
    result = verifier().verify_credential(expiring_diploma())
    assert result.check("proof").status == "passed"
    assert result.check("validity").status == "failed"


def _moved(doc: dict[str, Any], key: str) -> dict[str, Any]:
    """``validUntil`` moved from the top level into ``doc[key]``, a node with the document's id."""
    out = clone(doc)
    until = out.pop("validUntil")
    out[key] = {"id": out["id"], "type": "VerifiableCredential", "validUntil": until}
    return out


def test_the_moves_keep_the_signed_rdf_in_stock_json_ld() -> None:
    # independent truth for the cases: stock pyld (no safe mode) canonicalizes the moved document
    # to the very same N-Quads as the signed one, so only data-loss detection can tell them apart
    from pyld import jsonld

    from credkit.jsonld.contexts import DEFAULT_LOADER

    doc = expiring_diploma()
    doc.pop("proof")
    moved = _moved(doc, "_:x")
    options = {"algorithm": "URDNA2015", "format": "application/n-quads"}
    options["documentLoader"] = DEFAULT_LOADER
    assert jsonld.normalize(moved, options) == jsonld.normalize(doc, options)


def _mode(name: str) -> contextlib.AbstractContextManager[None]:
    """The exact path (memoized), stock pyld, or opt-in compiled-shape verification."""
    if name == "stock":
        return fastld.stock()
    if name == "compiled":
        return shapes.verifying()
    return contextlib.nullcontext()


@pytest.mark.parametrize("mode", ["exact", "stock", "compiled"])
def test_blank_node_predicate_hiding_validuntil_never_verifies(mode: str) -> None:
    with _mode(mode):
        # in the compiled mode, warm the cache with the genuine shape first
        assert verifier().verify_credential(expiring_diploma()).check("proof").status == "passed"
        result = verifier().verify_credential(_moved(expiring_diploma(), "_:x"))
    assert result.verdict != "verified"
    assert result.check("proof").status == "failed"
    assert "blank node" in result.check("proof").message


def test_inline_context_term_mapped_to_a_blank_node_never_verifies() -> None:
    doc = _moved(expiring_diploma(), "hidden")
    doc["@context"] = [*doc["@context"], {"hidden": "_:h"}]
    result = verifier().verify_credential(doc)
    assert result.verdict != "verified"
    assert result.check("proof").status == "failed"


def test_inline_vocab_of_blank_nodes_never_verifies() -> None:
    # every word no context defines becomes a blank-node predicate, which RDF drops
    doc = _moved(expiring_diploma(), "hiddenByVocab")
    doc["@context"] = [*doc["@context"], {"@vocab": "_:"}]
    result = verifier().verify_credential(doc)
    assert result.verdict != "verified"
    assert "blank node" in result.check("proof").message


def test_blank_node_status_entry_hides_a_revocation() -> None:
    # the revoked diploma's credentialStatus moved under a blank-node predicate
    from credkit.status import status_entry

    entry = status_entry("https://school.example/status/1", 7, "revocation")
    doc = signed(diploma(ISSUER.controller, credentialStatus=entry))
    attacked = clone(doc)
    attacked["_:s"] = {
        "id": attacked["id"],
        "type": "VerifiableCredential",
        "credentialStatus": attacked.pop("credentialStatus"),
    }
    outcome = verify_proofs(attacked)
    assert not outcome.verified
    assert isinstance(outcome.errors[0], DataLossError)


@pytest.mark.parametrize("key", ["_:x", "_:b0"])
def test_signing_refuses_a_blank_node_predicate(key: str) -> None:
    with pytest.raises(DataLossError, match="blank node"):
        sign(_moved(diploma(ISSUER.controller, validUntil=EXPIRED), key), ISSUER)


def test_blank_node_datatype_is_refused() -> None:
    # N-Quads has no blank-node datatypes: toRdf would write one no reader can parse back
    doc = diploma(ISSUER.controller)
    doc["credentialSubject"]["name"] = {"@value": "x", "@type": "_:t"}
    with pytest.raises(ProofTransformationError):
        rdfc.canonicalize(doc)


def test_node_repeating_the_documents_id_is_not_read_around(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # signed with a nested node that names the credential itself: JSON-LD merges the two, so a
    # holder can move the top-level validUntil into it and keep the signature
    unsigned = diploma(ISSUER.controller, validUntil=EXPIRED)
    unsigned["evidence"] = [{"id": unsigned["id"], "type": ["VerifiableCredential", "Evidence"]}]
    # credkit.sign refuses this shape (issue 14); another signer might not
    monkeypatch.setattr(dataintegrity, "_refuse_hidden_statements", lambda *args: None)
    doc = signed(unsigned)
    attacked = clone(doc)
    attacked["evidence"][0]["validUntil"] = attacked.pop("validUntil")
    assert rdfc.canonicalize({k: v for k, v in attacked.items() if k != "proof"}) == (
        rdfc.canonicalize({k: v for k, v in doc.items() if k != "proof"})
    )
    result = verifier().verify_credential(attacked)
    assert result.verdict != "verified"
    assert "describes the document itself" in result.check("proof").message


@pytest.mark.parametrize("value", [None, []])
def test_signed_trust_list_gaining_an_unsigned_entry_vouches_for_nobody(
    tmp_path: Path, value: Any
) -> None:
    body = trust_list_vc(ACCREDITOR, {ISSUER.controller: {"name": "Example Training Lab"}})
    body["credentialSubject"]["registry"][OTHER.controller] = value
    path = tmp_path / "accredited.json"
    path.write_text(json.dumps(body))
    trust = load_registry([path], anchors=[ACCREDITOR.controller])
    forged = signed(diploma(OTHER.controller), OTHER)
    result = verifier(trust=trust).verify_credential(forged)
    assert result.check("proof").status == "passed"
    assert result.check("trusted_issuer").status == "failed"
    assert result.verdict != "verified"


@pytest.mark.parametrize("value", [None, []])
def test_null_or_empty_array_in_a_credential_is_malformed(value: Any) -> None:
    doc = signed_diploma_with_extra("name", value)
    result = verifier().verify_credential(doc)
    assert result.verdict != "verified"
    assert result.check("proof").status == "failed"


def signed_diploma_with_extra(key: str, value: Any) -> dict[str, Any]:
    doc = signed(diploma(ISSUER.controller))
    doc["credentialSubject"][key] = value
    return doc


def test_jcs_signed_nulls_are_signed_data() -> None:
    # eddsa-jcs-2022 signs the JSON itself: a null it carries is covered by the proof
    unsigned = diploma(ISSUER.controller)
    unsigned["credentialSubject"]["achievement"]["image"] = None
    doc = signed(unsigned, suite="eddsa-jcs-2022")
    assert verify_proofs(doc).verified
    tampered = clone(doc)
    tampered["credentialSubject"]["achievement"]["image"] = []
    assert not verify_proofs(tampered).verified


@pytest.mark.parametrize(
    ("appended", "holds"),
    [
        ({"cohort": "https://school.example/vocab#cohort"}, True),  # a new word: adds meaning
        ({"encodedList": "https://attacker.example/vocab#list"}, False),  # a standard word moved
        ({"xsd": "https://attacker.example/types#"}, False),  # a standard prefix moved
    ],
)
def test_jcs_appended_context_may_add_words_never_move_standard_ones(
    appended: dict[str, str], holds: bool
) -> None:
    doc = signed(diploma(ISSUER.controller), suite="eddsa-jcs-2022")
    doc["@context"] = [*doc["@context"], appended]
    assert verify_proofs(doc).verified is holds


# --- what is shown is what was signed (issue 13 §1, last bullet) ----------------------------

SHOWN = {
    ("credentialSubject", "achievement", "name"): "achievement_name",
    ("name",): "credential_name",
    ("issuer", "name"): "issuer_name",
}


def _at(doc: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def test_the_names_credkit_verify_prints_are_the_signed_ones(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from credkit.cli.verify import verify

    doc = signed(diploma(ISSUER.controller))
    trust = tmp_path / "trusted.txt"
    trust.write_text(ISSUER.controller + "\n")
    path = tmp_path / "d.json"
    path.write_text(json.dumps(doc))
    args = [str(path), "--trust", str(trust), "--at", "2026-11-23T12:00:00Z"]
    shown = CliRunner().invoke(verify, args)
    assert shown.exit_code == 0, shown.output
    result = verifier().verify_credential(doc)
    for where, field in SHOWN.items():
        assert getattr(result, field) == _at(doc, where)
    # the header line names the signed achievement
    assert shown.output.splitlines()[0].startswith(_at(doc, ("credentialSubject", "achievement", "name")))
    for where in SHOWN:  # any other name, however spelled, is not verified
        forged = clone(doc)
        _at(forged, where[:-1])[where[-1]] = "Harvard University"
        path.write_text(json.dumps(forged))
        out = CliRunner().invoke(verify, args)
        assert out.exit_code == 1, (where, out.output)
        assert "\nverified" not in out.output and not out.output.startswith("verified")
        assert verifier().verify_credential(forged).verdict == "not verified"
