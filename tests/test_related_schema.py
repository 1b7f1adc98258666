"""A relatedResource digest of a JSON Schema credkit ships is checked against those bytes: they
are the ones the schema check validates with (found by review, session 4: a wrong digest of the
OB 3.0 schema was "not a resource credkit holds" and the diploma verified)."""

from __future__ import annotations

import base64
import hashlib

from credkit.model.schema_check import OB_SCHEMA_URL, shipped_bytes
from credkit.verify import related
from test_related_resource import _sri, _vc


def _states(digest: str) -> list[str]:
    return [o.state for o in related.check(_vc({"id": OB_SCHEMA_URL, "digestSRI": digest}))]


def test_the_shipped_schemas_digest_matches_and_a_wrong_one_fails() -> None:
    data = shipped_bytes(OB_SCHEMA_URL)
    assert data is not None and b"AchievementCredential" in data
    for algo in ("sha256", "sha384", "sha512"):
        assert _states(_sri(algo, data)) == ["matched"]
        wrong = f"{algo}-" + base64.b64encode(hashlib.new(algo, data + b" ").digest()).decode()
        assert _states(wrong) == ["mismatched"]


def test_a_schema_credkit_does_not_ship_is_not_checked() -> None:
    states = [
        o.state
        for o in related.check(
            _vc({"id": "https://schemas.example/x.json", "digestSRI": _sri("sha256", b"x")})
        )
    ]
    assert states == ["unchecked"]
