"""Live checks of the instance's TLS endpoint, from the KB's troubleshooting section.

1. ``curl -I https://<instance>``: a ``Server: snow_adc`` header means the ADCv2 load balancer;
2. ``<instance>/adcv2/supports_tls``: ``true`` or ``mixed`` means inbound mutual TLS is set up;
   not found or a redirect means it is not;
3. a TLS handshake (pyOpenSSL) that records whether the endpoint sends a CertificateRequest and
   which CA names it lists; with a client certificate and key, a second handshake and request
   that show whether the endpoint accepts it.

The server's certificate is read, not verified: the probe looks at what the endpoint asks for,
and sends nothing secret (a HEAD and a GET without credentials). Errors a user can act on (DNS,
refused, timeout) raise :class:`ProbeError`, one line each.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from loganalyzer.analysis.setup_facts import Located, Observation, ProbeFacts
from loganalyzer.errors import Location, LogAnalyzerError, require
from loganalyzer.vocabulary import UNKNOWN, tri

if TYPE_CHECKING:
    from loganalyzer.selfcheck.certs import CertReport

DEFAULT_TIMEOUT = 10.0
MAX_BODY = 4096
ADC_SERVER = "snow_adc"
SUPPORTS_TLS_PATH = "/adcv2/supports_tls"


class ProbeError(LogAnalyzerError):
    """The instance could not be reached at all (bad URL, DNS, refused, timeout)."""


@dataclass
class Handshake:
    """What one TLS handshake showed."""

    version: str | None = None
    cert_requested: bool = False
    ca_names: list[str] = field(default_factory=list)
    ca_hashes: list[str] = field(default_factory=list)  # X509_NAME_hash of each CA name
    server_subject: str | None = None
    cert_sent: bool = False
    outcome: str = "unknown"  # completed | failed | accepted | rejected
    error: str | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class ProbeResult:
    url: str
    host: str
    port: int
    address: str | None = None
    status: int | None = None
    server: str | None = None
    adcv2: bool | None = None
    supports_tls: str | None = None  # true | mixed | not found | redirected | other: …
    supports_tls_status: int | None = None
    handshake: Handshake | None = None
    with_cert: Handshake | None = None
    http_error: str | None = None
    observation: Observation | None = None

    @property
    def where(self) -> Location:
        return Location(self.url)

    def as_dict(self) -> dict:
        return {
            "url": self.url, "host": self.host, "port": self.port, "address": self.address,
            "status": self.status, "server": self.server, "adcv2": self.adcv2,
            "supports_tls": self.supports_tls, "supports_tls_status": self.supports_tls_status,
            "handshake": self.handshake.as_dict() if self.handshake else None,
            "with_client_cert": self.with_cert.as_dict() if self.with_cert else None,
            "http_error": self.http_error,
        }


def parse_url(url: str) -> tuple[str, str, int]:
    """(normalised url, host, port) of an https instance URL (a bare host name is accepted)."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() != "https":
        raise ProbeError(f"{url}: the instance URL must be https:// (mutual TLS is TLS)")
    if not parts.hostname:
        raise ProbeError(f"{url}: no host name in the URL")
    try:
        port = parts.port or 443
    except ValueError:
        raise ProbeError(f"{url}: invalid port") from None
    host = parts.hostname
    shown = f"https://{host}" + (f":{port}" if port != 443 else "")
    return shown, host, port


def probe(url: str, *, timeout: float = DEFAULT_TIMEOUT, report: CertReport | None = None
          ) -> ProbeResult:
    """Run the KB's live checks against ``url``; with ``report`` (a checked client certificate
    and its key) also a handshake with that certificate."""
    shown, host, port = parse_url(url)
    result = ProbeResult(shown, host, port)
    result.address = _resolve(host, port)
    try:
        _http_checks(result, timeout)
    except ProbeError as exc:
        if "timed out" in str(exc) or "refused" in str(exc):
            raise
        result.http_error = str(exc)
    result.handshake = _handshake(result, timeout, None)
    if report is not None and report.leaf is not None and report.key is not None \
            and report.key.key is not None and report.key_matches:
        result.with_cert = _handshake(result, timeout, report)
    result.observation = observe(result)
    return result


def _resolve(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ProbeError(f"cannot resolve {host}: {exc.strerror or exc}") from None
    except UnicodeError:
        raise ProbeError(f"invalid host name {host!r}") from None
    return str(infos[0][4][0])


def _connect_error(result: ProbeResult, exc: BaseException, timeout: float) -> ProbeError:
    target = f"{result.host}:{result.port}"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return ProbeError(f"{target}: timed out after {timeout:g} s")
    if isinstance(exc, ConnectionRefusedError):
        return ProbeError(f"{target}: connection refused")
    if isinstance(exc, socket.gaierror):
        return ProbeError(f"cannot resolve {result.host}: {exc.strerror or exc}")
    if isinstance(exc, ssl.SSLError):
        return ProbeError(f"{target}: TLS error: {exc.reason or exc}")
    if isinstance(exc, OSError):
        return ProbeError(f"{target}: {exc.strerror or exc}")
    return ProbeError(f"{target}: {type(exc).__name__}: {exc}")


def _http_checks(result: ProbeResult, timeout: float) -> None:
    """HEAD / for the Server header, then GET /adcv2/supports_tls without following redirects."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # reading what the endpoint says, not trusting it
    for method, path in (("HEAD", "/"), ("GET", SUPPORTS_TLS_PATH)):
        conn = http.client.HTTPSConnection(result.host, result.port, timeout=timeout,
                                           context=context)
        try:
            conn.request(method, path, headers={"User-Agent": "loganalyzer-probe",
                                                "Accept": "*/*"})
            response = conn.getresponse()
            body = response.read(MAX_BODY) if method == "GET" else b""
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, http.client.HTTPException) and not isinstance(exc, OSError):
                raise ProbeError(f"{result.host}:{result.port}: not an HTTP answer "
                                 f"({type(exc).__name__})") from None
            raise _connect_error(result, exc, timeout) from None
        finally:
            conn.close()
        if method == "HEAD":
            result.status = response.status
            result.server = response.getheader("Server")
            result.adcv2 = (result.server or "").strip().lower() == ADC_SERVER
            continue
        result.supports_tls_status = response.status
        text = body.decode("utf-8", "replace").strip()
        if 300 <= response.status < 400:
            result.supports_tls = f"redirected to {response.getheader('Location') or '?'}"
        elif response.status == 404:
            result.supports_tls = "not found"
        elif response.status == 200 and text.lower() in ("true", "mixed"):
            result.supports_tls = text.lower()
        else:
            result.supports_tls = f"other: HTTP {response.status} {text[:60]!r}"


def _handshake(result: ProbeResult, timeout: float, report: CertReport | None) -> Handshake:
    SSL = require("OpenSSL.SSL", "pyOpenSSL")

    from loganalyzer.selfcheck.certs import name_hash, name_text

    seen = Handshake()
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE, lambda *a: True)
    states: list[bytes] = []

    def info(conn, where, ret):  # records the client state machine: "read server certificate request"
        try:
            states.append(conn.get_state_string())
        except Exception:  # noqa: BLE001 - a callback must not raise into OpenSSL
            pass

    ctx.set_info_callback(info)
    if report is not None:
        _use_client_cert(ctx, report)
        seen.cert_sent = True
    try:
        sock = socket.create_connection((result.host, result.port), timeout=timeout)
    except OSError as exc:
        raise _connect_error(result, exc, timeout) from None
    sock.setblocking(False)  # pyOpenSSL signals WantRead/WantWrite; _wait bounds each step
    conn = SSL.Connection(ctx, sock)
    conn.set_tlsext_host_name(result.host.encode("idna"))
    conn.set_connect_state()
    deadline = time.monotonic() + timeout

    def step(fn, *args):
        while True:
            try:
                return fn(*args)
            except SSL.WantReadError:
                _wait(sock, deadline, read=True)
            except SSL.WantWriteError:
                _wait(sock, deadline, read=False)

    def collect() -> None:
        seen.cert_requested = seen.cert_requested or any(
            b"certificate request" in s for s in states)
        with warnings.catch_warnings():  # X509Name is deprecated, but the only way to the list
            warnings.simplefilter("ignore", DeprecationWarning)
            names = conn.get_client_ca_list()
        if names and not seen.ca_names:
            seen.ca_names = [name_text(n.der()) for n in names]
            seen.ca_hashes = [name_hash(n.der()) for n in names]
        if seen.version is None:
            v = conn.get_protocol_version_name()
            seen.version = v if v and v != "Unknown" else None
        if seen.server_subject is None:
            try:
                peer = conn.get_peer_cert_chain(as_cryptography=True) or []
            except TypeError:  # pyOpenSSL before as_cryptography
                peer = [c.to_cryptography() for c in conn.get_peer_cert_chain() or []]
            if peer:
                seen.server_subject = name_text(peer[0].subject.public_bytes())

    try:
        step(conn.do_handshake)
        collect()
        seen.outcome = "completed"
        # TLS 1.3 servers judge the client certificate after the client's Finished: a request
        # shows whether the endpoint accepted it (or the missing one)
        step(conn.sendall, f"HEAD / HTTP/1.1\r\nHost: {result.host}\r\nConnection: close"
                           "\r\n\r\n".encode())
        answer = step(conn.recv, 1024)
        collect()
        if report is not None:
            seen.outcome = "accepted" if answer.startswith(b"HTTP/") else "completed"
    except SSL.ZeroReturnError:
        collect()
    except SSL.Error as exc:
        collect()
        seen.error = _ssl_reason(exc)
        seen.outcome = "rejected" if report is not None else "failed"
    except (socket.timeout, TimeoutError):
        collect()
        if seen.outcome == "unknown":
            raise _connect_error(result, TimeoutError(), timeout) from None
    except OSError as exc:
        collect()
        seen.error = exc.strerror or str(exc)
        seen.outcome = "rejected" if report is not None else "failed"
    finally:
        try:
            conn.close()
        except Exception:  # noqa: BLE001
            pass
        sock.close()
    return seen


def _use_client_cert(ctx, report: CertReport) -> None:
    """Newer pyOpenSSL takes cryptography objects (and deprecates its own); older ones not."""
    from OpenSSL import crypto

    chain = [ca.x509 for ca in report.cas if not ca.self_signed]
    try:
        ctx.use_certificate(report.leaf.x509)
        for ca in chain:
            ctx.add_extra_chain_cert(ca)
        ctx.use_privatekey(report.key.key)
    except TypeError:
        ctx.use_certificate(crypto.X509.from_cryptography(report.leaf.x509))
        for ca in chain:
            ctx.add_extra_chain_cert(crypto.X509.from_cryptography(ca))
        ctx.use_privatekey(crypto.PKey.from_cryptography_key(report.key.key))


def _wait(sock: socket.socket, deadline: float, read: bool) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    ready = select.select([sock] if read else [], [] if read else [sock], [], left)
    if not ready[0] and not ready[1]:
        raise TimeoutError


def _ssl_reason(exc: Exception) -> str:
    """The reason strings of a pyOpenSSL error ("tlsv13 alert certificate required")."""
    args = exc.args[0] if exc.args else None
    if isinstance(args, list) and args and isinstance(args[0], tuple):
        return "; ".join(str(e[-1]) for e in args)
    if len(exc.args) == 2 and isinstance(exc.args[0], int):  # SysCallError (104, 'ECONNRESET')
        return f"connection closed by the server ({exc.args[1]})"
    return str(exc) or type(exc).__name__


def observe(result: ProbeResult) -> Observation:
    """The probe's facts for the rules of scope ``probe`` in ``rules/setup/``."""
    facts = ProbeFacts(url=result.url)
    answered = result.server is not None or result.status is not None
    facts.http_answered = answered
    facts.server_header = result.server or ""
    facts.adcv2 = tri(result.adcv2) if answered else UNKNOWN
    facts.supports_tls = result.supports_tls or ""
    shown = [f"HEAD / -> HTTP {result.status}, Server: {result.server!r}" if answered
             else f"HEAD / -> no answer ({result.http_error})"]
    if result.supports_tls is not None:
        shown.append(f"GET {SUPPORTS_TLS_PATH} -> {result.supports_tls}")
    hs = result.handshake
    if hs is not None and hs.outcome in ("completed", "failed"):
        facts.handshake = hs.outcome
        facts.handshake_error = hs.error or ""
        facts.cert_requested = tri(hs.cert_requested)
        facts.ca_names = list(hs.ca_names)
        shown.append(f"TLS handshake ({hs.version or '?'}): "
                     + ("CertificateRequest" + (f" naming {'; '.join(hs.ca_names)}"
                                                if hs.ca_names else " with no CA names")
                        if hs.cert_requested else "no CertificateRequest")
                     + f"; {hs.outcome}" + (f" ({hs.error})" if hs.error else ""))
    wc = result.with_cert
    if wc is not None and wc.outcome in ("accepted", "rejected", "completed"):
        # mutual TLS is shown to work only when the certificate was asked for, sent and the
        # request after the handshake answered
        facts.with_cert = ("rejected" if wc.outcome == "rejected" else
                           "not-requested" if not wc.cert_requested else
                           "accepted" if wc.outcome == "accepted" else "completed")
        facts.with_cert_error = wc.error or ""
        shown.append(f"with the client certificate: {wc.outcome}"
                     + (f" ({wc.error})" if wc.error else ""))
    evidence = {"endpoint": [Located(result.url, 0, line) for line in shown]}
    return Observation("probe", result.url, facts, evidence)
