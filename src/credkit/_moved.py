"""Old module paths, kept for one release: ``import credkit.keys`` still works, with a
DeprecationWarning naming the new path (issue 15 moved the modules into layer packages).

An import of an old path returns the new module itself (not a copy), so attributes set on it,
``isinstance`` checks and monkeypatching behave exactly as with the new path.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

MOVED: dict[str, str] = {
    "credkit.keys": "credkit.identity.keys",
    "credkit.multibase": "credkit.identity.multibase",
    "credkit.did": "credkit.identity.did",
    "credkit.contexts": "credkit.jsonld.contexts",
    "credkit.rdfc": "credkit.jsonld.rdfc",
    "credkit.nquads": "credkit.jsonld.nquads",
    "credkit.literals": "credkit.jsonld.literals",
    "credkit.jsonview": "credkit.jsonld.jsonview",
    "credkit.fastld": "credkit.jsonld.fastld",
    "credkit.shapes": "credkit.jsonld.shapes",
    "credkit.fastcheck": "credkit.proofs.fastcheck",
    "credkit.suites": "credkit.proofs.suites",
    "credkit.suites.base": "credkit.proofs.suites.base",
    "credkit.suites.eddsa_rdfc_2022": "credkit.proofs.suites.eddsa_rdfc_2022",
    "credkit.suites.eddsa_jcs_2022": "credkit.proofs.suites.eddsa_jcs_2022",
    "credkit.suites.ed25519_signature_2020": "credkit.proofs.suites.ed25519_signature_2020",
    "credkit.fastjcs": "credkit.proofs.suites.fastjcs",
    "credkit.models": "credkit.model.models",
    "credkit.schema_check": "credkit.model.schema_check",
    "credkit.template": "credkit.model.template",
    "credkit.roster": "credkit.model.roster",
    "credkit.diploma": "credkit.model.diploma",
    "credkit.verify_checks": "credkit.verify.checks",
    "credkit.verify_result": "credkit.verify.result",
    "credkit.verify_proof": "credkit.verify.proof",
    "credkit.verify_vp": "credkit.verify.presentation",
    "credkit.verify_endorse": "credkit.verify.endorsement",
    "credkit.verify_fetch": "credkit.verify.fetch",
    "credkit.trust": "credkit.verify.trust",
    "credkit.qr": "credkit.share.qr",
    "credkit.qr_image": "credkit.share.qr_image",
    "credkit.qr_payload": "credkit.share.qr_payload",
    "credkit.render": "credkit.share.render",
    "credkit.workspace": "credkit.issuer.workspace",
    "credkit.store": "credkit.issuer.store",
    "credkit.cohort": "credkit.issuer.cohort",
    "credkit.hosting": "credkit.issuer.hosting",
    "credkit.hosting_site": "credkit.issuer.site",
    "credkit.cli_common": "credkit.cli.common",
    "credkit.cli_issuer": "credkit.cli.issuer",
    "credkit.cli_qr": "credkit.cli.qr",
    "credkit.cli_serve": "credkit.cli.serve",
    "credkit.cli_status": "credkit.cli.status",
    "credkit.cli_verify": "credkit.cli.verify",
    "credkit.server.results": "credkit.verify.report",
}


class _Alias(importlib.abc.Loader):
    """Loads an old path by importing the new one and putting it in ``sys.modules``."""

    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # a placeholder; exec_module replaces it in sys.modules

    def exec_module(self, module: ModuleType) -> None:
        old = module.__name__
        warnings.warn(
            f"{old} moved to {self.new}; the old path goes away in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        sys.modules[old] = importlib.import_module(self.new)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        # a package's old path keeps its package-ness, so old submodule paths resolve too
        is_package = fullname == "credkit.suites"
        return importlib.machinery.ModuleSpec(fullname, _Alias(new), is_package=is_package)


def install() -> None:
    """Put the finder on ``sys.meta_path`` once (``import credkit`` does it)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        # first, so an old submodule path (credkit.suites.base) is never found as a file of the
        # new package and loaded a second time under the old name
        sys.meta_path.insert(0, _Finder())
