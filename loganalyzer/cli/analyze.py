"""``loganalyzer analyze``: root causes, evidence and fixes for the inputs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from loganalyzer.cli import (
    EXIT_NO_EVIDENCE,
    FailOn,
    ReportFormat,
    Severity,
    findings_exit,
    problems_exit,
    severity_rank,
)
from loganalyzer.cli.app import app
from loganalyzer.cli.options import (
    IGNORE_OPTION,
    JOBS_OPTION,
    LAST_JVM_OPTION,
    PASSWORD_ENV_OPTION,
    SELECT_OPTION,
    SINCE_OPTION,
    UNTIL_OPTION,
    passwords,
)
from loganalyzer.cli.output import emit, read_inputs, report_problems, stderr

if TYPE_CHECKING:
    from loganalyzer.analysis.diagnoses import HeldKey
    from loganalyzer.errors import Problem


@app.command()
def analyze(
    paths: list[str] = typer.Argument(..., help="Log files, folders, archives, or - for stdin."),
    format: ReportFormat = typer.Option(
        ReportFormat.text,
        "--format",
        "-f",
        help="text (terminal), json (the contract in the README), markdown (for a support case) "
        "or html (one self-contained file).",
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Write the report to this file instead of stdout (any format).",
        dir_okay=False,
    ),
    fail_on: FailOn = typer.Option(
        FailOn.warning,
        "--fail-on",
        help="Lowest severity that makes the exit code 1 (never: always 0).",
    ),
    min_severity: Severity = typer.Option(
        Severity.info, "--min-severity", help="Hide diagnoses below this severity."
    ),
    redact: bool = typer.Option(
        False,
        "--redact",
        help="Replace instance and host names, IP and e-mail addresses, user names, DN values and "
        "certificate serials with stable pseudonyms, so the report can be shared.",
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="No progress bar on stderr (problems are still reported)."
    ),
    rules_dir: Path | None = typer.Option(
        None, "--rules-dir", metavar="DIR", help="Folder of rule files instead of the shipped ones."
    ),
    extra_rules: list[Path] = typer.Option(
        [], "--extra-rules", metavar="DIR",
        help="A rule pack: a folder of your own rule files, used next to the others (repeat for "
        "several). Their ids must not clash with the shipped ones.",
    ),
    since: str | None = SINCE_OPTION,
    until: str | None = UNTIL_OPTION,
    last_jvm: bool = LAST_JVM_OPTION,
    select: list[str] = SELECT_OPTION,
    ignore: list[str] = IGNORE_OPTION,
    certs: list[str] = typer.Option(
        [], "--certs", metavar="FILE",
        help="The MID Server's certificate files or keystore (PEM, DER, PKCS#12, JKS; repeat "
        "for several): where the log does not show its chain, the missing CA is named from "
        "them."),
    password_env: str | None = PASSWORD_ENV_OPTION,
    jobs: int | None = JOBS_OPTION,
) -> None:
    """Say why mutual TLS fails: root cause, confidence, evidence, fix, KB section.

    Exit codes:
    0  nothing at or above --fail-on (default: warning) was diagnosed
    1  at least one diagnosis at or above --fail-on
    2  usage error, unreadable input (after the others were analysed),
       unwritable --output file, a broken rule file, or an internal problem
       (a contained bug: the rest of the report is still written)
    3  not clean, not diagnosed: nothing was logged to judge, or no
       logged handshake completed and no rule names a cause

    --min-severity only hides diagnoses; the exit code looks at those shown.

    While a large input is read, a progress bar by bytes goes to stderr when
    stderr is a terminal (LOGANALYZER_PROGRESS=always|never overrides it).
    Stdout only ever holds the report.
    """
    from loganalyzer.analysis.diagnoses import diagnose
    from loganalyzer.analysis.selection import Window
    from loganalyzer.reporters.document import analyze_document
    from loganalyzer.ruleset.rules import load_rules
    from loganalyzer.ruleset.selection import Selection

    window = Window.of(since, until, last_jvm)
    selection = Selection.of(select, ignore)
    loaded = load_rules(rules_dir, extra=extra_rules)
    rules = selection.apply(loaded) if selection else loaded
    held, cert_problems = _held_keys(certs, password_env) if certs else ([], [])
    reading = read_inputs(paths, quiet, jobs)
    reading.problems[:0] = cert_problems
    stated = None
    if window:
        reading, stated = window.apply(reading)
    diagnoses = [
        d for d in diagnose(reading, rules, held)
        if severity_rank(d.severity) >= min_severity.rank
    ]
    document = analyze_document(reading, diagnoses, stated,
                                selection.describe(loaded) if selection else None)
    problems = reading.problems + emit(document, format.value, output, redact)
    if problems:  # a clean run never makes the error console (nor imports rich for it)
        report_problems(problems, stderr(), redact, document)
    failed = problems_exit(problems)
    if failed is not None:
        raise typer.Exit(failed)
    if document["verdict"] in ("no-evidence", "inconclusive"):
        raise typer.Exit(EXIT_NO_EVIDENCE)
    raise typer.Exit(findings_exit((d.severity for d in diagnoses), fail_on))


def _held_keys(files: list[str], password_env: str | None) -> tuple[list[HeldKey], list[Problem]]:
    """The key pairs in the MID Server's certificate files, and what could not be read."""
    from loganalyzer.selfcheck import certs

    password, ask = passwords(password_env)
    bundle = certs.load(files, password=password, ask=ask)
    if not bundle.certs:
        return [], bundle.problems
    return certs.held_keys(certs.check(bundle)), bundle.problems
