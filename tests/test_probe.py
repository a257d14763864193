"""``loganalyzer probe`` against local HTTPS servers on 127.0.0.1 that the tests start.

Each server is pyOpenSSL in a thread: it answers HEAD / with a chosen ``Server`` header,
``/adcv2/supports_tls`` with a chosen status and body, and requests (or not) a client
certificate with a chosen CA list. Servers stop by themselves when the test ends (and after
``LIFETIME`` seconds at most). Nothing but 127.0.0.1 is ever contacted: DNS failures are
simulated in-process.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time

import pytest

OpenSSL = pytest.importorskip("OpenSSL")
from OpenSSL import SSL  # noqa: E402

from loganalyzer.selfcheck import certs, probe  # noqa: E402

from test_certs import pki, run  # noqa: E402,F401  (the session PKI fixture)

LIFETIME = 60.0


class LabServer:
    """A small HTTPS server; ``url`` is https://127.0.0.1:PORT."""

    def __init__(self, pki, *, request_cert: bool = False, ca_names: tuple[str, ...] = (),
                 require: bool = False, server_header: str = "snow_adc",
                 supports_tls: tuple[int, str, str | None] = (200, "true", None),
                 tls13: bool = True) -> None:
        self.pki = pki
        self.supports_tls = supports_tls
        self.server_header = server_header
        self.client_subjects: list[str] = []
        ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
        if not tls13:
            ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
        ctx.use_certificate_file(str(pki.path("server")))
        ctx.use_privatekey_file(str(pki.key("server")))
        if request_cert:
            ctx.load_verify_locations(str(pki.path("root")))
            if ca_names:  # the names sent in the CertificateRequest, in this order
                names = pki.write(f"ca-names-{'-'.join(ca_names)}.pem", pki.text(
                    *(f"{n}.pem" for n in ca_names)))
                ctx.load_client_ca(str(names).encode())
            flags = SSL.VERIFY_PEER | (SSL.VERIFY_FAIL_IF_NO_PEER_CERT if require else 0)
            ctx.set_verify(flags, lambda conn, cert, errno, depth, ok: bool(ok))
        self.ctx = ctx
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.stop = threading.Event()
        self.deadline = time.monotonic() + LIFETIME
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                continue
            raw.setblocking(True)  # pyOpenSSL wants blocking sockets; bound each read instead
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 5, 0))
            conn = SSL.Connection(self.ctx, raw)
            conn.set_accept_state()
            try:
                conn.do_handshake()
                data = b""
                while b"\r\n\r\n" not in data and len(data) < 8192:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                peer = conn.get_peer_certificate(as_cryptography=True)
                if peer is not None:
                    self.client_subjects.append(peer.subject.rfc4514_string())
                conn.sendall(self._answer(data))
                conn.shutdown()
            except (SSL.Error, OSError):
                pass
            finally:
                raw.close()
        self.sock.close()

    def _answer(self, request: bytes) -> bytes:
        method, path = (request.split(b" ")[:2] + [b"", b""])[:2]
        status, body, location = 200, "ok", None
        if path == b"/adcv2/supports_tls":
            status, body, location = self.supports_tls
        head = [f"HTTP/1.1 {status} X", f"Server: {self.server_header}",
                f"Content-Length: {len(body)}", "Connection: close"]
        if location:
            head.append(f"Location: {location}")
        text = "\r\n".join(head) + "\r\n\r\n" + (body if method != b"HEAD" else "")
        return text.encode()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


@pytest.fixture
def server(pki):
    started: list[LabServer] = []

    def start(**kw) -> LabServer:
        s = LabServer(pki, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        s.close()


def dn(pki, name: str) -> str:
    return certs.load([pki.path(name)]).certs[0].subject


def diagnosed(result: probe.ProbeResult) -> list:
    """The set-up rules' diagnoses of one probe."""
    from loganalyzer.ruleset.rules import load_rules
    from loganalyzer.selfcheck.diagnose import evaluate

    assert result.observation is not None
    return evaluate([result.observation], load_rules(), result.url, [])


@pytest.mark.parametrize("tls13", [True, False])
def test_requesting_server_ca_names_and_adcv2(pki, server, tls13):
    s = server(request_cert=True, ca_names=("int", "root"), tls13=tls13)
    result = probe.probe(s.url, timeout=5)
    assert result.server == "snow_adc" and result.adcv2 is True
    assert result.supports_tls == "true"
    hs = result.handshake
    assert hs.cert_requested is True
    assert hs.version == ("TLSv1.3" if tls13 else "TLSv1.2")
    assert hs.ca_names == [dn(pki, "int"), dn(pki, "root")]
    assert hs.ca_hashes == [pki.hashes(pki.path("int"))[0], pki.hashes(pki.path("root"))[0]]
    assert [d for d in diagnosed(result) if d.severity != "info"] == []


def test_server_that_does_not_request(server):
    s = server(server_header="nginx", supports_tls=(404, "Not Found", None))
    result = probe.probe(s.url, timeout=5)
    assert result.adcv2 is False and result.supports_tls == "not found"
    assert result.handshake.cert_requested is False and result.handshake.outcome == "completed"
    rules = {d.rule for d in diagnosed(result)}
    assert rules == {"MTLS-360", "MTLS-361", "MTLS-362"}
    assert {d.root_cause for d in diagnosed(result)} == {"no-client-cert-requested"}


def test_supports_tls_mixed_and_redirected(server):
    assert probe.probe(server(supports_tls=(200, "mixed\n", None)).url).supports_tls == "mixed"
    redirected = probe.probe(server(supports_tls=(302, "", "https://x/login.do")).url)
    assert redirected.supports_tls == "redirected to https://x/login.do"
    assert any(d.rule == "MTLS-361" for d in diagnosed(redirected))


def test_requested_with_empty_ca_list(server):
    result = probe.probe(server(request_cert=True, ca_names=()).url, timeout=5)
    assert result.handshake.cert_requested and result.handshake.ca_names == []
    assert any(d.root_cause == "ca-list-empty" for d in diagnosed(result))


@pytest.mark.parametrize("tls13", [True, False])
def test_handshake_with_client_certificate(pki, server, tls13):
    s = server(request_cert=True, ca_names=("int", "root"), require=True, tls13=tls13)
    good = certs.check(certs.load([pki.dir / "bundle.pem"]))
    result = probe.probe(s.url, timeout=5, report=good)
    assert result.with_cert.outcome == "accepted", result.with_cert
    assert any("CN=mid-lab-01.acme.example" in subject for subject in s.client_subjects)
    assert any(d.root_cause == "mtls-ok" for d in diagnosed(result))
    # without a certificate, the same server refuses the connection
    assert result.handshake.cert_requested
    own = certs.check(certs.load([pki.key("selfsigned"), pki.path("selfsigned")]))
    refused = probe.probe(s.url, timeout=5, report=own)
    assert refused.with_cert.outcome == "rejected" and refused.with_cert.error
    assert any(d.root_cause == "client-cert-rejected" for d in diagnosed(refused))


def test_dns_failure_is_one_line(monkeypatch):
    def fail(*args, **kw):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(probe.ProbeError) as err:
        probe.probe("https://acme-lab.service-now.com", timeout=1)
    assert str(err.value) == "cannot resolve acme-lab.service-now.com: Name or service not known"


def test_bad_urls():
    for url in ("http://acme.service-now.com", "https://", "https://h:99999"):
        with pytest.raises(probe.ProbeError):
            probe.parse_url(url)
    assert probe.parse_url("acme.service-now.com")[0] == "https://acme.service-now.com"


def test_cli_refused_and_timeout_are_one_line_exit_2():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    done = run("probe", f"https://127.0.0.1:{port}", "--timeout", "2")
    assert done.returncode == 2 and "connection refused" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    silent = socket.socket()  # accepts TCP (backlog) and never speaks TLS
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)
    try:
        started = time.monotonic()
        done = run("probe", f"https://127.0.0.1:{silent.getsockname()[1]}", "--timeout", "0.5")
        assert done.returncode == 2 and "timed out after 0.5 s" in done.stderr
        assert time.monotonic() - started < 30
    finally:
        silent.close()
    assert run("probe", "http://127.0.0.1:1").returncode == 2


def test_cli_reports_request_ca_names_and_header(pki, server):
    s = server(request_cert=True, ca_names=("root",))
    done = run("probe", s.url, "--timeout", "5")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "client certificate requested" in done.stdout
    assert "CN=Acme Lab Client Root CA" in done.stdout and "ADCv2" in done.stdout
    doc = json.loads(run("probe", s.url, "--format", "json").stdout)
    assert doc["probe"]["handshake"]["ca_names"] == [dn(pki, "root")]
    plain = server(server_header="Apache", supports_tls=(404, "", None))
    done = run("probe", plain.url, "--format", "json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["probe"]["handshake"]["cert_requested"] is False


def test_cli_probe_with_cert_cross_checks_ca_names(pki, server):
    """--cert with a CA list that does not cover its chain: ca-chain-incomplete, CA named."""
    s = server(request_cert=True, ca_names=("server",))
    done = run("probe", s.url, "--cert", str(pki.dir / "bundle.pem"), "--format", "json")
    assert done.returncode == 1
    doc = json.loads(done.stdout)
    hit = next(d for d in doc["diagnoses"] if d["root_cause"] == "ca-chain-incomplete")
    assert "Missing CA: CN=Acme Lab Client Issuing CA 1" in hit["detail"]
