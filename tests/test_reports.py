"""Reports people act on: snapshots of the text, Markdown and JSON renderings, 80 columns, no
colour off a terminal, ``-o FILE`` for every format, severity selection, and the progress bar.

Snapshots live in ``tests/snapshots/``. After a deliberate change to a renderer, rewrite them and
review the diff:

    UPDATE_SNAPSHOTS=1 python -m pytest tests/test_reports.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from snapshot_files import check_snapshot

from loganalyzer.analysis.diagnoses import diagnose
from loganalyzer.analysis.reading import read
from loganalyzer.reporters import markdown, text
from loganalyzer.reporters.document import analyze_document, parse_document
from loganalyzer.reporters.redaction import redact_document
from loganalyzer.ruleset.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "tests" / "snapshots"
FOLDERS = sorted(p.parent.name for p in (ROOT / "sample_logs").glob("*/expected.json"))
SNAPSHOT_SAMPLES = [
    "jdk25-tls13-ca-mismatch-ptm",  # confirmed error + its auth-user-null side effect
    "jdk17-tls12-policy-drops-cert-tm",  # four handshakes, a regression over time
    "jdk17-tls13-empty-ca-ext-no-debug-lptm",  # no debug output: the failure text names it
    "jdk17-tls12-no-private-key-m",  # the log cannot tell causes apart: possible candidates
    "jdk11-tls12-success-ptm",  # nothing wrong
]
CLEAN = {
    k: v
    for k, v in os.environ.items()
    if k not in ("NO_COLOR", "FORCE_COLOR", "LOGANALYZER_PROGRESS")
}
_RULES = load_rules()
# SGR parameters that set a colour (foreground, background, 256-colour and truecolour)
_COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


def _doc(name: str) -> dict:
    """The analyze document of a sample, read by its repo-relative path (as a user would)."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        reading = read([f"sample_logs/{name}"])
    finally:
        os.chdir(cwd)
    return analyze_document(reading, diagnose(reading, _RULES))


def _check_snapshot(name: str, got: str) -> None:
    check_snapshot(SNAPSHOTS / name, got)


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "loganalyzer", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**CLEAN, **(env or {})},
        timeout=300,
    )


# ----------------------------------------------------------------------------- snapshots


@pytest.mark.parametrize("name", SNAPSHOT_SAMPLES)
def test_text_snapshot(name: str) -> None:
    _check_snapshot(f"{name}.txt", text.render(_doc(name), width=80, color=False))


@pytest.mark.parametrize("name", SNAPSHOT_SAMPLES)
def test_markdown_snapshot(name: str) -> None:
    _check_snapshot(f"{name}.md", markdown.render_document(_doc(name)) + "\n")


@pytest.mark.parametrize("name", SNAPSHOT_SAMPLES[:2])
def test_json_snapshot(name: str) -> None:
    _check_snapshot(f"{name}.json", json.dumps(_doc(name), indent=2, ensure_ascii=False) + "\n")


def test_redacted_text_snapshot() -> None:
    name = SNAPSHOT_SAMPLES[0]
    _check_snapshot(f"{name}.redacted.txt", text.render(redact_document(_doc(name)), width=80))


def test_the_cli_prints_what_the_snapshot_holds() -> None:
    """The snapshots test the renderer; this ties them to what ``analyze`` really prints."""
    name = SNAPSHOT_SAMPLES[0]
    out = _cli("analyze", f"sample_logs/{name}", env={"COLUMNS": "80"})
    assert out.returncode == 1, out.stderr
    got = "\n".join(line.rstrip() for line in out.stdout.splitlines()) + "\n"
    assert got == (SNAPSHOTS / f"{name}.txt").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- text report


@pytest.mark.parametrize("name", FOLDERS)
def test_the_text_report_fits_80_columns(name: str) -> None:
    report = text.render(_doc(name), width=80)
    too_wide = [line for line in report.splitlines() if len(line) > 80]
    assert too_wide == []


def test_the_text_report_leads_with_cause_confidence_evidence_and_fix() -> None:
    doc = _doc("jdk21-tls12-ca-mismatch-tm")
    report = text.render(doc, width=80)
    first = doc["diagnoses"][0]
    assert (first["root_cause"], first["confidence"]) == ("ca-chain-incomplete", "confirmed")
    headline = next(line for line in report.splitlines() if "ca-chain-incomplete" in line)
    assert "ERROR" in headline and "(confirmed)" in headline and headline.startswith("│")
    for e in first["evidence"]:
        assert f"wrapper.log:{e['line']}" in report
    assert "1. Compare the 'certificate authorities'" in report
    assert "section “Errors: Certificate chain incomplete”" in " ".join(report.split())
    assert "TLS handshakes in sample_logs/jdk21-tls12-ca-mismatch-tm" in report
    assert "failed: received handshake_failure" in report


def test_evidence_highlights_the_words_that_prove_it() -> None:
    line = text.highlighted(
        '"certificate authorities": [CN=Other Corp Root CA, O=Other Corp GmbH, C=DE]'
    )
    strong = [line.plain[s.start : s.end] for s in line.spans if s.style]
    assert strong == ["CN=Other Corp Root CA, O=Other Corp GmbH, C=DE"]
    line = text.highlighted("Fatal (HANDSHAKE_FAILURE): Received fatal alert: handshake_failure")
    strong = [line.plain[s.start : s.end] for s in line.spans if s.style]
    assert strong == ["HANDSHAKE_FAILURE", "fatal alert: handshake_failure"]


def test_no_colour_off_a_terminal_or_with_no_color() -> None:
    args = ("analyze", "sample_logs/jdk21-tls12-ca-mismatch-tm")
    piped = _cli(*args)
    assert "\x1b[" not in piped.stdout
    forced = _cli(*args, env={"FORCE_COLOR": "1"})
    assert _COLOUR.search(forced.stdout), "a terminal gets colour"
    no_color = _cli(*args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert not _COLOUR.search(no_color.stdout)
    assert "ca-chain-incomplete" in no_color.stdout


def test_the_old_reporter_names_still_work() -> None:
    """Other commands (scan, selfcheck) may import these; they take the models as before."""
    from loganalyzer.reporters.markdown import render
    from loganalyzer.reporters.text import (
        diagnosis_panels,
        handshake_table,
        handshake_tables,
        short_dn,
    )

    reading = read([str(ROOT / "sample_logs" / "jdk21-tls12-ca-mismatch-tm")])
    diagnoses = diagnose(reading, _RULES)
    assert len(diagnosis_panels(diagnoses)) == len(diagnoses)
    assert len(handshake_tables(reading)) == 1 and handshake_table(reading.servers[0]) is not None
    assert "| where | JVM |" in render(reading, diagnoses)
    assert short_dn('CN=Acme Lab Client Root CA, O="Acme Lab, Inc."') == "Acme Lab Client Root CA"


# ----------------------------------------------------------------------------- -o, selection


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_output_file_for_every_format(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"report.{fmt}"
    out = _cli(
        "analyze", "sample_logs/jdk21-tls12-ca-mismatch-tm", "--format", fmt, "-o", str(target)
    )
    assert out.returncode == 1, out.stderr
    assert out.stdout == "" and out.stderr == ""
    written = target.read_text(encoding="utf-8")
    assert "ca-chain-incomplete" in written
    if fmt == "json":
        assert json.loads(written)["diagnoses"][0]["root_cause"] == "ca-chain-incomplete"
    if fmt == "text":
        assert "\x1b[" not in written and max(map(len, written.splitlines())) <= 80
    if fmt == "html":
        assert written.startswith("<!DOCTYPE html>")


def test_parse_writes_a_file_too(tmp_path: Path) -> None:
    target = tmp_path / "handshakes.json"
    out = _cli(
        "parse", "sample_logs/jdk21-tls12-ca-mismatch-tm", "--format", "json", "-o", str(target)
    )
    assert out.returncode == 0 and out.stdout == ""
    assert len(json.loads(target.read_text())["handshakes"]) == 1


def test_an_unwritable_output_file_is_exit_2_naming_it(tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "report.html"
    out = _cli(
        "analyze", "sample_logs/jdk25-tls13-success-tm", "--format", "html", "-o", str(target)
    )
    assert out.returncode == 2
    assert str(target) in out.stderr and "Traceback" not in out.stderr


def _severities(*args: str) -> tuple[int, list[str]]:
    out = _cli("analyze", "--format", "json", *args)
    return out.returncode, [d["severity"] for d in json.loads(out.stdout)["diagnoses"]]


def test_fail_on_and_min_severity() -> None:
    failing = "sample_logs/jdk21-tls12-ca-mismatch-tm"  # an error, a warning
    code, severities = _severities(failing)
    assert code == 1 and {"error", "warning"} <= set(severities)
    assert _severities(failing, "--fail-on", "never")[0] == 0
    assert _severities(failing, "--fail-on", "error")[0] == 1
    code, shown = _severities(failing, "--min-severity", "error")
    assert code == 1 and set(shown) == {"error"}

    warning_only = next(
        name
        for name in FOLDERS
        if {d["severity"] for d in _doc(name)["diagnoses"]} & {"error", "warning"} == {"warning"}
    )
    assert _severities(f"sample_logs/{warning_only}")[0] == 1
    assert _severities(f"sample_logs/{warning_only}", "--fail-on", "error")[0] == 0

    ok = "sample_logs/jdk25-tls13-success-tm"  # info only
    assert _severities(ok) == (0, ["info"])
    assert _severities(ok, "--min-severity", "warning") == (0, [])


def test_help_documents_fail_on_min_severity_and_exit_codes() -> None:
    out = _cli("analyze", "--help", env={"COLUMNS": "120"})
    for needle in (
        "--fail-on",
        "--min-severity",
        "--redact",
        "--output",
        "--quiet",
        "Exit codes",
        "html",
    ):
        assert needle in out.stdout


# ----------------------------------------------------------------------------- progress


def _big_log(folder: Path, size: int = 40 * 1024 * 1024) -> Path:
    """A 40 MB wrapper.log: a real capture, ordinary wrapper and MID lines, the capture again."""
    real = (ROOT / "sample_logs" / "jdk25-tls13-ca-mismatch-ptm" / "wrapper.log").read_bytes()
    ordinary = b"".join(
        b"jvm 1    | 2026/11/26 19:18:37 | 11/26/26 19:18:37 (%03d) ECCQueueMonitor.%d Worker "
        b"completed: ECCQueueMonitor, time taken %d ms\n"
        b"wrapper  | 2026/11/26 19:18:37 | Wrapper Process has not received any CPU time for %d "
        b"seconds.  Extending timeouts.\n" % (i % 1000, i % 7, i, i)
        for i in range(2000)
    )
    data = bytearray(real)
    while len(data) < size:
        data += ordinary
    data += real
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "wrapper.log"
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def big_log(tmp_path_factory) -> Path:
    return _big_log(tmp_path_factory.mktemp("big") / "mid01")


@pytest.mark.slow
def test_a_40_mb_log_shows_progress_on_stderr_and_only_json_on_stdout(big_log: Path) -> None:
    assert big_log.stat().st_size >= 40 * 1024 * 1024
    out = _cli(
        "analyze", "--format", "json", str(big_log.parent), env={"LOGANALYZER_PROGRESS": "always"}
    )
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)  # the whole of stdout is one JSON document
    assert out.stdout.lstrip().startswith("{") and out.stdout.rstrip().endswith("}")
    assert doc["diagnoses"][0]["root_cause"] == "ca-chain-incomplete"
    assert len(doc["handshakes"]) == 2
    assert "Reading logs" in out.stderr
    size_mb = f"{big_log.stat().st_size / 1e6:.1f}"
    assert f"{size_mb}/{size_mb} MB" in out.stderr  # the bar's last state: all of it read


@pytest.mark.slow
def test_no_progress_with_quiet_or_off_a_terminal(big_log: Path) -> None:
    quiet = _cli(
        "analyze",
        "--format",
        "json",
        "--quiet",
        str(big_log.parent),
        env={"LOGANALYZER_PROGRESS": "always"},
    )
    piped = _cli("analyze", "--format", "json", str(big_log.parent))
    for run in (quiet, piped):
        assert run.returncode == 1 and run.stderr == ""
        assert json.loads(run.stdout)["diagnoses"]
    assert quiet.stdout == piped.stdout


def test_small_inputs_never_flash_a_bar() -> None:
    out = _cli(
        "analyze",
        "--format",
        "json",
        "sample_logs/jdk25-tls13-success-tm",
        env={"LOGANALYZER_PROGRESS": "always"},
    )
    assert out.returncode == 0 and out.stderr == ""


@pytest.mark.slow
def test_progress_on_parse_and_stdin_of_unknown_size(big_log: Path) -> None:
    with big_log.open("rb") as stdin:
        out = subprocess.run(
            [sys.executable, "-m", "loganalyzer", "parse", "--format", "json", "-"],
            stdin=stdin,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
            env={**CLEAN, "LOGANALYZER_PROGRESS": "always"},
        )
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)["handshakes"]) == 2
    assert "Reading logs" in out.stderr


def test_documents_say_whether_they_are_redacted() -> None:
    doc = parse_document(read([str(ROOT / "sample_logs" / "jdk21-tls12-ca-mismatch-tm")]))
    assert doc["redacted"] is False and "diagnoses" not in doc
