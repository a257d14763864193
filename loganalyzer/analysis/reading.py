"""Reads inputs into handshakes: sources -> records -> events -> handshakes, per MID Server.

One file is the unit of work (``read_file``), so batch scans can run files on many cores, and
one large plain file is itself scanned on every core (:mod:`loganalyzer.ingest.split`);
``read`` puts the files of each MID Server (same folder) together, oldest rotation first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import BinaryIO, cast

from loganalyzer.analysis import handshakes as hs_mod
from loganalyzer.analysis.handshakes import Handshake
from loganalyzer.errors import Location, Problem, boundary, debug_enabled, internal_problem
from loganalyzer.ingest.lines import LineDecoder, decode_text
from loganalyzer.ingest.records import Dialect, Record
from loganalyzer.ingest.scanner import Interpreted, ScanResult, scan
from loganalyzer.ingest.sources import ByteStream, Item, Source, iter_sources
from loganalyzer.jsse import events as ev
from loganalyzer.jsse import stacktraces
from loganalyzer.jsse.legacy import LegacyDialect
from loganalyzer.jsse.unified import Interpreter, UnifiedDialect, continuation
from loganalyzer.mid.agentlog import parse_agent_lines
from loganalyzer.mid.midlog import MidLineDialect


@dataclass(slots=True)
class FileReading:
    """What one file held."""

    source: Source
    layout: str = ""
    lines: int = 0
    bytes: int = 0
    records: int = 0
    handshakes: list[Handshake] = field(default_factory=list)
    agent_events: list[ev.AgentEvent] = field(default_factory=list)
    jvm_events: list[ev.Event] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    jsse: hs_mod.FileEvents | None = None  # its events, until its rotated set is joined

    @property
    def path(self) -> str:
        return self.source.path


@dataclass(slots=True)
class MidServer:
    """The files of one MID Server, oldest first, and their handshakes as one timeline."""

    group: str
    files: list[FileReading] = field(default_factory=list)

    @property
    def handshakes(self) -> list[Handshake]:
        return [h for f in self.files for h in f.handshakes]

    @property
    def agent_events(self) -> list[ev.AgentEvent]:
        """Agent events of all files; a line both wrapper.log and agent0.log hold counts once."""
        seen: set[tuple[str, datetime | None, str]] = set()
        out = []
        for f in self.files:
            for e in f.agent_events:
                key = (e.kind, e.time, e.text)
                if key not in seen:
                    seen.add(key)
                    out.append(e)
        out.sort(key=lambda e: (e.time is None, e.time or 0))
        return out


@dataclass(slots=True)
class Reading:
    servers: list[MidServer] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0

    @property
    def files(self) -> list[FileReading]:
        return [f for s in self.servers for f in s.files]

    @property
    def handshakes(self) -> list[Handshake]:
        return [h for s in self.servers for h in s.handshakes]


ProgressHook = Callable[[int], None]


def read_file(
    source: Source, stream: ByteStream, on_bytes: ProgressHook | None = None, *,
    jobs: int = 1, split_bytes: int | None = None,
) -> FileReading:
    """Read one log: a MID agent log into agent events, anything else into handshakes.

    ``on_bytes`` is told how many bytes were read as reading goes on (for progress bars).
    Every record is interpreted behind a fault boundary: a bug in one handler costs that
    record (an ``internal`` problem naming it), never the file.

    With ``jobs`` above 1, a plain file of ``split_bytes`` or more (default
    :data:`~loganalyzer.ingest.split.SPLIT_MIN_BYTES`) is scanned on that many processes
    (:func:`~loganalyzer.ingest.split.split_scan`), with the same result.
    """
    if source.role == "agent":
        return _read_agent(source, stream, on_bytes)
    legacy, unified = LegacyDialect(), UnifiedDialect()
    dialects = (unified, legacy, MidLineDialect(), stacktraces.AppExceptionDialect())
    file_path = _plain_file(source, stream)
    split_problems: list[Problem] = []
    result = None
    if jobs > 1 and file_path is not None:
        result = _split(source, stream, dialects, file_path, jobs, split_bytes, on_bytes,
                        split_problems)
    if result is None:
        result = scan(stream, source.path, dialects, on_bytes=on_bytes, file_path=file_path)
    reading = FileReading(source, result.layout, result.lines, result.bytes, result.seen)
    problems = reading.problems
    problems.extend(split_problems)
    problems.extend(result.problems)
    interpreter = Interpreter(problems)
    events: list[ev.Event] = []
    legacy_records = []
    mid_lines: list[tuple[int, str]] = []
    done = result.done  # what the processes a split file was cut by read already
    for i, record in enumerate(result.records):
        if done and done[i] is not None:
            found, errors = cast(Interpreted, done[i])
            events.extend(found)
            problems.extend(errors)
            continue
        try:  # inline, not ``boundary``: this loop runs once per record of a dense log
            if record.dialect == "unified":
                events.extend(interpreter.events(record))
            elif record.dialect == "legacy":
                legacy_records.append(record)
            elif record.dialect == "mid":
                mid_lines.append((record.where.line, record.message))
            else:
                events.append(stacktraces.interpret(record))
        except Exception as exc:  # noqa: BLE001 - one odd record costs one record
            if debug_enabled():
                raise
            problems.append(internal_problem(record.where, _origin(record), exc))
    if legacy_records:
        with boundary(problems, legacy_records[0].where, "the legacy dialect"):
            events.extend(legacy.interpret(legacy_records))
            problems.extend(legacy.problems)
            events.sort(key=lambda e: e.where.line)
    reading.agent_events = _agent_events(source.path, mid_lines, problems)
    last = result.records[-1] if result.records else None
    reading.jsse = hs_mod.FileEvents(
        source.path, events, result.lines, "P" in result.layout, last.thread.jvm if last else 0,
        # a record cut by the end of the file: the next file of a rotated set may hold its rest
        tail=last if last and last.dialect == "unified" and last.truncated
        and last.end_line >= result.lines else None)
    with boundary(problems, Location(source.path), "grouping events into handshakes"):
        reading.handshakes = hs_mod.build_set([reading.jsse])[0]
    return reading


def _split(
    source: Source, stream: ByteStream, dialects: Sequence[Dialect], file_path: str, jobs: int,
    split_bytes: int | None, on_bytes: ProgressHook | None, problems: list[Problem],
) -> ScanResult | None:
    """The file scanned on ``jobs`` processes when it is large enough, else None (scan it here).

    A bug in splitting is an ``internal`` problem at the file, which is then scanned here.
    """
    from loganalyzer.ingest.split import split_scan

    if not _large(source, stream, split_bytes):
        return None
    try:
        return split_scan(stream, source.path, dialects, file_path, jobs, on_bytes=on_bytes,
                          interpret=interpret_records)
    except Exception as exc:  # noqa: BLE001 - the file is still read, in this process
        if debug_enabled():
            raise
        problems.append(internal_problem(Location(source.path), "splitting the file", exc))
        stream.seek(0)
        return None


def interpret_records(records: list[Record]) -> list[Interpreted | None]:
    """The events of each record that is read alone (unified, app), as :func:`read_file` reads it.

    None for the others (legacy, mid), which are read together. Runs in the process that cut a
    split file's part (see :func:`~loganalyzer.ingest.split.split_scan`).
    """
    out: list[Interpreted | None] = []
    for record in records:
        if record.dialect in ("legacy", "mid"):
            out.append(None)
            continue
        problems: list[Problem] = []
        try:
            if record.dialect == "unified":
                found = Interpreter(problems).events(record)
            else:
                found = [stacktraces.interpret(record)]
        except Exception as exc:  # noqa: BLE001 - one odd record costs one record
            if debug_enabled():
                raise
            found = []
            problems.append(internal_problem(record.where, _origin(record), exc))
        out.append((list(found), problems))
    return out


def _large(source: Source, stream: ByteStream, split_bytes: int | None) -> bool:
    """Whether ``stream`` reads a plain file large enough to be split (see :func:`read_file`)."""
    file_path = _plain_file(source, stream)
    if file_path is None or source.role == "agent":
        return False
    from loganalyzer.ingest.split import SPLIT_MIN_BYTES

    try:
        return os.path.getsize(file_path) >= (
            SPLIT_MIN_BYTES if split_bytes is None else split_bytes)
    except OSError:
        return False


def _origin(record: Record) -> str:
    """How an internal problem names the record it came from."""
    return f"the {record.dialect} record '{record.message[:60]}'"


def _agent_events(
    path: str, lines: list[tuple[int, str]], problems: list[Problem]
) -> list[ev.AgentEvent]:
    """MID lines into agent events; when that raises, line by line, so one line costs one line."""
    try:
        return list(parse_agent_lines(path, lines))
    except Exception:  # noqa: BLE001 - retried below, where the failing line is named
        if debug_enabled():
            raise
    out: list[ev.AgentEvent] = []
    for lineno, text in lines:
        with boundary(problems, Location(path, lineno), "the MID log line"):
            out.extend(parse_agent_lines(path, [(lineno, text)]))
    return out


def _plain_file(source: Source, stream: ByteStream) -> str | None:
    """The file on disk ``stream`` reads, when it is one as it is (not decompressed or a member)."""
    name = getattr(stream, "name", None)
    if source.compressed or source.archive or not isinstance(name, str):
        return None
    try:
        return name if os.path.isfile(name) and stream.seekable() else None
    except (OSError, ValueError):
        return None


def _read_agent(source: Source, stream: ByteStream, on_bytes: ProgressHook | None) -> FileReading:
    reading = FileReading(source, layout="agent")

    def lines() -> Iterable[tuple[int, str]]:
        raws = enumerate(stream, 1)
        while True:
            try:
                lineno, raw = next(raws)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - truncated gzip, broken member, bad xz
                where = Location(source.path, reading.lines + 1)
                reading.problems.append(Problem(where, f"input ends early: {exc}"))
                return
            reading.lines = lineno
            reading.bytes += len(raw)
            if on_bytes is not None:
                on_bytes(len(raw))
            yield lineno, decode_text(raw)

    remaining = lines()
    while True:
        try:
            reading.agent_events.extend(parse_agent_lines(source.path, remaining))
        except Exception as exc:  # noqa: BLE001 - a bug on one line costs that line; read on
            if debug_enabled():
                raise
            where = Location(source.path, reading.lines)
            reading.problems.append(internal_problem(where, "the agent log line", exc))
            continue
        return reading


class _Head:
    """A stream that keeps a copy of its first bytes, from what is read with ``read``.

    A file of a rotated set may begin with the rest of a record the previous file ends in (see
    :func:`_stitch`). Only wrapper logs are wrapped, and the scanner reads them in blocks.
    """

    LIMIT = 256 << 10

    def __init__(self, stream: ByteStream) -> None:
        self._stream = stream
        self._data = b""
        self._taking = True  # until the first seek, or enough is kept
        self._whole = False  # the copy is the whole input

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        if self._taking:
            self._data += chunk[: self.LIMIT - len(self._data)]
            self._whole = not chunk
            self._taking = bool(chunk) and len(self._data) < self.LIMIT
        return chunk

    def seek(self, offset: int, whence: int = 0, /) -> int:
        self._taking = False
        return self._stream.seek(offset, whence)

    def seekable(self) -> bool:
        return self._stream.seekable()

    def tell(self) -> int:
        return self._stream.tell()

    def close(self) -> None:
        self._stream.close()

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._stream)

    def __getattr__(self, name: str) -> object:  # name, fileno, ...: as the stream has them
        return getattr(self._stream, name)

    def lines(self, layout: str) -> tuple[str, ...]:
        """The first lines' messages, when they may end a record cut by rotation."""
        raws = self._data.split(b"\n")
        if not self._whole:
            raws.pop()  # cut inside a line
        try:
            decoder = LineDecoder(layout or None)
        except ValueError:
            return ()
        self._data = b""
        return continuation(decoder.split(decode_text(raw))[1] for raw in raws)


def _stitch(older_file: FileReading, older: hs_mod.FileEvents, newer: hs_mod.FileEvents,
            problems: list[Problem]) -> None:
    """Join a record rotation cut: ``older`` ends inside its body, ``newer`` begins with the rest.

    The record is read again whole (its problem as a cut record goes), and what the newer file
    made of those lines (an exception line of the body, say) is dropped. ``older`` is the events
    of ``older_file``.
    """
    cut, rest = older.tail, newer.head
    if cut is None or not rest:
        return
    whole = replace(cut, body=(*cut.body, *rest[:-1]), truncated=False)
    found: list[Problem] = []
    events = Interpreter(found).events(whole)
    # body lines cited from the newer file would carry the older file's path: keep the older's
    events = [e if all(n <= older.lines for n, _ in e.lines)
              else replace(e, lines=tuple(x for x in e.lines if x[0] <= older.lines))
              for e in events]
    older.events = [e for e in older.events if e.where != cut.where] + events
    for where in (problems, older_file.problems):
        where[:] = [p for p in where if not (p.where == cut.where and p.kind == "unparsed")]
        where.extend(found)
    newer.events = [e for e in newer.events if e.where.line > len(rest)]


def _join_rotated(files: list[FileReading], problems: list[Problem]) -> None:
    """The wrapper logs of a MID Server (oldest first) are one rotated log.

    Its handshakes are built from all its files' events at once, so a connection cut by rotation
    is one handshake and what a JVM showed in an older file (its keys, its key-manager debug
    output) holds in the newer ones.
    """
    parts = [(f, f.jsse) for f in files if f.source.role == "wrapper" and f.jsse is not None]
    if len(parts) > 1:
        with boundary(problems, Location(parts[-1][0].path), "joining the rotated set"):
            for (older_file, older), (_, newer) in zip(parts, parts[1:]):
                _stitch(older_file, older, newer, problems)
            for (f, _), handshakes in zip(parts, hs_mod.build_set([e for _, e in parts])):
                f.handshakes = handshakes
    for f in files:
        f.jsse = None  # the events live on in the handshakes; the list is not needed


def read(
    paths: Sequence[str], stdin: BinaryIO | None = None, on_bytes: ProgressHook | None = None,
    *, jobs: int | None = None, split_bytes: int | None = None,
) -> Reading:
    """Read every input named in ``paths``; bad inputs become problems, never exceptions.

    A large plain file is scanned on ``jobs`` processes (see :func:`read_file`); by default
    ``LOGANALYZER_JOBS`` from the environment, else every core this process may use.
    ``jobs=1`` reads everything in this process.
    """
    from loganalyzer.ingest.split import usable_jobs

    return read_items(iter_sources(paths, stdin=stdin), on_bytes, jobs=usable_jobs(jobs),
                      split_bytes=split_bytes)


def read_items(
    items: Iterable[Item], on_bytes: ProgressHook | None = None, *, jobs: int = 1,
    split_bytes: int | None = None,
) -> Reading:
    """Read what :mod:`loganalyzer.ingest.sources` yields (a batch task's share of the inputs).

    ``jobs`` and ``split_bytes``: see :func:`read_file` (a batch task reads in one process).
    """
    reading = Reading()
    by_group: dict[str, MidServer] = {}
    for item in items:
        if isinstance(item, Problem):
            if item.kind == "skipped":
                reading.skipped += 1
            else:
                reading.problems.append(item)
            continue
        source, stream = item
        head = _Head(stream) if source.role == "wrapper" else None
        try:
            given = stream if head is None else head
            # only a file to split is given the options, so read_file keeps its plain form
            if jobs > 1 and _large(source, given, split_bytes):
                file_reading = read_file(source, given, on_bytes, jobs=jobs,
                                         split_bytes=split_bytes)
            else:
                file_reading = read_file(source, given, on_bytes)
            if head is not None and file_reading.jsse is not None:
                file_reading.jsse.head = head.lines(file_reading.layout)
        except Exception as exc:  # noqa: BLE001 - one file's bug must not cost the others
            if debug_enabled():
                raise
            reading.problems.append(
                internal_problem(Location(source.path), "reading the file", exc))
            continue
        reading.problems.extend(file_reading.problems)
        by_group.setdefault(source.group, MidServer(source.group)).files.append(file_reading)
    for server in by_group.values():
        server.files.sort(
            key=lambda f: (f.source.role != "wrapper", -f.source.rotation, f.source.path))
        _join_rotated(server.files, reading.problems)
        reading.servers.append(server)
    return reading
