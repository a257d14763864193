"""`analyze` on every captured scenario: the right root cause first, the JSON contract, exit codes.

The expected cause comes from the scenario the capture harness ran (``expected.json``), not from
the analyzer: scenario 4 (a CA list that does not cover the client chain) must come out as
``ca-chain-incomplete``, confirmed, or as the first group of ``possible`` candidates.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from loganalyzer.analysis.diagnoses import leading
from loganalyzer.api import analyze_paths

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = sorted(p.parent for p in (ROOT / "sample_logs").glob("*/expected.json"))

SCENARIO_CAUSE = {
    2: "no-client-cert-requested",
    3: "ca-list-empty",
    4: "ca-chain-incomplete",
    5: "client-cert-not-in-keystore",
    6: "not-a-client-certificate",
    7: "self-signed-client-cert",
    8: "client-cert-expired",
    9: "server-cert-untrusted",
    10: "server-hostname-mismatch",
    11: "mid-security-policy-regression",
    14: "revocation-check-failed",
    15: "client-cert-rejected",
    16: "client-cert-not-in-keystore",  # default SSLContext, javax.net.ssl.keyStore unset
    17: "client-cert-revoked",
    18: "client-cert-not-yet-valid",
    19: "client-key-unsupported",
    20: "keystore-unreadable",
    21: "wrong-key-chosen",
    22: "tls-intercepting-proxy",
    23: "sni-missing",  # ClientHello without server_name (-Djsse.enableSNIExtension=false)
}

# Samples on which `analyze` does not yet give the scenario's cause first: strict xfails, so a fix shows
# up as XPASS and its entry is removed here. Each reason names what the tool lacks (the work plan).
KNOWN_GAPS: dict[str, str] = {}
SUCCESS, DEBUG_SSL_ONLY, NO_DEBUG, WRONG_KEY = 1, 12, 13, 21
# With no debug output the failure text alone names these causes (an alert or an exception that
# says what is wrong); for any other cause the log cannot tell, so debug-missing leads.
NAMED_BY_FAILURE_TEXT = {"client-cert-expired", "ca-list-empty"}


def _expected_cause(exp: dict) -> str | None:
    scenario, also = exp["scenario_id"], exp.get("also_scenarios") or []
    if scenario == SUCCESS:
        return None
    if scenario == DEBUG_SSL_ONLY:
        # JDK 25 fixed plain "ssl" (JDK-8350582): the handshake is logged and the cause shows
        return SCENARIO_CAUSE[also[0]] if exp["jdk_major"] >= 25 else "tls-debug-missing"
    if scenario == NO_DEBUG:
        cause = SCENARIO_CAUSE[also[0]]
        return cause if cause in NAMED_BY_FAILURE_TEXT else "tls-debug-missing"
    if scenario == WRONG_KEY and not _key_manager_printed(exp):
        # Without the key manager's output the log shows one key only, the expired one it sent:
        # that is all a support engineer can tell from it (the distinguish text says what to add).
        return "client-cert-expired"
    return SCENARIO_CAUSE[scenario]


def _key_manager_printed(exp: dict) -> bool:
    """Whether the capture's debug option makes JSSE print the key manager's keys and choice:
    'all' or 'keymanager' always, and on JDK 25 'ssl,handshake' too (JDK-8350582)."""
    option = exp.get("javax_net_debug") or ""
    return option == "all" or "keymanager" in option or exp["jdk_major"] >= 25


def _with_known_gaps(folders):
    return [pytest.param(f, id=f.name, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[f.name])]
                         if f.name in KNOWN_GAPS else []) for f in folders]


def test_known_gaps_name_existing_samples() -> None:
    assert set(KNOWN_GAPS) <= {f.name for f in FOLDERS}


@pytest.mark.parametrize("folder", _with_known_gaps(FOLDERS))
def test_right_root_cause_first(folder: Path) -> None:
    exp = json.loads((folder / "expected.json").read_text())
    diagnoses = analyze_paths([str(folder)])
    cause = _expected_cause(exp)
    serious = [d for d in diagnoses if d.severity in ("error", "warning")]
    if cause is None:
        assert serious == [], [d.rule for d in serious]
        assert any(d.root_cause == "mtls-ok" for d in diagnoses)
        return
    top = leading(diagnoses)
    assert cause in [d.root_cause for d in top], [(d.root_cause, d.confidence) for d in diagnoses]
    if exp["scenario_id"] == NO_DEBUG:
        assert "tls-debug-missing" in [d.root_cause for d in diagnoses]


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_every_diagnosis_cites_evidence_lines_that_exist(folder: Path) -> None:
    for d in analyze_paths([str(folder)]):
        assert d.fix and d.kb.get("article") and d.title, d.rule
        assert d.evidence, d.rule
        for e in d.evidence:
            lines = Path(e.path).read_text(errors="replace").splitlines()
            assert e.text.strip() in lines[e.line - 1], (d.rule, e)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "loganalyzer", *args], capture_output=True, text=True, cwd=ROOT
    )


def test_json_contract_and_exit_codes() -> None:
    failing = _run("analyze", "--format", "json", "sample_logs/jdk21-tls12-ca-mismatch-tm")
    assert failing.returncode == 1, failing.stderr
    doc = json.loads(failing.stdout)
    assert doc["schema_version"] == 1
    assert {"inputs", "handshakes", "diagnoses"} <= doc.keys()
    first = doc["diagnoses"][0]
    assert first["root_cause"] == "ca-chain-incomplete" and first["confidence"] == "confirmed"
    for key in ("root_cause", "rule", "severity", "confidence", "title", "evidence", "fix", "kb"):
        assert key in first
    assert {"path", "line", "text"} == set(first["evidence"][0])
    assert {"article", "section"} <= set(first["kb"])
    assert isinstance(first["fix"], list) and first["fix"]

    ok = _run("analyze", "--format", "json", "sample_logs/jdk25-tls13-success-tm")
    assert ok.returncode == 0, ok.stderr
    assert [d["root_cause"] for d in json.loads(ok.stdout)["diagnoses"]] == ["mtls-ok"]

    missing = _run("analyze", "sample_logs/jdk25-tls13-success-tm", "no/such/wrapper.log")
    assert missing.returncode == 2
    assert "no/such/wrapper.log" in missing.stderr and "Traceback" not in missing.stderr


def test_markdown_report_holds_cause_evidence_and_fix() -> None:
    out = _run("analyze", "--format", "markdown", "sample_logs/jdk21-tls12-expired-jvm-restart-lptm")
    assert out.returncode == 1
    text = out.stdout
    assert "client-cert-expired" in text and "**Fix**" in text and "wrapper.log:" in text
    assert "| where | JVM |" in text  # the handshake table
