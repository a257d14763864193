"""``python -m loganalyzer`` runs the command-line interface."""

from loganalyzer.cli.app import main

main()
