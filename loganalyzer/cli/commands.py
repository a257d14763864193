"""Imports every subcommand module so each registers itself on the root app."""

from loganalyzer.cli import parse  # noqa: F401
from loganalyzer.cli import rules  # noqa: F401
from loganalyzer.cli import explain  # noqa: F401
from loganalyzer.cli import analyze  # noqa: F401
from loganalyzer.cli import certs  # noqa: F401
from loganalyzer.cli import config  # noqa: F401
from loganalyzer.cli import probe  # noqa: F401
from loganalyzer.cli import selfcheck  # noqa: F401
from loganalyzer.cli import scan  # noqa: F401
