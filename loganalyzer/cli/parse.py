"""``loganalyzer parse``: show the handshakes found in the inputs."""

from __future__ import annotations

import sys
from enum import Enum

import typer

from loganalyzer.cli import EXIT_ERROR, EXIT_OK
from loganalyzer.cli.app import app
from loganalyzer.cli.output import report_problems, stderr, stdout, write_json


class ParseFormat(str, Enum):
    text = "text"
    json = "json"


@app.command()
def parse(
    paths: list[str] = typer.Argument(..., help="Log files, folders, archives, or - for stdin."),
    format: ParseFormat = typer.Option(ParseFormat.text, "--format", "-f", help="Output format."),
) -> None:
    """Show the TLS handshakes found: where, JVM, thread, host, TLS version, certificate
    requested (and CA names), certificate sent, outcome.

    Exit code 2 when an input could not be read (after the others were processed).
    """
    from loganalyzer.reading import read
    from loganalyzer.reporters.records import parse_document

    reading = read(paths, stdin=sys.stdin.buffer if "-" in paths else None)
    if format is ParseFormat.json:
        write_json(parse_document(reading))
    else:
        from loganalyzer.reporters.text import handshake_tables

        console = stdout()
        for table in handshake_tables(reading):
            console.print(table)
        if not reading.handshakes:
            console.print("No TLS handshake found in the inputs.")
    report_problems(reading.problems, stderr())
    bad_input = any(p.kind == "input" for p in reading.problems)
    raise typer.Exit(EXIT_ERROR if bad_input else EXIT_OK)
