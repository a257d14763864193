"""HTML report: one self-contained file that opens offline and can be attached to a case.

Everything is inline (CSS in a ``<style>`` element, no scripts, fonts, images or links outside
the page), so the file shows the same wherever it is opened and calls nothing home. Built from
the plain document like every renderer, so ``--redact`` applies to it unchanged. All log text
is escaped; the only markup comes from this module.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from html import escape
from typing import TYPE_CHECKING, Any

from loganalyzer import __version__
from loganalyzer.errors import Problem
from loganalyzer.reporters import section
from loganalyzer.reporters import evidence as ev_mod
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
    relative,
    setup_empty,
)
from loganalyzer.reporters.timeline import rows

if TYPE_CHECKING:
    from loganalyzer.analysis.diagnoses import Diagnosis
    from loganalyzer.analysis.reading import Reading

_CSS = """
:root { --err: #b42318; --warn: #b54708; --info: #067647; --ink: #1d2939; --muted: #667085;
        --line: #d0d5dd; --soft: #f2f4f7; --mark: #fef0c7; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #fff; overflow-wrap: break-word; }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
/* the page never gets wider than the window: a long token breaks, and a table that still does
   not fit scrolls inside its own box */
header, .diagnosis, .scroll { overflow-x: auto; }
.scroll { margin: 0 0 8px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 12px; padding-bottom: 4px;
     border-bottom: 2px solid var(--line); }
h3 { font-size: 17px; margin: 4px 0 8px; }
h4 { font-size: 14px; margin: 16px 0 6px; text-transform: uppercase; letter-spacing: .04em;
     color: var(--muted); }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
              font-size: 13px; }
.summary { color: var(--muted); margin: 0 0 16px; }
.redacted { display: inline-block; padding: 2px 8px; border-radius: 4px; background: var(--ink);
            color: #fff; font-size: 12px; font-weight: 600; margin-left: 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px;
         border-bottom: 1px solid var(--line); }
th { background: var(--soft); font-size: 13px; white-space: nowrap; }
.overview td:first-child, .overview th:first-child { width: 2em; }
.badge { display: inline-block; min-width: 64px; text-align: center; padding: 1px 8px;
         border-radius: 4px; font-size: 12px; font-weight: 700; color: #fff; }
.sev-error .badge, .badge.sev-error { background: var(--err); }
.sev-warning .badge, .badge.sev-warning { background: var(--warn); }
.sev-info .badge, .badge.sev-info { background: var(--info); }
.diagnosis { border: 1px solid var(--line); border-left: 6px solid var(--muted); border-radius: 6px;
             padding: 14px 18px; margin: 16px 0; }
.diagnosis.sev-error { border-left-color: var(--err); }
.diagnosis.sev-warning { border-left-color: var(--warn); }
.diagnosis.sev-info { border-left-color: var(--info); }
.headline { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; font-size: 16px; }
.cause { font-size: 16px; font-weight: 700; }
.confidence { font-weight: 600; }
.meta { color: var(--muted); font-size: 13px; margin: 0 0 8px; }
.distinguish { font-style: italic; }
.evidence td { padding: 3px 8px; border-bottom: 1px solid var(--soft); }
.evidence td.loc { white-space: nowrap; color: var(--muted); width: 1%; }
.evidence td code { white-space: pre-wrap; word-break: break-all; }
mark { background: var(--mark); font-weight: 700; padding: 0 1px; }
ol.fix li { margin: 4px 0; }
.kb { text-transform: none; letter-spacing: 0; font-weight: 400; }
.timeline td { font-size: 13px; }
.timeline tr:nth-child(even) td { background: #fcfcfd; }
.timeline td.outcome-completed { color: var(--info); font-weight: 600; }
.timeline td.outcome-failed { color: var(--err); font-weight: 600; }
.timeline td.outcome-unknown { color: var(--warn); font-weight: 600; }
.timeline td.no { color: var(--err); }
.timeline th { white-space: normal; }
.timeline td[class^="outcome-"] { min-width: 12em; overflow-wrap: anywhere; }
.overview td.mono, .inputs td.mono { overflow-wrap: anywhere; }
/* too narrow for ten columns: each handshake becomes a short paragraph, its outcome on a line of
   its own; the labels name _timeline's columns by position */
@media (max-width: 1180px) {
  .timeline, .timeline tbody, .timeline tr { display: block; }
  .timeline thead { display: none; }
  .timeline tr { padding: 6px 8px; border-bottom: 1px solid var(--line); }
  .timeline td { display: inline; padding: 0; border: 0; background: none; }
  .timeline tr:nth-child(even) { background: #fcfcfd; }
  .timeline td:empty { display: none; }
  .timeline td + td::before { content: " · "; color: var(--muted); font-weight: 400; }
  .timeline td:nth-child(3)::before { content: " · JVM "; }
  .timeline td:nth-child(7)::before { content: " · cert requested: "; }
  .timeline td:nth-child(8)::before { content: " · CA names: "; }
  .timeline td:nth-child(9)::before { content: " · cert sent: "; }
  .timeline td[class^="outcome-"] { display: block; min-width: 0; }
  .timeline td[class^="outcome-"]::before { content: none; }
}
.problems li { margin: 2px 0; }
.checked th { white-space: normal; width: 30%; overflow-wrap: anywhere; }
.checked td { overflow-wrap: anywhere; }
.detail { margin: 0 0 8px; overflow-wrap: anywhere; }
.missing { margin: 0 0 8px; }
.missing > tbody > tr > th { width: 10em; white-space: normal; }
.missing td, .missing .chain th { overflow-wrap: anywhere; font-size: 13px; }
.missing .chain td, .missing .chain th { padding: 2px 6px; }
.missing .chain td.hash { white-space: nowrap; overflow-wrap: normal; width: 1%; }
.source { overflow-wrap: anywhere; }
footer { color: var(--muted); font-size: 12px; padding-top: 24px; padding-bottom: 24px; }
@media print { .diagnosis { break-inside: avoid; } }
"""

_BACKTICKS = re.compile(r"`([^`]+)`")


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _prose(text: str) -> str:
    """Escaped text whose `backticked` parts become code."""
    return _BACKTICKS.sub(lambda m: f"<code>{m.group(1)}</code>", _e(text.strip()))


def _evidence_line(text: str) -> str:
    return "".join(
        f"<mark>{_e(piece)}</mark>" if strong else _e(piece)
        for piece, strong in ev_mod.pieces(text)
    )


def _headline(severity: str, cause: str, confidence: str, tag: str = "code") -> str:
    return (f'<div class="headline"><span class="badge">{_e(severity.upper())}</span>'
            f'<{tag} class="cause">{_e(cause)}</{tag}>'
            f'<span class="confidence">{_e(confidence)}</span></div>')


def _meta(d: dict[str, Any]) -> str:
    meta = f"rule {_e(d['rule'])} · seen {_e(d.get('occurrences') or 0)}×"
    if d.get("first_seen"):
        meta += f" · first {_e(d['first_seen'][:23])}"
    if provenance(d):
        meta = f"rule {_e(d['rule'])} · {_e(provenance(d))}"
    return f'<p class="meta">{meta}</p>'


def _diagnosis(d: dict[str, Any], n: int, group: str, shown: Block | None = None) -> list[str]:
    """One diagnosis; ``shown``, its block, points a side effect to its cause."""
    sev = d["severity"]
    out = [f'<article class="diagnosis sev-{_e(sev)}" id="d{n}">',
           _headline(sev, d["root_cause"], d["confidence"]),
           f"<h3>{n}. {_e(d['title'])}</h3>", _meta(d)]
    if shown is not None and shown.cause is not None:
        cause = shown.cause
        link = f'<a href="#d{cause.numbers[0]}">{_e(cause.name)}</a>'
        out.append(f'<p class="pointer"><strong>'
                   f"{_e(shown.pointer()).replace(_e(cause.name), link, 1)}</strong></p>")
    out += _findings(d)
    if d.get("distinguish"):
        out.append(
            f'<p class="distinguish">To tell the candidates apart: {_prose(d["distinguish"])}</p>'
        )
    out += _evidence(shown.evidence if shown else d["evidence"], group,
                     shown.evidence_title() if shown else "Evidence")
    out += _fix(d)
    out.append("</article>")
    return out


def _differential(b: Block, group: str) -> list[str]:
    """The candidates of a differential: listed once, what tells them apart, evidence once."""
    first = b.diagnoses[0]
    sev = first["severity"]
    out = [f'<article class="diagnosis differential sev-{_e(sev)}">',
           _headline(sev, f"one of {len(b.diagnoses)} possible causes", "possible", "span"),
           f"<h3>{_e(b.span)}. The log cannot tell these causes apart</h3>",
           '<table class="candidates"><thead><tr><th>#</th><th>root cause</th><th>rule</th>'
           "<th>what it means</th></tr></thead><tbody>"]
    out += [f'<tr><td><a href="#d{n}">{n}</a></td><td><code>{_e(d["root_cause"])}</code></td>'
            f'<td>{_e(d["rule"])}</td><td>{_e(d["title"])}</td></tr>'
            for n, d in zip(b.numbers, b.diagnoses)]
    out.append("</tbody></table>")
    apart = [(n, d) for n, d in zip(b.numbers, b.diagnoses) if d.get("distinguish")]
    if apart:
        out.append("<h4>To tell them apart</h4>")
        out.append('<ul class="distinguish">' + "".join(
            f'<li><strong>{n}</strong> (<code>{_e(d["root_cause"])}</code>): '
            f'{_prose(d["distinguish"])}</li>' for n, d in apart) + "</ul>")
    out += _evidence(b.evidence, group, b.evidence_title())
    for n, d in zip(b.numbers, b.diagnoses):
        out += [f'<section class="candidate" id="d{n}">',
                _headline(sev, d["root_cause"], d["confidence"]),
                f"<h3>{n}. {_e(d['title'])}</h3>", _meta(d)]
        out += _findings(d) + _fix(d)
        out.append("</section>")
    out.append("</article>")
    return out


def _findings(d: dict[str, Any]) -> list[str]:
    """The sentence that says what was found, what is missing, and what it means."""
    out = []
    if d.get("detail"):
        out.append(f'<p class="detail"><strong>{_e(d["detail"].strip())}</strong></p>')
    if d.get("missing"):
        out += _missing(d["missing"])
    out.append(f"<p>{_prose(d['meaning'])}</p>")
    return out


def _evidence(evidence: list[dict[str, Any]], group: str, title: str) -> list[str]:
    if not evidence:
        return []
    out = [f"<h4>{_e(title)}</h4>", '<table class="evidence"><tbody>']
    for e in evidence:
        out.append(
            f'<tr><td class="loc mono" title="{_e(e["path"])}">'
            f"{_e(relative(e['path'], group))}:{_e(e['line'])}</td>"
            f"<td><code>{_evidence_line(e['text'])}</code></td></tr>"
        )
    out.append("</tbody></table>")
    return out


def _fix(d: dict[str, Any]) -> list[str]:
    if not d["fix"]:
        return []
    kb = d.get("kb") or {}
    kb_text = f' <span class="kb">— {_e(cite(kb))}</span>' if kb else ""
    out = [f"<h4>Fix{kb_text}</h4>",
           '<ol class="fix">' + "".join(f"<li>{_prose(s)}</li>" for s in d["fix"]) + "</ol>"]
    if kb.get("url"):  # as text: the page links to nothing outside itself
        out.append('<p class="meta source">Source: '
                   f'<span class="mono">{_e(kb["url"])}</span></p>')
    return out


def _block(b: Block, group: str) -> list[str]:
    if b.differential:
        return _differential(b, group)
    return _diagnosis(b.diagnoses[0], b.numbers[0], group, b)


MISSING_NAMES = 8  # accepted CA names listed under a diagnosis; the rest are counted


def _missing(m: dict[str, Any]) -> list[str]:
    """The ``missing`` field: CA names accepted, the chain held with its hashes, what to upload."""
    accepted = m.get("accepted") or []
    shown = "<br>".join(f'<span class="mono">{_e(n)}</span>' for n in accepted[:MISSING_NAMES])
    if len(accepted) > MISSING_NAMES:
        shown += (f"<br>and {len(accepted) - MISSING_NAMES} more "
                  "(the handshake table lists them)")
    out = ['<table class="missing"><tbody>',
           f"<tr><th>Accepted CA names</th><td>{shown or 'none named'}</td></tr>"]
    chain = m.get("chain") or []
    how = "leaf to root" + (f", key {_e(m['alias'])}" if m.get("alias") else "")
    if chain:
        rows = "".join(
            f'<tr><td class="mono">{_e(c["subject"])}</td>'
            f'<td class="mono hash">{_e(c.get("subject_hash") or "?")}</td>'
            f'<td class="mono">{_e(c["issuer"])}</td>'
            f'<td class="mono hash">{_e(c.get("issuer_hash") or "?")}</td></tr>'
            for c in chain)
        out.append(f"<tr><th>Chain held ({how})</th><td><table class=\"chain\"><thead><tr>"
                   "<th>subject</th><th>hash</th><th>issuer</th><th>issuer hash</th></tr>"
                   f"</thead><tbody>{rows}</tbody></table></td></tr>")
    else:
        out.append("<tr><th>Chain held</th><td>not in the log</td></tr>")
    if m.get("upload"):
        out.append("<tr><th>Upload to sys_ca_certificate</th><td>"
                   + "<br>".join(f'<span class="mono">{_e(n)}</span>' for n in m["upload"])
                   + "</td></tr>")
    keys = m.get("keys") or []
    if len(keys) > 1:
        items = []
        for k in keys:
            notes = [w for w, on in (("presented", k.get("presented")),
                                     ("does not fit", not k.get("fits"))) if on]
            items.append(f'<span class="mono">{_e(k.get("alias") or "?")}: {_e(k["subject"])}'
                         "</span>" + (f" ({_e(', '.join(notes))})" if notes else ""))
        out.append(f"<tr><th>Keys</th><td>{'<br>'.join(items)}</td></tr>")
    out.append("</tbody></table>")
    return out


def _timeline(handshakes: list[dict[str, Any]], group: str) -> list[str]:
    head = (
        "time",
        "where",
        "JVM",
        "thread",
        "host",
        "TLS",
        "cert requested",
        "CA names",
        "cert sent",
        "outcome",
    )
    out = [
        f"<h3>TLS handshakes in <code>{_e(group)}</code></h3>",
        '<div class="scroll"><table class="timeline"><thead><tr>'
        + "".join(f"<th>{h}</th>" for h in head)
        + "</tr></thead><tbody>",
    ]
    for r in rows(handshakes, group):
        sent_class = ' class="no"' if r.sent == "no" and r.requested == "yes" else ""
        cells = [
            f'<td class="mono">{_e(r.time)}</td>',
            f'<td class="mono">{_e(r.where)}</td>',
            f"<td>{_e(r.jvm)}</td>",
            f"<td>{_e(r.thread)}</td>",
            f"<td>{_e(r.host)}</td>",
            f"<td>{_e(r.tls)}</td>",
            f"<td>{_e(r.requested)}</td>",
            "<td>" + "<br>".join(_e(n) for n in r.ca_names) + "</td>",
            f"<td{sent_class}>{_e(r.sent)}</td>",
            f'<td class="outcome-{_e(r.outcome)}">{_e(r.outcome_text)}</td>',
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return out


def render_document(doc: dict[str, Any], problems: list[Problem] | None = None) -> str:
    """The HTML page of an ``analyze`` (or ``parse``) document.

    A section that fails to render becomes a placeholder paragraph and an internal problem in
    ``problems``.
    """
    inputs = doc.get("inputs", [])
    analysed = "diagnoses" in doc
    setup = is_setup(doc)
    diagnoses = doc.get("diagnoses", [])
    title = f"loganalyzer {_e(doc.get('command'))}" if setup else "MID Server mutual TLS analysis"
    summary = (
        f"Read {plural(len(inputs), 'file')}, {sum(i['lines'] for i in inputs):,} lines, "
        f"{plural(len(doc.get('handshakes', [])), 'TLS handshake')}"
    )
    if setup:
        summary = "Checked: " + (", ".join(p["title"] for p in doc["checked"]) or "nothing")
    if analysed:
        summary += f", {plural(len(diagnoses), 'diagnosis', 'diagnoses')}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<header>",
        f"<h1>{title}"
        + ('<span class="redacted">REDACTED</span>' if doc.get("redacted") else "")
        + "</h1>",
        f'<p class="summary">{_e(summary)}.</p>',
    ]
    from loganalyzer.reporters.document import scope_line  # the window and rules, when narrowed

    if scope_line(doc):
        out.append(f'<p class="summary scope">{_e(scope_line(doc))}</p>')
    groups = Groups(doc)
    number = numbers(groups)
    if analysed and diagnoses:
        out.append(
            '<table class="overview"><thead><tr><th>#</th><th>severity</th><th>root cause</th>'
            "<th>confidence</th><th>what it means</th><th>MID Server</th></tr></thead><tbody>"
        )
        for d in (d for group in groups.names for d in groups.diagnoses(group)):
            n = number[id(d)]
            out.append(
                f'<tr><td><a href="#d{n}">{n}</a></td>'
                f'<td><span class="badge sev-{_e(d["severity"])}">'
                f"{_e(d['severity'].upper())}</span></td>"
                f"<td><code>{_e(d['root_cause'])}</code></td><td>{_e(d['confidence'])}</td>"
                f'<td>{_e(d["title"])}</td><td class="mono">{_e(d["mid_server"])}</td></tr>'
            )
        out.append("</tbody></table>")
    elif setup:
        out.append(f"<p><strong>{_e(setup_empty(doc))}</strong></p>")
    elif analysed and doc.get("verdict") == "clean":
        out.append("<p><strong>No mutual-TLS problem was found.</strong></p>")
    out += ["</header>", "<main>"]
    for group in groups.names:
        label, _, name = heading(doc, group).partition(": ")
        out.append(f"<section><h2>{_e(label)}: <code>{_e(name)}</code></h2>")
        if analysed:
            mine = groups.diagnoses(group)
            if not mine and not groups.has_evidence(group):
                advice = doc.get("no_evidence") or NO_EVIDENCE
                out.append(f"<p><strong>{_e(groups.nothing_to_judge(group))}</strong></p><ol>")
                out += [f"<li>{_prose(step)}</li>" for step in advice["fix"]]
                out.append(f"</ol><p class=\"meta\">{_e(cite(advice['kb']))}</p>")
            elif not mine:
                out.append(f"<p>{_e(groups.no_problem(group))}</p>")
            for b in laid_out(mine, number, problems, group):
                out += section(problems, group, origin(b), partial(_block, b, group),
                               _placeholder)
        handshakes = groups.handshakes(group)
        if handshakes:
            out += section(problems, group, "the handshake timeline",
                           lambda: _timeline(handshakes, group), _placeholder)
        out.append("</section>")
    for part in doc.get("checked", []):
        out += section(problems, "", f"the {part['title']} summary",
                       partial(_checked, part), _placeholder)
    if not inputs and not setup:
        out.append("<p>No log found in the inputs.</p>")
    if doc.get("problems"):
        out.append('<section class="problems"><h2>Problems</h2><ul>')
        for p in doc["problems"]:
            where = f"{p['path']}:{p['line']}" if p["line"] else p["path"]
            out.append(f"<li><code>{_e(where)}</code> ({_e(p['kind'])}): {_e(p['message'])}</li>")
        out.append("</ul></section>")
    if inputs:
        out.append(
            '<section><h2>Files read</h2><div class="scroll"><table class="inputs"><thead><tr>'
            "<th>file</th><th>role</th><th>layout</th><th>lines</th><th>handshakes</th>"
            "</tr></thead><tbody>"
        )
        for i in inputs:
            out.append(
                f'<tr><td class="mono">{_e(i["path"])}</td><td>{_e(i["role"])}</td>'
                f"<td>{_e(i['layout'])}</td><td>{i['lines']:,}</td><td>{i['handshakes']}</td></tr>"
            )
        out.append("</tbody></table></div></section>")
    out += ["</main>", f"<footer>loganalyzer {_e(__version__)}</footer>", "</body></html>", ""]
    return "\n".join(out)


def _checked(part: dict[str, Any]) -> list[str]:
    """What one part of a self-check looked at, as a two-column table."""
    out = [f"<section><h2>{_e(part['title'])}</h2>",
           '<div class="scroll"><table class="checked"><tbody>']
    out += [f'<tr><th>{_e(r["label"])}</th><td class="mono">{_e(r["value"])}</td></tr>'
            for r in part["rows"]]
    return out + ["</tbody></table></div></section>"]


def _placeholder(message: str) -> list[str]:
    return [f'<p class="internal">{_e(message)}</p>']


def render(reading: Reading, diagnoses: Sequence[Diagnosis]) -> str:
    """The HTML page of a reading and its diagnoses."""
    return render_document(analyze_document(reading, diagnoses))
