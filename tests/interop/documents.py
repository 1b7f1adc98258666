"""Credentials the interop tests and the proof benchmark sign, built from the shipped vectors."""

from __future__ import annotations

import copy
import hashlib
import json
import random
import unicodedata
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
W3C = VECTORS / "vc-di-eddsa"

# Same created everywhere so both implementations sign byte-identical proof configurations.
CREATED = "2024-01-01T00:00:00Z"

# Non-ASCII on purpose: Devanagari (combining vowel signs), Thai (no spaces, tone marks),
# Vietnamese in both NFC and NFD (neither canonicalization may normalize Unicode), and an
# astral-plane emoji (UTF-16 surrogate pair in JS, one code point in Python).
ISSUER_NAME = "भारतीय कौशल विकास संस्थान"
CREDENTIAL_NAME = "ประกาศนียบัตรการทำงานเป็นทีม"
ACHIEVEMENT_NAME_NFC = "Chứng chỉ Kỹ năng Làm việc Nhóm"
# decomposed diacritics: base letters followed by combining marks
ACHIEVEMENT_DESC_NFD = unicodedata.normalize("NFD", "Ghi nhận khả năng hợp tác trong nhóm.")
NARRATIVE = "Được đồng nghiệp đề cử; ได้รับการรับรองโดยคณะกรรมการ; समीक्षा के बाद प्रदान किया गया 🎓"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def w3c_key() -> dict[str, str]:
    """The W3C vector key, as a Multikey document (the vector file says privateKeyMultibase)."""
    pair = load(W3C / "keyPair.json")
    return {
        "type": "Multikey",
        "publicKeyMultibase": pair["publicKeyMultibase"],
        "secretKeyMultibase": pair["privateKeyMultibase"],
    }


def w3c_alumni(issuer: str | None = None) -> dict[str, Any]:
    """The W3C EdDSA vector document; ``issuer`` rebinds it to the signing key's DID."""
    doc = load(W3C / "unsigned.json")
    if issuer is not None:
        doc["issuer"] = issuer
    return doc


def ob3_i18n(issuer: str) -> dict[str, Any]:
    """The 1EdTech validator's ``simple.json`` (no proof), issued by ``issuer``, multilingual."""
    doc = load(VECTORS / "ob3" / "validator-testcases" / "simple.json")
    doc.pop("proof", None)
    doc = copy.deepcopy(doc)
    doc["issuer"] = {"id": issuer, "type": ["Profile"], "name": ISSUER_NAME}
    doc["name"] = CREDENTIAL_NAME
    achievement = doc["credentialSubject"]["achievement"]
    achievement["name"] = ACHIEVEMENT_NAME_NFC
    achievement["description"] = ACHIEVEMENT_DESC_NFD
    achievement["criteria"]["narrative"] = NARRATIVE
    return doc


def jcs_edge(issuer: str) -> dict[str, Any]:
    """JCS-only edge cases: key order by UTF-16 code units, and ECMAScript number formatting.

    Under RFC 8785 the key "\\U0001F600" (UTF-16 D83D DE00) sorts before "\\uE000", the reverse of
    code point order; numbers must print as JavaScript prints them (1e+21, 1e-7, 0.1).
    """
    doc = w3c_alumni(issuer)
    doc["credentialSubject"]["claims"] = {
        "\ue000": "private use",
        "😀": "astral",
        "é": "latin-1",
        "z": [0.1, 1e21, 1e-7, -0.0, 100, 3.14159, 5e-324],
    }
    return doc


def ob3_diploma(issuer: str) -> dict[str, Any]:
    """The realistic OB 3.0 diploma the benchmark signs (``benchmarks/diploma.json``)."""
    doc = load(Path(__file__).resolve().parents[2] / "benchmarks" / "diploma.json")
    doc["issuer"]["id"] = issuer
    return doc


def ob3_cohort(issuer: str, n: int, seed: int = 1) -> list[dict[str, Any]]:
    """Same-shape diplomas: what differs between graduates of one programme."""
    rng = random.Random(seed)
    base = ob3_diploma(issuer)
    out = []
    for i in range(n):
        doc = copy.deepcopy(base)
        doc["id"] = f"urn:uuid:{rng.randrange(16**32):032x}"
        subject = doc["credentialSubject"]
        subject["identifier"][0]["identityHash"] = "sha256$" + hashlib.sha256(b"%d" % i).hexdigest()
        subject["identifier"][0]["salt"] = f"s{rng.randrange(10**9)}"
        subject["activityEndDate"] = f"2026-06-{rng.randrange(1, 29):02d}T00:00:00Z"
        subject["result"][0]["value"] = f"{rng.uniform(2.5, 4.0):.1f}"
        out.append(doc)
    return out
