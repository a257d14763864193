"""Era A: the old JSSE debug output (JDK 6, 7, and 8 up to Oracle 8u251 / OpenJDK 8u262).

Old JSSE prints with ``System.out.println``: handshake messages are blocks opened by
``*** ClientHello, TLSv1.2`` and most end with a line ``***``; record-layer, alert, close and
exception lines carry the thread name (``main, RECV TLSv1.2 ALERT:  fatal, bad_certificate``);
the ``***`` blocks do not. See ``jsse-debug-formats.md`` §2.4, §4.4, §5.4, §6.3, §7.2, §8.2.

:class:`LegacyDialect` cuts the records (the :class:`~loganalyzer.ingest.records.Dialect` protocol);
:meth:`LegacyDialect.interpret` turns the records of one file into the same events as the
JDK 11+ format. The block bodies are parsed by ``grammars/jsse_legacy.lark``.

Thread of a ``***`` block: the nearest record of the same JVM that names a thread, measured in
lines before the block's header or after its last line (a tie goes to the line after: a client
prints a message, then ``<thread>, WRITE: …``). With no such record the name stays empty.

Times: the certificate validity is printed by ``Date.toString()`` in the JVM's zone
(``Thu Nov 26 13:30:03 EST 2026``). The zone abbreviation is dropped and the result is a
timezone-naive datetime in that local time, the same convention as the JDK 11+ reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeAlias, TypedDict, cast

from lark import Token, Transformer, v_args
from lark.exceptions import LarkError

from loganalyzer.errors import Location, Problem, boundary
from loganalyzer.ingest.records import Line, Record, RecordSoFar
from loganalyzer.jsse import events as ev
from loganalyzer.jsse.exceptions import RECEIVED_ALERT, split_exception
from loganalyzer.jsse.grammars import parser
from loganalyzer.vocabulary import EKU_SHORT

MAX_BODY_LINES = 20_000
GRAMMAR = "jsse_legacy"

# ----------------------------------------------------------------------------- record headers

# What a line that opens a record looks like; each kind names its handler in interpret().
_HEADERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("client_hello", re.compile(r"^\*\*\* ClientHello, (?P<version>\S+)")),
    ("server_hello", re.compile(r"^\*\*\* ServerHello, (?P<version>\S+)")),
    ("certificate_chain", re.compile(r"^\*\*\* Certificate chain\s*$")),
    ("certificate_request", re.compile(r"^\*\*\* CertificateRequest\s*$")),
    ("server_hello_done", re.compile(r"^\*\*\* ServerHelloDone\s*$")),
    ("finished", re.compile(r"^\*\*\* Finished\s*$")),
    ("found_key", re.compile(r"^found key for : (?P<alias>.*?)\s*$")),
    ("matching_alias", re.compile(r"^matching alias: (?P<alias>.*?)\s*$")),
    ("no_certificate", re.compile(r"^Warning: no suitable certificate found")),
    ("key_manager", re.compile(r"^ssl: (?P<text>KeyMgr: .*|Ignoring alias .*)$")),
    # Two spaces after "ALERT:" as printed; one in copies whose spaces were collapsed. A level
    # JSSE has no name for prints "<level N>" (received) or "<level = N>" (sent).
    (
        "alert",
        re.compile(
            r"^(?P<thread>.+?), (?P<direction>RECV|SEND) (?P<version>\S+) ALERT: +"
            r"(?P<level>fatal|warning|<level(?: =)? \d+>), (?:description = )?"
            r"(?P<description>\S(?:.*\S)?)\s*$"
        ),
    ),
    ("exception", re.compile(r"^(?P<thread>.+?), handling exception: (?P<text>.*)$")),
    # SSLSocketImpl/SSLEngineImpl.fatal: "<t>, fatal error: <alert number>: <diagnostic>", then
    # the cause's toString() on the next line (§6.3)
    ("fatal_error", re.compile(r"^(?P<thread>.+?), fatal error: (?P<code>\d+): (?P<text>.*?)\s*$")),
    # SSLEngineImpl.fatal on an engine already closed: the cause on the same or the next line
    (
        "rethrow",
        re.compile(
            r"^(?P<thread>.+?), fatal: engine already closed\.\s+Rethrowing\s*(?P<text>.*?)\s*$"
        ),
    ),
    ("invalidated", re.compile(r"^%% Invalidated:\s")),
    ("close", re.compile(r"^(?P<thread>.+?), called closeSocket\([^)]*\)\s*$")),
    ("record_layer", re.compile(r"^(?P<thread>.+?), (?:READ|WRITE): \S+ ")),
)

# Kinds whose header is followed by body lines, and how the body ends.
_CLOSED_BY_STARS = frozenset({"client_hello", "server_hello", "certificate_chain", "found_key"})
# A line no handshake block's body holds: it opens another record, or it is an exception, a
# session ("%% ") line or another thread-named line. It ends a "***" block whose closing line
# never came (a block cut where it was posted, or a JDK 6/7 chain printed without "verbose").
# READ/WRITE lines are the exception: another thread may print one between two certificates of
# a chain, and the chain goes on after it, so they stay in the body as text.
_FOREIGN = re.compile(
    r"^(?:%% |Warning: no suitable certificate|matching alias: |ssl: |adding as trusted cert:"
    r"|(?:trustStore|keyStore) is ?: |Exception in thread "
    r"|(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)(?::|\s*$)"
    r"|.+?, (?:(?:RECV|SEND) \S+ ALERT: |handling exception: |fatal error: |fatal: "
    r"|called close|Exception sending alert: ))"
)
_CAUSE = re.compile(r"^(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)(?::|\s*$)")
_REQUEST_LINE = re.compile(
    r"^(?:Cert Types: |Supported Signature Algorithms: |Cert Authorities:|<.*>\s*$)"
)
_OPEN_DN = re.compile(r"^<[^>]*$")  # a <DN> line a posted copy wrapped
_BEST_MATCH_LINE = re.compile(r"^ssl: \[")
_NEW_BLOCK = re.compile(r"^(?:\*\*\* \S|found key for : )")


def _kind(message: str) -> tuple[str, re.Match[str]] | None:
    if _ANY_HEADER.search(message) is None:  # every header holds one of the prefilter's texts
        return None
    for kind, pattern in _HEADERS:
        m = pattern.match(message)
        if m:
            return kind, m
    return None


def _header(record: Record) -> re.Match[str]:
    """The header match of a record handed to the handler of its kind."""
    found = _kind(record.message)
    if found is None:  # not reached: a handler is only called for the kind of its header
        raise ValueError(f"not a legacy record header: {record.message[:60]!r}")
    return found[1]


@lru_cache(maxsize=4096)
def kind_of(message: str) -> str:
    """The record kind a header line opens (``client_hello``, ``alert``, …), or ``""``."""
    found = _kind(message)
    return found[0] if found else ""


class LegacyDialect:
    """Finds and cuts era-A records; see :class:`loganalyzer.ingest.records.Dialect`.

    Lines that open a record: the ``***`` blocks ClientHello, ServerHello, Certificate chain,
    CertificateRequest, ServerHelloDone and Finished; ``found key for :``; ``matching alias:``;
    ``Warning: no suitable certificate found…``; ``ssl: KeyMgr:``; ``ssl: Ignoring alias``;
    ``%% Invalidated:``; and the thread-named lines ``<t>, RECV|SEND <v> ALERT:``,
    ``<t>, handling exception:``, ``<t>, fatal error: <n>: …``, ``<t>, called closeSocket(…)``
    and ``<t>, READ:|WRITE: …`` (kept to place ``***`` blocks).

    Bodies: the hellos, certificate chains and ``found key for`` end at a line ``***`` (close);
    a CertificateRequest keeps its ``Cert Types:``, ``Supported Signature Algorithms:``,
    ``Cert Authorities:`` and ``<DN>`` lines and stops at the first other line; a
    ``returning best match out of:`` key-manager line keeps the ``ssl: [alias (verified: …)]``
    lines after it; a ``fatal error`` keeps the exception line under it. A new ``***`` block,
    a line no block holds (see ``_FOREIGN``: an alert, an exception, a ``%%`` line …), another
    JVM or an oversized body cuts a ``***`` block.
    """

    name = "legacy"
    problems: list[Problem]  # what the last interpret() could not parse
    # Lines that may open an era-A record. Not anchored: the chunk may still carry a wrapper
    # prefix such as ``INFO   | jvm 1    | 2026/11/26 18:37:33 | ``.
    prefilter = re.compile(
        rb"\*\*\* (?:ClientHello|ServerHello|Certificate|ServerHelloDone|Finished)"
        rb"|found key for : |matching alias: |Warning: no suitable certificate found"
        rb"|ssl: (?:KeyMgr: |Ignoring alias )"
        rb"|, (?:RECV|SEND) \S+ ALERT: |, handling exception: |, called closeSocket\("
        rb"|, fatal error: |, fatal: engine already closed|%% Invalidated:"
        rb"|, (?:READ|WRITE): "
    )

    def __init__(self) -> None:
        self.problems = []

    def open_record(self, line: Line, path: str) -> Record | None:
        found = _kind(line.message)
        if found is None:
            return None
        kind, m = found
        thread = m.groupdict().get("thread") or ""
        return Record(
            dialect=self.name,
            where=Location(path, line.lineno),
            end_line=line.lineno,
            thread=ev.Thread(line.jvm, thread),
            time=line.time,
            level="",
            caller="",
            message=line.message.rstrip(),
            has_body=kind in _CLOSED_BY_STARS
            or kind in ("certificate_request", "fatal_error")
            or (kind == "rethrow" and not m.group("text"))
            or (kind == "key_manager" and "returning best match" in line.message),
        )

    def wants_body(self, record: Record) -> bool:
        return record.has_body

    def ends(self, record: RecordSoFar, line: Line) -> str:
        text = line.message
        if line.jvm != record.thread.jvm or len(record.body) >= MAX_BODY_LINES:
            return "cut"
        kind = kind_of(record.message)
        if kind in _CLOSED_BY_STARS:
            if text.rstrip() == "***":
                return "close"
            if _NEW_BLOCK.match(text) or _FOREIGN.match(text):
                return "cut"
            return "body"
        if kind == "certificate_request":
            if _REQUEST_LINE.match(text) or _OPEN_DN.match(text):
                return "body"
            # the rest of a <DN> a posted copy wrapped
            last = record.body[-1].rstrip() if record.body else ""
            return "body" if _OPEN_DN.match(last) and text.strip() else "stop"
        if kind in ("fatal_error", "rethrow"):
            return "body" if not record.body and _CAUSE.match(text) else "stop"
        return "body" if _BEST_MATCH_LINE.match(text) else "stop"

    def interpret(self, records: Sequence[Record]) -> list[ev.Event]:
        """The events of one file's legacy records, in order; see :attr:`problems`.

        A block the grammar cannot parse yields no event; it is recorded in ``problems`` as an
        ``unparsed`` :class:`~loganalyzer.errors.Problem` and never raises.
        """
        interpreter = Interpreter()
        found = interpreter.run(records)
        self.problems = interpreter.problems
        return found


# ----------------------------------------------------------------------------- grammar semantics



def parse_date(text: str) -> datetime | None:
    """``Thu Nov 26 13:30:03 EST 2026`` -> naive local time (the zone abbreviation is dropped)."""
    parts = text.split()
    if len(parts) != 6:
        return None
    try:
        return datetime.strptime(" ".join(parts[:4] + parts[5:]), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        return None


def normalise_serial(text: str) -> str:
    """``[    b35b9c57 9fcb8e4e]`` -> ``b35b9c579fcb8e4e``.

    Lower case, no separators, no leading zeros (jsse-debug-formats.md §4.3); a sign is kept.
    """
    digits = "".join(text.strip().strip("[]").split()).lower()
    sign = "-" if digits.startswith("-") else ""
    digits = digits.lstrip("-").lstrip("0") or "0"
    return sign + digits


_EMPTY = "<Empty>"  # what the grammar's ``empty`` rule stands for


def _after(token: str, label: str) -> str:
    return token.split(label, 1)[1].strip()


class Block(TypedDict, total=False):
    """One era-A block as :class:`LegacyTransformer` makes it; ``kind`` says which keys it has.

    ``client_hello`` / ``server_hello``: ``sni`` / ``cipher`` when the block shows them;
    ``certificate_chain``: ``chain`` (None when the block does not show it); ``found_key``:
    ``alias`` and ``chain``; ``certificate_request``: ``authorities`` (None when absent),
    ``cert_types`` and ``signature_algorithms`` when shown.
    """

    kind: str
    sni: str
    cipher: str
    chain: tuple[ev.CertInfo, ...] | None
    alias: str
    authorities: tuple[str, ...] | None
    cert_types: tuple[str, ...]
    signature_algorithms: str


# A field line as a (name, value) pair: what the value is depends on the name (a text, a pair of
# dates, a tuple of names, a flag); :meth:`LegacyTransformer.certificate` and the hello and
# request rules read them by name.
_Field: TypeAlias = tuple[str, Any]
# A line of a block: a field, a certificate, ``<Empty>``, a DN or a text line, or None (the end)
_Part: TypeAlias = "_Field | ev.CertInfo | str | None"


@v_args(inline=True)
class LegacyTransformer(Transformer[Token, Block]):
    """Turns a parsed era-A block into plain Python values (dicts, tuples, CertInfo)."""

    def start(self, block: Block) -> Block:
        return block

    # hellos: a dict of the lines we care about
    def client_hello(self, header: Token, *lines: _Part) -> Block:
        return _hello("client_hello", lines)

    def server_hello(self, header: Token, *lines: _Part) -> Block:
        return _hello("server_hello", lines)

    def server_name(self, token: Token) -> _Field:
        # Extension server_name, server_name: [type=host_name (0), value=acme.service-now.com]
        m = re.search(r"value=([^,\]]+)", str(token))
        return ("sni", m.group(1).strip() if m else "")

    def cipher_suite(self, token: Token) -> _Field:
        return ("cipher", _after(token, "Cipher Suite:"))

    # certificates
    def certificate_chain(self, header: Token, *parts: _Part) -> Block:
        """The chain, or None when the block does not show it.

        Certificates or ``<Empty>`` show it; without either the interpreter decides (see
        :meth:`Interpreter.certificate_chain`).
        """
        chain = tuple(p for p in parts if isinstance(p, ev.CertInfo))
        shown = bool(chain) or _EMPTY in parts
        return {"kind": "certificate_chain", "chain": chain if shown else None}

    def key_found(self, header: Token, *parts: _Part) -> Block:
        alias = _after(header, "found key for :")
        return {
            "kind": "found_key",
            "alias": alias,
            "chain": tuple(p for p in parts if isinstance(p, ev.CertInfo)),
        }

    def empty(self, token: Token) -> str:
        return _EMPTY

    def end(self, *tokens: Token) -> None:
        return None

    def certificate(self, header: Token, *fields: _Part) -> ev.CertInfo:
        values: dict[str, Any] = {}  # the value of each field, by its name (see _Field)
        for f in fields:  # the first of each: the AuthorityKeyIdentifier's SerialNumber is later
            if isinstance(f, tuple) and f[0] == "validity":
                if "not_before" not in values:
                    values["not_before"], values["not_after"] = f[1]
            elif isinstance(f, tuple):
                values.setdefault(f[0], f[1])
        return ev.CertInfo(
            subject=values.get("subject", ""),
            issuer=values.get("issuer", ""),
            serial=values.get("serial", ""),
            not_before=values.get("not_before"),
            not_after=values.get("not_after"),
            eku=values.get("eku", ()),
            key_usage=values.get("key_usage", ()),
            san=values.get("san", ()),
            is_ca=values.get("is_ca"),
        )

    def subject(self, token: Token) -> _Field:
        return ("subject", _after(token, "Subject:"))

    def issuer(self, token: Token) -> _Field:
        return ("issuer", _after(token, "Issuer:"))

    def validity(self, from_token: Token, to_token: Token | None = None) -> _Field:
        start = _after(from_token, "[From:").rstrip(",")
        end = _after(to_token, "To:").rstrip("]") if to_token is not None else ""
        return ("validity", (parse_date(start), parse_date(end)))

    def serial(self, token: Token) -> _Field:
        return ("serial", normalise_serial(_after(token, "SerialNumber:")))

    def item(self, token: Token) -> str:
        return str(token).strip()

    def eku(self, header: Token, *items: str) -> _Field:
        return ("eku", tuple(EKU_SHORT.get(x, x) for x in items))

    def key_usage(self, header: Token, *items: str) -> _Field:
        return ("key_usage", tuple(items))

    def san(self, header: Token, *items: str) -> _Field:
        # "DNSName: localhost" -> "localhost", as the JDK 11+ reader does
        return ("san", tuple(x.split(":", 1)[1].strip() if ":" in x else x for x in items))

    def basic_constraints(self, header: Token, *items: str) -> _Field:
        return ("is_ca", any(x.replace(" ", "").lower() == "ca:true" for x in items))

    # certificate request
    def certificate_request(self, header: Token, *parts: _Part) -> Block:
        out: Block = {"kind": "certificate_request", "authorities": None, "cert_types": ()}
        for p in parts:
            if isinstance(p, tuple):  # the three field rules below make the only fields here
                if p[0] == "authorities":
                    out["authorities"] = p[1]
                elif p[0] == "cert_types":
                    out["cert_types"] = p[1]
                elif p[0] == "signature_algorithms":
                    out["signature_algorithms"] = p[1]
        return out

    def cert_types(self, token: Token) -> _Field:
        return ("cert_types", tuple(x.strip() for x in _after(token, "Cert Types:").split(",")))

    def signature_algorithms(self, token: Token) -> _Field:
        return ("signature_algorithms", _after(token, "Supported Signature Algorithms:"))

    def authorities(self, header: Token, *dns: str) -> _Field:
        return ("authorities", tuple(d for d in dns if d is not _EMPTY))

    def dn(self, token: Token) -> str:
        return str(token).strip()[1:-1]


def _hello(kind: str, lines: tuple[_Part, ...]) -> Block:
    """A hello block: its kind and the ``sni`` / ``cipher`` its lines show."""
    block: Block = {"kind": kind}
    for x in lines:
        if isinstance(x, tuple):  # server_name and cipher_suite make the only fields here
            if x[0] == "sni":
                block["sni"] = x[1]
            elif x[0] == "cipher":
                block["cipher"] = x[1]
    return block


def unwrap(body: Sequence[str]) -> list[str]:
    """The body with the lines a posted copy wrapped joined back.

    JSSE prints a Subject, an Issuer and a ``<DN>`` on one line, but forums and mail archives
    wrap long lines: a ``Subject:``/``Issuer:`` line ending in ``,`` or a ``<DN`` line without
    its closing ``>`` goes on in the next line (joined with a space after a comma, else with
    nothing, as the wrap may have split a word).
    """
    out: list[str] = []
    open_dn = False
    for line in body:
        if out and (open_dn or _WRAPPED_NAME.match(out[-1])) and line.strip():
            glue = " " if out[-1].rstrip().endswith(",") else ""
            out[-1] = out[-1].rstrip() + glue + line.strip()
        else:
            out.append(line)
        open_dn = out[-1].startswith("<") and not out[-1].rstrip().endswith(">")
    return out


_WRAPPED_NAME = re.compile(r"^\s*(?:Subject|Issuer): .*,\s*$")


def parse_block(record: Record) -> Block:
    """Parse a record's header and body with ``grammars/jsse_legacy.lark``; raises LarkError."""
    text = "\n".join((record.message, *unwrap(record.body))) + "\n"
    # with a transformer Lark returns what the transformer made, not the tree its stub names
    return cast(Block, parser(GRAMMAR, LegacyTransformer).parse(text))


# ----------------------------------------------------------------------------- interpretation

# TLS alert numbers (RFC 5246 §7.2, and 110 unsupported_extension of RFC 4366), as JSSE names them
_ALERT_NAMES = {
    0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 21: "decryption_failed",
    22: "record_overflow", 30: "decompression_failure", 40: "handshake_failure",
    41: "no_certificate", 42: "bad_certificate", 43: "unsupported_certificate",
    44: "certificate_revoked", 45: "certificate_expired", 46: "certificate_unknown",
    47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied", 50: "decode_error",
    51: "decrypt_error", 60: "export_restriction", 70: "protocol_version",
    71: "insufficient_security", 80: "internal_error", 90: "user_canceled",
    100: "no_renegotiation", 110: "unsupported_extension",
}

_CHOOSING = re.compile(
    r"^KeyMgr: choosing key: (?P<alias>.+?)(?: \(verified: (?P<why>[^)]*)\))?\s*$"
)
_BEST = re.compile(r"^ssl: \[(?P<alias>.+?) \(verified: (?P<why>[^)]*)\)")
_IGNORING = re.compile(r"^Ignoring alias (?P<alias>[^:]+): (?P<why>.*)$")


@dataclass(slots=True)
class _HandshakeState:
    """Per-thread position in the handshake, to tell the server's chain from the client's."""

    server_chain: bool = False
    requested: bool = False
    hello_done: bool = False
    hello_done_end: int = 0  # last line of the ``*** ServerHelloDone`` block
    finished: int = 0


class _Base(TypedDict):
    """The fields every event takes from its record (:class:`~loganalyzer.jsse.events.Event`)."""

    where: Location
    thread: ev.Thread
    time: datetime | None
    text: str


@dataclass(slots=True)
class Interpreter:
    """Turns the legacy records of one file into events; remembers what failed to parse."""

    problems: list[Problem] = field(default_factory=list)
    states: dict[tuple[int, str], _HandshakeState] = field(default_factory=dict)

    def run(self, records: Sequence[Record]) -> list[ev.Event]:
        found: list[ev.Event] = []
        for record in infer_threads(records):
            handler = getattr(self, kind_of(record.message), None)
            if handler is None:
                continue
            origin = f"the legacy {kind_of(record.message)} record"
            with boundary(self.problems, record.where, origin):
                try:
                    found += handler(record)
                except LarkError as exc:
                    self.problems.append(_unparsed(record, exc))
        return found

    # helpers
    def _base(self, record: Record) -> _Base:
        return {
            "where": record.where,
            "thread": record.thread,
            "time": record.time,
            "text": record.message,
        }

    def _state(self, record: Record) -> _HandshakeState:
        return self.states.setdefault((record.thread.jvm, record.thread.name), _HandshakeState())

    # handlers, named after the record kinds
    def client_hello(self, record: Record) -> list[ev.Event]:
        self.states[(record.thread.jvm, record.thread.name)] = _HandshakeState()
        block = parse_block(record)
        version = _header(record).group("version")
        return [
            ev.ClientHello(**self._base(record), sni=block.get("sni"), offered_versions=(version,))
        ]

    def server_hello(self, record: Record) -> list[ev.Event]:
        block = parse_block(record)
        version = _header(record).group("version")
        return [ev.ServerHello(**self._base(record), version=version, cipher=block.get("cipher"))]

    def certificate_chain(self, record: Record) -> list[ev.Event]:
        """The chain a ``*** Certificate chain`` block shows.

        Certificates, or ``<Empty>``, or the closing ``***`` straight after the header (JDK 6
        and 7 printed no ``<Empty>``: with ``verbose`` an empty chain is the header and
        ``***``) show it. A header that is cut with neither is a chain printed without
        ``verbose`` (JDK 6/7 printed the ``***`` only with it) or cut where it was posted: its
        content is unknown, so it yields no event.
        """
        chain = parse_block(record)["chain"]
        if chain is None and not record.truncated and not any(x.strip() for x in record.body):
            chain = ()
        if chain is None:
            return []
        state = self._state(record)
        if state.hello_done or (state.server_chain and state.requested):
            return [ev.ClientCertificate(**self._base(record), chain=chain)]
        state.server_chain = True
        return [ev.ServerCertificate(**self._base(record), chain=chain)]

    def certificate_request(self, record: Record) -> list[ev.Event]:
        block = parse_block(record)
        self._state(record).requested = True
        names = block["authorities"]
        state = "listed" if names else "empty" if names is not None else "absent"
        return [
            ev.CertificateRequest(
                **self._base(record),
                ca_names=names or (),
                ca_state=state,
                # One "<DN>" per line: the names are exact, so no raw text is handed on for
                # the TLS 1.2 comma-list re-split the handshake model applies.
                ca_split="exact",
            )
        ]

    def server_hello_done(self, record: Record) -> list[ev.Event]:
        state = self._state(record)
        state.hello_done = True
        state.hello_done_end = record.end_line
        return []

    def record_layer(self, record: Record) -> list[ev.Event]:
        """``<t>, WRITE: TLSv1.2 Handshake`` on the line right after ``*** ServerHelloDone``.

        This JVM wrote the server's flight, so it is the server. A client prints its own
        messages (``*** ClientKeyExchange`` at least) between the two.
        """
        state = self._state(record)
        written = ", WRITE: " in record.message and " Handshake" in record.message
        if written and state.hello_done_end and record.where.line == state.hello_done_end + 1:
            return [ev.ServerRole(**self._base(record))]
        return []

    def finished(self, record: Record) -> list[ev.Event]:
        state = self._state(record)
        state.finished += 1
        return [ev.Finished(**self._base(record))] if state.finished == 2 else []

    def found_key(self, record: Record) -> list[ev.Event]:
        block = parse_block(record)
        chain = block["chain"] or ()  # a found_key block always has one
        return [ev.KeyFound(**self._base(record), alias=block["alias"], chain=chain)]

    def matching_alias(self, record: Record) -> list[ev.Event]:
        alias = _header(record).group("alias")
        return [ev.KeySelection(**self._base(record), outcome="chosen", alias=alias)]

    def no_certificate(self, record: Record) -> list[ev.Event]:
        return [ev.NoClientCertificate(**self._base(record))]

    def key_manager(self, record: Record) -> list[ev.Event]:
        text = record.message[len("ssl: ") :]
        base = self._base(record)
        if m := _CHOOSING.match(text):
            return [
                ev.KeySelection(
                    **base, outcome="chosen", alias=m.group("alias"), reason=m.group("why") or ""
                )
            ]
        if m := _IGNORING.match(text):
            return [
                ev.KeySelection(
                    **base, outcome="ignored", alias=m.group("alias").strip(), reason=m.group("why")
                )
            ]
        if "returning best match" in text:
            best = next((m for m in map(_BEST.match, record.body) if m), None)
            return [
                ev.KeySelection(
                    **base,
                    outcome="best-match",
                    alias=best.group("alias") if best else "",
                    reason=best.group("why") if best else "",
                )
            ]
        return [ev.KeySelection(**base, outcome="none", reason=text)]

    def alert(self, record: Record) -> list[ev.Event]:
        m = _header(record)
        direction = "received" if m.group("direction") == "RECV" else "sent"
        return [
            ev.Alert(
                **self._base(record),
                direction=direction,
                level=m.group("level"),
                description=m.group("description"),
            )
        ]

    def exception(self, record: Record) -> list[ev.Event]:
        text = _header(record).group("text")
        cls, message = split_exception(text)
        alert = RECEIVED_ALERT.search(message)
        return [
            ev.Failure(
                **self._base(record),
                alert=alert.group("alert").upper() if alert else "",
                message=message,
                exception=cls,
            )
        ]

    def close(self, record: Record) -> list[ev.Event]:
        return [ev.Closed(**self._base(record))]

    def rethrow(self, record: Record) -> list[ev.Event]:
        """``<t>, fatal: engine already closed. Rethrowing <exception>``.

        Or the exception on the next line: the failure the engine had already reported, with
        its thread.
        """
        m = _header(record)
        text = m.group("text") or (record.body[0].strip() if record.body else "")
        if not text:
            return []
        cls, message = split_exception(text)
        alert = RECEIVED_ALERT.search(message)
        lines = tuple((record.where.line + 1 + i, x) for i, x in enumerate(record.body))
        return [
            ev.Failure(
                **self._base(record),
                lines=lines,
                alert=alert.group("alert").upper() if alert else "",
                message=message,
                exception=cls,
            )
        ]

    def invalidated(self, record: Record) -> list[ev.Event]:
        return [ev.Closed(**self._base(record))]

    def fatal_error(self, record: Record) -> list[ev.Event]:
        """``<t>, fatal error: 42: null cert chain`` and the cause line under it.

        The number is the alert JSSE sends. ``null cert chain`` is the server's word for a
        client that answered the CertificateRequest with an empty Certificate message
        (``ServerHandshaker.clientCertificate``), so it also stands for that message.
        """
        m = _header(record)
        diagnostic = m.group("text")
        cls, cause = split_exception(record.body[0].strip()) if record.body else ("", "")
        message = cause or diagnostic
        if cause and diagnostic and diagnostic not in cause:
            message = f"{diagnostic}: {cause}"
        lines = tuple((record.where.line + 1 + i, x) for i, x in enumerate(record.body))
        found: list[ev.Event] = []
        if diagnostic == "null cert chain":
            found.append(ev.ClientCertificate(**self._base(record), chain=()))
        found.append(
            ev.Failure(
                **self._base(record),
                lines=lines,
                alert=_ALERT_NAMES.get(int(m.group("code")), "").upper(),
                message=message,
                exception=cls,
            )
        )
        return found


def infer_threads(records: Iterable[Record]) -> list[Record]:
    """The records with each unnamed thread replaced by its nearest named neighbour's.

    Nearest means the fewest lines between the neighbour and the block (its header for a
    neighbour before it, its last line for one after it), within the same JVM; a tie goes to
    the neighbour after the block.
    """
    ordered = list(records)
    before: list[Record | None] = []
    last: dict[int, Record] = {}
    for r in ordered:
        before.append(last.get(r.thread.jvm))
        if r.thread.name:
            last[r.thread.jvm] = r
    after: list[Record | None] = [None] * len(ordered)
    nxt: dict[int, Record] = {}
    for i in range(len(ordered) - 1, -1, -1):
        r = ordered[i]
        after[i] = nxt.get(r.thread.jvm)
        if r.thread.name:
            nxt[r.thread.jvm] = r
    out = []
    for r, prev, follow in zip(ordered, before, after):
        pick = None if r.thread.name else _nearest(r, prev, follow)
        if pick is None:
            out.append(r)
            continue
        out.append(replace(r, thread=replace(r.thread, name=pick.thread.name)))
    return out


def _nearest(r: Record, prev: Record | None, follow: Record | None) -> Record | None:
    """The neighbour fewer lines from ``r``; a tie goes to the one after it."""
    if prev is None or follow is None:
        return follow if prev is None else prev
    d_prev = r.where.line - prev.end_line
    d_next = follow.where.line - r.end_line
    return follow if d_next <= d_prev else prev


def _unparsed(record: Record, exc: Exception) -> Problem:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Problem(
        record.where, f"unparsed JDK 8 debug block '{record.message[:60]}': {reason}", "unparsed"
    )


# The prefilter as text: a line without any of its texts opens no record, and most candidate
# lines of a JDK 11+ log (MID and wrapper lines) are told so with one search instead of sixteen.
_ANY_HEADER = re.compile(LegacyDialect.prefilter.pattern.decode())
