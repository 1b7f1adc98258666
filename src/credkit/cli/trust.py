"""``credkit trust``: the employer's saved trust lists (add once, every ``verify`` uses them).

See :mod:`credkit.verify.truststore` for what is checked and where lists are kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from credkit.cli.common import fail, friendly
from credkit.fetch import FetchError, HttpFetcher
from credkit.verify.trust import MAX_LIST_BYTES
from credkit.verify.truststore import SavedList, TrustStore


@click.group("trust")
def trust() -> None:
    """Trust lists signed by an accrediting body: add once, every `verify` uses them."""


def _describe(saved: SavedList) -> list[str]:
    state = "EXPIRED, no longer used" if saved.expired() else "valid"
    until = f"until {saved.valid_until}" if saved.valid_until else "no expiry date"
    lines = [
        f"{saved.name}  [{saved.key}]",
        f"  signed by:  {saved.vouched_by} (the accreditor you named)",
        f"  from:       {saved.source}, added {saved.added}",
        f"  expiry:     {until} ({state})",
        f"  issuers:    {len(saved.issuers)}",
    ]
    lines.extend(f"    {did}  {name or '(no name given)'}" for did, name in saved.issuers.items())
    return lines


@trust.command("add")
@click.argument("source", metavar="URL|FILE")
@click.option(
    "--accreditor",
    required=True,
    metavar="DID",
    help="The accrediting body you believe: the list must be signed by this DID.",
)
@click.option(
    "--allow-private-network",
    is_flag=True,
    help="Also fetch from loopback and private addresses (refused by default).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the saved list as JSON.")
@friendly
def trust_add(source: str, accreditor: str, allow_private_network: bool, as_json: bool) -> None:
    """Fetch a signed trust list (https URL, or a local FILE), check it, and save it.

    The list must be an IssuerTrustList credential whose signature verifies and whose issuer is
    the --accreditor DID. Saved in $XDG_CONFIG_HOME/credkit/trust (or $CREDKIT_TRUST_DIR); every
    `credkit verify` then uses it, judging it again each time (expiry, revocation).
    """
    from credkit.cli.verify import build_verifier

    if "://" in source:
        fetch = HttpFetcher(
            what="trust list",
            max_bytes=MAX_LIST_BYTES,
            allow_private_network=allow_private_network,
        )
        try:
            data = fetch(source)
        except FetchError as exc:
            fail(f"{exc} ({source}): check the URL, or download the list and add the file")
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            name = Path(source).name
            fail(f"cannot read trust list ({name}): {exc.strerror or exc}; give a URL or a file")
    verifier = build_verifier(
        trust=(),
        anchors=(),
        at=None,
        allow_network=True,  # the accreditor's did:web key and the list's own status
        status_dir=None,
        strict=False,
        max_bytes=MAX_LIST_BYTES,
        allow_private_network=allow_private_network,
    )
    saved = TrustStore().add(data, source=source, accreditor=accreditor, verifier=verifier)
    if as_json:
        click.echo(json.dumps(saved.to_json(), indent=2, ensure_ascii=False))
        return
    click.echo(f"added trust list '{saved.name}', signed by {saved.vouched_by}")
    for line in _describe(saved)[1:]:
        click.echo(line)


@trust.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the saved lists as JSON.")
@friendly
def trust_list(as_json: bool) -> None:
    """Show the saved trust lists: name, accreditor, expiry and the issuers each names."""
    store = TrustStore()
    saved = store.saved()
    if as_json:
        click.echo(json.dumps([s.to_json() for s in saved], indent=2, ensure_ascii=False))
        return
    if not saved:
        click.echo(
            "no saved trust lists: add your accreditor's with "
            "`credkit trust add URL --accreditor DID`"
        )
        return
    for s in saved:
        for line in _describe(s):
            click.echo(line)


@trust.command("remove")
@click.argument("what", metavar="KEY|NAME|SOURCE|ACCREDITOR")
@friendly
def trust_remove(what: str) -> None:
    """Stop using a saved trust list (named by its key, name, source or accreditor DID)."""
    gone = TrustStore().remove(what)
    if not gone:
        fail(f"no saved trust list matches ({what}): see `credkit trust list` for their keys")
    for s in gone:
        click.echo(f"removed trust list '{s.name}' [{s.key}]")


__all__ = ["trust"]
