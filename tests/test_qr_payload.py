"""QR payloads: RFC 9285 base45, link ids, the CK1 embedded format and its strict decoder."""

from __future__ import annotations

import copy
import json
import random
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from credkit.identity.keys import KeyPair
from credkit.proofs import sign, verify
from credkit.share.qr_payload import (
    EMBED_PREFIX,
    MAX_JSON_BYTES,
    EmbeddedPayload,
    LinkPayload,
    QrError,
    QrPayloadError,
    b45decode,
    b45encode,
    decode_embedded,
    decode_payload,
    encode_embedded,
    link_id,
    link_url,
    make_payload,
)

ROOT = Path(__file__).resolve().parents[1]
SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
NAMES = {
    "devanagari": "प्रिया शर्मा",
    "thai": "สมชาย ใจดี",
    "vietnamese": "Nguyễn Thị Hồng Nhung",
}
ISSUER_KEY = KeyPair.from_seed(bytes(range(32)))


@cache
def _signed(name: str, suite: str) -> str:
    document = json.loads((ROOT / "benchmarks" / "diploma.json").read_text(encoding="utf-8"))
    document["issuer"]["id"] = ISSUER_KEY.controller
    document["credentialSubject"]["name"] = name
    signed = sign(document, ISSUER_KEY, cryptosuite=suite, created="2026-06-30T00:00:00Z")
    return json.dumps(signed, ensure_ascii=False)


def signed_diploma(name: str = NAMES["devanagari"], suite: str = SUITES[0]) -> dict[str, Any]:
    """A signed OB 3.0 diploma (benchmarks/diploma.json) for ``name``; a fresh copy each call."""
    return json.loads(_signed(name, suite))  # type: ignore[no-any-return]


def ck1(raw: bytes) -> str:
    return EMBED_PREFIX + b45encode(zlib.compress(raw, 9))


# --- base45 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [  # RFC 9285 §4.3 and §4.4 examples
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"", ""),
    ],
)
def test_base45_matches_rfc_9285_examples(data: bytes, text: str) -> None:
    assert b45encode(data) == text
    assert b45decode(text) == data


@pytest.mark.parametrize("bad", ["GGW", "A", "ab c", "QED8WEX", "::::"])
def test_base45_refuses_invalid_text(bad: str) -> None:
    with pytest.raises(QrPayloadError):
        b45decode(bad)


def test_base45_round_trips_every_byte_value() -> None:
    data = bytes(range(256)) * 3 + b"\xff"
    assert b45decode(b45encode(data)) == data


# --- link ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_link_id_is_short_stable_and_content_addressed(suite: str) -> None:
    signed = signed_diploma(suite=suite)
    ident = link_id(signed)
    assert len(ident) == 26 and ident == ident.lower()
    assert link_id(copy.deepcopy(signed)) == ident  # key order does not matter (JCS)
    reordered = dict(reversed(list(signed.items())))
    assert link_id(reordered) == ident
    other = signed_diploma(NAMES["thai"], suite)
    assert link_id(other) != ident
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["name"] = "Someone Else"
    assert link_id(tampered) != ident


def test_link_url_and_parse() -> None:
    signed = signed_diploma()
    url = link_url(signed, "https://diplomas.example.org/")
    assert url == f"https://diplomas.example.org/c/{link_id(signed)}"
    payload = decode_payload(url)
    assert isinstance(payload, LinkPayload)
    assert payload.matches(signed)
    assert not payload.matches(signed_diploma(NAMES["vietnamese"]))


def test_link_needs_a_signed_credential_and_a_proper_base_url() -> None:
    unsigned = signed_diploma()
    del unsigned["proof"]
    with pytest.raises(QrError, match="issue it first"):
        link_id(unsigned)
    with pytest.raises(QrError, match="absolute http"):
        link_url(signed_diploma(), "diplomas.example.org")
    with pytest.raises(QrError, match="base URL"):
        make_payload(signed_diploma(), "link")


@pytest.mark.parametrize(
    "url",
    [
        "https://diplomas.example.org/c/short",
        "https://diplomas.example.org/x/53yymfjj2tuebr5wkzmhkad6bu",
        "ftp://diplomas.example.org/c/53yymfjj2tuebr5wkzmhkad6bu",
    ],
)
def test_foreign_urls_are_not_taken_for_credkit_links(url: str) -> None:
    with pytest.raises(QrPayloadError):
        decode_payload(url)


# --- embedded --------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("script", sorted(NAMES))
def test_embedded_round_trip_still_verifies(suite: str, script: str) -> None:
    signed = signed_diploma(NAMES[script], suite)
    text = encode_embedded(signed)
    assert text.startswith("CK1-R")
    assert set(text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")  # QR alphanumeric
    payload = decode_payload(text)
    assert isinstance(payload, EmbeddedPayload)
    assert payload.credential == signed
    assert payload.credential["credentialSubject"]["name"] == NAMES[script]
    assert verify(payload.credential).verified


def test_embedded_size_of_the_example_diploma() -> None:
    # The numbers in docs/qr.md; a change here means the table needs measuring again.
    for suite in SUITES:
        text = encode_embedded(signed_diploma("Maria Santos", suite))
        assert 1900 < len(text) < 2200, (suite, len(text))


def test_a_tampered_embedded_diploma_decodes_but_fails_verification() -> None:
    signed = signed_diploma()
    signed["credentialSubject"]["name"] = "Impostor"
    payload = decode_payload(encode_embedded(signed))
    assert isinstance(payload, EmbeddedPayload)
    assert not verify(payload.credential).verified


def test_flipped_characters_are_caught() -> None:
    text = encode_embedded(signed_diploma())
    middle = len(text) // 2
    flipped = text[:middle] + ("0" if text[middle] != "0" else "1") + text[middle + 1 :]
    with pytest.raises(QrPayloadError):
        decode_embedded(flipped)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("CK1-B" + "A" * 10, "unknown encoding"),
        ("CK1-Rabc", "alphabet"),
        ("CK1-R" + b45encode(b"not zlib at all"), "zlib"),
        ("VC1-R0OR*W3Y33V%K", "CBOR-LD"),
        ("VP1-BAAAA", "CBOR-LD"),
        ("hello", "neither"),
        ("CK1-R" + "0" * 5000, "more than a QR code holds"),
    ],
)
def test_bad_payloads_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(QrPayloadError, match=message):
        decode_payload(text)


def test_truncated_payload_is_refused() -> None:
    text = encode_embedded(signed_diploma())
    with pytest.raises(QrPayloadError, match=r"truncated|damaged|dangling"):
        decode_embedded(text[: len(text) - 30])


def test_trailing_bytes_after_the_stream_are_refused() -> None:
    raw = json.dumps(signed_diploma()).encode()
    text = EMBED_PREFIX + b45encode(zlib.compress(raw) + b"XX")
    with pytest.raises(QrPayloadError, match="after the end"):
        decode_embedded(text)


def test_a_decompression_bomb_is_refused() -> None:
    bomb = zlib.compress(b"{" + b" " * (8 * MAX_JSON_BYTES) + b"}", 9)
    text = EMBED_PREFIX + b45encode(bomb)
    assert len(text) < 4296  # fits a QR code...
    with pytest.raises(QrPayloadError, match="decompression bomb"):
        decode_embedded(text)  # ...but would inflate to 2 MiB


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a":1,"a":2}', "repeats the key"),
        (b'{"a":NaN}', "NaN"),
        (b"[1,2]", "not an object"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"{" * 100000, "nested too deeply|invalid"),
    ],
)
def test_strict_json_inside_the_payload(raw: bytes, message: str) -> None:
    with pytest.raises(QrPayloadError, match=message):
        decode_embedded(ck1(raw))


def test_preset_dictionary_streams_are_refused() -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, b"dict")
    data = compressor.compress(b"{}") + compressor.flush()
    with pytest.raises(QrPayloadError, match="dictionary"):
        decode_embedded(EMBED_PREFIX + b45encode(data))


def test_too_large_credential_is_refused_with_advice() -> None:
    signed = signed_diploma()
    signed["description"] = random.Random(7).randbytes(3000).hex()  # incompressible
    with pytest.raises(QrError, match="--mode link"):
        encode_embedded(signed)


def test_plain_json_from_other_wallets_is_accepted() -> None:
    signed = signed_diploma()
    payload = decode_payload(json.dumps(signed))
    assert isinstance(payload, EmbeddedPayload) and payload.credential == signed
