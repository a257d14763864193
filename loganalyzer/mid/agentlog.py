r"""The MID Server's own application log (``agent/logs/agent0.log.N``): lines that matter for mTLS.

Lines look like ``08/23/21 13:46:49 (168) ECCQueueMonitor.1 DEBUG: MIDSecPolicy: hostname
verification for host[instance.service-now.com] is true``: date (MM/dd/yy), time, milliseconds in
parentheses, thread, level, message. Exceptions continue on the following lines without that
prefix (``javax.net.ssl.SSLHandshakeException: …``, ``\tat …``, ``Caused by: …``).

The wordings recognised here come from the ServiceNow KB article on MID Server mutual
authentication (``shared/kb/mid-server-mutual-authentication.txt``) and from the MID's
``MIDSecPolicy`` messages; each becomes an :class:`~loganalyzer.jsse.events.AgentEvent` so it joins
the same timeline as the JSSE handshakes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import lru_cache

from loganalyzer.errors import Location
from loganalyzer.ingest.records import Thread
from loganalyzer.jsse.events import AgentEvent

AGENT_LEVELS = ("SEVERE", "WARNING", "ERROR", "WARN", "INFO", "CONFIG", "DEBUG", "FINEST",
                "FINER", "FINE", "TRACE")

AGENT_LINE = re.compile(
    r"(?P<month>\d\d)/(?P<day>\d\d)/(?P<year>\d\d) (?P<hms>\d\d:\d\d:\d\d) \((?P<ms>\d+)\) "
    r"(?P<thread>\S+)(?: (?P<level>" + "|".join(AGENT_LEVELS) + r")(?::|(?= )|$))? ?(?P<message>.*)"
)
"""One prefixed agent-log line. INFO lines carry no level word (``(405) StartupSequencer MIDServer
starting``), so the level is optional; the message is what follows the level and its colon."""

AGENT_PREFILTER: re.Pattern[bytes] = re.compile(
    rb"MIDSecPolicy|Could not authenticate user|Unauthori[sz]ed|\b401\b"
    rb"|javax\.net\.ssl\.|PKIX path|No subject alternative|ValidatorException|CertificateException"
    rb"|encryption keys do not match|Invalid client_cert|Unable to validate the certificate"
    rb"|chain verification fail|Failed in client cert chain"
    rb"|OCSP|No key pair found|User Not Authenticated|cannot be authenticated"
    rb"| SEVERE |\*\*\* ERROR \*\*\*"  # context for the exception lines that follow them
    rb"|^[ \t]+at |^Caused by: |^[ \t]+\.\.\. \d+ more|^[ \t]*Suppressed: ",
    re.MULTILINE,
)
"""Selects the lines :func:`parse_agent_lines` needs when scanning raw chunks of an agent log.

Besides the event wordings it selects error lines (for the thread and time of an exception
printed below them) and stack-trace lines, which are attached to an event only when they follow
it directly.
"""

_MIDSECPOLICY = re.compile(
    r"MIDSecPolicy:\s*(?P<what>.+?)(?:\s+for\s+host\s*\[(?P<host>[^\]]*)\])?\s+is\s+"
    r"(?P<value>true|false)\b",
    re.IGNORECASE,
)
_AUTH_NULL = re.compile(r"Could not authenticate user 'null'")
_SOAP_401 = re.compile(
    r"\b401\b.{0,80}?Unauthori[sz]ed|Unauthori[sz]ed.{0,80}?\b401\b"
    r"|(?:SOAP|HTTP)\S*.{0,80}?(?:status|code|response)\D{0,12}\b401\b",
    re.IGNORECASE,
)
_EXCEPTION = re.compile(
    r"(?P<cls>(?:javax\.net\.ssl|sun\.security\.validator|sun\.security\.provider\.certpath"
    r"|java\.security\.cert)\.\w+(?:Exception|Error))(?::\s*(?P<msg>.*))?"
)
_SSL_WORDING = re.compile(
    r"PKIX path (?:building|validation) failed|No subject alternative (?:DNS )?names?"
    r"|Received fatal alert: \w+|unable to find valid certification path"
)
_KB_KINDS = (
    ("encryption-keys-mismatch",
     re.compile(r"encryption keys do not match and are no longer valid", re.IGNORECASE)),
    ("invalid-client-cert",
     re.compile(r"Invalid client_cert:\s*Unable to load certificate\s*(?P<name>.*)",
                re.IGNORECASE)),
    ("unable-to-validate-ca",
     re.compile(r"Unable to validate the certificate from CA", re.IGNORECASE)),
    ("chain-verification-failed",
     re.compile(r"Failed in client cert chain verification"
                r"|Certificate chain verification fail(?:ed|s)? for incomplete certificate chain",
                re.IGNORECASE)),
    # KB0863673, KB1216223: the MID's own OCSP check of the instance certificate could not
    # get an answer ("OCSP revoke check IOException", "OCSPCheck HTTP status: 503")
    ("revocation-check",
     re.compile(r"OCSP revoke check|OCSPCheck HTTP status|OCSP\w* .{0,60}?(?:IOException|fail"
                r"|timed out|unreachable|status: [45]\d\d)", re.IGNORECASE)),
    # KB1048088, KB0745466: the MID's key pair was removed, or agent_keystore deleted
    ("keypair-missing",
     re.compile(r"No key pair found for DefaultSecurityKeyPairHandle", re.IGNORECASE)),
)
_CONTINUATION = re.compile(r"\s+at |Caused by: |\s+\.\.\. \d+ more|\s*Suppressed: ")


def parse_agent_lines(path: str, lines: Iterable[tuple[int, str]]) -> Iterator[AgentEvent]:
    """Events from (line number, text) pairs of one agent log, in file order.

    ``lines`` may be every line or only those :data:`AGENT_PREFILTER` selected. Stack-trace lines
    go into the ``stack`` of the event they directly follow (consecutive line numbers); an
    exception line without the agent prefix becomes an ``ssl-exception`` of the thread and time of
    the prefixed line right above it, when that line was seen.
    """
    pending: AgentEvent | None = None
    stack: list[str] = []
    thread = Thread(jvm=0, name="")
    time: datetime | None = None
    record_end = -2  # last line number of the current record (prefixed line + continuation)

    def flush() -> Iterator[AgentEvent]:
        nonlocal pending, stack
        if pending is not None:
            yield _with_stack(pending, stack)
        pending, stack = None, []

    for lineno, text in lines:
        m = AGENT_LINE.match(text)
        if m is not None:
            yield from flush()
            thread = Thread(jvm=0, name=m["thread"])
            time = _agent_time(m)
            record_end = lineno
            pending = _classify(Location(path, lineno), thread, time, m["message"])
            continue
        follows = lineno == record_end + 1
        if not follows:
            yield from flush()
            thread, time = Thread(jvm=0, name=""), None
        body = text.strip()
        if _CONTINUATION.match(text):
            if follows:
                record_end = lineno
                if pending is not None:
                    stack.append(text.rstrip())
            continue
        if pending is not None and pending.kind == "ssl-exception" and follows:
            stack.append(text.rstrip())  # the throwable's own line under its log message
            record_end = lineno
            continue
        event = _classify(Location(path, lineno), thread, time, body)
        if event is not None:
            yield from flush()
            pending = event
            record_end = lineno
        elif follows:
            record_end = lineno  # a multi-line message goes on
    yield from flush()


def _classify(where: Location, thread: Thread, time: datetime | None,
              message: str) -> AgentEvent | None:
    """The event a message announces, or None for lines that only give context."""
    found = _kind_of(message)
    if found is None:
        return None
    kind, detail = found
    return AgentEvent(where=where, thread=thread, time=time, text=message, kind=kind,
                      detail=dict(detail))


@lru_cache(maxsize=1024)
def _kind_of(message: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """The kind of event a message announces and its details; a MID Server repeats its lines."""
    if "MIDSecPolicy" in message:
        m = _MIDSECPOLICY.search(message)
        if m is not None:
            detail = {"check": _policy_check(m["what"]), "value": m["value"].lower()}
            if m["host"] is not None:
                detail["host"] = m["host"]
            return "midsecpolicy", tuple(detail.items())
    if _AUTH_NULL.search(message):
        return "auth-user-null", (("user", "null"),)
    for kind, regex in _KB_KINDS:
        m = regex.search(message)
        if m is not None:
            extra = (("certificate", m["name"].strip()),) if m.groupdict().get("name") else ()
            return kind, extra
    m = _EXCEPTION.search(message)
    if m is not None:
        return "ssl-exception", (("exception", m["cls"]), ("message", (m["msg"] or "").strip()))
    m = _SSL_WORDING.search(message)
    if m is not None:
        return "ssl-exception", (("exception", ""), ("message", message[m.start():].strip()))
    if _SOAP_401.search(message):
        return "soap-401", (("status", "401"),)
    return None


def _policy_check(wording: str) -> str:
    """Map the MID's wording of a MIDSecPolicy check to hostname, chain or revocation."""
    w = wording.lower()
    if "hostname" in w or "host name" in w:
        return "hostname"
    if "revocation" in w or "ocsp" in w or "crl" in w:
        return "revocation"
    if "chain" in w:
        return "chain"
    return " ".join(w.split())


def _agent_time(m: re.Match[str]) -> datetime | None:
    try:
        ms = int(m["ms"])
        hms = m["hms"]
        return datetime(
            2000 + int(m["year"]), int(m["month"]), int(m["day"]),
            int(hms[0:2]), int(hms[3:5]), int(hms[6:8]),
            ms * 1000 if ms < 1000 else 0,
        )
    except ValueError:
        return None


def _with_stack(event: AgentEvent, stack: list[str]) -> AgentEvent:
    if not stack:
        return event
    return AgentEvent(where=event.where, thread=event.thread, time=event.time, text=event.text,
                      kind=event.kind, detail=event.detail, stack=tuple(stack))
