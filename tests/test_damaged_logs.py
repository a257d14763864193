"""Damaged real logs: every sample log in ``sample_logs/`` mutated line by line.

Input: the real captures in ``sample_logs/*/wrapper.log`` (and the agent logs beside them),
damaged by the test: lines dropped, duplicated or swapped; a line cut inside a record body;
garbage bytes between a record header and its body; the value after a colon emptied (the
``keyStore is : `` shape); NULs added, a bit flipped, a line switched to cp1252.

What must hold:

- nothing escapes the library API (``reading.read``, ``diagnoses.diagnose``, the report
  document and its text / JSON / Markdown / HTML renderings), and no record handler raises at
  all: the tests run with ``LOGANALYZER_DEBUG=1``, so the fault boundaries re-raise, and no
  ``internal`` problem may appear;
- every event has the types its dataclass declares (what rules compare must be a string);
- the CLI never says ``internal error`` and exits 0, 1 or 2;
- **locality**: a one-line mutation inside one handshake leaves every other handshake of the
  file as it was, and its facts and diagnoses, except what by design looks across handshakes
  (earlier / later / concurrent connections, the agent-log window, the chains the JVM sent)
  when the damaged handshake's own outcome changed;
- **rotation**: a log split into ``wrapper.log.1`` + ``wrapper.log`` at any point gives the same
  diagnoses as the whole file.

The property runs are seeded (``derandomize``) and short; ``pytest -m fuzz`` runs them long.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import sys
import typing
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loganalyzer.analysis.diagnoses import diagnose
from loganalyzer.analysis.facts import Timeline, derive
from loganalyzer.analysis.reading import read, read_items
from loganalyzer.ingest.lines import LineDecoder
from loganalyzer.ingest.sources import decode_line, iter_sources
from loganalyzer.jsse import events as ev
from loganalyzer.jsse.unified import HEADER
from loganalyzer.reporters import html, markdown, text
from loganalyzer.reporters.document import analyze_document
from loganalyzer.ruleset.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "sample_logs").glob("*/wrapper.log"))
AGENT_LOGS = sorted((ROOT / "sample_logs").glob("*/agent0.log*"))
NAMES = [p.parent.name for p in SAMPLES]


def _examples(short: int, long: int) -> list:
    """``max_examples`` by marker: the seeded short run always, the long one under ``-m fuzz``."""
    return [pytest.param(short, id="short"), pytest.param(long, id="long", marks=pytest.mark.fuzz)]


def _settings(examples: int) -> settings:
    """Seeded (the same examples every run), no example database, no deadline."""
    return settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                    print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def _handlers_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault boundaries re-raise: a handler that raises on odd input fails the test."""
    monkeypatch.setenv("LOGANALYZER_DEBUG", "1")


@functools.cache
def _lines(path: Path) -> tuple[bytes, ...]:
    return tuple(path.read_bytes().splitlines(keepends=True))


@functools.cache
def _messages(path: Path) -> tuple[str, ...]:
    """Each line's message, the wrapper prefix split off as the reader does."""
    decoded = [decode_line(x) for x in _lines(path)]
    decoder = LineDecoder()
    decoder.detect(decoded[:200])
    return tuple(decoder.split(x)[1] for x in decoded)


@functools.cache
def _owners(path: Path) -> tuple[int, ...]:
    """For each line (0-based), the 1-based line of the JSSE record header it belongs to
    (itself for a header or a line outside any record)."""
    out, current = [], 0
    for i, msg in enumerate(_messages(path), 1):
        if "javax.net.ssl|" in msg:
            current = i if msg.rstrip().endswith(" (") else 0
            out.append(i)
        elif current:
            out.append(current)
            if msg.rstrip() == ")":
                current = 0
        else:
            out.append(i)
    return tuple(out)


@functools.cache
def _bodies(path: Path) -> tuple[int, ...]:
    """0-based indexes of lines inside record bodies."""
    return tuple(i for i, (owner, n) in enumerate(zip(_owners(path), range(1, 10**9))) if owner != n)


@functools.cache
def _openers(path: Path) -> tuple[int, ...]:
    """0-based indexes of record headers that open a body."""
    return tuple(i for i, m in enumerate(_messages(path))
                 if "javax.net.ssl|" in m and m.rstrip().endswith(" ("))


RULES = load_rules()


# ---------------------------------------------------------------------------------- mutations


def _cp1252(line: bytes, at: int) -> bytes:
    """The line as a Windows MID Server writes it: cp1252, with a non-ASCII letter in it."""
    body = line.rstrip(b"\r\n")
    s = body.decode("utf-8", "replace")
    at = min(at, len(s))
    return (s[:at] + "é" + s[at:]).encode("cp1252", "replace") + line[len(body):]


def _emptied(line: bytes) -> bytes:
    """``keyStore is : /x`` -> ``keyStore is : ``; ``"subject" : "CN=x",`` -> ``"subject" : ``."""
    body = line.rstrip(b"\r\n")
    colon = body.rfind(b": ")
    if colon < 0:
        return line
    return body[: colon + 2] + line[len(body):]


def mutate(lines: tuple[bytes, ...], kind: str, i: int, k: int, junk: bytes) -> tuple[list[bytes], int, int]:
    """One mutation of line ``i``; returns the lines, the 1-based line where lines were added
    (+1) or removed (-1) and that change (0 when the count is the same)."""
    out = list(lines)
    line = out[i]
    body = line.rstrip(b"\r\n")
    end = line[len(body):]
    k = min(k, len(body))
    if kind == "drop":
        del out[i]
        return out, i + 1, -1
    if kind == "duplicate":
        out.insert(i, line)
        return out, i + 1, 1
    if kind == "swap" and i + 1 < len(out):
        out[i], out[i + 1] = out[i + 1], out[i]
    elif kind == "cut":
        out[i] = body[:k] + end
    elif kind == "garbage":
        out.insert(i + 1, junk.replace(b"\n", b" ") + b"\n")
        return out, i + 2, 1
    elif kind == "empty-value":
        out[i] = _emptied(line)
    elif kind == "nul":
        out[i] = body[:k] + b"\0" * (1 + len(junk) % 9) + body[k:] + end
    elif kind == "flip" and body:
        k = min(k, len(body) - 1)
        out[i] = body[:k] + bytes([body[k] ^ (1 << (len(junk) % 8))]) + body[k + 1:] + end
    elif kind == "cp1252":
        out[i] = _cp1252(line, k)
    return out, i + 1, 0


ONE_LINE = ("cut", "empty-value", "nul", "flip", "cp1252", "garbage", "drop", "duplicate", "swap")


@st.composite
def damage(draw, paths=SAMPLES):
    """A sample and one mutation: anywhere, in a record body, or right after a header."""
    path = draw(st.sampled_from(paths))
    lines = _lines(path)
    kind = draw(st.sampled_from(ONE_LINE))
    where = draw(st.sampled_from(("any", "body", "header")))
    pool = {"body": _bodies(path), "header": _openers(path)}.get(where) or range(len(lines))
    i = draw(st.sampled_from(pool))
    k = draw(st.integers(0, 200))
    junk = draw(st.binary(min_size=0, max_size=24))
    return path, kind, i, k, junk


def write(folder: Path, name: str, lines: list[bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    target.write_bytes(b"".join(lines))
    return target


# ---------------------------------------------------------------------------------- the checks


@functools.cache
def _hints(cls: type) -> dict[str, object]:
    return typing.get_type_hints(cls)


def _typed(value, hint) -> bool:
    origin = typing.get_origin(hint)
    if hint is typing.Any:
        return True
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return any(_typed(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_typed(v, args[0]) for v in value)
        return len(args) == len(value) and all(_typed(v, a) for v, a in zip(value, args))
    if origin is dict:
        return isinstance(value, dict)
    if hint is float:
        return isinstance(value, (int, float))
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def assert_typed(obj) -> None:
    """Every field of an event (and of the certificates in it) has its declared type."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        assert _typed(value, _hints(type(obj))[f.name]), (type(obj).__name__, f.name, value)
        if isinstance(value, tuple):
            for v in value:
                if isinstance(v, ev.CertInfo):
                    assert_typed(v)


def pipeline(reading):
    """Diagnose and build and render the report: the whole library API after reading."""
    diagnoses = diagnose(reading, RULES)
    doc = analyze_document(reading, diagnoses)
    json.dumps(doc)
    text.render(doc)
    markdown.render_document(doc)
    html.render_document(doc)
    assert [p for p in reading.problems if p.kind == "internal"] == []
    for h in reading.handshakes:
        for e in h.events:
            assert_typed(e)
    for s in reading.servers:
        for e in s.agent_events:
            assert_typed(e)
    return diagnoses


# ---------------------------------------------------------------------------------- no escape


@pytest.mark.parametrize("examples", _examples(150, 3000))
def test_damaged_logs_never_raise(examples: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    @_settings(examples)
    @given(damage())
    def run(case) -> None:
        path, kind, i, k, junk = case
        lines, _, _ = mutate(_lines(path), kind, i, k, junk)
        folder = tmp_path_factory.mktemp("d")
        write(folder, "wrapper.log", lines)
        pipeline(read([str(folder)]))

    run()


@pytest.mark.parametrize("examples", _examples(25, 500))
def test_damaged_agent_logs_never_raise(examples: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    @_settings(examples)
    @given(damage(AGENT_LOGS))
    def run(case) -> None:
        path, kind, i, k, junk = case
        lines, _, _ = mutate(_lines(path), kind, i, k, junk)
        folder = tmp_path_factory.mktemp("a")
        write(folder, path.name, lines)
        reading = read_items(iter_sources([str(folder / path.name)]))
        pipeline(reading)

    run()


def test_many_mutations_at_once_never_raise(tmp_path: Path) -> None:
    """Every sample with a mutation of every kind on every 7th line: dense damage."""
    for path in SAMPLES:
        lines = list(_lines(path))
        for n, i in enumerate(range(3, len(lines) - 1, 7)):
            kind = ONE_LINE[n % 6]  # the kinds that keep the line count
            lines, _, _ = mutate(tuple(lines), kind, i, (n * 13) % 90, bytes([n % 256]) * (n % 5))
        folder = tmp_path / path.parent.name
        write(folder, "wrapper.log", lines)
        pipeline(read([str(folder)]))


def _cli(args: list[str]) -> tuple[int, str]:
    """``loganalyzer`` run in process: its exit code and what it wrote to stderr."""
    from loganalyzer.cli.app import main

    err, out = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["loganalyzer", *args]
    try:
        with redirect_stderr(err), redirect_stdout(out):
            main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = argv
    return code, err.getvalue()


def test_the_cli_on_damaged_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A handful of damaged logs through ``analyze`` in every format: no ``internal error``."""
    monkeypatch.delenv("LOGANALYZER_DEBUG")
    def sample(name: str) -> Path:
        return ROOT / "sample_logs" / name / "wrapper.log"

    a, b, c, d = (sample(n) for n in ("jdk17-tls12-success-lptm", "jdk11-tls13-expired-lptm",
                                      "jdk25-tls13-no-private-key-lpztm", "jdk21-tls12-ca-mismatch-tm"))
    cases = [(a, "flip", 40), (b, "garbage", _openers(b)[3]), (c, "empty-value", _bodies(c)[10]),
             (d, "cp1252", _bodies(d)[4]), (a, "drop", _openers(a)[5])]
    for n, (path, kind, i) in enumerate(cases):
        lines, _, _ = mutate(_lines(path), kind, i, 17, b"\xff\xfe junk \x00")
        folder = tmp_path / str(n)
        write(folder, "wrapper.log", lines)
        for fmt in ("text", "json", "markdown", "html"):
            code, err = _cli(["analyze", str(folder), "--format", fmt, "-o", str(tmp_path / f"r{n}.{fmt}")])
            assert "internal error" not in err, err
            assert code in (0, 1, 2), (code, err)


# ---------------------------------------------------------------------------------- locality


def _shift(mapping):
    """Old line -> new line after a mutation that added or removed one line at ``added_at``."""
    added_at, change = mapping

    def f(line: int) -> int:
        if change > 0 and line >= added_at:
            return line + change
        if change < 0 and line > added_at:
            return line + change
        return line

    return f


def summary(h, at=lambda n: n) -> tuple:
    """What a handshake shows, with its line numbers put through ``at``."""
    return (
        h.thread.jvm, h.thread.name, at(h.start.line), at(h.end.line), h.sni, h.version, h.cipher,
        h.cert_requested, h.request and (h.request.ca_state, h.request.ca_names),
        h.client_cert_sent, tuple(c.subject for c in h.client_chain), h.no_cert_marker,
        tuple((a.direction, a.level, a.description) for a in h.alerts),
        h.failure and (h.failure.alert, h.failure.message, h.failure.exception),
        h.completed, h.closed, h.outcome, h.km_debug_on,
        tuple(sorted(h.key_manager.aliases and (a for a, _ in h.key_manager.aliases))),
        tuple((s.outcome, s.alias) for s in h.key_manager.selections),
        tuple((type(e).__name__, at(e.where.line)) for e in h.events),
    )


# facts that by design look at other handshakes or at the agent log (the km_* ones read the
# chains the same JVM sent in any handshake: Timeline.known_chains)
_ACROSS = ("earlier_cert_sent", "earlier_completed", "later_cert_sent", "concurrent_threads",
           "agent_kinds", "policy_checks_off", "km_aliases", "km_chain_covered", "km_self_signed",
           "km_eku_ok", "km_expired", "km_key_unsupported")


def _judged(reading) -> dict[tuple, tuple[dict, frozenset]]:
    """Per handshake (jvm, thread, start line): its facts and the handshake rules that fire."""
    out = {}
    for server in reading.servers:
        timeline = Timeline(server.handshakes, server.agent_events)
        for h in timeline.handshakes:
            facts = dataclasses.asdict(derive(h, timeline))
            fired = frozenset(r.id for r in RULES.for_scope("handshake") if r.matches(derive(h, timeline)))
            out[(h.thread.jvm, h.thread.name, h.start.line)] = (facts, fired)
    return out


@functools.cache
def _baseline(path: Path):
    reading = read([str(path)])
    return reading, _judged(reading)


def _visible(h) -> tuple:
    """What other handshakes' facts may read of this one."""
    return (h.outcome, h.client_cert_sent, tuple(c.subject for c in h.client_chain), h.sni,
            h.completed)


@functools.cache
def _inside(path: Path) -> tuple[tuple[int, int], ...]:
    """(handshake index, 0-based line) pairs: lines strictly inside exactly one handshake,
    whose record (when they are in one) starts inside it too."""
    reading, _ = _baseline(path)
    hs = reading.handshakes
    spans = [(h.start.line, h.end.line) for h in hs]
    owners = _owners(path)
    out = []
    for n, (a, b) in enumerate(spans):
        for line in range(a + 1, b):
            owner = owners[line - 1]
            if all(not (c <= x <= d) for m, (c, d) in enumerate(spans) if m != n for x in (line, owner)) \
                    and a < owner < b:
                out.append((n, line - 1))
    return tuple(out)


LOCAL_SAMPLES = [p for p in SAMPLES if len(read([str(p)]).handshakes) >= 2 and _inside(p)]


@functools.cache
def _headers() -> tuple[str, ...]:
    """Every distinct one-line record header message of every sample (strays to insert)."""
    found = {m.rstrip() for p in SAMPLES for m in _messages(p)
             if m.startswith("javax.net.ssl|") and not m.rstrip().endswith(" (")}
    return tuple(sorted(found))


@functools.cache
def _markers() -> tuple[str, ...]:
    """The stray headers that look like key-manager or SSLContext-initialisation output."""
    words = ("found key for", "matching alias", "KeyMgr:", "Ignore alias", "init key",
             "trigger seeding", "done seeding", "Raw read", "Raw write", "Plaintext before")
    return tuple(h for h in _headers() if any(w in HEADER.match(h)["msg"] for w in words))


def stray(path: Path, i: int, thread: ev.Thread, header: str) -> bytes:
    """``header`` (from any sample) as a line of ``thread`` behind line ``i``'s wrapper prefix:
    one stray record header inside a handshake."""
    m = HEADER.match(header)
    msg = _messages(path)[i]
    line = decode_line(_lines(path)[i])
    prefix = line[: len(line) - len(msg)] if msg and line.endswith(msg) else ""
    text = (f"javax.net.ssl|{m['level']}|{thread.tid or '01'}|{thread.name}|{m['ts']}|"
            f"{m['caller']}|{m['msg']}")
    return (prefix + text + "\n").encode()


@st.composite
def local_damage(draw):
    path = draw(st.sampled_from(LOCAL_SAMPLES))
    n, i = draw(st.sampled_from(_inside(path)))
    kind = draw(st.sampled_from((*ONE_LINE, "stray", "stray", "stray")))
    if kind == "stray":  # half of them lines that key-manager debug output prints
        pool = draw(st.sampled_from((_headers(), _markers())))
        junk = draw(st.sampled_from(pool)).encode()
    else:
        junk = draw(st.binary(max_size=24))
    return path, n, i, kind, draw(st.integers(0, 200)), junk


@pytest.mark.parametrize("examples", _examples(120, 2000))
def test_locality(examples: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    @_settings(examples)
    @given(local_damage())
    def run(case) -> None:
        path, n, i, kind, k, junk = case
        if kind == "swap":
            i = i - 1 if (n, i - 1) in _inside(path) else i
            if (n, i + 1) not in _inside(path):
                return  # both swapped lines must lie inside the handshake
        base, base_judged = _baseline(path)
        if kind == "stray":  # a header of the damaged handshake's thread, from any sample
            line = stray(path, i, base.handshakes[n].thread, junk.decode())
            lines, added_at, change = [*_lines(path)[:i], line, *_lines(path)[i:]], i + 1, 1
        else:
            lines, added_at, change = mutate(_lines(path), kind, i, k, junk)
        folder = tmp_path_factory.mktemp("l")
        write(folder, "wrapper.log", lines)
        reading = read([str(folder)])
        assert [p for p in reading.problems if p.kind == "internal"] == []
        at = _shift((added_at, change))
        damaged = base.handshakes[n]
        got = {(h.thread.jvm, h.thread.name, h.start.line): h for h in reading.handshakes}
        judged = _judged(reading)
        # the damaged handshake as others see it (when it is still there unchanged in that way)
        same_view = any(_visible(h) == _visible(damaged) for h in reading.handshakes
                        if h.thread == damaged.thread and h.start.line == at(damaged.start.line))
        for m, h in enumerate(base.handshakes):
            if m == n:
                continue
            key = (h.thread.jvm, h.thread.name, at(h.start.line))
            assert key in got, (kind, i, "lost handshake", m)
            assert summary(got[key]) == summary(h, at), (kind, i, m)
            facts, fired = judged[key]
            want_facts, want_fired = base_judged[(h.thread.jvm, h.thread.name, h.start.line)]
            own = {f: v for f, v in facts.items() if f not in _ACROSS}
            want_own = {f: v for f, v in want_facts.items() if f not in _ACROSS}
            assert own == want_own, (kind, i, m)
            if same_view and base.servers[0].agent_events == reading.servers[0].agent_events:
                assert facts == want_facts, (kind, i, m)
                assert fired == want_fired, (kind, i, m)

    run()


def test_a_stray_key_manager_header_flips_no_other_handshake(tmp_path: Path) -> None:
    """One header that looks like key-manager output, written inside one handshake of a JVM
    whose key-manager debug output was off: no handshake, that one included, is confirmed as
    'client-cert-not-in-keystore' (the earlier reader marked the whole JVM from that header)."""
    path = ROOT / "sample_logs" / "jdk17-tls12-policy-drops-cert-tm" / "wrapper.log"
    lines = list(_lines(path))
    base = read([str(path)])
    assert not any(h.km_debug_on for h in base.handshakes)
    hs = base.handshakes
    inside = next(i for n, i in _inside(path) if n == len(hs) - 1)
    header = next(x for x in lines if b"javax.net.ssl|" in x and b"|Produced ClientHello" in x)
    for marker in (b"trigger seeding of SecureRandom", b"init keymanager of type SunX509",
                   b"KeyMgr: choosing key: mid (verified: OK)", b"Raw read (", b"found key for : mid"):
        stray = header.split(b"|Produced ClientHello")[0] + b"|" + marker + b"\n"
        folder = tmp_path / str(len(marker))
        write(folder, "wrapper.log", lines[:inside] + [stray] + lines[inside:])
        reading = read([str(folder)])
        assert [h.km_debug_on for h in reading.handshakes] == [False] * len(hs), marker
        assert [d.root_cause for d in pipeline(reading)] == [
            d.root_cause for d in diagnose(base, RULES)], marker


# ---------------------------------------------------------------------------------- rotation


def _diagnoses(paths: list[str]) -> list[tuple]:
    return [(d.rule, d.root_cause, d.confidence, d.severity, d.handshakes)
            for d in diagnose(read(paths), RULES)]


@functools.cache
def _whole(path: Path) -> list[tuple]:
    return _diagnoses([str(path)])


def _split(tmp: Path, path: Path, cut: int) -> Path:
    lines = _lines(path)
    write(tmp, "wrapper.log.1", list(lines[:cut]))
    write(tmp, "wrapper.log", list(lines[cut:]))
    return tmp


def _first(path: Path, needle: bytes) -> int | None:
    return next((i for i, x in enumerate(_lines(path)) if needle in x), None)


@pytest.mark.parametrize("path", SAMPLES, ids=NAMES)
def test_rotation_anywhere_gives_the_same_diagnoses(path: Path, tmp_path: Path) -> None:
    """Split before the first ClientHello, inside the first CertificateRequest, server
    Certificate and Fatal bodies, and between 'trigger seeding' and 'done seeding'."""
    points = {"hello": _first(path, b"Produced ClientHello handshake message")}
    for name, needle, after in (
        ("request", b"Consuming CertificateRequest handshake message (", 2),
        ("certificate", b"Consuming server Certificate handshake message (", 9),
        ("fatal", b"|Fatal (", 3),
        ("header", b"Consuming CertificateRequest handshake message (", 1),
        ("seeding", b"done seeding of SecureRandom", 0),
    ):
        at = _first(path, needle)
        if at is not None:
            points[name] = at + after
    for name, cut in points.items():
        if cut is None:
            continue
        folder = _split(tmp_path / name, path, cut)
        reading = read([str(folder)])
        assert [p for p in reading.problems if p.kind in ("internal", "unparsed")] == [
            p for p in read([str(path)]).problems if p.kind in ("internal", "unparsed")], name
        assert _diagnoses([str(folder)]) == _whole(path), name


@pytest.mark.parametrize("examples", _examples(15, 400))
def test_rotation_at_random_points(examples: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    @_settings(examples)
    @given(st.sampled_from(SAMPLES), st.floats(0.02, 0.98))
    def run(path: Path, where: float) -> None:
        cut = int(len(_lines(path)) * where)
        folder = _split(tmp_path_factory.mktemp("r"), path, cut)
        assert _diagnoses([str(folder)]) == _whole(path), cut

    run()


def test_a_keystore_dump_in_the_older_file_reaches_the_handshake_in_the_newer(tmp_path: Path) -> None:
    """The key manager's 'found key for' and the SSLContext init are in wrapper.log.1, the
    handshake in wrapper.log: the handshake knows the key and that key-manager output was on."""
    path = ROOT / "sample_logs" / "jdk25-tls13-ca-mismatch-ptm" / "wrapper.log"
    whole = read([str(path)]).handshakes
    folder = _split(tmp_path, path, _first(path, b"Produced ClientHello handshake message"))
    split = read([str(folder)]).handshakes
    assert [h.path for h in split] == [str(folder / "wrapper.log")] * len(whole)
    assert [(h.km_debug_on, [a for a, _ in h.key_manager.aliases]) for h in split] == [
        (h.km_debug_on, [a for a, _ in h.key_manager.aliases]) for h in whole]
    assert all(h.km_debug_on and h.key_manager.aliases for h in split)


# ---------------------------------------------------------------------------------- known crashes


def _damaged(tmp_path: Path, sample: str, old: bytes, new: bytes, count: int = 1) -> Path:
    """The sample's wrapper.log with ``old`` replaced by ``new`` (``count`` times)."""
    data = (ROOT / "sample_logs" / sample / "wrapper.log").read_bytes()
    assert data.count(old) >= count, old
    write(tmp_path, "wrapper.log", [data.replace(old, new, count)])
    return tmp_path


def test_a_fatal_alert_name_in_lower_case(tmp_path: Path) -> None:
    """``Fatal (bad_certificate): …`` (lower case): still a failure, with the alert in upper
    case as every other reader gives it."""
    folder = _damaged(tmp_path, "jdk11-tls12-serverauth-eku-tm", b"Fatal (UNSUPPORTED_CERTIFICATE)",
                      b"Fatal (unsupported_certificate)")
    reading = read([str(folder)])
    failure = reading.handshakes[0].failure
    assert (failure.alert, failure.message) == (
        "UNSUPPORTED_CERTIFICATE", "Received fatal alert: unsupported_certificate")
    assert [d.root_cause for d in pipeline(reading)] == [
        d.root_cause for d in diagnose(_base_reading("jdk11-tls12-serverauth-eku-tm"), RULES)]


def test_a_fatal_header_cut_before_its_alert(tmp_path: Path) -> None:
    folder = _damaged(tmp_path, "jdk11-tls12-serverauth-eku-tm", b"Fatal (UNSUPPORTED_CERTIFICATE): ",
                      b"Fatal (UNSUPP ")
    reading = read([str(folder)])
    pipeline(reading)
    assert reading.handshakes[0].outcome == "failed"


def _base_reading(sample: str):
    return read([str(ROOT / "sample_logs" / sample)])


def test_supported_versions_printed_as_a_list(tmp_path: Path) -> None:
    """``"versions": [`` on its own line: the offered versions are still read from it."""
    folder = _damaged(tmp_path, "jdk17-tls12-success-lptm", b'"versions": [TLSv1.2]',
                      b'"versions": [\nINFO   | jvm 1    | 2026/11/26 14:17:53 |         TLSv1.2\n'
                      b'INFO   | jvm 1    | 2026/11/26 14:17:53 |       ]')
    reading = read([str(folder)])
    pipeline(reading)
    hello = next(e for e in reading.handshakes[0].events if isinstance(e, ev.ClientHello))
    assert hello.offered_versions == ("TLSv1.2",)
    assert reading.problems == _base_reading("jdk17-tls12-success-lptm").problems


def test_selected_version_printed_as_a_list(tmp_path: Path) -> None:
    folder = _damaged(tmp_path, "jdk11-tls13-expired-lptm", b'"selected version": [TLSv1.3]',
                      b'"selected version": [\nINFO   | jvm 1    | 2026/11/26 14:18:09 |         TLSv1.3\n'
                      b'INFO   | jvm 1    | 2026/11/26 14:18:09 |       ]')
    reading = read([str(folder)])
    assert [d.root_cause for d in pipeline(reading)] == [
        d.root_cause for d in diagnose(_base_reading("jdk11-tls13-expired-lptm"), RULES)]
    assert reading.handshakes[0].version == "TLSv1.3"


def test_tls12_certificate_authorities_given_as_an_object(tmp_path: Path) -> None:
    """The names are unknown (the record is reported unparsed), the request is still seen."""
    data = (ROOT / "sample_logs" / "jdk17-tls12-success-lptm" / "wrapper.log").read_bytes()
    start = data.index(b'"certificate authorities": [')
    end = data.index(b"\n", start)
    names = data[start + len(b'"certificate authorities": ['):end - 1]
    prefix = data[data.rindex(b"\n", 0, start) + 1:start].split(b"|")[:-1]
    obj = b'"certificate authorities": {\n' + b"|".join(prefix) + b"|     " + names + b"\n" + \
        b"|".join(prefix) + b"|   }"
    write(tmp_path, "wrapper.log", [data[:start] + obj + data[end:]])
    reading = read([str(tmp_path)])
    pipeline(reading)
    h = reading.handshakes[0]
    assert (h.cert_requested, h.request.ca_state, h.ca_names) == (True, "unknown", ())
    assert [p.kind for p in reading.problems] == ["unparsed"]
    assert "one value belongs" in reading.problems[0].message


def test_an_alert_description_given_as_an_object(tmp_path: Path) -> None:
    """Rule-engine would raise SymbolTypeError on a non-string ``alert_received``: the record is
    reported unparsed instead, and the failure record after it still says what was received."""
    folder = _damaged(tmp_path, "jdk11-tls12-serverauth-eku-tm", b'"description": "unsupported_certificate"',
                      b'"description": {\nINFO | jvm 1 | 2026/11/26 14:18:55 | "unsupported_certificate"\n'
                      b"INFO | jvm 1 | 2026/11/26 14:18:55 | }")
    reading = read([str(folder)])
    diagnoses = pipeline(reading)
    assert "one value belongs" in " ".join(p.message for p in reading.problems)
    assert [d.root_cause for d in diagnoses] == [
        d.root_cause for d in diagnose(_base_reading("jdk11-tls12-serverauth-eku-tm"), RULES)]


def test_a_flipped_bit_that_makes_a_superscript_digit_in_a_certificate_date(tmp_path: Path) -> None:
    """``.000`` -> ``.\\xb200``: the line decodes as cp1252 (``²``), which str.isdigit accepts and
    int() refuses."""
    data = (ROOT / "sample_logs" / "jdk17-tls12-success-lptm" / "wrapper.log").read_bytes()
    at = data.index(b'"not before"')
    dot = data.index(b".", data.index(b":", at + 20) + 6)
    write(tmp_path, "wrapper.log", [data[:dot + 1] + b"\xb2" + data[dot + 2:]])
    pipeline(read([str(tmp_path)]))


def test_a_jvm_number_longer_than_int_accepts(tmp_path: Path) -> None:
    data = (ROOT / "sample_logs" / "jdk17-tls12-success-lptm" / "wrapper.log").read_bytes()
    write(tmp_path, "wrapper.log", [data.replace(b"| jvm 1    |", b"| jvm " + b"9" * 5000 + b" |", 3)])
    pipeline(read([str(tmp_path)]))


def test_deeply_nested_body(tmp_path: Path) -> None:
    """A body nested deeper than Python's recursion limit is searched without recursion."""
    data = (ROOT / "sample_logs" / "jdk17-tls12-success-lptm" / "wrapper.log").read_bytes()
    start = data.index(b'"ClientHello": {')
    prefix = data[data.rindex(b"\n", 0, start) + 1:start]
    deep = b"".join(prefix + b'"x": {\n' for _ in range(3000)) + b"".join(prefix + b"}\n" for _ in range(3000))
    write(tmp_path, "wrapper.log", [data[:start] + b'"ClientHello": {\n' + deep + data[start + 17:]])
    pipeline(read([str(tmp_path)]))


def test_event_types_on_every_sample() -> None:
    for path in SAMPLES:
        reading = read([str(path)])
        pipeline(reading)
        assert all(isinstance(h.start_time, (datetime, type(None))) for h in reading.handshakes)
