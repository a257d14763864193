"""Facts: what rules may ask about a handshake, as one flat typed record per handshake.

Rules are written against this dataclass (rule-engine type-checks them at load time), so a
fact is added here, derived in :func:`derive`, and documented in its field comment. Three-way
answers are :data:`~loganalyzer.vocabulary.Tri` strings (``yes`` / ``no`` / ``unknown``) because a
log often cannot tell; a bare boolean is kept only where the log always can.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from loganalyzer.analysis.handshakes import Handshake
from loganalyzer.jsse import events as ev
from loganalyzer.jsse.dn import normalise
from loganalyzer.vocabulary import NO, TRI_VALUES, UNKNOWN, YES, tri

AGENT_WINDOW = timedelta(minutes=10)

# A DN's comparison key, kept per text: a log repeats the same few CA names and issuers in
# every handshake, and splitting a DN into atoms cost more than half of deriving the facts.
# Bounded, since a batch run keeps one process over many logs.
_normalised = lru_cache(maxsize=4096)(normalise)

# The values each string fact can take: rules comparing a fact with anything else fail to load.
_ALERTS = frozenset({
    "", "close_notify", "unexpected_message", "bad_record_mac", "decryption_failed",
    "record_overflow", "decompression_failure", "handshake_failure", "no_certificate",
    "bad_certificate", "unsupported_certificate", "certificate_revoked", "certificate_expired",
    "certificate_unknown", "illegal_parameter", "unknown_ca", "access_denied", "decode_error",
    "decrypt_error", "export_restriction", "protocol_version", "insufficient_security",
    "internal_error", "inappropriate_fallback", "user_canceled", "no_renegotiation",
    "missing_extension", "unsupported_extension", "certificate_unobtainable",
    "unrecognized_name", "bad_certificate_status_response", "bad_certificate_hash_value",
    "unknown_psk_identity", "certificate_required", "no_application_protocol",
})
_AGENT_KINDS = frozenset({
    "midsecpolicy", "auth-user-null", "soap-401", "ssl-exception", "encryption-keys-mismatch",
    "invalid-client-cert", "unable-to-validate-ca", "chain-verification-failed",
    "revocation-check", "keypair-missing",
})
_CHECKS = frozenset({"hostname", "chain", "revocation"})
FACT_VALUES: dict[str, dict[str, frozenset[str]]] = {
    "handshake": {
        **{name: TRI_VALUES for name in (
            "request_logged", "cert_sent", "client_self_signed", "client_eku_ok", "client_expired",
            "client_chain_covered", "km_chain_covered", "km_self_signed", "km_eku_ok",
            "km_expired", "client_not_yet_valid", "km_key_unsupported", "sni_sent")},
        "ca_state": frozenset({"listed", "empty", "absent", "malformed", "unknown", "none"}),
        "outcome": frozenset({"completed", "failed", "unknown"}),
        "alert_received": _ALERTS,
        "alert_sent": _ALERTS,
        "failure_alert": frozenset(a.upper() for a in _ALERTS),
        "tls_version": frozenset({"", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}),
        "agent_kinds": _AGENT_KINDS,
        "policy_checks_off": _CHECKS,
        "server_issuer_kind": frozenset({"", "public", "inspection", "other"}),
    },
    "agent": {
        "kind": _AGENT_KINDS,
        "check": _CHECKS | {""},
        "value": frozenset({"", "true", "false"}),
    },
}


@dataclass(slots=True)
class HandshakeFacts:
    """Facts about one handshake (and what surrounds it in the same MID Server's logs)."""

    # -- identity
    host: str = ""  # SNI host name the MID Server asked for ("" when not logged)
    # the ClientHello carried a server_name (SNI) extension; no: its extensions were logged and
    # none was server_name (JDK 11+ format, whose ClientHello body always lists every extension);
    # unknown: no ClientHello logged, its body unreadable, or the JDK 8 ``*** ClientHello`` form,
    # which the reader keeps the same way whether its ``Extension`` lines were printed or not
    sni_sent: str = UNKNOWN
    # the log was written by the server end of the connection (a JSSE server-code stack frame,
    # or a legacy server flight): its certificate failures are about the client's certificate
    logged_by_server: bool = False
    tls_version: str = ""  # negotiated version, e.g. "TLSv1.2" ("" when not logged)
    # -- how much of the handshake the log shows
    hello_logged: bool = False  # ClientHello/ServerHello records present
    handshake_records: int = 0  # handshake-message events logged (0 = debug too low)
    only_failure_logged: bool = False  # the failure is the only thing logged
    # the log (a pasted excerpt, most likely) begins with this handshake's first line, so its
    # earlier records may have been cut away rather than never printed
    log_starts_inside: bool = False
    # -- the server's certificate chain
    # issuer DN of the topmost certificate of the server chain logged ("" when none)
    server_issuer: str = ""
    # public: that issuer is a public CA ServiceNow instances use (PUBLIC_CA_WORDS); inspection: a
    # DN of the chain has the wording of a TLS-inspection CA (INSPECTION_CA_WORDS), a guess from
    # the name alone; other: neither (a private or lab CA); "" when no server chain is logged
    server_issuer_kind: str = ""
    # -- the server's request for a client certificate
    cert_requested: bool = False  # a CertificateRequest was logged, or JSSE acted on one
    request_logged: str = UNKNOWN  # yes: requested; no: logged past that point without one; unknown
    # listed | empty | absent | malformed | unknown (body cut) | none (no request)
    ca_state: str = "none"
    ca_count: int = 0  # how many CA names the request listed
    ca_names: list[str] = field(default_factory=list)  # the CA names the request listed
    # -- what the MID Server sent
    cert_sent: str = UNKNOWN  # yes | no | unknown
    client_subject: str = ""  # subject DN of the leaf the MID Server sent ("" when none)
    client_issuer: str = ""  # issuer DN of that leaf
    client_self_signed: str = UNKNOWN  # the sent leaf is self-signed
    client_eku_ok: str = UNKNOWN  # the sent leaf allows TLS Web Client Authentication
    client_eku: list[str] = field(default_factory=list)  # that leaf's Extended Key Usages
    client_expired: str = UNKNOWN  # the sent leaf was outside its validity at handshake time
    # the leaf was not valid yet at handshake time (its notBefore lies after it): the sent leaf,
    # or, when none was logged, every leaf the key manager holds; also yes when the failure is a
    # ``CertificateNotYetValidException`` / ``NotBefore: ...``
    client_not_yet_valid: str = UNKNOWN
    client_chain_covered: str = UNKNOWN  # some cert of the sent chain has an issuer in the CA names
    # -- the MID Server's key manager
    km_logged: bool = False  # any key-manager output for this JVM
    # the JVM's SSLContext init was logged before this handshake with the debug options that
    # show the key manager (so the key manager's silence is proof)
    km_debug_on: bool = False
    # keys the JVM is known to hold: ``found key for`` aliases, or chains it sent
    km_aliases: int = 0
    km_chain_covered: str = UNKNOWN  # a keystore chain has an issuer among the CA names
    km_self_signed: str = UNKNOWN  # every keystore leaf is self-signed
    km_eku_ok: str = UNKNOWN  # some keystore leaf allows client authentication
    km_expired: str = UNKNOWN  # every keystore leaf is expired at handshake time
    km_no_selection: bool = False  # the key manager said it selected no certificate
    # every keystore leaf (or sent leaf) whose key type the log shows (``"subject public key"``)
    # has a key that is not RSA, the only type the instance accepts; no when one is RSA
    km_key_unsupported: str = UNKNOWN
    # every key type the key manager looked for and found none of (``No X.509 cert selected for
    # [RSA]`` / JDK 11 ``for RSA``) is RSA or RSASSA-PSS: the request's signature algorithms allow
    # RSA keys only, so a key of another type (EC, DSA) is never offered
    km_only_rsa_asked: bool = False
    # the key manager rejected the keys it matched as unfit for the request (``Ignore alias``,
    # ``<alias> private or public key is not of <alg> algorithm``) and kept none
    km_rejected: bool = False
    # -- outcome
    outcome: str = UNKNOWN  # completed | failed | unknown
    alert_received: str = ""  # description of a fatal alert from the instance
    alert_sent: str = ""  # description of an alert the MID Server sent
    failure_alert: str = ""  # JSSE alert NAME of the failure, upper case
    failure_message: str = ""  # the failure's reason text, alert prefix removed
    failure_exception: str = ""  # exception class, when known
    # the exceptions printed under the failure as its ``Caused by`` lines, as ``class: message``,
    # outermost first (e.g. ``java.security.KeyManagementException: keystore password was
    # incorrect`` under ``SocketException: ... DefaultSSLContext``)
    failure_causes: list[str] = field(default_factory=list)
    # -- across handshakes of the same MID Server
    # a handshake to the same host that ended before this began sent one
    earlier_cert_sent: bool = False
    earlier_completed: bool = False  # such an earlier handshake completed
    later_cert_sent: bool = False  # a handshake to the same host after this one sent a certificate
    concurrent_threads: bool = False  # other threads handshook with the same host while this ran
    # -- agent log, within AGENT_WINDOW of the handshake
    agent_kinds: list[str] = field(default_factory=list)  # AgentEvent kinds nearby
    policy_checks_off: list[str] = field(default_factory=list)  # MIDSecPolicy checks set to false


# The events that are handshake messages: how many were logged says how much debug output is on.
_RECORDS = (ev.ClientHello, ev.ServerHello, ev.NegotiatedVersion, ev.ServerCertificate,
            ev.CertificateRequest, ev.ClientCertificate, ev.NoClientCertificate, ev.Finished)


def derive(h: Handshake, timeline: Timeline) -> HandshakeFacts:
    """Compute the facts of ``h``.

    ``timeline`` indexes every handshake and agent event of its MID Server (built once per MID
    Server), so that cross-handshake facts can be judged.
    """
    f = HandshakeFacts()
    f.host = h.sni or ""
    f.sni_sent = sni_sent(h)
    f.tls_version = h.version or ""
    f.logged_by_server = h.server_side
    types = list(map(type, h.events))
    kinds = set(types)
    f.hello_logged = bool(kinds & {ev.ClientHello, ev.ServerHello, ev.NegotiatedVersion})
    records = {t for t in kinds if issubclass(t, _RECORDS)}  # per type, not per event
    f.handshake_records = sum(map(records.__contains__, types))
    f.only_failure_logged = f.handshake_records == 0 and h.failure is not None
    f.log_starts_inside = h.opens_log

    if h.server_chain:
        f.server_issuer = h.server_chain[-1].issuer
        f.server_issuer_kind = issuer_kind(h.server_chain)

    when = h.start_time
    f.cert_requested = h.requested is True
    f.request_logged = tri(h.requested)
    ca = {_normalised(n) for n in h.ca_names}
    if h.request is not None:
        f.ca_state = h.request.ca_state
        f.ca_names = list(h.ca_names)
        f.ca_count = len(h.ca_names)
    elif h.requested:  # JSSE acted on a request whose record the log does not hold
        f.ca_state = "unknown"

    f.cert_sent = tri(h.client_cert_sent)
    if h.client_chain:
        leaf = h.client_chain[0]
        f.client_subject, f.client_issuer = leaf.subject, leaf.issuer
        f.client_self_signed = tri(leaf.self_signed)
        f.client_eku = list(leaf.eku)
        f.client_eku_ok = tri(leaf.allows_client_auth)
        valid = leaf.valid_at(when)
        f.client_expired = tri(None if valid is None else not valid)
        if when is not None and leaf.not_before is not None:
            f.client_not_yet_valid = tri(leaf.not_before > when)
        if ca and f.ca_state == "listed":
            f.client_chain_covered = tri(any(_normalised(c.issuer) in ca for c in h.client_chain))

    km = h.key_manager
    f.km_logged = km.logged
    f.km_debug_on = h.km_debug_on
    chains = timeline.known_chains(h)
    f.km_aliases = len(chains)
    if chains:
        leaves = [chain[0] for chain in chains]
        f.km_self_signed = tri(all(leaf.self_signed for leaf in leaves))
        eku = [leaf.allows_client_auth for leaf in leaves]
        f.km_eku_ok = YES if any(e is not False for e in eku) else NO
        validity = [leaf.valid_at(when) for leaf in leaves]
        if all(v is not None for v in validity):
            f.km_expired = tri(not any(validity))
            if not h.client_chain and not any(validity) and when is not None:
                # each validity is known, so each leaf has its dates
                f.client_not_yet_valid = tri(all(
                    leaf.not_before is not None and leaf.not_before > when for leaf in leaves))
        if ca and f.ca_state == "listed":
            f.km_chain_covered = tri(
                any(_normalised(c.issuer) in ca for chain in chains for c in chain)
            )
    f.km_no_selection = any(s.outcome == "none" for s in km.selections)
    key_types = [chain[0].public_key for chain in chains if chain[0].public_key]
    if key_types:
        f.km_key_unsupported = tri(not any(t.upper().startswith("RSA") for t in key_types))
    asked = {t for s in km.selections if s.outcome == "none"
             for t in _types_asked(s.reason)}
    f.km_only_rsa_asked = bool(asked) and asked <= {"RSA", "RSASSA-PSS"}
    f.km_rejected = km.refused_all and any(s.outcome == "ignored" for s in km.selections)

    f.outcome = h.outcome
    if h.alert_received and h.alert_received.level == "fatal":
        f.alert_received = h.alert_received.description
    if h.alert_sent:
        f.alert_sent = h.alert_sent.description
    if h.failure is not None:
        f.failure_alert = h.failure.alert
        f.failure_message = h.failure.message
        f.failure_exception = h.failure.exception
        f.failure_causes = [f"{e.exception}: {e.message}" if e.exception else e.message
                            for e in h.events
                            if isinstance(e, ev.Failure) and e.caused_by and e is not h.failure]
        if ("CertificateNotYetValidException" in h.failure.exception
                or h.failure.message.startswith("NotBefore: ")):
            f.client_not_yet_valid = YES
        if not f.alert_received and "Received fatal alert: " in h.failure.message:
            f.alert_received = h.failure.message.rsplit("Received fatal alert: ", 1)[1].split()[0]

    (f.earlier_cert_sent, f.earlier_completed, f.later_cert_sent,
     f.concurrent_threads) = timeline.neighbours(h)
    f.agent_kinds = timeline.agent_kinds_near(h)
    f.policy_checks_off = list(timeline.policy_checks_off)
    return f


def sni_sent(h: Handshake) -> str:
    """Whether the handshake's ClientHello named a server (``yes`` / ``no`` / ``unknown``).

    ``no`` needs a ClientHello whose extension list the log shows: a JDK 11+ body that parsed
    (its offered versions come from it; a body that failed to parse leaves them empty). A JDK 8
    ``*** ClientHello`` record is the same event with or without its ``Extension`` lines (they
    are printed only with ``verbose``), so without a server_name it stays ``unknown``.
    """
    hellos = [e for e in h.events if isinstance(e, ev.ClientHello)]
    if any(e.sni is not None for e in hellos):
        return YES
    if any(e.offered_versions and not e.text.startswith("***") for e in hellos):
        return NO
    return UNKNOWN


# The CAs whose certificates ServiceNow instances (*.service-now.com, *.servicenowservices.com)
# have been served with, and the other large public CAs a customer's own instance URL may use.
PUBLIC_CA_WORDS = re.compile(
    r"DigiCert|Entrust|GlobalSign|Sectigo|COMODO|GeoTrust|thawte|VeriSign|QuoVadis|"
    r"Baltimore CyberTrust|Let's Encrypt|ISRG|Amazon|Starfield|GoDaddy|Go Daddy",
    re.IGNORECASE)
# Words that TLS-inspecting proxies and firewalls put in the names of the CA they re-sign with
# (product names, or "SSL Inspection", "Decryption", "Proxy"...). A guess from the name alone.
INSPECTION_CA_WORDS = re.compile(
    r"Inspect|Intercept|Decrypt|\bProxy\b|Firewall|Zscaler|Palo ?Alto|Fortinet|FortiGate|"
    r"Forcepoint|Websense|Blue ?Coat|Netskope|Sophos|Check ?Point|Cisco Umbrella|\bMITM\b",
    re.IGNORECASE)


def issuer_kind(chain: Sequence[ev.CertInfo]) -> str:
    """``inspection``, ``public`` or ``other``: what names the CAs of a server chain carry."""
    return _issuer_kind(tuple((c.issuer, c.subject) for c in chain))


@lru_cache(maxsize=1024)
def _issuer_kind(names: tuple[tuple[str, str], ...]) -> str:
    """:func:`issuer_kind` by the chain's (issuer, subject) DNs, leaf first.

    Kept per chain: every handshake to an instance shows the same chain, and the two word
    searches over each of its DNs were a fifth of deriving the facts.
    """
    leaf = names[0][1]
    if any(INSPECTION_CA_WORDS.search(dn) for pair in names for dn in pair if dn != leaf):
        return "inspection"
    return "public" if PUBLIC_CA_WORDS.search(names[-1][0]) else "other"


_NO_CERT_FOR = "No X.509 cert selected for"


def _types_asked(reason: str) -> list[str]:
    """The key types of ``No X.509 cert selected for [EC, RSA]`` (JDK 11: ``for RSA``)."""
    if not reason.startswith(_NO_CERT_FOR):
        return []
    rest = reason[len(_NO_CERT_FOR):].strip().strip("[]")
    return [t.strip() for t in rest.split(",") if t.strip()]


class Timeline:
    """The handshakes and agent events of one MID Server, indexed once for cross-handshake facts.

    Positions are (file rank, line), files oldest first, so "ended before", "began after" and
    "overlapped" are comparisons; per host the earlier / later facts are prefix and suffix
    ORs found by bisection, so a log with tens of thousands of handshakes costs n log n.
    """

    def __init__(self, handshakes: list[Handshake], agent: Sequence[ev.AgentEvent] = ()) -> None:
        self.handshakes = handshakes
        rank: dict[str, int] = {}
        for h in handshakes:
            rank.setdefault(h.path, len(rank))
            rank.setdefault(h.end.path, len(rank))
        self._start = {id(h): (rank[h.path], h.start.line) for h in handshakes}
        self._end = {id(h): (rank[h.end.path], h.end.line) for h in handshakes}
        self._hosts: dict[str, _HostIndex] = {}
        for host in {h.sni or "" for h in handshakes}:
            group = [h for h in handshakes if (h.sni or "") == host]
            self._hosts[host] = _HostIndex(group, self._start, self._end)
        self._chains: dict[tuple[str, int], dict[tuple[str, ...], tuple[ev.CertInfo, ...]]] = {}
        for h in handshakes:
            if h.client_chain:
                chains = self._chains.setdefault((h.series or h.path, h.thread.jvm), {})
                chains.setdefault(tuple(c.subject for c in h.client_chain), h.client_chain)
        timed = sorted(((a.time, a) for a in agent if a.time is not None), key=lambda p: p[0])
        self._agent_times = [t for t, _ in timed]
        self._agent = [a for _, a in timed]
        self.policy_checks_off = tuple(sorted(
            {a.detail.get("check", "") for a in agent
             if a.kind == "midsecpolicy" and a.detail.get("value") == "false"}
        ))
        failed = sorted(((h.start_time, h) for h in handshakes
                         if h.outcome == "failed" and h.start_time),
                        key=lambda p: p[0])
        self._failed = [h for _, h in failed]
        self._failed_times = [t for t, _ in failed]
        self.mutual_auth_seen = any(h.cert_requested or h.client_chain for h in handshakes)

    def known_chains(self, h: Handshake) -> list[tuple[ev.CertInfo, ...]]:
        """The chains this JVM holds keys for.

        Dumped by the key manager, or sent in any handshake of the same JVM, in any file of its
        rotated set (it could only send what its keystore has).
        """
        chains: dict[tuple[str, ...], tuple[ev.CertInfo, ...]] = {}
        for _, chain in h.key_manager.aliases:
            if chain:
                chains[tuple(c.subject for c in chain)] = chain
        for key, chain in self._chains.get((h.series or h.path, h.thread.jvm), {}).items():
            chains.setdefault(key, chain)
        return list(chains.values())

    def neighbours(self, h: Handshake) -> tuple[bool, bool, bool, bool]:
        """(earlier sent, earlier completed, later sent, concurrent) among those to h's host."""
        return self._hosts[h.sni or ""].facts(h)

    def agent_kinds_near(self, h: Handshake) -> list[str]:
        if h.start_time is None:
            return []
        lo = bisect_left(self._agent_times, h.start_time - AGENT_WINDOW)
        hi = bisect_right(self._agent_times, (h.end_time or h.start_time) + AGENT_WINDOW)
        return sorted({a.kind for a in self._agent[lo:hi]})

    def failed_near(self, event: ev.AgentEvent) -> list[Handshake]:
        """Failed handshakes within AGENT_WINDOW of ``event``.

        Handshakes last seconds, so one that began more than an hour before cannot be near.
        """
        if event.time is None:
            return []
        lo = bisect_left(self._failed_times, event.time - AGENT_WINDOW - timedelta(hours=1))
        hi = bisect_right(self._failed_times, event.time + AGENT_WINDOW)
        return [h for h in self._failed[lo:hi] if _near(event, h)]


class _HostIndex:
    """Handshakes to one host, sorted by end and by start, with running ORs over them."""

    def __init__(self, group: list[Handshake], start: dict[int, tuple[int, int]],
                 end: dict[int, tuple[int, int]]) -> None:
        self.start, self.end = start, end
        by_end = sorted(group, key=lambda h: end[id(h)])
        self.ends = [end[id(h)] for h in by_end]
        self.sent_before, self.done_before = [False], [False]  # over the first k by end
        for h in by_end:
            self.sent_before.append(self.sent_before[-1] or bool(h.client_cert_sent))
            self.done_before.append(self.done_before[-1] or h.outcome == "completed")
        by_start = sorted(group, key=lambda h: start[id(h)])
        self.starts = [start[id(h)] for h in by_start]
        self.sent_after = [False] * (len(by_start) + 1)  # over the entries from k on, by start
        for k in range(len(by_start) - 1, -1, -1):
            self.sent_after[k] = self.sent_after[k + 1] or bool(by_start[k].client_cert_sent)
        self.concurrent: dict[int, bool] = {}
        latest_end = None
        for k, h in enumerate(by_start):
            overlap = latest_end is not None and latest_end >= start[id(h)]
            if k + 1 < len(by_start) and self.starts[k + 1] <= end[id(h)]:
                overlap = True
            self.concurrent[id(h)] = overlap
            latest_end = end[id(h)] if latest_end is None else max(latest_end, end[id(h)])

    def facts(self, h: Handshake) -> tuple[bool, bool, bool, bool]:
        k = bisect_left(self.ends, self.start[id(h)])  # those that ended before h began
        j = bisect_right(self.starts, self.end[id(h)])  # those that began after h ended
        return (self.sent_before[k], self.done_before[k], self.sent_after[j],
                self.concurrent[id(h)])


def _near(event: ev.AgentEvent, h: Handshake) -> bool:
    if event.time is None or h.start_time is None:
        return False
    end = h.end_time or h.start_time
    return h.start_time - AGENT_WINDOW <= event.time <= end + AGENT_WINDOW


@dataclass(slots=True)
class AgentFacts:
    """Facts about one MID agent-log event, for rules whose scope is ``agent``."""

    kind: str = ""  # AgentEvent.kind, e.g. auth-user-null, encryption-keys-mismatch
    text: str = ""  # the message
    check: str = ""  # for midsecpolicy: hostname | chain | revocation
    value: str = ""  # for midsecpolicy: true | false
    host: str = ""  # for midsecpolicy: the host the check is for
    failed_handshake_nearby: bool = False  # a handshake failed within AGENT_WINDOW
    mutual_auth_seen: bool = False  # this MID Server was asked for, or sent, a client certificate


def derive_agent(event: ev.AgentEvent, timeline: Timeline) -> AgentFacts:
    """Facts of one agent event, judged against the handshakes of the same MID Server."""
    return AgentFacts(
        kind=event.kind,
        text=event.text,
        check=event.detail.get("check", ""),
        value=event.detail.get("value", ""),
        host=event.detail.get("host", ""),
        failed_handshake_nearby=bool(timeline.failed_near(event)),
        mutual_auth_seen=timeline.mutual_auth_seen,
    )
