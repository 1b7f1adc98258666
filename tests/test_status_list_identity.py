"""A status list must name itself: another list of the same issuer cannot stand in for it."""

from __future__ import annotations

import pytest

from credkit.errors import StatusVerificationError
from credkit.identity.keys import KeyPair
from credkit.proofs import verify
from credkit.status import (
    Bitstring,
    check_status,
    sign_status_list,
    status_entry,
    status_list_credential,
)

KEY = KeyPair.generate()
BASE = "https://lab.example/status"


def _list(url: str, revoked: int | None, *, keep_id: bool = True) -> dict[str, object]:
    bits = Bitstring()
    if revoked is not None:
        bits.set(revoked)
    unsigned = status_list_credential(url, KEY.controller, "revocation", bits)
    if not keep_id:
        unsigned.pop("id")
    return sign_status_list(unsigned, KEY)


def _check(served: dict[str, object]) -> bool:
    entry = status_entry(f"{BASE}/1", 42, "revocation")
    return check_status(entry, lambda url: served, verify_list=lambda d: verify(d).verified).valid  # type: ignore[arg-type]


def test_the_named_list_reports_the_revocation() -> None:
    assert _check(_list(f"{BASE}/1", revoked=42)) is False


def test_another_clean_list_of_the_same_issuer_is_refused() -> None:
    with pytest.raises(StatusVerificationError):
        _check(_list(f"{BASE}/2", revoked=None))


def test_a_clean_list_without_an_id_is_refused() -> None:
    with pytest.raises(StatusVerificationError):
        _check(_list(f"{BASE}/2", revoked=None, keep_id=False))
