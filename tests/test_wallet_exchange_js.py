"""The wallet played by the JavaScript reference (vc-js + Ed25519Signature2020 + a did:key, as
the Learner Credential Wallet signs), against `credkit serve` on 127.0.0.1.

interop/node/wallet.mjs runs both LCW request flows (the VC-API exchange behind a CHAPI
``protocols.vcapi`` request, and the request.html deep link) and verifies what it receives with
vc-js, status list included; credkit's verifier checks the same copy.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from credkit.status import HttpFetcher
from credkit.verify import Verifier
from interop.jsref import (
    NODE_DIR,
    NodeDriver,
    ReferenceUnavailableError,
    _install_script,
    contexts_dir,
    ensure_installed,
    interop_must_run,
    skip_requested,
)
from test_server_helpers import TOKEN, Server, diploma, serve_workspace

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def wallet() -> NodeDriver:
    if skip_requested():
        pytest.skip("CREDKIT_SKIP_INTEROP is set")
    try:
        folder = ensure_installed()
    except ReferenceUnavailableError as exc:
        if interop_must_run():
            pytest.fail(f"interop reference unavailable in CI (CI=true): {exc}", pytrace=False)
        pytest.skip(f"interop reference unavailable: {exc}")
    node = shutil.which("node")
    assert node is not None
    script = _install_script(folder, NODE_DIR / "wallet.mjs")
    return NodeDriver(node=node, script=script, contexts=contexts_dir())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = serve_workspace(tmp_path_factory.mktemp("wallet-js"))
    yield srv
    srv.stop()


def _offer(server: Server) -> dict[str, Any]:
    vc = server.issue(diploma())
    answer = httpx.post(
        server.url + "/offers",
        json={"credentialId": vc["id"]},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    offer: dict[str, Any] = answer.json()
    return offer


def _check(out: dict[str, Any], offer: dict[str, Any]) -> None:
    assert out["verified"] is True, out["error"]
    kinds = {p["cryptosuite"] or p["type"] for p in out["proofs"]}
    assert kinds == {"eddsa-rdfc-2022", "Ed25519Signature2020"}
    copy = out["credential"]
    assert copy["id"] == offer["credentialId"]
    assert copy["credentialSubject"]["id"] == out["holder"]
    verifier = Verifier(status_fetcher=HttpFetcher(allow_http=True, allow_private_network=True))
    assert verifier.verify_credential(copy).verdict == "verified"


@pytest.mark.parametrize("version", [2.0, 1.0])
def test_vc_js_wallet_claims_over_the_vcapi_exchange(
    wallet: NodeDriver, server: Server, version: float
) -> None:
    """version 1.0: a VC 1.1 presentation context, which older wallets still send."""
    offer = _offer(server)
    out = wallet.run("claim", {"mode": "vcapi", "url": offer["exchangeUrl"], "version": version})
    _check(out, offer)
    listed = httpx.get(
        server.url + "/offers",
        params={"credentialId": offer["credentialId"]},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).json()["offers"]
    assert listed[0]["status"] == "claimed" and listed[0]["holder"] == out["holder"]


def test_vc_js_wallet_claims_from_the_claim_page_deep_link(
    wallet: NodeDriver, server: Server
) -> None:
    offer = _offer(server)
    page = httpx.get(offer["claimUrl"]).text
    links = [
        html.unescape(c)
        for c in re.findall(r"<code>(.*?)</code>", page, re.S)
        if c.startswith("https://lcw.app/request.html?")
    ]
    assert len(links) == 1
    out = wallet.run("claim", {"mode": "direct", "link": links[0], "version": 1.0})
    _check(out, offer)
