"""Redaction: on every sample log, the ``--redact`` output holds none of the original host names,
IPs, DN values or serials, its diagnoses equal the clear ones, and each value keeps one
pseudonym that no other value shares.

The originals are taken from outside the redactor: each sample's ``expected.json`` (written by the
capture harness from the server's side) and the parsed handshakes of the clear report.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from loganalyzer.analysis.diagnoses import diagnose
from loganalyzer.analysis.reading import read
from loganalyzer.jsse.dn import atoms, normalise
from loganalyzer.reporters import html, markdown, text
from loganalyzer.reporters.document import analyze_document, parse_document
from loganalyzer.reporters.redaction import Redactor, redact_document
from loganalyzer.ruleset.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = sorted(p.parent for p in (ROOT / "sample_logs").glob("*/expected.json"))
_RULES = load_rules()
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# the lab's host names: the instance (*.service-now.com) and the MID hosts (*.acme.example)
_HOSTNAME = re.compile(r"(?<![\w.-])(?:[a-z0-9-]+\.)+(?:com|example)(?![\w-]|\.\w)", re.IGNORECASE)
# Diagnosis fields the rules decide; redaction must leave every one of them as it was.
_VERDICT = (
    "root_cause",
    "rule",
    "severity",
    "confidence",
    "title",
    "meaning",
    "fix",
    "kb",
    "distinguish",
    "occurrences",
    "first_seen",
)


def _analysis(folder: Path) -> dict:
    reading = read([str(folder)])
    return analyze_document(reading, diagnose(reading, _RULES))


def _renderings(doc: dict) -> str:
    """Everything the CLI can print for a document, in every format."""
    return "\n".join(
        (
            json.dumps(doc, ensure_ascii=False),
            text.render(doc, width=120),
            markdown.render_document(doc),
            html.render_document(doc),
        )
    )


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _dn_values(dn: str) -> list[tuple[str, str]]:
    out = []
    for atom in atoms(dn):
        kind, _, value = atom.partition("=")
        value = value.strip().strip('"').replace("\\,", ",")
        if value:
            out.append((kind.strip(), value))
    return out


def _originals(
    folder: Path, doc: dict
) -> tuple[set[str], set[str], set[tuple[str, str]], set[str]]:
    """Host names, IPs, DN (type, value) pairs and serials, from expected.json and handshakes."""
    exp = json.loads((folder / "expected.json").read_text())
    exp_text = json.dumps(exp)
    hosts = {exp["instance_host"]} | set(_HOSTNAME.findall(exp_text))
    hosts -= {"service-now.com"}
    ips = set(_IPV4.findall(exp_text))
    # every DN the server saw or sent: CA names, received subjects, issuers, chains
    dns = {v for v in _strings(exp) if re.match(r"(?:CN|OU|O|C)=", v)}
    serials: set[str] = set()
    for h in doc["handshakes"]:
        hosts |= {h["host"]} if h["host"] else set()
        dns |= set(h["ca_names"])
        chains = h["client_chain"] + h["server_chain"]
        chains += [c for a in h["key_manager"]["aliases"] for c in a["chain"]]
        for c in chains:
            dns |= {c["subject"], c["issuer"]}
            hosts |= set(c["san"])
            serials.add(c["serial"])
    for e in doc["agent_events"]:
        hosts |= {e["detail"]["host"]} if e["detail"].get("host") else set()
    pairs = {pair for dn in dns for pair in _dn_values(dn)}
    return hosts, ips, pairs, serials


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_redacted_output_holds_no_original_host_ip_dn_value_or_serial(folder: Path) -> None:
    clear = _analysis(folder)
    redacted = redact_document(clear)
    out = _renderings(redacted)
    folded = out.casefold()
    hosts, ips, pairs, serials = _originals(folder, clear)
    assert hosts  # every capture names the instance
    for host in hosts:
        assert host.casefold() not in folded, host
    for ip in ips:
        assert not re.search(rf"(?<![\d.]){re.escape(ip)}(?![\d.])", out), ip
    for kind, value in pairs:
        # long values must be gone everywhere; short ones (C=US) wherever a DN holds them
        if len(value) >= 4:
            assert value.casefold() not in folded, (kind, value)
        assert f"{kind}={value}" not in out and f'{kind}="{value}"' not in out, (kind, value)
    for serial in serials:  # a short one (10:00) also reads as a time; its field says enough
        if len(re.sub("[^0-9A-Fa-f]", "", serial)) >= 8:
            assert serial not in out and re.sub("[: ]", "", serial) not in out, serial
    chains = [c for h in redacted["handshakes"] for c in h["client_chain"] + h["server_chain"]]
    assert all(re.fullmatch(r"serial-\d+", c["serial"]) for c in chains)
    assert "acme" not in folded  # the lab's "customer" name, in whatever form it took
    assert redacted["redacted"] is True


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_diagnoses_are_unchanged_by_redaction(folder: Path) -> None:
    clear = _analysis(folder)
    redacted = redact_document(clear)
    assert len(redacted["diagnoses"]) == len(clear["diagnoses"])
    for before, after in zip(clear["diagnoses"], redacted["diagnoses"]):
        assert {k: after[k] for k in _VERDICT} == {k: before[k] for k in _VERDICT}
        assert [e["line"] for e in after["evidence"]] == [e["line"] for e in before["evidence"]]
    facts = (
        "line",
        "end_line",
        "jvm",
        "time",
        "tls_version",
        "cipher",
        "cert_requested",
        "ca_state",
        "cert_sent",
        "outcome",
        "alert_received",
        "alert_sent",
    )
    assert [{k: h[k] for k in facts} for h in redacted["handshakes"]] == [
        {k: h[k] for k in facts} for h in clear["handshakes"]
    ]
    assert [len(h["ca_names"]) for h in redacted["handshakes"]] == [
        len(h["ca_names"]) for h in clear["handshakes"]
    ]
    assert [(i["lines"], i["handshakes"]) for i in redacted["inputs"]] == [
        (i["lines"], i["handshakes"]) for i in clear["inputs"]
    ]


def test_one_value_one_pseudonym_across_the_whole_report() -> None:
    """All 42 samples in one report: each DN, host and serial maps to exactly one pseudonym, and
    no two different values share one (compared as TLS compares them: DNs case-insensitively)."""
    clear = _analysis(ROOT / "sample_logs")
    redacted = redact_document(clear)
    pairs: list[tuple[str, str]] = []
    for before, after in zip(clear["handshakes"], redacted["handshakes"]):
        pairs.append(("host", before["host"] or "", after["host"] or ""))
        pairs += [
            ("dn", normalise(a), normalise(b))
            for a, b in zip(before["ca_names"], after["ca_names"])
        ]
        for cb, ca in zip(
            before["client_chain"] + before["server_chain"],
            after["client_chain"] + after["server_chain"],
        ):
            pairs += [
                ("dn", normalise(cb["subject"]), normalise(ca["subject"])),
                ("dn", normalise(cb["issuer"]), normalise(ca["issuer"])),
                ("serial", re.sub("[^0-9a-f]", "", cb["serial"].lower()).lstrip("0"), ca["serial"]),
            ]
    forward: dict[tuple[str, str], str] = {}
    backward: dict[tuple[str, str], str] = {}
    for kind, original, pseudonym in pairs:
        assert forward.setdefault((kind, original), pseudonym) == pseudonym, (kind, original)
        assert backward.setdefault((kind, pseudonym), original) == original, (kind, pseudonym)
    assert len({p for k, _, p in pairs if k == "dn"}) > 5
    # the evidence keeps what matching needs: a listed CA name equals the issuer it names
    issuers = {normalise(c["issuer"]) for h in redacted["handshakes"] for c in h["client_chain"]}
    listed = {normalise(n) for h in redacted["handshakes"] for n in h["ca_names"]}
    assert issuers & listed


def test_redaction_never_changes_the_document_it_is_given() -> None:
    clear = _analysis(ROOT / "sample_logs" / "jdk21-tls12-ca-mismatch-tm")
    snapshot = json.dumps(clear, sort_keys=True)
    redact_document(clear)
    assert json.dumps(clear, sort_keys=True) == snapshot


# ----------------------------------------------------------------------------- free text


@pytest.mark.parametrize(
    "line, gone, kept",
    [
        (
            "Connecting to https://acme-prod.service-now.com:443/api/now",
            ["acme-prod"],
            ["https://instance-1.service-now.com:443/api/now"],
        ),
        (
            "MIDSecPolicy: hostname verification for host[10.20.30.40] is true",
            ["10.20.30.40"],
            ["host[ip-1] is true"],
        ),
        (
            "connect to [fe80::1ff:fe23:4567:890a]:8443 failed",
            ["fe80::1ff:fe23:4567:890a"],
            ["ipv6-1"],
        ),
        ("bound to 2001:0db8:85a3:0000:0000:8a2e:0370:7334", ["2001:0db8"], ["ipv6-1"]),
        (
            "mail from jane.doe@acme.example about it",
            ["jane.doe", "acme.example"],
            ["email-1@example.invalid"],
        ),
        ("mid.instance.username=svc_mid01", ["svc_mid01"], ["mid.instance.username=user-1"]),
        (
            "Could not authenticate user 'jsmith' on the ServiceNow instance",
            ["jsmith"],
            ["user 'user-1'"],
        ),
        (
            "Could not authenticate user 'null' on the ServiceNow instance",
            [],
            ["user 'null' on the ServiceNow instance"],
        ),
        (
            "loading C:\\Users\\jsmith\\agent\\conf\\config.xml",
            ["jsmith"],
            ["\\Users\\user-1\\agent"],
        ),
        (
            "reading /home/jdoe/mid/agent/logs/wrapper.log",
            ["jdoe"],
            ["/home/user-1/mid/agent/logs/wrapper.log"],
        ),
        (
            '"serial number"      : "32 b4 cd 18 5d 8e 06 5d",',
            ["32 b4"],
            ['"serial number"      : "serial-1",'],
        ),
        ("SerialNumber: [    32b4cd18 5d8e065d]", ["32b4cd18"], ["SerialNumber: [    serial-1]"]),
        (
            "subject=C = US, O = Acme Lab, CN = mid01.corp.acme.com",
            ["Acme", "acme", "= US"],
            ["O = o-2", "CN = host-1.example"],
        ),
        ("/C=DE/O=Other Corp GmbH/CN=Other Corp Root CA", ["Other Corp"], ["/C=c-1/O=o-2/CN=cn-3"]),
        (
            "0000: 30 82 03 2A 30 82 02 12   A0 03 02 01 02 02 14 32  0..*0..........2",
            ["0..*0"],
            ["0000: [hex dump redacted]"],
        ),
        (
            "javax.net.ssl.SSLHandshakeException: PKIX path building failed",
            [],
            ["javax.net.ssl.SSLHandshakeException: PKIX path building failed"],
        ),
        (
            "X509KeyManager class: sun.security.ssl.SunX509KeyManagerImpl",
            [],
            ["sun.security.ssl.SunX509KeyManagerImpl"],
        ),
        (
            "jvm 1 | 2026/11/26 19:18:36 | -Djavax.net.debug=all wrapper.log TLSv1.3 12:34:56.789",
            [],
            ["2026/11/26 19:18:36 | -Djavax.net.debug=all wrapper.log TLSv1.3 12:34:56.789"],
        ),
        ("CN=*.service-now.com, O=ServiceNow, Inc.", [], ["CN=*.service-now.com"]),
    ],
)
def test_free_text(line: str, gone: list[str], kept: list[str]) -> None:
    out = Redactor().text(line)
    for value in gone:
        assert value not in out, out
    for value in kept:
        assert value in out, out


def test_same_value_same_pseudonym_in_any_form() -> None:
    r = Redactor()
    a = r.text('issuer: CN=Acme Lab Root, O="Acme Lab, Inc."')
    b = r.text("CN=ACME LAB ROOT, O=Acme Lab\\, Inc.")
    assert a == 'issuer: CN=cn-1, O="o-2"' and b == "CN=cn-1, O=o-2"
    assert r.host("MID01.acme.example") == r.text("mid01.acme.example") == "host-1.example"
    assert r.text("CN=mid01.acme.example") == "CN=host-1.example"  # a host in a DN is that host
    assert r.serial("32:b4:cd") == r.serial("32 B4 CD") == r.serial("0032b4cd") == "serial-1"
    assert r.host("acme.service-now.com") == "instance-1.service-now.com"
    assert r.host("acme-dev.service-now.com") == "instance-2.service-now.com"


# ----------------------------------------------------------------------------- CLI


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["COLUMNS"] = "200"  # long tmp paths stay on one line
    return subprocess.run(
        [sys.executable, "-m", "loganalyzer", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


def test_redact_on_a_log_with_ips_and_user_paths(tmp_path: Path) -> None:
    """A real capture moved under a user's home and a folder named for an IP, with the instance
    reached by address: analyze and parse --redact show neither the user, the IPs nor the names."""
    sample = ROOT / "sample_logs" / "jdk11-tls12-wrong-host-lpztm"
    folder = tmp_path / "home" / "jsmith" / "case-10.1.2.3"
    folder.mkdir(parents=True)
    for name in ("wrapper.log", "agent0.log.0"):
        data = (sample / name).read_bytes()
        data = data.replace(b"host[acme-lab.service-now.com]", b"host[10.20.30.40]")
        (folder / name).write_bytes(data)
    for command in (
        ["analyze", "--format", "json"],
        ["parse", "--format", "json"],
        ["analyze"],
        ["analyze", "--format", "markdown"],
        ["analyze", "--format", "html"],
    ):
        clear = _cli(*command, str(folder))
        redacted = _cli(*command, "--redact", str(folder))
        assert redacted.returncode == clear.returncode, redacted.stderr
        assert "jsmith" in clear.stdout and "10.1.2.3" in clear.stdout  # the paths name both
        if "json" in command:
            assert "10.20.30.40" in clear.stdout  # the MIDSecPolicy lines' host
        for secret in ("jsmith", "10.1.2.3", "10.20.30.40", "acme", "Acme"):
            assert secret not in redacted.stdout, (command, secret)
    clear = json.loads(_cli("analyze", "--format", "json", str(folder)).stdout)
    redacted = json.loads(_cli("analyze", "--format", "json", "--redact", str(folder)).stdout)
    assert [{k: d[k] for k in _VERDICT} for d in redacted["diagnoses"]] == [
        {k: d[k] for k in _VERDICT} for d in clear["diagnoses"]
    ]
    assert redacted["diagnoses"][0]["root_cause"] == "server-hostname-mismatch"


def test_parse_redact_keeps_the_handshakes() -> None:
    folder = "sample_logs/jdk17-tls12-two-threads-concurrent-lpztm"
    clear = json.loads(_cli("parse", "--format", "json", folder).stdout)
    redacted = json.loads(_cli("parse", "--format", "json", "--redact", folder).stdout)
    assert [h["thread"] for h in redacted["handshakes"]] == [
        h["thread"] for h in clear["handshakes"]
    ]
    assert {h["host"] for h in redacted["handshakes"]} == {"instance-1.service-now.com"}
    assert parse_document(read([folder]))["redacted"] is False and redacted["redacted"] is True
