"""``loganalyzer certs``: a lab PKI made with the openssl CLI in a temporary folder, checked the
way the KB does (split, chain, hashes, EKU, self-signed, validity, key match, formats).

The PKI fixture is shared with test_selfcheck.py and test_probe.py (``from test_certs import``).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loganalyzer.selfcheck import certs

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "lab-secret"

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")

DN = {
    "root": "/C=US/O=Acme Lab, Inc./OU=Acme Lab PKI/CN=Acme Lab Client Root CA",
    "int": "/C=US/O=Acme Lab, Inc./OU=Acme Lab PKI/CN=Acme Lab Client Issuing CA 1",
    "good": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-01.acme.example",
    "serverauth": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-serverauth.acme.example",
    "expired": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-expired.acme.example",
    "selfsigned": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-selfsigned.acme.example",
    "other": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-other.acme.example",
    # names that exercise OpenSSL's canonical form: case, runs of spaces, UTF-8, e-mail (IA5)
    "odd": "/C=DE/O=  Grüße   GmbH /OU=Ops+UID=Mixed Case/CN=MiD   Odd.Example/"
           "emailAddress=Ops@Example.COM",
    "server": "/C=US/O=Lab Instance Trust/CN=localhost",
    # the variants the set-up rule cases (tests/rule_cases/MTLS-3*.yaml) need
    "rsa1024": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-rsa1024.acme.example",
    "noeku": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-noeku.acme.example",
    "nodigsig": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-nodigsig.acme.example",
    "noku": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-noku.acme.example",
    "notyet": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-notyet.acme.example",
    "expiring": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-expiring.acme.example",
    "intold": "/C=US/O=Acme Lab, Inc./OU=Acme Lab PKI/CN=Acme Lab Client Issuing CA 0",
    "underold": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-underold.acme.example",
    "intsoon": "/C=US/O=Acme Lab, Inc./OU=Acme Lab PKI/CN=Acme Lab Client Issuing CA 2",
    "undersoon": "/C=US/O=Acme Lab, Inc./OU=MID Servers/CN=mid-lab-undersoon.acme.example",
    # a re-issued CA: the issuing CA's name with another key (it signed none of the leaves)
    "impostor": "/C=US/O=Acme Lab, Inc./OU=Acme Lab PKI/CN=Acme Lab Client Issuing CA 1",
    # the only CA name the instance sends in sample_logs/jdk21-tls12-ca-mismatch-tm
    "othercorp": "/C=DE/O=Other Corp GmbH/CN=Other Corp Root CA",
    "othercorpmid": "/C=DE/O=Other Corp GmbH/CN=mid-lab-othercorp.acme.example",
}
CA_EXT = ("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
          "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
CLIENT_EXT = ("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
              "extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\n"
              "authorityKeyIdentifier=keyid\n")
SERVER_EXT = ("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
              "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n")


class Pki:
    """The lab PKI: ``path(name)`` is name.pem, ``key(name)`` name.key."""

    def __init__(self, folder: Path) -> None:
        self.dir = folder

    def ossl(self, *args: str, input: bytes | None = None) -> str:
        done = subprocess.run(["openssl", *args], cwd=self.dir, capture_output=True,
                              input=input, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode()

    def path(self, name: str) -> Path:
        return self.dir / f"{name}.pem"

    def key(self, name: str) -> Path:
        return self.dir / f"{name}.key"

    def text(self, *names: str) -> str:
        return "".join((self.dir / n).read_text() for n in names)

    def write(self, name: str, text: str | bytes) -> Path:
        p = self.dir / name
        p.write_bytes(text.encode() if isinstance(text, str) else text)
        return p

    def newkey(self, name: str, rsa: bool = False, bits: int = 2048) -> None:
        if rsa:
            self.ossl("genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}",
                      "-out", f"{name}.key")
        else:
            self.ossl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-out", f"{name}.key")

    def root(self, name: str) -> None:
        self.newkey(name)
        self.ossl("req", "-x509", "-new", "-key", f"{name}.key", "-subj", DN[name], "-days",
                  "3650", "-sha256", "-out", f"{name}.pem", "-addext",
                  "basicConstraints=critical,CA:TRUE", "-addext",
                  "keyUsage=critical,keyCertSign,cRLSign", "-utf8")

    def issue(self, name: str, issuer: str, ext: str, days: int = 825,
              rsa: bool = False, bits: int = 2048) -> None:
        self.newkey(name, rsa, bits)
        self.write(f"{name}.ext", ext)
        self.ossl("req", "-new", "-key", f"{name}.key", "-subj", DN[name], "-utf8",
                  "-multivalue-rdn", "-out", f"{name}.csr")
        self.ossl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{issuer}.pem", "-CAkey",
                  f"{issuer}.key", "-CAcreateserial", "-days", str(days), "-sha256",
                  "-extfile", f"{name}.ext", "-out", f"{name}.pem")

    def issue_expired(self, name: str, issuer: str, ext: str) -> None:
        """A certificate whose notAfter is in the past."""
        self.issue_dated(name, issuer, ext, -400, -35)

    def issue_dated(self, name: str, issuer: str, ext: str, start_days: float,
                    end_days: float) -> None:
        """A certificate valid from ``start_days`` to ``end_days`` from now.

        Negative days are in the past; ``openssl ca -startdate/-enddate`` sets them (x509 -req
        cannot).
        """
        self.newkey(name)
        self.write(f"{name}.ext", ext)
        self.ossl("req", "-new", "-key", f"{name}.key", "-subj", DN[name], "-out",
                  f"{name}.csr")
        db = self.dir / "ca-db"
        if not db.is_dir():  # one database for every dated certificate: serials go on
            db.mkdir()
            (db / "index.txt").write_text("")
            (db / "serial").write_text("1000\n")
        self.write("ca.cnf",
                   "[ ca ]\ndefault_ca = lab\n[ lab ]\n"
                   f"dir = {db}\ndatabase = $dir/index.txt\nserial = $dir/serial\n"
                   f"new_certs_dir = $dir\ncertificate = {self.path(issuer)}\n"
                   f"private_key = {self.key(issuer)}\ndefault_md = sha256\npolicy = any\n"
                   "unique_subject = no\ncopy_extensions = none\n[ any ]\n"
                   "countryName = optional\norganizationName = optional\n"
                   "organizationalUnitName = optional\ncommonName = supplied\n")
        now = time.time()
        start = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(now + start_days * 86400))
        end = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(now + end_days * 86400))
        self.ossl("ca", "-batch", "-config", "ca.cnf", "-in", f"{name}.csr", "-out",
                  f"{name}.pem", "-startdate", start, "-enddate", end, "-extfile",
                  f"{name}.ext", "-notext")

    def keytool(self, *args: str) -> None:
        done = subprocess.run(["keytool", *args], cwd=self.dir, capture_output=True, timeout=120)
        assert done.returncode == 0, (done.stdout + done.stderr).decode(errors="replace")

    def hashes(self, pem: Path) -> tuple[str, str]:
        out = self.ossl("x509", "-hash", "-issuer_hash", "-noout", "-in", str(pem)).split()
        return out[0], out[1]


def make_pki(folder: Path) -> Pki:
    pki = Pki(folder)
    pki.root("root")
    pki.issue("int", "root", CA_EXT, days=3000)
    pki.issue("good", "int", CLIENT_EXT, rsa=True)
    pki.issue("serverauth", "int", CLIENT_EXT.replace("clientAuth", "serverAuth"))
    pki.issue("other", "int", CLIENT_EXT)
    pki.issue("odd", "int", CLIENT_EXT)
    pki.issue_expired("expired", "int", CLIENT_EXT)
    pki.newkey("selfsigned")
    pki.ossl("req", "-x509", "-new", "-key", "selfsigned.key", "-subj", DN["selfsigned"],
             "-days", "825", "-sha256", "-out", "selfsigned.pem", "-addext",
             "extendedKeyUsage=clientAuth", "-addext",
             "keyUsage=critical,digitalSignature,keyEncipherment")
    pki.issue("server", "root", SERVER_EXT)
    # the vendor's bundle: private key, leaf, intermediate, root (PKCS#8 key first, as the KB)
    pki.write("bundle.pem", pki.text("good.key", "good.pem", "int.pem", "root.pem"))
    pki.write("chain.pem", pki.text("int.pem", "root.pem"))
    _add_variants(pki)
    _add_keystores(pki)
    # -- server certificates for the probe's chain and host-name checks (test_probe.py and
    #    tests/rule_cases/MTLS-366..369.yaml): one from a CA named like a TLS-inspection CA, one
    #    from a CA with a neutral name (neither is in root.pem), and one of the lab root for
    #    another host name than the 127.0.0.1 the lab servers listen on
    DN.update({
        "inspectca": "/C=US/O=Corp Network Security/CN=Corp SSL Inspection CA",
        "inspected": "/C=US/O=Corp Network Security/CN=localhost",
        "privateca": "/C=US/O=Northwind Traders/CN=Northwind Issuing CA",
        "privateserver": "/C=US/O=Northwind Traders/CN=localhost",
        "wronghost": "/C=US/O=Lab Instance Trust/CN=elsewhere.example",
    })
    pki.root("inspectca")
    pki.issue("inspected", "inspectca", SERVER_EXT)
    pki.root("privateca")
    pki.issue("privateserver", "privateca", SERVER_EXT)
    pki.issue("wronghost", "root", SERVER_EXT.replace("DNS:localhost,IP:127.0.0.1",
                                                      "DNS:elsewhere.example"))
    return pki


def _add_variants(pki: Pki) -> None:
    """The files the set-up rule cases (tests/rule_cases/MTLS-3*.yaml) read.

    One file or certificate per thing that can be wrong with a vendor's delivery. EC keys
    where the key type does not matter (fast); the good RSA key is reused in other forms.
    """
    # leaves: a short RSA key, no EKU, a Key Usage without digitalSignature, no Key Usage,
    # not valid yet, expiring in 10 days
    pki.issue("rsa1024", "int", CLIENT_EXT, rsa=True, bits=1024)
    pki.issue("noeku", "int", CLIENT_EXT.replace("extendedKeyUsage=clientAuth\n", ""))
    pki.issue("nodigsig", "int", CLIENT_EXT.replace("digitalSignature,keyEncipherment",
                                                    "keyEncipherment"))
    pki.issue("noku", "int", CLIENT_EXT.replace(
        "keyUsage=critical,digitalSignature,keyEncipherment\n", ""))
    pki.issue_dated("notyet", "int", CLIENT_EXT, 30, 400)
    pki.issue("expiring", "int", CLIENT_EXT, days=10)
    # CAs: an expired issuing CA and one expiring in 10 days, each with a (valid) leaf; a CA
    # with the issuing CA's name and another key; another company's root and a leaf of it
    pki.issue_dated("intold", "root", CA_EXT, -800, -30)
    pki.issue("underold", "intold", CLIENT_EXT)
    pki.issue("intsoon", "root", CA_EXT, days=10)
    pki.issue("undersoon", "intsoon", CLIENT_EXT)
    pki.issue("impostor", "root", CA_EXT)
    pki.root("othercorp")
    pki.issue("othercorpmid", "othercorp", CLIENT_EXT)
    # the good RSA key as PKCS#1, encrypted PKCS#8 and DER; an EC key as SEC1
    pki.ossl("pkey", "-in", "good.key", "-traditional", "-out", "good-rsa-pkcs1.key")
    pki.ossl("pkcs8", "-topk8", "-in", "good.key", "-out", "good-pkcs8-enc.key", "-passout",
             f"pass:{PASSWORD}")
    pki.ossl("pkey", "-in", "good.key", "-outform", "DER", "-out", "good-key.der")
    pki.ossl("pkey", "-in", "other.key", "-traditional", "-out", "other-sec1.key")
    pki.ossl("pkcs8", "-topk8", "-in", "other.key", "-out", "other-pkcs8-enc.key", "-passout",
             f"pass:{PASSWORD}")
    # certificate forms: DER, PKCS#7 as PEM and as DER
    pki.ossl("x509", "-in", "good.pem", "-outform", "DER", "-out", "good-der.cer")
    p7b = ["crl2pkcs7", "-nocrl", "-certfile", "good.pem", "-certfile", "int.pem",
           "-certfile", "root.pem"]
    pki.ossl(*p7b, "-out", "bundle.p7b")
    pki.ossl(*p7b, "-outform", "DER", "-out", "bundle-der.p7b")
    # bundles: root before intermediate before leaf; two private keys; two keys of which one
    # is encrypted (no password given: one usable key); a certificate request left in
    pki.write("bundle-misordered.pem", pki.text("good.key", "root.pem", "int.pem", "good.pem"))
    pki.write("two-keys.pem", pki.text("good.key", "other.key", "good.pem", "int.pem",
                                       "root.pem"))
    pki.write("two-keys-one-encrypted.pem", pki.text("good.key", "other-pkcs8-enc.key",
                                                     "good.pem", "int.pem", "root.pem"))
    pki.write("bundle-with-csr.pem", pki.text("good.key", "good.pem", "int.pem", "root.pem",
                                              "good.csr"))


#: The alias the MID Server's mutual authentication expects for its key pair.
DEFAULT_ALIAS = "defaultsecuritykeypairhandle"
#: The older pair (good's issuer, an RSA 1024-bit key) kept beside it: under "mid-old" SunX509
#: tries it after the good pair, under "mid-2023" before it (their HashMap buckets are 9 and 0,
#: DEFAULT_ALIAS's is 1; test_sunx509_order_is_the_jvms checks such orders against a JVM).
KEYSTORES = {"mid-right-first": "mid-old", "mid-wrong-first": "mid-2023"}


def _add_keystores(pki: Pki) -> None:
    """Java keystores holding two key pairs, with their chains up to the root.

    good (RSA 2048, a client certificate) under DEFAULT_ALIAS and rsa1024 under another alias;
    the right-first one also trusts the root (a trustedCertEntry).

    Made with keytool from PKCS#12 files when a JDK is installed (so the files are Java's own),
    as JKS, and converted to JCEKS and PKCS#12; without keytool the JKS files are written with
    pyjks (which writes neither JCEKS nor PKCS#12: the tests that need those skip).
    """
    for name, alias in (("good", DEFAULT_ALIAS), ("rsa1024", "mid-old"),
                        ("rsa1024", "mid-2023")):
        pki.ossl("pkcs12", "-export", "-inkey", f"{name}.key", "-in", f"{name}.pem",
                 "-certfile", "chain.pem", "-name", alias, "-out", f"alias-{alias}.p12",
                 "-passout", f"pass:{PASSWORD}")
    if shutil.which("keytool") is None:
        _add_keystores_with_pyjks(pki)
        return
    for store, old in KEYSTORES.items():
        for alias in (DEFAULT_ALIAS, old):
            pki.keytool("-importkeystore", "-noprompt", "-srckeystore", f"alias-{alias}.p12",
                        "-srcstoretype", "PKCS12", "-srcstorepass", PASSWORD,
                        "-destkeystore", f"{store}.jks", "-deststoretype", "JKS",
                        "-deststorepass", PASSWORD)
    pki.keytool("-importcert", "-noprompt", "-alias", "acme-root", "-file", "root.pem",
                "-keystore", "mid-right-first.jks", "-storetype", "JKS", "-storepass", PASSWORD)
    for kind, ext in (("JCEKS", "jceks"), ("PKCS12", "p12")):
        pki.keytool("-importkeystore", "-noprompt", "-srckeystore", "mid-right-first.jks",
                    "-srcstoretype", "JKS", "-srcstorepass", PASSWORD,
                    "-destkeystore", f"mid-right-first.{ext}", "-deststoretype", kind,
                    "-deststorepass", PASSWORD)


def _der(pki: Pki, name: str) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return certs.load([pki.path(name)]).certs[0].x509.public_bytes(serialization.Encoding.DER)


def _pkcs8(pki: Pki, name: str) -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(pki.key(name).read_bytes(), None)
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _add_keystores_with_pyjks(pki: Pki) -> None:
    import jks

    chain = [_der(pki, "int"), _der(pki, "root")]
    for store, old in KEYSTORES.items():
        entries = [jks.PrivateKeyEntry.new(DEFAULT_ALIAS, [_der(pki, "good")] + chain,
                                           _pkcs8(pki, "good")),
                   jks.PrivateKeyEntry.new(old, [_der(pki, "rsa1024")] + chain,
                                           _pkcs8(pki, "rsa1024"))]
        if store == "mid-right-first":
            entries.append(jks.TrustedCertEntry.new("acme-root", _der(pki, "root")))
        jks.KeyStore.new("jks", entries).save(str(pki.dir / f"{store}.jks"), PASSWORD)


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def run(*args: str, env: dict | None = None, stdin: str | None = None
        ) -> subprocess.CompletedProcess:
    """The CLI as a user runs it, so exit codes and stderr are the real ones."""
    base = {"NO_COLOR": "1", "COLUMNS": "200", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run([sys.executable, "-m", "loganalyzer", *args], capture_output=True,
                          text=True, cwd=ROOT, env={**base, **(env or {})}, input=stdin,
                          timeout=120)


def causes(report: certs.CertReport, min_severity: str = "warning") -> set[str]:
    rank = {"info": 0, "warning": 1, "error": 2}
    return {d.root_cause for d in diagnosed(report)
            if rank[d.severity] >= rank[min_severity]}


def checked(*paths, **kw) -> certs.CertReport:
    return certs.check(certs.load([str(p) for p in paths], **kw))


def diagnosed(report: certs.CertReport) -> list:
    """The diagnoses the set-up rules make of one checked bundle."""
    from loganalyzer.ruleset.rules import load_rules
    from loganalyzer.selfcheck.diagnose import evaluate

    assert report.observation is not None
    return evaluate([report.observation], load_rules(), "certs", [])


def by_rule(report: certs.CertReport, rule: str):
    return next(d for d in diagnosed(report) if d.rule == rule)


# ----------------------------------------------------------------------------- hashes


@pytest.mark.parametrize("name", ["root", "int", "good", "serverauth", "selfsigned", "odd",
                                  "expired"])
def test_hashes_equal_openssls(pki, name):
    cert = certs.load([pki.path(name)]).certs[0]
    assert (cert.subject_hash, cert.issuer_hash) == pki.hashes(pki.path(name))


def test_chain_hashes_link_like_the_kb_example(pki):
    """KB Q&A: each certificate's issuer hash is the next one's hash; the root's two are equal."""
    report = checked(pki.dir / "bundle.pem")
    hashes = [(l.cert.subject_hash, l.cert.issuer_hash) for l in report.chain]
    assert [h for h in hashes] == [pki.hashes(pki.path(n)) for n in ("good", "int", "root")]
    assert hashes[0][1] == hashes[1][0] and hashes[1][1] == hashes[2][0] == hashes[2][1]


def test_odd_name_canonical_form(pki):
    """Case, runs of spaces, UTF-8, a multi-valued RDN and an IA5 e-mail all hash as openssl."""
    cert = certs.load([pki.path("odd")]).certs[0]
    assert cert.subject_hash == pki.hashes(pki.path("odd"))[0]
    assert "Grüße" in cert.subject and "EMAILADDRESS=Ops@Example.COM" in cert.subject


# ----------------------------------------------------------------------------- checks


def test_good_bundle_passes(pki):
    report = checked(pki.dir / "bundle.pem")
    assert report.leaf.subject.startswith("CN=mid-lab-01.acme.example")
    assert [l.status for l in report.chain] == ["signed", "signed", "self-signed"]
    assert report.chain_complete and report.key_matches is True
    assert causes(report, "warning") == set()
    assert report.leaf.key_text == "RSA 2048 bits"


def test_good_bundle_from_separate_files_in_any_order(pki):
    report = checked(pki.path("root"), pki.key("good"), pki.path("int"), pki.path("good"))
    assert report.chain_complete and report.key_matches
    assert causes(report) == set()


@pytest.mark.parametrize("name,cause,words", [
    ("serverauth", "not-a-client-certificate", "TLS Web Server Authentication"),
    ("selfsigned", "self-signed-client-cert", "self-signed"),
    ("expired", "client-cert-expired", "expired on"),
])
def test_bad_leaf_reported_with_kb_fix(pki, name, cause, words):
    files = [pki.key(name), pki.path(name)] + ([] if name == "selfsigned" else
                                               [pki.path("int"), pki.path("root")])
    report = checked(*files)
    hits = [d for d in diagnosed(report) if d.root_cause == cause]
    assert hits and hits[0].severity == "error" and words in hits[0].detail
    # title, fix and KB section come from a set-up rule with that root cause
    from loganalyzer.ruleset.rules import load_rules

    rule = load_rules()[hits[0].rule]
    assert rule.scope == "certs" and rule.root_cause == cause
    assert hits[0].fix == list(rule.fix) and hits[0].title == rule.title
    assert hits[0].evidence[0].path.endswith(f"{name}.pem")


def test_missing_intermediate_names_the_missing_link(pki):
    report = checked(pki.key("good"), pki.path("good"), pki.path("root"))
    hit = by_rule(report, "MTLS-315")
    assert hit.root_cause == "ca-chain-incomplete" and hit.severity == "error"
    assert "CN=Acme Lab Client Issuing CA 1" in hit.detail
    assert pki.hashes(pki.path("good"))[1] in hit.detail  # the missing issuer's hash
    assert report.chain[-1].status == "missing" and not report.chain_complete
    assert "sys_ca_certificate" in " ".join(hit.fix)


def test_missing_root_is_reported(pki):
    report = checked(pki.path("good"), pki.path("int"))
    hit = by_rule(report, "MTLS-315")
    assert "CN=Acme Lab Client Root CA" in hit.detail and "root CA" in hit.detail


def test_key_that_does_not_match(pki):
    """Says exactly that, and how to find the right key; never the keystore advice of the log
    rule (moving agent_keystore away does not help a pair that does not match)."""
    report = checked(pki.key("other"), pki.path("good"), pki.path("int"), pki.path("root"))
    hit = by_rule(report, "MTLS-300")
    assert hit.root_cause == "client-key-mismatch" and hit.severity == "error"
    assert hit.title == "The private key does not belong to the client certificate"
    assert f"The private key in {pki.key('other')}" in hit.detail
    assert "does not match the certificate CN=mid-lab-01.acme.example" in hit.detail
    fix = " ".join(hit.fix)
    assert "openssl pkey -pubout" in fix and "openssl x509 -noout -pubkey" in fix
    assert "certificate signing request" in fix and "agent_keystore" not in fix
    assert report.key_matches is False
    assert [d.root_cause for d in diagnosed(report)] == ["client-key-mismatch"]


def test_der_certificate_is_read_and_reported_not_pem(pki):
    der = pki.dir / "good.cer"
    pki.ossl("x509", "-in", "good.pem", "-outform", "der", "-out", str(der))
    report = checked(der, pki.path("int"), pki.path("root"))
    hit = by_rule(report, "MTLS-305")
    # a note: this tool reads it, the KB's steps want PEM
    assert hit.root_cause == "certificate-not-pem" and hit.severity == "info" and hit.fix
    assert f"openssl x509 -inform der -in {der}" in hit.evidence[0].text
    assert report.chain_complete
    assert report.leaf.subject_hash == pki.hashes(pki.path("good"))[0]


def test_pkcs12_with_password(pki):
    p12 = pki.dir / "good.p12"
    pki.ossl("pkcs12", "-export", "-out", str(p12), "-inkey", "good.key", "-in", "good.pem",
             "-certfile", "chain.pem", "-passout", f"pass:{PASSWORD}")
    asked = []
    report = certs.check(certs.load([str(p12)], ask=lambda what: asked.append(what) or
                                    PASSWORD.encode()))
    assert asked and "PKCS#12" in asked[0]
    assert report.chain_complete and report.key_matches
    # the MID Server's own keystore form: a normal input, nothing to convert or warn about
    assert diagnosed(report) == []
    # wrong password, no password: one problem each, never an exception
    wrong = certs.load([str(p12)], password=b"nope")
    assert wrong.problems and "wrong password" in wrong.problems[0].message
    none = certs.load([str(p12)])
    assert "password" in none.problems[0].message


def test_pkcs1_and_encrypted_keys(pki):
    pki.ossl("pkey", "-in", "good.key", "-traditional", "-out", "good-pkcs1.key")
    report = checked(pki.dir / "good-pkcs1.key", pki.path("good"))
    hit = by_rule(report, "MTLS-303")
    assert hit.root_cause == "private-key-not-pkcs8" and report.key_matches
    assert "pkcs1" in hit.detail and "openssl pkcs8 -topk8 -nocrypt" in " ".join(hit.fix)
    pki.ossl("pkcs8", "-topk8", "-in", "good.key", "-out", "good-enc.key", "-passout",
             f"pass:{PASSWORD}")
    report = checked(pki.dir / "good-enc.key", pki.path("good"))
    hits = {d.rule for d in diagnosed(report)}
    assert "MTLS-304" in hits and "MTLS-303" not in hits  # yields_to: one text, not two
    report = checked(pki.dir / "good-enc.key", pki.path("good"), password=PASSWORD.encode())
    assert report.key_matches is True
    # still encrypted PKCS#8 (and the chain is missing: only the leaf was given)
    assert {d.rule for d in diagnosed(report)} == {"MTLS-303", "MTLS-315"}


def test_garbage_and_unreadable_are_problems(pki, tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_bytes(os.urandom(2000))
    cut = tmp_path / "cut.pem"
    cut.write_text(pki.path("good").read_text()[:300])
    b64 = tmp_path / "bare.txt"
    b64.write_text("MIIBszCCAVmgAwIBAgIUQ\n")
    bundle = certs.load([str(junk), str(cut), str(b64), str(tmp_path / "absent.pem"),
                         str(tmp_path)])
    messages = [str(p) for p in bundle.problems]
    assert len(messages) == 5 and not bundle.certs
    assert "-----END" in messages[1] and "cut.pem:1" in messages[1]
    assert "BEGIN CERTIFICATE" in messages[2] and "no such file" in messages[3]


# ----------------------------------------------------------------------------- split


def test_split_writes_the_kb_files(pki, tmp_path):
    report = checked(pki.dir / "bundle.pem")
    written = certs.split(report, tmp_path / "out")
    names = [w.path.name for w in written]
    assert names == list(certs.SPLIT_NAMES)
    key_file, leaf_file, ca_file = (tmp_path / "out" / n for n in names)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert key_file.read_text().count("BEGIN CERTIFICATE") == 1
    assert "PRIVATE KEY" not in leaf_file.read_text() + ca_file.read_text()
    assert ca_file.read_text() == pki.text("int.pem", "root.pem")
    # the split files verify the way the KB checks a chain
    pki.ossl("verify", "-CAfile", str(pki.path("root")), "-untrusted", str(pki.path("int")),
             str(leaf_file))
    # the key is written nowhere else
    keys = [p for p in tmp_path.rglob("*") if p.is_file() and "PRIVATE KEY" in p.read_text()]
    assert keys == [key_file]


def test_split_tightens_an_existing_key_file_and_refuses_symlinks(pki, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / certs.SPLIT_NAMES[0]).write_text("old")
    os.chmod(out / certs.SPLIT_NAMES[0], 0o644)
    certs.split(checked(pki.dir / "bundle.pem"), out)
    assert stat.S_IMODE((out / certs.SPLIT_NAMES[0]).stat().st_mode) == 0o600
    link_dir = tmp_path / "link"
    link_dir.mkdir()
    (link_dir / certs.SPLIT_NAMES[0]).symlink_to(tmp_path / "elsewhere.pem")
    with pytest.raises(certs.InputError):
        certs.split(checked(pki.dir / "bundle.pem"), link_dir)
    assert not (tmp_path / "elsewhere.pem").exists()


# ----------------------------------------------------------------------------- CLI


def test_cli_good_bundle_exit_0_and_hashes(pki):
    done = run("certs", str(pki.dir / "bundle.pem"))
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("good", "int", "root"):
        subject_hash, issuer_hash = pki.hashes(pki.path(name))
        assert subject_hash in done.stdout and issuer_hash in done.stdout
    assert "Traceback" not in done.stderr


def test_cli_json_and_exit_1_on_findings(pki):
    done = run("certs", str(pki.key("serverauth")), str(pki.path("serverauth")),
               str(pki.dir / "chain.pem"), "--format", "json")
    assert done.returncode == 1
    doc = json.loads(done.stdout)
    assert doc["diagnoses"][0]["root_cause"] == "not-a-client-certificate"
    assert doc["diagnoses"][0]["sources"] == ["certs"]
    assert doc["certs"]["chain_complete"] is True


def test_cli_pkcs12_password_env_and_split(pki, tmp_path):
    p12 = pki.dir / "cli.p12"
    pki.ossl("pkcs12", "-export", "-out", str(p12), "-inkey", "good.key", "-in", "good.pem",
             "-certfile", "chain.pem", "-passout", f"pass:{PASSWORD}")
    done = run("certs", str(p12), "--password-env", "P12PASS", "--split", str(tmp_path / "s"),
               env={"P12PASS": PASSWORD})
    assert done.returncode == 0, done.stdout + done.stderr  # PKCS#12 is a normal input
    assert (tmp_path / "s" / certs.SPLIT_NAMES[0]).exists()
    assert "No problem found." in done.stdout
    bad = run("certs", str(p12), "--password-env", "P12PASS", env={"P12PASS": "wrong"})
    assert bad.returncode == 2 and "wrong password" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    unset = run("certs", str(p12), "--password-env", "NOT_SET_ANYWHERE")
    assert unset.returncode == 2 and "NOT_SET_ANYWHERE" in unset.stderr


def test_cli_garbage_is_one_line_exit_2(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x30\x82\xff\xff" + os.urandom(500))
    done = run("certs", str(junk))
    assert done.returncode == 2 and "junk.bin" in done.stderr
    assert "Traceback" not in done.stderr
    assert run("certs").returncode == 2


SYSTEM_CERTS = Path("/etc/ssl/certs")


@pytest.mark.skipif(not SYSTEM_CERTS.is_dir(), reason="no /etc/ssl/certs")
def test_hashes_equal_the_system_stores_rehash_links():
    """``openssl rehash`` names each CA <subject hash>.N: real-world names, many encodings."""
    import re

    links = [p for p in SYSTEM_CERTS.iterdir() if re.fullmatch(r"[0-9a-f]{8}\.\d+", p.name)]
    if not links:
        pytest.skip("no hash links in /etc/ssl/certs")
    loaded = [(p, certs.load([p]).certs) for p in links]
    wrong = [(p.name, c[0].subject_hash) for p, c in loaded
             if c and c[0].subject_hash != p.name.split(".")[0]]
    assert wrong == [] and sum(1 for _, c in loaded if c) > 10


# ----------------------------------------------------------------------------- keystores


def _keystore(pki, name: str) -> Path:
    path = pki.dir / name
    if not path.is_file():
        pytest.skip(f"{name} is made with keytool (no JDK here)")
    return path


def test_jks_with_two_keys_lists_both_aliases_and_the_one_java_presents(pki):
    report = checked(_keystore(pki, "mid-right-first.jks"), password=PASSWORD.encode())
    assert report.bundle.problems == [] and report.bundle.forms == {
        str(pki.dir / "mid-right-first.jks"): "jks"}
    # every entry, sorted as keytool -list sorts them, with its type and fingerprint
    listed = report.as_dict()["aliases"]
    assert [(a["alias"], a["type"]) for a in listed] == [
        ("acme-root", "trustedCertEntry"), (DEFAULT_ALIAS, "PrivateKeyEntry"),
        ("mid-old", "PrivateKeyEntry")]
    fingerprints = {n: certs.load([pki.path(n)]).certs[0].fingerprint
                    for n in ("root", "good", "rsa1024")}
    assert [a["sha256"] for a in listed] == [fingerprints[n] for n in ("root", "good", "rsa1024")]
    assert [a["presented"] for a in listed] == [False, True, False]
    facts = report.observation.facts
    assert facts.aliases == ["acme-root", DEFAULT_ALIAS, "mid-old"]
    assert facts.key_aliases == [DEFAULT_ALIAS, "mid-old"]
    assert facts.presented_alias == DEFAULT_ALIAS and facts.presented_fits == "yes"
    assert facts.fitting_aliases == [DEFAULT_ALIAS]
    # the presented pair is the one judged as the client certificate
    assert report.leaf.subject.startswith("CN=mid-lab-01.acme.example")
    assert report.key.alias == DEFAULT_ALIAS and report.key_matches and report.chain_complete
    hits = {d.rule: d for d in diagnosed(report)}
    assert set(hits) == {"MTLS-320"}
    assert f"'{DEFAULT_ALIAS}', 'mid-old'" in hits["MTLS-320"].detail
    assert f"SunX509 key manager presents '{DEFAULT_ALIAS}'" in hits["MTLS-320"].detail


def test_jks_whose_first_pair_does_not_fit_names_both(pki):
    """The older pair comes first in SunX509's order: the report says which and why."""
    report = checked(_keystore(pki, "mid-wrong-first.jks"), password=PASSWORD.encode())
    facts = report.observation.facts
    assert facts.key_aliases == [DEFAULT_ALIAS, "mid-2023"]
    assert facts.presented_alias == "mid-2023" and facts.presented_fits == "no"
    assert facts.presented_flaws == ["its key is RSA 1024 bits"]
    assert facts.fitting_aliases == [DEFAULT_ALIAS]
    assert report.leaf.subject.startswith("CN=mid-lab-rsa1024")  # what Java would send
    hit = by_rule(report, "MTLS-321")
    assert hit.root_cause == "wrong-key-chosen" and hit.severity == "error"
    assert "'mid-2023'" in hit.detail and DEFAULT_ALIAS in hit.detail
    assert "SunX509 presents it" in " ".join(e.text for e in hit.evidence)


def test_jceks_with_two_keys(pki):
    report = checked(_keystore(pki, "mid-right-first.jceks"), password=PASSWORD.encode())
    assert report.bundle.problems == []
    assert {c.form for c in report.bundle.certs} == {"jceks"}
    assert [k.form for k in report.bundle.keys] == ["jceks", "jceks"]
    facts = report.observation.facts
    assert facts.aliases == ["acme-root", DEFAULT_ALIAS, "mid-old"]
    assert facts.presented_alias == DEFAULT_ALIAS


def test_pkcs12_with_two_keys_gives_both(pki):
    """Both keys: cryptography's load_pkcs12 returns one, the file's key bags hold both."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    path = _keystore(pki, "mid-right-first.p12")
    assert pkcs12.load_pkcs12(path.read_bytes(), PASSWORD.encode()).key is not None
    report = checked(path, password=PASSWORD.encode())
    assert report.bundle.problems == []
    assert sorted(k.alias for k in report.bundle.keys) == [DEFAULT_ALIAS, "mid-old"]
    assert all(k.key is not None for k in report.bundle.keys)
    facts = report.observation.facts
    assert facts.key_aliases == [DEFAULT_ALIAS, "mid-old"]
    assert "acme-root" in facts.aliases
    assert facts.presented_alias == DEFAULT_ALIAS and facts.presented_fits == "yes"
    assert report.key_matches and report.chain_complete


def test_pkcs12_keeps_the_friendly_name(pki):
    report = checked(pki.dir / "alias-mid-2023.p12", password=PASSWORD.encode())
    assert [k.alias for k in report.bundle.keys] == ["mid-2023"]
    assert report.observation.facts.presented_alias == "mid-2023"
    assert report.observation.facts.aliases == ["mid-2023"]


def test_key_with_its_own_password_is_a_problem_not_a_traceback(pki, tmp_path):
    jks = pytest.importorskip("jks")
    entry = jks.PrivateKeyEntry.new("mid", [_der(pki, "good")], _pkcs8(pki, "good"))
    entry.encrypt("another-secret")
    path = tmp_path / "own-password.jks"
    jks.KeyStore.new("jks", [entry]).save(str(path), PASSWORD)
    bundle = certs.load([path], password=PASSWORD.encode())
    assert len(bundle.problems) == 1
    assert "alias 'mid' has a password other than the keystore's" in bundle.problems[0].message
    assert [k.key for k in bundle.keys] == [None] and bundle.certs


def test_keystore_password_is_asked_once(pki):
    path = _keystore(pki, "mid-right-first.jks")
    asked = []
    bundle = certs.load([path], ask=lambda what: asked.append(what) or PASSWORD.encode())
    assert asked == [f"password of the JKS keystore ({path})"] and not bundle.problems
    none = certs.load([path])
    assert "give its password" in none.problems[0].message


def test_cli_keystore_wrong_password_is_one_line_exit_2(pki):
    path = _keystore(pki, "mid-right-first.jks")
    bad = run("certs", str(path), "--password-env", "KSPASS", env={"KSPASS": "wrong-secret"})
    assert bad.returncode == 2, bad.stdout + bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert "wrong password for the keystore (or a damaged file)" in bad.stderr
    assert "mid-right-first.jks" in bad.stderr
    damaged = pki.write("damaged.jks", path.read_bytes()[:200])
    cut = run("certs", str(damaged), "--password-env", "KSPASS", env={"KSPASS": PASSWORD})
    assert cut.returncode == 2 and "damaged.jks" in cut.stderr
    assert "Traceback" not in cut.stderr and len(cut.stderr.strip().splitlines()) == 1


def test_cli_lists_the_aliases(pki):
    path = _keystore(pki, "mid-wrong-first.jks")
    done = run("certs", str(path), "--password-env", "KSPASS", "--format", "json",
               env={"KSPASS": PASSWORD})
    assert done.returncode == 1, done.stdout + done.stderr  # MTLS-321 is an error
    doc = json.loads(done.stdout)
    assert doc["certs"]["presented_alias"] == "mid-2023"
    assert [a["alias"] for a in doc["certs"]["aliases"]] == [DEFAULT_ALIAS, "mid-2023"]
    rows = {r["label"]: r["value"] for s in doc["checked"] for r in s["rows"]}
    assert rows["alias mid-2023"].startswith("PrivateKeyEntry, CN=mid-lab-rsa1024")
    assert "SHA-256 " in rows["alias mid-2023"]
    assert "presents 'mid-2023'" in rows["key choice"]
    assert "wrong-key-chosen" in {d["root_cause"] for d in doc["diagnoses"]}
    text = run("certs", str(path), "--password-env", "KSPASS", env={"KSPASS": PASSWORD})
    assert f"alias {DEFAULT_ALIAS}" in text.stdout and "PrivateKeyEntry" in text.stdout


# ----------------------------------------------------------------------------- Java's order


def test_java_string_hash_and_collections():
    # String.hashCode of a few strings, as Java computes them (printed by a JVM)
    assert certs.java_string_hash("") == 0
    assert certs.java_string_hash("hello") == 99162322
    assert certs.java_string_hash("polygenelubricants") == 0x80000000  # Integer.MIN_VALUE
    assert certs.java_string_hash("az") == certs.java_string_hash("b[")
    # a HashMap iterates bucket by bucket: "a" (97 & 15 = 1) before "b" (2), whatever was first
    assert certs.java_hashmap_order(["b", "a"]) == ["a", "b"]
    # a Hashtable enumerates from the last bucket: 97 % 11 = 9, 98 % 11 = 10
    assert certs.java_hashtable_order(["a", "b"]) == ["b", "a"]
    # eleven aliases with one hash: the table grows twice, then the bucket would become a tree
    same = ["".join(p) for p in __import__("itertools").product(("az", "b["), repeat=4)]
    assert len({certs.java_string_hash(s) for s in same}) == 1
    assert certs.java_hashmap_order(same[:10]) == same[:10]
    assert certs.java_hashmap_order(same[:11]) is None


def _alias_sets() -> list[list[tuple[str, bool]]]:
    """Alias sets (alias, is a key entry) that exercise the orders.

    Hash collisions, every Hashtable and HashMap growth step, a bucket that makes a HashMap
    grow early.
    """
    import itertools
    import random

    rng = random.Random(13)
    letters = "abcdefghijklmnopqrstuvwxyz0123456789-_."
    sets = [[(DEFAULT_ALIAS, True), ("mid-legacy", True)],  # same HashMap bucket
            [("mid-legacy", True), (DEFAULT_ALIAS, True)],
            [(DEFAULT_ALIAS, True), ("mid-2023", True), ("root", False)]]
    for size in (3, 5, 8, 9, 12, 13, 18, 24, 25, 31, 40, 60):
        names = {"".join(rng.choice(letters) for _ in range(rng.randint(1, 24)))
                 for _ in range(size)}
        sets.append([(n, rng.random() < 0.7) for n in sorted(names, key=lambda _: rng.random())])
    same = ["".join(p) for p in itertools.product(("az", "b["), repeat=4)]
    sets.append([(s, True) for s in same[:10]] + [("mid", True), ("other", True)])
    return sets


ORDER_JAVA = r"""
import java.io.*;
import java.security.*;
import java.util.*;
import javax.net.ssl.*;

/** For each JKS file: write it again as PKCS12 (and as JCEKS when its name is given with a
 *  leading +), then print, per file, what KeyStore.aliases() enumerates and the EC aliases
 *  SunX509 offers, in its order, and the one it chooses. */
public class Order {
    public static void main(String[] args) throws Exception {
        char[] pw = args[0].toCharArray();
        for (int i = 1; i < args.length; i++) {
            boolean jceks = args[i].startsWith("+");
            String path = jceks ? args[i].substring(1) : args[i];
            KeyStore jks = load("JKS", path, pw);
            List<String[]> files = new ArrayList<>();
            files.add(new String[] {"JKS", path});
            write(jks, pw, "PKCS12", path + ".p12");
            files.add(new String[] {"PKCS12", path + ".p12"});
            if (jceks) {
                write(jks, pw, "JCEKS", path + ".jceks");
                files.add(new String[] {"JCEKS", path + ".jceks"});
            }
            for (String[] f : files) {
                KeyStore ks = load(f[0], f[1], pw);
                KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
                kmf.init(ks, pw);
                X509KeyManager km = (X509KeyManager) kmf.getKeyManagers()[0];
                String[] offered = km.getClientAliases("EC", null);
                System.out.println("FILE\t" + f[1]);
                System.out.println("ALIASES" + joined(Collections.list(ks.aliases())));
                System.out.println("OFFERED"
                    + joined(offered == null ? List.of() : Arrays.asList(offered)));
                System.out.println("CHOSEN\t"
                    + km.chooseClientAlias(new String[] {"EC"}, null, null));
            }
        }
    }

    static KeyStore load(String type, String path, char[] pw) throws Exception {
        KeyStore ks = KeyStore.getInstance(type);
        try (InputStream in = new FileInputStream(path)) {
            ks.load(in, pw);
        }
        return ks;
    }

    static void write(KeyStore src, char[] pw, String type, String path) throws Exception {
        KeyStore dst = KeyStore.getInstance(type);
        dst.load(null, pw);
        for (String alias : Collections.list(src.aliases())) {
            if (src.isKeyEntry(alias)) {
                dst.setKeyEntry(alias, src.getKey(alias, pw), pw, src.getCertificateChain(alias));
            } else {
                dst.setCertificateEntry(alias, src.getCertificate(alias));
            }
        }
        try (OutputStream out = new FileOutputStream(path)) {
            dst.store(out, pw);
        }
    }

    static String joined(List<String> items) {
        StringBuilder b = new StringBuilder();
        for (String s : items) {
            b.append('\t').append(s);
        }
        return b.toString();
    }
}
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("javac") is None or shutil.which("java") is None,
                    reason="needs a JDK (javac and java)")
def test_sunx509_order_is_the_jvms(tmp_path):
    """SunX509's order of aliases, as a JVM prints it, is this module's.

    Keystores are written with pyjks (JKS), and by the JVM from them (PKCS12, and JCEKS for the
    sets of up to four keys: pyjks takes about a second per JCEKS key, whose protection the JDK
    iterates 200,000 times). For each, the order KeyStore.aliases() enumerates, the order
    SunX509 offers the aliases in and the alias chooseClientAlias returns equal the model's.
    EC keys, because cryptography checks an RSA key for tens of milliseconds as it loads it.
    """
    jks = pytest.importorskip("jks")
    import datetime

    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = cx509.Name([cx509.NameAttribute(cx509.oid.NameOID.COMMON_NAME, "order")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (cx509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    key_der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    paths = []
    for n, aliases in enumerate(_alias_sets()):
        entries = [jks.PrivateKeyEntry.new(a, [cert_der], key_der) if keyed
                   else jks.TrustedCertEntry.new(a, cert_der) for a, keyed in aliases]
        path = tmp_path / f"set{n}.jks"
        jks.KeyStore.new("jks", entries).save(str(path), PASSWORD)
        paths.append(("+" if sum(k for _, k in aliases) <= 4 else "") + str(path))
    (tmp_path / "Order.java").write_text(ORDER_JAVA)
    subprocess.run(["javac", "-d", str(tmp_path), str(tmp_path / "Order.java")], check=True,
                   capture_output=True, timeout=300)
    done = subprocess.run(["java", "-cp", str(tmp_path), "Order", PASSWORD, *paths],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    jvm: dict[str, dict[str, list[str]]] = {}
    for line in done.stdout.splitlines():
        label, *values = line.split("\t")
        if label == "FILE":
            current = jvm[values[0]] = {}
        else:
            current[label] = values
    assert len(jvm) == 2 * len(paths) + sum(p.startswith("+") for p in paths)
    for path, seen in jvm.items():
        bundle = certs.load([path], password=PASSWORD.encode())
        assert bundle.problems == [], path
        entries = bundle.entries
        keyed = [e.alias for e in entries if e.kind == certs.PRIVATE_KEY_ENTRY]
        if path.endswith(".p12"):  # LinkedHashMap: the key entries in file order
            assert [a for a in seen["ALIASES"] if a in keyed] == keyed, path
        else:
            assert certs.java_hashtable_order([e.alias for e in entries]) == seen["ALIASES"], path
        order = certs.sunx509_order(entries)
        assert [e.alias for e in order] == seen["OFFERED"], path
        presented = certs.check(bundle).presented
        assert (presented.alias if presented else "null") == seen["CHOSEN"][0], path
