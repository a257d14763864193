"""``loganalyzer probe`` against local HTTPS servers on 127.0.0.1 that the tests start.

Each server is pyOpenSSL in a thread: it answers HEAD / with a chosen ``Server`` header,
``/adcv2/supports_tls`` with a chosen status and body, and requests (or not) a client
certificate with a chosen CA list. Servers stop by themselves when the test ends (and after
``LIFETIME`` seconds at most). ``ConnectProxy`` is an HTTP CONNECT relay on 127.0.0.1, and the
chain checks also run against a real ``openssl s_server``. Nothing but 127.0.0.1 is ever
contacted: DNS failures are simulated in-process.
"""

from __future__ import annotations

import dataclasses
import json
import select
import shutil
import socket
import struct
import subprocess
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
                 tls13: bool = True, server_cert: str = "server", mute: bool = False) -> None:
        self.pki = pki
        self.mute = mute  # complete the handshake, read the request, never answer it
        self.supports_tls = supports_tls
        self.server_header = server_header
        self.client_subjects: list[str] = []
        ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
        if not tls13:
            ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
        ctx.use_certificate_file(str(pki.path(server_cert)))
        ctx.use_privatekey_file(str(pki.key(server_cert)))
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
            # one thread per connection: a client that holds one does not block the next
            threading.Thread(target=self._connection, args=(raw,), daemon=True).start()
        self.sock.close()

    def _connection(self, raw: socket.socket) -> None:
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
            if self.mute:
                self.stop.wait(LIFETIME)
                return
            conn.sendall(self._answer(data))
            conn.shutdown()
        except (SSL.Error, OSError):
            pass
        finally:
            raw.close()

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


class ConnectProxy:
    """An HTTP CONNECT relay on 127.0.0.1: answers ``200 Connection established`` and pipes the
    bytes both ways, or answers every CONNECT with ``refuse`` (a status line) and closes.
    ``targets`` lists the host:port of each CONNECT it was sent."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.targets: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.address = ("127.0.0.1", self.sock.getsockname()[1])
        self.stop = threading.Event()
        self.deadline = time.monotonic() + LIFETIME
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def text(self) -> str:
        return f"{self.address[0]}:{self.address[1]}"

    def _serve(self) -> None:
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            try:
                client, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()
        self.sock.close()

    def _tunnel(self, client: socket.socket) -> None:
        client.settimeout(5)
        upstream = None
        try:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 8192:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            method, target = head.split(b" ")[:2]
            assert method == b"CONNECT", head
            self.targets.append(target.decode())
            if self.refuse:
                client.sendall(f"HTTP/1.1 {self.refuse}\r\nContent-Length: 0\r\n\r\n".encode())
                return
            host, _, port = target.decode().rpartition(":")
            upstream = socket.create_connection((host, int(port)), timeout=5)
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            pair = {client: upstream, upstream: client}
            while not self.stop.is_set():
                ready, _, _ = select.select(list(pair), [], [], 0.2)
                for side in ready:
                    data = side.recv(65536)
                    if not data:
                        return
                    pair[side].sendall(data)
        except (OSError, ValueError, AssertionError):
            pass
        finally:
            client.close()
            if upstream is not None:
                upstream.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


class SServer:
    """``openssl s_server -www`` on 127.0.0.1, serving a certificate of the lab PKI."""

    def __init__(self, pki, cert: str, chain: str | None = None) -> None:
        probe_port = socket.socket()
        probe_port.bind(("127.0.0.1", 0))
        self.port = probe_port.getsockname()[1]
        probe_port.close()
        args = ["openssl", "s_server", "-accept", f"127.0.0.1:{self.port}", "-www", "-quiet",
                "-cert", str(pki.path(cert)), "-key", str(pki.key(cert))]
        if chain:
            args += ["-cert_chain", str(pki.path(chain))]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.url = f"https://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 10
        while True:  # until it accepts (a bare TCP connect is one failed handshake to it)
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError("openssl s_server did not start") from None
                time.sleep(0.05)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


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
    result = probe.probe(s.url, timeout=5, ca_bundle=str(pki.path("root")))
    assert result.server == "snow_adc" and result.adcv2 is True
    assert result.supports_tls == "true"
    hs = result.handshake
    assert hs.cert_requested is True
    assert hs.version == ("TLSv1.3" if tls13 else "TLSv1.2")
    assert hs.ca_names == [dn(pki, "int"), dn(pki, "root")]
    assert hs.ca_hashes == [pki.hashes(pki.path("int"))[0], pki.hashes(pki.path("root"))[0]]
    assert [d for d in diagnosed(result) if d.severity != "info"] == []
    facts = result.observation.facts
    assert (facts.server_trusted, facts.hostname_ok) == ("yes", "yes")
    assert facts.inspection_issuer == "no"
    assert facts.server_issuer == dn(pki, "root") and facts.trust_store.startswith("bundle ")


def test_server_that_does_not_request(pki, server):
    s = server(server_header="nginx", supports_tls=(404, "Not Found", None))
    result = probe.probe(s.url, timeout=5, ca_bundle=str(pki.path("root")))
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
    done = run("probe", s.url, "--timeout", "5", "--ca-bundle", str(pki.path("root")))
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



# ---------------------------------------------------------------------------- issue 13


def comparable(result: probe.ProbeResult) -> dict:
    """The probe's facts, less what names the route (the URL and the proxy)."""
    facts = dataclasses.asdict(result.observation.facts)
    for name in ("url", "proxy"):
        facts.pop(name)
    return facts


@pytest.mark.parametrize("tls13", [True, False])
def test_through_a_connect_proxy_the_facts_are_the_same(pki, server, tls13):
    s = server(request_cert=True, ca_names=("int", "root"), tls13=tls13)
    bundle = str(pki.path("root"))
    good = certs.check(certs.load([pki.dir / "bundle.pem"]))
    relay = ConnectProxy()
    try:
        direct = probe.probe(s.url, timeout=5, report=good, ca_bundle=bundle)
        proxied = probe.probe(s.url, timeout=5, report=good, ca_bundle=bundle,
                              proxy=relay.address)
    finally:
        relay.close()
    assert comparable(proxied) == comparable(direct)
    assert proxied.observation.facts.with_cert == "accepted"
    assert proxied.observation.facts.server_trusted == "yes"
    # every connection went through the tunnel: two handshakes, the verification, HEAD and GET
    assert len(relay.targets) >= 5 and set(relay.targets) == {f"127.0.0.1:{s.port}"}
    assert proxied.proxy_text == relay.text and proxied.as_dict()["proxy"] == relay.text
    assert proxied.address == f"through proxy {relay.text}"
    shown = [e.text for e in proxied.observation.lines(("endpoint", "server_certificate"))]
    assert any(f"through proxy {relay.text}" in line for line in shown)
    assert [d.rule for d in diagnosed(proxied)] == [d.rule for d in diagnosed(direct)]


def test_proxy_that_refuses_or_is_dead_is_one_line_exit_2(server):
    s = server()
    relay = ConnectProxy(refuse="403 Forbidden")
    try:
        with pytest.raises(probe.ProbeError) as err:
            probe.probe(s.url, timeout=5, proxy=relay.address)
        assert str(err.value) == (f"proxy {relay.text} refused CONNECT 127.0.0.1:{s.port}: "
                                  "403 Forbidden")
        done = run("probe", s.url, "--proxy", relay.text, "--timeout", "5")
    finally:
        relay.close()
    assert done.returncode == 2 and f"proxy {relay.text}" in done.stderr
    assert "403 Forbidden" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead = closed.getsockname()[1]
    closed.close()
    done = run("probe", s.url, "--proxy", f"127.0.0.1:{dead}", "--timeout", "2")
    assert done.returncode == 2
    assert f"proxy 127.0.0.1:{dead}: connection refused" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert run("probe", s.url, "--proxy", "no-port-here").returncode == 2


def test_self_check_goes_through_the_proxy_of_config_xml(pki, server, tmp_path):
    s = server(request_cert=True, ca_names=("int", "root"))
    relay, other = ConnectProxy(), ConnectProxy()
    config = tmp_path / "config.xml"
    config.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<parameters>\n'
        f'    <parameter name="url" value="{s.url}/"/>\n'
        '    <parameter name="mid.proxy.use_proxy" value="true"/>\n'
        f'    <parameter name="mid.proxy.host" value="{relay.address[0]}"/>\n'
        f'    <parameter name="mid.proxy.port" value="{relay.address[1]}"/>\n'
        '</parameters>\n')
    root = str(pki.path("root"))
    try:
        done = run("self-check", "--config", str(config), "--instance", s.url,
                   "--ca-bundle", root, "--format", "json")
        used = len(relay.targets)
        # --proxy wins over config.xml
        again = run("self-check", "--config", str(config), "--instance", s.url,
                    "--ca-bundle", root, "--proxy", other.text, "--format", "json")
    finally:
        relay.close()
        other.close()
    doc = json.loads(done.stdout)
    assert used >= 4 and doc["probe"]["proxy"] == relay.text, done.stderr
    assert doc["probe"]["handshake"]["cert_requested"] is True
    assert len(relay.targets) == used and other.targets
    assert json.loads(again.stdout)["probe"]["proxy"] == other.text


def test_tls_results_stand_when_head_gets_no_answer(pki, server):
    """An endpoint that completes the handshake and never answers HTTP: the handshake's
    CertificateRequest and the chain's verification are still reported."""
    s = server(request_cert=True, ca_names=("int", "root"), mute=True)
    started = time.monotonic()
    result = probe.probe(s.url, timeout=1, ca_bundle=str(pki.path("root")))
    assert time.monotonic() - started < 20
    assert result.http_error == f"127.0.0.1:{s.port}: timed out after 1 s"
    assert result.status is None and result.supports_tls is None
    facts = result.observation.facts
    assert facts.handshake == "completed" and facts.cert_requested == "yes"
    assert facts.ca_names == [dn(pki, "int"), dn(pki, "root")]
    assert facts.server_trusted == "yes" and facts.http_answered is False
    shown = [e.text for e in result.observation.lines(("endpoint",))]
    assert shown[0].startswith("TLS handshake") and "HEAD / -> no answer" in shown[1]


@pytest.mark.parametrize("tls13", [True, False])
def test_a_certificate_not_asked_for_is_no_mtls_ok(pki, server, tls13):
    s = server(tls13=tls13)  # answers every request, asks for no certificate
    good = certs.check(certs.load([pki.dir / "bundle.pem"]))
    result = probe.probe(s.url, timeout=5, report=good, ca_bundle=str(pki.path("root")))
    assert result.with_cert.cert_requested is False and result.with_cert.cert_sent is False
    assert result.observation.facts.with_cert == "not-requested"
    assert s.client_subjects == []
    causes = {d.root_cause for d in diagnosed(result)}
    assert "mtls-ok" not in causes and "no-client-cert-requested" in causes


def test_a_sent_certificate_is_seen_as_sent(pki, server):
    s = server(request_cert=True, ca_names=("int", "root"), require=True)
    good = certs.check(certs.load([pki.dir / "bundle.pem"]))
    result = probe.probe(s.url, timeout=5, report=good, ca_bundle=str(pki.path("root")))
    assert result.with_cert.cert_sent is True and result.handshake.cert_sent is False


def _by_rule(doc: dict) -> dict:
    return {d["rule"]: d for d in doc["diagnoses"]}


needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@needs_openssl
def test_s_server_signed_by_an_inspection_ca_names_it(pki):
    """The acceptance case: a chain from a CA the bundle does not hold, named like an
    inspection CA: untrusted, the issuer named, the intercepting proxy suspected.

    s_server -www answers GET only: HEAD / goes unanswered (a short --timeout), and the TLS
    findings stand all the same."""
    sserver = SServer(pki, "inspected", chain="inspectca")
    try:
        done = run("probe", sserver.url, "--ca-bundle", str(pki.path("root")), "--format",
                   "json", "--timeout", "2")
        direct = probe.probe(sserver.url, timeout=2, ca_bundle=str(pki.path("root")))
    finally:
        sserver.close()
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    facts = direct.observation.facts
    assert facts.server_trusted == "no" and facts.inspection_issuer == "yes"
    assert "Corp SSL Inspection CA" in facts.server_issuer
    assert facts.server_verify_error  # OpenSSL's words for it
    assert facts.hostname_ok == "yes"  # a re-signing proxy names the host it stands in for
    rules = _by_rule(doc)
    hit = rules["MTLS-367"]
    assert hit["root_cause"] == "tls-intercepting-proxy" and hit["confidence"] == "possible"
    assert "Corp SSL Inspection CA" in hit["detail"]
    assert "MTLS-366" not in rules  # one cause, not two
    assert doc["probe"]["server_verification"]["trusted"] is False
    assert "timed out" in doc["probe"]["http_error"]


@needs_openssl
def test_s_server_of_an_unknown_ca_is_untrusted_and_named(pki):
    sserver = SServer(pki, "privateserver")
    relay = ConnectProxy()
    try:
        done = run("probe", sserver.url, "--ca-bundle", str(pki.path("root")), "--format",
                   "json", "--timeout", "2")
        proxied = run("probe", sserver.url, "--ca-bundle", str(pki.path("root")), "--proxy",
                      relay.text, "--format", "json", "--timeout", "2")
        trusted = run("probe", sserver.url, "--ca-bundle", str(pki.path("privateca")),
                      "--format", "json", "--timeout", "2")
    finally:
        sserver.close()
        relay.close()
    rules = _by_rule(json.loads(done.stdout))
    hit = rules["MTLS-366"]
    assert hit["root_cause"] == "server-cert-untrusted"
    assert "Northwind Issuing CA" in hit["detail"] and "bundle " in hit["detail"]
    assert not {"MTLS-367", "MTLS-368", "MTLS-369"} & set(rules)
    # through a proxy, the same untrusted chain points at the proxy
    rules = _by_rule(json.loads(proxied.stdout))
    assert "MTLS-368" in rules and "MTLS-366" not in rules
    assert f"Through proxy {relay.text}" in rules["MTLS-368"]["detail"]
    assert "Northwind Issuing CA" in rules["MTLS-368"]["detail"]
    # with the right bundle: trusted, no such diagnosis
    doc = json.loads(trusted.stdout)
    assert doc["probe"]["server_verification"]["trusted"] is True
    assert doc["probe"]["server_verification"]["hostname_ok"] is True
    assert not {"MTLS-366", "MTLS-367", "MTLS-368", "MTLS-369"} & set(_by_rule(doc))


def test_wrong_host_name(pki, server):
    s = server(server_cert="wronghost")
    result = probe.probe(s.url, timeout=5, ca_bundle=str(pki.path("root")))
    facts = result.observation.facts
    assert facts.server_trusted == "yes" and facts.hostname_ok == "no"
    [hit] = [d for d in diagnosed(result) if d.root_cause == "server-hostname-mismatch"]
    assert "CN=elsewhere.example" in hit.detail


def test_the_system_store_is_the_default(server):
    """The lab root is in no system store: without --ca-bundle the lab chain is untrusted."""
    result = probe.probe(server().url, timeout=5)
    v = result.verification
    assert v.against == "the system store" and v.trusted is False and v.error


def test_a_bad_ca_bundle_is_one_line(tmp_path, server):
    s = server()
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    for bundle in (junk, tmp_path / "absent.pem"):
        done = run("probe", s.url, "--ca-bundle", str(bundle))
        assert done.returncode == 2 and str(bundle) in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
