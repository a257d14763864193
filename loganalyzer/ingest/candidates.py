"""Candidate lines found by GNU grep, of a large plain file or a byte range of one, for the scan.

grep searches the scanner's prefilter union at memory speed and prints each line's number and
byte offset, so a large file is never counted through in Python (:func:`grep_candidates`; one
range per process when the file is split, :mod:`.split`). A second grep judges the lines the one
dropping dialect drops (:class:`GrepPipeline`), and what is left becomes a :class:`Located`: the
candidates the scan jumps between, and how many dropped lines lie between them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import IO

from loganalyzer.ingest.records import MAX_LINE, Dropping

_FIND_SLICE = 1 << 20  # bytes spliced into grep's pipe at a time
_PIPE_SIZE = 1 << 20  # what the pipe to grep is asked to hold (Linux lets anyone have 1 MiB)


GREP_MIN_BYTES = 8 << 20  # below this the in-process scan is as quick as starting grep
GREP_MEMORY = 96 << 20
"""The address space grep may use.

grep holds each line whole (a 1 GiB line takes it 2 GiB); with this cap it stops on a line
longer than some 45 MB and the file is scanned in process, which reads a long line in blocks and
keeps only its start (see MAX_LINE).
"""


@dataclass(slots=True)
class Located:
    """Candidate lines of a file as byte offsets and line numbers, in file order; and its size.

    ``gaps[i]`` counts the candidate lines between candidate ``i - 1`` and candidate ``i`` that
    were left out because a dialect drops them alone (a record nothing reads, with no body), or
    drops them with a body no candidate lies in (see :func:`settle`); ``gaps[-1]`` counts those
    after the last candidate. The scan counts them as it passes them (:meth:`passed`) instead of
    visiting each; the ones it reads itself (a header that cuts a body) it tells apart with
    :meth:`is_candidate`, so each is counted once.
    """

    offsets: array[int]
    numbers: array[int]
    kinds: array[int] = field(default_factory=lambda: array("b"))  # see read_grep
    gaps: array[int] = field(default_factory=lambda: array("q"))
    lines: int = 0
    size: int = 0
    _next: int = 0  # candidates before this index lie behind the reading
    _counted: int = 0  # gaps before this index are counted

    def __post_init__(self) -> None:
        n = len(self.offsets)
        if len(self.gaps) != n + 1:  # none dropped
            self.gaps = array("q", bytes(8 * (n + 1)))
        if len(self.kinds) != n:  # none judged
            self.kinds = array("b", [UNJUDGED]) * n

    def next_from(self, here: int) -> int:
        """The first candidate at byte ``here`` or after; ``len(offsets)`` when none is left."""
        i, offsets = self._next, self.offsets
        n = len(offsets)
        while i < n and offsets[i] < here:
            i += 1
        self._next = i
        return i

    def passed(self, upto: int) -> int:
        """The dropped lines before candidate ``upto`` not counted yet.

        At ``upto == len(offsets)``: all that are left.
        """
        counted = self._counted
        if upto < counted:
            return 0
        self._counted = upto + 1
        return sum(self.gaps[counted : upto + 1])

    def is_candidate(self, offset: int) -> bool:
        i = bisect_left(self.offsets, offset)
        return i < len(self.offsets) and self.offsets[i] == offset

    def share(self, first: int, upto: int) -> Located:
        """Candidates ``first`` to ``upto`` (not included), for a scan that starts at ``first``.

        The lines dropped before ``first`` are not its to count, unless it starts the file.
        """
        gaps = array("q", [self.gaps[0] if first == 0 else 0])
        gaps += self.gaps[first + 1 : upto + 1]
        return Located(self.offsets[first:upto], self.numbers[first:upto],
                       self.kinds[first:upto], gaps, self.lines, self.size)


def grep_candidates(
    file_path: str, patterns: Sequence[bytes], droppers: Sequence[Dropping] = ()
) -> Located | None:
    """Let GNU grep find the candidate lines of a large plain file, with their numbers.

    grep searches literal sets at memory speed (its -c over a 1 GB sparse log takes 0.4 s;
    RE2 from Python about 2 s, re 60 s), and ``-n -b`` gives each line's number and byte
    offset, so the file is never counted through in Python; a sentinel line after the file
    tells its number of lines (see :func:`find_range`). Returns None (the caller scans
    in process) when grep is missing, fails, the file is small, or ``LOGANALYZER_GREP=never``;
    ``always`` uses it for any size (tests).

    Memory stays bounded whatever the line lengths. grep holds each line whole (a 1 GiB line
    took it 2 GiB), so it runs under an address-space limit (:data:`GREP_MEMORY`): a line too
    long for it makes grep fail, and then the in-process scan, which cuts long lines, reads the
    file instead. The lines grep prints are therefore at most some 45 MB, and only their
    ``lineno:offset:`` start is kept.

    A line that one of ``droppers`` drops alone (``drops`` gives ``"alone"``: most header lines
    of a dense log) is only counted (:class:`Located`), so the scan neither seeks to it nor
    reads it again.
    """
    mode = os.environ.get("LOGANALYZER_GREP", "auto")
    try:
        size = os.path.getsize(file_path)
    except OSError:
        return None
    if mode == "never" or (mode != "always" and size < GREP_MIN_BYTES):
        return None
    found = find_range(file_path, 0, size, patterns, droppers)
    if found is None:
        return None
    return Located(*settle(found.offsets, found.numbers, found.kinds, found.gaps),
                   lines=found.lines, size=size)


class GrepPipeline:
    """``grep -n -b`` of the prefilter union, and a second grep that leaves out dropped lines.

    The first reads ``args`` (or ``stdin``). The second leaves out the lines the one dropper
    drops alone, and cuts a line it drops with its body down to ``lineno:offset:``; it prints
    each line it keeps behind its number in the first grep's output (``-n``), so the lines left
    out between two are counted from the numbers. A dense log's candidates are mostly such
    lines (``Ignore unsupported cipher suite``): grep's PCRE judges them in C, where Python took
    some 3 us a line. The second stage runs when there is one dropper, it offers
    ``drops_pcre`` (see :attr:`loganalyzer.jsse.unified.UnifiedDialect.drops_pcre`) and grep
    has ``-P``; ``indexed`` says it does, and :func:`read_grep` reads either output. Lines
    longer than :data:`MAX_LINE` are never left out, as :func:`read_grep` never drops them.
    """

    def __init__(self, grep: str, patterns: Sequence[bytes], droppers: Sequence[Dropping],
                 args: Sequence[str], stdin: int | None = None) -> None:
        env = grep_env()
        self.first = subprocess.Popen(grep_command(grep, patterns, *args), stdin=stdin,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self.second: subprocess.Popen[bytes] | None = None
        drops = getattr(droppers[0], "drops_pcre", None) if len(droppers) == 1 else None
        assert self.first.stdout is not None  # stdout=PIPE
        self.stdout: IO[bytes] = self.first.stdout
        self.indexed = False
        if drops is not None and has_pcre(grep):
            try:
                self.second = subprocess.Popen(
                    _limited([grep, "-a", "-n", "-o", "-P", "-e", cut_down(*drops).decode()]),
                    stdin=self.first.stdout, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                    env=env)
            except BaseException:
                self.first.kill()
                self.first.wait()
                raise
            finally:
                self.first.stdout.close()  # the second grep holds it now
            assert self.second.stdout is not None  # stdout=PIPE
            self.stdout, self.indexed = self.second.stdout, True

    def __enter__(self) -> GrepPipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        for process in (self.second, self.first):
            if process is not None:
                with process:  # closes its pipes and waits for it
                    if exc[0] is not None:
                        process.kill()

    def succeeded(self) -> bool:
        """Whether every grep ended well: found lines (0) or found none (1)."""
        return all(p.returncode in (0, 1) for p in (self.first, self.second) if p is not None)


def cut_down(alone: bytes, with_body: bytes) -> bytes:
    """The second grep's PCRE: dropped-alone lines print nothing, any other whole or cut down.

    Of the lines ``lineno:offset:raw`` not longer than :data:`MAX_LINE` with their newline, one
    whose raw matches ``alone`` has no match, one matching ``with_body`` prints as
    ``lineno:offset:``.
    """
    whole, rest = divmod(MAX_LINE, 0xFFFF)  # PCRE counts up to 65535
    short = rb"(?!(?:.{65535}){%d}.{%d})" % (whole, rest)
    return (rb"^(?!" + short + rb"[0-9]+:[0-9]+:" + alone + rb")(?:" + short
            + rb"[0-9]+:[0-9]+:(?=" + with_body + rb")|.*)")


_PCRE: dict[str, bool] = {}


def has_pcre(grep: str) -> bool:
    """Whether ``grep`` takes ``-P`` (GNU grep built with PCRE); asked once per process."""
    known = _PCRE.get(grep)
    if known is None:
        try:
            known = subprocess.run([grep, "-q", "-P", r"^a\Kb(?=c)", "-"], input=b"abc\n",
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env=grep_env(), timeout=10).returncode == 0
        except (OSError, subprocess.SubprocessError):
            known = False
        _PCRE[grep] = known
    return known


def grep_env() -> dict[str, str]:
    """The environment grep runs in: bytes, not characters (``-b`` counts bytes either way)."""
    return {**os.environ, "LC_ALL": "C"}


def grep_command(grep: str, patterns: Sequence[bytes], *args: str) -> list[str]:
    """``grep -n -b`` for the prefilter union, with ``args`` after it, under GREP_MEMORY."""
    return _limited([grep, "-n", "-b", "-a", "-E", "-e", _ere(patterns), *args])


def _limited(command: list[str]) -> list[str]:
    """``command`` under GREP_MEMORY, where a POSIX shell can set the limit."""
    sh = shutil.which("sh")
    if sh and os.name == "posix":  # the limit is set in a shell that then becomes grep
        command = [sh, "-c", f'ulimit -v {GREP_MEMORY >> 10} 2>/dev/null; exec "$0" "$@"',
                   *command]
    return command


UNJUDGED, CUT, WITH_BODY = -1, 1, 2
"""Kinds of a candidate line (:func:`read_grep`), besides 0 (neither dropped nor cutting): no
dropper judged it (a line read cut, or several droppers: the scan judges it), a line that cuts a
record of the one dropper, and a line that heads a record with a body it drops."""

GREP_READ = 1 << 18  # grep's output is read in blocks this size and cut into lines in C


def read_grep(
    output: IO[bytes], droppers: Sequence[Dropping], offsets: array[int],
    numbers: array[int], kinds: array[int], gaps: array[int], *, indexed: bool = False,
    base: int = 0, limit: int | None = None, sentinel: bytes = b"",
    union: re.Pattern[bytes] | None = None,
) -> int:
    """Fill ``offsets``, ``numbers``, ``kinds`` and ``gaps`` (see :class:`Located`) from grep.

    ``kinds`` gets one entry per candidate, for :func:`settle`: :data:`CUT` or
    :data:`WITH_BODY` when there is one dropper, else 0. ``gaps`` gets the count of dropped
    lines before each candidate; the count after the last is left to the caller, in
    ``gaps[-1]`` (``gaps`` is given with one entry, usually 0, and ends with one more entry than
    there are candidates). ``indexed``: the output is :class:`GrepPipeline`'s second stage's.
    ``base`` is added to each offset. With ``limit``, the first line at or past it (a sentinel
    line appended to the input, see :mod:`.split`) ends the reading and its number is returned
    (else 0); a line before it holding ``sentinel`` is a candidate only if ``union`` finds a
    match in it.
    """
    one = droppers[0] if len(droppers) == 1 else None
    tail = b""
    last = 0  # the index, in the first grep's output, of the last line read
    def sentinel_alone(line: bytes, lineno: bytes, offset: bytes) -> bool:
        """A line grep printed for the sentinel text only: no candidate, and not dropped."""
        return sentinel in line and union is not None and union.search(
            line, len(lineno) + len(offset) + 2) is None

    while True:
        block = output.read(GREP_READ)
        data = tail + block
        if block:
            cut = data.rfind(b"\n") + 1
            lines, tail = data[:cut].split(b"\n"), data[cut:]
            lines.pop()  # what followed the last newline: kept in tail
        else:
            lines = [data] if data else []
        if indexed and one is not None:  # the second grep judged every line (see GrepPipeline)
            for line in lines:
                index, line = line.split(b":", 1)
                at_index = int(index)
                gaps[-1] += at_index - last - 1  # the lines the second grep left out
                last = at_index
                lineno, offset, raw = line.split(b":", 2)
                if limit is not None and int(offset) >= limit:
                    return int(lineno)
                if limit is not None and sentinel_alone(line, lineno, offset):
                    continue
                numbers.append(int(lineno))
                offsets.append(int(offset) + base)
                kinds.append(WITH_BODY if not raw  # cut down: dropped with its body
                             else UNJUDGED if len(line) + bool(block) > MAX_LINE
                             else CUT if one.cuts(raw) else 0)
                gaps.append(0)
            if not block:
                return 0
            continue
        for line in lines:
            # "lineno:offset:" is at most 40 bytes; the slice spares a copy of a long line
            lineno, offset, _ = line[:48].split(b":", 2)
            if limit is not None and int(offset) >= limit:
                return int(lineno)
            if limit is not None and sentinel_alone(line, lineno, offset):
                continue
            kind = UNJUDGED
            # a line as long as MAX_LINE with its newline is read cut (see _Reader): kept
            if droppers and len(line) + bool(block) <= MAX_LINE:
                raw = line[len(lineno) + len(offset) + 2 :]
                verdict = ""
                for dropper in droppers:  # the first verdict counts, as in the scan
                    verdict = dropper.drops(raw)
                    if verdict:
                        break
                if verdict == "alone":
                    gaps[-1] += 1
                    continue
                if one is not None:
                    kind = WITH_BODY if verdict else CUT if one.cuts(raw) else 0
            numbers.append(int(lineno))
            offsets.append(int(offset) + base)
            kinds.append(kind)
            gaps.append(0)
        if not block:
            return 0


def settle(
    offsets: array[int], numbers: array[int], kinds: array[int], gaps: array[int]
) -> tuple[array[int], array[int], array[int], array[int]]:
    """Candidates and dropped lines, with every with-body drop that nothing can follow moved over.

    A line heading a record the dropper drops, body and all, is visited only to step over its
    body. When the next candidate line cuts that body anyway (an alone-dropped header, or a
    candidate of kind :data:`CUT` or :data:`WITH_BODY`), or there is none, no candidate lies in
    the body: the scan may count the line as it passes, as it counts the alone-dropped ones,
    and go straight on to the next candidate. In a dense log these are the hex dumps.
    """
    n = len(offsets)
    keep = bytearray(b"\x01") * n
    settled = array("q")
    carried = 0  # dropped lines moved over since the last candidate kept
    for i, kind in enumerate(kinds):
        if kind == WITH_BODY and (i + 1 == n or gaps[i + 1] or kinds[i + 1] > 0):
            keep[i] = 0
            carried += gaps[i] + 1
        else:
            settled.append(gaps[i] + carried)
            carried = 0
    if len(settled) == n:
        return offsets, numbers, kinds, gaps
    settled.append(gaps[n] + carried)
    return (array("q", compress(offsets, keep)), array("q", compress(numbers, keep)),
            array("b", compress(kinds, keep)), settled)


def _ere(patterns: Sequence[bytes]) -> str:
    r"""The prefilter union as a POSIX extended regex (the patterns use only what translates).

    ``[^\n]`` is ``.``: grep matches within one line, and in brackets POSIX reads ``\n`` as a
    backslash and an ``n`` (so ``[^\n]*`` stopped at any ``n``).
    """
    text = b"|".join(patterns).decode()
    for python, posix in (("(?:", "("), (r"\S", "[^[:space:]]"), (r"\w", "[[:alnum:]_]"),
                          (r"\|", "[|]"), (r"[^\n]", ".")):
        text = text.replace(python, posix)
    return text


@dataclass(slots=True)
class Found:
    """The candidate lines of one byte range (offsets in the file, numbers in the range)."""

    offsets: array[int] = field(default_factory=lambda: array("q"))
    numbers: array[int] = field(default_factory=lambda: array("q"))
    kinds: array[int] = field(default_factory=lambda: array("b"))  # see read_grep
    gaps: array[int] = field(default_factory=lambda: array("q", [0]))  # see Located
    lines: int = 0


def find_range(file_path: str, start: int, end: int, patterns: Sequence[bytes],
               droppers: Sequence[Dropping] = ()) -> Found | None:
    """The candidate lines of bytes ``start`` to ``end`` of a file (a line starts at each).

    None when grep cannot read the range (it fails, or a line is too long for its memory).
    """
    grep = shutil.which("grep")
    if grep is None:
        return None
    token = "loganalyzer-range-end-" + os.urandom(8).hex()
    fd = os.open(file_path, os.O_RDONLY)
    try:
        last = os.pread(fd, 1, end - 1) if end > start else b"\n"
        # a last line without its newline gets one, so the sentinel is a line of its own
        tail = (b"" if last == b"\n" else b"\n") + token.encode() + b"\n"
        read_end, write_end = os.pipe()
        try:
            _grow_pipe(write_end)
            found = GrepPipeline(grep, patterns, droppers, ["-e", token], stdin=read_end)
        except BaseException:
            os.close(write_end)
            raise
        finally:
            os.close(read_end)
        import threading

        feeder = threading.Thread(target=_feed, args=(fd, write_end, start, end, tail),
                                  daemon=True)
        feeder.start()
        result = Found()
        with found:
            sentinel = read_grep(found.stdout, droppers, result.offsets, result.numbers,
                                 result.kinds, result.gaps, indexed=found.indexed, base=start,
                                 limit=end - start, sentinel=token.encode(),
                                 union=re.compile(b"|".join(patterns)))
            for _ in found.stdout:  # nothing follows the sentinel; grep ends
                pass
        feeder.join()
    finally:
        os.close(fd)
    if not found.succeeded() or not sentinel:
        return None
    result.lines = sentinel - 1
    return result


def _grow_pipe(fd: int) -> None:
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_SIZE)
    except (ImportError, OSError):  # not Linux, or a lower limit: the default size works too
        pass


def _feed(fd: int, pipe: int, start: int, end: int, tail: bytes) -> None:
    """Write bytes ``start`` to ``end`` of ``fd`` and then ``tail`` into ``pipe``; close it.

    Never raises (it runs in a thread of its own): whatever stops it early keeps the sentinel
    line from grep, so the range is not taken.
    """
    try:
        at = start
        splice = getattr(os, "splice", None)
        while at < end and splice is not None:
            try:
                moved = splice(fd, pipe, min(_FIND_SLICE, end - at), offset_src=at)
            except BrokenPipeError:
                return  # grep is gone: its exit status tells
            except OSError:
                splice = None  # a file system splice does not serve: copy instead
                break
            if not moved:
                return  # the file got shorter: no sentinel, the range is not taken
            at += moved
        while at < end:
            chunk = os.pread(fd, min(_FIND_SLICE, end - at), at)
            if not chunk:
                return
            _write_all(pipe, chunk)
            at += len(chunk)
        _write_all(pipe, tail)
    except OSError:  # grep is gone (its exit status tells), or the file cannot be read
        return
    finally:
        os.close(pipe)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
