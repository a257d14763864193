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
    aliases: tuple[tuple[str, tuple[ev.CertInfo, ...]], ...] = ()
    selections: tuple[ev.KeySelection, ...] = ()

    @property
    def logged(self) -> bool:
        return bool(self.class_name or self.aliases or self.selections)


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


def build(path: str, events: list[ev.Event]) -> list[Handshake]:
    """Group one file's events (in file order) into handshakes; see the module docstring."""
    known = _known_dns(events)
    open_by_thread: dict[tuple[int, str], Handshake] = {}
    aliases_by_jvm: dict[int, dict[str, tuple[ev.CertInfo, ...]]] = {}
    done: list[Handshake] = []

    def start(event: ev.Event) -> Handshake:
        hs = Handshake(path=path, thread=event.thread, start=event.where, end=event.where,
                       start_time=event.time, end_time=event.time)
        aliases = aliases_by_jvm.get(event.thread.jvm, {})
        hs.key_manager = KeyManagerView(aliases=tuple(aliases.items()))
        done.append(hs)
        return hs

    for event in events:
        key = (event.thread.jvm, event.thread.name)
        if isinstance(event, ev.KeyFound):
            aliases_by_jvm.setdefault(event.thread.jvm, {})[event.alias] = event.chain
            continue
        if isinstance(event, ev.ClientHello):
            hs = open_by_thread[key] = start(event)
            _apply(hs, event, known)
            continue
        if isinstance(event, ev.Failure) and not event.thread.name:
            _attach_app_failure(done, event, start)
            continue
        if not isinstance(event, (*_HANDSHAKE_EVENTS, ev.Closed)):
            continue
        hs = open_by_thread.get(key)
        if hs is None:
            if isinstance(event, ev.Closed):
                continue
            hs = open_by_thread[key] = start(event)
        _apply(hs, event, known)
    return done


def _attach_app_failure(done: list[Handshake], failure: ev.Failure, start) -> None:
    """An exception the app printed belongs to the latest handshake of its JVM that lacks one."""
    for hs in reversed(done):
        if hs.thread.jvm != failure.thread.jvm or hs.start.line > failure.where.line:
            continue
        if hs.failure is None or hs.failure.message == failure.message:
            _apply(hs, failure, ())
            return
        break
    _apply(start(failure), failure, ())


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
