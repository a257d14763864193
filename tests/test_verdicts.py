"""Saying what was not judged: "nothing to judge" and "could not read" are never "clean".

Through the real entry points: ``analyze`` on the head of a real wrapper.log (read, but no TLS
traffic in it), ``certs`` / ``config`` / ``probe`` whose only input cannot be read, a missing
package, and that ``analyze`` never pays for pandas.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cli_helpers import run_cli

from loganalyzer.cli import EXIT_ERROR, EXIT_NO_EVIDENCE

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_logs" / "jdk21-tls12-ca-mismatch-tm"


@pytest.fixture
def quiet_head(tmp_path) -> Path:
    """The start of a real wrapper.log: the wrapper's banner and JVM start, no TLS record."""
    lines = (SAMPLE / "wrapper.log").read_text(encoding="utf-8").splitlines(keepends=True)
    head = [x for x in lines[:40] if "javax.net.ssl" not in x]
    assert len(head) > 5
    path = tmp_path / "wrapper.log"
    path.write_text("".join(head), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_no_evidence_is_not_clean(capsys, monkeypatch, quiet_head, fmt) -> None:
    code, out, _ = run_cli(capsys, monkeypatch, "analyze", str(quiet_head), "-f", fmt)
    assert code == EXIT_NO_EVIDENCE
    assert "No mutual-TLS problem" not in out
    assert "Nothing to judge" in out and "javax.net.debug" in out
    assert "Setup MID Server SSL debug" in out
    lines = len(quiet_head.read_text(encoding="utf-8").splitlines())
    assert f"({lines:,} lines)" in out


def test_no_evidence_verdict_in_json(capsys, monkeypatch, quiet_head) -> None:
    code, out, _ = run_cli(capsys, monkeypatch, "analyze", str(quiet_head), "-f", "json")
    doc = json.loads(out)
    assert code == EXIT_NO_EVIDENCE
    assert doc["verdict"] == "no-evidence" and doc["diagnoses"] == []
    assert doc["inputs"][0]["lines"] > 5
    assert any("javax.net.debug" in step for step in doc["no_evidence"]["fix"])


def test_a_real_log_has_a_verdict(capsys, monkeypatch) -> None:
    code, out, _ = run_cli(capsys, monkeypatch, "analyze", str(SAMPLE), "-f", "json")
    assert code == 1 and json.loads(out)["verdict"] == "findings"
    ok = ROOT / "sample_logs" / "jdk25-tls13-success-tm"
    code, out, _ = run_cli(capsys, monkeypatch, "analyze", str(ok), "-f", "json")
    assert code == 0 and json.loads(out)["verdict"] == "clean"


def _not_clean(code: int, out: str, err: str, name: str) -> None:
    assert code == EXIT_ERROR
    assert "No problem found" not in out
    assert "could not be read" in out and name in out and name in err


def test_config_that_cannot_be_read(capsys, monkeypatch, tmp_path) -> None:
    broken = tmp_path / "config.xml"
    broken.write_text('<?xml version="1.0"?>\n<parameters>\n<parameter name="url"\n',
                      encoding="utf-8")
    _not_clean(*run_cli(capsys, monkeypatch, "config", str(broken)), "config.xml:")
    code, out, _ = run_cli(capsys, monkeypatch, "config", str(broken), "--format", "json")
    assert json.loads(out)["verdict"] == "not-checked"


def test_missing_certificate_file(capsys, monkeypatch, tmp_path) -> None:
    _not_clean(*run_cli(capsys, monkeypatch, "certs", str(tmp_path / "mid.pem")), "mid.pem")


def test_pkcs12_without_password(capsys, monkeypatch, tmp_path) -> None:
    key, cert, p12 = (tmp_path / n for n in ("k.pem", "c.pem", "mid.p12"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-subj", "/CN=mid-lab-01", "-days", "30"],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "pkcs12", "-export", "-inkey", str(key), "-in", str(cert),
                    "-out", str(p12), "-passout", "pass:s3cret"], check=True, capture_output=True)
    _not_clean(*run_cli(capsys, monkeypatch, "certs", str(p12)), "mid.p12")
    monkeypatch.setenv("P12_PASSWORD", "wrong")
    _not_clean(*run_cli(capsys, monkeypatch, "certs", str(p12), "--password-env", "P12_PASSWORD"),
               "mid.p12")


def test_refused_probe(capsys, monkeypatch) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _not_clean(*run_cli(capsys, monkeypatch, "probe", f"https://127.0.0.1:{port}", "--timeout", "2"),
               "refused")


def test_missing_package_is_one_line_and_the_rest_is_kept(capsys, monkeypatch) -> None:
    """Without pyOpenSSL, self-check says how to install it and still reports the logs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def accept_and_close() -> None:  # answers, so the probe gets as far as the handshake
        for _ in range(4):
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=accept_and_close, daemon=True).start()
    monkeypatch.setitem(sys.modules, "OpenSSL", None)
    monkeypatch.setitem(sys.modules, "OpenSSL.SSL", None)
    try:
        port = listener.getsockname()[1]
        code, out, err = run_cli(capsys, monkeypatch, "self-check", "--logs", str(SAMPLE),
                             "--instance", f"https://127.0.0.1:{port}", "--timeout", "2",
                             "--format", "json")
    finally:
        listener.close()
    doc = json.loads(out)
    assert code == EXIT_ERROR
    assert "internal error" not in out + err
    [problem] = [p for p in doc["problems"] if "pyOpenSSL" in p["message"]]
    assert "pip install" in problem["message"] and problem["kind"] == "input"
    assert "ca-chain-incomplete" in {d["root_cause"] for d in doc["diagnoses"]}


def test_analyze_does_not_import_pandas() -> None:
    env = {**os.environ, "LOGANALYZER_PROGRESS": "never"}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "loganalyzer", "analyze", str(SAMPLE)],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    assert "loganalyzer.analysis.diagnoses" in imported  # the trace is real
    assert not {m for m in imported if m.split(".")[0] in ("pandas", "pyarrow", "dask", "OpenSSL")}


# ---------------------------------------------------------------------------------------------
# Unknown is a state: a fact the log cannot show is null in JSON and "?" in every report


@pytest.mark.parametrize("sample", ["jdk17-tls12-untrusted-server-tm",
                                    "jdk17-tls12-expired-no-debug-tm"])
def test_what_the_log_cannot_show_is_unknown_everywhere(capsys, monkeypatch, sample) -> None:
    """A TLS 1.2 handshake that failed on the server's certificate never reached the point
    where the instance asks for a client certificate; without debug output nothing shows it."""
    path = str(ROOT / "sample_logs" / sample)
    _, out, _ = run_cli(capsys, monkeypatch, "parse", path, "-f", "json")
    [h] = json.loads(out)["handshakes"]
    assert h["outcome"] == "failed"
    assert h["cert_requested"] is None and h["cert_sent"] is None
    for fmt, marker in (("text", "requested: ?"), ("markdown", "| ? |"), ("html", "<td>?</td>")):
        _, out, _ = run_cli(capsys, monkeypatch, "parse", path, "-f", fmt)
        assert marker in out, (fmt, out[-1500:])
        assert "requested: no" not in out


def test_a_completed_handshake_without_a_request_is_false() -> None:
    from loganalyzer.analysis.reading import read

    [h] = read([str(ROOT / "sample_logs" / "jdk21-tls12-no-cert-request-m")]).handshakes
    assert h.outcome == "completed" and h.requested is False


def test_problem_lines_on_stderr_are_redacted(capsys, monkeypatch, tmp_path) -> None:
    """With --redact, what stderr says about an unreadable input uses the report's pseudonyms."""
    host = "acme-lab.service-now.com"  # the instance host of the sample's handshakes
    folder = tmp_path / host
    folder.mkdir()
    (folder / "wrapper.log").write_bytes((SAMPLE / "wrapper.log").read_bytes())
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, monkeypatch, "analyze", host, f"{host}/missing.log",
                         "--redact", "-f", "json", "-q")
    assert code == EXIT_ERROR
    assert "missing.log" in err and "no such file" in err
    assert host not in err and host not in out
    pseudonym = err.split("input: ", 1)[1].split("/", 1)[0]
    assert pseudonym in out  # the same pseudonym as in the report
    code, _, err = run_cli(capsys, monkeypatch, "analyze", host, f"{host}/missing.log", "-q")
    assert host in err  # without --redact the name is kept


def test_a_handshake_with_no_outcome_is_inconclusive_not_clean(capsys, monkeypatch) -> None:
    """A real excerpt (tests/field, apiman #2628) that ends inside the client's key search:
    a request was made, nothing completed, nothing is diagnosed; that is no clean bill."""
    excerpt = ROOT / "tests" / "field" / "apiman-2628-wildfly-stderr-no-cert-for-ec.log"
    code, out, _ = run_cli(capsys, monkeypatch, "analyze", str(excerpt), "-f", "json")
    doc = json.loads(out)
    assert code == EXIT_NO_EVIDENCE and doc["verdict"] == "inconclusive"
    assert [h["outcome"] for h in doc["handshakes"]] == ["unknown"]
    for fmt in ("text", "markdown", "html"):
        _, out, _ = run_cli(capsys, monkeypatch, "analyze", str(excerpt), "-f", fmt)
        assert "Inconclusive" in out and "No mutual-TLS problem" not in out, fmt
