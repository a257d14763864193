"""Fault boundaries: a component that raises costs its own piece, never the report.

Each test makes one component raise (monkeypatched: the only way to put a bug where we want
it), runs the real entry point in process on real sample logs, and checks three things: the
internal problem names the place, everything else is still in the report, and the exit code
is 2. A last test checks that ``--debug`` lets the exception through, for developers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from cli_helpers import run_cli

import loganalyzer.analysis.reading
import loganalyzer.jsse.legacy
import loganalyzer.jsse.unified
import loganalyzer.reporters.html
import loganalyzer.reporters.markdown
import loganalyzer.reporters.text
import loganalyzer.ruleset.rules
from loganalyzer.cli.app import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
TWO_THREADS = SAMPLES / "jdk17-tls12-two-threads-concurrent-lpztm"  # a failure and a success
CA_MISMATCH = SAMPLES / "jdk21-tls12-ca-mismatch-tm"
LEGACY = ROOT / "tests" / "fixtures" / "jdk8"


class Boom(RuntimeError):
    """The planted bug."""


def analyze_json(capsys, monkeypatch, *paths: Path) -> tuple[int, dict, str]:
    code, out, err = run_cli(capsys, monkeypatch, "analyze", *map(str, paths), "-f", "json", "-q")
    return code, json.loads(out), err


def internal(doc: dict) -> list[dict]:
    return [p for p in doc["problems"] if p["kind"] == "internal"]


def baseline(capsys, monkeypatch, *paths: Path) -> dict:
    code, doc, _ = analyze_json(capsys, monkeypatch, *paths)
    assert code in (0, 1, 3) and not internal(doc)  # 3: an excerpt with no outcome logged
    return doc


def test_a_raising_unified_record_handler_costs_that_record(capsys, monkeypatch) -> None:
    whole = baseline(capsys, monkeypatch, TWO_THREADS)
    assert len(whole["handshakes"]) == 2
    original = loganalyzer.jsse.unified.Interpreter.events
    target = next(h["line"] for h in whole["handshakes"] if h["outcome"] == "completed")

    def events(self, record):
        if record.where.line == target:  # the ClientHello of the successful handshake
            raise Boom("planted")
        return original(self, record)

    monkeypatch.setattr(loganalyzer.jsse.unified.Interpreter, "events", events)
    code, doc, err = analyze_json(capsys, monkeypatch, TWO_THREADS)
    assert code == 2
    [problem] = internal(doc)
    assert problem["line"] == target and problem["path"].endswith("wrapper.log")
    assert "Boom: planted" in problem["message"] and "bug in loganalyzer" in problem["message"]
    assert f"wrapper.log:{target}" in err and "internal" in err
    # the failed handshake, and its diagnosis, are untouched
    failed = [h for h in whole["handshakes"] if h["outcome"] == "failed"]
    assert [h for h in doc["handshakes"] if h["outcome"] == "failed"] == failed
    assert "ca-chain-incomplete" in {d["root_cause"] for d in doc["diagnoses"]}


def test_a_raising_scanner_dialect_costs_that_line(capsys, monkeypatch) -> None:
    whole = baseline(capsys, monkeypatch, CA_MISMATCH)
    original = loganalyzer.jsse.unified.UnifiedDialect.open_record
    lines = (CA_MISMATCH / "wrapper.log").read_text(encoding="utf-8").splitlines()
    target = next(n for n, t in enumerate(lines, 1) if "Consuming ServerHello" in t)

    def open_record(self, line, path):
        if line.lineno == target:
            raise Boom("planted in open_record")
        return original(self, line, path)

    monkeypatch.setattr(loganalyzer.jsse.unified.UnifiedDialect, "open_record", open_record)
    code, doc, _ = analyze_json(capsys, monkeypatch, CA_MISMATCH)
    assert code == 2
    [problem] = internal(doc)
    assert problem["line"] == target and "unified dialect" in problem["message"]
    assert [d["root_cause"] for d in doc["diagnoses"]] == [
        d["root_cause"] for d in whole["diagnoses"]
    ]


def test_a_raising_legacy_handler_costs_that_record(capsys, monkeypatch) -> None:
    log = LEGACY / "jetty3131_cert_authorities_empty.log"
    whole = baseline(capsys, monkeypatch, log)
    assert whole["handshakes"]

    def certificate_request(self, record):
        raise Boom("planted in the legacy dialect")

    monkeypatch.setattr(loganalyzer.jsse.legacy.Interpreter, "certificate_request",
                        certificate_request, raising=True)
    code, doc, _ = analyze_json(capsys, monkeypatch, log)
    assert code == 2
    problems = internal(doc)
    assert problems and all("legacy certificate_request record" in p["message"] for p in problems)
    assert all(p["line"] > 0 for p in problems)
    # only the requests are lost: a handshake the excerpt shows by its request alone goes
    # with it; the others are still read
    lost = {p["line"] for p in problems}
    kept = [h for h in whole["handshakes"] if h["line"] not in lost]
    assert kept and [h["line"] for h in doc["handshakes"]] == [h["line"] for h in kept]
    assert not any(h["cert_requested"] for h in doc["handshakes"])


def test_a_raising_mid_line_handler_costs_that_line(capsys, monkeypatch) -> None:
    whole = baseline(capsys, monkeypatch, CA_MISMATCH)
    assert whole["agent_events"]
    original = loganalyzer.analysis.reading.parse_agent_lines
    victim = whole["agent_events"][0]["line"]

    def parse_agent_lines(path, lines):
        for lineno, text in lines:
            if lineno == victim:
                raise Boom("planted in the MID line handler")
            yield from original(path, [(lineno, text)])

    monkeypatch.setattr(loganalyzer.analysis.reading, "parse_agent_lines", parse_agent_lines)
    code, doc, _ = analyze_json(capsys, monkeypatch, CA_MISMATCH)
    assert code == 2
    lines = {p["line"] for p in internal(doc)}
    assert victim in lines
    assert {e["line"] for e in doc["agent_events"]} >= {
        e["line"] for e in whole["agent_events"] if e["line"] != victim
    } - {victim}
    assert doc["handshakes"] == whole["handshakes"]


def test_a_raising_file_costs_that_file(capsys, monkeypatch) -> None:
    whole = baseline(capsys, monkeypatch, CA_MISMATCH, TWO_THREADS)
    original = loganalyzer.analysis.reading.read_file

    def read_file(source, stream, on_bytes=None):
        if "two-threads" in source.path and source.path.endswith("wrapper.log"):
            raise Boom("planted in read_file")
        return original(source, stream, on_bytes)

    monkeypatch.setattr(loganalyzer.analysis.reading, "read_file", read_file)
    code, doc, _ = analyze_json(capsys, monkeypatch, CA_MISMATCH, TWO_THREADS)
    assert code == 2
    [problem] = internal(doc)
    assert "two-threads" in problem["path"] and "reading the file" in problem["message"]
    mine = [d for d in whole["diagnoses"] if "ca-mismatch" in d["mid_server"]]
    assert [d for d in doc["diagnoses"] if "ca-mismatch" in d["mid_server"]] == mine


def test_a_raising_rule_costs_that_rule(capsys, monkeypatch) -> None:
    whole = baseline(capsys, monkeypatch, TWO_THREADS)
    original = loganalyzer.ruleset.rules.Rule.matches

    def matches(self, facts):
        if self.id == "MTLS-190":
            raise Boom("planted in a rule")
        return original(self, facts)

    monkeypatch.setattr(loganalyzer.ruleset.rules.Rule, "matches", matches)
    code, doc, _ = analyze_json(capsys, monkeypatch, TWO_THREADS)
    assert code == 2
    problems = internal(doc)
    assert problems and all("rule MTLS-190" in p["message"] for p in problems)
    assert {p["line"] for p in problems} == {h["line"] for h in whole["handshakes"]}
    want = [d for d in whole["diagnoses"] if d["rule"] != "MTLS-190"]
    assert doc["diagnoses"] == want and want


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_a_raising_report_section_costs_that_section(capsys, monkeypatch, fmt) -> None:
    module, name = {
        "text": (loganalyzer.reporters.text, "diagnosis_block"),
        "markdown": (loganalyzer.reporters.markdown, "_diagnosis"),
        "html": (loganalyzer.reporters.html, "_diagnosis"),
    }[fmt]
    original = getattr(module, name)

    def draw(d, *args):
        if d["rule"] == "MTLS-130":
            raise Boom("planted in a report section")
        return original(d, *args)

    monkeypatch.setattr(module, name, draw)
    code, out, err = run_cli(capsys, monkeypatch, "analyze", str(TWO_THREADS), "-f", fmt, "-q")
    assert code == 2
    assert "could not be shown" in out and "MTLS-130" in out
    # the other diagnoses and the timeline are still there
    assert "ca-chain-incomplete" in out and "mtls-ok" in out
    assert "ECCSender" in out or "TLS handshakes" in out
    assert "internal" in err and "report section" in err


def test_a_raising_self_check_part_costs_that_part(capsys, monkeypatch, tmp_path) -> None:
    import loganalyzer.selfcheck.midconfig

    def check(config):
        raise Boom("planted in the config check")

    monkeypatch.setattr(loganalyzer.selfcheck.midconfig, "check", check)
    config = tmp_path / "config.xml"
    config.write_text('<?xml version="1.0"?>\n<parameters>\n'
                      '<parameter name="url" value="https://acme-lab.service-now.com/"/>\n'
                      "</parameters>\n", encoding="utf-8")
    code, out, err = run_cli(capsys, monkeypatch, "self-check", "--logs", str(CA_MISMATCH),
                         "--config", str(config), "--format", "json")
    doc = json.loads(out)
    assert code == 2
    [problem] = [p for p in doc["problems"] if p["kind"] == "internal"]
    assert "config.xml check" in problem["message"] and problem["path"] == str(config)
    assert "ca-chain-incomplete" in {d["root_cause"] for d in doc["diagnoses"]}  # logs still ran
    assert doc["logs"]["handshakes"] == 1


def test_debug_lets_the_exception_through(capsys, monkeypatch) -> None:
    def events(self, record):
        raise Boom("planted")

    monkeypatch.setattr(loganalyzer.jsse.unified.Interpreter, "events", events)
    monkeypatch.setattr(sys, "argv", ["loganalyzer", "--debug", "analyze", str(CA_MISMATCH)])
    # --debug sets LOGANALYZER_DEBUG in this process; set here, it is taken away again after
    # the test instead of letting every later test's contained bugs escape
    monkeypatch.setenv("LOGANALYZER_DEBUG", "0")
    with pytest.raises(Boom):
        main()
