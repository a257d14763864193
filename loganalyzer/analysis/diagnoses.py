"""Diagnoses: rules evaluated over facts, folded into root causes with evidence and fixes.

Each rule is evaluated on every handshake (or agent event) of a MID Server. Hits of one rule
become one diagnosis per MID Server, citing the first handshakes it fired on. Where the log
cannot tell causes apart, several ``possible`` diagnoses come back, most likely first. Which
rule gives way to which on the same handshake is said once, in each rule's ``yields_to``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loganalyzer.analysis.facts import Timeline, derive, derive_agent
from loganalyzer.analysis.handshakes import Handshake
from loganalyzer.analysis.reading import MidServer, Reading
from loganalyzer.errors import Location, Problem, boundary, debug_enabled, internal_problem
from loganalyzer.jsse import events as ev
from loganalyzer.vocabulary import Confidence, severity_rank

MAX_EVIDENCE_HANDSHAKES = 3

# Which events a rule's ``evidence`` names pull out of a handshake.
EVIDENCE_EVENTS: dict[str, tuple[type[ev.Event], ...]] = {
    "hello": (ev.ClientHello, ev.ServerHello, ev.NegotiatedVersion),
    "server_certificate": (ev.ServerCertificate,),
    "request": (ev.CertificateRequest,),
    "client_certificate": (ev.ClientCertificate, ev.NoClientCertificate),
    "key_manager": (ev.KeyManagerClass, ev.KeySelection, ev.KeyFound),
    "alert": (ev.Alert,),
    "failure": (ev.Failure,),
    "finished": (ev.Finished,),
}


@dataclass(frozen=True, slots=True)
class Evidence:
    path: str
    line: int
    text: str


@dataclass(slots=True)
class Diagnosis:
    """One root cause found in one MID Server's logs."""

    root_cause: str
    rule: str
    severity: str
    confidence: str
    title: str
    meaning: str
    fix: list[str]
    kb: dict[str, str]
    mid_server: str
    distinguish: str = ""
    rank: int = 0
    evidence: list[Evidence] = field(default_factory=list)
    handshakes: int = 0  # how many handshakes (or agent events) the rule fired on
    first_seen: datetime | None = None
    first_line: tuple[str, int] = ("", 0)
    # set-up checks: the sentence that says exactly what was found, and every source (certs,
    # config, probe, cross-check, logs) that found this root cause
    detail: str = ""
    sources: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = {
            "root_cause": self.root_cause,
            "rule": self.rule,
            "severity": self.severity,
            "confidence": self.confidence,
            "title": self.title,
            "meaning": self.meaning,
            "mid_server": self.mid_server,
            "occurrences": self.handshakes,
            "first_seen": self.first_seen.isoformat(sep=" ") if self.first_seen else None,
            "evidence": [{"path": e.path, "line": e.line, "text": e.text} for e in self.evidence],
            "fix": list(self.fix),
            "kb": dict(self.kb),
            "distinguish": self.distinguish or None,
        }
        if self.detail:
            out["detail"] = self.detail
        if self.sources:
            out["sources"] = list(self.sources)
        return out


def diagnose(reading: Reading, rules) -> list[Diagnosis]:
    """Every diagnosis for every MID Server in ``reading``, most important first.

    Each rule runs on each handshake behind a fault boundary: a rule that raises is skipped
    for that handshake and reported in ``reading.problems`` as ``internal``; the others run.
    """
    out: list[Diagnosis] = []
    for server in reading.servers:
        with boundary(reading.problems, Location(server.group), "diagnosing this MID Server"):
            out.extend(_diagnose_server(server, rules, reading.problems))
    out.sort(key=sort_key)
    return out


def leading(diagnoses: Sequence[Diagnosis]) -> list[Diagnosis]:
    """The top of a sorted list: the first diagnosis, or, when it is one candidate of a
    differential, the whole leading group of ``possible`` candidates of its severity."""
    if not diagnoses:
        return []
    first = diagnoses[0]
    if first.confidence != "possible":
        return [first]
    return [d for d in diagnoses if d.confidence == "possible" and d.severity == first.severity]


def sort_key(d: Diagnosis) -> tuple:
    return (
        -severity_rank(d.severity),  # worst first
        Confidence(d.confidence).rank,
        d.rank,
        d.mid_server,
        d.first_line,
        d.rule,
    )


def _matches(rule, facts, where: Location, problems: list[Problem]) -> bool:
    try:
        return bool(rule.matches(facts))
    except Exception as exc:  # noqa: BLE001 - one rule's bug costs that rule on this handshake
        if debug_enabled():
            raise
        problems.append(internal_problem(where, f"rule {rule.id}", exc))
        return False


def _diagnose_server(server: MidServer, rules, problems: list[Problem]) -> list[Diagnosis]:
    agent = server.agent_events
    timeline = Timeline(server.handshakes, agent)
    hits: dict[str, list[tuple[Handshake | None, ev.Event | None]]] = {}
    by_id = {}
    for h in timeline.handshakes:
        with boundary(problems, h.start, "deriving the facts of this handshake"):
            facts = derive(h, timeline)
            fired = [r for r in rules.for_scope("handshake") if _matches(r, facts, h.start, problems)]
            fired = [r for r in fired if not r.gives_way(fired)]  # precedence: ``yields_to``
            for rule in fired:
                hits.setdefault(rule.id, []).append((h, None))
                by_id[rule.id] = rule
    for event in agent:
        with boundary(problems, event.where, "deriving the facts of this agent log line"):
            facts = derive_agent(event, timeline)
            for rule in rules.for_scope("agent"):
                if _matches(rule, facts, event.where, problems):
                    hits.setdefault(rule.id, []).append((_failed_near(event, timeline), event))
                    by_id[rule.id] = rule
    out = []
    for rid, found in hits.items():
        with boundary(problems, Location(server.group), f"folding the hits of rule {rid}"):
            out.append(_fold(by_id[rid], server.group, found))
    return out


def _failed_near(event: ev.AgentEvent, timeline: Timeline) -> Handshake | None:
    """The failed handshake an agent-log line most likely stems from (closest before it)."""
    before = [h for h in timeline.failed_near(event) if h.start_time <= event.time]
    return before[-1] if before else None


def _fold(rule, group: str, found: list[tuple[Handshake | None, ev.Event | None]]) -> Diagnosis:
    evidence: list[Evidence] = []
    seen: set[tuple[str, int]] = set()
    first_time = None
    first_line = ("", 0)
    for h, agent_event in found[:MAX_EVIDENCE_HANDSHAKES]:
        cited: list[ev.Event] = []
        if agent_event is not None:
            cited.append(agent_event)
        if h is not None:
            cited.extend(_evidence_events(h, rule.evidence))
        for event in cited:
            for item in _evidence_lines(event):
                key = (item.path, item.line)
                if key not in seen:
                    seen.add(key)
                    evidence.append(item)
    for h, agent_event in found:
        anchor = agent_event or (h.events[0] if h and h.events else None)
        if anchor is not None:
            first_time = anchor.time
            first_line = (anchor.where.path, anchor.where.line)
            break
    return Diagnosis(
        root_cause=rule.root_cause,
        rule=rule.id,
        severity=rule.severity,
        confidence=rule.confidence,
        title=rule.title,
        meaning=rule.meaning,
        fix=list(rule.fix),
        kb=dict(rule.kb),
        mid_server=group,
        distinguish=rule.distinguish or "",
        rank=rule.rank,
        evidence=evidence,
        handshakes=len(found),
        first_seen=first_time,
        first_line=first_line,
    )


def _evidence_events(h: Handshake, names: Sequence[str]) -> list[ev.Event]:
    wanted = tuple(t for name in names for t in EVIDENCE_EVENTS.get(name, ()))
    picked = []
    failures: set[str] = set()
    for e in h.events:
        if not isinstance(e, wanted):
            continue
        if isinstance(e, ev.Failure):
            if e.message in failures:  # JSSE, the app and its stack trace report it again
                continue
            failures.add(e.message)
        picked.append(e)
    if "key_manager" in names:
        picked = list(h.key_manager.found) + picked
    if not picked and h.events:
        picked = [h.events[0]]
    return sorted(picked, key=lambda e: (e.where.path, e.where.line))


def _evidence_lines(event: ev.Event) -> list[Evidence]:
    items = [Evidence(event.where.path, event.where.line, event.text)]
    items.extend(Evidence(event.where.path, n, text) for n, text in event.lines)
    return items
