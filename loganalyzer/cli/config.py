"""``loganalyzer config PATH/config.xml``: the MID Server settings the KB names."""

from __future__ import annotations

from pathlib import Path

import typer

from loganalyzer.cli import FailOn, ReportFormat
from loganalyzer.cli.app import app
from loganalyzer.cli.selfcheck import (
    FAIL_ON_OPTION,
    FORMAT_OPTION,
    OUTPUT_OPTION,
    REDACT_OPTION,
    emit,
)


@app.command()
def config(
    path: str = typer.Argument(..., help="The MID Server's agent/config.xml."),
    format: ReportFormat = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
    fail_on: FailOn = FAIL_ON_OPTION,
    redact: bool = REDACT_OPTION,
) -> None:
    """Check config.xml: mutual authentication, the check_cert_* parameters, the instance url.

    It checks that mutual authentication is enabled (no mid.instance.username),
    that the three mid.ssl.bootstrap.default.check_cert_* parameters are true,
    and the instance url.

    Exit codes: 0 nothing at or above --fail-on (default: warning) was found; 1
    at least one such finding; 2 usage error, or a file that is missing or not
    well-formed XML (file:line).
    """
    from loganalyzer.selfcheck.combine import run

    check = run(config=path)
    check.command = "config"
    emit(check, format, fail_on, output, redact)
