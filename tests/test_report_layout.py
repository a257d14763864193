"""How the reports are laid out for a person: evidence once, summaries, 80 columns, plain help.

- The candidates of a differential share one evidence block (text, Markdown, HTML).
- A side effect (``auth-user-null``) points to its cause by number and shows none of the evidence
  lines its cause shows; the JSON keeps every line.
- A text report on several MID Servers opens with a table of them and ends with a line of counts.
- Counts have the right plural; piped output has no trailing spaces; help shows plain metavars.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from loganalyzer.analysis.diagnoses import diagnose
from loganalyzer.analysis.reading import read
from loganalyzer.reporters import html, markdown, text
from loganalyzer.reporters.document import (
    Block,
    Groups,
    analyze_document,
    blocks,
    numbers,
    relative,
    shorten_left,
)
from loganalyzer.ruleset.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = sorted(p.parent.name for p in (ROOT / "sample_logs").glob("*/expected.json"))
DIFFERENTIAL = "jdk17-tls12-no-private-key-m"  # three candidates and their side effect
CLEAN = {k: v for k, v in os.environ.items()
         if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES")}


@cache
def _doc_json(*names: str) -> str:
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        reading = read([f"sample_logs/{name}" for name in names])
    finally:
        os.chdir(cwd)
    return json.dumps(analyze_document(reading, diagnose(reading, load_rules())))


def _doc(*names: str) -> dict:
    return json.loads(_doc_json(*names))


def _blocks(doc: dict) -> list[tuple[str, Block]]:
    groups = Groups(doc)
    number = numbers(groups)
    return [(g, b) for g in groups.names for b in blocks(groups.diagnoses(g), number)]


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "loganalyzer", *args], capture_output=True,
                          text=True, cwd=ROOT, env={**CLEAN, **(env or {})}, timeout=300)


# ----------------------------------------------------------------------------- the blocks


def test_a_differential_is_one_block_and_its_side_effect_points_to_it() -> None:
    laid = [b for _, b in _blocks(_doc(DIFFERENTIAL))]
    assert [(b.numbers, [d["root_cause"] for d in b.diagnoses]) for b in laid] == [
        ([1, 2, 3], ["ca-chain-incomplete", "client-cert-not-in-keystore",
                     "self-signed-client-cert"]),
        ([4], ["auth-user-null"]),
    ]
    group, side = laid
    assert group.differential and group.span == "1–3"
    assert side.cause is group and side.left_out == 6
    assert [e["line"] for e in side.evidence] == [298]  # its own line, the agent log's
    assert side.pointer() == ("A side effect: see diagnoses 1–3, the possible causes. "
                              "Fixing that clears this too.")


def test_a_side_effect_with_no_shared_line_points_to_the_cause_its_rule_names() -> None:
    """MTLS-131: no failed handshake near it; the instance did not ask for a certificate."""
    cause, side = (b for _, b in _blocks(_doc("jdk21-tls12-no-cert-request-m")))
    assert cause.diagnoses[0]["root_cause"] == "no-client-cert-requested"
    assert side.cause is cause and side.left_out == 0
    assert side.pointer() == "The likely cause: see diagnosis 1, no-client-cert-requested."


def test_unrelated_possible_diagnoses_are_not_one_differential() -> None:
    """Two ``possible`` errors of one MID Server that share no evidence line stay apart."""
    laid = [b for _, b in _blocks(_doc("jdk11-tls13-inspecting-proxy-trusted-lptm"))]
    assert [len(b.diagnoses) for b in laid] == [1, 1]


@pytest.mark.parametrize("name", FOLDERS)
def test_the_json_keeps_every_evidence_line(name: str) -> None:
    """The layout is presentation: the document's diagnoses are not touched."""
    doc = _doc(name)
    before = copy.deepcopy(doc["diagnoses"])
    for _group, b in _blocks(doc):
        assert all(e in [x for d in b.diagnoses for x in d["evidence"]] for e in b.evidence)
    assert doc["diagnoses"] == before


# ----------------------------------------------------------------------------- every format

# where each renderer shows an evidence line, and how it starts a diagnosis block


def _text_sections(doc: dict) -> list[str]:
    report = text.render(doc, width=80)
    return re.split(r"\n(?=╭─ )", report)[1:]


def _markdown_sections(doc: dict) -> list[str]:
    report = markdown.render_document(doc)
    return re.split(r"\n(?=### )", report)[1:]


def _html_sections(doc: dict) -> list[str]:
    page = html.render_document(doc)
    return re.findall(r'<article class="diagnosis.*?</article>', page, re.S)


def _shown(fmt: str, section: str, e: dict, group: str) -> int:
    """How often ``section`` shows evidence line ``e`` in format ``fmt``."""
    where = f"{relative(e['path'], group)}:{e['line']}"
    pattern = {
        "text": re.escape(shorten_left(where, text.EVIDENCE_WHERE)) + r"  ",
        "markdown": re.escape(f"{e['path']}:{e['line']}: "),
        "html": re.escape(f"{where}</td>"),
    }[fmt]
    return len(re.findall(r"(?m)^\s*" + pattern if fmt == "text" else pattern, section))


SECTIONS = {"text": _text_sections, "markdown": _markdown_sections, "html": _html_sections}


@pytest.mark.parametrize("fmt", SECTIONS)
@pytest.mark.parametrize("name", FOLDERS)
def test_evidence_once(name: str, fmt: str) -> None:
    """Each block shows its lines once; a side effect none of its cause's."""
    doc = _doc(name)
    laid = _blocks(doc)
    sections = SECTIONS[fmt](doc)
    assert len(sections) == len(laid), "one section per block"
    index = {id(b): n for n, (_, b) in enumerate(laid)}
    for (group, b), section in zip(laid, sections):
        for e in b.evidence:
            assert _shown(fmt, section, e, group) == 1, (b.span, e["line"])
        if b.cause is not None:
            mine = {(e["path"], e["line"]) for e in b.evidence}
            for e in b.cause.evidence:
                if (e["path"], e["line"]) not in mine:
                    assert _shown(fmt, section, e, group) == 0, (b.span, e["line"])
            cause_at = sections[index[id(b.cause)]]
            assert all(_shown(fmt, cause_at, e, group) == 1 for e in b.cause.evidence)


@pytest.mark.parametrize("fmt", SECTIONS)
def test_every_candidate_and_its_distinguish_text_is_listed(fmt: str) -> None:
    doc = _doc(DIFFERENTIAL)
    section = SECTIONS[fmt](doc)[0]
    flat = " ".join(re.sub(r"<[^>]+>|[│`*]", " ", section).split())
    for d in doc["diagnoses"][:3]:
        assert d["root_cause"] in flat and d["rule"] in flat
        assert " ".join(d["distinguish"].replace("`", " ").split())[:60] in flat


# ----------------------------------------------------------------------------- summaries


def test_several_mid_servers_open_with_a_table_and_end_with_counts() -> None:
    doc = _doc(DIFFERENTIAL, "jdk25-tls13-ca-mismatch-ptm", "jdk11-tls12-success-ptm")
    lines = text.render(doc, width=80).splitlines()
    start = lines.index("3 MID Servers in sample_logs/")
    assert lines[start + 1].split() == ["MID", "Server,", "root", "causes", "worst",
                                        "handshakes"]
    assert lines[start + 2].split() == ["jdk17-tls12-no-private-key-m", "error", "1,", "1",
                                        "failed"]
    assert lines[start + 3].strip().startswith(
        "ca-chain-incomplete or client-cert-not-in-keystore or")
    assert "auth-user-null (side effect)" in " ".join(lines[start + 3:start + 5])
    assert lines[start + 5].split() == ["jdk25-tls13-ca-mismatch-ptm", "error", "1,", "1",
                                        "failed"]
    assert lines[start + 7].split() == ["jdk11-tls12-success-ptm", "info", "1"]
    assert lines[start + 8].strip() == "mtls-ok"
    assert lines[-1] == "3 MID Servers: 2 error, 1 clean · 2 of 3 TLS handshakes failed"
    # numbered as read: the second MID Server's diagnoses come after the first's
    assert "╭─ 5 " in "\n".join(lines) and "see diagnosis 5, ca-chain-incomplete" in " ".join(
        " ".join(lines).split())


def test_one_mid_server_has_no_summary_table() -> None:
    report = text.render(_doc("jdk25-tls13-ca-mismatch-ptm"), width=80)
    assert "MID Server, root causes" not in report and "MID Servers:" not in report


@pytest.mark.slow
def test_analyze_sample_logs_opens_with_the_table_and_ends_with_the_count_line() -> None:
    out = _cli("analyze", "sample_logs/", env={"COLUMNS": "80"})
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    head = re.fullmatch(r"(\d+) MID Servers in sample_logs/", lines[2])
    assert head, lines[:4]
    tail = re.fullmatch(r"(\d+) MID Servers: (\d+) error, (\d+) warning, (\d+) clean · \d+ of "
                        r"\d+ TLS handshakes failed", lines[-1])
    assert tail and tail[1] == head[1], lines[-1]
    assert sum(int(n) for n in tail.groups()[1:]) == int(head[1])
    assert all(len(line) <= 80 and line == line.rstrip() for line in lines)


def test_counts_have_the_right_plural() -> None:
    one = _doc("jdk11-tls12-success-ptm")
    assert "Read 2 files, 450 lines, 1 TLS handshake. 1 diagnosis." in markdown.render_document(
        one)
    assert "Read 2 files, 450 lines, 1 TLS handshake, 1 diagnosis." in html.render_document(one)
    for report in (markdown.render_document(one), html.render_document(one),
                   text.render(one, width=80)):
        assert "(s)" not in report and "(es)" not in report


def test_no_sent_line_where_no_certificate_was_asked_for() -> None:
    report = text.render(_doc("jdk21-tls12-no-cert-request-m"), width=80)
    assert "requested: no" in report and "sent: ?" not in report


def test_a_long_label_of_a_self_check_keeps_a_hanging_indent() -> None:
    part = {"title": "Certificates", "rows": [
        {"label": "leaf: CN=mid-lab-01.acme.example, OU=MID Servers, O=Acme Lab\\, Inc., C=US",
         "value": "hash b997265a, issuer hash 43846c79; RSA 2048 bits; valid 2026-12-02 to "
                  "2029-03-06; /tmp/pki/bundle.pem:29"},
        {"label": "Extended Key Usage", "value": "TLS Web Client Authentication"},
    ]}
    doc = {"command": "certs", "checked": [part], "diagnoses": [], "inputs": [],
           "handshakes": [], "problems": []}
    lines = text.render(doc, width=60).splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith("leaf: "))
    assert re.match(r"  \S", lines[at + 1])  # the label's own wrap is indented
    assert lines[at + 2].startswith(" " * 20 + "hash b997265a")  # its value under the column
    assert lines[at + 3].startswith(" " * 22)  # the value's wrap, indented again
    assert lines[-1].startswith("Extended Key Usage  TLS Web Client Authentication")


# ----------------------------------------------------------------------------- the CLI


def test_piped_text_has_no_trailing_spaces() -> None:
    for args in (("analyze", f"sample_logs/{DIFFERENTIAL}"), ("rules", "list"),
                 ("rules", "show", "MTLS-020"), ("explain", "certificate_required"),
                 ("analyze", "--help"), ("--help",)):
        out = _cli(*args, env={"COLUMNS": "80"})
        assert out.returncode in (0, 1), (args, out.stderr)
        lines = out.stdout.splitlines()
        assert lines and all(line == line.rstrip() for line in lines), args
        assert all(len(line) <= 80 for line in lines), args


@pytest.mark.parametrize("command", ["", "analyze", "parse", "scan", "certs", "config",
                                     "self-check", "probe", "instance", "explain", "rules",
                                     "rules list", "rules show", "rules check"])
def test_help_shows_plain_metavars(command: str) -> None:
    out = _cli(*command.split(), "--help", env={"COLUMNS": "80"})
    assert out.returncode == 0, out.stderr
    assert not re.search(r"<(bool|str|int|float|path|list\[[^]]*\])[^>]*>|\{\w+\}",
                         out.stdout), out.stdout
    usage = next(line for line in out.stdout.splitlines() if "Usage:" in line)
    assert "{" not in usage and "<" not in usage


def test_help_names_arguments_and_values_as_click_does() -> None:
    out = _cli("scan", "--help", env={"COLUMNS": "80"}).stdout
    assert "loganalyzer scan [OPTIONS] PATHS...\n" in out
    flat = " ".join(out.split())
    for shown in ("PATHS...", "-o TEXT", "-j INTEGER [x>=1]", "[process|serial|dask]",
                  "FLOAT [x>=0.1]", "--rules-dir DIR"):
        assert shown in flat, shown
    assert re.search(r"--quiet\s+-q\s+No progress bar", out)  # a flag shows no metavar
    assert "loganalyzer rules show [OPTIONS] ID\n" in _cli("rules", "show", "--help").stdout
