"""Issue 14, "Stay up": work bounds before JSON-LD, verification off the event loop with a
deadline, and a busy store answered quickly with 503.

The attack shapes are the issue's: thousands of strings in one array made JSON-LD quadratic
(5,000 took 11 s) while the server's event loop answered nothing else.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from credkit.errors import ParsingError
from credkit.verify.checks import MAX_ARRAY, MAX_KEYS, MAX_NODES, load_document
from test_verify_cli import AT, run, write
from test_verify_helpers import signed_diploma, verifier

ROOT = Path(__file__).resolve().parent.parent


def _count(value: Any) -> int:
    if isinstance(value, list):
        return 1 + sum(_count(v) for v in value)
    if isinstance(value, dict):
        return 1 + sum(_count(v) for v in value.values())
    return 1


def five_thousand_tags() -> dict[str, Any]:
    doc = signed_diploma()
    doc["credentialSubject"]["achievement"]["tag"] = [f"s{i}" for i in range(5000)]
    return doc


def heavy_within_limits(copies: int = 12) -> dict[str, Any]:
    """Achievements sharing one id merge into one node: ~250 x copies tags for JSON-LD."""
    doc = signed_diploma()
    achievement = doc["credentialSubject"]["achievement"]
    doc["credentialSubject"]["achievement"] = [
        dict(copy.deepcopy(achievement), tag=[f"t{j}-{i}" for i in range(250)])
        for j in range(copies)
    ]
    assert _count(doc) <= MAX_NODES
    return doc


# --- (1) work bounds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ROOT / "benchmarks" / "diploma.json",
        ROOT / "examples" / "credential.json",
        ROOT / "tests" / "vectors" / "ob3" / "spec-examples" / "fullOpenBadge.json",
    ],
)
def test_real_diplomas_are_far_within_the_limits(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    load_document(doc, max_bytes=1 << 20, max_depth=64)
    assert _count(doc) * 4 < MAX_NODES


def test_five_thousand_strings_in_one_array_are_refused_before_json_ld() -> None:
    start = time.monotonic()
    result = verifier().verify_credential(five_thousand_tags())
    assert time.monotonic() - start < 1  # was 11-12 s of JSON-LD work
    assert result.verdict == "unusable"
    check = result.check("well_formed")
    assert check is not None and f"over the {MAX_ARRAY}-entry limit" in check.message


def test_too_many_values_in_total_are_refused() -> None:
    doc = signed_diploma()
    # every array within MAX_ARRAY, but more values than MAX_NODES in all
    doc["credentialSubject"]["achievement"]["tag"] = [
        [f"s{j}-{i}" for i in range(MAX_ARRAY)] for j in range(MAX_NODES // MAX_ARRAY + 1)
    ]
    with pytest.raises(ParsingError, match=f"more than {MAX_NODES} JSON values"):
        load_document(json.dumps(doc), max_bytes=4 << 20, max_depth=64)


def test_objects_with_too_many_names_are_refused() -> None:
    doc = signed_diploma()
    doc["credentialSubject"].update({f"k{i}": "v" for i in range(MAX_KEYS + 1)})
    with pytest.raises(ParsingError, match=f"over the {MAX_KEYS}-name limit"):
        load_document(doc, max_bytes=4 << 20, max_depth=64)


def test_cli_answers_unusable_input_for_oversized_arrays(tmp_path: Path) -> None:
    out = run([write(tmp_path, "big.json", five_thousand_tags()), *AT])
    assert out.returncode == 2
    assert f"{MAX_ARRAY}-entry limit" in (out.stdout + out.stderr).decode()


# --- (1)+(2) the server ------------------------------------------------------------------------

fastapi = pytest.importorskip("fastapi")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from test_server_helpers import Server

    srv = Server(tmp_path_factory.mktemp("stay-up"), token=None)
    yield srv
    srv.stop()


def test_server_answers_413_for_oversized_arrays_quickly(server: Any) -> None:
    start = time.monotonic()
    answer = server.verify(five_thousand_tags())
    assert time.monotonic() - start < 2
    assert answer.status == 413, answer
    assert answer.json()["code"] == "INPUT_TOO_LARGE"


def test_small_request_is_answered_during_a_heavy_verification(server: Any) -> None:
    heavy = heavy_within_limits()
    done: dict[str, float] = {}

    def post() -> None:
        start = time.monotonic()
        done["status"] = server.verify(heavy).status
        done["seconds"] = time.monotonic() - start

    worker = threading.Thread(target=post)
    worker.start()
    time.sleep(0.5)  # the heavy request is being verified now
    start = time.monotonic()
    answer = server("GET", "/healthz")
    small = time.monotonic() - start
    worker.join(120)
    assert answer.status == 200
    assert done["status"] == 400  # within the limits: verified (not verified: the tags are new)
    assert done["seconds"] > 1.5, "the heavy request must be heavy for this test to mean anything"
    assert small < 0.5, f"an unrelated request waited {small:.2f}s behind a heavy verification"


def test_verification_past_the_deadline_answers_503(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi import testclient

    from credkit.server import ServerConfig, create_app, vcapi

    monkeypatch.setattr(vcapi, "VERIFY_DEADLINE", 0.2)
    app = create_app(ServerConfig())
    with testclient.TestClient(app) as http:
        start = time.monotonic()
        answer = http.post(
            "/credentials/verify", json={"verifiableCredential": heavy_within_limits(8)}
        )
        assert time.monotonic() - start < 1.5
    assert answer.status_code == 503
    assert answer.json()["code"] == "VERIFY_TIMEOUT"
    assert "Retry-After" in answer.headers


# --- (3) the store -----------------------------------------------------------------------------


def test_busy_store_answers_503_quickly_without_its_path(tmp_path: Path) -> None:
    from test_server_helpers import TOKEN, Server, diploma, make_workspace

    ws = make_workspace(tmp_path / "ws", "http://127.0.0.1:9")
    srv = Server(tmp_path, workspace=ws)
    try:
        vc = srv.issue(diploma())  # this thread's connection is open before the lock is taken
        holder = sqlite3.connect(ws.store_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process's writer, as the issue describes
        try:
            answers = []
            for _ in range(2):  # whichever worker thread takes them, with or without a connection
                start = time.monotonic()
                issued = srv("POST", "/credentials/issue", {"credential": diploma()}, token=TOKEN)
                changed = srv(
                    "POST",
                    "/credentials/status",
                    {"credentialId": vc["id"], "credentialStatus": [{"status": "revoked"}]},
                    token=TOKEN,
                )
                answers.append((time.monotonic() - start, issued, changed))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        for seconds, issued, changed in answers:
            assert seconds < 12  # two requests of at most a few seconds each (was 30 s each)
            for answer in (issued, changed):
                assert answer.status == 503, answer
                assert answer.json()["code"] == "STORE_BUSY"
                assert "Retry-After" in answer.headers
                assert str(tmp_path) not in answer.text and "issuer.db" not in answer.text
        after = srv("POST", "/credentials/issue", {"credential": diploma()}, token=TOKEN)
        assert after.status == 201, after  # the lock released, the store works again
    finally:
        srv.stop()


def test_a_signed_trust_list_of_many_issuers_is_not_bound_like_a_diploma(tmp_path: Path) -> None:
    # a national registry names far more issuers than a diploma has values in one object
    from credkit.verify.trust import load_registry
    from test_verify_helpers import ACCREDITOR, ISSUER, signed_diploma, trust_list_vc, verifier

    registry = {f"did:web:school{i}.example": {"name": f"School {i}"} for i in range(400)}
    registry[ISSUER.controller] = {"name": "Example Training Lab"}
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(trust_list_vc(ACCREDITOR, registry)))
    trust = load_registry([path], anchors=[ACCREDITOR.controller])
    check = verifier(trust=trust).verify_credential(signed_diploma()).check("trusted_issuer")
    assert check is not None and check.status == "passed", check


def test_a_locked_hosting_table_is_busy_in_seconds_not_thirty(tmp_path: Path) -> None:
    from credkit.issuer.hosting import HostedTable
    from credkit.issuer.store import StoreBusyError

    table = HostedTable(tmp_path / "hosted.db")
    holder = sqlite3.connect(tmp_path / "hosted.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        start = time.monotonic()
        with pytest.raises(StoreBusyError, match="busy") as caught:
            table.add("urn:uuid:00000000-0000-4000-8000-000000000001", "a" * 22)
        assert time.monotonic() - start < 10
        assert str(tmp_path) not in str(caught.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        table.close()


def test_reads_do_not_wait_for_another_process_holding_the_write_lock(tmp_path: Path) -> None:
    """Opening the store and reading it take no write lock: a GET, or a verification of one of
    the service's own diplomas, is answered while another process writes (issue 14)."""
    from urllib.parse import urlsplit

    from credkit.issuer.store import SqliteStore
    from test_server_helpers import Server, diploma, make_workspace

    ws = make_workspace(tmp_path / "ws", "http://127.0.0.1:9")
    srv = Server(tmp_path, workspace=ws)
    try:
        vc = srv.issue(diploma())
        list_path = urlsplit(vc["credentialStatus"]["statusListCredential"]).path
        holder = sqlite3.connect(ws.store_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            start = time.monotonic()
            with SqliteStore(ws.store_path, base_url=ws.base_url) as store:  # a new connection
                assert store.credential(vc["id"]) is not None
                assert store.lists() and store.get_status(vc["id"])
            assert time.monotonic() - start < 1.0
            for _ in range(6):  # across the server's worker threads, old and new connections
                start = time.monotonic()
                listed = srv("GET", list_path)
                verified = srv("POST", "/credentials/verify", {"verifiableCredential": vc})
                assert time.monotonic() - start < 2.0
                assert listed.status == 200, listed
                assert verified.status == 200, verified.text
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    finally:
        srv.stop()
