"""POST /credentials/issue against VC DM 2.0 and the VC-API (issue 16).

Caller-supplied credentialStatus, empty credentialSubject, relatedResource digests, the default
issuer of a plain VC 2.0 credential, options (credentialId, mandatoryPointers, unknown keys) and
status as a per-request option with a workspace default.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from credkit.issuer.workspace import CONFIG_NAME, Workspace
from credkit.jsonld import contexts
from test_server_helpers import TOKEN, Server, diploma, free_port, make_workspace

V2 = "https://www.w3.org/ns/credentials/v2"
STATUS_2017 = {"CredentialStatusList2017": "https://example.org/examples#CredentialStatusList2017"}


def _plain(**extra: Any) -> dict[str, Any]:
    return {
        "@context": [V2],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:subject"},
        **extra,
    }


def _foreign_status() -> dict[str, Any]:
    return _plain(
        **{
            "@context": [V2, STATUS_2017],
            "credentialStatus": {"id": "did:example:status", "type": "CredentialStatusList2017"},
        }
    )


def _start(tmp: Any, *, base: bool, settings: str = "") -> Server:
    port = free_port()
    ws = make_workspace(tmp / "ws", f"http://127.0.0.1:{port}" if base else None)
    if settings:
        with (ws.root / CONFIG_NAME).open("a", encoding="utf-8") as config:
            config.write(settings)  # the last table of credkit.toml is [issue]

    return Server(tmp, workspace=Workspace.open(ws.root), port=port)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = _start(tmp_path_factory.mktemp("conf"), base=True)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def lenient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = _start(
        tmp_path_factory.mktemp("lenient"),
        base=False,
        settings="foreign_status = true\n",
    )
    yield srv
    srv.stop()


def _issue(server: Server, credential: dict[str, Any], **options: Any) -> Any:
    return server(
        "POST", "/credentials/issue", {"credential": credential, "options": options}, token=TOKEN
    )


def _refused(answer: Any, status: int, *words: str) -> None:
    assert answer.status == status, (answer.status, answer.json())
    detail = answer.json()["detail"]
    for word in words:
        assert word in detail, (word, detail)


# --- credentialStatus ---------------------------------------------------------------------------


def test_a_foreign_status_entry_is_refused_by_default_with_the_reason(server: Server) -> None:
    _refused(_issue(server, _foreign_status()), 400, "CredentialStatusList2017", "foreign_status")
    entry = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": "https://lists.example/status/1",
    }
    _refused(_issue(server, _plain(credentialStatus=entry)), 400, "not on one of this issuer")


def test_a_foreign_status_entry_is_signed_where_the_workspace_allows_it(lenient: Server) -> None:
    answer = _issue(lenient, _foreign_status())
    assert answer.status == 201, answer.json()
    vc = answer.json()["verifiableCredential"]
    assert vc["credentialStatus"] == {
        "id": "did:example:status",
        "type": "CredentialStatusList2017",
    }


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ({"id": "did:example:status"}, "type"),
        ({"id": ["did:example:1", "did:example:2"], "type": "CredentialStatusList2017"}, "not a URL"),
        ({"id": "https ://not-a-url/4", "type": "CredentialStatusList2017"}, "not a URL"),
        ({"id": "did:example:status", "type": 2}, "type"),
    ],
)  # fmt: skip
def test_malformed_status_entries_are_refused_even_where_foreign_ones_are_allowed(
    lenient: Server, status: dict[str, Any], words: str
) -> None:
    doc = _plain(**{"@context": [V2, STATUS_2017], "credentialStatus": status})
    _refused(_issue(lenient, doc), 400, words)


def test_an_entry_on_the_issuers_own_list_is_claimed_and_can_be_revoked(server: Server) -> None:
    first = server.issue(_plain())  # the workspace default allocates a revocation entry
    url = first["credentialStatus"]["statusListCredential"]
    taken = first["credentialStatus"]["statusListIndex"]
    free = str((int(taken) + 1) % 131072)
    entry = {
        "id": f"{url}#{free}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": free,
        "statusListCredential": url,
    }
    answer = _issue(server, _plain(id="urn:uuid:own-entry-1", credentialStatus=entry))
    assert answer.status == 201, answer.json()
    assert answer.json()["verifiableCredential"]["credentialStatus"] == entry  # nothing added
    revoke = server(
        "POST",
        "/credentials/status",
        {"credentialId": "urn:uuid:own-entry-1", "credentialStatus": [{"status": "revoked"}]},
        token=TOKEN,
    )
    assert revoke.status == 200, revoke.json()
    assert revoke.json()["current"] == {"revocation": 1}
    # the same index again, or an index that is someone else's: refused, nothing recorded
    again = _issue(server, _plain(id="urn:uuid:own-entry-2", credentialStatus=entry))
    _refused(again, 400, "taken")
    taken_entry = {**entry, "statusListIndex": taken, "id": f"{url}#{taken}"}
    _refused(_issue(server, _plain(id="urn:uuid:own-entry-3", credentialStatus=taken_entry)), 400)
    wrong_purpose = {**entry, "statusPurpose": "suspension", "statusListIndex": "5"}
    _refused(_issue(server, _plain(credentialStatus=wrong_purpose)), 400, "revocation list")


def test_an_entry_under_the_services_addresses_that_is_no_list_is_refused(server: Server) -> None:
    bogus = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "3",
        "statusListCredential": server.url + "/status/999",
    }
    _refused(_issue(server, _plain(credentialStatus=bogus)), 400, "own addresses")


# --- status: per request, workspace default -------------------------------------------------


def test_status_is_a_per_request_option_with_a_workspace_default(server: Server) -> None:
    assert "credentialStatus" in server.issue(_plain())  # default: issue.vcapi_status = true
    none = _issue(server, _plain(), credentialStatus=False)
    assert none.status == 201 and "credentialStatus" not in none.json()["verifiableCredential"]


def test_a_workspace_can_turn_the_default_status_off(tmp_path: Any) -> None:
    srv = _start(tmp_path, base=True, settings="vcapi_status = false\n")
    try:
        assert "credentialStatus" not in srv.issue(_plain())
        asked = srv.issue(_plain(), {"credentialStatus": {"statusPurpose": "revocation"}})
        assert asked["credentialStatus"]["statusPurpose"] == "revocation"
    finally:
        srv.stop()


# --- credentialSubject, relatedResource, issuer -------------------------------------------------


@pytest.mark.parametrize("subject", [{}, [{"id": "did:example:subject"}, {}]])
def test_an_empty_credential_subject_is_refused(server: Server, subject: Any) -> None:
    _refused(_issue(server, _plain(credentialSubject=subject)), 400, "credentialSubject")


def test_related_resource_digests_of_shipped_contexts_are_checked(server: Server) -> None:
    data = contexts.read_bytes(V2)
    good = "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
    answer = _issue(server, _plain(relatedResource=[{"id": V2, "digestSRI": good}]))
    assert answer.status == 201, answer.json()
    wrong = "uM4RgWQc3RUDtjJCSgTJtTfvpZ7SPEg_LNO0ESlovQC0"  # the W3C suite's wrong digest
    _refused(
        _issue(server, _plain(relatedResource=[{"id": V2, "digestMultibase": wrong}])),
        400,
        "digest mismatch",
    )
    _refused(_issue(server, _plain(relatedResource=[{"id": V2}])), 400, "digestSRI")


def test_a_plain_vc_gets_the_issuers_did_and_name_and_an_open_badge_a_profile(
    server: Server,
) -> None:
    plain = server.issue(_plain())
    assert set(plain["issuer"]) == {"id", "name"} and plain["issuer"]["id"].startswith("did:")
    badge = server.issue(diploma())
    assert badge["issuer"]["type"] == ["Profile"]
    verified = server.verify(plain)
    assert verified.status == 200, verified.json()


# --- options ------------------------------------------------------------------------------------


def test_unknown_options_answer_400_naming_them(server: Server) -> None:
    _refused(_issue(server, _plain(), frobnicate=True), 400, "frobnicate")
    assert _issue(server, _plain(), frobnicate=True).json()["code"] == "UNKNOWN_OPTION"


def test_mandatory_pointers_are_refused_without_a_selective_disclosure_suite(
    server: Server,
) -> None:
    _refused(_issue(server, _plain(), mandatoryPointers=["/issuer"]), 400, "selective disclosure")


def test_credential_id_names_a_credential_without_an_id_and_is_not_written_into_it(
    server: Server,
) -> None:
    answer = _issue(
        server, _plain(), credentialId="urn:example:by-option-1", credentialStatus=False
    )
    assert answer.status == 201, answer.json()
    assert "id" not in answer.json()["verifiableCredential"]
    status = server(
        "POST",
        "/credentials/status",
        {"credentialId": "urn:example:by-option-1", "credentialStatus": [{"status": "revoked"}]},
        token=TOKEN,
    )
    assert status.status in (404, 409)  # known to the store (no status entry to revoke)
    assert status.status != 404 or "no credential" not in status.json()["detail"]
    clash = _issue(server, _plain(id="urn:example:a"), credentialId="urn:example:b")
    _refused(clash, 400, "credentialId")
