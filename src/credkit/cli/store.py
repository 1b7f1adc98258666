"""``credkit store``: the issuer store's schema on PostgreSQL (SQLite migrates itself on open).

``credkit store migrate`` applies the versioned migrations a database lacks, once, even when
replicas start together (an advisory lock serializes it). Run it as the role that owns the
schema before starting ``credkit serve`` replicas; docs/scaling.md.
"""

from __future__ import annotations

import os

import click

from credkit.cli.common import fail, friendly
from credkit.issuer.workspace import STORE_URL_ENV, Workspace, check_store_url


@click.group("store")
def store() -> None:
    """The issuer store's schema on PostgreSQL (migrations)."""


@store.command("migrate")
@click.option(
    "--store",
    "store_url",
    help=f"postgresql://USER@HOST/DB[?schema=NAME] (default: {STORE_URL_ENV} or the workspace's).",
)
@click.option(
    "--issuer-dir",
    type=click.Path(file_okay=False),
    help="The workspace whose store to migrate (default: the current folder).",
)
@friendly
def migrate_command(store_url: str | None, issuer_dir: str | None) -> None:
    """Apply the schema migrations the store lacks; prints what was applied."""
    from credkit.issuer.store_pg import MIGRATIONS, StoreURL, migrate

    url = store_url or os.environ.get(STORE_URL_ENV)
    if store_url:
        check_store_url(store_url, "--store")
    if not url:
        ws = Workspace.open(issuer_dir or ".")
        if not ws.store_url:
            fail(
                f"{ws.root}: the store is SQLite ({ws.store_path}), which migrates itself on "
                "open; pass --store postgresql://… for a PostgreSQL store"
            )
        url = ws.store_url
    target = StoreURL.parse(url)
    applied = migrate(target)
    names = dict((version, name) for version, name, _ in MIGRATIONS)
    for version in applied:
        click.echo(f"applied {version}: {names[version]}")
    newest = max(names)
    click.echo(
        f"{target.redacted()}: at migration {newest}" + ("" if applied else " (nothing to do)")
    )
