"""Issuer commands: ``credkit init`` (a workspace) and ``credkit issue-cohort`` (a roster)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from credkit.cli_common import fail, friendly
from credkit.cohort import CohortReport, issue_cohort
from credkit.keys import KeyPair
from credkit.roster import read_roster
from credkit.suites import SUITES
from credkit.template import load_template
from credkit.workspace import CONFIG_NAME, Workspace

EXIT_SOME_FAILED = 1


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--name", required=True, help="The issuer's name, as diplomas show it.")
@click.option("--url", help="The issuer's web site.")
@click.option("--base-url", help="Where status lists and hosted diplomas will be served from.")
@click.option("--did-web", "did_web_domain", help="Issue as did:web:DOMAIN (else did:key).")
@click.option(
    "--suspension",
    is_flag=True,
    help="Also allow suspension (two status entries per diploma; see docs/status.md).",
)
@friendly
def init(
    directory: str,
    name: str,
    url: str | None,
    base_url: str | None,
    did_web_domain: str | None,
    suspension: bool,
) -> None:
    """Create an issuer workspace in DIRECTORY: key (0600), template, store and config."""
    ws = Workspace.create(
        directory,
        name=name,
        url=url,
        base_url=base_url,
        did_web_domain=did_web_domain,
        suspension=suspension,
    )
    click.echo(f"workspace:  {ws.root}")
    click.echo(f"issuer DID: {ws.issuer_did}")
    click.echo(f"key:        {ws.key_path} (mode 0600; back it up, never share it)")
    click.echo(f"template:   {ws.template_path} (edit it: it describes your diploma)")
    click.echo(f"store:      {ws.store_path}")
    if ws.base_url is None:
        click.echo(f"note: set publish.base_url in {ws.root / CONFIG_NAME} before issuing")
    if ws.issuer_did.startswith("did:web:"):
        click.echo("next: publish `credkit keys did-document issuer.key` at /.well-known/did.json")


def _progress_bar(total: int) -> tuple[object | None, object]:
    """A rich progress bar on a terminal; nothing when output is redirected (CI, logs)."""
    if not sys.stderr.isatty():
        return None, lambda n: None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
    task = progress.add_task("issuing", total=total)
    return progress, lambda n: progress.advance(task, n)


@click.command("issue-cohort")
@click.option("--roster", required=True, type=click.Path(dir_okay=False), help="CSV roster.")
@click.option("--issuer-dir", type=click.Path(file_okay=False), help="Workspace (default: .).")
@click.option("--template", type=click.Path(dir_okay=False), help="Program template (TOML).")
@click.option("--key", "key_file", type=click.Path(dir_okay=False), help="Issuer key file.")
@click.option("--out", type=click.Path(file_okay=False), help="Folder for the diplomas.")
@click.option("--suite", type=click.Choice(sorted(SUITES)), help="Cryptosuite of the proofs.")
@click.option(
    "--workers", type=click.IntRange(min=1), help="Processes to sign with (default: all cores)."
)
@click.option("--no-status", is_flag=True, help="Issue without status entries (not revocable).")
@friendly
def issue_cohort_command(
    roster: str,
    issuer_dir: str | None,
    template: str | None,
    key_file: str | None,
    out: str | None,
    suite: str | None,
    workers: int | None,
    no_status: bool,
) -> None:
    """Issue one signed diploma per roster row; safe to re-run (each graduate gets exactly one).

    Exit status: 0 all rows issued (or already issued), 1 some rows failed (listed), 2 bad input.
    """
    standalone = issuer_dir is None and template and key_file and not Path(CONFIG_NAME).exists()
    ws = None if standalone else Workspace.open(issuer_dir or ".")
    program = load_template(template or (ws.template_path if ws else ""))
    key = KeyPair.load(key_file) if key_file else ws.key() if ws else None
    if key is None:
        fail("no issuer key: pass --key or --issuer-dir")
    out_dir = Path(out) if out else ws.diplomas_dir if ws else None
    if out_dir is None:
        fail("no output folder: pass --out or --issuer-dir")
    rows = read_roster(roster)
    store = None
    if ws is not None and not no_status:
        ws.require_base_url()
        store = ws.store()
    total = len(rows) + len(rows.errors)
    bar, tick = _progress_bar(total)
    try:
        if bar is not None:
            bar.start()  # type: ignore[attr-defined]
        report = issue_cohort(
            program,
            rows,
            key,
            out_dir,
            store=store,
            purposes=ws.status_purposes if ws else ("revocation",),
            cryptosuite=suite or (ws.cryptosuite if ws else "eddsa-rdfc-2022"),
            workers=workers,
            progress=tick,  # type: ignore[arg-type]
        )
    finally:
        if bar is not None:
            bar.stop()  # type: ignore[attr-defined]
        if store is not None:
            store.close()
    _summarise(report, out_dir)
    if not report.ok:
        sys.exit(EXIT_SOME_FAILED)


def _summarise(report: CohortReport, out_dir: Path) -> None:
    click.echo(
        f"issued {len(report.issued)}, already issued {len(report.skipped)}, "
        f"restored {len(report.repaired)}, failed {len(report.failed)} -> {out_dir}"
    )
    for line in report.failed:
        click.echo(f"  failed: {line}", err=True)
