"""Markdown report: the same content as the terminal report, ready to paste into a case."""

from __future__ import annotations

from loganalyzer.diagnoses import Diagnosis
from loganalyzer.reading import Reading
from loganalyzer.reporters.text import short_dn


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def render(reading: Reading, diagnoses: list[Diagnosis]) -> str:
    out: list[str] = ["# MID Server mutual TLS analysis", ""]
    files = reading.files
    out.append(
        f"Read {len(files)} file(s), {sum(f.lines for f in files):,} lines, "
        f"{len(reading.handshakes)} TLS handshake(s)."
    )
    out.append("")
    if not diagnoses:
        out += ["No mutual-TLS problem was found.", ""]
    for n, d in enumerate(diagnoses, 1):
        out.append(f"## {n}. {d.title}")
        out.append("")
        out.append(
            f"**{d.severity.upper()}** · root cause `{d.root_cause}` · {d.confidence} · rule `{d.rule}`"
            f" · MID Server `{d.mid_server}` · seen {d.handshakes}×"
        )
        out.append("")
        out.append(d.meaning.strip())
        out.append("")
        if d.distinguish:
            out += [f"*To tell the candidates apart:* {d.distinguish.strip()}", ""]
        if d.evidence:
            out.append("**Evidence**")
            out.append("")
            out.append("```text")
            out += [f"{e.path}:{e.line}: {e.text}" for e in d.evidence]
            out.append("```")
            out.append("")
        if d.fix:
            out.append("**Fix**")
            out.append("")
            out += [f"{i}. {step}" for i, step in enumerate(d.fix, 1)]
            out.append("")
        if d.kb:
            out += [f"KB: *{d.kb.get('article', '')}*, section “{d.kb.get('section', '')}”.", ""]
    if reading.handshakes:
        out += ["## Handshakes", ""]
        out.append("| where | JVM | thread | host | TLS | cert requested | CA names | cert sent | outcome |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for h in reading.handshakes:
            ca = "; ".join(short_dn(n) for n in h.ca_names) or (h.request.ca_state if h.request else "")
            sent = {True: "yes", False: "no", None: "?"}[h.client_cert_sent]
            if h.client_chain:
                sent += f" ({short_dn(h.client_chain[0].subject)})"
            end = h.outcome
            if h.alert_received:
                end += f": received {h.alert_received.description}"
            elif h.failure is not None:
                end += f": {h.failure.message}"
            out.append(
                "| " + " | ".join(_cell(x) for x in (
                    f"{h.path}:{h.start.line}", str(h.thread.jvm), h.thread.name or "-", h.sni or "-",
                    h.version or "-", "yes" if h.cert_requested else "no", ca, sent, end)) + " |"
            )
        out.append("")
    if reading.problems:
        out += ["## Input problems", ""]
        out += [f"- `{p.where}` ({p.kind}): {p.message}" for p in reading.problems]
        out.append("")
    return "\n".join(out)
