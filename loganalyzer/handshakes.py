"""Handshakes: events grouped per file, JVM instance and thread, in log order.

A handshake opens at a ClientHello (or, when the log lacks one, at the first handshake event
of a thread) and closes at the next ClientHello of the same thread, a failure, a close, or the
end of the file. Threads never mix, so concurrent connections stay apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from loganalyzer import events as ev
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
