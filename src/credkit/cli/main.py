"""The ``credkit`` command: a thin shell over the library.

Every command turns a credkit error into one line on stderr and exit code 2 (unusable input), so a
script can tell "bad input" from "not verified" (1) and "inconclusive" (3), and nobody sees a
traceback for a mistake they can fix.
"""

from __future__ import annotations

from pathlib import Path

import click

from credkit.cli.common import (
    SUITE_NAMES,
    CredkitGroup,
    fail,
    friendly,
    passphrase_option,
    read_json,
    write_json,
)
from credkit.cli.keys import describe_protection, new_passphrase, public_method, unencrypted_option
from credkit.errors import KeyFormatError
from credkit.identity.did import did_key_document, did_web, did_web_document
from credkit.identity.keys import KeyPair
from credkit.identity.signer import VerificationKey


@click.group(cls=CredkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="credkit")
def main() -> None:
    """Issue and verify verifiable diplomas (W3C VC 2.0, Open Badges 3.0, Data Integrity)."""


# --- keys ------------------------------------------------------------------------------------


@main.group(cls=CredkitGroup)
def keys() -> None:
    """Create, import and inspect Ed25519 issuer keys (key files are written 0600)."""


def _identity(pair: KeyPair, did_web_domain: str | None) -> KeyPair:
    if not did_web_domain:
        return pair
    did = did_web(did_web_domain)
    return pair.with_controller(did, f"{did}#{pair.public_key.multibase}")


def _describe(pair: VerificationKey, path: str) -> None:
    click.echo(f"key file:            {path}")
    click.echo(f"DID:                 {pair.controller}")
    click.echo(f"verification method: {pair.id}")
    click.echo(f"publicKeyMultibase:  {pair.public_key.multibase}")


@keys.command("generate")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Key file to write.")
@click.option("--did-web", "did_web_domain", help="Issue under did:web:DOMAIN instead of did:key.")
@click.option("--force", is_flag=True, help="Overwrite an existing key file.")
@unencrypted_option
@passphrase_option
@friendly
def keys_generate(out: str, did_web_domain: str | None, force: bool, unencrypted: bool) -> None:
    """Generate a new key pair, encrypted with a passphrase; prints the DID, never the secret."""
    pair = _identity(KeyPair.generate(), did_web_domain)
    secret = new_passphrase(out, unencrypted)
    pair.save(out, overwrite=force, passphrase=secret)
    _describe(pair, out)
    describe_protection(secret is not None)


@keys.command("import")
@click.option("--seed-hex", help="32-byte Ed25519 seed as 64 hex digits.")
@click.option("--secret-key-multibase", help="Multikey secret (z3u2...).")
@click.option("--jwk", "jwk_file", type=click.Path(exists=True, dir_okay=False), help="OKP JWK.")
@click.option("--pem", "pem_file", type=click.Path(exists=True, dir_okay=False), help="PKCS#8 PEM.")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--did-web", "did_web_domain")
@click.option("--force", is_flag=True)
@unencrypted_option
@passphrase_option
@friendly
def keys_import(
    seed_hex: str | None,
    secret_key_multibase: str | None,
    jwk_file: str | None,
    pem_file: str | None,
    out: str,
    did_web_domain: str | None,
    force: bool,
    unencrypted: bool,
) -> None:
    """Import an existing Ed25519 private key into a credkit key file (encrypted by default)."""
    given = [x for x in (seed_hex, secret_key_multibase, jwk_file, pem_file) if x]
    if len(given) != 1:
        fail("give exactly one of --seed-hex, --secret-key-multibase, --jwk, --pem")
    if seed_hex:
        try:
            seed = bytes.fromhex(seed_hex)
        except ValueError:
            raise KeyFormatError("--seed-hex is not hexadecimal") from None
        pair = KeyPair.from_seed(seed)
    elif secret_key_multibase:
        pair = KeyPair.from_secret_multibase(secret_key_multibase)
    elif jwk_file:
        pair = KeyPair.from_jwk(read_json(jwk_file))
    else:
        assert pem_file is not None
        pair = KeyPair.from_pem(Path(pem_file).read_bytes())
    pair = _identity(pair, did_web_domain)
    secret = new_passphrase(out, unencrypted)
    pair.save(out, overwrite=force, passphrase=secret)
    _describe(pair, out)
    describe_protection(secret is not None)


@keys.command("show")
@click.argument("key_file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="The public Multikey document as JSON.")
@click.option("--jwk", "as_jwk", is_flag=True, help="The public key as a JWK.")
@passphrase_option
@friendly
def keys_show(key_file: str, as_json: bool, as_jwk: bool) -> None:
    """Show a key file's DID and public key (never the secret; no passphrase needed)."""
    pair = public_method(key_file)
    if as_json:
        write_json(pair.to_multikey(), None)
    elif as_jwk:
        write_json(pair.to_jwk(), None)
    else:
        _describe(pair, key_file)


@keys.command("did-document")
@click.argument("key_file", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@passphrase_option
@friendly
def keys_did_document(key_file: str, out: str | None) -> None:
    """The DID document for the key: publish a did:web one at /.well-known/did.json."""
    pair = public_method(key_file)
    if pair.controller.startswith("did:web:"):
        write_json(did_web_document(pair.controller, [pair]), out)
    else:
        write_json(did_key_document(pair.controller), out)


# --- issue -----------------------------------------------------------------------------------


@main.command("issue")
@click.argument("credential", type=click.Path(allow_dash=True, dir_okay=False))
@click.option(
    "--key", "key_file", type=click.Path(dir_okay=False), help="Default: the workspace's."
)
@click.option("--issuer-dir", type=click.Path(file_okay=False), help="Workspace (default: .).")
@click.option(
    "--suite",
    type=click.Choice(SUITE_NAMES),
    help="Cryptosuite of the proof (default: the workspace's, else eddsa-rdfc-2022).",
)
@click.option("--created", help="Proof creation time (ISO 8601 / XML Schema dateTimeStamp).")
@click.option("--proof-purpose", default="assertionMethod", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@passphrase_option
@friendly
def issue(
    credential: str,
    key_file: str | None,
    issuer_dir: str | None,
    suite: str | None,
    created: str | None,
    proof_purpose: str,
    out: str | None,
) -> None:
    """Sign CREDENTIAL (a JSON file, or - for stdin) and print the signed credential.

    When the credential has no issuer, the key's DID becomes the issuer.
    """
    from credkit.issuer.workspace import Workspace

    ws = Workspace.open(issuer_dir or ".") if key_file is None else None
    pair = KeyPair.load(key_file) if key_file else ws.key()  # type: ignore[union-attr]
    document = read_json(credential)
    if not isinstance(document, dict):
        fail("the credential must be a JSON object")
    document.setdefault("issuer", pair.controller)
    suite = suite or (ws.cryptosuite if ws else "eddsa-rdfc-2022")
    from credkit.proofs.dataintegrity import sign  # pyld: only when signing

    signed = sign(document, pair, cryptosuite=suite, created=created, proof_purpose=proof_purpose)
    write_json(signed, out)


def _register_commands() -> None:
    """Commands whose modules live beside this one (one concern per module), imported when
    the command runs (:class:`CredkitGroup`)."""
    main.lazy = {
        "init": "credkit.cli.issuer:init",
        "issue-cohort": "credkit.cli.issuer:issue_cohort_command",
        "endorse": "credkit.cli.issuer:endorse",
        "list": "credkit.cli.issuer:list_command",
        "status": "credkit.cli.status:status",
        "verify": "credkit.cli.verify:verify",
        "trust": "credkit.cli.trust:trust",
        "qr": "credkit.cli.qr:qr",
        "render": "credkit.cli.qr:render",
        "share": "credkit.cli.share:share",
        "serve": "credkit.cli.serve:serve",
        "site": "credkit.cli.serve:site",
        "host": "credkit.cli.serve:host",
        "offer": "credkit.cli.offer:offer",
        "store": "credkit.cli.store:store",
        "audit": "credkit.cli.audit:audit",
    }
    assert isinstance(keys, CredkitGroup)
    keys.lazy = {
        "list": "credkit.cli.keyring:keys_list",
        "rotate": "credkit.cli.keyring:keys_rotate",
        "retire": "credkit.cli.keyring:keys_retire",
        "revoke": "credkit.cli.keyring:keys_revoke",
        "reissue": "credkit.cli.keyring:keys_reissue",
        "encrypt": "credkit.cli.keys:keys_encrypt",
        "pkcs11-generate": "credkit.cli.keys:keys_pkcs11_generate",
    }


_register_commands()


__all__ = ["fail", "friendly", "main", "read_json", "write_json"]
