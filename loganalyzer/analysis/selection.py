"""Time windows: which handshakes and MID log lines of a reading an analysis looks at.

``--since`` and ``--until`` take a time as the log shows it, or a duration. A time is the log's
own local time, the one every event of a reading carries (no zone: a time with a zone or offset
is refused rather than guessed). ISO forms (``2026-11-26 14:09:25``, ``2026-11-26T14:09``, with
fractions), the wrapper's ``2026/11/26 14:09:25`` and a date alone are read; a date alone is the
start of its day for ``--since`` and the end of it for ``--until``. A duration (``30m``, ``2h``,
``1d``, ``1h30m``; units s, m, h, d, w) counts back from the newest event of the inputs read
together, never from the clock, so a log from last month is windowed like one from today.

``--last-jvm`` keeps, for each MID Server, the handshakes of its newest JVM start: the wrapper's
``jvm N`` of its last handshake, from the first handshake after the previous JVM's last one. MID
log lines carry no JVM number: one logged between the two JVMs' handshakes goes with the JVM
whose handshake is nearer in time. A MID Server whose log shows one JVM (or none) is kept whole.

Both are applied after reading, to a new :class:`~loganalyzer.analysis.reading.Reading` that
shares the files' counts and the problems list with the one read; nothing is read again.
Handshakes are placed by the time they began, MID log lines by their own time; what has no time
is outside any window that has a bound.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any

from loganalyzer.analysis.handshakes import Handshake
from loganalyzer.analysis.reading import MidServer, Reading
from loganalyzer.errors import LogAnalyzerError
from loganalyzer.jsse import events as ev


class SelectionError(LogAnalyzerError):
    """A window or rule selection the user has to correct (a usage error, exit 2)."""


_UNITS = {"s": timedelta(seconds=1), "m": timedelta(minutes=1), "h": timedelta(hours=1),
          "d": timedelta(days=1), "w": timedelta(weeks=1)}
_DURATION = re.compile(r"(?:\d+[smhdw])+")
_DURATION_PART = re.compile(r"(\d+)([smhdw])")
_WRAPPER_DATE = re.compile(r"^(\d{4})/(\d{2})/(\d{2})")


@dataclass(frozen=True, slots=True)
class Bound:
    """One end of a window as given: a time of the log, or a duration before its newest event."""

    text: str
    time: datetime | None = None
    before_newest: timedelta | None = None

    def resolve(self, newest: datetime | None) -> datetime | None:
        """The time this bound stands for; a duration needs the newest event (None: none)."""
        if self.time is not None:
            return self.time
        if self.before_newest is None or newest is None:
            return None
        return newest - self.before_newest


def parse_bound(text: str, option: str, end: bool = False) -> Bound:
    """``text`` of ``--since`` (``end`` False) or ``--until`` as a :class:`Bound`.

    Raises :class:`SelectionError` naming ``option`` when it is neither a time nor a duration.
    """
    given = text.strip()
    if _DURATION.fullmatch(given.lower()):
        span = sum((int(n) * _UNITS[unit] for n, unit in _DURATION_PART.findall(given.lower())),
                   timedelta())
        return Bound(given, before_newest=span)
    iso = _WRAPPER_DATE.sub(r"\1-\2-\3", given)
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        raise SelectionError(
            f"{option}: {given!r} is neither a time as the log shows it (2026-11-26 14:09:25) "
            "nor a duration before its newest event (30m, 2h, 1d)") from None
    if when.tzinfo is not None:
        raise SelectionError(
            f"{option}: {given!r} has a zone; give the time as the log shows it, in its local "
            "time, without one")
    if end and len(iso) == 10:  # a date alone: --until means to the end of that day
        when = datetime.combine(when.date(), time.max)
    return Bound(given, time=when)


@dataclass(frozen=True, slots=True)
class Window:
    """Which part of a reading to analyse: a time window and/or the newest JVM start only.

    Plain, picklable data: a batch task carries it to the worker that reads its logs.
    """

    since: Bound | None = None
    until: Bound | None = None
    last_jvm: bool = False

    @classmethod
    def of(cls, since: str | None, until: str | None, last_jvm: bool = False) -> Window | None:
        """The window the options ask for, or None when they ask for none."""
        if not since and not until and not last_jvm:
            return None
        low = parse_bound(since, "--since") if since else None
        high = parse_bound(until, "--until", end=True) if until else None
        if low and high and _after(low, high):
            raise SelectionError(f"--since {low.text} is after --until {high.text}: the window "
                                 "is empty")
        return cls(low, high, last_jvm)

    def stated(self) -> dict[str, Any]:
        """The window as given, for a report over many log sets.

        ``each``: a duration counts back from each log set's own newest event.
        """
        stated: dict[str, Any] = {"each": True, "last_jvm": self.last_jvm}
        for name, bound in (("since", self.since), ("until", self.until)):
            stated[name] = _stamp(bound.time) if bound is not None else None
        if self.durations:
            stated["durations"] = self.durations
        return stated

    @property
    def durations(self) -> dict[str, str]:
        """The bounds given as durations, as typed (``{"since": "2h"}``)."""
        return {name: b.text for name, b in (("since", self.since), ("until", self.until))
                if b is not None and b.before_newest is not None}

    def apply(self, reading: Reading) -> tuple[Reading, dict[str, Any]]:
        """A reading with what lies inside the window, and the window as the report states it.

        Durations count back from the newest event of ``reading``. The MID Servers and their
        files stay (with their line and byte counts); only their handshakes and MID log lines
        are filtered. The problems list is the one of ``reading``.
        """
        newest = newest_event(reading)
        since = self.since.resolve(newest) if self.since else None
        until = self.until.resolve(newest) if self.until else None
        bounded = self.since is not None or self.until is not None

        def inside(when: datetime | None) -> bool:
            if not bounded:
                return True
            return (when is not None and (since is None or when >= since)
                    and (until is None or when <= until))

        servers: list[MidServer] = []
        jvms: list[dict[str, Any]] = []
        for server in reading.servers:
            keep_h, keep_e = _newest_jvm(server, jvms) if self.last_jvm else (None, None)
            files = []
            for f in server.files:
                handshakes = [h for h in f.handshakes if inside(h.start_time)
                              and (keep_h is None or keep_h(h))]
                agent = [e for e in f.agent_events if inside(e.time)
                         and (keep_e is None or keep_e(e))]
                files.append(replace(f, handshakes=handshakes, agent_events=agent))
            servers.append(MidServer(server.group, files))
        stated: dict[str, Any] = {"since": _stamp(since), "until": _stamp(until)}
        if self.durations:
            stated["durations"] = self.durations
            stated["newest"] = _stamp(newest)
        stated["last_jvm"] = self.last_jvm
        if self.last_jvm:
            stated["jvms"] = jvms
        return Reading(servers, reading.problems, reading.skipped), stated


def newest_event(reading: Reading) -> datetime | None:
    """The latest time any handshake or MID log line of ``reading`` carries."""
    times = [h.end_time or h.start_time for h in reading.handshakes]
    times += [e.time for s in reading.servers for f in s.files for e in f.agent_events]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _after(low: Bound, high: Bound) -> bool:
    """Whether ``low`` surely lies after ``high`` (both times, or both durations)."""
    if low.time is not None and high.time is not None:
        return low.time > high.time
    if low.before_newest is not None and high.before_newest is not None:
        return low.before_newest < high.before_newest
    return False


def _stamp(when: datetime | None) -> str | None:
    return when.isoformat(sep=" ", timespec="milliseconds") if when else None


def _newest_jvm(server: MidServer, stated: list[dict[str, Any]]
                ) -> tuple[Callable[[Handshake], bool] | None,
                           Callable[[ev.AgentEvent], bool] | None]:
    """Predicates keeping the newest JVM start of ``server`` (None, None: keep everything).

    Appends what was kept to ``stated``: the MID Server, its JVM number, the start of its
    first handshake, and how many earlier JVM starts were left out.
    """
    wrapped = [h for h in server.handshakes if h.thread.jvm > 0]
    if not wrapped:
        return None, None
    last = wrapped[-1].thread.jvm
    cut = len(wrapped)
    while cut and wrapped[cut - 1].thread.jvm == last:
        cut -= 1
    run, previous = wrapped[cut:], wrapped[:cut]
    starts = [t for t in (h.start_time for h in run) if t is not None]
    first = min(starts) if starts else None
    earlier = sum(1 for a, b in zip(previous, previous[1:]) if a.thread.jvm != b.thread.jvm)
    stated.append({"mid_server": server.group, "jvm": last, "first_handshake": _stamp(first),
                   "earlier_starts": earlier + (1 if previous else 0)})
    if not previous:
        return None, None
    ends = [t for t in (h.end_time or h.start_time for h in previous) if t is not None]
    old_end = max(ends) if ends else None
    kept = {id(h) for h in run}

    def newer(when: datetime | None) -> bool:
        """Whether a time lies nearer the newest JVM's handshakes than the previous JVM's."""
        if when is None:
            return False
        if old_end is None:
            return first is not None and when >= first
        if first is None:
            return when > old_end
        return when > old_end and when - old_end > first - when

    def keep_handshake(h: Handshake) -> bool:
        return id(h) in kept if h.thread.jvm > 0 else newer(h.start_time)

    def keep_event(e: ev.AgentEvent) -> bool:
        return newer(e.time)

    return keep_handshake, keep_event
