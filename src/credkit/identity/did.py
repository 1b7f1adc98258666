"""DIDs and verification methods: ``did:key`` offline, ``did:web`` through an injected fetcher.

Resolution follows Controlled Identifiers 1.0 §3.3 "Retrieve Verification Method": the method URL's
document is dereferenced, its ``id`` must equal the URL without fragment, the method must be in it
with a matching ``id``, and it must be listed under the relationship the proof claims (e.g.
``assertionMethod``). Anything looser would let any key in a document sign for any purpose.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from credkit.errors import DidResolutionError, KeyFormatError, WeakKeyError
from credkit.fetch import Fetcher, NoNetwork
from credkit.identity.keys import PublicKey
from credkit.identity.multibase import b58decode
from credkit.identity.signer import VerificationKey
from credkit.jsonld.contexts import DID_V1, ED25519_2020_V1, MULTIKEY_V1

RELATIONSHIPS = (
    "authentication",
    "assertionMethod",
    "capabilityInvocation",
    "capabilityDelegation",
    "keyAgreement",
)
_MAX_DOC_BYTES = 256 * 1024
# XML Schema dateTimeStamp: a date and time with a time zone (Z or an offset)
_DATETIME_STAMP = re.compile(
    r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|z|[+-]\d{2}:\d{2})$"
)


@dataclass(frozen=True)
class VerificationMethod:
    """A resolved public key with the identifiers that bind it."""

    id: str
    type: str
    controller: str
    public_key: PublicKey
    document: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    # CID 1.0 §2.2 (verification method properties): when the controller says the method
    # SHOULD cease to be used (``expires``) or MUST NOT be used (``revoked``); None when unsaid
    expires: str | None = None
    revoked: str | None = None


# --- did:key ---------------------------------------------------------------------------------


def did_key(public_key: PublicKey) -> str:
    """``did:key:`` + the Multikey value: the method-specific id *is* publicKeyMultibase."""
    return f"did:key:{public_key.multibase}"


def did_key_document(did: str, *, vm_type: str = "Multikey") -> dict[str, Any]:
    """The DID document of a ``did:key`` (did:key method §3.1.1, Multikey form)."""
    if not did.startswith("did:key:"):
        raise DidResolutionError(f"{did} is not a did:key", code="invalidDid")
    mb = did[len("did:key:") :]
    try:
        public = PublicKey.from_multibase(mb)
    except WeakKeyError as exc:  # keep its type: the verifier names it (a forgeable key)
        raise WeakKeyError(f"{did}: {exc.message}") from None
    except KeyFormatError as exc:
        raise DidResolutionError(f"{did}: {exc.message}", code="invalidPublicKey") from None
    vm_id = f"{did}#{mb}"
    contexts = [DID_V1, MULTIKEY_V1 if vm_type == "Multikey" else ED25519_2020_V1]
    return {
        "@context": contexts,
        "id": did,
        "verificationMethod": [
            {
                "id": vm_id,
                "type": vm_type,
                "controller": did,
                "publicKeyMultibase": public.multibase,
            }
        ],
        "authentication": [vm_id],
        "assertionMethod": [vm_id],
        "capabilityDelegation": [vm_id],
        "capabilityInvocation": [vm_id],
    }


# --- did:web ---------------------------------------------------------------------------------


def did_web(domain: str, *path: str) -> str:
    """``did:web`` for a host (port colon percent-encoded) and optional path segments."""
    host = domain.strip().lower().removeprefix("https://").rstrip("/")
    if not host or "/" in host or host.startswith("[") or _is_ip(host.split(":")[0]):
        raise DidResolutionError(f"{domain!r} is not a domain name for did:web", code="invalidDid")
    segments = [urllib.parse.quote(host, safe=".-")] + [
        urllib.parse.quote(p, safe="") for p in path
    ]
    return "did:web:" + ":".join(segments)


def _is_ip(host: str) -> bool:
    parts = host.split(".")
    return len(parts) == 4 and all(p.isdigit() for p in parts)


def did_web_url(did: str) -> str:
    """Where a ``did:web`` document lives (did:web spec §3.2 Read)."""
    if not did.startswith("did:web:") or "#" in did or "?" in did:
        raise DidResolutionError(f"{did} is not a did:web", code="invalidDid")
    segments = did[len("did:web:") :].split(":")
    if not segments[0]:
        raise DidResolutionError(f"{did} has no host", code="invalidDid")
    host = urllib.parse.unquote(segments[0])
    if "/" in host or "@" in host or _is_ip(host.split(":")[0]):
        raise DidResolutionError(f"{did}: invalid did:web host", code="invalidDid")
    path = "/".join(urllib.parse.unquote(s) for s in segments[1:])
    if ".." in path.split("/"):
        raise DidResolutionError(f"{did}: invalid did:web path", code="invalidDid")
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


def did_web_document(did: str, keys: Sequence[VerificationKey]) -> dict[str, Any]:
    """The document an issuer publishes at :func:`did_web_url` for its signing keys."""
    methods = []
    for key in keys:
        vm_id = key.id if key.id.startswith(did + "#") else f"{did}#{key.public_key.multibase}"
        methods.append(
            {
                "id": vm_id,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key.public_key.multibase,
            }
        )
    return methods_document(did, methods)


def methods_document(did: str, methods: list[dict[str, Any]]) -> dict[str, Any]:
    """A did:web document listing ``methods`` (Multikey objects, possibly carrying CID 1.0
    §2.2 ``expires`` / ``revoked``) under ``verificationMethod``, ``authentication`` and
    ``assertionMethod``: keys of a rotated issuer stay listed so older proofs still verify."""
    did_web_url(did)  # validates
    ids = [m["id"] for m in methods]
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": methods,
        "authentication": ids,
        "assertionMethod": ids,
    }


# --- resolution ------------------------------------------------------------------------------


class Resolver:
    """Resolves DIDs and verification method URLs.

    ``documents`` are controller documents the caller already trusts (by id); ``fetcher`` is used
    for ``did:web`` and ``https`` controller documents and is :class:`NoNetwork` unless given.
    """

    def __init__(
        self, *, fetcher: Fetcher | None = None, documents: dict[str, dict[str, Any]] | None = None
    ) -> None:
        self.fetcher: Fetcher = fetcher or NoNetwork()
        self.documents = dict(documents or {})

    def add_document(self, document: dict[str, Any]) -> None:
        self.documents[document["id"]] = document

    def resolve(self, did: str) -> dict[str, Any]:
        """The controller document for a DID (or an https controller document URL)."""
        if not isinstance(did, str):
            raise DidResolutionError("identifier must be a string")
        if did in self.documents:
            return self.documents[did]
        if did.startswith("did:key:"):
            return did_key_document(did)
        if did.startswith("did:web:"):
            return self._fetch(did, did_web_url(did))
        if did.startswith("https://"):
            return self._fetch(did, did)
        method = did.split(":")[1] if did.startswith("did:") and did.count(":") >= 2 else None
        if method:
            raise DidResolutionError(
                f"DID method did:{method} is not supported", code="methodNotSupported"
            )
        raise DidResolutionError(f"{did!r} is not a DID or https URL")

    def _fetch(self, identifier: str, url: str) -> dict[str, Any]:
        try:
            body = self.fetcher(url)
        except DidResolutionError:
            raise
        except Exception as exc:  # a fetcher is caller code: any failure means "not resolved"
            raise DidResolutionError(
                f"cannot resolve {identifier}: {exc}", code="notFound"
            ) from None
        if not isinstance(body, bytes | bytearray):
            raise DidResolutionError(f"{identifier}: the fetcher returned no bytes")
        if len(body) > _MAX_DOC_BYTES:
            raise DidResolutionError(f"{identifier}: document too large")
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise DidResolutionError(
                f"{identifier}: document is not JSON", code="invalidDidDocument"
            ) from None
        if not isinstance(doc, dict) or doc.get("id") != identifier:
            # CID 1.0 §3.3: the document's id must be the identifier that was dereferenced
            raise DidResolutionError(
                f"{identifier}: document id does not match",
                code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID",
            )
        return doc

    def resolve_verification_method(
        self, vm_url: str, purpose: str | None = "assertionMethod"
    ) -> VerificationMethod:
        """Dereference a verification method and check it may be used for ``purpose``.

        A ``did:key`` method is a pure function of its URL and the purpose (nothing is fetched),
        so its outcome is kept (:func:`_did_key_method`) unless this resolver could answer
        differently: a subclass's ``resolve``, or a document it was given for that DID.
        """
        if (
            type(vm_url) is str
            and (purpose is None or type(purpose) is str)
            and vm_url.startswith("did:key:")
            and type(self).resolve is Resolver.resolve
        ):
            base = vm_url.partition("#")[0]
            if base not in self.documents:
                vm_id, vm_type, controller, public_key = _did_key_method(vm_url, purpose)
                return VerificationMethod(
                    id=vm_id,
                    type=vm_type,
                    controller=controller,
                    public_key=public_key,
                    document=did_key_document(base),  # fresh: a caller may change it
                )
        return self._resolve_verification_method(vm_url, purpose)

    def _resolve_verification_method(self, vm_url: str, purpose: str | None) -> VerificationMethod:
        """The resolution itself (CID 1.0 §3.3), every check on every call."""
        if not isinstance(vm_url, str) or ":" not in vm_url:
            raise DidResolutionError(f"verification method {vm_url!r} is not a URL")
        base, _, fragment = vm_url.partition("#")
        if base.startswith("did:key:") and not fragment:
            # a bare did:key names its only key (seen in deployed OB 3.0 credentials)
            fragment = base[len("did:key:") :]
            vm_url = f"{base}#{fragment}"
        doc = self.resolve(base)
        if doc.get("id") != base:
            raise DidResolutionError(
                f"controller document id {doc.get('id')!r} is not {base}",
                code="INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID",
            )
        method = _find_method(doc, vm_url)
        if method is None:
            raise DidResolutionError(f"{vm_url} is not in the controller document of {base}")
        controller = method.get("controller")
        if controller != base:
            raise DidResolutionError(
                f"{vm_url} has controller {controller!r}, not {base}",
                code="INVALID_VERIFICATION_METHOD",
            )
        if purpose is not None and not _listed(doc, purpose, vm_url):
            raise DidResolutionError(
                f"{vm_url} is not listed under {purpose} of {base}",
                code="INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD",
            )
        return VerificationMethod(
            id=vm_url,
            type=str(method.get("type")),
            controller=base,
            public_key=_public_key(method),
            document=doc,
            expires=_validity_date(method, "expires"),
            revoked=_validity_date(method, "revoked"),
        )


@lru_cache(maxsize=1024)
def _did_key_method(vm_url: str, purpose: str | None) -> tuple[str, str, str, PublicKey]:
    """A did:key method's resolution (exact str arguments only); a failure is never kept."""
    method = Resolver()._resolve_verification_method(vm_url, purpose)
    return method.id, method.type, method.controller, method.public_key


def _absolute(doc_id: str, ref: Any) -> Any:
    return doc_id + ref if isinstance(ref, str) and ref.startswith("#") else ref


def _find_method(doc: dict[str, Any], vm_url: str) -> dict[str, Any] | None:
    candidates: list[Any] = []
    for key in ("verificationMethod", *RELATIONSHIPS):
        value = doc.get(key)
        candidates.extend(value if isinstance(value, list) else [value] if value else [])
    for entry in candidates:
        if isinstance(entry, dict) and _absolute(doc["id"], entry.get("id")) == vm_url:
            entry = dict(entry)
            entry["id"] = vm_url
            entry["controller"] = _absolute(doc["id"], entry.get("controller"))
            return entry
    return None


def _listed(doc: dict[str, Any], purpose: str, vm_url: str) -> bool:
    value = doc.get(purpose)
    entries = value if isinstance(value, list) else [value] if value else []
    for entry in entries:
        ref = entry.get("id") if isinstance(entry, dict) else entry
        if _absolute(doc["id"], ref) == vm_url:
            return True
    return False


def _validity_date(method: dict[str, Any], name: str) -> str | None:
    """CID 1.0 §2.2: ``expires`` / ``revoked``, if present, MUST be a dateTimeStamp. A value
    that is not one cannot be honoured, and ignoring it would accept what the controller
    withdrew: the method is refused (fail closed)."""
    value = method.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not _DATETIME_STAMP.match(value):
        raise DidResolutionError(
            f"verification method {method.get('id')}: {name} {value!r} is not an XML Schema "
            "dateTimeStamp (Controlled Identifiers 1.0 §2.2)",
            code="INVALID_VERIFICATION_METHOD",
        )
    return value


def _public_key(method: dict[str, Any]) -> PublicKey:
    """Ed25519 key material from the VM shapes deployed today (Multikey, 2020, 2018, JWK)."""
    try:
        if isinstance(method.get("publicKeyMultibase"), str):
            return PublicKey.from_multibase(method["publicKeyMultibase"])
        if isinstance(method.get("publicKeyJwk"), dict):
            jwk = method["publicKeyJwk"]
            if "d" in jwk:
                raise DidResolutionError("verification method publishes a private key")
            return PublicKey.from_jwk(jwk)
        if isinstance(method.get("publicKeyBase58"), str):
            return PublicKey(b58decode(method["publicKeyBase58"]))
    except WeakKeyError as exc:
        raise WeakKeyError(f"verification method {method.get('id')}: {exc.message}") from None
    except (KeyFormatError, ValueError) as exc:
        raise DidResolutionError(
            f"verification method {method.get('id')} has an invalid key: {exc}",
            code="INVALID_VERIFICATION_METHOD",
        ) from None
    raise DidResolutionError(
        f"verification method {method.get('id')} has no Ed25519 public key",
        code="INVALID_VERIFICATION_METHOD",
    )
