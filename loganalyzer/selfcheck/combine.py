"""The customer's pre-case self-check: certificate files, config.xml, the instance and the logs.

This module combines the checks of :mod:`loganalyzer.selfcheck.certs`,
:mod:`loganalyzer.selfcheck.midconfig`, :mod:`loganalyzer.selfcheck.probe` and the log diagnoses
into one :class:`SelfCheck` of :class:`~loganalyzer.selfcheck.findings.Finding`. Findings carry the root-cause ids of ``analyze``,
and their title, fix and KB section come from a rule with that root cause, so no fix text is
written twice. A setting no log can show (a missing ``url``) has ``root_cause`` ``None``.

The cross-check is the point of combining: the client certificate's issuer chain against the CA
names the instance sends (seen in the logs or by the probe). JSSE only offers a certificate when
one of its chain's issuers is among those names, so a chain they do not cover is a confirmed
``ca-chain-incomplete`` naming the CA that is missing.

The library never prints or exits; :mod:`loganalyzer.cli.selfcheck` renders the result.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from loganalyzer.errors import Location, Problem, boundary
from loganalyzer.selfcheck.findings import Finding, finding
from loganalyzer.vocabulary import severity_rank
from loganalyzer.vocabulary import worst as worst_severity

if TYPE_CHECKING:
    from loganalyzer.selfcheck.certs import CertReport
    from loganalyzer.selfcheck.midconfig import ConfigReport
    from loganalyzer.selfcheck.probe import ProbeResult

SCHEMA_VERSION = 1


def worst(findings: Sequence[Finding]) -> str | None:
    """The highest severity among ``findings`` (``None`` when there are none)."""
    return worst_severity(f.severity for f in findings)


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: -severity_rank(f.severity))


# ----------------------------------------------------------------------------- combining


@dataclass(frozen=True, slots=True)
class CaNames:
    """The CA names one source showed: a logged CertificateRequest or the probe's handshake."""

    source: str  # "logs" | "probe"
    names: tuple[str, ...]
    where: Location
    text: str = ""


@dataclass
class LogSummary:
    paths: list[str]
    files: int = 0
    handshakes: int = 0
    diagnoses: list[Any] = field(default_factory=list)  # loganalyzer.analysis.diagnoses.Diagnosis
    ca_names: list[CaNames] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"paths": self.paths, "files": self.files, "handshakes": self.handshakes,
                "ca_names_seen": [{"names": list(c.names), "where": str(c.where)}
                                  for c in self.ca_names]}


@dataclass
class SelfCheck:
    """One report: the results of each check that ran, and all findings, worst first."""

    command: str = "self-check"
    certs: CertReport | None = None
    config: ConfigReport | None = None
    probe: ProbeResult | None = None
    logs: LogSummary | None = None
    written: list[Any] = field(default_factory=list)  # certs.Written of --split
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def worst(self) -> str | None:
        return worst(self.findings)

    @property
    def checked(self) -> bool:
        """Whether any part had input it could read: only then can "no problem" be said."""
        return any(x is not None for x in (self.certs, self.config, self.probe, self.logs))

    def verdict(self) -> str:
        """``findings``, ``clean``, or ``not-checked`` (every input failed to be read)."""
        if any(f.severity in ("error", "warning") for f in self.findings):
            return "findings"
        return "clean" if self.checked else "not-checked"

    def nothing_found(self) -> str:
        """What the report says when there are no findings: never "no problem" if nothing ran."""
        if self.checked:
            return "No problem found."
        n = len(self.problems)
        return (f"Nothing could be checked: {'the input' if n == 1 else f'{n} inputs'} could not "
                "be read (see below). This is not a clean result.")

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "command": self.command,
            "verdict": self.verdict(),
            "findings": [f.as_dict() for f in sort_findings(self.findings)],
            "certs": self.certs.as_dict() if self.certs else None,
            "split": [{"path": str(w.path), "what": w.what, "mode": f"{w.mode:04o}"}
                      for w in self.written],
            "config": self.config.as_dict() if self.config else None,
            "probe": self.probe.as_dict() if self.probe else None,
            "logs": self.logs.as_dict() if self.logs else None,
            "problems": [{"where": str(p.where), "message": p.message, "kind": p.kind}
                         for p in self.problems],
        }


def read_logs(paths: Sequence[str]) -> tuple[LogSummary, list[Finding], list[Problem]]:
    """analyze's diagnoses as findings, and the CA names each CertificateRequest listed."""
    from loganalyzer.analysis.diagnoses import diagnose
    from loganalyzer.analysis.reading import read
    from loganalyzer.ruleset.rules import load_rules

    reading = read(list(paths))
    summary = LogSummary(list(paths), files=len(reading.files),
                         handshakes=len(reading.handshakes))
    summary.diagnoses = diagnose(reading, load_rules())
    seen: set[tuple[str, ...]] = set()
    for h in reading.handshakes:
        if h.request is None or h.request.ca_state != "listed" or not h.ca_names:
            continue
        if h.ca_names in seen:
            continue
        seen.add(h.ca_names)
        # point at the line that lists the names (the record starts a few lines earlier)
        line, text = next(((n, t) for n, t in reversed(h.request.lines) if "CN=" in t or
                           "=" in t.partition("[")[2]), (h.request.where.line, h.request.text))
        summary.ca_names.append(CaNames("logs", h.ca_names,
                                        Location(h.request.where.path, line), text))
    findings = []
    for d in summary.diagnoses:
        findings.append(Finding(
            "logs", d.root_cause, d.severity, d.meaning, title=d.title, rule=d.rule,
            confidence=d.confidence, fix=tuple(d.fix), kb=tuple(dict(d.kb).items()),
            where=Location(*d.first_line) if d.first_line[0] else None,
            evidence=tuple((e.path, e.line, e.text) for e in d.evidence)))
    return summary, findings, list(reading.problems)


def cross_check(report: CertReport, sources: Sequence[CaNames]) -> list[Finding]:
    """The client certificate's issuer chain against the CA names the instance sends.

    JSSE offers a chain when the issuer of one of its certificates is among the names (the
    SunX509 rule ``analyze`` uses too); otherwise it sends no certificate at all.
    """
    from loganalyzer.jsse.dn import normalise

    if report.leaf is None:
        return []
    chain = [report.leaf] + [c for c in report.cas if c is not report.leaf]
    out = []
    for src in sources:
        wanted = {normalise(n) for n in src.names}
        if any(normalise(c.issuer) in wanted for c in chain):
            continue
        leaf = report.leaf
        above = " <- ".join(f"{c.subject} (hash {c.subject_hash})" for c in report.cas)
        names = "; ".join(src.names)
        what = "in the log" if src.source == "logs" else "in the live handshake"
        detail = (f"The instance asks for certificates issued by: {names} ({what}, "
                  f"{src.where}). The client certificate {leaf.subject} was issued by "
                  f"{leaf.issuer} (issuer hash {leaf.issuer_hash})"
                  + (f", chain {above}" if above else "") +
                  f"; none of them is listed. Missing CA: {leaf.issuer}.")
        evidence = [(src.where.path, src.where.line, src.text or names)]
        if leaf.where.path:
            evidence.append((leaf.where.path, leaf.where.line, f"issuer: {leaf.issuer}"))
        out.append(finding("cross-check.ca-names", "MTLS-020", "error", detail,
                           where=src.where, evidence=evidence))
    return out


def run(*, logs: Sequence[str] = (), cert_files: Sequence[str] = (), config: str | None = None,
        instance: str | None = None, password: bytes | None = None,
        ask: Callable[[str], bytes | None] | None = None, timeout: float = 10.0,
        split_dir: str | None = None, now: datetime | None = None) -> SelfCheck:
    """Run the checks that have input and combine them; unreadable inputs become problems."""
    from loganalyzer.errors import LogAnalyzerError

    result = SelfCheck()
    # Each part runs behind a fault boundary: a bug in one costs that part (an internal
    # problem), never the results the others already have.
    if cert_files:
        from loganalyzer.selfcheck import certs

        with boundary(result.problems, Location(cert_files[0]), "the certificate check"):
            bundle = certs.load(cert_files, password=password, ask=ask)
            result.problems.extend(bundle.problems)
            if bundle.certs or bundle.keys:
                result.certs = certs.check(bundle, now)
                result.findings.extend(result.certs.findings)
                if split_dir and result.certs.leaf is not None:
                    try:
                        result.written = certs.split(result.certs, split_dir)
                    except LogAnalyzerError as exc:
                        result.problems.append(Problem(exc.where or Location(split_dir), exc.message))
    if config:
        from loganalyzer.selfcheck import midconfig

        with boundary(result.problems, Location(config), "the config.xml check"):
            try:
                result.config = midconfig.check(midconfig.parse(config))
                result.findings.extend(result.config.findings)
            except LogAnalyzerError as exc:
                result.problems.append(Problem(exc.where or Location(config), exc.message))
    if instance:
        from loganalyzer.selfcheck import probe

        with boundary(result.problems, Location(instance), "the instance probe"):
            try:
                result.probe = probe.probe(instance, timeout=timeout, report=result.certs)
                result.findings.extend(result.probe.findings)
            except LogAnalyzerError as exc:
                result.problems.append(Problem(exc.where or Location(instance), exc.message))
    sources: list[CaNames] = []
    if logs:
        with boundary(result.problems, Location(logs[0]), "the log analysis"):
            result.logs, log_findings, problems = read_logs(logs)
            result.problems.extend(problems)
            result.findings.extend(log_findings)
            sources.extend(result.logs.ca_names)
    if result.probe and result.probe.handshake and result.probe.handshake.ca_names:
        sources.append(CaNames("probe", tuple(result.probe.handshake.ca_names),
                               result.probe.where))
    if result.certs is not None and sources:
        confirmed: list[Finding] = []
        with boundary(result.problems, Location(cert_files[0]), "the cross-check"):
            confirmed = cross_check(result.certs, sources)
        if confirmed:  # the possible candidates of the logs are settled
            result.findings = [f for f in result.findings if not (
                f.check == "logs" and f.root_cause == "ca-chain-incomplete"
                and f.confidence == "possible")]
        result.findings.extend(confirmed)
    result.findings = sort_findings(result.findings)
    return result


# ----------------------------------------------------------------------------- rendering


def sections(check: SelfCheck) -> list[tuple[str, list[tuple[str, str]]]]:
    """What was checked, as titled (label, value) rows: one model for every output format."""
    out: list[tuple[str, list[tuple[str, str]]]] = []
    if check.certs is not None:
        r = check.certs
        rows = [(path, form.upper()) for path, form in r.bundle.forms.items()]
        for n, link in enumerate(r.chain):
            role = "leaf" if n == 0 else ("root" if link.status == "self-signed" else
                                          "intermediate")
            c = link.cert
            rows.append((f"{role}: {c.subject}",
                         f"hash {c.subject_hash}, issuer hash {c.issuer_hash}; {c.key_text}; "
                         f"valid {c.not_before:%Y-%m-%d} to {c.not_after:%Y-%m-%d}; "
                         f"{c.where}"))
            if link.status == "missing":
                rows.append(("missing link", f"{c.issuer} (hash {c.issuer_hash}) is not in "
                                             "the files"))
            elif link.status == "bad-signature":
                rows.append(("broken link", f"{c.issuer} did not sign {c.subject}"))
        if r.leaf is not None:
            eku = r.leaf.eku
            rows.append(("Extended Key Usage", ", ".join(eku) if eku else "(none)"))
        if r.key is not None:
            state = {True: "matches the leaf", False: "does NOT match the leaf",
                     None: "not checked (encrypted, no password)"}[r.key_matches]
            rows.append(("private key", f"{r.key.where} ({r.key.form}): {state}"))
        for c in r.unrelated:
            rows.append(("not in the chain", f"{c.subject} ({c.where})"))
        for w in check.written:
            rows.append((f"wrote {w.path}", f"{w.what}, mode {w.mode:04o}"))
        out.append(("Certificates", rows))
    if check.config is not None:
        cfg = check.config
        rows = [("file", cfg.config.path), ("url", cfg.url or "(none or encrypted)"),
                ("mutual authentication", cfg.mutual_auth)]
        from loganalyzer.selfcheck.midconfig import CHECK_CERT

        for name in CHECK_CERT:
            p = cfg.config.get(name)
            rows.append((name, f"{p.value} (line {p.line})" if p else "(not set)"))
        out.append(("MID Server config.xml", rows))
    if check.probe is not None:
        p = check.probe
        rows = [("instance", f"{p.url} ({p.address})"),
                ("Server header", f"{p.server!r} -> " + ("ADCv2" if p.adcv2 else "not ADCv2")
                 if p.status is not None else f"(no answer: {p.http_error})"),
                ("/adcv2/supports_tls", p.supports_tls or "(no answer)")]
        for label, hs in (("handshake", p.handshake), ("with client certificate", p.with_cert)):
            if hs is None:
                continue
            req = "client certificate requested" if hs.cert_requested else \
                "no client certificate requested"
            rows.append((label, f"{hs.version or '?'}: {req}; {hs.outcome}"
                         + (f" ({hs.error})" if hs.error else "")))
            if label == "handshake":
                for name, h in zip(hs.ca_names, hs.ca_hashes):
                    rows.append(("CA name", f"{name} (hash {h})"))
        out.append(("Instance", rows))
    if check.logs is not None:
        lg = check.logs
        rows = [("logs", ", ".join(lg.paths)), ("files", str(lg.files)),
                ("handshakes", str(lg.handshakes))]
        for c in lg.ca_names:
            rows.append((f"CA names at {c.where}", "; ".join(c.names)))
        out.append(("Logs", rows))
    return out


def render_text(check: SelfCheck, console) -> None:
    """Rich text on ``console`` (a rich Console); never markup, paths may hold brackets."""
    from rich.table import Table
    from rich.text import Text

    for title, rows in sections(check):
        console.rule(Text(title), align="left")
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", max_width=48, overflow="fold")
        grid.add_column(overflow="fold")
        for key, value in rows:
            grid.add_row(Text(key), Text(value))
        console.print(grid)
    console.rule(Text("Findings"), align="left")
    if not check.findings:
        console.print(Text(check.nothing_found()), highlight=False)
    style = {"error": "bold red", "warning": "bold yellow", "info": "cyan"}
    for f in check.findings:
        console.print()
        console.print(Text.assemble((f"{f.severity.upper()} ", style.get(f.severity, "")),
                                    (f.root_cause or f.check, "bold"),
                                    f"  {f.title}"), highlight=False)
        console.print(Text("  " + f.detail), highlight=False)
        if f.where is not None:
            console.print(Text(f"  at {f.where}", style="dim"), highlight=False)
        for n, step in enumerate(f.fix, 1):
            console.print(Text(f"  {n}. {step}"), highlight=False)
        if f.kb:
            kb = dict(f.kb)
            console.print(Text(f"  KB: {kb['article']}, section \"{kb['section']}\"",
                               style="italic"), highlight=False)
    if check.problems:
        console.rule(Text("Inputs not read, and problems"), align="left")
        for p in check.problems:
            console.print(Text(f"{p.kind}: {p}"), highlight=False)


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(
        "\n", " ")


def render_markdown(check: SelfCheck) -> str:
    lines = [f"# loganalyzer {check.command}", ""]
    for title, rows in sections(check):
        lines += [f"## {title}", "", "| | |", "|---|---|"]
        lines += [f"| {_md(k)} | {_md(v)} |" for k, v in rows]
        lines.append("")
    lines += ["## Findings", ""]
    if not check.findings:
        lines.append(check.nothing_found())
    for f in check.findings:
        lines += [f"### {f.severity.upper()} `{f.root_cause or f.check}`: {_md(f.title)}", "",
                  _md(f.detail), ""]
        if f.where is not None:
            lines += [f"At `{f.where}`.", ""]
        lines += [f"{n}. {step}" for n, step in enumerate(f.fix, 1)]
        if f.kb:
            kb = dict(f.kb)
            lines += ["", f"*KB: {kb['article']}, section \"{_md(kb['section'])}\"*"]
        lines.append("")
    if check.problems:
        lines += ["## Inputs not read, and problems", ""]
        lines += [f"- {p.kind}: `{p}`" for p in check.problems] + [""]
    return "\n".join(lines).rstrip() + "\n"


def render_html(check: SelfCheck) -> str:
    """One self-contained page (inline CSS, no scripts, everything escaped)."""
    e = html.escape
    body = [f"<h1>loganalyzer {e(check.command)}</h1>"]
    for title, rows in sections(check):
        body.append(f"<h2>{e(title)}</h2><table>")
        body += [f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows]
        body.append("</table>")
    body.append("<h2>Findings</h2>")
    if not check.findings:
        body.append(f"<p>{e(check.nothing_found())}</p>")
    for f in check.findings:
        body.append(f'<section class="{e(f.severity)}"><h3>{e(f.severity.upper())} '
                    f"<code>{e(f.root_cause or f.check)}</code> {e(f.title)}</h3>"
                    f"<p>{e(f.detail)}</p>")
        if f.where is not None:
            body.append(f"<p class=where>at <code>{e(str(f.where))}</code></p>")
        if f.fix:
            body.append("<ol>" + "".join(f"<li>{e(s)}</li>" for s in f.fix) + "</ol>")
        if f.kb:
            kb = dict(f.kb)
            body.append(f"<p class=kb>KB: {e(kb['article'])}, section "
                        f"&ldquo;{e(kb['section'])}&rdquo;</p>")
        body.append("</section>")
    if check.problems:
        body.append("<h2>Inputs not read, and problems</h2><ul>"
                    + "".join(f"<li>{e(str(p.kind))}: <code>{e(str(p))}</code></li>"
                              for p in check.problems)
                    + "</ul>")
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.2em .5em;"
             "text-align:left;vertical-align:top}section{border-left:.4em solid #999;"
             "padding-left:1em;margin:1em 0}.error{border-color:#c00}.warning{border-color:#e90}"
             ".info{border-color:#09c}.where,.kb{color:#555}")
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            f"<title>loganalyzer {e(check.command)}</title><style>{style}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")
