"""The eddsa-jcs-2022 verification speedups give exactly what the code they replaced gave.

Covered: the pair-table base58 decoder (against the character loop it replaced), the kept did:key
verification methods (same results, errors every time, no way to poison them through a resolver's
documents, a subclass or the returned document), and the prebuilt C encoder in ``fastjcs``
(against ``rfc8785``); and that tampered credentials still fail with the same errors.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
import rfc8785

from credkit.errors import DidResolutionError
from credkit.identity.did import Resolver, did_key_document
from credkit.identity.keys import KeyPair
from credkit.identity.multibase import _B58, _B58_INDEX, MAX_BASE58_CHARS, b58decode, b58encode
from credkit.proofs import sign, verify
from credkit.proofs.suites import fastjcs

SUITE = "eddsa-jcs-2022"
CREATED = "2026-11-23T00:00:00Z"


class _Str(str):
    pass


# --- base58 ---------------------------------------------------------------------------------------


def _former_b58decode(text: str) -> bytes:
    if len(text) > MAX_BASE58_CHARS:
        raise ValueError(f"base58 text of {len(text)} characters, over {MAX_BASE58_CHARS}")
    n = 0
    for ch in text:
        try:
            n = n * 58 + _B58_INDEX[ch]
        except KeyError:
            raise ValueError(f"invalid base58 character {ch!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def _outcome(fn: Any, value: Any) -> tuple[str, Any]:
    try:
        return ("ok", fn(value))
    except Exception as exc:  # compared, not handled
        return (type(exc).__name__, str(exc))


def test_b58decode_same_as_before() -> None:
    rng = random.Random(58)
    texts: list[str] = ["", "1", "11", "z", "1z", "zz", "0", "O", "I", "l", "é", "\x00", "1" * 90]
    for _ in range(3000):
        raw = b"\0" * rng.randrange(3) + rng.randbytes(rng.choice([0, 1, 2, 31, 32, 34, 64, 65]))
        text = b58encode(raw)
        assert b58decode(text) == _former_b58decode(text) == raw
        texts.append(text)
        if text:  # one character swapped for anything, in or out of the alphabet
            i = rng.randrange(len(text))
            ch = rng.choice([*_B58, "0", "O", "I", "l", "+", "/", "=", " ", "é", "\u0661", "😀"])
            texts.append(text[:i] + ch + text[i + 1 :])
    texts += ["1" * MAX_BASE58_CHARS, "2" * (MAX_BASE58_CHARS + 1)]
    for text in texts:
        assert _outcome(b58decode, text) == _outcome(_former_b58decode, text), text
        assert _outcome(b58decode, _Str(text)) == _outcome(_former_b58decode, text), text


# --- kept did:key verification methods --------------------------------------------------------------


def _uncached(vm_url: Any, purpose: Any) -> tuple[str, Any]:
    try:
        m = Resolver()._resolve_verification_method(vm_url, purpose)
    except Exception as exc:  # compared, not handled
        return (type(exc).__name__, str(exc))
    return ("ok", (m.id, m.type, m.controller, m.public_key, m.document))


def _cached(vm_url: Any, purpose: Any) -> tuple[str, Any]:
    try:
        m = Resolver().resolve_verification_method(vm_url, purpose)
    except Exception as exc:  # compared, not handled
        return (type(exc).__name__, str(exc))
    return ("ok", (m.id, m.type, m.controller, m.public_key, m.document))


def test_did_key_methods_same_as_uncached_and_errors_every_time() -> None:
    key = KeyPair.from_seed(bytes([3]) * 32)
    other = KeyPair.from_seed(bytes([4]) * 32)
    did, mb = key.controller, key.public_key.multibase
    urls: list[Any] = [key.id, did, f"{did}#{other.public_key.multibase}", f"{did}#", f"{did}#x"]
    urls += [f"{did}?q#{mb}", "did:key:z6MkBAD#z6MkBAD", "did:key:", "did:key:#", f"{did}#{mb}#"]
    urls += [_Str(key.id), None, 5, "did:key"]
    purposes: list[Any] = ["assertionMethod", "authentication", "keyAgreement", None, "nope"]
    purposes += [_Str("assertionMethod")]
    for _ in range(2):  # the second round answers from what the first one kept
        for url in urls:
            for purpose in purposes:
                assert _cached(url, purpose) == _uncached(url, purpose), (url, purpose)


def test_did_key_method_document_is_fresh() -> None:
    key = KeyPair.from_seed(bytes([5]) * 32)
    first = Resolver().resolve_verification_method(key.id)
    first.document["assertionMethod"] = []
    first.document["verificationMethod"][0]["publicKeyMultibase"] = "tampered"
    second = Resolver().resolve_verification_method(key.id)
    assert second.document == did_key_document(key.controller)
    assert second.public_key == key.public_key


def test_did_key_methods_respect_given_documents_and_subclasses() -> None:
    key = KeyPair.from_seed(bytes([6]) * 32)
    Resolver().resolve_verification_method(key.id)  # kept now
    # a resolver told a different document for the DID must use it, not what was kept
    doc = did_key_document(key.controller)
    doc["assertionMethod"] = []
    with pytest.raises(DidResolutionError, match="not listed under assertionMethod"):
        Resolver(documents={key.controller: doc}).resolve_verification_method(key.id)

    class Revoking(Resolver):
        def resolve(self, did: str) -> dict[str, Any]:
            raise DidResolutionError(f"{did} is revoked here")

    with pytest.raises(DidResolutionError, match="revoked here"):
        Revoking().resolve_verification_method(key.id)


def test_credentials_verify_through_kept_methods_and_given_documents() -> None:
    key = KeyPair.from_seed(bytes([8]) * 32)
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": key.controller,
        "credentialSubject": {"id": "did:example:1", "name": "Ana"},
    }
    signed = sign(doc, key, cryptosuite=SUITE, created=CREATED)
    for _ in range(2):
        assert verify(signed).verified
    bare = copy.deepcopy(signed)
    bare["proof"]["verificationMethod"] = key.controller  # bare did:key: its only key
    assert verify(bare).results[0].error is not None  # signed config changed: signature fails
    wrong = did_key_document(key.controller)
    wrong["verificationMethod"][0]["publicKeyMultibase"] = KeyPair.from_seed(
        bytes([9]) * 32
    ).public_key.multibase
    result = verify(signed, resolver=Resolver(documents={key.controller: wrong}))
    assert not result.verified
    assert "signature does not match" in str(result.results[0].error)
    assert verify(signed).verified  # and the kept method was not replaced by that document


# --- fastjcs, prebuilt encoder --------------------------------------------------------------------


def _json(rng: random.Random, depth: int = 0) -> Any:
    c = rng.randrange(12 if depth < 4 else 6)
    if c == 0:
        return rng.choice([0, -1, 2**53 - 1, -(2**53) + 1, 2**53, 10**30, True, False, None])
    if c == 1:
        return rng.choice([0.5, -0.0, 1e21, 1.0])
    if c < 6:
        return rng.choice(["", "a", '"\\\x00\x1f\x7f', "\u2028é", "😀", "\ud800", _Str("s")])
    if c < 9:
        return [_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys: list[Any] = ["a", "b", "é", "\ue000", "😀", "", "@context", "ü", 1, _Str("k")]
    return {rng.choice(keys): _json(rng, depth + 1) for _ in range(rng.randrange(5))}


def test_fastjcs_same_as_rfc8785() -> None:
    rng = random.Random(8785)
    fast = 0
    for _ in range(4000):
        value = _json(rng)
        before = fastjcs.STATS["fast"]
        assert _outcome(fastjcs.dumps, value) == _outcome(rfc8785.dumps, value), value
        fast += fastjcs.STATS["fast"] - before
    assert fast > 1000  # the C encoder path was exercised, not only the fallback
    deep: Any = "x"
    for _ in range(300):
        deep = [deep]
    assert _outcome(fastjcs.dumps, deep) == _outcome(rfc8785.dumps, deep)
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(RecursionError):
        fastjcs.dumps(cyclic)


# --- tampering ------------------------------------------------------------------------------------


def test_tampered_jcs_credentials_fail_with_the_same_errors() -> None:
    key = KeyPair.from_seed(bytes([10]) * 32)
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": key.controller,
        "credentialSubject": {"id": "did:example:2", "score": 7, "passed": True},
    }
    signed = sign(doc, key, cryptosuite=SUITE, created=CREATED)
    assert verify(signed).verified
    mismatch = "signature does not match"
    cases: list[tuple[str, Any, str]] = [
        ("credentialSubject", {"id": "did:example:2", "score": 8, "passed": True}, mismatch),
        ("credentialSubject", {"id": "did:example:2", "score": 7, "passed": 1}, mismatch),
        ("extra", "field", mismatch),
    ]
    for name, value, message in cases:
        bad = copy.deepcopy(signed)
        bad[name] = value
        result = verify(bad)
        assert not result.verified and message in str(result.results[0].error)
    same = copy.deepcopy(signed)
    same["credentialSubject"]["score"] = 7.0  # the same JSON number: RFC 8785 writes 7 for both
    assert verify(same).verified
    pv = signed["proof"]["proofValue"]
    flipped = pv[:-1] + ("2" if pv[-1] != "2" else "3")
    for value, message in [
        (flipped, mismatch),
        (pv[:-1] + "0", "proofValue is not base58btc multibase: invalid base58 character '0'"),
        (pv[:-1] + "é", "proofValue is not base58btc multibase: invalid base58 character 'é'"),
        ("z" + b58encode(bytes(63)), "proofValue holds 63 bytes, not 64"),
        ("u" + pv[1:], "proofValue is not base58btc multibase: expected a base58btc"),
    ]:
        bad = copy.deepcopy(signed)
        bad["proof"]["proofValue"] = value
        result = verify(bad)
        assert not result.verified and message in str(result.results[0].error), value
    other = KeyPair.from_seed(bytes([11]) * 32)
    bad = copy.deepcopy(signed)
    bad["proof"]["verificationMethod"] = other.id
    result = verify(bad)
    assert not result.verified and mismatch in str(result.results[0].error)
