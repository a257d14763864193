"""Typed events: what one JSSE record (or one MID agent-log line) says, independent of JDK era.

Records from the JDK 11+ unified format and the JDK 8 legacy format become the same events, so
everything downstream (handshakes, facts, rules) is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from loganalyzer.errors import Location
# who wrote a record: the scanner's, re-exported for the events' users
from loganalyzer.ingest.records import Thread as Thread
from loganalyzer.vocabulary import ANY_EKU, CLIENT_AUTH_EKU


@dataclass(frozen=True, slots=True)
class CertInfo:
    """One X.509 certificate as JSSE printed it."""

    subject: str
    issuer: str
    serial: str = ""
    not_before: datetime | None = None
    not_after: datetime | None = None
    eku: tuple[str, ...] = ()
    key_usage: tuple[str, ...] = ()
    san: tuple[str, ...] = ()
    is_ca: bool | None = None
    public_key: str = ""

    @property
    def self_signed(self) -> bool:
        return _dn_key(self.subject) == _dn_key(self.issuer)

    def valid_at(self, when: datetime | None) -> bool | None:
        """True/False when both the validity and the moment are known, else None."""
        if when is None or self.not_before is None or self.not_after is None:
            return None
        return self.not_before <= when <= self.not_after

    @property
    def allows_client_auth(self) -> bool | None:
        """EKU check as TLS peers do it: no EKU extension at all means any use is allowed."""
        if not self.eku:
            return None
        return CLIENT_AUTH_EKU in self.eku or ANY_EKU in self.eku


def _dn_key(dn: str) -> str:
    return " ".join(dn.replace('"', "").lower().split())


@dataclass(frozen=True, slots=True)
class Event:
    """Base for every event: where it was logged, when, and by which thread."""

    where: Location
    thread: Thread
    time: datetime | None
    text: str  # the record's header message (or the log line), shown as evidence
    lines: tuple[tuple[int, str], ...] = ()  # body lines that carry the point (number, text)


@dataclass(frozen=True, slots=True)
class ClientHello(Event):
    sni: str | None = None
    offered_versions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServerHello(Event):
    version: str | None = None
    cipher: str | None = None


@dataclass(frozen=True, slots=True)
class NegotiatedVersion(Event):
    version: str = ""


@dataclass(frozen=True, slots=True)
class ServerCertificate(Event):
    chain: tuple[CertInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class CertificateRequest(Event):
    """The server asked for a client certificate.

    ``ca_names`` holds the requested issuer DNs. ``ca_state`` says how they were given:
    ``listed`` (names present), ``empty`` (TLS 1.2 empty list, JDK 8 ``<Empty>``), ``absent``
    (TLS 1.3 without the certificate_authorities extension), ``malformed``, or ``unknown``
    (the record's body was cut or could not be parsed).
    ``ca_split`` says how a TLS 1.2 comma-joined list was split: ``exact`` when the format is
    unambiguous, ``known`` when split on DNs known from the log, ``heuristic`` otherwise.
    """

    tls13: bool = False
    ca_names: tuple[str, ...] = ()
    ca_state: str = "listed"
    ca_split: str = "exact"
    raw_ca_text: str = ""


@dataclass(frozen=True, slots=True)
class ClientCertificate(Event):
    """The client's Certificate message: an empty ``chain`` means no certificate was sent."""

    chain: tuple[CertInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class NoClientCertificate(Event):
    """JSSE said it found no certificate to send (``No X.509 certificate for client …``)."""


@dataclass(frozen=True, slots=True)
class KeyManagerClass(Event):
    name: str = ""


@dataclass(frozen=True, slots=True)
class KeyFound(Event):
    """The key manager holds a private key under ``alias`` with this chain (logged at init)."""

    alias: str = ""
    chain: tuple[CertInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class DebugMarker(Event):
    """A line JSSE prints while an SSLContext initialises.

    Only printed with the debug options that also show the key manager: ``trigger seeding of
    SecureRandom`` and ``done seeding of SecureRandom`` (``sslctx``, which ``all`` includes),
    ``init keystore`` and ``init keymanager of type X`` (``defaultctx``). ``marker`` is one of
    :data:`INIT_MARKERS`.

    One such line alone proves nothing (a stray or damaged line can look like one): the
    handshake model counts them only in the pairs JSSE prints them in.
    """

    marker: str = ""


INIT_MARKERS = ("trigger seeding of SecureRandom", "done seeding of SecureRandom",
                "init keystore", "init keymanager of type")


@dataclass(frozen=True, slots=True)
class KeySelection(Event):
    """A key-manager decision during the handshake.

    ``outcome`` is ``chosen`` (alias picked), ``none`` (no certificate selected),
    ``ignored`` (alias rejected, ``reason`` says why) or ``best-match`` (PKIX returned a
    certificate that failed its checks, ``reason`` holds the check result).
    """

    outcome: str = "none"
    alias: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class KeyStoreInfo(Event):
    """``keyStore is : …`` / ``trustStore is: …`` lines of the default SSL context."""

    store: str = "key"  # "key" or "trust"
    path: str = ""


@dataclass(frozen=True, slots=True)
class Alert(Event):
    """A TLS alert; ``direction`` is ``received`` or ``sent``."""

    direction: str = "received"
    level: str = "fatal"
    description: str = ""


@dataclass(frozen=True, slots=True)
class Failure(Event):
    """A fatal handshake error: JSSE's ``Fatal (ALERT): reason`` or an exception the app logged."""

    alert: str = ""  # enum NAME upper case when known, e.g. CERTIFICATE_UNKNOWN
    message: str = ""  # reason with any ``(alert) `` prefix removed
    exception: str = ""  # exception class when known
    by_app: bool = False  # printed by the application, not by JSSE's debug output
    caused_by: bool = False  # a ``Caused by:`` line of an exception already reported


@dataclass(frozen=True, slots=True)
class ServerRole(Event):
    """The JVM that wrote the log is the server end of this connection.

    Shown by a stack frame of JSSE's server code (``ServerHandshaker``,
    ``ClientHello$...Consumer``), or a legacy ``<t>, WRITE: ... Handshake`` right after its own
    ``*** ServerHelloDone`` (it sent the server's flight). What such a log says about
    certificates concerns the client's.
    """


@dataclass(frozen=True, slots=True)
class Finished(Event):
    """The handshake completed (server Finished consumed, or a legacy ``*** Finished`` pair)."""


@dataclass(frozen=True, slots=True)
class Closed(Event):
    """The connection was closed or its session invalidated."""


@dataclass(frozen=True, slots=True)
class DebugOption(Event):
    """The ``javax.net.debug`` value, when the log shows the JVM command line or properties."""

    value: str = ""


@dataclass(frozen=True, slots=True)
class JvmInfo(Event):
    """What the log says about the JVM: version string, vendor, or a wrapper JVM launch."""

    version: str = ""
    launched: bool = False


@dataclass(frozen=True, slots=True)
class AgentEvent(Event):
    """A MID agent-log line that matters for mutual TLS.

    ``kind`` is one of ``midsecpolicy``, ``auth-user-null``, ``soap-401``, ``ssl-exception``,
    ``encryption-keys-mismatch``, ``invalid-client-cert``, ``unable-to-validate-ca``,
    ``chain-verification-failed``; ``detail`` holds the parsed specifics (for MIDSecPolicy:
    ``check=hostname|chain|revocation``, ``value=true|false``, ``host``).
    """

    kind: str = ""
    detail: dict[str, str] = field(default_factory=dict)
    stack: tuple[str, ...] = ()
