"""Signature-preserving JSON-LD rewrites must not change what the verifier reads.

An eddsa-rdfc-2022 proof signs RDF; the verifier reads JSON. Each attack below re-spells a signed
statement (validUntil, validFrom, credentialStatus, a status list's id/validUntil, a proof's
expires) so that the RDF -- and so the signature -- is unchanged but a JSON reader no longer sees
it. Before credkit.jsonld.jsonview every one of them read as "verified".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from credkit.status import Bitstring, DirectoryFetcher, status_list_credential
from credkit.verify import Verifier
from test_verify_helpers import (
    ISSUER,
    STATUS_BASE,
    diploma,
    signed,
    signed_diploma,
    status_setup,
    trust_list_vc,
    verifier,
)

CRED = "https://www.w3.org/2018/credentials#"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"


def _nest(name: str) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        doc["@nest"] = {name: doc.pop(name)}

    return edit


def _iri_key(name: str, typed: bool) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        value = doc.pop(name)
        doc[CRED + name] = {"@value": value, "@type": XSD_DATETIME} if typed else value

    return edit


def _inline_alias(name: str) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        value = doc.pop(name)
        doc["@context"] = [*doc["@context"], {"vu": {"@id": CRED + name, "@type": XSD_DATETIME}}]
        doc["vu"] = value

    return edit


def _keyword_alias(name: str) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        doc["@context"] = [*doc["@context"], {"meta": "@nest"}]
        doc["meta"] = {name: doc.pop(name)}

    return edit


def _prefix_alias(name: str) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        value = doc.pop(name)
        doc["@context"] = [*doc["@context"], {"w3": "https://www.w3.org/"}]
        doc[f"w3:2018/credentials#{name}"] = {"@value": value, "@type": XSD_DATETIME}

    return edit


HIDE_EXPIRY = [
    pytest.param(_nest("validUntil"), id="@nest"),
    pytest.param(_iri_key("validUntil", typed=True), id="full-IRI key"),
    pytest.param(_inline_alias("validUntil"), id="inline term alias"),
    pytest.param(_keyword_alias("validUntil"), id="inline keyword alias of @nest"),
    pytest.param(_prefix_alias("validUntil"), id="inline prefix + compact IRI"),
]


@pytest.mark.parametrize("edit", HIDE_EXPIRY)
def test_expired_diploma_cannot_hide_validuntil(edit: Callable[[dict[str, Any]], None]) -> None:
    doc = signed_diploma(validUntil="2026-10-01T00:00:00Z")
    assert verifier().verify_credential(doc).verdict == "not verified"  # expired
    edit(doc)
    result = verifier().verify_credential(doc)
    assert result.verdict != "verified", result.to_json()
    proof = result.check("proof")
    assert proof is not None and proof.status == "failed"
    assert proof.error["type"].endswith("#MALFORMED_VALUE_ERROR")


def test_future_diploma_cannot_hide_validfrom() -> None:
    doc = signed_diploma(validFrom="2027-06-30T00:00:00Z")
    doc.pop("credentialSchema")  # the OB schema would also notice a missing validFrom
    doc = signed(doc, ISSUER)
    _nest("validFrom")(doc)
    assert verifier().verify_credential(doc).verdict == "not verified"


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(_nest("credentialStatus"), id="@nest"),
        pytest.param(
            lambda d: d.__setitem__(CRED + "credentialStatus", d.pop("credentialStatus")),
            id="IRI key",
        ),
        pytest.param(
            lambda d: d.__setitem__("credentialStatus", {"@set": [d["credentialStatus"]]}),
            id="@set",
        ),
        pytest.param(_keyword_alias("credentialStatus"), id="keyword alias"),
    ],
)
def test_revoked_diploma_cannot_hide_its_status(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None]
) -> None:
    entry, fetcher = status_setup(tmp_path, revoked=(7,))
    doc = signed_diploma(credentialStatus=entry)
    assert verifier(status_fetcher=fetcher).verify_credential(doc).verdict == "not verified"
    edit(doc)
    result = verifier(status_fetcher=fetcher).verify_credential(doc)
    assert result.verdict == "not verified", result.to_json()


def _list(url: str, bits: Bitstring, **kw: Any) -> dict[str, Any]:
    unsigned = status_list_credential(
        url,
        ISSUER.controller,
        "revocation",
        bits,
        valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        **kw,
    )
    return signed(unsigned, ISSUER)


def test_clean_status_list_cannot_stand_in_for_another_by_spelling_id_as_at_id(
    tmp_path: Path,
) -> None:
    entry, _ = status_setup(tmp_path, revoked=(7,))
    doc = signed_diploma(credentialStatus=entry)
    other = _list(f"{STATUS_BASE}/2", Bitstring())  # the issuer's other list: bit 7 clear
    other["@id"] = other.pop("id")  # same RDF; the "id != URL" check no longer sees it
    (tmp_path / "1").write_text(json.dumps(other))
    fetcher = DirectoryFetcher(tmp_path, base_url=STATUS_BASE)
    result = verifier(status_fetcher=fetcher).verify_credential(doc)
    assert result.verdict == "not verified", result.to_json()
    assert result.check("status").status == "failed"


def test_expired_status_list_cannot_hide_its_validuntil(tmp_path: Path) -> None:
    entry, _ = status_setup(tmp_path)
    doc = signed_diploma(credentialStatus=entry)
    stale = _list(f"{STATUS_BASE}/1", Bitstring(), valid_until=datetime(2026, 2, 1, tzinfo=UTC))
    stale["@nest"] = {"validUntil": stale.pop("validUntil")}
    (tmp_path / "1").write_text(json.dumps(stale))
    fetcher = DirectoryFetcher(tmp_path, base_url=STATUS_BASE)
    assert verifier(status_fetcher=fetcher).verify_credential(doc).verdict == "not verified"


@pytest.mark.parametrize("spelling", ["@nest", "iri"])
def test_expired_proof_cannot_hide_expires(spelling: str) -> None:
    doc = signed(diploma(ISSUER.controller), ISSUER, expires="2026-07-01T00:00:00Z")
    assert verifier().verify_credential(doc).check("proof").status == "failed"
    proof = doc["proof"][0]
    value = proof.pop("expires")
    if spelling == "@nest":
        proof["@nest"] = {"expires": value}
    else:
        proof["https://w3id.org/security#expiration"] = {"@value": value, "@type": XSD_DATETIME}
    assert verifier().verify_credential(doc).verdict == "not verified"


@pytest.mark.parametrize("key", ["@id", "@type", "@included", "@reverse", "@graph", "@index"])
def test_stray_keywords_in_an_rdfc_signed_diploma_are_refused(key: str) -> None:
    doc = signed_diploma()
    doc["credentialSubject"][key] = {"id": "urn:x"} if key != "@index" else "x"
    assert verifier().verify_credential(doc).verdict != "verified"


def test_clean_documents_and_legitimate_json_ld_still_verify() -> None:
    # a language value object, a DID as a registry key, an extension term via undefined-terms
    doc = diploma(ISSUER.controller)
    doc["name"] = [{"@value": "Kryptographie", "@language": "de", "@direction": "ltr"}]
    result = verifier().verify_credential(signed(doc, ISSUER))
    assert result.check("proof").status == "passed", result.to_json()
    tl = trust_list_vc(ISSUER, {"did:key:z6MkexampleIssuer": {"name": "School"}})
    assert Verifier(clock=verifier().clock).verify_credential(tl).check("proof").status == "passed"


def test_benign_inline_context_still_verifies_when_not_strict() -> None:
    doc = diploma(ISSUER.controller)
    doc["@context"] = [*doc["@context"], {"gpa": "https://school.example/vocab#gpa"}]
    doc["credentialSubject"]["gpa"] = "3.9"
    result = verifier().verify_credential(signed(doc, ISSUER))
    assert result.check("proof").status == "passed", result.to_json()


def test_jcs_proofs_are_not_affected() -> None:
    # eddsa-jcs-2022 signs the JSON itself: what is read is what was signed
    doc = signed(diploma(ISSUER.controller), ISSUER, suite="eddsa-jcs-2022")
    assert verifier().verify_credential(doc).verdict == "verified"
