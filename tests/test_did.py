"""did:key offline, did:web through an injected fetcher, verification-method binding."""

from __future__ import annotations

import json
from typing import Any

import pytest

from credkit.errors import DidResolutionError, NetworkDisabledError
from credkit.fetch import FetchError
from credkit.identity.did import Resolver, did_key_document, did_web, did_web_document, did_web_url
from credkit.identity.keys import KeyPair


def test_did_key_document_lists_the_key_for_assertion_and_authentication() -> None:
    pair = KeyPair.from_seed(bytes(32))
    did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
    assert pair.controller == did
    doc = did_key_document(did)
    vm_id = f"{did}#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
    assert doc["verificationMethod"][0] == {
        "id": vm_id,
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
    }
    assert doc["assertionMethod"] == [vm_id] and doc["authentication"] == [vm_id]
    vm = Resolver().resolve_verification_method(vm_id, "assertionMethod")
    assert vm.public_key == pair.public_key


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
        ("did:web:lab.example:issuers:post", "https://lab.example/issuers/post/did.json"),
    ],
)
def test_did_web_urls_follow_the_method_spec(did: str, url: str) -> None:
    assert did_web_url(did) == url


@pytest.mark.parametrize(
    "bad", ["did:web:", "did:web:10.0.0.1", "did:web:a.example:..:x", "did:key:x"]
)
def test_bad_did_web_refused(bad: str) -> None:
    with pytest.raises(DidResolutionError):
        did_web_url(bad)


def test_did_web_encodes_port() -> None:
    assert did_web("example.com:3000") == "did:web:example.com%3A3000"


def _serve(docs: dict[str, Any]) -> Any:
    def fetch(url: str) -> bytes:
        if url not in docs:
            raise FetchError(f"{url}: HTTP 404")
        return json.dumps(docs[url]).encode()

    return fetch


def test_did_web_resolves_through_fetcher_and_checks_relationship() -> None:
    did = did_web("reelbridge.example")
    key = KeyPair.generate().with_controller(did)
    doc = did_web_document(did, [key])
    resolver = Resolver(fetcher=_serve({did_web_url(did): doc}))
    vm = resolver.resolve_verification_method(key.id, "assertionMethod")
    assert vm.controller == did and vm.public_key == key.public_key
    with pytest.raises(DidResolutionError, match="capabilityInvocation"):
        resolver.resolve_verification_method(key.id, "capabilityInvocation")


def test_did_web_is_offline_by_default() -> None:
    with pytest.raises(NetworkDisabledError):
        Resolver().resolve("did:web:reelbridge.example")


def test_did_web_document_with_wrong_id_is_refused() -> None:
    did = did_web("reelbridge.example")
    doc = did_web_document(did, [KeyPair.generate().with_controller(did)])
    doc["id"] = "did:web:evil.example"
    with pytest.raises(DidResolutionError, match="does not match"):
        Resolver(fetcher=_serve({did_web_url(did): doc})).resolve(did)


def test_key_of_another_did_is_not_found_in_a_document() -> None:
    did = did_web("reelbridge.example")
    doc = did_web_document(did, [KeyPair.generate().with_controller(did)])
    other = KeyPair.generate()
    with pytest.raises(DidResolutionError):
        Resolver(fetcher=_serve({did_web_url(did): doc})).resolve_verification_method(
            f"{did}#{other.public_key.multibase}"
        )


def test_malformed_did_web_answers_are_errors() -> None:
    def garbage(url: str) -> bytes:
        return b"\xff\xfe not json"

    with pytest.raises(DidResolutionError, match="not JSON"):
        Resolver(fetcher=garbage).resolve("did:web:reelbridge.example")


def test_unsupported_method() -> None:
    with pytest.raises(DidResolutionError, match="not supported"):
        Resolver().resolve("did:ion:abc")
