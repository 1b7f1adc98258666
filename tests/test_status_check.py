"""Bitstring Status List 1.0 §3.2 against real signed lists: the verifier's side of revocation."""

from __future__ import annotations

import copy
import http.server
import json
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from credkit import proofs
from credkit.errors import (
    MalformedValueError,
    StatusListLengthError,
    StatusRangeError,
    StatusRetrievalError,
    StatusVerificationError,
)
from credkit.identity.keys import KeyPair
from credkit.issuer.store import SqliteStore
from credkit.status import (
    Bitstring,
    CachingFetcher,
    DirectoryFetcher,
    HttpFetcher,
    check_status,
    publish,
    sign_status_list,
    status_entries,
    status_list_credential,
)

BASE = "https://diplomas.example.edu/credentials"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def verify_list(doc: dict[str, Any]) -> bool:
    return proofs.verify(doc, now=NOW).verified


def build_for(cid: str) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    def build(entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": cid,
            "type": ["VerifiableCredential"],
            "issuer": "did:example:issuer",
            "credentialSubject": {"name": "Grace"},
            "credentialStatus": entries,
        }

    return build


class Issuer:
    def __init__(self, tmp: Path) -> None:
        self.key = KeyPair.from_seed(bytes(range(32)))
        self.store = SqliteStore(tmp / "issuer.db", base_url=BASE)
        self.out = tmp / "site"
        self.fetch = DirectoryFetcher(self.out, base_url=BASE)

    def issue(self, cid: str) -> dict[str, dict[str, Any]]:
        rec = self.store.issue(cid, ["revocation", "suspension"], build_for(cid))
        return {e["statusPurpose"]: e for e in status_entries(rec.json())}

    def publish(self, **kw: Any) -> list[Path]:
        return publish(self.store, self.key, self.out, BASE, now=kw.pop("now", NOW), **kw)


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    return Issuer(tmp_path)


def check(issuer: Issuer, entry: dict[str, Any], **kw: Any) -> Any:
    kw.setdefault("fetch", issuer.fetch)
    return check_status(entry, verify_list=kw.pop("verify_list", verify_list), now=NOW, **kw)


def test_publish_lays_out_signed_lists_by_url_path(issuer: Issuer) -> None:
    issuer.issue("urn:uuid:1")
    written = issuer.publish(ttl=3_600_000, valid_for=timedelta(days=30))
    assert written == [issuer.out / "status" / "1", issuer.out / "status" / "2"]
    doc = json.loads(written[0].read_text())
    assert doc["id"] == f"{BASE}/status/1"
    assert doc["issuer"] == issuer.key.controller
    assert doc["validUntil"] == "2026-12-23T12:00:00Z"
    assert doc["credentialSubject"]["ttl"] == 3_600_000
    assert doc["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert verify_list(doc)
    assert sorted(p.name for p in (issuer.out / "status").iterdir()) == ["1", "2"]  # no temp files


def test_unrevoked_credential_passes_and_revoked_fails(issuer: Issuer) -> None:
    a, b = issuer.issue("urn:a"), issuer.issue("urn:b")
    issuer.store.set_status("urn:b", "revocation", 1)
    issuer.store.set_status("urn:a", "suspension", 1)
    issuer.publish()
    ok = check(issuer, a["revocation"])
    assert (ok.valid, ok.status_value, ok.purpose, ok.message) == (
        True,
        0,
        "revocation",
        "not revoked",
    )
    revoked = check(issuer, b["revocation"])
    assert (revoked.valid, revoked.status_value, revoked.message) == (False, 1, "revoked")
    assert check(issuer, a["suspension"]).message == "suspended"
    assert check(issuer, b["suspension"]).valid
    # reinstating a suspension shows up in the next publish
    issuer.store.set_status("urn:a", "suspension", 0)
    issuer.publish()
    assert check(issuer, a["suspension"]).valid


def test_a_list_whose_bits_or_signature_were_altered_fails(issuer: Issuer) -> None:
    entry = issuer.issue("urn:a")["revocation"]
    issuer.issue("urn:b")
    issuer.store.set_status("urn:b", "revocation", 1)
    (path,) = [p for p in issuer.publish() if p.name == "1"]
    doc = json.loads(path.read_text())

    flipped = copy.deepcopy(doc)  # someone clears the revoked bit and re-encodes
    flipped["credentialSubject"]["encodedList"] = Bitstring().encode()
    path.write_text(json.dumps(flipped))
    with pytest.raises(StatusVerificationError, match="does not verify"):
        check(issuer, entry)

    bad_sig = copy.deepcopy(doc)
    pv = bad_sig["proof"]["proofValue"]
    bad_sig["proof"]["proofValue"] = pv[:-2] + ("A" if pv[-2] != "A" else "B") + pv[-1]
    path.write_text(json.dumps(bad_sig))
    with pytest.raises(StatusVerificationError):
        check(issuer, entry)

    unsigned = {k: v for k, v in doc.items() if k != "proof"}
    path.write_text(json.dumps(unsigned))
    with pytest.raises(StatusVerificationError):
        check(issuer, entry)


def test_purpose_mismatch_is_a_verification_error(issuer: Issuer) -> None:
    entries = issuer.issue("urn:a")
    issuer.publish()
    crossed = dict(entries["suspension"], statusListCredential=f"{BASE}/status/1")
    crossed["id"] = crossed["statusListCredential"] + "#" + crossed["statusListIndex"]
    with pytest.raises(StatusVerificationError, match="purpose"):
        check(issuer, crossed)


def test_index_outside_the_list_is_a_range_error(issuer: Issuer) -> None:
    entry = issuer.issue("urn:a")["revocation"]
    issuer.publish()
    with pytest.raises(StatusRangeError) as err:
        check(issuer, dict(entry, statusListIndex="131072"))
    assert err.value.type_url == "https://www.w3.org/TR/vc-data-model#RANGE_ERROR"
    assert check(issuer, dict(entry, statusListIndex="131071")).valid


def test_missing_list_is_a_retrieval_error(issuer: Issuer) -> None:
    entry = issuer.issue("urn:a")["revocation"]
    with pytest.raises(StatusRetrievalError) as err:  # never published
        check(issuer, entry)
    assert err.value.to_problem()["code"] == -128

    def broken(url: str) -> dict[str, Any]:
        raise OSError("connection reset")

    with pytest.raises(StatusRetrievalError, match="connection reset"):
        check(issuer, entry, fetch=broken)
    with pytest.raises(StatusRetrievalError):
        check(issuer, entry, fetch=lambda url: ["not", "an", "object"])


def test_a_list_served_under_another_lists_url_fails(issuer: Issuer) -> None:
    entry = issuer.issue("urn:a")["revocation"]
    issuer.publish()
    (issuer.out / "status" / "1").write_bytes((issuer.out / "status" / "2").read_bytes())
    with pytest.raises(StatusVerificationError, match="serves"):
        check(issuer, entry)


def test_expired_or_future_list_fails(issuer: Issuer) -> None:
    entry = issuer.issue("urn:a")["revocation"]
    issuer.publish(now=NOW - timedelta(days=40), valid_for=timedelta(days=30))
    with pytest.raises(StatusVerificationError, match="expired"):
        check(issuer, entry)
    issuer.publish(now=NOW + timedelta(hours=1))
    with pytest.raises(StatusVerificationError, match="not valid yet"):
        check_status(entry, issuer.fetch, verify_list=lambda d: True, now=NOW)


def test_short_list_is_a_length_error_unless_the_ecosystem_allows_it(tmp_path: Path) -> None:
    key = KeyPair.generate()
    bits = Bitstring(1024, min_length=8)
    bits.set(5)
    url = f"{BASE}/status/short"
    signed = sign_status_list(status_list_credential(url, key.controller, "revocation", bits), key)
    entry = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": url,
    }
    with pytest.raises(StatusListLengthError):
        check_status(entry, lambda u: signed, verify_list=verify_list)
    assert (
        check_status(entry, lambda u: signed, verify_list=verify_list, min_length=1024).status_value
        == 1
    )


@pytest.mark.parametrize(
    "change",
    [
        {"statusListIndex": 5},
        {"statusListIndex": "-1"},
        {"statusListIndex": " 5"},
        {"statusListIndex": "0x5"},
        {"statusListIndex": ""},
        {"statusListCredential": None},
        {"statusListCredential": "not a url"},
        {"statusPurpose": ""},
        {"type": "StatusList2021Entry"},
        {"id": f"{BASE}/status/1"},
        {"statusSize": 0},
        {"statusSize": 2},  # without statusMessage
        {"statusSize": True},
    ],
)
def test_malformed_entries_are_malformed_value_errors(
    issuer: Issuer, change: dict[str, Any]
) -> None:
    entry = issuer.issue("urn:a")["revocation"]
    issuer.publish()
    bad = {k: v for k, v in {**entry, **change}.items() if v is not None}
    with pytest.raises(MalformedValueError):
        check(issuer, bad)


def test_multi_bit_status_reads_its_message(tmp_path: Path) -> None:
    key = KeyPair.generate()
    bits = Bitstring(2 * 131_072)
    bits.set(2 * 7)  # entry 7 = "10" = 0x2
    url = f"{BASE}/status/messages"
    signed = sign_status_list(status_list_credential(url, key.controller, "message", bits), key)
    entry = {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": "7",
        "statusListCredential": url,
        "statusSize": 2,
        "statusMessage": [
            {"status": "0x0", "message": "pending review"},
            {"status": "0x1", "message": "accepted"},
            {"status": "0x2", "message": "rejected"},
            {"status": "0x3", "message": "withdrawn"},
        ],
    }
    result = check_status(entry, lambda u: signed, verify_list=verify_list)
    assert (result.status_value, result.message, result.valid) == (2, "rejected", False)


# --- fetchers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/status/../../issuer.db",
        f"{BASE}/status/%2e%2e/%2e%2e/issuer.db",
        f"{BASE}/status/..%2f..%2fissuer.db",
        "https://elsewhere.example/status/1",
        f"{BASE}/",
    ],
)
def test_directory_fetcher_refuses_paths_outside_its_root(issuer: Issuer, url: str) -> None:
    issuer.issue("urn:a")
    issuer.publish()
    with pytest.raises(StatusRetrievalError):
        issuer.fetch(url)


def test_directory_fetcher_refuses_a_symlink_out_of_its_root(issuer: Issuer) -> None:
    issuer.issue("urn:a")
    issuer.publish()
    os.symlink(issuer.store.path, issuer.out / "status" / "escape")
    with pytest.raises(StatusRetrievalError, match="outside"):
        issuer.fetch(f"{BASE}/status/escape")


def test_directory_fetcher_without_base_url_maps_the_whole_path(issuer: Issuer) -> None:
    issuer.issue("urn:a")
    issuer.publish()
    whole = DirectoryFetcher(issuer.out.parent / "mirror")
    target = issuer.out.parent / "mirror" / "credentials" / "status"
    target.mkdir(parents=True)
    (target / "1").write_bytes((issuer.out / "status" / "1").read_bytes())
    assert whole(f"{BASE}/status/1")["id"] == f"{BASE}/status/1"


@pytest.fixture
def http_site(issuer: Issuer) -> Iterator[str]:
    issuer.issue("urn:a")
    issuer.publish()
    (issuer.out / "big").write_bytes(b"{" + b" " * (1 << 20) + b"}")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(issuer.out))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_http_fetcher_gets_a_real_list_and_refuses_the_rest(http_site: str) -> None:
    fetch = HttpFetcher(timeout=5, allow_http=True, allow_private_network=True)
    doc = fetch(f"{http_site}/status/1")
    assert doc["id"] == f"{BASE}/status/1" and verify_list(doc)
    with pytest.raises(StatusRetrievalError, match="404"):
        fetch(f"{http_site}/status/99")
    with pytest.raises(StatusRetrievalError, match="larger"):
        fetch(f"{http_site}/big")
    with pytest.raises(StatusRetrievalError):
        fetch("file:///etc/passwd")
    with pytest.raises(StatusRetrievalError):
        HttpFetcher(allow_private_network=True)(f"{http_site}/status/1")  # http: off by default


def test_caching_fetcher_honours_ttl_and_valid_until(issuer: Issuer) -> None:
    issuer.issue("urn:a")
    calls: list[str] = []

    def counting(url: str) -> dict[str, Any]:
        calls.append(url)
        return issuer.fetch(url)

    clock = [NOW]
    cache = CachingFetcher(counting, clock=lambda: clock[0], default_ttl=60)
    url = f"{BASE}/status/1"

    issuer.publish(ttl=10_000)  # 10 s
    cache(url)
    clock[0] += timedelta(seconds=9)
    cache(url)
    assert len(calls) == 1
    clock[0] += timedelta(seconds=2)
    cache(url)
    assert len(calls) == 2

    issuer.publish(now=clock[0], valid_for=timedelta(seconds=5))  # no ttl: validUntil wins
    cache.clear()
    cache(url)
    clock[0] += timedelta(seconds=4)
    cache(url)
    assert len(calls) == 3
    clock[0] += timedelta(seconds=2)
    cache(url)
    assert len(calls) == 4

    issuer.publish(now=clock[0])  # neither: the default
    cache.clear()
    cache(url)
    clock[0] += timedelta(seconds=59)
    cache(url)
    assert len(calls) == 5
    clock[0] += timedelta(seconds=2)
    cache(url)
    assert len(calls) == 6


def test_caching_fetcher_makes_check_status_see_a_revocation_only_after_expiry(
    issuer: Issuer,
) -> None:
    entry = issuer.issue("urn:a")["revocation"]
    issuer.publish(ttl=60_000)
    clock = [NOW]
    cache = CachingFetcher(issuer.fetch, clock=lambda: clock[0])
    assert check(issuer, entry, fetch=cache).valid
    issuer.store.set_status("urn:a", "revocation", 1)
    issuer.publish(ttl=60_000)
    assert check(issuer, entry, fetch=cache).valid  # cached, as the issuer allowed
    clock[0] += timedelta(seconds=61)
    assert not check(issuer, entry, fetch=cache).valid
