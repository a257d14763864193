"""The shortcuts that make a dense ``javax.net.debug=all`` log cheap to read.

Each one must give what the plain way gives: the with-body drops moved over (``settle``), and the
header verdict that looks the handled prefixes up by their first bytes (``drops``).
"""

from __future__ import annotations

import re
from array import array
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from loganalyzer.ingest.scanner import CUT, WITH_BODY, settle
from loganalyzer.jsse import unified
from loganalyzer.jsse.unified import UnifiedDialect

ROOT = Path(__file__).resolve().parent.parent
DENSE = ROOT / "sample_logs" / "jdk17-tls12-success-lptm" / "wrapper.log"


def _plain_drops(raw: bytes) -> str:
    """The verdict as it was first written: every handled prefix tried in turn."""
    at = raw.find(b"javax.net.ssl|")
    m = unified._RAW_HEADER.match(raw, at) if at >= 0 else None
    if m is None:
        return ""
    msg = m.group(1).rstrip(b"\r")
    if msg.startswith(unified._HANDLED_RAW) or unified._KEY_NOT_OF_RAW in msg:
        return ""
    return "with-body" if msg.endswith(b" (") else "alone"


def _arrays(*rows: tuple[int, int]) -> tuple[array[int], array[int], array[int]]:
    return (array("q", [o for o, _ in rows]), array("q", [10 * o for o, _ in rows]),
            array("b", [k for _, k in rows]))


def test_a_with_body_drop_followed_by_a_line_that_cuts_is_moved_over() -> None:
    offsets, numbers, kinds = _arrays((100, WITH_BODY), (200, CUT), (300, 0))
    got = settle(offsets, numbers, kinds, array("q", [50]))
    assert [list(x) for x in got] == [[200, 300], [2000, 3000], [50, 100]]


def test_a_with_body_drop_followed_by_a_dropped_header_is_moved_over() -> None:
    offsets, numbers, kinds = _arrays((100, WITH_BODY), (300, 0))
    got = settle(offsets, numbers, kinds, array("q", [150, 400]))
    assert [list(x) for x in got] == [[300], [3000], [100, 150, 400]]


def test_a_with_body_drop_whose_body_may_hold_the_next_candidate_stays() -> None:
    """The next candidate does not cut: only reading the body tells whether it lies inside."""
    offsets, numbers, kinds = _arrays((100, WITH_BODY), (200, 0), (300, WITH_BODY), (400, CUT))
    got = settle(offsets, numbers, kinds, array("q", [500]))
    assert [list(x) for x in got] == [[100, 200, 400], [1000, 2000, 4000], [300, 500]]


def test_the_last_with_body_drop_is_moved_over_and_a_chain_of_them_too() -> None:
    offsets, numbers, kinds = _arrays((100, WITH_BODY), (200, WITH_BODY), (300, WITH_BODY))
    got = settle(offsets, numbers, kinds, array("q"))
    assert [list(x) for x in got] == [[], [], [100, 200, 300]]


def test_nothing_to_move_leaves_the_arrays_alone() -> None:
    offsets, numbers, kinds = _arrays((100, CUT), (200, 0))
    dropped = array("q", [150])
    got = settle(offsets, numbers, kinds, dropped)
    assert got[0] is offsets and got[2] is dropped


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
    st.sampled_from([b"Ignore unsupported cipher suite: ", b"Raw read", b"WR", b"X", b""]),
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
