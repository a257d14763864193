"""One large file on several cores reads exactly as in one scan (issue 15, item 4).

A plain file over a threshold is cut into byte ranges that grep searches in parallel, and its
records are cut by several processes from shares of its candidate lines (loganalyzer.ingest.
split). Here the threshold is small and the files are the real captured logs joined one after
another, so line numbers, JVM numbering, layouts and foreign prefixes all vary across the cuts.
Everything is compared with the one scan: the whole report, and the records cut at any cut
positions (a property).
"""

from __future__ import annotations

import json
import os
import random
import shutil
from array import array
from bisect import bisect_left
from pathlib import Path

import pytest
from hypothesis import Phase, event, given, settings
from hypothesis import strategies as st

from loganalyzer.analysis.diagnoses import diagnose
from loganalyzer.analysis.reading import interpret_records, read
from loganalyzer.errors import DEBUG_ENV
from loganalyzer.ingest import split
from loganalyzer.ingest.lines import LIFECYCLE_PREFILTER
from loganalyzer.ingest.candidates import Located, _ere, grep_candidates, settle
from loganalyzer.ingest.scanner import (
    JVM_BASE,
    Part,
    ScanResult,
    compile_union,
    scan,
)
from loganalyzer.jsse import stacktraces
from loganalyzer.jsse.legacy import LegacyDialect
from loganalyzer.jsse.unified import UnifiedDialect
from loganalyzer.mid.midlog import MidLineDialect
from loganalyzer.reporters.document import analyze_document
from loganalyzer.ruleset.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "sample_logs").glob("*/wrapper.log"))
FIELD = sorted((ROOT / "tests" / "field").glob("*.log"))
_RULES = load_rules()

pytestmark = pytest.mark.skipif(not (shutil.which("grep") and hasattr(os, "splice")),
                                reason="GNU grep and os.splice (Linux) are needed to split")


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failures are contained here; ``--debug`` (set by a CLI test before) would raise them."""
    monkeypatch.delenv(DEBUG_ENV, raising=False)


def _dialects() -> tuple:
    return (UnifiedDialect(), LegacyDialect(), MidLineDialect(),
            stacktraces.AppExceptionDialect())


def _joined(path: Path, logs: list[Path], seed: int | None = None) -> Path:
    """The captured logs one after another in one file (shuffled by ``seed``)."""
    logs = list(logs)
    if seed is not None:
        random.Random(seed).shuffle(logs)
    path.write_bytes(b"".join(p.read_bytes() for p in logs))
    return path


def _report(path: Path, **kw) -> str:
    reading = read([str(path)], **kw)
    return json.dumps(analyze_document(reading, diagnose(reading, _RULES)), sort_keys=True,
                      default=str)


def _how(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Collects ScanResult.split of every file split_scan reads."""
    seen: list[str] = []
    real = split.split_scan

    def spy(*args, **kw):
        result = real(*args, **kw)
        seen.append(result.split if result is not None else "")
        return result

    monkeypatch.setattr(split, "split_scan", spy)
    return seen


def _key(result: ScanResult) -> tuple:
    return (result.records, result.seen, result.problems, result.layout, result.lines,
            result.bytes)


@pytest.mark.parametrize("seed", [None, 3, 7])
def test_split_report_equals_one_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      seed: int | None) -> None:
    """The whole analyze document, evidence line numbers included, on a pool of processes."""
    log = _joined(tmp_path / "wrapper.log", SAMPLES, seed)
    one = _report(log, jobs=1)
    how = _how(monkeypatch)
    monkeypatch.setattr(split, "PARALLEL_MIN_CANDIDATES", 0)  # the records in parts too
    assert _report(log, jobs=2, split_bytes=1 << 20) == one
    assert _report(log, jobs=3, split_bytes=1 << 20) == one
    assert how == ["2 ranges, 2 parts", "3 ranges, 3 parts"]
    monkeypatch.setattr(split, "PARALLEL_MIN_CANDIDATES", 10**9)  # candidates found apart
    assert _report(log, jobs=2, split_bytes=1 << 20) == one
    assert how[-1].startswith("2 ranges; ") and how[-1].endswith("scanned here")


def test_a_small_file_is_read_in_one_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    log = _joined(tmp_path / "wrapper.log", SAMPLES[:3])
    how = _how(monkeypatch)
    read([str(log)], jobs=4)  # far below SPLIT_MIN_BYTES
    read([str(log)], jobs=1, split_bytes=1)  # one job
    assert how == []


def test_field_shapes_joined_equal_one_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    """Foreign prefixes learned mid-file: the parts then cannot join, and one scan reads them."""
    log = _joined(tmp_path / "field.log", FIELD + SAMPLES[:10])
    one = _report(log, jobs=1)
    how = _how(monkeypatch)
    monkeypatch.setattr(split, "PARALLEL_MIN_CANDIDATES", 0)
    assert _report(log, jobs=4, split_bytes=1) == one
    assert len(how) == 1 and how[0].startswith("4 ranges; ") and "foreign prefix" in how[0]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScanResult, int]:
    """A joined file of a dozen captures of every layout, its one scan and candidate count."""
    picked = SAMPLES[::8] + [p for p in SAMPLES if "jvm-restart" in str(p)]
    log = _joined(tmp_path_factory.mktemp("split") / "wrapper.log", picked, 5)
    with open(log, "rb") as stream:
        one = scan(stream, str(log), _dialects())
    return log, one, len(_located(log).offsets)


def _located(log: Path) -> Located:
    """The candidate lines grep finds in the whole file, as one scan would use them."""
    dialects = _dialects()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOGANALYZER_GREP", "always")  # a small file: grep only when told to
        located = grep_candidates(
            str(log), [d.prefilter.pattern for d in dialects] + [LIFECYCLE_PREFILTER.pattern],
            [d for d in dialects if hasattr(d, "drops")])
    assert located is not None
    return located


@settings(max_examples=60, deadline=None, phases=[Phase.explicit, Phase.generate, Phase.shrink])
@given(cuts=st.lists(st.floats(0, 1), max_size=5), shares=st.lists(st.floats(0, 1), max_size=5))
def test_any_cuts_give_the_one_scan(small: tuple[Path, ScanResult, int], cuts: list[float],
                                    shares: list[float]) -> None:
    """Byte ranges cut anywhere and parts begun at any candidate lines: the same records."""
    log, one, n = small
    size = log.stat().st_size
    with open(log, "rb") as stream:
        got = split.split_scan(stream, str(log), _dialects(), str(log), 4,
                               cuts=[int(c * size) for c in cuts],
                               shares=[int(s * n) for s in shares],
                               executor=split.InlineExecutor())
    if got is None:  # no cut left inside the file: nothing to split
        assert len(split._ranges(str(log), size, 4, [int(c * size) for c in cuts])) < 2
        return
    assert _key(got) == _key(one)
    event(got.split.split(";")[-1].split(":")[0].strip())  # joined, or why not
    if "parts" in got.split:  # the records read into events where they were cut
        with open(log, "rb") as stream:
            parted = split.split_scan(stream, str(log), _dialects(), str(log), 4,
                                      cuts=[int(c * size) for c in cuts],
                                      shares=[int(s * n) for s in shares],
                                      executor=split.InlineExecutor(),
                                      interpret=interpret_records)
        assert parted is not None and parted.done == interpret_records(one.records)
        assert parted.records[-1] == one.records[-1]
        assert [r for r, d in zip(parted.records, parted.done) if d is None] == [
            r for r, d in zip(one.records, parted.done) if d is None]


def test_ranges_hold_every_line_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ranges' candidates and line counts add up to grep's on the whole file.

    The file's last line has no newline; the cuts fall inside lines, and on a line start.
    """
    monkeypatch.setenv("LOGANALYZER_GREP", "always")
    text = b"".join(p.read_bytes() for p in SAMPLES[:6]).rstrip(b"\n")
    log = tmp_path / "wrapper.log"
    log.write_bytes(text)
    dialects = _dialects()
    patterns = [d.prefilter.pattern for d in dialects] + [LIFECYCLE_PREFILTER.pattern]
    droppers = [d for d in dialects if hasattr(d, "drops")]
    whole = grep_candidates(str(log), patterns, droppers)
    assert whole is not None
    line_start = text.index(b"\n", len(text) // 2) + 1
    ranges = split._ranges(str(log), len(text), 4, [len(text) // 5, line_start, len(text) - 3])
    assert [a for a, _ in ranges][1:] == [b for _, b in ranges][:-1]
    assert ranges[0][0] == 0 and ranges[-1][1] == len(text)
    assert all(text[a - 1 : a] == b"\n" for a, _ in ranges[1:])
    assert line_start in [a for a, _ in ranges]
    offsets, numbers, kinds, gaps, lines = array("q"), array("q"), array("b"), array("q", [0]), 0
    for start, end in ranges:
        found = split.find_range(str(log), start, end, patterns, droppers)
        assert found is not None
        assert found.lines == text.count(b"\n", start, end) + (end == len(text))
        assert len(found.gaps) == len(found.offsets) + 1
        offsets += found.offsets
        numbers += array("q", [lines + n for n in found.numbers])
        kinds += found.kinds
        gaps[-1] += found.gaps[0]  # a range's last gap and the next one's first are one
        gaps += found.gaps[1:]
        lines += found.lines
    # a range cannot see the line after its last, so the with-body drops settle on the whole
    settled, numbers, kinds, gaps = settle(offsets, numbers, kinds, gaps)
    assert len(settled) < len(offsets)  # some hex dumps were moved over
    assert (whole.offsets, whole.numbers) == (settled, numbers)
    assert list(whole.gaps) == list(gaps) and whole.lines == lines
    assert list(whole.kinds) == list(kinds)
    assert sum(gaps) > 100  # the noise headers of the captures
    monkeypatch.delattr(os, "splice")  # not Linux: the range is copied into grep's pipe
    start, end = ranges[1]
    copied = split.find_range(str(log), start, end, patterns, droppers)
    assert copied is not None and copied.lines == text.count(b"\n", start, end)
    assert list(copied.offsets) == [o for o in offsets if start <= o < end]


def test_grep_takes_the_lines_the_scanner_takes(tmp_path: Path) -> None:
    r"""The prefilter union, as grep runs it on each range, picks the lines re picks.

    On every line of the captures and field shapes; ``[^\n]`` once meant "not n" to grep.
    """
    log = _joined(tmp_path / "all.log", SAMPLES + FIELD)
    patterns = [d.prefilter.pattern for d in _dialects()] + [LIFECYCLE_PREFILTER.pattern]
    found = split.find_range(str(log), 0, log.stat().st_size, patterns)
    assert found is not None
    union = compile_union(patterns)
    lines = log.read_bytes().split(b"\n")
    assert list(found.numbers) == [i for i, line in enumerate(lines, 1) if union.search(line)]
    assert "\\n" not in _ere(patterns)


def test_a_failing_worker_leaves_the_file_to_one_scan(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that raises, or dies, costs time, not a result and never a traceback."""
    log = _joined(tmp_path / "wrapper.log", SAMPLES[:20])
    one = _report(log, jobs=1)
    how = _how(monkeypatch)
    monkeypatch.setattr(split, "PARALLEL_MIN_CANDIDATES", 0)

    monkeypatch.setattr(split, "scan_part", _raises)
    assert _report(log, jobs=2, split_bytes=1) == one
    assert "a worker failed (RuntimeError: a bug in a worker)" in how[-1]

    monkeypatch.setattr(split, "scan_part", _dies)
    assert _report(log, jobs=2, split_bytes=1) == one
    assert "a worker failed (BrokenProcessPool" in how[-1]
    monkeypatch.setattr(split, "find_range", _dies)  # the first round: the file is not split
    assert _report(log, jobs=2, split_bytes=1) == one
    assert how[-1] == ""


def _raises(*args: object) -> None:  # module-level: a pool pickles it by name
    raise RuntimeError("a bug in a worker")


def _dies(*args: object) -> None:
    os._exit(9)


def test_a_bug_in_splitting_is_an_internal_problem(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    log = _joined(tmp_path / "wrapper.log", SAMPLES[:4])
    one = read([str(log)], jobs=1)

    def broken(*args, **kw):
        raise ValueError("a bug in splitting")

    monkeypatch.setattr(split, "_ranges", broken)
    reading = read([str(log)], jobs=2, split_bytes=1)
    internal = [p for p in reading.problems if p.kind == "internal"]
    assert len(internal) == 1 and internal[0].where.path == str(log)
    assert "splitting the file" in internal[0].message
    assert [f.handshakes for f in reading.files] == [f.handshakes for f in one.files]


def test_parts_that_do_not_join_are_refused(small: tuple[Path, ScanResult, int]) -> None:
    """The merge says why parts do not join, and the file is read in one scan instead."""
    log, one, n = small
    with open(log, "rb") as stream:
        good = split.split_scan(stream, str(log), _dialects(), str(log), 2, shares=[n // 2],
                                executor=split.InlineExecutor())
    assert good is not None and good.split.endswith("2 parts")
    parts = _parts(log, n // 2)
    assert isinstance(split.merge(str(log), parts), ScanResult)
    first, second = parts
    learned = ScanResult(first.path, first.records, first.seen, first.problems, first.layout,
                         first.lines, first.bytes, stopped=first.stopped,
                         foreign=(*first.foreign, r"\[x\] "))
    assert "foreign prefix" in str(split.merge(str(log), [learned, second]))
    assert first.stopped is not None
    late = ScanResult(first.path, stopped=(first.stopped[0] + 1, *first.stopped[1:]))
    assert "did not take line" in str(split.merge(str(log), [late, second]))
    mixed = ScanResult(second.path, second.records, second.seen, second.problems,
                       marks=second.marks, foreign=second.foreign, mixed=10**9)
    assert "inside a record's body" in str(split.merge(str(log), [first, mixed]))


def _parts(log: Path, share: int) -> list[ScanResult]:
    """The two part scans split_scan merges, run here."""
    dialects = _dialects()
    located = _located(log)
    offsets, numbers = located.offsets, located.numbers
    results = []
    for k, (first, upto) in enumerate([(0, len(offsets)), (share, len(offsets))]):
        part = (Part(0, 1, stop=offsets[share]) if k == 0 else
                Part(offsets[first], numbers[first], JVM_BASE, marks=True))
        results.append(split.scan_part(str(log), str(log), dialects,
                                       located.share(first, upto), part))
    return results


def test_jobs_come_from_the_argument_the_environment_or_the_cores(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGANALYZER_JOBS", "3")
    assert split.usable_jobs(None) == 3 and split.usable_jobs(1) == 1
    monkeypatch.setenv("LOGANALYZER_JOBS", "lots")
    assert split.usable_jobs(None) >= 1
    monkeypatch.delenv("LOGANALYZER_JOBS")
    assert split.usable_jobs(None) == len(os.sched_getaffinity(0))


def test_analyze_jobs_option_reaches_the_split(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """``analyze --jobs N`` through the real entry point: N parts, the one-process report."""
    from cli_helpers import run_cli

    log = _joined(tmp_path / "wrapper.log", SAMPLES)
    how = _how(monkeypatch)
    monkeypatch.setattr(split, "SPLIT_MIN_BYTES", 1 << 20)  # the samples joined are ~5 MB
    monkeypatch.setattr(split, "PARALLEL_MIN_CANDIDATES", 0)
    monkeypatch.delenv("LOGANALYZER_JOBS", raising=False)
    outs = []
    for jobs in ("1", "2"):
        code, out, err = run_cli(capsys, monkeypatch, "analyze", "-q", "-f", "json", "--jobs",
                                 jobs, str(log))
        assert code == 1, err
        outs.append(out)
    assert outs[0] == outs[1]
    assert how == ["2 ranges, 2 parts"]  # --jobs 1 never splits
    code, _, err = run_cli(capsys, monkeypatch, "analyze", "--jobs", "0", str(log))
    assert code == 2 and "--jobs" in err
