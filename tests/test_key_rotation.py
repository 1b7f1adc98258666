"""The issuer's key set (issue 19): rotation, retirement, compromise with re-issue, the audit log.

Diplomas are checked the way an employer's verifier sees them: credkit's Verifier resolving the
issuer's did:web through a fetcher that reads the DID document from an HTTP server on
127.0.0.1, serving exactly what `credkit serve` (or `credkit site build`) publishes after each
key change. Nothing is mocked: the proofs are real signatures, the store a real SQLite file.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from credkit.identity.did import Resolver
from credkit.identity.keys import KeyPair
from credkit.issuer import keyring
from credkit.issuer.cohort import issue_cohort
from credkit.issuer.hosting import did_document
from credkit.issuer.site import build_site
from credkit.issuer.workspace import Workspace
from credkit.model.roster import read_roster
from credkit.model.template import load_template
from credkit.netpolicy import NetPolicy
from credkit.proofs.dataintegrity import sign
from credkit.verify.verifier import Verifier

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
DID = "did:web:lab.test"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-m", "credkit", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


class DidHost:
    """An HTTP server on 127.0.0.1 serving one DID document, replaced at will."""

    def __init__(self) -> None:
        self.body = b"{}"
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path != "/.well-known/did.json":
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/did+json")
                self.send_header("Content-Length", str(len(host.body)))
                self.end_headers()
                self.wfile.write(host.body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.policy = NetPolicy(
            allow_http=True,
            allow_private_network=True,
            resolve=lambda host, port: ["127.0.0.1"] if host == "lab.test" else [],
        )

    def publish(self, document: dict[str, Any] | None) -> None:
        assert document is not None
        self.body = json.dumps(document).encode()

    def fetch(self, url: str) -> bytes:
        # did:web says https://lab.test/.well-known/did.json; the test host speaks http
        assert url == "https://lab.test/.well-known/did.json", url
        port = self.server.server_address[1]
        return self.policy.fetch(f"http://lab.test:{port}/.well-known/did.json")

    def verifier(self) -> Verifier:
        def no_status(url: str) -> dict[str, Any]:
            raise AssertionError("status is not what these tests check")

        return Verifier(resolver=Resolver(fetcher=self.fetch), status_fetcher=no_status)

    def proof(self, document: dict[str, Any]) -> tuple[str, str]:
        check = self.verifier().verify_credential(document).check("proof")
        assert check is not None
        return check.status, check.message

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def did_host() -> Iterator[DidHost]:
    host = DidHost()
    yield host
    host.close()


def make_lab(tmp: Path) -> Workspace:
    return Workspace.create(
        tmp / "lab", name="Reelbridge Lab", did_web_domain="lab.test", base_url="https://lab.test"
    )


def issue(
    ws: Workspace, rows: slice, now: datetime, *, legacy_proof: bool = False
) -> list[dict[str, Any]]:
    graduates = list(read_roster(ROOT / "examples/postproduction/roster.csv"))[rows]
    store = ws.store()
    try:
        report = issue_cohort(
            load_template(ws.template_path),
            graduates,
            ws.key(),
            ws.diplomas_dir,
            store=store,
            workers=1,
            now=now,
            legacy_proof=legacy_proof,
        )
        assert report.ok and len(report.issued) == len(graduates)
        return [json.loads(Path(p).read_text()) for p in report.issued]
    finally:
        store.close()


def published_ids(document: dict[str, Any] | None) -> list[str]:
    assert document is not None
    return [m["id"] for m in document["verificationMethod"]]


def server_did_json(ws: Workspace) -> dict[str, Any]:
    from fastapi import testclient

    from credkit.server import ServerConfig, create_app

    with testclient.TestClient(create_app(ServerConfig(issuer_dir=ws.root))) as http_:
        answer = http_.get("/.well-known/did.json")
        assert answer.status_code == 200
        body: dict[str, Any] = answer.json()
        return body


def site_did_json(ws: Workspace, out: Path) -> dict[str, Any]:
    build_site(ws, out)
    body: dict[str, Any] = json.loads((out / ".well-known/did.json").read_text())
    return body


# --- rotation ----------------------------------------------------------------------------------


def test_rotation_keeps_old_diplomas_verifying_and_signs_new_ones_with_the_new_key(
    tmp_path: Path, did_host: DidHost
) -> None:
    ws = make_lab(tmp_path)
    first = ws.key()
    old = issue(ws, slice(0, 2), T0)
    did_host.publish(did_document(ws, first))
    assert did_host.proof(old[0])[0] == "passed"

    out = cli("keys", "rotate", "--issuer-dir", str(ws.root))
    assert out.returncode == 0, out.stderr
    assert "new signing key" in out.stdout and first.id in out.stdout
    ws = Workspace.open(ws.root)
    second = ws.key()
    assert second.id != first.id and second.controller == DID
    assert [e.state for e in ws.keys] == ["active", "current"]

    document = did_document(ws, second)
    assert document is not None
    assert published_ids(document) == [second.id, first.id]
    assert document["assertionMethod"] == [second.id, first.id]
    did_host.publish(document)
    new = issue(ws, slice(2, 3), T0 + timedelta(days=1))
    assert new[0]["proof"][0]["verificationMethod"] == second.id
    for diploma in (*old, *new):
        status, message = did_host.proof(diploma)
        assert status == "passed", message
    # the DID document the old issuer published (only the first key) cannot verify new ones
    did_host.publish(
        {
            **document,
            "verificationMethod": [first.verification_method()],
            "assertionMethod": [first.id],
        }
    )
    assert did_host.proof(new[0])[0] == "failed"


def test_a_did_key_workspace_cannot_rotate_exit_2_with_the_reason(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "dk", name="Lab")
    out = cli("keys", "rotate", "--issuer-dir", str(ws.root))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1
    assert "did:key issuer cannot rotate" in out.stderr and "use did:web" in out.stderr
    assert "Traceback" not in out.stderr
    assert Workspace.open(ws.root).keys == ()  # nothing changed


def test_a_swapped_key_file_is_refused_not_published(tmp_path: Path) -> None:
    ws = make_lab(tmp_path)
    store = ws.store()
    keyring.rotate(ws, store)
    store.close()
    ws = Workspace.open(ws.root)
    stranger = KeyPair.generate().with_controller(DID)
    with pytest.raises(keyring.KeySetError, match="current key"):
        did_document(ws, stranger)


# --- retirement --------------------------------------------------------------------------------


def test_retire_marks_expires_and_the_verifier_checks_created_against_it(
    tmp_path: Path, did_host: DidHost
) -> None:
    ws = make_lab(tmp_path)
    first = ws.key()
    old = issue(ws, slice(0, 1), T0)
    assert cli("keys", "rotate", "--issuer-dir", str(ws.root)).returncode == 0

    # a date before a diploma the key signed is refused: it would break that diploma
    out = cli("keys", "retire", first.id, "--after", "2026-02-01", "--issuer-dir", str(ws.root))
    assert out.returncode == 2 and "pick a later date" in out.stderr

    frag = first.id.partition("#")[2]
    out = cli("keys", "retire", frag, "--after", "2026-06-01", "--issuer-dir", str(ws.root))
    assert out.returncode == 0, out.stderr
    ws = Workspace.open(ws.root)
    document = did_document(ws, ws.key())
    assert document is not None
    methods = {m["id"]: m for m in document["verificationMethod"]}
    assert methods[first.id]["expires"] == "2026-06-01T00:00:00Z"
    assert "expires" not in methods[ws.key().id]
    did_host.publish(document)

    # before the date: passes; at or after it: fails, naming the retirement
    assert did_host.proof(old[0])[0] == "passed"
    unsigned = {k: v for k, v in old[0].items() if k != "proof"}
    for created, expected in (
        ("2026-05-31T23:59:59Z", "passed"),
        ("2026-06-01T00:00:00Z", "failed"),
        ("2026-09-01T00:00:00Z", "failed"),
    ):
        late = sign(unsigned, first, created=created)
        status, message = did_host.proof(late)
        assert status == expected, (created, message)
        if expected == "failed":
            assert "retired" in message and "2026-06-01T00:00:00Z" in message
            check = did_host.verifier().verify_credential(late).check("proof")
            assert check is not None and check.reason == "key retired or revoked"


@pytest.mark.parametrize("prop", ["revoked", "expires"])
def test_vm_validity_dates_in_a_did_document_are_honoured(prop: str, did_host: DidHost) -> None:
    key = KeyPair.generate().with_controller(DID, f"{DID}#k1")
    vm = {**key.verification_method(), prop: "2026-04-01T00:00:00Z"}
    did_host.publish(
        {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": DID,
            "verificationMethod": [vm],
            "assertionMethod": [key.id],
        }
    )
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": DID,
        "credentialSubject": {"name": "x"},
    }
    before = did_host.proof(sign(doc, key, created="2026-03-31T23:59:59Z"))
    if prop == "expires":
        # a retired key: what it signed before the date still verifies
        assert before[0] == "passed"
    else:
        # a revocation that has passed refuses every proof by the key, backdated ones too (as
        # the reference libraries refuse any revoked method)
        assert before[0] == "failed" and "revoked" in before[1], before
        # judged now, not at the verification's clock (`credkit verify --at` a time before it)
        early = Verifier(
            resolver=Resolver(fetcher=did_host.fetch),
            clock=lambda: datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC),
        )
        signed = sign(doc, key, created="2026-03-31T23:00:00Z")
        check = early.verify_credential(signed).check("proof")
        assert check is not None and check.status == "failed" and "revoked" in check.message
    status, message = did_host.proof(sign(doc, key, created="2026-04-01T00:00:00Z"))
    assert status == "failed" and ("revoked" if prop == "revoked" else "retired") in message
    # a validity date that is not a dateTimeStamp cannot be honoured: the key is refused
    did_host.publish(
        {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": DID,
            "verificationMethod": [{**vm, prop: "soon"}],
            "assertionMethod": [key.id],
        }
    )
    assert did_host.proof(sign(doc, key, created="2026-03-01T00:00:00Z"))[0] == "failed"
    # no date in the document: today's behaviour
    did_host.publish(
        {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": DID,
            "verificationMethod": [key.verification_method()],
            "assertionMethod": [key.id],
        }
    )
    assert did_host.proof(sign(doc, key, created="2030-01-01T00:00:00Z"))[0] == "passed"


def test_a_proof_without_created_fails_against_a_key_with_a_validity_date(
    did_host: DidHost,
) -> None:
    key = KeyPair.generate().with_controller(DID, f"{DID}#k1")
    did_host.publish(
        {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": DID,
            "verificationMethod": [
                {**key.verification_method(), "expires": "2030-01-01T00:00:00Z"}
            ],
            "assertionMethod": [key.id],
        }
    )
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": DID,
        "credentialSubject": {"name": "x"},
    }
    signed = sign(doc, key)
    del signed["proof"]["created"]  # the signature no longer matches either; the reason must say
    status, message = did_host.proof(signed)
    assert status == "failed" and "no created time" in message


# --- compromise --------------------------------------------------------------------------------


def test_compromise_lists_reissues_with_same_ids_and_status_and_revokes_nothing(
    tmp_path: Path, did_host: DidHost
) -> None:
    ws = make_lab(tmp_path)
    stolen = ws.key()
    before = issue(ws, slice(0, 2), T0)
    after = issue(ws, slice(2, 3), T0 + timedelta(days=30))
    assert cli("keys", "rotate", "--issuer-dir", str(ws.root)).returncode == 0
    ws = Workspace.open(ws.root)
    current = ws.key()

    # the current key cannot be revoked without a rotation first
    out = cli(
        "keys", "revoke", current.id, "--compromised-at", "2026-03-15", "--issuer-dir", str(ws.root)
    )
    assert out.returncode == 2 and "rotate" in out.stderr

    out = cli(
        "keys", "revoke", stolen.id, "--compromised-at", "2026-03-15", "--issuer-dir", str(ws.root)
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "3 diploma(s)" in out.stdout
    for diploma in before:
        line = next(ln for ln in lines if diploma["id"] in ln)
        assert "AFTER" not in line
    assert "AFTER compromise" in next(ln for ln in lines if after[0]["id"] in ln)

    ws = Workspace.open(ws.root)
    document = did_document(ws, current)
    assert published_ids(document) == [current.id]  # the stolen key is gone entirely
    assert server_did_json(ws) == document
    assert site_did_json(ws, tmp_path / "site") == document
    did_host.publish(document)
    for diploma in (*before, *after):  # whatever date they claim: no proof by it is trusted
        status, message = did_host.proof(diploma)
        assert status == "failed" and "not in the controller document" in message

    store = ws.store()
    old_records = {r.id: r for r in store.credentials()}
    status_before = {i: store.get_status(i) for i in old_records}
    store.close()

    out = cli("keys", "reissue", "--key", stolen.id, "--issuer-dir", str(ws.root))
    assert out.returncode == 0, out.stderr
    assert "signed again 3 diploma(s)" in out.stdout

    store = ws.store()
    try:
        for diploma in (*before, *after):
            record = store.credential(diploma["id"])
            assert record is not None and record.document is not None
            new = record.json()
            # same id, same status entries, same claims; only the proofs differ
            assert {k: v for k, v in new.items() if k != "proof"} == {
                k: v for k, v in diploma.items() if k != "proof"
            }
            assert new["credentialStatus"] == diploma["credentialStatus"]
            assert [p["verificationMethod"] for p in new["proof"]] == [current.id]
            assert record.digest != old_records[diploma["id"]].digest
            assert Path(str(record.path)).read_bytes() == record.document  # the file again
            assert store.get_status(diploma["id"]) == status_before[diploma["id"]]
            assert store.history(diploma["id"]) == []  # nothing revoked or suspended
            status, message = did_host.proof(new)
            assert status == "passed", message
            entries = store.audit_entries(credential_id=diploma["id"])
            reissue = [e for e in entries if e.action == "reissue"]
            assert len(reissue) == 1
            assert reissue[0].detail["old_digest"] == old_records[diploma["id"]].digest
            assert reissue[0].detail["new_digest"] == record.digest == reissue[0].digest
        actions = [e.action for e in store.audit_entries()]
        assert actions.count("key.rotate") == 1 and actions.count("key.revoke") == 1
        assert store.verify_audit() == []
        assert store.check_consistency() == []
    finally:
        store.close()


def test_published_did_json_matches_the_key_set_after_every_change(tmp_path: Path) -> None:
    ws = make_lab(tmp_path)
    k1 = ws.key()
    for n, (command, expected) in enumerate(
        [
            (["rotate"], 2),
            (["rotate"], 3),
            (["retire", "{k1}", "--after", "2030-01-01"], 3),
            (["revoke", "{k2}", "--compromised-at", "2026-01-01"], 2),
        ]
    ):
        ids = [e.id for e in Workspace.open(ws.root).keys] or [k1.id]
        args = [a.format(k1=ids[0], k2=ids[1] if len(ids) > 1 else "") for a in command]
        out = cli("keys", *args, "--issuer-dir", str(ws.root))
        assert out.returncode == 0, out.stderr
        ws = Workspace.open(ws.root)
        key = ws.key()
        wanted = [key.id] + [
            e.id for e in ws.keys if e.state in ("active", "retired") and e.id != key.id
        ]
        served = server_did_json(ws)
        built = site_did_json(ws, tmp_path / f"site{n}")
        listed = json.loads(
            cli("keys", "list", "--did-document", "--issuer-dir", str(ws.root)).stdout
        )
        for doc in (served, built, listed):
            assert published_ids(doc) == wanted and len(wanted) == expected
            assert doc["assertionMethod"] == wanted
            assert not any(e.id in json.dumps(doc) for e in ws.keys if e.state == "compromised")
            expires = {m["id"]: m.get("expires") for m in doc["verificationMethod"]}
            for e in ws.keys:
                if e.state == "retired":
                    assert expires[e.id] == e.retired_after


# --- the audit log -----------------------------------------------------------------------------


def _tamper(db: Path, *sql: str) -> None:
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    con.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    for statement in sql:
        con.execute(statement)
    con.commit()
    con.close()


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        (["UPDATE audit_log SET detail = '{}' WHERE seq = 2"], "entry 2: contents changed"),
        (["DELETE FROM audit_log WHERE seq = 2"], "entry 2 to 2 missing (deleted)"),
        (
            ["DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)"],
            "cut off the end",
        ),
        (["UPDATE audit_log SET actor = 'someone@else' WHERE seq = 1"], "entry 1: contents"),
    ],
)
def test_audit_verify_names_the_first_break_and_exits_2(
    tmp_path: Path, sql: list[str], named: str
) -> None:
    ws = make_lab(tmp_path)
    issue(ws, slice(0, 2), T0)
    assert cli("keys", "rotate", "--issuer-dir", str(ws.root)).returncode == 0
    whole = cli("audit", "--verify", "--issuer-dir", str(ws.root))
    assert whole.returncode == 0 and "audit log whole" in whole.stdout, whole.stderr
    assert "key.rotate" in whole.stdout and " issue " in whole.stdout
    as_json = json.loads(cli("audit", "--json", "--verify", "--issuer-dir", str(ws.root)).stdout)
    assert as_json["verified"] is True and as_json["head"]["seq"] == len(as_json["entries"])

    _tamper(ws.store_path, *sql)
    broken = cli("audit", "--verify", "--issuer-dir", str(ws.root))
    assert broken.returncode == 2
    assert broken.stderr.startswith("credkit: error: the audit log is broken: ")
    assert named in broken.stderr and broken.stderr.count("\n") == 1
    report = cli("audit", "--verify", "--json", "--issuer-dir", str(ws.root))
    assert report.returncode == 2 and json.loads(report.stdout)["verified"] is False
    # without --verify the log is shown, whatever its state
    assert cli("audit", "--issuer-dir", str(ws.root)).returncode == 0


def test_audit_credential_filter(tmp_path: Path) -> None:
    ws = make_lab(tmp_path)
    issued = issue(ws, slice(0, 2), T0)
    out = cli("audit", "--credential", issued[0]["id"], "--json", "--issuer-dir", str(ws.root))
    entries = json.loads(out.stdout)["entries"]
    assert [e["action"] for e in entries] == ["issue"]
    assert entries[0]["credentialId"] == issued[0]["id"]


# --- the key set in credkit.toml ---------------------------------------------------------------


def _config_with(ws: Workspace, extra: str) -> None:
    path = ws.root / "credkit.toml"
    path.write_text(path.read_text() + "\n" + extra)


@pytest.mark.parametrize(
    ("tables", "error"),
    [
        (
            '[[keys]]\nid = "{id}"\nfile = "issuer.key"\npublic_key = "{mb}"\nstate = "active"\n',
            "exactly one of [[keys]] must be current, 0 are",
        ),
        (
            '[[keys]]\nid = "{id}"\nfile = "issuer.key"\npublic_key = "{mb}"\nstate = "lost"\n',
            "state 'lost' is not one of",
        ),
        (
            '[[keys]]\nid = "did:web:else.test#k"\nfile = "issuer.key"\npublic_key = "{mb}"\n'
            'state = "current"\n',
            "is not a key of did:web:lab.test",
        ),
        (
            '[[keys]]\nid = "{id}"\nfile = "other.key"\npublic_key = "{mb}"\nstate = "current"\n',
            "issuer.key is issuer.key, but the current key of [[keys]] is other.key",
        ),
        (
            '[[keys]]\nid = "{id}"\nfile = "issuer.key"\npublic_key = "{mb}"\nstate = "current"\n'
            '[[keys]]\nid = "{id}2"\nfile = "k2.key"\npublic_key = "{mb}"\nstate = "retired"\n',
            "has no retired_after",
        ),
    ],
)
def test_a_bad_key_set_is_one_line_exit_2(tmp_path: Path, tables: str, error: str) -> None:
    ws = make_lab(tmp_path)
    key = ws.key()
    _config_with(ws, tables.format(id=key.id, mb=key.public_key.multibase))
    with pytest.raises(Exception, match=re.escape(error)):
        Workspace.open(ws.root)
    out = cli("keys", "list", "--issuer-dir", str(ws.root))
    assert out.returncode == 2 and error in out.stderr and out.stderr.count("\n") == 1


def test_dates_are_checked_and_nothing_changes_on_a_refusal(tmp_path: Path) -> None:
    ws = make_lab(tmp_path)
    assert cli("keys", "rotate", "--issuer-dir", str(ws.root)).returncode == 0
    before = (ws.root / "credkit.toml").read_bytes()
    for bad in ("tomorrow", "2026-13-01", "2026-06-01T00:00:00"):
        out = cli("keys", "retire", "issuer.key", "--after", bad, "--issuer-dir", str(ws.root))
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    out = cli("keys", "retire", "nope", "--after", "2030-01-01", "--issuer-dir", str(ws.root))
    assert out.returncode == 2 and "no key 'nope'" in out.stderr
    assert (ws.root / "credkit.toml").read_bytes() == before
    assert keyring.timestamp("2026-06-01") == "2026-06-01T00:00:00Z"
    assert keyring.timestamp("2026-06-01T05:30:00+05:30") == "2026-06-01T00:00:00Z"


def test_a_running_server_refuses_to_sign_or_publish_after_the_key_moves_on(
    tmp_path: Path,
) -> None:
    from fastapi import testclient

    from credkit.server import ServerConfig, create_app

    ws = make_lab(tmp_path)
    token = "t" * 32
    store = ws.store()
    keyring.rotate(ws, store)  # two keys: the server starts on the second
    store.close()
    ws = Workspace.open(ws.root)
    config = ServerConfig(issuer_dir=ws.root, tokens=frozenset({token}))
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"name": "x"},
    }
    with testclient.TestClient(create_app(config)) as http_:
        auth = {"Authorization": f"Bearer {token}"}
        assert (
            http_.post(
                "/credentials/issue", json={"credential": credential}, headers=auth
            ).status_code
            == 201
        )
        # retiring an older key keeps this server's key current: the DID document follows
        first = ws.keys[0].id
        store = ws.store()
        keyring.retire(ws, store, first, "2030-01-01")
        store.close()
        served = http_.get("/.well-known/did.json").json()
        assert {m["id"]: m.get("expires") for m in served["verificationMethod"]}[first] == (
            "2030-01-01T00:00:00Z"
        )
        # a rotation under it: the server's key is no longer current
        store = ws.store()
        keyring.rotate(Workspace.open(ws.root), store)
        store.close()
        for answer in (
            http_.get("/.well-known/did.json"),
            http_.get("/status/1"),
            http_.post("/credentials/issue", json={"credential": credential}, headers=auth),
        ):
            assert answer.status_code == 503, answer.text
            assert "KEY_SET_CHANGED" in answer.text
            assert "restart credkit serve" in answer.text
    # restarted, it serves the new key set
    assert published_ids(server_did_json(ws))[0] == Workspace.open(ws.root).key().id


def test_reissue_keeps_a_proof_set_shape_and_is_idempotent(
    tmp_path: Path, did_host: DidHost
) -> None:
    """A diploma with an eddsa-rdfc-2022 + Ed25519Signature2020 proof set gets both again."""
    ws = make_lab(tmp_path)
    stolen = ws.key()
    [old] = issue(ws, slice(0, 1), T0, legacy_proof=True)
    assert [p.get("cryptosuite", p["type"]) for p in old["proof"]] == [
        "eddsa-rdfc-2022",
        "Ed25519Signature2020",
    ]
    store = ws.store()
    try:
        keyring.rotate(ws, store)
        ws = Workspace.open(ws.root)
        _, affected = keyring.revoke(ws, store, stolen.id, "2026-01-01")
        assert [a.credential_id for a in affected] == [old["id"]] and affected[0].after
        done = keyring.reissue(ws, store, ws.key(), stolen.id)
        assert [d.credential_id for d in done] == [old["id"]]
        assert keyring.reissue(ws, store, ws.key(), stolen.id) == []  # nothing left to sign
        record = store.credential(old["id"])
        assert record is not None
        new = record.json()
    finally:
        store.close()
    assert [(p.get("cryptosuite", p["type"]), p["verificationMethod"]) for p in new["proof"]] == [
        ("eddsa-rdfc-2022", ws.key().id),
        ("Ed25519Signature2020", ws.key().id),
    ]
    assert ws.keys == Workspace.open(ws.root).keys  # the object follows credkit.toml
    did_host.publish(did_document(ws, ws.key()))
    status, message = did_host.proof(new)
    assert status == "passed", message
    assert did_host.proof(old)[0] == "failed"
