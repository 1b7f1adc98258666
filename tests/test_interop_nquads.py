"""Canonical N-Quads and typed literals against the reference JavaScript implementation.

Same rules as ``tests/test_interop_js.py``: real npm packages in a real Node process (pinned by
``tests/interop/node/package-lock.json``); skipped with the reason when Node or the packages are
unavailable, a failure in CI (``CI=true``), ``CREDKIT_SKIP_INTEROP=1`` to opt out.

* the recorded vectors (``tests/vectors/canonical-nquads``) are still what jsonld.js +
  rdf-canonize produce;
* a diploma whose names hold U+0000–U+001F, U+007F, quotes, backslashes and emoji: what the
  reference signs credkit verifies, what credkit signs the reference verifies, for
  ``eddsa-rdfc-2022`` and ``Ed25519Signature2020``, with the same proof from the same key;
* typed literals (``xsd:double`` strings, JSON numbers): the same both ways, and on random doubles
  credkit either writes the reference's bytes or refuses, never a third form (credkit.jsonld.literals).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
import struct
from pathlib import Path
from typing import Any

import pytest

from credkit.errors import ProofTransformationError
from credkit.identity.keys import KeyPair
from credkit.jsonld import rdfc
from credkit.proofs import sign, verify
from interop import documents as docs
from interop.jscanon import JsCanon
from interop.jsref import (
    JsReference,
    ReferenceUnavailableError,
    interop_must_run,
    skip_requested,
)
from test_typed_literals import AGREED, CONTEXT, REFUSED

pytestmark = pytest.mark.interop

RDF_SUITES = ["eddsa-rdfc-2022", "Ed25519Signature2020"]
VECTORS = Path(__file__).parent / "vectors" / "canonical-nquads"
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"

Doc = dict[str, Any]


def _unavailable(exc: Exception) -> None:
    if interop_must_run():
        pytest.fail(f"interop reference unavailable in CI (CI=true): {exc}", pytrace=False)
    pytest.skip(f"interop reference unavailable: {exc}")


@pytest.fixture(scope="module")
def js() -> JsReference:
    if skip_requested():
        pytest.skip("CREDKIT_SKIP_INTEROP is set")
    try:
        return JsReference.setup()
    except ReferenceUnavailableError as exc:
        _unavailable(exc)
        raise


@pytest.fixture(scope="module")
def canon() -> JsCanon:
    if skip_requested():
        pytest.skip("CREDKIT_SKIP_INTEROP is set")
    try:
        return JsCanon.setup()
    except ReferenceUnavailableError as exc:
        _unavailable(exc)
        raise


@pytest.fixture(scope="module")
def key() -> KeyPair:
    return KeyPair.from_seed(hashlib.sha256(b"credkit interop n-quads").digest())


@pytest.fixture(scope="module")
def js_key(key: KeyPair) -> dict[str, Any]:
    return key.to_multikey(include_secret=True)


def _proof(document: Doc) -> Doc:
    proof = document["proof"]
    return proof[0] if isinstance(proof, list) else proof


# --- the recorded vectors ----------------------------------------------------------------------


def test_reference_still_produces_the_recorded_vectors(canon: JsCanon) -> None:
    inputs = sorted(VECTORS.glob("*-in.jsonld"))
    assert inputs
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in inputs]
    for path, result in zip(inputs, canon.canonize_many(documents), strict=True):
        expected = path.with_name(path.name.replace("-in.jsonld", "-rdfc.nq")).read_bytes()
        assert result.get("nquads", "").encode("utf-8") == expected, (path.name, result)


# --- a diploma with control characters, both directions ---------------------------------------

ALL_CONTROLS = "".join(map(chr, range(0x20))) + "\x7f"


def _control_diploma(issuer: str) -> Doc:
    doc = docs.ob3_diploma(issuer)
    doc["name"] = f"Diploma\x0c in\x08 Data\x01 Engineering {ALL_CONTROLS} \U0001f393"
    doc["issuer"]["name"] = 'Northbridge "Institute" \\ of\x1fTechnology\u2028'
    achievement = doc["credentialSubject"]["achievement"]
    achievement["name"] = "Applied\tData\x0bEngineering\x7f\u0085\ufeff"
    # two values of one property whose order differs by UTF-16 units and by code points
    achievement["tag"] = ["\uff01 full-width", "\U0001f600 astral", "\ue000 private"]
    return doc


@pytest.fixture(scope="module")
def control_pairs(js: JsReference, key: KeyPair, js_key: dict[str, Any]) -> dict[str, Any]:
    pairs = {}
    for suite in RDF_SUITES:
        unsigned = _control_diploma(key.controller)
        ours = sign(unsigned, key, cryptosuite=suite, created=docs.CREATED)
        theirs = js.sign(unsigned, js_key, cryptosuite=suite, created=docs.CREATED)
        pairs[suite] = (ours, theirs)
    return pairs


@pytest.mark.parametrize("suite", RDF_SUITES)
def test_reference_verifies_a_credkit_signed_diploma_with_control_characters(
    js: JsReference, control_pairs: dict[str, Any], suite: str
) -> None:
    ours, _ = control_pairs[suite]
    out = js.verify(ours)
    assert out["verified"] is True, out["error"]


@pytest.mark.parametrize("suite", RDF_SUITES)
def test_credkit_verifies_a_reference_signed_diploma_with_control_characters(
    control_pairs: dict[str, Any], suite: str
) -> None:
    _, theirs = control_pairs[suite]
    assert theirs["name"].startswith("Diploma\x0c in\x08")
    result = verify(theirs)
    assert result.verified, result.errors


@pytest.mark.parametrize("suite", RDF_SUITES)
def test_both_sign_the_control_character_diploma_identically(
    control_pairs: dict[str, Any], suite: str
) -> None:
    ours, theirs = control_pairs[suite]
    assert _proof(ours)["proofValue"] == _proof(theirs)["proofValue"]


@pytest.mark.parametrize("suite", RDF_SUITES)
def test_changing_one_control_character_fails_on_both_sides(
    js: JsReference, control_pairs: dict[str, Any], suite: str
) -> None:
    tampered = []
    for signed in control_pairs[suite]:
        for old, new in (("\x01", "\x02"), ("\x0c", "\n"), ("\x7f", "\\u007F")):
            document = copy.deepcopy(signed)
            document["name"] = document["name"].replace(old, new, 1)
            tampered.append(document)
    for document, out in zip(tampered, js.verify_many(tampered, mode="proof"), strict=True):
        assert out["verified"] is False
        assert verify(document).verified is False


def test_canonical_forms_agree_for_every_control_character(
    canon: JsCanon, key: KeyPair
) -> None:
    """One document per character: the whole canonical text, not only the signature."""
    documents = []
    for code in [*range(0x20), 0x22, 0x5C, 0x7F, 0x80, 0x2028, 0x1F600]:
        doc = _control_diploma(key.controller)
        doc["name"] = f"a{chr(code)}b"
        documents.append(doc)
    for doc, out in zip(documents, canon.canonize_many(documents), strict=True):
        assert rdfc.canonicalize(doc) == out["nquads"], repr(doc["name"])


# --- typed literals ----------------------------------------------------------------------------


def test_reference_writes_the_typed_literal_table(canon: JsCanon) -> None:
    documents = [
        {"@context": CONTEXT, "@id": "https://vectors.example/s", term: value}
        for term, value, _ in AGREED
    ]
    for (term, value, expected), out in zip(AGREED, canon.canonize_many(documents), strict=True):
        obj = out["nquads"].split("> ", 2)[2].removesuffix(" .\n")
        assert obj == expected, (term, value)


def test_reference_writes_another_value_where_credkit_refuses(canon: JsCanon) -> None:
    """What the refusals guard against: the reference signs a value the document does not say."""
    # NaN and Infinity are not JSON: nothing to hand the reference
    rows = [r for r in REFUSED if not (isinstance(r[1], float) and not math.isfinite(r[1]))]
    documents = [
        {"@context": CONTEXT, "@id": "https://vectors.example/s", term: value}
        for term, value, _ in rows
    ]
    for (term, value, reference), out in zip(rows, canon.canonize_many(documents), strict=True):
        obj = out["nquads"].split("> ", 2)[2]
        assert obj.startswith(f'"{reference.split(" ")[0]}"'), (term, value, obj)


def _random_doubles(count: int) -> list[float]:
    rng = random.Random(20261123)
    values: list[float] = []
    while len(values) < count:
        kind = rng.random()
        if kind < 0.5:
            x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        elif kind < 0.8:
            x = rng.randint(-(10**7), 10**7) / rng.choice([1, 2, 8, 10, 100, 1000, 3, 7])
        else:  # ties at the 16th digit and small numbers
            x = float(f"{rng.randint(1, 10**15)}.5") * 10.0 ** rng.randint(-25, 0)
        if x == x and abs(x) != float("inf"):
            values.append(x)
    return values


def test_random_numbers_give_the_reference_bytes_or_a_refusal(canon: JsCanon) -> None:
    values = _random_doubles(400)
    documents = [
        {"@context": CONTEXT, "@id": "https://vectors.example/s", term: v}
        for v in values
        for term in ("d", "plain", "i")
    ]
    documents += [
        {"@context": CONTEXT, "@id": "https://vectors.example/s", "d": repr(v)} for v in values
    ]
    agreed = refused = 0
    for doc, out in zip(documents, canon.canonize_many(documents), strict=True):
        try:
            ours = rdfc.canonicalize(doc)
        except ProofTransformationError:
            refused += 1
            value = next(v for k, v in doc.items() if not k.startswith("@"))
            assert isinstance(value, float) and abs(value) < 1e-6, doc  # only String() w/o "."
            continue
        assert ours == out["nquads"], doc
        agreed += 1
    assert agreed > len(documents) * 9 // 10


def _weighed(issuer: str) -> Doc:
    doc = docs.w3c_alumni(issuer)
    doc["@context"] = [
        *doc["@context"],
        {"weight": {"@id": "https://vectors.example/vocab#weight", "@type": XSD_DOUBLE}},
    ]
    doc["credentialSubject"]["weight"] = ["1.5", " 2.50", "-0", "1e2", 3.25, -0.0, 1000000000000000.5]
    return doc


@pytest.mark.parametrize("suite", RDF_SUITES)
def test_double_typed_strings_and_numbers_interoperate(
    js: JsReference, key: KeyPair, js_key: dict[str, Any], suite: str
) -> None:
    unsigned = _weighed(key.controller)
    ours = sign(unsigned, key, cryptosuite=suite, created=docs.CREATED)
    theirs = js.sign(unsigned, js_key, cryptosuite=suite, created=docs.CREATED)
    assert _proof(ours)["proofValue"] == _proof(theirs)["proofValue"]
    out = js.verify(ours)
    assert out["verified"] is True, out["error"]
    result = verify(theirs)
    assert result.verified, result.errors
