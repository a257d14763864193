"""The MID Server's own log lines where they reach wrapper.log (its stdout).

A MID Server prints its agent-log lines (``11/26/26 14:09:37 (906) StartupSequencer WARNING
*** WARNING *** Could not authenticate user 'null' …``) to the console too, so the wrapper
log carries the MIDSecPolicy decisions and the authentication warnings next to the JSSE
records. Exception lines are left to :mod:`loganalyzer.jsse.stacktraces`.
"""

from __future__ import annotations

import re

from loganalyzer.errors import Location
from loganalyzer.ingest.records import Line, Record, RecordSoFar, Thread
from loganalyzer.mid.agentlog import AGENT_LINE

_WORDS = (
    r"MIDSecPolicy|Could not authenticate user|encryption keys do not match"
    r"|Invalid client_cert|Unable to validate the certificate|chain verification fail"
    r"|Failed in client cert chain|Unauthori[sz]ed|OCSP revoke check|OCSPCheck"
    r"|No key pair found for DefaultSecurityKeyPairHandle"
)
_WORDS_RE = re.compile(_WORDS)
# A MID line that lost its date prefix (pasted from a KB article or a case, or the Tokyo+
# layout's "WARN (Thread) [Class:NNN]"): the MID's own "*** WARNING ***" / "*** ERROR ***"
# markers, or a level and a thread in brackets, still say who wrote it.
_MID_MARKS = re.compile(
    r"\*\*\* (?:WARNING|ERROR) \*\*\*|^\s*(?:WARN|WARNING|SEVERE|ERROR|INFO|DEBUG) \([^)]+\) \["
)


class MidLineDialect:
    """One-line records: agent-format lines whose wording matters for mutual TLS."""

    name = "mid"
    prefilter = re.compile(_WORDS.encode())

    def open_record(self, line: Line, path: str) -> Record | None:
        text = line.message
        if not _WORDS_RE.search(text) or "javax.net.ssl|" in text:
            return None
        if not AGENT_LINE.match(text) and not _MID_MARKS.search(text):
            return None
        return Record(
            dialect=self.name,
            where=Location(path, line.lineno),
            end_line=line.lineno,
            thread=Thread(line.jvm, ""),
            time=line.time,
            level="",
            caller="",
            message=line.message,
        )

    def wants_body(self, record: Record) -> bool:
        return False

    def ends(self, record: RecordSoFar, line: Line) -> str:
        return "stop"
