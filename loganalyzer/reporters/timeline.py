"""One handshake as the cells of a timeline row: the same words in the terminal, Markdown and HTML.

Rows are built from the plain handshake dicts of :mod:`loganalyzer.reporters.document`, so a
redacted document renders the same way as a clear one. Full DNs stay in the JSON; a cell shows a
DN's first RDN value, enough to recognise a CA in a narrow column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loganalyzer.jsse.dn import atoms
from loganalyzer.reporters.document import relative


def short_dn(dn: str) -> str:
    """The first RDN's value (usually the CN): enough to recognise a CA in a narrow column."""
    first = atoms(dn)[:1]
    return first[0].split("=", 1)[-1].strip('"') if first else dn


def yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "?"}[value]


@dataclass(frozen=True, slots=True)
class Row:
    """What a person scans for in one handshake, as short strings."""

    where: str  # file:line, the file relative to its MID Server folder
    time: str  # HH:MM:SS.mmm, with the date when the timeline spans several days
    jvm: str
    thread: str
    host: str
    tls: str
    requested: str  # yes / no / ?
    ca_names: list[str]  # short CA names, or "(empty)" / "(absent)" / "(malformed)"
    sent: str  # yes / no / ?, and the leaf's CN when one was sent; "" when none was asked for
    outcome: str  # completed / failed / unknown
    detail: str  # the alert or failure that ended it

    @property
    def outcome_text(self) -> str:
        return f"{self.outcome}: {self.detail}" if self.detail else self.outcome


def _time(value: str | None, with_date: bool) -> str:
    if not value:
        return "-"
    date, _, clock = value.partition(" ")
    return f"{date} {clock}" if with_date else clock


def rows(handshakes: list[dict[str, Any]], group: str = "") -> list[Row]:
    """Timeline rows for ``handshakes`` (plain dicts), oldest first as read."""
    dates = {h["time"].partition(" ")[0] for h in handshakes if h.get("time")}
    with_date = len(dates) > 1
    return [_row(h, group, with_date) for h in handshakes]


def _row(h: dict[str, Any], group: str, with_date: bool) -> Row:
    requested = yes_no(h["cert_requested"])
    if not h["cert_requested"]:
        ca: list[str] = []
    elif h.get("ca_state") and h["ca_state"] != "listed":
        ca = [f"({h['ca_state']})"]
    else:
        ca = [short_dn(n) for n in h["ca_names"]]
    sent = yes_no(h["cert_sent"])
    if h["cert_requested"] is False and h["cert_sent"] is None:
        sent = ""  # nothing was asked for, so there is nothing to say about what was sent
    if h["client_chain"]:
        sent += f" ({short_dn(h['client_chain'][0]['subject'])})"
    return Row(
        where=f"{relative(h['path'], group)}:{h['line']}",
        time=_time(h.get("time"), with_date),
        jvm=str(h["jvm"]),
        thread=h["thread"] or "-",
        host=h["host"] or "-",
        tls=h["tls_version"] or "-",
        requested=requested,
        ca_names=ca,
        sent=sent,
        outcome=h["outcome"],
        detail=_detail(h),
    )


def _detail(h: dict[str, Any]) -> str:
    if h["outcome"] != "failed":
        return ""
    if h.get("alert_received"):
        return f"received {h['alert_received']}"
    if h.get("failure"):
        return str(h["failure"]["message"])
    if h.get("alert_sent"):
        return f"sent {h['alert_sent']}"
    return ""
