"""The field corpus: short real excerpts posted publicly, each with its source and expected cause.

``tests/field/manifest.yaml`` lists every excerpt in ``tests/field/`` (see its README for how the
excerpts were taken and labelled). Each one is read and diagnosed as ``loganalyzer analyze`` does:
the expected root cause (or one of its ``also`` alternatives) must lead the diagnoses, either as
the first one or within the leading group of ``possible`` candidates; ``ok`` means nothing at
error or warning severity may be diagnosed.

Excerpts the tool does not get right yet carry ``known_gap`` in the manifest, saying what it
lacks; they run as strict xfails, so closing a gap turns the test red until the field is deleted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from loganalyzer.analysis.diagnoses import diagnose, leading
from loganalyzer.analysis.reading import read
from loganalyzer.reporters.document import analyze_document
from loganalyzer.ruleset.rules import load_rules

FIELD = Path(__file__).resolve().parent / "field"
MANIFEST = FIELD / "manifest.yaml"
ENTRIES: list[dict] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["entries"]
REQUIRED = ("file", "url", "date", "jdk", "shape", "expected", "why")
ALLOWED = set(REQUIRED) | {"also", "note", "known_gap"}
DATE = re.compile(r"^(\d{4}-\d{2}-\d{2}|unknown)$")
SERIOUS = ("error", "warning")


def _root_causes() -> set[str]:
    return {rule.root_cause for rule in load_rules()}


def _param(entry: dict):
    marks = []
    if entry.get("known_gap"):
        marks.append(pytest.mark.xfail(strict=True, reason=entry["known_gap"]))
    return pytest.param(entry, id=Path(entry["file"]).stem, marks=marks)


def test_manifest_lists_every_excerpt_with_its_provenance() -> None:
    causes = _root_causes() | {"ok", "inconclusive"}
    files = [e.get("file") for e in ENTRIES]
    assert len(files) == len(set(files)), "a file is listed twice"
    on_disk = sorted(p.name for p in FIELD.glob("*.log"))
    assert sorted(files) == on_disk, "every excerpt must be listed, and every entry must exist"
    assert len(ENTRIES) >= 40
    for entry in ENTRIES:
        name = entry.get("file")
        assert not set(entry) - ALLOWED, (name, set(entry) - ALLOWED)
        for key in REQUIRED:
            assert isinstance(entry.get(key), str) and entry[key].strip(), (name, key)
        assert entry["url"].startswith(("https://", "http://")), name
        assert DATE.match(entry["date"]), (name, entry["date"])
        assert entry["expected"] in causes, (name, entry["expected"])
        for alt in entry.get("also") or []:
            assert alt in causes and alt != entry["expected"], (name, alt)
        if "known_gap" in entry:
            assert isinstance(entry["known_gap"], str) and entry["known_gap"].strip(), name
        text = (FIELD / name).read_bytes()
        assert text.strip(), name


@pytest.mark.parametrize("entry", [_param(e) for e in ENTRIES])
def test_field_excerpt_diagnosis(entry: dict) -> None:
    path = FIELD / entry["file"]
    diagnoses = diagnose(read([str(path)]), load_rules())
    found = [(d.root_cause, d.confidence, d.severity) for d in diagnoses]
    if entry["expected"] in ("ok", "inconclusive"):
        serious = [d.root_cause for d in diagnoses if d.severity in SERIOUS]
        assert serious == [], found
    if entry["expected"] == "inconclusive":  # the excerpt ends before any outcome: say so
        reading = read([str(path)])
        doc = analyze_document(reading, diagnose(reading, load_rules()))
        assert doc["verdict"] == "inconclusive", (doc["verdict"], found)
    if entry["expected"] in ("ok", "inconclusive"):
        return
    accepted = {entry["expected"], *(entry.get("also") or [])}
    top = {d.root_cause for d in leading(diagnoses)}
    assert accepted & top, found
