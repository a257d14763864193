"""Content: what the first bytes of an input say, and one line of bytes as text.

Text or binary, which container a blob is (gzip, bz2, xz, zip, tar or plain text), whether a text
log is the wrapper's console or the MID's agent log, and how a raw line is decoded. Nothing here
reads a stream: it is given the bytes already peeked.
"""

from __future__ import annotations

import re

from loganalyzer.ingest.names import role_of

_TEXT_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n\r\f\b\x0b\x1b" + bytes(range(0x80, 0x100))


def looks_binary(head: bytes) -> bool:
    """True when the first block of a file is not text: mostly NUL or control bytes, or UTF-16.

    A leading run of NUL bytes is ignored when text follows it in the block (a log truncated by
    ``copytruncate`` keeps a hole of NULs at its start); a block of only NULs is binary.
    """
    if not head:
        return False
    body = head.lstrip(b"\0")
    if not body:
        return True
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    controls = len(body.translate(None, _TEXT_BYTES))
    return controls * 20 > len(body)  # more than 5 % control bytes


def decode_line(raw: bytes) -> str:
    r"""One line of bytes as text: UTF-8, else cp1252 (Windows MID Servers); never raises.

    The line ending (``\r\n``, ``\r`` or ``\n``) is removed, NUL bytes are dropped (crash
    padding and ``copytruncate`` holes, so the rest of the line still parses), and a UTF-8 byte
    order mark is removed. cp1252's five undefined bytes become U+FFFD.
    """
    raw = raw.rstrip(b"\r\n")
    if b"\0" in raw:
        raw = raw.replace(b"\0", b"")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if text[:1] == "\ufeff":
        text = text[1:]
    return text


def sniff(head: bytes, name: str) -> str:
    """What a blob holds, by magic bytes first and by name only for damaged binary data.

    One of ``gzip``, ``bz2``, ``xz``, ``zip``, ``tar`` or ``text``.
    """
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh" and head[4:10] == b"1AY&SY":
        return "bz2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if head[257:262] == b"ustar":
        return "tar"
    lower = name.lower()
    if head and looks_binary(head):
        if lower.endswith(".zip"):
            return "zip"
        if lower.endswith(".tar"):
            return "tar"
        for suffix, kind in ((".gz", "gzip"), (".tgz", "gzip"), (".bz2", "bz2"), (".xz", "xz")):
            if lower.endswith(suffix):
                return kind
    return "text"


def binary_message(head: bytes) -> str:
    """Why a blob that :func:`looks_binary` is not read, as the problem says it."""
    body = head.lstrip(b"\0")
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16 text is not supported; convert the file to UTF-8"
    if not body:
        return "binary data (only NUL bytes at the start), not a text log"
    return "binary data, not a text log"


_AGENT_HEAD = re.compile(rb"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d \(\d+\) ", re.MULTILINE)


def _looks_like_agent_log(head: bytes) -> bool:
    """The MID agent log's ``MM/dd/yy HH:mm:ss (ms) Thread LEVEL`` lines dominate the head."""
    lines = [line for line in head.split(b"\n")[:20] if line.strip()]
    if not lines:
        return False
    hits = sum(1 for line in lines if _AGENT_HEAD.match(line))
    return hits * 2 > len(lines)


# What only the JVM's console as the wrapper writes it holds, never agent0.log: JSSE debug output
# (JSSE writes to the console), a wrapper prefix, the wrapper's lifecycle and banner lines.
_CONSOLE_CONTENT = re.compile(
    rb"javax\.net\.ssl\|"
    rb"|\*\*\* (?:ClientHello|ServerHello|Certificate|ServerHelloDone|Finished)"
    rb"|^(?:(?:STATUS|INFO|WARN|ERROR|FATAL|DEBUG|ADVICE|NOTICE) *\| *)?"
    rb"(?:wrapper[a-z]?|jvm \d+) *\|"
    rb"|^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d{3})? *\|"
    rb"|--> Wrapper Started as|<-- Wrapper Stopped|Launching a JVM\.\.\.|Java Service Wrapper"
    rb"|WrapperManager: ",
    re.MULTILINE,
)


def role_by_content(head: bytes, name: str) -> str:
    """``wrapper``, ``agent`` or ``log`` from what the first bytes hold; the name only breaks a tie.

    A file with JSSE output or the wrapper's own lines is read as a wrapper log whatever its name
    (an ``agent0.log.0`` that is a wrapper log keeps its handshakes; its MID lines still give
    agent events); one whose head is MID agent lines and nothing of the console is an agent log,
    even named ``wrapper.log``. A ``wrapper.log`` in layout ``M`` holds the MID's lines too (its
    stdout), so those alone never make a file an agent log while console content is in the head.
    """
    named = role_of(name) if name != "<stdin>" else "log"
    if _CONSOLE_CONTENT.search(head):
        return "wrapper" if named == "agent" else named
    if _looks_like_agent_log(head):
        return "agent"
    return named
