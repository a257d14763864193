"""``loganalyzer scan``: many folders and archives in, one table of root causes out."""

from __future__ import annotations

import os
from pathlib import Path
from enum import Enum
from typing import TYPE_CHECKING, Optional

import typer

from loganalyzer.cli import EXIT_ERROR, FailOn, findings_exit, problems_exit
from loganalyzer.cli.app import app
from loganalyzer.cli.options import (
    IGNORE_OPTION,
    LAST_JVM_OPTION,
    SELECT_OPTION,
    UNTIL_OPTION,
)
from loganalyzer.cli.output import report_problems, stderr, stdout

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from loganalyzer.analysis.selection import Window
    from loganalyzer.batch.executors import DaskExecutor, PoolExecutor, SerialExecutor
    from loganalyzer.batch.tasks import Plan, RuleSource, ScanResult, Summary
    from loganalyzer.ruleset.selection import Selection


class Executor(str, Enum):
    process = "process"
    serial = "serial"
    dask = "dask"


_MAX_INPUT_LINES = 20  # the per-input summary of a scan of thousands stays readable


@app.command()
def scan(
    paths: list[str] = typer.Argument(..., help="Folders (walked recursively), globs, log files "
                                      "and archives (.zip, .tar, .tar.gz, .gz, nested)."),
    output: Optional[str] = typer.Option(
        None, "--output", "-o", help="Write the table to this file: .csv, .jsonl or .parquet "
        "(without it a short table is printed)."),
    jobs: Optional[int] = typer.Option(
        None, "--jobs", "-j", min=1, help="Worker processes (default: all cores; 1 runs in this "
        "process)."),
    executor: Executor = typer.Option(
        Executor.process, "--executor", help="Where tasks run: a process pool on this machine, "
        "this process only, or a Dask cluster."),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", help="Address of a running Dask scheduler (tcp://host:8786); "
        "implies --executor dask. Without it, dask starts a local cluster."),
    fail_on: FailOn = typer.Option(
        FailOn.never, "--fail-on", help="Lowest severity that makes the exit code 1."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary "
                               "(problems are still listed)."),
    rules_dir: Optional[Path] = typer.Option(
        None, "--rules-dir", metavar="DIR",
        help="Folder of rule files instead of the shipped ones."),
    extra_rules: list[Path] = typer.Option(
        [], "--extra-rules", metavar="DIR", help="A rule pack: a folder of your own rule files, "
        "used next to the others (repeat for several); workers must see it at the same path."),
    worker_timeout: float = typer.Option(
        60.0, "--worker-timeout", min=0.1, help="Dask only: seconds to wait while the cluster "
        "has no worker (or to reach --scheduler) before the tasks left are reported as not "
        "scanned."),
    since: Optional[str] = typer.Option(
        None, "--since", metavar="WHEN", help="Only handshakes and MID log lines from WHEN on: a "
        "time as the logs show it, in their local time (2026-11-26 14:09:25), or a duration "
        "before the newest event of each folder or archive (30m, 2h, 1d), so logs from last "
        "month work too."),
    until: Optional[str] = UNTIL_OPTION,
    last_jvm: bool = LAST_JVM_OPTION,
    select: list[str] = SELECT_OPTION,
    ignore: list[str] = IGNORE_OPTION,
) -> None:
    """Scan many logs and archives: one row per MID Server log set and root cause.

    Every MID Server (a folder, or a folder inside an archive) is analysed as
    'analyze' would; files that are not logs are skipped and counted. A progress
    bar by bytes and a summary (counts per root cause and per input, throughput)
    go to stderr.

    Exit codes: 0 the scan finished and nothing at or above --fail-on (default:
    never) was found; 1 at least one such diagnosis; 2 usage error, the output
    cannot be written, or an input or archive member could not be read (the rest
    is scanned and written first).
    """
    if output is not None:
        from loganalyzer.batch.tasks import WRITERS

        if os.path.splitext(output)[1].lower() not in WRITERS:
            raise typer.BadParameter(f"use a file name ending in {', '.join(WRITERS)}",
                                     param_hint="--output")
    if scheduler:
        executor = Executor.dask
    from loganalyzer.analysis.selection import Window
    from loganalyzer.batch import tasks as batch
    from loganalyzer.batch.executors import make_executor
    from loganalyzer.ruleset.selection import Selection

    window = Window.of(since, until, last_jvm)
    selection = Selection.of(select, ignore)
    scope = _scope(window, selection, rules_dir, extra_rules)
    runner = make_executor(executor.value, jobs, scheduler, worker_timeout)
    rules: RuleSource = (str(rules_dir) if rules_dir else None,
                         tuple(str(p) for p in extra_rules))
    console = stderr()
    if quiet:
        result = batch.scan(paths, executor=runner, rules=rules, window=window,
                            selection=selection)
    else:
        result = _with_progress(paths, runner, console, rules, window, selection)
    if output is not None:
        try:
            batch.write_table(result.table, output)
        except OSError as exc:
            console.print(f"loganalyzer: error: cannot write {output}: "
                          f"{exc.strerror or exc}", highlight=False, markup=False)
            raise typer.Exit(EXIT_ERROR)
    else:
        _print_table(result.table, scope)
    # inputs that could not be read, bugs contained, and notices that name what was left out
    # (a FIFO, a device, a link out of the tree); files skipped as not logs are only counted
    report_problems([p for p in result.problems if p.kind in ("input", "internal", "notice")],
                    console)
    if not quiet:
        _print_summary(batch.summary(result), output, console)
        if output is not None and scope:
            console.print(scope, highlight=False, markup=False, soft_wrap=True)
    if problems_exit(result.problems) is not None:
        raise typer.Exit(EXIT_ERROR)
    raise typer.Exit(findings_exit(result.table["severity"], fail_on))


def _with_progress(paths: list[str], runner: SerialExecutor | PoolExecutor | DaskExecutor,
                   console: Console, rules: RuleSource, window: Window | None = None,
                   selection: Selection | None = None) -> ScanResult:
    """``batch.scan`` with a bar on ``console`` by bytes read, gone when the scan ends."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from loganalyzer.batch.tasks import scan as scan_paths

    with Progress(TextColumn("scanning"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), TimeRemainingColumn(), console=console,
                  transient=True) as progress:
        bar = progress.add_task("scan", total=None)

        def on_plan(plan: Plan) -> None:
            progress.update(bar, total=plan.size)

        return scan_paths(paths, executor=runner, on_plan=on_plan, rules=rules,
                          on_bytes=lambda n: progress.advance(bar, n), window=window,
                          selection=selection)


def _scope(window: Window | None, selection: Selection | None, rules_dir: Path | None,
           extra_rules: list[Path]) -> str:
    """The window and rule selection the scan uses, in one line ("" when it uses all)."""
    if window is None and selection is None:
        return ""
    from loganalyzer.reporters.document import scope_line
    from loganalyzer.ruleset.rules import load_rules

    doc: dict[str, object] = {"window": window.stated() if window else None}
    if selection is not None:
        doc["selection"] = selection.describe(load_rules(rules_dir, extra=extra_rules))
    return scope_line(doc)


def _print_table(table: pd.DataFrame, scope: str = "") -> None:
    """The table on stdout at the console's width (80 when piped).

    The window and rule selection first, when narrowed; then one heading per MID Server and a
    line per root cause with its first evidence; a path too long for its place loses its left
    end.
    """
    from itertools import groupby

    from rich.text import Text

    from loganalyzer.reporters.document import relative, shorten_left

    console = stdout()
    if scope:
        console.print(Text(scope), soft_wrap=False)
    if not len(table):
        console.print("No diagnosis in the inputs.")
        return
    rows = []
    for row in table.itertuples(index=False):
        # the table's text columns hold str (see batch.tasks.make_table); line is an int64
        archive, member, group = str(row.archive), str(row.member), str(row.mid_server)
        where = relative(f"{archive}!{member}" if archive else member, group)
        rows.append((group, str(row.root_cause), str(row.severity), str(row.confidence),
                     str(row.occurrences), f"{where}:{row.line!s}" if row.line else where))
    head = ("root cause", "severity", "confidence", "n", "first evidence")
    widths = [max(len(head[i]), *(len(r[i + 1]) for r in rows)) for i in range(4)]
    rest = max(console.width - 2 - sum(widths) - 2 * 4, 16)

    def line(cells: tuple[str, ...]) -> str:
        cause, severity, confidence, n, where = cells
        return "  " + "  ".join([cause.ljust(widths[0]), severity.ljust(widths[1]),
                                 confidence.ljust(widths[2]), n.rjust(widths[3]),
                                 shorten_left(where, rest)])

    console.print(Text(line(head), style="bold"), soft_wrap=True)
    for group, mine in groupby(rows, key=lambda r: r[0]):
        console.print(Text(shorten_left(group, console.width), style="bold"), soft_wrap=True)
        for r in mine:
            console.print(Text(line(r[1:])), soft_wrap=True)


def _print_summary(summary: Summary, output: str | None, console: Console) -> None:
    """Counts per root cause and per input, and the throughput, on stderr at its width."""
    from rich.text import Text

    from loganalyzer.reporters.document import plural, shorten_left
    if summary.by_root_cause:
        console.print(Text("Root causes", style="bold"))
        width = max(len(c) for c, _, _ in summary.by_root_cause)
        for cause, severity, rows in summary.by_root_cause:
            console.print(Text(f"  {cause.ljust(width)}  {severity.ljust(7)}  "
                               f"{plural(rows, 'log set')}"), soft_wrap=True)
    ranked = sorted(summary.by_input, key=lambda i: (-i[2], -i[1], i[0]))
    if ranked:
        console.print(Text("Inputs", style="bold"))
        counts = [f"{plural(rows, 'diagnosis', 'diagnoses')}, {plural(problems, 'problem')}"
                  for _, rows, problems in ranked[:_MAX_INPUT_LINES]]
        width = max(len(c) for c in counts)
        for (name, _, _), told in zip(ranked, counts):
            room = max(console.width - 2 - width - 2, 16)
            console.print(Text(f"  {shorten_left(name, room).ljust(room)}  {told.rjust(width)}"
                               .rstrip()), soft_wrap=True)
        if len(ranked) > _MAX_INPUT_LINES:
            console.print(Text(f"  … {len(ranked) - _MAX_INPUT_LINES} more"))
    # two lines, each short enough for 80 columns (the path of -o aside)
    console.print(
        f"{plural(summary.files, 'file')} ({summary.skipped} skipped), "
        f"{summary.bytes / 1e6:.1f} MB read ({summary.disk_bytes / 1e6:.1f} MB on disk), "
        f"{plural(summary.handshakes, 'handshake')}", highlight=False, markup=False)
    console.print(
        f"{plural(summary.problems, 'problem')}, {summary.seconds:.2f} s, "
        f"{summary.mb_per_s:.1f} MB/s" + (f"; table written to {output}" if output else ""),
        highlight=False, markup=False, soft_wrap=True)
