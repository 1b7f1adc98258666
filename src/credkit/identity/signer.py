"""The one thing a proof needs from an issuer's key: sign bytes, under a named verification method.

Every cryptosuite, the cohort, the server and the status-list signer take a :class:`Signer`, never
a private key: a file key (:class:`credkit.identity.keys.KeyPair`) and a key that never leaves a
hardware token (:class:`credkit.identity.pkcs11.Pkcs11Signer`) are interchangeable, and nothing
in the sign path can reach into private key bytes.

A signer that can be rebuilt in another process (a cohort's worker pool) also offers
``worker_factory()``: a picklable ``(function, args)`` pair that makes an equivalent signer there.
A file key hands over its seed through the pool's pipe (never a file); a PKCS#11 signer hands over
where the key is (module, token, label) and its PIN, and each worker opens its own session. A
signer without it is used in the calling process only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from credkit.identity.keys import MULTIKEY_CONTEXT, PublicKey

WorkerFactory = tuple[Callable[..., "Signer"], tuple[Any, ...]]


@runtime_checkable
class VerificationKey(Protocol):
    """A public Ed25519 key under a verification method id: what a DID document lists."""

    @property
    def public_key(self) -> PublicKey:
        """The Ed25519 public key verifiers resolve from ``id``."""
        ...

    @property
    def controller(self) -> str:
        """The DID that controls the key (the issuer)."""
        ...

    @property
    def id(self) -> str:
        """The verification method URL a proof names (``verificationMethod``)."""
        ...


@runtime_checkable
class Signer(VerificationKey, Protocol):
    """An Ed25519 signing key: its public key, the DID controlling it, its method id, and sign."""

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature (RFC 8032, pure EdDSA) of ``data``."""
        ...


@dataclass(frozen=True)
class PublicMethod:
    """A verification method read without its secret (an encrypted key file's public part)."""

    public_key: PublicKey
    controller: str
    id: str

    def to_multikey(self) -> dict[str, Any]:
        return {
            "@context": MULTIKEY_CONTEXT,
            "id": self.id,
            "type": "Multikey",
            "controller": self.controller,
            "publicKeyMultibase": self.public_key.multibase,
        }

    def to_jwk(self) -> dict[str, str]:
        return self.public_key.to_jwk()


def key_id(signer: Signer) -> str:
    """The verification method id (``signer.id``), under the name the issue text uses."""
    return signer.id


def worker_factory(signer: Signer) -> WorkerFactory | None:
    """How to rebuild ``signer`` in a worker process, or None when it cannot be."""
    make = getattr(signer, "worker_factory", None)
    return make() if callable(make) else None


def rebuild(factory: WorkerFactory) -> Signer:
    """The signer a :func:`worker_factory` pair describes (called in the worker)."""
    function, args = factory
    return function(*args)
