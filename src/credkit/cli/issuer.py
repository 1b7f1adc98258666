"""Issuer commands: ``credkit init`` (a workspace) and ``credkit issue-cohort`` (a roster)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from credkit.cli.common import SUITE_NAMES, fail, friendly, passphrase_option
from credkit.cli.keys import (
    describe_protection,
    new_passphrase,
    open_signer_early,
    unencrypted_option,
)
from credkit.identity.keys import KeyPair
from credkit.issuer.workspace import CONFIG_NAME, Workspace
from credkit.model.roster import read_roster
from credkit.model.template import (
    DiplomaTemplate,
    InvalidTemplateError,
    load_template,
    placeholder_problems,
)

if TYPE_CHECKING:
    from credkit.issuer.cohort import CohortReport

EXIT_SOME_FAILED = 1


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--name", required=True, help="The issuer's name, as diplomas show it.")
@click.option("--url", help="The issuer's web site.")
@click.option("--base-url", help="Where status lists and hosted diplomas will be served from.")
@click.option("--did-web", "did_web_domain", help="Issue as did:web:DOMAIN (else did:key).")
@click.option(
    "--store",
    "store_url",
    help="A PostgreSQL store, postgresql://USER@HOST/DB[?schema=NAME] (no password: PGPASSWORD).",
)
@click.option(
    "--suspension",
    is_flag=True,
    help="Also allow suspension (two status entries per diploma; see docs/status.md).",
)
@unencrypted_option
@passphrase_option
@click.option("--pkcs11-module", help="Sign with a key in a PKCS#11 token: its module (.so).")
@click.option("--pkcs11-token", help="The token's label.")
@click.option("--pkcs11-key", "pkcs11_key", help="The key's label (`keys pkcs11-generate`).")
@click.option("--pkcs11-pin-env", help="Environment variable holding the token's user PIN.")
@click.option("--pkcs11-pin-file", help="File holding the token's user PIN.")
@friendly
def init(
    directory: str,
    name: str,
    url: str | None,
    base_url: str | None,
    did_web_domain: str | None,
    suspension: bool,
    unencrypted: bool,
    pkcs11_module: str | None,
    pkcs11_token: str | None,
    pkcs11_key: str | None,
    pkcs11_pin_env: str | None,
    pkcs11_pin_file: str | None,
    store_url: str | None = None,
) -> None:
    """Create an issuer workspace in DIRECTORY: key (0600, encrypted), template, store and
    config. With --pkcs11-*, the key stays in a hardware token and no key file is written."""
    if store_url is not None:
        from credkit.issuer.workspace import check_store_url

        check_store_url(store_url, "--store")  # a bad URL is refused before any passphrase
    hardware = None
    secret = None
    if pkcs11_module or pkcs11_token or pkcs11_key:
        from credkit.identity.pkcs11 import Pkcs11Config

        if not (pkcs11_module and pkcs11_token and pkcs11_key):
            fail("--pkcs11-module, --pkcs11-token and --pkcs11-key go together")
        if (pkcs11_pin_env is None) == (pkcs11_pin_file is None):
            fail("give exactly one of --pkcs11-pin-env and --pkcs11-pin-file")
        hardware = Pkcs11Config(
            module=pkcs11_module,
            token=pkcs11_token,
            key_label=pkcs11_key,
            pin_env=pkcs11_pin_env,
            pin_file=str(Path(pkcs11_pin_file).resolve()) if pkcs11_pin_file else None,
        )
    elif not (Path(directory) / CONFIG_NAME).exists():
        secret = new_passphrase(str(Path(directory) / "issuer.key"), unencrypted)
    ws = Workspace.create(
        directory,
        name=name,
        url=url,
        base_url=base_url,
        did_web_domain=did_web_domain,
        suspension=suspension,
        store_url=store_url,
        passphrase=secret,
        pkcs11=hardware,
    )
    click.echo(f"workspace:  {ws.root}")
    click.echo(f"issuer DID: {ws.issuer_did}")
    if hardware is not None:
        click.echo(f"key:        {hardware.key_label!r} in PKCS#11 token {hardware.token!r}")
    else:
        click.echo(f"key:        {ws.key_path} (mode 0600; back it up, never share it)")
        describe_protection(secret is not None)
    click.echo(f"template:   {ws.template_path} (edit it: it describes your diploma)")
    click.echo(f"store:      {_store_name(ws)}")
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
@click.option("--suite", type=click.Choice(SUITE_NAMES), help="Cryptosuite of the proofs.")
@click.option(
    "--workers", type=click.IntRange(min=1), help="Processes to sign with (default: all cores)."
)
@click.option("--no-status", is_flag=True, help="Issue without status entries (not revocable).")
@click.option(
    "--reissue",
    is_flag=True,
    help="Give graduates who already hold a diploma a new one and revoke the old one.",
)
@click.option(
    "--allow-placeholders",
    is_flag=True,
    help="Sign even if the template still holds the example's values (a trial run only).",
)
@click.option(
    "--legacy-proof/--no-legacy-proof",
    default=None,
    help="Add an Ed25519Signature2020 proof for older wallets (default: the workspace's setting).",
)
@passphrase_option
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
    reissue: bool,
    allow_placeholders: bool,
    legacy_proof: bool | None,
) -> None:
    """Issue one signed diploma per roster row; safe to re-run (each graduate gets exactly one).

    A graduate who already holds a diploma is skipped; after editing the template, pass
    --reissue to replace their diplomas (the old ones are revoked). A template that still holds
    the example's placeholder values, or cannot make a valid Open Badges 3.0 diploma, is refused
    before anything is signed.

    Exit status: 0 all rows issued (or already issued), 1 some rows failed (listed), 2 bad input.
    """
    standalone = issuer_dir is None and template and key_file and not Path(CONFIG_NAME).exists()
    ws = None if standalone else Workspace.open(issuer_dir or ".")
    # an encrypted key's KDF runs while the template, roster and store are read
    opening = open_signer_early(key_file, ws)
    program = load_template(template or (ws.template_path if ws else ""))
    out_dir = Path(out) if out else ws.diplomas_dir if ws else None
    if out_dir is None:
        fail("no output folder: pass --out or --issuer-dir")
    rows = read_roster(roster)
    if not rows.graduates and not rows.errors:
        fail(
            f"{roster}: no graduates: the roster has its header line but no rows; expected one "
            "row per graduate under name,email (found only the header)"
        )
    store = None
    if ws is not None and not no_status:
        ws.require_base_url()
    if not allow_placeholders:
        _refuse_placeholders(program, ws)
    if ws is not None and not no_status:
        store = ws.store()
    key = opening.result()
    if key is None:
        fail("no issuer key: pass --key or --issuer-dir")
    total = len(rows) + len(rows.errors)
    bar, tick = _progress_bar(total)
    try:
        if bar is not None:
            bar.start()  # type: ignore[attr-defined]
        from credkit.issuer.cohort import issue_cohort  # signing code: only when issuing

        report = issue_cohort(
            program,
            rows,
            key,
            out_dir,
            store=store,
            purposes=ws.status_purposes if ws else ("revocation",),
            cryptosuite=suite or (ws.cryptosuite if ws else "eddsa-rdfc-2022"),
            legacy_proof=legacy_proof if legacy_proof is not None else bool(ws and ws.legacy_proof),
            workers=workers,
            progress=tick,  # type: ignore[arg-type]
            reissue=reissue,
        )
    finally:
        if bar is not None:
            bar.stop()  # type: ignore[attr-defined]
        if store is not None:
            store.close()
    _summarise(report, out_dir)
    if not report.ok:
        sys.exit(EXIT_SOME_FAILED)


def _refuse_placeholders(program: DiplomaTemplate, ws: Workspace | None) -> None:
    """Stop before signing when the template still holds the example's or starter's values."""
    own_names: tuple[str, ...] = ()
    own_urls: tuple[str, ...] = ()
    if ws is not None:
        own_names = (ws.issuer_name,)
        did_web = ws.issuer_did.removeprefix("did:web:").split(":")[0]
        web = f"https://{did_web}" if did_web != ws.issuer_did else None
        urls = (ws.issuer_url, ws.base_url, web)
        own_urls = tuple(u for u in urls if u)
    problems = placeholder_problems(program, own_names=own_names, own_urls=own_urls)
    if problems:
        error = InvalidTemplateError(program.source, problems)
        error.message += (
            "\nnothing was signed; (for a trial run only, --allow-placeholders signs anyway)"
        )
        raise error


def _summarise(report: CohortReport, out_dir: Path) -> None:
    replaced = f", replaced {len(report.replaced)} (revoked)" if report.replaced else ""
    click.echo(
        f"issued {len(report.issued)}, already issued {len(report.skipped)}, "
        f"restored {len(report.repaired)}{replaced}, failed {len(report.failed)} -> {out_dir}"
    )
    if report.skipped and not report.issued:
        click.echo(
            "(already issued diplomas are kept as they are; after editing the template, "
            "--reissue replaces them and revokes the old ones)"
        )
    for line in report.failed:
        click.echo(f"  failed: {line}", err=True)


@click.command("endorse")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--key", "key_file", required=True, type=click.Path(dir_okay=False), help="The endorser's key."
)
@click.option(
    "--template", type=click.Path(dir_okay=False), help="Program template (for the achievement id)."
)
@click.option("--target-id", help="What is endorsed: an achievement id or an issuer DID.")
@click.option(
    "--suite", type=click.Choice(SUITE_NAMES), default="eddsa-rdfc-2022", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@passphrase_option
@friendly
def endorse(
    spec: str,
    key_file: str,
    template: str | None,
    target_id: str | None,
    suite: str,
    out: str | None,
) -> None:
    """Sign an OB 3.0 EndorsementCredential described by SPEC (TOML), with the endorser's key.

    The issuer lists the resulting file under [[endorsement]] in its program template, and every
    diploma then carries it: this is how a diploma shows accreditation or sponsorship.
    """
    from datetime import UTC, datetime

    from credkit.cli.common import write_json
    from credkit.errors import TemplateError
    from credkit.model.diploma import issue_endorsement

    fields = _read_toml(spec)
    endorser = fields.get("endorser")
    what = fields.get("endorsement")
    if not isinstance(endorser, dict) or not isinstance(what, dict):
        raise TemplateError(f"{spec}: needs an [endorser] and an [endorsement] table")
    comment = what.get("comment")
    if not isinstance(comment, str) or not comment.strip():
        raise TemplateError(f"{spec}: endorsement.comment: missing — say what you endorse and why")
    target = target_id
    if target is None:
        if template is None:
            raise TemplateError("pass --template (to endorse its achievement) or --target-id")
        program = load_template(template)
        wanted = what.get("target", "achievement")
        if wanted == "achievement":
            target = program.achievement.id
        elif program.issuer.id:
            target = program.issuer.id
        else:
            raise TemplateError("endorsing the issuer needs --target-id (the issuer's DID)")
    now = datetime.now(UTC)
    years = what.get("valid_years")
    until = now.replace(year=now.year + int(years)) if isinstance(years, int) else None
    key = KeyPair.load(key_file)
    profile = {k: v for k, v in endorser.items() if isinstance(v, str)}
    document = issue_endorsement(
        profile,
        target,
        comment,
        key,
        cryptosuite=suite,
        name=what.get("name"),
        valid_until=until,
    )
    write_json(document, out)


def _read_toml(path: str) -> dict[str, object]:
    import tomllib

    from credkit.errors import TemplateError

    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{path}: {exc}") from None


@click.command("list")
@click.option("--issuer-dir", type=click.Path(file_okay=False), help="Workspace (default: .).")
@click.option("--name", help="Only graduates whose name contains this (any case).")
@click.option("--email", help="Only the graduate with this email (the store keeps its hash).")
@click.option("--id", "ident", help="Only this diploma id (urn:uuid:...) or roster id.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per diploma.")
@friendly
def list_command(
    issuer_dir: str | None,
    name: str | None,
    email: str | None,
    ident: str | None,
    as_json: bool,
) -> None:
    """The diplomas this workspace issued: graduate, roster id, diploma id, file and status.

    Status is active, revoked, suspended, replaced (by a --reissue) or not revocable (issued
    with --no-status). Any diploma id, file, email or roster id shown here is what
    `credkit status revoke` takes.
    """
    import json

    from credkit.issuer.ledger import list_diplomas

    ws = Workspace.open(issuer_dir or ".")
    store = ws.store()
    try:
        rows = list_diplomas(store, name=name, email=email, ident=ident)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps([r.json() for r in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no diplomas match" if (name or email or ident) else "no diplomas issued yet")
        return
    cwd = Path.cwd()
    for r in rows:
        file = r.file or "-"
        if r.file and Path(r.file).is_relative_to(cwd):
            file = str(Path(r.file).relative_to(cwd))
        status = f"replaced by {r.replaced_by}" if r.replaced_by else r.status
        roster = f" [{r.roster_id}]" if r.roster_id else ""
        click.echo(f"{r.name or '?'}{roster}  {r.id}  {file}  {status}")


def _store_name(ws: Workspace) -> str:
    if ws.store_url:
        from credkit.issuer.store_pg import StoreURL

        return StoreURL.parse(ws.store_url).redacted()
    return str(ws.store_path)
