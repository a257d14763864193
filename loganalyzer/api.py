"""Composed entry points: the few calls that run several stages end to end.

They sit after every stage so that no stage has to reach forward: :mod:`loganalyzer.analysis`
takes rules as a parameter and never loads them itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from loganalyzer.analysis.diagnoses import Diagnosis, diagnose
from loganalyzer.analysis.reading import read
from loganalyzer.ruleset.rules import RuleSet, load_rules


def analyze_paths(paths: Sequence[str], rules: RuleSet | None = None) -> list[Diagnosis]:
    """Read ``paths`` and diagnose them with the shipped rules (or ``rules``)."""
    return diagnose(read(paths), rules or load_rules())
