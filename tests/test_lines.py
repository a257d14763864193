"""Wrapper line prefixes: layout detection per file and splitting, on the shapes seen in real files.

The example lines are those of ``shared/reference/wrapper-log-layouts.md`` (observed with wrapper
3.5.51 and in public posts); the sample-log test runs on the captured ``sample_logs/``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from loganalyzer.ingest.lines import (
    LIFECYCLE_PREFILTER,
    JvmCounter,
    LineDecoder,
    Prefix,
    lifecycle,
)
from loganalyzer.ingest.sources import decode_line

JSSE = (
    "javax.net.ssl|DEBUG|C0|ECCSender.1|2026-11-26 13:40:05.679 EST|ClientHello.java:639|"
    "Produced ClientHello handshake message ("
)

# layout -> (line, level, source, jvm, time, message)
CASES = {
    "LPTM": ("INFO   | jvm 1    | 2026/11/26 18:37:33 | message",
             "INFO", "jvm", 1, datetime(2026, 11, 26, 18, 37, 33), "message"),
    "PTM": ("jvm 1    | 2026/11/26 18:37:45 | message",
            None, "jvm", 1, datetime(2026, 11, 26, 18, 37, 45), "message"),
    "TM": ("2021/08/23 06:52:41 | message",
           None, None, None, datetime(2021, 8, 23, 6, 52, 41), "message"),
    "LPZTM": ("INFO   | jvm 1    | 2026/11/26 18:38:12.689 | 2026/11/26 18:38:12 | message",
              "INFO", "jvm", 1, datetime(2026, 11, 26, 18, 38, 12, 689000), "message"),
    "LPZM": ("INFO   | jvm 1    | 2026/11/26 18:38:11.026 | message",
             "INFO", "jvm", 1, datetime(2026, 11, 26, 18, 38, 11, 26000), "message"),
    "LPDZM": ("INFO   | jvm 1    | main    | 2016/04/26 09:12:00.727 | message",
              "INFO", "jvm", 1, datetime(2016, 4, 26, 9, 12, 0, 727000), "message"),
    "PM": ("jvm 1    | message", None, "jvm", 1, None, "message"),
}


@pytest.mark.parametrize("layout", sorted(CASES))
def test_detects_and_splits_each_layout(layout: str) -> None:
    line, level, source, jvm, time, message = CASES[layout]
    decoder = LineDecoder()
    assert decoder.detect([line, line.replace("message", JSSE)]) == layout
    prefix, text = decoder.split(line)
    assert prefix == Prefix(level, source, jvm, time, layout)
    assert text == message
    # The JSSE header's own '|' stay in the message.
    assert decoder.split(line.replace("message", JSSE))[1] == JSSE


def test_wrapper_source_and_status_level() -> None:
    decoder = LineDecoder("LPTM")
    prefix, text = decoder.split("STATUS | wrapper  | 2026/11/26 18:37:33 | Launching a JVM...")
    assert (prefix.level, prefix.source, prefix.jvm) == ("STATUS", "wrapper", None)
    assert text == "Launching a JVM..."


@pytest.mark.parametrize("level", ["STATUS", "INFO", "WARN", "ERROR", "FATAL", "DEBUG"])
def test_every_level(level: str) -> None:
    prefix, _ = LineDecoder("LPTM").split(f"{level:<6} | jvm 7    | 2026/11/26 18:37:33 | x")
    assert prefix.level == level
    assert prefix.jvm == 7


def test_jvm_ver_source_has_no_instance_number() -> None:
    prefix, text = LineDecoder("LPTM").split("INFO   | jvm ver. | 2026/11/26 18:37:33 | 17.0.15")
    assert (prefix.source, prefix.jvm, text) == ("jvm", None, "17.0.15")


def test_message_keeps_leading_spaces_and_one_space_is_dropped() -> None:
    decoder = LineDecoder("LPTM")
    assert decoder.split('INFO   | jvm 1    | 2026/11/26 18:37:33 |   "certificate types": [')[1] \
        == '  "certificate types": ['
    assert decoder.split("INFO   | jvm 1    | 2026/11/26 18:37:33 | \tat x")[1] == "\tat x"


@pytest.mark.parametrize(
    "line",
    ["INFO   | jvm 1    | 2026/11/26 18:37:33 | ", "INFO   | jvm 1    | 2026/11/26 18:37:33 |"],
)
def test_empty_body_line_gives_empty_message(line: str) -> None:
    prefix, text = LineDecoder("LPTM").split(line)
    assert text == ""
    assert prefix.layout == "LPTM"
    assert prefix.time == datetime(2026, 11, 26, 18, 37, 33)


def test_layout_m_keeps_the_whole_line_even_when_it_looks_prefixed() -> None:
    lines = ["--> Wrapper Started as Console", "Launching a JVM...", JSSE, '"a": "b"', ")"]
    decoder = LineDecoder()
    assert decoder.detect(lines) == "M"
    nested = "INFO   | jvm 1    | 2026/11/26 18:37:33 | printed by the JVM itself"
    prefix, text = decoder.split(nested)
    assert text == nested
    assert prefix.level is None and prefix.layout == "M"
    assert decoder.split(JSSE) == (Prefix(None, None, None, None, "M"), JSSE)


def test_plain_jvm_output_without_wrapper() -> None:
    decoder = LineDecoder()
    assert decoder.detect([JSSE, '"ClientHello": {', "  }", ")"]) == "plain"
    assert decoder.split(JSSE)[1] == JSSE


def test_collapsed_spacing_is_the_same_layout() -> None:
    decoder = LineDecoder()
    assert decoder.detect(["INFO | jvm 1 | 2026/11/26 18:37:33 | x",
                           "STATUS | wrapper | 2026/11/26 18:37:33 | y"]) == "LPTM"
    prefix, text = decoder.split("INFO | jvm 1 | 2026/11/26 18:37:33 | x")
    assert (prefix.level, prefix.jvm, text) == ("INFO", 1, "x")


def test_ansi_colour_codes_are_removed() -> None:
    line = "\x1b[32mINFO   | jvm 1    | main    | 2016/04/26 09:12:00.727 | msg\x1b[0m"
    decoder = LineDecoder()
    assert decoder.detect([line]) == "LPDZM"
    prefix, text = decoder.split(line)
    assert (prefix.level, prefix.jvm, text) == ("INFO", 1, "msg")


def test_truncated_line_in_prefixed_file() -> None:
    decoder = LineDecoder("LPTM")
    prefix, text = decoder.split("INFO   | jvm 1")
    assert (prefix.level, prefix.source, prefix.jvm, prefix.time) == ("INFO", "jvm", 1, None)
    assert prefix.layout == "LP"
    assert text == ""


def test_truncated_lines_do_not_decide_the_layout() -> None:
    lines = ["INFO   | jvm 1"] * 5 + ["INFO   | jvm 1    | 2026/11/26 18:37:33 | x"]
    assert LineDecoder().detect(lines) == "LPTM"


def test_line_in_another_shape_falls_back_to_generic_forms() -> None:
    decoder = LineDecoder("TM")
    prefix, text = decoder.split("STATUS | wrapper  | 2026/11/26 18:37:33 | <-- Wrapper Stopped")
    assert (prefix.level, prefix.source, prefix.layout) == ("STATUS", "wrapper", "LPTM")
    assert text == "<-- Wrapper Stopped"
    prefix, text = decoder.split("no prefix at all | here")
    assert prefix == Prefix(None, None, None, None, "M")
    assert text == "no prefix at all | here"


def test_nested_wrapper_output_stays_in_message() -> None:
    line = "INFO   | jvm 1    | 2026/11/26 18:37:33 | wrapper  | inner message"
    decoder = LineDecoder()
    assert decoder.detect([line]) == "LPTM"
    assert decoder.split(line)[1] == "wrapper  | inner message"


def test_syslog_forwarded_lines() -> None:
    lines = [
        "May 18 15:13:36 host wrapper[11375]: --> Wrapper Started as Daemon",
        "May 18 15:13:37 host wrapper[11375]: Launching a JVM...",
        "May 18 15:13:38 host wrapper[11375]: jvm 1    | " + JSSE,
    ]
    decoder = LineDecoder()
    assert decoder.detect(lines) == "syslog"
    prefix, text = decoder.split(lines[0])
    assert text == "--> Wrapper Started as Daemon"
    assert prefix.layout == "syslog" and prefix.time is None  # BSD syslog has no year
    prefix, text = decoder.split(lines[2])
    assert (prefix.source, prefix.jvm, text) == ("jvm", 1, JSSE)
    prefix, _ = decoder.split("2026-05-18T15:13:36.120+02:00 host wrapper[1]: x")
    assert prefix.time == datetime(2026, 5, 18, 15, 13, 36)


def test_detection_follows_the_majority() -> None:
    tm = [f"2021/08/23 06:52:{s:02d} | line {s}" for s in range(10)]
    noise = ["INFO   | jvm 1    | 2026/11/26 18:37:33 | nested"]
    assert LineDecoder().detect(tm + noise) == "TM"


def test_undetected_decoder_decides_from_the_lines_it_splits() -> None:
    decoder = LineDecoder()
    line = "INFO   | jvm 2    | 2026/11/26 18:37:33 | x"
    for _ in range(40):
        prefix, text = decoder.split(line)
        assert (prefix.jvm, text) == (2, "x")
    assert decoder.layout == "LPTM"


def test_unknown_layout_name_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        LineDecoder("QXM")


def test_invalid_time_gives_none() -> None:
    prefix, text = LineDecoder("LPTM").split("INFO   | jvm 1    | 2026/13/45 18:37:33 | x")
    assert prefix.time is None and text == "x"


def test_lines_sharing_a_prefix_share_the_parsed_prefix() -> None:
    decoder = LineDecoder("LPZM")
    a, _ = decoder.split("INFO   | jvm 1    | 2026/11/26 18:38:11.026 | a")
    b, _ = decoder.split("INFO   | jvm 1    | 2026/11/26 18:38:11.026 |   b")
    c, _ = decoder.split("INFO   | jvm 2    | 2026/11/26 18:38:11.026 | c")
    assert a is b
    assert c.jvm == 2 and a.jvm == 1


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("--> Wrapper Started as Service", "wrapper-started"),
        ("--> Wrapper Started as Daemon", "wrapper-started"),
        ("<-- Wrapper Stopped", "wrapper-stopped"),
        ("Launching a JVM...", "jvm-launching"),
        ("JVM exited while loading the application.", "jvm-exited"),
        ("JVM process is gone.", "jvm-gone"),
        ("JVM Restarts disabled.  Shutting down.", "jvm-restarts"),
        ("Java Service Wrapper Standard Edition 64-bit 3.5.51", "wrapper-banner"),
        ("JVM requested a restart.", "jvm-restart-requested"),
        ("ordinary JVM output", None),
        (JSSE, None),
    ],
)
def test_lifecycle_lines(message: str, kind: str | None) -> None:
    assert lifecycle(message) == kind
    assert bool(LIFECYCLE_PREFILTER.search(message.encode())) == (kind is not None)


def test_jvm_counter_counts_launches_without_a_jvm_column() -> None:
    decoder = LineDecoder("TM")
    counter = JvmCounter()
    seen = []
    for line in [
        "2021/08/23 06:52:40 | before any launch",
        "2021/08/23 06:52:41 | Launching a JVM...",
        "2021/08/23 06:52:42 | first",
        "2021/08/23 06:52:43 | JVM exited unexpectedly.",
        "2021/08/23 06:52:48 | Launching a JVM...",
        "2021/08/23 06:52:49 | second",
    ]:
        seen.append(counter.update(*decoder.split(line)))
    assert seen == [0, 1, 1, 1, 2, 2]


def test_jvm_counter_follows_the_jvm_column() -> None:
    decoder = LineDecoder("LPTM")
    counter = JvmCounter()
    assert counter.update(*decoder.split("INFO   | jvm 4    | 2026/11/26 18:37:33 | x")) == 4
    launch = "STATUS | wrapper  | 2026/11/26 18:37:34 | Launching a JVM..."
    assert counter.update(*decoder.split(launch)) == 5
    assert counter.update(*decoder.split("INFO   | jvm 5    | 2026/11/26 18:37:35 | y")) == 5


# --- captured sample logs -------------------------------------------------------------------

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"


def _samples() -> list[Path]:
    return sorted(
        d for d in SAMPLES.glob("*")
        if (d / "wrapper.log").is_file() and (d / "expected.json").is_file()
    )


@pytest.mark.parametrize("folder", _samples(), ids=lambda p: p.name)
def test_sample_log_layout_matches_expected(folder: Path) -> None:
    expected = json.loads((folder / "expected.json").read_text())["wrapper_layout"]
    raw = (folder / "wrapper.log").read_bytes().split(b"\n")
    decoder = LineDecoder()
    assert decoder.detect(decode_line(x) for x in raw[:200]) == expected
    # Every JSSE record header comes out whole, whatever the layout.
    headers = [decoder.split(decode_line(x))[1] for x in raw if b"javax.net.ssl|" in x]
    for message in headers:
        assert message.startswith("javax.net.ssl|"), message


def test_there_are_sample_logs_of_every_captured_layout() -> None:
    layouts = {json.loads((d / "expected.json").read_text())["wrapper_layout"] for d in _samples()}
    if not layouts:
        pytest.skip("no captured sample logs yet")
    assert {"LPTM", "TM", "M"} <= layouts
