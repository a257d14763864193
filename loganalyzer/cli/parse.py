"""``loganalyzer parse``: show the handshakes found in the inputs."""

from __future__ import annotations

from pathlib import Path

import typer

from loganalyzer.cli import EXIT_OK, ReportFormat, problems_exit
from loganalyzer.cli.app import app
from loganalyzer.cli.options import JOBS_OPTION, LAST_JVM_OPTION, SINCE_OPTION, UNTIL_OPTION
from loganalyzer.cli.output import emit, read_inputs, report_problems, stderr


@app.command()
def parse(
    paths: list[str] = typer.Argument(..., help="Log files, folders, archives, or - for stdin."),
    format: ReportFormat = typer.Option(ReportFormat.text, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Write to this file instead of stdout (any format).",
        dir_okay=False,
    ),
    redact: bool = typer.Option(
        False,
        "--redact",
        help="Replace instance and host names, IP and e-mail addresses, user names, DN values and "
        "certificate serials with stable pseudonyms.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar on stderr."),
    since: str | None = SINCE_OPTION,
    until: str | None = UNTIL_OPTION,
    last_jvm: bool = LAST_JVM_OPTION,
    jobs: int | None = JOBS_OPTION,
) -> None:
    """Show the TLS handshakes found: when, where, certificates asked for and sent, outcome.

    For each: when, where, JVM, thread, host, TLS version, certificate requested
    (and CA names), certificate sent, outcome.

    Exit code 2 when an input could not be read (after the others were
    processed), the --output file cannot be written, or a bug was contained
    (an internal problem; the rest is still shown).
    """
    from loganalyzer.analysis.selection import Window
    from loganalyzer.reporters.document import parse_document

    window = Window.of(since, until, last_jvm)
    reading = read_inputs(paths, quiet, jobs)
    stated = None
    if window:
        reading, stated = window.apply(reading)
    document = parse_document(reading, stated)
    problems = reading.problems + emit(document, format.value, output, redact)
    report_problems(problems, stderr(), redact, document)
    raise typer.Exit(problems_exit(problems) or EXIT_OK)
