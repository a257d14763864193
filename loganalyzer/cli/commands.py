"""Imports every subcommand module so each registers itself on the root app."""

from loganalyzer.cli import (
    analyze,  # noqa: F401
    certs,  # noqa: F401
    config,  # noqa: F401
    explain,  # noqa: F401
    instance,  # noqa: F401
    parse,  # noqa: F401
    probe,  # noqa: F401
    rules,  # noqa: F401
    scan,  # noqa: F401
    selfcheck,  # noqa: F401
)
