"""A diploma suspended while its wallet copy is being signed is still withheld, by both flows.

The flows check ``offers.withheld`` when a request arrives and again inside the transaction that
claims the offer. Here the suspension lands between the two: the real ``wallet_copy`` is wrapped
so that, just before it signs, the issuer suspends the diploma (as another request would). The
claim must be refused and the offer left active, with its tokens unused, so the same wallet can
claim once the diploma is reinstated.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credkit.identity.keys import KeyPair
from credkit.issuer.store import SqliteStore
from credkit.issuer.workspace import Workspace
from credkit.server import ServerConfig, create_app
from credkit.share.holder import ExchangeError, claim_via_exchange
from oid4vci_client import Wallet, proof
from test_server_helpers import TOKEN, diploma, make_workspace

pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
BASE = "http://testserver"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STATUS = {"credentialStatus": [{"statusPurpose": "revocation"}, {"statusPurpose": "suspension"}]}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[TestClient, Workspace]]:
    ws = make_workspace(tmp_path / "ws", BASE)
    config = ServerConfig(issuer_dir=ws.root, tokens=frozenset({TOKEN}))
    with TestClient(create_app(config)) as client:
        yield client, ws


def _offer(client: TestClient) -> tuple[str, dict[str, Any]]:
    issued = client.post(
        "/credentials/issue", json={"credential": diploma(), "options": STATUS}, headers=AUTH
    )
    assert issued.status_code == 201, issued.text
    credential_id = issued.json()["verifiableCredential"]["id"]
    made = client.post("/offers", json={"credentialId": credential_id}, headers=AUTH)
    assert made.status_code == 201, made.text
    return credential_id, made.json()


def _set(client: TestClient, credential_id: str, status: str) -> None:
    answer = client.post(
        "/credentials/status",
        json={"credentialId": credential_id, "credentialStatus": [{"status": status}]},
        headers=AUTH,
    )
    assert answer.status_code == 200, answer.text


def _suspend_while_signing(
    monkeypatch: pytest.MonkeyPatch, module: Any, ws: Workspace, credential_id: str
) -> list[int]:
    """Wrap ``module.wallet_copy``: the first call suspends the diploma, then signs as usual."""
    real = module.wallet_copy
    calls: list[int] = []

    def suspending(*args: Any, **kwargs: Any) -> Any:
        if not calls:
            with SqliteStore(ws.store_path, base_url=ws.base_url) as store, store.transaction():
                store.set_status(credential_id, "suspension", 1, reason="inquiry")
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "wallet_copy", suspending)
    return calls


def _offer_state(ws: Workspace, offer_id: str) -> Any:
    with SqliteStore(ws.store_path, base_url=ws.base_url) as store:
        return store.offer(offer_id)


def test_the_exchange_withholds_a_diploma_suspended_mid_claim(
    service: tuple[TestClient, Workspace], monkeypatch: pytest.MonkeyPatch
) -> None:
    from credkit.server import exchanges

    client, ws = service
    credential_id, offer = _offer(client)
    calls = _suspend_while_signing(monkeypatch, exchanges, ws, credential_id)
    holder = KeyPair.generate()
    with pytest.raises(ExchangeError) as err:
        claim_via_exchange(offer["exchangeUrl"], holder, client)
    assert err.value.status == 409 and calls == [1]
    assert _offer_state(ws, offer["id"]).state == "active"
    _set(client, credential_id, "active")
    received = claim_via_exchange(offer["exchangeUrl"], holder, client)
    assert received["credentialSubject"]["id"] == holder.controller


def test_oid4vci_withholds_a_diploma_suspended_mid_claim(
    service: tuple[TestClient, Workspace], monkeypatch: pytest.MonkeyPatch
) -> None:
    from credkit.server import oid4vci

    client, ws = service
    credential_id, offer = _offer(client)
    secret = offer["claimUrl"].rsplit("/", 1)[1]
    wallet = Wallet(client, BASE)  # type: ignore[arg-type]
    calls = _suspend_while_signing(monkeypatch, oid4vci, ws, credential_id)
    access = wallet.access(secret)
    key = KeyPair.generate()
    nonce = wallet.nonce()
    answer = wallet.credential(access, wallet.request(proof(key, nonce=nonce, aud=BASE)))
    assert answer.status_code == 400 and answer.json()["error"] == "credential_request_denied"
    assert "suspended" in answer.json()["error_description"] and calls == [1]
    assert _offer_state(ws, offer["id"]).state == "active"
    _set(client, credential_id, "active")
    # the refusal used nothing up: the same access token and nonce now deliver
    again = wallet.credential(access, wallet.request(proof(key, nonce=nonce, aud=BASE)))
    assert again.status_code == 200, again.text
    assert again.json()["credentials"][0]["credential"]["credentialSubject"]["id"] == (
        key.controller
    )
