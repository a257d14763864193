"""The scanner's bulk paths give exactly what reading line by line gives.

Kept record bodies are taken a run of lines at a time (``_Reader.take_lines``), their messages
made in one pass (``LineDecoder.messages``); on the grep path, header lines dropped alone are
counted from grep's output instead of being visited. Each is compared here with the line-by-line
reading on every sample log and field shape, and on lines made to stress the exact conditions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loganalyzer.analysis.reading import read
from loganalyzer.ingest import candidates, scanner
from loganalyzer.ingest.lines import LineDecoder, decode_text
from loganalyzer.reporters.document import parse_document

ROOT = Path(__file__).resolve().parent.parent
INPUTS = sorted(p for p in (ROOT / "sample_logs").iterdir() if p.is_dir()) + sorted(
    (ROOT / "tests" / "field").glob("*.log"))


def _doc(path: Path) -> str:
    return json.dumps(parse_document(read([str(path)])), sort_keys=True, default=str)


def _line_by_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanner._Reader, "take_lines", lambda self, pattern: b"")


@pytest.mark.parametrize("path", INPUTS, ids=[p.name for p in INPUTS])
def test_bulk_bodies_equal_line_by_line(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGANALYZER_GREP", "never")
    bulk = _doc(path)
    _line_by_line(monkeypatch)
    assert _doc(path) == bulk


def _split_each(decoder: LineDecoder, block: bytes) -> list[str]:
    return [decoder.split(decode_text(raw))[1] for raw in block.split(b"\n")[:-1]]


@pytest.mark.parametrize("layout", ["LPTM", "PTM", "TM", "LPZTM", "LPDTM", "LPUTM", "PM", "M",
                                    "plain", "syslog"])
def test_messages_equal_split(layout: str) -> None:
    lines = [
        b"INFO   | jvm 1    | 2026/11/26 14:17:53 |   0000: 16 03 03 0B AA 0B 00 0B",
        b"jvm 1    | 2026/11/26 14:17:53 | \"certificate\" : {",
        b"2026/11/26 14:17:53 |     \"subject\" : \"CN=mid\",",
        b"INFO   | jvm 1    | 2026/11/26 14:17:53.120 | 2026/11/26 14:17:53 | x",
        b"INFO   | jvm 1    | main | 2026/11/26 14:17:53 | thread column",
        b"INFO   | jvm 1    |   12 | 2026/11/26 14:17:53 | uptime column",
        b"no prefix at all",
        b"",
        b"INFO   | jvm 1    | 2026/11/26 14:17:53 | trailing cr\r",
        b"INFO   | jvm 1    | 2026/11/26 14:17:53 | Z\xc3\xbcrich and Z\xfcrich",
        b"INFO   | jvm 1    | 2026/11/26 14:17:53 | \x1b[32mcolour\x1b[0m",
        b"INFO   | jvm 1    | 2026/11/26 14:17:53 | nul\0byte",
        b"INFO   | jvm 1    | ",
        b"May 18 15:13:36 host wrapper[11375]: INFO   | jvm 1    | 2026/11/26 14:17:53 | s",
    ]
    for start in range(len(lines)):
        for size in (1, 2, 3, len(lines)):
            block = b"".join(x + b"\n" for x in lines[start:start + size])
            decoder = LineDecoder(layout)
            assert decoder.messages(block) == _split_each(LineDecoder(layout), block)
    # Typed: the corner of a run that crosses a second, or whose first line has an empty
    # message, next to lines of one second (whose prefix goes in one replace). The real
    # runs of every capture are checked below and by test_bulk_bodies_equal_line_by_line.
    same = [
        b"INFO   | jvm 1    | 2026/11/26 14:17:53 |     \"version\" : \"v3\",",
        b"INFO   | jvm 1    | 2026/11/26 14:17:53 | ",
        b"INFO   | jvm 1    | 2026/11/26 14:17:53 | INFO   | jvm 1    | 2026/11/26 14:17:53 | x",
        b"INFO   | jvm 1    | 2026/11/26 14:17:53 |",
        b"INFO   | jvm 1    | 2026/11/26 14:17:54 | next second",
        b"INFO   | jvm 1    | 2026/11/26 14:17:53 |  two spaces",
    ]
    for start in range(len(same)):
        for size in range(1, len(same) - start + 1):
            block = b"".join(x + b"\n" for x in same[start:start + size])
            assert LineDecoder(layout).messages(block) == _split_each(LineDecoder(layout), block)


def test_messages_with_a_foreign_prefix_learned() -> None:
    decoder = LineDecoder("TM")
    decoder.learn("16:03:34,690 ERROR [stderr] (default task-1) javax.net.ssl|DEBUG|")
    block = (b"2026/11/26 14:17:53 | 16:03:34,691 ERROR [stderr] (default task-1)   body\n"
             b"2026/11/26 14:17:53 |   plain body\n")
    assert decoder.messages(block) == _split_each(decoder, block)
    assert decoder.messages(block)[0] == "  body"


def test_vertical_tab_and_form_feed_lines_are_read_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bytes.rstrip (the dialect's hint) takes them for whitespace, the end pattern does not."""
    sample = (ROOT / "sample_logs" / "jdk17-tls12-success-lptm" / "wrapper.log").read_bytes()
    lines = sample.split(b"\n")
    closers = [i for i, x in enumerate(lines) if x.rstrip().endswith(b"| )")]
    for i in closers[:3]:
        lines[i] = lines[i] + b"\x0b"
        lines[i - 1] = lines[i - 1] + b"(0x1301)\x0c"
    (tmp_path / "wrapper.log").write_bytes(b"\n".join(lines))
    monkeypatch.setenv("LOGANALYZER_GREP", "never")
    bulk = _doc(tmp_path)
    _line_by_line(monkeypatch)
    assert _doc(tmp_path) == bulk


def test_dropped_lines_are_counted_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Header lines dropped alone count as records read, on the grep path as in process."""
    sample = (ROOT / "sample_logs" / "jdk17-tls12-success-lptm" / "wrapper.log").read_bytes()
    (tmp_path / "wrapper.log").write_bytes(sample * 3)
    monkeypatch.setenv("LOGANALYZER_GREP", "never")
    in_process = json.loads(_doc(tmp_path))
    monkeypatch.setenv("LOGANALYZER_GREP", "always")
    located = json.loads(_doc(tmp_path))
    assert located == in_process
    files = in_process["files"] if "files" in in_process else []
    assert all(f.get("records", 1) > 0 for f in files)


def test_dropped_lines_are_passed_once_each() -> None:
    from array import array

    located = candidates.Located(array("q", [100, 200, 300]), array("q", [1, 2, 3]),
                              gaps=array("q", [1, 2, 0, 4]), lines=3, size=400)
    assert located.next_from(0) == 0 and located.passed(0) == 1
    assert located.next_from(150) == 1 and located.passed(1) == 2
    assert located.passed(1) == 0  # counted already
    assert located.next_from(301) == 3 and located.passed(3) == 4  # candidate 2's gap is 0
    assert located.is_candidate(200) and not located.is_candidate(201)
    share = located.share(1, 3)
    assert list(share.offsets) == [200, 300] and list(share.gaps) == [0, 0, 4]
    assert list(located.share(0, 2).gaps) == [1, 2, 0]
    alone = candidates.Located(array("q", [5]), array("q", [1]), lines=1, size=9)
    assert list(alone.gaps) == [0, 0] and list(alone.kinds) == [candidates.UNJUDGED]


@pytest.mark.parametrize("path", INPUTS[:12], ids=[p.name for p in INPUTS[:12]])
def test_messages_equal_split_on_every_run_of_a_capture(path: Path) -> None:
    """Every 1 to 40 consecutive lines of real captures: runs within a second, across one, and
    with lines of other prefixes among them."""
    files = sorted(path.glob("wrapper*.log")) if path.is_dir() else [path]
    for log in files:
        raw = log.read_bytes()
        lines = raw.split(b"\n")[:-1]
        decoder = LineDecoder()
        decoder.detect([decode_text(x) for x in lines[:200]])
        for size in (1, 7, 40):
            for start in range(0, len(lines), size * 3):
                block = b"".join(x + b"\n" for x in lines[start:start + size])
                assert decoder.messages(block) == _split_each(decoder, block)
