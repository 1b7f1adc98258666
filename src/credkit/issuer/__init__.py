"""The issuing side: the workspace, the issuer store (behind :class:`IssuerStore`), cohort
issuing, hosted diplomas and the static site of what an issuer publishes.

Layer: above :mod:`credkit.verify` and :mod:`credkit.share`; an employer's verifier never
imports it.
"""
