"""The service's speed-ups keep every answer: shared verifier, cached own-list verdicts, workers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from credkit.server import ServerConfig, create_app
from credkit.server.state import ServerState, ServerVerifier
from credkit.verify import Verifier
from test_server_helpers import TOKEN, Server, diploma, free_port, make_workspace

testclient = pytest.importorskip("fastapi.testclient")


@pytest.fixture
def app_and_ws(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    ws = make_workspace(tmp_path / "ws", "http://127.0.0.1:9")
    app = create_app(ServerConfig(issuer_dir=ws.root, tokens=frozenset({TOKEN})))
    yield app, ws
    state: ServerState = app.state.credkit
    if state.table is not None:
        state.table.close()


def _fresh(state: ServerState) -> Verifier:
    """What the server built per request before: a plain Verifier around the same parts."""
    return Verifier(
        loader=state.loader,
        resolver=state.resolver,
        status_fetcher=state.status_fetcher,
        trust=state.trust,
        max_bytes=state.config.max_body,
    )


def _same(a: Any, b: Any) -> None:
    ja, jb = a.to_json(), b.to_json()
    assert ja == jb


def test_own_status_list_verdict_cached_per_list_and_revocation_still_seen(
    app_and_ws: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _ws = app_and_ws
    state: ServerState = app.state.credkit
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with testclient.TestClient(app) as http:
        issued = http.post("/credentials/issue", json={"credential": diploma()}, headers=auth)
        assert issued.status_code == 201, issued.text
        vc = issued.json()["verifiableCredential"]
        assert vc["credentialStatus"]
        calls: list[int] = []
        real = Verifier._list_ok

        def counting(self: Verifier, *args: Any) -> bool:
            calls.append(1)
            return real(self, *args)

        monkeypatch.setattr(Verifier, "_list_ok", counting)
        verifier = state.verifier()
        assert isinstance(verifier, ServerVerifier) and state.verifier() is verifier
        first = http.post("/credentials/verify", json={"verifiableCredential": vc})
        second = http.post("/credentials/verify", json={"verifiableCredential": vc})
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json()
        assert len(calls) == 1  # the second request reused the verdict on the same list object
        _same(verifier.verify_credential(vc), _fresh(state).verify_credential(vc))

        changed = http.post(
            "/credentials/status",
            json={"credentialId": vc["id"], "credentialStatus": [{"status": "revoked"}]},
            headers=auth,
        )
        assert changed.status_code == 200
        revoked = http.post("/credentials/verify", json={"verifiableCredential": vc})
        assert revoked.status_code == 400
        status = [r for r in revoked.json()["results"] if r["id"] == "status"]
        assert "revoked" in str(status), revoked.json()
        _same(verifier.verify_credential(vc), _fresh(state).verify_credential(vc))


def test_foreign_or_copied_list_is_never_cached(app_and_ws: tuple[Any, Any]) -> None:
    app, _ws = app_and_ws
    state: ServerState = app.state.credkit
    assert not state.status_fetcher.is_own({"proof": {}})
    verifier = state.verifier()
    assert isinstance(verifier, ServerVerifier)
    listed: dict[str, Any] = {"proof": {"type": "DataIntegrityProof"}}
    state.status_fetcher.own["u"] = listed
    listed_copy = dict(listed)
    assert state.status_fetcher.is_own(listed) and not state.status_fetcher.is_own(listed_copy)


def test_tampered_own_list_object_fails_like_a_fresh_verifier(
    app_and_ws: tuple[Any, Any],
) -> None:
    """A list that does not verify gives the same (failing) verdict with or without the cache."""
    app, ws = app_and_ws
    state: ServerState = app.state.credkit
    bad: dict[str, Any] = {"@context": [], "proof": {"type": "DataIntegrityProof"}}
    state.status_fetcher.own["x"] = bad
    verifier = state.verifier()
    now = verifier.clock()
    assert verifier._list_ok(bad, ws.issuer_did, now) is False
    assert verifier._list_ok(bad, ws.issuer_did, now) is False
    assert _fresh(state)._list_ok(bad, ws.issuer_did, now) is False


def test_workers_serve_issue_and_verify(tmp_path: Path) -> None:
    port = free_port()
    ws = make_workspace(tmp_path / "ws", f"http://127.0.0.1:{port}")
    srv = Server(tmp_path, workspace=ws, port=port, args=("--workers", "2"))
    try:
        vc = srv.issue(diploma())
        for _ in range(6):  # spread over both workers
            answer = srv.verify(vc)
            assert answer.status == 200, answer
            assert answer.json()["verified"] is True
        changed = srv(
            "POST",
            "/credentials/status",
            {"credentialId": vc["id"], "credentialStatus": [{"status": "revoked"}]},
            token=TOKEN,
        )
        assert changed.status == 200
        for _ in range(6):  # every worker sees the revocation at once (store version)
            assert srv.verify(vc).status == 400
    finally:
        srv.stop()
