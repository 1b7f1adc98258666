"""JSON-LD: the bundled contexts and their loader, RDFC-1.0 canonicalization (the exact path:
:mod:`~credkit.jsonld.rdfc`, :mod:`~credkit.jsonld.nquads`), and next to it the fast paths that
must equal it byte for byte (:mod:`~credkit.jsonld.fastld` memoized expansion,
:mod:`~credkit.jsonld.shapes` shape-compiled canonical forms, :mod:`~credkit.proofs.fastcheck`
their differential self-test).

Layer: the lowest above the shared base (errors, network policy, deadline, atomic files).
"""
