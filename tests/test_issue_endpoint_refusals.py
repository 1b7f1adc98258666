"""The issuer signs only what it means to sign (issue 14, "Sign only what you mean to sign").

``POST /credentials/issue`` used to check only the JSON keys ``issuer`` and ``credentialStatus``:
a token holder got signed, stored credentials whose *signed data* named a second issuer or a
foreign status list (a full-IRI key, an inline alias or prefix, ``@graph``/``@included``/
``@reverse``), Open Badges credentials that break the OB 3.0 schema, and a
``BitstringStatusListCredential`` with the service's own list URL as its id. Each is refused now,
before signing, with a 400/422 naming the field; ``credkit.sign`` refuses the hidden statements
for the RDF suites too, so the CLI and cohorts share the rule.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from credkit import KeyPair, sign
from credkit.errors import ProofGenerationError
from credkit.jsonld.contexts import VC_V2
from credkit.proofs import verify
from test_server_helpers import TOKEN, Server, diploma, serve_workspace

CRED = "https://www.w3.org/2018/credentials#"
STATUS_ENTRY = {
    "id": "https://evil.example/status/1#7",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "revocation",
    "statusListIndex": "7",
    "statusListCredential": "https://evil.example/status/1",
}
SECOND_ISSUER = {"id": "did:example:someone-else"}

# (label, changes to an unsigned credential, words the refusal must contain: the field)
HIDDEN: list[tuple[str, dict[str, Any], str]] = [
    ("full-IRI issuer", {CRED + "issuer": SECOND_ISSUER}, CRED + "issuer"),
    ("full-IRI status", {CRED + "credentialStatus": STATUS_ENTRY}, CRED + "credentialStatus"),
    (
        "alias of credentialStatus",
        {"@context+": {"cs": {"@id": CRED + "credentialStatus"}}, "cs": STATUS_ENTRY},
        "'cs'",
    ),
    (
        "alias of issuer",
        {"@context+": {"signer": CRED + "issuer"}, "signer": SECOND_ISSUER},
        "'signer'",
    ),
    ("prefix", {"@context+": {"cred": CRED}, "cred:issuer": SECOND_ISSUER}, "cred:issuer"),
    (
        "@included at the top",
        {"@included": [{"id": "urn:x:1", "type": "VerifiableCredential", "issuer": "did:x:e"}]},
        "@included",
    ),
    ("@reverse at the top", {"@reverse": {CRED + "issuer": SECOND_ISSUER}}, "@reverse"),
    (
        "@graph nested",
        {"credentialSubject+": {"@graph": [{"id": "urn:x:2", CRED + "issuer": SECOND_ISSUER}]}},
        "@graph",
    ),
    (
        "@included nested",
        {"credentialSubject+": {"@included": [{"id": "urn:x:3", "type": "VerifiableCredential",
                                               "issuer": "did:x:e"}]}},
        "@included",
    ),
]  # fmt: skip


def hostile(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes``; ``@context+`` appends an inline context, ``credentialSubject+``
    merges into the subject."""
    doc = copy.deepcopy(base)
    for key, value in changes.items():
        if key == "@context+":
            doc["@context"] = [*doc["@context"], value]
        elif key == "credentialSubject+":
            doc["credentialSubject"] = {**doc["credentialSubject"], **value}
        else:
            doc[key] = value
    return doc


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = serve_workspace(tmp_path_factory.mktemp("refusals"))
    yield srv
    srv.stop()


def _issue(server: Server, credential: dict[str, Any], **options: Any) -> Any:
    return server(
        "POST", "/credentials/issue", {"credential": credential, "options": options}, token=TOKEN
    )


def _refused(answer: Any, *words: str) -> None:
    assert answer.status in (400, 422), answer
    detail = answer.json()["detail"]
    assert "\n" not in detail
    for word in words:
        assert word in detail, (word, detail)


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"])
@pytest.mark.parametrize(("label", "changes", "words"), HIDDEN, ids=[h[0] for h in HIDDEN])
def test_statements_hidden_from_the_json_are_not_signed(
    server: Server, suite: str, label: str, changes: dict[str, Any], words: str
) -> None:
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    doc = hostile(diploma(id=credential_id), changes)
    _refused(_issue(server, doc, cryptosuite=suite), words)
    # nothing was stored: the same id is still free for a clean credential
    clean = _issue(server, diploma(id=credential_id), cryptosuite=suite)
    assert clean.status == 201, clean


@pytest.mark.parametrize(
    "list_type", ["BitstringStatusListCredential", "StatusList2021Credential", "MyStatusListVC"]
)
def test_status_list_credentials_are_made_only_by_the_status_machinery(
    server: Server, list_type: str
) -> None:
    doc = {
        "@context": [VC_V2],
        "type": ["VerifiableCredential", list_type],
        "credentialSubject": {
            "id": "https://evil.example/status/9#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
        },
    }
    _refused(_issue(server, doc), "type", "StatusList")


@pytest.mark.parametrize(
    "path", ["/status/1", "/status/1#list", "/%73tatus/2", "/c/abc", "/x/../status/3", ""]
)
def test_ids_under_the_services_own_addresses_are_refused(server: Server, path: str) -> None:
    own = server.url + path
    _refused(_issue(server, diploma(id=own)), "id", own)
    _refused(_issue(server, diploma(), credentialId=own), "id", own)


def test_the_services_own_status_list_url_cannot_be_signed_as_an_all_zero_list(
    server: Server,
) -> None:
    issued = server.issue(diploma())
    list_url = issued["credentialStatus"]["statusListCredential"]
    assert list_url.startswith(server.url + "/status/")
    fake = {
        "@context": [VC_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "credentialSubject": {
            "id": list_url + "#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
        },
    }
    _refused(_issue(server, fake), "StatusList")
    # the same id with a harmless type: refused for the id
    _refused(_issue(server, diploma(id=list_url)), list_url)


@pytest.mark.parametrize(
    ("field", "value"),
    [("awardedDate", 1e-400), ("awardedDate", 20260630), ("awardedDate", True)],
)
def test_open_badges_credentials_must_match_the_ob_schema(
    server: Server, field: str, value: Any
) -> None:
    _refused(_issue(server, diploma(**{field: value})), field)


def test_an_achievement_without_criteria_is_not_signed(server: Server) -> None:
    doc = diploma()
    del doc["credentialSubject"]["achievement"]["criteria"]  # required by the OB 3.0 schema
    _refused(_issue(server, doc), "criteria")


def test_an_awarded_date_underflowing_to_zero_is_not_signed(server: Server) -> None:
    text = json.dumps({"credential": diploma()})
    raw = text.replace('"validFrom"', '"awardedDate": 1e-400, "validFrom"', 1).encode()
    answer = server(
        "POST",
        "/credentials/issue",
        raw=raw,
        headers={"Content-Type": "application/json"},
        token=TOKEN,
    )
    _refused(answer, "awardedDate")


def test_a_clean_diploma_is_still_issued_and_verifies(server: Server) -> None:
    vc = server.issue(diploma(id=server.url + "/credentials/1"))  # under the base, not its own
    assert server.verify(vc).status == 200


# --- the library: credkit.sign refuses for the RDF suites ----------------------------------------


def _plain(key: KeyPair) -> dict[str, Any]:
    return {
        "@context": [VC_V2],
        "type": ["VerifiableCredential"],
        "issuer": key.controller,
        "validFrom": "2026-06-30T00:00:00Z",
        "credentialSubject": {"id": "did:example:graduate"},
    }


LIBRARY_CASES = [
    *HIDDEN,
    (
        "@graph at the top",
        {"@graph": [{"id": "urn:x:4", CRED + "issuer": SECOND_ISSUER}]},
        "@graph",
    ),
    ("@nest", {"@nest": {"validUntil": "2020-01-01T00:00:00Z"}}, "@nest"),
]


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "Ed25519Signature2020"])
@pytest.mark.parametrize(
    ("label", "changes", "words"), LIBRARY_CASES, ids=[c[0] for c in LIBRARY_CASES]
)
def test_sign_refuses_statements_hidden_from_the_json(
    suite: str, label: str, changes: dict[str, Any], words: str
) -> None:
    key = KeyPair.generate()
    doc = hostile(_plain(key), changes)
    with pytest.raises(ProofGenerationError, match="refusing to sign") as caught:
        sign(doc, key, cryptosuite=suite)
    assert words in caught.value.message


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "Ed25519Signature2020"])
def test_sign_still_signs_compacted_documents(suite: str) -> None:
    key = KeyPair.generate()
    doc = _plain(key)
    doc["@context"] = [VC_V2, {"favourite": "https://vocab.example/favourite"}]
    doc["favourite"] = "teal"
    signed = sign(doc, key, cryptosuite=suite)
    assert verify(signed).verified


def test_a_cohort_shape_found_clean_does_not_let_a_merging_node_through() -> None:
    # signing remembers a clean verdict per compiled shape (credkit.jsonld.shapes); a document that
    # differs only in which strings are equal (a nested node now repeating the credential's id,
    # so JSON-LD merges it into the credential) is another shape, checked again and refused
    key = KeyPair.generate()
    for n in range(3):
        doc = _plain(key)
        doc["id"] = f"urn:uuid:00000000-0000-4000-8000-00000000000{n}"
        doc["evidence"] = [{"id": f"urn:uuid:00000000-0000-4000-8000-10000000000{n}",
                            "type": ["VerifiableCredential"]}]  # fmt: skip
        assert verify(sign(doc, key)).verified
    doc["evidence"][0]["id"] = doc["id"]
    with pytest.raises(ProofGenerationError, match="describes the document itself"):
        sign(doc, key)
