"""Shapes by content (issue 11): the role of a file, foreign prefixes, mixed encodings, the KB excerpt.

Every log here is a captured sample log (``sample_logs/``) or the KB article's own text, copied
under another name or with another logger's prefix put in front of each of its lines, the way
real cases arrive. Where a prefix is written by the test, its shape is the one named in the
issue and the test says which real logger prints it.
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from loganalyzer.analysis.reading import read
from loganalyzer.api import analyze_paths
from loganalyzer.errors import Location
from loganalyzer.ingest.content import _looks_like_agent_log
from loganalyzer.ingest.lines import LineDecoder, decode_text, repair_mojibake
from loganalyzer.ingest.records import Record
from loganalyzer.ingest.sources import decode_line
from loganalyzer.jsse.events import CertificateRequest, Thread
from loganalyzer.jsse.unified import Interpreter

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_logs"
KB = ROOT.parent / "shared" / "kb" / "mid-server-mutual-authentication.txt"

CA_MISMATCH_TM = SAMPLES / "jdk21-tls12-ca-mismatch-tm"  # TLS 1.2, CA names, empty Certificate
EXPIRED_TM = SAMPLES / "jdk25-tls13-not-yet-valid-tm"
NO_KEY_M = SAMPLES / "jdk17-tls12-no-private-key-m"
ZURICH = [SAMPLES / "jdk17-tls12-zurich-cp1252-lptm", SAMPLES / "jdk21-tls13-zurich-cp1252-tm"]


def _facts(reading) -> list[tuple]:
    """What a handshake says, independent of the file and line it was read from."""
    return [
        (h.thread.name, h.version, h.cert_requested, tuple(h.ca_names), h.client_cert_sent,
         h.outcome, h.alert_received.description if h.alert_received else None)
        for h in reading.handshakes
    ]


def _causes(paths: list[Path]) -> list[tuple[str, str]]:
    return [(d.root_cause, d.confidence) for d in analyze_paths([str(p) for p in paths])]


def _copy(src: Path, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(src, folder / name))


# ----------------------------------------------------------------------------- role by content


@pytest.mark.parametrize("sample", [CA_MISMATCH_TM, NO_KEY_M], ids=lambda p: p.name)
def test_a_wrapper_log_named_agent0_log_is_read_as_a_wrapper_log(sample: Path, tmp_path: Path) -> None:
    right = _copy(sample / "wrapper.log", tmp_path / "right", "wrapper.log")
    wrong = _copy(sample / "wrapper.log", tmp_path / "wrong", "agent0.log.0")
    read_right, read_wrong = read([str(right)]), read([str(wrong)])
    assert [f.source.role for f in read_wrong.files] == ["wrapper"]
    assert read_wrong.handshakes and _facts(read_wrong) == _facts(read_right)
    assert [e.kind for e in read_wrong.servers[0].agent_events] == \
        [e.kind for e in read_right.servers[0].agent_events]
    assert _causes([wrong]) == _causes([right])


def test_an_agent_log_named_wrapper_log_is_read_as_an_agent_log(tmp_path: Path) -> None:
    sample = SAMPLES / "jdk25-tls13-ca-mismatch-ptm"
    right = _copy(sample / "agent0.log.0", tmp_path / "right", "agent0.log.0")
    wrong = _copy(sample / "agent0.log.0", tmp_path / "wrong", "wrapper.log")
    read_right, read_wrong = read([str(right)]), read([str(wrong)])
    assert [f.source.role for f in read_wrong.files] == ["agent"]
    events = [(e.kind, e.where.line, e.text) for e in read_wrong.servers[0].agent_events]
    assert events and events == [(e.kind, e.where.line, e.text) for e in read_right.servers[0].agent_events]
    assert _causes([wrong]) == _causes([right])


def test_an_m_layout_log_with_mid_lines_first_keeps_its_handshakes(tmp_path: Path) -> None:
    """Issue 10: a log in layout M not named wrapper*, whose first 20 lines are mostly MID lines.

    Built from one capture: in layout M the wrapper log carries the MID's stdout, the very lines
    of its agent0.log.0; here the banner has rolled away and the MID's lines come first (the
    start-up lines of its agent0.log.0, up to 'Connecting to', put before the rest of its
    wrapper.log).
    """
    lines = (NO_KEY_M / "wrapper.log").read_bytes().splitlines(keepends=True)
    first_mid = next(i for i, x in enumerate(lines) if re.match(rb"\d\d/\d\d/\d\d ", x))
    agent = (NO_KEY_M / "agent0.log.0").read_bytes().splitlines(keepends=True)
    startup = agent[: next(i for i, x in enumerate(agent) if b"Connecting to" in x) + 1]
    data = b"".join(startup + lines[first_mid:])
    log = tmp_path / "mid-console.log"
    log.write_bytes(data)
    assert _looks_like_agent_log(data[:8192])  # what used to make it an agent log
    reading = read([str(log)])
    assert [f.source.role for f in reading.files] == ["log"]
    original = read([str(NO_KEY_M / "wrapper.log")])
    assert reading.handshakes and _facts(reading) == _facts(original)
    kinds = [e.kind for e in reading.servers[0].agent_events]
    assert set(kinds) >= {e.kind for e in original.servers[0].agent_events}


# ----------------------------------------------------------------------------- foreign prefixes


def _wildfly(t: datetime, i: int) -> str:  # WildFly's console handler on System.out/err
    return f"{t:%H:%M:%S},{i % 1000:03d} ERROR [stderr] (default task-1) "


def _logback(t: datetime, i: int) -> str:  # logback '%d{HH:mm:ss.SSS} [%thread] %-5level %logger - '
    return f"{t:%H:%M:%S}.{i % 1000:03d} [main] INFO  STDOUT - "


def _log4j(t: datetime, i: int) -> str:  # log4j '%-5p %d [%t] %c: '
    return f"WARN  {t:%Y-%m-%d %H:%M:%S},{i % 1000:03d} [pool-6-thread-1] stdout: "


def _syslog(t: datetime, i: int) -> str:  # rsyslog / journalctl -o short
    return f"{t:%b %e %H:%M:%S} midhost java[4242]: "


def _journal_iso(t: datetime, i: int) -> str:  # journalctl -o short-iso
    return f"{t:%Y-%m-%dT%H:%M:%S}-0500 midhost mid-server[4242]: "


def _docker(t: datetime, i: int) -> str:  # docker logs -t / kubectl logs --timestamps
    return f"{t:%Y-%m-%dT%H:%M:%S}.{i:09d}Z "


def _cri(t: datetime, i: int) -> str:  # a container runtime's own log file (kubelet, CRI)
    return f"{t:%Y-%m-%dT%H:%M:%S}.{i:09d}-05:00 stdout F "


def _kb(t: datetime, i: int) -> str:  # the KB article's own quoted excerpt
    return "| "


def _bare(t: datetime, i: int) -> str:  # pasted with no prefix at all
    return ""


PREFIXES = [_wildfly, _logback, _log4j, _syslog, _journal_iso, _docker, _cri, _kb, _bare]


def _prefixed(sample: Path, make) -> bytes:
    """The sample's wrapper.log with the wrapper's prefix taken off and ``make``'s put on."""
    decoder = LineDecoder()
    raws = (sample / "wrapper.log").read_bytes().split(b"\n")
    decoder.detect(decode_line(x) for x in raws[:200])
    out, last = [], datetime(2026, 12, 1)
    for i, raw in enumerate(raws[:-1] if raws[-1] == b"" else raws):
        prefix, message = decoder.split(decode_line(raw))
        last = prefix.time or last
        out.append(make(last, i) + message)
    return ("\n".join(out) + "\n").encode()


@pytest.mark.parametrize("sample", [CA_MISMATCH_TM, EXPIRED_TM], ids=lambda p: p.name)
@pytest.mark.parametrize("make", PREFIXES, ids=lambda f: f.__name__.strip("_"))
def test_records_behind_a_foreign_prefix_are_read_whole(sample: Path, make, tmp_path: Path) -> None:
    log = tmp_path / "pasted.log"
    log.write_bytes(_prefixed(sample, make))
    reading = read([str(log)])
    original = read([str(sample / "wrapper.log")])
    assert reading.problems == []  # every body parsed: the prefix came off the body lines too
    assert reading.handshakes and _facts(reading) == _facts(original)
    assert _causes([log])[:1] == _causes([sample / "wrapper.log"])[:1]


def test_a_file_mixing_the_wrapper_layout_and_a_foreign_prefix_reads_both(tmp_path: Path) -> None:
    log = tmp_path / "case.log"
    log.write_bytes((CA_MISMATCH_TM / "wrapper.log").read_bytes() + _prefixed(CA_MISMATCH_TM, _wildfly))
    reading = read([str(log)])
    assert reading.files[0].layout == "TM"
    assert reading.problems == []
    assert _facts(reading) == 2 * _facts(read([str(CA_MISMATCH_TM / "wrapper.log")]))


def test_the_wildfly_field_excerpt_loses_its_prefix_on_every_record() -> None:
    """tests/field/apiman-2628: WildFly's console prefix before every JSSE line, as posted."""
    decoder = LineDecoder()
    path = ROOT / "tests" / "field" / "apiman-2628-wildfly-stderr-no-cert-for-ec.log"
    lines = path.read_text().splitlines()
    decoder.detect(lines)
    messages = [decoder.split(x)[1] for x in lines]
    assert decoder.foreign and all(not m[:1].isdigit() for m in messages)
    assert messages[1:3] == ["}", ")"]
    assert all(m.startswith("javax.net.ssl|") for m in messages[3:])


def test_an_agent_line_is_not_taken_for_a_prefix() -> None:
    """A MID line that quotes a JSSE header keeps its own head: it is the MID's, not a logger's."""
    decoder = LineDecoder("M")
    line = ("12/01/26 16:10:51 (511) StartupSequencer DEBUG: echo javax.net.ssl|DEBUG|31|main|"
            "2026-12-01 16:10:51.766 EST|SSLCipher.java:466|x")  # hand-typed corner
    assert decoder.split_candidate(line)[1] == line
    assert decoder.foreign == ()


# ----------------------------------------------------------------------------- wrapper layouts


@pytest.mark.parametrize("name, layout", [("jdk11-tls12-ca-mismatch-lpdtm", "LPDTM"),
                                          ("jdk21-tls13-expired-lpdtm", "LPDTM"),
                                          ("jdk17-tls13-ca-mismatch-lputm", "LPUTM"),
                                          ("jdk25-tls12-success-lputm", "LPUTM")])
def test_thread_and_uptime_columns(name: str, layout: str) -> None:
    reading = read([str(SAMPLES / name)])
    assert [f.layout for f in reading.files if f.source.role == "wrapper"] == [layout]
    decoder = LineDecoder(layout)
    raw = (SAMPLES / name / "wrapper.log").read_text().splitlines()
    prefix, text = decoder.split(raw[6])
    assert (prefix.level, prefix.source, prefix.jvm, text) == ("INFO", "jvm", 1, "WrapperManager: Initializing...")
    assert reading.handshakes and all(h.thread.jvm == 1 for h in reading.handshakes)


# ----------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("sample", ZURICH, ids=lambda p: p.name)
def test_cp1252_and_utf8_in_one_file_read_zurich(sample: Path) -> None:
    data = (sample / "wrapper.log").read_bytes()
    assert "Zürich".encode("cp1252") in data and "Zürich".encode() in data  # both in one file
    reading = read([str(sample / "wrapper.log")])
    leaf = reading.handshakes[0].client_chain[0].subject
    assert "L=Zürich" in leaf and "CN=mid-lab-zürich" in leaf


@pytest.mark.parametrize("sample", ZURICH, ids=lambda p: p.name)
def test_utf8_written_again_through_cp1252_is_read_back(sample: Path, tmp_path: Path) -> None:
    """A wrapper that reads the JVM's UTF-8 as cp1252 and writes it out as UTF-8: ``ZÃ¼rich``."""
    out = []
    for raw in (sample / "wrapper.log").read_bytes().split(b"\n"):
        try:
            out.append(raw.decode("utf-8").encode("utf-8").decode("cp1252").encode("utf-8"))
        except UnicodeError:  # the wrapper's own cp1252 line: kept as it is
            out.append(raw)
    data = b"\n".join(out)
    assert "ZÃ¼rich".encode() in data
    log = tmp_path / "wrapper.log"
    log.write_bytes(data)
    reading = read([str(log)])
    assert "L=Zürich" in reading.handshakes[0].client_chain[0].subject


def test_one_line_with_a_cp1252_prefix_and_a_utf8_message() -> None:
    """The wrapper's bytes and JSSE's on one line (hand-made from the sample's two spellings)."""
    line = "Zürich".encode("cp1252") + b" | " + b'"subject" : "L=Z\xc3\xbcrich, C=CH",'
    assert decode_text(line) == 'Zürich | "subject" : "L=Zürich, C=CH",'
    assert decode_text(b"caf\xe9 \x80 5\r\n") == decode_line(b"caf\xe9 \x80 5\r\n") == "café € 5"
    assert decode_text("\ufeffplain".encode()) == "plain"


def test_mojibake_is_repaired_only_where_unambiguous() -> None:
    assert repair_mojibake("L=ZÃ¼rich, O=SociÃ©tÃ© GÃ©nÃ©rale") == "L=Zürich, O=Société Générale"
    for text in ("L=Zürich", "Ã alone", "Â", "plain ascii", "Ã¼"[0] + " x"):
        assert repair_mojibake(text) == text


# ----------------------------------------------------------------------------- the KB excerpt


def _kb_excerpt() -> list[str]:
    """The CertificateRequest excerpt of the KB article, one ``| `` line per line it shows."""
    text = KB.read_text(encoding="utf-8")
    start = text.index('| "CertificateRequest": {')
    end = text.index("| )", start) + len("| )")
    return re.split(r" (?=\| )", text[start:end])


@pytest.mark.skipif(not KB.is_file(), reason="the KB text lives in ../shared/kb")
def test_the_kb_certificate_request_excerpt_parses_into_its_two_ca_names() -> None:
    lines = _kb_excerpt()
    assert all(x.startswith("| ") for x in lines) and lines[-1] == "| )"
    decoder = LineDecoder()
    decoder.detect(lines)
    body = [decoder.split(x)[1] for x in lines]
    assert body[0] == '"CertificateRequest": {' and body[-1] == ")"
    # The article quotes the body only; the record's header line is the one JSSE prints for it.
    record = Record("unified", Location("kb", 1), len(lines), Thread(1, "ECCSender.1"), None,
                    "DEBUG", "", "Consuming CertificateRequest handshake message",
                    body=tuple(body[:-1]), has_body=True)
    problems: list = []
    [request] = Interpreter(problems).events(record)
    assert problems == []
    assert isinstance(request, CertificateRequest) and request.ca_state == "listed"
    assert request.ca_names == (
        "CN=CS Automation Lab Certificate Authority Intermediate, OU=CS Automation Lab Certificate "
        "Authority, O=CS Automation Lab, ST=Florida, C=US",
        "CN=CS Automation Lab Certificate Authority Root, OU=CS Automation Lab Certificate "
        "Authority, O=CS Automation Lab, L=Orlando, ST=Florida, C=US",
    )
