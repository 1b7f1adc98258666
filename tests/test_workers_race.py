"""Several workers, many clients: the server's own status lists verify, and revocations show at once.

Issue 17 ("a flaky test that is a real bug"): a worker kept the verdict on its own status list
even when the check had been cut short (a deadline passing mid-proof under load), so every later
verification on that worker failed a genuine list ("does not verify (proof invalid)") until the
list changed. Now only a pass is kept, and a deadline is reported as such, never as a bad proof.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import credkit.verify.verifier as verifier_module
from credkit import deadline
from credkit.server import ServerConfig, create_app
from credkit.server.state import ServerState
from test_server_helpers import TOKEN, Server, diploma, free_port, make_workspace

testclient = pytest.importorskip("fastapi.testclient")


def _status_check(answer: Any) -> str:
    return str([r for r in answer.json()["results"] if r["id"] == "status"])


def test_many_clients_issue_revoke_verify_against_three_workers(tmp_path: Path) -> None:
    port = free_port()
    ws = make_workspace(tmp_path / "ws", f"http://127.0.0.1:{port}")
    srv = Server(tmp_path, workspace=ws, port=port, args=("--workers", "3"))
    problems: list[str] = []
    lock = threading.Lock()

    def note(what: str) -> None:
        with lock:
            problems.append(what)

    def life(i: int) -> None:
        """One graduate: issued, verified, then revoked (odd i) or kept, verified again."""
        vc = srv.issue(diploma(f"Graduate {i}"))
        for _ in range(3):  # spread over the workers
            answer = srv.verify(vc)
            if answer.status != 200:
                note(f"#{i} before any change: {answer.status} {_status_check(answer)}")
        if i % 2:
            changed = srv(
                "POST",
                "/credentials/status",
                {"credentialId": vc["id"], "credentialStatus": [{"status": "revoked"}]},
                token=TOKEN,
            )
            if changed.status != 200:
                note(f"#{i} revoke: {changed}")
                return
        for _ in range(3):  # every worker sees the revocation at once, and only that one
            answer = srv.verify(vc)
            if i % 2 and (answer.status != 400 or "revoked" not in _status_check(answer)):
                note(f"#{i} revoked: {answer.status} {_status_check(answer)}")
            if not i % 2 and answer.status != 200:
                note(f"#{i} kept: {answer.status} {_status_check(answer)}")

    try:
        with ThreadPoolExecutor(16) as pool:
            for done in [pool.submit(life, i) for i in range(48)]:
                done.result()
        listed = srv("GET", "/status/1")
        assert listed.status == 200
    finally:
        srv.stop()
    assert problems == []


def test_a_check_cut_short_does_not_fail_the_own_list_for_later_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deadline passes while one request checks the list's proof: the next request, in time,
    must verify (before the fix the worker had kept "proof invalid" for that list object)."""
    ws = make_workspace(tmp_path / "ws", "http://127.0.0.1:9")
    app = create_app(ServerConfig(issuer_dir=ws.root, tokens=frozenset({TOKEN})))
    state: ServerState = app.state.credkit
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        with testclient.TestClient(app) as http:
            issued = http.post("/credentials/issue", json={"credential": diploma()}, headers=auth)
            assert issued.status_code == 201, issued.text
            vc = issued.json()["verifiableCredential"]
            assert http.get("/status/1").status_code == 200  # signed, not yet checked
            real = verifier_module.proofs.verify

            def late(document: Any, **kwargs: Any) -> Any:
                if "BitstringStatusListCredential" in str(document.get("type")):
                    with deadline.within(-1):  # the deadline passed as the list's check began
                        return real(document, **kwargs)
                return real(document, **kwargs)

            monkeypatch.setattr(verifier_module.proofs, "verify", late)
            verifier = state.verifier()
            cut = verifier.verify_credential(vc)
            assert not cut.verified
            status = next(c for c in cut.checks if c.id == "status")
            monkeypatch.setattr(verifier_module.proofs, "verify", real)

            again = http.post("/credentials/verify", json={"verifiableCredential": vc})
            assert again.status_code == 200, _status_check(again)
            assert "proof invalid" not in status.message, status.message
    finally:
        if state.table is not None:
            state.table.close()
