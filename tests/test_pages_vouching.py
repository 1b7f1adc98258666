"""Issue 13 §5-6 on the service: the page says who vouches, and its own lists are never "not yet".

The verification page used to headline a green "Verified" for any self-signed diploma that reused
the site's issuer name, and a status list the server signed a second after the verifier read its
clock was "not valid yet" (the flaky multi-worker test). Each test here failed on 72075bf.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from test_server_helpers import TOKEN, diploma, make_workspace

testclient = pytest.importorskip("fastapi.testclient")

from credkit.identity.keys import KeyPair  # noqa: E402
from credkit.proofs import sign  # noqa: E402
from credkit.server.app import create_app  # noqa: E402
from credkit.server.state import ServerConfig, ServerState  # noqa: E402
from credkit.verify import Verifier  # noqa: E402

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Any, Any, Any]]:
    ws = make_workspace(tmp_path / "ws", "http://127.0.0.1:9", name="Reelbridge Lab")
    app = create_app(ServerConfig(issuer_dir=ws.root, tokens=frozenset({TOKEN})))
    with testclient.TestClient(app) as http:
        yield app, ws, http
    state: ServerState = app.state.credkit
    if state.table is not None:
        state.table.close()


def _page(http: Any, credential: dict[str, Any]) -> str:
    import json

    answer = http.post("/verify", files={"credential": (None, json.dumps(credential).encode())})
    assert answer.status_code == 200, answer.text
    text: str = answer.text
    return text


def _headline(page: str) -> str:
    found = re.search(r'<h2 id="verdict">([^<]*)</h2>', page)
    assert found, page[-2000:]
    return found.group(1)


def _impostor(name: str) -> dict[str, Any]:
    """A genuinely signed diploma by a stranger's key that reuses ``name`` as its issuer."""
    key = KeyPair.generate()
    doc = diploma()
    doc["issuer"] = {"id": key.controller, "type": ["Profile"], "name": name}
    doc["id"] = "urn:uuid:9a0b0c0d-0000-4000-8000-00000000beef"
    return sign(doc, key)


def test_impostor_reusing_the_sites_name_is_not_headlined_verified(
    site: tuple[Any, Any, Any],
) -> None:
    _app, ws, http = site
    own = http.post("/credentials/issue", json={"credential": diploma()}, headers=AUTH)
    assert own.status_code == 201, own.text
    page = _page(http, own.json()["verifiableCredential"])
    assert _headline(page) == "Verified" and 'data-vouched="yes"' in page
    assert "this site&#x27;s own issuer" in page or "this site's own issuer" in page

    page = _page(http, _impostor(ws.issuer_name))
    assert _headline(page) == "Genuine signature, issuer not vouched for"
    assert 'data-vouched="no"' in page and 'class="result verified"' not in page
    assert "its own description" in page
    # the program-facing answer says the same thing in its fields
    answer = http.post(
        "/credentials/verify", json={"verifiableCredential": _impostor(ws.issuer_name)}
    )
    issuer = answer.json()["issuer"]
    assert issuer["vouched"] is False and issuer["name"] is None
    assert issuer["selfDescribedName"] == ws.issuer_name


def test_verify_only_service_never_headlines_an_unvouched_issuer_verified(tmp_path: Path) -> None:
    app = create_app(ServerConfig())
    with testclient.TestClient(app) as http:
        page = _page(http, _impostor("Harvard University"))
    assert _headline(page) == "Genuine signature, issuer not vouched for"
    assert "calls itself &quot;Harvard University&quot;" in page


def test_own_list_signed_after_the_verifiers_clock_read_still_counts(
    site: tuple[Any, Any, Any],
) -> None:
    """Two workers: one revokes, the other read its clock just before it signs the new list."""
    app, _ws, http = site
    state: ServerState = app.state.credkit
    issued = http.post("/credentials/issue", json={"credential": diploma()}, headers=AUTH)
    vc = issued.json()["verifiableCredential"]
    changed = http.post(
        "/credentials/status",
        json={"credentialId": vc["id"], "credentialStatus": [{"status": "revoked"}]},
        headers=AUTH,
    )
    assert changed.status_code == 200, changed.text
    read_at = datetime.now(UTC)  # the verifying worker reads its clock ...
    time.sleep(1.2)  # ... and the list is signed in a later second
    verifier = Verifier(
        loader=state.loader,
        resolver=state.resolver,
        status_fetcher=state.status_fetcher,
        clock=lambda: read_at,
    )
    check = verifier.verify_credential(vc).check("status")
    assert check is not None and check.status == "failed" and check.reason == "revoked", check
    # the list served says it holds since the change, not since it was signed
    entries = vc["credentialStatus"]
    url = (entries[0] if isinstance(entries, list) else entries)["statusListCredential"]
    listed = http.get("/" + url.split("/", 3)[3]).json()
    valid_from = datetime.fromisoformat(listed["validFrom"].replace("Z", "+00:00"))
    assert valid_from <= read_at
    assert datetime.fromisoformat(listed["proof"]["created"].replace("Z", "+00:00")) > (
        read_at - timedelta(seconds=1)
    )
