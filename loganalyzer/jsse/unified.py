"""The JDK 11+ (and 8u261+) ``javax.net.debug`` dialect: record cutting and record -> events.

A record is ``javax.net.ssl|LEVEL|TID|THREAD|TIME|CALLER|message``; when the header ends in
`` (`` a body follows up to a line that is exactly ``)``. Bodies of the messages that matter
are parsed with ``grammars/jsse_unified.lark``; everything else is judged from the header.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TypeAlias, TypedDict, cast

from lark import Token, Transformer, v_args
from lark.exceptions import LarkError

from loganalyzer.errors import Location, Problem
from loganalyzer.ingest.records import Line, Record, RecordSoFar
from loganalyzer.jsse import events as ev
from loganalyzer.jsse.dn import split_list
from loganalyzer.jsse.exceptions import ALERT_PREFIX, RECEIVED_ALERT, split_exception
from loganalyzer.jsse.grammars import parser
from loganalyzer.vocabulary import EKU_SHORT

HEADER = re.compile(
    r"javax\.net\.ssl\|(?P<level>[A-Z]+)\|(?P<tid>[0-9A-Fa-f]{1,2}(?: [0-9A-Fa-f]{2})*)\|"
    r"(?P<thread>.*?)\|(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}(?: [^|]*)?)\|"
    r"(?P<caller>[^|]*)\|(?P<msg>.*)$"
)
MAX_BODY_LINES = 20_000
_THREADS: dict[tuple[int, str, str], ev.Thread] = {}


def parse_time(text: str) -> datetime | None:
    """``2026-11-26 13:40:05.679 EST`` -> naive local time; JSSE prints midnight as hour 24.

    Sliced by hand: strptime costs ten times as much, and a dense log has one per record.
    """
    if not isinstance(text, str):
        return None
    s = text[:23]
    # isdecimal, not isdigit: "²" is a digit int() refuses (a flipped bit in cp1252 makes one)
    if len(s) != 23 or s[19] != "." or not s[20:23].isdecimal():
        return None
    if (s.isascii() and s[4] == "-" and s[7] == "-" and s[10] == " " and s[13] == ":"
            and s[16] == ":"):
        try:  # in C: a third of the time; hour 24 and the odd digit are left to the slicing
            return datetime.fromisoformat(s)
        except ValueError:
            pass
    second = _parse_second(s[:19])
    return second.replace(microsecond=int(s[20:23]) * 1000) if second else None


@lru_cache(maxsize=4096)
def _parse_second(s: str) -> datetime | None:
    """``2026-11-26 13:40:05`` (hour 24 allowed); records come many to a second, so cached."""
    if s[4] != "-" or s[7] != "-" or s[10] != " " or s[13] != ":" or s[16] != ":":
        return None
    try:
        hour = int(s[11:13])
        return datetime(int(s[:4]), int(s[5:7]), int(s[8:10]), 0 if hour == 24 else hour,
                        int(s[14:16]), int(s[17:19]))
    except ValueError:
        return None


class UnifiedDialect:
    """Finds and cuts JDK 11+ records; see :class:`loganalyzer.ingest.records.Dialect`."""

    name = "unified"
    prefilter = re.compile(rb"javax\.net\.ssl\|")

    def open_record(self, line: Line, path: str) -> Record | None:
        text = line.message
        m = HEADER.match(text) if text.startswith("javax.net.ssl|") else HEADER.search(text)
        if not m:
            return None
        level, tid, name, ts, caller, msg = m.groups()
        has_body = msg.endswith(" (")
        thread = _THREADS.get((line.jvm, name, tid))
        if thread is None:  # a log names few threads: one object each
            if len(_THREADS) >= 4096:
                _THREADS.clear()
            thread = _THREADS[line.jvm, name, tid] = ev.Thread(line.jvm, name, tid)
        return Record(self.name, Location(path, line.lineno), line.lineno, thread,
                      parse_time(ts), level, caller, msg[:-2] if has_body else msg.rstrip(),
                      (), False, has_body)

    def wants_body(self, record: Record) -> bool:
        return record.has_body

    def keeps_body(self, record: Record) -> bool:
        """Only the bodies some handler reads are kept; hex dumps and the like are skipped."""
        return record.message.startswith(_BODY_READERS)

    def keeps_record(self, record: Record) -> bool:
        """Whether a handler reads the record.

        Records no handler reads (most of a dense log: hex dumps, extensions, cipher lists) are
        cut out and dropped, not stored.
        """
        message = record.message
        handled = _PREFIXES_BY_START.get(message[:2])
        if handled is not None and message.startswith(handled):
            # a record-layer write is read only when it writes an alert: a dense log has
            # seven others per handshake
            return not message.startswith("WRITE: ") or _WRITE_ALERT.match(message) is not None
        return _KEY_NOT_OF.search(message) is not None

    def drops(self, raw: bytes) -> str:
        """Whether a raw candidate line heads a record no handler reads.

        ``with-body`` / ``alone`` when it is the header of such a record (and no marker is in
        it), ``""`` otherwise. Lets the scanner step over most of a dense log without decoding
        it; the records would be dropped anyway. A dense log has some 1,400 such lines per MB,
        so the handled prefixes are looked up by their first two bytes, not tried in turn.
        """
        at = raw.find(b"javax.net.ssl|")
        m = _RAW_HEAD.match(raw, at) if at >= 0 else None
        if m is None:
            return ""
        msg = raw[m.end() :]
        handled = _HANDLED_BY_START.get(msg[:2])
        if handled is not None and msg.startswith(handled) and (
                not msg.startswith(b"WRITE: ") or _WRITE_ALERT_RAW.match(msg)):
            return ""  # as keeps_record: of the record-layer writes only an alert's is read
        if _KEY_NOT_OF_RAW in msg:
            return ""
        return "with-body" if msg.rstrip(b"\r").endswith(b" (") else "alone"

    @property
    def drops_pcre(self) -> tuple[bytes, bytes]:
        """PCREs (grep ``-P``) for a raw line that :meth:`drops` calls ``alone``, ``with-body``.

        The same regex pieces, judged as :meth:`drops` judges them: the first
        ``javax.net.ssl|`` only, the header's first parse only (atomic groups), then the tests
        on the message. A test holds them to the same verdicts.
        """
        return _ALONE_PCRE, _WITH_BODY_PCRE

    @staticmethod
    def cuts(raw: bytes) -> bool:
        """A raw line inside a body that starts another record."""
        return b"javax.net.ssl|" in raw and _RAW_HEADER.search(raw) is not None

    @staticmethod
    def closes(message: str) -> bool:
        return message.rstrip() == ")"

    # Raw lines that may close (a ")" line) or cut (a new header) a record; see scanner.
    end_pattern = re.compile(rb"\)[ \t\r]*$|javax\.net\.ssl\|", re.M)

    @staticmethod
    def end_hint(raw: bytes) -> bool:
        """``end_pattern`` for one raw line, with bytes methods (several times cheaper)."""
        return raw.rstrip().endswith(b")") or b"javax.net.ssl|" in raw

    def ends(self, record: RecordSoFar, line: Line) -> str:
        text = line.message
        if text.rstrip() == ")":
            return "close"
        if "javax.net.ssl|" in text and HEADER.search(text):
            return "cut"
        if len(record.body) >= MAX_BODY_LINES:
            return "cut"
        return "body"


def continuation(messages: Iterable[str]) -> tuple[str, ...]:
    """The first lines of a file when they are the rest of a record the previous file ended in.

    The previous file of its rotated set: everything up to the first ``)`` line, if no header
    comes before it. ``()`` when the file starts otherwise.
    """
    out: list[str] = []
    for text in messages:
        if text.rstrip() == ")":
            out.append(text)
            return tuple(out)
        if "javax.net.ssl|" in text and HEADER.search(text) or len(out) >= MAX_BODY_LINES:
            return ()
        out.append(text)
    return ()


# ----------------------------------------------------------------------------- body parsing

_GLUED_CLOSERS = re.compile(r"^(\s*)\]\}(,?)\s*$")
_GLUED_BRACE = re.compile(r"^(.*\S)\}(,?)\s*$")
_HEX_LINE = re.compile(r"^\s*[0-9A-F]{4}: ")
_CA_LIST_OPEN = re.compile(r'^\s*"certificate authorities"\s*:\s*\[\s*$')
# Marks a DN line (TLS 1.3 CA list) whose last value ends in "[" or "{" (JSSE does not quote
# those), so the grammar reads it as a name and not as a container opening; removed again.
_KEEP_BARE = "\x01"


def normalise(lines: tuple[str, ...] | list[str]) -> str:
    """Put the closers JSSE glues onto content lines on lines of their own."""
    out: list[str] = []
    n = len(lines)
    in_ca_list = False
    for i, line in enumerate(lines):
        if _HEX_LINE.match(line):
            out.append(line)
            continue
        if _CA_LIST_OPEN.match(line):
            in_ca_list = True
            out.append(line)
            continue
        if in_ca_list:
            stripped = line.rstrip()
            nxt = next((x for x in lines[i + 1 : n] if x.strip()), "")
            if stripped.strip() == "]" or (stripped.endswith("]") and nxt.strip().startswith("}")):
                in_ca_list = False
                out += [stripped[:-1], "]"] if stripped.strip() != "]" else [stripped]
            elif stripped.endswith(("[", "{")):
                out.append(stripped + _KEEP_BARE)
            else:
                out.append(line)
            continue
        m = _GLUED_CLOSERS.match(line)
        if m:
            out += [f"{m.group(1)}]", f"{m.group(1)}}}{m.group(2)}"]
            continue
        m = _GLUED_BRACE.match(line)
        if m and line.strip() not in ("}", "},"):
            out += [m.group(1), "}" + m.group(2)]
            continue
        stripped = line.rstrip()
        if (stripped.endswith("]") and stripped.strip() != "]"
                and not stripped.lstrip().startswith('"')):
            nxt = next((x for x in lines[i + 1 : n] if x.strip()), "")
            if nxt.strip().startswith("}"):
                out += [stripped[:-1], "]"]
                continue
        out.append(line)
    return "\n".join(out) + "\n"


@dataclass(frozen=True, slots=True)
class Ext:
    """A certificate extension as sun.security.x509 printed it."""

    oid: str
    lines: tuple[str, ...]


# A container: items are (key, value) pairs, bare strings, Ext or nested containers; a pair's
# value is a bare string or a container.
Node: TypeAlias = "list[NodeItem]"
NodeValue: TypeAlias = "str | Node"
NodeItem: TypeAlias = "str | tuple[str, NodeValue] | Ext | Node"


class _ToNodes(Transformer[Token, Node]):
    """Grammar tree -> plain containers; values keep their text, quotes and commas removed.

    A rule's children are the grammar's own tokens (key, brackets), which are strings, around
    the items already made: a Node either way.
    """

    def start(self, items: list[NodeItem]) -> Node:
        return list(items)

    @v_args(inline=True)
    def scalar_pair(self, key: Token, value: Token) -> tuple[str, NodeValue]:
        return (str(key)[1:-1], _clean_scalar(str(value)))

    def object_pair(self, items: Node) -> tuple[str, NodeValue]:
        return (str(items[0])[1:-1], items[2:-1])

    def list_pair(self, items: Node) -> tuple[str, NodeValue]:
        return (str(items[0])[1:-1], items[2:-1])

    @v_args(inline=True)
    def bare(self, text: Token) -> str:
        return str(text).strip().removesuffix(_KEEP_BARE)

    def bare_list(self, items: Node) -> tuple[str, NodeValue]:
        return (str(items[0]).rstrip(" [").strip(), items[1:-1])

    def anon_object(self, items: Node) -> Ext | Node:
        inner = items[1:-1]
        if len(inner) == 1 and isinstance(inner[0], Ext):
            return inner[0]
        return list(inner)

    def anon_list(self, items: Node) -> Node:
        return list(items[1:-1])

    def x509_extension(self, items: list[Token]) -> Ext:
        oid_line = str(items[0])
        oid = oid_line.split()[1] if len(oid_line.split()) > 1 else ""
        return Ext(oid, tuple(str(t).strip() for t in items[1:]))


def _clean_scalar(value: str) -> str:
    value = value.strip()
    if value.endswith(","):
        value = value[:-1].rstrip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
    return value


def parse_body(body: tuple[str, ...] | list[str]) -> Node:
    """Parse a record body into containers; raises ``lark.exceptions.LarkError``.

    The same certificate chains come back in every handshake of a log, so parsed bodies are
    cached by their text (the containers are never modified by their readers).
    """
    return _parse_cached(tuple(body))


@lru_cache(maxsize=512)
def _parse_cached(body: tuple[str, ...]) -> Node:
    # with a transformer Lark returns what the transformer made, not the tree its stub names
    return cast("Node", parser("jsse_unified", _ToNodes).parse(normalise(body)))


def get(node: Node, key: str, default: NodeValue | None = None) -> NodeValue | None:
    for item in node:
        if isinstance(item, tuple) and item[0] == key:
            return item[1]
    return default


def pairs(
    node: Node, into: Callable[[str, NodeValue], bool] = lambda key, value: True
) -> Iterator[tuple[str, NodeValue]]:
    """Every ``(key, value)`` under ``node``, depth first and in order.

    A container value is entered when ``into(key, value)`` says so. Iterative: a damaged body
    can nest deeper than Python's recursion limit.
    """
    stack: list[Iterator[NodeItem]] = [iter(node)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, tuple):
                yield item
                if isinstance(item[1], list) and into(item[0], item[1]):
                    stack.append(iter(item[1]))
                    break
            elif isinstance(item, list):
                stack.append(iter(item))
                break
        else:
            stack.pop()


def find(node: Node, key: str) -> NodeValue | None:
    """Depth-first search for the first value under ``key``."""
    return next((value for k, value in pairs(node) if k == key), None)


# Where grammar output becomes events, every value gets the type its event field declares:
# the body notation is the same for scalars and containers, so a damaged or unusual record can
# put a list where a string belongs ("versions": [\n TLSv1.3\n ]) or the reverse.


class _Shape(LarkError):
    """A field printed as a container where one value belongs; reported like a parse failure."""

    def __init__(self, key: str) -> None:
        super().__init__(f'"{key}" is a list or an object where one value belongs')


def scalar(node: Node, key: str, default: str = "") -> str:
    """The scalar under ``key``; ``default`` when it is missing.

    Raises :class:`_Shape` when it is a container.
    """
    value = get(node, key)
    if value is None:
        return default
    if isinstance(value, str):
        return value
    raise _Shape(key)


def children(value: object) -> Node:
    """``value`` as a container: a scalar (``<no extension>``, a damaged line) holds nothing."""
    return value if isinstance(value, list) else []


def words(value: object) -> str:
    """A scalar, or the bare lines of a container, as one text (for lists printed either way)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(x for x in value if isinstance(x, str))
    return ""


# ----------------------------------------------------------------------------- certificates



def certificates(node: Node) -> tuple[ev.CertInfo, ...]:
    """Every ``"certificate" : {…}`` under ``node``, in order (TLS 1.2 and 1.3 layouts).

    A parsed body is one object for every handshake that logs the same text (see
    :func:`parse_body`), so what is read from it is kept by that object: a dense log sends the
    same chains hundreds of times. The entry holds the node, so its id is not reused.
    """
    known = _CERTIFICATES.get(id(node))
    if known is not None and known[0] is node:
        return known[1]
    found = tuple(cert_info(value) for key, value in pairs(node, lambda k, v: k != "certificate")
                  if key == "certificate" and isinstance(value, list))
    if len(_CERTIFICATES) >= 512:
        _CERTIFICATES.clear()
    _CERTIFICATES[id(node)] = (node, found)
    return found


_CERTIFICATES: dict[int, tuple[Node, tuple[ev.CertInfo, ...]]] = {}


def cert_info(node: Node) -> ev.CertInfo:
    eku: list[str] = []
    key_usage: list[str] = []
    san: list[str] = []
    is_ca: bool | None = None
    for ext in children(get(node, "extensions")):
        if not isinstance(ext, Ext):
            continue
        body = [line for line in ext.lines if line not in ("[", "]")]
        if ext.oid == "2.5.29.37":
            eku = [EKU_SHORT.get(x, x) for x in body if not x.endswith("[")]
        elif ext.oid == "2.5.29.15":
            key_usage = [x for x in body if not x.endswith("[")]
        elif ext.oid == "2.5.29.17":
            san = [x.split(":", 1)[1].strip() for x in body if ":" in x and not x.endswith("[")]
        elif ext.oid == "2.5.29.19":
            is_ca = any(x.replace(" ", "").lower() == "ca:true" for x in body)
    return ev.CertInfo(
        subject=scalar(node, "subject"),
        issuer=scalar(node, "issuer"),
        serial=scalar(node, "serial number"),
        not_before=parse_time(scalar(node, "not before")),
        not_after=parse_time(scalar(node, "not  after") or scalar(node, "not after")),
        eku=tuple(eku),
        key_usage=tuple(key_usage),
        san=tuple(san),
        is_ca=is_ca,
        public_key=scalar(node, "subject public key"),
    )


# ----------------------------------------------------------------------------- interpretation

_FATAL = re.compile(r"^Fatal \((?P<alert>[A-Za-z_]+)\): ?(?P<reason>.*)$", re.S)
_WRITE_ALERT = re.compile(r"^WRITE: \S+ alert\((?P<alert>[a-z_]+)\)")
_VERSION_LIST = re.compile(r"TLSv1(?:\.[0-3])?|SSLv3|DTLSv1\.[02]")


def _throwable(node: Node) -> tuple[str, str]:
    lines = get(node, "throwable")
    if not lines:
        return "", ""
    first = lines if isinstance(lines, str) else next(
        (x for x in children(lines) if isinstance(x, str)), "")
    return split_exception(first)


class _Base(TypedDict):
    """The fields every event takes from its record (:class:`~loganalyzer.jsse.events.Event`)."""

    where: Location
    thread: ev.Thread
    time: datetime | None
    text: str
    lines: tuple[tuple[int, str], ...]


@lru_cache(maxsize=256)
def _split_names(text: str) -> tuple[tuple[str, ...], str]:
    """:func:`split_list` of a CA list as printed; a log prints the same list every handshake."""
    return split_list(text)


@lru_cache(maxsize=512)
def _cited(body: tuple[str, ...], keys: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """The body lines starting with one of ``keys`` (stripped), by index; bodies repeat."""
    return tuple((i, text.strip()) for i, text in enumerate(body)
                 if text.strip().startswith(keys))


@dataclass(slots=True)
class Interpreter:
    """Turns the unified records of one file into events; remembers what failed to parse."""

    problems: list[Problem]

    def events(self, record: Record) -> list[ev.Event]:
        msg = record.message
        # the handlers whose prefix starts as the message does, in the table's order
        for prefix, handler in _HANDLERS_BY_START.get(msg[:2], ()):
            if msg.startswith(prefix):
                try:
                    return handler(self, record)
                except LarkError as exc:
                    self.problems.append(_unparsed(record, exc))
                    return []
        m = _KEY_NOT_OF.search(msg)
        if m is None:
            return []
        # X509Authentication rejects the alias the key manager matched: its key does not fit
        # the signature scheme the request asks for
        return [ev.KeySelection(**self._base(record), outcome="ignored", alias=m.group("alias"),
                                reason=msg[m.start("why"):].strip())]

    # -- handlers: each turns one kind of record into events
    def _base(self, record: Record, *keys: str) -> _Base:
        """Common event fields; ``keys`` pick body lines (by their start) to cite as evidence."""
        lines: tuple[tuple[int, str], ...] = ()
        if keys:
            first = record.where.line + 1
            lines = tuple((first + i, text) for i, text in _cited(tuple(record.body), keys))
        return {"where": record.where, "thread": record.thread, "time": record.time,
                "text": record.message, "lines": lines}

    def _body(self, record: Record) -> Node:
        if record.truncated:
            raise _Truncated("the record's body ends before its closing ')'")
        return parse_body(record.body)

    def client_hello(self, record: Record) -> list[ev.Event]:
        try:
            hello = children(get(self._body(record), "ClientHello"))
            exts = children(get(hello, "extensions"))
            sni = None
            for line in children(get(exts, "server_name (0)")):
                if isinstance(line, str) and "value=" in line:
                    sni = line.split("value=", 1)[1].strip()
            versions = words(get(children(get(exts, "supported_versions (43)")), "versions"))
            offered = tuple(_VERSION_LIST.findall(versions or scalar(hello, "client version")))
        except LarkError as exc:
            # The header alone still marks where a connection starts.
            self.problems.append(_unparsed(record, exc))
            return [ev.ClientHello(**self._base(record))]
        return [ev.ClientHello(**self._base(record), sni=sni, offered_versions=offered)]

    def server_hello(self, record: Record) -> list[ev.Event]:
        node = self._body(record)
        hello = children(get(node, "ServerHello") or get(node, "HelloRetryRequest"))
        version = scalar(hello, "server version") or None
        found = _VERSION_LIST.findall(words(find(hello, "selected version")))
        if found:
            version = found[0]
        cipher = scalar(hello, "cipher suite").split("(", 1)[0] or None
        return [ev.ServerHello(**self._base(record), version=version, cipher=cipher)]

    def negotiated(self, record: Record) -> list[ev.Event]:
        version = record.message.rsplit(":", 1)[1].strip()
        return [ev.NegotiatedVersion(**self._base(record), version=version)]

    def server_certificate(self, record: Record) -> list[ev.Event]:
        return [ev.ServerCertificate(**self._base(record), chain=certificates(self._body(record)))]

    def client_certificate(self, record: Record) -> list[ev.Event]:
        base = self._base(record, '"Certificates":', '"certificate_list"', '"subject"', '"issuer"')
        chain = certificates(self._body(record))
        if chain:  # cite the leaf only: its subject and issuer are the first two such lines
            base["lines"] = tuple(x for x in base["lines"]
                                  if not x[1].startswith('"certificate_list"'))[:3]
        return [ev.ClientCertificate(**base, chain=chain)]

    def certificate_request(self, record: Record) -> list[ev.Event]:
        base = self._base(record, '"certificate authorities"', "CN=", "OU=", "O=", "DC=", "C=")
        try:
            return [self._certificate_request(record, base)]
        except LarkError as exc:
            # The header alone proves a certificate was requested; the names are unknown.
            self.problems.append(_unparsed(record, exc))
            return [ev.CertificateRequest(**base, ca_state="unknown")]

    def _certificate_request(self, record: Record, base: _Base) -> ev.CertificateRequest:
        req = children(get(self._body(record), "CertificateRequest"))
        if (get(req, "certificate_request_context") is not None
                or get(req, "extensions") is not None):
            ca_ext = find(req, "certificate_authorities (47)")
            if ca_ext is None:
                return ev.CertificateRequest(**base, tls13=True, ca_state="absent")
            found = get(ca_ext, "certificate authorities", []) if isinstance(ca_ext, list) else []
            listed: Sequence[NodeItem] = (
                list(_split_names(found)[0])  # printed on one line: "certificate authorities": []
                if isinstance(found, str) else children(found)
            )
            dns = tuple(x for x in listed if isinstance(x, str) and x)
            # JSSE prints its own parse error in place of the names ("Invalid
            # certificate_authorities extension: …", "unparseable distinguished name: …")
            bad = not isinstance(ca_ext, list) or any(
                isinstance(x, str) and "=" not in x for x in (*listed, *ca_ext))
            state = "malformed" if bad else ("listed" if dns else "empty")
            return ev.CertificateRequest(**base, tls13=True, ca_names=dns,
                                         ca_state=state, ca_split="exact")
        raw = scalar(req, "certificate authorities")
        names, how = _split_names(raw)
        return ev.CertificateRequest(**base, tls13=False, ca_names=names,
                                     ca_state="listed" if names else "empty",
                                     ca_split=how if len(names) > 1 else "exact",
                                     raw_ca_text=raw)

    def no_client_cert(self, record: Record) -> list[ev.Event]:
        return [ev.NoClientCertificate(**self._base(record))]

    def km_class(self, record: Record) -> list[ev.Event]:
        name = record.message.split(":", 1)[1].strip()
        return [ev.KeyManagerClass(**self._base(record), name=name)]

    def found_key(self, record: Record) -> list[ev.Event]:
        alias = record.message.split(":", 1)[1].strip()
        chain = certificates(self._body(record)) if record.body or record.truncated else ()
        base = self._base(record, '"subject"', '"issuer"')
        # cite the leaf's subject and every issuer up the chain: what a CA list must cover
        first_subject = next(
            (i for i, (_, t) in enumerate(base["lines"]) if t.startswith('"subject"')), None)
        base["lines"] = tuple(
            x for i, x in enumerate(base["lines"])
            if x[1].startswith('"issuer"') or i == first_subject
        )
        return [ev.KeyFound(**base, alias=alias, chain=chain)]

    def key_selection(self, record: Record) -> list[ev.Event]:
        msg = record.message
        base = self._base(record)
        if msg.startswith(("matching alias:", "KeyMgr: choosing key:")):
            alias = (msg.split(":", 2)[-1] if msg.startswith("KeyMgr")
                     else msg.split(":", 1)[1]).strip()
            alias = alias.split(" (verified", 1)[0]
            return [ev.KeySelection(**base, outcome="chosen", alias=alias)]
        if msg.startswith("Ignore alias "):
            alias, _, reason = msg[len("Ignore alias "):].partition(":")
            return [ev.KeySelection(**base, outcome="ignored", alias=alias.strip(),
                                    reason=reason.strip())]
        if msg.startswith("KeyMgr: no good matching key found"):
            text = " ".join(record.body).strip().strip("[]")
            alias, _, rest = text.partition(" (verified: ")
            return [ev.KeySelection(**base, outcome="best-match", alias=alias.strip(),
                                    reason=rest.rstrip(")] ").strip())]
        return [ev.KeySelection(**base, outcome="none", reason=msg)]

    def store(self, record: Record) -> list[ev.Event]:
        kind = "key" if record.message.startswith("keyStore") else "trust"
        # The default SSLContext prints "keyStore is : " with nothing after it.
        path = record.message.partition(":")[2].partition("\n")[0].strip()
        return [ev.KeyStoreInfo(**self._base(record), store=kind, path=path)]

    def alert_received(self, record: Record) -> list[ev.Event]:
        alert = children(get(self._body(record), "Alert"))
        return [ev.Alert(**self._base(record, '"description"'), direction="received",
                         level=scalar(alert, "level", "fatal"),
                         description=scalar(alert, "description"))]

    def alert_written(self, record: Record) -> list[ev.Event]:
        m = _WRITE_ALERT.match(record.message)
        if m is None:  # not reached: the handler table calls this only for a match
            return []
        desc = m.group("alert")
        level = "warning" if desc in ("close_notify", "user_canceled") else "fatal"
        return [ev.Alert(**self._base(record), direction="sent", level=level, description=desc)]

    def fatal(self, record: Record) -> list[ev.Event]:
        m = _FATAL.match(record.message)
        if m is not None:
            alert, reason = m.group("alert").upper(), m.group("reason")
        else:  # a damaged header ("Fatal (BAD_CERT"): a failure all the same, of unknown alert
            alert, reason = "", record.message.partition("): ")[2]
        reason = ALERT_PREFIX.sub("", reason.strip())
        if not alert and (received := RECEIVED_ALERT.search(reason)):
            alert = received.group("alert").upper()
        exc = ""
        if record.body and not record.truncated:
            try:
                exc, _ = _throwable(parse_body(record.body))
            except LarkError:
                exc = ""
        return [ev.Failure(**self._base(record), alert=alert, message=reason, exception=exc)]

    def handling_exception(self, record: Record) -> list[ev.Event]:
        exc, msg = _throwable(self._body(record))
        if not exc and not msg:
            return []
        m = RECEIVED_ALERT.search(msg)
        alert = m.group("alert").upper() if m else ""
        return [ev.Failure(**self._base(record), alert=alert, message=msg, exception=exc)]

    def debug_marker(self, record: Record) -> list[ev.Event]:
        marker = next(m for m in ev.INIT_MARKERS if record.message.startswith(m))
        return [ev.DebugMarker(**self._base(record), marker=marker)]

    def finished(self, record: Record) -> list[ev.Event]:
        return [ev.Finished(**self._base(record))]

    def closed(self, record: Record) -> list[ev.Event]:
        return [ev.Closed(**self._base(record))]


class _Truncated(LarkError):
    """A record whose body was cut; reported like a parse failure."""


def _unparsed(record: Record, exc: Exception) -> Problem:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Problem(record.where, f"unparsed JSSE record '{record.message[:60]}': {reason}",
                   "unparsed")


_HANDLERS: tuple[tuple[str, Callable[[Interpreter, Record], list[ev.Event]]], ...] = (
    ("Produced ClientHello handshake message", Interpreter.client_hello),
    ("Consuming ServerHello handshake message", Interpreter.server_hello),
    ("Consuming HelloRetryRequest handshake message", Interpreter.server_hello),
    ("Negotiated protocol version:", Interpreter.negotiated),
    ("Consuming server Certificate handshake message", Interpreter.server_certificate),
    ("Consuming server Certificate message", Interpreter.server_certificate),
    ("Consuming CertificateRequest handshake message", Interpreter.certificate_request),
    ("Produced client Certificate handshake message", Interpreter.client_certificate),
    ("Produced client Certificate message", Interpreter.client_certificate),
    ("No X.509 certificate for client authentication", Interpreter.no_client_cert),
    ("No available client authentication scheme", Interpreter.no_client_cert),
    ("X509KeyManager class:", Interpreter.km_class),
    ("found key for :", Interpreter.found_key),
    ("matching alias:", Interpreter.key_selection),
    ("KeyMgr: choosing key:", Interpreter.key_selection),
    ("KeyMgr: no matching key found", Interpreter.key_selection),
    ("KeyMgr: no good matching key found", Interpreter.key_selection),
    ("Ignore alias ", Interpreter.key_selection),
    ("No X.509 cert selected for", Interpreter.key_selection),
    ("No available authentication scheme", Interpreter.key_selection),
    ("keyStore is :", Interpreter.store),
    *((marker, Interpreter.debug_marker) for marker in ev.INIT_MARKERS),
    ("trustStore is:", Interpreter.store),
    ("Received alert message", Interpreter.alert_received),
    ("WRITE: ", lambda self, r: (Interpreter.alert_written(self, r)
                                 if _WRITE_ALERT.match(r.message) else [])),
    ("Fatal (", Interpreter.fatal),
    ("handling exception", Interpreter.handling_exception),
    ("Consuming server Finished handshake message", Interpreter.finished),
    ("Consuming Finished handshake message", Interpreter.finished),
    ("close the SSL connection", Interpreter.closed),
    ("duplex close of SSLSocket", Interpreter.closed),
)

# Records whose body some handler reads (the others are only cut out, never decoded).
_BODY_READERS = tuple(
    prefix for prefix, handler in _HANDLERS
    if handler in (
        Interpreter.client_hello, Interpreter.server_hello, Interpreter.server_certificate,
        Interpreter.client_certificate, Interpreter.certificate_request, Interpreter.found_key,
        Interpreter.key_selection, Interpreter.alert_received, Interpreter.fatal,
        Interpreter.handling_exception,
    )
)
_HANDLERS_BY_START: dict[str, tuple[tuple[str, Callable[[Interpreter, Record], list[ev.Event]]],
                                    ...]] = {}
for _entry in _HANDLERS:  # every prefix is longer than two characters (a test says so)
    _HANDLERS_BY_START[_entry[0][:2]] = (*_HANDLERS_BY_START.get(_entry[0][:2], ()), _entry)
_PREFIXES_BY_START = {start: tuple(p for p, _ in entries)
                      for start, entries in _HANDLERS_BY_START.items()}
# ``<alias> private or public key is not of EC algorithm``: the one key-manager record whose
# message does not start with a fixed text
_KEY_NOT_OF = re.compile(
    r"^(?P<alias>\S.*?) (?P<why>private or public key is not of \S+ algorithm)")
_KEY_NOT_OF_RAW = b" private or public key is not of "
_HANDLED_RAW = tuple(prefix.encode() for prefix, _ in _HANDLERS)
_RAW_HEADER = re.compile(
    rb"javax\.net\.ssl\|[A-Z]+\|[0-9A-Fa-f]{1,2}(?: [0-9A-Fa-f]{2})*\|.*?\|"
    rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}(?: [^|]*)?\|[^|]*\|(.*)$"
)
# The same up to the message, which is what follows it (a raw line holds no newline, so the
# ``(.*)$`` above always matches: both find the same headers).
_RAW_HEAD = re.compile(_RAW_HEADER.pattern.removesuffix(rb"(.*)$"))
_WRITE_ALERT_RAW = re.compile(_WRITE_ALERT.pattern.removeprefix("^").replace(
    "(?P<alert>", "(?:").encode())
_DROPPED_PCRE = (
    rb"(?>.*?javax\.net\.ssl\|)(?>"
    + _RAW_HEAD.pattern.removeprefix(rb"javax\.net\.ssl\|").replace(rb"[^|]", rb"[^|\n]")
    + rb")(?!" + b"|".join(re.escape(p) if p != b"WRITE: " else _WRITE_ALERT_RAW.pattern
                           for p in _HANDLED_RAW) + rb")"
    + rb"(?!.*" + re.escape(_KEY_NOT_OF_RAW) + rb")"
)
_ALONE_PCRE = _DROPPED_PCRE + rb"(?!.* \(\r*(?:\n|\z))"
_WITH_BODY_PCRE = _DROPPED_PCRE + rb"(?=.* \(\r*(?:\n|\z))"
# the same table for the raw lines ``drops`` judges (the prefixes are ASCII: bytes as characters)
_HANDLED_BY_START = {start.encode(): tuple(p.encode() for p in prefixes)
                     for start, prefixes in _PREFIXES_BY_START.items()}
