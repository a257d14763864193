"""Rules judged once per distinct facts value (``diagnoses._Verdicts``, issue 15).

A MID Server repeats the same failing handshake hundreds of times, so ``diagnose`` evaluates the
rules once per facts value. These tests hold it to the plain way (every rule on every
handshake, ``memo=False``): the same diagnoses, evidence, counts and first lines, and the same
problems where a rule raises, reported at every handshake it raised on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import loganalyzer.ruleset.rules
from loganalyzer.analysis.diagnoses import Diagnosis, _Verdicts, diagnose, facts_key
from loganalyzer.analysis.facts import HandshakeFacts
from loganalyzer.analysis.reading import read
from loganalyzer.errors import DEBUG_ENV, Location, Problem
from loganalyzer.ruleset.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p.parent for p in (ROOT / "sample_logs").glob("*/expected.json"))
# Its one handshake, logged four times over, gives four handshakes with equal facts.
REPEATED = ROOT / "sample_logs" / "jdk21-tls12-ca-mismatch-tm" / "wrapper.log"
COPIES = 4


def both_ways(paths: list[str]) -> tuple[tuple[list[Diagnosis], list[Problem]], ...]:
    """Diagnoses and the problems diagnosing added, memoised and plain, from one reading."""
    reading = read(paths, jobs=1)
    rules = load_rules(None)
    out = []
    for memo in (True, False):
        before = len(reading.problems)
        found = diagnose(reading, rules, memo=memo)
        out.append((found, reading.problems[before:]))
    return tuple(out)


@pytest.fixture
def repeated_log(tmp_path: Path) -> Path:
    path = tmp_path / "wrapper.log"
    path.write_bytes(REPEATED.read_bytes() * COPIES)
    return path


@pytest.mark.parametrize("folder", SAMPLES, ids=[f.name for f in SAMPLES])
def test_memoised_diagnoses_equal_the_plain_ones_on_every_sample(folder: Path) -> None:
    (memoised, memo_problems), (plain, plain_problems) = both_ways([str(folder)])
    assert memoised == plain  # every field: evidence, counts, first line, missing
    assert [d.as_dict() for d in memoised] == [d.as_dict() for d in plain]
    assert memo_problems == plain_problems


def test_equal_facts_are_judged_once(repeated_log: Path, monkeypatch) -> None:
    calls: list[str] = []
    original = loganalyzer.ruleset.rules.Rule.matches

    def counting(self: Any, facts: Any) -> bool:
        calls.append(self.scope)
        return original(self, facts)

    monkeypatch.setattr(loganalyzer.ruleset.rules.Rule, "matches", counting)
    reading = read([str(repeated_log)], jobs=1)
    [server] = reading.servers
    assert len(server.handshakes) == COPIES
    agent_lines = len(server.agent_events)  # four different lines (three policies, a 'null')
    rules = load_rules(None)
    n_handshake, n_agent = len(rules.for_scope("handshake")), len(rules.for_scope("agent"))
    found = diagnose(reading, rules)
    assert (calls.count("handshake"), calls.count("agent")) == (n_handshake, n_agent * agent_lines)
    assert [d.handshakes for d in found if d.rule == "MTLS-020"] == [COPIES]
    calls.clear()
    assert diagnose(reading, rules, memo=False) == found
    assert (calls.count("handshake"), calls.count("agent")) == (COPIES * n_handshake,
                                                                n_agent * agent_lines)


def test_a_raising_rule_is_reported_at_each_handshake_with_equal_facts(
        repeated_log: Path, monkeypatch) -> None:
    original = loganalyzer.ruleset.rules.Rule.matches

    def matches(self: Any, facts: Any) -> bool:
        if self.id == "MTLS-020":  # the cause of this sample: it fires on every copy
            raise ZeroDivisionError("planted")
        return original(self, facts)

    monkeypatch.setattr(loganalyzer.ruleset.rules.Rule, "matches", matches)
    (memoised, memo_problems), (plain, plain_problems) = both_ways([str(repeated_log)])
    assert memoised == plain
    assert "MTLS-020" not in {d.rule for d in memoised}
    assert memo_problems == plain_problems
    assert len(memo_problems) == COPIES
    assert all(p.kind == "internal" and "rule MTLS-020" in p.message
               and "ZeroDivisionError: planted" in p.message for p in memo_problems)
    reading = read([str(repeated_log)], jobs=1)
    assert [p.where for p in memo_problems] == [h.start for h in reading.servers[0].handshakes]


def test_the_key_keeps_unknown_false_and_zero_apart() -> None:
    facts = [HandshakeFacts(), HandshakeFacts(), HandshakeFacts()]
    facts[0].km_debug_on = None  # type: ignore[assignment]  # what a None-valued fact would give
    facts[1].km_debug_on = False
    facts[2].km_debug_on = 0  # type: ignore[assignment]
    keys = [facts_key(f) for f in facts]
    assert None not in keys
    assert len(set(keys)) == 3


def test_the_key_compares_lists_by_content() -> None:
    a, b, c = HandshakeFacts(), HandshakeFacts(), HandshakeFacts()
    a.agent_kinds, b.agent_kinds, c.agent_kinds = ["soap-401"], ["soap-401"], ["auth-user-null"]
    assert facts_key(a) == facts_key(b)
    assert facts_key(a) != facts_key(c)
    assert facts_key(a) != facts_key(HandshakeFacts())


@dataclass(eq=False)
class FakeRule:
    """Just what ``_Verdicts`` reads of a rule, counting its evaluations."""

    id: str
    when: Callable[[Any], bool]
    yields: Callable[[Any], bool] | None = None
    calls: int = 0

    def matches(self, facts: Any) -> bool:
        self.calls += 1
        return self.when(facts)

    def gives_way(self, fired: Any) -> bool:
        return self.yields(fired) if self.yields else False


def _boom(facts: Any) -> bool:
    raise KeyError("planted")


def test_verdicts_replay_a_raising_rule_at_each_place() -> None:
    raising, firing = FakeRule("MTLS-900", _boom), FakeRule("MTLS-901", lambda f: f.km_aliases > 0)
    verdicts = _Verdicts([raising, firing], precedence=True)
    problems: list[Problem] = []
    facts = HandshakeFacts(km_aliases=2)
    for line in (10, 20):
        assert verdicts.fired(facts, Location("w.log", line), problems) == [firing]
    assert raising.calls == firing.calls == 1
    assert [(p.where.line, p.kind) for p in problems] == [(10, "internal"), (20, "internal")]
    assert all("rule MTLS-900" in p.message and "KeyError" in p.message for p in problems)


def test_unhashable_facts_are_judged_every_time() -> None:
    rule = FakeRule("MTLS-900", lambda f: True)
    verdicts = _Verdicts([rule], precedence=False)
    facts = HandshakeFacts()
    facts.host = {"not": "hashable"}  # type: ignore[assignment]
    assert facts_key(facts) is None
    for _ in range(2):
        assert verdicts.fired(facts, Location("w.log", 1), []) == [rule]
    assert rule.calls == 2


def test_precedence_is_kept_per_facts_value_unless_it_raises() -> None:
    strong = FakeRule("MTLS-900", lambda f: True)
    weak = FakeRule("MTLS-901", lambda f: True, yields=lambda fired: strong in fired)
    verdicts = _Verdicts([strong, weak], precedence=True)
    assert verdicts.fired(HandshakeFacts(), Location("w.log", 1), []) == [strong]
    broken = FakeRule("MTLS-902", lambda f: True, yields=_boom)
    verdicts = _Verdicts([broken], precedence=True)
    for _ in range(2):  # raises each time, for that handshake's own fault boundary
        with pytest.raises(KeyError):
            verdicts.fired(HandshakeFacts(), Location("w.log", 1), [])
    assert broken.calls == 1


def test_debug_lets_a_raising_rule_escape_every_time(monkeypatch) -> None:
    monkeypatch.setenv(DEBUG_ENV, "1")
    rule = FakeRule("MTLS-900", _boom)
    verdicts = _Verdicts([rule], precedence=True)
    for _ in range(2):
        with pytest.raises(KeyError):
            verdicts.fired(HandshakeFacts(), Location("w.log", 1), [])
    assert rule.calls == 2  # nothing was memoised from a run that raised
