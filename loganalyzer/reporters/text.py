"""Terminal report with rich, built from the plain document (so redaction applies before it).

Per MID Server: a headline panel per diagnosis (severity, root cause, confidence, title), what it
means, the evidence lines (file:line, the words that prove it highlighted), the fix as numbered
steps with the KB section, then the handshake timeline. It is laid out to read at 80 columns;
colour is the console's business (none when not a terminal or ``NO_COLOR`` is set).
"""

from __future__ import annotations

from io import StringIO
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from loganalyzer.reporters import internal_problems, section
from loganalyzer.reporters import evidence as ev_mod
from loganalyzer.reporters.document import (
    NO_EVIDENCE,
    Groups,
    cite,
    heading,
    is_setup,
    provenance,
    relative,
    setup_empty,
)
from loganalyzer.reporters.timeline import rows, short_dn  # noqa: F401  (short_dn: public name)

SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "bold green"}
OUTCOME_STYLE = {"completed": "green", "failed": "red", "unknown": "yellow"}
HIGHLIGHT = "bold magenta"
INDENT = 2


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


def diagnosis_block(d: dict[str, Any], n: int, group: str = "") -> Group:
    """Headline panel, meaning, evidence, fix and KB section of one diagnosis (a plain dict)."""
    style = SEVERITY_STYLE.get(d["severity"], "bold")
    head = Text.assemble(
        (d["severity"].upper(), style),
        "  ",
        (d["root_cause"], "bold"),
        "  ",
        (f"({d['confidence']})", "bold cyan" if d["confidence"] == "confirmed" else "cyan"),
    )
    seen = f"rule {d['rule']} · seen {_plural(d.get('occurrences') or 0, 'time')}"
    if d.get("first_seen"):
        seen += f" · first {d['first_seen'][:23]}"
    if provenance(d):
        seen = f"rule {d['rule']} · {provenance(d)}"
    panel = Panel(
        Group(head, Text(d["title"], style="bold"), Text(seen, style="dim")),
        title=Text(f"{n}"),
        title_align="left",
        border_style=style,
        box=box.ROUNDED,
    )
    body: list[RenderableType] = []
    if d.get("detail"):
        body.append(Text(d["detail"].strip(), style="bold"))
    if d.get("missing"):
        body.append(Padding(missing_table(d["missing"]), (0, 0, 0, INDENT)))
    body.append(Text(d["meaning"].strip()))
    if d.get("distinguish"):
        body.append(
            Text.assemble(("To tell the candidates apart: ", "italic"), d["distinguish"].strip())
        )
    if d["evidence"]:
        body.append(Text("Evidence", style="bold"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="cyan")
        grid.add_column(overflow="fold")
        for e in d["evidence"]:
            grid.add_row(Text(f"{relative(e['path'], group)}:{e['line']}"), highlighted(e["text"]))
        body.append(Padding(grid, (0, 0, 0, INDENT)))
    if d["fix"]:
        kb = d.get("kb") or {}
        fix_head = Text("Fix", style="bold")
        if kb:
            fix_head.append(f"  ({cite(kb)})", style="dim")
        body.append(fix_head)
        steps = Table.grid(padding=(0, 1))
        steps.add_column(no_wrap=True, justify="right")
        steps.add_column()
        for i, step in enumerate(d["fix"], 1):
            steps.add_row(Text(f"{i}."), Text(step))
        body.append(Padding(steps, (0, 0, 0, INDENT)))
        if kb.get("url"):  # whole on one line, so it can be copied (79 columns for a KB link)
            body.append(Text(kb["url"], style="dim", no_wrap=True, overflow="ignore"))
    return Group(panel, Padding(Group(*body), (0, 0, 1, INDENT)))


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
    """One row per handshake: when, where, which JVM and thread, to which host, what the
    instance asked for, what the MID sent, how it ended.

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


def story(row) -> Text:
    """Requested (with the CA names), sent, outcome: three short lines of one timeline cell."""
    out = Text.assemble(("requested: ", "dim"), row.requested)
    if row.ca_names:
        out.append(" · CAs: ", style="dim")
        out.append(", ".join(row.ca_names))
    out.append("\nsent: ", style="dim")
    out.append(row.sent + "\n")
    out.append(row.outcome, style=OUTCOME_STYLE.get(row.outcome, ""))
    if row.detail:
        out.append(f": {row.detail}")
    return out


def report(doc: dict[str, Any], problems: list | None = None) -> list[RenderableType]:
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
    number = {id(d): n for n, d in enumerate(doc.get("diagnoses", []), 1)}
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
                section(problems, group, f"diagnosis {number[id(d)]} ({d.get('rule', '?')})",
                        lambda d=d: diagnosis_block(d, number[id(d)], group), Text)
                for d in mine
            )
        table = section(problems, group, "the handshake timeline",
                        lambda: timeline_table(groups.handshakes(group), group), Text)
        if table is not None:
            out.append(table)
    if setup:
        out += [section(problems, "", f"the {part['title']} summary",
                        lambda part=part: checked_block(part), Text) for part in doc["checked"]]
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
        out += [Text(f"{p['kind']}: {p['path']}:{p['line']}: {p['message']}" if p["line"]
                     else f"{p['kind']}: {p['path']}: {p['message']}", overflow="fold")
                for p in unread]
    bugs = internal_problems(doc)
    if bugs:
        out += [Rule(style="dim"), Text("Internal problems", style="bold red")]
        out += [Text(f"{p['path']}:{p['line']}: {p['message']}" if p["line"]
                     else f"{p['path']}: {p['message']}", overflow="fold") for p in bugs]
    return out


def checked_block(part: dict[str, Any]) -> Group:
    """What one part of a self-check looked at: a titled list of label, value rows."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", max_width=46, overflow="fold")
    grid.add_column(overflow="fold")
    for row in part["rows"]:
        grid.add_row(Text(row["label"]), Text(row["value"]))
    return Group(Rule(Text(part["title"], style="bold"), align="left", style="dim"), grid)


def render(
    doc: dict[str, Any], width: int = 80, color: bool = False, problems: list | None = None
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


def handshake_tables(reading) -> list[Table]:
    """One table per MID Server that has handshakes."""
    from loganalyzer.reporters.document import parse_document

    groups = Groups(parse_document(reading))
    return [t for g in groups.names if (t := timeline_table(groups.handshakes(g), g))]


def handshake_table(server) -> Table | None:
    """The timeline table of one :class:`~loganalyzer.analysis.reading.MidServer`."""
    from loganalyzer.reporters.document import handshake

    return timeline_table([handshake(h) for h in server.handshakes], server.group)


def diagnosis_panels(diagnoses) -> list[Group]:
    """One block per diagnosis (``Diagnosis`` objects or their ``as_dict()``)."""
    items = [d if isinstance(d, dict) else d.as_dict() for d in diagnoses]
    return [diagnosis_block(d, n, d.get("mid_server", "")) for n, d in enumerate(items, 1)]
