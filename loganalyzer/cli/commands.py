"""Imports every subcommand module so each registers itself on the root app."""

from loganalyzer.cli import parse  # noqa: F401
