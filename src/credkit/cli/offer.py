"""``credkit offer``: one-time claim links that bring a diploma into the graduate's wallet.

``create`` makes an offer per diploma (one, a cohort, or all) and prints its claim page URL; with
``--out`` it also writes a QR code PNG per graduate and a manifest (CSV and JSON) for the
mail-merge. The link is the capability: it is printed and written to the files, nowhere else
(the store keeps only its hash). ``list`` and ``revoke`` work with the public offer ids.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from credkit.cli.common import fail, friendly
from credkit.errors import StoreError
from credkit.issuer.ledger import DiplomaRow, find_diploma, list_diplomas
from credkit.issuer.offers import OfferError, claim_page_url, parse_lifetime
from credkit.issuer.store import SqliteStore
from credkit.issuer.workspace import Workspace

MANIFEST_FIELDS = ("credential_id", "roster_id", "name", "offer_id", "expires_at", "link", "qr")


@dataclass(frozen=True)
class Made:
    row: DiplomaRow
    offer_id: str
    expires_at: str
    link: str
    qr: str | None = None

    def json(self) -> dict[str, Any]:
        return {
            "credential_id": self.row.id,
            "roster_id": self.row.roster_id,
            "name": self.row.name,
            "offer_id": self.offer_id,
            "expires_at": self.expires_at,
            "link": self.link,
            "qr": self.qr,
        }


def _workspace(ctx: click.Context) -> Workspace:
    return Workspace.open(ctx.obj.get("issuer_dir") or ".")


def _store(ctx: click.Context, ws: Workspace) -> SqliteStore:
    store = SqliteStore(ws.store_path, base_url=ws.base_url)
    ctx.call_on_close(store.close)
    return store


def _achievement(store: SqliteStore, credential_id: str) -> str | None:
    record = store.credential(credential_id)
    if record is None or record.document is None:
        return None
    subject = record.json().get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    name = achievement.get("name") if isinstance(achievement, dict) else None
    return name if isinstance(name, str) else None


def _in_cohort(store: SqliteStore, row: DiplomaRow, cohort: str) -> bool:
    """The cohort is the folder ``issue-cohort`` wrote the diplomas to, or the achievement."""
    wanted = cohort.casefold()
    if row.file and Path(row.file).parent.name.casefold() == wanted:
        return True
    return (_achievement(store, row.id) or "").casefold() == wanted


def _select(
    store: SqliteStore, refs: tuple[str, ...], cohort: str | None, every: bool
) -> tuple[list[DiplomaRow], int]:
    """The diplomas to offer, and how many of a bulk selection were skipped (revoked)."""
    if bool(refs) + bool(cohort) + every != 1:
        fail("name diplomas (id, roster id or email), or --cohort NAME, or --all: one of them")
    rows = {r.id: r for r in list_diplomas(store)}
    if refs:
        chosen = []
        for ref in refs:
            row = rows.get(find_diploma(store, ref))
            if row is None:
                fail(f"no diploma {ref!r} in the store", fix="`credkit list` shows them")
            if row.status in ("revoked", "replaced"):
                fail(f"the diploma {row.id} is {row.status}: it cannot be offered to a wallet")
            chosen.append(row)
        return chosen, 0
    current = [r for r in rows.values() if r.replaced_by is None]
    if cohort:
        current = [r for r in current if _in_cohort(store, r, cohort)]
        if not current:
            fail(f"no diploma in cohort {cohort!r} (an issue-cohort output folder or achievement)")
    usable = [r for r in current if r.status != "revoked"]
    return usable, len(current) - len(usable)


def _private_write(path: Path, text: str) -> None:
    """Manifest files hold working claim links: readable by the owner only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def _write_out(out: Path, made: list[Made]) -> list[Made]:
    from credkit.share.qr_image import make_symbol, png

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for item in made:
        name = f"{item.offer_id}.png"  # the public id: the file name is not a capability
        fd = os.open(out / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(png(make_symbol(item.link, ecc="M"), scale=8))
        written.append(Made(item.row, item.offer_id, item.expires_at, item.link, name))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_FIELDS)
    writer.writeheader()
    for item in written:
        writer.writerow(item.json())
    _private_write(out / "offers.csv", buf.getvalue())
    _private_write(
        out / "offers.json",
        json.dumps([m.json() for m in written], indent=2, ensure_ascii=False) + "\n",
    )
    return written


@click.group("offer")
@click.option("--issuer-dir", type=click.Path(file_okay=False), help="Workspace (default: .).")
@click.pass_context
def offer(ctx: click.Context, issuer_dir: str | None) -> None:
    """One-time claim links that put a diploma into the graduate's wallet (docs/wallets.md)."""
    ctx.ensure_object(dict)["issuer_dir"] = issuer_dir


@offer.command("create")
@click.argument("refs", nargs=-1)
@click.option("--expires", default="30d", show_default=True, help="Lifetime: 30d, 12h, 2w...")
@click.option("--cohort", help="Every current diploma of this cohort (folder or achievement).")
@click.option("--all", "every", is_flag=True, help="Every current diploma in the store.")
@click.option("--out", type=click.Path(file_okay=False), help="Write QR PNGs and a manifest here.")
@click.option("--json", "as_json", is_flag=True, help="Print the offers as JSON.")
@click.pass_context
@friendly
def create(
    ctx: click.Context,
    refs: tuple[str, ...],
    expires: str,
    cohort: str | None,
    every: bool,
    out: str | None,
    as_json: bool,
) -> None:
    """Make a claim offer per diploma (id, roster id or email) and print its link.

    The link opens the claim page (served by `credkit serve` at publish.base_url): the graduate
    picks a wallet there. Anyone holding the link can claim the diploma once.
    """
    ws = _workspace(ctx)
    base = ws.require_base_url()
    lifetime = parse_lifetime(expires)
    store = _store(ctx, ws)
    rows, skipped = _select(store, refs, cohort, every)
    made = []
    with store.transaction():  # all the cohort's offers, or none
        for row in rows:
            created, secret = store.create_offer(row.id, lifetime=lifetime)
            made.append(Made(row, created.id, created.expires_at, claim_page_url(base, secret)))
    if out:
        made = _write_out(Path(out), made)
    if as_json:
        click.echo(json.dumps([m.json() for m in made], indent=2, ensure_ascii=False))
    else:
        for item in made:
            click.echo(f"{item.row.name or item.row.id}\t{item.link}")
    tail = f" -> {out} (offers.csv, offers.json, one PNG each)" if out else ""
    note = f"; skipped {skipped} revoked" if skipped else ""
    click.echo(
        f"{len(made)} offer(s), expiring {made[0].expires_at if made else '-'}{note}{tail}",
        err=True,
    )


@offer.command("list")
@click.option("--credential", "credential_id", help="Only this diploma's offers.")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@click.pass_context
@friendly
def list_offers(ctx: click.Context, credential_id: str | None, as_json: bool) -> None:
    """Offers and their state (active, claimed, revoked, expired); no links (not stored)."""
    store = _store(ctx, _workspace(ctx))
    offers = store.offers(credential_id)
    if as_json:
        click.echo(json.dumps([o.json() for o in offers], indent=2))
        return
    for item in offers:
        holder = item.holder or ""
        click.echo(
            f"{item.id}\t{item.status()}\t{item.expires_at[:19]}Z\t{item.credential_id}\t{holder}"
        )


@offer.command("revoke")
@click.argument("offer_id")
@click.pass_context
@friendly
def revoke(ctx: click.Context, offer_id: str) -> None:
    """Withdraw an unclaimed offer: its link stops working (a forwarded email, a lost phone)."""
    store = _store(ctx, _workspace(ctx))
    try:
        done = store.revoke_offer(offer_id)
    except OfferError as exc:
        fail(f"{offer_id}: {exc.message}")
    except StoreError:
        raise
    click.echo(f"revoked {done.id} ({done.credential_id})")
