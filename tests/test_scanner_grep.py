"""The grep-located scan gives exactly what the in-process scan gives.

Large plain files are scanned by letting GNU grep find the candidate lines (scanner.
grep_candidates); ``LOGANALYZER_GREP=always`` forces that path on the small captured logs so
both paths can be compared on every real sample.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from loganalyzer.analysis.reading import read
from loganalyzer.ingest.candidates import grep_candidates
from loganalyzer.reporters.document import parse_document

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = sorted(p for p in (ROOT / "sample_logs").iterdir() if p.is_dir())
# The field shapes: excerpts of real logs of other layouts (foreign prefixes, legacy JDKs, agent
# logs); each is read as a file of its own.
FIELD = sorted((ROOT / "tests" / "field").glob("*.log"))
needs_grep = pytest.mark.skipif(not (shutil.which("grep") and shutil.which("wc")),
                                reason="GNU grep and wc are not installed")


def _doc(folder: Path) -> str:
    return json.dumps(parse_document(read([str(folder)])), sort_keys=True, default=str)


@needs_grep
@pytest.mark.parametrize("source", FOLDERS + FIELD,
                         ids=[f.name for f in FOLDERS] + [f"field-{f.name}" for f in FIELD])
def test_grep_path_equals_in_process_path(source: Path, monkeypatch) -> None:
    """Every sample folder, and every field shape read as a file of its own."""
    monkeypatch.setenv("LOGANALYZER_GREP", "never")
    in_process = _doc(source)
    monkeypatch.setenv("LOGANALYZER_GREP", "always")
    assert _doc(source) == in_process


def test_every_sample_and_field_shape_is_compared() -> None:
    assert len(FOLDERS) >= 90 and len(FIELD) >= 45


@needs_grep
def test_grep_is_used_only_when_it_pays(monkeypatch, tmp_path: Path) -> None:
    log = tmp_path / "wrapper.log"
    sample = ROOT / "sample_logs" / "jdk17-tls12-success-lptm" / "wrapper.log"
    log.write_bytes(sample.read_bytes())
    monkeypatch.setenv("LOGANALYZER_GREP", "auto")
    assert grep_candidates(str(log), [rb"javax\.net\.ssl\|"]) is None  # small: in process
    monkeypatch.setenv("LOGANALYZER_GREP", "always")
    located = grep_candidates(str(log), [rb"javax\.net\.ssl\|"])
    text = log.read_bytes()
    assert located is not None and located.lines == text.count(b"\n") + (not text.endswith(b"\n"))
    offsets = list(located.offsets)
    assert offsets
    assert all(text[o:].split(b"\n", 1)[0].find(b"javax.net.ssl|") >= 0 for o in offsets)
    monkeypatch.setenv("LOGANALYZER_GREP", "never")
    assert grep_candidates(str(log), [rb"javax\.net\.ssl\|"]) is None


@needs_grep
def test_grep_path_with_long_lines_equals_in_process_path(monkeypatch, tmp_path: Path) -> None:
    """Lines longer than what is read of them give the same records on both paths.

    grep prints whole lines; only their "lineno:offset:" start is kept (candidates or not, and
    one over MAX_LINE).
    """
    log = (ROOT / "sample_logs" / "jdk25-tls13-ca-mismatch-ptm" / "wrapper.log").read_bytes()
    lines = log.split(b"\n")
    prefix = lines[0][: lines[0].index(b"|", lines[0].index(b"|") + 1) + 1]
    long_candidate = prefix + b" javax.net.ssl|DEBUG|" + b"y" * 9000
    huge_candidate = prefix + b" javax.net.ssl|DEBUG|" + b"z" * (3 << 20)
    body = b"\n".join([*lines[:40], long_candidate, *lines[40:], huge_candidate, b"x" * 70000])
    (tmp_path / "wrapper.log").write_bytes(body + b"\n" + log)
    monkeypatch.setenv("LOGANALYZER_GREP", "never")
    in_process = _doc(tmp_path)
    monkeypatch.setenv("LOGANALYZER_GREP", "always")
    located = grep_candidates(str(tmp_path / "wrapper.log"), [rb"javax\.net\.ssl\|"])
    assert located is not None and located.lines == (body + b"\n" + log).count(b"\n")
    assert _doc(tmp_path) == in_process
