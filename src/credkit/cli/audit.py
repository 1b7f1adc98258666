"""``credkit audit``: show the issuer's hash-chained audit log, and check it.

Exit status: 0 (shown, or checked whole), 2 when ``--verify`` finds a break (an edited, deleted
or cut-off entry): the first break is named on stderr.
"""

from __future__ import annotations

import json

import click

from credkit.cli.common import fail, friendly
from credkit.issuer.workspace import Workspace


@click.command("audit")
@click.option("--issuer-dir", type=click.Path(file_okay=False), help="Workspace (default: .).")
@click.option("--verify", "check", is_flag=True, help="Check the hash chain; exit 2 on a break.")
@click.option("--json", "as_json", is_flag=True, help="Entries (and the check) as JSON.")
@click.option("--credential", "credential_id", help="Only the entries of this diploma id.")
@friendly
def audit(issuer_dir: str | None, check: bool, as_json: bool, credential_id: str | None) -> None:
    """Every issuance, re-issue, status change, offer and key event, oldest first.

    Each entry commits to the one before it (SHA-256), so --verify sees an edited or deleted
    entry, and one cut off the end. Keep the last hash (--json: "head") elsewhere: someone who
    can rewrite the whole file can rewrite the whole chain.
    """
    ws = Workspace.open(issuer_dir or ".")
    store = ws.store()
    try:
        entries = store.audit_entries(credential_id=credential_id)
        problems = store.verify_audit() if check else []
        everything = store.audit_entries() if (as_json or check) else []
        head = everything[-1:]
    finally:
        store.close()
    if as_json:
        body: dict[str, object] = {
            "entries": [e.json() for e in entries],
            "head": {"seq": head[0].seq, "hash": head[0].hash} if head else None,
        }
        if check:
            body["verified"] = not problems
            body["problems"] = problems
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        for e in entries:
            what = f" {e.credential_id}" if e.credential_id else ""
            detail = json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else ""
            click.echo(f"{e.seq:>5} {e.at} {e.actor} {e.action}{what} {detail}".rstrip())
        if check and not problems:
            last = f", head {head[0].hash}" if head else ""
            click.echo(f"audit log whole: {len(everything)} entries, every link checked{last}")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        fail(f"the audit log is broken: {problems[0]}{more}")
