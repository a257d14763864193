"""MID agent log (agent0.log.N) events.

Most lines below are typed by hand: the KB wordings ("MID Server encryption keys do not match",
"Invalid client_cert: Unable to load certificate", "Unable to validate the certificate from CA",
"Failed in client cert chain verification", "Could not authenticate user 'null'") exist only in
the ServiceNow KB article (``shared/kb/mid-server-mutual-authentication.txt``), not in any
captured log. The MIDSecPolicy, 'null' user and SSL exception lines are also checked on the
captured ``sample_logs/*/agent0.log.0``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from loganalyzer.errors import Location
from loganalyzer.ingest.sources import decode_line
from loganalyzer.jsse.events import AgentEvent, Thread
from loganalyzer.mid.agentlog import AGENT_LINE, AGENT_PREFILTER, parse_agent_lines


def parse(text: str, path: str = "agent0.log.0") -> list[AgentEvent]:
    return list(parse_agent_lines(path, enumerate(text.splitlines(), start=1)))


def parse_prefiltered(text: str, path: str = "agent0.log.0") -> list[AgentEvent]:
    """As the chunk scanner hands lines over: only those AGENT_PREFILTER selects."""
    raw = text.encode().split(b"\n")
    return list(parse_agent_lines(
        path, ((n, decode_line(x)) for n, x in enumerate(raw, start=1) if AGENT_PREFILTER.search(x))
    ))


def test_prefix_fields() -> None:
    line = ("08/23/21 13:46:49 (168) ECCQueueMonitor.1 DEBUG: MIDSecPolicy: hostname verification"
            " for host[instance.service-now.com] is true")
    [event] = parse(line)
    assert event.where == Location("agent0.log.0", 1)
    assert event.thread == Thread(jvm=0, name="ECCQueueMonitor.1")
    assert event.time == datetime(2021, 8, 23, 13, 46, 49, 168000)
    assert event.text == ("MIDSecPolicy: hostname verification for host[instance.service-now.com]"
                          " is true")
    assert event.kind == "midsecpolicy"
    assert event.detail == {"check": "hostname", "value": "true",
                            "host": "instance.service-now.com"}


def test_info_lines_have_no_level_word() -> None:
    m = AGENT_LINE.match("11/26/26 14:09:25 (405) StartupSequencer MIDServer starting")
    assert m is not None
    assert (m["thread"], m["level"], m["message"]) == ("StartupSequencer", None, "MIDServer starting")


@pytest.mark.parametrize(
    ("wording", "check"),
    [
        ("hostname verification", "hostname"),
        ("certificate chain check", "chain"),
        ("chain", "chain"),
        ("revocation check", "revocation"),
    ],
)
def test_midsecpolicy_wordings(wording: str, check: str) -> None:
    [event] = parse(f"08/23/21 13:46:49 (168) ECCSender.1 DEBUG: MIDSecPolicy: {wording} for "
                    "host[acme.service-now.com] is false")
    assert event.detail == {"check": check, "value": "false", "host": "acme.service-now.com"}


def test_midsecpolicy_without_a_verdict_is_not_an_event() -> None:
    assert parse("11/26/26 14:09:25 (613) ECCSender.1 MIDSecPolicy: downloaded MID security policy"
                 " for *.service-now.com; re-initializing SSLContext for host[x]") == []


def test_auth_user_null() -> None:
    [event] = parse("01/20/22 13:57:15 (567) StartupSequencer WARNING *** WARNING *** Could not "
                    "authenticate user 'null' on the ServiceNow instance")
    assert event.kind == "auth-user-null"
    assert event.thread.name == "StartupSequencer"
    assert event.text.startswith("*** WARNING *** Could not authenticate user 'null'")


@pytest.mark.parametrize(
    ("message", "kind", "detail"),
    [
        ("MID Server encryption keys do not match and are no longer valid. To restore proper "
         "functionality, invalidate and re-validate the MID Server", "encryption-keys-mismatch", {}),
        ("Invalid client_cert: Unable to load certificate mid-lab-01,pem", "invalid-client-cert",
         {"certificate": "mid-lab-01,pem"}),
        ("Unable to validate the certificate from CA", "unable-to-validate-ca", {}),
        ("Failed in client cert chain verification", "chain-verification-failed", {}),
        ("Certificate chain verification fail for incomplete certificate chain",
         "chain-verification-failed", {}),
        ("SOAPClient: HTTP/1.1 401 Unauthorized", "soap-401", {"status": "401"}),
        ("Error in SOAP request, status code: 401", "soap-401", {"status": "401"}),
    ],
)
def test_kb_wordings(message: str, kind: str, detail: dict[str, str]) -> None:
    events = parse(f"01/20/22 13:57:15 (567) ECCSender.1 SEVERE *** ERROR *** {message}")
    assert [(e.kind, e.detail) for e in events] == [(kind, detail)]


def test_milliseconds_of_401_are_not_a_401() -> None:
    assert parse("01/20/22 13:57:15 (401) ECCSender.1 Worker starting: Unauthorized count 0") == []
    assert parse("01/20/22 13:57:15 (401) ECCSender.1 Worker starting") == []


TRACE = """\
11/26/26 14:09:25 (613) ECCSender.1 DEBUG: MIDSecPolicy: revocation check for host[acme] is false
11/26/26 14:09:25 (628) ECCSender.1 Connecting to https://acme:46367/ (TLSv1.2, startup test)
11/26/26 14:09:25 (746) ECCSender.1 SEVERE *** ERROR *** javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target
javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target
\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)
\tat MidSim.connect(MidSim.java:200)
Caused by: sun.security.validator.ValidatorException: PKIX path building failed: x
\tat java.base/sun.security.validator.PKIXValidator.doBuild(PKIXValidator.java:439)
\t... 14 more
11/26/26 14:09:25 (747) StartupSequencer WARNING *** WARNING *** Could not authenticate user 'null' on the ServiceNow instance
11/26/26 14:09:25 (748) StartupSequencer MIDServer stopping
\tat not.part.of.anything(X.java:1)
"""


def test_exception_with_its_stack() -> None:
    events = parse(TRACE)
    assert [e.kind for e in events] == ["midsecpolicy", "ssl-exception", "auth-user-null"]
    ssl = events[1]
    assert ssl.where.line == 3
    assert ssl.detail["exception"] == "javax.net.ssl.SSLHandshakeException"
    assert ssl.detail["message"].startswith("PKIX path building failed")
    assert len(ssl.stack) == 6
    assert ssl.stack[0].startswith("javax.net.ssl.SSLHandshakeException: PKIX")
    assert ssl.stack[3].startswith("Caused by: sun.security.validator.ValidatorException")
    assert ssl.stack[-1] == "\t... 14 more"
    assert events[2].stack == ()  # a stack line after an unrelated record joins nothing


def test_prefiltered_lines_give_the_same_events() -> None:
    assert parse_prefiltered(TRACE) == parse(TRACE)


def test_bare_exception_line_takes_thread_and_time_of_the_line_above() -> None:
    text = """\
11/26/26 14:09:25 (746) ECCSender.1 SEVERE *** ERROR *** Failed to send
javax.net.ssl.SSLHandshakeException: Received fatal alert: bad_certificate
\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)
"""
    [event] = parse(text)
    assert event.kind == "ssl-exception"
    assert event.where.line == 2
    assert event.thread.name == "ECCSender.1"
    assert event.time == datetime(2026, 11, 26, 14, 9, 25, 746000)
    assert event.detail == {"exception": "javax.net.ssl.SSLHandshakeException",
                            "message": "Received fatal alert: bad_certificate"}
    assert event.stack == ("\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)",)
    assert parse_prefiltered(text) == [event]


def test_ssl_wording_without_class_name() -> None:
    [event] = parse("11/26/26 14:09:25 (746) ECCSender.1 SEVERE Handshake: No subject alternative "
                    "DNS name matching acme found.")
    assert event.kind == "ssl-exception"
    assert event.detail == {"exception": "", "message": "No subject alternative DNS name matching "
                                                        "acme found."}


def test_ordinary_lines_give_no_events() -> None:
    assert parse("11/26/26 14:09:25 (405) StartupSequencer MIDServer starting\n"
                 "11/26/26 14:09:25 (446) StartupSequencer DEBUG: javax.net.debug=ssl\n") == []


SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"


def _agent_samples() -> list[Path]:
    return sorted(p for p in SAMPLES.glob("*/agent0.log.0") if (p.parent / "expected.json").is_file())


@pytest.mark.parametrize("path", _agent_samples(), ids=lambda p: p.parent.name)
def test_sample_agent_logs(path: Path) -> None:
    raw = path.read_bytes().split(b"\n")
    every = list(parse_agent_lines(str(path), ((n, decode_line(x)) for n, x in enumerate(raw, 1))))
    selected = list(parse_agent_lines(
        str(path), ((n, decode_line(x)) for n, x in enumerate(raw, 1) if AGENT_PREFILTER.search(x))
    ))
    assert selected == every
    # Each MIDSecPolicy verdict line becomes one event with a known check.
    verdicts = [x for x in raw if b"MIDSecPolicy:" in x and (x.endswith(b" true") or
                                                              x.endswith(b" false"))]
    policy = [e for e in every if e.kind == "midsecpolicy"]
    assert len(policy) == len(verdicts)
    assert {e.detail["check"] for e in policy} <= {"hostname", "chain", "revocation"}
    # Every SEVERE javax.net.ssl line becomes an ssl-exception carrying its stack trace.
    severe = [x for x in raw if b" SEVERE " in x and b"javax.net.ssl." in x]
    ssl = [e for e in every if e.kind == "ssl-exception"]
    assert len(ssl) == len(severe)
    assert all(e.stack and e.stack[0].startswith("javax.net.ssl.") for e in ssl)
    expected = json.loads((path.parent / "expected.json").read_text())
    nulls = [e for e in every if e.kind == "auth-user-null"]
    assert len(nulls) == sum(1 for x in raw if b"Could not authenticate user 'null'" in x)
    assert all(e.thread.jvm == 0 for e in every)
    assert expected["name"] == path.parent.name
