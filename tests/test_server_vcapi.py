"""The VC-API over a real socket: issuing (with and without a token), verifying, status changes."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from credkit import KeyPair, sign
from credkit.jsonld.contexts import DATA_INTEGRITY_V2, VC_V2
from test_server_helpers import TOKEN, Server, diploma, make_workspace, serve_workspace, vc11


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = serve_workspace(tmp_path_factory.mktemp("vcapi"))
    yield srv
    srv.stop()


# --- auth ------------------------------------------------------------------------------------


def test_issuing_without_a_token_is_refused(server: Server) -> None:
    body = {"credential": diploma()}
    missing = server("POST", "/credentials/issue", body)
    assert missing.status == 401 and "bearer token" in missing.json()["detail"]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = server("POST", "/credentials/issue", body, token="not-the-token-" + "y" * 20)
    assert wrong.status == 401
    status = server(
        "POST",
        "/credentials/status",
        {"credentialId": "urn:x", "credentialStatus": [{"status": "revoked"}]},
    )
    assert status.status == 401


def test_a_server_with_no_token_configured_does_not_issue(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", "http://127.0.0.1:1")
    srv = Server(tmp_path, workspace=ws, token=None)
    try:
        answer = srv("POST", "/credentials/issue", {"credential": diploma()}, token=TOKEN)
        assert answer.status == 403
        assert "issuing is disabled" in answer.json()["detail"]
        assert srv.verify({"foo": 1}).status == 400  # verifying stays open
    finally:
        srv.stop()


def test_a_server_without_workspace_only_verifies(tmp_path: Path) -> None:
    srv = Server(tmp_path, token=TOKEN)
    try:
        answer = srv("POST", "/credentials/issue", {"credential": diploma()}, token=TOKEN)
        assert answer.status == 501 and "workspace" in answer.json()["detail"]
        assert srv("GET", "/status/1").status == 404
        assert srv("GET", "/issuer").status == 404
    finally:
        srv.stop()


# --- issue -----------------------------------------------------------------------------------


def test_issue_signs_with_a_status_entry_under_the_base_url(server: Server) -> None:
    vc = server.issue(diploma())
    ws = server.workspace
    assert vc["issuer"]["id"] == ws.issuer_did
    assert vc["id"].startswith("urn:uuid:")
    assert vc["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    entry = vc["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert isinstance(entry["statusListIndex"], str) and entry["statusListIndex"].isdigit()
    assert entry["statusListCredential"].startswith(server.url + "/status/")
    listed = server("GET", entry["statusListCredential"][len(server.url) :])
    assert listed.status == 200
    assert listed.headers["Content-Type"].startswith("application/vc+ld+json")
    assert listed.json()["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    as_vc = server(
        "GET",
        entry["statusListCredential"][len(server.url) :],
        headers={"Accept": "application/vc"},
    )
    assert as_vc.headers["Content-Type"].startswith("application/vc")
    verified = server.verify(vc)
    assert verified.status == 200, verified
    out = verified.json()
    assert out["verified"] is True and out["errors"] == []
    assert {"proof", "status", "validity"} <= set(out["checks"])


@pytest.mark.parametrize("suite", ["eddsa-jcs-2022", "Ed25519Signature2020"])
def test_issue_with_another_cryptosuite(server: Server, suite: str) -> None:
    vc = server.issue(diploma(), {"cryptosuite": suite})
    proof = vc["proof"][0]
    assert suite in (proof.get("cryptosuite"), proof["type"])
    assert server.verify(vc).status == 200


def test_issue_suspension_entry_when_asked(server: Server) -> None:
    options = {
        "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}
    }
    vc = server.issue(diploma(), options)
    assert vc["credentialStatus"]["statusPurpose"] == "suspension"


def test_vc_1_1_input_gets_the_data_integrity_context(server: Server) -> None:
    vc = server.issue(vc11())
    assert vc["@context"][0] == "https://www.w3.org/2018/credentials/v1"
    assert DATA_INTEGRITY_V2 in vc["@context"]
    assert "issuanceDate" in vc
    answer = server.verify(vc)
    assert answer.status == 200, answer


def test_the_same_credential_id_is_issued_once(server: Server) -> None:
    doc = diploma(id="urn:uuid:11111111-2222-4333-8444-555555555555")
    server.issue(doc)
    again = server("POST", "/credentials/issue", {"credential": doc}, token=TOKEN)
    assert again.status == 409


BAD_CREDENTIALS: list[tuple[str, Any, int, str]] = [
    ("schema without type", {"credentialSchema": [{"id": "https://x.example/s"}]}, 400, "type"),
    ("refresh without type", {"refreshService": {"id": "https://x.example/r"}}, 400, "type"),
    ("terms without type", {"termsOfUse": [{"id": "https://x.example/t"}]}, 400, "type"),
    ("related no digest", {"relatedResource": [{"id": "https://x.example/r"}]}, 400, "digest"),
    ("related no id", {"relatedResource": [{"digestSRI": "sha384-abc"}]}, 400, "relatedResource"),
    (
        "related bad sri",
        {"relatedResource": [{"id": "https://x.example/r", "digestSRI": "md5"}]},
        400,
        "digestSRI",
    ),
    ("undefined term", {"favouriteColour": "teal"}, 422, ""),
    ("unknown context", {"@context": [VC_V2, "https://evil.example/ctx"]}, 422, "context"),
    ("wrong issuer", {"issuer": "did:example:someone-else"}, 400, "issues as"),
    ("already signed", {"proof": {"type": "DataIntegrityProof"}}, 400, "proof"),
    ("own status", {"credentialStatus": {"type": "BitstringStatusListEntry"}}, 400, "Status"),
    ("bad dates", {"validFrom": "yesterday"}, 400, "validFrom"),
    ("no subject", {"credentialSubject": None}, 400, "credentialSubject"),
    ("bad id", {"id": "not a url"}, 400, "id"),
]


@pytest.mark.parametrize(
    ("label", "change", "status", "words"), BAD_CREDENTIALS, ids=[b[0] for b in BAD_CREDENTIALS]
)
def test_non_conforming_credentials_are_refused(
    server: Server, label: str, change: dict[str, Any], status: int, words: str
) -> None:
    doc = diploma()
    doc.update(change)
    doc = {k: v for k, v in doc.items() if v is not None}
    answer = server("POST", "/credentials/issue", {"credential": doc}, token=TOKEN)
    assert answer.status == status, answer
    assert words in answer.json()["detail"]


BAD_BODIES: list[tuple[str, bytes, int]] = [
    ("not json", b"{nope", 422),
    ("array", b"[]", 422),
    ("no credential", b'{"options": {}}', 422),
    ("credential is a string", b'{"credential": "eyJhbGciOi"}', 422),
    # VC-API "Handling Unknown Options and Data": an error naming it (issue 16: 400, not 422)
    ("unknown option", b'{"credential": {}, "options": {"frobnicate": true}}', 400),
    (
        "bad purpose",
        b'{"credential": {}, "options": {"credentialStatus": {"statusPurpose": "x"}}}',
        422,
    ),
    (
        "unknown suite",
        json.dumps({"credential": diploma(), "options": {"cryptosuite": "rsa"}}).encode(),
        400,
    ),
    ("deep", b'{"credential": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400),
    ("not utf-8", b'{"credential": "\xff\xfe"}', 400),
    ("empty credential", b'{"credential": {}}', 400),
]


@pytest.mark.parametrize(("label", "raw", "status"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_malformed_requests_get_a_message_not_a_500(
    server: Server, label: str, raw: bytes, status: int
) -> None:
    answer = server(
        "POST",
        "/credentials/issue",
        raw=raw,
        headers={"Content-Type": "application/json"},
        token=TOKEN,
    )
    assert answer.status == status, answer
    assert answer.json()["detail"]


def test_oversized_bodies_get_413(server: Server) -> None:
    big = {"credential": diploma(description="x" * (1 << 20))}
    assert server("POST", "/credentials/issue", big, token=TOKEN).status == 413
    assert server.verify({"blob": "y" * (1 << 20)}).status == 413


# --- verify ----------------------------------------------------------------------------------


def test_tampered_credential_is_not_verified(server: Server) -> None:
    vc = server.issue(diploma())
    vc["credentialSubject"]["achievement"]["name"] = "Doctor of Medicine"
    answer = server.verify(vc)
    assert answer.status == 400
    out = answer.json()
    assert out["verified"] is False and out["errors"]
    assert "proof" not in out["checks"]
    assert any(r["id"] == "proof" and r["status"] == "failed" for r in out["results"])


def test_options_checks_never_leave_out_proof_form_or_dates(server: Server) -> None:
    vc = server.issue(diploma(validUntil="2026-07-01T00:00:00Z"))  # expired already
    assert server.verify(vc).status == 400
    only_proof = server.verify(vc, checks=["proof"])  # validity counts whatever is asked
    assert only_proof.status == 400, only_proof
    assert server.verify(vc, checks=["expiration"]).status == 400
    unknown = server.verify(vc, checks=["astrology"])
    assert unknown.status == 400 and "unknown check" in unknown.json()["detail"]


@pytest.mark.parametrize(
    "credential", [{}, {"@context": "x"}, {"proof": 5}, {"@context": [VC_V2], "type": 3}]
)
def test_garbage_is_not_verified(server: Server, credential: dict[str, Any]) -> None:
    answer = server.verify(credential)
    assert answer.status == 400
    assert answer.json()["verified"] is False


def test_proof_sets_and_chains_verify(server: Server) -> None:
    key: KeyPair = server.workspace.key()  # type: ignore[attr-defined]
    vc = server.issue(diploma())
    as_set = sign(vc, key, cryptosuite="eddsa-jcs-2022")
    assert len(as_set["proof"]) == 2
    assert server.verify(as_set).status == 200
    unsigned = {k: v for k, v in vc.items() if k != "proof"}
    head = sign(unsigned, key, proof_id="urn:proof:1")
    chain = sign(
        head,
        key,
        cryptosuite="eddsa-jcs-2022",
        proof_id="urn:proof:2",
        previous_proof="urn:proof:1",
    )
    assert server.verify(chain).status == 200  # status entry is the server's own
    broken = copy.deepcopy(chain)
    broken["proof"][0]["proofValue"] = broken["proof"][1]["proofValue"]
    assert server.verify(broken).status == 400


# --- presentations ---------------------------------------------------------------------------


def test_presentation_with_the_right_challenge_verifies(server: Server) -> None:
    holder = KeyPair.from_seed(bytes([7]) * 32)
    vc = server.issue(diploma())
    vp = {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "holder": holder.controller,
        "verifiableCredential": [vc],
    }
    signed = sign(
        vp, holder, proof_purpose="authentication", challenge="c-123", domain="employer.example"
    )
    body = {
        "verifiablePresentation": signed,
        "options": {"challenge": "c-123", "domain": "employer.example"},
    }
    good = server("POST", "/presentations/verify", body)
    assert good.status == 200, good
    assert good.json()["credentials"][0]["verified"] is True
    body["options"]["challenge"] = "replayed"
    assert server("POST", "/presentations/verify", body).status == 400


# --- status ----------------------------------------------------------------------------------


def _status(server: Server, cid: str, *changes: dict[str, Any], token: str | None = TOKEN) -> Any:
    return server(
        "POST",
        "/credentials/status",
        {"credentialId": cid, "credentialStatus": list(changes)},
        token=token,
    )


def test_revoking_shows_in_the_next_verification(server: Server) -> None:
    vc = server.issue(diploma())
    assert server.verify(vc).status == 200
    answer = _status(server, vc["id"], {"type": "BitstringStatusListEntry", "status": "revoked"})
    assert answer.status == 200, answer
    assert answer.json()["current"]["revocation"] == 1
    after = server.verify(vc)
    assert after.status == 400
    status = next(r for r in after.json()["results"] if r["id"] == "status")
    assert status["status"] == "failed" and "revoked" in status["message"]
    for checks in ([], ["proof"], ["schema"]):  # leaving status out never makes it verified
        asked = server.verify(vc, checks=checks)
        assert asked.status == 400 and asked.json()["verified"] is False, (checks, asked.json())
    listed = server("GET", vc["credentialStatus"]["statusListCredential"][len(server.url) :])
    from credkit.status import Bitstring

    bits = Bitstring.decode(listed.json()["credentialSubject"]["encodedList"])
    assert bits.get(int(vc["credentialStatus"]["statusListIndex"])) == 1
    final = _status(server, vc["id"], {"status": "active", "statusPurpose": "revocation"})
    assert final.status == 409 and "final" in final.json()["detail"]


def test_suspend_and_reinstate(server: Server) -> None:
    options = {"credentialStatus": {"statusPurpose": "suspension"}}
    vc = server.issue(diploma(), options)
    assert _status(server, vc["id"], {"status": "suspended"}).status == 200
    assert server.verify(vc).status == 400
    assert _status(server, vc["id"], {"status": "active"}).status == 200
    assert server.verify(vc).status == 200


def test_status_errors(server: Server) -> None:
    assert _status(server, "urn:uuid:nobody", {"status": "revoked"}).status == 404
    vc = server.issue(diploma())
    assert _status(server, vc["id"], {"status": "exploded"}).status == 400
    no_entry = _status(server, vc["id"], {"status": "suspended"})
    assert no_entry.status == 409  # issued with a revocation entry only
    assert _status(server, vc["id"], {"status": "revoked"}, token=None).status == 401


def test_openapi_describes_the_endpoints(server: Server) -> None:
    spec = server("GET", "/openapi.json").json()
    for path in (
        "/credentials/issue",
        "/credentials/verify",
        "/presentations/verify",
        "/credentials/status",
        "/status/{list_id}",
        "/issuer",
        "/c/{ident}",
    ):
        assert path in spec["paths"], path
    assert "IssueRequest" in spec["components"]["schemas"]
