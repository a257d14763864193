"""``loganalyzer explain`` and ``loganalyzer rules``, through the real console entry point.

The error messages below are typed from the KB article "MID Server Mutual Authentication": most
of them exist only as text (the instance UI, a customer's e-mail), never in a MID Server log.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The CLI as a user runs it (``python -m loganalyzer``), so the exit codes are the real ones."""
    return subprocess.run([sys.executable, "-m", "loganalyzer", *args], capture_output=True,
                          text=True, input=stdin, cwd=ROOT, env={"NO_COLOR": "1", "COLUMNS": "120",
                                                                  "PATH": "/usr/bin:/bin"})


# KB message -> the root cause explain must name (KB section in the comment)
KB_MESSAGES = [
    # Errors: Could not authenticate user 'null' on the ServiceNow instance
    ("Could not authenticate user 'null' on the ServiceNow instance", "auth-user-null"),
    # Errors: Quebec User Client Certificate UI action "Validate Stores/Certificates"
    ('Invalid client_cert: Unable to load certificate mid-lab-01,pem',
     "ui-action-invalid-client-cert"),
    # Errors: Failed in client cert chain verification
    ("Failed in client cert chain verification", "chain-verification-failed"),
    ("Certificate chain verification fail for incomplete certificate chain",
     "chain-verification-failed"),
    # Errors: Adding User Client Certificate (sys_user_certificate) fails
    ("Unable to validate the certificate from CA", "unable-to-validate-certificate-from-ca"),
    # Errors: "Certificates": <empty list> or No X.509 certificate for client authentication
    ('"Certificates": <empty list>', "mid-security-policy-regression"),
    ("No X.509 certificate for client authentication", "ca-chain-incomplete"),
    # Problems: PRB1556363
    ("MID Server encryption keys do not match and are no longer valid. To restore proper "
     "functionality, invalidate and re-validate the MID Server",
     "encryption-keys-mismatch-misleading"),
    # Errors: The certificate added to the MID server is not a client certificate
    ("X509v3 Extended Key Usage: TLS Web Server Authentication", "not-a-client-certificate"),
    # Q&A: self-signed certificates
    ("Are self signed certificates supported?", "self-signed-client-cert"),
    # Troubleshooting: ADCv2, /adcv2/supports_tls, plugin
    ("curl -I shows Server: snow_adc", "no-client-cert-requested"),
    ("/adcv2/supports_tls returns a redirect", "no-client-cert-requested"),
    ("com.glide.auth.mutual is not installed", "no-client-cert-requested"),
    # JSSE texts a customer copies out of wrapper.log
    ("javax.net.ssl.SSLHandshakeException: PKIX path building failed: "
     "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid "
     "certification path to requested target", "server-cert-untrusted"),
    ("No subject alternative DNS name matching acme.service-now.com found.",
     "server-hostname-mismatch"),
    ("(certificate_expired) Received fatal alert: certificate_expired", "client-cert-expired"),
]


@pytest.mark.parametrize(("text", "root_cause"), KB_MESSAGES, ids=[m[1] + "-" + str(i) for i, m
                                                                  in enumerate(KB_MESSAGES)])
def test_explain_kb_messages(text, root_cause):
    result = run("explain", "--format", "json", text)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["matched"] is True
    causes = [r["root_cause"] for r in doc["rules"]]
    assert root_cause in causes
    for r in doc["rules"]:
        assert r["fix"] and r["meaning"] and r["kb"]["article"] == "MID Server Mutual Authentication"


def test_explain_text_output_has_meaning_fix_and_kb_section():
    result = run("explain", "Invalid client_cert: Unable to load certificate mid,pem")
    assert result.returncode == 0
    out = result.stdout
    assert "MTLS-220" in out and "What it means" in out and "Fix" in out
    assert "KB: MID Server Mutual Authentication" in out and "Validate Stores/Certificates" in out
    assert result.stderr == ""


def test_explain_is_forgiving_about_pasted_whitespace_and_quotes():
    result = run("explain", "--format", "json",
                 "Could not authenticate user \u2018null\u2019\n   on the ServiceNow instance")
    assert result.returncode == 0
    assert "auth-user-null" in {r["root_cause"] for r in json.loads(result.stdout)["rules"]}


def test_explain_several_candidates_most_likely_first():
    result = run("explain", "--format", "json", '"Certificates": <empty list>')
    ids = [r["id"] for r in json.loads(result.stdout)["rules"]]
    assert {"MTLS-060", "MTLS-021", "MTLS-031", "MTLS-051"} <= set(ids)
    assert ids.index("MTLS-060") < ids.index("MTLS-021") < ids.index("MTLS-031") < ids.index(
        "MTLS-051")


def test_explain_unknown_text_says_so_and_exits_1():
    result = run("explain", "The coffee machine is out of beans")
    assert result.returncode == 1
    assert "No rule explains this text" in result.stdout
    assert "Traceback" not in result.stderr


def test_explain_unknown_text_json():
    result = run("explain", "--format", "json", "The coffee machine is out of beans")
    assert result.returncode == 1
    assert json.loads(result.stdout) == {"text": "The coffee machine is out of beans",
                                         "matched": False, "rules": []}


def test_explain_reads_stdin():
    result = run("explain", "-", stdin="Unable to validate the certificate from CA\n")
    assert result.returncode == 0 and "MTLS-230" in result.stdout


def test_explain_empty_text_is_a_usage_error():
    result = run("explain", "   ")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_explain_with_a_broken_rules_dir_exits_2(tmp_path):
    (tmp_path / "MTLS-900-mtls-ok.yaml").write_text("id: MTLS-900\n")
    result = run("explain", "--rules-dir", str(tmp_path), "anything")
    assert result.returncode == 2
    assert "MTLS-900-mtls-ok.yaml" in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------------------- rules commands


def test_rules_list_table():
    result = run("rules", "list")
    assert result.returncode == 0
    for word in ("MTLS-001", "no-client-cert-requested", "confirmed", "handshake"):
        assert word in result.stdout


def test_rules_list_json():
    result = run("rules", "list", "--format", "json")
    assert result.returncode == 0
    rules = json.loads(result.stdout)["rules"]
    assert len(rules) >= 19
    assert {"id", "root_cause", "severity", "confidence", "scope", "title", "kb", "fix",
            "when"} <= set(rules[0])


def test_rules_show():
    result = run("rules", "show", "MTLS-060")
    assert result.returncode == 0
    out = result.stdout
    assert "mid-security-policy-regression" in out and "When it fires" in out
    assert "earlier_cert_sent" in out and "KB: MID Server Mutual Authentication" in out


def test_rules_show_unknown_id():
    result = run("rules", "show", "MTLS-999")
    assert result.returncode == 1 and "no rule" in result.stderr


def test_rules_check_ok():
    result = run("rules", "check")
    assert result.returncode == 0 and "rules OK" in result.stdout


def test_rules_check_lists_every_problem(tmp_path):
    good = (ROOT / "rules" / "detect" / "MTLS-190-mtls-ok.yaml").read_text()
    (tmp_path / "MTLS-190-mtls-ok.yaml").write_text(good.replace("severity: info",
                                                                 "severity: fatal"))
    (tmp_path / "MTLS-191-mtls-ok.yaml").write_text(
        good.replace("id: MTLS-190", "id: MTLS-191").replace("outcome ==", "outcom =="))
    result = run("rules", "check", "--rules-dir", str(tmp_path))
    assert result.returncode == 2
    assert "MTLS-190-mtls-ok.yaml" in result.stderr and "field 'severity'" in result.stderr
    assert "MTLS-191-mtls-ok.yaml" in result.stderr and "field 'when'" in result.stderr
    assert "2 problems" in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------------------------------------
# Pasted logs: analysed, not matched against text rules


def _pasted(sample: str, start: str) -> str:
    """What a support engineer pastes: a real sample log from ``start`` on, wrapper prefixes
    (``2026/11/26 14:18:30 | ``, the TM layout) removed."""
    import re

    lines = (ROOT / "sample_logs" / sample / "wrapper.log").read_text(encoding="utf-8")
    bare = [re.sub(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \| ", "", x) for x in lines.splitlines()]
    first = next(i for i, x in enumerate(bare) if start in x)
    return "\n".join(bare[first:]) + "\n"


@pytest.mark.parametrize("sample", ["jdk21-tls12-ca-mismatch-tm", "jdk25-tls13-wrong-host-tm"])
def test_a_pasted_log_is_analysed_like_analyze_stdin(sample):
    snippet = _pasted(sample, "Produced ClientHello")
    whole = json.loads(run("analyze", "-f", "json", f"sample_logs/{sample}").stdout)
    piped = run("analyze", "-", "-f", "json", stdin=snippet)
    explained = run("explain", "-f", "json", "-", stdin=snippet)
    doc = json.loads(explained.stdout)
    assert doc["is_log"] is True
    first = whole["diagnoses"][0]["root_cause"]
    assert json.loads(piped.stdout)["diagnoses"][0]["root_cause"] == first
    assert doc["analysis"]["diagnoses"][0]["root_cause"] == first
    assert explained.returncode == piped.returncode == 1
    text = run("explain", "-", stdin=snippet)
    assert "This text is a log" in text.stdout and "analyze -" in text.stdout
    assert first in text.stdout


def test_routine_lines_explain_nothing():
    """Lines every healthy MID Server logs (from the samples' own logs) match no rule."""
    routine = [
        "12/01/26 15:53:06 (277) ECCSender.1 DEBUG: MIDSecPolicy: revocation check for "
        "host[acme-lab.service-now.com] is false",
        "MIDSecPolicy: hostname verification for host[acme-lab.service-now.com] is true",
        # typed from jsse-debug-formats.md (the JDK 11+ session cache's own record)
        "javax.net.ssl|ALL|C0|main|2026-11-26 13:40:05.679 EST|SSLSessionImpl.java:1222|"
        "Invalidated session:  Session(1795718406695|SSL_NULL_WITH_NULL_NULL)",
    ]
    for line in routine:
        result = run("explain", "--format", "json", line)
        assert result.returncode == 1 and json.loads(result.stdout)["rules"] == [], line
    # the same words as a question still find their rule
    asked = run("explain", "--format", "json", "Can I invalidate a MID Server that uses mutual auth?")
    assert "encryption-keys-mismatch-misleading" in {
        r["root_cause"] for r in json.loads(asked.stdout)["rules"]}
