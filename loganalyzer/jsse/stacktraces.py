"""Exceptions the MID Server application printed itself, outside any JSSE debug record.

With no or too little ``javax.net.debug`` output these lines are the only trace of a TLS
failure (``javax.net.ssl.SSLHandshakeException: Received fatal alert: bad_certificate``).
"""

from __future__ import annotations

import re
from datetime import datetime

from loganalyzer.errors import Location
from loganalyzer.ingest.records import Line, Record, RecordSoFar
from loganalyzer.jsse import events as ev
from loganalyzer.jsse.exceptions import RECEIVED_ALERT, split_exception

_CLASSES = (
    r"javax\.net\.ssl\.SSL\w*Exception|sun\.security\.validator\.ValidatorException"
    r"|java\.security\.cert\.Certificate\w*Exception"
    r"|sun\.security\.provider\.certpath\.SunCertPathBuilderException"
    r"|java\.security\.cert\.CertPathValidatorException"
    # the default SSLContext cannot be built (a keystore it cannot read: wrong
    # javax.net.ssl.keyStorePassword, a corrupt keystore, a type the provider does not know):
    # the app's SocketException wraps it, its causes say why
    r"|java\.net\.SocketException: java\.security\.NoSuchAlgorithmException"
    r"|java\.security\.(?:NoSuchAlgorithm|KeyManagement|UnrecoverableKey|KeyStore)Exception"
    r"|java\.io\.IOException: (?:[^\n]*password was incorrect|Invalid keystore format)"
)
_EXCEPTION = re.compile(rf"(?P<text>(?:Caused by: )?(?:{_CLASSES})(?::.*)?)$")
# A stack frame of JSSE's server code: the JVM that printed the trace is the server end of the
# connection (JDK 8 before 8u261: ServerHandshaker; newer: the consumer of the ClientHello)
_SERVER_FRAMES = (
    r"sun[.]security[.]ssl[.](?:ServerHandshaker|ClientHello[$][A-Za-z0-9]*ClientHelloConsumer)[.]"
)
_SERVER_FRAME = re.compile(rf"\bat (?P<text>{_SERVER_FRAMES}\S*)")
# The MID Server logs its own lines as "11/26/26 14:09:37 (905) ECCSender.1 SEVERE *** ERROR *** …"
_MID_LINE = re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d \(\d+\) (?P<thread>\S+) ")


class AppExceptionDialect:
    """One-line records: an SSL-related exception and its message, wherever the app printed it."""

    name = "app"
    prefilter = re.compile(rb"(?:" + _CLASSES.encode() + rb"|" + _SERVER_FRAMES.encode() + rb")")

    def open_record(self, line: Line, path: str) -> Record | None:
        m = _EXCEPTION.search(line.message) or _SERVER_FRAME.search(line.message)
        if not m or "javax.net.ssl|" in line.message:
            return None
        mid = _MID_LINE.match(line.message)
        return Record(
            dialect=self.name,
            where=Location(path, line.lineno),
            end_line=line.lineno,
            thread=ev.Thread(line.jvm, mid.group("thread") if mid else ""),
            time=line.time,
            level="",
            caller="",
            message=m.group("text").strip(),
        )

    def wants_body(self, record: Record) -> bool:
        return False

    def ends(self, record: RecordSoFar, line: Line) -> str:
        return "stop"


def interpret(record: Record, when: datetime | None = None) -> ev.Failure | ev.ServerRole:
    """The exception record as a Failure; ``Caused by`` lines are kept as their own failures.

    A frame of JSSE's server code is a :class:`~loganalyzer.jsse.events.ServerRole`.
    """
    if record.message.startswith("sun.security.ssl."):
        return ev.ServerRole(where=record.where, thread=record.thread, time=record.time or when,
                             text=record.message)
    caused_by = record.message.startswith("Caused by: ")
    cls, msg = split_exception(record.message.removeprefix("Caused by: "))
    m = RECEIVED_ALERT.search(msg)
    return ev.Failure(
        where=record.where,
        thread=record.thread,
        time=record.time or when,
        text=record.message,
        alert=m.group("alert").upper() if m else "",
        message=msg,
        exception=cls,
        by_app=True,
        caused_by=caused_by,
    )
