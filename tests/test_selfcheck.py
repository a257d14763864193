"""``loganalyzer self-check``: certificate files, config.xml, a local instance and real captured
logs in one report, and the cross-check of the client certificate's chain against the CA names."""

from __future__ import annotations

import html.parser
import json
import re
from pathlib import Path

import pytest

from loganalyzer.analysis.diagnoses import Diagnosis
from loganalyzer.selfcheck import combine as selfcheck

from test_certs import pki, run  # noqa: F401  (the session PKI fixture)
from test_midconfig import BASIC, MUTUAL

ROOT = Path(__file__).resolve().parent.parent
# The instance asks for CN=Other Corp Root CA only (sample_logs/README.md); our lab
# certificate comes from the Acme Lab issuing CA.
OTHER_CA_LOG = ROOT / "sample_logs" / "jdk21-tls12-ca-mismatch-tm"
REQUEST_LINE = 780  # "certificate authorities": [CN=Other Corp Root CA, …] in its wrapper.log


def cross(result: selfcheck.SelfCheck) -> list[Diagnosis]:
    return [d for d in result.diagnoses if "cross-check" in d.sources]


def test_log_ca_names_lacking_the_issuer_confirm_ca_chain_incomplete(pki):
    result = selfcheck.run(logs=[str(OTHER_CA_LOG)], cert_files=[str(pki.dir / "bundle.pem")])
    [hit] = cross(result)
    assert hit.root_cause == "ca-chain-incomplete" and hit.confidence == "confirmed"
    assert hit.severity == "error"
    assert "Missing CA: CN=Acme Lab Client Issuing CA 1, OU=Acme Lab PKI" in hit.detail
    assert "CN=Other Corp Root CA, O=Other Corp GmbH, C=DE" in hit.detail
    assert any(e.path.endswith("wrapper.log") and e.line == REQUEST_LINE for e in hit.evidence)
    assert any(e.path.endswith("bundle.pem") for e in hit.evidence)
    # one diagnosis per root cause: the log's rule and the cross-check's are one, with the
    # evidence of each
    assert [d.root_cause for d in result.diagnoses].count("ca-chain-incomplete") == 1
    assert set(hit.sources) == {"logs", "cross-check"}
    # the log's other diagnoses keep analyze's root-cause ids
    done = run("analyze", str(OTHER_CA_LOG), "--format", "json")
    analyzed = {d["root_cause"] for d in json.loads(done.stdout)["diagnoses"]}
    assert {d.root_cause for d in result.diagnoses if "logs" in d.sources} == analyzed


def test_cli_self_check_json_and_markdown(pki, tmp_path):
    config = tmp_path / "config.xml"
    config.write_text(MUTUAL)
    args = ("self-check", "--logs", str(OTHER_CA_LOG), "--certs", str(pki.dir / "bundle.pem"),
            "--config", str(config))
    done = run(*args, "--format", "json")
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    assert doc["schema_version"] == 1 and doc["command"] == "self-check"
    first = doc["diagnoses"][0]
    assert first["severity"] == "error"
    hit = next(d for d in doc["diagnoses"] if "cross-check" in d["sources"])
    assert hit["root_cause"] == "ca-chain-incomplete" and hit["kb"]["section"]
    assert any(e["line"] == REQUEST_LINE for e in hit["evidence"])
    causes = [d["root_cause"] for d in doc["diagnoses"]]
    assert len(causes) == len(set(causes))  # one diagnosis per root cause
    assert doc["logs"]["ca_names_seen"][0]["names"] == [
        "CN=Other Corp Root CA, O=Other Corp GmbH, C=DE"]
    assert doc["config"]["mutual_auth"] == "enabled"
    md = run(*args, "--format", "markdown")
    assert md.returncode == 1 and "## Certificates" in md.stdout
    assert "`ca-chain-incomplete`" in md.stdout and "Missing CA" in md.stdout
    # the findings come before what was checked
    assert md.stdout.index("Missing CA") < md.stdout.index("## Certificates")


def test_readme_self_check_html_redacted_to_a_file(pki, tmp_path):
    """The README's command: every input, HTML, -o and --redact; analyze's reporter."""
    config = tmp_path / "config.xml"
    config.write_text(BASIC)
    out = tmp_path / "r.html"
    done = run("self-check", "--certs", str(pki.dir / "bundle.pem"), "--config", str(config),
               "--logs", str(OTHER_CA_LOG), "--format", "html", "-o", str(out), "--redact")
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    page = out.read_text()
    assert 'class="diagnosis' in page and 'class="overview"' in page  # analyze's layout
    assert "REDACTED" in page and "acme" not in page.lower()
    assert "`" not in page.partition("<main>")[2]  # no literal backticks
    assert page.index('class="diagnosis') < page.index("<h2>Certificates</h2>")
    for cause in ("ca-chain-incomplete", "mutual-auth-not-enabled", "auth-user-null"):
        assert page.count(f'<code class="cause">{cause}</code>') <= 1, cause


def test_html_report_is_self_contained_and_escaped(pki, tmp_path):
    nasty = tmp_path / "<b>config<i>.xml"
    nasty.write_text(BASIC)
    done = run("self-check", "--certs", str(pki.dir / "bundle.pem"), "--config", str(nasty),
               "--format", "html")
    assert done.returncode == 1
    page = done.stdout
    assert page.startswith("<!DOCTYPE html>") and "<b>config<i>" not in page
    assert "&lt;b&gt;config&lt;i&gt;" in page
    assert "<script" not in page and "src=" not in page
    assert re.findall(r'href="([^#])', page) == []  # only links inside the page

    class Tags(html.parser.HTMLParser):
        sections = 0

        def handle_starttag(self, tag, attrs):
            Tags.sections += tag == "section"

    Tags().feed(page)
    assert Tags.sections >= 2


def test_probe_ca_names_cross_check(pki):
    from test_probe import LabServer

    covered = LabServer(pki, request_cert=True, ca_names=("int", "root"))
    other = LabServer(pki, request_cert=True, ca_names=("server",))
    try:
        ok = selfcheck.run(cert_files=[str(pki.dir / "bundle.pem")], instance=covered.url,
                           timeout=5)
        assert cross(ok) == [] and not ok.problems
        bad = selfcheck.run(cert_files=[str(pki.dir / "bundle.pem")], instance=other.url,
                            timeout=5)
        [hit] = cross(bad)
        assert f"(seen at {other.url})" in hit.detail
        assert "Missing CA: CN=Acme Lab Client Issuing CA 1" in hit.detail
    finally:
        covered.close()
        other.close()


def test_unreadable_inputs_are_problems_and_the_rest_still_runs(tmp_path):
    config = tmp_path / "config.xml"
    config.write_text(BASIC)
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"\x00garbage")
    done = run("self-check", "--certs", str(junk), "--config", str(config),
               "--logs", str(tmp_path / "absent"))
    assert done.returncode == 2
    assert "junk.pem" in done.stderr and "absent" in done.stderr
    assert "mutual-auth-not-enabled" in done.stdout  # the config was still checked
    assert "Traceback" not in done.stderr


def test_usage_errors_exit_2():
    assert run("self-check").returncode == 2
    assert run("self-check", "--format", "pdf", "--config", "x").returncode == 2


@pytest.mark.parametrize("command", ["certs", "config", "probe", "self-check"])
def test_help_documents_exit_codes(command):
    done = run(command, "--help")
    assert done.returncode == 0 and "Exit codes" in done.stdout
