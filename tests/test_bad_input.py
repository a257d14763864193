"""Bad input, end to end: every case is a REAL sample log (``sample_logs/``) damaged in tmp_path.

Each transformation (empty file, a cut record, a rotation cut, a 10 MB line, NUL bytes, cp1252,
CRLF, gzip, a truncated gzip, binary garbage, a missing path, a folder without logs, a zip) is
checked through ``read()`` (values: handshake counts, outcomes, problem kinds and lines) and
through the CLI (``python -m loganalyzer parse``: exit code, stderr naming file and line, valid
JSON on stdout, never a traceback). Expected values are derived from the undamaged sample at
test time, so re-captured samples keep the tests meaningful.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import random
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from loganalyzer.analysis.reading import Reading, read
from loganalyzer.errors import Location
from loganalyzer.reporters.document import parse_document

SAMPLES = Path(__file__).resolve().parent.parent / "sample_logs"
S12 = "jdk17-tls12-policy-drops-cert-tm"  # TLS 1.2, ssl,handshake, TM layout, 4 connections
S13 = "jdk17-tls13-self-signed-ptm"  # TLS 1.3, ssl,handshake, PTM layout, 1 connection
SALL = "jdk17-tls12-success-lptm"  # TLS 1.2, javax.net.debug=all, LPTM layout
MB = 1024 * 1024
APP_PREFIX = {S12: b"2026/11/26 14:09:20 | ", S13: b"jvm 1    | 2026/11/26 14:09:20 | ",
              SALL: b"INFO   | jvm 1    | 2026/11/26 14:09:20 | "}


def _sample(name: str) -> Path:
    path = SAMPLES / name / "wrapper.log"
    if not path.is_file():
        pytest.skip(f"sample log {name} is not in sample_logs/")
    return path


@functools.cache
def _sample_bytes(name: str) -> bytes:
    return _sample(name).read_bytes()


def _lines(name: str) -> list[bytes]:
    """The sample's lines without their newline (the file ends with one)."""
    data = _sample_bytes(name)
    assert data.endswith(b"\n")
    return data[:-1].split(b"\n")


def _expected(name: str) -> dict:
    return json.loads((SAMPLES / name / "expected.json").read_text(encoding="utf-8"))


@functools.cache
def _baseline(name: str) -> Reading:
    reading = read([str(_sample(name))])
    assert reading.problems == [], reading.problems
    assert reading.handshakes, f"{name}: the undamaged sample gives no handshake"
    return reading


def _summary(h, shift: int = 0, after: int = 0) -> tuple:
    """What a handshake says; its line numbers from ``after`` on move by ``shift`` (that many
    lines were inserted before line ``after``)."""
    def move(line: int) -> int:
        return line + shift if line >= after else line

    return (move(h.start.line), move(h.end.line), h.thread.jvm, h.thread.name, h.sni,
            h.version, h.cert_requested, h.ca_names, h.client_cert_sent, h.outcome,
            h.alert_received.description if h.alert_received else None)


def _doc_without_paths(reading: Reading) -> dict:
    """The ``parse --format json`` handshakes and problems, with every path taken out."""
    doc = parse_document(reading)
    for h in doc["handshakes"]:
        h.pop("path")
        h.pop("end_path")
        for e in h["evidence"]:
            e.pop("path")
    for p in doc["problems"]:
        p.pop("path")
    return {"handshakes": doc["handshakes"], "problems": doc["problems"]}


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _index(lines: list[bytes], marker: bytes, nth: int = -1) -> int:
    """0-based index of the nth line holding ``marker``."""
    hits = [i for i, line in enumerate(lines) if marker in line]
    assert hits, marker
    return hits[nth]


def _start(args, fmt: str | None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "loganalyzer", "parse", *map(str, args)]
    if fmt:
        cmd += ["--format", fmt]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def _finish(*procs: subprocess.Popen) -> list[tuple[int, str, str]]:
    """Wait for every run, then check none shows a traceback: (exit code, stdout, stderr) each."""
    done = [proc.communicate(timeout=120) for proc in procs]
    results = []
    for proc, (raw_out, raw_err) in zip(procs, done):
        out, err = raw_out.decode("utf-8"), raw_err.decode("utf-8")
        assert "Traceback" not in out + err, err
        assert "internal error" not in err, err
        results.append((proc.returncode, out, err))
    return results


def cli(*args: str | Path, fmt: str | None = "json") -> tuple[int, str, str]:
    """``loganalyzer parse ARGS [--format FMT]`` in a subprocess: exit code, stdout, stderr."""
    return _finish(_start(args, fmt))[0]


def cli_both(*args: str | Path) -> tuple[tuple[int, dict, str], tuple[int, str, str]]:
    """The JSON run and the text run, side by side (each CLI start costs about half a second)."""
    (code, out, err), text = _finish(_start(args, "json"), _start(args, None))
    return (code, json.loads(out), err), text


def cli_json(*args: str | Path) -> tuple[int, dict, str]:
    code, out, err = cli(*args)
    return code, json.loads(out), err


# ----------------------------------------------------------------------------- empty file


def test_empty_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "wrapper.log", b"")
    reading = read([str(path)])
    assert reading.handshakes == []
    assert reading.problems == []
    assert [(f.path, f.lines, f.bytes, f.records) for f in reading.files] == [(str(path), 0, 0, 0)]

    (code, doc, err), (text_code, out, text_err) = cli_both(path)
    assert code == text_code == 0 and err == text_err == ""
    assert doc["handshakes"] == [] and doc["problems"] == []
    assert [(i["path"], i["lines"]) for i in doc["inputs"]] == [(str(path), 0)]
    assert "No TLS handshake found" in out


# ----------------------------------------------------------------------------- a cut record


@pytest.mark.parametrize("name", [S12, S13])
@pytest.mark.parametrize("midline", [False, True], ids=["at-line-end", "mid-line"])
def test_file_cut_inside_a_certificate_request(tmp_path: Path, name: str, midline: bool) -> None:
    """The last CertificateRequest loses its end (a crash, a copy cut short): the handshakes
    before it are untouched, the cut record is an ``unparsed`` problem at its header line, and
    its handshake is kept as a partial one: a certificate was requested (the header says so),
    the CA names are unknown, and so is the outcome."""
    lines = _lines(name)
    header = _index(lines, b"Consuming CertificateRequest handshake message (")
    data = b"\n".join(lines[: header + 4])  # the header and three body lines
    data = data[:-5] if midline else data + b"\n"
    path = _write(tmp_path / "wrapper.log", data)
    base = _baseline(name).handshakes
    reading = read([str(path)])

    problems = [(p.where.path, p.where.line, p.kind) for p in reading.problems]
    assert problems == [(str(path), header + 1, "unparsed")]
    assert "Consuming CertificateRequest" in reading.problems[0].message
    assert "closing ')'" in reading.problems[0].message

    before = [h for h in base if h.end.line < header + 1]
    cut = [h for h in base if h.start.line <= header + 1 <= h.end.line]
    assert len(cut) == 1
    got = reading.handshakes
    assert [_summary(h) for h in got[:-1]] == [_summary(h) for h in before]
    partial = got[-1]
    assert (partial.start.line, partial.thread, partial.sni, partial.version) == (
        cut[0].start.line, cut[0].thread, cut[0].sni, cut[0].version)
    assert partial.end.line == header + 1
    assert (partial.cert_requested, partial.request.ca_state, partial.ca_names) == (True, "unknown", ())
    assert partial.request.tls13 is False  # unknown: the body that would tell was lost
    assert (partial.outcome, partial.client_cert_sent) == ("unknown", None)
    assert partial.failure is None and partial.alerts == []

    if (name, midline) != (S12, False):
        return  # the CLI is run once for this case
    code, doc, err = cli_json(path)
    assert code == 0  # an unparsed record is reported, it is not unreadable input
    assert f"{path}:{header + 1}" in err and "unparsed" in err
    assert len(doc["handshakes"]) == len(before) + 1
    assert [(p["line"], p["kind"]) for p in doc["problems"]] == [(header + 1, "unparsed")]


@pytest.mark.parametrize("name", [S12, S13])
def test_file_cut_inside_the_fatal_record(tmp_path: Path, name: str) -> None:
    """A ``Fatal (…)`` record cut in its throwable: the header still says the handshake failed
    and why, so nothing is lost and nothing is reported."""
    lines = _lines(name)
    header = _index(lines, b"|Fatal (")
    path = _write(tmp_path / "wrapper.log", b"\n".join(lines[: header + 3]) + b"\n")
    base = _baseline(name).handshakes
    reading = read([str(path)])
    assert reading.problems == []
    cut = next(h for h in base if h.start.line <= header + 1 <= h.end.line)
    last = reading.handshakes[-1]
    assert last.start.line == cut.start.line
    assert last.outcome == "failed"
    assert last.failure is not None and last.failure.where.line == header + 1
    assert (last.failure.alert, last.failure.message) == (cut.failure.alert, cut.failure.message)
    assert last.failure.exception == ""  # the exception class was in the lost body
    assert last.cert_requested == cut.cert_requested
    assert last.client_cert_sent == cut.client_cert_sent


# ----------------------------------------------------------------------------- rotation


def _rotated(tmp_path: Path) -> tuple[Path, int, int]:
    """S12 split in the body of its third CertificateRequest: wrapper.log.1 has the first part,
    wrapper.log the rest. Returns the folder, the header line and the number of lines in .1."""
    lines = _lines(S12)
    header = _index(lines, b"Consuming CertificateRequest handshake message (", nth=2)
    cut = header + 4
    folder = tmp_path / "logs"
    _write(folder / "wrapper.log.1", b"\n".join(lines[:cut]) + b"\n")
    _write(folder / "wrapper.log", b"\n".join(lines[cut:]) + b"\n")
    return folder, header + 1, cut


def test_a_record_cut_by_rotation(tmp_path: Path) -> None:
    """Both files are read, oldest first; the connection cut in two is joined back into one
    handshake (the server saw 4 connections, the parse shows 4 handshakes), and the
    CertificateRequest whose body rotation cut is read whole again, so nothing is reported
    unparsed; the TM layout has no jvm column, so the live file's JVM is carried over from
    wrapper.log.1."""
    folder, header_line, first_len = _rotated(tmp_path)
    older, live = folder / "wrapper.log.1", folder / "wrapper.log"
    base = _baseline(S12).handshakes
    assert len(base) == len(_expected(S12)["connections"]) == 4

    for args in ([folder], [live, older]):  # a folder, and files named newest first
        reading = read([str(a) for a in args])
        assert [f.path for f in reading.files] == [str(older), str(live)]
        assert len(reading.servers) == 1
        assert [(f.lines, f.layout) for f in reading.files] == [
            (first_len, "TM"), (len(_lines(S12)) - first_len, "TM")]
        assert reading.problems == []

        hs = reading.handshakes
        assert len(hs) == len(base)
        assert {h.thread.jvm for h in hs} == {1}
        assert [h.path for h in hs] == [str(older)] * 3 + [str(live)]
        # the two completed handshakes before the cut are untouched
        assert [_summary(h) for h in hs[:2]] == [_summary(h) for h in base[:2]]
        # the cut one starts in wrapper.log.1 and ends in wrapper.log
        joined, want = hs[2], base[2]
        assert joined.start == Location(str(older), want.start.line)
        assert joined.end == Location(str(live), want.end.line - first_len)
        assert (joined.sni, joined.version, joined.cert_requested, joined.request.ca_state,
                joined.client_cert_sent, joined.outcome, joined.alert_received.description) == (
            want.sni, want.version, True, want.request.ca_state, want.client_cert_sent,
            want.outcome, want.alert_received.description)
        assert joined.request.where == Location(str(older), header_line)
        assert joined.ca_names == want.ca_names
        assert {e.where.path for e in joined.events} == {str(older), str(live)}
        # the last connection lies wholly in wrapper.log, numbered from that file's start
        last, want = hs[3], base[3]
        assert last.start.line == want.start.line - first_len
        assert _summary(last)[1:] == _summary(want, -first_len)[1:]

    code, doc, err = cli_json(folder)
    assert code == 0
    assert [i["path"] for i in doc["inputs"]] == [str(older), str(live)]
    assert f"{older}:{header_line}" not in err
    assert [h["path"] for h in doc["handshakes"]] == [str(older)] * 3 + [str(live)]
    assert {e["path"] for e in doc["handshakes"][2]["evidence"]} == {str(older), str(live)}


# ----------------------------------------------------------------------------- a 10 MB line


def test_a_10_mb_line_inside_a_record_body(tmp_path: Path) -> None:
    """A 10 MB line in the body of the second ClientHello: cut at 1 MiB and reported as a
    notice (the file was read, not whole; exit 0); every handshake is still found."""
    lines = _lines(S12)
    hello = _index(lines, b"Produced ClientHello handshake message (", nth=1)
    at = hello + 3  # 0-based index of the inserted line
    big = APP_PREFIX[S12] + b"  " + b"A" * (10 * MB)
    path = _write(tmp_path / "wrapper.log", b"\n".join(lines[:at] + [big] + lines[at:]) + b"\n")
    base = _baseline(S12).handshakes
    reading = read([str(path)])

    assert [(p.where.path, p.where.line, p.kind) for p in reading.problems] == [
        (str(path), at + 1, "notice")]
    assert "10.5 MB" in reading.problems[0].message
    got = reading.handshakes
    assert len(got) == len(base)
    # the ClientHello holding the line is still parsed: SNI, version, outcome are intact
    assert [_summary(h) for h in got] == [_summary(h, 1, at + 1) for h in base]

    code, doc, err = cli_json(path)
    assert code == 0
    assert f"{path}:{at + 1}" in err and "MB long" in err
    assert len(doc["handshakes"]) == len(base)
    assert [(p["line"], p["kind"]) for p in doc["problems"]] == [(at + 1, "notice")]


@pytest.fixture(scope="module", params=["never", "always"])
def app_line_10mb(tmp_path_factory, request) -> tuple[Path, int, Reading, int, str]:
    """S12 with a 10 MB application line (no JSSE text in it) after line 100: read once,
    with the peak memory of the read; by the in-process scanner and by the grep-located one
    (which never reads a line without a candidate, so it has nothing to report about it)."""
    lines = _lines(S12)
    at = 100
    big = APP_PREFIX[S12] + b"x" * (10 * MB)
    path = _write(tmp_path_factory.mktemp("big") / "wrapper.log",
                  b"\n".join(lines[:at] + [big] + lines[at:]) + b"\n")
    old = os.environ.get("LOGANALYZER_GREP")
    os.environ["LOGANALYZER_GREP"] = request.param
    tracemalloc.start()
    try:
        reading = read([str(path)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        if old is None:
            os.environ.pop("LOGANALYZER_GREP", None)
        else:
            os.environ["LOGANALYZER_GREP"] = old
    return path, at + 1, reading, peak, request.param


def test_a_10_mb_application_line_keeps_every_handshake(app_line_10mb) -> None:
    path, line, reading, _, _ = app_line_10mb
    base = _baseline(S12).handshakes
    assert [_summary(h) for h in reading.handshakes] == [_summary(h, 1, line) for h in base]
    assert reading.files[0].lines == len(_lines(S12)) + 1


def test_a_10_mb_application_line_is_reported(app_line_10mb) -> None:
    path, line, reading, _, mode = app_line_10mb
    if mode == "always":
        assert reading.problems == []  # grep never hands that line over: nothing read
        return
    assert [(p.where.path, p.where.line, p.kind) for p in reading.problems] == [
        (str(path), line, "notice")]
    assert "10.5 MB" in reading.problems[0].message


def test_a_10_mb_application_line_is_read_in_bounded_memory(app_line_10mb) -> None:
    """'Memory stays flat': the line is never held whole (nor searched again and again)."""
    _, _, _, peak, _ = app_line_10mb
    assert peak < 6 * MB, f"peak {peak / MB:.1f} MiB while reading a 10 MB line"


# ----------------------------------------------------------------------------- NUL bytes


@pytest.mark.parametrize("name", [S12, S13, SALL])
def test_nul_bytes_inside_lines_change_nothing(tmp_path: Path, name: str) -> None:
    """NULs in the middle of header, body and application lines, and a copytruncate hole of
    NULs at the start: the same handshakes as the original, no problem."""
    lines = list(_lines(name))
    hello = _index(lines, b"Produced ClientHello handshake message (", nth=0)
    for i in (3, 10, hello, hello + 1, hello + 5, hello + 12, len(lines) // 2, len(lines) - 2):
        line = lines[i]
        lines[i] = line[: len(line) // 2] + b"\0\0\0" + line[len(line) // 2 :]
    damaged = _write(tmp_path / "nul" / "wrapper.log", b"\n".join(lines) + b"\n")
    hole = _write(tmp_path / "hole" / "wrapper.log", b"\0" * 5000 + _sample_bytes(name))
    want = _doc_without_paths(_baseline(name))
    for path in (damaged, hole):
        reading = read([str(path)])
        assert _doc_without_paths(reading) == want
        assert reading.problems == []

    if name != S12:
        return  # the CLI is run once for this case
    code, doc, err = cli_json(damaged)
    assert code == 0 and err == ""
    assert len(doc["handshakes"]) == len(_baseline(name).handshakes)


# ----------------------------------------------------------------------------- cp1252


def test_cp1252_bytes_in_an_application_line_and_in_a_dn(tmp_path: Path) -> None:
    """A Windows MID: é (0xE9) and É (0xC9) in cp1252, in an app line and in the CA list of the
    first CertificateRequest; another line keeps UTF-8. Lines decode per line."""
    lines = list(_lines(S12))
    ca = _index(lines, b'"certificate authorities": [', nth=0)
    assert b"Acme Lab PKI" in lines[ca]
    lines[ca] = lines[ca].replace(b"Acme Lab PKI", "Acme Lab PKÉ".encode("cp1252"))
    lines.insert(ca + 3, APP_PREFIX[S12] + "UTF-8 line: café".encode("utf-8"))
    lines.insert(5, APP_PREFIX[S12] + "MID app line: Café résumé".encode("cp1252"))
    path = _write(tmp_path / "wrapper.log", b"\n".join(lines) + b"\n")
    base = _baseline(S12).handshakes
    reading = read([str(path)])

    assert reading.problems == []
    hs = reading.handshakes
    assert len(hs) == len(base)
    assert [h.outcome for h in hs] == [h.outcome for h in base]
    first = hs[0]
    assert first.ca_names == tuple(n.replace("Acme Lab PKI", "Acme Lab PKÉ") for n in base[0].ca_names)
    assert len(first.ca_names) == 2
    assert [h.ca_names for h in hs[1:]] == [h.ca_names for h in base[1:]]
    assert [(h.start.line, h.client_cert_sent) for h in hs[1:]] == [
        (h.start.line + 2, h.client_cert_sent) for h in base[1:]]

    code, doc, err = cli_json(path)
    assert code == 0 and err == ""
    assert "O=\"Acme Lab, Inc.\"" in doc["handshakes"][0]["ca_names"][0]
    assert "Acme Lab PKÉ" in doc["handshakes"][0]["ca_names"][0]


# ----------------------------------------------------------------------------- CRLF


@pytest.mark.parametrize("name", [S12, S13, SALL])
def test_crlf_gives_exactly_the_same_handshakes(tmp_path: Path, name: str) -> None:
    data = _sample_bytes(name)
    assert b"\r" not in data
    path = _write(tmp_path / "wrapper.log", data.replace(b"\n", b"\r\n"))
    reading = read([str(path)])
    assert _doc_without_paths(reading) == _doc_without_paths(_baseline(name))
    assert reading.files[0].lines == len(_lines(name))
    # no \r leaks into any value
    assert "\r" not in json.dumps(parse_document(reading))

    if name == S12:
        code, doc, err = cli_json(path)
        assert code == 0 and err == ""
        assert len(doc["handshakes"]) == len(_baseline(name).handshakes)


# ----------------------------------------------------------------------------- gzip


@pytest.mark.parametrize("name", [S12, S13, SALL])
def test_gzip_with_and_without_the_gz_name(tmp_path: Path, name: str) -> None:
    packed = gzip.compress(_sample_bytes(name))
    named = _write(tmp_path / "a" / "wrapper.log.gz", packed)
    unnamed = _write(tmp_path / "b" / "wrapper.log", packed)  # gzip content, plain name
    want = _doc_without_paths(_baseline(name))
    for path in (named, unnamed):
        reading = read([str(path)])
        assert _doc_without_paths(reading) == want
        assert [(f.path, f.source.compressed) for f in reading.files] == [(str(path), True)]

    if name == S12:
        code, doc, err = cli_json(named, unnamed)
        assert code == 0 and err == ""
        assert len(doc["handshakes"]) == 2 * len(_baseline(name).handshakes)


@pytest.mark.parametrize("name", [S12, SALL])
def test_truncated_gzip_gives_the_readable_part_and_a_problem(tmp_path: Path, name: str) -> None:
    packed = gzip.compress(_sample_bytes(name))
    path = _write(tmp_path / "wrapper.log.gz", packed[: len(packed) // 2])
    base = _baseline(name).handshakes
    reading = read([str(path)])

    inputs = [p for p in reading.problems if p.kind == "input"]
    assert len(inputs) == 1 and inputs[0].where.path == str(path)
    assert "truncated" in inputs[0].message
    broke = inputs[0].where.line
    assert 1 < broke < len(_lines(name))
    assert reading.files[0].lines in (broke - 1, broke)  # the lines before the break were read
    # every handshake that ended before the break is there, unchanged; at most one partial one
    whole = [_summary(h) for h in base if h.end.line < broke]
    got = [_summary(h) for h in reading.handshakes]
    assert got[: len(whole)] == whole
    assert len(got) - len(whole) in (0, 1)
    assert all(h.start.line < broke for h in reading.handshakes)

    if name != S12:
        return  # the CLI is run once for this case
    code, doc, err = cli_json(path)
    assert code == 2
    assert f"{path}:{broke}" in err and "truncated" in err
    assert len(doc["handshakes"]) == len(got)


# ----------------------------------------------------------------------------- garbage, missing


def test_binary_garbage_is_one_input_problem_and_the_other_input_is_still_read(tmp_path: Path) -> None:
    rnd = random.Random(20261126)
    garbage = bytes(rnd.randrange(256) for _ in range(64 * 1024))
    assert b"\0" in garbage
    bad = _write(tmp_path / "garbage.log", garbage)
    good = _write(tmp_path / "good" / "wrapper.log", _sample_bytes(S12))
    reading = read([str(bad), str(good)])

    assert [(p.where.path, p.kind) for p in reading.problems] == [(str(bad), "input")]
    assert "binary" in reading.problems[0].message
    assert [f.path for f in reading.files] == [str(good)]
    assert [_summary(h) for h in reading.handshakes] == [_summary(h) for h in _baseline(S12).handshakes]

    (code, doc, err), (text_code, out, text_err) = cli_both(bad, good)
    assert code == text_code == 2
    for stderr in (err, text_err):
        mentions = [line for line in stderr.splitlines() if str(bad) in line]
        assert len(mentions) == 1 and "binary" in mentions[0]
    assert len(doc["handshakes"]) == len(_baseline(S12).handshakes)
    assert [p["path"] for p in doc["problems"]] == [str(bad)]
    assert "TLS handshakes in" in out  # the table still shows the good input


def test_a_missing_path_is_reported_after_the_others(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "wrapper.log"
    good = _write(tmp_path / "good" / "wrapper.log", _sample_bytes(S13))
    reading = read([str(missing), str(good)])
    assert [(p.where.path, p.kind, p.message) for p in reading.problems] == [
        (str(missing), "input", "no such file or directory")]
    assert len(reading.handshakes) == len(_baseline(S13).handshakes)

    code, doc, err = cli_json(missing, good)
    assert code == 2
    assert f"{missing}: no such file or directory" in err
    assert len(doc["handshakes"]) == len(_baseline(S13).handshakes)


def test_a_folder_without_logs(tmp_path: Path) -> None:
    folder = tmp_path / "not-logs"
    _write(folder / "README.md", b"# notes\n")
    (folder / "empty-subfolder").mkdir()
    reading = read([str(folder)])
    assert (reading.handshakes, reading.problems, reading.files, reading.skipped) == ([], [], [], 1)

    (code, doc, err), (text_code, out, _) = cli_both(folder)
    assert code == text_code == 0
    assert (doc["inputs"], doc["handshakes"], doc["skipped"]) == ([], [], 1)
    assert "No TLS handshake found" in out


# ----------------------------------------------------------------------------- zip


def test_a_zip_of_a_sample_folder(tmp_path: Path) -> None:
    folder = SAMPLES / S12
    members = sorted(p.name for p in folder.iterdir() if p.is_file())
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for member in members:
            zf.write(folder / member, f"{S12}/{member}")
    reading = read([str(archive)])

    assert reading.problems == []
    prefix = f"{archive}!{S12}/"
    read_names = sorted(f.path.removeprefix(prefix) for f in reading.files)
    assert "wrapper.log" in read_names and "expected.json" not in read_names
    assert reading.skipped == len(members) - len(read_names)
    assert [s.group for s in reading.servers] == [f"{archive}!{S12}"]
    assert {h.path for h in reading.handshakes} == {prefix + "wrapper.log"}
    assert _doc_without_paths(reading)["handshakes"] == _doc_without_paths(_baseline(S12))["handshakes"]

    code, doc, err = cli_json(archive)
    assert code == 0 and err == ""
    assert len(doc["handshakes"]) == len(_expected(S12)["connections"])


# ----------------------------------------------------------------------------- odd paths


@pytest.mark.parametrize("folder_name", ["mid[red]", "mid[/]"])
def test_stderr_names_a_file_whose_path_holds_brackets(tmp_path: Path, folder_name: str) -> None:
    """Rich markup must not eat '[red]' from a path nor choke on '[/]'."""
    lines = _lines(S12)
    header = _index(lines, b"Consuming CertificateRequest handshake message (")
    path = _write(tmp_path / folder_name / "wrapper.log", b"\n".join(lines[: header + 4]) + b"\n")
    (code, doc, err), (text_code, out, text_err) = cli_both(path)
    assert code == text_code == 0
    assert f"{path}:{header + 1}" in err and f"{path}:{header + 1}" in text_err
    assert doc["handshakes"][0]["path"] == str(path)
    assert f"TLS handshakes in {path.parent}" in out


def test_the_table_shows_a_thread_name_holding_brackets_as_it_is(tmp_path: Path) -> None:
    data = _sample_bytes(S13)
    assert b"|ECCSender.1|" in data
    swallowed = _write(tmp_path / "a" / "wrapper.log", data.replace(b"|ECCSender.1|", b"|ECCSender.1 [mid]|"))
    crashing = _write(tmp_path / "b" / "wrapper.log", data.replace(b"|ECCSender.1|", b"|ECC[/]Sender|"))
    runs = [_start([swallowed], None), _start([crashing], None)]
    (code, out, _), (code2, out2, _) = _finish(*runs)
    assert code == code2 == 0
    assert "ECCSender.1 [mid]" in out
    assert "ECC[/]Sender" in out2
