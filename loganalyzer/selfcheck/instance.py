"""The instance's records of mutual authentication, read with the Table API.

The records the KB's troubleshooting asks about, compared with the MID Server's certificate
chain. What is read, with GET requests to ``/api/now/table/<table>`` and nothing else:

1. ``v_plugin``: is the plugin ``com.glide.auth.mutual`` active;
2. ``sys_ca_certificate``: is every CA of the MID Server's chain in a record that is active, of
   type "CA Cert" (a record of type "Intermediate Cert" stays on the instance and is not synced
   to the load balancer) and published (Publish Status "Exists");
3. ``sys_user_certificate``: is the leaf's record active, and does its SHA-256 fingerprint
   equal the leaf's (the instance keeps the fingerprint, not the certificate);
4. ``ecc_agent``: does the MID Server's record show "Is using mutual authentication?".

The documentation names these tables but not most of their columns, so the columns are found
by their labels in ``sys_dictionary`` (following ``sys_db_object``'s ``super_class`` to the
tables they inherit from), and the report says which column each check used. A column that
cannot be found, or a table the user may not read, makes that check "could not check"
(unknown), never clean.

The client is bounded: a timeout per network step, a few retries for 429 (honouring
``Retry-After`` up to a cap) and 5xx (with backoff), pagination through the ``Link`` headers up
to a page cap, no redirects followed, and the next page only on the instance itself. Proxies
come from the environment or, as the MID Server does, from config.xml's ``mid.proxy.*``.

Credentials come from environment variables or ``~/.netrc`` (the CLI adds a prompt). They are
sent only in the ``Authorization`` header, and no message, report or ``repr`` holds them: every
text this module makes from a server's answer is scrubbed of them.

The library never prints or exits; failures the user can act on are :class:`InstanceError`
(one line), kept as problems so the other parts of a self-check are still reported.
"""

from __future__ import annotations

import email.utils
import hashlib
import os
import re
import ssl
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from loganalyzer.analysis.setup_facts import InstanceFacts, Located, Observation
from loganalyzer.errors import Location, LogAnalyzerError, Problem, require
from loganalyzer.vocabulary import NO, UNKNOWN, YES

if TYPE_CHECKING:
    import requests

    from loganalyzer.selfcheck.certs import Cert, CertReport

PLUGIN_ID = "com.glide.auth.mutual"
TABLE_PATH = "/api/now/table/"
DEFAULT_TIMEOUT = 10.0
PAGE_SIZE = 100
MAX_PAGES = 50  # 5,000 records of one table: far more than a CA or user-certificate table holds
RETRIES = 2  # tries after the first, for 429 and 5xx answers
BACKOFF = 0.5  # seconds before the first retry of a 5xx; doubled for each next one
MAX_RETRY_AFTER = 30.0  # a longer Retry-After is not waited for: the check stops and says so
MAX_PARENTS = 8  # sys_db_object super_class steps followed
MAX_MESSAGE = 200  # characters of a server's error message kept

# The labels each check looks for, as sys_dictionary has them (compared without case or
# punctuation). The first that a table has wins.
ACTIVE = ("Active",)
TYPE = ("Type",)
PUBLISH_STATUS = ("Publish Status", "Publishing Status")
SUBJECT = ("Subject", "Subject Distinguished Name", "Subject DN", "Subject Name")
NAME = ("Name",)
PLUGIN_KEY = ("ID",)
PLUGIN_STATE = ("Active", "Status")
MID_MUTUAL = ("Is using mutual authentication?", "Is using mutual authentication",
              "Using mutual authentication")

INTERMEDIATE_TYPE = "Intermediate Cert"
CA_TYPE = "CA Cert"
PUBLISHED = "Exists"


class InstanceError(LogAnalyzerError):
    """The Table API could not be read at all (one line, never holding a credential).

    Credentials refused, rate limited, server errors, a timeout, a TLS or proxy failure.
    """


class TableUnreadable(InstanceError):
    """One table could not be read (no rights, no such table): that check is unknown."""

    def __init__(self, message: str, where: Location | None = None, table: str = "",
                 why: str = "") -> None:
        super().__init__(message, where)
        self.table = table
        self.why = why  # "HTTP 403", "more than 5000 records"


# ----------------------------------------------------------------------------- credentials


@dataclass(frozen=True)
class Credentials:
    """Basic authentication (user, password) or an OAuth bearer token, and where it came from.

    ``source`` says where ("the variables SN_USER and SN_PASSWORD", "~/.netrc"), never what;
    the ``repr`` shows the kind and the source only.
    """

    kind: str  # basic | bearer
    user: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)
    source: str = ""

    def __repr__(self) -> str:
        return f"Credentials({self.kind}, from {self.source})"

    __str__ = __repr__

    @property
    def described(self) -> str:
        what = "basic authentication" if self.kind == "basic" else "an OAuth bearer token"
        return f"{what} from {self.source}"

    def scrub(self, text: str) -> str:
        """``text`` with the user name and the secret replaced, wherever a server echoed them."""
        for value in (self.secret, self.user):
            if value and len(value) >= 3:
                text = text.replace(value, "***")
        return text


def from_environment(user_var: str | None = None, password_var: str | None = None,
                     token_var: str | None = None,
                     environ: Mapping[str, str] | None = None) -> Credentials:
    """Credentials from named environment variables.

    ``token_var`` gives a bearer token, ``user_var`` and ``password_var`` basic authentication.
    A variable that is not set is an error naming the variable (never its value).
    """
    env = os.environ if environ is None else environ

    def value(var: str) -> str:
        found = env.get(var)
        if not found:
            raise InstanceError(f"the environment variable {var} is not set (or empty)")
        return found

    if token_var:
        return Credentials("bearer", secret=value(token_var), source=f"the variable {token_var}")
    if user_var and password_var:
        return Credentials("basic", user=value(user_var), secret=value(password_var),
                           source=f"the variables {user_var} and {password_var}")
    raise InstanceError("give a user and a password variable, or a token variable")


def netrc_path(environ: Mapping[str, str] | None = None) -> str:
    """The netrc file: ``$NETRC`` when set (as curl and requests read it), else ``~/.netrc``."""
    env = os.environ if environ is None else environ
    return env.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")


def from_netrc(host: str, path: str | None = None) -> Credentials | None:
    """The netrc entry of ``host`` (never the ``default`` entry), None when there is none.

    A file that cannot be parsed is an error naming its line, but not its text: the token the
    parser stopped at may be a password.
    """
    import netrc

    where = path or netrc_path()
    if not os.path.isfile(where):
        return None
    try:
        # the host's own entry only: a "default" entry was written for other hosts, and would
        # send their credentials to this one
        hosts = netrc.netrc(where).hosts
        entry = hosts.get(host) or hosts.get(host.lower())
    except netrc.NetrcParseError as exc:
        raise InstanceError("cannot parse this netrc file (its text is not shown: it may hold "
                            "a password)", Location(where, exc.lineno or 0)) from None
    except OSError as exc:
        raise InstanceError(f"cannot read: {exc.strerror or exc}", Location(where)) from None
    if entry is None:
        return None
    login, _account, password = entry
    if not login or not password:
        return None
    return Credentials("basic", user=login, secret=password, source=f"{where} (machine {host})")


# ----------------------------------------------------------------------------- the client


def parse_instance(url: str) -> tuple[str, str, int]:
    """(normalised https URL, host, port) of the instance; as the probe reads it."""
    from loganalyzer.selfcheck.probe import ProbeError, parse_url

    try:
        return parse_url(url)
    except ProbeError as exc:
        raise InstanceError(exc.message) from None


class TableApi:
    """Read-only access to ``/api/now/table``.

    :meth:`records` is the only call, and it sends GET requests only (``sent`` lists every
    request, for the report and the tests).
    """

    def __init__(self, url: str, credentials: Credentials, *, timeout: float = DEFAULT_TIMEOUT,
                 ca_bundle: str | None = None, proxy: tuple[str, int] | None = None,
                 retries: int = RETRIES, backoff: float = BACKOFF,
                 max_retry_after: float = MAX_RETRY_AFTER, page_size: int = PAGE_SIZE,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.requests = require("requests", "requests")
        self.url, self.host, self.port = parse_instance(url)
        self.credentials = credentials
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.page_size = page_size
        self.sleep = sleep if sleep is not None else lambda seconds: time.sleep(seconds)
        self.proxy = proxy
        self.sent: list[str] = []  # "GET /api/now/table/...": every request, as sent
        self.unreadable: dict[str, TableUnreadable] = {}  # table -> its 400, 403 or 404
        if ca_bundle is not None and not os.path.isfile(ca_bundle):
            raise InstanceError("no such file (the CA bundle to verify the instance with)",
                                Location(ca_bundle))
        session = self.requests.Session()
        session.headers.update({"Accept": "application/json",
                                "User-Agent": "loganalyzer-instance-check"})
        # given on every request: a session's verify gives way to REQUESTS_CA_BUNDLE
        self.verify: str | bool = ca_bundle if ca_bundle else _system_store()
        self.trust = f"bundle {ca_bundle}" if ca_bundle else "the system store"
        if proxy is not None:
            address = f"http://{_authority(*proxy)}"
            session.proxies = {"https": address, "http": address}
        # always an auth object: without one, requests would put ~/.netrc's login in its place
        session.auth = (credentials.user, credentials.secret) if credentials.kind == "basic" \
            else _bearer(credentials.secret)
        self.session: requests.Session = session

    @property
    def where(self) -> Location:
        return Location(self.url)

    @property
    def methods(self) -> set[str]:
        return {line.split(" ", 1)[0] for line in self.sent}

    def table_url(self, table: str) -> str:
        return f"{self.url}{TABLE_PATH}{table}"

    def close(self) -> None:
        self.session.close()

    def records(self, table: str, query: str = "", fields: Sequence[str] = (),
                display: bool = True) -> list[dict[str, Any]]:
        """Every record of ``table`` that ``query`` selects, page by page.

        The pages follow the ``Link`` header's ``next``. With ``display`` each field is
        ``{"value", "display_value"}``.
        """
        params = {"sysparm_query": query, "sysparm_fields": ",".join(fields),
                  "sysparm_limit": str(self.page_size), "sysparm_offset": "0",
                  "sysparm_exclude_reference_link": "true",
                  "sysparm_display_value": "all" if display else "false"}
        url: str | None = self.table_url(table)
        out: list[dict[str, Any]] = []
        pages = 0
        seen: set[str] = set()
        while url is not None and pages < MAX_PAGES:
            answer = self._get(url, table, params if pages == 0 else None)
            pages += 1
            out.extend(self._result(answer, table))
            url = self._next(answer, table, seen)
        if url is not None:  # a part of the table would be judged as the whole: say so instead
            limit = MAX_PAGES * self.page_size
            raise TableUnreadable(f"more than {limit} records: {table} was not read whole",
                                  Location(self.table_url(table)), table,
                                  f"more than {limit} records")
        return out

    # -- one request, with its retries

    def _get(self, url: str, table: str, params: dict[str, str] | None) -> requests.Response:
        where = Location(self.table_url(table))
        if table in self.unreadable:  # said once: the same answer again would say nothing new
            raise self.unreadable[table]
        exc_type = self.requests.exceptions
        tries = 0
        while True:
            tries += 1
            self.sent.append(f"GET {urlsplit(url).path}")
            try:
                answer = self.session.get(url, params=params, timeout=self.timeout,
                                          allow_redirects=False, verify=self.verify)
            except exc_type.Timeout:
                raise InstanceError(self._say(f"no answer within {self.timeout:g} s from "
                                              f"{self._target()}"), where) from None
            except exc_type.ProxyError as exc:
                raise InstanceError(self._say(f"proxy {self._proxy_text()}: {_reason(exc)}"),
                                    where) from None
            except exc_type.SSLError as exc:
                raise InstanceError(self._say(
                    f"TLS error with {self._target()}: {_reason(exc)} (give the CA that signed "
                    "the instance's certificate with --ca-bundle)"), where) from None
            except exc_type.RequestException as exc:
                raise InstanceError(self._say(f"{self._target()}: {_reason(exc)}"), where) \
                    from None
            status = answer.status_code
            if status == 429 or status >= 500:
                wait = self._wait(answer, tries)
                if wait is not None:
                    answer.close()
                    self.sleep(wait)
                    continue
                raise InstanceError(self._say(self._failed(answer, tries)), where)
            said = self._message(answer)
            if status == 401:
                raise InstanceError(self._say(
                    f"401 {said or 'Unauthorized'}: the instance refused the credentials "
                    f"({self.credentials.described})"), where)
            if status in (400, 403, 404):
                why = (f"this user may not read {table} (the check needs read access to it)"
                       if status == 403 else f"{table} cannot be read on this instance")
                error = TableUnreadable(self._say(f"{status} {said or answer.reason}: {why}"),
                                        where, table, f"HTTP {status}")
                self.unreadable[table] = error
                raise error
            if 300 <= status < 400:
                target = answer.headers.get("Location", "")
                raise InstanceError(self._say(
                    f"answered {status} with a redirect"
                    + (f" to {urlsplit(target).netloc or target}" if target else "")
                    + ": the URL is not the instance's, or API calls are sent to a login page"),
                    where)
            if status != 200:
                raise InstanceError(self._say(f"HTTP {status} {said or answer.reason}"), where)
            return answer

    def _wait(self, answer: requests.Response, tries: int) -> float | None:
        """Seconds to wait before trying again; None when the retries are spent.

        None too when the server asks for a longer wait than the cap.
        """
        if tries > self.retries:
            return None
        if answer.status_code == 429:
            after = _retry_after(answer.headers.get("Retry-After"))
            if after is None:
                after = self.backoff * 2.0 ** (tries - 1)
            return after if after <= self.max_retry_after else None
        return self.backoff * 2.0 ** (tries - 1)

    def _failed(self, answer: requests.Response, tries: int) -> str:
        said = self._message(answer)
        times = "once" if tries == 1 else f"{tries} times"
        if answer.status_code == 429:
            after = answer.headers.get("Retry-After")
            return (f"429 {said or 'Too Many Requests'}: the instance rate-limits this user "
                    f"(tried {times}"
                    + (f"; it asks to wait {after} s" if after else "") + "); try again later")
        return (f"HTTP {answer.status_code} {said or answer.reason or 'server error'} "
                f"(tried {times})")

    def _message(self, answer: requests.Response) -> str:
        """The Table API's ``error.message`` (one line, cut), else nothing."""
        try:
            data = answer.json()
        except ValueError:
            return ""
        error = data.get("error") if isinstance(data, dict) else None
        text = ""
        if isinstance(error, dict):
            text = str(error.get("message") or "")
        elif isinstance(error, str):
            text = error
        return " ".join(text.split())[:MAX_MESSAGE]

    def _result(self, answer: requests.Response, table: str) -> list[dict[str, Any]]:
        try:
            data = answer.json()
        except ValueError:
            data = None
        result = data.get("result") if isinstance(data, dict) else None
        if not isinstance(result, list):
            kind = answer.headers.get("Content-Type", "").split(";")[0] or "no content type"
            raise InstanceError(self._say(
                f"the answer is not Table API JSON ({kind}): the URL is not the instance's, or "
                "a proxy or login page answered"), Location(self.table_url(table)))
        return [r for r in result if isinstance(r, dict)]

    def _next(self, answer: requests.Response, table: str, seen: set[str]) -> str | None:
        """The ``rel="next"`` page, or None after the last.

        It is followed only when it is on the instance itself (credentials go nowhere else)
        and not a page already read.
        """
        link = answer.links.get("next", {}).get("url")
        if not link:
            return None
        parts = urlsplit(link)
        if parts.scheme.lower() != "https" or (parts.hostname or "").lower() != self.host.lower() \
                or (parts.port or 443) != self.port or not parts.path.startswith(TABLE_PATH):
            raise InstanceError(self._say(
                f"the next page is not on the instance ({parts.netloc or link}); not followed"),
                Location(self.table_url(table)))
        if link in seen:
            return None
        seen.add(link)
        return link

    def _target(self) -> str:
        via = f" (through proxy {self._proxy_text()})" if self.proxy else ""
        return f"{_authority(self.host, self.port)}{via}"

    def _proxy_text(self) -> str:
        return _authority(*self.proxy) if self.proxy else "from the environment"

    def _say(self, text: str) -> str:
        return self.credentials.scrub(text)


def _system_store() -> str | bool:
    """OpenSSL's default CA file or folder, as the probe verifies with.

    SSL_CERT_FILE and SSL_CERT_DIR apply; requests' own bundle is used only when there is none.
    """
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.capath):
        if candidate and os.path.exists(candidate):
            return candidate
    return True


def _bearer(token: str) -> requests.auth.AuthBase:
    """An OAuth bearer token as requests' auth object; its ``repr`` hides the token."""
    import requests.auth

    class Bearer(requests.auth.AuthBase):
        def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
            request.headers["Authorization"] = f"Bearer {token}"
            return request

        def __repr__(self) -> str:
            return "Bearer(***)"

    return Bearer()


def _authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: a number, or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests failure in a few words (refused, DNS, TLS verify)."""
    import socket

    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    found: list[BaseException] = []
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        found.append(e)
        for nested in (e.__cause__, e.__context__, getattr(e, "reason", None), *e.args):
            if isinstance(nested, BaseException):
                stack.append(nested)
    for e in found:
        if isinstance(e, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {e.verify_message}"
    for e in found:
        if isinstance(e, ConnectionRefusedError):
            return "connection refused"
        if isinstance(e, socket.gaierror):
            return f"cannot resolve the host name: {e.strerror or e}"
        if isinstance(e, ssl.SSLError):
            return str(e.reason or e)
    for e in found:
        if isinstance(e, OSError) and e.strerror:
            return e.strerror
    text = " ".join(str(exc).split())
    return text[:MAX_MESSAGE] or type(exc).__name__


# ----------------------------------------------------------------------------- columns


def _label_key(label: str) -> str:
    text = label.casefold().replace("sha-", "sha").replace("sha 256", "sha256")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


@dataclass
class Columns:
    """The columns of one table (and the tables it extends) by label, from sys_dictionary."""

    table: str
    tables: list[str]
    by_label: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (element, label)

    def find(self, labels: Iterable[str]) -> tuple[str, str] | None:
        """(column, label) of the first of ``labels`` the table has."""
        for label in labels:
            hit = self.by_label.get(_label_key(label))
            if hit is not None:
                return hit
        return None

    def fingerprint(self) -> tuple[str, str] | None:
        """The fingerprint column: a label with "fingerprint" or "thumbprint", SHA-256 first."""
        hits = [(k, v) for k, v in self.by_label.items()
                if "fingerprint" in k or "thumbprint" in k]
        hits.sort(key=lambda kv: (0 if "256" in kv[0] else 1 if "sha" not in kv[0] else 2, kv[0]))
        return hits[0][1] if hits else None

    def pem(self) -> tuple[str, str] | None:
        """A column holding the certificate itself: a label with the word PEM."""
        hits = sorted((k, v) for k, v in self.by_label.items() if "pem" in k.split())
        return hits[0][1] if hits else None


def read_columns(api: TableApi, table: str) -> Columns:
    """The columns of ``table`` by label.

    They are its sys_dictionary entries and those of the tables it extends (sys_db_object's
    super_class); a label the table itself has wins over its parents'.
    """
    tables = [table]
    for _ in range(MAX_PARENTS):
        rows = api.records("sys_db_object", f"name={tables[-1]}", ["name", "super_class.name"],
                           display=False)
        parent = str(rows[0].get("super_class.name") or "") if rows else ""
        if not parent or parent in tables:
            break
        tables.append(parent)
    rows = api.records("sys_dictionary", f"nameIN{','.join(tables)}^elementISNOTEMPTY",
                       ["name", "element", "column_label"], display=False)
    out = Columns(table, tables)
    order = {name: n for n, name in enumerate(tables)}
    rows.sort(key=lambda r: order.get(str(r.get("name")), len(tables)))
    for r in rows:
        element, label = str(r.get("element") or ""), str(r.get("column_label") or "")
        if element and label:
            out.by_label.setdefault(_label_key(label), (element, label))
    return out


# ----------------------------------------------------------------------------- records


def _value(record: Mapping[str, Any], column: str) -> tuple[str, str]:
    """(value, display value) of a field read with ``sysparm_display_value=all``."""
    raw = record.get(column)
    if isinstance(raw, dict):
        value, display = raw.get("value"), raw.get("display_value")
        return ("" if value is None else str(value),
                "" if display is None else str(display))
    text = "" if raw is None else str(raw)
    return text, text


def _true(value: str) -> bool | None:
    text = value.strip().lower()
    if text in ("true", "1", "yes", "active"):
        return True
    if text in ("false", "0", "no", "inactive"):
        return False
    return None


def _hex(value: str) -> str:
    return re.sub(r"[^0-9a-f]", "", value.lower())


def _colons(hexdigits: str) -> str:
    return ":".join(hexdigits[i:i + 2] for i in range(0, len(hexdigits), 2)).upper()


_DN_ATOM = re.compile(r'([A-Za-z][\w.-]*)\s*=\s*("(?:[^"\\]|\\.)*"|(?:[^,+\\]|\\.)*)')
_SLASH_ATOM = re.compile(r"/(?=[A-Za-z][\w.-]*\s*=)")


def _dn_key(dn: str) -> tuple[str, ...]:
    """A DN as a sorted set of TYPE=value atoms, comparable whatever its form.

    "CN=a, O=b", "O=b,CN=a" and "/O=b/CN=a" compare equal (quotes and escapes undone, case and
    runs of spaces ignored).
    """
    text = dn.strip()
    if text.startswith("/"):  # openssl's one-line form: commas are part of the values
        atoms = [tuple(a.partition("=")[::2]) for a in _SLASH_ATOM.split(text[1:]) if "=" in a]
    else:
        atoms = _DN_ATOM.findall(text)
    out = []
    for kind, value in atoms:
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        value = re.sub(r"\\(.)", r"\1", value)
        out.append(f"{kind.strip().upper()}={' '.join(value.casefold().split())}")
    return tuple(sorted(out))


def _pem_fingerprints(text: str) -> set[str]:
    from cryptography import x509

    if "BEGIN CERTIFICATE" not in text:
        return set()
    try:
        certs = x509.load_pem_x509_certificates(text.encode())
    except ValueError:
        return set()
    return {hashlib.sha256(c.public_bytes(_der())).hexdigest() for c in certs}


def _der() -> Any:
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


def fingerprints(cert: Cert) -> tuple[str, str]:
    """(SHA-256, SHA-1) of a certificate, as plain lower-case hex."""
    der = cert.x509.public_bytes(_der())
    return hashlib.sha256(der).hexdigest(), hashlib.sha1(der).hexdigest()  # noqa: S324


@dataclass
class Record:
    """One record as the report names it: table, sys_id and display name."""

    table: str
    sys_id: str
    name: str
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)  # column -> (value, shown)

    def named(self) -> str:
        shown = f"'{self.name}'" if self.name else "(no name)"
        return f"{self.table} record {shown} (sys_id {self.sys_id or '?'})"

    def shown(self, column: str) -> str:
        value, display = self.fields.get(column, ("", ""))
        return display or value


@dataclass
class CheckRow:
    """One line of the report: what was checked, and what was found (or why it could not be)."""

    label: str
    value: str


@dataclass
class InstanceRecords:
    """What the Table API showed, the facts the rules judge, and what could not be checked."""

    url: str
    credentials: str = ""  # how the user authenticated, never with what
    proxy: str = ""
    rows: list[CheckRow] = field(default_factory=list)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> label -> column
    sent: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    facts: InstanceFacts = field(default_factory=InstanceFacts)
    evidence: dict[str, list[Located]] = field(default_factory=dict)
    observation: Observation | None = None

    @property
    def where(self) -> Location:
        return Location(self.url)

    @property
    def unchecked(self) -> list[str]:
        return self.facts.unchecked

    def as_dict(self) -> dict[str, Any]:
        f = self.facts
        return {
            "url": self.url, "credentials": self.credentials, "proxy": self.proxy or None,
            "plugin": f.plugin, "ca_check": f.ca_check, "cas": f.cas,
            "cas_missing": f.cas_missing, "cas_inactive": f.cas_inactive,
            "cas_intermediate": f.cas_intermediate, "cas_unpublished": f.cas_unpublished,
            "user_certificate": f.user_cert, "user_certificate_record": f.user_cert_record,
            "leaf_sha256": f.leaf_fingerprint, "mid_server": f.mid_name,
            "mid_record": f.mid_record, "mid_mutual": f.mid_mutual,
            "could_not_check": list(f.unchecked), "columns": self.columns,
            "requests": list(self.sent),
            "checks": [{"label": r.label, "value": r.value} for r in self.rows],
        }

    def row(self, label: str, value: str) -> None:
        self.rows.append(CheckRow(label, value))

    def cite(self, name: str, path: str, text: str, line: int = 0) -> None:
        self.evidence.setdefault(name, []).append(Located(path, line, text))


def read(url: str, credentials: Credentials, *, report: CertReport | None = None,
         mid_name: str | None = None, timeout: float = DEFAULT_TIMEOUT,
         ca_bundle: str | None = None, proxy: tuple[str, int] | None = None,
         retries: int = RETRIES, backoff: float = BACKOFF,
         page_size: int = PAGE_SIZE) -> InstanceRecords:
    """Read the instance's records and compare them with ``report``'s chain and ``mid_name``.

    A failure that stops the reading (credentials refused, rate limited, server errors,
    timeout) becomes a problem; the checks made before it keep their findings and the rest are
    "could not check". A bad URL or CA bundle raises :class:`InstanceError`.
    """
    api = TableApi(url, credentials, timeout=timeout, ca_bundle=ca_bundle, proxy=proxy,
                   retries=retries, backoff=backoff, page_size=page_size)
    out = InstanceRecords(api.url, credentials=credentials.described,
                          proxy=_authority(*proxy) if proxy else "")
    out.facts.url = api.url
    out.row("instance", api.url + (f" (through proxy {out.proxy})" if out.proxy else ""))
    out.row("credentials", credentials.described)
    out.row("server certificate", f"verified against {api.trust}")
    steps: list[tuple[str, Callable[[], None]]] = [
        ("plugin", lambda: _plugin(api, out)),
        ("CA records", lambda: _cas(api, out, report)),
        ("user certificate", lambda: _user_certificate(api, out, report, mid_name)),
        ("MID Server record", lambda: _mid_record(api, out, mid_name)),
    ]
    try:
        for n, (what, step) in enumerate(steps):
            try:
                step()
            except TableUnreadable as exc:  # this check is unknown; the next ones go on
                if not any(p.message == exc.message for p in out.problems):
                    out.problems.append(Problem(exc.where or api.where, exc.message))
                _give_up(out, what, report, mid_name, f"{exc.table} cannot be read "
                                                      f"({exc.why})")
            except InstanceError as exc:  # nothing more can be read: the rest is unknown
                out.problems.append(Problem(exc.where or api.where, exc.message))
                for later, _ in steps[n:]:
                    _give_up(out, later, report, mid_name,
                             "the Table API stopped answering (see the problems)")
                break
    finally:
        api.close()
    out.sent = list(api.sent)
    out.row("requests", f"{len(api.sent)} sent, all GET" if api.methods <= {"GET"}
            else f"{len(api.sent)} sent: {', '.join(sorted(api.methods))}")
    out.observation = Observation("instance", api.url, out.facts, out.evidence)
    return out


def _give_up(out: InstanceRecords, what: str, report: CertReport | None,
             mid_name: str | None, why: str) -> None:
    """Mark a check that could not be made (a table not readable, or the reading stopped).

    A check that had no input, or had already finished, stays as it is.
    """
    f = out.facts
    has_leaf = report is not None and report.leaf is not None
    if what == "plugin":
        if f.plugin != UNKNOWN:
            return
        what = f"plugin {PLUGIN_ID}"
    elif what == "CA records":
        if not has_leaf or f.ca_check not in ("", UNKNOWN):
            return
        f.ca_check = UNKNOWN
    elif what == "user certificate":
        if not has_leaf or f.user_cert not in ("", UNKNOWN):
            return
        f.user_cert = UNKNOWN
    elif what == "MID Server record":
        if not mid_name or f.mid_record not in ("", UNKNOWN):
            return
        f.mid_name = mid_name
        f.mid_record = UNKNOWN
    if any(u.startswith(f"{what}:") for u in f.unchecked):
        return
    _unknown(out, what, why)


def _columns(api: TableApi, out: InstanceRecords, table: str) -> Columns:
    cols = read_columns(api, table)
    out.columns[table] = {label: element for element, label in cols.by_label.values()}
    return cols


def _unknown(out: InstanceRecords, what: str, why: str) -> None:
    out.facts.unchecked.append(f"{what}: {why}")
    out.row(what, f"could not check: {why}")


def _missing_label(table: str, labels: Sequence[str], cols: Columns) -> str:
    return (f"no column labelled {' or '.join(repr(x) for x in labels)} in {table}"
            + (f" (or {', '.join(cols.tables[1:])})" if len(cols.tables) > 1 else ""))


def _record(table: str, raw: Mapping[str, Any], columns: Iterable[str],
            name_column: str | None) -> Record:
    sys_id = _value(raw, "sys_id")[0]
    name = _value(raw, name_column)[1] if name_column else ""
    return Record(table, sys_id, name, {c: _value(raw, c) for c in columns})


#: the evidence name of each table's columns, where a rule cites them
_COLUMN_EVIDENCE = {"sys_ca_certificate": "ca_columns", "sys_user_certificate": "user_columns"}


def _used(out: InstanceRecords, table: str, used: Iterable[tuple[str, tuple[str, str]]]) -> str:
    """The columns a check read, "what = column ('Label')", cited for the rules and the report."""
    text = ", ".join(f"{what} = {element} ('{label}')" for what, (element, label) in used)
    out.row(f"{table} columns", text)
    if table in _COLUMN_EVIDENCE:
        out.cite(_COLUMN_EVIDENCE[table], f"{out.url}{TABLE_PATH}sys_dictionary",
                 f"{table}: {text}")
    return text


# -- 1. the plugin


def _plugin(api: TableApi, out: InstanceRecords) -> None:
    table = "v_plugin"
    what = f"plugin {PLUGIN_ID}"
    cols = _columns(api, out, table)
    key, state, name = cols.find(PLUGIN_KEY), cols.find(PLUGIN_STATE), cols.find(NAME)
    if key is None or state is None:
        out.facts.plugin = UNKNOWN
        _unknown(out, what, _missing_label(table, PLUGIN_KEY if key is None else PLUGIN_STATE,
                                           cols))
        return
    _used(out, table, [("id", key), ("state", state)])
    fields = ["sys_id", key[0], state[0]] + ([name[0]] if name else [])
    rows = api.records(table, f"{key[0]}={PLUGIN_ID}", fields)
    path = api.table_url(table)
    if not rows:
        out.facts.plugin = "missing"
        out.cite("plugin", path, f"{table}: no record with {key[1]} = {PLUGIN_ID} (the plugin is "
                                 "not installed, or this user cannot see it)")
        out.row(what, "no record: not installed (or not visible to this user)")
        return
    record = _record(table, rows[0], [state[0]], name[0] if name else None)
    value, shown = record.fields[state[0]]
    active = _true(value)
    if active is None:
        active = _true(shown)
    out.facts.plugin = UNKNOWN if active is None else "active" if active else "inactive"
    text = f"{record.named()}: {state[1]} = {shown or value or '(empty)'}"
    out.cite("plugin", path, text)
    if active is None:
        _unknown(out, what, f"{state[1]} reads {shown or value or '(empty)'!r}, neither active "
                            "nor inactive")
    else:
        out.row(what, ("active" if active else "NOT active") + f" ({text})")


# -- 2. the CA records


@dataclass
class _ChainCa:
    subject: str
    cert: Cert | None  # None: named by the chain, not in the files (only its name can match)
    sha256: str = ""
    sha1: str = ""


def _chain_cas(report: CertReport) -> list[_ChainCa]:
    out = []
    for c in report.cas:
        sha256, sha1 = fingerprints(c)
        out.append(_ChainCa(c.subject, c, sha256, sha1))
    if report.chain and report.chain[-1].status == "missing":
        out.append(_ChainCa(report.chain[-1].cert.issuer, None))
    return out


def _holds(record: Record, ca: _ChainCa, pem: str | None, fingerprint: str | None,
           subject: str | None) -> bool:
    if pem and ca.sha256:
        value = record.fields.get(pem, ("", ""))[0]
        if value and ca.sha256 in _pem_fingerprints(value):
            return True
    if fingerprint and ca.sha256:
        value = _hex(record.fields.get(fingerprint, ("", ""))[0])
        if value and value in (ca.sha256, ca.sha1):
            return True
    if subject:
        return any(v and _dn_key(v) == _dn_key(ca.subject)
                   for v in record.fields.get(subject, ("", "")))
    return False


def _cas(api: TableApi, out: InstanceRecords, report: CertReport | None) -> None:
    f = out.facts
    if report is None or report.leaf is None:
        out.row("CA records", "not checked: give the MID Server's certificate chain (--certs)")
        return
    table = "sys_ca_certificate"
    chain = _chain_cas(report)
    f.cas = [c.subject for c in chain]
    if not chain:
        f.ca_check = "done"
        out.row("CA records", "nothing to check: the files hold no CA above the leaf")
        return
    cols = _columns(api, out, table)
    active, kind, publish = cols.find(ACTIVE), cols.find(TYPE), cols.find(PUBLISH_STATUS)
    pem, fingerprint, subject = cols.pem(), cols.fingerprint(), cols.find(SUBJECT)
    name = cols.find(NAME)
    keys = [("certificate", pem), ("fingerprint", fingerprint), ("subject", subject)]
    used = [(what, c) for what, c in keys if c is not None]
    if not used:
        f.ca_check = UNKNOWN
        _unknown(out, "CA records", f"no column of {table} holds the certificate, its "
                                    "fingerprint or its subject, to find the chain's CAs by")
        return
    for label, found in (("Active", active), ("Type", kind), ("Publish Status", publish)):
        if found is None:
            _unknown(out, f"CA records: {label}", _missing_label(
                table, {"Active": ACTIVE, "Type": TYPE, "Publish Status": PUBLISH_STATUS}[label],
                cols))
    f.ca_columns = _used(out, table, [(what, c) for what, c in
                                      [("active", active), ("type", kind),
                                       ("publish status", publish), *used] if c is not None])
    columns = [c[0] for c in (active, kind, publish, pem, fingerprint, subject) if c is not None]
    raws = api.records(table, "", ["sys_id", *columns] + ([name[0]] if name else []))
    records = [_record(table, r, columns, name[0] if name else None) for r in raws]
    path = api.table_url(table)
    f.ca_check = "done"
    for ca in chain:
        label = f"CA {ca.subject}"
        if ca.cert is None and subject is None:
            _unknown(out, label, f"not in the files, and {table} has no subject column to find "
                                 "it by name")
            continue
        holders = [r for r in records
                   if _holds(r, ca, pem[0] if pem else None,
                             fingerprint[0] if fingerprint else None,
                             subject[0] if subject else None)]
        where = ca.cert.where if ca.cert is not None else None
        if not holders:
            f.cas_missing.append(ca.subject)
            fp = f" (SHA-256 {_colons(ca.sha256)})" if ca.sha256 else ""
            text = f"{ca.subject}{fp}: in no {table} record"
            if where is not None and where.path:
                out.cite("missing_cas", where.path, text, where.line)
            else:
                out.cite("missing_cas", path, text)
            out.row(label, f"MISSING: no {table} record holds it ({len(records)} read)")
            continue
        _judge_ca(out, ca, holders, path, active, kind, publish)


def _judge_ca(out: InstanceRecords, ca: _ChainCa, holders: list[Record], path: str,
              active: tuple[str, str] | None, kind: tuple[str, str] | None,
              publish: tuple[str, str] | None) -> None:
    """One CA's records: active, of type CA Cert, published; the best record decides."""
    f = out.facts

    def is_active(r: Record) -> bool:
        if active is None:
            return True
        value = _true(r.fields[active[0]][0])
        return True if value is None else value

    def intermediate(r: Record) -> bool:
        if kind is None:
            return False
        value, shown = r.fields[kind[0]]
        return "intermediate" in f"{shown} {value}".lower()

    def published(r: Record) -> bool:
        if publish is None:
            return True
        value, shown = r.fields[publish[0]]
        return PUBLISHED.lower() in (shown.strip().lower(), value.strip().lower())

    def described(r: Record) -> str:
        parts = []
        for found in (active, kind, publish):
            if found is not None:
                parts.append(f"{found[1]} = {r.shown(found[0]) or '(empty)'}")
        return f"{r.named()}: " + ", ".join(parts) + f"; holds {ca.subject}"

    live = [r for r in holders if is_active(r)]
    if not live:
        f.cas_inactive.append(ca.subject)
        for r in holders:
            out.cite("inactive_cas", path, described(r))
        out.row(f"CA {ca.subject}", "INACTIVE: " + "; ".join(described(r) for r in holders))
        return
    good = [r for r in live if not intermediate(r) and published(r)]
    if good:
        out.row(f"CA {ca.subject}", "ok: " + described(good[0]))
        return
    typed = [r for r in live if not intermediate(r)]
    if typed:  # of the right type, but not published yet
        r = typed[0]
        status = r.shown(publish[0]) if publish is not None else ""
        f.cas_unpublished.append(f"{ca.subject} ({status or 'empty'})")
        out.cite("unpublished_cas", path, described(r))
        out.row(f"CA {ca.subject}", f"NOT PUBLISHED YET: {described(r)}")
        return
    f.cas_intermediate.append(ca.subject)
    for r in live:
        out.cite("intermediate_cas", path, described(r))
    out.row(f"CA {ca.subject}", f"TYPE {INTERMEDIATE_TYPE}: " + "; ".join(described(r)
                                                                         for r in live))


# -- 3. the user certificate


def _user_certificate(api: TableApi, out: InstanceRecords, report: CertReport | None,
                      mid_name: str | None) -> None:
    f = out.facts
    what = "user certificate"
    if report is None or report.leaf is None:
        out.row(what, "not checked: give the MID Server's certificate (--certs)")
        return
    table = "sys_user_certificate"
    leaf = report.leaf
    sha256, sha1 = fingerprints(leaf)
    f.leaf = leaf.subject
    f.leaf_fingerprint = _colons(sha256)
    if leaf.where.path:
        out.cite("leaf", leaf.where.path, f"{leaf.subject}: SHA-256 {f.leaf_fingerprint}",
                 leaf.where.line)
    cols = _columns(api, out, table)
    active, fingerprint, pem = cols.find(ACTIVE), cols.fingerprint(), cols.pem()
    subject, name = cols.find(SUBJECT), cols.find(NAME)
    if fingerprint is None and pem is None:
        f.user_cert = UNKNOWN
        _unknown(out, what, f"no column of {table} holds a fingerprint or the certificate")
        return
    if active is None:
        _unknown(out, f"{what}: Active", _missing_label(table, ACTIVE, cols))
    used = [(w, c) for w, c in (("active", active), ("fingerprint", fingerprint),
                                ("certificate", pem), ("subject", subject)) if c is not None]
    _used(out, table, used)
    f.user_cert_column = (fingerprint or pem or ("", ""))[0]
    columns = [c[0] for _, c in used]
    raws = api.records(table, "", ["sys_id", *columns] + ([name[0]] if name else []))
    records = [_record(table, r, columns, name[0] if name else None) for r in raws]
    me = _ChainCa(leaf.subject, leaf, sha256, sha1)
    path = api.table_url(table)

    def described(r: Record) -> str:
        parts = [f"{c[1]} = {r.shown(c[0]) or '(empty)'}" for c in (active, fingerprint)
                 if c is not None]
        return f"{r.named()}: " + ", ".join(parts)

    holders = [r for r in records if _holds(r, me, pem[0] if pem else None,
                                            fingerprint[0] if fingerprint else None, None)]
    if holders:
        live = [r for r in holders if active is None or _true(r.fields[active[0]][0]) is not False]
        r = (live or holders)[0]
        f.user_cert_record = r.name or r.sys_id
        out.cite("user_certificate", path, described(r) + f" (the leaf {leaf.subject})")
        if live:
            f.user_cert = "active"
            out.row(what, f"ok: {described(r)}")
        else:
            f.user_cert = "inactive"
            out.row(what, f"INACTIVE: {described(r)}")
        return
    # no record holds the leaf: is there one for this MID Server (by name or subject)?
    mine = [r for r in records
            if (mid_name and r.name and r.name.strip().casefold() == mid_name.strip().casefold())
            or (subject is not None and _dn_key(r.fields[subject[0]][0] or r.shown(subject[0]))
                == _dn_key(leaf.subject))]
    if mine:
        r = mine[0]
        f.user_cert = "mismatch"
        f.user_cert_record = r.name or r.sys_id
        held = r.fields[fingerprint[0]][0] if fingerprint is not None else ""
        f.user_cert_fingerprint = _colons(_hex(held)) if held else "(none)"
        out.cite("user_certificate", path, described(r) + f"; the leaf's SHA-256 is "
                                                          f"{f.leaf_fingerprint}")
        out.row(what, f"OTHER CERTIFICATE: {described(r)}; the leaf's SHA-256 is "
                      f"{f.leaf_fingerprint}")
        return
    f.user_cert = "missing"
    by = f" or named {mid_name}" if mid_name else ""
    out.cite("user_certificate", path, f"{table}: no record holds the leaf {leaf.subject} "
                                       f"(SHA-256 {f.leaf_fingerprint}){by}; "
                                       f"{len(records)} read")
    out.row(what, f"MISSING: no {table} record holds the leaf ({len(records)} read)")


# -- 4. the MID Server record


def _mid_record(api: TableApi, out: InstanceRecords, mid_name: str | None) -> None:
    f = out.facts
    what = "MID Server record"
    if not mid_name:
        out.row(what, "not checked: give the MID Server's name (config.xml or --mid-name)")
        return
    f.mid_name = mid_name
    table = "ecc_agent"
    cols = _columns(api, out, table)
    name, mutual = cols.find(NAME), cols.find(MID_MUTUAL)
    if name is None:
        f.mid_record = UNKNOWN
        _unknown(out, what, _missing_label(table, NAME, cols))
        return
    if mutual is None:
        _unknown(out, f"{what}: mutual authentication", _missing_label(table, MID_MUTUAL, cols))
    _used(out, table, [(w, c) for w, c in (("name", name), ("mutual", mutual)) if c is not None])
    rows = api.records(table, f"{name[0]}={mid_name}",
                       ["sys_id", name[0]] + ([mutual[0]] if mutual else []))
    path = api.table_url(table)
    if not rows:
        f.mid_record = "missing"
        out.cite("mid_record", path, f"{table}: no record named {mid_name}")
        out.row(what, f"no {table} record named {mid_name}")
        return
    f.mid_record = "found"
    record = _record(table, rows[0], [mutual[0]] if mutual else [], name[0])
    if mutual is None:
        return
    value, shown = record.fields[mutual[0]]
    state = _true(value)
    f.mid_mutual = UNKNOWN if state is None else YES if state else NO
    text = f"{record.named()}: {mutual[1]} = {shown or value or '(empty)'}"
    out.cite("mid_record", path, text)
    if state is None:
        _unknown(out, f"{what}: mutual authentication",
                 f"{mutual[1]} reads {shown or value or '(empty)'!r}")
    else:
        out.row(what, ("uses" if state else "does NOT use") + f" mutual authentication ({text})")
