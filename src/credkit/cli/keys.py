"""Key protection on the command line: passphrases for new key files, ``credkit keys encrypt``,
and ``credkit keys pkcs11-generate`` (an Ed25519 key made inside a PKCS#11 token)."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from credkit.cli.common import fail, friendly, passphrase_option
from credkit.errors import CredkitError, KeyFileError
from credkit.identity import passphrase as phrases
from credkit.identity.did import did_web
from credkit.identity.keys import ClearKeyWarning, KeyPair, is_encrypted, public_of
from credkit.identity.signer import PublicMethod, Signer

if TYPE_CHECKING:
    from credkit.issuer.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])

unencrypted_option: Callable[[F], F] = click.option(
    "--unencrypted",
    is_flag=True,
    help="Write the private key in the clear (CI, throwaway demos): anyone who reads the "
    "file can sign as this issuer.",
)


def new_passphrase(what: str, unencrypted: bool) -> bytes | None:
    """The passphrase that will seal a new key (asked twice on a terminal), or None when
    ``--unencrypted``. No source and no terminal: refuse, saying how to give one."""
    if unencrypted:
        return None
    found = phrases.obtain(what, new=True)
    if found is None:
        fail(
            f"{what}: credkit encrypts new keys with a passphrase, and none was given",
            fix=f"{phrases.HOW}; or pass --unencrypted for a throwaway key",
        )
    return found


def describe_protection(encrypted: bool) -> None:
    if encrypted:
        click.echo("protection:          encrypted (scrypt + ChaCha20-Poly1305, passphrase)")
    else:
        click.echo(
            "protection:          NOT ENCRYPTED (--unencrypted): anyone who can read the file "
            "can sign as this issuer; `credkit keys encrypt` protects it"
        )


def public_method(key_file: str) -> KeyPair | PublicMethod:
    """A key file's public verification method; an encrypted one is read without its secret."""
    found = public_of(key_file)
    if found is None or not is_encrypted(key_file):
        # a PEM file (its public key is inside the secret), or a clear key file: load it whole,
        # so a public key that does not match the secret is refused, not shown as the key's
        return KeyPair.load(key_file)
    from credkit.identity.keys import PublicKey

    return PublicMethod(
        PublicKey.from_multibase(found["publicKeyMultibase"]), found["controller"], found["id"]
    )


@click.command("encrypt")
@click.argument("key_file", type=click.Path(dir_okay=False, exists=True))
@passphrase_option
@friendly
def keys_encrypt(key_file: str) -> None:
    """Encrypt a clear key file in place (atomically, mode 0600) with a new passphrase."""
    if is_encrypted(key_file):
        fail(f"{key_file} is already encrypted")
    if public_of(key_file) is None:
        raise KeyFileError(
            f"{key_file} is a PEM file: `credkit keys import --pem {key_file} --out NEW.key` "
            "writes an encrypted credkit key file"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClearKeyWarning)  # the warning says to do just this
        pair = KeyPair.load(key_file)
    secret = new_passphrase(key_file, unencrypted=False)
    pair.save(key_file, overwrite=True, passphrase=secret)
    click.echo(f"encrypted {key_file} ({pair.controller}); keep the passphrase safe")


@click.command("pkcs11-generate")
@click.option("--module", required=True, help="The PKCS#11 module (.so) of the token or HSM.")
@click.option("--token", "token_label", required=True, help="The token's label.")
@click.option("--label", "key_label", required=True, help="The label of the new key.")
@click.option("--pin-env", help="Environment variable holding the user PIN.")
@click.option(
    "--pin-file", type=click.Path(dir_okay=False), help="File holding the user PIN (first line)."
)
@click.option("--did-web", "did_web_domain", help="Issue as did:web:DOMAIN (else did:key).")
@friendly
def keys_pkcs11_generate(
    module: str,
    token_label: str,
    key_label: str,
    pin_env: str | None,
    pin_file: str | None,
    did_web_domain: str | None,
) -> None:
    """Generate an Ed25519 key inside a PKCS#11 token (it never leaves it); print its DID and
    the credkit.toml table that signs with it."""
    from credkit.identity.pkcs11 import Pkcs11Config, generate

    if (pin_env is None) == (pin_file is None):
        fail("give exactly one of --pin-env and --pin-file (never the PIN itself)")
    config = Pkcs11Config(
        module=module,
        token=token_label,
        key_label=key_label,
        pin_env=pin_env,
        pin_file=str(Path(pin_file).resolve()) if pin_file else None,
    )
    public = generate(config)
    did = did_web(did_web_domain) if did_web_domain else f"did:key:{public.multibase}"
    click.echo(f"token:               {token_label} ({module})")
    click.echo(f"key label:           {key_label} (Ed25519, not extractable)")
    click.echo(f"DID:                 {did}")
    click.echo(f"verification method: {did}#{public.multibase}")
    click.echo(f"publicKeyMultibase:  {public.multibase}")
    click.echo("sign with it: `credkit init DIR --pkcs11-module ...`, or in credkit.toml:")
    click.echo("  [issuer.key_pkcs11]")
    click.echo(f'  module = "{module}"')
    click.echo(f'  token = "{token_label}"')
    click.echo(f'  key_label = "{key_label}"')
    if pin_env:
        click.echo(f'  pin_env = "{pin_env}"')
    else:
        click.echo(f'  pin_file = "{config.pin_file}"')


def open_signer_early(key_file: str | None, ws: Workspace | None) -> Future[Signer | None]:
    """Start opening the issuer key in a thread, so an encrypted key's KDF (scrypt releases the
    GIL) runs while the command reads its template, roster and store.

    The passphrase is obtained here, in the calling thread (a prompt needs the terminal); only
    the KDF and decryption run in the background. ``result()`` re-raises any refusal.
    """
    path = key_file if key_file else str(ws.key_path) if ws is not None else None
    hardware = ws is not None and key_file is None and _uses_pkcs11(ws)
    if path is not None and not hardware and Path(path).is_file():
        with contextlib.suppress(CredkitError):  # a bad file is reported by the load itself
            if is_encrypted(path):
                phrases.require(path)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="credkit-key")
    try:
        if key_file:
            return pool.submit(KeyPair.load, key_file)
        if ws is not None:
            return pool.submit(ws.signer)
        done: Future[Signer | None] = Future()
        done.set_result(None)
        return done
    finally:
        pool.shutdown(wait=False)


def _uses_pkcs11(ws: Workspace) -> bool:
    issuer = ws.extra.get("issuer", {})
    return isinstance(issuer, dict) and "key_pkcs11" in issuer
