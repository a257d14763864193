"""Certificate files the KB asks for: load, split, verify the chain, check the client certificate.

A customer brings a vendor's PEM bundle (or a DER file, or a PKCS#12 file). The KB wants three
PEM files out of it (private key + leaf for the MID Server, the leaf for sys_user_certificate,
intermediates + root for sys_ca_certificate), a chain that verifies leaf -> intermediates -> root,
and a leaf that is a client certificate. This module checks all of that with ``cryptography``
and reports :class:`~loganalyzer.selfcheck.combine.Finding` objects with the rule texts of ``analyze``.

Subject and issuer hashes are computed exactly as OpenSSL's ``X509_NAME_hash`` (what
``openssl x509 -hash -issuer_hash`` prints): SHA-1 over the canonical name encoding, whose
first four bytes are read little-endian. The KB's Q&A checks chains with these hashes.

Nothing here prints, exits or prompts: a password is asked for through a callback the caller
passes, and unreadable files become :class:`~loganalyzer.errors.Problem` objects.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.utils import CryptographyDeprecationWarning

from loganalyzer.errors import InputError, Location, Problem
from loganalyzer.ingest.sources import read_small_file
from loganalyzer.selfcheck.findings import Finding, finding
from loganalyzer.vocabulary import ANY_EKU_OID, CLIENT_AUTH_OID, EKU_LONG

MAX_FILE_BYTES = 10 * 1024 * 1024  # a certificate file is kilobytes; anything this big is not one
EXPIRY_WARNING_DAYS = 30
MIN_RSA_BITS = 2048

#: A password source: called with a description of what needs it; ``None`` means "none given".
PasswordAsk = Callable[[str], "bytes | None"]

# ----------------------------------------------------------------------------- DER and names

# ASN.1 string tags OpenSSL canonicalises (ASN1_MASK_CANON): UTF8, BMP, Universal, Printable,
# T61, IA5, Visible. Others (NumericString, BIT STRING …) are hashed as they are.
_CANON_DECODE = {0x0C: "utf-8", 0x1E: "utf-16-be", 0x1C: "utf-32-be", 0x13: "latin-1",
                 0x14: "latin-1", 0x16: "latin-1", 0x1A: "latin-1"}
_SPACE = b" \t\n\v\f\r"
_SHORT_NAMES = {
    "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O",
    "2.5.4.11": "OU", "2.5.4.9": "STREET", "2.5.4.5": "SERIALNUMBER", "2.5.4.4": "SURNAME",
    "2.5.4.42": "GIVENNAME", "2.5.4.12": "T", "2.5.4.46": "DNQ", "2.5.4.17": "POSTALCODE",
    "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
    "1.2.840.113549.1.9.1": "EMAILADDRESS",
}


def _read_tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the DER element at ``pos``."""
    tag = data[pos]
    length = data[pos + 1]
    start = pos + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[start:start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def _tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        return bytes((tag, n)) + value
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + value


def _oid(value: bytes) -> str:
    parts: list[int] = []
    acc = 0
    for b in value:
        acc = (acc << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(acc)
            acc = 0
    if not parts:
        return ""
    first = parts[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(p) for p in head + parts[1:])


def _name_entries(der: bytes) -> list[list[tuple[str, bytes, int, bytes]]]:
    """The RDNs of a DER Name: per RDN, (oid, oid TLV, value tag, value bytes) per attribute."""
    tag, pos, end = _read_tlv(der, 0)
    if tag != 0x30:
        raise ValueError("not a DER Name")
    rdns = []
    while pos < end:
        _, spos, send = _read_tlv(der, pos)
        entries = []
        p = spos
        while p < send:
            _, evs, eend = _read_tlv(der, p)
            _, ovs, oend = _read_tlv(der, evs)
            vtag, vvs, vend = _read_tlv(der, oend)
            entries.append((_oid(der[ovs:oend]), der[evs:oend], vtag, der[vvs:vend]))
            p = eend
        rdns.append(entries)
        pos = send
    return rdns


def _canon(tag: int, value: bytes) -> bytes:
    """OpenSSL's asn1_string_canon: UTF-8, trimmed, inner spaces collapsed, ASCII lower-cased."""
    text = value if tag == 0x0C else value.decode(_CANON_DECODE[tag]).encode("utf-8")
    text = text.strip(_SPACE)
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c in _SPACE:
            out.append(0x20)
            while i < len(text) and text[i] in _SPACE:
                i += 1
            continue
        out.append(c + 32 if 0x41 <= c <= 0x5A else c)
        i += 1
    return bytes(out)


def name_hash(der: bytes) -> str:
    """``X509_NAME_hash`` of a DER-encoded Name, as ``openssl x509 -hash`` prints it."""
    canon = bytearray()
    for rdn in _name_entries(der):
        encoded = []
        for _, oid_tlv, tag, value in rdn:
            if tag in _CANON_DECODE:
                body = _tlv(0x0C, _canon(tag, value))
            else:
                body = _tlv(tag, value)
            encoded.append(_tlv(0x30, oid_tlv + body))
        canon += _tlv(0x31, b"".join(sorted(encoded)))  # DER SET OF: sorted encodings
    digest = hashlib.sha1(bytes(canon)).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


def _escape(value: str) -> str:
    out = "".join("\\" + ch if ch in ',+"\\<>;' else ch for ch in value)
    if out.startswith((" ", "#")):
        out = "\\" + out
    if out.endswith(" ") and not out.endswith("\\ "):
        out = out[:-1] + "\\ "
    return out


def name_text(der: bytes) -> str:
    """A DER Name the way JSSE logs print it: most specific RDN first (``CN=…, O=…, C=…``)."""
    try:
        rdns = _name_entries(der)
    except (ValueError, IndexError):
        return "#" + der.hex()
    parts = []
    for rdn in reversed(rdns):
        atoms = []
        for oid, _, tag, value in rdn:
            key = _SHORT_NAMES.get(oid, f"OID.{oid}")
            try:
                text = _escape(value.decode(_CANON_DECODE.get(tag, "ascii")))
            except UnicodeDecodeError:
                text = "#" + _tlv(tag, value).hex()
            atoms.append(f"{key}={text}")
        parts.append(" + ".join(atoms))
    return ", ".join(parts)


# ----------------------------------------------------------------------------- model


@dataclass(frozen=True, eq=False)
class Cert:
    """One certificate and where it was read (``form``: pem, der, pkcs12, pkcs7)."""

    x509: x509.Certificate
    where: Location
    form: str

    @property
    def subject(self) -> str:
        return name_text(self.x509.subject.public_bytes())

    @property
    def issuer(self) -> str:
        return name_text(self.x509.issuer.public_bytes())

    @property
    def subject_hash(self) -> str:
        return name_hash(self.x509.subject.public_bytes())

    @property
    def issuer_hash(self) -> str:
        return name_hash(self.x509.issuer.public_bytes())

    @property
    def self_issued(self) -> bool:
        return self.x509.subject.public_bytes() == self.x509.issuer.public_bytes()

    @property
    def self_signed(self) -> bool:
        """Issued by itself and signed with its own key."""
        return self.self_issued and signed_by(self, self)

    @property
    def is_ca(self) -> bool:
        try:
            return bool(self.x509.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
        except x509.ExtensionNotFound:
            return False

    @property
    def not_before(self) -> datetime:
        return self.x509.not_valid_before_utc

    @property
    def not_after(self) -> datetime:
        return self.x509.not_valid_after_utc

    @property
    def eku(self) -> tuple[str, ...] | None:
        """Extended Key Usage names as openssl prints them; ``None`` without the extension."""
        try:
            ext = self.x509.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            return None
        return tuple(EKU_LONG.get(oid.dotted_string, oid.dotted_string) for oid in ext)

    @property
    def key_text(self) -> str:
        return describe_key(self.x509.public_key())

    @property
    def fingerprint(self) -> str:
        return self.x509.fingerprint(_sha256()).hex(":").upper()

    def pem(self) -> bytes:
        return self.x509.public_bytes(serialization.Encoding.PEM)

    def as_dict(self) -> dict:
        return {
            "subject": self.subject, "issuer": self.issuer, "subject_hash": self.subject_hash,
            "issuer_hash": self.issuer_hash, "where": str(self.where), "form": self.form,
            "not_before": self.not_before.isoformat(), "not_after": self.not_after.isoformat(),
            "eku": list(self.eku) if self.eku is not None else None, "is_ca": self.is_ca,
            "self_signed": self.self_signed, "key": self.key_text,
            "sha256": self.fingerprint,
        }


@dataclass(frozen=True, eq=False)
class Key:
    """A private key (``None`` when it is encrypted and no password was given).

    ``form``: ``pkcs8`` (what the MID Server wants), ``pkcs8-encrypted``, ``pkcs1`` (BEGIN RSA
    PRIVATE KEY), ``sec1`` (BEGIN EC PRIVATE KEY), ``dsa``, ``der`` or ``pkcs12``.
    """

    key: object | None
    where: Location
    form: str

    def public_der(self) -> bytes | None:
        if self.key is None:
            return None
        return self.key.public_key().public_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def pkcs8_pem(self) -> bytes:
        return self.key.private_bytes(  # type: ignore[union-attr]
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())


@dataclass
class Bundle:
    """Everything read from the files: certificates and keys in file order, per-file forms,
    format findings (not PEM, key not PKCS#8) and the files that could not be read."""

    certs: list[Cert] = field(default_factory=list)
    keys: list[Key] = field(default_factory=list)
    forms: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class Link:
    """One step of the chain: ``cert`` and what issued it.

    ``status``: ``signed`` (issuer found, names and signature verified), ``self-signed`` (a
    root), ``missing`` (the issuer is not in the files), ``bad-signature`` (a certificate with
    the issuer's name is there but did not sign it).
    """

    cert: Cert
    issuer: Cert | None
    status: str


@dataclass
class CertReport:
    """The checked bundle: the leaf, its chain, the key that matches it, and the findings."""

    bundle: Bundle
    leaf: Cert | None = None
    chain: list[Link] = field(default_factory=list)
    key: Key | None = None
    key_matches: bool | None = None
    unrelated: list[Cert] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def cas(self) -> list[Cert]:
        """Intermediates and root of the chain, in chain order (the KB's file 3)."""
        return [link.issuer for link in self.chain if link.issuer is not None
                and link.issuer is not link.cert]

    @property
    def chain_complete(self) -> bool:
        return bool(self.chain) and self.chain[-1].status == "self-signed"

    def as_dict(self) -> dict:
        return {
            "files": dict(self.bundle.forms),
            "leaf": self.leaf.as_dict() if self.leaf else None,
            "chain": [{"subject": l.cert.subject, "subject_hash": l.cert.subject_hash,
                       "issuer": l.cert.issuer, "issuer_hash": l.cert.issuer_hash,
                       "where": str(l.cert.where), "status": l.status} for l in self.chain],
            "chain_complete": self.chain_complete,
            "private_key": ({"where": str(self.key.where), "form": self.key.form,
                             "matches_leaf": self.key_matches} if self.key else None),
            "certificates": [c.as_dict() for c in self.bundle.certs],
            "unrelated": [c.subject for c in self.unrelated],
        }


def _sha256():
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def describe_key(key: object) -> str:
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        return f"RSA {key.key_size} bits"
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        return f"EC {key.curve.name} ({key.key_size} bits)"
    if isinstance(key, (dsa.DSAPublicKey, dsa.DSAPrivateKey)):
        return f"DSA {key.key_size} bits"
    if isinstance(key, (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)):
        return "Ed25519"
    if isinstance(key, (ed448.Ed448PublicKey, ed448.Ed448PrivateKey)):
        return "Ed448"
    return type(key).__name__


def signed_by(cert: Cert, issuer: Cert) -> bool:
    """True when ``issuer``'s name is ``cert``'s issuer and its key made the signature."""
    try:
        cert.x509.verify_directly_issued_by(issuer.x509)
        return True
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False


# ----------------------------------------------------------------------------- loading

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)
_CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE"}
_KEY_FORMS = {b"PRIVATE KEY": "pkcs8", b"ENCRYPTED PRIVATE KEY": "pkcs8-encrypted",
              b"RSA PRIVATE KEY": "pkcs1", b"EC PRIVATE KEY": "sec1",
              b"DSA PRIVATE KEY": "dsa"}
_B64_TEXT = re.compile(rb"^[A-Za-z0-9+/=\s]+$")


class _Passwords:
    """Asks once per file for a password, unless one was given for all."""

    def __init__(self, password: bytes | None, ask: PasswordAsk | None) -> None:
        self.password = password
        self.ask = ask
        self.asked: dict[str, bytes | None] = {}

    def get(self, path: str, what: str) -> bytes | None:
        if self.password is not None:
            return self.password
        if path not in self.asked:
            self.asked[path] = self.ask(f"{what} ({path})") if self.ask else None
        return self.asked[path]


def load(paths: Iterable[str | Path], password: bytes | None = None,
         ask: PasswordAsk | None = None) -> Bundle:
    """Read certificate and key files (PEM, DER, PKCS#7, PKCS#12); bad files become problems."""
    bundle = Bundle()
    passwords = _Passwords(password, ask)
    for p in paths:
        path = str(p)
        try:
            data = _read(path)
            with warnings.catch_warnings():  # e.g. a negative serial in an old CA: still read
                warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                _load_one(bundle, path, data, passwords)
        except InputError as exc:
            bundle.problems.append(Problem(exc.where or Location(path), exc.message))
    return bundle


def _read(path: str) -> bytes:
    where = Location(path)
    data = read_small_file(
        path, MAX_FILE_BYTES, directory="is a directory, not a certificate file",
        too_large=f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: not a certificate file",
    )
    if not data.strip():
        raise InputError("empty file", where)
    return data


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _load_one(bundle: Bundle, path: str, data: bytes, passwords: _Passwords) -> None:
    blocks = list(_PEM_BLOCK.finditer(data))
    if blocks:
        bundle.forms[path] = "pem"
        for m in blocks:
            _load_block(bundle, path, data, m, passwords)
        return
    if b"-----BEGIN" in data:
        raise InputError("a PEM header without its matching -----END----- line (truncated or "
                         "edited file)", Location(path, _line_of(data, data.index(b"-----BEGIN"))))
    if data[:1] == b"\x30":
        _load_der(bundle, path, data, passwords)
        return
    if _B64_TEXT.match(data):
        raise InputError("base64 text without the -----BEGIN CERTIFICATE----- and -----END "
                         "CERTIFICATE----- lines: add them (or get the file as PEM from the "
                         "vendor)", Location(path, 1))
    raise InputError("not a certificate or key file (neither PEM, DER nor PKCS#12)",
                     Location(path))


def _load_block(bundle: Bundle, path: str, data: bytes, m: re.Match, passwords: _Passwords
                ) -> None:
    label = m.group(1)
    where = Location(path, _line_of(data, m.start()))
    text = m.group(0)
    name = label.decode()
    if label in _CERT_LABELS:
        try:
            bundle.certs.append(Cert(x509.load_pem_x509_certificate(text), where, "pem"))
        except ValueError as exc:
            bundle.problems.append(Problem(where, f"a {name} block that is not a valid "
                                                  f"certificate ({_reason(exc)})"))
        return
    if label in _KEY_FORMS:
        form = _KEY_FORMS[label]
        encrypted = form == "pkcs8-encrypted" or b"ENCRYPTED" in m.group(2)[:200]
        secret = passwords.get(path, "password of the private key") if encrypted else None
        if encrypted and secret is None:
            bundle.keys.append(Key(None, where, form))
            bundle.findings.append(finding(
                "certs.key-encrypted", "MTLS-030", "warning",
                "The private key is encrypted and no password was given, so it was not checked "
                "against the certificate. The MID Server needs it unencrypted (PKCS#8, BEGIN "
                f"PRIVATE KEY): `openssl pkcs8 -in {path} -out key.pem`.", where=where))
            return
        try:
            try:
                key = serialization.load_pem_private_key(text, secret)
            except TypeError:  # a password for a key that is not encrypted, or the reverse
                key = serialization.load_pem_private_key(text, None if secret else b"")
        except (ValueError, TypeError) as exc:
            msg = ("wrong password for the private key" if encrypted else
                   f"a {name} block that is not a valid private key ({_reason(exc)})")
            bundle.problems.append(Problem(where, msg))
            return
        except UnsupportedAlgorithm as exc:
            bundle.problems.append(Problem(where, f"unsupported private key: {exc}"))
            return
        bundle.keys.append(Key(key, where, form))
        if form != "pkcs8":
            bundle.findings.append(finding(
                "certs.key-format", "MTLS-030", "warning",
                f"The private key is {name} (not PKCS#8 '-----BEGIN PRIVATE KEY-----'): the MID "
                "Server cannot read it ('Could not find valid private key'). Convert it with "
                f"`openssl pkcs8 -topk8 -nocrypt -in {path} -out key-pkcs8.pem`"
                + (" (it asks for the current password)" if encrypted else "") + ".",
                where=where))
        return
    if label in (b"PKCS7", b"CMS"):
        try:
            certs = pkcs7.load_pem_pkcs7_certificates(text)
        except ValueError as exc:
            bundle.problems.append(Problem(where, f"a {name} block that cannot be read "
                                                  f"({_reason(exc)})"))
            return
        bundle.certs.extend(Cert(c, where, "pkcs7") for c in certs)
        bundle.findings.append(_not_pem(path, where, "a PKCS#7 (.p7b) certificate bundle",
                                        f"openssl pkcs7 -print_certs -in {path} -out bundle.pem"))
        return
    bundle.findings.append(finding(
        "certs.unknown-block", None, "info",
        f"Ignored a {name} block: it is neither a certificate nor a private key.", where=where))


def _load_der(bundle: Bundle, path: str, data: bytes, passwords: _Passwords) -> None:
    where = Location(path)
    try:
        bundle.certs.append(Cert(x509.load_der_x509_certificate(data), where, "der"))
        bundle.forms[path] = "der"
        bundle.findings.append(_not_pem(path, where, "a DER (binary) certificate",
                                        f"openssl x509 -inform der -in {path} -out cert.pem"))
        return
    except ValueError:
        pass
    if _looks_pkcs12(data):
        bundle.forms[path] = "pkcs12"
        _load_pkcs12(bundle, path, data, passwords)
        return
    try:
        certs = pkcs7.load_der_pkcs7_certificates(data)
        bundle.certs.extend(Cert(c, where, "pkcs7") for c in certs)
        bundle.forms[path] = "pkcs7"
        bundle.findings.append(_not_pem(
            path, where, "a DER PKCS#7 (.p7b) certificate bundle",
            f"openssl pkcs7 -inform der -print_certs -in {path} -out bundle.pem"))
        return
    except (ValueError, UnsupportedAlgorithm):
        pass
    try:
        key = serialization.load_der_private_key(data, None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InputError("binary data that is not a certificate, private key or PKCS#12 "
                         "file", where) from None
    bundle.forms[path] = "der"
    bundle.keys.append(Key(key, where, "der"))
    bundle.findings.append(_not_pem(path, where, "a DER (binary) private key",
                                    f"openssl pkcs8 -topk8 -nocrypt -inform der -in {path} "
                                    "-out key.pem"))


def _looks_pkcs12(data: bytes) -> bool:
    """PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo, … }."""
    try:
        tag, pos, _ = _read_tlv(data, 0)
        itag, ipos, iend = _read_tlv(data, pos)
        return tag == 0x30 and itag == 0x02 and data[ipos:iend] == b"\x03"
    except (ValueError, IndexError):
        return False


def _load_pkcs12(bundle: Bundle, path: str, data: bytes, passwords: _Passwords) -> None:
    where = Location(path)
    loaded = None
    for attempt in (None, b""):
        try:
            loaded = pkcs12.load_pkcs12(data, attempt)
            break
        except ValueError:
            continue
    if loaded is None:
        secret = passwords.get(path, "password of the PKCS#12 file")
        if secret is None:
            raise InputError("PKCS#12 file is password-protected: give the password (prompt, "
                             "or --password-env VAR)", where)
        try:
            loaded = pkcs12.load_pkcs12(data, secret)
        except ValueError:
            raise InputError("wrong password for the PKCS#12 file (or a damaged file)",
                             where) from None
        except UnsupportedAlgorithm as exc:
            raise InputError(f"PKCS#12 file uses an unsupported algorithm: {exc}",
                             where) from None
    if loaded.key is not None:
        bundle.keys.append(Key(loaded.key, where, "pkcs12"))
    if loaded.cert is not None:
        bundle.certs.append(Cert(loaded.cert.certificate, where, "pkcs12"))
    bundle.certs.extend(Cert(c.certificate, where, "pkcs12") for c in loaded.additional_certs)
    bundle.findings.append(_not_pem(path, where, "a PKCS#12 (.p12/.pfx) file",
                                    f"openssl pkcs12 -in {path} -nodes -out bundle.pem"
                                    " (then split it: loganalyzer certs bundle.pem --split DIR)"))


def _not_pem(path: str, where: Location, what: str, command: str) -> Finding:
    # The KB text is MTLS-212's, but a local file in another format is no root cause of a
    # failed handshake yet (MTLS-212 speaks of what it leads to on the instance), so none.
    found = finding("certs.not-pem", "MTLS-212", "warning",
                    f"{path} is {what}, not PEM. The instance and the MID Server take PEM only: "
                    f"`{command}`, or use --split, which writes PEM.", where=where)
    return replace(found, root_cause=None)


def _reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


# ----------------------------------------------------------------------------- checks


def check(bundle: Bundle, now: datetime | None = None) -> CertReport:
    """Find the leaf and its chain in ``bundle`` and check them the way the KB does."""
    now = now or datetime.now(timezone.utc)
    report = CertReport(bundle)
    report.findings.extend(bundle.findings)
    if not bundle.certs:
        if bundle.keys:
            report.findings.append(finding(
                "certs.no-certificate", "MTLS-030", "error",
                "A private key without a certificate: the MID Server needs the private key "
                "and the leaf certificate in one PEM file.", where=bundle.keys[0].where))
        return report
    report.leaf, report.key = _pick_leaf(bundle)
    leaf = report.leaf
    report.chain = _build_chain(leaf, bundle.certs)
    in_chain = {id(l.cert) for l in report.chain} | {id(l.issuer) for l in report.chain}
    report.unrelated = [c for c in bundle.certs if id(c) not in in_chain]
    _check_key(report)
    _check_leaf(report, now)
    _check_chain(report, now)
    _check_order(report)
    return report


def _pick_leaf(bundle: Bundle) -> tuple[Cert, Key | None]:
    """The certificate the private key belongs to; else the one that issued no other."""
    for key in bundle.keys:
        der = key.public_der()
        if der is None:
            continue
        for cert in bundle.certs:
            if cert.x509.public_key().public_bytes(
                    serialization.Encoding.DER,
                    serialization.PublicFormat.SubjectPublicKeyInfo) == der:
                return cert, key
    issuers = set()
    for cert in bundle.certs:
        for other in bundle.certs:
            if other is not cert and signed_by(other, cert):
                issuers.add(id(cert))
    candidates = [c for c in bundle.certs if id(c) not in issuers]
    leaf = next((c for c in candidates if not c.is_ca), candidates[0] if candidates
                else bundle.certs[0])
    return leaf, (bundle.keys[0] if bundle.keys else None)


def _build_chain(leaf: Cert, certs: Sequence[Cert]) -> list[Link]:
    chain: list[Link] = []
    current = leaf
    seen = {id(leaf)}
    for _ in range(16):
        if current.self_issued and signed_by(current, current):
            chain.append(Link(current, current, "self-signed"))
            break
        named = [c for c in certs if c is not current and
                 c.x509.subject.public_bytes() == current.x509.issuer.public_bytes()]
        issuer = next((c for c in named if signed_by(current, c)), None)
        if issuer is None:
            chain.append(Link(current, named[0] if named else None,
                              "bad-signature" if named else "missing"))
            break
        chain.append(Link(current, issuer, "signed"))
        if id(issuer) in seen:
            break
        seen.add(id(issuer))
        current = issuer
    return chain


def _check_key(report: CertReport) -> None:
    bundle, leaf = report.bundle, report.leaf
    assert leaf is not None
    leaf_der = leaf.x509.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    usable = [k for k in bundle.keys if k.key is not None]
    if report.key is not None and report.key.key is not None:
        report.key_matches = report.key.public_der() == leaf_der
    if not bundle.keys:
        report.findings.append(finding(
            "certs.no-key", "MTLS-030", "info",
            "No private key in these files: fine for the leaf (sys_user_certificate) and the CA "
            "chain (sys_ca_certificate), but the MID Server needs the private key + leaf "
            "certificate file.", where=leaf.where))
    elif usable and not report.key_matches:
        key = usable[0]
        report.key = key
        report.key_matches = False
        report.findings.append(finding(
            "certs.key-mismatch", "MTLS-030", "error",
            f"The private key ({key.where}, {describe_key(key.key)}) does not belong to the "
            f"certificate {leaf.subject} ({leaf.where}, {leaf.key_text}): the MID Server "
            "cannot authenticate with this pair.", where=key.where))
    if len(usable) > 1:
        report.findings.append(finding(
            "certs.several-keys", "MTLS-030", "warning",
            f"{len(usable)} private keys: the file for the MID Server must hold exactly one "
            "private key and its certificate chain.", where=usable[1].where))


def _check_leaf(report: CertReport, now: datetime) -> None:
    leaf = report.leaf
    assert leaf is not None
    eku = leaf.eku
    if eku is None:
        report.findings.append(finding(
            "certs.eku", None, "info",
            f"{leaf.subject} has no Extended Key Usage extension; the KB expects one that lists "
            "TLS Web Client Authentication.", where=leaf.where))
    elif not {EKU_LONG[CLIENT_AUTH_OID], EKU_LONG[ANY_EKU_OID]} & set(eku):
        report.findings.append(finding(
            "certs.eku", "MTLS-040", "error",
            f"{leaf.subject}: X509v3 Extended Key Usage is '{', '.join(eku)}', without TLS Web "
            "Client Authentication: it is not a client certificate.", where=leaf.where))
    try:
        usage = leaf.x509.extensions.get_extension_for_class(x509.KeyUsage).value
        if not usage.digital_signature:
            report.findings.append(finding(
                "certs.key-usage", "MTLS-040", "error",
                f"{leaf.subject}: Key Usage lacks Digital Signature, which TLS client "
                "authentication needs.", where=leaf.where))
    except x509.ExtensionNotFound:
        pass
    if leaf.self_signed:
        report.findings.append(finding(
            "certs.self-signed", "MTLS-050", "error",
            f"{leaf.subject} is self-signed (issuer = subject, hash {leaf.subject_hash}); "
            "self-signed client certificates are not supported.", where=leaf.where))
    _check_dates(report, leaf, now, "The client certificate")
    _check_key_strength(report, leaf)


def _check_dates(report: CertReport, cert: Cert, now: datetime, what: str) -> None:
    if now < cert.not_before:
        report.findings.append(finding(
            "certs.validity", "MTLS-070", "error",
            f"{what} {cert.subject} is not valid yet: notBefore "
            f"{cert.not_before:%Y-%m-%d %H:%M:%S} UTC.", where=cert.where))
    elif now > cert.not_after:
        report.findings.append(finding(
            "certs.validity", "MTLS-070", "error",
            f"{what} {cert.subject} expired on {cert.not_after:%Y-%m-%d %H:%M:%S} UTC.",
            where=cert.where))
    elif (cert.not_after - now).days < EXPIRY_WARNING_DAYS:
        report.findings.append(finding(
            "certs.validity", "MTLS-070", "warning",
            f"{what} {cert.subject} expires in {(cert.not_after - now).days} days "
            f"({cert.not_after:%Y-%m-%d} UTC).", where=cert.where))


def _check_key_strength(report: CertReport, cert: Cert) -> None:
    key = cert.x509.public_key()
    weak = ""
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        weak = f"an RSA key of {key.key_size} bits (JDKs refuse less than {MIN_RSA_BITS})"
    elif isinstance(key, dsa.DSAPublicKey):
        weak = "a DSA key (TLS 1.3 and current JDKs do not use DSA for client authentication)"
    if weak:
        report.findings.append(finding(
            "certs.key-strength", None, "warning",
            f"{cert.subject} has {weak}; ask the certificate provider for RSA 2048+ or EC "
            "P-256/P-384.", where=cert.where))


def _check_chain(report: CertReport, now: datetime) -> None:
    leaf = report.leaf
    assert leaf is not None
    last = report.chain[-1]
    if last.status == "missing" and not (last.cert is leaf and leaf.self_issued):
        what = "root" if last.cert.is_ca or last.cert is not leaf else "issuing"
        report.findings.append(finding(
            "certs.chain", "MTLS-260", "error",
            title="The certificate chain is incomplete: a CA certificate is missing",
            detail=f"Chain incomplete: {last.cert.subject} (hash {last.cert.subject_hash}) was issued "
            f"by {last.cert.issuer} (issuer hash {last.cert.issuer_hash}), which is not in the "
            f"files. Add that {what} CA certificate to the intermediates + root file and to "
            "sys_ca_certificate.", where=last.cert.where))
    elif last.status == "bad-signature":
        report.findings.append(finding(
            "certs.chain", "MTLS-170", "error",
            f"{last.cert.subject} names {last.cert.issuer} as issuer, but the certificate with "
            f"that name ({last.issuer.where if last.issuer else '?'}) did not sign it: a "
            "different CA with the same name (re-issued CA?).", where=last.cert.where))
    for link in report.chain:
        if link.issuer is not None and link.issuer is not leaf and link.status != "bad-signature":
            _check_dates(report, link.issuer, now, "The CA certificate")


def _check_order(report: CertReport) -> None:
    """manage-certificates wants one file ordered leaf, intermediates, root."""
    if report.key is None or report.leaf is None:
        return
    path = report.key.where.path
    in_file = [c for c in report.bundle.certs if c.where.path == path]
    if len(in_file) < 2:
        return
    expected = [report.leaf] + report.cas
    order = [c for c in expected if c.where.path == path]
    if in_file != order[:len(in_file)]:
        report.findings.append(finding(
            "certs.order", "MTLS-030", "warning",
            f"{path} is not ordered leaf, intermediates, root, as manage-certificates requires "
            "(--split writes the files in that order).", where=in_file[0].where))


# ----------------------------------------------------------------------------- split

SPLIT_NAMES = ("1-private-key-and-leaf.pem", "2-leaf.pem", "3-intermediates-and-root.pem")


@dataclass(frozen=True, slots=True)
class Written:
    path: Path
    what: str
    mode: int


def split(report: CertReport, directory: str | Path) -> list[Written]:
    """Write the KB's three PEM files into ``directory``; the key file only there, mode 0600.

    1. private key (unencrypted PKCS#8) + leaf: for the MID Server (manage-certificates -a);
    2. the leaf alone: for sys_user_certificate;
    3. intermediates + root, in chain order: for sys_ca_certificate.
    File 1 is skipped without a matching key, file 3 without CA certificates.
    """
    if report.leaf is None:
        raise InputError("no certificate to split", Location(str(directory)))
    out = Path(directory)
    try:
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise InputError(f"cannot create the folder: {exc.strerror or exc}",
                         Location(str(out))) from None
    written = []
    leaf_pem = report.leaf.pem()
    if report.key is not None and report.key.key is not None and report.key_matches:
        target = out / SPLIT_NAMES[0]
        _write(target, report.key.pkcs8_pem() + leaf_pem, 0o600)
        written.append(Written(target, "private key + leaf certificate (MID Server)", 0o600))
    target = out / SPLIT_NAMES[1]
    _write(target, leaf_pem, 0o644)
    written.append(Written(target, "leaf certificate (sys_user_certificate)", 0o644))
    cas = [c for c in report.cas]
    if cas:
        target = out / SPLIT_NAMES[2]
        _write(target, b"".join(c.pem() for c in cas), 0o644)
        written.append(Written(target, "intermediates + root (sys_ca_certificate)", 0o644))
    return written


def _write(path: Path, data: bytes, mode: int) -> None:
    """Create with the final mode from the start (no window with a wider mode), never
    through a symbolic link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, mode)
        os.fchmod(fd, mode)  # an existing file keeps its mode through O_CREAT
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", Location(str(path))) from None
