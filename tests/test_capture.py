"""Checks of the real-data sample logs (sample_logs/) and of the capture harness (tools/capture/).

The first group always runs and needs no Java: it checks the committed captures against the
acceptance points of the capture issue.  The test marked ``capture`` re-runs the harness for two
scenarios on the system JDK into a temporary folder (skipped when java, openssl or the Tanuki
wrapper are missing).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
CAPTURE = ROOT / "tools" / "capture"

sys.path.insert(0, str(CAPTURE))
import serverlog  # noqa: E402  (stdlib only)

LAYOUT_RE = {
    "LPTM": r"^(INFO|STATUS|WARN|ERROR|FATAL|DEBUG) +\| (jvm \d+|wrapper) +\| \d{4}/\d\d/\d\d \d\d:\d\d:\d\d \| ",
    "PTM": r"^(jvm \d+|wrapper) +\| \d{4}/\d\d/\d\d \d\d:\d\d:\d\d \| ",
    "TM": r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \| ",
    "LPZTM": r"^(INFO|STATUS|WARN|ERROR|FATAL|DEBUG) +\| (jvm \d+|wrapper) +\| \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{3} \| "
             r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \| ",
    "LPZM": r"^(INFO|STATUS|WARN|ERROR|FATAL|DEBUG) +\| (jvm \d+|wrapper) +\| \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{3} \| ",
    # D: the wrapper thread that logged the line; U: seconds since the wrapper started
    "LPDTM": r"^(INFO|STATUS|WARN|ERROR|FATAL|DEBUG) +\| (jvm \d+|wrapper) +\| (main|javaio|timer) +\| "
             r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \| ",
    "LPUTM": r"^(INFO|STATUS|WARN|ERROR|FATAL|DEBUG) +\| (jvm \d+|wrapper) +\| +\d+ \| \d{4}/\d\d/\d\d \d\d:\d\d:\d\d \| ",
}
NO_HANDSHAKE = 20  # wrong javax.net.ssl.keyStorePassword: the default SSLContext cannot be built
RECORD_RE = re.compile(r"javax\.net\.ssl\|[A-Z]+\|[0-9A-F ]+\|([^|]+)\|\d{4}-\d\d-\d\d ")


def _folders() -> list[Path]:
    return sorted(d for d in SAMPLES.iterdir() if d.is_dir())


def _expected() -> list[dict]:
    return [json.loads((d / "expected.json").read_text()) for d in _folders() if (d / "expected.json").is_file()]


def _wrapper_files(name: str) -> list[Path]:
    """wrapper.log, or a rotated set (wrapper.log.N ... wrapper.log, wrapper.YYYYMMDD.log), oldest first."""
    import readme  # tools/capture/readme.py (stdlib only)

    return readme.wrapper_files(SAMPLES / name)


def _log(name: str) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in _wrapper_files(name))


pytestmark = pytest.mark.skipif(not SAMPLES.is_dir() or not any(SAMPLES.iterdir()),
                                reason="no captured sample logs")


# ------------------------------------------------------------------------------- structure


def test_every_folder_has_its_files() -> None:
    for d in _folders():
        for f in ("server.out", "expected.json", "agent0.log.0"):
            assert (d / f).is_file(), f"{d.name}: missing {f}"
        assert _wrapper_files(d.name), f"{d.name}: no wrapper log"
        exp = json.loads((d / "expected.json").read_text())
        assert exp["name"] == d.name


def test_expected_json_has_the_required_fields() -> None:
    keys = {"name", "scenario_id", "jdk", "tls_version_requested", "javax_net_debug", "wrapper_layout", "tz",
            "instance_host", "server_ca_names_configured", "connections", "client_final_outcome"}
    conn_keys = {"client_thread", "server_requested_client_cert", "server_received_client_cert",
                 "received_cert_subject", "server_verify_result", "handshake_completed", "client_outcome"}
    for exp in _expected():
        assert keys <= exp.keys(), exp["name"]
        if exp["scenario_id"] == NO_HANDSHAKE:  # by design no ClientHello reaches the server
            assert exp["connections"] == [] and exp["client_attempts_not_seen_by_server"], exp["name"]
        else:
            assert exp["connections"], exp["name"]
        for c in exp["connections"]:
            assert conn_keys <= c.keys(), exp["name"]
            assert c["client_thread"], exp["name"]


def test_readme_lists_every_folder() -> None:
    readme = (SAMPLES / "README.md").read_text()
    assert "python3 tools/capture/capture.py" in readme
    for d in _folders():
        assert f"`{d.name}`" in readme, d.name


def test_the_jdk_version_is_the_one_the_jvm_reported() -> None:
    for exp in _expected():
        assert re.fullmatch(r"\d+(\.\d+)*", exp["jdk"]), exp["name"]
        assert exp["jdk"].split(".")[0] == str(exp["jdk_major"]), exp["name"]
        # the agent log keeps the start lines a size-rotated wrapper.log may have rolled away
        agent = (SAMPLES / exp["name"] / "agent0.log.0").read_text(encoding="utf-8", errors="replace")
        assert f"(Java {exp['jdk']}," in _log(exp["name"]) + agent, exp["name"]


def test_expected_json_agrees_with_a_fresh_parse_of_server_out() -> None:
    for exp in _expected():
        text = (SAMPLES / exp["name"] / "server.out").read_text(encoding="utf-8", errors="replace")
        runs = re.split(r"^##### s_server run \d+ of \d+.*\n", text, flags=re.M)[1:]
        parsed = [c for run in runs for c in serverlog.parse_server_output(run)]
        assert len(parsed) == len(exp["connections"]), exp["name"]
        for p, c in zip(parsed, exp["connections"]):
            for k in ("server_requested_client_cert", "server_received_client_cert", "received_cert_subject",
                      "handshake_completed", "alerts_sent_by_server", "ca_names_sent"):
                assert p[k] == c[k], (exp["name"], k)


# ------------------------------------------------------------------------------- coverage


def test_every_scenario_1_to_11_on_at_least_two_jdks() -> None:
    jdks = defaultdict(set)
    for exp in _expected():
        jdks[exp["scenario_id"]].add(exp["jdk_major"])
    for sid in range(1, 12):
        assert len(jdks[sid]) >= 2, f"scenario {sid}: {sorted(jdks[sid])}"


def test_extra_scenarios_exist() -> None:
    exps = _expected()
    assert any(e["scenario_id"] == 12 and e["javax_net_debug"] == "ssl" and e["jdk_major"] in (11, 17, 21)
               for e in exps)
    assert any(e["scenario_id"] == 13 and e["javax_net_debug"] is None for e in exps)


def test_tls12_and_tls13_both_negotiated() -> None:
    versions = {v for e in _expected() for v in e["tls_versions_negotiated"]}
    assert {"TLSv1.2", "TLSv1.3"} <= versions


def test_at_least_three_wrapper_layouts() -> None:
    layouts = {e["wrapper_layout"] for e in _expected()}
    assert len(layouts) >= 3, layouts


def test_debug_options_are_spread() -> None:
    debug = {e["javax_net_debug"] for e in _expected()}
    assert {"all", "ssl,handshake", "ssl:handshake:verbose", "ssl", None} <= debug


def test_wrapper_lines_follow_the_declared_layout() -> None:
    for exp in _expected():
        layout = exp["wrapper_layout"]
        lines = [x for x in _log(exp["name"]).splitlines() if x]
        if layout == "M":
            assert not any(re.match(LAYOUT_RE["TM"], x) or re.match(LAYOUT_RE["PTM"], x) for x in lines[:50])
            assert any(x.startswith("javax.net.ssl|") or "MIDServer starting" in x for x in lines)
            continue
        rx = re.compile(LAYOUT_RE[layout])
        bad = [x for x in lines if not rx.match(x)]
        assert not bad, (exp["name"], bad[:3])


def test_a_log_holds_a_jvm_restart() -> None:
    found = [e["name"] for e in _expected()
             if re.search(r"\| jvm 1 +\|", _log(e["name"])) and re.search(r"\| jvm 2 +\|", _log(e["name"]))]
    assert found


def _alternations(text: str) -> tuple[int, set[str]]:
    seq: list[str] = []
    for m in RECORD_RE.finditer(text):
        if not seq or seq[-1] != m.group(1):
            seq.append(m.group(1))
    return len(seq), set(seq)


def test_a_log_has_two_threads_handshaking_at_the_same_time() -> None:
    found = []
    for exp in _expected():
        switches, threads = _alternations(_log(exp["name"]))
        if {"ECCSender.1", "ECCSender.2"} <= threads and switches >= 4:
            # both threads produced a ClientHello before either finished
            text = _log(exp["name"])
            hello = [m.start() for m in re.finditer(r"\|ECCSender\.[12]\|[^|]+\|[^|]+\|Produced ClientHello", text)]
            ends = [m.start() for m in re.finditer(r"\|ECCSender\.[12]\|[^|]+\|[^|]+\|(Fatal \(|close the underlying socket|"
                                                   r"Consuming server Finished|Consuming Finished)", text)]
            if len(hello) >= 2 and ends and hello[1] < min(ends):
                found.append(exp["name"])
    assert found


def test_sizes_are_reasonable() -> None:
    sizes = {d.name: sum(p.stat().st_size for p in _wrapper_files(d.name)) for d in _folders()}
    small = [n for n, s in sizes.items() if s < 150 * 1024]
    assert len(small) >= 0.8 * len(sizes), sizes
    assert max(sizes.values()) < 400 * 1024, sizes


# ------------------------------------------------------------------------------- what happened


def _by_scenario(sid: int) -> list[dict]:
    return [e for e in _expected() if e["scenario_id"] == sid or sid in e.get("also_scenarios", [])]


def test_success_logs_completed_with_the_good_certificate() -> None:
    for e in [x for x in _expected() if x["scenario_id"] == 1]:
        ok = [c for c in e["connections"] if c["handshake_completed"] and c["server_received_client_cert"]]
        assert ok, e["name"]
        leaf = re.search(r"leaf (mid-lab-\S+)", e["client_keystore"]).group(1)  # mid-lab-01, mid-lab-zürich
        assert leaf in ok[0]["received_cert_subject"], e["name"]
        assert ok[0]["ca_names_sent"] == e["servers"][0]["ca_names_configured"]
        assert "Consuming CertificateRequest" in _log(e["name"])


def test_no_request_logs_have_no_certificate_request() -> None:
    for e in _by_scenario(2):
        c = e["connections"][0]
        assert not c["server_requested_client_cert"] and c["handshake_completed"], e["name"]
        assert "Consuming CertificateRequest" not in _log(e["name"])
        assert "Could not authenticate user 'null'" in (SAMPLES / e["name"] / "agent0.log.0").read_text()


def test_ca_mismatch_and_missing_key_send_an_empty_certificate() -> None:
    for sid in (4, 5):
        for e in [x for x in _expected() if x["scenario_id"] == sid]:
            c = [c for c in e["connections"] if c["handshake_completed"] is False][-1]
            assert c["server_requested_client_cert"] and c["client_certificate_message"], e["name"]
            assert not c["server_received_client_cert"], e["name"]
            assert c["client_outcome"]["result"] == "exception"


def test_rejected_certificates_reach_the_server() -> None:
    expect = {6: "unsuitable certificate purpose", 8: "certificate has expired"}
    for sid, text in expect.items():
        for e in _by_scenario(sid):
            c = e["connections"][0]
            assert c["server_received_client_cert"], e["name"]
            assert text in (c["server_verify_result"] or ""), e["name"]
            assert not c["handshake_completed"]


def test_untrusted_client_ca_is_rejected_by_the_server() -> None:
    for e in _by_scenario(15):
        c = e["connections"][0]
        assert c["server_received_client_cert"] and c["server_verify_result"] != "ok", e["name"]
        assert "fatal unknown_ca" in c["alerts_sent_by_server"], e["name"]


def test_client_side_server_certificate_failures() -> None:
    for sid, text in {9: "PKIX path building failed", 10: "No subject alternative DNS name matching acme-lab",
                      14: "revocation"}.items():
        for e in _by_scenario(sid):
            c = e["connections"][0]
            assert text in (c["client_outcome"]["exception_message"] or ""), e["name"]
            assert any("certificate_unknown" in a for a in c["alerts_received_by_server"]), e["name"]


def test_policy_logs_send_the_certificate_first_and_not_later() -> None:
    for e in _by_scenario(11):
        got = [c["server_received_client_cert"] for c in e["connections"]]
        assert got[0] and not got[-1], (e["name"], got)
        assert got == sorted(got, reverse=True), got
        threads = {c["client_thread"] for c in e["connections"]}
        assert threads == {"ECCSender.1"} and e["jvm_count"] == 1


def test_debug_ssl_only_prints_almost_nothing_on_buggy_jdks() -> None:
    for e in [x for x in _expected() if x["javax_net_debug"] == "ssl"]:
        log = _log(e["name"])
        if e["jdk_major"] in (11, 17, 21):
            assert "Consuming CertificateRequest" not in log, e["name"]
            assert "Received alert message" in log or "Fatal (" in log, e["name"]
        else:
            assert "Consuming CertificateRequest" in log, e["name"]


def test_no_debug_logs_hold_only_the_application_exception() -> None:
    for e in [x for x in _expected() if x["javax_net_debug"] is None]:
        log = _log(e["name"])
        assert "javax.net.ssl|" not in log
        assert e["client_final_outcome"]["exception_class"] in log


def _default_context() -> list[dict]:
    """Captures whose client used the JVM's default SSLContext (javax.net.ssl.* system properties)."""
    return [e for e in _expected() if (e.get("ssl_context") or "").startswith("the JVM default (SSLContext.getDefault())")]


def _sets_keystore(exp: dict) -> bool:
    return any(p.startswith("-Djavax.net.ssl.keyStore=") for p in exp["javax_net_ssl_properties"])


KEYSTORE_IS = re.compile(r"\|keyStore is :(.*)$", re.M)


def test_default_sslcontext_with_and_without_a_keystore_on_four_jdks() -> None:
    exps = _default_context()
    assert {e["jdk_major"] for e in exps if _sets_keystore(e)} >= {11, 17, 21, 25}
    assert {e["jdk_major"] for e in exps if not _sets_keystore(e)} >= {11, 17, 21, 25}
    empty_paths = 0
    for e in exps:
        assert any(p.startswith("-Djavax.net.ssl.trustStore=") for p in e["javax_net_ssl_properties"]), e["name"]
        c = e["connections"][0]
        assert c["server_requested_client_cert"], e["name"]
        log = _log(e["name"])
        if _sets_keystore(e):
            assert e["scenario_id"] == 1 and c["handshake_completed"], e["name"]
            assert "mid-lab-01" in c["received_cert_subject"], e["name"]
        else:
            assert e["scenario_id"] == 16, e["name"]
            assert c["client_certificate_message"] and not c["server_received_client_cert"], e["name"]
            assert not c["handshake_completed"] and c["client_outcome"]["result"] == "exception", e["name"]
            assert "found key for" not in log, e["name"]
        # the default context names its key store when the defaultctx output is on
        # ("all"; on JDK 25 "ssl" alone too, JDK-8350582); an unset javax.net.ssl.keyStore prints nothing after ':'
        found = KEYSTORE_IS.findall(log)
        if e["javax_net_debug"] == "all" or e["jdk_major"] >= 25:
            assert found, e["name"]
        for path in found:
            assert bool(path.strip()) is _sets_keystore(e), (e["name"], path)
            empty_paths += not path.strip()
    assert empty_paths >= 2


# ------------------------------------------------------------------------------- issue 11 set-ups


def _setup_jdks(pred) -> set[int]:
    return {e["jdk_major"] for e in _expected() if pred(e)}


def test_issue11_setups_on_two_jdks_or_more() -> None:
    setups = {
        "long CA list": lambda e: len(e["server_ca_names_configured"] or []) >= 60,
        "size rotation": lambda e: (e.get("wrapper_rotation") or "").startswith("SIZE"),
        "rollmode DATE": lambda e: (e.get("wrapper_rotation") or "").startswith("DATE"),
        "layout LPDTM": lambda e: e["wrapper_layout"] == "LPDTM",
        "layout LPUTM": lambda e: e["wrapper_layout"] == "LPUTM",
        "debug ssl:keymanager": lambda e: e["javax_net_debug"] == "ssl:keymanager",
        "debug ssl:trustmanager": lambda e: e["javax_net_debug"] == "ssl:trustmanager",
        "cp1252 wrapper": lambda e: (e.get("process_locale") or "").startswith("de_CH.CP1252"),
        "commons-httpclient 3.1": lambda e: (e.get("http_client") or "").startswith("Apache commons-httpclient 3.1"),
    }
    for what, pred in setups.items():
        assert len(_setup_jdks(pred)) >= 2, (what, _setup_jdks(pred))


def test_long_ca_lists_carry_escaped_quoted_and_non_ascii_names() -> None:
    for e in [x for x in _expected() if len(x["server_ca_names_configured"] or []) >= 60]:
        c = e["connections"][0]
        assert c["ca_names_sent"] == e["server_ca_names_configured"], e["name"]
        names = " ".join(c["ca_names_sent"])
        assert "Zürich" in names and '\\"Quoted\\"' in names and "Sales, EMEA" in names, e["name"]
        chain = any("Acme Lab Client Issuing CA 1" in n for n in c["ca_names_sent"])
        assert c["server_received_client_cert"] is chain, e["name"]


def test_size_rotation_rolled_the_banner_away_and_cuts_the_handshake() -> None:
    for e in [x for x in _expected() if (x.get("wrapper_rotation") or "").startswith("SIZE")]:
        files = _wrapper_files(e["name"])
        assert [f.name for f in files][-2:] == ["wrapper.log.1", "wrapper.log"], e["name"]
        assert "Java Service Wrapper" not in _log(e["name"]) and "ClientHello" in _log(e["name"]), e["name"]
        for f in files[-2:]:
            assert "javax.net.ssl|" in f.read_text(errors="replace"), (e["name"], f.name)
        assert e["wrapper_logfiles"] == [f.name for f in files]


def test_cp1252_wrapper_logs_mix_cp1252_and_utf8() -> None:
    for e in [x for x in _expected() if (x.get("process_locale") or "").startswith("de_CH.CP1252")]:
        data = b"".join(p.read_bytes() for p in _wrapper_files(e["name"]))
        assert "Zürich".encode("utf-8") in data, e["name"]  # JSSE's debug logger
        assert "Zürich".encode("cp1252") in data, e["name"]  # the application's own lines (stdout charset)
        assert "L=Zürich" in e["connections"][0]["received_cert_subject"], e["name"]


def test_httpclient3_captures_go_through_commons_httpclient() -> None:
    exps = [x for x in _expected() if (x.get("http_client") or "").startswith("Apache commons-httpclient 3.1")]
    assert {e["scenario_id"] for e in exps} >= {1, 4}
    for e in exps:
        log = _log(e["name"])
        assert "commons-httpclient 3.1)" in log, e["name"]  # MidSim's "Connecting to" line
        assert "org.apache.commons.httpclient." in log, e["name"]  # HttpClient's own log lines or frames
        c = e["connections"][0]
        if not c["handshake_completed"]:
            assert "at org.apache.commons.httpclient.HttpMethodDirector.executeMethod" in log, e["name"]
        assert c["handshake_completed"] is (e["scenario_id"] == 1), e["name"]


def test_rollmode_date_names_the_file_by_date() -> None:
    for e in [x for x in _expected() if (x.get("wrapper_rotation") or "").startswith("DATE")]:
        assert [re.fullmatch(r"wrapper\.\d{8}\.log", n) is not None for n in e["wrapper_logfiles"]] == [True]


# ------------------------------------------------------------------------------- issue 13 failure modes


def _jdks(sid: int) -> set[int]:
    return {e["jdk_major"] for e in _expected() if e["scenario_id"] == sid}


def test_issue13_failure_modes_on_two_jdks_or_more() -> None:
    for sid in range(17, 23):
        assert len(_jdks(sid)) >= 2, (sid, _jdks(sid))


def test_revoked_and_not_yet_valid_certificates_are_rejected_by_the_server() -> None:
    for sid, verify, alert in ((17, "certificate revoked", "certificate_revoked"),
                               (18, "certificate is not yet valid", "bad_certificate")):
        for e in [x for x in _expected() if x["scenario_id"] == sid]:
            c = e["connections"][0]
            assert c["server_received_client_cert"] and verify in (c["server_verify_result"] or ""), e["name"]
            assert f"fatal {alert}" in c["alerts_sent_by_server"] and not c["handshake_completed"], e["name"]


def test_ec_key_is_not_offered_to_an_rsa_only_request() -> None:
    for e in [x for x in _expected() if x["scenario_id"] == 19]:
        c = e["connections"][0]
        # the CA names cover the chain: only the key type keeps the certificate back
        assert c["ca_names_sent"] == e["servers"][0]["ca_names_configured"], e["name"]
        assert c["client_certificate_message"] and not c["server_received_client_cert"], e["name"]
        assert re.search(r"No X\.509 cert selected for \[?RSA\]?", _log(e["name"])), e["name"]


def test_wrong_keystore_password_makes_no_handshake() -> None:
    for e in [x for x in _expected() if x["scenario_id"] == NO_HANDSHAKE]:
        assert e["connections"] == [] and e["servers"][0]["tcp_accepts_before_first_client_hello"] == 1
        out = e["client_final_outcome"]
        assert out["exception_class"] == "java.net.SocketException", e["name"]
        assert "DefaultSSLContext" in out["exception_message"], e["name"]
        assert "keystore password was incorrect" in _log(e["name"]), e["name"]
        assert "javax.net.ssl.keyStorePassword=wrong-password" in " ".join(e["javax_net_ssl_properties"])


def test_two_keys_send_the_expired_alias() -> None:
    for e in [x for x in _expected() if x["scenario_id"] == 21]:
        c = e["connections"][0]
        assert "mid-lab-2024" in c["received_cert_subject"], e["name"]
        assert "certificate has expired" in c["server_verify_result"], e["name"]
        aliases = re.findall(r"matching alias: (\S+)", _log(e["name"]))  # keymanager output (JDK 25 here)
        assert not aliases or aliases[0] == "mid-2024", (e["name"], aliases)


def test_inspecting_proxy_sends_no_certificate_request() -> None:
    for e in [x for x in _expected() if x["scenario_id"] == 22]:
        c = e["connections"][0]
        assert not c["server_requested_client_cert"], e["name"]
        assert "Inspection CA" in e["server_cert"], e["name"]
        trusted = "Inspection" in e["client_truststore"]
        assert c["handshake_completed"] is trusted, e["name"]
        if not trusted:
            assert "PKIX path building failed" in c["client_outcome"]["exception_message"], e["name"]


# ------------------------------------------------------------------------------- re-run the harness


def _tools_missing() -> str | None:
    for tool in ("java", "javac", "openssl", "stdbuf"):
        if not shutil.which(tool):
            return tool
    if not Path("/usr/sbin/wrapper").exists() or not Path("/usr/share/java/wrapper.jar").exists():
        return "Tanuki wrapper"
    return None


def _capture(out: Path, *names: str) -> None:
    """Run the real harness for ``names`` into ``out``; it must succeed."""
    cmd = [sys.executable, str(CAPTURE / "capture.py"), "--out", str(out)]
    for name in names:
        cmd += ["--only", name]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                         env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.capture
@pytest.mark.slow
@pytest.mark.skipif(_tools_missing() is not None, reason=f"needs {_tools_missing()}")
def test_harness_reproduces_two_scenarios(tmp_path: Path) -> None:
    names = ["jdk17-tls12-success-lptm", "jdk17-tls12-no-private-key-m"]
    _capture(tmp_path, *names)

    ok = json.loads((tmp_path / names[0] / "expected.json").read_text())
    assert ok["jdk_major"] == 17 and ok["tls_versions_negotiated"] == ["TLSv1.2"]
    c = ok["connections"][0]
    assert c["server_requested_client_cert"] and c["server_received_client_cert"] and c["handshake_completed"]
    assert "mid-lab-01" in c["received_cert_subject"]
    log = (tmp_path / names[0] / "wrapper.log").read_text()
    assert "Produced client Certificate handshake message" in log and "matching alias: mid" in log

    bad = json.loads((tmp_path / names[1] / "expected.json").read_text())
    c = bad["connections"][0]
    assert c["server_requested_client_cert"] and not c["server_received_client_cert"]
    assert not c["handshake_completed"] and c["client_outcome"]["result"] == "exception"
    log = (tmp_path / names[1] / "wrapper.log").read_text()
    assert "No X.509 certificate for client authentication, use empty Certificate message instead" in log
    assert "Could not authenticate user 'null'" in (tmp_path / names[1] / "agent0.log.0").read_text()
    assert (tmp_path / "README.md").is_file()


@pytest.mark.capture
@pytest.mark.slow
@pytest.mark.skipif(_tools_missing() is not None, reason=f"needs {_tools_missing()}")
def test_harness_reproduces_the_default_sslcontext_without_a_keystore(tmp_path: Path) -> None:
    name = "jdk17-tls13-default-ctx-no-keystore-ptm"
    _capture(tmp_path, name)
    exp = json.loads((tmp_path / name / "expected.json").read_text())
    assert not _sets_keystore(exp) and exp["scenario_id"] == 16
    c = exp["connections"][0]
    assert c["server_requested_client_cert"] and c["client_certificate_message"]
    assert not c["server_received_client_cert"] and not c["handshake_completed"]
    log = (tmp_path / name / "wrapper.log").read_text()
    assert [p.strip() for p in KEYSTORE_IS.findall(log)] == [""]
    assert "No available client authentication scheme" in log


@pytest.mark.capture
@pytest.mark.slow
@pytest.mark.skipif(_tools_missing() is not None, reason=f"needs {_tools_missing()}")
def test_harness_reproduces_a_revoked_certificate_and_a_wrong_keystore_password(tmp_path: Path) -> None:
    names = ["jdk17-tls12-revoked-tm", "jdk17-tls13-wrong-keystore-password-tm"]
    _capture(tmp_path, *names)

    revoked = json.loads((tmp_path / names[0] / "expected.json").read_text())
    c = revoked["connections"][0]
    assert "mid-lab-revoked" in c["received_cert_subject"] and "fatal certificate_revoked" in c["alerts_sent_by_server"]
    assert "-crl_check" in revoked["servers"][0]["args"]

    wrong = json.loads((tmp_path / names[1] / "expected.json").read_text())
    assert wrong["connections"] == [] and wrong["servers"][0]["tcp_accepts_before_first_client_hello"] == 1
    assert wrong["client_final_outcome"]["exception_class"] == "java.net.SocketException"
    assert "keystore password was incorrect" in (tmp_path / names[1] / "wrapper.log").read_text()
