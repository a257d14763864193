"""Time windows and rule selection, through the real entry point, on captured sample logs.

``--since``/``--until`` (times and durations), ``--last-jvm``, ``--select`` and ``--ignore`` on
``analyze`` and ``scan`` (and the window on ``parse``): what is kept, what the report states, and
that a mistyped option is one line and exit 2.

The JVM-restart sample: JVM 1 makes a handshake at 14:20:03.420 (line 30) and fails; the MID
Server restarts at line 455 (14:20:07) and JVM 2 makes one at 14:20:08.078 (line 478). The newest
event is the agent log's auth-user-null at 14:20:08.316.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run_cli

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
RESTART = str(SAMPLES / "jdk21-tls12-expired-jvm-restart-lptm")
POLICY = str(SAMPLES / "jdk17-tls12-policy-drops-cert-tm")
TWO_KEYS = str(SAMPLES / "jdk25-tls13-two-keys-expired-first-ptm")
JVM2_STARTS = 455  # wrapper.log line of "jvm 2 | WrapperManager: Initializing..."


def analyze(capsys, monkeypatch, *args: str) -> dict[str, Any]:
    code, out, err = run_cli(capsys, monkeypatch, "analyze", "-q", "-f", "json", *args)
    assert code in (0, 1, 3), err
    doc: dict[str, Any] = json.loads(out)
    return doc


def causes(doc: dict[str, Any]) -> dict[str, int]:
    return {d["root_cause"]: d["occurrences"] for d in doc["diagnoses"]}


def lines(doc: dict[str, Any]) -> list[int]:
    return [h["line"] for h in doc["handshakes"]]


# --------------------------------------------------------------------------- analyze: window


def test_without_options_the_report_states_no_window_and_no_selection(capsys, monkeypatch):
    doc = analyze(capsys, monkeypatch, RESTART)
    assert lines(doc) == [30, 478]
    assert causes(doc) == {"client-cert-expired": 2, "auth-user-null": 2}
    assert "window" not in doc and "selection" not in doc


def test_last_jvm_keeps_only_the_newest_jvm_start(capsys, monkeypatch):
    doc = analyze(capsys, monkeypatch, RESTART, "--last-jvm")
    assert [h["jvm"] for h in doc["handshakes"]] == [2]
    assert causes(doc) == {"client-cert-expired": 1, "auth-user-null": 1}
    assert all(d["first_seen"] >= "2026-11-26 14:20:07" for d in doc["diagnoses"])
    # MID log lines carry no JVM: those of JVM 1 (its auth-user-null at 448) stay out, and
    # JVM 2's MIDSecPolicy lines, logged before its first handshake, stay in
    wrapper = [e["line"] for e in doc["agent_events"] if e["path"].endswith("wrapper.log")]
    assert wrapper and min(wrapper) > JVM2_STARTS
    assert {"midsecpolicy", "auth-user-null"} <= {e["kind"] for e in doc["agent_events"]}
    for d in doc["diagnoses"]:
        assert all(e["line"] > JVM2_STARTS for e in d["evidence"]
                   if e["path"].endswith("wrapper.log")), d["root_cause"]
    assert doc["window"]["last_jvm"] is True
    assert doc["window"]["jvms"] == [{"mid_server": RESTART, "jvm": 2,
                                      "first_handshake": "2026-11-26 14:20:08.078",
                                      "earlier_starts": 1}]


def test_last_jvm_keeps_a_log_of_one_jvm_whole(capsys, monkeypatch):
    whole = analyze(capsys, monkeypatch, POLICY)
    doc = analyze(capsys, monkeypatch, POLICY, "--last-jvm")
    assert lines(doc) == lines(whole) and causes(doc) == causes(whole)
    assert len(doc["agent_events"]) == len(whole["agent_events"])
    assert doc["window"]["jvms"][0]["earlier_starts"] == 0


@pytest.mark.parametrize(("option", "when", "kept"), [
    ("--until", "2026-11-26 14:20:05", [30]),
    ("--since", "2026-11-26 14:20:05", [478]),
    ("--since", "2026-11-26T14:20:05.000", [478]),
    ("--since", "2026/11/26 14:20:05", [478]),  # as the wrapper writes it
    ("--until", "2026-11-26", [30, 478]),  # a date alone: to the end of that day
    ("--since", "2026-11-27", []),
])
def test_since_and_until_take_times_as_the_log_shows_them(capsys, monkeypatch, option, when,
                                                          kept):
    doc = analyze(capsys, monkeypatch, RESTART, option, when)
    assert lines(doc) == kept
    assert causes(doc).get("client-cert-expired", 0) == len(kept)
    assert doc["window"][option.strip("-")] is not None
    if not kept:
        assert doc["verdict"] == "no-evidence"


def test_a_window_between_two_times(capsys, monkeypatch):
    doc = analyze(capsys, monkeypatch, RESTART, "--since", "2026-11-26 14:20:00",
                  "--until", "2026-11-26 14:20:04")
    assert lines(doc) == [30]
    assert {e["line"] for e in doc["agent_events"] if e["kind"] == "auth-user-null"} == {448}
    assert doc["window"]["since"] == "2026-11-26 14:20:00.000"
    assert doc["window"]["until"] == "2026-11-26 14:20:04.000"
    assert "durations" not in doc["window"]


def test_durations_count_back_from_the_newest_event_not_the_clock(capsys, monkeypatch):
    doc = analyze(capsys, monkeypatch, RESTART, "--since", "3s")
    assert lines(doc) == [478]
    assert doc["window"]["since"] == "2026-11-26 14:20:05.316"
    assert doc["window"]["newest"] == "2026-11-26 14:20:08.316"
    assert doc["window"]["durations"] == {"since": "3s"}
    # a log from 2026 is not "older than two hours": the clock plays no part
    assert lines(analyze(capsys, monkeypatch, RESTART, "--since", "2h")) == [30, 478]
    assert lines(analyze(capsys, monkeypatch, RESTART, "--since", "1d")) == [30, 478]
    assert lines(analyze(capsys, monkeypatch, RESTART, "--until", "3s")) == [30]
    assert lines(analyze(capsys, monkeypatch, RESTART, "--since", "1m", "--until", "3s")) == [30]


def test_window_and_last_jvm_combine(capsys, monkeypatch):
    doc = analyze(capsys, monkeypatch, RESTART, "--until", "2026-11-26 14:20:05", "--last-jvm")
    assert lines(doc) == []
    doc = analyze(capsys, monkeypatch, RESTART, "--since", "30m", "--last-jvm")
    assert lines(doc) == [478]


def test_parse_takes_the_window_too(capsys, monkeypatch):
    code, out, err = run_cli(capsys, monkeypatch, "parse", "-q", "-f", "json", "--last-jvm",
                             RESTART)
    assert code == 0, err
    doc = json.loads(out)
    assert [h["jvm"] for h in doc["handshakes"]] == [2]
    assert doc["window"]["last_jvm"] is True
    code, out, _ = run_cli(capsys, monkeypatch, "parse", "-q", "--until", "3s", RESTART)
    assert code == 0
    assert "Window: until 2026-11-26 14:20:05.316 (3s before the newest event)" in out
    assert "1 TLS handshake" in out


# ------------------------------------------------------------------------- analyze: selection


def test_select_a_prefix_keeps_only_those_rules(capsys, monkeypatch):
    inputs = (RESTART, POLICY, TWO_KEYS)
    whole = analyze(capsys, monkeypatch, *inputs)
    doc = analyze(capsys, monkeypatch, "--select", "MTLS-0", *inputs)
    assert doc["diagnoses"]
    assert all(d["rule"].startswith("MTLS-0") for d in doc["diagnoses"])
    assert {(d["mid_server"], d["rule"]) for d in whole["diagnoses"]
            if d["rule"].startswith("MTLS-0")} <= {(d["mid_server"], d["rule"])
                                                   for d in doc["diagnoses"]}
    assert "auth-user-null" not in causes(doc)
    assert doc["selection"]["select"] == ["MTLS-0"] and doc["selection"]["ignore"] == []
    assert all(r.startswith("MTLS-0") for r in doc["selection"]["rules"])
    assert doc["selection"]["of"] > len(doc["selection"]["rules"])


def test_ignore_a_root_cause_drops_that_diagnosis(capsys, monkeypatch):
    doc = analyze(capsys, monkeypatch, RESTART, "--ignore", "auth-user-null")
    assert causes(doc) == {"client-cert-expired": 2}
    assert "MTLS-130" not in doc["selection"]["rules"]
    assert "MTLS-070" in doc["selection"]["rules"]


def test_selectors_are_comma_separated_or_repeated_and_ignore_wins(capsys, monkeypatch):
    one = analyze(capsys, monkeypatch, RESTART, "--select", "mtls-070,MTLS-13",
                  "--ignore", "MTLS-131")
    two = analyze(capsys, monkeypatch, RESTART, "--select", "MTLS-070", "--select", "MTLS-13",
                  "--ignore", "MTLS-131")
    assert one["selection"]["rules"] == two["selection"]["rules"] == ["MTLS-070", "MTLS-130"]
    assert causes(one) == causes(two) == {"client-cert-expired": 2, "auth-user-null": 2}
    doc = analyze(capsys, monkeypatch, RESTART, "--select", "auth-user-null",
                  "--ignore", "MTLS-1")
    assert doc["diagnoses"] == [] and doc["selection"]["rules"] == []


def test_an_ignored_rule_silences_no_other(capsys, monkeypatch):
    """MTLS-070 (client-cert-expired) yields to wrong-key-chosen; with that ignored, it speaks."""
    assert "client-cert-expired" not in causes(analyze(capsys, monkeypatch, TWO_KEYS))
    doc = analyze(capsys, monkeypatch, TWO_KEYS, "--ignore", "wrong-key-chosen")
    assert "wrong-key-chosen" not in causes(doc)
    assert causes(doc)["client-cert-expired"] == 1


@pytest.mark.parametrize("command", ["analyze", "scan"])
@pytest.mark.parametrize(("args", "says"), [
    (("--select", "MTLS-9"), "--select: 'MTLS-9' is no rule id, id prefix or root cause"),
    (("--ignore", "auth-user-nul"), "--ignore: 'auth-user-nul' is no rule id"),
    (("--select", "MTLS-2"), "--select: 'MTLS-2' names no rule that reads logs"),
    (("--since", "yesterday"), "--since: 'yesterday' is neither a time"),
    (("--until", "2026-11-26T14:20:05+01:00"), "--until: '2026-11-26T14:20:05+01:00' has a zone"),
    (("--since", "14:20", "--until", "2026-11-26"), "--since: '14:20' is neither"),
    (("--since", "2026-11-27", "--until", "2026-11-26 12:00"), "the window is empty"),
    (("--since", "1h", "--until", "2h"), "--since 1h is after --until 2h"),
])
def test_a_mistyped_option_is_one_line_and_exit_2(capsys, monkeypatch, tmp_path, command, args,
                                                  says):
    extra = ("-j", "1", "-o", str(tmp_path / "t.jsonl")) if command == "scan" else ()
    code, out, err = run_cli(capsys, monkeypatch, command, "-q", *extra, *args, RESTART)
    assert code == 2
    assert out == ""
    assert err.startswith("loganalyzer: error: ") and says in err
    assert err.count("\n") == 1
    assert not (tmp_path / "t.jsonl").exists()


# ------------------------------------------------------------------- the report states them


def test_every_format_states_the_window_and_the_selection(capsys, monkeypatch):
    args = ("--since", "3s", "--last-jvm", "--select", "MTLS-0", "--ignore", "MTLS-020")
    line = ("Window: since 2026-11-26 14:20:05.316 (3s before the newest event), newest JVM "
            "start only (jvm 2; 1 earlier start left out) · Rules: --select MTLS-0 "
            "--ignore MTLS-020")
    for fmt in ("markdown", "html"):
        code, out, err = run_cli(capsys, monkeypatch, "analyze", "-q", "-f", fmt, *args, RESTART)
        assert code == 1, err
        assert line in out
    code, out, _ = run_cli(capsys, monkeypatch, "analyze", "-q", *args, RESTART)
    assert code == 1
    assert " ".join(line.split()) in " ".join(out.split())  # wrapped at 80 columns
    code, out, _ = run_cli(capsys, monkeypatch, "analyze", "-q", RESTART)
    assert "Window:" not in out and "Rules: --" not in out


def test_redaction_keeps_the_window_readable(capsys, monkeypatch):
    doc = analyze(capsys, monkeypatch, RESTART, "--redact", "--since", "3s",
                  "--ignore", "auth-user-null")
    assert doc["window"]["since"] == "2026-11-26 14:20:05.316"
    assert doc["selection"]["ignore"] == ["auth-user-null"]


# --------------------------------------------------------------------------------------- scan


def scan(capsys, monkeypatch, tmp_path: Path, *args: str, jobs: str = "1",
         inputs: tuple[str, ...] = (RESTART,)) -> list[dict[str, Any]]:
    out_file = tmp_path / f"table-{len(list(tmp_path.iterdir()))}.jsonl"
    code, _, err = run_cli(capsys, monkeypatch, "scan", "-q", "-j", jobs, "-o", str(out_file),
                           *args, *inputs)
    assert code == 0, err
    return [json.loads(row) for row in out_file.read_text(encoding="utf-8").splitlines()]


def table(rows: list[dict[str, Any]]) -> dict[str, tuple[int, int | None, str]]:
    """Each root cause: (occurrences, JVM, which JVM's part of wrapper.log its line is in)."""
    return {r["root_cause"]: (r["occurrences"], r["jvm"],
                              "jvm 1" if r["line"] < JVM2_STARTS else "jvm 2") for r in rows}


def test_scan_without_options(capsys, monkeypatch, tmp_path):
    assert table(scan(capsys, monkeypatch, tmp_path)) == {
        "client-cert-expired": (2, 1, "jvm 1"), "auth-user-null": (2, None, "jvm 1")}


def test_scan_last_jvm(capsys, monkeypatch, tmp_path):
    rows = scan(capsys, monkeypatch, tmp_path, "--last-jvm")
    assert table(rows) == {"client-cert-expired": (1, 2, "jvm 2"),
                           "auth-user-null": (1, None, "jvm 2")}


@pytest.mark.parametrize(("args", "expected"), [
    (("--until", "2026-11-26 14:20:05"), {"client-cert-expired": (1, 1, "jvm 1"),
                                          "auth-user-null": (1, None, "jvm 1")}),
    (("--since", "2026-11-26 14:20:05"), {"client-cert-expired": (1, 2, "jvm 2"),
                                          "auth-user-null": (1, None, "jvm 2")}),
    (("--since", "3s"), {"client-cert-expired": (1, 2, "jvm 2"),
                         "auth-user-null": (1, None, "jvm 2")}),
    (("--until", "3s"), {"client-cert-expired": (1, 1, "jvm 1"),
                         "auth-user-null": (1, None, "jvm 1")}),
    (("--since", "2h"), {"client-cert-expired": (2, 1, "jvm 1"),
                         "auth-user-null": (2, None, "jvm 1")}),
])
def test_scan_since_and_until(capsys, monkeypatch, tmp_path, args, expected):
    assert table(scan(capsys, monkeypatch, tmp_path, *args)) == expected


def test_scan_select_and_ignore(capsys, monkeypatch, tmp_path):
    assert table(scan(capsys, monkeypatch, tmp_path, "--select", "MTLS-0")) == {
        "client-cert-expired": (2, 1, "jvm 1")}
    assert table(scan(capsys, monkeypatch, tmp_path, "--ignore", "auth-user-null")) == {
        "client-cert-expired": (2, 1, "jvm 1")}
    assert table(scan(capsys, monkeypatch, tmp_path, "--select", "auth-user-null")) == {
        "auth-user-null": (2, None, "jvm 1")}


def test_scan_durations_count_back_per_folder(capsys, monkeypatch, tmp_path):
    """Each folder's own newest event anchors its window: two logs of different days."""
    rows = scan(capsys, monkeypatch, tmp_path, "--since", "3s", inputs=(RESTART, POLICY))
    by_folder = {(Path(r["input"]).name, r["root_cause"]): r["occurrences"] for r in rows}
    assert by_folder[("jdk21-tls12-expired-jvm-restart-lptm", "client-cert-expired")] == 1
    assert ("jdk17-tls12-policy-drops-cert-tm", "mid-security-policy-regression") in by_folder


def test_scan_workers_get_the_window_and_the_selection(capsys, monkeypatch, tmp_path):
    """A process pool: the options travel with each task to its worker."""
    args = ("--last-jvm", "--ignore", "auth-user-null")
    serial = scan(capsys, monkeypatch, tmp_path, *args, inputs=(RESTART, POLICY))
    pooled = scan(capsys, monkeypatch, tmp_path, *args, jobs="2", inputs=(RESTART, POLICY))
    assert serial == pooled
    assert "auth-user-null" not in {r["root_cause"] for r in pooled}
    assert table([r for r in pooled if r["input"] == RESTART]) == {
        "client-cert-expired": (1, 2, "jvm 2")}


def test_scan_states_the_window_and_the_selection_it_used(capsys, monkeypatch, tmp_path):
    """Above the printed table; on stderr, after the summary, when the table goes to a file."""
    args = ("--since", "3s", "--last-jvm", "--select", "MTLS-0,auth-user-null")
    code, out, _ = run_cli(capsys, monkeypatch, "scan", "-q", "-j", "1", *args, RESTART)
    first = " ".join(out.split("  root cause")[0].split())
    assert first.startswith("Window: since 3s before the newest event of each log set, "
                            "newest JVM start only of each MID Server · Rules: --select "
                            "MTLS-0,auth-user-null (")
    assert first.endswith(" log rules)")
    code, out, _ = run_cli(capsys, monkeypatch, "scan", "-q", "-j", "1", RESTART)
    assert not out.startswith("Window") and "Rules:" not in out
    table_file = tmp_path / "t.csv"
    code, _, err = run_cli(capsys, monkeypatch, "scan", "-j", "1", "-o", str(table_file),
                           "--until", "2026-11-26 14:20:05", RESTART)
    assert err.rstrip().splitlines()[-1] == "Window: until 2026-11-26 14:20:05.000"
