"""Batch scans: many folders and archives in, one table of root causes out, on many cores.

The work is cut into tasks before anything is read. A task is one MID Server folder (its plain
and compressed logs, which rotation stitching must see together and in order) or one archive
(whose members form their own, archive-qualified MID Servers). So every MID Server is read and
diagnosed whole inside one task, exactly as ``analyze`` would, and the tasks can run anywhere
(this process, a process pool, a Dask cluster; see :mod:`loganalyzer.batch.executors`) with the same
result. Workers send back plain rows, never parsed models, so the parent stays small.

pandas is imported only when the table is built, so the library stays light for ``analyze``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from loganalyzer.errors import Location, Problem
from loganalyzer.ingest.sources import Entry, Limits, display_path, expand_inputs, iter_entries
from loganalyzer.vocabulary import severity_rank

if TYPE_CHECKING:
    import pandas as pd

    from loganalyzer.analysis.diagnoses import Diagnosis
    from loganalyzer.analysis.reading import MidServer
    from loganalyzer.analysis.selection import Window
    from loganalyzer.ruleset.rules import RuleSet
    from loganalyzer.ruleset.selection import Selection

COLUMNS = (
    "input", "archive", "member", "mid_server", "jvm", "log_start", "log_end", "first_seen",
    "root_cause", "rule", "severity", "confidence", "occurrences", "line", "evidence", "title",
)
"""The results table, one row per (MID Server log set, diagnosis); the README documents each."""

FILE_COLUMNS = (
    "input", "archive", "member", "mid_server", "role", "layout", "bytes", "lines", "records",
    "handshakes", "agent_events",
)
_TIME_COLUMNS = ("log_start", "log_end", "first_seen")
_ARCHIVE_NAME = re.compile(r"\.(?:zip|tar|tgz|tbz2?|txz|tar\.(?:gz|bz2|xz))$", re.IGNORECASE)

ProgressHook = Callable[[int], None]


#: The rules a scan uses: a folder instead of the shipped rules (or None), and rule packs added.
RuleSource = tuple[str | None, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Task:
    """One share of the work whose MID Servers are complete: a folder's logs, or one archive.

    ``size`` is the bytes on disk (for scheduling largest first and for the progress bar).
    ``window`` and ``selection`` (``--since``/``--until``/``--last-jvm``, ``--select``/``--ignore``)
    go with it to the worker; durations count back from the newest event of this task's logs.
    """

    key: str
    entries: tuple[Entry, ...]
    size: int
    rules: RuleSource = (None, ())  # which rules diagnose it (absolute folders: workers load them)
    window: Window | None = None
    selection: Selection | None = None


@dataclass(slots=True)
class TaskResult:
    """What a task found, as plain data that pickles small: rows, per-file counts, problems."""

    key: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0
    bytes: int = 0
    handshakes: int = 0


@dataclass(slots=True)
class Plan:
    """The tasks of a scan, and what was found wrong or skipped while listing the inputs."""

    tasks: list[Task]
    problems: list[Problem]
    skipped: int

    @property
    def size(self) -> int:
        return sum(t.size for t in self.tasks)


@dataclass(slots=True)
class ScanResult:
    """The results table and the facts for the summary (see :func:`summary`)."""

    table: pd.DataFrame
    files: pd.DataFrame
    problems: list[Problem]
    skipped: int
    bytes: int
    disk_bytes: int
    handshakes: int
    seconds: float
    tasks: int

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds > 0 else 0.0


# ---------------------------------------------------------------------------------------------
# Planning


def plan(paths: Sequence[str], rules: RuleSource = (None, ()), window: Window | None = None,
         selection: Selection | None = None) -> Plan:
    """List the inputs and cut them into tasks, largest first; nothing is opened yet.

    Plain and singly compressed logs go with their folder (one MID Server); each ``.zip`` or
    ``.tar*`` gets a task of its own, since its members never join a folder's MID Server.
    """
    problems: list[Problem] = []
    skipped = 0
    by_key: dict[str, list[Entry]] = {}
    for item in expand_inputs(paths):
        if isinstance(item, Problem):
            if item.kind == "skipped":
                skipped += 1
            else:
                problems.append(item)
            continue
        if item.stdin:
            problems.append(Problem(Location("<stdin>"), "scan reads files, not stdin; use "
                                    "'loganalyzer analyze -' for a log on stdin", "input"))
            continue
        # keys are shown (the table's "input"): names as sources shows them, valid UTF-8
        key = display_path(item.path) if _ARCHIVE_NAME.search(item.path) else item.group
        by_key.setdefault(key, []).append(item)
    tasks = [Task(key, tuple(entries), sum(_disk_size(e.path) for e in entries), rules, window,
                  selection)
             for key, entries in by_key.items()]
    tasks.sort(key=lambda t: (-t.size, t.key))
    return Plan(tasks, problems, skipped)


def _disk_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


# ---------------------------------------------------------------------------------------------
# One task (runs in a worker)


@cache
def _rules(source: RuleSource = (None, ())) -> RuleSet:
    """The rules of ``source``, loaded once per process (workers reuse them for every task)."""
    from loganalyzer.ruleset.rules import load_rules

    return load_rules(source[0], extra=source[1])


@cache
def _selected(source: RuleSource = (None, ()), selection: Selection | None = None) -> RuleSet:
    """The rules of ``source`` that ``selection`` keeps, once per process and selection."""
    rules = _rules(source)
    return selection.apply(rules) if selection else rules


def run_task(task: Task, limits: Limits = Limits(), on_bytes: ProgressHook | None = None
             ) -> TaskResult:
    """Read and diagnose one task; never raises (a crash becomes a problem of the task)."""
    result = TaskResult(task.key)
    try:
        _run(task, limits, on_bytes, result)
    except Exception as exc:  # noqa: BLE001 - one input must never end a scan of thousands
        result.rows.clear()
        result.problems.append(Problem(
            Location(task.key), f"internal error, this input was not scanned "
                                f"({type(exc).__name__}: {exc})", "input"))
    return result


def _run(task: Task, limits: Limits, on_bytes: ProgressHook | None, result: TaskResult) -> None:
    from loganalyzer.analysis.diagnoses import diagnose
    from loganalyzer.analysis.reading import read_items

    reading = read_items(iter_entries(task.entries, limits=limits), on_bytes)
    if task.window:
        reading, _ = task.window.apply(reading)
    result.problems.extend(reading.problems)
    result.skipped = reading.skipped
    diagnoses = diagnose(reading, _selected(task.rules, task.selection))
    for server in reading.servers:
        mine = [d for d in diagnoses if d.mid_server == server.group]
        result.rows.extend(_rows(task.key, server, mine))
        for f in server.files:
            result.bytes += f.bytes
            result.handshakes += len(f.handshakes)
            result.files.append({
                "input": task.key, "archive": f.source.archive, "member": f.source.member,
                "mid_server": server.group, "role": f.source.role, "layout": f.layout,
                "bytes": f.bytes, "lines": f.lines, "records": f.records,
                "handshakes": len(f.handshakes), "agent_events": len(f.agent_events),
            })


def _rows(key: str, server: MidServer, diagnoses: list[Diagnosis]) -> Iterable[dict[str, Any]]:
    times = [h.start_time for h in server.handshakes if h.start_time is not None]
    times += [e.time for e in server.agent_events if e.time is not None]
    start, end = (min(times), max(times)) if times else (None, None)
    for d in diagnoses:
        # member and line: the first evidence line, as the report lists it; the JVM: that of
        # the first handshake (or agent line) the rule fired on, which the evidence may precede
        anchor = d.first_line if d.first_line[0] else (
            (d.evidence[0].path, d.evidence[0].line) if d.evidence else ("", 0))
        path, line = (d.evidence[0].path, d.evidence[0].line) if d.evidence else anchor
        archive, _, member = path.rpartition("!")
        yield {
            "input": key,
            "archive": archive,
            "member": member,
            "mid_server": d.mid_server,
            "jvm": _jvm_at(server, *anchor),
            "log_start": start,
            "log_end": end,
            "first_seen": d.first_seen,
            "root_cause": d.root_cause,
            "rule": d.rule,
            "severity": d.severity,
            "confidence": d.confidence,
            "occurrences": d.handshakes,
            "line": line,
            "evidence": "; ".join(f"{e.path}:{e.line}" for e in d.evidence),
            "title": d.title,
        }


def _jvm_at(server: MidServer, path: str, line: int) -> int | None:
    """The wrapper's JVM number of the handshake holding ``path:line`` (None for agent logs)."""
    for h in server.handshakes:
        if h.path == path and h.start.line <= line <= h.end.line:
            return h.thread.jvm
    return None


# ---------------------------------------------------------------------------------------------
# The whole scan


def scan(
    paths: Sequence[str],
    *,
    executor: Any = None,
    limits: Limits = Limits(),
    on_plan: Callable[[Plan], None] | None = None,
    on_bytes: ProgressHook | None = None,
    rules: RuleSource = (None, ()),
    window: Window | None = None,
    selection: Selection | None = None,
) -> ScanResult:
    """Scan ``paths`` and gather one table; ``executor`` defaults to this process.

    ``rules`` names a rules folder to use instead of the shipped one, and rule packs to add; the
    folders are loaded here first, so a broken rule file fails before any work is sent out.
    ``window`` and ``selection`` narrow what each task analyses (see
    :mod:`loganalyzer.analysis.selection`); an unknown selector fails here too.

    ``on_plan`` sees the tasks before they run (to size a progress bar: ``plan.size`` bytes on
    disk); ``on_bytes`` is then told how many of those bytes were done as the scan goes on.
    The table's row order depends only on the inputs, never on which worker finished first.
    """
    from loganalyzer.batch.executors import SerialExecutor

    started = time.perf_counter()
    if rules != (None, ()):
        rules = (os.path.abspath(rules[0]) if rules[0] else None,
                 tuple(os.path.abspath(p) for p in rules[1]))
        _rules(rules)  # a RuleLoadError here is the user's, with file and line
    if selection is not None:
        _selected(rules, selection)  # a SelectionError here is the user's too
    the_plan = plan(paths, rules, window, selection)
    if on_plan is not None:
        on_plan(the_plan)
    runner = executor or SerialExecutor()
    results = {r.key: r for r in runner.run(the_plan.tasks, limits, on_bytes)}
    ordered = [results[t.key] for t in sorted(the_plan.tasks, key=lambda t: t.key)]
    problems = list(the_plan.problems)
    for r in ordered:
        problems.extend(r.problems)
    return ScanResult(
        table=make_table([row for r in ordered for row in r.rows]),
        files=_frame([f for r in ordered for f in r.files], FILE_COLUMNS),
        problems=problems,
        skipped=the_plan.skipped + sum(r.skipped for r in ordered),
        bytes=sum(r.bytes for r in ordered),
        disk_bytes=the_plan.size,
        handshakes=sum(r.handshakes for r in ordered),
        seconds=time.perf_counter() - started,
        tasks=len(the_plan.tasks),
    )


def make_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The results table with fixed columns and types, also when nothing was found."""
    import pandas as pd

    table = _frame(rows, COLUMNS)
    for column in _TIME_COLUMNS:
        table[column] = pd.to_datetime(table[column])
    table["jvm"] = table["jvm"].astype("Int64")
    table["occurrences"] = table["occurrences"].astype("int64")
    table["line"] = table["line"].astype("int64")
    return table


def _frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame.from_records([_showable(row) for row in rows], columns=list(columns))


def _showable(row: dict[str, Any]) -> dict[str, Any]:
    """The row with every text valid UTF-8 (see :func:`~loganalyzer.ingest.names.display_path`).

    Paths come from :mod:`loganalyzer.ingest.sources` escaped already; this is the last line of
    defence for any text from a name that is not UTF-8 (Arrow strings, CSV and Parquet need
    UTF-8), so one odd file name can never cost the whole table.
    """
    for key, value in row.items():
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                row = {**row, key: display_path(value)}
    return row


# ---------------------------------------------------------------------------------------------
# Output


WRITERS = (".csv", ".jsonl", ".parquet")


def write_table(table: pd.DataFrame, path: str) -> None:
    """Write the table as CSV, JSON lines or Parquet (by suffix), to ``path`` and nowhere else.

    A half-written file is removed when writing fails, so a failed run leaves nothing behind.
    """
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in WRITERS:
        raise ValueError(f"{path}: unknown output type {suffix!r}; use one of {', '.join(WRITERS)}")
    existed = os.path.exists(path)
    try:
        if suffix == ".csv":
            table.to_csv(path, index=False)
        elif suffix == ".jsonl":
            text = table.to_json(orient="records", lines=True, date_format="iso",
                                 date_unit="ms", force_ascii=False)
            with open(path, "w", encoding="utf-8") as out:  # paths keep their slashes: no "\/"
                out.write(_SLASH_ESCAPE.sub(_unescape_slash, text or ""))
        else:
            table.to_parquet(path, engine="pyarrow", index=False)
    except BaseException:
        if not existed and os.path.exists(path):
            os.unlink(path)
        raise


# an escape in a JSON string: a backslash and the character after it, taken pairwise
_SLASH_ESCAPE = re.compile(r"\\(.)")


def _unescape_slash(m: re.Match[str]) -> str:
    """An escaped slash as a slash (pandas escapes every one); every other escape as it is."""
    return "/" if m.group(1) == "/" else m.group(0)


def read_table(path: str) -> pd.DataFrame:
    """Read back a table written by :func:`write_table` with the same column types."""
    import pandas as pd

    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".parquet":
        return pd.read_parquet(path, engine="pyarrow")
    if suffix == ".jsonl":
        table = pd.read_json(path, orient="records", lines=True, dtype=False)
    else:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in ("jvm", "occurrences", "line"):
            table[column] = pd.to_numeric(table[column].replace("", None))
        for column in _TIME_COLUMNS:
            table[column] = table[column].replace("", None)
    # pandas takes None as the value for the missing cells; pandas-stubs leave None out
    rows = table.astype(object).where(table.notna(), None).to_dict(  # type: ignore[call-overload]
        "records")
    return make_table(rows)


# ---------------------------------------------------------------------------------------------
# Summary


@dataclass(frozen=True, slots=True)
class Summary:
    """The figures the CLI shows after a scan."""

    by_root_cause: list[tuple[str, str, int]]  # (root cause, worst severity, rows)
    by_input: list[tuple[str, int, int]]  # (archive or folder, rows, problems)
    files: int
    bytes: int
    disk_bytes: int
    handshakes: int
    problems: int
    skipped: int
    seconds: float
    mb_per_s: float


def summary(result: ScanResult) -> Summary:
    """Counts per root cause and per input, and the throughput of the scan."""
    table = result.table
    by_cause: list[tuple[str, str, int]] = []
    if len(table):
        for cause, rows in table.groupby("root_cause", sort=True):
            worst = max(rows["severity"], key=severity_rank)
            by_cause.append((str(cause), worst, len(rows)))
        by_cause.sort(key=lambda c: (-severity_rank(c[1]), -c[2], c[0]))
    counts: dict[str, list[int]] = {}
    for key in result.files["input"]:
        counts.setdefault(key, [0, 0])
    for key in table["input"]:
        counts.setdefault(key, [0, 0])[0] += 1
    for p in result.problems:
        if p.kind == "input":
            counts.setdefault(_input_of(p.where.path, counts), [0, 0])[1] += 1
    return Summary(
        by_root_cause=by_cause,
        by_input=sorted((k, v[0], v[1]) for k, v in counts.items()),
        files=len(result.files),
        bytes=result.bytes,
        disk_bytes=result.disk_bytes,
        handshakes=result.handshakes,
        problems=sum(1 for p in result.problems if p.kind == "input"),
        skipped=result.skipped,
        seconds=result.seconds,
        mb_per_s=result.mb_per_s,
    )


def _input_of(path: str, known: dict[str, list[int]]) -> str:
    outer = path.split("!", 1)[0]
    if outer in known:
        return outer
    folder = os.path.dirname(outer) or "."
    return folder if folder in known else outer
