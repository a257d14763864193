"""Handshakes: events grouped per JVM instance and thread, in log order, over a rotated set.

A handshake opens at a ClientHello (or, when the log lacks one, at the first handshake event
of a thread) and closes at the next ClientHello of the same thread, a failure, a close, or the
end of the log. Threads never mix, so concurrent connections stay apart.

The files of a rotated set (``wrapper.log.2``, ``wrapper.log.1``, ``wrapper.log``) are one log:
a connection cut by rotation is one handshake, and what a JVM showed in an older file (the
keys its key manager found, whether its key-manager debug output was on) holds for its
handshakes in the newer ones. So :func:`build_set` reads the files' events as one stream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from dataclasses import dataclass, field, replace
from datetime import datetime

from loganalyzer.errors import Location
from loganalyzer.ingest.records import Record
from loganalyzer.jsse import events as ev
from loganalyzer.jsse.dn import split_list


@dataclass(frozen=True, slots=True)
class KeyManagerView:
    """What the key manager showed: its class, the aliases it holds, and its decisions."""

    class_name: str = ""
    found: tuple[ev.KeyFound, ...] = ()
    selections: tuple[ev.KeySelection, ...] = ()

    @property
    def aliases(self) -> tuple[tuple[str, tuple[ev.CertInfo, ...]], ...]:
        return tuple((k.alias, k.chain) for k in self.found)

    @property
    def logged(self) -> bool:
        return bool(self.class_name or self.found or self.selections)

    @property
    def refused(self) -> bool:
        """The key manager found no key for a request, or rejected one it matched."""
        return any(s.outcome in ("none", "ignored") for s in self.selections)

    @property
    def refused_all(self) -> bool:
        """It refused, and kept no alias: every alias it chose was rejected afterwards.

        As in ``<alias> private or public key is not of EC algorithm``.
        """
        if not self.refused:
            return False
        kept: set[str] = set()
        for s in self.selections:
            if s.outcome in ("chosen", "best-match"):
                kept.add(s.alias)
            elif s.outcome == "ignored":
                kept.discard(s.alias)
        return not kept


@dataclass(slots=True)
class Handshake:
    """One TLS connection attempt by the MID Server, with the evidence for each fact."""

    path: str
    thread: ev.Thread
    start: Location
    end: Location
    start_time: datetime | None = None
    end_time: datetime | None = None
    sni: str | None = None
    version: str | None = None
    cipher: str | None = None
    server_chain: tuple[ev.CertInfo, ...] = ()
    cert_requested: bool = False
    request: ev.CertificateRequest | None = None
    client_cert_logged: bool = False  # a client Certificate message was logged
    client_chain: tuple[ev.CertInfo, ...] = ()
    no_cert_marker: bool = False  # JSSE said it had no certificate to send
    key_manager: KeyManagerView = field(default_factory=KeyManagerView)
    alerts: list[ev.Alert] = field(default_factory=list)
    failure: ev.Failure | None = None
    completed: bool = False
    closed: bool = False
    # the JVM's key-manager debug output was on: its SSLContext initialisation was logged, before
    # this handshake, with the options that also show the key manager (so silence is proof)
    km_debug_on: bool = False
    events: list[ev.Event] = field(default_factory=list)
    series: str = ""  # the log it is part of: the newest file of its rotated set
    # it begins on the first line of the log (a pasted excerpt, most likely): the records that
    # came before it, a CertificateRequest among them, may have been cut away
    opens_log: bool = False
    # the JVM that wrote the log is the server end of this connection (ev.ServerRole)
    server_side: bool = False

    @property
    def client_cert_sent(self) -> bool | None:
        """True/False when the log shows it, None when the log cannot tell.

        Without a Certificate message or JSSE's own "no certificate" line, the key manager's
        decisions tell once the handshake went on to its end: when it turned the request down
        (no certificate selected, or every alias it matched rejected afterwards) and kept no
        alias, nothing was sent. A log that stops inside the key search (the schemes of one key
        type tried, the next ones not yet) cannot tell.
        """
        if self.client_chain:
            return True
        if self.client_cert_logged or self.no_cert_marker:
            return False
        if self.key_manager.refused_all and self.outcome != "unknown":
            return False
        return None

    @property
    def requested(self) -> bool | None:
        """Whether the instance asked for a client certificate; None when the log cannot tell.

        True when a CertificateRequest was logged, or when JSSE acted on one (it builds a client
        Certificate message, says it has none to send, or has its key manager look for a key
        and find none or reject one, only when asked). False when the log
        shows the handshake past the point where the request comes without one: completed, or
        in TLS 1.3 the server's Certificate (the request precedes it there). Otherwise unknown:
        a TLS 1.2 handshake that failed on the server certificate never got that far.
        """
        if self.cert_requested or self.client_cert_logged or self.no_cert_marker:
            return True
        if self.key_manager.refused:  # JSSE looks for a client key only when asked for one
            return True
        if self.completed:
            return False
        if self.version == "TLSv1.3" and self.server_chain:
            return False
        return None

    @property
    def ca_names(self) -> tuple[str, ...]:
        return self.request.ca_names if self.request else ()

    @property
    def alert_received(self) -> ev.Alert | None:
        return next((a for a in self.alerts if a.direction == "received"), None)

    @property
    def alert_sent(self) -> ev.Alert | None:
        return next((a for a in self.alerts if a.direction == "sent"), None)

    @property
    def outcome(self) -> str:
        """``completed``, ``failed`` or ``unknown`` (the log ends or moves on before either)."""
        if self.failure is not None or any(a.level == "fatal" for a in self.alerts):
            return "failed"
        return "completed" if self.completed else "unknown"


_HANDSHAKE_EVENTS = (
    ev.ServerHello, ev.NegotiatedVersion, ev.ServerCertificate, ev.CertificateRequest,
    ev.ClientCertificate, ev.NoClientCertificate, ev.KeyManagerClass, ev.KeySelection,
    ev.Alert, ev.Failure, ev.Finished,
)


@dataclass(slots=True)
class FileEvents:
    """One file's events, in file order, as one part of a (possibly rotated) log."""

    path: str
    events: list[ev.Event]
    lines: int = 0  # the file's length: positions run on from one file of a set to the next
    jvm_column: bool = True  # each line names its JVM (``jvm N``); else numbers restart per file
    last_jvm: int = 0  # the JVM that wrote the file's last record
    tail: Record | None = None  # the record the file ends in, cut before its closing line
    head: tuple[str, ...] = ()  # the file's first lines, when they may end such a record


def build(path: str, events: list[ev.Event]) -> list[Handshake]:
    """Group one file's events (in file order) into handshakes; see the module docstring."""
    return build_set([FileEvents(path, events)])[0]


# The key-manager debug evidence: (marker, the marker that must come just before it, same thread)
_MARKER_PAIRS = {
    "done seeding of SecureRandom": "trigger seeding of SecureRandom",
    "init keymanager of type": "init keystore",
}
_PAIR_DISTANCE = 20  # lines: the two records are printed one after the other
_FRAME_REACH = 80  # lines from an exception the app printed to a frame of its stack trace


def build_set(files: Sequence[FileEvents]) -> list[list[Handshake]]:
    """The handshakes of a rotated set, oldest file first; one list per file.

    A handshake belongs to the file it starts in. A single file is a set of one.

    A layout without a ``jvm N`` column numbers JVMs from the file's start (0 until a launch
    line), so a newer file's numbers continue from the older file's last JVM.
    """
    offset: dict[str, int] = {}
    stream: list[ev.Event] = []
    base = last_jvm = 0
    for i, f in enumerate(files):
        offset.setdefault(f.path, base)
        base += f.lines
        if i and last_jvm:  # JVM 0 is the one the older file ended with
            shift = 0 if f.jvm_column else last_jvm
            stream.extend(_renumbered(f.events, shift, last_jvm))
            last_jvm = f.last_jvm + shift if f.last_jvm or shift else last_jvm
        else:
            stream.extend(f.events)
            last_jvm = f.last_jvm or last_jvm
    series = files[-1].path if files else ""
    done = _build(stream, offset, series)
    rank = {f.path: i for i, f in enumerate(files)}
    out: list[list[Handshake]] = [[] for _ in files]
    for h in done:
        out[rank.get(h.path, 0)].append(h)
    return out


def _renumbered(events: list[ev.Event], shift: int, last_jvm: int) -> list[ev.Event]:
    """A newer file's events with its JVM numbers continued from the older file's."""
    threads: dict[ev.Thread, ev.Thread] = {}
    out = []
    for e in events:
        t = e.thread
        new = threads.get(t)
        if new is None:
            jvm = t.jvm + shift if shift else (last_jvm if t.jvm == 0 else t.jvm)
            new = threads[t] = replace(t, jvm=jvm)
        out.append(e if new == t else replace(e, thread=new))
    return out


def _build(events: list[ev.Event], offset: dict[str, int], series: str) -> list[Handshake]:
    known = _known_dns(events)
    open_by_thread: dict[tuple[int, str], Handshake] = {}
    found_by_jvm: dict[int, dict[str, ev.KeyFound]] = {}
    km_debug_jvms: set[int] = set()
    markers: dict[tuple[int, str], tuple[str, int]] = {}  # the last marker of each thread
    done: list[Handshake] = []
    last_app: tuple[int, Handshake] | None = None  # the latest exception the app printed

    def at(where: Location) -> int:
        """A position in the whole set: lines of the older files, then the line."""
        return offset.get(where.path, 0) + where.line

    def start(event: ev.Event) -> Handshake:
        hs = Handshake(path=event.where.path, thread=event.thread,
                       start=event.where, end=event.where,
                       start_time=event.time, end_time=event.time,
                       km_debug_on=event.thread.jvm in km_debug_jvms, series=series,
                       opens_log=at(event.where) <= 1)
        found = found_by_jvm.get(event.thread.jvm, {})
        hs.key_manager = KeyManagerView(found=tuple(found.values()))
        done.append(hs)
        return hs

    for event in events:
        key = (event.thread.jvm, event.thread.name)
        if isinstance(event, ev.KeyFound):
            found_by_jvm.setdefault(event.thread.jvm, {})[event.alias] = event
            if event.chain:  # the key manager printed a whole chain: its debug output was on
                km_debug_jvms.add(event.thread.jvm)
            continue
        if isinstance(event, ev.DebugMarker):
            here = at(event.where)
            before = _MARKER_PAIRS.get(event.marker)
            last = markers.get(key)
            if before and last and last[0] == before and 0 < here - last[1] <= _PAIR_DISTANCE:
                km_debug_jvms.add(event.thread.jvm)
            markers[key] = (event.marker, here)
            continue
        if isinstance(event, ev.ClientHello):
            opened = open_by_thread[key] = start(event)
            _apply(opened, event, known)
            continue
        if isinstance(event, ev.ServerRole):
            if event.thread.name:
                target = open_by_thread.get(key)
            elif last_app is not None and 0 <= at(event.where) - last_app[0] <= _FRAME_REACH:
                target = last_app[1]  # a frame of the stack trace under that exception
            else:
                target = _latest(done, event, at)
            if target is not None:
                target.server_side = True
            continue
        if isinstance(event, ev.Failure) and event.by_app:
            if event.thread.name:
                target = open_by_thread.get(key)
            elif last_app is not None and (event.caused_by or at(event.where) - last_app[0] <= 3):
                target = last_app[1]  # the stack trace under the MID line that reported it
            else:
                target = _latest(done, event, at)
            if target is None or not _app_failure_joins(target, event, at):
                target = start(event)
                if event.thread.name:
                    open_by_thread[key] = target
            _apply(target, event, known)
            last_app = (at(event.where), target)
            continue
        if not isinstance(event, (*_HANDSHAKE_EVENTS, ev.Closed)):
            continue
        hs = open_by_thread.get(key)
        if hs is not None and hs.closed and not _continues(hs, event):
            hs = None  # the connection was closed: this belongs to the next one
        if hs is None:
            if isinstance(event, ev.Closed):
                continue
            hs = _thread_of_app_failure(last_app, event, at)
            if hs is not None:  # the exception the app printed just above, without its thread
                hs.thread = event.thread
                open_by_thread[key] = hs
            else:
                hs = open_by_thread[key] = start(event)
        _apply(hs, event, known)
    return done


_APP_TO_JSSE = 3  # lines from a thread-less exception to the JSSE record of the same failure
_Position = Callable[[Location], int]  # a place as a line number in the whole rotated set


def _thread_of_app_failure(
    last_app: tuple[int, Handshake] | None, event: ev.Event, at: _Position
) -> Handshake | None:
    """The handshake of a thread-less exception the app printed just before ``event``.

    Taken when ``event`` is JSSE's own record of that failure (JDK 6-8: the cause, then
    ``<t>, SEND ... ALERT: fatal`` and ``<t>, fatal: ... Rethrowing``).

    Only a handshake known from nothing but that exception is taken over, and only by a failure
    or a fatal alert of the same JVM, a few lines further down.
    """
    if last_app is None or not isinstance(event, (ev.Alert, ev.Failure)):
        return None
    if isinstance(event, ev.Alert) and event.level != "fatal":
        return None
    pos, hs = last_app
    if hs.thread.name or hs.thread.jvm != event.thread.jvm:
        return None
    if any(not (isinstance(e, ev.Failure) and e.by_app) for e in hs.events):
        return None
    return hs if 0 < at(event.where) - at(hs.end) <= _APP_TO_JSSE else None


def _latest(done: list[Handshake], event: ev.Event, at: _Position) -> Handshake | None:
    """The latest handshake of the event's JVM that began before it."""
    here = at(event.where)
    return next(
        (h for h in reversed(done)
         if h.thread.jvm == event.thread.jvm and at(h.start) <= here),
        None,
    )


def _app_failure_joins(hs: Handshake, failure: ev.Failure, at: _Position) -> bool:
    """Whether an exception the app printed belongs to ``hs``.

    With JSSE records in the handshake, it does (the app reports the failure JSSE logged).
    A handshake known only from the app's own exceptions takes the ``Caused by`` lines and a
    repeat of the same message right after it; anything else is a new connection attempt.
    """
    if any(not (isinstance(e, ev.Failure) and e.by_app) for e in hs.events):
        return True
    if failure.caused_by:
        return True
    last = hs.failure
    return (last is not None and last.message == failure.message
            and at(failure.where) - at(hs.end) <= 3)


def _continues(hs: Handshake, event: ev.Event) -> bool:
    """Whether an event after a close still belongs to the closed connection.

    After a close, JSSE still logs the tail of that connection (``handling exception``, the
    alert it sends, its CertificateRequest when parsing that failed); a second event of a kind
    the handshake already has means a new connection.
    """
    if isinstance(event, ev.Closed):
        return True
    if isinstance(event, ev.Failure):
        return hs.failure is None or hs.failure.message == event.message
    if isinstance(event, ev.Alert):
        if event.direction == "sent":
            return True
        return not any(a.direction == "received" and a.level == "fatal" for a in hs.alerts)
    return not any(type(e) is type(event) for e in hs.events)


def _apply(hs: Handshake, event: ev.Event, known: tuple[str, ...]) -> None:
    hs.events.append(event)
    hs.end = event.where
    hs.end_time = event.time or hs.end_time
    if isinstance(event, ev.ClientHello):
        hs.sni = event.sni
    elif isinstance(event, ev.ServerHello):
        hs.version = event.version or hs.version
        hs.cipher = event.cipher
    elif isinstance(event, ev.NegotiatedVersion):
        hs.version = event.version or hs.version
    elif isinstance(event, ev.ServerCertificate):
        hs.server_chain = event.chain
    elif isinstance(event, ev.CertificateRequest):
        hs.cert_requested = True
        hs.request = _resplit(event, known)
        if hs.failure is not None and "certificate_authorities" in hs.failure.message:
            hs.request = replace(hs.request, ca_state="malformed")
    elif isinstance(event, ev.ClientCertificate):
        hs.client_cert_logged = True
        hs.client_chain = event.chain
    elif isinstance(event, ev.NoClientCertificate):
        hs.no_cert_marker = True
    elif isinstance(event, ev.KeyManagerClass):
        hs.key_manager = replace(hs.key_manager, class_name=event.name)
    elif isinstance(event, ev.KeySelection):
        hs.key_manager = replace(hs.key_manager, selections=(*hs.key_manager.selections, event))
    elif isinstance(event, ev.Alert):
        hs.alerts.append(event)
    elif isinstance(event, ev.Failure):
        if hs.failure is None:
            hs.failure = event
            if "certificate_authorities" in event.message and hs.request is not None:
                hs.request = replace(hs.request, ca_state="malformed")
    elif isinstance(event, ev.Finished):
        hs.completed = True
    elif isinstance(event, ev.Closed):
        hs.closed = True


def _known_dns(events: list[ev.Event]) -> tuple[str, ...]:
    """Every DN the file shows outside CA lists: used to split TLS 1.2 CA lists exactly."""
    dns: set[str] = set()
    for event in events:
        chain = getattr(event, "chain", ())
        for cert in chain:
            dns.update((cert.subject, cert.issuer))
    return tuple(sorted(dns))


def _resplit(request: ev.CertificateRequest, known: tuple[str, ...]) -> ev.CertificateRequest:
    if request.tls13 or not request.raw_ca_text or not known:
        return request
    names, how = _split_known(request.raw_ca_text, known)
    return replace(request, ca_names=names, ca_split=how)


@lru_cache(maxsize=256)
def _split_known(text: str, known: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """:func:`split_list` for one file's known DNs; every handshake logs the same CA list."""
    return split_list(text, known)
