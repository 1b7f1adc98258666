"""The reference's RDF side (jsonld.js + rdf-canonize) from Python: ``node/canon.mjs``.

Installed beside the same pinned ``node_modules`` as :mod:`tests.interop.jsref` (one install per
lockfile); only the driver script differs.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Any

from interop.jsref import NODE_DIR, NodeDriver, _install_script, contexts_dir, ensure_installed


@dataclass(frozen=True)
class JsCanon(NodeDriver):
    """``node canon.mjs canonize|toRDF|nquads <contexts>`` over JSON."""

    @classmethod
    def setup(cls) -> JsCanon:
        folder = ensure_installed()
        node = shutil.which("node")
        assert node is not None  # checked by ensure_installed
        script = _install_script(folder, NODE_DIR / "canon.mjs")
        return cls(node=node, script=script, contexts=contexts_dir())

    def canonize(self, document: Any) -> str:
        """RDFC-1.0 canonical N-Quads, as the eddsa-rdfc-2022 suite computes them."""
        out: str = self.run("canonize", {"document": document})["nquads"]
        return out

    def canonize_many(self, documents: list[Any]) -> list[dict[str, str]]:
        """:meth:`canonize` of each document (``{"nquads"}`` or ``{"error"}``), one Node start."""
        results: list[dict[str, str]] = self.run("canonize", {"documents": documents})["results"]
        return results

    def to_rdf_many(self, documents: list[Any]) -> list[dict[str, str]]:
        """jsonld.js toRDF (safe mode) of each document, as N-Quads (blank nodes as issued)."""
        results: list[dict[str, str]] = self.run("toRDF", {"documents": documents})["results"]
        return results

    def canonize_nquads(self, nquads: str) -> str:
        out: str = self.run("nquads", {"nquads": nquads})["nquads"]
        return out
