"""What only the PostgreSQL store has: store URLs, versioned migrations, the elected publisher,
and choosing the store from a workspace (SQLite stays the default)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pg_server
from credkit.errors import StoreError
from credkit.issuer.store import SqliteStore
from credkit.issuer.store_pg import MIGRATIONS, StoreURL, migrate, migrations_applied
from credkit.issuer.workspace import Workspace, WorkspaceError
from credkit.status import Bitstring
from test_store import BASE, issue
from test_store_conformance import pg  # noqa: F401 (the session's server)

SRC = Path(__file__).resolve().parents[1] / "src"


def test_store_urls_split_schema_and_password_file_and_never_show_a_password() -> None:
    url = StoreURL.parse(
        "postgresql://ana:s3cret@db.example:5433/credkit?schema=lab1&sslmode=require"
    )
    assert url.schema == "lab1" and url.has_password and url.password_file is None
    assert url.conninfo == "postgresql://ana:s3cret@db.example:5433/credkit?sslmode=require"
    assert "s3cret" not in url.redacted() and "ana@db.example:5433" in url.redacted()
    libpq = StoreURL.parse("postgresql://h/db?options=-csearch_path%3Dlab2")
    assert libpq.schema == "lab2"
    assert StoreURL.parse("postgres://h/db?password_file=/run/pw").password_file == "/run/pw"
    for bad in ("mysql://h/db", "postgresql://h/db?schema=lab;drop"):
        with pytest.raises(StoreError):
            StoreURL.parse(bad)


@pytest.fixture
def db(pg: pg_server.PgServer) -> Iterator[str]:  # noqa: F811
    import psycopg

    name = f"p{time.time_ns()}"
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    yield pg.db_url(name)
    from credkit.issuer.store_pg import close_pools

    close_pools()


def test_migrations_apply_once_per_schema_and_keep_schemas_apart(db: str) -> None:
    newest = [version for version, _, _ in MIGRATIONS]
    assert migrations_applied(db + "?schema=lab1") == []
    assert migrate(db + "?schema=lab1") == newest
    assert migrate(db + "?schema=lab1") == []
    assert migrations_applied(db + "?schema=lab1") == newest
    from credkit.issuer.store_pg import PostgresStore

    one = PostgresStore(db + "?schema=lab1", base_url=BASE)
    two = PostgresStore(db + "?schema=lab2", base_url="https://other.example")
    issue(one, "urn:one")
    assert two.credential("urn:one") is None and two.lists() == []
    assert one.base_url == BASE and two.base_url == "https://other.example"


def test_a_store_without_its_schema_is_refused_when_not_migrating(db: str) -> None:
    from credkit.issuer.store_pg import PostgresStore

    with pytest.raises(StoreError, match="store migrate"):
        PostgresStore(db + "?schema=fresh", migrate_schema=False)


def test_one_publisher_is_elected_and_publishes_each_version(db: str) -> None:
    from credkit.identity.keys import KeyPair
    from credkit.issuer.publisher import ListPublisher
    from credkit.issuer.store_pg import PostgresStore

    url = db + "?schema=pub"
    store = PostgresStore(url, base_url=BASE)
    key = KeyPair.generate()
    publishers = [
        ListPublisher(PostgresStore(url), key, key.controller, "eddsa-rdfc-2022", interval=0.1)
        for _ in range(2)
    ]
    for publisher in publishers:
        publisher.start()
    try:
        rec = issue(store, "urn:p")
        store.set_status("urn:p", "revocation", 1)
        deadline = time.time() + 20
        while store.lists_to_publish() and time.time() < deadline:
            time.sleep(0.05)
        assert store.lists_to_publish() == []
        assert [p.leader for p in publishers].count(True) == 1
        assert sum(p.published for p in publishers) >= 1
        found = store.published(1)
        assert found is not None and found[0] == store.list_snapshot(1)[1]
        signed = json.loads(found[1])
        bits = Bitstring.decode(signed["credentialSubject"]["encodedList"])
        entry = rec.status_entries[0]
        assert bits.get(int(entry["statusListIndex"])) == 1 and signed["proof"]
        assert store.save_published(1, found[0] - 1, b"{}") is False  # never backwards
        # the leader stops: the other takes over and publishes the next change
        leader = next(p for p in publishers if p.leader)
        leader.stop()
        issue(store, "urn:q")
        store.set_status("urn:q", "revocation", 1)
        deadline = time.time() + 20
        while store.lists_to_publish() and time.time() < deadline:
            time.sleep(0.05)
        assert store.lists_to_publish() == []
        assert next(p for p in publishers if p is not leader).leader
    finally:
        for publisher in publishers:
            publisher.stop()


def test_workspace_picks_the_store_from_its_url(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from credkit.issuer.store_pg import PostgresStore

    ws = Workspace.create(tmp_path / "pg", name="Lab", base_url=BASE, store_url=db + "?schema=ws")
    assert ws.store_url == db + "?schema=ws"
    assert f'store = "{db}?schema=ws"' in (tmp_path / "pg" / "credkit.toml").read_text()
    assert isinstance(ws.store(), PostgresStore) and migrations_applied(ws.store_url)
    plain = Workspace.create(tmp_path / "plain", name="Lab", base_url=BASE)
    assert plain.store_url is None and isinstance(plain.store(), SqliteStore)
    monkeypatch.setenv("CREDKIT_STORE_URL", db + "?schema=env")
    assert isinstance(Workspace.open(tmp_path / "plain").store(), PostgresStore)
    monkeypatch.delenv("CREDKIT_STORE_URL")
    with pytest.raises(WorkspaceError, match="password"):
        Workspace.create(tmp_path / "pw", name="Lab", store_url="postgresql://u:pw@h/db")
    assert not (tmp_path / "pw").exists()
    config = tmp_path / "plain" / "credkit.toml"
    config.write_text(config.read_text() + '\n[store]\nurl = "postgresql://u:pw@h/db"\n')
    with pytest.raises(WorkspaceError, match="password"):
        Workspace.open(tmp_path / "plain")


def _credkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "credkit", *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(SRC), "HOME": "/tmp"},
        timeout=120,
    )


def test_cli_init_refuses_a_password_and_store_migrate_applies(db: str, tmp_path: Path) -> None:
    out = _credkit("init", str(tmp_path / "w"), "--name", "Lab", "--store", "postgresql://u:pw@h/d")
    assert out.returncode == 2 and "password" in out.stderr and "pw@" not in out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "w").exists()
    out = _credkit("store", "migrate", "--store", db + "?schema=cli")
    assert out.returncode == 0, out.stderr
    assert "applied 1:" in out.stdout and "(nothing to do)" not in out.stdout
    again = _credkit("store", "migrate", "--store", db + "?schema=cli")
    assert again.returncode == 0 and "nothing to do" in again.stdout
    sqlite_ws = tmp_path / "s"
    Workspace.create(sqlite_ws, name="Lab")
    refused = _credkit("store", "migrate", "--issuer-dir", str(sqlite_ws))
    assert refused.returncode == 2 and "SQLite" in refused.stderr


def test_one_roster_issued_from_two_machines_at_once_gives_one_diploma_per_row(
    db: str, tmp_path: Path
) -> None:
    """Two `credkit issue-cohort` runs of one roster on one PostgreSQL store, at once (two
    copies of the workspace: two machines): both succeed, each row is issued once, and each
    machine ends with every diploma file (the loser writes the winner's from the store)."""
    import csv
    import shutil

    examples = Path(__file__).resolve().parents[1] / "examples" / "postproduction"
    rows = list(csv.reader((examples / "roster.csv").open(encoding="utf-8")))
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(rows[0])
        for i in range(240):
            row = list(rows[1 + i % (len(rows) - 1)])
            row[0] = f"{row[0]}-{i}"
            writer.writerow(row)
    first = tmp_path / "a"
    Workspace.create(first, name="Lab", base_url=BASE, store_url=db + "?schema=twin")
    shutil.copy(examples / "program.toml", first / "program.toml")
    second = tmp_path / "b"
    shutil.copytree(first, second)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "credkit",
                "issue-cohort",
                "--issuer-dir",
                str(ws),
                "--roster",
                str(roster),
                "--allow-placeholders",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(SRC), "HOME": "/tmp"},
        )
        for ws in (first, second)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    from credkit.issuer.store_pg import PostgresStore

    store = PostgresStore(db + "?schema=twin")
    assert len(store.credentials(documents=False)) == 240
    assert [i.allocated for i in store.lists()] == [240] and store.check_consistency() == []
    issued = [int(out.split("issued ", 1)[1].split(",")[0]) for out, _ in outs]
    assert sum(issued) == 240, outs
    for ws in (first, second):
        assert len(list((ws / "diplomas").glob("*.json"))) == 240


def test_two_replicas_serve_the_published_list_with_an_etag(db: str, tmp_path: Path) -> None:
    """Two in-process services on one PostgreSQL store: a revocation made through one is in the
    list the other serves, both serve the same bytes for a version, and If-None-Match is 304."""
    testclient = pytest.importorskip("fastapi.testclient")
    from credkit.server.app import create_app
    from credkit.server.state import ServerConfig
    from test_server_helpers import TOKEN, diploma

    auth = {"Authorization": f"Bearer {TOKEN}"}
    ws = Workspace.create(tmp_path / "ws", name="Lab", base_url=BASE, store_url=db + "?schema=srv")
    apps = [create_app(ServerConfig(issuer_dir=ws.root, tokens=frozenset([TOKEN]))) for _ in "ab"]
    with testclient.TestClient(apps[0]) as one, testclient.TestClient(apps[1]) as two:
        vc = one.post(
            "/credentials/issue", json={"credential": diploma(), "options": {}}, headers=auth
        ).json()["verifiableCredential"]
        entry = vc["credentialStatus"]
        changed = two.post(
            "/credentials/status",
            json={"credentialId": vc["id"], "credentialStatus": [{"status": "revoked"}]},
            headers=auth,
        )
        assert changed.status_code == 200, changed.text
        store = ws.store()
        version = store.list_snapshot(1)[1]
        deadline = time.time() + 20
        while (store.published(1) or (0, b""))[0] != version and time.time() < deadline:
            time.sleep(0.05)
        answers = [client.get("/status/1") for client in (one, two)]
        assert [a.status_code for a in answers] == [200, 200]
        assert answers[0].content == answers[1].content  # one publisher, one list per version
        etag = answers[0].headers["etag"]
        assert etag == f'"1.{version}"' and "max-age=300" in answers[0].headers["cache-control"]
        served = answers[1].json()
        bits = Bitstring.decode(served["credentialSubject"]["encodedList"])
        assert bits.get(int(entry["statusListIndex"])) == 1
        assert two.get("/status/1", headers={"If-None-Match": etag}).status_code == 304
        for app in apps:
            app.state.credkit.publisher.stop()  # type: ignore[attr-defined]


def test_status_commands_take_a_postgresql_store_url(db: str) -> None:
    """`credkit status --store URL` reaches a PostgreSQL store without a workspace (it took
    only a SQLite file); a URL with a password is refused before anything connects."""
    from credkit.issuer.store_pg import PostgresStore

    url = db + "?schema=statuscli"
    store = PostgresStore(url, base_url=BASE, list_length=64)
    issue(store, "urn:uuid:pg-cli")
    revoked = _credkit("status", "--store", url, "revoke", "urn:uuid:pg-cli", "--reason", "t")
    assert revoked.returncode == 0, revoked.stderr
    assert store.get_status("urn:uuid:pg-cli")["revocation"] == 1
    shown = _credkit("status", "--store", url, "show", "urn:uuid:pg-cli", "--json")
    assert shown.returncode == 0 and '"revocation"' in shown.stdout, shown.stderr
    secret = _credkit("status", "--store", "postgresql://u:pw@127.0.0.1:1/d", "show")
    assert secret.returncode == 2 and "password" in secret.stderr and "pw@" not in secret.stderr
    assert "Traceback" not in secret.stderr


def test_a_diploma_hosted_on_one_machine_is_served_by_every_replica(
    db: str, tmp_path: Path
) -> None:
    """Hosting choices live in the PostgreSQL store (they were in each workspace's SQLite file,
    so a replica never saw a diploma hosted elsewhere): `credkit host add` in one copy of the
    workspace, and two services on other copies serve its page; `host remove` ends it on both."""
    import shutil

    testclient = pytest.importorskip("fastapi.testclient")
    from credkit.server.app import create_app
    from credkit.server.state import ServerConfig
    from test_server_helpers import TOKEN, diploma

    auth = {"Authorization": f"Bearer {TOKEN}"}
    admin = Workspace.create(
        tmp_path / "admin", name="Lab", base_url=BASE, store_url=db + "?schema=hosting"
    )
    replicas = [tmp_path / "r1", tmp_path / "r2"]
    for folder in replicas:
        shutil.copytree(admin.root, folder)
    apps = [create_app(ServerConfig(issuer_dir=f, tokens=frozenset([TOKEN]))) for f in replicas]
    with testclient.TestClient(apps[0]) as one, testclient.TestClient(apps[1]) as two:
        vc = one.post(
            "/credentials/issue", json={"credential": diploma(), "options": {}}, headers=auth
        ).json()["verifiableCredential"]
        path = tmp_path / "vc.json"
        path.write_text(json.dumps(vc))
        added = _credkit("host", "add", str(path), "--issuer-dir", str(admin.root))
        assert added.returncode == 0, added.stderr
        link = added.stdout.split()[-1]
        page = "/c/" + link.rstrip("/").rsplit("/", 1)[-1]
        for client in (one, two):
            served = client.get(page, headers={"Accept": "application/json"})
            assert served.status_code == 200, served.text
            assert vc["id"] in served.text
        assert not (admin.root / "issuer.db").exists() or "hosted_credentials" not in (
            admin.root / "issuer.db"
        ).read_bytes().decode("latin-1")
        removed = _credkit("host", "remove", vc["id"], "--issuer-dir", str(admin.root))
        assert removed.returncode == 0, removed.stderr
        assert [c.get(page).status_code for c in (one, two)] == [404, 404]
        for app in apps:
            app.state.credkit.publisher.stop()  # type: ignore[attr-defined]


def test_an_unprobed_draw_that_meets_a_taken_index_draws_again(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a sparse list PostgreSQL allocates without probing (the insert's ON CONFLICT tells a
    taken index); a draw that lands on one is drawn again, and the list is probed from then on.
    The random source is steered to the taken index once, to make the collision certain."""
    import secrets

    from credkit.issuer.store_pg import PostgresStore

    store = PostgresStore(db + "?schema=blind", base_url=BASE, list_length=1024)
    taken = int(issue(store, "urn:uuid:first").status_entries[0]["statusListIndex"])
    real = secrets.randbelow
    steered = iter([taken])

    def randbelow(n: int) -> int:
        forced = next(steered, None)
        return real(n) if forced is None else forced

    monkeypatch.setattr(secrets, "randbelow", randbelow)  # the module the store draws from
    second = issue(store, "urn:uuid:second")
    index = int(second.status_entries[0]["statusListIndex"])
    assert index != taken and 0 <= index < 1024
    list_id = store.lists()[0].id
    assert list_id in store._crowded
    assert store.lists()[0].allocated == 2 and store.check_consistency() == []


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_replica_answers_the_first_requests_after_a_database_restart(
    mode: str, tmp_path: Path
) -> None:
    """A service whose pooled connections all went stale (the database restarted: ``fast`` is a
    planned restart, ``immediate`` a crash) answers the very next requests, none with a 500 or a
    503; while the database is down it answers 503 ``STORE_UNAVAILABLE``, never a 400 or 500.
    Before the pool's connections were checked on checkout, the first request on each stale
    connection failed."""
    from concurrent.futures import ThreadPoolExecutor

    testclient = pytest.importorskip("fastapi.testclient")
    from credkit.issuer import store_pg
    from credkit.server.app import create_app
    from credkit.server.state import ServerConfig
    from test_server_helpers import TOKEN, diploma

    if pg_server.binaries() is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on PATH or /usr/lib/postgresql")
    # its own server (restarting the shared one would disturb other tests), durable: a crash
    # (immediate) must not lose what was acknowledged, and synchronous_commit=off would
    server = pg_server.start(fsync=True)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    app = None
    try:
        ws = Workspace.create(
            tmp_path / "ws", name="Lab", base_url=BASE, store_url=server.url + "?schema=rs"
        )
        app = create_app(ServerConfig(issuer_dir=ws.root, tokens=frozenset([TOKEN])))
        with testclient.TestClient(app) as client:

            def issue_one(_: int = 0) -> Any:
                return client.post(
                    "/credentials/issue",
                    json={"credential": diploma(), "options": {}},
                    headers=auth,
                )

            with ThreadPoolExecutor(6) as threads:  # several pooled connections, as under load
                warm = list(threads.map(issue_one, range(18)))
            assert {a.status_code for a in warm} == {201}
            pool = store_pg._POOLS[(os.getpid(), ws.store().url.conninfo, "rs")]
            assert pool.get_stats()["pool_size"] >= 2  # more than one connection goes stale

            server.halt(mode)
            pool.timeout = 2.0  # the down phase answers within seconds, not the default 10
            down = issue_one()
            assert down.status_code == 503, down.text
            assert down.json()["code"] == "STORE_UNAVAILABLE"
            time.sleep(3)  # down longer: the pool's own reconnection attempts fail and back off
            server.resume()
            pool.timeout = store_pg.POOL_TIMEOUT

            after = [issue_one() for _ in range(3)]
            assert [a.status_code for a in after] == [201, 201, 201], [a.text for a in after]
            vc = after[0].json()["verifiableCredential"]
            revoked = client.post(
                "/credentials/status",
                json={"credentialId": vc["id"], "credentialStatus": [{"status": "revoked"}]},
                headers=auth,
            )
            assert revoked.status_code == 200, revoked.text
            with ThreadPoolExecutor(6) as threads:  # every pooled connection in use again
                again = list(threads.map(issue_one, range(12)))
            assert {a.status_code for a in again} == {201}
        store = ws.store()
        assert len(store.credentials(documents=False)) == 18 + 3 + 12
        assert store.check_consistency() == [] and store.verify_audit() == []
    finally:
        if app is not None:
            app.state.credkit.publisher.stop()
        store_pg.close_pools()
        server.stop()


def test_audit_entries_of_one_transaction_chain_with_one_statement_each(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The head is locked and read once per transaction; each further entry is one statement.
    An entry written another way (``audit.append``, the shared code) or undone by a savepoint
    makes the next one read the head again, so the chain stays whole."""
    import psycopg

    from credkit.issuer import audit as audit_log
    from credkit.issuer.store import _now
    from credkit.issuer.store_pg import PostgresStore

    store = PostgresStore(db + "?schema=chain", base_url=BASE)
    sent: list[str] = []
    execute = psycopg.Connection.execute

    def counted(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(query))
        return execute(self, query, *args, **kwargs)

    with store.transaction():
        store.audit("one")
        monkeypatch.setattr(psycopg.Connection, "execute", counted)
        store.audit("two")
        assert len(sent) == 1 and sent[0].startswith("WITH entry AS (INSERT INTO audit_log")
        monkeypatch.undo()
        audit_log.append(store._db, _now(), "someone", "three", None, None, None)
        store.audit("four")
        store._db.execute("SAVEPOINT undo")
        store.audit("undone")
        store._db.execute("ROLLBACK TO SAVEPOINT undo")
        store.audit("five")
    with store.transaction():  # a new transaction locks and reads the head again
        store.audit("six")
    entries = store.audit_entries()
    assert [e.action for e in entries] == ["one", "two", "three", "four", "five", "six"]
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert store.verify_audit() == []
