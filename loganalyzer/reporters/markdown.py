"""Markdown report: the same content as the terminal report, ready to paste into a support case.

Built from the plain document, like every renderer, so ``--redact`` applies to it unchanged.
Log text goes into code blocks (never interpreted); table cells are escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from loganalyzer.errors import Problem
from loganalyzer.reporters import section
from loganalyzer.reporters.document import (
    NO_EVIDENCE,
    Block,
    Groups,
    analyze_document,
    cite,
    heading,
    is_setup,
    laid_out,
    numbers,
    origin,
    plural,
    provenance,
    setup_empty,
)
from loganalyzer.reporters.timeline import (
    rows,
    short_dn,  # noqa: F401  (kept: other modules import it here)
)

if TYPE_CHECKING:
    from loganalyzer.analysis.diagnoses import Diagnosis
    from loganalyzer.analysis.reading import Reading


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


def _inline(text: str) -> str:
    """Text from a certificate or config.xml, in a paragraph: nothing in it is markup."""
    return "".join("\\" + c if c in "\\`*_[]<>|#" else c for c in text)


def _checked(part: dict[str, Any]) -> list[str]:
    out = [f"## {part['title']}", "", "| | |", "|---|---|"]
    out += [f"| {_cell(r['label'])} | {_cell(r['value'])} |" for r in part["rows"]]
    return out + [""]


def _fence(lines: list[str]) -> list[str]:
    """A code block whose fence no log line can close."""
    fence = "```"
    while any(fence in line for line in lines):
        fence += "`"
    return [fence + "text", *lines, fence]


def _seen(d: dict[str, Any]) -> str:
    return provenance(d) or (f"seen {d.get('occurrences') or 0}×"
                             + (f" · first {d['first_seen'][:23]}" if d.get("first_seen") else ""))


def _diagnosis(d: dict[str, Any], n: int, shown: Block | None = None) -> list[str]:
    """One diagnosis; ``shown``, its block, points a side effect to its cause."""
    out = [f"### {n}. {d['title']}", ""]
    out.append(
        f"**{d['severity'].upper()}** · root cause `{d['root_cause']}` · **{d['confidence']}**"
        f" · rule `{d['rule']}` · {_seen(d)}"
    )
    out.append("")
    if shown is not None and shown.cause is not None:
        out += [f"**{shown.pointer()}**", ""]
    out += _findings(d)
    if d.get("distinguish"):
        out += [f"*To tell the candidates apart:* {d['distinguish'].strip()}", ""]
    out += _evidence(shown.evidence if shown else d["evidence"],
                     shown.evidence_title() if shown else "Evidence")
    return out + _fix(d)


def _differential(b: Block) -> list[str]:
    """The candidates of a differential: listed once, what tells them apart, evidence once."""
    first = b.diagnoses[0]
    out = [f"### {b.span}. One of {len(b.diagnoses)} possible causes", "",
           f"**{first['severity'].upper()}** · **possible** · the log cannot tell them apart · "
           f"{_seen(first)}", "",
           "| # | root cause | rule | title |", "|---|---|---|---|"]
    out += [f"| {n} | `{d['root_cause']}` | `{d['rule']}` | {_cell(d['title'])} |"
            for n, d in zip(b.numbers, b.diagnoses)]
    out.append("")
    apart = [(n, d) for n, d in zip(b.numbers, b.diagnoses) if d.get("distinguish")]
    if apart:
        out += ["**To tell them apart**", ""]
        out += [f"- **{n}** (`{d['root_cause']}`): {d['distinguish'].strip()}" for n, d in apart]
        out.append("")
    out += _evidence(b.evidence, b.evidence_title())
    for n, d in zip(b.numbers, b.diagnoses):
        out += [f"#### {n}. `{d['root_cause']}`: {d['title']}", "",
                f"rule `{d['rule']}` · {_seen(d)}", ""]
        out += _findings(d) + _fix(d)
    return out


def _findings(d: dict[str, Any]) -> list[str]:
    out = []
    if d.get("detail"):
        out += [f"**{_inline(d['detail'].strip())}**", ""]
    if d.get("missing"):
        out += _missing(d["missing"])
    return out + [d["meaning"].strip(), ""]


def _evidence(evidence: list[dict[str, Any]], title: str) -> list[str]:
    if not evidence:
        return []
    head, _, rest = title.partition(" ")
    out = [f"**{head}**" + (f" {rest}" if rest else ""), ""]
    out += _fence([f"{e['path']}:{e['line']}: {e['text']}" for e in evidence])
    return out + [""]


def _fix(d: dict[str, Any]) -> list[str]:
    if not d["fix"]:
        return []
    kb = d.get("kb") or {}
    head = "**Fix**"
    if kb:
        head += f" ({cite(kb)})"
    out = [head, ""]
    out += [f"{i}. {step}" for i, step in enumerate(d["fix"], 1)]
    out.append("")
    if kb.get("url"):
        out += [f"Source: <{kb['url']}>", ""]
    return out


def _block(b: Block) -> list[str]:
    if b.differential:
        return _differential(b)
    return _diagnosis(b.diagnoses[0], b.numbers[0], b)


MISSING_NAMES = 8  # accepted CA names listed under a diagnosis; the rest are counted


def _missing(m: dict[str, Any]) -> list[str]:
    """The ``missing`` field: CA names accepted, the chain held with its hashes, what to upload."""
    accepted = m.get("accepted") or []
    shown = "; ".join(f"`{_code(n)}`" for n in accepted[:MISSING_NAMES])
    if len(accepted) > MISSING_NAMES:
        shown += f" and {len(accepted) - MISSING_NAMES} more (the handshake table lists them)"
    out = [f"*Accepted CA names:* {shown or 'none named'}", ""]
    chain = m.get("chain") or []
    if chain:
        how = "leaf to root" + (f", key `{_code(m['alias'])}`" if m.get("alias") else "")
        out += [f"*Chain held* ({how}):", "",
                "| # | subject | hash | issuer | issuer hash |", "|---|---|---|---|---|"]
        out += [f"| {n} | {_cell(c['subject'])} | {c.get('subject_hash') or '?'} "
                f"| {_cell(c['issuer'])} | {c.get('issuer_hash') or '?'} |"
                for n, c in enumerate(chain, 1)]
    else:
        out.append("*Chain held:* not in the log")
    out.append("")
    if m.get("upload"):
        out += ["*Upload to `sys_ca_certificate`:*", ""]
        out += [f"- `{_code(n)}`" for n in m["upload"]]
        out.append("")
    keys = m.get("keys") or []
    if len(keys) > 1:
        out += ["*Keys:*", ""]
        for k in keys:
            notes = [w for w, on in (("presented", k.get("presented")),
                                     ("does not fit", not k.get("fits"))) if on]
            out.append(f"- `{_code(k.get('alias') or '?')}`: `{_code(k['subject'])}`"
                       + (f" ({', '.join(notes)})" if notes else ""))
        out.append("")
    return out


def _code(text: str) -> str:
    """Text for an inline code span: a backtick cannot end it, a line break cannot split it."""
    return " ".join(text.replace("`", "'").split())


def _timeline(handshakes: list[dict[str, Any]], group: str) -> list[str]:
    out = [f"#### TLS handshakes in `{group}`", ""]
    out.append(
        "| time | where | JVM | thread | host | TLS | cert requested | CA names | cert sent "
        "| outcome |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows(handshakes, group):
        cells = (
            r.time,
            r.where,
            r.jvm,
            r.thread,
            r.host,
            r.tls,
            r.requested,
            "; ".join(r.ca_names),
            r.sent,
            r.outcome_text,
        )
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    out.append("")
    return out


def render_document(doc: dict[str, Any], problems: list[Problem] | None = None) -> str:
    """The Markdown report of an ``analyze`` (or ``parse``) document.

    A section that fails to render becomes a placeholder line and an internal problem in
    ``problems``.
    """
    inputs = doc.get("inputs", [])
    analysed = "diagnoses" in doc
    setup = is_setup(doc)
    title = f"loganalyzer {doc.get('command')}" if setup else "MID Server mutual TLS analysis"
    out: list[str] = [f"# {title}", ""]
    if doc.get("redacted"):
        out += [
            "> Redacted: host, instance and user names, IP and e-mail addresses, DN values and "
            "certificate serials are replaced by pseudonyms (the same value, the same pseudonym).",
            "",
        ]
    if setup:
        out.append("Checked: " + ", ".join(p["title"] for p in doc["checked"]) + "."
                   if doc["checked"] else "Nothing was checked.")
    else:
        out.append(
            f"Read {plural(len(inputs), 'file')}, {sum(i['lines'] for i in inputs):,} lines, "
            f"{plural(len(doc.get('handshakes', [])), 'TLS handshake')}."
            + (f" {plural(len(doc['diagnoses']), 'diagnosis', 'diagnoses')}." if analysed else "")
        )
        from loganalyzer.reporters.document import scope_line  # the window and rules, if narrowed

        out += ["", scope_line(doc)] if scope_line(doc) else []
    out.append("")
    groups = Groups(doc)
    number = numbers(groups)
    if analysed and doc["diagnoses"]:
        out += ["| # | severity | root cause | confidence | MID Server |", "|---|---|---|---|---|"]
        out += [
            f"| {number[id(d)]} | {d['severity']} | `{d['root_cause']}` | {d['confidence']} "
            f"| {_cell(d['mid_server'])} |"
            for group in groups.names for d in groups.diagnoses(group)
        ]
        out.append("")
    elif setup:
        out += [setup_empty(doc), ""]
    elif analysed and doc.get("verdict") == "clean":
        out += ["No mutual-TLS problem was found.", ""]
    for group in groups.names:
        label, _, name = heading(doc, group).partition(": ")
        out += [f"## {label}: `{name}`", ""]
        if analysed:
            mine = groups.diagnoses(group)
            if not mine and not groups.has_evidence(group):
                advice = doc.get("no_evidence") or NO_EVIDENCE
                out += [f"**{groups.nothing_to_judge(group)}**", ""]
                out += [f"{i}. {step}" for i, step in enumerate(advice["fix"], 1)]
                out += ["", f"{cite(advice['kb'])}.", ""]
            elif not mine:
                out += [groups.no_problem(group), ""]
            for b in laid_out(mine, number, problems, group):
                out += section(problems, group, origin(b), partial(_block, b), _placeholder)
        handshakes = groups.handshakes(group)
        if handshakes:
            out += section(problems, group, "the handshake timeline",
                           lambda: _timeline(handshakes, group), _placeholder)
    for part in doc.get("checked", []):
        out += section(problems, "", f"the {part['title']} summary",
                       partial(_checked, part), _placeholder)
    if doc.get("problems"):
        out += ["## Problems", ""]
        out += [
            f"- `{p['path']}:{p['line']}` ({p['kind']}): {p['message']}"
            if p["line"]
            else f"- `{p['path']}` ({p['kind']}): {p['message']}"
            for p in doc["problems"]
        ]
        out.append("")
    return "\n".join(out)


def _placeholder(message: str) -> list[str]:
    return [message, ""]


def render(reading: Reading, diagnoses: Sequence[Diagnosis]) -> str:
    """The Markdown report of a reading and its diagnoses (kept for callers of the old API)."""
    return render_document(analyze_document(reading, diagnoses))
