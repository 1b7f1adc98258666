"""What a diploma is: the VC 2.0 / Open Badges 3.0 models, the JSON Schema check, templates,
rosters, and building and signing one diploma.

Layer: above :mod:`credkit.proofs` and :mod:`credkit.status`; below issuer and verify.
"""
