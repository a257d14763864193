"""``loganalyzer analyze``: root causes, evidence and fixes for the inputs."""

from __future__ import annotations

import sys
from enum import Enum

import typer

from loganalyzer.cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
from loganalyzer.cli.app import app
from loganalyzer.cli.output import report_problems, stderr, stdout, write_json


class AnalyzeFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


@app.command()
def analyze(
    paths: list[str] = typer.Argument(..., help="Log files, folders, archives, or - for stdin."),
    format: AnalyzeFormat = typer.Option(AnalyzeFormat.text, "--format", "-f", help="Output format."),
) -> None:
    """Say why mutual TLS fails: root cause, confidence, evidence lines, fix steps, KB section.

    Exit codes: 0 no error or warning diagnosed; 1 at least one error or warning;
    2 usage error, unreadable input (after the other inputs were analysed) or broken rules.
    """
    from loganalyzer.diagnoses import diagnose
    from loganalyzer.reading import read
    from loganalyzer.rules import load_rules

    rules = load_rules()
    reading = read(paths, stdin=sys.stdin.buffer if "-" in paths else None)
    diagnoses = diagnose(reading, rules)
    if format is AnalyzeFormat.json:
        from loganalyzer.reporters.records import analyze_document

        write_json(analyze_document(reading, diagnoses))
    elif format is AnalyzeFormat.markdown:
        from loganalyzer.reporters.markdown import render

        sys.stdout.write(render(reading, diagnoses) + "\n")
    else:
        from loganalyzer.reporters.text import diagnosis_panels, handshake_tables

        console = stdout()
        if not diagnoses:
            console.print("No mutual-TLS problem found.")
        for panel in diagnosis_panels(diagnoses):
            console.print(panel)
        for table in handshake_tables(reading):
            console.print(table)
    report_problems(reading.problems, stderr())
    if any(p.kind == "input" for p in reading.problems):
        raise typer.Exit(EXIT_ERROR)
    serious = any(d.severity in ("error", "warning") for d in diagnoses)
    raise typer.Exit(EXIT_FINDINGS if serious else EXIT_OK)
