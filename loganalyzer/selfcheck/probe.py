"""Live checks of the instance's TLS endpoint, from the KB's troubleshooting section.

1. a TLS handshake (pyOpenSSL) that records whether the endpoint sends a CertificateRequest and
   which CA names it lists, and the certificate chain it serves; with a client certificate and
   key, a second handshake and request that show whether the endpoint accepts it;
2. the server's chain and host name verified with the stdlib ``ssl`` module against a given CA
   bundle, else the system store; a chain signed by a CA whose name reads like a TLS-inspection
   CA is flagged (the log side's word list);
3. ``curl -I https://<instance>``: a ``Server: snow_adc`` header means the ADCv2 load balancer;
4. ``<instance>/adcv2/supports_tls``: ``true`` or ``mixed`` means inbound mutual TLS is set up;
   not found or a redirect means it is not.

The TLS checks come first, so an endpoint that does not answer HTTP still shows what its
handshake does. With a proxy (``mid.proxy.*`` of config.xml, or ``--proxy``) every connection
goes through an HTTP CONNECT tunnel, as the MID Server's does. The probe sends nothing secret
(a HEAD and a GET without credentials). Errors a user can act on (DNS, refused, timeout, a
proxy that refuses the tunnel) raise :class:`ProbeError`, one line each.
"""

from __future__ import annotations

import http.client
import os
import select
import socket
import ssl
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from loganalyzer.analysis.facts import INSPECTION_CA_WORDS
from loganalyzer.analysis.setup_facts import Located, Observation, ProbeFacts
from loganalyzer.errors import Location, LogAnalyzerError, require
from loganalyzer.vocabulary import NO, UNKNOWN, YES, tri

if TYPE_CHECKING:
    from OpenSSL.SSL import Connection, Context

    from loganalyzer.selfcheck.certs import CertReport

T = TypeVar("T")

DEFAULT_TIMEOUT = 10.0
MAX_BODY = 4096
MAX_PROXY_HEADER = 16384
ADC_SERVER = "snow_adc"
SUPPORTS_TLS_PATH = "/adcv2/supports_tls"
SYSTEM_STORE = "the system store"
# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH, _EMAIL_MISMATCH, _IP_ADDRESS_MISMATCH
_NAME_MISMATCH = frozenset({62, 63, 64})
_NO_CHECK_TIME = 0x200000  # X509_V_FLAG_NO_CHECK_TIME: the host-name check ignores validity


class ProbeError(LogAnalyzerError):
    """The instance could not be reached at all (bad URL, DNS, refused, timeout, proxy)."""


@dataclass
class Handshake:
    """What one TLS handshake showed."""

    version: str | None = None
    cert_requested: bool = False
    ca_names: list[str] = field(default_factory=list)
    ca_hashes: list[str] = field(default_factory=list)  # X509_NAME_hash of each CA name
    server_subject: str | None = None
    server_issuer: str | None = None
    # the certificates the server sent, leaf first: {"subject": ..., "issuer": ...}
    server_chain: list[dict[str, str]] = field(default_factory=list)
    cert_sent: bool = False
    outcome: str = "unknown"  # completed | failed | accepted | rejected
    error: str | None = None
    server_pem: bytes | None = field(default=None, repr=False)  # the leaf, for the name check

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out.pop("server_pem", None)
        return out


@dataclass
class Verification:
    """The server's chain and host name as the stdlib ``ssl`` module judges them."""

    against: str  # "bundle FILE" | "the system store"
    trusted: bool | None = None  # None: the verifying handshake did not get that far
    error: str | None = None  # OpenSSL's verify error when not trusted
    hostname_ok: bool | None = None
    failure: str | None = None  # why the verifying handshake ended otherwise

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ProbeResult:
    url: str
    host: str
    port: int
    address: str | None = None
    proxy: tuple[str, int] | None = None  # the HTTP CONNECT proxy every connection went through
    status: int | None = None
    server: str | None = None
    adcv2: bool | None = None
    supports_tls: str | None = None  # true | mixed | not found | redirected | other: …
    supports_tls_status: int | None = None
    handshake: Handshake | None = None
    with_cert: Handshake | None = None
    verification: Verification | None = None
    http_error: str | None = None  # HEAD / got no answer
    supports_tls_error: str | None = None  # GET /adcv2/supports_tls got no answer
    observation: Observation | None = None

    @property
    def where(self) -> Location:
        return Location(self.url)

    @property
    def proxy_text(self) -> str:
        return _authority(*self.proxy) if self.proxy else ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url, "host": self.host, "port": self.port, "address": self.address,
            "proxy": self.proxy_text or None,
            "status": self.status, "server": self.server, "adcv2": self.adcv2,
            "supports_tls": self.supports_tls, "supports_tls_status": self.supports_tls_status,
            "handshake": self.handshake.as_dict() if self.handshake else None,
            "with_client_cert": self.with_cert.as_dict() if self.with_cert else None,
            "server_verification": self.verification.as_dict() if self.verification else None,
            "http_error": self.http_error, "supports_tls_error": self.supports_tls_error,
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


def parse_proxy(text: str) -> tuple[str, int]:
    """(host, port) of ``HOST:PORT`` (``http://HOST:PORT/`` is accepted too)."""
    raw = text.strip()
    parts = urlsplit(raw if "://" in raw else "http://" + raw)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme.lower() not in ("http", "") or not parts.hostname or port is None \
            or parts.path.strip("/"):
        raise ProbeError(f"{text}: a proxy is given as HOST:PORT")
    return parts.hostname, port


def probe(url: str, *, timeout: float = DEFAULT_TIMEOUT, report: CertReport | None = None,
          proxy: tuple[str, int] | None = None, ca_bundle: str | None = None) -> ProbeResult:
    """Run the live checks against ``url``: the handshake, the chain's verification, HTTP checks.

    The server chain is verified against ``ca_bundle``, else the system store; with ``report``
    (a checked client certificate and its key) a handshake with that certificate is made too.
    With ``proxy`` every connection goes through that HTTP CONNECT proxy.
    """
    shown, host, port = parse_url(url)
    trust = _trust_context(ca_bundle)  # a bad bundle is said before any connection
    result = ProbeResult(shown, host, port, proxy=proxy)
    if proxy is None:
        result.address = _resolve(host, port)
    else:  # the proxy resolves the instance's name, as it does for the MID Server
        result.address = f"through proxy {result.proxy_text}"
    result.handshake = _handshake(result, timeout, None)
    if report is not None and report.leaf is not None and report.key is not None \
            and report.key.key is not None and report.key_matches:
        result.with_cert = _handshake(result, timeout, report)
    result.verification = _verify(result, timeout, trust,
                                  f"bundle {ca_bundle}" if ca_bundle else SYSTEM_STORE)
    _http_checks(result, timeout)
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


def _authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _connect_error(result: ProbeResult, exc: BaseException, timeout: float) -> ProbeError:
    target = f"{result.host}:{result.port}"
    via = f" (through proxy {result.proxy_text})" if result.proxy else ""
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return ProbeError(f"{target}: timed out after {timeout:g} s{via}")
    if isinstance(exc, ConnectionRefusedError):
        return ProbeError(f"{target}: connection refused{via}")
    if isinstance(exc, socket.gaierror):
        return ProbeError(f"cannot resolve {result.host}: {exc.strerror or exc}")
    if isinstance(exc, ssl.SSLError):
        return ProbeError(f"{target}: TLS error: {exc.reason or exc}{via}")
    if isinstance(exc, OSError):
        return ProbeError(f"{target}: {exc.strerror or exc}{via}")
    return ProbeError(f"{target}: {type(exc).__name__}: {exc}{via}")


def _proxy_error(result: ProbeResult, exc: BaseException, timeout: float) -> ProbeError:
    """A proxy that cannot be reached, or does not answer the CONNECT in time."""
    name = f"proxy {result.proxy_text}"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return ProbeError(f"{name}: no answer to CONNECT within {timeout:g} s")
    if isinstance(exc, ConnectionRefusedError):
        return ProbeError(f"{name}: connection refused")
    if isinstance(exc, socket.gaierror):
        return ProbeError(f"{name}: cannot resolve {result.proxy[0] if result.proxy else '?'}: "
                          f"{exc.strerror or exc}")
    if isinstance(exc, OSError):
        return ProbeError(f"{name}: {exc.strerror or exc}")
    return ProbeError(f"{name}: {type(exc).__name__}: {exc}")


def _open(result: ProbeResult, timeout: float) -> socket.socket:
    """A TCP connection to the instance: direct, or an HTTP CONNECT tunnel through the proxy."""
    if result.proxy is None:
        try:
            return socket.create_connection((result.host, result.port), timeout=timeout)
        except OSError as exc:
            raise _connect_error(result, exc, timeout) from None
    target = _authority(result.host, result.port)
    try:
        sock = socket.create_connection(result.proxy, timeout=timeout)
    except OSError as exc:
        raise _proxy_error(result, exc, timeout) from None
    try:
        sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
                     "User-Agent: loganalyzer-probe\r\n\r\n".encode("ascii"))
        answer = b""
        # nothing follows the proxy's header until the client speaks TLS: read up to its end
        while b"\r\n\r\n" not in answer and len(answer) < MAX_PROXY_HEADER:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    except OSError as exc:
        sock.close()
        raise _proxy_error(result, exc, timeout) from None
    status_line = answer.split(b"\r\n", 1)[0].decode("latin-1").strip()
    parts = status_line.split(" ", 2)
    if len(parts) >= 2 and parts[0].startswith("HTTP/") and parts[1].isdigit() \
            and b"\r\n\r\n" in answer:
        if parts[1].startswith("2"):
            return sock
        sock.close()
        raise ProbeError(f"proxy {result.proxy_text} refused CONNECT {target}: "
                         f"{' '.join(parts[1:])}")
    sock.close()
    said = f"answered {status_line[:60]!r}" if status_line else "closed the connection"
    raise ProbeError(f"proxy {result.proxy_text}: no HTTP answer to CONNECT {target} ({said})")


def _http_checks(result: ProbeResult, timeout: float) -> None:
    """HEAD / for the Server header, then GET /adcv2/supports_tls without following redirects.

    Each request that gets no answer is recorded (``http_error``, ``supports_tls_error``),
    never raised: the handshake has been made by then and its results stand.
    """
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # reading what the endpoint says, not trusting it
    for method, path in (("HEAD", "/"), ("GET", SUPPORTS_TLS_PATH)):
        try:
            response, body = _request(result, timeout, context, method, path)
        except ProbeError as exc:
            if method == "HEAD":
                result.http_error = exc.message
                if "timed out" in exc.message:
                    result.supports_tls_error = "not tried: HEAD / timed out"
                    return
            else:
                result.supports_tls_error = exc.message
            continue
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


def _request(result: ProbeResult, timeout: float, context: ssl.SSLContext, method: str,
             path: str) -> tuple[http.client.HTTPResponse, bytes]:
    if result.proxy is None:
        conn = http.client.HTTPSConnection(result.host, result.port, timeout=timeout,
                                           context=context)
    else:
        conn = http.client.HTTPSConnection(result.proxy[0], result.proxy[1], timeout=timeout,
                                           context=context)
        conn.set_tunnel(result.host, result.port, headers={"User-Agent": "loganalyzer-probe"})
    try:
        conn.request(method, path, headers={"User-Agent": "loganalyzer-probe", "Accept": "*/*"})
        response = conn.getresponse()
        body = response.read(MAX_BODY) if method == "GET" else b""
    except (OSError, http.client.HTTPException) as exc:
        if isinstance(exc, http.client.HTTPException) and not isinstance(exc, OSError):
            raise ProbeError(f"{result.host}:{result.port}: not an HTTP answer "
                             f"({type(exc).__name__})") from None
        if result.proxy is not None and str(exc).startswith("Tunnel connection failed"):
            raise ProbeError(f"proxy {result.proxy_text} refused CONNECT "
                             f"{_authority(result.host, result.port)}: "
                             f"{str(exc).partition(': ')[2]}") from None
        raise _connect_error(result, exc, timeout) from None
    finally:
        conn.close()
    return response, body


def _handshake(result: ProbeResult, timeout: float, report: CertReport | None) -> Handshake:
    SSL = require("OpenSSL.SSL", "pyOpenSSL")

    from cryptography.hazmat.primitives.serialization import Encoding

    from loganalyzer.jsse.dn import name_hash
    from loganalyzer.selfcheck.certs import name_text

    seen = Handshake()
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE, lambda *a: True)
    states: list[bytes] = []

    # records the client state machine: "read server certificate request"
    def info(conn: Connection, where: int, ret: int) -> None:
        try:
            states.append(conn.get_state_string())
        except Exception:  # noqa: BLE001 - a callback must not raise into OpenSSL
            pass

    ctx.set_info_callback(info)
    if report is not None:
        _use_client_cert(ctx, report)
    sock = _open(result, timeout)
    sock.setblocking(False)  # pyOpenSSL signals WantRead/WantWrite; _wait bounds each step
    conn = SSL.Connection(ctx, sock)
    conn.set_tlsext_host_name(result.host.encode("idna"))
    conn.set_connect_state()
    deadline = time.monotonic() + timeout

    def step(fn: Callable[..., T], *args: Any) -> T:
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
        # a CertificateVerify goes out only with a certificate (an empty Certificate has none)
        seen.cert_sent = seen.cert_sent or any(b"write certificate verify" in s for s in states)
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
                seen.server_chain = [{"subject": name_text(c.subject.public_bytes()),
                                      "issuer": name_text(c.issuer.public_bytes())}
                                     for c in peer]
                seen.server_subject = seen.server_chain[0]["subject"]
                seen.server_issuer = seen.server_chain[0]["issuer"]
                seen.server_pem = peer[0].public_bytes(Encoding.PEM)

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


def _use_client_cert(ctx: Context, report: CertReport) -> None:
    """Newer pyOpenSSL takes cryptography objects (and deprecates its own); older ones not.

    ``report`` has a leaf and a readable key (:func:`probe` calls only then). A key pyOpenSSL
    cannot use (DH, X25519, X448) raises TypeError, as pyOpenSSL does.
    """
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
    from OpenSSL import crypto

    leaf, key = report.leaf, report.key.key if report.key is not None else None
    if leaf is None or key is None:
        raise ValueError("a handshake with a client certificate needs its leaf and its key")
    if not isinstance(key, (dsa.DSAPrivateKey, ec.EllipticCurvePrivateKey,
                            ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey,
                            rsa.RSAPrivateKey)):
        raise TypeError(f"Unsupported key type: {type(key).__name__}")
    chain = [ca.x509 for ca in report.cas if not ca.self_signed]
    try:
        ctx.use_certificate(leaf.x509)
        for ca in chain:
            ctx.add_extra_chain_cert(ca)
        ctx.use_privatekey(key)
    except TypeError:
        ctx.use_certificate(crypto.X509.from_cryptography(leaf.x509))
        for ca in chain:
            ctx.add_extra_chain_cert(crypto.X509.from_cryptography(ca))
        ctx.use_privatekey(crypto.PKey.from_cryptography_key(key))


def _trust_context(ca_bundle: str | None) -> ssl.SSLContext:
    """The stdlib's verifying client context: the bundle's CAs, else the system store."""
    try:
        context = ssl.create_default_context(cafile=ca_bundle)
    except FileNotFoundError:
        raise ProbeError(f"{ca_bundle}: no such file (--ca-bundle)") from None
    except IsADirectoryError:
        raise ProbeError(f"{ca_bundle}: a folder, not a CA bundle file (--ca-bundle)") from None
    except (ssl.SSLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        raise ProbeError(f"{ca_bundle}: no PEM CA certificates could be read ({reason})"
                         ) from None
    return context


def _verifying_handshake(result: ProbeResult, timeout: float, context: ssl.SSLContext
                         ) -> tuple[bool | None, int, str]:
    """(verified, OpenSSL verify code, message): None when the handshake ended otherwise."""
    try:
        sock = _open(result, timeout)
    except ProbeError as exc:  # reachable a moment ago: say so rather than end the probe
        return None, 0, exc.message
    try:
        with context.wrap_socket(sock, server_hostname=result.host):
            return True, 0, ""
    except ssl.SSLCertVerificationError as exc:
        return False, exc.verify_code, exc.verify_message or str(exc.reason or exc)
    except ssl.SSLError as exc:
        reason = str(exc.reason or exc)
        hs = result.handshake
        if "_ALERT_" in reason and hs is not None and hs.cert_requested \
                and hs.outcome == "failed":
            # The endpoint wants a client certificate and ended the handshake without one,
            # as it did the probe's first. It asked after sending its chain, and a client
            # checks that chain (and the name) as it arrives: a verify failure would have
            # been raised before this alert, so the chain passed.
            return True, 0, ""
        return None, 0, f"TLS error: {reason}"
    except (socket.timeout, TimeoutError):
        return None, 0, f"timed out after {timeout:g} s"
    except OSError as exc:
        return None, 0, exc.strerror or str(exc)
    finally:
        sock.close()


def _verify(result: ProbeResult, timeout: float, trust: ssl.SSLContext, against: str
            ) -> Verification:
    """The chain against ``trust`` and the certificate's names against the host, each alone.

    A chain that is not trusted still has its host name checked (against its own leaf).
    """
    seen = Verification(against)
    hs = result.handshake
    if hs is None or hs.server_pem is None:  # no certificate to judge (the handshake failed)
        return seen
    if against == SYSTEM_STORE and _store_empty(trust):
        seen.failure = "no system CA store was found; give the CAs with --ca-bundle"
        return seen
    trust.check_hostname = True
    ok, code, message = _verifying_handshake(result, timeout, trust)
    if ok:
        seen.trusted = seen.hostname_ok = True
        return seen
    if ok is None:
        seen.failure = message
        return seen
    if code in _NAME_MISMATCH:  # the chain was built; judge it without the name
        seen.hostname_ok = False
        trust.check_hostname = False
        ok, code, message = _verifying_handshake(result, timeout, trust)
        seen.trusted = ok
        if ok is False:
            seen.error = message
        elif ok is None:
            seen.failure = message
        return seen
    seen.trusted = False
    seen.error = message
    # the name against the leaf itself as the only trust anchor, its dates set aside
    own = ssl.create_default_context(cadata=hs.server_pem.decode("ascii"))
    own.verify_flags = ssl.VerifyFlags(int(own.verify_flags | ssl.VERIFY_X509_PARTIAL_CHAIN)
                                       | _NO_CHECK_TIME)
    ok, code, _ = _verifying_handshake(result, timeout, own)
    seen.hostname_ok = True if ok else False if code in _NAME_MISMATCH else None
    return seen


def _store_empty(context: ssl.SSLContext) -> bool:
    """Whether the system store holds no CA: no file loaded and no hashed folder to look in."""
    if context.cert_store_stats().get("x509_ca"):
        return False
    folder = ssl.get_default_verify_paths().capath
    return not (folder and os.path.isdir(folder) and any(os.scandir(folder)))


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


def inspection_like(chain: list[dict[str, str]]) -> bool:
    """Whether a CA name of the chain (not the leaf's own) reads like a TLS-inspection CA."""
    if not chain:
        return False
    leaf = chain[0]["subject"]
    return any(INSPECTION_CA_WORDS.search(dn) for c in chain
               for dn in (c["issuer"], c["subject"]) if dn != leaf)


def observe(result: ProbeResult) -> Observation:
    """The probe's facts for the rules of scope ``probe`` in ``rules/setup/``."""
    facts = ProbeFacts(url=result.url, proxy=result.proxy_text)
    answered = result.server is not None or result.status is not None
    facts.http_answered = answered
    facts.server_header = result.server or ""
    facts.adcv2 = tri(result.adcv2) if answered else UNKNOWN
    facts.supports_tls = result.supports_tls or ""
    via = f" (through proxy {result.proxy_text})" if result.proxy else ""
    shown: list[str] = []  # the TLS checks first, as they ran
    hs = result.handshake
    if hs is not None and hs.outcome in ("completed", "failed"):
        facts.handshake = hs.outcome
        facts.handshake_error = hs.error or ""
        facts.cert_requested = tri(hs.cert_requested)
        facts.ca_names = list(hs.ca_names)
        shown.append(f"TLS handshake ({hs.version or '?'}){via}: "
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
                           "accepted" if wc.outcome == "accepted" and wc.cert_sent
                           else "completed")
        facts.with_cert_error = wc.error or ""
        shown.append(f"with the client certificate: {wc.outcome}"
                     + ("" if wc.cert_requested else " (no certificate was requested)")
                     + ("" if wc.cert_sent or not wc.cert_requested else " (none was sent)")
                     + (f" ({wc.error})" if wc.error else ""))
    shown.append(f"HEAD / -> HTTP {result.status}, Server: {result.server!r}" if answered
                 else f"HEAD / -> no answer ({result.http_error})")
    if result.supports_tls is not None:
        shown.append(f"GET {SUPPORTS_TLS_PATH} -> {result.supports_tls}")
    elif result.supports_tls_error:
        error = result.supports_tls_error
        shown.append(f"GET {SUPPORTS_TLS_PATH} -> "
                     + (error if error.startswith("not tried") else f"no answer ({error})"))
    evidence = {"endpoint": [Located(result.url, 0, line) for line in shown]}
    if hs is not None and hs.server_chain:
        facts.server_subject = hs.server_subject or ""
        facts.server_issuer = hs.server_issuer or ""
        facts.server_chain = " <- ".join(c["subject"] for c in hs.server_chain)
        facts.inspection_issuer = YES if inspection_like(hs.server_chain) else NO
        lines = [f"server certificate{via}: {hs.server_subject}, issued by {hs.server_issuer}"]
        lines += [f"  then {c['subject']}, issued by {c['issuer']}" for c in hs.server_chain[1:]]
        v = result.verification
        if v is not None:
            facts.trust_store = v.against
            facts.server_trusted = tri(v.trusted)
            facts.server_verify_error = v.error or ""
            facts.hostname_ok = tri(v.hostname_ok)
            verdict = ("trusted" if v.trusted else f"not trusted ({v.error})" if v.trusted is False
                       else f"not verified ({v.failure or 'no answer'})")
            name = ("" if v.hostname_ok is None else "; names the host" if v.hostname_ok
                    else f"; does not name the host {result.host}")
            lines.append(f"verified against {v.against}: {verdict}{name}")
        evidence["server_certificate"] = [Located(result.url, 0, line) for line in lines]
    return Observation("probe", result.url, facts, evidence)
