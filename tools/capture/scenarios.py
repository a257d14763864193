"""The capture matrix: which sample logs exist and how each one is produced.

Each entry is one folder under sample_logs/.  The *intent* of a scenario is described here;
the facts written to expected.json are derived from the server's own output afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

INSTANCE_HOST = "acme-lab.service-now.com"
WRONG_HOST = "acme-dev.service-now.com"

SCENARIO_TITLES = {
    1: "success: mutual TLS with the good client certificate",
    2: "server does not request a client certificate",
    3: "server requests a certificate with an empty CA list",
    4: "server CA list does not cover the client's chain",
    5: "client keystore without a private key",
    6: "client certificate with serverAuth-only EKU",
    7: "self-signed client certificate",
    8: "expired client certificate",
    9: "untrusted server certificate (PKIX path building failed)",
    10: "server certificate for another host name",
    11: "client certificate sent at first, not after the MID security policy download",
    12: "javax.net.debug=ssl only on a JDK where 'ssl' prints almost nothing",
    13: "no javax.net.debug at all (only the application's exception)",
    14: "revocation checking fails (CRL/OCSP responder unreachable)",
    15: "client certificate from a CA the server does not trust",
    16: "JVM default SSLContext without javax.net.ssl.keyStore: no client key to send",
    17: "revoked client certificate (the server checks a CRL)",
    18: "client certificate not yet valid (notBefore in the future)",
    19: "EC client key where the server allows only RSA signature algorithms",
    20: "wrong javax.net.ssl.keyStorePassword: the default SSLContext cannot be built, no handshake",
    21: "two private keys in the keystore: SunX509 presents the expired one",
    22: "TLS-inspecting proxy: server chain from a corporate inspection CA, no CertificateRequest",
    23: "ClientHello without server_name (SNI switched off in the JVM: -Djsse.enableSNIExtension=false)",
}


@dataclass
class Server:
    """One `openssl s_server` run."""

    # right | wrong | revocation  (server leaf, all issued by the server root)
    # | proxy (leaf for the instance name issued by the corporate inspection CA)
    cert: str = "right"
    verify: str = "require"  # require (-Verify 1) | optional (-verify 1) | none
    # client-chain | client-root | other | none (-no_ca_names) | absent (no -CAfile)
    # | long (64 names with escaped commas, quotes, non-ASCII letters + the client chain)
    # | long-other (the same 64 names without the client chain)
    ca_names: str = "client-chain"
    verify_ca: str = "client-chain"  # what the server trusts for client certificates
    crl: bool = False  # -CRL client-int.crl.pem -crl_check (the client issuing CA's CRL)
    client_sigalgs: str | None = None  # -client_sigalgs (what the CertificateRequest allows)
    # a server that picks its certificate by SNI: -servername <instance> -cert2/-key2 <this cert>
    # -servername_fatal; `cert` is then its default, served to a ClientHello without server_name
    sni_cert: str | None = None


@dataclass
class Capture:
    name: str
    scenario: int
    jdk: int
    tls: str  # "1.2" | "1.3"
    debug: str | None  # javax.net.debug value, None = not set
    layout: str  # wrapper.logfile.format
    tz: str = "America/New_York"
    # good | leafonly | nokey | expired | serverauth | selfsigned | otherca | none
    # | revoked | notyet | ec | twokeys | zurich
    keystore: str = "good"
    truststore: str = "server"  # server | other | server+inspection
    mode: str = "single"  # single | policy | concurrent | restart
    servers: list[Server] = field(default_factory=lambda: [Server()])
    revocation: bool = False
    # own: MidSim builds its SSLContext from the keystore / truststore files;
    # default: SSLContext.getDefault(), configured with javax.net.ssl.* system properties in wrapper.conf
    # (keystore "none" = javax.net.ssl.keyStore not set)
    # default-factory: SSLSocketFactory.getDefault() (as HttpsURLConnection), which defers a failure to
    # build the default SSLContext to each createSocket()
    context: str = "own"
    keystore_password: str | None = None  # a wrong password for the keystore (None = the right one)
    rotation: str | None = None  # None | size (maxsize/maxfiles) | date (rollmode=DATE)
    roll_maxsize: int = 0  # size rotation: set by capture.calibrate_rotation()
    roll_maxfiles: int = 0
    encoding: str | None = None  # None | cp1252 (wrapper locale and the JVM's stdout in cp1252)
    client: str = "midsim"  # midsim | httpclient3 (Apache commons-httpclient 3.1, custom socket factory)
    sni: bool = True  # False: -Djsse.enableSNIExtension=false, the ClientHello carries no server_name
    also_scenarios: list[int] = field(default_factory=list)
    note: str = ""

    @property
    def tls_protocol(self) -> str:
        return "TLSv" + self.tls


def _n(jdk, tls, slug, layout):
    return f"jdk{jdk}-tls{tls.replace('.', '')}-{slug}-{layout.lower()}"


def _c(scenario, jdk, tls, slug, debug, layout, **kw) -> Capture:
    return Capture(name=_n(jdk, tls, slug, layout), scenario=scenario, jdk=jdk, tls=tls,
                   debug=debug, layout=layout, **kw)


HS = "ssl,handshake"
_NO_KS = ("SSLContext.getDefault() with javax.net.ssl.trustStore(+Password) and no javax.net.ssl.keyStore: "
          "the default key manager has no key, the server requires a client certificate")
_KS = ("SSLContext.getDefault() with javax.net.ssl.trustStore(+Password) and javax.net.ssl.keyStore "
       "(+Password, keyStoreType PKCS12) set to the good keystore")
HSV = "ssl:handshake:verbose"
_REVOKED = ("client certificate mid-lab-revoked (issued by the client issuing CA, then revoked); s_server "
            "-CRL client-int.crl.pem -crl_check")
_NOTYET = "client certificate mid-lab-notyet whose notBefore is 30 days after the capture"
RSA_ONLY = "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pkcs1_sha256:rsa_pkcs1_sha384"
_EC = ("client key EC P-256 (certificate mid-lab-ec from the client issuing CA, so the CA names match); "
       "s_server -client_sigalgs " + RSA_ONLY)
_WRONGPASS = ("SSLSocketFactory.getDefault() (as HttpsURLConnection) with javax.net.ssl.keyStore = the good "
              "keystore and a wrong javax.net.ssl.keyStorePassword: the default SSLContext cannot be built, "
              "createSocket() throws, no ClientHello is sent")
_LONG = ("the server sends 64 CA names (escaped commas, quotes, non-ASCII letters, a Japanese O=) with the "
         "client issuing CA and root in the middle of the list")
_LONG_OTHER = "the server sends the same 64 CA names without the client chain"
KM_TM = "ssl:handshake:verbose:keymanager:trustmanager"
_SIZE = ("rollmode=SIZE with a small wrapper.logfile.maxsize (calibrated from a run without rotation, see "
         "wrapper_rotation): the start banner has rolled away, the handshake runs across the numbered files "
         "into wrapper.log; javax.net.debug " + KM_TM + " (a value KB articles give) logs the key and trust "
         "managers before the handshake")
_DATE = "wrapper.logfile=wrapper.YYYYMMDD.log with wrapper.logfile.rollmode=DATE"
_CP1252 = ("wrapper and JVM run in the de_CH.CP1252 locale (the JVM's stdout charset is CP1252), JSSE's debug "
           "logger writes UTF-8: one wrapper.log mixes both; client certificate L=Zürich, CN=mid-lab-zürich")
_HC3 = ("client: Apache commons-httpclient 3.1 (HttpClient.executeMethod(GetMethod)) with a custom "
        "SecureProtocolSocketFactory that layers TLS from the MID's SSLContext over a TCP socket to 127.0.0.1")
_TWOKEYS = ("keystore with two private key entries issued by the client issuing CA: alias mid-2024 "
            "(expired) and mid-2026 (good); SunX509 returns the first alias in its HashMap order, mid-2024")
_PROXY = ("s_server plays a TLS-inspecting proxy: its certificate for the instance name is issued by "
          "'Acme Lab SSL Inspection CA' and it sends no CertificateRequest; ")
_PROXY_UNTRUSTED = "the MID truststore holds only the instance's root"
_PROXY_TRUSTED = "the inspection CA was imported into the MID truststore, so the handshake completes"
_NO_SNI = ("-Djsse.enableSNIExtension=false in wrapper.conf: the ClientHello carries no server_name, the "
           "symptom KB3029494 gives for glide.outbound.tls_sni.enabled=false; ")
_NO_SNI_ONE_CERT = "s_server has one certificate (the instance's), so the handshake completes"
_NO_SNI_VHOST = ("s_server picks its certificate by SNI (-servername " + INSTANCE_HOST + " -cert2 the instance's "
                 "certificate -servername_fatal) and serves its default certificate, made for " + WRONG_HOST
                 + ", to a ClientHello without server_name: the MID's host-name check fails")
_SNI_VHOST = ("the same SNI-selecting s_server as no-sni-default-cert, with SNI on: the ClientHello names the "
              "instance and s_server switches to the instance's certificate")
ALL = "all"

MATRIX: list[Capture] = [
    # 1 success
    _c(1, 17, "1.2", "success", ALL, "LPTM"),
    _c(1, 25, "1.3", "success", HSV, "TM", tz="UTC"),
    _c(1, 11, "1.2", "success", HS, "PTM"),
    # 2 no client certificate requested
    _c(2, 11, "1.3", "no-cert-request", HS, "LPZTM", servers=[Server(verify="none")]),
    _c(2, 21, "1.2", "no-cert-request", HSV, "M", servers=[Server(verify="none")]),
    # 3 empty CA list
    _c(3, 17, "1.3", "empty-ca-ext", HSV, "TM", servers=[Server(ca_names="none")],
       note="openssl 3.0 -no_ca_names on TLS 1.3 sends an EMPTY certificate_authorities extension"),
    _c(3, 17, "1.3", "empty-ca-ext-no-debug", None, "LPTM", servers=[Server(ca_names="none")],
       also_scenarios=[13], note="same as empty-ca-ext, without javax.net.debug"),
    _c(3, 21, "1.3", "no-ca-names", HS, "LPZTM", servers=[Server(ca_names="absent")],
       note="TLS 1.3 CertificateRequest without a certificate_authorities extension"),
    _c(3, 25, "1.3", "no-ca-names", HSV, "M", tz="Asia/Kolkata", servers=[Server(ca_names="absent")],
       note="TLS 1.3 CertificateRequest without a certificate_authorities extension"),
    _c(3, 25, "1.2", "empty-ca-list", ALL, "LPTM", servers=[Server(ca_names="none")]),
    _c(3, 11, "1.2", "empty-ca-list", HS, "LPZM", servers=[Server(ca_names="none")]),
    # 4 CA list does not cover the client's chain
    _c(4, 21, "1.2", "ca-mismatch", ALL, "TM", servers=[Server(ca_names="other")]),
    _c(4, 11, "1.3", "ca-mismatch", HSV, "LPZM", servers=[Server(ca_names="other")]),
    _c(4, 25, "1.3", "ca-mismatch", HS, "PTM", tz="UTC", servers=[Server(ca_names="other")]),
    _c(4, 17, "1.3", "root-name-only-leaf-keystore", HSV, "LPZM", keystore="leafonly",
       servers=[Server(ca_names="client-root")],
       note="server names only the client ROOT; the keystore holds the leaf without its issuing CA, "
            "so SunX509 cannot link the leaf to a named CA"),
    _c(1, 21, "1.2", "root-name-only-full-chain", HS, "LPZM", servers=[Server(ca_names="client-root")],
       note="server names only the client ROOT; the keystore chain contains the root, SunX509 matches it"),
    _c(15, 25, "1.2", "otherca-cert-no-ca-names", HS, "PTM", keystore="otherca", servers=[Server(ca_names="none")],
       note="no CA names, client certificate from a CA the server does not trust (verify error 20)"),
    # 5 keystore without a private key
    _c(5, 17, "1.2", "no-private-key", HS, "M", keystore="nokey"),
    _c(5, 25, "1.3", "no-private-key", HSV, "LPZTM", keystore="nokey"),
    # 6 serverAuth-only client certificate
    _c(6, 11, "1.2", "serverauth-eku", HSV, "TM", keystore="serverauth"),
    _c(6, 21, "1.3", "serverauth-eku", HS, "LPTM", keystore="serverauth"),
    # 7 self-signed client certificate (server sends the client chain's CA names / sends none)
    _c(7, 17, "1.3", "self-signed", HS, "PTM", keystore="selfsigned"),
    _c(7, 21, "1.2", "self-signed", HSV, "TM", keystore="selfsigned"),
    _c(7, 25, "1.2", "self-signed-no-ca-names", HSV, "LPZM", keystore="selfsigned",
       servers=[Server(ca_names="none")]),
    # 8 expired client certificate
    _c(8, 11, "1.3", "expired", HSV, "LPTM", keystore="expired"),
    _c(8, 25, "1.2", "expired", HS, "LPZM", keystore="expired", tz="UTC"),
    # 9 untrusted server
    _c(9, 17, "1.2", "untrusted-server", ALL, "TM", truststore="other"),
    _c(9, 21, "1.3", "untrusted-server", HS, "PTM", truststore="other"),
    # 10 wrong server host name
    _c(10, 11, "1.2", "wrong-host", HSV, "LPZTM", servers=[Server(cert="wrong")]),
    _c(10, 25, "1.3", "wrong-host", HS, "TM", servers=[Server(cert="wrong")]),
    # 11 certificate sent at first and not later (MID security policy download)
    _c(11, 17, "1.2", "policy-drops-cert", HS, "TM", mode="policy"),
    _c(11, 21, "1.3", "policy-drops-cert", HSV, "LPTM", mode="policy"),
    # 12 javax.net.debug=ssl only (broken on 11, 17.0.15, 21.0.2; fixed on 25)
    _c(12, 11, "1.2", "ca-mismatch-debug-ssl", "ssl", "TM", servers=[Server(ca_names="other")],
       also_scenarios=[4]),
    _c(12, 17, "1.3", "ca-mismatch-debug-ssl", "ssl", "LPTM", servers=[Server(ca_names="other")],
       also_scenarios=[4]),
    _c(12, 21, "1.2", "ca-mismatch-debug-ssl", "ssl", "PTM", servers=[Server(ca_names="other")],
       also_scenarios=[4]),
    _c(12, 25, "1.2", "ca-mismatch-debug-ssl", "ssl", "TM", servers=[Server(ca_names="other")],
       also_scenarios=[4], note="JDK 25 has the JDK-8350582 fix: 'ssl' alone prints the handshake"),
    # 13 no debug at all
    _c(13, 17, "1.2", "expired-no-debug", None, "TM", keystore="expired", also_scenarios=[8]),
    _c(13, 21, "1.3", "ca-mismatch-no-debug", None, "LPTM", servers=[Server(ca_names="other")],
       also_scenarios=[4]),
    # 14 revocation checking fails
    _c(14, 17, "1.2", "revocation-unreachable", HSV, "TM", servers=[Server(cert="revocation")],
       revocation=True),
    _c(14, 25, "1.3", "revocation-unreachable", HS, "LPZTM", servers=[Server(cert="revocation")],
       revocation=True),
    # JVM restart inside one wrapper.log (jvm 1, jvm 2): expired certificate, app exits 75 once
    _c(8, 21, "1.2", "expired-jvm-restart", HSV, "LPTM", keystore="expired", mode="restart",
       note="the application exits with code 75 once; wrapper.on_exit.75=RESTART starts jvm 2"),
    # two threads handshaking at the same time against two s_server ports
    _c(4, 17, "1.2", "two-threads-concurrent", HS, "LPZTM", mode="concurrent",
       servers=[Server(), Server(ca_names="other")], also_scenarios=[1],
       note="ECCSender.1 talks to a server that sends the client chain's CA names (succeeds), "
            "ECCSender.2 at the same time to one that sends only the other CA (fails)"),
    # 16 / 1: the JVM's default SSLContext (javax.net.ssl.* system properties), as HttpsURLConnection
    # uses it; truststore from javax.net.ssl.trustStore, keystore from javax.net.ssl.keyStore or unset
    _c(16, 11, "1.2", "default-ctx-no-keystore", HSV, "LPZM", keystore="none", context="default",
       note=_NO_KS),
    _c(1, 11, "1.3", "default-ctx-keystore", HS, "TM", context="default", note=_KS),
    _c(16, 17, "1.3", "default-ctx-no-keystore", ALL, "PTM", keystore="none", context="default",
       note=_NO_KS),
    _c(1, 17, "1.2", "default-ctx-keystore", HSV, "LPZTM", context="default", note=_KS),
    _c(16, 21, "1.2", "default-ctx-no-keystore", ALL, "LPTM", keystore="none", context="default",
       tz="UTC", note=_NO_KS),
    _c(1, 21, "1.3", "default-ctx-keystore", HSV, "M", context="default", note=_KS),
    _c(16, 25, "1.3", "default-ctx-no-keystore", HS, "TM", keystore="none", context="default",
       tz="Asia/Kolkata", note=_NO_KS),
    _c(1, 25, "1.2", "default-ctx-keystore", ALL, "LPTM", context="default", note=_KS),
    # ---------------------------------------------------------------- issue 13: failure modes beyond the KB
    # 17 revoked client certificate: s_server checks the client issuing CA's CRL
    _c(17, 17, "1.2", "revoked", HSV, "TM", keystore="revoked", servers=[Server(crl=True)],
       note=_REVOKED),
    _c(17, 21, "1.3", "revoked", HS, "LPZM", keystore="revoked", servers=[Server(crl=True)],
       note=_REVOKED),
    # 18 client certificate whose notBefore is in the future
    _c(18, 11, "1.2", "not-yet-valid", HS, "LPTM", keystore="notyet", note=_NOTYET),
    _c(18, 25, "1.3", "not-yet-valid", HSV, "TM", keystore="notyet", note=_NOTYET),
    # 19 EC (P-256) client key, the CertificateRequest allows RSA signatures only
    _c(19, 11, "1.2", "ec-key-rsa-only", HS, "TM", keystore="ec",
       servers=[Server(client_sigalgs=RSA_ONLY)], note=_EC),
    _c(19, 17, "1.3", "ec-key-rsa-only", HSV, "LPZTM", keystore="ec",
       servers=[Server(client_sigalgs=RSA_ONLY)], note=_EC),
    # 20 wrong javax.net.ssl.keyStorePassword with the JVM default context: no handshake at all
    _c(20, 11, "1.2", "wrong-keystore-password", ALL, "PTM", context="default-factory",
       keystore_password="wrong-password", note=_WRONGPASS),
    _c(20, 17, "1.3", "wrong-keystore-password", HSV, "TM", context="default-factory",
       keystore_password="wrong-password", note=_WRONGPASS),
    _c(20, 25, "1.2", "wrong-keystore-password", HS, "LPTM", context="default-factory",
       keystore_password="wrong-password", note=_WRONGPASS),
    # 21 two private keys in one keystore, SunX509 takes the expired alias (first in HashMap order)
    _c(21, 21, "1.2", "two-keys-expired-first", HSV, "LPTM", keystore="twokeys", note=_TWOKEYS),
    _c(21, 25, "1.3", "two-keys-expired-first", HS, "PTM", keystore="twokeys", note=_TWOKEYS),
    # 22 TLS-inspecting proxy in front of the instance
    _c(22, 17, "1.2", "inspecting-proxy-untrusted", HS, "TM",
       servers=[Server(cert="proxy", verify="none")], note=_PROXY + _PROXY_UNTRUSTED),
    _c(22, 25, "1.3", "inspecting-proxy-untrusted", HSV, "LPZM",
       servers=[Server(cert="proxy", verify="none")], note=_PROXY + _PROXY_UNTRUSTED),
    _c(22, 11, "1.3", "inspecting-proxy-trusted", HS, "LPTM", truststore="server+inspection",
       servers=[Server(cert="proxy", verify="none")], note=_PROXY + _PROXY_TRUSTED),
    _c(22, 21, "1.2", "inspecting-proxy-trusted", HSV, "TM", truststore="server+inspection",
       servers=[Server(cert="proxy", verify="none")], note=_PROXY + _PROXY_TRUSTED),
    # ---------------------------------------------------------------- issue 11: set-ups seen in real cases
    # long CA lists: 64 names with escaped commas, quotes and non-ASCII letters (+ the client chain)
    _c(1, 17, "1.2", "long-ca-list", HSV, "LPTM", servers=[Server(ca_names="long")], note=_LONG),
    _c(1, 21, "1.3", "long-ca-list", HS, "PTM", servers=[Server(ca_names="long")], note=_LONG),
    _c(4, 25, "1.3", "long-ca-list-mismatch", HS, "TM", servers=[Server(ca_names="long-other")],
       note=_LONG_OTHER),
    _c(4, 11, "1.2", "long-ca-list-mismatch", HSV, "LPZM", servers=[Server(ca_names="long-other")],
       note=_LONG_OTHER),
    # wrapper.log rotation by size (banner rolled away, a handshake across wrapper.log.1 and wrapper.log)
    _c(8, 17, "1.2", "expired-rotated-size", KM_TM, "LPTM", keystore="expired", rotation="size", note=_SIZE),
    _c(4, 21, "1.3", "ca-mismatch-rotated-size", KM_TM, "TM", servers=[Server(ca_names="other")],
       rotation="size", note=_SIZE),
    # wrapper.logfile.rollmode=DATE: wrapper.YYYYMMDD.log
    _c(4, 11, "1.2", "ca-mismatch-rollmode-date", HS, "LPTM", servers=[Server(ca_names="other")],
       rotation="date", note=_DATE),
    _c(8, 25, "1.3", "expired-rollmode-date", HS, "TM", keystore="expired", rotation="date", note=_DATE),
    # wrapper formats with the D (wrapper thread) and U (uptime) tokens
    _c(4, 11, "1.2", "ca-mismatch", HSV, "LPDTM", servers=[Server(ca_names="other")]),
    _c(8, 21, "1.3", "expired", HS, "LPDTM", keystore="expired"),
    _c(4, 17, "1.3", "ca-mismatch", HS, "LPUTM", servers=[Server(ca_names="other")]),
    _c(1, 25, "1.2", "success", HSV, "LPUTM"),
    # lean javax.net.debug settings: the key manager or the trust manager only
    _c(8, 17, "1.2", "expired-debug-keymanager", "ssl:keymanager", "TM", keystore="expired"),
    _c(8, 25, "1.3", "expired-debug-keymanager", "ssl:keymanager", "LPTM", keystore="expired"),
    _c(9, 11, "1.2", "untrusted-server-debug-trustmanager", "ssl:trustmanager", "PTM", truststore="other"),
    _c(9, 21, "1.3", "untrusted-server-debug-trustmanager", "ssl:trustmanager", "TM", truststore="other"),
    # mixed encodings: wrapper and JVM in a cp1252 locale, JSSE's debug logger in UTF-8, subject L=Zürich
    _c(1, 17, "1.2", "zurich-cp1252", HS, "LPTM", keystore="zurich", encoding="cp1252", note=_CP1252),
    _c(1, 21, "1.3", "zurich-cp1252", HSV, "TM", keystore="zurich", encoding="cp1252", note=_CP1252),
    # the MID Server's own HTTP stack: commons-httpclient 3.1 with a custom SecureProtocolSocketFactory
    _c(1, 17, "1.2", "commons-hc31-success", HS, "LPTM", client="httpclient3", note=_HC3),
    _c(1, 21, "1.3", "commons-hc31-success", HSV, "TM", client="httpclient3", note=_HC3),
    _c(4, 11, "1.2", "commons-hc31-ca-mismatch", HSV, "PTM", client="httpclient3",
       servers=[Server(ca_names="other")], note=_HC3),
    _c(9, 25, "1.3", "commons-hc31-untrusted-server", HS, "LPZM", client="httpclient3", truststore="other",
       note=_HC3),
    # ---------------------------------------------------------------- issue 13: SNI switched off (KB3029494)
    # 23 ClientHello without server_name: a server with one certificate completes the handshake anyway
    _c(23, 17, "1.2", "no-sni", HS, "LPTM", sni=False, note=_NO_SNI + _NO_SNI_ONE_CERT),
    _c(23, 21, "1.3", "no-sni", HSV, "TM", sni=False, note=_NO_SNI + _NO_SNI_ONE_CERT),
    # a server that picks its certificate by SNI serves another host's certificate without it
    _c(23, 17, "1.3", "no-sni-default-cert", HSV, "PTM", sni=False,
       servers=[Server(cert="wrong", sni_cert="right")], note=_NO_SNI + _NO_SNI_VHOST),
    _c(23, 21, "1.2", "no-sni-default-cert", HS, "LPZM", sni=False,
       servers=[Server(cert="wrong", sni_cert="right")], note=_NO_SNI + _NO_SNI_VHOST),
    # the control: the same server with SNI on hands out the instance's certificate
    _c(1, 25, "1.2", "sni-selects-cert", HS, "LPTM", servers=[Server(cert="wrong", sni_cert="right")],
       note=_SNI_VHOST),
]


def by_name() -> dict[str, Capture]:
    return {c.name: c for c in MATRIX}
