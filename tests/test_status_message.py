"""Bitstring Status List 1.0 ``message`` entries: multi-bit statuses, their messages, the store.

The truth the tests compare against is written independently of credkit's codec: bit strings
spelled out as text, GZIP and base64url from the standard library, the spec's own examples
(§2.1 Example 2, §2.2 Example 3) and a schema-1 store made with the schema-1 DDL.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from credkit import proofs
from credkit.errors import (
    MalformedValueError,
    StatusListLengthError,
    StatusRangeError,
    StatusVerificationError,
)
from credkit.identity.keys import KeyPair
from credkit.issuer.store import SCHEMA_VERSION, SqliteStore, StoreError
from credkit.status import (
    MIN_LENGTH,
    Bitstring,
    DirectoryFetcher,
    StatusSpec,
    check_status,
    publish,
    sign_status_list,
    status_entries,
    status_list_credential,
)
from credkit.verify import Verifier

BASE = "https://diplomas.example.edu/credentials"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
# §2.1 Example 2, with the fourth element the example elides ("...") written out
SPEC_MESSAGES = [
    {"status": "0x0", "message": "pending_review"},
    {"status": "0x1", "message": "accepted"},
    {"status": "0x2", "message": "rejected"},
    {"status": "0x3", "message": "undefined"},
]
SPEC_ENTRY = {
    "id": "https://example.com/credentials/status/8#492847",
    "type": "BitstringStatusListEntry",
    "statusPurpose": "message",
    "statusListIndex": "492847",
    "statusSize": 2,
    "statusListCredential": "https://example.com/credentials/status/8",
    "statusMessage": SPEC_MESSAGES,
    "statusReference": "https://example.org/status-dictionary/",
}
# §2.2 Example 3: an all-zero 16 KiB list
SPEC_ENCODED_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def text_bits(data: bytes) -> str:
    """Bytes as a string of '0'/'1', index 0 the most significant bit of byte 0 (§2.2)."""
    return "".join(format(b, "08b") for b in data)


def encode_by_hand(data: bytes) -> str:
    """§3.3 without credkit: GZIP, base64url without padding, multibase prefix ``u``."""
    return "u" + base64.urlsafe_b64encode(gzip.compress(data)).decode().rstrip("=")


# --- the codec -------------------------------------------------------------------------------


def test_two_bit_values_land_where_the_spec_puts_them() -> None:
    bits = Bitstring.from_bytes(bytes(2))
    bits.set_value(0, 2, 0b10)  # bits 0-1
    bits.set_value(1, 2, 0b11)  # bits 2-3
    bits.set_value(3, 2, 0b01)  # bits 6-7
    bits.set_value(4, 2, 0b10)  # bits 8-9: the next byte
    assert text_bits(bytes(bits)) == "1011000110000000"
    assert [bits.value(i, 2) for i in range(8)] == [2, 3, 0, 1, 2, 0, 0, 0]


def test_a_three_bit_value_across_a_byte_boundary() -> None:
    bits = Bitstring.from_bytes(bytes(2))
    bits.set_value(2, 3, 0b101)  # bits 6, 7, 8
    assert text_bits(bytes(bits)) == "0000001010000000"
    assert bits.value(2, 3) == 5
    bits.set_value(2, 3, 0b010)  # clearing writes zeros too
    assert text_bits(bytes(bits)) == "0000000100000000"


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_every_value_at_every_index_matches_a_text_reference(size: int) -> None:
    count = 24  # entries: 24 x size bits is a whole number of bytes for every size here
    bits = Bitstring.from_bytes(bytes(count * size // 8))
    expected = ["0" * size] * count
    for index in range(count):
        value = (index * 7 + 3) % (1 << size)
        bits.set_value(index, size, value)
        expected[index] = format(value, f"0{size}b")
        assert text_bits(bytes(bits)) == "".join(expected)  # neighbours untouched
    for index in range(count):
        assert bits.value(index, size) == int(expected[index], 2)


def test_set_value_refuses_what_does_not_fit() -> None:
    bits = Bitstring.from_bytes(bytes(1))  # four 2-bit entries
    bits.set_value(3, 2, 3)  # the last one exists
    with pytest.raises(StatusRangeError):
        bits.set_value(4, 2, 1)
    with pytest.raises(StatusRangeError):
        bits.value(4, 2)
    with pytest.raises(ValueError):
        bits.set_value(0, 2, 4)
    with pytest.raises(ValueError):
        bits.set_value(0, 0, 0)
    assert bytes(bits) == b"\x03"


def test_a_list_encoded_by_hand_decodes_to_the_same_values() -> None:
    raw = bytearray(MIN_LENGTH * 2 // 8)
    raw[0] = 0b1101_0000  # entries 0 = 3, 1 = 1
    raw[-1] = 0b0000_0010  # the last entry = 2
    bits = Bitstring.decode(encode_by_hand(bytes(raw)))
    assert bits.value(0, 2) == 3 and bits.value(1, 2) == 1 and bits.value(2, 2) == 0
    assert bits.value(MIN_LENGTH - 1, 2) == 2
    assert gzip.decompress(base64.urlsafe_b64decode(bits.encode()[1:] + "==")) == bytes(raw)


# --- entries: §2.1 ------------------------------------------------------------------------


def never(url: str) -> dict[str, Any]:
    raise AssertionError(f"a malformed entry must be refused before fetching {url}")


def test_the_spec_example_entry_is_well_formed_and_needs_a_long_enough_list() -> None:
    """§2.2 Example 3's 16 KiB list is 131,072 one-bit entries, but only 65,536 two-bit ones:
    §3.2 step 7 divides by statusSize, so the spec's own list is too short for Example 2."""
    listed = status_list_credential(
        SPEC_ENTRY["statusListCredential"],
        "did:example:12345",
        "message",
        Bitstring.decode(SPEC_ENCODED_LIST),
        valid_from=NOW,
    )
    with pytest.raises(StatusListLengthError, match="65536 entries"):
        check_status(SPEC_ENTRY, lambda url: listed, verify_list=lambda doc: True, now=NOW)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"statusMessage": SPEC_MESSAGES[:3]}, "4 elements"),
        ({"statusMessage": SPEC_MESSAGES[:2]}, "4 elements"),  # length == statusSize: not §2.1
        ({"statusMessage": [*SPEC_MESSAGES[:3], {"status": "0x2", "message": "x"}]}, "twice"),
        ({"statusMessage": [*SPEC_MESSAGES[:3], {"status": "0x4", "message": "x"}]}, "fit"),
        ({"statusMessage": [*SPEC_MESSAGES[:3], {"status": "3", "message": "x"}]}, "hexadecimal"),
        ({"statusMessage": [*SPEC_MESSAGES[:3], {"status": "0x3"}]}, "message string"),
        ({"statusMessage": None}, "array"),
        ({"statusSize": 3}, "8 elements"),
        ({"statusSize": 0}, "positive"),
        ({"statusSize": "2"}, "positive"),
        ({"statusReference": "not a url"}, "statusReference"),
        ({"statusReference": []}, "statusReference"),
        ({"statusReference": ["https://example.org/a", 7]}, "statusReference"),
    ],
)
def test_malformed_message_entries_are_refused(change: dict[str, Any], why: str) -> None:
    entry = {**SPEC_ENTRY, **change}
    with pytest.raises(MalformedValueError, match=why):
        check_status(entry, never, verify_list=lambda doc: True)


def test_status_size_above_one_needs_status_message() -> None:
    entry = {k: v for k, v in SPEC_ENTRY.items() if k != "statusMessage"}
    with pytest.raises(MalformedValueError, match="needs statusMessage"):
        check_status(entry, never, verify_list=lambda doc: True)


def test_status_spec_refuses_inconsistent_requests() -> None:
    with pytest.raises(ValueError, match="4 elements"):
        StatusSpec.message(["a", "b", "c"], size=2)
    with pytest.raises(ValueError, match="1 to 8"):
        StatusSpec.message(["a", "b"], size=9)
    with pytest.raises(ValueError, match="statusReference"):
        StatusSpec.message(["a", "b"], reference="nope")
    spec = StatusSpec.message(["a", "b", "c", "d"], reference="https://example.org/r")
    assert spec.size == 2


# --- the store, publication and §3.2 -------------------------------------------------------


def build_for(cid: str, issuer: str) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    def build(entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": cid,
            "type": ["VerifiableCredential"],
            "issuer": issuer,
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"name": "Grace"},
            "credentialStatus": entries,
        }

    return build


MESSAGES = StatusSpec.message(
    ["pending review", "accepted", "rejected", "undefined"],
    reference="https://diplomas.example.edu/status-dictionary",
)


class Issuer:
    def __init__(self, tmp: Path) -> None:
        self.key = KeyPair.from_seed(bytes(range(32)))
        self.store = SqliteStore(tmp / "issuer.db", base_url=BASE)
        self.out = tmp / "site"
        self.fetch = DirectoryFetcher(self.out, base_url=BASE)

    def issue(self, cid: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        record = self.store.issue(
            cid, ["revocation", MESSAGES], build_for(cid, self.key.controller)
        )
        signed = proofs.sign(record.json(), self.key)
        return signed, {e["statusPurpose"]: e for e in status_entries(record.json())}

    def publish(self) -> list[Path]:
        return publish(self.store, self.key, self.out, BASE, now=NOW)

    def check(self, entry: dict[str, Any], fetch: Any = None) -> Any:
        return check_status(
            entry,
            fetch or self.fetch,
            verify_list=lambda doc: proofs.verify(doc, now=NOW).verified,
            now=NOW,
        )


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    return Issuer(tmp_path)


def test_issued_message_entry_has_the_spec_shape(issuer: Issuer) -> None:
    _, entries = issuer.issue("urn:uuid:a")
    entry = entries["message"]
    assert entry["statusSize"] == 2
    assert entry["statusMessage"] == [
        {"status": "0x0", "message": "pending review"},
        {"status": "0x1", "message": "accepted"},
        {"status": "0x2", "message": "rejected"},
        {"status": "0x3", "message": "undefined"},
    ]
    assert entry["statusReference"] == "https://diplomas.example.edu/status-dictionary"
    assert entry["statusListCredential"] != entries["revocation"]["statusListCredential"]
    assert entry["id"] != entry["statusListCredential"]


def test_message_round_trip_through_a_signed_list(issuer: Issuer) -> None:
    _, entries = issuer.issue("urn:uuid:a")
    _, others = issuer.issue("urn:uuid:b")
    assert issuer.store.set_status("urn:uuid:a", "message", 2, reason="board said no")
    assert issuer.store.set_status("urn:uuid:b", "message", 1)
    assert not issuer.store.set_status("urn:uuid:b", "message", 1)  # unchanged
    assert issuer.store.get_status("urn:uuid:a") == {"revocation": 0, "message": 2}
    issuer.publish()
    entry = entries["message"]
    listed = issuer.fetch(entry["statusListCredential"])
    assert listed["credentialSubject"]["statusPurpose"] == "message"
    raw = gzip.decompress(
        base64.urlsafe_b64decode(listed["credentialSubject"]["encodedList"][1:] + "==")
    )
    assert len(raw) * 8 == MIN_LENGTH * 2  # 131,072 two-bit entries (§3.2 step 7)
    index = int(entry["statusListIndex"])
    assert text_bits(raw)[index * 2 : index * 2 + 2] == "10"
    found = issuer.check(entry)
    assert (found.status_value, found.valid, found.message) == (2, False, "rejected")
    other = issuer.check(others["message"])
    assert (other.status_value, other.message) == (1, "accepted")
    assert issuer.check(entries["revocation"]).valid  # the one-bit list is untouched
    assert issuer.store.check_consistency() == []


def test_store_refuses_values_the_entry_cannot_hold(issuer: Issuer) -> None:
    issuer.issue("urn:uuid:a")
    with pytest.raises(StoreError, match="0 to 3"):
        issuer.store.set_status("urn:uuid:a", "message", 4)
    with pytest.raises(StoreError, match="0 to 1"):
        issuer.store.set_status("urn:uuid:a", "revocation", 2)
    with pytest.raises(StoreError), issuer.store.transaction():
        issuer.store.allocate(StatusSpec("revocation", 2), "urn:uuid:z")
    with pytest.raises(StoreError, match="statusMessage"), issuer.store.transaction():
        issuer.store.allocate("message", "urn:uuid:z")


def test_lists_are_shared_only_by_entries_with_the_same_messages(issuer: Issuer) -> None:
    issuer.issue("urn:uuid:a")
    issuer.issue("urn:uuid:b")
    other = StatusSpec.message(["ok", "held"])
    issuer.store.issue("urn:uuid:c", [other], build_for("urn:uuid:c", issuer.key.controller))
    sizes = sorted((i.purpose, i.size, i.allocated) for i in issuer.store.lists())
    assert sizes == [("message", 1, 1), ("message", 2, 2), ("revocation", 1, 2)]


def test_a_tampered_message_list_fails(issuer: Issuer) -> None:
    _, entries = issuer.issue("urn:uuid:a")
    issuer.publish()
    entry = entries["message"]
    listed = issuer.fetch(entry["statusListCredential"])
    forged = copy.deepcopy(listed)
    raw = bytearray(MIN_LENGTH * 2 // 8)
    index = int(entry["statusListIndex"])
    raw[index * 2 // 8] |= 0x80 >> (index * 2 % 8)  # value 2: "rejected"
    forged["credentialSubject"]["encodedList"] = encode_by_hand(bytes(raw))
    with pytest.raises(StatusVerificationError, match="does not verify"):
        issuer.check(entry, fetch=lambda url: forged)


def test_a_status_size_the_list_does_not_hold_fails(issuer: Issuer) -> None:
    _, entries = issuer.issue("urn:uuid:a")
    issuer.publish()
    entry = entries["message"]
    # three bits per entry read from a list of two-bit entries: 262,144 / 3 < 131,072
    wider = {
        **entry,
        "statusSize": 3,
        "statusMessage": [{"status": f"{v:#x}", "message": str(v)} for v in range(8)],
    }
    with pytest.raises(StatusListLengthError):
        issuer.check(wider)
    # a list that states its entry size (§2.2 text, not in the context: signed with JCS) must
    # agree with the entry
    listed = status_list_credential(
        entry["statusListCredential"],
        issuer.key.controller,
        "message",
        issuer.store.bitstring(2),
        valid_from=NOW,
    )
    listed["credentialSubject"]["statusSize"] = 4
    signed = sign_status_list(listed, issuer.key, cryptosuite="eddsa-jcs-2022", created=NOW)
    with pytest.raises(StatusVerificationError, match="4-bit entries"):
        issuer.check(entry, fetch=lambda url: signed)


def test_a_message_entry_pointing_at_a_revocation_list_fails(issuer: Issuer) -> None:
    _, entries = issuer.issue("urn:uuid:a")
    issuer.publish()
    entry = {**entries["message"], "statusListCredential": f"{BASE}/status/1"}
    with pytest.raises(StatusVerificationError, match="purpose"):
        issuer.check(entry)


def test_verifier_reports_the_message_and_keeps_the_verdict(issuer: Issuer) -> None:
    signed, _ = issuer.issue("urn:uuid:a")
    issuer.store.set_status("urn:uuid:a", "message", 2)
    issuer.publish()
    verifier = Verifier(status_fetcher=issuer.fetch)
    result = verifier.verify_credential(json.dumps(signed).encode())
    status = result.check("status")
    assert status is not None and status.status == "passed", status
    assert "status message 0x2: rejected" in status.message
    assert result.to_json()["verdict"] == "verified", result.to_json()
    # a revocation still decides, whatever the message says
    issuer.store.set_status("urn:uuid:a", "revocation", 1)
    issuer.publish()
    revoked = Verifier(status_fetcher=issuer.fetch).verify_credential(json.dumps(signed).encode())
    status = revoked.check("status")
    assert status is not None and status.status == "failed" and "revoked" in status.message


# --- schema migration ---------------------------------------------------------------------

SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE status_lists (
    id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL CHECK (purpose IN ('revocation', 'suspension')),
    length INTEGER NOT NULL CHECK (length > 0 AND length % 8 = 0),
    bits BLOB NOT NULL CHECK (length(bits) * 8 = length),
    version INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE credentials (
    id TEXT PRIMARY KEY, subject_key TEXT UNIQUE, subject_name TEXT, email_hash TEXT,
    digest TEXT NOT NULL, document BLOB NOT NULL, path TEXT, status_entries TEXT NOT NULL,
    issued_at TEXT NOT NULL);
CREATE TABLE allocations (
    list_id INTEGER NOT NULL REFERENCES status_lists (id), idx INTEGER NOT NULL CHECK (idx >= 0),
    credential_id TEXT NOT NULL REFERENCES credentials (id) DEFERRABLE INITIALLY DEFERRED,
    purpose TEXT NOT NULL, allocated_at TEXT NOT NULL,
    PRIMARY KEY (list_id, idx), UNIQUE (credential_id, purpose));
CREATE TABLE status_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, credential_id TEXT NOT NULL REFERENCES credentials (id),
    purpose TEXT NOT NULL, list_id INTEGER NOT NULL REFERENCES status_lists (id),
    idx INTEGER NOT NULL, value INTEGER NOT NULL, reason TEXT, at TEXT NOT NULL);
CREATE INDEX status_events_credential ON status_events (credential_id);
"""


def schema_1_store(path: Path) -> None:
    """A store as credkit 0.1 (schema 1) left it: one revoked credential on a 16-entry list."""
    import hashlib

    entry = {
        "id": f"{BASE}/status/1#5",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": f"{BASE}/status/1",
    }
    document = json.dumps({"id": "urn:uuid:old", "credentialStatus": entry}).encode()
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_1)
    t = "2025-01-01T00:00:00.000000Z"
    db.execute("INSERT INTO meta VALUES ('base_url', ?)", (BASE,))
    db.execute(
        "INSERT INTO status_lists (id, url, purpose, length, bits, version, created_at, "
        "updated_at) VALUES (1, ?, 'revocation', 16, ?, 2, ?, ?)",
        (f"{BASE}/status/1", bytes([0b0000_0100, 0]), t, t),
    )
    db.execute(
        "INSERT INTO credentials (id, digest, document, status_entries, issued_at) "
        "VALUES ('urn:uuid:old', ?, ?, ?, ?)",
        (hashlib.sha256(document).hexdigest(), document, json.dumps([entry]), t),
    )
    db.execute("INSERT INTO allocations VALUES (1, 5, 'urn:uuid:old', 'revocation', ?)", (t,))
    db.execute(
        "INSERT INTO status_events (credential_id, purpose, list_id, idx, value, reason, at) "
        "VALUES ('urn:uuid:old', 'revocation', 1, 5, 1, 'test', ?)",
        (t,),
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()


def test_a_schema_1_store_is_migrated_and_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    schema_1_store(path)
    with SqliteStore(path, base_url=BASE, list_length=16) as store:
        assert store.get_status("urn:uuid:old") == {"revocation": 1}
        (info,) = store.lists()
        assert (info.id, info.url, info.length, info.size, info.version) == (
            1,
            f"{BASE}/status/1",
            16,
            1,
            2,
        )
        assert bytes(store.bitstring(1)) == bytes([0b0000_0100, 0])
        assert [e.reason for e in store.history("urn:uuid:old")] == ["test"]
        with pytest.raises(StoreError, match="final"):
            store.set_status("urn:uuid:old", "revocation", 0)
        # the new purpose works in the migrated store
        store.issue("urn:uuid:new", [MESSAGES], build_for("urn:uuid:new", "did:example:i"))
        store.set_status("urn:uuid:new", "message", 3)
        assert store.get_status("urn:uuid:new") == {"message": 3}
        assert store.check_consistency() == []
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        db.execute("PRAGMA foreign_keys = ON")
        with pytest.raises(sqlite3.IntegrityError):  # references still hold after the rebuild
            db.execute("INSERT INTO allocations VALUES (99, 1, 'urn:uuid:old', 'suspension', 't')")
    finally:
        db.close()
    with SqliteStore(path) as again:  # opening it again migrates nothing
        assert again.get_status("urn:uuid:old") == {"revocation": 1}


# --- the VC-API ---------------------------------------------------------------------------

SERVER_MESSAGES = {
    "type": "BitstringStatusListEntry",
    "statusPurpose": "message",
    "statusSize": 2,
    "statusMessage": SPEC_MESSAGES,
    "statusReference": "https://example.org/status-dictionary/",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from test_server_helpers import serve_workspace

    srv = serve_workspace(tmp_path_factory.mktemp("message"))
    yield srv
    srv.stop()


def _change(server: Any, cid: str, **change: Any) -> Any:
    from test_server_helpers import TOKEN

    body = {"credentialId": cid, "credentialStatus": [change]}
    return server("POST", "/credentials/status", body, token=TOKEN)


def test_vc_api_issues_a_message_entry_and_reports_its_message(server: Any) -> None:
    from test_server_helpers import diploma

    options = {"credentialStatus": [{"statusPurpose": "revocation"}, SERVER_MESSAGES]}
    vc = server.issue(diploma(), options)
    revocation, message = vc["credentialStatus"]
    assert revocation["statusPurpose"] == "revocation" and "statusSize" not in revocation
    assert message["statusSize"] == 2 and message["statusMessage"] == SPEC_MESSAGES
    assert message["statusReference"] == SERVER_MESSAGES["statusReference"]
    listed = server("GET", message["statusListCredential"][len(server.url) :]).json()
    assert listed["credentialSubject"]["statusPurpose"] == "message"
    assert len(Bitstring.decode(listed["credentialSubject"]["encodedList"])) == MIN_LENGTH * 2

    answer = _change(server, vc["id"], statusPurpose="message", status="0x2")
    assert answer.status == 200, answer.json()
    assert answer.json()["current"] == {"revocation": 0, "message": 2}
    verified = server.verify(vc)
    assert verified.status == 200, verified.json()
    status = next(r for r in verified.json()["results"] if r["id"] == "status")
    assert "status message 0x2: rejected" in status["message"]

    too_big = _change(server, vc["id"], statusPurpose="message", status=4)
    assert too_big.status == 409 and "0 to 3" in too_big.json()["detail"]
    not_hex = _change(server, vc["id"], statusPurpose="message", status="rejected")
    assert not_hex.status == 400


@pytest.mark.parametrize(
    ("option", "why"),
    [
        ({**SERVER_MESSAGES, "statusMessage": SPEC_MESSAGES[:2]}, "4 elements"),
        ({k: v for k, v in SERVER_MESSAGES.items() if k != "statusMessage"}, "statusMessage"),
        ({**SERVER_MESSAGES, "statusSize": 9}, "1 to 8"),
        ({**SERVER_MESSAGES, "statusReference": "nope"}, "statusReference"),
        ({"statusPurpose": "revocation", "statusSize": 2}, "one bit"),
        ([SERVER_MESSAGES, SERVER_MESSAGES], "twice"),
    ],
)
def test_vc_api_refuses_inconsistent_message_options(server: Any, option: Any, why: str) -> None:
    from test_server_helpers import TOKEN, diploma

    body = {"credential": diploma(), "options": {"credentialStatus": option}}
    answer = server("POST", "/credentials/issue", body, token=TOKEN)
    assert answer.status == 400, answer.json()
    assert why in answer.json()["detail"]


# --- the command line ---------------------------------------------------------------------


def test_cli_sets_and_shows_a_message_status(issuer: Issuer) -> None:
    from click.testing import CliRunner

    from credkit.cli import main

    issuer.issue("urn:uuid:a")
    store_path = str(issuer.store.path)
    issuer.store.close()
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(main, ["status", "--store", store_path, *args])

    assert run("message", "urn:uuid:a", "0x2").exit_code == 0
    shown = run("show", "urn:uuid:a")
    assert "message: 0x2 rejected" in shown.output, shown.output
    assert run("message", "urn:uuid:a", "accepted", "--reason", "appeal").exit_code == 0
    assert "message: 0x1 accepted" in run("show", "urn:uuid:a").output
    bad = run("message", "urn:uuid:a", "0x4")
    assert bad.exit_code == 2 and "not one of this entry's statuses" in bad.output
    assert run("message", "urn:uuid:a", "lost").exit_code == 2
    with SqliteStore(store_path) as store:
        assert store.get_status("urn:uuid:a") == {"revocation": 0, "message": 1}
        assert [e.reason for e in store.history("urn:uuid:a")] == [None, "appeal"]
        store.issue("urn:uuid:b", ["revocation"], build_for("urn:uuid:b", "did:ex:i"))
    none = run("message", "urn:uuid:b", "0x1")
    assert none.exit_code == 2 and "without a message entry" in none.output
