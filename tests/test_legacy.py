"""The JDK 8 (era A) reader: record cutting, the grammar, and the events, on real excerpts.

The fixtures in ``tests/fixtures/jdk8/`` are verbatim public JDK 8 debug output (sources in
that folder's README). Constructs for which no public excerpt was found (a client's own
``<Empty>`` chain after the "no suitable certificate" warning, SNI, a ``found key for`` dump,
the PKIX key-manager lines, the Finished pair) are tested on small inline blocks rebuilt from
the 8u252 format strings quoted in ``jsse-debug-formats.md``; those tests say so.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from lark import Lark

from loganalyzer.errors import Location
from loganalyzer.ingest.records import Line, Record
from loganalyzer.jsse import events as ev
from loganalyzer.jsse.grammars import grammar_text, parser
from loganalyzer.jsse.legacy import LegacyDialect, LegacyTransformer, normalise_serial, parse_date

FIXTURES = Path(__file__).parent / "fixtures" / "jdk8"
WRAPPER = re.compile(r"^(?P<level>\w+) +\| jvm (?P<jvm>\d+) +\| [\d/]+ [\d:]+ \| ")


def cut_records(dialect: LegacyDialect, lines: list[str], path: str = "x.log") -> list[Record]:
    """What the scanner does with a dialect: open records, feed bodies, honour stop/cut/close."""
    records: list[Record] = []
    open_record: Record | None = None
    body: list[str] = []
    parsed = []
    for lineno, raw in enumerate(lines, 1):
        m = WRAPPER.match(raw)
        parsed.append(
            Line(lineno, raw[m.end() :] if m else raw, int(m.group("jvm")) if m else 0, None)
        )
    i = 0
    while i < len(parsed):
        line = parsed[i]
        if open_record is not None:
            verdict = dialect.ends(_with_body(open_record, body), line)
            if verdict == "body":
                body.append(line.message)
                i += 1
                continue
            end = line.lineno if verdict == "close" else (line.lineno - 1)
            records.append(_finish(open_record, body, end, truncated=verdict == "cut"))
            open_record, body = None, []
            if verdict == "close":
                i += 1
            continue
        record = dialect.open_record(line, path)
        if record is not None and dialect.wants_body(record):
            open_record = record
        elif record is not None:
            records.append(record)
        i += 1
    if open_record is not None:
        records.append(_finish(open_record, body, len(parsed), truncated=True))
    return records


def _with_body(record: Record, body: list[str]) -> Record:
    return Record(
        **{**{f: getattr(record, f) for f in record.__dataclass_fields__}, "body": tuple(body)}
    )


def _finish(record: Record, body: list[str], end: int, truncated: bool) -> Record:
    fields = {f: getattr(record, f) for f in record.__dataclass_fields__}
    return Record(**{**fields, "body": tuple(body), "end_line": end, "truncated": truncated})


def read(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").splitlines()


def run(lines: list[str]) -> tuple[LegacyDialect, list[Record], list[ev.Event]]:
    dialect = LegacyDialect()
    records = cut_records(dialect, lines)
    return dialect, records, dialect.interpret(records)


def of(events: list[ev.Event], kind: type) -> list:
    return [e for e in events if type(e) is kind]


# ----------------------------------------------------------------------------- the grammar


def test_grammar_builds_strict():
    strict = Lark(grammar_text("jsse_legacy"), parser="lalr", lexer="contextual", strict=True)
    assert strict.parse("*** Certificate chain\n<Empty>\n***\n")


def test_grammar_loader_builds_strict():
    assert parser("jsse_legacy", LegacyTransformer, strict=True)


def test_dates_are_naive_local_time():
    assert parse_date("Sat Feb 24 20:01:19 CET 2018") == datetime(2018, 2, 24, 20, 1, 19)
    assert parse_date("Fri May 25 21:01:19 CEST 2018") == datetime(2018, 5, 25, 21, 1, 19)
    assert parse_date("not a date") is None


def test_serials_lose_separators_and_leading_zeros():
    assert normalise_serial("[    01b14081]") == "1b14081"
    assert normalise_serial("[    b35b9c57 9fcb8e4e]") == "b35b9c579fcb8e4e"
    assert normalise_serial("[   -54f8b714 7adeb6f6]") == "-54f8b7147adeb6f6"


def test_prefilter_finds_openers_behind_a_wrapper_prefix():
    chunk = (
        b"INFO   | jvm 1    | 2026/11/26 18:37:33 | *** CertificateRequest\n"
        b"INFO   | jvm 1    | 2026/11/26 18:37:33 | Cert Types: RSA, DSS, ECDSA\n"
        b"INFO   | jvm 1    | 2026/11/26 18:37:34 | "
        b"ECCSender.1, RECV TLSv1.2 ALERT:  fatal, bad_certificate\n"
    )
    hits = [m.group(0) for m in LegacyDialect.prefilter.finditer(chunk)]
    assert hits == [b"*** Certificate", b", RECV TLSv1.2 ALERT: "]


# ----------------------------------------------------------------------------- real excerpts


def test_maxant_server_side_handshake():
    dialect, _, events = run(read("maxant_middle_server_certificate_unknown.log"))
    assert dialect.problems == []

    (hello,) = of(events, ev.ClientHello)
    assert hello.sni is None  # that ClientHello carried no server_name extension
    assert hello.thread == ev.Thread(0, "Thread-2")  # from "Thread-2, READ: …" just above
    assert hello.where == Location("x.log", 2)

    (server_hello,) = of(events, ev.ServerHello)
    assert (server_hello.version, server_hello.cipher) == (
        "TLSv1.2",
        "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256",
    )

    chosen = [(s.outcome, s.alias) for s in of(events, ev.KeySelection)]
    assert chosen == [("chosen", "middle-server"), ("chosen", "middle-client")]

    (certificate,) = of(events, ev.ServerCertificate)
    leaf, ca = certificate.chain
    assert leaf.subject == "CN=tech-user-middle, OU=IT, O=maxant, C=CH"
    assert leaf.issuer == "CN=maxant ca, OU=IT, O=maxant, C=CH"
    assert leaf.serial == "1b14081"
    assert leaf.eku == ("clientAuth",)
    assert leaf.allows_client_auth is True
    assert leaf.key_usage == ("DigitalSignature", "Key_Encipherment")
    assert leaf.not_before == datetime(2018, 2, 24, 20, 1, 19)
    assert leaf.not_after == datetime(2018, 5, 25, 21, 1, 19)
    assert leaf.is_ca is None
    assert (ca.subject, ca.issuer, ca.is_ca, ca.eku) == (
        "CN=maxant ca, OU=IT, O=maxant, C=CH",
        "CN=maxant root, OU=IT, O=maxant, C=CH",
        True,
        (),
    )

    (request,) = of(events, ev.CertificateRequest)
    assert request.ca_names == ("CN=maxant ca, OU=IT, O=maxant, C=CH",)
    assert (request.ca_state, request.ca_split, request.raw_ca_text) == ("listed", "exact", "")

    (alert,) = [a for a in of(events, ev.Alert) if a.direction == "received"]
    assert (alert.level, alert.description, alert.thread.name) == (
        "fatal",
        "certificate_unknown",
        "Thread-2",
    )
    (sent,) = [a for a in of(events, ev.Alert) if a.direction == "sent"]
    assert (sent.level, sent.description) == ("warning", "close_notify")
    assert not of(events, ev.ClientCertificate)


def test_maxant_client_side_sent_alert_and_exception():
    dialect, records, events = run(read("maxant_front_client_hostname_mismatch.log"))
    assert dialect.problems == []
    # The excerpt begins inside a certificate chain: those lines open nothing.
    assert min(r.where.line for r in records) > 60
    assert [type(e).__name__ for e in events] == ["Closed", "Alert", "Closed", "Failure"]
    invalidated, alert, closed, failure = events
    # "%% Invalidated" names no thread: the alert line right under it does
    assert (invalidated.where.line, invalidated.thread.name) == (63, "main")
    assert (alert.direction, alert.level, alert.description) == (
        "sent",
        "fatal",
        "certificate_unknown",
    )
    assert closed.thread.name == "main"
    assert failure.exception == "javax.net.ssl.SSLHandshakeException"
    assert (
        failure.message
        == "java.security.cert.CertificateException: No name matching localhost found"
    )
    assert failure.alert == ""


def test_jetty_empty_cert_authorities_and_interleaved_threads():
    dialect, records, events = run(read("jetty3131_cert_authorities_empty.log"))
    assert dialect.problems == []
    (request,) = of(events, ev.CertificateRequest)
    assert (request.ca_names, request.ca_state) == ((), "empty")
    # The block has no thread of its own; the WRITE line two lines below names it.
    assert request.thread.name == "wabam-server-15"
    (cr_record,) = [r for r in records if r.message == "*** CertificateRequest"]
    assert cr_record.body[-1] == "<Empty>" and not cr_record.truncated
    assert {a.thread.name for a in of(events, ev.Alert)} == {"Scheduler-1624972302"}
    assert [a.description for a in of(events, ev.Alert)] == ["close_notify", "close_notify"]


def test_zowe_listed_authorities_cut_by_end_of_excerpt():
    dialect, records, events = run(read("zowe1805_cert_authorities_listed.log"))
    assert dialect.problems == []
    (request,) = of(events, ev.CertificateRequest)
    assert request.ca_names == (
        "CN=APIML External Certificate Authority, OU=MFD, O=Broadcom, L=Prague, ST=Prague, C=CZ",
    )
    assert request.thread.name == ""  # no line of this excerpt names a thread
    (record,) = records
    assert record.body[0] == "Cert Types: ECDSA, RSA, DSS"
    assert record.truncated  # the excerpt ends inside the list


def test_wrapper_prefix_gives_the_jvm():
    lines = [
        f"INFO   | jvm 3    | 2026/11/26 18:37:33 | {x}"
        for x in read("jetty3131_cert_authorities_empty.log")
    ]
    _, _, events = run(lines)
    (request,) = of(events, ev.CertificateRequest)
    assert request.thread == ev.Thread(3, "wabam-server-15")


# ----------------------------------------------------------------------------- rebuilt from source
# The following blocks follow the 8u252 format strings (jsse-debug-formats.md §4.4, §5.4, §6.3,
# §7.2, §8.2); they are not captured output.

CLIENT_FLOW = """\
keyStore is : /opt/mid/agent/keystore/agent_keystore
***
found key for : defaultsecuritykeypairhandle
chain [0] = [
[
  Version: V3
  Subject: CN=mid-server-01, OU=MID Servers, O="Acme, Inc.", C=US
  Signature Algorithm: SHA256withRSA, OID = 1.2.840.113549.1.1.11

  Key:  Sun RSA public key, 2048 bits
  public exponent: 65537
  Validity: [From: Thu Nov 26 13:30:03 EST 2026,
               To: Wed Feb 24 13:30:03 EST 2027]
  Issuer: CN=Lab Client Issuing CA, OU=PKI, O="Acme, Inc.", L=San Diego, ST=California, C=US
  SerialNumber: [    b35b9c57 9fcb8e4e]

Certificate Extensions: 2
[1]: ObjectId: 2.5.29.37 Criticality=false
ExtendedKeyUsages [
  clientAuth
]

[2]: ObjectId: 2.5.29.17 Criticality=false
SubjectAlternativeName [
  DNSName: mid-server-01.acme.example
]

]
  Algorithm: [SHA256withRSA]
  Signature:
0000: 01 02 03

]
***
%% No cached client session
*** ClientHello, TLSv1.2
RandomCookie:  GMT: 1795718406 bytes = { 12, 200 }
Session ID:  {}
Cipher Suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]
Extension server_name, server_name: [type=host_name (0), value=acme.service-now.com]
***
ECCSender.1, WRITE: TLSv1.2 Handshake, length = 215
ECCSender.1, READ: TLSv1.2 Handshake, length = 89
*** ServerHello, TLSv1.2
Cipher Suite: TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
Compression Method: 0
***
*** Certificate chain
chain [0] = [
[
  Version: V3
  Subject: CN=*.service-now.com
  Validity: [From: Thu Nov 26 13:30:03 EST 2026,
               To: Wed Feb 24 13:30:03 EST 2027]
  Issuer: CN=Some Public CA
  SerialNumber: [    0a]
]
***
*** CertificateRequest
Cert Types: RSA, DSS, ECDSA
Supported Signature Algorithms: SHA256withRSA
Cert Authorities:
<CN=Lab Client Issuing CA, OU=PKI, O="Acme, Inc.", L=San Diego, ST=California, C=US>
<CN=Some Other Trusted CA, O=Trust Services, C=DE>
*** ServerHelloDone
Warning: no suitable certificate found - continuing without client authentication
*** Certificate chain
<Empty>
***
ECCSender.1, WRITE: TLSv1.2 Handshake, length = 7
ECCSender.1, READ: TLSv1.2 Alert, length = 2
ECCSender.1, RECV TLSv1.2 ALERT:  fatal, bad_certificate
%% Invalidated:  [Session-1, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]
ECCSender.1, called closeSocket()
ECCSender.1, handling exception: javax.net.ssl.SSLHandshakeException: Received fatal alert: bad_certificate
"""


def test_rebuilt_client_flow_empty_certificate():
    dialect, _, events = run(CLIENT_FLOW.splitlines())
    assert dialect.problems == []
    (key,) = of(events, ev.KeyFound)
    assert key.alias == "defaultsecuritykeypairhandle"
    (cert,) = key.chain
    assert cert.subject == 'CN=mid-server-01, OU=MID Servers, O="Acme, Inc.", C=US'
    assert (cert.eku, cert.san, cert.serial) == (
        ("clientAuth",),
        ("mid-server-01.acme.example",),
        "b35b9c579fcb8e4e",
    )
    assert cert.not_after == datetime(2027, 2, 24, 13, 30, 3)

    (hello,) = of(events, ev.ClientHello)
    assert (hello.sni, hello.thread.name) == ("acme.service-now.com", "ECCSender.1")
    (server_cert,) = of(events, ev.ServerCertificate)
    assert server_cert.chain[0].subject == "CN=*.service-now.com"
    (request,) = of(events, ev.CertificateRequest)
    assert request.ca_names == (
        'CN=Lab Client Issuing CA, OU=PKI, O="Acme, Inc.", L=San Diego, ST=California, C=US',
        "CN=Some Other Trusted CA, O=Trust Services, C=DE",
    )
    assert len(of(events, ev.NoClientCertificate)) == 1
    (client_cert,) = of(events, ev.ClientCertificate)
    assert client_cert.chain == ()
    (failure,) = of(events, ev.Failure)
    assert (failure.exception, failure.alert, failure.message) == (
        "javax.net.ssl.SSLHandshakeException",
        "BAD_CERTIFICATE",
        "Received fatal alert: bad_certificate",
    )
    names = [type(e).__name__ for e in events]
    assert names[-4:] == ["Alert", "Closed", "Closed", "Failure"]


def test_rebuilt_key_manager_lines_and_finished_pair():
    lines = """\
ssl: Ignoring alias midother: issuers do not match
ssl: KeyMgr: no good matching key found, returning best match out of:
ssl: [midexpired (verified: EXPIRED)]
ssl: KeyMgr: choosing key: mid (verified: OK)
ssl: KeyMgr: no matching key found
main, WRITE: TLSv1.2 Change Cipher Spec, length = 1
*** Finished
verify_data:  { 1, 2 }
***
main, READ: TLSv1.2 Change Cipher Spec, length = 1
*** Finished
verify_data:  { 3, 4 }
***
""".splitlines()
    _, _, events = run(lines)
    picks = [(s.outcome, s.alias, s.reason) for s in of(events, ev.KeySelection)]
    assert picks == [
        ("ignored", "midother", "issuers do not match"),
        ("best-match", "midexpired", "EXPIRED"),
        ("chosen", "mid", "OK"),
        ("none", "", "KeyMgr: no matching key found"),
    ]
    (done,) = of(events, ev.Finished)
    assert done.where.line == 11 and done.thread.name == "main"


def test_unparsable_block_is_reported_not_raised():
    lines = ["*** CertificateRequest", "Cert Authorities:", "<CN=a>", "***"]
    dialect = LegacyDialect()
    records = cut_records(dialect, lines)
    # a body the grammar rejects: a DN line before "Cert Authorities:"
    broken = Record(
        **{
            **{f: getattr(records[0], f) for f in records[0].__dataclass_fields__},
            "body": ("<CN=a>", "Cert Authorities:"),
        }
    )
    assert dialect.interpret([broken]) == []
    (problem,) = dialect.problems
    assert problem.kind == "unparsed" and problem.where.line == 1


@pytest.mark.parametrize(
    "line",
    [
        "main, RECV TLSv1.2 ALERT:  fatal, bad_certificate",
        "http-nio-8080-exec-2, RECV TLSv1.2 ALERT:  fatal, handshake_failure",
    ],
)
def test_received_alert_lines(line):
    _, _, events = run([line])
    (alert,) = events
    assert alert.direction == "received" and alert.level == "fatal"
    assert alert.thread.name == line.split(",")[0]


# ----------------------------------------------------------------------------- forms of JDK 6 and 7
# and of posted copies. The field corpus excerpts (tests/field/, sources in its manifest) are
# real public posts; they are read here at the dialect level, whatever the rules make of them.

FIELD = Path(__file__).parent / "field"


def field(name: str) -> list[str]:
    return (FIELD / name).read_text(encoding="utf-8").splitlines()


def test_jetty4110_server_chain_cut_inside_the_signature():
    dialect, records, events = run(read("jetty4110_server_chain_after_upcoming_states.log"))
    assert dialect.problems == []
    (certificate,) = of(events, ev.ServerCertificate)
    (cert,) = certificate.chain
    assert cert.subject == cert.issuer == (
        "CN=jetty.mortbay.org, OU=Jetty, O=Mort Bay Consulting Pty Ltd, L=Unknown, ST=Unknown, "
        "C=Unknown"
    )
    assert cert.self_signed and cert.serial == "4913c3f4" and cert.eku == ()
    assert (cert.not_before, cert.not_after) == (
        datetime(2008, 11, 7, 9, 58, 36),
        datetime(2036, 3, 25, 9, 58, 36),
    )
    (record,) = records
    assert record.truncated  # the excerpt ends inside the signature dump


def test_joutwate_server_side_null_cert_chain():
    """'*** Certificate chain' printed without 'verbose' (no certificates, no closing '***'),
    then the server's 'fatal error: 42: null cert chain' and its cause line, '%% Invalidated',
    a sent alert with one space after 'ALERT:' (as posted), and the SSLEngine's rethrow."""
    dialect, records, events = run(field("joutwate-mtls-springboot-2-null-cert-chain.log"))
    assert dialect.problems == []
    chain_record = next(r for r in records if r.message == "*** Certificate chain")
    assert chain_record.body == () and chain_record.truncated
    assert not of(events, ev.ServerCertificate)  # a header alone shows no chain
    (empty,) = of(events, ev.ClientCertificate)  # "null cert chain" says it was empty
    assert empty.chain == () and empty.where.line == 7
    failure, rethrown = of(events, ev.Failure)
    assert (failure.alert, failure.message, failure.exception) == (
        "BAD_CERTIFICATE",
        "null cert chain",
        "javax.net.ssl.SSLHandshakeException",
    )
    assert failure.lines == ((8, "javax.net.ssl.SSLHandshakeException: null cert chain"),)
    assert (rethrown.where.line, rethrown.message) == (12, "null cert chain")
    (alert,) = of(events, ev.Alert)
    assert (alert.direction, alert.level, alert.description) == ("sent", "fatal", "bad_certificate")
    (closed,) = of(events, ev.Closed)  # "%% Invalidated: [...]", thread from its neighbours
    assert closed.thread.name == "https-jsse-nio-8222-exec-3"
    assert {e.thread.name for e in events} == {"https-jsse-nio-8222-exec-3"}


def test_grizzly_jdk6_unindented_chain_cut_by_an_exception_and_sslv3_alert():
    """JDK 6 (SSLv3): a 'found key for' chain whose posted copy lost its indentation and was
    cut before its closing '***'; the exception line after it belongs to no block (the app
    dialect reads it), and 'WTP(0), SEND SSLv3 ALERT: fatal, ...' is a sent alert."""
    dialect, records, events = run(field("grizzly-654-legacy-expired-client-cert.log"))
    assert dialect.problems == []
    (key,) = of(events, ev.KeyFound)
    (cert,) = key.chain
    assert cert.subject == "CN=..., OU=..., O=... L=..., ST=..., C=..."
    assert (cert.not_before, cert.not_after) == (
        datetime(2004, 6, 16, 12, 13, 13),
        datetime(2005, 6, 26, 13, 30, 0),
    )
    found_key = records[0]
    assert found_key.end_line == 14 and found_key.truncated  # cut before the exception line
    (alert,) = of(events, ev.Alert)
    assert (alert.thread.name, alert.direction, alert.description) == (
        "WTP(0)",
        "sent",
        "certificate_unknown",
    )
    (rethrown,) = of(events, ev.Failure)  # "WTP(0), fatal: engine already closed. Rethrowing"
    assert (rethrown.exception, rethrown.message, rethrown.thread.name) == (
        "javax.net.ssl.SSLHandshakeException",
        "General SSLEngine problem",
        "WTP(0)",
    )


def test_grizzly_exception_line_reaches_the_app_dialect():
    from loganalyzer.analysis.reading import read as read_logs

    reading = read_logs([str(FIELD / "grizzly-654-legacy-expired-client-cert.log")])
    (server,) = reading.servers
    failures = [
        e for h in server.files[0].handshakes for e in h.events if isinstance(e, ev.Failure)
    ]
    assert any(
        f.exception == "java.security.cert.CertificateExpiredException"
        and f.message.startswith("NotAfter: Sun Jun 26 13:30:00")
        for f in failures
    )


def test_blogshri_cert_authorities_followed_by_nothing_is_an_empty_list():
    dialect, _, events = run(field("blogshri-legacy-cert-authorities-empty.log"))
    assert dialect.problems == []
    (request,) = of(events, ev.CertificateRequest)
    assert (request.ca_names, request.ca_state) == ((), "empty")


def test_minikube_warning_without_its_request():
    dialect, _, events = run(field("minikube-8584-legacy-no-suitable-certificate.log"))
    assert dialect.problems == []
    (marker,) = of(events, ev.NoClientCertificate)
    assert marker.thread.name == "pool-2-thread-1"  # the WRITE line right under it
    (alert,) = of(events, ev.Alert)
    assert (alert.direction, alert.description) == ("sent", "unexpected_message")
    assert [type(e).__name__ for e in events][-3:] == ["Failure", "Closed", "Alert"]


# Small corners rebuilt from the format strings (jsse-debug-formats.md §2.4, §4.4, §6.3), not
# captured output: JDK 6/7's empty chain (no "<Empty>"), a chain interleaved with another
# thread's WRITE, levels JSSE has no name for, and copies that wrapped a long line.


def test_chain_closed_straight_away_is_empty_and_interleaved_write_is_text():
    lines = """\
*** Certificate chain
***
*** Certificate chain
Thread-9, WRITE: TLSv1.2 Handshake, length = 100
chain [0] = [
[
  Subject: CN=a
  Issuer: CN=b
]
Thread-9, READ: TLSv1.2 Handshake, length = 7
chain [1] = [
[
  Subject: CN=b
  Issuer: CN=b
]
***
""".splitlines()
    dialect, _, events = run(lines)
    assert dialect.problems == []
    first, second = [e for e in events if hasattr(e, "chain")]
    assert first.chain == ()
    assert [c.subject for c in second.chain] == ["CN=a", "CN=b"]


@pytest.mark.parametrize(
    ("line", "level", "description"),
    [
        ("main, SEND TLSv1.2 ALERT:  <level = 3>, description = bad_certificate", "<level = 3>",
         "bad_certificate"),
        ("main, RECV TLSv1 ALERT:  <level 3>, <UNKNOWN ALERT: 200>", "<level 3>",
         "<UNKNOWN ALERT: 200>"),
        ("main, RECV TLSv1 ALERT:  fatal, handshake_failure", "fatal", "handshake_failure"),
    ],
)
def test_alert_levels_and_descriptions(line, level, description):
    _, _, (alert,) = run([line])
    assert (alert.level, alert.description) == (level, description)


def test_wrapped_distinguished_names_are_joined():
    lines = """\
*** CertificateRequest
Cert Types: RSA, DSS
Cert Authorities:
<CN=Lab Client Issuing CA, OU=PKI, O="Acme, Inc.",
L=San Diego, ST=California, C=US>
<CN=Other CA, O=Trust Services, C=D
E>
*** ServerHelloDone
found key for : mid
chain [0] = [
[
  Subject: CN=mid-server-01, OU=MID Servers,
  O=Acme, C=US
  Validity: [From: Thu Nov 26 13:30:03 EST 2026,
""".splitlines()
    dialect, _, events = run(lines)
    assert dialect.problems == []  # a Validity cut after "From:" costs only the dates
    (request,) = of(events, ev.CertificateRequest)
    assert request.ca_names == (
        'CN=Lab Client Issuing CA, OU=PKI, O="Acme, Inc.", L=San Diego, ST=California, C=US',
        "CN=Other CA, O=Trust Services, C=DE",
    )
    (key,) = of(events, ev.KeyFound)
    assert key.chain[0].subject == "CN=mid-server-01, OU=MID Servers, O=Acme, C=US"
    assert key.chain[0].not_after is None


def test_fatal_error_with_a_pkix_cause():
    lines = [
        "main, fatal error: 46: General SSLEngine problem",
        "sun.security.validator.ValidatorException: PKIX path building failed: x",
        "main, SEND TLSv1.2 ALERT:  fatal, description = certificate_unknown",
    ]
    _, _, events = run(lines)
    failure, alert = events
    assert failure.alert == "CERTIFICATE_UNKNOWN"
    assert failure.message == "General SSLEngine problem: PKIX path building failed: x"
    assert failure.exception == "sun.security.validator.ValidatorException"
    assert alert.description == "certificate_unknown"
