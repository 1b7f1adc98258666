"""trusted_issuer and endorsements: who vouches for the issuer, in words an employer can use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from credkit.jsonld.contexts import OB_EXTENSIONS, OB_V3P0, VC_V2
from credkit.verify.trust import (
    TrustListError,
    TrustRegistry,
    load_registry,
    load_trust_list,
    parse_plain,
)
from test_verify_helpers import (
    ACCREDITOR,
    ISSUER,
    OTHER,
    clone,
    diploma,
    signed,
    signed_diploma,
    trust_list_vc,
    verifier,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "trust"


def registry_file(tmp: Path, name: str, body: object) -> Path:
    path = tmp / name
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return path


# --- list formats -----------------------------------------------------------------------------


def test_plain_list_ignores_comments_and_blank_lines() -> None:
    tl = parse_plain(f"# employer list\n\n{ISSUER.controller}  # our main school\n")
    assert list(tl.entries) == [ISSUER.controller]


def test_plain_list_rejects_a_line_that_is_not_a_did() -> None:
    with pytest.raises(TrustListError, match="line 2"):
        parse_plain("did:web:ok.example\nnot a did\n")


@pytest.mark.parametrize("key", ["registry", "entries"])
def test_dcc_registry_vouches_with_name(tmp_path: Path, key: str) -> None:
    body = {
        "meta": {"created": "2026-01-01T00:00:00Z", "name": "State registry"},
        key: {ISSUER.controller: {"name": "Example Training Lab", "location": "Lyon, FR"}},
    }
    trust = load_registry([registry_file(tmp_path, "r.json", body)])
    result = verifier(trust=trust).verify_credential(signed_diploma())
    check = result.check("trusted_issuer")
    assert check.status == "passed"
    assert check.message == "issuer listed in 'State registry' as 'Example Training Lab'"


def test_most_authoritative_list_names_the_issuer(tmp_path: Path) -> None:
    first = registry_file(tmp_path, "a.json", {"registry": {ISSUER.controller: {"name": "A"}}})
    second = registry_file(tmp_path, "b.json", {"registry": {ISSUER.controller: {"name": "B"}}})
    trust = load_registry([first, second])
    message = verifier(trust=trust).verify_credential(signed_diploma()).check("trusted_issuer")
    assert "'a.json' as 'A'" in message.message


def test_issuer_found_on_second_list(tmp_path: Path) -> None:
    first = registry_file(tmp_path, "first.txt", "did:web:someone-else.example\n")
    second = registry_file(tmp_path, "second.txt", f"{ISSUER.controller}\n")
    result = verifier(trust=load_registry([first, second])).verify_credential(signed_diploma())
    assert "'second.txt'" in result.check("trusted_issuer").message and result.verified


def test_example_files_load() -> None:
    trust = load_registry([EXAMPLES / "registry.json", EXAMPLES / "trusted-issuers.txt"])
    assert len(trust) == 2 and all(t.entries for t in trust.lists)


def test_unreadable_trust_list_raises_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TrustListError, match="cannot read"):
        load_trust_list(tmp_path / "missing.json")
    with pytest.raises(TrustListError, match="registry"):
        load_trust_list(registry_file(tmp_path, "x.json", {"meta": {}}))


# --- the check --------------------------------------------------------------------------------


def test_untrusted_issuer_has_valid_signature_but_is_not_verified() -> None:
    result = verifier(trust=TrustRegistry.of(["did:web:other.example"])).verify_credential(
        signed_diploma()
    )
    assert result.check("proof").status == "passed"
    check = result.check("trusted_issuer")
    assert check.status == "failed" and "not on your trust lists" in check.message
    assert check.error["type"] == "urn:credkit:problem:ISSUER_NOT_TRUSTED"
    assert result.verdict == "not verified"
    assert result.summary == "not verified: issuer not trusted"


def test_no_trust_list_is_skipped_with_a_warning_never_silently_passed() -> None:
    result = verifier(trust=None).verify_credential(signed_diploma())
    assert result.check("trusted_issuer").status == "skipped"
    assert result.verdict == "verified"  # everything checkable passed ...
    assert "no trust list" in result.summary  # ... but the sentence says trust was not decided
    assert any("trust list" in w for w in result.to_json()["warnings"])


# --- signed trust lists -----------------------------------------------------------------------


def signed_list(tmp: Path, suite: str = "eddsa-rdfc-2022") -> Path:
    body = trust_list_vc(ACCREDITOR, {ISSUER.controller: {"name": "Example Training Lab"}}, suite)
    return registry_file(tmp, "accredited.json", body)


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_signed_trust_list_from_anchor_vouches(tmp_path: Path, suite: str) -> None:
    trust = load_registry([signed_list(tmp_path, suite)], anchors=[ACCREDITOR.controller])
    result = verifier(trust=trust).verify_credential(signed_diploma())
    check = result.check("trusted_issuer")
    assert check.status == "passed", check
    assert "'Accredited training providers 2026' as 'Example Training Lab'" in check.message
    assert f"vouched for by National Accreditation Board ({ACCREDITOR.controller})" in (
        check.message
    )


def test_altered_signed_trust_list_is_not_trusted(tmp_path: Path) -> None:
    path = signed_list(tmp_path)
    body = json.loads(path.read_text())
    body["credentialSubject"]["registry"][OTHER.controller] = {"name": "Diploma Mill"}
    path.write_text(json.dumps(body))
    trust = load_registry([path], anchors=[ACCREDITOR.controller])
    forged = signed(diploma(OTHER.controller), OTHER)
    result = verifier(trust=trust).verify_credential(forged)
    check = result.check("trusted_issuer")
    assert check.status == "failed"
    assert "was ignored" in check.message and "signature not valid" in check.message
    assert result.summary == "not verified: issuer not trusted"


def test_signed_trust_list_from_non_anchor_is_ignored(tmp_path: Path) -> None:
    trust = load_registry([signed_list(tmp_path)], anchors=["did:web:some-other-body.example"])
    check = verifier(trust=trust).verify_credential(signed_diploma()).check("trusted_issuer")
    assert check.status == "failed" and "not one of your trust anchors" in check.message


def test_expired_signed_trust_list_is_ignored(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from credkit.verify import Verifier

    trust = load_registry([signed_list(tmp_path)], anchors=[ACCREDITOR.controller])
    later = Verifier(clock=lambda: datetime(2027, 6, 1, tzinfo=UTC), trust=trust)
    check = later.verify_credential(signed_diploma()).check("trusted_issuer")
    assert check.status == "failed" and "expired" in check.message


# --- endorsements -----------------------------------------------------------------------------


def endorsement(endorser=ACCREDITOR, **extra: object) -> dict:  # type: ignore[no-untyped-def, type-arg]
    doc = {
        "@context": [VC_V2, OB_V3P0, OB_EXTENSIONS],
        "id": "urn:uuid:e0000000-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "Programme accreditation",
        "issuer": {"id": endorser.controller, "type": ["Profile"], "name": "Accreditation Board"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "https://school.example/achievements/applied-crypto",
            "type": ["EndorsementSubject"],
            "endorsementComment": "An accredited programme.",
        },
    }
    doc.update(extra)
    return signed(doc, endorser)


def with_endorsement(e: dict) -> dict:  # type: ignore[type-arg]
    doc = diploma(ISSUER.controller)
    doc["credentialSubject"]["achievement"]["endorsement"] = [e]
    return signed(doc)


def test_valid_endorsement_names_the_endorser() -> None:
    result = verifier().verify_credential(with_endorsement(endorsement()))
    check = result.check("endorsements")
    assert check.status == "passed", check
    # no trust list knows the endorser: its DID, and its name marked as its own description
    assert check.message == (
        f'endorsed by {ACCREDITOR.controller} (self-described as "Accreditation Board")'
    )
    assert result.verified


def test_forged_endorsement_fails() -> None:
    e = endorsement()
    e["credentialSubject"]["endorsementComment"] = "The best programme in the world."
    result = verifier().verify_credential(with_endorsement(e))
    check = result.check("endorsements")
    assert check.status == "failed" and "Accreditation Board" in check.message
    assert result.summary == "not verified: invalid endorsement"


def test_endorsement_signed_by_someone_else_fails() -> None:
    e = endorsement()
    e = signed({k: v for k, v in e.items() if k != "proof"}, OTHER)
    check = verifier().verify_credential(with_endorsement(e)).check("endorsements")
    assert check.status == "failed" and "does not belong to the issuer" in check.message


def test_expired_endorsement_fails_and_is_not_listed() -> None:
    # OB 3.0 §9.2 checks an endorsement's dates; §9.1 verifies the badge only if all steps pass
    e = endorsement(validUntil="2026-02-01T00:00:00Z")
    result = verifier().verify_credential(with_endorsement(clone(e)))
    check = result.check("endorsements")
    assert check.status == "failed" and check.reason == "endorsement expired"
    assert "expired" in check.message and "endorsed by" not in check.message
