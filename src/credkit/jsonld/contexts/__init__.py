"""The JSON-LD contexts credkit ships, and an offline document loader that serves only them.

Why offline: a context defines what a signed document means. Fetching one at verification time lets
whoever controls the URL change that meaning, leaks which credentials a verifier checks, and is an
SSRF surface (VC Data Integrity 1.0 §2.4.1, §5.14). So every context is shipped byte-identical to
its published copy, its SHA-256 pinned in ``index.json`` and re-checked when first read; anything
else must be registered explicitly by the caller, and is otherwise
refused with the URL in the message.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from credkit.errors import ContextError

VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
ED25519_2020_V1 = "https://w3id.org/security/suites/ed25519-2020/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"
CID_V1 = "https://www.w3.org/ns/cid/v1"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
UNDEFINED_TERMS_V2 = "https://www.w3.org/ns/credentials/undefined-terms/v2"


@dataclass(frozen=True)
class ShippedContext:
    url: str
    file: str
    sha256: str
    source: str


@cache
def shipped() -> dict[str, ShippedContext]:
    """The contexts in the package, by URL (from ``index.json``)."""
    index = json.loads(resources.files(__package__).joinpath("index.json").read_text("utf-8"))
    return {
        url: ShippedContext(url, entry["file"], entry["sha256"], entry.get("source", ""))
        for url, entry in index["contexts"].items()
    }


def read_bytes(url: str) -> bytes:
    """The shipped file's bytes, after checking them against the pinned hash."""
    entry = shipped().get(url)
    if entry is None:
        raise ContextError(f"context {url} is not shipped with credkit")
    data = resources.files(__package__).joinpath("files", entry.file).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry.sha256:
        raise ContextError(f"shipped context {url} fails its hash check ({digest})")
    return data


@cache
def _parsed(url: str) -> Any:
    return json.loads(read_bytes(url))


def get(url: str) -> Any:
    """A parsed shipped context (shared; do not mutate)."""
    return _parsed(url)


class DocumentLoader:
    """A pyld document loader that never touches the network.

    ``extra`` maps URLs to documents the caller vouches for (its own contexts, or a DID document it
    resolved itself). Only the shipped, hash-pinned contexts are tagged ``static``, which lets pyld
    keep their processed form process-wide; caller documents are not, so two loaders that register
    different documents under one URL cannot see each other's.
    """

    def __init__(self, extra: dict[str, Any] | None = None) -> None:
        self._extra: dict[str, Any] = dict(extra or {})

    def register(self, url: str, document: Any) -> None:
        self._extra[url] = document

    def known(self, url: str) -> bool:
        return url in self._extra or url in shipped()

    def load(self, url: str) -> Any:
        """The document for ``url``, or :class:`ContextError` naming the refused URL.

        A caller's document is handed out as a fresh copy each time: pyld writes into the
        contexts it is given (``@import``, relative URL resolution), and a write into the
        registered original would change what every later document means.
        """
        if url in self._extra:
            return copy.deepcopy(self._extra[url])
        if url in shipped():
            return _parsed(url)
        raise ContextError(
            f"JSON-LD context {url} is not one credkit ships or that was registered; "
            "credkit never fetches contexts from the network"
        )

    def __call__(self, url: str, options: Any = None) -> dict[str, Any]:
        document = self.load(url)
        result: dict[str, Any] = {"contextUrl": None, "documentUrl": url, "document": document}
        if url not in self._extra:
            result["tag"] = "static"
        return result


DEFAULT_LOADER = DocumentLoader()

# A document with more @import entries than this is refused rather than processed (each one
# copies a whole context): real documents carry none.
MAX_IMPORTS = 16

PyldLoader = Callable[[str, Any], Any]
"""A pyld document loader: ``(url, options)`` to pyld's remote-document dict."""


def context_sites(document: Any) -> Iterator[tuple[Any, str]]:
    """Every ``@context`` value anywhere in ``document``, with the JSON path of the node that
    holds it (``$`` for the top), depth first: the one walk the verifier's context check and the
    JCS suite's nested-context check share."""
    stack: list[tuple[Any, str]] = [(document, "$")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node))
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    yield value, path
                else:
                    stack.append((value, f"{path}.{key}"))


def inline_imports(local: Any, loader: PyldLoader) -> Any:
    """A local context with its ``@import`` merged in, as a fresh object (JSON-LD 1.1 API
    §4.1.2 step 5.6): the imported context (a single map) with the local entries winning.

    pyld 3.3.0 does that merge *in place*, into the imported document it keeps process-wide --
    credkit's shared, hash-pinned parsed context -- so one crafted document changed what every
    later one meant (issue 13 §3); it also sometimes merges a processed context instead of the
    document. Called on every local context before pyld processes it, so pyld never sees an
    ``@import`` and every loaded context stays as shipped. ``local`` itself is returned when it
    holds none; ``loader`` is the pyld document loader in use.
    """
    if isinstance(local, list):
        if not any(isinstance(item, dict) and "@import" in item for item in local):
            return local
        return [inline_imports(item, loader) for item in local]
    if not isinstance(local, dict) or "@import" not in local:
        return local
    url = local["@import"]
    if not isinstance(url, str):  # step 5.6.2
        raise ContextError("invalid @import value: it must be a string (JSON-LD 1.1 §4.1.2)")
    if ":" not in url:  # step 5.6.3, with no base IRI to resolve against
        raise ContextError(f"invalid @import value: {url!r} is not an absolute URL")
    remote = loader(url, {}).get("document")
    imported = remote.get("@context") if isinstance(remote, dict) else None
    if not isinstance(imported, dict):  # step 5.6.6
        raise ContextError(f"invalid remote context: @import {url} is not a single context map")
    if "@import" in imported:  # step 5.6.7
        raise ContextError(f"invalid context entry: the context {url} itself holds @import")
    merged = copy.deepcopy(imported)
    merged.update({k: v for k, v in local.items() if k != "@import"})  # step 5.6.8
    return merged
