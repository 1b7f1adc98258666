"""An issuer key that never leaves a hardware token: Ed25519 over PKCS#11 (``python-pkcs11``).

The token signs with ``CKM_EDDSA`` (PKCS#11 3.0 Current Mechanisms, "EdDSA": pure Ed25519 when
no parameters are given) over a key of type ``CKK_EC_EDWARDS`` whose ``CKA_EC_PARAMS`` name
Ed25519 (OID 1.3.101.112, or the printable string "edwards25519" the same spec also allows). The
public key is read from ``CKA_EC_POINT`` (a DER OCTET STRING of the 32 bytes, "Edwards Elliptic
curve public key objects"; a raw 32-byte value is accepted too) and gives the did:key /
verification method.

Before anything is signed, the signer checks every step and refuses with a
:class:`credkit.errors.HardwareKeyError` naming the reason: the module file, the token, the
``CKM_EDDSA`` mechanism, the PIN (wrong, locked, expired), the key (missing, ambiguous, not
Ed25519), and a probe signature that must verify under the public key read from the token.

Parallel signing is over sessions in separate processes. Within one process python-pkcs11
initialises the module with ``C_Initialize(NULL)``, which tells it no two threads will call it
at once (PKCS#11 3.0 Base, C_Initialize); SoftHSM2 then takes no locks and crashes under
concurrent sessions (seen here). So calls from a process are serialised, and a cohort's
workers each open their own library, login and session (``worker_factory``), started by
``spawn``: a forked child must not reuse its parent's initialised library (PKCS#11 3.0 Base,
C_Initialize: a child process initialises the library itself).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from credkit.errors import HardwareKeyError, KeyFormatError
from credkit.identity.keys import PublicKey
from credkit.identity.signer import WorkerFactory

# DER of the Ed25519 curve's OID (RFC 8410 §3) and of the PrintableString "edwards25519"
ED25519_PARAMS = (bytes.fromhex("06032b6570"), b"\x13\x0c" + b"edwards25519")
_PROBE = b"credkit: does this token hold the key it says?"


@dataclass(frozen=True)
class Pkcs11Config:
    """Where the key is: ``[issuer.key_pkcs11]`` in credkit.toml."""

    module: str
    token: str
    key_label: str
    pin_env: str | None = None
    pin_file: str | None = None

    @classmethod
    def from_table(cls, table: Any, root: Path, where: str) -> Pkcs11Config:
        """Read the TOML table; ``pin_file`` is relative to the workspace folder."""
        if not isinstance(table, dict):
            raise HardwareKeyError(f"{where}: [issuer.key_pkcs11] must be a table")
        for name in ("module", "token", "key_label"):
            if not isinstance(table.get(name), str) or not table[name]:
                raise HardwareKeyError(f"{where}: issuer.key_pkcs11.{name} is missing")
        pin_env, pin_file = table.get("pin_env"), table.get("pin_file")
        if (pin_env is None) == (pin_file is None):
            raise HardwareKeyError(
                f"{where}: issuer.key_pkcs11 needs exactly one of pin_env and pin_file"
            )
        return cls(
            module=table["module"],
            token=table["token"],
            key_label=table["key_label"],
            pin_env=str(pin_env) if pin_env is not None else None,
            pin_file=str(root / pin_file) if pin_file is not None else None,
        )

    def pin(self) -> str:
        """The user PIN, from its environment variable or file (never argv, never logged)."""
        if self.pin_env is not None:
            value = os.environ.get(self.pin_env)
            if not value:
                raise HardwareKeyError(f"the token PIN variable {self.pin_env} is not set")
            return value
        assert self.pin_file is not None
        try:
            text = Path(self.pin_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise HardwareKeyError(f"cannot read the token PIN file {self.pin_file}") from None
        value = text.rstrip("\r\n")
        if not value:
            raise HardwareKeyError(f"the token PIN file {self.pin_file} is empty")
        return value


def _library(module: str) -> Any:
    try:
        import pkcs11
    except ImportError:
        raise HardwareKeyError(
            "PKCS#11 needs the python-pkcs11 package: pip install 'credkit[hsm]'"
        ) from None
    if not Path(module).is_file():
        raise HardwareKeyError(f"the PKCS#11 module {module} does not exist")
    try:
        return pkcs11.lib(module)
    except Exception as exc:  # a file that is not a PKCS#11 library: dlopen/C_GetFunctionList
        raise HardwareKeyError(f"{module} is not a loadable PKCS#11 module ({exc})") from None


def _token(lib: Any, label: str) -> Any:
    """The token labelled ``label``.

    A file-backed token (SoftHSM2) that another process is rewriting at this moment (a login
    updates its state file) can be missing from the slot list read at ``C_Initialize``: seen
    with two cohort workers starting together. So a missing token is looked for again, with the
    library re-initialised, a few times over half a second, while this process holds no session
    (re-initialising would close them).
    """
    import pkcs11

    for attempt in range(4):
        try:
            return lib.get_token(token_label=label)
        except pkcs11.NoSuchToken:
            if attempt == 3 or _logins:
                break
            time.sleep(0.05 * (attempt + 1) ** 2)
            with contextlib.suppress(pkcs11.PKCS11Error):
                lib.reinitialize()
        except pkcs11.MultipleTokensReturned:
            raise HardwareKeyError(f"several PKCS#11 tokens are labelled {label!r}") from None
    raise HardwareKeyError(f"no PKCS#11 token labelled {label!r} in {lib.so}")


def _login(token: Any, pin: str) -> Any:
    import pkcs11

    try:
        return token.open(user_pin=pin)
    except pkcs11.PinIncorrect:
        raise HardwareKeyError(f"wrong PIN for token {token.label!r}; nothing signed") from None
    except pkcs11.PinLocked:
        raise HardwareKeyError(f"the PIN of token {token.label!r} is locked") from None
    except pkcs11.PinExpired:
        raise HardwareKeyError(f"the PIN of token {token.label!r} has expired") from None
    except (pkcs11.PinInvalid, pkcs11.PinLenRange):
        raise HardwareKeyError(f"the PIN for token {token.label!r} is not a valid PIN") from None
    except pkcs11.UserPinNotInitialized:
        raise HardwareKeyError(f"token {token.label!r} has no user PIN set") from None
    except pkcs11.PKCS11Error as exc:
        raise HardwareKeyError(
            f"cannot log in to token {token.label!r}: {type(exc).__name__}"
        ) from None


# The login is the application's, not a session's (PKCS#11 3.0 Base, C_Login: it logs every
# session of the application in; closing a logged-in python-pkcs11 session calls C_Logout for
# all). So a process logs in to a token once, keeps that session while any signer uses the
# token, and the signers' own sessions are opened without a PIN.
_logins: dict[tuple[str, str], list[Any]] = {}  # (module, token) -> [session, pin digest, users]
_logins_lock = threading.Lock()
LIBRARY_LOCK = threading.RLock()  # every call into a PKCS#11 module from this process


def _digest(pin: str) -> bytes:
    return hashlib.sha256(b"credkit-pin\0" + pin.encode("utf-8")).digest()


def _acquire_login(module: str, token: Any, pin: str) -> None:
    key = (module, token.label)
    with _logins_lock:
        held = _logins.get(key)
        if held is not None:
            if not hmac.compare_digest(held[1], _digest(pin)):
                raise HardwareKeyError(
                    f"token {token.label!r} is logged in with another PIN in this process"
                )
            held[2] += 1
            return
        _logins[key] = [_login(token, pin), _digest(pin), 1]


def _release_login(module: str, label: str) -> None:
    with _logins_lock:
        held = _logins.get((module, label))
        if held is None:
            return
        held[2] -= 1
        if held[2] <= 0:
            del _logins[(module, label)]
            with contextlib.suppress(Exception):
                held[0].close()


def _require_eddsa(token: Any) -> None:
    import pkcs11

    if pkcs11.Mechanism.EDDSA not in token.slot.get_mechanisms():
        raise HardwareKeyError(
            f"token {token.label!r} does not offer CKM_EDDSA (PKCS#11 3.0): it cannot make "
            "Ed25519 signatures, so credkit cannot sign with it"
        )


def ed25519_point(params: bytes, point: bytes, label: str) -> bytes:
    """The 32 public key bytes, once ``params`` say Ed25519 (not Ed448, not a Weierstrass curve)."""
    if bytes(params) not in ED25519_PARAMS:
        raise HardwareKeyError(f"the token key {label!r} is not on Ed25519 (CKA_EC_PARAMS)")
    raw = bytes(point)
    if len(raw) == 34 and raw[:2] == b"\x04\x20":  # DER OCTET STRING of 32 bytes
        raw = raw[2:]
    if len(raw) != 32:
        raise HardwareKeyError(f"the token key {label!r} has no 32-byte Ed25519 public key")
    return raw


def _find(session: Any, label: str) -> tuple[Any, PublicKey]:
    """The private key object and its public key; refuses anything but one Ed25519 pair."""
    import pkcs11
    from pkcs11 import Attribute, KeyType, ObjectClass

    found: dict[Any, Any] = {}
    for cls, kind in ((ObjectClass.PRIVATE_KEY, "private"), (ObjectClass.PUBLIC_KEY, "public")):
        try:
            found[cls] = session.get_key(object_class=cls, label=label)
        except pkcs11.NoSuchKey:
            raise HardwareKeyError(
                f"token {session.token.label!r} has no {kind} key labelled {label!r}"
            ) from None
        except pkcs11.MultipleObjectsReturned:
            raise HardwareKeyError(
                f"token {session.token.label!r} has several keys labelled {label!r}"
            ) from None
    private, public = found[ObjectClass.PRIVATE_KEY], found[ObjectClass.PUBLIC_KEY]
    if private.key_type != KeyType.EC_EDWARDS or public.key_type != KeyType.EC_EDWARDS:
        raise HardwareKeyError(
            f"the token key {label!r} is a {private.key_type.name} key, not Ed25519 "
            "(CKK_EC_EDWARDS)"
        )
    raw = ed25519_point(public[Attribute.EC_PARAMS], public[Attribute.EC_POINT], label)
    try:
        return private, PublicKey(raw)
    except KeyFormatError as exc:
        raise HardwareKeyError(f"the token key {label!r}: {exc.message}") from None


class _Held:
    """A signer's session and its share of the token's login, released when the signer is
    closed or collected (``weakref.finalize``: no session or login outlives its signer)."""

    def __init__(self, module: str, label: str) -> None:
        self.module, self.label = module, label
        self.session: Any = None
        self.logged_in = False

    def release(self) -> None:
        with LIBRARY_LOCK:
            if self.session is not None:
                with contextlib.suppress(Exception):  # closing is best effort
                    self.session.close()
                self.session = None
            if self.logged_in:
                self.logged_in = False
                _release_login(self.module, self.label)


class Pkcs11Signer:
    """A :class:`credkit.identity.signer.Signer` whose key stays in a PKCS#11 token."""

    start_method = "spawn"  # cohort workers: a fresh process, never a fork of a loaded library

    def __init__(
        self,
        config: Pkcs11Config,
        *,
        controller: str | None = None,
        key_id: str | None = None,
        pin: str | None = None,
    ) -> None:
        self.config = config
        self._pin = pin if pin is not None else config.pin()
        self._held = _Held(config.module, config.token)
        self._finalizer = weakref.finalize(self, self._held.release)
        with LIBRARY_LOCK:
            lib = _library(config.module)
            token = _token(lib, config.token)
            _require_eddsa(token)
            try:
                _acquire_login(config.module, token, self._pin)
                self._held.logged_in = True
                self._held.session = token.open()
                self._private, self.public_key = _find(self._held.session, config.key_label)
                mb = self.public_key.multibase
                self.controller = controller or f"did:key:{mb}"
                self.id = key_id or f"{self.controller}#{mb}"
                if not self.public_key.verify(self.sign(_PROBE), _PROBE):
                    raise HardwareKeyError(
                        f"the token key {config.key_label!r} signs, but not for the public key "
                        "the token lists under that label"
                    )
            except BaseException:
                self.close()
                raise

    def sign(self, data: bytes) -> bytes:
        """Ed25519 over ``data`` in the token (CKM_EDDSA, no parameters: pure Ed25519).

        One call into the library at a time in a process: python-pkcs11 initialises the module
        with ``C_Initialize(NULL)``, which promises the module no concurrent calls (PKCS#11 3.0
        Base, C_Initialize; SoftHSM2 crashes otherwise). Parallel signing: a process a session.
        """
        import pkcs11

        with LIBRARY_LOCK:
            if self._held.session is None:
                raise HardwareKeyError("this PKCS#11 signer was closed")
            try:
                return bytes(self._private.sign(data, mechanism=pkcs11.Mechanism.EDDSA))
            except pkcs11.PKCS11Error as exc:
                raise HardwareKeyError(f"the token refused to sign: {type(exc).__name__}") from None

    @property
    def key_id(self) -> str:
        return self.id

    def worker_factory(self) -> WorkerFactory:
        """A worker opens its own library, login and session; the PIN goes through the pool's
        pipe (as a file key's seed does), never a file."""
        return (_from_worker, (self.config, self._pin, self.controller, self.id))

    def close(self) -> None:
        """Close the session; the token's login goes with the process's last signer on it."""
        self._finalizer()

    def __enter__(self) -> Pkcs11Signer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __repr__(self) -> str:  # never the PIN
        return f"Pkcs11Signer(id={getattr(self, 'id', '?')!r}, token={self.config.token!r})"


def _from_worker(config: Pkcs11Config, pin: str, controller: str, key_id: str) -> Pkcs11Signer:
    return Pkcs11Signer(config, controller=controller, key_id=key_id, pin=pin)


def generate(config: Pkcs11Config, *, pin: str | None = None) -> PublicKey:
    """Make an Ed25519 key pair on the token (CKM_EC_EDWARDS_KEY_PAIR_GEN), labelled
    ``config.key_label``: private, sensitive, never extractable. Refuses a label in use."""
    with LIBRARY_LOCK:
        return _generate(config, pin)


def _generate(config: Pkcs11Config, pin: str | None) -> PublicKey:
    import pkcs11
    from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass

    lib = _library(config.module)
    token = _token(lib, config.token)
    mechanisms = token.slot.get_mechanisms()
    if Mechanism.EC_EDWARDS_KEY_PAIR_GEN not in mechanisms:
        raise HardwareKeyError(
            f"token {token.label!r} cannot generate Ed25519 keys (no CKM_EC_EDWARDS_KEY_PAIR_GEN)"
        )
    _require_eddsa(token)
    _acquire_login(config.module, token, pin if pin is not None else config.pin())
    try:
        session = token.open(rw=True)
    except BaseException:
        _release_login(config.module, token.label)
        raise
    try:
        for cls in (ObjectClass.PRIVATE_KEY, ObjectClass.PUBLIC_KEY):
            if list(session.get_objects({Attribute.CLASS: cls, Attribute.LABEL: config.key_label})):
                raise HardwareKeyError(
                    f"token {token.label!r} already has a key labelled {config.key_label!r}"
                )
        key_id = os.urandom(16)
        try:
            public, _private = session.generate_keypair(
                KeyType.EC_EDWARDS,
                mechanism=Mechanism.EC_EDWARDS_KEY_PAIR_GEN,
                store=True,
                label=config.key_label,
                id=key_id,
                public_template={Attribute.EC_PARAMS: ED25519_PARAMS[0], Attribute.VERIFY: True},
                private_template={
                    Attribute.SIGN: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.PRIVATE: True,
                },
            )
        except pkcs11.PKCS11Error as exc:
            raise HardwareKeyError(
                f"token {token.label!r} refused to generate an Ed25519 key: {type(exc).__name__}"
            ) from None
        raw = ed25519_point(public[Attribute.EC_PARAMS], public[Attribute.EC_POINT], "new")
        return PublicKey(raw)
    finally:
        session.close()
        _release_login(config.module, token.label)
