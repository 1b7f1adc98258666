"""Who signed: Ed25519 keys and Multikey encoding, multibase, DIDs (did:key, did:web) and the
resolver that turns a verification method into a public key.

Layer: above :mod:`credkit.jsonld` (DID documents are JSON-LD), below :mod:`credkit.proofs`.
"""
