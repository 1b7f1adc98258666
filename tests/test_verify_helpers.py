"""Builders shared by the verifier tests: real keys, real signatures, real status lists on disk."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from credkit import KeyPair, did_web_document, did_web_url, sign
from credkit.fetch import FetchError
from credkit.jsonld.contexts import OB_EXTENSIONS, OB_V3P0, UNDEFINED_TERMS_V2, VC_V2
from credkit.status import Bitstring, DirectoryFetcher, status_entry, status_list_credential
from credkit.verify import Verifier
from credkit.verify.trust import TrustRegistry

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
STATUS_BASE = "https://school.example/status"


def seeded(n: int, **kwargs: Any) -> KeyPair:
    return KeyPair.from_seed(bytes([n]) * 32, **kwargs)


ISSUER = seeded(1)  # did:key issuer
OTHER = seeded(2)
ACCREDITOR = seeded(3)
HOLDER = seeded(4)


def diploma(issuer: str, **extra: Any) -> dict[str, Any]:
    """An unsigned OB 3.0 diploma (AchievementCredential with achievementType Diploma)."""
    doc: dict[str, Any] = {
        "@context": [VC_V2, OB_V3P0, OB_EXTENSIONS],
        "id": "urn:uuid:5d2c1a4e-6f0b-4c8e-9a7d-2b3c4d5e6f70",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Example Training Lab"},
        "validFrom": "2026-06-30T00:00:00Z",
        "name": "Diploma in Applied Cryptography",
        "credentialSubject": {
            "id": "did:example:graduate-17",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://school.example/achievements/applied-crypto",
                "type": ["Achievement"],
                "achievementType": "Diploma",
                "name": "Applied Cryptography",
                "description": "A one-year programme in applied cryptography.",
                "criteria": {"narrative": "Passed all modules and the final project."},
            },
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    doc.update(extra)
    return doc


def signed(
    doc: dict[str, Any], key: KeyPair = ISSUER, suite: str = "eddsa-rdfc-2022", **kw: Any
) -> dict[str, Any]:
    return sign(doc, key, cryptosuite=suite, created="2026-06-30T00:00:00Z", **kw)


def signed_diploma(key: KeyPair = ISSUER, **extra: Any) -> dict[str, Any]:
    return signed(diploma(key.controller, **extra), key)


def memory_fetcher(docs: dict[str, Any]) -> Callable[[str], bytes]:
    """The did:web injection point: URL → bytes from a dict, FetchError otherwise."""

    def fetch(url: str) -> bytes:
        if url not in docs:
            raise FetchError(f"{url}: HTTP 404")
        value = docs[url]
        return value if isinstance(value, bytes) else json.dumps(value).encode()

    return fetch


def web_issuer(host: str = "school.example", seed: int = 9) -> tuple[KeyPair, dict[str, Any]]:
    """A did:web issuer key and the URL → document map serving its DID document."""
    did = f"did:web:{host}"
    key = seeded(seed, controller=did, key_id=f"{did}#key-1")
    return key, {did_web_url(did): did_web_document(did, [key])}


def trust_of(*dids: str) -> TrustRegistry:
    return TrustRegistry.of(dids, name="employer list")


def verifier(**kw: Any) -> Verifier:
    kw.setdefault("clock", lambda: NOW)
    kw.setdefault("trust", trust_of(ISSUER.controller))
    return Verifier(**kw)


def status_setup(
    tmp: Path, issuer: KeyPair = ISSUER, revoked: tuple[int, ...] = (), purpose: str = "revocation"
) -> tuple[dict[str, Any], DirectoryFetcher]:
    """A signed status list written under ``tmp`` and a credentialStatus entry for index 7."""
    url = f"{STATUS_BASE}/1"
    bits = Bitstring()
    for i in revoked:
        bits.set(i)
    unsigned = status_list_credential(
        url, issuer.controller, purpose, bits, valid_from=datetime(2026, 1, 1, tzinfo=UTC)
    )
    listed = signed(unsigned, issuer)
    (tmp / "1").write_text(json.dumps(listed))
    return status_entry(url, 7, purpose), DirectoryFetcher(tmp, base_url=STATUS_BASE)


def trust_list_vc(
    body: KeyPair, registry: dict[str, dict[str, str]], suite: str = "eddsa-rdfc-2022"
) -> dict[str, Any]:
    """An accrediting body's signed IssuerTrustList (the shape docs/verification.md defines)."""
    doc = {
        "@context": [VC_V2, UNDEFINED_TERMS_V2],
        "id": "urn:uuid:0a1b2c3d-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "IssuerTrustList"],
        "issuer": {"id": body.controller, "name": "National Accreditation Board"},
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": "2027-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "urn:uuid:0a1b2c3d-0000-4000-8000-000000000002",
            "type": "IssuerTrustList",
            "name": "Accredited training providers 2026",
            "registry": registry,
        },
    }
    return signed(doc, body, suite)


def clone(doc: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(doc)
