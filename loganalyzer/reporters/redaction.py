"""Redaction: a report document in, the same document out with identifying values pseudonymised.

A customer can forward a redacted report: instance names, host names, IP addresses, user names,
e-mail addresses, DN attribute values, OpenSSL name hashes, certificate serials and record
sys_ids become pseudonyms such as ``instance-1.service-now.com``, ``host-2.example``, ``ip-1``,
``user-1``, ``CN=cn-3``, ``hash-1``, ``serial-2`` and ``sys_id-1``. The same value gets the
same pseudonym everywhere in the report (host names and DN values compare case-insensitively, as
TLS compares them; a host name inside a DN is a host name), so the evidence still shows which CA
name matches which issuer. Pseudonyms are numbered in order of first appearance, so two
different values never share one.

It works on the plain document (:mod:`loganalyzer.reporters.document`), after the diagnosis:
diagnoses are unchanged by construction. Their rule-authored fields (title, meaning, fix, KB,
root cause) are kept as written; only text that came from the logs, and paths, are rewritten.
Line numbers, times, counts and TLS facts (versions, alerts, outcomes) are kept.

Kept on purpose: ``null`` as a user name (the KB's "Could not authenticate user 'null'"), the
vendor domains ``service-now.com`` / ``servicenowservices.com`` themselves, and key-store alias
names (``mid``), which name a key, not a person or a host.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

# Fields a rule wrote; a redactor must never touch them (they would not name a customer anyway).
RULE_FIELDS = frozenset(
    {
        "root_cause",
        "rule",
        "severity",
        "confidence",
        "title",
        "meaning",
        "fix",
        "kb",
        "distinguish",
        "occurrences",
        "first_seen",
    }
)
# Structured fields whose whole value is known to be of one kind.
_HOST_FIELDS = frozenset({"host"})
_SERIAL_FIELDS = frozenset({"serial"})
_USER_FIELDS = frozenset({"user"})
_WHOLE_VALUE_LISTS = frozenset({"san"})
_NOT_USERS = frozenset({"", "null", "none", "-"})
_VENDOR_DOMAINS = ("service-now.com", "servicenowservices.com")
# Single words a DN may hold that also occur in ordinary log text; their DN form is still
# redacted, but they are not hunted for as bare words.
_COMMON_WORDS = frozenset({"servicenow", "servicenow, inc.", "mid servers", "mid server"})
_MIN_BARE = 4  # shorter values (C=US) are only replaced where their context marks them

# Private-use characters: what stands in for a pseudonym while a string is being rewritten, so
# no later pattern can match inside a pseudonym (``instance-1.service-now.com`` is no host).
_HOLD_OPEN, _HOLD_CLOSE, _DIGIT0 = "\ue000", "\ue001", 0xE010
_HELD = re.compile(f"{_HOLD_OPEN}([\ue010-\ue019]+){_HOLD_CLOSE}")

_TLDS = frozenset(
    """
com net org edu gov mil int io info biz co us uk de fr nl be ch at it es se no dk fi ie pt cz jp cn
in au nz ca br mx sg hk kr tw za ru il ae ar cl pl tr gr hu ro lu eu asia cloud app dev tech online
site local localdomain lan corp internal intranet home example test invalid arpa
""".split()
)
_DN_TYPES = (
    r"CN|OU|O|L|ST|C|DC|STREET|EMAILADDRESS|emailAddress|E|UID|SERIALNUMBER|T|TITLE|"
    r"GIVENNAME|SURNAME|SN|INITIALS|GENERATION|DNQUALIFIER|PSEUDONYM|POSTALCODE|"
    r"OID(?:\.\d+)+|\d+(?:\.\d+)+"
)
_DN_ATOM = re.compile(
    rf"(?<![\w.-])(?P<type>{_DN_TYPES})(?P<eq>\s?=\s?)"
    rf"(?P<value>\"(?:[^\"\\]|\\.)*\"?|(?:[^,+\"\]\[\n\\/]|\\.|/(?!(?:{_DN_TYPES})\s?=))*)"
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(
    rf"(?<![\w.@-])(?:\*\.)?(?:{_LABEL}\.)+(?P<tld>[A-Za-z]{{2,63}})(?![\w-]|\.[A-Za-z0-9])"
)
_HOST_WHOLE = re.compile(rf"(?:\*\.)?(?:{_LABEL}\.)+[A-Za-z]{{2,63}}\.?")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.])(?:{_OCTET}\.){{3}}{_OCTET}(?![\w]|\.\d)")
_H = r"[0-9A-Fa-f]{1,4}"
_IPV6 = re.compile(
    rf"(?<![\w:.])(?:(?:{_H}:){{7}}{_H}|(?:{_H}(?::{_H})*)?::(?:{_H}(?::{_H})*)?)(?![\w:])"
)
_EMAIL = re.compile(r"(?<![\w.+%-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w-])")
_URL = re.compile(
    r"(?i)\b(?P<scheme>[a-z][a-z0-9+.-]*://)(?:(?P<user>[^/\s@:\]\[]+)(?::[^/\s@]*)?@)?"
    r"(?P<host>\[[0-9a-f:.]+\]|[^/\s:?#\]\[\"']+)"
)
_SERIAL = re.compile(
    r"(?i)(?P<lead>serial(?:\s*number)?\"?\s*[:=]\s*[\[\"]?\s*)"
    r"(?P<value>[0-9a-f]{2,}(?:[:\s][0-9a-f]{2,})*)"
)
_USER_ASSIGN = re.compile(
    r"(?i)(?<![\w.])(?P<lead>(?:mid\.instance\.)?user(?:[._ ]?name)?|login|"
    r"uid)(?P<sep>\s*[=:]\s*['\"]?)(?P<value>[^\s'\",;\]\[)(]+)"
)
_USER_QUOTED = re.compile(
    r"(?i)(?<![\w.])(?P<lead>user(?:[ _]?name)?\s+)(?P<q>['\"\[])"
    r"(?P<value>[^'\"\]\s]+)(?=['\"\]])"
)
_USER_PATH = re.compile(
    r"(?i)(?P<lead>[/\\](?:home|Users|export[/\\]home|Documents and Settings)[/\\])"
    r"(?P<value>[^/\\\s:'\"]+)"
)
# A ServiceNow record's sys_id: 32 hex digits (a SHA-256 fingerprint is 64, and stays)
# An OpenSSL subject or issuer hash (``openssl x509 -hash``) names its DN as surely as the DN:
# the hash of a public CA's name is one command away.
_DN_HASH = re.compile(r"(?i)(?P<lead>\bhash\s*[:=]?\s*)(?P<value>[0-9a-f]{8})(?![0-9a-z])")
_SYS_ID = re.compile(r"(?<![0-9A-Fa-f:])[0-9a-f]{32}(?![0-9A-Fa-f:])")
_HEX_DUMP = re.compile(r"^(?P<lead>\s*[0-9A-Fa-f]{4,8}:\s)(?:[0-9A-Fa-f]{2}\s){2,}.*$")


def _held(index: int) -> str:
    return _HOLD_OPEN + "".join(chr(_DIGIT0 + int(d)) for d in str(index)) + _HOLD_CLOSE


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return re.sub(r"\\(.)", r"\1", value)


class Redactor:
    """Gives each identifying value one pseudonym and rewrites documents with them.

    Use :func:`redact_document`; a ``Redactor`` is kept only to read :attr:`mapping`.
    """

    def __init__(self) -> None:
        self._pseudonym: dict[tuple[str, str], str] = {}
        self._counter: Counter[str] = Counter()
        self._bare: dict[str, str] = {}  # lower-cased literal text -> pseudonym
        self._bare_pattern: re.Pattern[str] | None = None
        self.mapping: dict[str, str] = {}  # original (as first seen) -> pseudonym

    # -- pseudonyms -------------------------------------------------------------------------

    def _name(
        self, kind: str, key: str, original: str, make: Callable[[int], str], bare: bool = True
    ) -> str:
        found = self._pseudonym.get((kind, key))
        if found is None:
            self._counter[kind] += 1
            found = make(self._counter[kind])
            self._pseudonym[(kind, key)] = found
            self.mapping.setdefault(original, found)
        if bare and len(original) >= _MIN_BARE and original.lower() not in _COMMON_WORDS:
            self._bare.setdefault(original.lower(), found)
        return found

    def host(self, value: str) -> str:
        """A host name: an instance keeps its vendor domain, others become host-N.example."""
        stripped = value.rstrip(".")
        key = stripped.lower()
        if key.startswith("*."):
            return "*." + self.host(stripped[2:])
        for domain in _VENDOR_DOMAINS:
            if key == domain:
                return stripped
            if key.endswith("." + domain):
                short = stripped[: -len(domain) - 1]
                name = self._name("instance", short.lower(), short, lambda n: f"instance-{n}")
                self._name("instance-host", key, stripped, lambda n: f"{name}.{domain}")
                return f"{name}.{domain}"
        if _IPV4.fullmatch(stripped) or _IPV6.fullmatch(stripped):
            return self.ip(stripped)
        return self._name("host", key, stripped, lambda n: f"host-{n}.example")

    def ip(self, value: str) -> str:
        kind = "ipv6" if ":" in value else "ip"
        return self._name(kind, value.lower(), value, lambda n: f"{kind}-{n}", bare=False)

    def email(self, value: str) -> str:
        return self._name("email", value.lower(), value, lambda n: f"email-{n}@example.invalid")

    def user(self, value: str) -> str:
        if value.lower() in _NOT_USERS:
            return value
        return self._name("user", value.lower(), value, lambda n: f"user-{n}")

    def serial(self, value: str) -> str:
        key = re.sub(r"[^0-9a-f]", "", value.lower()).lstrip("0") or "0"
        return self._name("serial", key, value, lambda n: f"serial-{n}", bare=False)

    def dn_hash(self, value: str) -> str:
        """An OpenSSL name hash: the same DN's hash gets the same pseudonym everywhere."""
        if not re.fullmatch(r"[0-9a-fA-F]{8}", value):
            return self.text(value)
        return self._name("hash", value.lower(), value, lambda n: f"hash-{n}", bare=False)

    def sys_id(self, value: str) -> str:
        """A record's sys_id: it names one record of one customer's instance."""
        return self._name("sys_id", value.lower(), value, lambda n: f"sys_id-{n}", bare=False)

    def dn_value(self, kind: str, value: str) -> str:
        """A DN attribute value; a host name, IP or e-mail address in a DN keeps its own kind."""
        plain = _unquote(value)
        if not plain:
            return plain
        if _IPV4.fullmatch(plain) or _IPV6.fullmatch(plain):
            return self.ip(plain)
        if _EMAIL.fullmatch(plain):
            return self.email(plain)
        if _HOST_WHOLE.fullmatch(plain) and "." in plain and plain.rsplit(".", 1)[-1].isalpha():
            return self.host(plain)
        key = " ".join(plain.casefold().split())
        prefix = kind.lower() if re.fullmatch(r"[A-Za-z]+", kind) else "attr"
        return self._name("dn", key, plain, lambda n: f"{prefix}-{n}")

    def whole(self, value: str) -> str:
        """A value known to be one name (a SAN entry): whichever kind it looks like."""
        if value.lower().startswith(("dns:", "ip:", "email:", "uri:")):
            tag, _, rest = value.partition(":")
            return (
                f"{tag}:{self.whole(rest)}" if tag.lower() != "uri" else f"{tag}:{self.text(rest)}"
            )
        if _EMAIL.fullmatch(value):
            return self.email(value)
        return self.host(value) if value else value

    # -- text -------------------------------------------------------------------------------

    def text(self, s: str) -> str:
        """Free text (a log line, a path): every identifying value in it replaced."""
        if not s:
            return s
        held: list[str] = []

        def hold(pseudonym: str) -> str:
            held.append(pseudonym)
            return _held(len(held) - 1)

        m = _HEX_DUMP.match(s)
        if m:  # the bytes of a hex dump spell the same names; none of it is evidence a reader needs
            s = m.group("lead") + hold("[hex dump redacted]")
        s = _SERIAL.sub(lambda m: m.group("lead") + hold(self.serial(m.group("value"))), s)
        s = _SYS_ID.sub(lambda m: hold(self.sys_id(m.group())), s)
        s = _DN_HASH.sub(lambda m: m.group("lead") + hold(self.dn_hash(m.group("value"))), s)
        s = _DN_ATOM.sub(lambda m: self._atom(m, hold), s)
        s = _URL.sub(lambda m: self._url(m, hold), s)
        s = _EMAIL.sub(lambda m: hold(self.email(m.group())), s)
        s = _IPV4.sub(lambda m: hold(self.ip(m.group())), s)
        s = _IPV6.sub(lambda m: m.group() if m.group() == "::" else hold(self.ip(m.group())), s)
        s = _USER_ASSIGN.sub(
            lambda m: m.group("lead") + m.group("sep") + hold(self.user(m.group("value"))), s
        )
        s = _USER_QUOTED.sub(
            lambda m: m.group("lead") + m.group("q") + hold(self.user(m.group("value"))), s
        )
        s = _USER_PATH.sub(lambda m: m.group("lead") + hold(self.user(m.group("value"))), s)
        s = _HOST.sub(
            lambda m: hold(self.host(m.group())) if m.group("tld").lower() in _TLDS else m.group(),
            s,
        )
        if self._bare_pattern is not None:
            s = self._bare_pattern.sub(lambda m: hold(self._bare[m.group().lower()]), s)
        return _HELD.sub(lambda m: held[int("".join(str(ord(c) - _DIGIT0) for c in m.group(1)))], s)

    def _atom(self, m: re.Match[str], hold: Callable[[str], str]) -> str:
        value = m.group("value")
        stripped = value.rstrip()
        if not _unquote(stripped):
            return m.group()
        quoted = stripped.startswith('"')
        closing = '"' if quoted and stripped.endswith('"') and len(stripped) > 1 else ""
        pseudonym = hold(self.dn_value(m.group("type"), stripped))
        return (
            m.group("type")
            + m.group("eq")
            + ('"' if quoted else "")
            + pseudonym
            + closing
            + value[len(stripped) :]
        )

    def _url(self, m: re.Match[str], hold: Callable[[str], str]) -> str:
        out = m.group("scheme")
        if m.group("user"):
            out += hold(self.user(m.group("user"))) + "@"
        host = m.group("host")
        if host.startswith("["):
            return out + "[" + hold(self.ip(host[1:-1])) + "]"
        return out + hold(self.host(host))

    # -- documents --------------------------------------------------------------------------

    def _value(self, key: str | None, value: Any, in_list_of: str | None = None) -> Any:
        if isinstance(value, dict):
            return {
                k: (v if k in RULE_FIELDS and key == "diagnoses" else self._value(k, v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._value(key, v, in_list_of=key) for v in value]
        if not isinstance(value, str):
            return value
        if key in _HOST_FIELDS:
            return self.host(value)
        if key in _SERIAL_FIELDS:
            return self.serial(value)
        if key in _USER_FIELDS:
            return self.user(value)
        if key is not None and key.endswith("_hash"):
            return self.dn_hash(value)
        if in_list_of in _WHOLE_VALUE_LISTS:
            return self.whole(value)
        return self.text(value)

    def document(self, doc: dict[str, Any]) -> dict[str, Any]:
        """``doc`` rewritten (a new object; ``doc`` is left as it was)."""
        out = {k: self._value(k, copy.deepcopy(v)) for k, v in doc.items()}
        if "redacted" in out or "schema_version" in out:
            out["redacted"] = True
        return out

    def learn(self, doc: dict[str, Any]) -> None:
        """Give every value in ``doc`` its pseudonym, then hunt for the values in bare text too."""
        self.document(doc)
        literals = sorted(self._bare, key=len, reverse=True)
        if literals:
            alternatives = "|".join(re.escape(v) for v in literals)
            self._bare_pattern = re.compile(
                rf"(?i)(?<![\w.-])(?:{alternatives})(?![\w-]|\.[A-Za-z0-9])"
            )


def redact_document(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``doc`` (an ``analyze`` or ``parse`` document) with identifying values replaced."""
    redactor = Redactor()
    redactor.learn(doc)
    return redactor.document(doc)
