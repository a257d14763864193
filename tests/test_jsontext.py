"""The report's indented JSON is, character for character, what ``json.dumps`` writes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loganalyzer.analysis.diagnoses import diagnose
from loganalyzer.analysis.reading import read
from loganalyzer.reporters.document import analyze_document
from loganalyzer.reporters.jsontext import indented
from loganalyzer.ruleset.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (ROOT / "sample_logs").iterdir() if p.is_dir())


def _dumps(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("sample", SAMPLES[::4], ids=[p.name for p in SAMPLES[::4]])
def test_a_sample_report_is_written_as_json_dumps_writes_it(sample: Path) -> None:
    reading = read([str(sample)], jobs=1)
    document = analyze_document(reading, diagnose(reading, load_rules(None), []), None, None)
    assert indented(document) == _dumps(document)


_KEYS = st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none(),
                  st.floats(allow_nan=False))
_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text())
_VALUES = st.recursive(_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(_KEYS, inner, max_size=4)), max_leaves=30)


@settings(max_examples=300)
@given(_VALUES)
def test_any_value_is_written_as_json_dumps_writes_it(value: object) -> None:
    assert indented(value) == _dumps(value)


def test_what_json_refuses_is_refused() -> None:
    with pytest.raises(TypeError):
        indented({"when": object()})
    with pytest.raises(TypeError):
        indented({(1, 2): "tuple key"})
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular"):
        indented(loop)
    assert indented([math.inf, -math.inf]) == _dumps([math.inf, -math.inf])
    assert indented({"a": [], "b": {}, "c": ()}) == _dumps({"a": [], "b": {}, "c": ()})
