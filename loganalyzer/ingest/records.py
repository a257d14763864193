"""JSSE records: the debug blocks cut out of a log, before any grammar looks at them.

A record is a header line plus the body lines that belong to it. Each log dialect (JDK 11+
unified, JDK 8 legacy) says through a :class:`Dialect` which lines open a record and where it
ends; the scanner in :mod:`loganalyzer.ingest.scanner` only finds candidates fast and collects
lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from loganalyzer.errors import Location

MAX_LINE = 1 << 20
"""The longest line read whole: longer ones are cut here (and reported), so one line cannot
exhaust memory. The scanner's reader and the grep path (:mod:`.candidates`) both hold to it."""


@dataclass(frozen=True, slots=True)
class Thread:
    """Who wrote a record: the JVM instance in the wrapper log plus the Java thread.

    ``jvm`` is the wrapper's ``jvm N`` counter (0 when the log has no wrapper prefix); the thread
    id token is kept opaque (JDK 17+ prints it nibble-swapped) and used with the name.
    """

    jvm: int
    name: str
    tid: str = ""


@dataclass(frozen=True, slots=True)
class Line:
    """One selected log line after wrapper-prefix decoding."""

    lineno: int
    message: str
    jvm: int
    time: datetime | None  # the wrapper's own timestamp, when the layout has one


@dataclass(frozen=True, slots=True)
class Record:
    """One JSSE debug record.

    ``message`` is the header's message text (for the unified format without the trailing
    `` (``); ``body`` the lines up to (not including) the closing line. ``has_body`` says the
    header announced a body; ``truncated`` is set by the scanner when that body did not close
    where the dialect expects (rotation cut, interleaving, end of file).
    """

    dialect: str
    where: Location
    end_line: int
    thread: Thread
    time: datetime | None
    level: str
    caller: str
    message: str
    body: tuple[str, ...] = ()
    truncated: bool = False
    has_body: bool = False


class RecordSoFar(Protocol):
    """A record while the scanner collects its body: the header's fields and the body so far."""

    @property
    def thread(self) -> Thread: ...

    @property
    def message(self) -> str: ...

    @property
    def body(self) -> Sequence[str]: ...


class Dropping(Protocol):
    """The optional part of a :class:`Dialect` that steps over records nothing reads."""

    end_pattern: re.Pattern[bytes]

    def drops(self, raw: bytes) -> str: ...

    def cuts(self, raw: bytes) -> bool: ...

    def closes(self, message: str) -> bool: ...


class Dialect(Protocol):
    """What the scanner needs to know about one debug-output dialect.

    A dialect may also offer these, which the scanner uses when present (only the JDK 11+
    dialect does: its dense logs are where they pay):

    - ``keeps_body(record) -> bool`` and ``keeps_record(record) -> bool``: whether anything
      reads this record's body / the record at all; unread bodies are stepped over undecoded
      and unread records are counted, not stored;
    - ``end_pattern`` (bytes regex) and ``end_hint(raw) -> bool``: the raw lines that may end
      a record, to search for and to test one line with;
    - ``drops(raw) -> str``, ``cuts(raw) -> bool`` and ``closes(message) -> bool`` with
      ``end_pattern`` (:class:`Dropping`): a raw candidate line that heads a record nothing
      reads (``"with-body"`` / ``"alone"``), so it and its body are stepped over without
      decoding.
    """

    name: str
    prefilter: re.Pattern[bytes]  # finds lines that may open a record, on raw bytes

    def open_record(self, line: Line, path: str) -> Record | None:
        """The record this line opens, with an empty body, or None if it opens none."""

    def wants_body(self, record: Record) -> bool:
        """Whether lines after the header belong to the record."""

    def ends(self, record: RecordSoFar, line: Line) -> str:
        """What a line after the header does to the record.

        ``body`` (keep), ``close`` (keep nothing more, the line is the terminator), ``stop`` (the
        record ended before this line; the line is looked at afresh) or ``cut`` (the record was
        cut; the line is looked at afresh).
        """
