"""Bitstring Status List 1.0 §2.1, §3.3-3.4: the bits, their order, their wire encoding."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credkit.errors import MalformedValueError, StatusRangeError
from credkit.identity.multibase import decode_base64url, encode_base64url
from credkit.status import (
    MIN_LENGTH,
    Bitstring,
    gunzip_limited,
    status_entry,
    status_list_credential,
)

SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def test_spec_example_encoded_list_is_16384_zero_bytes() -> None:
    bits = Bitstring.decode(SPEC_EXAMPLE)
    assert bytes(bits) == bytes(16384)
    assert len(bits) == MIN_LENGTH == 131_072
    assert bits.count() == 0


def test_new_list_has_the_minimum_length_and_encodes_as_multibase_gzip() -> None:
    encoded = Bitstring().encode()
    assert encoded.startswith("u") and "=" not in encoded
    raw = decode_base64url(encoded)
    assert raw[:3] == b"\x1f\x8b\x08"  # RFC 1952 magic + deflate
    assert gzip.decompress(raw) == bytes(16384)
    assert Bitstring().encode() == encoded  # no timestamp in the header: deterministic


def test_lists_shorter_than_the_minimum_or_not_whole_bytes_are_refused() -> None:
    with pytest.raises(ValueError):
        Bitstring(MIN_LENGTH - 8)
    with pytest.raises(ValueError):
        Bitstring(MIN_LENGTH + 1)
    assert len(Bitstring(MIN_LENGTH + 8)) == MIN_LENGTH + 8
    assert len(Bitstring(16, min_length=8)) == 16


@pytest.mark.parametrize(
    ("index", "byte", "value"),
    [(0, 0, 0x80), (1, 0, 0x40), (7, 0, 0x01), (8, 1, 0x80), (131_071, 16_383, 0x01)],
)
def test_index_zero_is_the_most_significant_bit_of_byte_zero(
    index: int, byte: int, value: int
) -> None:
    bits = Bitstring()
    bits.set(index)
    raw = bytes(bits)
    assert raw[byte] == value
    assert sum(raw) == value
    assert bits.get(index) == 1 and bits.count() == 1
    bits.set(index, 0)
    assert bytes(bits) == bytes(16384)


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(0, MIN_LENGTH - 1), max_size=300))
def test_encode_decode_round_trip_keeps_every_bit(indexes: set[int]) -> None:
    bits = Bitstring()
    for i in indexes:
        bits.set(i)
    back = Bitstring.decode(bits.encode())
    assert back == bits
    raw = bytes(back)
    for i in indexes:  # the spec's own formula (§2.1 statusSize 1)
        assert (raw[i // 8] >> (7 - i % 8)) & 1 == 1
    assert back.count() == len(indexes)


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=4096))
def test_any_bytes_round_trip(data: bytes) -> None:
    bits = Bitstring.from_bytes(data)
    assert bytes(Bitstring.decode(bits.encode())) == data


def test_multi_bit_values_read_msb_first() -> None:
    bits = Bitstring(16, min_length=8)
    bits.set(2)  # entry 1 of 2-bit entries is bits 2,3 -> "10"
    bits.set(7)  # entry 3 is bits 6,7 -> "01"
    assert [bits.value(i, 2) for i in range(4)] == [0, 2, 0, 1]
    with pytest.raises(StatusRangeError):
        bits.value(8, 2)


@pytest.mark.parametrize("index", [-1, MIN_LENGTH, True, 1.0])
def test_out_of_range_or_non_integer_index_is_a_range_error(index: object) -> None:
    with pytest.raises(StatusRangeError):
        Bitstring().get(index)  # type: ignore[arg-type]


def test_gzip_bomb_is_refused_without_inflating_it() -> None:
    # 256 MiB of zeros compress to ~250 KB; decoding must stop at the 16 MiB cap.
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    bomb = b"".join(deflater.compress(chunk) for _ in range(256)) + deflater.flush()
    assert len(bomb) < 1 << 20
    encoded = encode_base64url(bomb)
    tracemalloc.start()
    try:
        with pytest.raises(MalformedValueError, match="gzip bomb"):
            Bitstring.decode(encoded)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 << 20, f"decoding held {peak} bytes"


def test_many_gzip_members_count_against_one_limit() -> None:
    member = gzip.compress(bytes(1 << 20), mtime=0)
    assert len(gunzip_limited(member * 3)) == 3 << 20
    with pytest.raises(MalformedValueError):
        gunzip_limited(member * 17)


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (zlib.compress(bytes(16384)), "zlib wrapper instead of gzip"),
        (zlib.compress(bytes(16384))[2:-4], "raw deflate"),
        (bytes(16384), "not compressed"),
        (gzip.compress(bytes(16384))[:-10], "truncated"),
        (gzip.compress(bytes(16384))[:-8] + b"\0\0\0\0" + gzip.compress(b"")[-4:], "bad crc"),
        (gzip.compress(bytes(16384)) + b"garbage!", "trailing garbage"),
    ],
)
def test_malformed_compression_is_a_malformed_value(payload: bytes, why: str) -> None:
    with pytest.raises(MalformedValueError):
        Bitstring.decode(encode_base64url(payload))


@pytest.mark.parametrize(
    "encoded",
    ["H4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA", "u+/8=", "", 42],
)
def test_encoded_list_must_be_multibase_base64url(encoded: object) -> None:
    with pytest.raises(MalformedValueError):
        Bitstring.decode(encoded)  # type: ignore[arg-type]


def test_status_entry_has_a_string_index_and_an_id_other_than_the_list() -> None:
    entry = status_entry("https://example.edu/status/3", 94567, "revocation")
    assert entry == {
        "id": "https://example.edu/status/3#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": "https://example.edu/status/3",
    }
    with pytest.raises(ValueError):
        status_entry("https://example.edu/status/3", -1, "revocation")


def test_status_list_credential_shape() -> None:
    from datetime import UTC, datetime

    bits = Bitstring()
    bits.set(3)
    cred = status_list_credential(
        "https://example.edu/status/1",
        "did:key:z6MkExample",
        "suspension",
        bits,
        valid_from=datetime(2026, 11, 23, 10, 0, 0, 123, tzinfo=UTC),
        valid_until=datetime(2026, 12, 23, tzinfo=UTC),
        ttl=3_600_000,
    )
    assert cred["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert cred["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert cred["id"] == "https://example.edu/status/1"
    assert cred["validFrom"] == "2026-11-23T10:00:00Z"
    assert cred["validUntil"] == "2026-12-23T00:00:00Z"
    subject = cred["credentialSubject"]
    assert subject["id"] == "https://example.edu/status/1#list"
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "suspension"
    assert subject["ttl"] == 3_600_000
    assert Bitstring.decode(subject["encodedList"]).get(3) == 1
