"""OpenID4VCI 1.0 pre-authorized code flow against a real ``credkit serve`` on 127.0.0.1.

A Python wallet (httpx + joserfc, tests/oid4vci_client.py) claims diplomas, and tries every kind
of bad request: each gets its specific OAuth error, nothing is issued, and the offer in the store
is unchanged; afterwards the same access token still works (nothing was used up by a refusal).
The published JavaScript client drives the flow in tests/test_oid4vci_interop.py.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from credkit.identity.keys import KeyPair
from credkit.issuer.oid4vci import CONFIGURATION_ID, PRE_AUTHORIZED_GRANT
from credkit.issuer.store import SqliteStore, serialize_credential
from credkit.proofs import verify as verify_proof
from oid4vci_client import Wallet, p256_did, proof, proof_es256
from test_server_helpers import Server, diploma, make_workspace, serve_workspace

pytest.importorskip("joserfc")
# the wallet signs with "EdDSA" as wallets do; joserfc flags the name (RFC 9864), not the key
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = serve_workspace(tmp_path_factory.mktemp("oid4vci"))
    yield srv
    srv.stop()


@pytest.fixture
def store(server: Server) -> Iterator[SqliteStore]:
    ws = server.workspace
    with SqliteStore(ws.store_path, base_url=ws.base_url) as opened:
        yield opened


@pytest.fixture
def wallet(server: Server) -> Iterator[Wallet]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield Wallet(client, server.url)


def new_offer(
    server: Server, store: SqliteStore, *, lifetime: timedelta = timedelta(days=30), **kw: Any
) -> tuple[str, str, str]:
    """(credential id, offer id, secret) for a freshly issued diploma."""
    vc = server.issue(diploma())
    offer, secret = store.create_offer(vc["id"], lifetime=lifetime, **kw)
    return vc["id"], offer.id, secret


def error(answer: httpx.Response) -> str:
    body: dict[str, Any] = answer.json()
    assert answer.headers.get("cache-control") == "no-store"
    assert body["error_description"] and "Traceback" not in answer.text
    return str(body["error"])


# --- metadata ------------------------------------------------------------------------------------


def test_issuer_metadata_lists_the_diploma_as_ldp_vc(wallet: Wallet, server: Server) -> None:
    meta = wallet.client.get("/.well-known/openid-credential-issuer").json()
    assert meta["credential_issuer"] == server.url
    assert meta["credential_endpoint"] == server.url + "/oid4vci/credential"
    assert meta["nonce_endpoint"] == server.url + "/oid4vci/nonce"
    config = meta["credential_configurations_supported"][CONFIGURATION_ID]
    assert config["format"] == "ldp_vc"
    assert config["credential_definition"]["type"] == [
        "VerifiableCredential",
        "OpenBadgeCredential",
    ]
    assert config["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"] == [
        "EdDSA",
        "Ed25519",
        "ES256",
    ]
    assert "authorization_servers" not in meta  # the issuer is its own authorization server
    oauth = wallet.client.get("/.well-known/oauth-authorization-server").json()
    assert oauth["issuer"] == server.url
    assert oauth["token_endpoint"] == server.url + "/oid4vci/token"
    assert oauth["pre-authorized_grant_anonymous_access_supported"] is True


# --- the flow ------------------------------------------------------------------------------------


@pytest.mark.parametrize("binding", ["kid", "jwk"])
def test_a_wallet_claims_the_diploma_bound_to_its_did_key(
    server: Server, store: SqliteStore, wallet: Wallet, binding: str
) -> None:
    credential_id, offer_id, secret = new_offer(server, store)
    offer = wallet.offer(secret)
    assert offer.headers["cache-control"] == "no-store"
    assert offer.json()["credential_issuer"] == server.url
    assert offer.json()["credential_configuration_ids"] == [CONFIGURATION_ID]
    key = KeyPair.generate()
    access = wallet.access(secret)
    jwt = proof(key, nonce=wallet.nonce(), aud=server.url, binding=binding)
    answer = wallet.credential(access, wallet.request(jwt))
    assert answer.status_code == 200, answer.text
    vc = answer.json()["credentials"][0]["credential"]
    holder = key.controller  # a jwk proof is bound to the same key's did:key
    assert vc["id"] == credential_id and vc["credentialSubject"]["id"] == holder
    assert [p.get("cryptosuite", p["type"]) for p in vc["proof"]] == [
        "eddsa-rdfc-2022",
        "Ed25519Signature2020",
    ]
    assert verify_proof(vc).verified
    verdict = server.verify(vc).json()
    assert verdict["verified"] is True, verdict
    claimed = store.offer(offer_id)
    assert claimed is not None and claimed.status() == "claimed"
    assert claimed.holder == holder and claimed.flow == "oid4vci"
    import hashlib

    assert claimed.delivered_digest == hashlib.sha256(serialize_credential(vc)).hexdigest()
    # the offer works once: the link now says so, and a second code cannot be had
    assert wallet.offer(secret).status_code == 410
    entries = store.audit_entries()
    assert any(e.action == "offer.claim" and e.credential_id == credential_id for e in entries)


@pytest.mark.parametrize("binding", ["kid", "jwk"])
def test_a_p256_wallet_claims_with_an_es256_key_proof(
    server: Server, store: SqliteStore, wallet: Wallet, binding: str
) -> None:
    """Appendix F.1 with ES256: a wallet whose key is P-256 (a phone's secure element) gets the
    diploma bound to its P-256 did:key (zDn…), for a kid and a jwk alike."""
    from joserfc.jwk import ECKey

    credential_id, offer_id, secret = new_offer(server, store)
    key = ECKey.generate_key("P-256")
    access = wallet.access(secret)
    jwt = proof_es256(key, nonce=wallet.nonce(), aud=server.url, binding=binding)
    answer = wallet.credential(access, wallet.request(jwt))
    assert answer.status_code == 200, answer.text
    vc = answer.json()["credentials"][0]["credential"]
    holder = p256_did(key)
    assert holder.startswith("did:key:zDn")
    assert vc["id"] == credential_id and vc["credentialSubject"]["id"] == holder
    assert verify_proof(vc).verified
    assert server.verify(vc).json()["verified"] is True
    claimed = store.offer(offer_id)
    assert claimed is not None and claimed.holder == holder and claimed.flow == "oid4vci"


def test_es256_proofs_that_do_not_fit_their_key_are_refused() -> None:
    from joserfc.jwk import ECKey

    from credkit.issuer.oid4vci import KeyProofError, check_key_proof

    aud = "https://lab.example"
    key, other = ECKey.generate_key("P-256"), ECKey.generate_key("P-256")
    assert check_key_proof(proof_es256(key, nonce="n", aud=aud), audience=aud).holder == (
        p256_did(key)
    )
    p384 = ECKey.generate_key("P-384")
    ed = KeyPair.generate()
    good = proof_es256(key, nonce="n", aud=aud)
    did = p256_did(key)
    import base64
    import json as _json

    def forge(head: dict[str, Any], jwt: str = good) -> str:
        part = base64.urlsafe_b64encode(_json.dumps(head).encode()).decode().rstrip("=")
        return part + "." + ".".join(jwt.split(".")[1:])

    head = {"alg": "ES256", "typ": "openid4vci-proof+jwt"}
    public = {k: v for k, v in key.as_dict(private=False).items() if k in ("kty", "crv", "x", "y")}
    off_curve = {**public, "y": public["x"]}
    cases = [
        ("signed by another P-256 key", proof_es256(key, nonce="n", aud=aud, signer=other), "signature"),
        ("ES256 over an Ed25519 did:key", forge({**head, "kid": ed.id}), "does not fit an Ed25519"),
        ("EdDSA over a P-256 did:key", forge({**head, "alg": "EdDSA", "kid": f"{did}#{did[8:]}"}), "does not fit a P-256"),
        ("ES384 from a P-384 key", proof_es256(p384, nonce="n", aud=aud, binding="jwk", alg="ES384"), "not supported"),
        ("kid fragment names another key", forge({**head, "kid": f"{did}#{p256_did(other)[8:]}"}), "does not name"),
        ("jwk point off the curve", forge({**head, "jwk": off_curve}), "not on the curve"),
        ("private EC jwk", forge({**head, "jwk": {**public, "d": public["x"]}}), "public JWK"),
        ("P-256 did:key, no p256-pub header", forge({**head, "kid": "did:key:zDnaeXXXX#zDnaeXXXX"}), "p256-pub"),
    ]  # fmt: skip
    for label, jwt, why in cases:
        with pytest.raises(KeyProofError) as err:
            check_key_proof(jwt, audience=aud)
        assert err.value.error == "invalid_proof" and why in err.value.message, label


def test_p256_did_keys_match_the_did_key_spec_vector() -> None:
    """w3c-ccg did-method-key test-vectors/nist-curves.json, P-256: the did:key and its JWK."""
    from credkit.errors import KeyFormatError
    from credkit.identity.p256 import P256PublicKey

    did = "did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv"
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": "igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns",
        "y": "efsX5b10x8yjyrj4ny3pGfLcY7Xby1KzgqOdqnsrJIM",
    }
    assert P256PublicKey.from_jwk(jwk).did_key() == did
    assert P256PublicKey.from_did_key(did).to_jwk() == jwk
    for bad in (
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",  # Ed25519
        did[:-4],  # truncated point
        "did:key:zDn" + "1" * 45,
    ):
        with pytest.raises(KeyFormatError):
            P256PublicKey.from_did_key(bad)


def test_an_offer_is_claimed_once_even_with_tokens_fetched_before(
    server: Server, store: SqliteStore, wallet: Wallet
) -> None:
    _, offer_id, secret = new_offer(server, store)
    spare_code = wallet.code(secret)
    spare_access = wallet.access(secret)
    wallet.claim(secret, KeyPair.generate())
    claimed = store.offer(offer_id)
    answer = wallet.token(spare_code)
    assert answer.status_code == 400 and error(answer) == "invalid_grant"
    jwt = proof(KeyPair.generate(), nonce=wallet.nonce(), aud=server.url)
    answer = wallet.credential(spare_access, wallet.request(jwt))
    assert answer.status_code == 400 and error(answer) == "credential_request_denied"
    assert store.offer(offer_id) == claimed


def test_an_expired_offer_is_refused(server: Server, store: SqliteStore, wallet: Wallet) -> None:
    _, offer_id, secret = new_offer(server, store, lifetime=timedelta(seconds=2))
    code = wallet.code(secret)
    time.sleep(2.2)
    before = store.offer(offer_id)
    assert wallet.offer(secret).status_code == 410
    answer = wallet.token(code)
    assert answer.status_code == 400 and error(answer) == "invalid_grant"
    assert "expired" in answer.json()["error_description"]
    assert store.offer(offer_id) == before


def test_a_revoked_diplomas_offer_is_refused(
    server: Server, store: SqliteStore, wallet: Wallet
) -> None:
    credential_id, offer_id, secret = new_offer(server, store)
    access = wallet.access(secret)
    code = wallet.code(secret)
    with store.transaction():
        store.set_status(credential_id, "revocation", 1, reason="test")
    before = store.offer(offer_id)
    assert wallet.offer(secret).status_code == 410
    assert error(wallet.token(code)) == "invalid_grant"
    jwt = proof(KeyPair.generate(), nonce=wallet.nonce(), aud=server.url)
    answer = wallet.credential(access, wallet.request(jwt))
    assert answer.status_code == 400 and error(answer) == "credential_request_denied"
    assert store.offer(offer_id) == before and before is not None and before.state == "active"


def test_a_suspended_diploma_is_withheld_until_reinstated(
    server: Server, store: SqliteStore, wallet: Wallet
) -> None:
    """The same rule as the VC-API exchange (offers.withheld): nothing is delivered while the
    diploma is suspended, the offer stays active, and the same link works once reinstated."""
    options = {
        "credentialStatus": [{"statusPurpose": "revocation"}, {"statusPurpose": "suspension"}]
    }
    vc = server.issue(diploma(), options)
    offer, secret = store.create_offer(vc["id"], lifetime=timedelta(days=1))
    access = wallet.access(secret)
    code = wallet.code(secret)
    with store.transaction():
        store.set_status(vc["id"], "suspension", 1, reason="test")
    before = store.offer(offer.id)
    assert wallet.offer(secret).status_code == 409  # not gone: works once reinstated
    answer = wallet.token(code)
    described = answer.json()["error_description"]
    assert (
        error(answer) == "invalid_grant" and "suspended" in described and "revoked" not in described
    )
    jwt = proof(KeyPair.generate(), nonce=wallet.nonce(), aud=server.url)
    answer = wallet.credential(access, wallet.request(jwt))
    assert answer.status_code == 400 and error(answer) == "credential_request_denied"
    assert "suspended" in answer.json()["error_description"]
    assert store.offer(offer.id) == before and before is not None and before.state == "active"
    with store.transaction():
        store.set_status(vc["id"], "suspension", 0, reason="test")
    key = KeyPair.generate()
    claimed = wallet.claim(secret, key)
    assert claimed["credentialSubject"]["id"] == key.controller


def test_the_transaction_code_is_checked_at_the_token_endpoint(
    server: Server, store: SqliteStore, wallet: Wallet
) -> None:
    _, offer_id, secret = new_offer(server, store, tx_code="493817")
    grant = wallet.offer(secret).json()["grants"][PRE_AUTHORIZED_GRANT]
    assert "tx_code" in grant
    before = store.offer(offer_id)
    code = grant["pre-authorized_code"]
    assert error(wallet.token(code)) == "invalid_request"  # §6.3: a code is expected
    answer = wallet.token(code, "000000")
    assert answer.status_code == 400 and error(answer) == "invalid_grant"
    assert store.offer(offer_id) == before
    key = KeyPair.generate()
    vc = wallet.claim(secret, key, tx_code="493817")
    assert vc["credentialSubject"]["id"] == key.controller


def test_a_code_where_none_is_expected_is_invalid_request(
    server: Server, store: SqliteStore, wallet: Wallet
) -> None:
    _, _, secret = new_offer(server, store)
    assert error(wallet.token(wallet.code(secret), "1234")) == "invalid_request"


def test_wrong_transaction_codes_are_limited(
    server: Server, store: SqliteStore, wallet: Wallet
) -> None:
    _, offer_id, secret = new_offer(server, store, tx_code="493817")
    code = wallet.code(secret)
    for _ in range(5):
        assert error(wallet.token(code, "000000")) == "invalid_grant"
    answer = wallet.token(code, "493817")
    assert error(answer) == "invalid_grant" and "too many" in answer.json()["error_description"]
    assert store.offer(offer_id).state == "active"  # type: ignore[union-attr]


def test_token_endpoint_refusals(wallet: Wallet) -> None:
    answer = wallet.client.post("/oid4vci/token", data={"grant_type": "authorization_code"})
    assert error(answer) == "unsupported_grant_type"
    answer = wallet.client.post("/oid4vci/token", data={"grant_type": PRE_AUTHORIZED_GRANT})
    assert error(answer) == "invalid_request"
    assert error(wallet.token("not-a-code")) == "invalid_grant"
    answer = wallet.client.post(
        "/oid4vci/token",
        content=b"grant_type=x&grant_type=y",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert error(answer) == "invalid_request"
    answer = wallet.client.post("/oid4vci/token", json={"grant_type": PRE_AUTHORIZED_GRANT})
    assert error(answer) == "invalid_request"


def test_nonce_endpoint_is_uncacheable_and_unpredictable(wallet: Wallet) -> None:
    answers = [wallet.client.post("/oid4vci/nonce") for _ in range(3)]
    assert all(a.headers["cache-control"] == "no-store" for a in answers)
    assert len({a.json()["c_nonce"] for a in answers}) == 3


def test_an_offer_fetched_in_a_loop_is_capped_and_the_codes_still_work(
    server: Server, store: SqliteStore, wallet: Wallet
) -> None:
    from credkit.issuer.offers import OFFER_TOKEN_CAP

    _, offer_id, secret = new_offer(server, store)
    codes = [wallet.code(secret) for _ in range(OFFER_TOKEN_CAP)]
    before = store.offer(offer_id)
    answer = wallet.offer(secret)
    assert answer.status_code == 429 and error(answer) == "invalid_request"
    assert int(answer.headers["retry-after"]) > 0
    assert store.offer(offer_id) == before
    _, _, other = new_offer(server, store)
    assert wallet.offer(other).status_code == 200  # a cap per offer, not for the service
    answer = wallet.token(codes[-1])
    assert answer.status_code == 200, answer.text
    key = KeyPair.generate()
    jwt = proof(key, nonce=wallet.nonce(), aud=server.url)
    vc = wallet.credential(answer.json()["access_token"], wallet.request(jwt))
    assert vc.status_code == 200 and vc.json()["credentials"][0]["credential"]


def _in_process(tmp_path: Path) -> Any:
    from starlette import testclient

    from credkit.server import ServerConfig, create_app

    ws = make_workspace(tmp_path / "ws", "http://testserver")
    return ws, testclient.TestClient(create_app(ServerConfig(issuer_dir=ws.root)))


def test_expired_nonces_do_not_pile_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The nonce endpoint is open (§7): each nonce written purges expired ones, so a flood of
    short-lived nonces leaves a handful of rows, not one per request."""
    from credkit.issuer import oid4vci as proto

    monkeypatch.setattr(proto, "NONCE_LIFETIME", timedelta(microseconds=1))
    ws, client = _in_process(tmp_path)
    with client:
        for _ in range(300):
            assert client.post("/oid4vci/nonce").status_code == 200
    with SqliteStore(ws.store_path, base_url=ws.base_url) as opened:
        rows = opened._db.execute("SELECT COUNT(*) FROM offer_tokens").fetchone()[0]
    assert rows <= 2, rows  # 300 on a store that never purges


def test_outstanding_nonces_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from credkit.server import oid4vci as served

    monkeypatch.setattr(served, "NONCE_CAP", 5)
    _, client = _in_process(tmp_path)
    with client:
        nonces = [client.post("/oid4vci/nonce") for _ in range(5)]
        assert all(n.status_code == 200 for n in nonces)
        refused = client.post("/oid4vci/nonce")
        assert refused.status_code == 503 and refused.json()["error"] == "temporarily_unavailable"
        assert refused.headers["cache-control"] == "no-store"
        assert int(refused.headers["retry-after"]) > 0


# --- the credential endpoint refuses, and nothing is used up ---------------------------------------


def test_bad_credential_requests_are_refused_and_change_nothing(
    server: Server, store: SqliteStore, wallet: Wallet
) -> None:
    _, offer_id, secret = new_offer(server, store)
    access = wallet.access(secret)
    key = KeyPair.generate()
    aud = server.url
    # a nonce already used by another wallet's successful claim
    _, _, other_secret = new_offer(server, store)
    other_access = wallet.access(other_secret)
    used_nonce = wallet.nonce()
    other = KeyPair.generate()
    done = wallet.credential(other_access, wallet.request(proof(other, nonce=used_nonce, aud=aud)))
    assert done.status_code == 200
    before = store.offer(offer_id)

    def ask(jwt: str) -> httpx.Response:
        return wallet.credential(access, wallet.request(jwt))

    cases: list[tuple[str, httpx.Response, int, str]] = [
        ("wrong nonce", ask(proof(key, nonce="made-up-nonce", aud=aud)), 400, "invalid_nonce"),
        ("reused nonce", ask(proof(key, nonce=used_nonce, aud=aud)), 400, "invalid_nonce"),
        ("no nonce", ask(proof(key, nonce=None, aud=aud)), 400, "invalid_proof"),
        (
            "wrong aud",
            ask(proof(key, nonce=wallet.nonce(), aud="https://elsewhere.example")),
            400,
            "invalid_proof",
        ),
        (
            "stale iat",
            ask(proof(key, nonce=wallet.nonce(), aud=aud, iat=time.time() - 3600)),
            400,
            "invalid_proof",
        ),
        (
            "future iat",
            ask(proof(key, nonce=wallet.nonce(), aud=aud, iat=time.time() + 3600)),
            400,
            "invalid_proof",
        ),
        (
            "wrong typ",
            ask(proof(key, nonce=wallet.nonce(), aud=aud, typ="JWT")),
            400,
            "invalid_proof",
        ),
        (
            "signed by another key than kid says",
            ask(proof(key, nonce=wallet.nonce(), aud=aud, signer=KeyPair.generate())),
            400,
            "invalid_proof",
        ),
        (
            "signed by another key than jwk says",
            ask(
                proof(key, nonce=wallet.nonce(), aud=aud, binding="jwk", signer=KeyPair.generate())
            ),
            400,
            "invalid_proof",
        ),
        ("not a JWS", ask("not.a.jws"), 400, "invalid_proof"),
        (
            "unknown configuration",
            wallet.credential(access, {"credential_configuration_id": "Other", "proofs": {}}),
            400,
            "unknown_credential_configuration",
        ),
        (
            "draft singular proof",
            wallet.credential(
                access,
                {
                    "credential_configuration_id": CONFIGURATION_ID,
                    "proof": {
                        "proof_type": "jwt",
                        "jwt": proof(key, nonce=wallet.nonce(), aud=aud),
                    },
                },
            ),
            400,
            "invalid_proof",
        ),
        (
            "two proofs",
            wallet.credential(
                access,
                {
                    "credential_configuration_id": CONFIGURATION_ID,
                    "proofs": {"jwt": [proof(key, nonce=wallet.nonce(), aud=aud)] * 2},
                },
            ),
            400,
            "invalid_proof",
        ),
        (
            "malformed body",
            wallet.credential(access, raw=b"{not json"),
            400,
            "invalid_credential_request",
        ),
        ("array body", wallet.credential(access, [1, 2]), 400, "invalid_credential_request"),
        (
            "wrong bearer token",
            wallet.credential(
                "x" * 43 + "." + "y" * 22, wallet.request(proof(key, nonce=wallet.nonce(), aud=aud))
            ),
            401,
            "invalid_token",
        ),
        (
            "bearer without its key",
            wallet.credential(
                access.split(".")[0], wallet.request(proof(key, nonce=wallet.nonce(), aud=aud))
            ),
            401,
            "invalid_token",
        ),
        (
            "no bearer token",
            wallet.credential(None, wallet.request(proof(key, nonce=wallet.nonce(), aud=aud))),
            401,
            "invalid_token",
        ),
    ]
    for label, answer, status, code in cases:
        assert answer.status_code == status, (label, answer.text)
        assert error(answer) == code, (label, answer.text)
        assert store.offer(offer_id) == before, label
    assert cases[-1][1].headers["www-authenticate"] == "Bearer"
    assert 'error="invalid_token"' in cases[-3][1].headers["www-authenticate"]
    # a body over the limit: 413 before anything is read
    huge = wallet.credential(access, raw=b'{"x": "' + b"y" * (2 << 20) + b'"}')
    assert huge.status_code == 413
    deep = wallet.credential(access, raw=b"[" * 500 + b"]" * 500)
    assert deep.status_code == 400
    assert store.offer(offer_id) == before
    # nothing was used up by the refusals: the same access token still claims the offer
    vc = wallet.credential(access, wallet.request(proof(key, nonce=wallet.nonce(), aud=aud)))
    assert vc.status_code == 200, vc.text
    assert vc.json()["credentials"][0]["credential"]["credentialSubject"]["id"] == key.controller
    # and now it is used: a replay of the whole request is refused
    replay = wallet.credential(access, wallet.request(proof(key, nonce=wallet.nonce(), aud=aud)))
    assert replay.status_code == 401 and error(replay) == "invalid_token"


def test_without_a_workspace_there_is_no_oid4vci(tmp_path: Path) -> None:
    srv = Server(tmp_path, token=None)
    try:
        answer = srv("GET", "/.well-known/openid-credential-issuer")
        assert answer.status == 404 and answer.json()["error"] == "invalid_request"
    finally:
        srv.stop()


def test_an_issuer_under_a_path_serves_its_metadata_where_the_spec_puts_it(
    tmp_path: Path,
) -> None:
    """§12.2.2: ``https://lab.example/credentials`` -> ``/.well-known/openid-credential-issuer/
    credentials``; RFC 8414 §3 the same for the authorization server metadata."""
    from fastapi.testclient import TestClient

    from credkit.server.app import create_app
    from credkit.server.state import ServerConfig

    base = "https://lab.example/credentials"
    ws = make_workspace(tmp_path / "ws", base)
    with TestClient(create_app(ServerConfig(issuer_dir=ws.root))) as client:
        for well_known in ("openid-credential-issuer", "oauth-authorization-server"):
            meta = client.get(f"/.well-known/{well_known}/credentials").json()
            assert meta.get("credential_issuer", meta.get("issuer")) == base
            assert client.get(f"/.well-known/{well_known}/elsewhere").status_code == 404
        meta = client.get("/.well-known/openid-credential-issuer/credentials").json()
        assert meta["credential_endpoint"] == base + "/oid4vci/credential"


def test_key_proof_headers_that_name_no_usable_key_are_refused() -> None:
    from credkit.issuer.oid4vci import KeyProofError, check_key_proof

    key = KeyPair.generate()
    aud = "https://lab.example"
    good = proof(key, nonce="n", aud=aud)
    assert check_key_proof(good, audience=aud).holder == key.controller
    other = KeyPair.generate()
    wrong_fragment = proof(key, nonce="n", aud=aud)
    header = {
        "alg": "EdDSA",
        "typ": "openid4vci-proof+jwt",
        "kid": f"{key.controller}#{other.public_key.multibase}",
    }
    import base64
    import json as _json

    def forge(head: dict[str, Any]) -> str:
        part = base64.urlsafe_b64encode(_json.dumps(head).encode()).decode().rstrip("=")
        return part + "." + ".".join(wrong_fragment.split(".")[1:])

    for label, jwt in [
        ("kid names another key of the DID", forge(header)),
        ("kid is not a did:key", forge({**header, "kid": "did:web:lab.example#key-1"})),
        ("kid and jwk", forge({**header, "jwk": key.public_key.to_jwk()})),
        ("x5c", forge({"alg": "EdDSA", "typ": "openid4vci-proof+jwt", "x5c": ["MII..."]})),
        ("alg none", forge({"alg": "none", "typ": "openid4vci-proof+jwt", "kid": key.id})),
        ("alg HS256", forge({"alg": "HS256", "typ": "openid4vci-proof+jwt", "kid": key.id})),
        (
            "private jwk",
            forge(
                {
                    "alg": "EdDSA",
                    "typ": "openid4vci-proof+jwt",
                    "jwk": key.to_jwk(include_private=True),
                }
            ),
        ),
        (
            "crit",
            forge({"alg": "EdDSA", "typ": "openid4vci-proof+jwt", "kid": key.id, "crit": ["b64"]}),
        ),
    ]:
        with pytest.raises(KeyProofError) as err:
            check_key_proof(jwt, audience=aud)
        assert err.value.error == "invalid_proof", label


def test_offer_secrets_never_reach_the_access_log(
    server: Server, store: SqliteStore, wallet: Wallet
) -> None:
    _, _, secret = new_offer(server, store)
    assert wallet.offer(secret).status_code == 200
    assert wallet.offer(secret + "x").status_code == 404
    time.sleep(0.3)  # the log is written by the server process
    log = server.log.read_text(errors="replace")
    assert "/oid4vci/offers/…" in log
    assert secret not in log and secret[:12] not in log


def test_authorization_details_give_a_credential_identifier(
    server: Server, store: SqliteStore, wallet: Wallet
) -> None:
    """§6.1/§6.2: asked with authorization_details, the token answer names credential_identifiers,
    and the credential request then uses credential_identifier (§8.2)."""
    import json

    _, offer_id, secret = new_offer(server, store)
    wrong = [{"type": "openid_credential", "credential_configuration_id": "Other"}]
    answer = wallet.token(wallet.code(secret), authorization_details=json.dumps(wrong))
    assert error(answer) == "invalid_authorization_details"
    asked = [{"type": "openid_credential", "credential_configuration_id": CONFIGURATION_ID}]
    answer = wallet.token(wallet.code(secret), authorization_details=json.dumps(asked))
    assert answer.status_code == 200, answer.text
    details = answer.json()["authorization_details"]
    assert details[0]["credential_identifiers"] == [CONFIGURATION_ID]
    access = answer.json()["access_token"]
    key = KeyPair.generate()
    by_configuration = wallet.credential(
        access, wallet.request(proof(key, nonce=wallet.nonce(), aud=server.url))
    )
    assert error(by_configuration) == "invalid_credential_request"
    jwt = proof(key, nonce=wallet.nonce(), aud=server.url)
    unknown = wallet.credential(access, {"credential_identifier": "x", "proofs": {"jwt": [jwt]}})
    assert error(unknown) == "unknown_credential_identifier"
    good = wallet.credential(
        access, {"credential_identifier": CONFIGURATION_ID, "proofs": {"jwt": [jwt]}}
    )
    assert good.status_code == 200, good.text
    assert store.offer(offer_id).holder == key.controller  # type: ignore[union-attr]


def test_the_claimed_diploma_presented_by_the_wallet_passes_holder_binding(
    server: Server, store: SqliteStore, wallet: Wallet
) -> None:
    """The point of the binding: the wallet presents its diploma to an employer with a fresh
    challenge, and credkit's verifier sees that the presenter is the diploma's subject."""
    from credkit import sign
    from credkit.jsonld.contexts import VC_V2

    _, _, secret = new_offer(server, store)
    key = KeyPair.generate()
    vc = wallet.claim(secret, key)
    challenge, domain = "fresh-" + secrets.token_hex(8), "hiring.employer.example"
    vp = {
        "@context": [VC_V2],
        "type": ["VerifiablePresentation"],
        "holder": key.controller,
        "verifiableCredential": [vc],
    }
    signed = sign(vp, key, proof_purpose="authentication", challenge=challenge, domain=domain)
    options = {"challenge": challenge, "domain": domain}
    answer = server(
        "POST", "/presentations/verify", {"verifiablePresentation": signed, "options": options}
    )
    result = answer.json()
    assert answer.status == 200 and result["verified"] is True, result
    assert "holder_binding" in result["checks"], result
    assert not any("not the presenter" in w for w in result["warnings"]), result
    # someone else presenting the same diploma is not bound to it
    thief = KeyPair.generate()
    stolen = sign(
        {**vp, "holder": thief.controller},
        thief,
        proof_purpose="authentication",
        challenge=challenge,
        domain=domain,
    )
    answer = server(
        "POST", "/presentations/verify", {"verifiablePresentation": stolen, "options": options}
    )
    # (a warning here; a failure for a verifier that requires the binding)
    warnings = answer.json()["warnings"]
    assert any(f"not the presenter {thief.controller}" in w for w in warnings), warnings
