"""The proof-path speedups give exactly what the code they replaced gave.

Each shortcut (marshal copy in ``proofs.sign``, kept Multikey keys, lazily rendered jsonview paths,
inline scalar checks in ``fastjcs._plain``) is compared with the former implementation, written
out here, on generated and hostile inputs.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from credkit.errors import DidResolutionError, KeyFormatError
from credkit.identity.did import Resolver, did_key, did_key_document
from credkit.identity.keys import KeyPair, PublicKey
from credkit.identity.multibase import _B58, ED25519_PUB, b58decode, b58encode, encode_multikey
from credkit.jsonld.jsonview import (
    _JSON_LITERAL_TERMS,
    _VALUE_KEYWORDS,
    _inline_problems,
    _vocabulary_iri,
    json_view_problems,
)
from credkit.proofs import sign, verify
from credkit.proofs.suites import fastjcs
from credkit.proofs.suites.base import json_copy


class _Str(str):
    pass


def _gen(rng: random.Random, depth: int = 0) -> Any:
    c = rng.randrange(14 if depth < 5 else 8)
    if c == 0:
        return rng.choice([0, 1, -1, 2**53 - 1, 2**53, -(2**53), 10**30])
    if c == 1:
        return rng.choice([True, False, None])
    if c == 2:
        return rng.choice([1.0, 0.5, -0.0])
    if c == 3:
        return _Str("sub")
    if c < 8:
        return rng.choice(["a", "\ud800", "é", "\U0001f600", "", "@nest", "x:y"])
    if c < 11:
        return [_gen(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys: list[Any] = ["a", "b", "é", "\ue000", "\U0001f600", "", "@value", "@id", "@context"]
    keys += ["validUntil", "https://www.w3.org/2018/credentials#validUntil", "cred:issuer", 1]
    return {rng.choice(keys): _gen(rng, depth + 1) for _ in range(rng.randrange(4))}


# --- json_copy ----------------------------------------------------------------------------------


def test_json_copy_equals_deepcopy_and_shares_nothing() -> None:
    rng = random.Random(3)
    for _ in range(3000):
        value = _gen(rng)
        ours, theirs = json_copy(value), copy.deepcopy(value)
        assert ours == theirs or (ours != ours and theirs != theirs)
        assert repr(ours) == repr(theirs)  # same types, same key order
        if isinstance(value, dict | list) and value:
            assert ours is not value


def test_json_copy_keeps_aliasing_and_falls_back_for_other_types() -> None:
    shared: list[Any] = [1]
    doc = {"a": shared, "b": shared}
    out = json_copy(doc)
    assert out["a"] is out["b"] and out["a"] is not shared
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    again = json_copy(cyclic)
    assert again[0] is again
    odd = {"k": _Str("v")}
    assert type(json_copy(odd)["k"]) is _Str  # marshal refuses a subclass: deepcopy ran


def test_sign_does_not_share_with_its_input() -> None:
    key = KeyPair.from_seed(bytes(range(32)))
    doc: dict[str, Any] = {"@context": ["https://www.w3.org/ns/credentials/v2"]}
    doc["type"] = ["VerifiableCredential"]
    doc |= {"issuer": key.controller, "credentialSubject": {"id": "did:example:1", "n": [1, 2]}}
    before = copy.deepcopy(doc)
    signed = sign(doc, key, cryptosuite="eddsa-jcs-2022", created="2026-11-23T00:00:00Z")
    signed["credentialSubject"]["n"].append(3)
    assert doc == before
    signed["credentialSubject"]["n"].pop()
    assert verify(signed).verified


# --- kept keys ------------------------------------------------------------------------------------


def test_public_key_from_multibase_is_exact_and_errors_every_time() -> None:
    for seed in range(20):
        key = KeyPair.from_seed(bytes([seed]) * 32)
        mb = key.public_key.multibase
        assert mb == encode_multikey(ED25519_PUB, key.public_key.raw)
        first, second = PublicKey.from_multibase(mb), PublicKey.from_multibase(mb)
        assert first == second == key.public_key and first.raw == key.public_key.raw
        assert repr(first) == repr(PublicKey(key.public_key.raw))
    for bad in ("z6Mk", "zz", "x123", "z" + "1" * 60):
        for _ in range(2):
            with pytest.raises(KeyFormatError):
                PublicKey.from_multibase(bad)


def test_did_key_document_fresh_each_time() -> None:
    key = KeyPair.from_seed(bytes([7]) * 32)
    did = did_key(key.public_key)
    doc = did_key_document(did)
    doc["verificationMethod"][0]["publicKeyMultibase"] = "tampered"
    assert did_key_document(did)["verificationMethod"][0]["publicKeyMultibase"] == (
        key.public_key.multibase
    )
    for _ in range(2):
        with pytest.raises(DidResolutionError):
            Resolver().resolve_verification_method("did:key:z6MkBAD#z6MkBAD")


def test_signature_checks_with_kept_key_objects() -> None:
    key = KeyPair.from_seed(bytes([9]) * 32)
    sig = key.sign(b"data")
    for _ in range(3):
        assert key.public_key.verify(sig, b"data")
        assert not key.public_key.verify(sig, b"datA")
    with pytest.raises(TypeError):  # as before: cryptography wants bytes, not a bytearray
        PublicKey(bytearray(key.public_key.raw)).verify(sig, b"data")  # type: ignore[arg-type]


# --- jsonview -------------------------------------------------------------------------------------


def _former_json_view_problems(document: Any) -> list[str]:
    problems: list[str] = []
    stack: list[tuple[Any, str]] = [(document, "$")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        is_value = "@value" in node
        for key, value in node.items():
            where = f"{path}.{key}"
            if key == "@context":
                _inline_problems(value, where, problems)
                continue
            if key.startswith("@"):
                if not (is_value and key in _VALUE_KEYWORDS):
                    problems.append(f"{where}: the keyword {key} is not allowed here")
                continue
            if ":" in key and _vocabulary_iri(key):
                problems.append(f"{where}: a property must be named by its term, not by an IRI")
            if key in _JSON_LITERAL_TERMS:
                continue
            stack.append((value, where))
    return problems


def _outcome(fn: Any, value: Any) -> Any:
    try:
        return fn(value)
    except Exception as exc:  # the same failure counts as the same outcome
        return type(exc)


def test_json_view_problems_same_as_before() -> None:
    rng = random.Random(5)
    hostile = {
        "@context": ["https://www.w3.org/ns/credentials/v2", {"vu": "@nest", "@vocab": "x:"}],
        "credentialSubject": [{"@nest": {"validUntil": "2000-01-01"}}, [{"@id": "x"}]],
        "https://www.w3.org/2018/credentials#validUntil": "2000",
        "jwk": {"@id": 1},
        "v": {"@value": 1, "@type": "x", "@id": 2},
    }
    samples = [hostile, *(_gen(rng) for _ in range(5000))]
    found = 0
    # issue 13 added rules (nulls, empty arrays, the document's id repeated): the former walk
    # is the reference for every other message, in the same order
    added = ("states nothing the proof covers", "describes the document itself")
    for value in samples:
        ours = _outcome(json_view_problems, value)
        if isinstance(ours, list):
            ours = [p for p in ours if not p.endswith(added)]
        assert ours == _outcome(_former_json_view_problems, value)
        found += bool(ours) and isinstance(ours, list)
    assert found > 100


# --- fastjcs._plain -------------------------------------------------------------------------------


def _former_plain(value: Any, depth: int = 0) -> bool:
    t = type(value)
    if t is str or t is bool or value is None:
        return True
    if t is int:
        return bool(-(2**53 - 1) <= value <= 2**53 - 1)
    if depth >= 256:
        return False
    if t is dict:
        for k, v in value.items():
            if type(k) is not str or not (k.isascii() or max(map(ord, k)) < 0xD800):
                return False
            if type(v) is not str and not _former_plain(v, depth + 1):
                return False
        return True
    if t is list:
        return all(type(v) is str or _former_plain(v, depth + 1) for v in value)
    return False


def test_plain_same_as_before() -> None:
    rng = random.Random(11)
    for _ in range(20000):
        value = _gen(rng)
        assert fastjcs._plain(value) == _former_plain(value)
    for depth in (254, 255, 256, 257):
        nested: Any = "x"
        for _ in range(depth):
            nested = [nested]
        keyed: Any = 1
        for _ in range(depth):
            keyed = {"a": keyed}
        assert fastjcs._plain(nested) == _former_plain(nested)
        assert fastjcs._plain(keyed) == _former_plain(keyed)


# --- base58 ---------------------------------------------------------------------------------------


def _former_b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_B58[r])
    return "1" * zeros + "".join(reversed(out))


def test_b58encode_same_as_before() -> None:
    rng = random.Random(13)
    cases = [b"", b"\0", b"\0" * 5, b"\xff" * 64, bytes([0, 0, 1]), (58**10).to_bytes(8, "big")]
    for _ in range(20000):
        size = rng.randrange(90)
        cases.append(bytes(rng.randrange(256) if rng.random() > 0.2 else 0 for _ in range(size)))
    for data in cases:
        text = b58encode(data)
        assert text == _former_b58encode(data)
        assert b58decode(text) == data
