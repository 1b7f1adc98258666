"""``eddsa-rdfc-2022`` (VC DI EdDSA 1.0 §3.2): RDFC-1.0 canonical N-Quads, Ed25519."""

from __future__ import annotations

from typing import Any

from credkit.jsonld import rdfc, shapes
from credkit.jsonld.contexts import DocumentLoader
from credkit.proofs.suites.base import Cryptosuite


class EddsaRdfc2022(Cryptosuite):
    name = "eddsa-rdfc-2022"
    proof_type = "DataIntegrityProof"
    cryptosuite: str | None = "eddsa-rdfc-2022"

    def transform(self, unsecured: dict[str, Any], loader: DocumentLoader) -> bytes:
        # §3.2.3 Transformation: canonical N-Quads of the JSON-LD document
        if shapes.verify_enabled():
            return shapes.canonicalize_for_signing(unsecured, loader).encode("utf-8")
        return rdfc.canonicalize(unsecured, loader).encode("utf-8")

    def transform_for_signing(self, unsecured: dict[str, Any], loader: DocumentLoader) -> bytes:
        # a same-shape cohort: from the compiled shape, trusted once proven exact
        # (credkit.jsonld.shapes)
        return shapes.canonicalize_for_signing(unsecured, loader).encode("utf-8")

    def configure(
        self, proof: dict[str, Any], unsecured: dict[str, Any], loader: DocumentLoader
    ) -> bytes:
        # §3.2.5 Proof Configuration: the options take the document's @context, then RDFC
        config = {k: v for k, v in proof.items() if k not in ("proofValue", "@context")}
        if "@context" in unsecured:
            config["@context"] = unsecured["@context"]
        # identical across a cohort (same created): kept, exactly (see rdfc.canonicalize_repeated)
        return rdfc.canonicalize_repeated(config, loader).encode("utf-8")
