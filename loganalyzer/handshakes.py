"""Handshakes: events grouped per file, JVM instance and thread, in log order.

A handshake opens at a ClientHello (or, when the log lacks one, at the first handshake event
of a thread) and closes at the next ClientHello of the same thread, a failure, a close, or the
end of the file. Threads never mix, so concurrent connections stay apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from loganalyzer import events as ev
from loganalyzer.dn import split_list
from loganalyzer.errors import Location


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
    km_debug_on: bool = False  # the JVM's keymanager debug output was on
    events: list[ev.Event] = field(default_factory=list)

    @property
    def client_cert_sent(self) -> bool | None:
        """True/False when the log shows it, None when the log cannot tell."""
        if self.client_chain:
            return True
        if self.client_cert_logged or self.no_cert_marker:
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


def build(path: str, events: list[ev.Event], km_debug_jvms: frozenset[int] = frozenset()) -> list[Handshake]:
    """Group one file's events (in file order) into handshakes; see the module docstring.

    ``km_debug_jvms`` are the JVM instances whose key-manager debug output was on.
    """
    known = _known_dns(events)
    open_by_thread: dict[tuple[int, str], Handshake] = {}
    found_by_jvm: dict[int, dict[str, ev.KeyFound]] = {}
    done: list[Handshake] = []
    last_app: tuple[int, Handshake] | None = None  # the latest exception the app printed

    def start(event: ev.Event) -> Handshake:
        hs = Handshake(path=path, thread=event.thread, start=event.where, end=event.where,
                       start_time=event.time, end_time=event.time,
                       km_debug_on=event.thread.jvm in km_debug_jvms)
        found = found_by_jvm.get(event.thread.jvm, {})
        hs.key_manager = KeyManagerView(found=tuple(found.values()))
        done.append(hs)
        return hs

    for event in events:
        key = (event.thread.jvm, event.thread.name)
        if isinstance(event, ev.KeyFound):
            found_by_jvm.setdefault(event.thread.jvm, {})[event.alias] = event
            continue
        if isinstance(event, ev.ClientHello):
            hs = open_by_thread[key] = start(event)
            _apply(hs, event, known)
            continue
        if isinstance(event, ev.Failure) and event.by_app:
            if event.thread.name:
                target = open_by_thread.get(key)
            elif last_app is not None and (event.caused_by or event.where.line - last_app[0] <= 3):
                target = last_app[1]  # the stack trace under the MID line that reported it
            else:
                target = _latest(done, event)
            if target is None or not _app_failure_joins(target, event):
                target = start(event)
                if event.thread.name:
                    open_by_thread[key] = target
            _apply(target, event, known)
            last_app = (event.where.line, target)
            continue
        if not isinstance(event, (*_HANDSHAKE_EVENTS, ev.Closed)):
            continue
        hs = open_by_thread.get(key)
        if hs is not None and hs.closed and not _continues(hs, event):
            hs = None  # the connection was closed: this belongs to the next one
        if hs is None:
            if isinstance(event, ev.Closed):
                continue
            hs = open_by_thread[key] = start(event)
        _apply(hs, event, known)
    return done


def _latest(done: list[Handshake], event: ev.Event) -> Handshake | None:
    """The latest handshake of the event's JVM that began before it."""
    return next(
        (h for h in reversed(done)
         if h.thread.jvm == event.thread.jvm and h.start.line <= event.where.line),
        None,
    )


def _app_failure_joins(hs: Handshake, failure: ev.Failure) -> bool:
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
    return last is not None and last.message == failure.message and failure.where.line - hs.end.line <= 3


def _continues(hs: Handshake, event: ev.Event) -> bool:
    """After a close, JSSE still logs the tail of that connection (``handling exception``,
    the alert it sends, its CertificateRequest when parsing that failed); a second event of
    a kind the handshake already has means a new connection."""
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
        hs.version = event.version
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
    names, how = split_list(request.raw_ca_text, known)
    return replace(request, ca_names=names, ca_split=how)


def join_rotated(older: list[Handshake], newer: list[Handshake]) -> list[Handshake]:
    """Stitch a rotated set: carry the JVM number into the newer file, and rejoin a connection
    that rotation cut in two. Returns the newer file's handshakes that remain on their own.

    A layout without a ``jvm N`` column only learns the JVM number from a launch line, which
    the newer file may lack: its JVM 0 is then the older file's last JVM. A connection is cut
    when the older file's last handshake of a thread never ended and the newer file's first
    one of that thread does not start with a ClientHello.
    """
    if older:
        last_jvm = older[-1].thread.jvm
        for h in newer:
            if h.thread.jvm == 0 and last_jvm:
                h.thread = replace(h.thread, jvm=last_jvm)
    tails: dict[tuple[int, str], Handshake] = {}
    for h in older:
        tails[(h.thread.jvm, h.thread.name)] = h
    kept: list[Handshake] = []
    seen: set[tuple[int, str]] = set()
    for h in newer:
        key = (h.thread.jvm, h.thread.name)
        head = tails.get(key)
        first = key not in seen
        seen.add(key)
        if (first and head is not None and head.outcome == "unknown" and not head.closed
                and not any(isinstance(e, ev.ClientHello) for e in h.events)):
            for event in h.events:
                _apply(head, event, ())
            continue
        kept.append(h)
    return kept
