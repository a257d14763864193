"""The shortcuts that make a dense ``javax.net.debug=all`` log cheap to read.

Each one must give what the plain way gives: the with-body drops moved over (``settle``), and the
header verdict that looks the handled prefixes up by their first bytes (``drops``).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from array import array
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loganalyzer.errors import Location
from loganalyzer.ingest import candidates, scanner
from loganalyzer.ingest.lines import LIFECYCLE_PREFILTER
from loganalyzer.ingest.records import MAX_LINE, Record, Thread
from loganalyzer.ingest.candidates import (
    CUT,
    WITH_BODY,
    cut_down,
    grep_env,
    has_pcre,
    settle,
)
from loganalyzer.jsse import unified
from loganalyzer.jsse.legacy import LegacyDialect
from loganalyzer.jsse.stacktraces import AppExceptionDialect
from loganalyzer.jsse.unified import UnifiedDialect
from loganalyzer.mid.midlog import MidLineDialect

ROOT = Path(__file__).resolve().parent.parent
DENSE = ROOT / "sample_logs" / "jdk17-tls12-success-lptm" / "wrapper.log"


def _plain_drops(raw: bytes) -> str:
    """The verdict as it was first written: every handled prefix tried in turn."""
    at = raw.find(b"javax.net.ssl|")
    m = unified._RAW_HEADER.match(raw, at) if at >= 0 else None
    if m is None:
        return ""
    msg = m.group(1).rstrip(b"\r")
    handled = msg.startswith(unified._HANDLED_RAW)
    if msg.startswith(b"WRITE: "):  # a record-layer write is read when it writes an alert
        handled = re.match(rb"WRITE: \S+ alert\([a-z_]+\)", msg) is not None
    if handled or unified._KEY_NOT_OF_RAW in msg:
        return ""
    return "with-body" if msg.endswith(b" (") else "alone"


def _arrays(*rows: tuple[int, int]) -> tuple[array[int], array[int], array[int]]:
    return (array("q", [o for o, _ in rows]), array("q", [10 * o for o, _ in rows]),
            array("b", [k for _, k in rows]))


def _settled(rows: list[tuple[int, int]], gaps: list[int]) -> list[list[int]]:
    offsets, numbers, kinds, settled = settle(*_arrays(*rows), array("q", gaps))
    assert list(kinds) == [k for o, k in rows if o in offsets]
    return [list(offsets), list(numbers), list(settled)]


def test_a_with_body_drop_followed_by_a_line_that_cuts_is_moved_over() -> None:
    rows = [(100, WITH_BODY), (200, CUT), (300, 0)]
    assert _settled(rows, [1, 0, 0, 0]) == [[200, 300], [2000, 3000], [2, 0, 0]]


def test_a_with_body_drop_followed_by_a_dropped_header_is_moved_over() -> None:
    assert _settled([(100, WITH_BODY), (300, 0)], [0, 1, 1]) == [[300], [3000], [2, 1]]


def test_a_with_body_drop_whose_body_may_hold_the_next_candidate_stays() -> None:
    """The next candidate does not cut: only reading the body tells whether it lies inside."""
    rows = [(100, WITH_BODY), (200, 0), (300, WITH_BODY), (400, CUT)]
    assert _settled(rows, [0, 0, 0, 0, 1]) == [[100, 200, 400], [1000, 2000, 4000], [0, 0, 1, 1]]


def test_the_last_with_body_drop_is_moved_over_and_a_chain_of_them_too() -> None:
    rows = [(100, WITH_BODY), (200, WITH_BODY), (300, WITH_BODY)]
    assert _settled(rows, [2, 0, 0, 5]) == [[], [], [10]]


def test_nothing_to_move_leaves_the_arrays_alone() -> None:
    offsets, numbers, kinds = _arrays((100, CUT), (200, 0))
    gaps = array("q", [0, 1, 0])
    got = settle(offsets, numbers, kinds, gaps)
    assert got[0] is offsets and got[2] is kinds and got[3] is gaps


def _real_headers() -> list[bytes]:
    raw = DENSE.read_bytes()
    return [line for line in raw.split(b"\n") if b"javax.net.ssl|" in line]


def test_drops_gives_the_plain_verdict_on_every_header_of_a_dense_capture() -> None:
    headers = _real_headers()
    verdicts = [UnifiedDialect().drops(h) for h in headers]
    assert verdicts == [_plain_drops(h) for h in headers]
    assert {"", "alone", "with-body"} <= set(verdicts)


_HEADS = [re.sub(rb"\|[^|]*$", b"|", h) for h in _real_headers()[:40]]
_MESSAGES = st.one_of(
    st.sampled_from(unified._HANDLED_RAW),
    st.sampled_from([b"Ignore unsupported cipher suite: ", b"Raw read", b"WR", b"X", b"",
                     b"WRITE: TLSv1.2 alert(close_notify), length = 2", b"WRITE: TLSv1.3 alert(",
                     b"WRITE: TLSv1.2 handshake, length = 37", b"WRITE: \xa0 alert(x)"]),
    st.binary(max_size=12),
)


@given(head=st.sampled_from(_HEADS), start=_MESSAGES, rest=st.binary(max_size=30),
       key=st.booleans(), end=st.sampled_from([b"", b" (", b" (\r", b"(", b" ( ", b"\r"]))
def test_drops_gives_the_plain_verdict_on_any_message(head: bytes, start: bytes, rest: bytes,
                                                      key: bool, end: bytes) -> None:
    """Real header fields with messages built from the handled prefixes, cut short or not.

    A raw line never holds a newline: the reader and grep cut lines at them.
    """
    middle = unified._KEY_NOT_OF_RAW if key else b""
    for msg in (start + rest + middle + end, start[:3] + end, rest + end):
        raw = head + msg.replace(b"\n", b"")
        assert UnifiedDialect().drops(raw) == _plain_drops(raw)


# ------------------------------------------------------------------ the second grep (PCRE)

GREP = shutil.which("grep")
needs_pcre = pytest.mark.skipif(GREP is None or not has_pcre(GREP), reason="grep without -P")


def _cut_by_grep(raws: list[bytes]) -> list[str]:
    """What the second grep makes of ``raws`` as grep's first stage prints them: ``alone``
    (left out), ``with-body`` (cut down to ``lineno:offset:``) or ``""`` (kept whole)."""
    assert GREP is not None
    text = b"".join(b"%d:%d:%s\n" % (i + 1, 1000 * i, raw) for i, raw in enumerate(raws))
    pattern = cut_down(*UnifiedDialect().drops_pcre).decode()
    out = subprocess.run([GREP, "-a", "-n", "-o", "-P", "-e", pattern], input=text,
                         capture_output=True, env=grep_env()).stdout
    got = ["alone"] * len(raws)
    for line in out.split(b"\n")[:-1]:
        index, lineno, offset, raw = line.split(b":", 3)
        i = int(index) - 1
        assert (int(lineno), int(offset)) == (i + 1, 1000 * i)
        got[i] = "" if raw else "with-body"
    return got


def _sample_lines() -> list[bytes]:
    files = [*ROOT.glob("sample_logs/*/wrapper*.log"), *ROOT.glob("tests/field/*.log")]
    return [line for f in sorted(files) for line in f.read_bytes().split(b"\n")
            if b"javax.net.ssl|" in line]


@needs_pcre
def test_the_second_grep_cuts_down_what_drops_drops_on_every_real_header() -> None:
    raws = _sample_lines()
    cut = _cut_by_grep(raws)
    assert cut == [UnifiedDialect().drops(r) for r in raws]
    assert {"", "alone", "with-body"} <= set(cut)


@needs_pcre
@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_HEADS), _MESSAGES, st.binary(max_size=30),
                          st.booleans(), st.sampled_from([b"", b" (", b" (\r", b"(", b"\r\r"])),
                min_size=1, max_size=60))
def test_the_second_grep_cuts_down_what_drops_drops_on_any_message(
        rows: list[tuple[bytes, bytes, bytes, bool, bytes]]) -> None:
    raws = []
    for head, start, rest, key, end in rows:
        middle = unified._KEY_NOT_OF_RAW if key else b""
        msg = (start + rest + middle + end).replace(b"\n", b"")
        raws += [head + msg, head.replace(b"javax", b"x javax.net.ssl|javax", 1) + msg]
    assert _cut_by_grep(raws) == [UnifiedDialect().drops(r) for r in raws]


@needs_pcre
def test_a_line_longer_than_the_reader_takes_is_never_cut_down() -> None:
    head = _HEADS[0]
    long = b"x" * MAX_LINE
    assert _cut_by_grep([head + b"Ignore unsupported cipher suite: " + long,
                         head + b"Raw read " + long + b" ("]) == ["", ""]


@needs_pcre
def test_the_second_grep_changes_nothing_the_scan_is_given(tmp_path: Path) -> None:
    """The same candidates and dropped lines with the second grep and without it."""
    log = tmp_path / "wrapper.log"
    log.write_bytes(b"".join(f.read_bytes() for f in sorted(ROOT.glob("sample_logs/*/wrapper.log"))))
    dialects = [UnifiedDialect(), LegacyDialect(), MidLineDialect(), AppExceptionDialect()]
    patterns = [d.prefilter.pattern for d in dialects] + [LIFECYCLE_PREFILTER.pattern]
    droppers = [d for d in dialects if hasattr(d, "drops")]
    got = []
    for pcre in (True, False):
        candidates._PCRE[GREP] = pcre
        try:
            found = candidates.find_range(str(log), 0, log.stat().st_size, patterns, droppers)
        finally:
            candidates._PCRE.pop(GREP, None)
        assert found is not None
        got.append((list(found.offsets), list(found.numbers), list(found.kinds),
                    list(found.gaps), found.lines))
    assert got[0] == got[1]
    assert sum(got[0][3]) > 1000  # the alone-dropped lines of the captures


@pytest.mark.skipif(scanner._re2 is None, reason="google-re2 not installed")
@given(st.lists(st.sampled_from([b"abc", b")", b" ) \r", b"javax.net.ssl|", b"\n", b"x\x0b",
                                 b"\xff", b""]), max_size=30), st.integers(0, 40))
def test_the_direct_re2_search_starts_where_re_does(parts: list[bytes], pos: int) -> None:
    """The scanner's RE2 searches (run without google-re2's layer) find the leftmost match."""
    buf = b"".join(parts)
    end = UnifiedDialect.end_pattern
    for plain, fast in ((end, scanner._fast(end)), (scanner._run_stop(end).pattern, None)):
        if fast is None:
            fast = scanner._run_stop(end)
            plain = re.compile(plain, end.flags)
        assert isinstance(fast, scanner._Re2Search)
        want, got = plain.search(buf, pos), fast.search(buf, pos)
        assert (want and want.start()) == (got and got.start())


def test_a_record_ended_by_hand_is_the_record_dataclasses_replace_makes() -> None:
    """``_ended`` names every field of Record; a field added there must be added to it too."""
    record = Record("unified", Location("x.log", 3), 3, Thread(2, "main", "1f"), None, "DEBUG",
                    "SSLSocketImpl.java:1", "Received alert message", ("a",), False, True)
    ended = scanner._ended(record, ("b", "c"), 9, True)
    assert ended == dataclasses.replace(record, body=("b", "c"), end_line=9, truncated=True)
    assert [f.name for f in dataclasses.fields(Record)] == [
        "dialect", "where", "end_line", "thread", "time", "level", "caller", "message", "body",
        "truncated", "has_body"]


def test_every_handled_prefix_is_looked_up_by_its_first_two_characters() -> None:
    """The dispatch tables keep every handler, in the table's order within each start."""
    assert all(len(prefix) >= 2 and prefix.isascii() for prefix, _ in unified._HANDLERS)
    for prefix, handler in unified._HANDLERS:
        same = [p for p, _ in unified._HANDLERS if p[:2] == prefix[:2]]
        assert [p for p, _ in unified._HANDLERS_BY_START[prefix[:2]]] == same
        assert prefix.encode() in unified._HANDLED_BY_START[prefix.encode()[:2]]


def _sliced_time(text: str) -> object:
    """A record's time as the slicing reads it (hour 24 is midnight), the reference."""
    s = text[:23]
    if len(s) != 23 or s[19] != "." or not s[20:23].isdecimal():
        return None
    second = unified._parse_second(s[:19])
    return second.replace(microsecond=int(s[20:23]) * 1000) if second else None


@given(st.lists(st.sampled_from("0123456789-: .T+٢"), min_size=19, max_size=19), st.text("0123456789a", min_size=3, max_size=3))
def test_a_record_time_is_what_the_slicing_reads(chars: list[str], millis: str) -> None:
    for head in ("".join(chars), "2026-11-26 " + "".join(chars)[11:]):
        text = head + "." + millis + " EST"
        assert unified.parse_time(text) == _sliced_time(text)
    assert unified.parse_time("2026-11-26 24:00:00.001") == _sliced_time("2026-11-26 24:00:00.001")


def test_every_legacy_header_of_the_logs_holds_one_of_the_prefilter_texts() -> None:
    """The legacy dialect skips its sixteen header patterns on lines without a prefilter text."""
    from loganalyzer.ingest.lines import LineDecoder
    from loganalyzer.jsse import legacy

    files = [*ROOT.glob("sample_logs/*/wrapper*.log"), *ROOT.glob("tests/field/*"),
             *ROOT.glob("tests/fixtures/**/*.log"), *ROOT.glob("tests/fixtures/**/*.txt")]
    headers = 0
    for path in files:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        decoder = LineDecoder()
        decoder.detect(lines[:200])
        for line in lines:
            for message in {line, line.lstrip(), decoder.split(line)[1]}:
                if any(p.match(message) for _, p in legacy._HEADERS):
                    headers += 1
                    assert legacy._ANY_HEADER.search(message), message
    assert headers >= 50  # the legacy excerpts and fixtures


# ------------------------------------------------- damaged real logs: grep reads what the scan reads


def _scanned(path: Path, pcre: bool | None) -> tuple:
    """Records, records seen and lines of ``path``: in process (``pcre`` None) or through grep."""
    from loganalyzer.ingest.scanner import scan

    dialects = [UnifiedDialect(), LegacyDialect(), MidLineDialect(), AppExceptionDialect()]
    if pcre is not None:
        candidates._PCRE[GREP] = pcre
    try:
        with open(path, "rb") as stream:
            result = scan(stream, str(path), dialects,
                          file_path=None if pcre is None else str(path))
    finally:
        candidates._PCRE.pop(GREP, None)
    return result.records, result.seen, result.lines, [str(p) for p in result.problems]


def _damaged_reads_agree(examples: int, target: Path) -> None:
    from test_damaged_logs import SAMPLES, damage, mutate

    @settings(max_examples=examples, derandomize=True, deadline=None, database=None)
    @given(st.lists(damage(paths=SAMPLES), min_size=1, max_size=4))
    def check(mutations: list) -> None:
        path = mutations[0][0]
        lines = tuple(path.read_bytes().splitlines(keepends=True))
        for _, kind, i, k, junk in mutations:  # each at its place in the lines as they are
            lines = tuple(mutate(lines, kind, min(i, len(lines) - 1), k, junk)[0])
        target.write_bytes(b"".join(lines))
        in_process = _scanned(target, None)
        assert _scanned(target, True) == in_process
        assert _scanned(target, False) == in_process

    check()


@needs_pcre
@pytest.mark.parametrize("examples", [pytest.param(30, id="short"),
                                      pytest.param(400, id="long", marks=pytest.mark.fuzz)])
def test_a_damaged_log_reads_the_same_through_grep_as_in_process(
        examples: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Lines dropped, doubled, swapped, cut or garbled: cut bodies, headers inside bodies, hex
    dumps without their close. The dropped lines grep counts and the ones the scan reads itself
    add up to what the scan counts in process, with the second grep and without it."""
    monkeypatch.setenv("LOGANALYZER_GREP", "always")
    _damaged_reads_agree(examples, tmp_path / "wrapper.log")


@needs_pcre
def test_a_second_grep_that_fails_leaves_the_file_to_the_scan_in_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """grep -P refusing its pattern (or dying on a line) is no error of the input: the file is
    read in process, with the same records."""
    log = tmp_path / "wrapper.log"
    log.write_bytes(DENSE.read_bytes())
    monkeypatch.setenv("LOGANALYZER_GREP", "always")
    in_process = _scanned(log, None)
    dialects = [UnifiedDialect(), LegacyDialect(), MidLineDialect(), AppExceptionDialect()]
    patterns = [d.prefilter.pattern for d in dialects] + [LIFECYCLE_PREFILTER.pattern]
    monkeypatch.setattr(candidates, "cut_down", lambda alone, with_body: b"(unclosed")
    assert candidates.grep_candidates(str(log), patterns, dialects[:1]) is None
    assert _scanned(log, True) == in_process
