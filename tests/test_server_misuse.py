"""The service under misuse: malformed paths, partial status changes, racing issues, HEAD.

Every answer here is checked against what the client must be told: a malformed address is a
404/422 (never a 500), a refused request changes nothing in the store, a duplicate id is a
conflict. The app runs in-process (no socket needed for routing and store behaviour).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_server_helpers import TOKEN, diploma, make_workspace

testclient = pytest.importorskip("fastapi.testclient")

from credkit.issuer.workspace import Workspace  # noqa: E402
from credkit.server.app import create_app  # noqa: E402
from credkit.server.state import ServerConfig  # noqa: E402

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return make_workspace(tmp_path_factory.mktemp("misuse") / "ws", "http://127.0.0.1:9")


@pytest.fixture(scope="module")
def client(ws: Workspace) -> Iterator[Any]:
    app = create_app(ServerConfig(issuer_dir=ws.root, tokens=frozenset([TOKEN])))
    with testclient.TestClient(app, raise_server_exceptions=False) as http:
        yield http


def _issue(client: Any, **extra: Any) -> dict[str, Any]:
    answer = client.post(
        "/credentials/issue", json={"credential": diploma(**extra), "options": {}}, headers=AUTH
    )
    assert answer.status_code == 201, answer.text
    vc: dict[str, Any] = answer.json()["verifiableCredential"]
    return vc


# --- malformed path parameters ---------------------------------------------------------------

MALFORMED = [
    "99999999999999999999999",  # beyond SQLite's 64-bit integers
    "9223372036854775808",  # 2**63: the first value that overflows
    "-9223372036854775809",
    "-1",
    "0",
    "abc",
    "1.5",
    "1e3",
    "%D9%A1",  # ARABIC-INDIC DIGIT ONE
    "%EF%BC%91",  # FULLWIDTH DIGIT ONE
    "%00",
    "%F0%9F%98%80",
    "9" * 4000,
    "%20",
]


@pytest.mark.parametrize("value", MALFORMED)
@pytest.mark.parametrize("route", ["/status/{}", "/c/{}", "/c/{}.json", "/c/{}.html"])
def test_malformed_path_parameters_answer_404_or_422_never_500(
    client: Any, route: str, value: str
) -> None:
    answer = client.get(route.format(value), headers={"Accept": "application/json"})
    assert answer.status_code in (404, 422), (route, value, answer.status_code, answer.text)
    assert answer.json()["code"] in ("NOT_FOUND", "INVALID_REQUEST")


# --- status changes are all or nothing -------------------------------------------------------


def test_status_request_with_a_refused_second_change_changes_nothing(
    client: Any, ws: Workspace
) -> None:
    # the workspace has no suspension list: the second change cannot be applied
    vc = _issue(client)
    answer = client.post(
        "/credentials/status",
        json={
            "credentialId": vc["id"],
            "credentialStatus": [{"status": "revoked"}, {"status": "suspended"}],
        },
        headers=AUTH,
    )
    assert answer.status_code == 409, answer.text
    store = ws.store()
    try:
        assert store.get_status(vc["id"]) == {"revocation": 0}  # the revocation was not kept
        assert store.history(vc["id"]) == []
    finally:
        store.close()
    # and the same credential can still be revoked by a valid request
    ok = client.post(
        "/credentials/status",
        json={"credentialId": vc["id"], "credentialStatus": [{"status": "revoked"}]},
        headers=AUTH,
    )
    assert ok.status_code == 200 and ok.json()["current"] == {"revocation": 1}


# --- racing issues of one id -----------------------------------------------------------------


def test_racing_issues_of_one_id_answer_409_conflict(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests pass the early "already issued?" look-up, then meet at the store's lock."""
    import threading

    from credkit.issuer.store import SqliteStore

    original = SqliteStore.issue
    barrier = threading.Barrier(2, timeout=20)

    def issue_after_both_checked(self: SqliteStore, *args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SqliteStore, "issue", issue_after_both_checked)
    ident = "urn:uuid:6d1b3a36-0d34-4c57-9d0f-race00000001"
    answers: list[Any] = []

    def post() -> None:
        answers.append(
            client.post(
                "/credentials/issue",
                json={"credential": diploma(id=ident), "options": {}},
                headers=AUTH,
            )
        )

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 409).json()
    assert loser["code"] == "ISSUE_CONFLICT"
    assert "/" not in loser["detail"]  # no file path of the store in the answer


def test_store_refuses_a_second_issue_of_one_id_as_a_conflict(ws: Workspace) -> None:
    from credkit.issuer.store import DuplicateCredentialError

    store = ws.store()
    try:
        ident = "urn:uuid:6d1b3a36-0d34-4c57-9d0f-dup000000001"
        store.issue(ident, [], lambda entries: {"id": ident})
        with pytest.raises(DuplicateCredentialError):
            store.issue(ident, ["revocation"], lambda entries: {"id": ident})
        assert store.get_status(ident) == {}  # the refused issue allocated nothing
    finally:
        store.close()


# --- secrets: tokens never in URLs, never in logs, token file mode -------------------------------


@pytest.mark.parametrize("name", ["token", "access_token", "Access_Token", "api_key", "apikey"])
def test_token_in_url_query_is_refused(client: Any, name: str) -> None:
    for method, path in (("GET", "/issuer"), ("POST", "/credentials/issue")):
        answer = client.request(
            method,
            f"{path}?{name}={TOKEN}",
            json={"credential": diploma(), "options": {}} if method == "POST" else None,
        )
        assert answer.status_code == 400, (method, path, answer.text)
        assert answer.json()["code"] == "TOKEN_IN_URL"
        assert TOKEN not in answer.text


def test_ordinary_query_parameters_are_still_served(client: Any) -> None:
    assert client.get("/issuer?lang=en").status_code == 200


def test_access_log_line_never_holds_the_query_string() -> None:
    import logging

    from credkit.server.limits import QuerylessAccessLog

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", f"/issuer?access_token={TOKEN}&x=1", "1.1", 400),
        None,
    )
    assert QuerylessAccessLog().filter(record) is True
    line = record.getMessage()
    assert TOKEN not in line and "/issuer?" in line


def test_server_logs_neither_url_tokens_nor_authorization_values(tmp_path: Path) -> None:
    """A real ``credkit serve`` process: its whole output never shows a token."""
    from test_server_helpers import Server

    secret_in_url = "url-secret-" + "q" * 24
    srv = Server(tmp_path, workspace=make_workspace(tmp_path / "ws", None))
    try:
        assert srv("GET", f"/issuer?access_token={secret_in_url}").status == 400
        assert srv("GET", f"/issuer?x={secret_in_url}").status == 200
        wrong = "wrong-token-" + "w" * 24
        assert srv("POST", "/credentials/issue", {"credential": diploma()}, token=wrong).status == 401
        assert srv("POST", "/credentials/issue", {"credential": diploma()}, token=TOKEN).status in (
            201,
            400,
            422,
        )
        assert srv("GET", "/healthz").status == 200
    finally:
        srv.stop()
        srv.proc.wait(20)
    log = srv.log.read_text(errors="replace")
    assert "GET /issuer?" in log  # the access log is on: the requests were logged
    for secret in (secret_in_url, wrong, TOKEN):
        assert secret not in log


def test_token_file_readable_by_others_is_warned_about_or_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    from credkit.server.state import ServerConfigError, load_tokens

    token_file = tmp_path / "tokens"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    os.chmod(token_file, 0o644)
    assert load_tokens(token_file, {}) == {TOKEN}
    assert "readable by group or others" in capsys.readouterr().err
    with pytest.raises(ServerConfigError, match="readable by group or others"):
        load_tokens(token_file, {}, strict_mode=True)
    os.chmod(token_file, 0o600)
    assert load_tokens(token_file, {}, strict_mode=True) == {TOKEN}
    assert capsys.readouterr().err == ""


def test_serve_strict_token_file_refuses_a_world_readable_file(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    token_file = tmp_path / "tokens"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    os.chmod(token_file, 0o604)
    env = {k: v for k, v in os.environ.items() if k != "CREDKIT_API_TOKEN"}
    cmd = [sys.executable, "-m", "credkit.cli.serve", "serve", "--port", "1"]
    done = subprocess.run(
        [*cmd, "--token-file", str(token_file), "--strict-token-file"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode != 0
    assert "readable by group or others" in done.stderr
    assert TOKEN not in done.stderr + done.stdout


# --- HEAD wherever GET is ------------------------------------------------------------------------


def test_head_is_answered_wherever_get_is(client: Any, ws: Workspace) -> None:
    from credkit.issuer.hosting import HostedTable, host

    vc = _issue(client)  # makes status list 1 as well
    store, table = ws.store(), HostedTable(ws.store_path)
    try:
        link = host(ws, store, table, vc)
    finally:
        table.close()
        store.close()
    ident = link.rstrip("/").rsplit("/", 1)[-1]
    paths = [
        "/",
        "/verify",
        "/status/1",
        "/issuer",
        "/healthz",
        f"/c/{ident}",
        f"/c/{ident}.json",
        "/openapi.json",
    ]
    for path in paths:
        for accept in ("text/html", "application/json"):
            got = client.get(path, headers={"Accept": accept})
            head = client.head(path, headers={"Accept": accept})
            assert got.status_code == 200, (path, got.text[:200])
            assert head.status_code == 200, (path, accept, head.status_code)
            assert head.content == b""
            assert head.headers["content-type"] == got.headers["content-type"], path
            if "no-store" not in got.headers.get("cache-control", ""):
                # a live page (fresh verification time) may differ by a few bytes
                assert head.headers["content-length"] == got.headers["content-length"], path
    # unknown addresses and POST-only routes answer HEAD as they answer GET
    assert client.head("/status/999").status_code == 404
    assert client.head("/.well-known/did.json").status_code == 404  # a did:key issuer
    assert client.head("/credentials/verify").status_code == client.get(
        "/credentials/verify"
    ).status_code == 405


def test_head_over_a_real_socket_has_no_body(tmp_path: Path) -> None:
    import http.client

    from test_server_helpers import Server

    srv = Server(tmp_path, workspace=make_workspace(tmp_path / "ws", None), token=None)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        for path in ("/issuer", "/verify", "/healthz", "/issuer"):  # one kept-alive connection
            connection.request("HEAD", path)
            response = connection.getresponse()
            assert response.status == 200, path
            assert int(response.headers["Content-Length"]) > 0
            assert response.read() == b""
        connection.request("GET", "/issuer")  # nothing stray left on the connection
        response = connection.getresponse()
        assert response.status == 200 and response.read().startswith(b"{")
        connection.close()
    finally:
        srv.stop()
        srv.proc.wait(20)
