"""``python -m credkit`` runs the command line."""

from credkit.cli import main

main()
