"""``python -m credkit`` runs the command line."""

from credkit.cli.main import main

main()
