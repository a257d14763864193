"""``loganalyzer explain "TEXT"``: a pasted error message matched to the rules that explain it."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Group, RenderableType
from rich.text import Text

from loganalyzer.cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
from loganalyzer.cli.app import app
from loganalyzer.cli.output import stderr, stdout, write_json

if TYPE_CHECKING:
    from loganalyzer.ruleset.rules import Rule, RuleSet


class ExplainFormat(str, Enum):
    text = "text"
    json = "json"


def render_rule(rule: Rule, full: bool = False) -> Group:
    """A rule for people: title, what it means, the fix, the KB section.

    With ``full``, also the condition, evidence and explain patterns.
    """
    parts: list[RenderableType] = []
    head = Text()
    head.append(f"{rule.id}  ", style="bold")
    head.append(rule.title, style="bold")
    parts.append(head)
    meta = (f"root cause: {rule.root_cause} · severity: {rule.severity} · confidence: "
            f"{rule.confidence} · scope: {rule.scope}")
    if full:
        meta += f" · rank: {rule.rank}"
    parts.append(Text(meta, style="dim"))
    parts.append(Text(""))
    parts.append(Text("What it means", style="bold underline"))
    parts.append(Text(rule.meaning))
    parts.append(Text(""))
    parts.append(Text("Fix", style="bold underline"))
    from rich.markdown import Markdown  # here: it costs ~50 ms of every start-up otherwise

    parts.append(Markdown("\n".join(f"{n}. {step}" for n, step in enumerate(rule.fix, 1))))
    if rule.distinguish:
        parts.append(Text(""))
        parts.append(Text("Telling the candidates apart", style="bold underline"))
        parts.append(Text(rule.distinguish))
    parts.append(Text(""))
    parts.append(Text(f"KB: {rule.kb.article}, section \"{rule.kb.section}\""
                      + (f" ({rule.kb.number})" if rule.kb.number else ""), style="italic"))
    if rule.kb.url:
        parts.append(Text(rule.kb.url, style="dim", overflow="fold"))
    if full:
        parts.append(Text(""))
        if rule.scope == "text":
            parts.append(Text("When it fires: never on a log (explain only: no log shows this)"))
        else:
            parts.append(Text("When it fires", style="bold underline"))
            parts.append(Text(" ".join(rule.when.split()) if rule.when else ""))
            if rule.predicate:
                parts.append(Text(f"and the Python predicate {rule.predicate} "
                                  "(loganalyzer/ruleset/predicates.py)"))
            if rule.evidence:
                parts.append(Text(f"Evidence shown: {', '.join(rule.evidence)}"))
        if rule.explain:
            parts.append(Text(f"Explains texts matching: {' | '.join(rule.explain)}"))
        parts.append(Text(f"File: {rule.path}", style="dim"))
    return Group(*parts)


@app.command()
def explain(
    text: str = typer.Argument(..., help="The error message, quoted; - reads it from stdin."),
    format: ExplainFormat = typer.Option(ExplainFormat.text, "--format", "-f",
                                         help="Output format."),
    rules_dir: Path | None = typer.Option(None, "--rules-dir",
                                          help="Folder of rule files instead of rules/."),
) -> None:
    """Explain a pasted error message: what it means, how to fix it, and the KB section.

    The message may come from a log line, the instance UI or an e-mail.

    Text of several lines that holds TLS handshakes or MID agent events is a
    log: it is analysed as `loganalyzer analyze -` would, and the report says so.

    Exit codes: 0 when at least one rule explains the text, 1 when none does
    (the text is unknown), 2 for usage errors or a broken rule file. For a
    pasted log, those of analyze.
    """
    from loganalyzer.ruleset.rules import load_rules, match_text

    if text == "-":
        text = sys.stdin.read()
    if not text.strip():
        stderr().print("loganalyzer: error: give the error message to explain", markup=False)
        raise typer.Exit(EXIT_ERROR)
    ruleset = load_rules(rules_dir)
    if len(text.strip().splitlines()) > 1:
        _explain_log(text, ruleset, format)  # exits when the text is a log
    hits = match_text(ruleset, text)
    if format is ExplainFormat.json:
        write_json({"text": text, "matched": bool(hits), "rules": [r.to_dict() for r in hits]})
        raise typer.Exit(EXIT_OK if hits else EXIT_FINDINGS)
    console = stdout()
    if not hits:
        console.print("No rule explains this text. It is not one of the known mutual-TLS errors "
                      "of the MID Server Mutual Authentication article; if it comes from a log, "
                      "run `loganalyzer analyze` on the whole log.", markup=False,
                      highlight=False)
        raise typer.Exit(EXIT_FINDINGS)
    if len(hits) > 1:
        console.print(Text(f"{len(hits)} rules explain this text, most likely first.",
                           style="bold"))
        console.print()
    for n, rule in enumerate(hits):
        if n:
            console.rule(style="dim")
        console.print(render_rule(rule))
    raise typer.Exit(EXIT_OK)


def _explain_log(text: str, ruleset: RuleSet, format: ExplainFormat) -> None:
    """When ``text`` is a pasted log, analyse it as ``analyze -`` would and exit; else return."""
    import io

    from loganalyzer.analysis.diagnoses import diagnose
    from loganalyzer.analysis.reading import read
    from loganalyzer.cli import EXIT_NO_EVIDENCE, FailOn, findings_exit, problems_exit
    from loganalyzer.cli.output import emit, report_problems
    from loganalyzer.reporters.document import analyze_document

    reading = read(["-"], stdin=io.BytesIO(text.encode("utf-8", "surrogateescape")))
    if not reading.handshakes and not any(s.agent_events for s in reading.servers):
        return
    diagnoses = diagnose(reading, ruleset)
    document = analyze_document(reading, diagnoses)
    lines = len(text.splitlines())
    note = (f"This text is a log ({lines} lines, {len(reading.handshakes)} TLS handshakes): "
            "it was analysed as `loganalyzer analyze -` would.")
    if format is ExplainFormat.json:
        write_json({"text": text, "is_log": True, "matched": bool(diagnoses),
                    "analysis": document})
        problems = list(reading.problems)
    else:
        stdout().print(Text(note, style="bold"), highlight=False)
        problems = reading.problems + emit(document, "text", None, False)
    report_problems(problems, stderr())
    failed = problems_exit(problems)
    if failed is not None:
        raise typer.Exit(failed)
    if document["verdict"] in ("no-evidence", "inconclusive"):
        raise typer.Exit(EXIT_NO_EVIDENCE)
    raise typer.Exit(findings_exit((d.severity for d in diagnoses), FailOn.warning))
