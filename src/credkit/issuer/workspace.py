"""The issuer workspace: one folder holding an issuer's key, template, store and settings.

Every issuer command takes ``--issuer-dir DIR`` and reads what it needs from here, so a program
coordinator types ``credkit issue-cohort --roster graduates.csv`` and nothing else. Paths in the
config are relative to the folder, so the folder can be moved or backed up whole.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from credkit.atomic import write_atomic
from credkit.errors import TemplateError
from credkit.identity.did import did_web
from credkit.identity.keys import KeyPair
from credkit.identity.signer import Signer
from credkit.issuer.keyring import KeyEntry, parse_key_set

if TYPE_CHECKING:
    from credkit.identity.pkcs11 import Pkcs11Config

CONFIG_NAME = "credkit.toml"
PURPOSES = ("revocation", "suspension")
# a PostgreSQL store for this workspace, overriding credkit.toml (docs/scaling.md)
STORE_URL_ENV = "CREDKIT_STORE_URL"


class WorkspaceError(TemplateError):
    """The workspace folder is missing, incomplete, or its config is invalid."""

    code = "WORKSPACE_ERROR"


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class Workspace:
    """A loaded workspace; paths are absolute."""

    root: Path
    issuer_name: str
    issuer_did: str
    key_path: Path
    template_path: Path
    store_path: Path
    diplomas_dir: Path
    base_url: str | None = None
    issuer_url: str | None = None
    cryptosuite: str = "eddsa-rdfc-2022"
    status_purposes: tuple[str, ...] = ("revocation",)
    legacy_proof: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # postgresql://… when the store is a PostgreSQL database (then store_path is unused)
    store_url: str | None = None
    # the key set ([[keys]], credkit.issuer.keyring); empty: ``key_path`` is the only key
    keys: tuple[KeyEntry, ...] = ()
    _signer: Signer | None = field(default=None, repr=False, compare=False)

    # --- creation ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        root: str | os.PathLike[str],
        *,
        name: str,
        url: str | None = None,
        base_url: str | None = None,
        did_web_domain: str | None = None,
        suspension: bool = False,
        store_url: str | None = None,
        passphrase: str | bytes | None = None,
        pkcs11: Pkcs11Config | None = None,
    ) -> Workspace:
        """Make a new workspace; refuses a folder that already holds one (keys are precious).

        ``passphrase``: the key file is sealed with it (else written in the clear). ``pkcs11``:
        no key file; the issuer key is the token's (``[issuer.key_pkcs11]``), which must exist.
        """
        from credkit.model.template import starter_template

        folder = Path(root)
        if (folder / CONFIG_NAME).exists():
            raise WorkspaceError(f"{folder} already holds a credkit workspace ({CONFIG_NAME})")
        if not name.strip():
            raise WorkspaceError("--name: the issuer needs a name (shown on every diploma)")
        if store_url is not None:
            check_store_url(store_url, "--store")
        hardware = None
        if pkcs11 is not None:
            from credkit.identity.pkcs11 import Pkcs11Signer

            hardware = Pkcs11Signer(pkcs11)  # refuses before anything is written
            hardware.close()
        _private_dir(folder)
        if hardware is not None:
            multibase = hardware.public_key.multibase
            did = did_web(did_web_domain) if did_web_domain else f"did:key:{multibase}"
            controller = did
        else:
            pair = KeyPair.generate()
            if did_web_domain:
                did = did_web(did_web_domain)
                pair = pair.with_controller(did, f"{did}#{pair.public_key.multibase}")
            pair.save(folder / "issuer.key", passphrase=passphrase)
            controller = pair.controller
        issuer_url = url or (f"https://{did_web_domain}" if did_web_domain else None)
        publish_url = (base_url or issuer_url or "").rstrip("/") or None
        template = folder / "program.toml"
        if not template.exists():
            text = starter_template(name, issuer_url or "https://issuer.example")
            write_atomic(template, text.encode("utf-8"), mode=0o600)
        _private_dir(folder / "diplomas")
        purposes = PURPOSES if suspension else ("revocation",)
        lines = [
            "# credkit issuer workspace (paths are relative to this folder)",
            "[issuer]",
            f"name = {_toml_str(name)}",
            f"did = {_toml_str(controller)}",
        ]
        if hardware is None:
            lines.append('key = "issuer.key"')
        if issuer_url:
            lines.append(f"url = {_toml_str(issuer_url)}")
        if pkcs11 is not None:
            lines += _pkcs11_table(pkcs11, folder)
        lines += [
            "",
            "[paths]",
            'template = "program.toml"',
            f"store = {_toml_str(store_url)}" if store_url else 'store = "issuer.db"',
            'diplomas = "diplomas"',
            "",
            "[publish]",
            "# where status lists and hosted diplomas will live; signed into every diploma",
            f"base_url = {_toml_str(publish_url)}" if publish_url else '# base_url = "https://…"',
            "",
            "[issue]",
            'cryptosuite = "eddsa-rdfc-2022"',
            "# revocation only keeps diplomas valid against the OB 3.0 schema (credentialStatus",
            "# is 0..1 there); adding suspension gives each diploma two status entries",
            "status_purposes = [" + ", ".join(_toml_str(p) for p in purposes) + "]",
            "# also sign an Ed25519Signature2020 proof, for wallets that verify nothing newer",
            "legacy_proof = false",
            "",
        ]
        write_atomic(folder / CONFIG_NAME, "\n".join(lines).encode("utf-8"), mode=0o600)
        workspace = cls.open(folder)
        workspace.store().close()  # create the store now (file or schema): the folder is complete
        return workspace

    # --- loading ----------------------------------------------------------------------------

    @classmethod
    def open(cls, root: str | os.PathLike[str]) -> Workspace:
        folder = Path(root).resolve()
        config_path = folder / CONFIG_NAME
        if not config_path.is_file():
            raise WorkspaceError(
                f"{folder} is not a credkit workspace (no {CONFIG_NAME}); create one with "
                "`credkit init DIR --name NAME` or pass --issuer-dir"
            )
        try:
            config = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise WorkspaceError(f"{config_path}: {exc}") from None
        issuer = _table(config, "issuer", config_path)
        paths = _table(config, "paths", config_path)
        publish = _table(config, "publish", config_path)
        issue = _table(config, "issue", config_path)
        purposes = tuple(issue.get("status_purposes", ("revocation",)))
        for purpose in purposes:
            if purpose not in PURPOSES:
                raise WorkspaceError(
                    f"{config_path}: issue.status_purposes: {purpose!r} is not one of {PURPOSES}"
                )
        store_url = _store_url(config, paths, config_path)
        for required in ("name", "did"):
            if not isinstance(issuer.get(required), str):
                raise WorkspaceError(f"{config_path}: issuer.{required} is missing")
        keys: tuple[KeyEntry, ...] = ()
        key_file = issuer.get("key", "issuer.key")
        if "keys" in config:
            keys = parse_key_set(config["keys"], issuer["did"], str(config_path))
            current = next(k for k in keys if k.state == "current")
            if (folder / key_file).resolve() != (folder / current.file).resolve():
                raise WorkspaceError(
                    f"{config_path}: issuer.key is {key_file}, but the current key of [[keys]] "
                    f"is {current.file}"
                )
        return cls(
            root=folder,
            issuer_name=issuer["name"],
            issuer_did=issuer["did"],
            issuer_url=issuer.get("url"),
            key_path=folder / key_file,
            template_path=folder / paths.get("template", "program.toml"),
            # a PostgreSQL workspace keeps its local tables (hosting) in issuer.db still
            store_path=folder
            / (
                paths.get("store", "issuer.db")
                if not is_store_url(paths.get("store"))
                else "issuer.db"
            ),
            diplomas_dir=folder / paths.get("diplomas", "diplomas"),
            base_url=(publish.get("base_url") or None),
            cryptosuite=str(issue.get("cryptosuite", "eddsa-rdfc-2022")),
            status_purposes=purposes,
            legacy_proof=bool(issue.get("legacy_proof", False)),
            extra=config,
            store_url=store_url,
            keys=keys,
        )

    # --- parts ------------------------------------------------------------------------------

    def signer(self) -> Signer:
        """The issuer's signing key, loaded once per workspace object.

        ``[issuer.key_pkcs11]``: the key in a PKCS#11 token (credkit.identity.pkcs11), under the
        workspace's DID. Else the key file, opened with the process's passphrase source when it
        is encrypted (credkit.identity.passphrase). Every signing command comes through here.
        """
        if self._signer is not None:
            return self._signer
        issuer = self.extra.get("issuer", {})
        hardware = issuer.get("key_pkcs11") if isinstance(issuer, dict) else None
        signer: Signer
        if hardware is not None:
            from credkit.identity.pkcs11 import Pkcs11Config, Pkcs11Signer

            config = Pkcs11Config.from_table(hardware, self.root, str(self.root / CONFIG_NAME))
            signer = Pkcs11Signer(config, controller=self.issuer_did)
            multibase = signer.public_key.multibase
            if self.issuer_did.startswith("did:key:") and self.issuer_did != f"did:key:{multibase}":
                signer.close()
                raise WorkspaceError(
                    f"the token key {config.key_label!r} is did:key:{multibase}, but the "
                    f"workspace issuer is {self.issuer_did}"
                )
        else:
            signer = KeyPair.load(self.key_path)
        if signer.controller != self.issuer_did:
            raise WorkspaceError(
                f"{self.key_path} belongs to {signer.controller}, but the workspace issuer is "
                f"{self.issuer_did}"
            )
        self._signer = signer
        return signer

    def key(self) -> Signer:
        """The issuer's signing key (:meth:`signer`)."""
        return self.signer()

    def store(self) -> Any:
        """The issuer store bound to the workspace's base URL: SQLite (the default), or the
        PostgreSQL database of ``store_url``."""
        if self.store_url:
            from credkit.issuer.store_pg import PostgresStore

            return PostgresStore(self.store_url, base_url=self.base_url)
        from credkit.issuer.store import SqliteStore

        return SqliteStore(self.store_path, base_url=self.base_url)

    def require_base_url(self) -> str:
        if not self.base_url:
            raise WorkspaceError(
                f"{self.root / CONFIG_NAME}: publish.base_url is not set; status lists and "
                "hosted diplomas need the URL they will be served from"
            )
        return self.base_url


def _pkcs11_table(config: Pkcs11Config, folder: Path) -> list[str]:
    """``[issuer.key_pkcs11]``: where the token key is; the PIN's source, never the PIN."""
    lines = [
        "",
        "[issuer.key_pkcs11]",
        f"module = {_toml_str(config.module)}",
        f"token = {_toml_str(config.token)}",
        f"key_label = {_toml_str(config.key_label)}",
    ]
    if config.pin_env is not None:
        lines.append(f"pin_env = {_toml_str(config.pin_env)}")
    elif config.pin_file is not None:
        pin_file = Path(config.pin_file)
        shown = pin_file.relative_to(folder) if pin_file.is_relative_to(folder) else pin_file
        lines.append(f"pin_file = {_toml_str(str(shown))}")
    return lines


def _private_dir(folder: Path) -> None:
    """Make ``folder`` (0700, whatever the umask) unless it exists; a new one is set to 0700.

    The workspace holds the issuer's private key and the store of every graduate: nobody else
    on the machine needs to list it. Under ``umask 000`` a plain ``mkdir`` would give 0777.
    An existing folder the user chose (``credkit init .``) keeps its mode.
    """
    if folder.is_dir():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask; chmod is not


def _table(config: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    value = config.get(name, {})
    if not isinstance(value, dict):
        raise WorkspaceError(f"{path}: [{name}] must be a table")
    return value


def is_store_url(value: object) -> bool:
    return isinstance(value, str) and value.split(":", 1)[0].lower() in ("postgresql", "postgres")


def check_store_url(url: str, where: str) -> None:
    """A store URL credkit accepts: postgresql://, and no password in it (the password comes
    from PGPASSWORD, ~/.pgpass or ``password_file=``, never from a file credkit writes)."""
    from urllib.parse import urlsplit

    if not is_store_url(url):
        raise WorkspaceError(f"{where}: a store URL starts with postgresql://, not {url!r}")
    try:
        password = urlsplit(url).password
    except ValueError as exc:
        raise WorkspaceError(f"{where}: {exc}") from None
    if password is not None:
        raise WorkspaceError(
            f"{where}: the store URL holds a password; give it in PGPASSWORD or "
            "?password_file=PATH instead (credkit never writes a password to credkit.toml)"
        )


def _store_url(config: dict[str, Any], paths: dict[str, Any], config_path: Path) -> str | None:
    """``CREDKIT_STORE_URL``, else ``[store] url``, else a URL in ``[paths] store``."""
    env = os.environ.get(STORE_URL_ENV)
    if env:
        if not is_store_url(env):
            raise WorkspaceError(f"{STORE_URL_ENV}: a store URL starts with postgresql://")
        return env  # the environment may carry a password: it is never written anywhere
    table = _table(config, "store", config_path)
    for value, where in ((table.get("url"), "store.url"), (paths.get("store"), "paths.store")):
        if is_store_url(value):
            check_store_url(str(value), f"{config_path}: {where}")
            return str(value)
        if value is not None and where == "store.url":
            raise WorkspaceError(f"{config_path}: store.url must be a postgresql:// URL")
    return None
