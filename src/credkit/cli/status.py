"""``credkit status``: revoke, suspend, reinstate, show and publish for an issuer.

The store, key and base URL come from the issuer workspace (``--issuer-dir``, default: the current
folder), or from explicit ``--store``/``--key``/``--base-url`` for a store kept elsewhere.
Errors are one line on stderr and exit code 2, as in the main CLI.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from credkit.cli.common import SUITE_NAMES, passphrase_option
from credkit.cli.common import friendly as _friendly
from credkit.errors import StoreError
from credkit.identity.keys import KeyPair
from credkit.issuer.ledger import find_diploma
from credkit.issuer.store import SqlIssuerStore, SqliteStore
from credkit.issuer.workspace import CONFIG_NAME, Workspace, check_store_url, is_store_url
from credkit.status import publish

_ISSUER_DIR = click.option(
    "--issuer-dir",
    type=click.Path(file_okay=False),
    help="Issuer workspace (default: the current folder).",
)


def _settings(ctx: click.Context) -> dict[str, Any]:
    return ctx.ensure_object(dict)


def _workspace(ctx: click.Context) -> Workspace | None:
    obj = _settings(ctx)
    folder = obj.get("issuer_dir")
    if folder is None and obj.get("store_path") is None:
        folder = "."
    if folder is None:
        return None
    if obj.get("store_path") is not None and not (Path(folder) / CONFIG_NAME).exists():
        return None
    return Workspace.open(folder)


def _store(ctx: click.Context) -> SqlIssuerStore:
    obj = _settings(ctx)
    if "store" not in obj:
        ws = _workspace(ctx)
        path = obj.get("store_path") or (ws.store_path if ws else None)
        if path is None:
            raise StoreError("no issuer store: pass --issuer-dir or --store")
        base_url = obj.get("base_url") or (ws.base_url if ws else None)
        store: SqlIssuerStore
        url = ws.store_url if ws is not None and obj.get("store_path") is None else None
        if url is None and is_store_url(path):
            check_store_url(str(path), "--store")  # no password in argv: PGPASSWORD instead
            url = str(path)
        if url:
            from credkit.issuer.store_pg import PostgresStore

            store = PostgresStore(url, base_url=base_url)
        else:
            store = SqliteStore(path, base_url=base_url)
        obj["store"] = store
        ctx.find_root().call_on_close(store.close)
    store_obj: SqlIssuerStore = obj["store"]
    return store_obj


def _use_dir(ctx: click.Context, issuer_dir: str | None) -> None:
    if issuer_dir is not None:
        _settings(ctx)["issuer_dir"] = issuer_dir


def _credential_id(ctx: click.Context, ref: str) -> str:
    """The credential id ``ref`` names: an id, a roster id, an email or a diploma file."""
    return find_diploma(_store(ctx), ref)


@click.group("status")
@_ISSUER_DIR
@click.option(
    "--store",
    "store_path",
    type=click.Path(dir_okay=False),
    help="The issuer store when not using a workspace: a SQLite file or a "
    "postgresql://USER@HOST/DB[?schema=NAME] URL (password from PGPASSWORD).",
)
@click.option("--base-url", help="Where status lists are published (fixed at first use).")
@click.pass_context
def status(
    ctx: click.Context, issuer_dir: str | None, store_path: str | None, base_url: str | None
) -> None:
    """Revoke or suspend issued credentials and publish the status lists."""
    obj = ctx.ensure_object(dict)
    obj.update(issuer_dir=issuer_dir, store_path=store_path, base_url=base_url)


def _change(
    ctx: click.Context, credential_id: str, purpose: str, value: int, reason: str | None, done: str
) -> None:
    credential_id = _credential_id(ctx, credential_id)
    changed = _store(ctx).set_status(credential_id, purpose, value, reason=reason)
    click.echo(f"{credential_id}: {done}" if changed else f"{credential_id}: already {done}")
    if changed:
        click.echo("run `credkit status publish` to make the change visible to verifiers")


def _status_change(name: str, purpose: str, value: int, done: str, doc: str) -> None:
    """Register ``credkit status NAME``: the three changes differ only in what they set."""

    @status.command(name, help=doc + _TARGET_HELP)
    @click.argument("credential_id", metavar="DIPLOMA")
    @_ISSUER_DIR
    @click.option("--reason", help="Kept in the store's change log, never published.")
    @click.pass_context
    @_friendly
    def command(
        ctx: click.Context, credential_id: str, issuer_dir: str | None, reason: str | None
    ) -> None:
        _use_dir(ctx, issuer_dir)
        _change(ctx, credential_id, purpose, value, reason, done)


_TARGET_HELP = (
    "\n\nDIPLOMA is the diploma's id (urn:uuid:...), its file, the graduate's email or roster "
    "id; `credkit list` shows them."
)

_status_change(
    "revoke", "revocation", 1, "revoked", "Revoke a credential. This is final (BSL §2.1)."
)
_status_change("suspend", "suspension", 1, "suspended", "Suspend a credential until reinstated.")
_status_change(
    "reinstate", "suspension", 0, "reinstated", "Lift a suspension (a revocation cannot be lifted)."
)


@status.command("message")
@click.argument("credential_id")
@click.argument("value")
@_ISSUER_DIR
@click.option("--reason", help="Kept in the store's change log, never published.")
@click.pass_context
@_friendly
def message_cmd(
    ctx: click.Context, credential_id: str, value: str, issuer_dir: str | None, reason: str | None
) -> None:
    """Set a credential's message status to VALUE (0x2, or 2, or the message's own text).

    The credential must have been issued with a ``message`` entry; VALUE must be one its
    statusMessage names (Bitstring Status List §2.1).
    """
    _use_dir(ctx, issuer_dir)
    credential_id = _credential_id(ctx, credential_id)
    table = _store(ctx).status_messages(credential_id).get("message")
    if table is None:
        raise StoreError(f"credential {credential_id} was issued without a message entry")
    text = value.strip()
    if text.lower().startswith("0x") and all(c in "0123456789abcdefABCDEF" for c in text[2:]):
        number = int(text, 16) if len(text) > 2 else -1
    elif text.isdigit():
        number = int(text)
    else:
        named = [v for v, m in table.items() if m == text]
        number = named[0] if len(named) == 1 else -1
    if number not in table:
        choices = ", ".join(f"{v:#x} {m!r}" for v, m in sorted(table.items()))
        raise StoreError(f"{value!r} is not one of this entry's statuses: {choices}")
    _change(ctx, credential_id, "message", number, reason, f"{number:#x} {table[number]}")


@status.command("show")
@click.argument("credential_id", required=False)
@_ISSUER_DIR
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_friendly
def show(
    ctx: click.Context, credential_id: str | None, issuer_dir: str | None, as_json: bool
) -> None:
    """One credential's status and history, or (without an id) the status lists."""
    _use_dir(ctx, issuer_dir)
    store = _store(ctx)
    credential_id = _credential_id(ctx, credential_id) if credential_id else None
    if credential_id is None:
        lists = store.lists()
        if as_json:
            click.echo(json.dumps([vars(i) for i in lists], indent=2))
            return
        for i in lists:
            click.echo(
                f"{i.url}  {i.purpose:<10}  {i.allocated}/{i.length} allocated  "
                f"{i.set_count} set  version {i.version}"
            )
        return
    record = store.credential(credential_id)
    states = store.get_status(credential_id)
    history = store.history(credential_id)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "id": credential_id,
                    "status": states,
                    "entries": record.status_entries if record else [],
                    "history": [vars(h) for h in history],
                },
                indent=2,
            )
        )
        return
    messages = store.status_messages(credential_id)
    for purpose, value in states.items():
        if purpose in messages:
            click.echo(f"{purpose}: {value:#x} {messages[purpose].get(value, '?')}")
        else:
            click.echo(f"{purpose}: {'set' if value else 'not set'}")
    for h in history:
        click.echo(f"  {h.at}  {h.purpose} -> {h.value}" + (f"  ({h.reason})" if h.reason else ""))


@status.command("publish")
@_ISSUER_DIR
@click.option(
    "--key", "key_file", type=click.Path(dir_okay=False), help="Default: the workspace's."
)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option(
    "--cryptosuite",
    type=click.Choice(SUITE_NAMES),
    default="eddsa-rdfc-2022",
    show_default=True,
    help="Sign the lists as the diplomas are (Bitstring Status List §6.3).",
)
@click.option("--ttl-ms", type=click.IntRange(min=1), help="How long verifiers may cache a list.")
@click.option("--valid-days", type=click.IntRange(min=1), help="Set validUntil this far ahead.")
@passphrase_option
@click.pass_context
@_friendly
def publish_cmd(
    ctx: click.Context,
    issuer_dir: str | None,
    key_file: str | None,
    out_dir: str,
    cryptosuite: str,
    ttl_ms: int | None,
    valid_days: int | None,
) -> None:
    """Sign every status list and write it under OUT, laid out by URL path below the base URL."""
    _use_dir(ctx, issuer_dir)
    store = _store(ctx)
    ws = _workspace(ctx)
    if key_file is None and ws is None:
        raise click.UsageError("pass --key (or --issuer-dir for a workspace)")
    key = KeyPair.load(key_file) if key_file else ws.key()  # type: ignore[union-attr]
    if store.base_url is None:
        raise click.UsageError("the store has no base URL yet; pass --base-url")
    written = publish(
        store,
        key,
        out_dir,
        store.base_url,
        cryptosuite=cryptosuite,
        ttl=ttl_ms,
        valid_for=timedelta(days=valid_days) if valid_days else None,
    )
    for path in written:
        click.echo(str(path))
    click.echo(f"copy {out_dir} to {store.base_url}/ on the web host")
