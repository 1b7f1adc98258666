"""Claiming a diploma into a wallet over the VC-API exchange (issue 18), against `credkit serve`.

The wallet is credkit's own holder code (credkit.share.holder), which follows the Learner
Credential Wallet's request flow; the JavaScript reference plays the wallet in
test_wallet_exchange_js.py. Every refusal is checked for its status, its code, and for leaving
the offer exactly as it was (store.offer before == after) with nothing issued.
"""

from __future__ import annotations

import copy
import html
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from credkit.identity.keys import KeyPair
from credkit.issuer.offers import exchange_url
from credkit.issuer.store import SqliteStore
from credkit.issuer.workspace import Workspace
from credkit.share.holder import ExchangeError, claim_via_exchange, didauth_presentation
from credkit.status import HttpFetcher
from credkit.verify import Verifier
from test_server_helpers import TOKEN, Server, diploma, make_workspace, serve_workspace

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = serve_workspace(tmp_path_factory.mktemp("wallet"))
    yield srv
    srv.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60) as c:
        yield c


def _ws(server: Server) -> Workspace:
    ws: Workspace = server.workspace
    return ws


def _store(server: Server) -> SqliteStore:
    return SqliteStore(_ws(server).store_path, base_url=_ws(server).base_url)


def _offer(server: Server, client: httpx.Client, **extra: Any) -> dict[str, Any]:
    vc = server.issue(diploma())
    answer = client.post(
        server.url + "/offers", json={"credentialId": vc["id"], **extra}, headers=AUTH
    )
    assert answer.status_code == 201, answer.text
    offer: dict[str, Any] = answer.json()
    return offer


def _verifier() -> Verifier:
    # the status list is on 127.0.0.1 over http: allowed for this test's verifier only
    return Verifier(status_fetcher=HttpFetcher(allow_http=True, allow_private_network=True))


# --- the whole exchange ----------------------------------------------------------------------


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "Ed25519Signature2020"])
def test_a_wallet_claims_its_diploma_bound_to_its_did(
    server: Server, client: httpx.Client, suite: str
) -> None:
    offer = _offer(server, client)
    holder = KeyPair.generate()
    received = claim_via_exchange(offer["exchangeUrl"], holder, client, cryptosuite=suite)
    assert received["credentialSubject"]["id"] == holder.controller
    assert received["id"] == offer["credentialId"]
    kinds = {p.get("cryptosuite", p["type"]) for p in received["proof"]}
    assert kinds == {"eddsa-rdfc-2022", "Ed25519Signature2020"}  # what released LCW verifies
    result = _verifier().verify_credential(received)
    assert result.verdict == "verified", result.summary
    with _store(server) as store:
        state = store.offer(offer["id"])
        assert state is not None and state.status() == "claimed"
        assert state.holder == holder.controller and state.flow == "vcapi"
        entries = [e for e in store.audit_entries() if e.action == "offer.claim"]
        assert any(e.detail.get("offer") == offer["id"] for e in entries)
    # the server's own verifier agrees, and a tampered copy fails
    assert server.verify(received).status == 200
    forged = copy.deepcopy(received)
    forged["credentialSubject"]["id"] = KeyPair.generate().controller
    assert _verifier().verify_credential(forged).verdict == "not verified"


def _page_links(page: str) -> dict[str, str]:
    codes = [html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", page, re.S)]
    found: dict[str, str] = {}
    for text in codes:
        if text.startswith("https://lcw.app/request.html?"):
            found["lcw"] = text
        elif text.startswith("dccrequest://request?"):
            found["dcc"] = text
        elif text.startswith("{"):
            found["chapi"] = text
        elif text.startswith("openid-credential-offer://"):
            found["oid4vci"] = text
    return found


def test_the_claim_page_deep_link_flow_as_lcw_runs_it(server: Server, client: httpx.Client) -> None:
    """request.html / dccrequest: LCW signs the link's challenge (no domain, present.ts) and
    POSTs the bare VP to vc_request_url; the DCC coordinator answers with the bare VC."""
    offer = _offer(server, client)
    page = client.get(offer["claimUrl"])
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    links = _page_links(page.text)
    assert set(links) == {"lcw", "dcc", "chapi", "oid4vci"}
    params = {k: v[0] for k, v in parse_qs(urlsplit(links["lcw"]).query).items()}
    assert params["auth_type"] == "bearer"
    assert params["issuer"] == urlsplit(server.url).netloc
    assert params["vc_request_url"] == offer["exchangeUrl"]
    assert links["dcc"].split("?", 1)[1] == links["lcw"].split("?", 1)[1]
    chapi = json.loads(links["chapi"])
    assert chapi == {
        "credentialRequestOrigin": server.url,
        "protocols": {"vcapi": offer["exchangeUrl"]},
    }
    assert links["oid4vci"] == offer["oid4vciOffer"]
    holder = KeyPair.generate()
    vp = didauth_presentation(holder, params["challenge"], None, cryptosuite="Ed25519Signature2020")
    answer = client.post(params["vc_request_url"], json=vp)
    assert answer.status_code == 200, answer.text
    received = answer.json()
    assert "VerifiableCredential" in received["type"]
    assert received["credentialSubject"]["id"] == holder.controller
    assert _verifier().verify_credential(received).verdict == "verified"
    # the page is gone now: 410, no links
    again = client.get(offer["claimUrl"])
    assert again.status_code == 410
    assert "lcw.app" not in again.text and "<svg" not in again.text


def test_claim_page_qr_codes_decode_to_the_links(server: Server, client: httpx.Client) -> None:
    pytest.importorskip("zxingcpp")
    pytest.importorskip("cairosvg")
    from credkit.share.qr_image import read_qr

    offer = _offer(server, client)
    page = client.get(offer["claimUrl"]).text
    links = _page_links(page)
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    decoded = [read_qr(s.encode()) for s in svgs]
    assert sorted(decoded) == sorted(links.values())


def test_secrets_stay_out_of_the_access_log(server: Server, client: httpx.Client) -> None:
    offer = _offer(server, client)
    client.get(offer["claimUrl"])
    client.post(offer["exchangeUrl"], json={})
    secret = offer["claimUrl"].rsplit("/", 1)[1]
    log = server.log.read_text(errors="replace")
    assert "/claim/…" in log and "/exchanges/…" in log
    assert secret not in log


# --- refusals: specific 4xx, offer unchanged ------------------------------------------------


def _refused(
    server: Server,
    client: httpx.Client,
    offer: dict[str, Any],
    body: Any,
    status: int,
    code: str,
    *,
    raw: bytes | None = None,
) -> None:
    with _store(server) as store:
        before = store.offer(offer["id"])
        issued = len(store.credentials(documents=False))
    if raw is not None:
        answer = client.post(
            offer["exchangeUrl"], content=raw, headers={"Content-Type": "application/json"}
        )
    else:
        answer = client.post(offer["exchangeUrl"], json=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code, answer.text
    assert "verifiableCredential" not in answer.text
    with _store(server) as store:
        assert store.offer(offer["id"]) == before
        assert len(store.credentials(documents=False)) == issued


def _request(client: httpx.Client, offer: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(offer["exchangeUrl"], json={})
    assert answer.status_code == 200, answer.text
    vpr: dict[str, Any] = answer.json()["verifiablePresentationRequest"]
    assert vpr["query"][0]["type"] == "DIDAuthentication"
    assert vpr["domain"] == server_origin(offer)
    assert vpr["interact"]["service"][0]["serviceEndpoint"] == offer["exchangeUrl"]
    return vpr


def server_origin(offer: dict[str, Any]) -> str:
    parts = urlsplit(offer["exchangeUrl"])
    return f"{parts.scheme}://{parts.netloc}"


def test_wrong_challenge_domain_or_purpose_is_refused(server: Server, client: httpx.Client) -> None:
    offer = _offer(server, client)
    vpr = _request(client, offer)
    key = KeyPair.generate()
    wrap = lambda vp: {"verifiablePresentation": vp}  # noqa: E731
    made_up = didauth_presentation(key, "not-a-challenge-we-issued", vpr["domain"])
    _refused(server, client, offer, wrap(made_up), 400, "BAD_CHALLENGE")
    other = _offer(server, client)
    foreign = _request(client, other)["challenge"]
    _refused(
        server,
        client,
        offer,
        wrap(didauth_presentation(key, foreign, vpr["domain"])),
        400,
        "BAD_CHALLENGE",
    )
    elsewhere = didauth_presentation(key, vpr["challenge"], "https://evil.example")
    _refused(server, client, offer, wrap(elsewhere), 400, "BAD_DOMAIN")
    no_domain = didauth_presentation(key, vpr["challenge"], None)  # the VPR asked for one
    _refused(server, client, offer, wrap(no_domain), 400, "BAD_DOMAIN")
    from credkit.proofs.dataintegrity import sign

    bare = {
        "@context": [made_up["@context"][0]],
        "type": ["VerifiablePresentation"],
        "holder": key.controller,
    }
    asserted = sign(
        bare, key, proof_purpose="assertionMethod", challenge=vpr["challenge"], domain=vpr["domain"]
    )
    _refused(server, client, offer, wrap(asserted), 401, "DIDAUTH_FAILED")
    # the right one still works afterwards: nothing above used the challenge
    good = didauth_presentation(key, vpr["challenge"], vpr["domain"])
    assert client.post(offer["exchangeUrl"], json=wrap(good)).status_code == 200
    # and the same VP again is a replay of a used offer
    _refused(server, client, offer, wrap(good), 410, "OFFER_CLAIMED")


def test_expired_or_used_challenges_are_refused(server: Server, client: httpx.Client) -> None:
    offer = _offer(server, client)
    domain = server_origin(offer)
    key = KeyPair.generate()
    with _store(server) as store:
        expired = store.issue_token(
            "challenge",
            offer_id=offer["id"],
            lifetime=timedelta(microseconds=1),
            data={"domain": domain},
        )
        used = store.issue_token(
            "challenge",
            offer_id=offer["id"],
            lifetime=timedelta(minutes=5),
            data={"domain": domain},
        )
        assert store.use_token(used, "challenge") is not None
    for challenge in (expired, used):
        vp = didauth_presentation(key, challenge, domain)
        _refused(server, client, offer, {"verifiablePresentation": vp}, 400, "BAD_CHALLENGE")


def test_a_key_the_holder_did_does_not_list_is_refused(
    server: Server, client: httpx.Client
) -> None:
    offer = _offer(server, client)
    vpr = _request(client, offer)
    victim = KeyPair.generate()
    attacker = KeyPair.generate()
    # names the victim's DID as holder and controller, signs with the attacker's key
    impostor = KeyPair(
        attacker._private,
        controller=victim.controller,
        key_id=f"{victim.controller}#{attacker.public_key.multibase}",
    )
    vp = didauth_presentation(impostor, vpr["challenge"], vpr["domain"])
    _refused(server, client, offer, {"verifiablePresentation": vp}, 401, "DIDAUTH_FAILED")
    # the attacker's own did:key method, under the victim's holder name
    vp = didauth_presentation(attacker, vpr["challenge"], vpr["domain"])
    vp = {k: v for k, v in vp.items() if k != "proof"}
    vp["holder"] = victim.controller
    from credkit.proofs.dataintegrity import sign

    vp = sign(
        vp,
        attacker,
        proof_purpose="authentication",
        challenge=vpr["challenge"],
        domain=vpr["domain"],
    )
    _refused(server, client, offer, {"verifiablePresentation": vp}, 401, "DIDAUTH_FAILED")
    # tampered after signing
    good = didauth_presentation(victim, vpr["challenge"], vpr["domain"])
    good["holder"] = attacker.controller
    _refused(server, client, offer, {"verifiablePresentation": good}, 401, "DIDAUTH_FAILED")


def test_unsigned_holderless_and_malformed_bodies_are_refused(
    server: Server, client: httpx.Client
) -> None:
    offer = _offer(server, client)
    vpr = _request(client, offer)
    key = KeyPair.generate()
    good = didauth_presentation(key, vpr["challenge"], vpr["domain"])
    unsigned = {k: v for k, v in good.items() if k != "proof"}
    _refused(server, client, offer, {"verifiablePresentation": unsigned}, 400, "DIDAUTH_UNSIGNED")
    listed = copy.deepcopy(good)
    listed["proof"]["domain"] = [vpr["domain"]]
    _refused(server, client, offer, {"verifiablePresentation": listed}, 400, "BAD_DOMAIN")
    odd = copy.deepcopy(good)
    odd["proof"]["challenge"] = {"challenge": vpr["challenge"]}
    _refused(server, client, offer, {"verifiablePresentation": odd}, 400, "NO_CHALLENGE")
    holderless = {k: v for k, v in good.items() if k != "holder"}
    _refused(server, client, offer, {"verifiablePresentation": holderless}, 400, "NO_HOLDER")
    _refused(server, client, offer, {"verifiablePresentation": "x"}, 400, "BAD_EXCHANGE_REQUEST")
    _refused(server, client, offer, {"hello": 1}, 400, "BAD_EXCHANGE_REQUEST")
    _refused(server, client, offer, [1, 2], 400, "BAD_EXCHANGE_REQUEST")
    _refused(server, client, offer, None, 400, "PARSING_ERROR", raw=b"{not json")
    _refused(server, client, offer, None, 400, "PARSING_ERROR", raw=b"[" * 5000 + b"]" * 5000)
    _refused(
        server,
        client,
        offer,
        None,
        413,
        "PAYLOAD_TOO_LARGE",
        raw=b'{"verifiablePresentation": "' + b"x" * (3 << 20) + b'"}',
    )


def test_expired_revoked_and_unknown_offers_are_refused(
    server: Server, client: httpx.Client
) -> None:
    vc = server.issue(diploma())
    with _store(server) as store:
        expired, expired_secret = store.create_offer(vc["id"], lifetime=timedelta(microseconds=1))
        withdrawn, withdrawn_secret = store.create_offer(vc["id"], lifetime=timedelta(days=1))
        store.revoke_offer(withdrawn.id)
        coded, coded_secret = store.create_offer(
            vc["id"], lifetime=timedelta(days=1), tx_code="493817"
        )
    base = server.url
    cases = [
        (expired.id, expired_secret, 410, "OFFER_EXPIRED"),
        (withdrawn.id, withdrawn_secret, 410, "OFFER_REVOKED"),
    ]
    for offer_id, secret, status, code in cases:
        offer = {"id": offer_id, "exchangeUrl": exchange_url(base, secret)}
        _refused(server, client, offer, {}, status, code)
        page = client.get(f"{base}/claim/{secret}")
        assert page.status_code == status and "lcw.app" not in page.text
    unknown = client.post(exchange_url(base, "x" * 43), json={})
    assert unknown.status_code == 404 and unknown.json()["code"] == "NO_OFFER"
    assert client.get(f"{base}/claim/{'x' * 43}").status_code == 404
    # an offer with a transaction code is for OID4VCI, where the wallet can send the code
    offer = {"id": coded.id, "exchangeUrl": exchange_url(base, coded_secret)}
    _refused(server, client, offer, {}, 403, "TX_CODE")
    with _store(server) as store:
        challenge = store.issue_token(
            "challenge", offer_id=coded.id, lifetime=timedelta(minutes=5),
            data={"domain": server_origin(offer)},
        )  # fmt: skip
    vp = didauth_presentation(KeyPair.generate(), challenge, server_origin(offer))
    _refused(server, client, offer, {"verifiablePresentation": vp}, 403, "TX_CODE")
    page = client.get(f"{base}/claim/{coded_secret}")
    assert page.status_code == 200
    assert set(_page_links(page.text)) == {"oid4vci"}  # the only flow that carries the code


def test_a_revoked_diplomas_offer_is_refused(server: Server, client: httpx.Client) -> None:
    offer = _offer(server, client)
    vpr = _request(client, offer)
    revoke = client.post(
        server.url + "/credentials/status",
        json={"credentialId": offer["credentialId"], "credentialStatus": [{"status": "revoked"}]},
        headers=AUTH,
    )
    assert revoke.status_code == 200, revoke.text
    vp = didauth_presentation(KeyPair.generate(), vpr["challenge"], vpr["domain"])
    _refused(server, client, offer, {"verifiablePresentation": vp}, 410, "DIPLOMA_REVOKED")
    assert client.get(offer["claimUrl"]).status_code == 410
    again = client.post(
        server.url + "/offers", json={"credentialId": offer["credentialId"]}, headers=AUTH
    )
    assert again.status_code == 409 and again.json()["code"] == "DIPLOMA_REVOKED"


def _set_status(server: Server, client: httpx.Client, credential_id: str, status: str) -> None:
    answer = client.post(
        server.url + "/credentials/status",
        json={"credentialId": credential_id, "credentialStatus": [{"status": status}]},
        headers=AUTH,
    )
    assert answer.status_code == 200, answer.text


def test_a_suspended_diploma_is_withheld_until_reinstated(
    server: Server, client: httpx.Client
) -> None:
    """The same rule as OID4VCI (offers.withheld): a suspended diploma is not handed to a wallet;
    the offer stays active and the same link delivers once the diploma is reinstated."""
    options = {
        "credentialStatus": [{"statusPurpose": "revocation"}, {"statusPurpose": "suspension"}]
    }
    vc = server.issue(diploma(), options)
    created = client.post(server.url + "/offers", json={"credentialId": vc["id"]}, headers=AUTH)
    assert created.status_code == 201, created.text
    offer: dict[str, Any] = created.json()
    vpr = _request(client, offer)  # asked for before the suspension
    _set_status(server, client, vc["id"], "suspended")
    vp = didauth_presentation(KeyPair.generate(), vpr["challenge"], vpr["domain"])
    _refused(server, client, offer, {"verifiablePresentation": vp}, 409, "DIPLOMA_SUSPENDED")
    _refused(server, client, offer, {}, 409, "DIPLOMA_SUSPENDED")
    page = client.get(offer["claimUrl"])
    assert page.status_code == 409 and "lcw.app" not in page.text and "suspended" in page.text
    # a suspended diploma may still be offered (the link is for after the reinstatement)
    again = client.post(server.url + "/offers", json={"credentialId": vc["id"]}, headers=AUTH)
    assert again.status_code == 201, again.text
    _set_status(server, client, vc["id"], "active")
    holder = KeyPair.generate()
    received = claim_via_exchange(offer["exchangeUrl"], holder, client)
    assert received["credentialSubject"]["id"] == holder.controller
    assert _verifier().verify_credential(received).verdict == "verified"


def test_a_link_posted_in_a_loop_is_capped_not_stored_without_end(
    server: Server, client: httpx.Client
) -> None:
    from credkit.issuer.offers import OFFER_TOKEN_CAP

    offer = _offer(server, client)
    requests = [_request(client, offer) for _ in range(OFFER_TOKEN_CAP)]
    answer = client.post(offer["exchangeUrl"], json={})
    assert answer.status_code == 429 and answer.json()["code"] == "TOO_MANY_CHALLENGES"
    assert int(answer.headers["retry-after"]) > 0
    assert client.get(offer["claimUrl"]).status_code == 429  # its deep links need a challenge
    other = _offer(server, client)
    assert client.post(other["exchangeUrl"], json={}).status_code == 200  # a cap per offer
    # the challenges already handed out still work
    holder = KeyPair.generate()
    vp = didauth_presentation(holder, requests[0]["challenge"], requests[0]["domain"])
    done = client.post(offer["exchangeUrl"], json={"verifiablePresentation": vp})
    assert done.status_code == 200, done.text
    received = done.json()["verifiablePresentation"]["verifiableCredential"][0]
    assert received["credentialSubject"]["id"] == holder.controller


def test_holder_code_reports_a_refusal(server: Server, client: httpx.Client) -> None:
    offer = _offer(server, client)
    claim_via_exchange(offer["exchangeUrl"], KeyPair.generate(), client)
    with pytest.raises(ExchangeError) as err:
        claim_via_exchange(offer["exchangeUrl"], KeyPair.generate(), client)
    assert err.value.status == 410


# --- the offers API ------------------------------------------------------------------------


def test_offers_api_needs_the_issuer_token(server: Server, client: httpx.Client) -> None:
    vc = server.issue(diploma())
    for method, path, body in (
        ("POST", "/offers", {"credentialId": vc["id"]}),
        ("GET", "/offers", None),
        ("POST", "/offers/offer-0/revoke", None),
    ):
        answer = client.request(method, server.url + path, json=body)
        assert answer.status_code == 401, answer.text
        wrong = client.request(
            method, server.url + path, json=body, headers={"Authorization": "Bearer nope"}
        )
        assert wrong.status_code == 401


def test_offers_api_create_list_revoke(server: Server, client: httpx.Client) -> None:
    offer = _offer(server, client, expires="2h")
    assert set(offer) == {
        "id",
        "credentialId",
        "claimUrl",
        "exchangeUrl",
        "oid4vciOffer",
        "expiresAt",
    }
    listed = client.get(
        server.url + "/offers", params={"credentialId": offer["credentialId"]}, headers=AUTH
    ).json()["offers"]
    assert [o["id"] for o in listed] == [offer["id"]] and listed[0]["status"] == "active"
    secret = offer["claimUrl"].rsplit("/", 1)[1]
    assert secret not in json.dumps(listed)
    revoked = client.post(f"{server.url}/offers/{offer['id']}/revoke", headers=AUTH)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    again = client.post(f"{server.url}/offers/{offer['id']}/revoke", headers=AUTH)
    assert again.status_code == 409 and again.json()["code"] == "OFFER_REVOKED"
    missing = client.post(f"{server.url}/offers/offer-nope/revoke", headers=AUTH)
    assert missing.status_code == 404
    assert client.post(offer["exchangeUrl"], json={}).status_code == 410
    for body, status in (
        ({"credentialId": "urn:uuid:never"}, 404),
        ({"credentialId": offer["credentialId"], "expires": "forever"}, 400),
        ({"credentialId": offer["credentialId"], "expires": "999d"}, 400),
        ({"credentialId": offer["credentialId"], "extra": 1}, 422),
    ):
        answer = client.post(server.url + "/offers", json=body, headers=AUTH)
        assert answer.status_code == status, answer.text


def test_offers_need_a_base_url(tmp_path: Path, client: httpx.Client) -> None:
    ws = make_workspace(tmp_path / "ws", None)
    srv = Server(tmp_path, workspace=ws)
    try:
        answer = client.post(srv.url + "/offers", json={"credentialId": "urn:uuid:x"}, headers=AUTH)
        assert answer.status_code == 501 and answer.json()["code"] == "NO_BASE_URL"
        assert client.post(srv.url + "/exchanges/" + "x" * 43, json={}).status_code == 501
    finally:
        srv.stop()


# --- did:web holders: only what the service's resolver already has, never a surprise fetch ---


def test_did_web_holders_resolve_through_the_service_only(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from credkit.identity.did import did_web_document
    from credkit.server.app import create_app
    from credkit.server.state import ServerConfig

    ws = make_workspace(tmp_path / "ws", "http://testserver")
    app = create_app(ServerConfig(issuer_dir=ws.root, tokens=frozenset({TOKEN})))
    known_did = "did:web:graduate.example"
    known = KeyPair.generate(controller=known_did, key_id=f"{known_did}#key-1")
    # a did:web document the service already holds (as its fetcher would have brought it)
    app.state.credkit.resolver.add_document(did_web_document(known_did, [known]))
    stranger_did = "did:web:stranger.example"
    stranger = KeyPair.generate(controller=stranger_did, key_id=f"{stranger_did}#key-1")
    with TestClient(app) as client:
        ids = []
        for _ in range(2):
            issued = client.post(
                "/credentials/issue", json={"credential": diploma(), "options": {}}, headers=AUTH
            )
            assert issued.status_code == 201, issued.text
            ids.append(issued.json()["verifiableCredential"]["id"])
        offers = [
            client.post("/offers", json={"credentialId": i}, headers=AUTH).json() for i in ids
        ]
        received = claim_via_exchange(offers[0]["exchangeUrl"], known, client)
        assert received["credentialSubject"]["id"] == known_did
        # no network on this service: the stranger's did:web cannot be resolved, so not trusted
        with pytest.raises(ExchangeError) as err:
            claim_via_exchange(offers[1]["exchangeUrl"], stranger, client)
        assert err.value.status == 401 and err.value.body["code"] == "DIDAUTH_FAILED"
    with SqliteStore(ws.store_path) as store:
        still = store.offer(offers[1]["id"])
        assert still is not None and still.status() == "active"


def test_wallets_racing_for_one_link_have_one_winner(server: Server) -> None:
    import threading

    wallets = [KeyPair.generate() for _ in range(6)]
    with httpx.Client(timeout=60) as c:
        offer = _offer(server, c)
        vps = []
        for key in wallets:
            vpr = c.post(offer["exchangeUrl"], json={}).json()["verifiablePresentationRequest"]
            vps.append(didauth_presentation(key, vpr["challenge"], vpr["domain"]))
    barrier = threading.Barrier(len(vps))
    answers: list[tuple[int, str]] = []

    def post(vp: dict[str, Any]) -> None:
        with httpx.Client(timeout=60) as mine:
            barrier.wait()
            answer = mine.post(offer["exchangeUrl"], json={"verifiablePresentation": vp})
            answers.append((answer.status_code, answer.json().get("code", "")))

    threads = [threading.Thread(target=post, args=(vp,)) for vp in vps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [(200, "")] + [(410, "OFFER_CLAIMED")] * 5
    with _store(server) as store:
        won = store.offer(offer["id"])
        assert won is not None and won.holder in {w.controller for w in wallets}
        claims = [
            e
            for e in store.audit_entries()
            if e.action == "offer.claim" and e.detail.get("offer") == offer["id"]
        ]
        assert len(claims) == 1


def test_log_lines_never_carry_a_claim_secret() -> None:
    from credkit.server.limits import loggable_path

    for path in ("/claim/s3cr3t-Value_1", "/exchanges/s3cr3t-Value_1", "/oid4vci/offers/s3cr3t"):
        assert "s3cr3t" not in loggable_path(path) and loggable_path(path).endswith("/…")
    assert loggable_path("/c/abc") == "/c/abc"
