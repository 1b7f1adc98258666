"""How a graduate shares a diploma: QR payloads and images, the printable page.

Layer: beside :mod:`credkit.verify`; needs nothing from the issuing side.
"""
