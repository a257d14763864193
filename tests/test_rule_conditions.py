"""The rule conditions translated to Python (ruleset/conditions.py) say what rule-engine says.

The cached rule set matches with the translated functions instead of rule-engine. Here every
shipped condition is compared with rule-engine's on the facts of every log rule case, on random
facts of every scope, and on values of the wrong type, where the function must step aside.
"""

from __future__ import annotations

import re
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loganalyzer.ruleset import conditions
from loganalyzer.ruleset import rules as rules_mod

from test_rules import _analysis_folder, _engine, _load_cases

RULES = rules_mod._load_folder(rules_mod._resolve(None))
FUNCTIONS = conditions.load_module(rules_mod._translated(RULES))
CONDITIONS = [r for r in RULES if r.compiled is not None]
SCOPES = sorted({r.scope for r in CONDITIONS})


def _function(rule: rules_mod.Rule) -> Any:
    return FUNCTIONS[rules_mod._function_name(rule)]


def _engine_says(rule: rules_mod.Rule, facts: Any) -> tuple[str, Any]:
    try:
        return "value", bool(rule.compiled.matches(facts))
    except Exception as exc:  # noqa: BLE001 - the error is part of what is compared
        return "error", type(exc).__name__


def _agree(rule: rules_mod.Rule, facts: Any) -> str | None:
    """None when the translation agrees with rule-engine on ``facts``; else what differs.

    The translation may refuse (raise): the cached rule then asks rule-engine. It must never
    give an answer rule-engine would not give, and it must answer for plain facts.
    """
    expected = _engine_says(rule, facts)
    try:
        got = ("value", _function(rule)(facts))
    except Exception as exc:  # noqa: BLE001 - Condition.matches then asks rule-engine
        return None if not _plain(facts) else f"{rule.id}: {exc!r} on plain facts {facts!r}"
    if type(got[1]) is not bool or got != expected:
        return f"{rule.id}: {got} != rule-engine's {expected} for {facts!r}"
    return None


def _plain(facts: Any) -> bool:
    """Every field holds the plain type it is declared with (what the builders make)."""
    hints = typing.get_type_hints(type(facts))
    for f in fields(facts):
        value, hint = getattr(facts, f.name), hints[f.name]
        if hint == list[str]:
            if type(value) is not list or any(type(v) is not str for v in value):
                return False
        elif type(value) is not hint:
            return False
    return True


def test_every_shipped_condition_is_translated() -> None:
    assert len(CONDITIONS) > 90  # every rule but the text ones
    missing = [r.id for r in CONDITIONS if rules_mod._function_name(r) not in FUNCTIONS]
    assert missing == []


def test_the_cache_matches_with_the_translation(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LOGANALYZER_CACHE_DIR", str(tmp_path))
    directory = rules_mod._resolve(None)
    rules_mod._to_disk(directory, "a key", RULES)
    cached = rules_mod._from_disk(directory, "a key")
    assert cached is not None
    kinds = {type(r.compiled).__name__ for r in cached if r.compiled is not None}
    assert kinds == {"Condition"}


# ---------------------------------------------------------------------- the facts of the cases


@pytest.fixture(scope="module")
def case_facts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    """The facts every rule was matched against while the log rule cases were analysed."""
    engine = _engine()
    if engine is None:
        pytest.skip("diagnosis engine not available")
    seen: dict[str, list[Any]] = {}
    original = rules_mod.Rule.matches

    def spy(self: rules_mod.Rule, facts: Any) -> bool:
        seen.setdefault(self.scope, []).append(facts)
        return original(self, facts)

    folders = {}
    tmp = tmp_path_factory.mktemp("cases")
    for n, (rule_id, case) in enumerate(_load_cases()):
        if "log" not in case or RULES[rule_id].scope not in ("handshake", "agent"):
            continue
        if case.get("substitute") or case.get("only"):
            (tmp / str(n)).mkdir()
            folders[str(_analysis_folder(case, tmp / str(n)))] = None
        else:
            folders[case["log"]] = None
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rules_mod.Rule, "matches", spy)
        for folder in folders:
            root = Path(__file__).resolve().parent.parent
            engine.analyze_paths([str(root / folder)])
    return seen


def test_the_translation_agrees_on_the_facts_of_every_case(case_facts) -> None:
    assert len(case_facts.get("handshake", [])) > 100 and case_facts.get("agent")
    differ = [d for scope, facts_list in case_facts.items() for facts in facts_list
              for rule in CONDITIONS if rule.scope == scope
              for d in [_agree(rule, facts)] if d]
    assert differ == []
    fired = {r.id for scope, facts_list in case_facts.items() for facts in facts_list
             for r in CONDITIONS if r.scope == scope and _function(r)(facts)}
    # the cases make nearly every log rule's condition true somewhere, so both answers are tried
    log_rules = {r.id for r in CONDITIONS if r.scope in ("handshake", "agent")}
    assert len(fired & log_rules) > 0.8 * len(log_rules)


# ---------------------------------------------------------------------------- random facts


def _literals(scope: str) -> list[str]:
    """Strings the scope's conditions name, and pieces of their patterns, so that facts hit them."""
    found: set[str] = {"", "yes", "no", "unknown", "x"}
    for rule in CONDITIONS:
        if rule.scope == scope:
            for text in re.findall(r"'([^']*)'", rule.when or ""):
                found.add(text)
                found.update(re.sub(r"[()?\\\[\]^$]", "", p) for p in text.split("|"))
    for values in rules_mod._fact_values(scope).values():
        found.update(values)
    return sorted(found)


def _value(hint: Any, texts: list[str]) -> st.SearchStrategy[Any]:
    text = st.sampled_from(texts) | st.text(max_size=8)
    if hint is str:
        return text
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.sampled_from([0, 1, 2, 1024, 2047, 2048, 4096]) | st.integers(-3, 5000)
    if hint == list[str]:
        return st.lists(text, max_size=3)
    raise AssertionError(f"no strategy for {hint!r}")


def _facts(scope: str) -> st.SearchStrategy[Any]:
    cls = rules_mod.fact_class(scope)
    hints = typing.get_type_hints(cls)
    texts = _literals(scope)
    return st.builds(cls, **{f.name: _value(hints[f.name], texts) for f in fields(cls) if f.init})


@pytest.mark.parametrize("scope", SCOPES)
def test_the_translation_agrees_on_random_facts(scope: str) -> None:
    rules = [r for r in CONDITIONS if r.scope == scope]
    results: dict[str, set[bool]] = {r.id: set() for r in rules}

    @settings(max_examples=300, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(_facts(scope))
    def check(facts: Any) -> None:
        for rule in rules:
            assert _agree(rule, facts) is None
            results[rule.id].add(_function(rule)(facts))

    check()
    assert any(True in seen for seen in results.values())  # not only ever false


# ------------------------------------------------------------------------ values of odd types


class _Text(str):
    """A str subclass: rule-engine's == is false against a plain str; the function must refuse."""


ODD = [None, 1, True, "yes", 2.0, [None], ("no",), [1], _Text("failed"), 2 ** 70]


@pytest.mark.parametrize("scope", SCOPES)
def test_odd_values_are_left_to_rule_engine(scope: str) -> None:
    cls = rules_mod.fact_class(scope)
    rules = [r for r in CONDITIONS if r.scope == scope]
    differ = []
    for f in fields(cls):
        for odd in ODD:
            facts = cls()
            setattr(facts, f.name, odd)
            for rule in rules:
                problem = _agree(rule, facts)
                if problem:
                    differ.append(problem)
                # the cached rule's Condition: the same answer, or the same error
                cached = conditions.Condition(_function(rule), lambda r=rule: r.compiled)
                try:
                    got = ("value", cached.matches(facts))
                except Exception as exc:  # noqa: BLE001
                    got = ("error", type(exc).__name__)
                if got != _engine_says(rule, facts):
                    differ.append(f"{rule.id} {f.name}={odd!r}: {got}")
    assert differ == []
