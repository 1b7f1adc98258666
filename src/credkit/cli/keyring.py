"""``credkit keys rotate | retire | revoke | reissue | list``: the workspace's key set.

What each does to the DID document and to diplomas already issued is in docs/keys-and-dids.md;
the output says what to publish next. No command prints a private key.
"""

from __future__ import annotations

import json

import click

from credkit.cli.common import friendly, write_json
from credkit.cli.keys import describe_protection, new_passphrase, unencrypted_option
from credkit.issuer import keyring
from credkit.issuer.workspace import Workspace

_ISSUER_DIR = click.option(
    "--issuer-dir", type=click.Path(file_okay=False), help="Workspace (default: .)."
)
_PUBLISH = (
    "publish the new DID document: `credkit site build` (static hosting) or restart "
    "`credkit serve` (it serves /.well-known/did.json from the key set)"
)


@click.command("list")
@_ISSUER_DIR
@click.option("--json", "as_json", is_flag=True, help="The key set as JSON.")
@click.option("--did-document", is_flag=True, help="Print the DID document the set publishes.")
@friendly
def keys_list(issuer_dir: str | None, as_json: bool, did_document: bool) -> None:
    """The workspace's keys: which one signs, which still verify, which are retired or gone."""
    ws = Workspace.open(issuer_dir or ".")
    if did_document:
        doc = keyring.workspace_did_document(ws, ws.key())
        if doc is None:
            raise keyring.KeySetError(f"{ws.issuer_did} is a did:key: it publishes no document")
        write_json(doc, None)
        return
    entries = keyring.key_set(ws)
    if as_json:
        click.echo(json.dumps(keyring.describe(entries), indent=2))
        return
    for e in entries:
        extra = ""
        if e.retired_after:
            extra = f"  retired from {e.retired_after}"
        if e.compromised_at:
            extra = f"  compromised at {e.compromised_at} (not published)"
        click.echo(f"{e.state:<12} {e.id}  {e.file}{extra}")


@click.command("rotate")
@_ISSUER_DIR
@unencrypted_option
@friendly
def keys_rotate(issuer_dir: str | None, unencrypted: bool) -> None:
    """Make a new signing key; the old one stays in the DID document, so every diploma
    already issued still verifies. did:web issuers only (a did:key is its key). The new key
    file is encrypted like `credkit init`'s (the same passphrase sources)."""
    ws = Workspace.open(issuer_dir or ".")
    keyring.refuse_did_key(ws, "rotate keys")  # before asking for a passphrase
    keyring.refuse_token_key(ws)
    secret = new_passphrase(str(ws.root / keyring.KEYS_DIR / "issuer-N.key"), unencrypted)
    store = ws.store()
    try:
        old, new = keyring.rotate(ws, store, passphrase=secret)
    finally:
        store.close()
    click.echo(f"new signing key: {new.id} ({new.file}, mode 0600; back it up)")
    describe_protection(secret is not None)
    click.echo(f"old key stays published (verifies what it signed): {old.id}")
    click.echo(f"next: {_PUBLISH}")


@click.command("retire")
@click.argument("key")
@click.option(
    "--after",
    required=True,
    help="Proofs by the key created at or after this date fail (2027-01-01 or a date-time).",
)
@_ISSUER_DIR
@friendly
def keys_retire(key: str, after: str, issuer_dir: str | None) -> None:
    """Retire KEY (an id, its #fragment, its publicKeyMultibase or its file): the DID
    document keeps it with `expires`, so proofs made before still verify and later ones fail."""
    ws = Workspace.open(issuer_dir or ".")
    store = ws.store()
    try:
        entry = keyring.retire(ws, store, key, after)
    finally:
        store.close()
    click.echo(f"retired {entry.id} from {entry.retired_after} (listed with expires)")
    click.echo(
        "verifiers that read expires (credkit does) refuse its proofs created from then on; "
        "others may not check it"
    )
    click.echo(f"next: {_PUBLISH}")


@click.command("revoke")
@click.argument("key")
@click.option(
    "--compromised-at",
    required=True,
    help="When the key may have been stolen (a date or date-time: the earliest possible).",
)
@_ISSUER_DIR
@friendly
def keys_revoke(key: str, compromised_at: str, issuer_dir: str | None) -> None:
    """KEY was stolen: remove it from the DID document and list the diplomas it signed.

    No proof by a stolen key can be trusted, whatever date it claims (the thief writes the
    date), so all of them stop verifying once the new DID document is published: sign them
    again with `credkit keys reissue --key KEY`. Nothing is revoked.
    """
    ws = Workspace.open(issuer_dir or ".")
    store = ws.store()
    try:
        entry, affected = keyring.revoke(ws, store, key, compromised_at)
    finally:
        store.close()
    click.echo(f"removed {entry.id} from the DID document (compromised at {entry.compromised_at})")
    click.echo(f"{len(affected)} diploma(s) in the store carry a proof by it:")
    for item in affected:
        mark = "  AFTER compromise" if item.after else ""
        click.echo(
            f"  {item.credential_id}  {item.subject_name or '?'}  {', '.join(item.created)}{mark}"
        )
    if affected:
        click.echo(
            "proofs marked AFTER claim a time after the compromise; the store recorded them as "
            "issued here, but check the audit log (`credkit audit --verify`) before trusting it"
        )
        click.echo(f"next: `credkit keys reissue --key {key}`, then {_PUBLISH}")
    else:
        click.echo(f"next: {_PUBLISH}")


@click.command("reissue")
@click.option("--key", "key_ref", required=True, help="The compromised (or retired) key.")
@click.option("--dry-run", is_flag=True, help="List what would be signed again; change nothing.")
@_ISSUER_DIR
@friendly
def keys_reissue(key_ref: str, dry_run: bool, issuer_dir: str | None) -> None:
    """Sign again, with the current key, every stored diploma KEY signed: same id, same
    status entries, new proofs; the files are written again and nothing is revoked."""
    ws = Workspace.open(issuer_dir or ".")
    store = ws.store()
    try:
        done = keyring.reissue(ws, store, ws.key(), key_ref, dry_run=dry_run)
    finally:
        store.close()
    verb = "would sign again" if dry_run else "signed again"
    click.echo(f"{verb} {len(done)} diploma(s) with the current key")
    for item in done:
        digest = "" if dry_run else f"  {item.old_digest[:12]} -> {item.new_digest[:12]}"
        click.echo(f"  {item.credential_id}  {item.path or '(no file)'}{digest}")
    if done and not dry_run:
        click.echo(
            "next: give graduates their new files (the ids and links are unchanged), and "
            f"{_PUBLISH}"
        )


COMMANDS = (keys_list, keys_rotate, keys_retire, keys_revoke, keys_reissue)
