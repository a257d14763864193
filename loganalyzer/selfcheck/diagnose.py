"""Set-up facts judged by rules, into the diagnoses the log analysis makes.

Each :class:`~loganalyzer.analysis.setup_facts.Observation` is judged against the rules of its
scope, into the same :class:`~loganalyzer.analysis.diagnoses.Diagnosis` objects the log analysis
makes; then one diagnosis per root cause, whatever found it.

The rules live in ``rules/setup/`` beside the log rules; precedence is their ``yields_to``, as
for handshakes. Each rule runs behind a fault boundary: a rule that raises costs that rule on
that input (an ``internal`` problem), never the report.
"""

from __future__ import annotations

from collections.abc import Sequence

from loganalyzer.analysis.diagnoses import Diagnosis, Evidence, sort_key
from loganalyzer.analysis.setup_facts import Observation
from loganalyzer.errors import Location, Problem, boundary, debug_enabled, internal_problem
from loganalyzer.ruleset.rules import Rule, RuleSet
from loganalyzer.vocabulary import Confidence, severity_rank


def evaluate(observations: Sequence[Observation], rules: RuleSet, group: str,
             problems: list[Problem]) -> list[Diagnosis]:
    """A diagnosis for every set-up rule that holds on one of ``observations``."""
    out: list[Diagnosis] = []
    for obs in observations:
        where = Location(obs.subject)
        fired = [r for r in rules.for_scope(obs.scope) if _holds(r, obs, where, problems)]
        fired = [r for r in fired if not r.gives_way(fired)]
        for rule in fired:
            with boundary(problems, where, f"describing the finding of rule {rule.id}"):
                out.append(_diagnosis(rule, obs, group))
    return out


def _holds(rule: Rule, obs: Observation, where: Location, problems: list[Problem]) -> bool:
    try:
        return rule.matches(obs.facts)
    except Exception as exc:  # noqa: BLE001 - one rule's bug costs that rule on this input
        if debug_enabled():
            raise
        problems.append(internal_problem(where, f"rule {rule.id}", exc))
        return False


def _diagnosis(rule: Rule, obs: Observation, group: str) -> Diagnosis:
    lines = obs.lines(rule.evidence)
    evidence = [Evidence(e.path, e.line, e.text) for e in lines]
    first = (lines[0].path, lines[0].line) if lines else (obs.subject, 0)
    return Diagnosis(
        root_cause=rule.root_cause, rule=rule.id, severity=rule.severity,
        confidence=rule.confidence, title=rule.title, meaning=rule.meaning,
        fix=list(rule.fix), kb=dict(rule.kb), mid_server=group,
        distinguish=rule.distinguish or "", rank=rule.rank, evidence=evidence, handshakes=1,
        first_line=first, detail=rule.describe(obs.facts), sources=[obs.scope],
    )


def one_per_root_cause(diagnoses: Sequence[Diagnosis]) -> list[Diagnosis]:
    """Diagnoses of one root cause in one group folded into one, with the evidence of each.

    The surest (confirmed before possible), then the worst, leads and keeps its texts; a
    confirmed cause settles the ``possible`` candidates of the same root cause. Candidates of
    other root causes stay: a differential is only settled by its own cause.
    """
    by_cause: dict[tuple[str, str], list[Diagnosis]] = {}
    for d in diagnoses:
        by_cause.setdefault((d.mid_server, d.root_cause), []).append(d)
    out = []
    for same in by_cause.values():
        same.sort(key=lambda d: (Confidence(d.confidence).rank, -severity_rank(d.severity),
                                 d.rank, d.rule))
        lead = same[0]
        if len(same) > 1:
            seen = {(e.path, e.line, e.text) for e in lead.evidence}
            details = [lead.detail] if lead.detail else []
            for other in same[1:]:
                for e in other.evidence:
                    if (e.path, e.line, e.text) not in seen:
                        seen.add((e.path, e.line, e.text))
                        lead.evidence.append(e)
                if other.detail and other.detail not in details:
                    details.append(other.detail)
                if lead.missing is None:  # the log's account of what is missing, kept
                    lead.missing = other.missing
                lead.handshakes += other.handshakes
                lead.sources += [s for s in other.sources if s not in lead.sources]
                if lead.first_seen is None:
                    lead.first_seen = other.first_seen
            lead.detail = " ".join(details)
        out.append(lead)
    out.sort(key=sort_key)
    return out
