"""What credkit accepts from a PKCS#11 token and from ``[issuer.key_pkcs11]``, without a token:
only an Ed25519 public key (not Ed448, not a Weierstrass curve), in either encoding PKCS#11 3.0
allows, and a config that names its PIN's source but never the PIN."""

from __future__ import annotations

from pathlib import Path

import pytest

from credkit.errors import HardwareKeyError
from credkit.identity.keys import KeyPair
from credkit.identity.pkcs11 import ED25519_PARAMS, Pkcs11Config, ed25519_point

RAW = KeyPair.from_seed(bytes(range(32))).public_key.raw
ED448_OID = bytes.fromhex("06032b6571")  # 1.3.101.113 (RFC 8410)
P256_OID = bytes.fromhex("06082a8648ce3d030107")  # prime256v1


@pytest.mark.parametrize("params", ED25519_PARAMS)
def test_both_ed25519_encodings_and_both_point_forms(params: bytes) -> None:
    assert ed25519_point(params, b"\x04\x20" + RAW, "k") == RAW  # DER OCTET STRING
    assert ed25519_point(params, RAW, "k") == RAW  # raw, as some tokens return it


@pytest.mark.parametrize("params", [ED448_OID, P256_OID, b"", b"\x13\x0aedwards448"])
def test_other_curves_are_refused(params: bytes) -> None:
    with pytest.raises(HardwareKeyError, match="not on Ed25519"):
        ed25519_point(params, b"\x04\x20" + RAW, "k")


@pytest.mark.parametrize("point", [b"\x04\x39" + bytes(57), RAW[:31], b"\x04\x21" + RAW + b"\0"])
def test_points_of_the_wrong_size_are_refused(point: bytes) -> None:
    with pytest.raises(HardwareKeyError, match="32-byte"):
        ed25519_point(ED25519_PARAMS[0], point, "k")


def test_config_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = {"module": "/m.so", "token": "t", "key_label": "k", "pin_file": "token.pin"}
    config = Pkcs11Config.from_table(table, tmp_path, "credkit.toml")
    assert config.pin_file == str(tmp_path / "token.pin")  # relative to the workspace
    with pytest.raises(HardwareKeyError, match="cannot read the token PIN file"):
        config.pin()
    (tmp_path / "token.pin").write_text("1234\n")
    assert config.pin() == "1234"
    for broken, reason in [
        ({**table, "module": ""}, "module is missing"),
        ({k: v for k, v in table.items() if k != "token"}, "token is missing"),
        ({**table, "pin_env": "PIN"}, "exactly one of pin_env and pin_file"),
        ({k: v for k, v in table.items() if k != "pin_file"}, "exactly one of"),
    ]:
        with pytest.raises(HardwareKeyError, match=reason):
            Pkcs11Config.from_table(broken, tmp_path, "credkit.toml")
    by_env = Pkcs11Config("/m.so", "t", "k", pin_env="CREDKIT_TEST_PIN")
    monkeypatch.delenv("CREDKIT_TEST_PIN", raising=False)
    with pytest.raises(HardwareKeyError, match="CREDKIT_TEST_PIN is not set"):
        by_env.pin()
    monkeypatch.setenv("CREDKIT_TEST_PIN", "4711")
    assert by_env.pin() == "4711"


def test_a_missing_module_is_named(tmp_path: Path) -> None:
    pytest.importorskip("pkcs11")
    from credkit.identity.pkcs11 import Pkcs11Signer

    config = Pkcs11Config(str(tmp_path / "absent.so"), "t", "k", pin_env="X")
    with pytest.raises(HardwareKeyError, match=r"absent\.so does not exist"):
        Pkcs11Signer(config, pin="1234")
