"""Shipped contexts are byte-identical to the published ones, and nothing else is loaded."""

from __future__ import annotations

import hashlib
import json
from importlib import resources

import pytest

from credkit.errors import ContextError
from credkit.jsonld import contexts
from credkit.jsonld.rdfc import canonicalize

PUBLISHED = {
    # hashes published in the W3C RECs themselves (independent of our index.json)
    "https://www.w3.org/ns/credentials/v2": "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    "https://w3id.org/security/data-integrity/v2": "67f21e6e33a6c14e5ccfd2fc7865f7474fb71a04af7e94136cb399dfac8ae8f4",
    "https://w3id.org/security/multikey/v1": "ba2c182de2d92f7e47184bcca8fcf0beaee6d3986c527bf664c195bbc7c58597",
    "https://www.w3.org/ns/credentials/status/v1": "fda5add353231e6a6884a46b12e6c75464281900cb348284d9c360f62381d9f7",
    "https://www.w3.org/ns/cid/v1": "ea216ecc1cb02cd39b693dba2250141e270ba0bf95890be107dd9a9e8e43de85",
}


@pytest.mark.parametrize("url", sorted(contexts.shipped()))
def test_every_shipped_file_matches_its_pinned_hash(url: str) -> None:
    entry = contexts.shipped()[url]
    data = resources.files("credkit.jsonld.contexts").joinpath("files", entry.file).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry.sha256
    assert isinstance(json.loads(data), dict)


@pytest.mark.parametrize(("url", "digest"), sorted(PUBLISHED.items()))
def test_spec_published_hashes(url: str, digest: str) -> None:
    assert hashlib.sha256(contexts.read_bytes(url)).hexdigest() == digest


def test_all_required_contexts_are_shipped() -> None:
    wanted = {
        contexts.VC_V1,
        contexts.VC_V2,
        contexts.DATA_INTEGRITY_V2,
        "https://w3id.org/security/data-integrity/v1",
        contexts.MULTIKEY_V1,
        contexts.ED25519_2020_V1,
        "https://www.w3.org/ns/credentials/status/v1",
        contexts.CID_V1,
        contexts.DID_V1,
        "https://www.w3.org/ns/credentials/examples/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        contexts.OB_V3P0,
        contexts.OB_EXTENSIONS,
    }
    assert wanted <= set(contexts.shipped())


def test_unknown_context_is_refused_naming_the_url() -> None:
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/ctx"]}
    with pytest.raises(ContextError, match=r"https://evil\.example/ctx"):
        canonicalize(doc)


def test_registered_context_is_served() -> None:
    loader = contexts.DocumentLoader(
        {"https://lab.example/ctx": {"@context": {"shot": "https://lab.example#shot"}}}
    )
    doc = {"@context": "https://lab.example/ctx", "@id": "urn:x", "shot": "42"}
    assert canonicalize(doc, loader) == '<urn:x> <https://lab.example#shot> "42" .\n'
    with pytest.raises(ContextError):
        canonicalize(doc)  # not in the default loader
