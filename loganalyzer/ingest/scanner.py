"""Cuts records out of one log stream without touching most of its bytes in Python.

The file is read in large blocks; one compiled bytes regex (the union of every dialect's
prefilter) finds candidate lines at C speed, and line numbers come from counting newlines
between candidates. Only candidate lines, and the body lines of records they open, are
decoded and handed to the dialects. Memory stays flat: one block plus the open record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from loganalyzer.errors import Location, Problem, debug_enabled, internal_problem
from loganalyzer.ingest.lines import LIFECYCLE_PREFILTER, JvmCounter, LineDecoder, decode_text
from loganalyzer.ingest.candidates import UNJUDGED, WITH_BODY, Located, grep_candidates
from loganalyzer.ingest.records import MAX_LINE, Dialect, Dropping, Line, Record, Thread
from loganalyzer.ingest.streams import ByteStream

try:  # a dependency; if it cannot be installed, re gives the same results ~25x slower
    import re2 as _re2

    _UNANCHORED = _re2._Anchor.UNANCHORED
except (ImportError, AttributeError):  # re finds the same candidate lines, trying every branch
    _re2 = None

BLOCK = 1 << 20
SAMPLE_LINES = 200
MAX_SKIPPED_BODY = 100_000  # lines of an unread body before the record counts as cut


@dataclass(slots=True)
class ScanResult:
    """What one file held: its records in file order, and what could not be read."""

    path: str
    records: list[Record] = field(default_factory=list)
    seen: int = 0  # records cut out, kept or not
    problems: list[Problem] = field(default_factory=list)
    layout: str = ""
    lines: int = 0
    bytes: int = 0
    # Only a scan of one part of a file (see :class:`Part`) fills these.
    marks: list[Mark] = field(default_factory=list)
    stopped: Mark | None = None
    foreign: tuple[str, ...] = ()  # the foreign prefixes learned, at the end
    mixed: int = 0  # the last body line whose JVM number was not in its record's frame
    split: str = ""  # how a split file was read (see :func:`.split.split_scan`); "" in one scan
    # A split file's records as its workers interpreted them, one entry per record (None: left
    # to the caller); empty when nothing was interpreted. See :func:`.split.split_scan`.
    done: list[Interpreted | None] = field(default_factory=list)


Interpreted = tuple[list[Any], list[Problem]]
"""What a record was read into where it was cut: its events (each with a ``thread``) and the
problems reading it found."""


Mark = tuple[int, int, int, int, int, int, int]
"""A part's state where it takes a candidate line afresh: (offset and number of that line, seen
so far, JVM counter, foreign prefixes learned, records, problems), see :class:`Part`."""

JVM_BASE = 1 << 40
"""The JVM counter of a part that does not know where the JVM count stands at its start.

Numbers at or above it are counted from the part's start; ``jvm N`` prefixes (at most nine
digits) set numbers below it. The merge turns the first kind into the file's numbers.
"""
MAX_MARKS = 1 << 12


@dataclass(frozen=True, slots=True)
class Part:
    """The share of one file a process scans when the file is split (:mod:`.split`).

    The scan begins at ``offset``, the start of line ``lineno``, with the JVM counter at ``jvm``
    (0 or :data:`JVM_BASE`), and ``located`` must be given. It ends where it is about to take a
    candidate line afresh (not as the line that ended a record) at or after ``stop``: its state
    there is ``ScanResult.stopped``. With ``marks`` it notes that state at every candidate it
    takes afresh (the first :data:`MAX_MARKS`), so the merge can find where the scan of the part
    before it stopped and go on from there: from a candidate taken afresh in the same state,
    two scans go the same way.
    """

    offset: int
    lineno: int
    jvm: int = 0
    stop: int | None = None
    marks: bool = False


class _Reader:
    """Iterates raw lines from block-sized reads, tracking the line number and byte count."""

    def __init__(
        self, stream: ByteStream, path: str, problems: list[Problem],
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        self.stream = stream
        self.on_bytes = on_bytes
        self.path = path
        self.problems = problems
        self.buf = b""
        self.pos = 0  # offset in buf of the next unread byte
        self.lineno = 0  # number of the last line handed out
        self.counted = 0  # offset in buf up to which newlines are counted into lineno
        self.eof = False
        self.nbytes = 0
        self.base = 0  # offset in the input of buf[0]
        # told of every line next_line hands out, with its offset (see scan's ``watch``)
        self.watch: Callable[[int, bytes], None] | None = None

    def position(self) -> int:
        """Offset in the input of the next unread byte."""
        return self.base + self.pos

    def jump(self, offset: int, lineno: int) -> None:
        """Go on reading at ``offset``, the start of line ``lineno`` (the input is a file)."""
        if self.base <= offset <= self.base + len(self.buf):  # already read: move within
            self.pos = self.counted = offset - self.base
        else:
            self.report_to(offset)
            self.stream.seek(offset)
            self.buf, self.pos, self.counted, self.base = b"", 0, 0, offset
            self.eof = False
        self.lineno = lineno - 1

    def report_to(self, offset: int) -> None:
        """Tell ``on_bytes`` about the bytes up to ``offset`` that were passed over unread."""
        end = self.base + len(self.buf)
        if self.on_bytes is not None and offset > end:
            self.on_bytes(offset - end)

    def _fill(self) -> bool:
        """Read one more block; keep the unread tail. False at end of input."""
        if self.eof:
            return False
        try:
            chunk = self.stream.read(BLOCK)
        except (OSError, EOFError, ValueError) as exc:  # truncated gzip, broken member
            self.problems.append(
                Problem(Location(self.path, self.lineno + 1), f"input ends early: {exc}")
            )
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.nbytes += len(chunk)
        if self.on_bytes is not None:
            self.on_bytes(len(chunk))
        self._count_to(self.pos)
        self.base += self.pos
        self.buf = self.buf[self.pos :] + chunk
        self.counted -= self.pos
        self.pos = 0
        return True

    def total_lines(self) -> int:
        """Lines in the input: the ones handed out or skipped, plus whatever is left unread."""
        while self._fill():
            pass
        self._count_to(len(self.buf))
        tail = self.buf[self.buf.rfind(b"\n") + 1 :]
        unfinished = tail and self.counted == len(self.buf) and self.pos < len(self.buf)
        return self.lineno + (1 if unfinished else 0)

    def _count_to(self, offset: int) -> None:
        if offset > self.counted:
            self.lineno += self.buf.count(b"\n", self.counted, offset)
            self.counted = offset

    def next_line(self) -> tuple[int, bytes] | None:
        """The next raw line (without its newline) and its number, or None at the end."""
        while True:
            end = self.buf.find(b"\n", self.pos)
            if end >= 0:
                break
            if len(self.buf) - self.pos > MAX_LINE:
                return self._cut_long_line()
            if not self._fill():
                if self.pos < len(self.buf):
                    self._count_to(self.pos)
                    raw = self.buf[self.pos :]
                    if self.watch is not None:
                        self.watch(self.base + self.pos, raw)
                    self.pos = self.counted = len(self.buf)
                    self.lineno += 1
                    return self.lineno, raw
                return None
        self._count_to(self.pos)
        raw = self.buf[self.pos : end]
        if self.watch is not None:
            self.watch(self.base + self.pos, raw)
        self.pos = self.counted = end + 1
        self.lineno += 1
        if len(raw) > MAX_LINE:
            self._report_long(len(raw))
            raw = raw[:MAX_LINE]
        return self.lineno, raw

    def _cut_long_line(self) -> tuple[int, bytes]:
        """A line longer than MAX_LINE: keep its start, skip the rest without storing it."""
        self._count_to(self.pos)
        head = self.buf[self.pos : self.pos + MAX_LINE]
        size = len(self.buf) - self.pos
        self.base += len(self.buf)
        self.buf, self.pos, self.counted = b"", 0, 0
        while True:
            if not self._fill():
                break
            end = self.buf.find(b"\n")
            if end >= 0:
                size += end
                self.pos = self.counted = end + 1
                break
            size += len(self.buf)
            self.base += len(self.buf)
            self.buf, self.pos, self.counted = b"", 0, 0
        self.lineno += 1
        self._report_long(size)
        return self.lineno, head

    def _report_long(self, size: int) -> None:
        self.problems.append(
            Problem(
                Location(self.path, self.lineno),
                f"line is {size / 1e6:.1f} MB long; "
                f"only its first {MAX_LINE // 1024} KiB were read",
                kind="notice",
            )
        )

    def take_lines(self, pattern: re.Pattern[bytes]) -> bytes:
        """The whole lines read so far before the next line holding a match; steps over them.

        Only the buffer at hand is looked at (nothing is read), and ``b""`` comes back when the
        next line matches, is not complete yet, or a line among them is longer than MAX_LINE:
        :meth:`next_line` then reads it as usual.
        """
        m = pattern.search(self.buf, self.pos)
        if m:
            stop = max(self.buf.rfind(b"\n", 0, m.start()) + 1, self.pos)
        else:
            stop = self.buf.rfind(b"\n", self.pos) + 1
        if stop <= self.pos:
            return b""
        block = self.buf[self.pos : stop]
        if len(block) > MAX_LINE and max(map(len, block.split(b"\n"))) > MAX_LINE:
            return b""
        self.pos = stop
        self._count_to(stop)
        return block

    def seek_candidate(self, pattern: re.Pattern[bytes]) -> bool:
        """Move to the start of the next line holding a match; False when none is left.

        Only the unfinished last line of a block is searched again after the next read, and a
        line that grows past MAX_LINE without a match is skipped, so time stays linear and
        memory flat even for a file that is one endless line.
        """
        while True:
            m = pattern.search(self.buf, self.pos)
            if m:
                start = self.buf.rfind(b"\n", 0, m.start()) + 1
                self.pos = max(start, self.pos)
                return True
            cut = self.buf.rfind(b"\n", self.pos)
            if cut >= 0:
                self.pos = cut + 1
            elif len(self.buf) - self.pos > MAX_LINE:
                self._cut_long_line()
                continue
            if not self._fill():
                return False


def scan(
    stream: ByteStream,
    path: str,
    dialects: Sequence[Dialect],
    *,
    layout: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
    file_path: str | None = None,
    located: Located | None = None,
    part: Part | None = None,
) -> ScanResult:
    """Cut the records of ``dialects`` out of ``stream``; never raises for bad content.

    ``on_bytes`` is called with the size of every block read (for progress bars). When
    ``file_path`` names the plain file ``stream`` reads, and it is large, GNU grep finds the
    candidate lines (see :func:`grep_candidates`) and the reader jumps from one to the next;
    ``located`` gives them found already (:mod:`.split` finds them a range per core). ``part``
    scans one share of the file only (see :class:`Part`).
    """
    result = ScanResult(path)
    reader = _Reader(stream, path, result.problems, on_bytes)
    decoder = LineDecoder(layout)
    if layout is None:
        reader._fill()
        sample = [decode_text(x) for x in reader.buf[: 1 << 16].split(b"\n")[:SAMPLE_LINES]]
        result.layout = decoder.detect(sample)
    else:
        result.layout = layout
    patterns = [d.prefilter.pattern for d in dialects] + [LIFECYCLE_PREFILTER.pattern]
    union = compile_union(patterns)
    # Dialects that can tell from the raw bytes that a line opens a record they would drop.
    # One that offers ``drops`` offers the rest of :class:`Dropping`.
    droppers = [cast(Dropping, d) for d in dialects if hasattr(d, "drops")]
    if located is None and file_path:
        located = grep_candidates(file_path, patterns, droppers)
    jvms = JvmCounter()
    pending: Line | None = None  # a line already read that must be looked at afresh
    pending_raw: tuple[int, bytes] | None = None  # the same, not decoded yet
    stop: int | None = None
    marking = False
    if part is not None:
        if located is None:
            raise ValueError("a part is scanned from located candidates")
        reader.jump(part.offset, part.lineno)
        jvms.current = part.jvm
        stop, marking = part.stop, part.marks

    def mark(at: tuple[int, int]) -> Mark:
        return (at[0], at[1], result.seen, jvms.current, len(decoder.foreign),
                len(result.records), len(result.problems))

    consumed = 0  # dropped lines the scan read itself since it last took a candidate

    def watch(offset: int, raw: bytes) -> None:
        """Count a line the reading goes through that grep's candidates count as dropped."""
        nonlocal consumed
        for dropper in droppers:  # as read_grep judges it
            if dropper.drops(raw):
                if located is not None and not located.is_candidate(offset):
                    consumed += 1
                return

    watching = watch if located is not None and droppers else None
    reader.watch = watching

    def lines() -> Iterator[Line]:
        nonlocal pending, pending_raw, marking, consumed
        known = UNJUDGED  # the kind of the candidate just read afresh
        while True:
            if pending is not None:
                line, pending = pending, None
                yield line
                continue
            got: tuple[int, bytes] | None
            if pending_raw is not None:
                got, pending_raw = pending_raw, None
            else:
                if located is None:
                    if not reader.seek_candidate(union):
                        return
                    got = reader.next_line()
                else:
                    j = located.next_from(reader.position())
                    # the lines dropped on the way to the next candidate, but those the scan
                    # read itself (it counted them, or they were body lines)
                    result.seen += located.passed(j) - consumed
                    consumed = 0
                    if j == len(located.offsets):
                        return
                    nxt = (located.offsets[j], located.numbers[j])
                    if stop is not None and nxt[0] >= stop:
                        result.stopped = mark(nxt)
                        return
                    if marking:
                        result.marks.append(mark(nxt))
                        marking = len(result.marks) < MAX_MARKS
                    reader.jump(*nxt)
                    reader.watch = None  # the candidate itself is no dropped line
                    got = reader.next_line()
                    reader.watch = watching
                    known = located.kinds[j]
                if got is None:
                    return
            verdict = ""
            if known >= 0:  # judged in read_grep, on the same line
                verdict = "with-body" if known == WITH_BODY else ""
                dialect = droppers[0]
            else:
                for dialect in droppers:
                    verdict = dialect.drops(got[1])
                    if verdict:
                        break
            known = UNJUDGED
            if verdict:
                result.seen += 1
                if verdict == "with-body":
                    pending_raw = _skip_body(dialect)
                continue
            yield _decode(got)

    def _skip_body(dialect: Dropping) -> tuple[int, bytes] | None:
        """Step over the body of a dropped record.

        To its closing line, or to the line that cuts it (returned, to be looked at afresh).
        """
        while reader.seek_candidate(_fast(dialect.end_pattern)):
            got = reader.next_line()
            if got is None:
                return None
            if dialect.cuts(got[1]):
                return got
            if dialect.closes(_message(got[1])):
                return None
        return None

    def _decode(got: tuple[int, bytes]) -> Line:
        # a candidate line, or a body line that may end a record: either may show a foreign
        # prefix (another logger's, before the JSSE text) the decoder learns for the whole file
        lineno, raw = got
        prefix, message = decoder.split_candidate(decode_text(raw))
        return Line(lineno, message, jvms.update(prefix, message), prefix.time)

    def _message(raw: bytes) -> str:
        """Just the text of a body line: no Line, no JVM bookkeeping (bodies are many).

        The file's foreign prefix, when it has one, is stripped as from its header.
        """
        return decoder.split(decode_text(raw))[1]

    # A part whose JVM count starts unknown: a body line whose number is not in the frame of its
    # record's (see JVM_BASE) may be judged differently than in one scan of the whole file
    framed = part is not None and part.jvm >= JVM_BASE
    opened = 0  # the JVM number of the record whose body is read
    decode_body = _decode
    if framed:
        def decode_body(got: tuple[int, bytes]) -> Line:
            line = _decode(got)
            if (line.jvm >= JVM_BASE) != (opened >= JVM_BASE):
                result.mixed = line.lineno
            return line

    for line in lines():
        for dialect in dialects:
            try:  # a fault boundary per candidate line; free in CPython until it raises
                record = dialect.open_record(line, path)
                if record is None:
                    continue
                if dialect.wants_body(record):
                    if framed:
                        opened = record.thread.jvm
                    record, pending = _collect_body(reader, dialect, record, decode_body,
                                                    _message, decoder.messages)
                result.seen += 1
                if not hasattr(dialect, "keeps_record") or dialect.keeps_record(record):
                    result.records.append(record)
            except Exception as exc:  # noqa: BLE001 - one odd line costs that line's record
                if debug_enabled():
                    raise
                where = Location(path, line.lineno)
                result.problems.append(internal_problem(where, f"the {dialect.name} dialect", exc))
            break
    if located is None:
        result.lines = reader.total_lines()
        result.bytes = reader.nbytes
    else:
        result.lines, result.bytes = located.lines, located.size
        reader.report_to(located.size)
    if part is not None:
        result.foreign = decoder.foreign
    return result


def compile_union(patterns: Sequence[bytes]) -> re.Pattern[bytes]:
    """One regex for all prefilters: RE2 when it is installed and accepts them, else re.

    Only the start of the leftmost match is used, which both engines agree on (RE2's compiled
    regex has the ``search(buf, pos)`` of re's, which is all the scanner calls).
    """
    union = b"|".join(patterns)
    if _re2 is not None:
        try:
            return _direct(_re2.compile(union))
        except Exception:  # noqa: BLE001 - a pattern RE2 cannot run (lookaround) falls back
            pass
    return re.compile(union)


class _Start:
    """Where an RE2 match starts: all the scanner reads of a match."""

    __slots__ = ("_at",)

    def __init__(self, at: int) -> None:
        self._at = at

    def start(self) -> int:
        return self._at


class _Re2Search:
    """An RE2 regex's ``search(buf, pos)``, without google-re2's Python layer.

    That layer makes a generator and a match object per call, several times the cost of the
    search itself over a short body; a dense log makes tens of thousands of such calls.
    """

    __slots__ = ("_match", "flags", "pattern")

    def __init__(self, compiled: Any) -> None:
        self._match = compiled._regexp.Match
        self.pattern, self.flags = compiled.pattern, 0

    def search(self, buf: bytes, pos: int = 0) -> _Start | None:
        at = self._match(_UNANCHORED, buf, pos, len(buf))[0][0]
        return None if at < 0 else _Start(at)


def _direct(compiled: Any) -> re.Pattern[bytes]:
    """``compiled`` (RE2) searched directly where google-re2's internals are as expected."""
    try:
        direct = _Re2Search(compiled)
        direct.search(b"")  # the internal call as this module makes it
    except (AttributeError, TypeError, IndexError):  # another google-re2: keep its layer
        return cast("re.Pattern[bytes]", compiled)
    return cast("re.Pattern[bytes]", direct)


def _collect_body(
    reader: _Reader,
    dialect: Dialect,
    record: Record,
    decode: Callable[[tuple[int, bytes]], Line],
    message: Callable[[bytes], str],
    messages: Callable[[bytes], list[str]] | None = None,
) -> tuple[Record, Line | None]:
    """Read the record's body lines; return it and a line that belongs to what comes next.

    A dialect may give ``end_pattern``, a bytes regex for the raw lines that may end the record:
    other lines are not offered to ``ends``, and when the dialect does not want this record's
    body (``keeps_body``) they are jumped over at C speed without being decoded. That keeps
    dense debug logs, mostly hex dumps nobody reads, cheap. A body that is kept is taken a run
    of such lines at a time, their messages made by ``messages`` (a :meth:`LineDecoder.messages`)
    in one pass over the run.
    """
    end = getattr(dialect, "end_pattern", None)
    hint = getattr(dialect, "end_hint", None) or (end.search if end is not None else None)
    keep = dialect.keeps_body(record) if hasattr(dialect, "keeps_body") else True
    body: list[str] = []
    last = record.where.line
    # Runs of lines that cannot end the record are taken whole; a line with a vertical tab or
    # form feed (whitespace to bytes.rstrip, which the hint uses, but not to the pattern) is
    # left to the line-by-line reading below, so both agree on every line.
    stop = _run_stop(end) if keep and end is not None and messages is not None else None
    while True:
        if end is not None and not keep:
            if not reader.seek_candidate(_fast(end)):
                return _ended(record, record.body, reader.lineno, True), None
        if stop is not None and messages is not None:
            run = reader.take_lines(stop)
            if run:
                body.extend(messages(run))
                last = reader.lineno
                continue
        got = reader.next_line()
        if got is None:
            return _ended(record, tuple(body), last, True), None
        if hint is not None and not hint(got[1]):
            body.append(message(got[1]))  # only reached when the body is kept
            last = got[0]
            continue
        line = decode(got)
        verdict = dialect.ends(_Probe(record, body), line)
        if verdict == "body":
            if keep:
                body.append(line.message)
            last = line.lineno
            if not keep and line.lineno - record.where.line > MAX_SKIPPED_BODY:
                return _ended(record, record.body, last, True), None
        elif verdict == "close":
            return _ended(record, tuple(body), line.lineno), None
        elif verdict == "stop":
            return _ended(record, tuple(body), last), line
        else:  # cut
            return _ended(record, tuple(body), last, True), line


def _ended(record: Record, body: tuple[str, ...], end_line: int, truncated: bool = False
           ) -> Record:
    """``record`` with its body and end: ``dataclasses.replace`` without its field walk."""
    return Record(record.dialect, record.where, end_line, record.thread, record.time,
                  record.level, record.caller, record.message, body, truncated, record.has_body)


_FAST: dict[tuple[bytes, int], re.Pattern[bytes]] = {}


def _fast(pattern: re.Pattern[bytes]) -> re.Pattern[bytes]:
    """``pattern`` run by RE2 where it is installed and takes it, else ``pattern`` itself.

    For the searches that look far ahead for the next line that may end a record: RE2 gets
    there in half the time of re. Only where a match starts is used, which both agree on.
    """
    key = (pattern.pattern, pattern.flags)
    fast = _FAST.get(key)
    if fast is None:
        fast = pattern
        if _re2 is not None and not pattern.flags & ~(re.M | re.ASCII):
            inline = b"(?m)" + pattern.pattern if pattern.flags & re.M else pattern.pattern
            try:
                fast = _direct(_re2.compile(inline))
            except Exception:  # noqa: BLE001 - a pattern RE2 cannot run stays with re
                fast = pattern
        _FAST[key] = fast
    return fast


def _run_stop(end: re.Pattern[bytes]) -> re.Pattern[bytes]:
    """``end`` or any line with a vertical tab or form feed (see :func:`_collect_body`)."""
    return _fast(re.compile(end.pattern + rb"|[\x0b\x0c]", end.flags))


class _Probe:
    """A cheap stand-in for the record being collected (a :class:`RecordSoFar`).

    Dialects read the live ``body`` and the header's fields.
    """

    __slots__ = ("_record", "body")

    def __init__(self, record: Record, body: list[str]) -> None:
        self._record = record
        self.body = body

    @property
    def thread(self) -> Thread:
        return self._record.thread

    @property
    def message(self) -> str:
        return self._record.message

    def __getattr__(self, name: str) -> object:
        return getattr(self._record, name)

