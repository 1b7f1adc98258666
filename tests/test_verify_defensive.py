"""Hostile and broken input: a clear verdict every time, never an exception, never "verified"."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from credkit import Resolver
from credkit.identity.did import did_web_url
from test_verify_helpers import (
    ISSUER,
    OTHER,
    diploma,
    memory_fetcher,
    signed,
    signed_diploma,
    trust_of,
    verifier,
    web_issuer,
)


def unusable(source: Any, **kw: Any) -> dict[str, Any]:
    result = verifier(**kw).verify_credential(source)
    assert result.verdict == "unusable", result.to_json()
    assert result.exit_code == 2 and not result.verified
    out = result.to_json()
    assert out["verified"] is False and out["errors"]
    assert result.checks[0].status == "failed"  # still a clear failed check
    return out


@pytest.mark.parametrize(
    "source",
    [b"not json", b"\xff\xfe garbage", b"[1, 2, 3]", b'"a string"', b"null", b"", "{", 42, None],
)
def test_non_json_or_non_object_input_is_unusable(source: Any) -> None:
    out = unusable(source)
    assert out["errors"][0]["type"] == "https://www.w3.org/TR/vc-data-model#PARSING_ERROR"


def test_unsigned_credential_is_unusable() -> None:
    out = unusable(diploma(ISSUER.controller))
    assert "no proof" in out["errors"][0]["detail"]


def test_only_unknown_cryptosuites_is_unusable() -> None:
    doc = signed_diploma()
    doc["proof"][0]["cryptosuite"] = "bbs-2023"
    assert "bbs-2023" in unusable(doc)["errors"][0]["detail"]


def test_unknown_context_is_unusable_and_not_fetched() -> None:
    doc = signed_diploma()
    doc["@context"].append("https://evil.example/context.jsonld")
    out = unusable(doc)
    assert "https://evil.example/context.jsonld" in out["errors"][0]["detail"]


def test_input_over_the_size_limit_is_unusable() -> None:
    doc = signed_diploma()
    doc["credentialSubject"]["narrative"] = "x" * 2_000_000
    unusable(json.dumps(doc).encode())
    unusable(doc)
    small = json.dumps(signed_diploma()).encode()
    unusable(small, max_bytes=100)


@pytest.mark.parametrize("as_bytes", [True, False])
def test_deep_nesting_is_unusable_without_recursion(as_bytes: bool) -> None:
    depth = 100_000
    if as_bytes:
        unusable(b'{"a":' + b"[" * depth + b"]" * depth + b"}")
    else:
        node: Any = {}
        deep = node
        for _ in range(5_000):
            deep["x"] = {}
            deep = deep["x"]
        unusable(node)


def test_cyclic_python_data_is_unusable() -> None:
    doc: dict[str, Any] = signed_diploma()
    doc["credentialSubject"]["loop"] = doc
    unusable(doc)


def test_nan_and_infinity_literals_are_unusable() -> None:
    unusable(b'{"a": NaN}')
    unusable(b'{"a": -Infinity}')


def test_huge_numbers_fail_well_formed() -> None:
    doc = signed_diploma()
    text = json.dumps(doc)[:-1] + ', "creditsEarned": 1e999, "n": 123456789012345678901234567890}'
    result = verifier().verify_credential(text)
    check = result.check("well_formed")
    assert check.status == "failed" and "too large" in check.message and "2^53" in check.message
    assert not result.verified


def test_very_long_integer_is_unusable_not_a_crash() -> None:
    unusable(b'{"n": ' + b"9" * 5000 + b"}")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("issuer",), 17),
        (("issuer",), ["did:web:a.example"]),
        (("type",), {"VerifiableCredential": True}),
        (("@context",), "https://www.w3.org/ns/credentials/v2"),
        (("credentialSubject",), []),
        (("credentialSubject", "achievement"), "Diploma"),
        (("validFrom",), 20260630),
        (("proof",), "z3hLd..."),
        (("proof",), [17]),
        (("proof", 0), []),
        (("proof", 0, "verificationMethod"), {"id": "did:key:x"}),
        (("proof", 0, "created"), False),
        (("proof", 0, "proofValue"), 0),
        (("credentialSchema",), "https://x.example/schema"),
        (("credentialStatus",), [None]),
    ],
)
def test_wrong_json_types_give_a_failed_check(path: tuple[Any, ...], value: Any) -> None:
    doc = signed_diploma()
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    result = verifier().verify_credential(doc)
    assert result.verdict in ("not verified", "unusable"), result.to_json()
    assert any(c.status == "failed" for c in result.checks)


def test_proof_pointing_at_a_key_of_a_different_did_fails() -> None:
    doc = signed(diploma(ISSUER.controller), OTHER)
    doc["proof"][0]["verificationMethod"] = OTHER.id  # honest about whose key: still not the issuer
    result = verifier().verify_credential(doc)
    assert "does not belong to the issuer" in result.check("proof").message


def test_proof_naming_issuer_did_with_another_did_key_fragment_fails() -> None:
    doc = signed(diploma(ISSUER.controller), OTHER)
    frag = OTHER.public_key.multibase
    doc["proof"][0]["verificationMethod"] = f"{ISSUER.controller}#{frag}"
    result = verifier().verify_credential(doc)
    assert result.check("proof").status == "failed"


# --- did:web answers through the fetcher ------------------------------------------------------


def web_doc_verifier(answer: Any, **kw: Any) -> Any:
    key, _ = web_issuer()
    doc = signed(diploma(key.controller), key)
    url = did_web_url(key.controller)
    resolver = Resolver(fetcher=answer if callable(answer) else memory_fetcher({url: answer}))
    v = verifier(resolver=resolver, trust=trust_of(key.controller), **kw)
    return v.verify_credential(doc)


@pytest.mark.parametrize(
    "answer",
    [
        b"<html>not json</html>",
        b"[]",
        b'{"id": "did:web:someone-else.example"}',
        b'{"id": "did:web:school.example", "verificationMethod": 5, "assertionMethod": "x"}',
        b'{"id": "did:web:school.example", "verificationMethod": [{"id": "#key-1", '
        b'"controller": "did:web:school.example", "publicKeyJwk": {"kty": 5}}], '
        b'"assertionMethod": ["#key-1"]}',
        b"{" * 50_000,
        b" " * (300 * 1024),
    ],
)
def test_malformed_did_web_answers_fail(answer: bytes) -> None:
    result = web_doc_verifier(answer)
    assert result.check("proof").status == "failed", result.to_json()
    assert result.verdict == "not verified"


def test_fetcher_returning_wrong_type_fails() -> None:
    result = web_doc_verifier(lambda url: {"not": "bytes"})
    assert result.check("proof").status == "failed"


def test_fetcher_raising_unexpected_exception_fails() -> None:
    def broken(url: str) -> bytes:
        raise ZeroDivisionError("boom")

    assert web_doc_verifier(broken).check("proof").status == "failed"


def test_slow_did_web_answer_times_out() -> None:
    def slow(url: str) -> bytes:
        time.sleep(5)
        return b"{}"

    started = time.monotonic()
    result = web_doc_verifier(slow, fetch_timeout=0.3)
    assert time.monotonic() - started < 3
    check = result.check("proof")
    assert check.status == "failed" and "no answer within" in check.message


def test_slow_status_server_times_out(tmp_path: Any) -> None:
    from test_verify_helpers import status_setup

    entry, _ = status_setup(tmp_path)

    def slow(url: str) -> dict[str, Any]:
        time.sleep(5)
        return {}

    result = verifier(status_fetcher=slow, fetch_timeout=0.3).verify_credential(
        signed_diploma(credentialStatus=entry)
    )
    # no answer in time: could not check, which is inconclusive (exit 3), never verified and
    # never "revoked" (issue 17; docs/verification.md)
    check = result.check("status")
    assert check is not None and check.status == "skipped" and not check.conclusive
    assert "no answer within" in check.message
    assert result.verdict == "inconclusive" and result.exit_code == 3
