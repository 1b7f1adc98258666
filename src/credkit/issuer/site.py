"""``credkit site build``: everything the server publishes, as files for a static web host.

The folder mirrors ``publish.base_url``: ``status/N`` (signed lists), ``issuer`` and
``issuer.json`` (the profile), ``c/ID.json`` and ``c/ID/index.html`` (hosted diplomas), and the
did:web document at its own path. A ``_headers`` file gives the media types to hosts that read
one (Netlify, Cloudflare Pages); other hosts need the same set in their config (docs/server.md).
Pages carry the verification made at build time with its date: rebuild after every revocation,
as the status lists must be republished then anyway.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from credkit.atomic import write_atomic
from credkit.errors import StatusRetrievalError
from credkit.identity.did import Resolver
from credkit.issuer.hosting import (
    HostedTable,
    StatusListSigner,
    did_document,
    did_document_path,
    issuer_profile,
    stored_document,
)
from credkit.issuer.workspace import Workspace
from credkit.verify.report import render_status
from credkit.verify.verifier import Verifier

HEADERS_FILE = """\
/status/*
  Content-Type: application/vc+ld+json
  Access-Control-Allow-Origin: *
  Cache-Control: public, max-age=300
/c/*.json
  Content-Type: application/vc+ld+json
  Access-Control-Allow-Origin: *
/issuer
  Content-Type: application/json
  Access-Control-Allow-Origin: *
/.well-known/did.json
  Content-Type: application/did+json
  Access-Control-Allow-Origin: *
"""


def _write_json(path: Path, document: Any) -> Path:
    body = json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    write_atomic(path, body)
    return path


def _relative(url: str, base: str) -> str:
    if not url.startswith(base + "/"):
        raise ValueError(f"{url} is not under the base URL {base}")
    path = urlsplit(url[len(base) :]).path.strip("/")
    if not path or any(p in ("", ".", "..") for p in path.split("/")):
        raise ValueError(f"refusing to write {url}")
    return path


def build_site(ws: Workspace, out: str | os.PathLike[str]) -> list[Path]:
    """Write the issuer's published material under ``out``; returns the files written."""
    from credkit.share.linkedin import linkedin_link
    from credkit.share.qr import make_symbol, svg
    from credkit.share.render import render_html

    base = ws.require_base_url().rstrip("/")
    root = Path(out)
    key = ws.key()
    store = ws.store()
    table = HostedTable.open(ws)
    signer = StatusListSigner(ws, key)
    written: list[Path] = []
    try:
        lists: dict[str, dict[str, Any]] = {}
        for list_id in table.list_ids():
            signed = signer.signed(table, list_id)
            if signed is None:
                continue
            lists[signed["id"]] = signed
            written.append(_write_json(root / _relative(signed["id"], base), signed))
        own = did_document(ws, key)
        own_path = did_document_path(ws)
        if own is not None and own_path is not None:
            written.append(_write_json(root / own_path.lstrip("/"), own))
        profile = issuer_profile(ws)
        written.append(_write_json(root / "issuer", profile))
        written.append(_write_json(root / "issuer.json", profile))

        def fetch(url: str) -> dict[str, Any]:
            if url in lists:
                return lists[url]
            raise StatusRetrievalError(f"status list {url} is not this issuer's")

        verifier = Verifier(
            resolver=Resolver(documents={own["id"]: own} if own else None),
            status_fetcher=fetch,
        )
        checked = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for item in table.all():
            try:
                credential = stored_document(store, item.credential_id)
            except Exception:  # a record removed from the store: nothing left to publish
                continue
            link = f"{base}/c/{item.link_id}"
            written.append(_write_json(root / "c" / f"{item.link_id}.json", credential))
            page = render_html(
                credential,
                qr_svg=svg(make_symbol(link, ecc="Q"), xml_declaration=False),
                link=link,
                verification=render_status(verifier.verify_credential(credential), checked),
                linkedin=linkedin_link(credential, base),
                wallet_hint=True,
            )
            path = root / "c" / item.link_id / "index.html"
            write_atomic(path, page.encode("utf-8"))
            written.append(path)
        write_atomic(root / "_headers", HEADERS_FILE.encode("utf-8"))
        written.append(root / "_headers")
    finally:
        table.close()
        store.close()
    return written
