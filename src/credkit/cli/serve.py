"""``credkit serve``, ``credkit site build`` and ``credkit host``: the issuer's web face.

``serve`` runs the VC-API, the hosted material and the verification page (uvicorn); ``site
build`` writes the same published material as static files; ``host add/remove/list`` decides
which diplomas are on the web at all. Runnable alone as ``python -m credkit.cli.serve``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from credkit.cli.common import fail, friendly, passphrase_option
from credkit.errors import CredkitError
from credkit.identity import passphrase as phrases
from credkit.issuer.workspace import CONFIG_NAME, Workspace

_ISSUER_DIR = click.option(
    "--issuer-dir",
    type=click.Path(file_okay=False),
    help="Issuer workspace (default: the current folder).",
)


def _workspace(issuer_dir: str | None) -> Workspace:
    return Workspace.open(issuer_dir or ".")


# --- serve -----------------------------------------------------------------------------------


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="PEM certificate.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="PEM private key.")
@click.option(
    "--issuer-dir",
    type=click.Path(file_okay=False),
    help="Issuer workspace to issue from and publish (default: the current folder if it holds "
    "one; otherwise the server only verifies).",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    help="Bearer tokens for issuing, one per line (or set CREDKIT_API_TOKEN). Without one, "
    "issuing and status changes are refused.",
)
@click.option(
    "--strict-token-file",
    is_flag=True,
    help="Refuse to start when group or others can read the token file (default: warn).",
)
@click.option("--trust", multiple=True, metavar="LIST", help="Trust list file (repeatable).")
@click.option("--trust-anchor", "anchors", multiple=True, metavar="DID")
@click.option(
    "--allow-network",
    is_flag=True,
    help="Let the verifier fetch other issuers' did:web documents and status lists.",
)
@click.option(
    "--allow-private-network",
    is_flag=True,
    help="With --allow-network, also reach loopback and private addresses (refused by default: "
    "docs/security.md).",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="A browser origin (https://app.example) allowed to call the VC-API (repeatable; none by "
    "default).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (one per CPU core is a good start); each has its own store "
    "connections and caches.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    # no "trace": uvicorn's trace log prints every request's headers, Authorization included
    type=click.Choice(["critical", "error", "warning", "info", "debug"], case_sensitive=False),
)
@passphrase_option
@friendly
def serve(
    host: str,
    port: int,
    tls_cert: str | None,
    tls_key: str | None,
    issuer_dir: str | None,
    token_file: str | None,
    strict_token_file: bool,
    trust: tuple[str, ...],
    anchors: tuple[str, ...],
    allow_network: bool,
    allow_private_network: bool,
    cors_origins: tuple[str, ...],
    workers: int,
    log_level: str,
) -> None:
    """Run the VC-API service, hosted diplomas and the verification page."""
    try:
        import uvicorn

        from credkit.server import ServerConfig, create_app, load_tokens
        from credkit.server.limits import log_config
        from credkit.server.slowpeers import protocol
    except ModuleNotFoundError as exc:
        fail(
            f"credkit serve needs the server extra ({exc.name} is missing): "
            "pip install 'credkit[server]'"
        )
    if bool(tls_cert) != bool(tls_key):
        fail("--tls-cert and --tls-key go together")
    if issuer_dir is None and (Path.cwd() / CONFIG_NAME).is_file():
        issuer_dir = "."
    config = ServerConfig(
        issuer_dir=Path(issuer_dir) if issuer_dir else None,
        tokens=load_tokens(token_file, dict(os.environ), strict_mode=strict_token_file),
        trust=trust,
        anchors=anchors,
        allow_network=allow_network,
        allow_private_network=allow_private_network,
        cors_origins=cors_origins,
    )
    app = create_app(config)
    state = app.state.credkit
    scheme = "https" if tls_cert else "http"
    click.echo(f"credkit server on {scheme}://{host}:{port}", err=True)
    if state.ws is not None:
        click.echo(f"  issuer:  {state.ws.issuer_name} ({state.ws.issuer_did})", err=True)
        click.echo(f"  publish: {state.ws.base_url or '(no publish.base_url)'}", err=True)
        click.echo(
            "  issuing: " + ("on (bearer token)" if state.issuing else "off (no token)"), err=True
        )
    else:
        click.echo("  verify only (no issuer workspace)", err=True)
    if host not in ("127.0.0.1", "::1", "localhost") and not tls_cert:
        click.echo("  warning: listening beyond this machine without TLS", err=True)
    settings: dict[str, Any] = {
        "host": host,
        "port": port,
        "ssl_certfile": tls_cert,
        "ssl_keyfile": tls_key,
        "log_level": log_level,
        "server_header": False,
        "log_config": log_config(),  # no query strings in the access log
        "http": protocol(),  # request headers within 10 s
    }
    if workers > 1:
        from credkit.server.app import WORKER_CONFIG_ENV, worker_settings

        click.echo(f"  workers: {workers} processes", err=True)
        # the app built above only checked the settings; each worker builds its own, and
        # opens the key with the passphrase this process was given (inherited environment:
        # readable by this user only, never argv)
        phrases.share_with_children()
        os.environ[WORKER_CONFIG_ENV] = worker_settings(
            issuer_dir,
            token_file,
            trust,
            anchors,
            allow_network,
            allow_private_network,
            cors_origins,
        )
        uvicorn.run("credkit.server.app:worker_app", factory=True, workers=workers, **settings)
        return
    uvicorn.run(app, **settings)


# --- site ------------------------------------------------------------------------------------


@click.group("site")
def site() -> None:
    """The published material as static files, for a static web host."""


@site.command("build")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Output folder.")
@_ISSUER_DIR
@passphrase_option
@friendly
def site_build(out: str, issuer_dir: str | None) -> None:
    """Write did.json, signed status lists, the issuer profile and hosted diplomas to OUT."""
    from credkit.issuer.site import build_site

    ws = _workspace(issuer_dir)
    written = build_site(ws, out)
    click.echo(f"wrote {len(written)} files to {out}; publish it at {ws.base_url}")


# --- host ------------------------------------------------------------------------------------


@click.group("host")
def host() -> None:
    """Choose which issued diplomas are on the web (at {base_url}/c/ID)."""


def _load(path: str) -> dict[str, object]:
    document = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    if not isinstance(document, dict):
        raise CredkitError(f"{path} is not a credential (a JSON object)")
    return document


@host.command("add")
@click.argument("diplomas", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--all", "every", is_flag=True, help="Host every diploma in the store.")
@_ISSUER_DIR
@friendly
def host_add(diplomas: tuple[str, ...], every: bool, issuer_dir: str | None) -> None:
    """Host DIPLOMA.json files (or --all); prints each link for its QR code."""
    from credkit.issuer.hosting import HostedTable, host, stored_document

    if bool(diplomas) == every:
        fail("name diploma files, or pass --all")
    ws = _workspace(issuer_dir)
    store = ws.store()
    table = HostedTable.open(ws)
    try:
        documents = (
            [stored_document(store, r.id) for r in store.credentials()]
            if every
            else [_load(p) for p in diplomas]
        )
        for document in documents:
            click.echo(f"{document.get('id')}  {host(ws, store, table, dict(document))}")
    finally:
        table.close()
        store.close()


@host.command("remove")
@click.argument("refs", nargs=-1, required=True)
@_ISSUER_DIR
@friendly
def host_remove(refs: tuple[str, ...], issuer_dir: str | None) -> None:
    """Stop hosting: a diploma file, its credential id, or its link id."""
    from credkit.issuer.hosting import HostedTable

    ws = _workspace(issuer_dir)
    table = HostedTable.open(ws)
    missing = 0
    try:
        for ref in refs:
            key = ref
            if Path(ref).is_file():
                key = str(_load(ref).get("id"))
            elif "/c/" in ref:
                key = ref.rstrip("/").rsplit("/", 1)[-1]
            if table.remove(key):
                click.echo(f"{ref}: no longer hosted")
            else:
                click.echo(f"{ref}: was not hosted", err=True)
                missing += 1
    finally:
        table.close()
    sys.exit(1 if missing else 0)


@host.command("list")
@_ISSUER_DIR
@friendly
def host_list(issuer_dir: str | None) -> None:
    """Hosted diplomas and their links."""
    from credkit.issuer.hosting import HostedTable

    ws = _workspace(issuer_dir)
    table = HostedTable.open(ws)
    try:
        base = (ws.base_url or "").rstrip("/")
        for item in table.all():
            click.echo(f"{item.credential_id}  {base}/c/{item.link_id}  (since {item.added_at})")
    finally:
        table.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """credkit's web commands (also registered in the main ``credkit`` command)."""


main.add_command(serve)
main.add_command(site)
main.add_command(host)

__all__ = ["host", "main", "serve", "site"]

if __name__ == "__main__":  # python -m credkit.cli.serve
    main()
