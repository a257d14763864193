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


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    never = "never"


class Severity(str, Enum):
    info = "info"
    warning = "warning"
    error = "error"


_RANK = {"info": 0, "warning": 1, "error": 2}


@app.command()
def analyze(
    paths: list[str] = typer.Argument(..., help="Log files, folders, archives, or - for stdin."),
    format: AnalyzeFormat = typer.Option(AnalyzeFormat.text, "--format", "-f", help="Output format."),
    fail_on: FailOn = typer.Option(
        FailOn.warning, "--fail-on", help="Lowest severity that makes the exit code 1 (never: always 0)."
    ),
    min_severity: Severity = typer.Option(
        Severity.info, "--min-severity", help="Hide diagnoses below this severity."
    ),
) -> None:
    """Say why mutual TLS fails: root cause, confidence, evidence lines, fix steps, KB section.

    Exit codes: 0 nothing at or above --fail-on (default: warning) was diagnosed; 1 at least
    one such diagnosis; 2 usage error, unreadable input (after the other inputs were analysed)
    or a broken rule file.
    """
    from loganalyzer.diagnoses import diagnose
    from loganalyzer.reading import read
    from loganalyzer.rules import load_rules

    rules = load_rules()
    reading = read(paths, stdin=sys.stdin.buffer if "-" in paths else None)
    diagnoses = [d for d in diagnose(reading, rules) if _RANK[d.severity] >= _RANK[min_severity.value]]
    if format is AnalyzeFormat.json:
        from loganalyzer.reporters.records import analyze_document

        write_json(analyze_document(reading, diagnoses))
    elif format is AnalyzeFormat.markdown:
        from loganalyzer.reporters.markdown import render

        sys.stdout.write(render(reading, diagnoses) + "\n")
    else:
        from rich.text import Text

        from loganalyzer.reporters.text import diagnosis_panels, handshake_table

        console = stdout()
        for server in reading.servers:
            mine = [d for d in diagnoses if d.mid_server == server.group]
            console.rule(Text(f"MID Server logs: {server.group}"), align="left")
            if not mine:
                console.print("No mutual-TLS problem found.")
            for panel in diagnosis_panels(mine):
                console.print(panel)
            table = handshake_table(server)
            if table is not None:
                console.print(table)
        if not reading.servers:
            console.print("No log found in the inputs.")
    report_problems(reading.problems, stderr())
    if any(p.kind == "input" for p in reading.problems):
        raise typer.Exit(EXIT_ERROR)
    threshold = _RANK.get(fail_on.value)
    failing = threshold is not None and any(_RANK[d.severity] >= threshold for d in diagnoses)
    raise typer.Exit(EXIT_FINDINGS if failing else EXIT_OK)
