"""Terminal rendering with rich: tables and panels built from the plain-data views."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from loganalyzer.dn import atoms
from loganalyzer.handshakes import Handshake
from loganalyzer.reading import MidServer, Reading


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "?"}[value]


def _outcome(h: Handshake) -> Text:
    if h.outcome == "completed":
        return Text("completed", style="green")
    if h.outcome == "unknown":
        return Text("unknown", style="yellow")
    detail = ""
    if h.alert_received:
        detail = f"received {h.alert_received.description}"
    elif h.failure is not None:
        detail = h.failure.message[:70]
    elif h.alert_sent:
        detail = f"sent {h.alert_sent.description}"
    return Text(f"failed: {detail}" if detail else "failed", style="red")


def short_dn(dn: str) -> str:
    """The first RDN's value (usually the CN): enough to recognise a CA in a narrow column."""
    first = atoms(dn)[:1]
    return first[0].split("=", 1)[-1].strip('"') if first else dn


def _ca_names(h: Handshake) -> str:
    if not h.cert_requested:
        return ""
    if h.request is not None and h.request.ca_state != "listed":
        return f"({h.request.ca_state})"
    return "\n".join(short_dn(n) for n in h.ca_names)


def handshake_tables(reading: Reading) -> list[Table]:
    """One table per MID Server that has handshakes."""
    return [t for t in (handshake_table(s) for s in reading.servers) if t is not None]


def handshake_table(server: MidServer) -> Table | None:
    """One row per handshake: where, who, what was asked, what was sent, how it ended.
    Full DNs are in the JSON output; the table shows their first RDN."""
    if not server.handshakes:
        return None
    table = Table(title=Text(f"TLS handshakes in {server.group}"), show_lines=True, title_justify="left")
    for column in ("line", "JVM", "thread", "host", "TLS", "cert req.", "CA names", "cert sent", "outcome"):
        table.add_column(column, overflow="fold")
    for h in server.handshakes:
        sent = _yes_no(h.client_cert_sent)
        if h.client_chain:
            sent += f": {short_dn(h.client_chain[0].subject)}"
        cells = (
            f"{h.path.rsplit('/', 1)[-1]}:{h.start.line}",
            str(h.thread.jvm),
            h.thread.name or "-",
            h.sni or "-",
            h.version or "-",
            _yes_no(h.cert_requested) if h.request or h.version else "?",
            _ca_names(h),
            sent,
        )
        # Text, not markup: thread names and DNs are log text and may hold "[...]"
        table.add_row(*(Text(c) for c in cells), _outcome(h))
    return table


SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "bold green"}


def diagnosis_panels(diagnoses) -> list:
    """One panel per diagnosis: headline, meaning, evidence (file:line and the line), fix, KB."""
    from rich.console import Group
    from rich.panel import Panel

    panels = []
    for n, d in enumerate(diagnoses, 1):
        style = SEVERITY_STYLE.get(d.severity, "bold")
        head = Text.assemble(
            (f"{d.severity.upper()} ", style),
            (f"{d.root_cause}", "bold"),
            (f"  ({d.confidence}, rule {d.rule}, seen {d.handshakes}×)", "dim"),
        )
        parts: list = [head, Text(d.meaning.strip())]
        if d.distinguish:
            parts.append(Text.assemble(("To tell the candidates apart: ", "italic"), d.distinguish.strip()))
        if d.evidence:
            parts.append(Text("Evidence", style="bold"))
            current = None
            for e in d.evidence:
                if e.path != current:
                    current = e.path
                    parts.append(Text(f"  {e.path}", style="cyan"))
                parts.append(Text.assemble((f"  {e.line:>7}  ", "cyan"), e.text))
        if d.fix:
            parts.append(Text("Fix", style="bold"))
            parts.extend(Text(f"  {i}. {step}") for i, step in enumerate(d.fix, 1))
        if d.kb:
            parts.append(Text(f"KB: {d.kb.get('article', '')} — {d.kb.get('section', '')}", style="dim"))
        panels.append(Panel(Group(*parts), title=Text(f"{n}. {d.title}"), title_align="left", border_style=style))
    return panels
