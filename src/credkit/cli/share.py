"""``credkit share``: put a signed diploma where people look (LinkedIn's add-to-profile link)."""

from __future__ import annotations

import click

from credkit.cli.common import friendly
from credkit.cli.qr import _base_url, _credential
from credkit.share.linkedin import linkedin_url


@click.group("share")
def share() -> None:
    """Share a signed diploma on other sites (the QR code and printable page: qr, render)."""


@share.command("linkedin")
@click.argument("diploma", type=click.Path(allow_dash=True, dir_okay=False))
@click.option(
    "--base-url",
    help="Where the diploma is hosted: LinkedIn's credential URL becomes URL/c/<id>.",
)
@click.option(
    "--issuer-dir",
    type=click.Path(file_okay=False),
    help="Take --base-url from this issuer workspace's publish.base_url.",
)
@friendly
def linkedin(diploma: str, base_url: str | None, issuer_dir: str | None) -> None:
    """Print LinkedIn's "Add to profile" link for a signed DIPLOMA: open it while signed in.

    The certification's name, issuing organization, issue (and expiry) month, credential id and
    credential URL come from the signed diploma. Without --base-url/--issuer-dir the link has no
    credential URL, so nobody can check the diploma from LinkedIn: ask your program for it.
    """
    base = _base_url(base_url, issuer_dir)
    click.echo(linkedin_url(_credential(diploma), base_url=base))
    if not base:
        click.echo(
            "note: no credential URL (pass --base-url URL, where your program hosts diplomas)",
            err=True,
        )
