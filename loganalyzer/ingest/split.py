"""One large plain file on all cores, with the records one scan of it gives.

A plain (uncompressed, seekable) file of :data:`SPLIT_MIN_BYTES` or more, read with more than one
job, is scanned by :func:`split_scan` in two rounds on a pool of processes:

1. Candidate lines. The file is cut into byte ranges at line ends (one to four per job, so a
   process slowed by other work takes fewer), and the processes take them in turn. Per range
   GNU grep finds the candidate lines with their numbers and offsets (:func:`find_range`;
   :func:`~loganalyzer.ingest.candidates.grep_candidates` reads a whole file as one range). The
   range reaches grep through a pipe the kernel fills from the page cache (``splice``, no copy
   through Python), followed by a sentinel line whose number tells how many lines the range
   holds, so no process counts newlines. With each range's offset and the lines before it
   added, the ranges together are the whole file's :class:`~loganalyzer.ingest.candidates.Located`.
2. Records. When there are enough candidate lines to pay for it (a dense log), they are shared
   out evenly and each process scans its share (a :class:`~loganalyzer.ingest.scanner.Part`):
   from its first candidate, reading on past its share's end to finish the record open there,
   up to the first candidate line it takes afresh. The next part must have taken that same line
   afresh in the same state (its marks say so): from there the two scans go alike, so the next
   part's records from that line on are the file's. JVM numbers a part counted from its own
   start are shifted to the file's count. A part also reads the records it cut into events
   (``interpret``), so they travel back without their bodies. With few candidates (a sparse
   log) this process scans them all: reading them costs less than a second round.

What cannot be carried across a cut exactly makes this process scan the file's candidates
itself, so the result is always the one scan's: a record reaching beyond the next part's marks,
a foreign prefix learned in one part, a JVM number of the other frame read inside a record's
body. A range grep cannot read (a line too long for it) or a worker that fails leave the file to
the one scan as well; neither is an error of the input.
"""

from __future__ import annotations

import os
import shutil
import sys
from array import array
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from loganalyzer.errors import Location, debug_enabled
from loganalyzer.ingest.candidates import Found, Located, find_range, settle
from loganalyzer.ingest.lines import LIFECYCLE_PREFILTER
from loganalyzer.ingest.records import Dialect, Dropping, Record, Thread
from loganalyzer.ingest.scanner import (
    BLOCK,
    JVM_BASE,
    Interpreted,
    Mark,
    Part,
    ScanResult,
    scan,
)
from loganalyzer.ingest.streams import ByteStream

if TYPE_CHECKING:
    from concurrent.futures import Future

SPLIT_MIN_BYTES = 256 << 20
"""A plain file this large is split across the jobs (when there is more than one)."""
RANGE_BYTES = 64 << 20
"""About the size of the ranges of the first round: at least one per job, at most four."""
PARALLEL_MIN_CANDIDATES = 4000
"""Fewer candidate lines than this are scanned in this process after the first round."""


def usable_jobs(jobs: int | None = None) -> int:
    """``jobs``, else ``LOGANALYZER_JOBS`` from the environment, else the cores there are to use.

    The cores are those of the process's CPU affinity where the platform tells it (``taskset``
    and container limits count), else all of them.
    """
    if jobs is None:
        setting = os.environ.get("LOGANALYZER_JOBS", "").strip()
        if setting.isdecimal() and int(setting) > 0:
            return int(setting)
        try:
            return len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            return os.cpu_count() or 1
    return max(1, jobs)


class _Executor(Protocol):
    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]: ...


def split_scan(
    stream: ByteStream,
    path: str,
    dialects: Sequence[Dialect],
    file_path: str,
    jobs: int,
    *,
    on_bytes: Callable[[int], None] | None = None,
    min_candidates: int | None = None,
    cuts: Sequence[int] | None = None,
    shares: Sequence[int] | None = None,
    executor: _Executor | None = None,
    interpret: Callable[[list[Record]], list[Interpreted | None]] | None = None,
) -> ScanResult | None:
    """Scan the plain file ``file_path`` (which ``stream`` reads) on ``jobs`` processes.

    Gives what :func:`~loganalyzer.ingest.scanner.scan` of ``stream`` gives, with ``split``
    saying how it was read; or None without having read ``stream`` when the file cannot be split
    (no grep, ``LOGANALYZER_GREP=never``, a range grep cannot read, a worker failed in the first
    round): the caller then scans it as usual.

    ``interpret`` (a function a pool can pickle by name) reads a part's records into events in
    its worker, where they are cut, one entry per record (None: left to the caller); the
    result's ``done`` then holds them, and :data:`READ` stands in for each record read so (the
    last one stays whole). The events' JVM numbers are shifted as the records' are.

    For tests: ``cuts`` are the byte offsets to cut the ranges at (each moved to the next line
    start), ``shares`` the indices of the candidate lines the parts of the second round begin at,
    ``min_candidates`` how many make a second round worth it (default:
    :data:`PARALLEL_MIN_CANDIDATES`), and ``executor`` runs the rounds
    (default: a pool of ``jobs`` processes, forked where the platform allows).
    """
    grep = shutil.which("grep")
    if not grep or os.environ.get("LOGANALYZER_GREP", "auto") == "never":
        return None
    try:
        size = os.path.getsize(file_path)
    except OSError:
        return None
    # more ranges than processes: a process slowed by other work on the machine takes fewer
    ranges = _ranges(file_path, size, max(jobs, min(size // RANGE_BYTES, 4 * jobs)), cuts)
    if len(ranges) < 2:
        return None
    patterns = [d.prefilter.pattern for d in dialects] + [LIFECYCLE_PREFILTER.pattern]
    droppers = [cast(Dropping, d) for d in dialects if hasattr(d, "drops")]
    import gc

    # The workers are forked: with this process's objects frozen, their collections pass over
    # them, instead of touching (and so copying) every page of the heap they share with it.
    # Not where someone else froze objects before: thawing after would thaw theirs too.
    thaw = gc.get_freeze_count() == 0
    if thaw:
        gc.freeze()
    try:
        pool = executor if executor is not None else _pool(min(jobs, len(ranges)))
    except (OSError, ValueError):  # no processes to be had: one scan
        if thaw:
            gc.unfreeze()
        return None
    try:
        found = _first_round(pool, file_path, ranges, patterns, droppers, on_bytes)
        if found is None:
            return None
        offsets, numbers, kinds, gaps, lines = found
        n = len(offsets)
        starts = sorted({i for i in (shares or []) if 0 < i < n})
        if min_candidates is None:
            min_candidates = PARALLEL_MIN_CANDIDATES
        if shares is None and jobs > 1 and n >= max(min_candidates, 2 * jobs):
            starts = [n * k // jobs for k in range(1, jobs)]
        how = f"{len(ranges)} ranges"
        if not starts:
            result = scan(stream, path, dialects,
                          located=Located(offsets, numbers, kinds, gaps, lines, size))
            result.split = f"{how}; {n} candidate lines scanned here"
            return result
        stream.read(BLOCK)  # as one scan reads the head: a wrapper stream keeps a copy of it
        merged = _second_round(pool, file_path, path, dialects,
                               Located(offsets, numbers, kinds, gaps, lines, size), [0, *starts],
                               interpret)
    finally:
        if executor is None:
            cast(Any, pool).shutdown(wait=True, cancel_futures=True)
        if thaw:
            gc.unfreeze()
    if isinstance(merged, ScanResult):
        merged.split = f"{how}, {len(starts) + 1} parts"
        return merged
    stream.seek(0)
    result = scan(stream, path, dialects,
                  located=Located(offsets, numbers, kinds, gaps, lines, size))
    result.split = f"{how}; {n} candidate lines scanned here: {merged}"
    return result


def _ranges(file_path: str, size: int, parts: int, cuts: Sequence[int] | None
            ) -> list[tuple[int, int]]:
    """Byte ranges covering the file, each ending at a line's end (or the file's)."""
    wanted = list(cuts) if cuts is not None else [size * k // parts for k in range(1, parts)]
    bounds = [0]
    with open(file_path, "rb") as f:
        for at in sorted(wanted):
            if at <= bounds[-1] or at >= size:
                continue
            f.seek(at - 1)  # a cut right after a newline stays where it is
            while True:
                block = f.read(BLOCK)
                if not block:
                    end = size
                    break
                newline = block.find(b"\n")
                if newline >= 0:
                    end = f.tell() - len(block) + newline + 1
                    break
            if bounds[-1] < end < size:
                bounds.append(end)
    bounds.append(size)
    return list(zip(bounds, bounds[1:]))


def _first_round(
    pool: _Executor, file_path: str, ranges: list[tuple[int, int]], patterns: list[bytes],
    droppers: list[Dropping], on_bytes: Callable[[int], None] | None,
) -> tuple[array[int], array[int], array[int], array[int], int] | None:
    """The whole file's candidate lines, found a range per process (see the module docstring)."""
    found: list[Found] = []
    try:
        futures = [pool.submit(find_range, file_path, start, end, patterns, droppers)
                   for start, end in ranges]
        for (start, end), future in zip(ranges, futures):
            part = future.result()
            if part is None:
                return None
            found.append(part)
            if on_bytes is not None:
                on_bytes(end - start)
    except Exception:  # noqa: BLE001 - a worker that failed (or died) leaves it to one scan
        if debug_enabled():
            raise
        return None
    offsets, numbers, kinds, gaps = array("q"), array("q"), array("b"), array("q", [0])
    lines = 0
    for part in found:
        offsets.extend(part.offsets)
        numbers.extend(map(lines.__add__, part.numbers))
        kinds.extend(part.kinds)
        gaps[-1] += part.gaps[0]  # the lines dropped after one range's last candidate and
        gaps.extend(part.gaps[1:])  # before the next's first are one gap
        lines += part.lines
    return (*settle(offsets, numbers, kinds, gaps), lines)


def _second_round(
    pool: _Executor, file_path: str, path: str, dialects: Sequence[Dialect], whole: Located,
    starts: list[int], interpret: Callable[[list[Record]], list[Interpreted | None]] | None,
) -> ScanResult | str:
    """The records, a share of the candidates per process, merged; or why they do not join."""
    try:
        results = _run_parts(pool, file_path, path, dialects, whole, starts, interpret)
    except Exception as exc:  # noqa: BLE001 - a worker failed (or died): one scan reads it
        if debug_enabled():
            raise
        return f"a worker failed ({type(exc).__name__}: {exc})"
    return merge(path, results)


def _run_parts(
    pool: _Executor, file_path: str, path: str, dialects: Sequence[Dialect], whole: Located,
    starts: list[int], interpret: Callable[[list[Record]], list[Interpreted | None]] | None,
) -> list[ScanResult]:
    offsets, numbers = whole.offsets, whole.numbers
    n = len(offsets)
    futures = []
    for k, first in enumerate(starts):
        # a part may read on into the next share to finish its last record, not further
        upto = starts[k + 2] if k + 2 < len(starts) else n
        part = Part(0, 1) if k == 0 else Part(offsets[first], numbers[first], JVM_BASE,
                                              marks=True)
        if k + 1 < len(starts):
            part = replace(part, stop=offsets[starts[k + 1]])
        futures.append(pool.submit(scan_part, file_path, path, dialects,
                                   whole.share(first, upto), part, interpret))
    return [future.result() for future in futures]


def scan_part(
    file_path: str, path: str, dialects: Sequence[Dialect], located: Located, part: Part,
    interpret: Callable[[list[Record]], list[Interpreted | None]] | None = None,
) -> ScanResult:
    """Scan one part of a file (in a worker process): see :class:`Part` and :func:`split_scan`."""
    with open(file_path, "rb") as stream:
        result = scan(stream, path, dialects, located=located, part=part)
    if interpret is not None and result.records:
        result.done = interpret(result.records)
        last = len(result.records) - 1
        # a record read into events travels back as one shared stand-in (a few bytes each); the
        # last one whole, since the next file of a rotated set may hold its rest
        result.records = [r if d is None or i == last else READ
                          for i, (r, d) in enumerate(zip(result.records, result.done))]
    return result


READ = Record("", Location(""), 0, Thread(0, ""), None, "", "", "")
"""Stands in for each record a part read into events (see ``ScanResult.done``)."""


def merge(path: str, parts: Sequence[ScanResult]) -> ScanResult | str:
    """The scans of consecutive parts as one scan of the file, or why they do not join.

    Part k+1 joins part k where part k stopped: a candidate line part k+1 took afresh in the same
    state (foreign prefixes learned, the JVM count once its numbers are shifted; see
    :class:`~loganalyzer.ingest.scanner.Part`). Its records, problems and count of records seen
    from there on are the file's.
    """
    first = parts[0]
    out = ScanResult(path, list(first.records), first.seen, list(first.problems), first.layout,
                     first.lines, first.bytes, done=list(first.done))
    state, foreign = first.stopped, first.foreign
    for k, part in enumerate(parts[1:], 1):
        if state is None:
            return f"part {k} ran past the candidates it was given"
        mark = _mark_at(part.marks, state[0])
        if mark is None:
            return f"part {k + 1} did not take line {state[1]} afresh"
        if len(foreign) != mark[4] or part.foreign[: mark[4]] != foreign:
            return f"a foreign prefix was learned before line {state[1]}"
        if part.mixed >= mark[1]:
            return f"line {part.mixed} set a JVM number inside a record's body"
        jvm, counted = state[3], mark[3]
        if counted < JVM_BASE and counted != jvm:
            return f"JVM {counted} at line {mark[1]} in part {k + 1}, {jvm} in part {k}"
        shift = jvm - counted
        records = part.records[mark[5]:]
        if counted >= JVM_BASE:
            records = [_shifted(r, shift) for r in records]
        out.records.extend(records)
        if out.done or part.done:
            done = part.done[mark[5]:]
            if counted >= JVM_BASE:
                done = [None if d is None else ([_shifted(e, shift) for e in d[0]], d[1])
                        for d in done]
            out.done.extend(done)
        out.problems.extend(part.problems[mark[6]:])
        out.seen += part.seen - mark[2]
        if k + 1 < len(parts):
            state, foreign = part.stopped, part.foreign
            if state is not None and state[3] >= JVM_BASE:
                state = (*state[:3], state[3] + shift, *state[4:])
    return out


def _mark_at(marks: list[Mark], offset: int) -> Mark | None:
    i = bisect_left(marks, offset, key=lambda m: m[0])
    return marks[i] if i < len(marks) and marks[i][0] == offset else None


_T = TypeVar("_T")


def _shifted(item: _T, shift: int) -> _T:
    """A record or event with its JVM number counted from a part's start moved by ``shift``."""
    thread = cast(Any, item).thread
    if thread.jvm < JVM_BASE:
        return item
    return cast(_T, replace(cast(Any, item), thread=replace(thread, jvm=thread.jvm + shift)))


class InlineExecutor:
    """Runs each task at once in this process: the rounds without a pool (for tests)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        from concurrent.futures import Future

        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001 - handed over as a pool would
            future.set_exception(exc)
        return future


def _pool(jobs: int) -> _Executor:
    """A pool of ``jobs`` processes, forked where the platform allows (they start at once)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() \
        and sys.platform != "darwin" else None
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method))
