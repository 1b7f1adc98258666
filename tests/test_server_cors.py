"""CORS for the VC-API: a browser app may call it only from an origin the operator names (issue 14)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from credkit.server import ServerConfig, create_app

APP = "https://hr.example"
PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}


def _client(*origins: str) -> TestClient:
    return TestClient(create_app(ServerConfig(cors_origins=origins)))


def test_a_named_origin_gets_its_preflight_answered() -> None:
    answer = _client(APP).options("/credentials/verify", headers=PREFLIGHT)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == APP
    assert "POST" in answer.headers["access-control-allow-methods"]
    body = {"verifiableCredential": {}}
    posted = _client(APP).post("/credentials/verify", json=body, headers={"Origin": APP})
    assert posted.headers["access-control-allow-origin"] == APP


def test_another_origin_gets_no_cors_permission() -> None:
    answer = _client(APP).options(
        "/credentials/verify", headers={**PREFLIGHT, "Origin": "https://evil.example"}
    )
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers


def test_without_configured_origins_there_is_no_cors() -> None:
    answer = _client().options("/credentials/verify", headers=PREFLIGHT)
    assert answer.status_code == 405
    assert "access-control-allow-origin" not in answer.headers
