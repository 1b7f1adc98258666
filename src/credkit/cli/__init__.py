"""The ``credkit`` command line: a thin adapter over the library (``main`` is the entry point).

Layer: the top, with :mod:`credkit.server`; nothing in the library imports it.
"""

from credkit.cli.main import main

__all__ = ["main"]
