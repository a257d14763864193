"""The one model every self-check reports in: :class:`Finding`, and :func:`finding` to make one.

It lives apart from :mod:`loganalyzer.selfcheck.combine` because the checks (certs, config.xml,
probe) make findings and the combining module imports the checks: one module for both was an
import cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loganalyzer.errors import Location


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of a check: what was found, where, and the KB's fix for it.

    ``check`` is a stable id of the check (``certs.eku``, ``config.url`` …); ``rule`` names the
    rule the title, fix and KB section were taken from.
    """

    check: str
    root_cause: str | None
    severity: str
    detail: str
    title: str = ""
    rule: str | None = None
    confidence: str = "confirmed"
    fix: tuple[str, ...] = ()
    kb: tuple[tuple[str, str], ...] = ()
    where: Location | None = None
    evidence: tuple[tuple[str, int, str], ...] = ()  # (path, line, text)

    def as_dict(self) -> dict[str, Any]:
        evidence = list(self.evidence)
        if self.where is not None and not any(e[0] == self.where.path and e[1] == self.where.line
                                              for e in evidence):
            evidence.insert(0, (self.where.path, self.where.line, self.detail))
        return {
            "check": self.check,
            "root_cause": self.root_cause,
            "rule": self.rule,
            "severity": self.severity,
            "confidence": self.confidence,
            "title": self.title,
            "detail": self.detail,
            "where": str(self.where) if self.where else None,
            "evidence": [{"path": p, "line": n, "text": t} for p, n, t in evidence],
            "fix": list(self.fix),
            "kb": dict(self.kb) or None,
        }


def finding(check: str, rule_id: str | None, severity: str, detail: str, *,
            title: str = "", where: Location | None = None, confidence: str = "confirmed",
            evidence: Sequence[tuple[str, int, str]] = (), root_cause: str | None = None
            ) -> Finding:
    """A finding whose root cause, title, fix and KB section come from rule ``rule_id``."""
    if rule_id is None:
        return Finding(check, root_cause, severity, detail, title=title or detail, where=where,
                       confidence=confidence, evidence=tuple(evidence))
    from loganalyzer.ruleset.rules import load_rules

    rule = load_rules()[rule_id]
    return Finding(check, rule.root_cause, severity, detail, title=title or rule.title,
                   rule=rule.id, confidence=confidence, fix=tuple(rule.fix),
                   kb=(("article", rule.kb.article), ("section", rule.kb.section)),
                   where=where, evidence=tuple(evidence))
