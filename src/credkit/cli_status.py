"""``credkit status``: revoke, suspend, reinstate, show and publish, over an explicit store file.

Kept apart from :mod:`credkit.cli` until the issuer workspace exists; the lead mounts it with
``main.add_command(status)``. It imports nothing from ``credkit.cli`` so that mounting cannot
create an import cycle. Errors are one line on stderr and exit code 2, as in the main CLI.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import click

from credkit.errors import CredkitError
from credkit.keys import KeyPair
from credkit.status import publish
from credkit.store import SqliteStore

F = TypeVar("F", bound=Callable[..., Any])


def _friendly(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CredkitError as exc:
            click.echo(f"credkit: error: {exc.message}", err=True)
            sys.exit(2)
        except OSError as exc:
            click.echo(f"credkit: error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _store(ctx: click.Context) -> SqliteStore:
    obj: dict[str, Any] = ctx.ensure_object(dict)
    store: SqliteStore = obj["store"]
    return store


@click.group("status")
@click.option(
    "--store",
    "store_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The issuer store (SQLite file).",
)
@click.option("--base-url", help="Where status lists are published (fixed at first use).")
@click.pass_context
@_friendly
def status(ctx: click.Context, store_path: str, base_url: str | None) -> None:
    """Revoke or suspend issued credentials and publish the status lists."""
    store = SqliteStore(store_path, base_url=base_url)
    ctx.ensure_object(dict)["store"] = store
    ctx.call_on_close(store.close)


def _change(
    ctx: click.Context, credential_id: str, purpose: str, value: int, reason: str | None, done: str
) -> None:
    changed = _store(ctx).set_status(credential_id, purpose, value, reason=reason)
    click.echo(f"{credential_id}: {done}" if changed else f"{credential_id}: already {done}")
    if changed:
        click.echo("run `credkit status publish` to make the change visible to verifiers")


@status.command("revoke")
@click.argument("credential_id")
@click.option("--reason", help="Kept in the store's change log, never published.")
@click.pass_context
@_friendly
def revoke(ctx: click.Context, credential_id: str, reason: str | None) -> None:
    """Revoke a credential. This is final (Bitstring Status List §2.1)."""
    _change(ctx, credential_id, "revocation", 1, reason, "revoked")


@status.command("suspend")
@click.argument("credential_id")
@click.option("--reason")
@click.pass_context
@_friendly
def suspend(ctx: click.Context, credential_id: str, reason: str | None) -> None:
    """Suspend a credential until it is reinstated."""
    _change(ctx, credential_id, "suspension", 1, reason, "suspended")


@status.command("reinstate")
@click.argument("credential_id")
@click.option("--reason")
@click.pass_context
@_friendly
def reinstate(ctx: click.Context, credential_id: str, reason: str | None) -> None:
    """Lift a suspension (a revocation cannot be lifted)."""
    _change(ctx, credential_id, "suspension", 0, reason, "reinstated")


@status.command("show")
@click.argument("credential_id", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_friendly
def show(ctx: click.Context, credential_id: str | None, as_json: bool) -> None:
    """One credential's status and history, or (without an id) the status lists."""
    store = _store(ctx)
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
    for purpose, value in states.items():
        click.echo(f"{purpose}: {'set' if value else 'not set'}")
    for h in history:
        click.echo(f"  {h.at}  {h.purpose} -> {h.value}" + (f"  ({h.reason})" if h.reason else ""))


@status.command("publish")
@click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--cryptosuite", default="eddsa-rdfc-2022", show_default=True)
@click.option("--ttl-ms", type=click.IntRange(min=1), help="How long verifiers may cache a list.")
@click.option("--valid-days", type=click.IntRange(min=1), help="Set validUntil this far ahead.")
@click.pass_context
@_friendly
def publish_cmd(
    ctx: click.Context,
    key_file: str,
    out_dir: str,
    cryptosuite: str,
    ttl_ms: int | None,
    valid_days: int | None,
) -> None:
    """Sign every status list and write it under OUT, laid out by URL path below the base URL."""
    store = _store(ctx)
    if store.base_url is None:
        raise click.UsageError("the store has no base URL yet; pass --base-url")
    written = publish(
        store,
        KeyPair.load(key_file),
        out_dir,
        store.base_url,
        cryptosuite=cryptosuite,
        ttl=ttl_ms,
        valid_for=timedelta(days=valid_days) if valid_days else None,
    )
    for path in written:
        click.echo(str(path))
    click.echo(f"copy {out_dir} to {store.base_url}/ on the web host")
