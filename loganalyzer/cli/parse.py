"""``loganalyzer parse``: show the handshakes found in the inputs."""

from __future__ import annotations

from pathlib import Path

import typer

from loganalyzer.cli import EXIT_OK, ReportFormat, problems_exit
from loganalyzer.cli.app import app
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
    since: str | None = typer.Option(
        None, "--since", metavar="WHEN",
        help="Only handshakes and MID log lines from WHEN on: a time as the log shows it, in its "
        "local time (2026-11-26 14:09:25), or a duration before the newest event read (30m, 2h, "
        "1d), so a log from last month works too.",
    ),
    until: str | None = typer.Option(
        None, "--until", metavar="WHEN", help="Only what was logged up to WHEN (as --since).",
    ),
    last_jvm: bool = typer.Option(
        False, "--last-jvm", help="Only the newest JVM start of each MID Server (the wrapper's "
        "jvm N of its last handshake).",
    ),
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
    reading = read_inputs(paths, quiet)
    stated = None
    if window:
        reading, stated = window.apply(reading)
    document = parse_document(reading, stated)
    problems = reading.problems + emit(document, format.value, output, redact)
    report_problems(problems, stderr(), redact, document)
    raise typer.Exit(problems_exit(problems) or EXIT_OK)
