"""``loganalyzer rules list | show ID | check``: the rule catalogue, from one loaded RuleSet."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from loganalyzer.cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
from loganalyzer.cli.app import PlainGroup, app
from loganalyzer.cli.output import stderr, stdout, write_json

if TYPE_CHECKING:
    from rich.console import Group

    from loganalyzer.ruleset.rules import Rule, RuleSet

rules_app = typer.Typer(
    name="rules",
    help="List, show and check the diagnosis rules (rules/*.yaml).",
    no_args_is_help=True,
    add_completion=False,
    cls=PlainGroup,
)
app.add_typer(rules_app, name="rules")

RULES_DIR_HELP = "Folder of rule files to use instead of the shipped rules/."


class ListFormat(str, Enum):
    text = "text"
    json = "json"


def _load(rules_dir: Path | None) -> RuleSet:
    from loganalyzer.ruleset.rules import load_rules

    return load_rules(rules_dir)  # a RuleLoadError goes to the CLI's error funnel: exit 2


@rules_app.command("list")
def list_rules(
    format: ListFormat = typer.Option(ListFormat.text, "--format", "-f", help="Output format."),
    scope: str | None = typer.Option(None, "--scope", help="Only rules of this scope: "
                                     "handshake, agent or text."),
    rules_dir: Path | None = typer.Option(None, "--rules-dir", help=RULES_DIR_HELP),
) -> None:
    """Every rule: id, root cause, severity, confidence, scope and title.

    Exit code 2 when a rule file is broken (run `loganalyzer rules check` to see
    all problems).
    """
    ruleset = _load(rules_dir)
    rules = [r for r in ruleset if scope is None or r.scope == scope]
    if format is ListFormat.json:
        write_json({"rules": [r.to_dict() for r in rules]})
        raise typer.Exit(EXIT_OK)
    console = stdout()
    console.print(_catalogue(rules, console.width))
    raise typer.Exit(EXIT_OK)


WIDE = 120  # columns from which each rule is one row of a table; narrower, two lines


def _catalogue(rules: list[Rule], width: int) -> Group:
    """The rules as a table, or at 80 columns as two lines each: no id or root cause is cut.

    Narrow: the id, then the root cause, severity, confidence and scope; the title below them,
    under the root cause (a hanging indent).
    """
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    title = Text(f"{len(rules)} rule{'s' if len(rules) != 1 else ''}", style="bold")
    if width >= WIDE:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, header_style="bold")
        for column in ("id", "root cause", "severity", "confidence", "scope"):
            table.add_column(column, no_wrap=True)
        table.add_column("title", ratio=1)
        for r in rules:
            table.add_row(r.id, r.root_cause, r.severity, r.confidence, r.scope, Text(r.title))
        return Group(title, table)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(ratio=1)
    for r in rules:
        grid.add_row(r.id, Text.assemble((r.root_cause, "bold"), "  ",
                                         (f"{r.severity} · {r.confidence} · {r.scope}", "dim"),
                                         "\n", r.title))
    return Group(title, grid)


@rules_app.command("show")
def show_rule(
    rule_id: str = typer.Argument(..., metavar="ID", help="Rule id, e.g. MTLS-020."),
    rules_dir: Path | None = typer.Option(None, "--rules-dir", help=RULES_DIR_HELP),
) -> None:
    """All of one rule: metadata, meaning, fix steps, condition and KB section.

    Exit code 1 when no rule has that id, 2 when a rule file is broken.
    """
    ruleset = _load(rules_dir)
    rule = ruleset.get(rule_id)
    if rule is None:
        stderr().print(f"loganalyzer: no rule {rule_id!r}; `loganalyzer rules list` shows them",
                       highlight=False, markup=False)
        raise typer.Exit(EXIT_FINDINGS)
    from loganalyzer.cli.explain import render_rule

    stdout().print(render_rule(rule, full=True))
    raise typer.Exit(EXIT_OK)


@rules_app.command("check")
def check(
    rules_dir: Path | None = typer.Option(None, "--rules-dir", help=RULES_DIR_HELP),
) -> None:
    """Validate every rule file and list every problem (file, line, field).

    Exit code 0 when all rules are valid, 2 when there is any problem.
    """
    from loganalyzer.ruleset.rules import check_rules, load_rules

    problems = check_rules(rules_dir)
    console = stderr()
    for p in problems:
        console.print(f"[red]error[/]: {p}", highlight=False, soft_wrap=True)
    if problems:
        console.print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found",
                      highlight=False)
        raise typer.Exit(EXIT_ERROR)
    ruleset = load_rules(rules_dir)
    stdout().print(f"{len(ruleset)} rules OK ({ruleset.directory})", highlight=False,
                   markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_OK)
