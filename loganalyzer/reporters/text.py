"""Terminal report with rich, built from the plain document (so redaction applies before it).

Per MID Server: a headline panel per diagnosis (severity, root cause, confidence, title), what it
means, the evidence lines (file:line, the words that prove it highlighted), the fix as numbered
steps with the KB section, then the handshake timeline. It is laid out to read at 80 columns;
colour is the console's business (none when not a terminal or ``NO_COLOR`` is set).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from io import StringIO
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from loganalyzer.errors import Problem
from loganalyzer.reporters import internal_problems, section
from loganalyzer.reporters import evidence as ev_mod
from loganalyzer.reporters.document import (
    NO_EVIDENCE,
    Block,
    Groups,
    causes_told,
    common_folder,
    laid_out,
    numbers,
    origin,
    cite,
    heading,
    is_setup,
    provenance,
    relative,
    setup_empty,
    shorten_left,
    standing,
)
from loganalyzer.reporters.timeline import Row, rows, short_dn  # noqa: F401  (short_dn: public)

if TYPE_CHECKING:
    from loganalyzer.analysis.diagnoses import Diagnosis
    from loganalyzer.analysis.reading import MidServer, Reading

SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "bold green"}
OUTCOME_STYLE = {"completed": "green", "failed": "red", "unknown": "yellow"}
HIGHLIGHT = "bold magenta"
INDENT = 2
EVIDENCE_WHERE = 32  # the most of 80 columns an evidence line's file:line takes


def _plural(n: int, word: str, many: str = "") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


def summary(doc: dict[str, Any]) -> Text:
    """One line: what was read and what was found."""
    inputs = doc.get("inputs", [])
    parts = [
        f"Read {_plural(len(inputs), 'file')} ({sum(i['lines'] for i in inputs):,} lines)",
        _plural(len(doc.get("handshakes", [])), "TLS handshake"),
    ]
    if is_setup(doc):
        parts = [f"loganalyzer {doc.get('command', 'self-check')}: checked "
                 + ", ".join(p["title"].lower() for p in doc["checked"])] if doc["checked"] \
            else [f"loganalyzer {doc.get('command', 'self-check')}"]
    if "diagnoses" in doc:
        counts = {s: sum(1 for d in doc["diagnoses"] if d["severity"] == s) for s in SEVERITY_STYLE}
        found = ", ".join(
            _plural(n, s, "info" if s == "info" else "") for s, n in counts.items() if n
        )
        parts.append(
            _plural(len(doc["diagnoses"]), "diagnosis", "diagnoses")
            + (f": {found}" if found else "")
        )
    line = Text(" · ".join(parts))
    from loganalyzer.reporters.document import scope_line  # the window and rules, when narrowed

    if scope_line(doc):
        line.append(f"\n{scope_line(doc)}", style="dim")
    if doc.get("redacted"):
        line.append(
            "\nRedacted: names, addresses, DN values and serials are pseudonyms.", style="bold"
        )
    return line


def highlighted(text: str) -> Text:
    """An evidence line with the words that prove the cause in bold."""
    out = Text()
    for piece, strong in ev_mod.pieces(text):
        out.append(piece, style=HIGHLIGHT if strong else None)
    return out


def _seen(d: dict[str, Any]) -> str:
    """``seen 2 times · first 2026-11-26 14:18:49.061``, or which set-up parts found it."""
    if provenance(d):
        return provenance(d)
    seen = f"seen {_plural(d.get('occurrences') or 0, 'time')}"
    if d.get("first_seen"):
        seen += f" · first {d['first_seen'][:23]}"
    return seen


def _panel(lines: list[RenderableType], title: str, style: str) -> Panel:
    return Panel(Group(*lines), title=Text(title), title_align="left", border_style=style,
                 box=box.ROUNDED)


def _confidence(value: str) -> tuple[str, str]:
    return (f"({value})", "bold cyan" if value == "confirmed" else "cyan")


def diagnosis_block(d: dict[str, Any], n: int, group: str = "",
                    shown: Block | None = None) -> Group:
    """Headline panel, meaning, evidence, fix and KB section of one diagnosis (a plain dict).

    ``shown`` is its block in the report: a side effect points to its cause there, and shows
    only the evidence lines that cause does not.
    """
    style = SEVERITY_STYLE.get(d["severity"], "bold")
    head = Text.assemble(
        (d["severity"].upper(), style), "  ", (d["root_cause"], "bold"), "  ",
        _confidence(d["confidence"]),
    )
    panel = _panel([head, Text(d["title"], style="bold"),
                    Text(f"rule {d['rule']} · {_seen(d)}", style="dim")], f"{n}", style)
    body: list[RenderableType] = []
    if shown is not None and shown.cause is not None:
        body.append(Text(shown.pointer(), style="bold"))
    body += _findings(d)
    if d.get("distinguish"):
        body.append(
            Text.assemble(("To tell the candidates apart: ", "italic"), d["distinguish"].strip())
        )
    body += _evidence(shown.evidence if shown else d["evidence"], group,
                      shown.evidence_title() if shown else "Evidence")
    body += _fix(d)
    return Group(panel, Padding(Group(*body), (0, 0, 1, INDENT)))


def block(b: Block, group: str = "") -> Group:
    """One block of a MID Server's diagnoses: a diagnosis, or the candidates of a differential."""
    if b.differential:
        return differential_block(b, group)
    return diagnosis_block(b.diagnoses[0], b.numbers[0], group, b)


def differential_block(b: Block, group: str = "") -> Group:
    """The candidates of a differential: listed in one panel, their evidence shown once.

    Then what tells them apart, and each candidate's meaning and fix.
    """
    first = b.diagnoses[0]
    style = SEVERITY_STYLE.get(first["severity"], "bold")
    head = Text.assemble(
        (first["severity"].upper(), style), "  ",
        (f"one of {len(b.diagnoses)} possible causes", "bold"), "  ",
        _confidence("possible"),
    )
    listing = Table.grid(padding=(0, 2))
    listing.add_column(no_wrap=True, justify="right")
    listing.add_column(no_wrap=True, style="bold")
    listing.add_column(ratio=1)
    for n, d in zip(b.numbers, b.diagnoses):
        listing.add_row(Text(f"{n}"), Text(d["root_cause"]), Text(d["title"]))
    panel = _panel([head, listing, Text(_seen(first), style="dim")], b.span, style)
    body: list[RenderableType] = []
    apart = _numbered([(n, d["distinguish"].strip()) for n, d in zip(b.numbers, b.diagnoses)
                       if d.get("distinguish")])
    if apart.row_count:
        body += [Text("To tell them apart", style="bold"), Padding(apart, (0, 0, 0, INDENT))]
    body += _evidence(b.evidence, group, b.evidence_title())
    for n, d in zip(b.numbers, b.diagnoses):
        body.append(Rule(Text.assemble((f"{n} ", "bold"), (d["root_cause"], "bold"),
                                       (f"  rule {d['rule']}", "dim")),
                         align="left", style="dim"))
        body += _findings(d) + _fix(d)
    return Group(panel, Padding(Group(*body), (0, 0, 1, INDENT)))


def _findings(d: dict[str, Any]) -> list[RenderableType]:
    """The sentence that says what was found, what is missing, and what it means."""
    out: list[RenderableType] = []
    if d.get("detail"):
        out.append(Text(d["detail"].strip(), style="bold"))
    if d.get("missing"):
        out.append(Padding(missing_table(d["missing"]), (0, 0, 0, INDENT)))
    out.append(Text(d["meaning"].strip()))
    return out


def _evidence(evidence: list[dict[str, Any]], group: str, title: str) -> list[RenderableType]:
    """The evidence lines as ``file:line`` and the line, the words that prove it highlighted."""
    if not evidence:
        return []
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="cyan")
    grid.add_column(overflow="fold")
    for e in evidence:  # a file outside the MID Server folder keeps the right end of its path
        where = shorten_left(f"{relative(e['path'], group)}:{e['line']}", EVIDENCE_WHERE)
        grid.add_row(Text(where), highlighted(e["text"]))
    return [Text(title, style="bold"), Padding(grid, (0, 0, 0, INDENT))]


def _numbered(items: list[tuple[int, str]]) -> Table:
    steps = Table.grid(padding=(0, 1))
    steps.add_column(no_wrap=True, justify="right")
    steps.add_column()
    for i, step in items:
        steps.add_row(Text(f"{i}."), Text(step))
    return steps


def _fix(d: dict[str, Any]) -> list[RenderableType]:
    """The fix as numbered steps, its KB section, and the KB address whole on one line."""
    if not d["fix"]:
        return []
    kb = d.get("kb") or {}
    fix_head = Text("Fix", style="bold")
    if kb:
        fix_head.append(f"  ({cite(kb)})", style="dim")
    out: list[RenderableType] = [fix_head, Padding(_numbered(list(enumerate(d["fix"], 1))),
                                                   (0, 0, 0, INDENT))]
    if kb.get("url"):  # whole on one line, so it can be copied (79 columns for a KB link)
        out.append(Text(kb["url"], style="dim", no_wrap=True, overflow="ignore"))
    return out


MISSING_NAMES = 3  # accepted CA names listed under a diagnosis; the rest are counted
_LABEL_WIDTH = 8


def _labelled() -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True, min_width=_LABEL_WIDTH)
    grid.add_column(overflow="fold", ratio=1)
    return grid


def missing_table(m: dict[str, Any]) -> Group:
    """The ``missing`` field of a diagnosis, compactly.

    The CA names accepted, the chain held (leaf to root, with its OpenSSL subject and issuer
    hashes), what to upload and, when there are several, the keys.
    """
    accepted = m.get("accepted") or []
    names = _labelled()
    for i, name in enumerate(accepted[:MISSING_NAMES]):
        names.add_row("Accepted" if i == 0 else "", Text(name))
    if len(accepted) > MISSING_NAMES:
        names.add_row("", Text(f"… and {len(accepted) - MISSING_NAMES} more", style="dim"))
    if not accepted:
        names.add_row("Accepted", Text("no CA named", style="dim"))
    chain = m.get("chain") or []
    held = Table.grid(padding=(0, 1))
    held.add_column(style="bold", no_wrap=True, min_width=_LABEL_WIDTH)
    held.add_column(overflow="fold", ratio=1)
    held.add_column(no_wrap=True)
    held.add_column(no_wrap=True)
    if chain:
        how = "leaf to root" + (f", key {m['alias']}" if m.get("alias") else "")
        held.add_row("Chain", Text(how, style="dim"), Text("hash", style="dim"),
                     Text("issuer", style="dim"))
        for n, c in enumerate(chain):
            held.add_row("", Text(("<- " if n else "") + c["subject"]),
                         c.get("subject_hash") or "?", c.get("issuer_hash") or "?")
    else:
        held.add_row("Chain", Text("not in the log", style="dim"), "", "")
    rest = _labelled()
    for i, name in enumerate(m.get("upload") or []):
        rest.add_row("Upload" if i == 0 else "", Text(name))
    keys = m.get("keys") or []
    if len(keys) > 1:
        for i, k in enumerate(keys):
            notes = [w for w, on in (("presented", k.get("presented")),
                                     ("does not fit", not k.get("fits"))) if on]
            line = Text(f"{k.get('alias') or '?'}: {k['subject']}")
            if notes:
                line.append(f" ({', '.join(notes)})", style="dim")
            rest.add_row("Keys" if i == 0 else "", line)
    return Group(names, held, rest) if rest.row_count else Group(names, held)


def _advice(advice: dict[str, Any]) -> Group:
    """The numbered steps that turn "nothing to judge" into a log that can be judged."""
    kb = advice["kb"]
    head = Text("What to do", style="bold")
    head.append(f"  ({cite(kb)})", style="dim")
    steps = Table.grid(padding=(0, 1))
    steps.add_column(no_wrap=True, justify="right")
    steps.add_column()
    for i, step in enumerate(advice["fix"], 1):
        steps.add_row(Text(f"{i}."), Text(step))
    return Group(head, Padding(steps, (0, 0, 1, INDENT)))


def timeline_table(handshakes: list[dict[str, Any]], group: str) -> Table | None:
    """One row per handshake: when, where, JVM and thread, host, asked for, sent, outcome.

    Each row says when, where, which JVM and thread, to which host, what the instance asked
    for, what the MID sent, and how it ended.

    To fit 80 columns, what every row shares (the file, the host) moves into the title.
    """
    if not handshakes:
        return None
    timeline = rows(handshakes, group)
    files = {r.where.rpartition(":")[0] for r in timeline}
    hosts = {r.host for r in timeline}
    title = Text(f"TLS handshakes in {group}", style="bold")
    shared = [f"file {next(iter(files))}"] if len(files) == 1 else []
    shared += [f"host {next(iter(hosts))}"] if len(hosts) == 1 and hosts != {"-"} else []
    # one column fewer when every row has the same host (named in the title) or none is known
    if shared:
        title.append(f" ({', '.join(shared)})", style="dim")
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
        show_lines=True,
    )
    columns = ["line" if len(files) == 1 else "where", "time", "JVM", "thread"]
    columns += ["host"] if len(hosts) > 1 else []
    columns += ["TLS"]
    for name in columns:
        table.add_column(name, overflow="fold", no_wrap=name in ("line", "time", "JVM", "TLS"))
    table.add_column("client certificate · outcome", overflow="fold", ratio=1)
    for row in timeline:
        # Text, not markup: thread names and DNs are log text and may hold "[...]"
        cells = [
            Text(row.where.rpartition(":")[2] if len(files) == 1 else row.where),
            Text(row.time.rpartition(".")[0] or row.time),
            Text(row.jvm),
            Text(row.thread),
        ]
        cells += [Text(row.host)] if len(hosts) > 1 else []
        cells += [Text(row.tls.removeprefix("TLSv"))]
        table.add_row(*cells, story(row))
    return table


def story(row: Row) -> Text:
    """Requested (with the CA names), sent, outcome: three short lines of one timeline cell."""
    out = Text.assemble(("requested: ", "dim"), row.requested)
    if row.ca_names:
        out.append(" · CAs: ", style="dim")
        out.append(", ".join(row.ca_names))
    if row.sent:
        out.append("\nsent: ", style="dim")
        out.append(row.sent)
    out.append("\n")
    out.append(row.outcome, style=OUTCOME_STYLE.get(row.outcome, ""))
    if row.detail:
        out.append(f": {row.detail}")
    return out


def report(doc: dict[str, Any], problems: list[Problem] | None = None) -> list[RenderableType]:
    """The whole report: ``analyze`` documents get diagnoses, ``parse`` documents only timelines.

    A section that fails to render becomes a placeholder line, and an internal problem in
    ``problems``; the document's own internal problems close the report.
    """
    analysed = "diagnoses" in doc
    setup = is_setup(doc)
    out: list[RenderableType] = [summary(doc)]
    if setup and not doc["diagnoses"]:
        out.append(Text(setup_empty(doc), style="bold"))
    groups = Groups(doc)
    number = numbers(groups)
    several = analysed and not setup and len(groups.names) > 1
    if several:  # a table of the MID Servers first, a line of counts last
        out.append(section(problems, "", "the table of MID Servers",
                           lambda: overview_table(groups, number), _placeholder))
    for group in groups.names:
        if analysed:
            # a Rule would cut a long path short; the path must stay whole to be found again
            out += [
                Rule(style="dim"),
                Text(heading(doc, group), style="bold", overflow="fold"),
            ]
            mine = groups.diagnoses(group)
            if not mine and not groups.has_evidence(group):
                out += [Text(groups.nothing_to_judge(group), style="bold yellow"),
                        _advice(doc.get("no_evidence") or NO_EVIDENCE)]
            elif not mine:
                out.append(Text(groups.no_problem(group)))
            out.extend(
                section(problems, group, origin(b), partial(block, b, group), _placeholder)
                for b in laid_out(mine, number, problems, group)
            )
        table = section(problems, group, "the handshake timeline",
                        lambda: timeline_table(groups.handshakes(group), group), Text)
        if table is not None:
            out.append(table)
    if setup:
        out += [section(problems, "", f"the {part['title']} summary",
                        partial(checked_block, part), _placeholder) for part in doc["checked"]]
    elif not groups.names:
        out.append(
            Text(
                "No log found in the inputs."
                if analysed
                else "No TLS handshake found in the inputs."
            )
        )
    elif not analysed and not doc["handshakes"]:
        out.append(Text("No TLS handshake found in the inputs."))
    unread = [p for p in doc.get("problems", []) if p["kind"] != "internal"] if setup else []
    if unread:  # a self-check says in the report what it could not check
        out += [Rule(style="dim"), Text("Inputs not read, and problems", style="bold")]
        out += [Hanging(Text(f"{p['kind']}: {p['path']}:{p['line']}: {p['message']}"
                             if p["line"] else f"{p['kind']}: {p['path']}: {p['message']}"))
                for p in unread]
    bugs = internal_problems(doc)
    if bugs:
        out += [Rule(style="dim"), Text("Internal problems", style="bold red")]
        out += [Hanging(Text(f"{p['path']}:{p['line']}: {p['message']}" if p["line"]
                             else f"{p['path']}: {p['message']}")) for p in bugs]
    if several:
        out += [Rule(style="dim"), section(problems, "", "the line of counts",
                                           lambda: count_line(doc, groups), _placeholder)]
    return out


def overview_table(groups: Groups, number: dict[int, int]) -> Group:
    """One entry per MID Server: its name, worst severity and handshakes; its root causes below.

    The folder every name shares moves into the title, so names stay whole at 80 columns.
    """
    folder = common_folder(groups.names)
    title = Text(_plural(len(groups.names), "MID Server"), style="bold")
    if folder:
        title.append(f" in {folder}", style="dim")
    rows: list[RenderableType] = [title, _overview_row(
        Text("MID Server, root causes", style="bold"), Text("worst", style="bold"),
        Text("handshakes", style="bold"))]
    for group in groups.names:
        mine = groups.diagnoses(group)
        worst = next((s for s in SEVERITY_STYLE if any(d["severity"] == s for d in mine)), "-")
        handshakes = groups.handshakes(group)
        failed = sum(1 for h in handshakes if h["outcome"] == "failed")
        rows.append(_overview_row(
            Text(group[len(folder):], style="bold"), Text(worst, style=SEVERITY_STYLE.get(worst,
                                                                                       "")),
            Text(f"{len(handshakes)}" + (f", {failed} failed" if failed else ""))))
        causes = causes_told(mine, number) if mine else {
            "clean": "no mutual-TLS problem found", "inconclusive": "no rule names a cause",
        }.get(standing(groups, group), "no handshake and no MID Server event logged")
        rows.append(Padding(Text(causes, style="" if mine else "dim"), (0, 0, 0, INDENT)))
    return Group(*rows)


def _overview_row(name: Text, worst: Text, handshakes: Text) -> Table:
    row = Table.grid(padding=(0, 1), expand=True)
    row.add_column(ratio=1, overflow="fold")
    row.add_column(width=7, no_wrap=True)
    row.add_column(width=13, no_wrap=True, justify="right")
    row.add_row(name, worst, handshakes)
    return row


def count_line(doc: dict[str, Any], groups: Groups) -> Text:
    """The last line of a report on several MID Servers: how many stand where, in one line."""
    states: dict[str, int] = {}
    for group in groups.names:
        state = standing(groups, group)
        states[state] = states.get(state, 0) + 1
    order = ("error", "warning", "clean", "inconclusive", "nothing to judge")
    told = ", ".join(f"{states[s]} {s}" for s in order if states.get(s))
    handshakes = doc.get("handshakes", [])
    failed = sum(1 for h in handshakes if h["outcome"] == "failed")
    return Text(f"{_plural(len(groups.names), 'MID Server')}: {told} · {failed} of "
                f"{_plural(len(handshakes), 'TLS handshake')} failed")


def _placeholder(message: str) -> RenderableType:
    """The line that stands in for a section that could not be drawn."""
    return Text(message)


LABEL_WIDTH = 32  # the widest label a self-check row keeps beside its value


def checked_block(part: dict[str, Any]) -> Group:
    """What one part of a self-check looked at: a titled list of label, value rows.

    Values start in one column. A label too long for it (a DN, a config parameter) gets a line
    of its own with its value under it, so no name is broken; whatever wraps keeps a hanging
    indent.
    """
    labels = [row["label"] for row in part["rows"]]
    width = max((len(label) for label in labels if len(label) <= LABEL_WIDTH), default=8)
    out: list[RenderableType] = [Rule(Text(part["title"], style="bold"), align="left",
                                      style="dim")]
    grid: Table | None = None
    for row in part["rows"]:
        label, value = Text(row["label"], style="bold"), Hanging(Text(row["value"]))
        if len(row["label"]) <= width:
            if grid is None:
                grid = Table.grid(padding=(0, 2))
                grid.add_column(width=width)
                grid.add_column(ratio=1)
                out.append(grid)
            grid.add_row(label, value)
        else:
            grid = None
            out += [Hanging(label), Padding(value, (0, 0, 0, width + 2))]
    return Group(*out)


class Hanging:
    """Text whose wrapped lines after the first are indented: a hanging indent.

    Each line of the text (split at line breaks) starts flush; what wraps from it is indented
    by ``indent``, so a long DN, path or message still reads as one entry.
    """

    def __init__(self, text: Text, indent: int = INDENT) -> None:
        self.text = text
        self.indent = indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        for paragraph in self.text.split("\n"):
            lines = paragraph.wrap(console, width, overflow="fold")
            if len(lines) <= 1:
                yield from lines
                continue
            head = lines[0]
            rest = paragraph[len(head.plain):]
            rest = rest[len(rest.plain) - len(rest.plain.lstrip(" ")):]
            head.rstrip()
            yield head
            for line in rest.wrap(console, max(width - self.indent, 1), overflow="fold"):
                line.rstrip()
                yield Text(" " * self.indent) + line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.text)


def render(
    doc: dict[str, Any], width: int = 80, color: bool = False,
    problems: list[Problem] | None = None,
) -> str:
    """The report as a string (for ``-o FILE`` and snapshots)."""
    buffer = StringIO()
    console = Console(
        file=buffer,
        width=width,
        no_color=not color,
        force_terminal=color,
        color_system="standard" if color else None,
        highlight=False,
        soft_wrap=False,
    )
    for item in report(doc, problems):
        console.print(item)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


# ---------------------------------------------------------------------------------------------
# The names other modules used before the reporters read plain documents; they still work.


def handshake_tables(reading: Reading) -> list[Table]:
    """One table per MID Server that has handshakes."""
    from loganalyzer.reporters.document import parse_document

    groups = Groups(parse_document(reading))
    return [t for g in groups.names if (t := timeline_table(groups.handshakes(g), g))]


def handshake_table(server: MidServer) -> Table | None:
    """The timeline table of one :class:`~loganalyzer.analysis.reading.MidServer`."""
    from loganalyzer.reporters.document import handshake

    return timeline_table([handshake(h) for h in server.handshakes], server.group)


def diagnosis_panels(diagnoses: Iterable[Diagnosis | dict[str, Any]]) -> list[Group]:
    """One block per diagnosis (``Diagnosis`` objects or their ``as_dict()``)."""
    items = [d if isinstance(d, dict) else d.as_dict() for d in diagnoses]
    return [diagnosis_block(d, n, d.get("mid_server", "")) for n, d in enumerate(items, 1)]
