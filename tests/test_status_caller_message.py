"""Caller-sent status entries meet message status (issue 16, both halves together).

A caller's ``message`` entry on one of this issuer's lists is claimed only when its statusSize
and statusMessage are the list's (Bitstring Status List §2.1: one list, one meaning per value);
``options.credentialStatus`` (object or array) adds only purposes the caller's entries lack; a
claimed index is never handed out again by allocate().
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from credkit.issuer.store import SqliteStore, StoreError
from credkit.status import StatusSpec, status_entry
from test_server_helpers import TOKEN, Server, serve_workspace

V2 = "https://www.w3.org/ns/credentials/v2"
MESSAGES = [
    {"status": "0x0", "message": "pending_review"},
    {"status": "0x1", "message": "accepted"},
    {"status": "0x2", "message": "rejected"},
    {"status": "0x3", "message": "undefined"},
]
MESSAGE_OPTION = {
    "type": "BitstringStatusListEntry",
    "statusPurpose": "message",
    "statusSize": 2,
    "statusMessage": MESSAGES,
}


def _plain(**extra: Any) -> dict[str, Any]:
    return {
        "@context": [V2],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:subject"},
        **extra,
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = serve_workspace(tmp_path_factory.mktemp("caller-message"))
    yield srv
    srv.stop()


def _issue(server: Server, credential: dict[str, Any], **options: Any) -> Any:
    body = {"credential": credential, "options": options}
    return server("POST", "/credentials/issue", body, token=TOKEN)


def _message_list(server: Server) -> tuple[str, int]:
    """A message list of this issuer (made by an option-asked entry) and an index on it."""
    vc = server.issue(_plain(), {"credentialStatus": MESSAGE_OPTION})
    entry = vc["credentialStatus"]
    assert entry["statusPurpose"] == "message" and entry["statusSize"] == 2
    return entry["statusListCredential"], int(entry["statusListIndex"])


def _entry_on(url: str, index: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": str(index),
        "statusListCredential": url,
        "statusSize": 2,
        "statusMessage": MESSAGES,
        **extra,
    }


def test_a_callers_message_entry_on_the_issuers_list_is_claimed_and_settable(
    server: Server,
) -> None:
    url, taken = _message_list(server)
    free = (taken + 1) % 131072
    entry = _entry_on(url, free)
    answer = _issue(server, _plain(id="urn:uuid:caller-message-1", credentialStatus=entry))
    assert answer.status == 201, answer.json()
    assert answer.json()["verifiableCredential"]["credentialStatus"] == entry  # nothing added
    change = {"statusPurpose": "message", "status": "0x2"}
    body = {"credentialId": "urn:uuid:caller-message-1", "credentialStatus": [change]}
    set_it = server("POST", "/credentials/status", body, token=TOKEN)
    assert set_it.status == 200, set_it.json()
    assert set_it.json()["current"] == {"message": 2}
    # the same index again: taken
    again = _issue(server, _plain(id="urn:uuid:caller-message-2", credentialStatus=entry))
    assert again.status == 400 and "taken" in again.json()["detail"], again.json()


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"statusMessage": [{**MESSAGES[0], "message": "other"}, *MESSAGES[1:]]}, "differs"),
        ({"statusSize": 1, "statusMessage": MESSAGES[:2]}, "2-bit entries"),
        ({"statusMessage": MESSAGES[:2]}, "4 elements"),
        ({"statusReference": "not a url"}, "statusReference"),
        ({"statusSize": True}, "integer"),
    ],
)
def test_a_callers_message_entry_must_commit_to_the_lists_size_and_messages(
    server: Server, change: dict[str, Any], why: str
) -> None:
    url, taken = _message_list(server)
    entry = _entry_on(url, (taken + 7) % 131072, **change)
    answer = _issue(server, _plain(credentialStatus=entry))
    assert answer.status == 400, answer.json()
    assert why in answer.json()["detail"], answer.json()


def test_a_message_entry_on_a_revocation_list_and_the_reverse_are_refused(server: Server) -> None:
    revocation = server.issue(_plain(), {"credentialStatus": {"statusPurpose": "revocation"}})
    rev_url = revocation["credentialStatus"]["statusListCredential"]
    rev_index = int(revocation["credentialStatus"]["statusListIndex"])
    on_revocation = _entry_on(rev_url, (rev_index + 3) % 131072)
    answer = _issue(server, _plain(credentialStatus=on_revocation))
    assert answer.status == 400 and "revocation list" in answer.json()["detail"], answer.json()
    msg_url, msg_index = _message_list(server)
    one_bit = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str((msg_index + 3) % 131072),
        "statusListCredential": msg_url,
    }
    answer = _issue(server, _plain(credentialStatus=one_bit))
    assert answer.status == 400 and "message list" in answer.json()["detail"], answer.json()


def test_options_add_only_the_purposes_the_callers_entries_lack(server: Server) -> None:
    first = server.issue(_plain(), {"credentialStatus": {"statusPurpose": "revocation"}})
    url = first["credentialStatus"]["statusListCredential"]
    free = (int(first["credentialStatus"]["statusListIndex"]) + 11) % 131072
    own = {
        "id": f"{url}#{free}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(free),
        "statusListCredential": url,
    }
    asked = [{"statusPurpose": "revocation"}, MESSAGE_OPTION]
    answer = _issue(
        server,
        _plain(id="urn:uuid:caller-plus-options", credentialStatus=own),
        credentialStatus=asked,
    )
    assert answer.status == 201, answer.json()
    given, added = answer.json()["verifiableCredential"]["credentialStatus"]
    assert given == own
    assert added["statusPurpose"] == "message" and added["statusMessage"] == MESSAGES
    body = {
        "credentialId": "urn:uuid:caller-plus-options",
        "credentialStatus": [{"status": "revoked"}],
    }
    revoke = server("POST", "/credentials/status", body, token=TOKEN)
    assert revoke.status == 200, revoke.json()
    assert revoke.json()["current"] == {"revocation": 1, "message": 0}


def test_status_options_false_and_absent_with_message_entries(server: Server) -> None:
    none = _issue(server, _plain(), credentialStatus=False)
    assert none.status == 201 and "credentialStatus" not in none.json()["verifiableCredential"]
    default = server.issue(_plain())
    assert default["credentialStatus"]["statusPurpose"] == "revocation"  # issue.vcapi_status
    both = server.issue(_plain(), {"credentialStatus": [MESSAGE_OPTION]})
    assert both["credentialStatus"]["statusPurpose"] == "message"
    bad = _issue(server, _plain(), credentialStatus=True)
    assert bad.status in (400, 422), bad.json()


# --- the store ------------------------------------------------------------------------------

BASE = "https://diplomas.example.edu/credentials"
SPEC = StatusSpec.message(["pending_review", "accepted", "rejected", "undefined"])


def _build(cid: str, given: list[dict[str, Any]]) -> Callable[[list[dict[str, Any]]], Any]:
    def build(entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {**_plain(id=cid), "credentialStatus": copy.deepcopy(given) + entries}

    return build


def test_claimed_indexes_are_never_allocated_and_a_full_list_opens_another(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "s.db", base_url=BASE, list_length=8) as store:
        # one transaction: the open list's cached free count must follow the claims
        with store.transaction():
            first = store.issue("urn:a", [SPEC], _build("urn:a", []))
            (entry,) = first.json()["credentialStatus"]
            url, taken = entry["statusListCredential"], int(entry["statusListIndex"])
            for n, index in enumerate(i for i in range(8) if i != taken):
                cid = f"urn:claim:{n}"
                store.claim(url, index, SPEC, cid)
                store.issue(cid, [], _build(cid, [status_entry(url, index, SPEC)]))
            # the list is full: the next allocation opens a new one rather than failing
            later = store.issue("urn:z", [SPEC], _build("urn:z", []))
        (new,) = later.json()["credentialStatus"]
        assert new["statusListCredential"] != url
        assert store.check_consistency() == []


def test_claim_checks_size_and_messages_against_the_list(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "s.db", base_url=BASE, list_length=8) as store:
        record = store.issue("urn:a", [SPEC], _build("urn:a", []))
        url = record.json()["credentialStatus"][0]["statusListCredential"]
        other = StatusSpec.message(["a", "b", "c", "d"])
        with store.transaction():
            with pytest.raises(StoreError, match="statusMessage differs"):
                store.claim(url, 0, other, "urn:b")
            with pytest.raises(StoreError, match="2-bit entries"):
                store.claim(url, 0, "message", "urn:b")
            with pytest.raises(StoreError, match="message list"):
                store.claim(url, 0, "revocation", "urn:b")
