"""Certificate files the KB asks for: load, split, verify the chain, check the client certificate.

A customer brings a vendor's PEM bundle (or a DER file, a PKCS#12 file, or a Java keystore: JKS
or JCEKS, read with ``pyjks``). The KB wants three
PEM files out of it (private key + leaf for the MID Server, the leaf for sys_user_certificate,
intermediates + root for sys_ca_certificate), a chain that verifies leaf -> intermediates -> root,
and a leaf that is a client certificate. This module checks all of that with ``cryptography``
and describes them as :class:`~loganalyzer.analysis.setup_facts.CertFacts`, which the rules in
``rules/setup/`` (scope ``certs``) judge.

Subject and issuer hashes are computed exactly as OpenSSL's ``X509_NAME_hash`` (what
``openssl x509 -hash -issuer_hash`` prints): SHA-1 over the canonical name encoding, whose
first four bytes are read little-endian. The KB's Q&A checks chains with these hashes.

A keystore's entries are listed as ``keytool -list`` lists them (alias, entry type, SHA-256
fingerprint), and when it holds several private keys, the one Java's SunX509 key manager would
present is worked out from the JDK's own data structures (:func:`java_hashmap_order`).

Nothing here prints, exits or prompts: a password is asked for through a callback the caller
passes, and unreadable files become :class:`~loganalyzer.errors.Problem` objects.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.utils import CryptographyDeprecationWarning

from loganalyzer.errors import InputError, Location, Problem
from loganalyzer.jsse.dn import CANON_DECODE as _CANON_DECODE
from loganalyzer.jsse.dn import name_entries as _name_entries
from loganalyzer.jsse.dn import name_hash
from loganalyzer.jsse.dn import read_tlv as _read_tlv
from loganalyzer.jsse.dn import tlv as _tlv
from loganalyzer.ingest.sources import read_small_file
from loganalyzer.analysis.setup_facts import CertFacts, Located, Observation
from loganalyzer.vocabulary import ANY_EKU_OID, CLIENT_AUTH_OID, EKU_LONG, tri

if TYPE_CHECKING:
    from cryptography.hazmat.primitives import hashes

    from loganalyzer.analysis.diagnoses import HeldKey
    from loganalyzer.jsse.events import CertInfo

MAX_FILE_BYTES = 10 * 1024 * 1024  # a certificate file is kilobytes; anything this big is not one
EXPIRY_WARNING_DAYS = 30

#: A password source: called with a description of what needs it; ``None`` means "none given".
PasswordAsk = Callable[[str], "bytes | None"]

# ----------------------------------------------------------------------------- DER and names

_SHORT_NAMES = {
    "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O",
    "2.5.4.11": "OU", "2.5.4.9": "STREET", "2.5.4.5": "SERIALNUMBER", "2.5.4.4": "SURNAME",
    "2.5.4.42": "GIVENNAME", "2.5.4.12": "T", "2.5.4.46": "DNQ", "2.5.4.17": "POSTALCODE",
    "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
    "1.2.840.113549.1.9.1": "EMAILADDRESS",
}


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
    """One certificate and where it was read (``form``: pem, der, pkcs12, pkcs7, jks, jceks)."""

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
            ext = self.x509.extensions.get_extension_for_class(x509.BasicConstraints)
            return bool(ext.value.ca)
        except x509.ExtensionNotFound:
            return False

    @property
    def not_before(self) -> datetime:
        return self.x509.not_valid_before_utc

    @property
    def not_after(self) -> datetime:
        return self.x509.not_valid_after_utc

    @property
    def eku_oids(self) -> tuple[str, ...] | None:
        """Extended Key Usage OIDs (dotted); ``None`` without the extension."""
        try:
            ext = self.x509.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            return None
        return tuple(oid.dotted_string for oid in ext)

    @property
    def eku(self) -> tuple[str, ...] | None:
        """Extended Key Usage names as openssl prints them; ``None`` without the extension."""
        oids = self.eku_oids
        return None if oids is None else tuple(EKU_LONG.get(o, o) for o in oids)

    @property
    def key_text(self) -> str:
        return describe_key(self.x509.public_key())

    @property
    def fingerprint(self) -> str:
        return self.x509.fingerprint(_sha256()).hex(":").upper()

    def pem(self) -> bytes:
        return self.x509.public_bytes(serialization.Encoding.PEM)

    def as_dict(self) -> dict[str, Any]:
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
    PRIVATE KEY), ``sec1`` (BEGIN EC PRIVATE KEY), ``dsa``, ``der``, ``pkcs12``, ``jks`` or
    ``jceks``. ``alias``: its name in a keystore, as Java lists it ("" for a PEM or DER key).
    """

    key: PrivateKeyTypes | None
    where: Location
    form: str
    alias: str = ""

    def public_der(self) -> bytes | None:
        if self.key is None:
            return None
        return self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def pkcs8_pem(self) -> bytes:
        if self.key is None:
            raise ValueError(f"{self.where}: the private key was not read (encrypted, no password)")
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())


@dataclass(frozen=True, slots=True)
class NotPem:
    """A file in a form the KB's steps do not take (DER, PKCS#7), and the command converting it."""

    where: Location
    what: str
    command: str


PRIVATE_KEY_ENTRY = "PrivateKeyEntry"
TRUSTED_CERT_ENTRY = "trustedCertEntry"
SECRET_KEY_ENTRY = "SecretKeyEntry"


@dataclass(frozen=True, eq=False)
class Entry:
    """One entry of a keystore (JKS, JCEKS or PKCS#12), as ``keytool -list`` shows it.

    ``kind``: ``PrivateKeyEntry`` (a key and its chain, ``cert`` first), ``trustedCertEntry``
    or ``SecretKeyEntry``. ``store``: jks | jceks | pkcs12.
    """

    alias: str
    kind: str
    where: Location
    store: str
    cert: Cert | None = None
    chain: tuple[Cert, ...] = ()
    key: Key | None = None

    @property
    def fingerprint(self) -> str:
        return self.cert.fingerprint if self.cert is not None else ""


@dataclass
class Bundle:
    """Everything read from the files.

    Certificates, keys and keystore entries in file order, per-file forms, what is not PEM, the
    PEM blocks ignored, and the files that could not be read.
    """

    certs: list[Cert] = field(default_factory=list)
    keys: list[Key] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    forms: dict[str, str] = field(default_factory=dict)
    not_pem: list[NotPem] = field(default_factory=list)
    ignored: list[tuple[Location, str]] = field(default_factory=list)  # (where, PEM label)
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
    """The checked bundle: the leaf, its chain, the key that matches it, and their facts."""

    bundle: Bundle
    leaf: Cert | None = None
    chain: list[Link] = field(default_factory=list)
    key: Key | None = None
    key_matches: bool | None = None
    unrelated: list[Cert] = field(default_factory=list)
    observation: Observation | None = None
    #: the private-key entry Java's SunX509 key manager would present (None: no keystore with
    #: a private key, or which one depends on what the instance asks for; see ``choice``)
    presented: Entry | None = None
    choice: str = ""  # the aliases and SunX509's pick, in words, for the report and the rules

    @property
    def cas(self) -> list[Cert]:
        """Intermediates and root of the chain, in chain order (the KB's file 3)."""
        return [link.issuer for link in self.chain if link.issuer is not None
                and link.issuer is not link.cert]

    @property
    def chain_complete(self) -> bool:
        return bool(self.chain) and self.chain[-1].status == "self-signed"

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": dict(self.bundle.forms),
            "leaf": self.leaf.as_dict() if self.leaf else None,
            "chain": [{"subject": link.cert.subject, "subject_hash": link.cert.subject_hash,
                       "issuer": link.cert.issuer, "issuer_hash": link.cert.issuer_hash,
                       "where": str(link.cert.where), "status": link.status}
                      for link in self.chain],
            "chain_complete": self.chain_complete,
            "private_key": ({"where": str(self.key.where), "form": self.key.form,
                             "matches_leaf": self.key_matches} if self.key else None),
            "certificates": [c.as_dict() for c in self.bundle.certs],
            "unrelated": [c.subject for c in self.unrelated],
            "aliases": [{"alias": e.alias, "type": e.kind, "sha256": e.fingerprint,
                         "subject": e.cert.subject if e.cert else "",
                         "not_after": e.cert.not_after.isoformat() if e.cert else "",
                         "where": str(e.where), "presented": e is self.presented}
                        for e in keytool_list(self.bundle.entries)],
            "presented_alias": self.presented.alias if self.presented else "",
        }


def _sha256() -> hashes.SHA256:
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
    """Read certificate and key files (PEM, DER, PKCS#7, PKCS#12, JKS, JCEKS).

    A file that cannot be read becomes a problem of the bundle, never an exception.
    """
    bundle = Bundle()
    passwords = _Passwords(password, ask)
    for p in paths:
        path = str(p)
        try:
            data = _read(path)
            with warnings.catch_warnings():  # e.g. a negative serial in an old CA: still read
                warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                # a .p7b from `openssl crl2pkcs7` is BER, read all the same
                warnings.filterwarnings("ignore", "PKCS#7 certificates could not be parsed as DER")
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
    store = _KEYSTORE_MAGIC.get(data[:4])
    if store is not None:
        _load_keystore(bundle, path, data, passwords, store)
        return
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
    raise InputError("not a certificate or key file (neither PEM, DER, PKCS#12 nor a JKS or "
                     "JCEKS keystore)", Location(path))


def _load_block(bundle: Bundle, path: str, data: bytes, m: re.Match[bytes],
                passwords: _Passwords) -> None:
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
            bundle.keys.append(Key(None, where, "pkcs8-encrypted" if form == "pkcs8-encrypted"
                                   else form))
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
        return
    if label in (b"PKCS7", b"CMS"):
        try:
            certs = pkcs7.load_pem_pkcs7_certificates(text)
        except ValueError as exc:
            bundle.problems.append(Problem(where, f"a {name} block that cannot be read "
                                                  f"({_reason(exc)})"))
            return
        bundle.certs.extend(Cert(c, where, "pkcs7") for c in certs)
        bundle.not_pem.append(NotPem(where, "a PKCS#7 (.p7b) certificate bundle",
                                     f"openssl pkcs7 -print_certs -in {path} -out bundle.pem"))
        return
    bundle.ignored.append((where, name))


def _load_der(bundle: Bundle, path: str, data: bytes, passwords: _Passwords) -> None:
    where = Location(path)
    try:
        bundle.certs.append(Cert(x509.load_der_x509_certificate(data), where, "der"))
        bundle.forms[path] = "der"
        bundle.not_pem.append(NotPem(where, "a DER (binary) certificate",
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
        bundle.not_pem.append(NotPem(
            where, "a DER PKCS#7 (.p7b) certificate bundle",
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
    bundle.not_pem.append(NotPem(where, "a DER (binary) private key",
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
    attempt: bytes | None = None
    secret_used: bytes | None = None
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
        secret_used = secret
    else:
        secret_used = attempt
    # A PKCS#12 file is the MID Server's own keystore form: a normal input, nothing to convert.
    named: list[tuple[Cert, str]] = []  # each certificate, with its friendly name ("" none)
    for item in ([loaded.cert] if loaded.cert is not None else []) + loaded.additional_certs:
        cert = Cert(item.certificate, where, "pkcs12")
        bundle.certs.append(cert)
        named.append((cert, _friendly(item.friendly_name)))
    # cryptography returns one key of a PKCS#12 file; its key bags give them all, with aliases
    keys = _pkcs12_keys(data, secret_used)
    if keys is None:
        keys = [] if loaded.key is None else [
            (_friendly(loaded.cert.friendly_name) if loaded.cert is not None else "", loaded.key)]
    unnamed = 0
    key_entries: list[Entry] = []
    for name, private in keys:
        if not name:  # Java names an entry without a friendly name by a counter
            unnamed += 1
            name = str(unnamed)
        alias = name.lower()  # PKCS12KeyStore keys its entries by the lower-cased alias
        key = Key(private, where, "pkcs12", alias)
        bundle.keys.append(key)
        public = key.public_der()
        chain = [c for c, n in named if n.lower() == alias and _spki(c) == public] or \
            [c for c, _ in named if _spki(c) == public]
        key_entries.append(Entry(alias, PRIVATE_KEY_ENTRY, where, "pkcs12",
                                 chain[0] if chain else None,
                                 _issuers_up(chain[0], [c for c, _ in named]) if chain else (),
                                 key))
    bundle.entries.extend(key_entries)
    # a certificate with a name of its own (not a key's) is a trusted entry, as keytool writes it
    own = {id(e.cert) for e in key_entries}
    aliases = {e.alias for e in key_entries}
    bundle.entries.extend(Entry(n.lower(), TRUSTED_CERT_ENTRY, where, "pkcs12", c, (c,))
                          for c, n in named if n and id(c) not in own
                          and n.lower() not in aliases)


def _issuers_up(leaf: Cert, certs: Sequence[Cert]) -> tuple[Cert, ...]:
    """``leaf`` and its issuers among ``certs`` by name, up to a self-issued one.

    That is the chain Java's PKCS12KeyStore gives a key entry.
    """
    chain = [leaf]
    while not chain[-1].self_issued and len(chain) < 16:
        issuer = chain[-1].x509.issuer.public_bytes()
        up = next((c for c in certs if c.x509.subject.public_bytes() == issuer
                   and c not in chain), None)
        if up is None:
            break
        chain.append(up)
    return tuple(chain)


def _friendly(name: bytes | None) -> str:
    return name.decode("utf-8", "replace") if name else ""


def _spki(cert: Cert) -> bytes:
    return cert.x509.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _pkcs12_keys(data: bytes, password: bytes | None) -> list[tuple[str, PrivateKeyTypes]] | None:
    """Every private key of a PKCS#12 file with its friendly name, in file order.

    ``pkcs12.load_pkcs12`` (OpenSSL's ``PKCS12_parse``) keeps one key, so a file with two key
    pairs would show one. The key bags sit in the file's unencrypted SafeContents (each key
    encrypted on its own): their structure is read with pyasn1's PKCS#12 schema
    (``pyasn1_modules.rfc7292``), each key is decrypted by ``cryptography``. ``None`` when the
    file cannot be walked that way (keys inside an encrypted SafeContents, public-key integrity
    mode, a key that does not decrypt): the caller keeps cryptography's one key.
    """
    try:
        from pyasn1.codec.ber import decoder  # type: ignore[import-untyped]
        from pyasn1.type import univ  # type: ignore[import-untyped]
        from pyasn1_modules import rfc5652, rfc7292  # type: ignore[import-untyped]

        pfx, _ = decoder.decode(data, asn1Spec=rfc7292.PFX())
        if pfx["authSafe"]["contentType"] != rfc5652.id_data:
            return None
        octets, _ = decoder.decode(pfx["authSafe"]["content"], asn1Spec=univ.OctetString())
        safe, _ = decoder.decode(bytes(octets), asn1Spec=rfc7292.AuthenticatedSafe())
        out: list[tuple[str, PrivateKeyTypes]] = []
        for info in safe:
            if info["contentType"] != rfc5652.id_data:
                continue  # encrypted: certificates, which cryptography has read
            octets, _ = decoder.decode(info["content"], asn1Spec=univ.OctetString())
            contents, _ = decoder.decode(bytes(octets), asn1Spec=rfc7292.SafeContents())
            for bag in contents:
                kind = bag["bagId"]
                if kind not in (rfc7292.id_keyBag, rfc7292.id_pkcs8ShroudedKeyBag):
                    continue
                name = ""
                for attr in bag["bagAttributes"]:
                    if attr["attrType"] == rfc7292.pkcs_9_at_friendlyName and \
                            len(attr["attrValues"]):
                        value, _ = decoder.decode(attr["attrValues"][0],
                                                  asn1Spec=rfc7292.FriendlyName())
                        name = str(value)
                raw = bytes(bag["bagValue"])
                if kind == rfc7292.id_keyBag:
                    out.append((name, serialization.load_der_private_key(raw, None)))
                else:
                    out.append((name, serialization.load_der_private_key(raw, password or b"")))
        return out or None
    except Exception:  # noqa: BLE001 - any failure: fall back to cryptography's one key
        return None


_KEYSTORE_MAGIC = {b"\xfe\xed\xfe\xed": "jks", b"\xce\xce\xce\xce": "jceks"}


def _load_keystore(bundle: Bundle, path: str, data: bytes, passwords: _Passwords,
                   store: str) -> None:
    """A JKS or JCEKS keystore, read with pyjks: every entry, in file order.

    Keys are decrypted with the keystore's password: keytool gives a key the keystore's
    password unless told otherwise, and Java's key managers take one password for all.
    """
    import jks  # type: ignore[import-untyped]

    where = Location(path)
    label = store.upper()
    secret = passwords.get(path, f"password of the {label} keystore")
    if secret is None:
        raise InputError(f"{label} keystore: give its password (prompt, or --password-env VAR)",
                         where)
    try:
        text = secret.decode("utf-8")
        keystore = jks.KeyStore.loads(data, text, try_decrypt_keys=False)
    except (UnicodeDecodeError, jks.util.KeystoreSignatureException):
        raise InputError("wrong password for the keystore (or a damaged file)", where) from None
    except Exception as exc:  # noqa: BLE001 - pyjks raises many kinds on a damaged file
        raise InputError(f"a damaged {label} keystore ({_reason(exc)})", where) from None
    bundle.forms[path] = store
    for alias, item in keystore.entries.items():
        if isinstance(item, jks.PrivateKeyEntry):
            chain = _keystore_certs(bundle, where, store, alias, item.cert_chain)
            key = Key(_keystore_key(bundle, where, alias, item, text), where, store, alias)
            bundle.keys.append(key)
            bundle.entries.append(Entry(alias, PRIVATE_KEY_ENTRY, where, store,
                                        chain[0] if chain else None, tuple(chain), key))
        elif isinstance(item, jks.TrustedCertEntry):
            certs = _keystore_certs(bundle, where, store, alias, [(item.type, item.cert)])
            bundle.entries.append(Entry(alias, TRUSTED_CERT_ENTRY, where, store,
                                        certs[0] if certs else None, tuple(certs)))
        else:
            bundle.entries.append(Entry(alias, SECRET_KEY_ENTRY, where, store))


def _keystore_certs(bundle: Bundle, where: Location, store: str, alias: str,
                    chain: Sequence[tuple[str, bytes]]) -> list[Cert]:
    out = []
    for kind, der in chain:
        try:
            if kind != "X.509":
                raise ValueError(f"a {kind} certificate")
            out.append(Cert(x509.load_der_x509_certificate(der), where, store))
        except ValueError as exc:
            bundle.problems.append(Problem(where, f"alias '{alias}': a certificate that cannot "
                                                  f"be read ({_reason(exc)})"))
    bundle.certs.extend(out)
    return out


def _keystore_key(bundle: Bundle, where: Location, alias: str, item: Any,
                  password: str) -> PrivateKeyTypes | None:
    """The entry's private key, decrypted with the keystore's password.

    ``item`` is a ``jks.PrivateKeyEntry`` (pyjks ships no type information). ``None`` when it
    has another password, or cannot be read; a problem says which.
    """
    import jks

    try:
        item.decrypt(password)
        return serialization.load_der_private_key(item.pkey_pkcs8, None)
    except jks.util.DecryptionFailureException:
        bundle.problems.append(Problem(
            where, f"the private key of alias '{alias}' has a password other than the "
                   f"keystore's, so it was not read; Java's key managers use one password for "
                   f"both (`keytool -keypasswd -alias {alias}` changes it)"))
    except Exception as exc:  # noqa: BLE001 - an algorithm pyjks or cryptography cannot read
        bundle.problems.append(Problem(where, f"the private key of alias '{alias}' cannot be "
                                              f"read ({_reason(exc)})"))
    return None


def _reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


# ----------------------------------------------------------------------------- Java's pick

# Why these functions exist: with several private keys in its keystore, a MID Server presents
# the one Java's SunX509 key manager (sun.security.ssl.SunX509KeyManagerImpl) picks, and that
# is not the order of the file. SunX509 copies the keystore's private-key entries, in the order
# KeyStore.aliases() enumerates them, into a java.util.HashMap; chooseClientAlias walks that map
# and returns the first alias whose public key has the requested type (and, when the server
# sent CA names, whose chain has one of them as an issuer). aliases() is the enumeration of a
# java.util.Hashtable for JKS (sun.security.provider.JavaKeyStore) and JCEKS
# (com.sun.crypto.provider.JceKeyStore), keyed by the aliases as the file stores them, and the
# insertion order of a LinkedHashMap of lower-cased aliases for PKCS#12. Both collections are
# reproduced below from their documented algorithms (String.hashCode, the table sizes, load
# factor 0.75, how they grow), so the order is the JVM's, not a guess; a test checks it against
# a real JVM when one is installed.


def java_string_hash(text: str) -> int:
    """``String.hashCode()``: ``31*h + c`` over the UTF-16 code units.

    As an unsigned 32-bit number (Java's signed int, in two's complement).
    """
    units = text.encode("utf-16-be", "surrogatepass")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + (units[i] << 8 | units[i + 1])) & 0xFFFFFFFF
    return h


def java_hashtable_order(keys: Sequence[str]) -> list[str]:
    """The order ``Hashtable.keys()`` enumerates ``keys`` put in this order in a Hashtable.

    That is how JKS and JCEKS keystores are loaded (``new Hashtable<>()``, then one ``put`` per
    entry of the file).

    Capacity 11, threshold ``(int)(capacity * 0.75)``; before adding an entry at the threshold
    the table is rehashed to ``2 * capacity + 1`` (old buckets from the last down, each chain
    from its head, every entry pushed onto the head of its new bucket); a new entry goes to the
    head of bucket ``(hash & 0x7FFFFFFF) % capacity``. The enumeration runs from the last bucket
    to the first, each chain from its head. ``keys`` are distinct.
    """
    capacity, threshold = 11, 8
    table: list[list[tuple[str, int]]] = [[] for _ in range(capacity)]
    count = 0
    for key in keys:
        h = java_string_hash(key)
        if count >= threshold:
            grown = 2 * capacity + 1
            new: list[list[tuple[str, int]]] = [[] for _ in range(grown)]
            for bucket in reversed(table):
                for item in bucket:
                    new[(item[1] & 0x7FFFFFFF) % grown].insert(0, item)
            table, capacity, threshold = new, grown, int(grown * 0.75)
        table[(h & 0x7FFFFFFF) % capacity].insert(0, (key, h))
        count += 1
    return [key for bucket in reversed(table) for key, _ in bucket]


def java_hashmap_order(keys: Sequence[str]) -> list[str] | None:
    """The iteration order of a ``new HashMap<>()`` after a ``put`` of each of ``keys``.

    SunX509 keeps its credentials in such a map. ``None`` when the order cannot be known here.

    The hash is ``h ^ (h >>> 16)`` of ``String.hashCode()``; the table starts at 16 buckets and
    doubles when the size passes 0.75 of it (a split keeps each bucket's order); an entry is
    appended to bucket ``hash & (n - 1)``; iteration runs bucket by bucket, each in insertion
    order. A bucket reaching 9 entries doubles a table under 64 buckets; in a larger one it
    becomes a red-black tree, whose order is not modelled: ``None`` then (it takes dozens of
    aliases with colliding hashes). ``keys`` are distinct.
    """
    size, threshold = 16, 12
    table: list[list[tuple[str, int]]] = [[] for _ in range(size)]

    def grow() -> None:
        nonlocal size, threshold, table
        size, threshold = size * 2, threshold * 2
        new: list[list[tuple[str, int]]] = [[] for _ in range(size)]
        for bucket in table:
            for item in bucket:
                new[item[1] & (size - 1)].append(item)
        table = new

    count = 0
    for key in keys:
        h = java_string_hash(key)
        h ^= h >> 16
        bucket = table[h & (size - 1)]
        bucket.append((key, h))
        if len(bucket) > 8:
            if size >= 64:
                return None
            grow()
        count += 1
        if count > threshold:
            grow()
    return [key for bucket in table for key, _ in bucket]


def java_key_type(cert: Cert) -> str:
    """``PublicKey.getAlgorithm()`` of the certificate's key, as SunX509 compares it."""
    algorithm, _ = _key_algorithm(cert.x509.public_key())
    return {"Ed25519": "EdDSA", "Ed448": "EdDSA"}.get(algorithm, algorithm)


def sunx509_order(entries: Sequence[Entry]) -> list[Entry] | None:
    """The private-key entries of one keystore in the order SunX509 tries them.

    ``entries``: the keystore's entries in file order. ``None`` when the order cannot be known
    (a key not read: the key manager would not even start; a tree bucket, see
    :func:`java_hashmap_order`).
    """
    if not entries:
        return []
    by_alias = {e.alias: e for e in entries}  # a later duplicate replaces, in place, as Java's
    aliases = list(by_alias)
    if entries[0].store in ("jks", "jceks"):
        aliases = java_hashtable_order(aliases)
    keyed = [a for a in aliases if by_alias[a].kind == PRIVATE_KEY_ENTRY]
    if any(e.key is None or e.key.key is None for e in (by_alias[a] for a in keyed)):
        return None
    keyed = [a for a in keyed if by_alias[a].cert is not None]
    order = java_hashmap_order(keyed)
    return None if order is None else [by_alias[a] for a in order]


def sunx509_choose(order: Sequence[Entry], key_types: Sequence[str],
                   ca_names: Sequence[bytes] = ()) -> Entry | None:
    """What SunX509's ``chooseClientAlias`` returns, given its order of the entries.

    For each requested key type in turn, the first entry of :func:`sunx509_order` whose
    certificate's key has that type and, when the server sent CA names (DER), whose chain names
    one of them as an issuer. ``None``: no certificate is sent. (A key type with a signature
    type, ``EC_RSA``, is not modelled: JSSE asks for plain key types today.)
    """
    names = set(ca_names)
    for key_type in key_types:
        for entry in order:
            assert entry.cert is not None
            if java_key_type(entry.cert) != key_type:
                continue
            if not names or names & {c.x509.issuer.public_bytes() for c in entry.chain}:
                return entry
    return None


def sunx509_presents(order: Sequence[Entry]) -> Entry | None:
    """The entry SunX509 presents whatever the instance asks for, or ``None`` when that decides.

    Without the instance's request, the key type it asks for first and the CA names it sends are
    unknown. They cannot change the pick when every candidate has the same key type and its
    chain the same issuers: then it is the first entry of ``order``. Otherwise it depends.
    """
    if not order:
        return None
    first = order[0]

    def traits(entry: Entry) -> tuple[str, frozenset[bytes]]:
        assert entry.cert is not None
        return (java_key_type(entry.cert),
                frozenset(c.x509.issuer.public_bytes() for c in entry.chain))

    return first if all(traits(e) == traits(first) for e in order) else None


def keytool_list(entries: Sequence[Entry]) -> list[Entry]:
    """Entries as ``keytool -list`` prints them.

    Per keystore, sorted by alias in Java's String order, which compares UTF-16 code units.
    """
    files = list(dict.fromkeys(e.where.path for e in entries))
    return sorted(entries, key=lambda e: (files.index(e.where.path),
                                          e.alias.encode("utf-16-be", "surrogatepass")))


def fit_flaws(entry: Entry, now: datetime) -> list[str]:
    """Why an entry's key pair would not do as the MID Server's client certificate.

    Expired or not yet valid, an Extended Key Usage without clientAuth, not RSA of 2048 bits or
    more, a key that is not the certificate's. Empty: it fits.
    """
    cert = entry.cert
    if cert is None:
        return ["no certificate"]
    flaws = []
    state = _validity(cert, now)
    if state == "expired":
        flaws.append(f"expired on {cert.not_after:%Y-%m-%d}")
    elif state == "not-yet-valid":
        flaws.append(f"not valid before {cert.not_before:%Y-%m-%d}")
    eku = cert.eku
    if eku is not None and not {EKU_LONG[CLIENT_AUTH_OID], EKU_LONG[ANY_EKU_OID]} & set(eku):
        flaws.append("not a client certificate (Extended Key Usage: " + ", ".join(eku) + ")")
    algorithm, bits = _key_algorithm(cert.x509.public_key())
    if algorithm != "RSA" or bits < 2048:
        flaws.append(f"its key is {cert.key_text}")
    if entry.key is not None and entry.key.key is not None and \
            entry.key.public_der() != _spki(cert):
        flaws.append("its private key is not the certificate's")
    return flaws


def _presented(bundle: Bundle) -> tuple[Entry | None, str]:
    """The entry SunX509 presents (or ``None``) and the aliases and that pick in words."""
    stores: dict[str, list[Entry]] = {}
    for e in bundle.entries:
        stores.setdefault(e.where.path, []).append(e)
    keyed = {path: es for path, es in stores.items()
             if any(e.kind == PRIVATE_KEY_ENTRY for e in es)}
    if not keyed:
        if len(bundle.keys) > 1:
            return None, "PEM and DER keys have no alias, and the MID Server uses one key pair"
        return None, ""
    names = ", ".join(f"'{e.alias}'" for e in keytool_list(bundle.entries)
                      if e.kind == PRIVATE_KEY_ENTRY)
    if len(keyed) > 1:
        return None, (f"private-key aliases {names} in {len(keyed)} keystores; the MID Server "
                      "uses one keystore")
    entries = next(iter(keyed.values()))
    order = sunx509_order(entries)
    if order is None:
        return None, (f"private-key aliases {names}; which one SunX509 presents is not known "
                      "(a key was not read)")
    chosen = sunx509_presents(order)
    if chosen is None:
        return None, (f"private-key aliases {names}; which one SunX509 presents depends on the "
                      "key type and CA names the instance asks for (their key types or issuers "
                      "differ)")
    if len(order) == 1:
        return chosen, f"private-key alias '{chosen.alias}'"
    return chosen, (f"private-key aliases {names}; Java's SunX509 key manager presents "
                    f"'{chosen.alias}'")


# ----------------------------------------------------------------------------- checks


def check(bundle: Bundle, now: datetime | None = None) -> CertReport:
    """Find the leaf, its chain and its key in ``bundle``, and describe them for the rules."""
    now = now or datetime.now(timezone.utc)
    report = CertReport(bundle)
    report.presented, report.choice = _presented(bundle)
    if bundle.certs:
        report.leaf, report.key = _pick_leaf(bundle, report.presented)
        report.chain = _build_chain(report.leaf, bundle.certs)
        in_chain = {id(link.cert) for link in report.chain} | \
            {id(link.issuer) for link in report.chain}
        report.unrelated = [c for c in bundle.certs if id(c) not in in_chain]
        _match_key(report)
    elif bundle.keys:
        report.key = bundle.keys[0]
    report.observation = observe(report, now)
    return report


def _pick_leaf(bundle: Bundle, presented: Entry | None = None) -> tuple[Cert, Key | None]:
    """The certificate the private key belongs to; else the one that issued no other.

    With several keys, the key SunX509 presents when that is known, else the first with a
    certificate.
    """
    if presented is not None and presented.cert is not None and presented.key is not None:
        return presented.cert, presented.key
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


def _match_key(report: CertReport) -> None:
    """Whether the chosen key belongs to the leaf.

    A readable key that does not is chosen, so the report names it.
    """
    leaf = report.leaf
    assert leaf is not None
    leaf_der = leaf.x509.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    usable = [k for k in report.bundle.keys if k.key is not None]
    if report.key is not None and report.key.key is not None:
        report.key_matches = report.key.public_der() == leaf_der
    if usable and not report.key_matches:
        report.key = usable[0]
        report.key_matches = False


def _key_algorithm(key: object) -> tuple[str, int]:
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    return "other", 0


def _validity(cert: Cert, now: datetime) -> str:
    if now < cert.not_before:
        return "not-yet-valid"
    if now > cert.not_after:
        return "expired"
    if (cert.not_after - now).days < EXPIRY_WARNING_DAYS:
        return "expiring"
    return "valid"


def _at(cert: Cert, text: str) -> Located:
    return Located(cert.where.path, cert.where.line, text)


def observe(report: CertReport, now: datetime | None = None) -> Observation:
    """The certificate facts the ``rules/setup`` rules of scope ``certs`` are written against."""
    now = now or datetime.now(timezone.utc)
    bundle = report.bundle
    files = list(bundle.forms) or sorted({c.where.path for c in bundle.certs})
    facts = CertFacts(files=", ".join(files), certificates=len(bundle.certs),
                      keys=len(bundle.keys),
                      usable_keys=sum(1 for k in bundle.keys if k.key is not None),
                      ignored_blocks=[label for _, label in bundle.ignored])
    evidence: dict[str, list[Located]] = {}
    evidence["files"] = [Located(n.where.path, n.where.line, f"{n.what}: `{n.command}`")
                         for n in bundle.not_pem]
    evidence["files"] += [Located(w.path, w.line, f"-----BEGIN {label}-----")
                          for w, label in bundle.ignored]
    for n in bundle.not_pem:
        if "PKCS#7" in n.what and not facts.pkcs7_file:
            facts.pkcs7_file = n.where.path
        elif "DER" in n.what and not facts.der_file:
            facts.der_file = n.where.path
    key = report.key
    if key is not None:
        facts.key_file = key.where.path
        facts.key_form = key.form
        facts.key_encrypted_unread = key.key is None
        facts.key_matches = tri(report.key_matches)
        if key.key is not None:
            facts.key_described = describe_key(key.key)
        named = f"alias '{key.alias}', " if key.alias else ""
        evidence["key"] = [Located(key.where.path, key.where.line,
                                   f"private key ({named}{key.form}"
                                   + (f", {facts.key_described})" if facts.key_described
                                      else ", encrypted)"))]
    usable = [k for k in bundle.keys if k.key is not None]
    if len(usable) > 1:
        second = next(k for k in usable if k is not key) if key in usable else usable[1]
        named = f"alias '{second.alias}', " if second.alias else ""
        evidence["second_key"] = [Located(second.where.path, second.where.line,
                                          f"another private key ({named}"
                                          f"{describe_key(second.key)})")]
    _observe_aliases(report, facts, evidence, now)
    leaf = report.leaf
    if leaf is None:
        return Observation("certs", facts.files, facts, evidence)
    algorithm, bits = _key_algorithm(leaf.x509.public_key())
    eku = leaf.eku
    facts.leaf, facts.leaf_issuer, facts.leaf_issuer_hash = leaf.subject, leaf.issuer, \
        leaf.issuer_hash
    facts.leaf_key, facts.leaf_key_algorithm, facts.leaf_key_bits = leaf.key_text, algorithm, bits
    facts.leaf_eku_present = eku is not None
    facts.leaf_eku = list(eku or ())
    if eku is not None:
        facts.leaf_client_auth = tri(bool({EKU_LONG[CLIENT_AUTH_OID], EKU_LONG[ANY_EKU_OID]}
                                          & set(eku)))
    try:
        usage = leaf.x509.extensions.get_extension_for_class(x509.KeyUsage).value
        facts.leaf_digital_signature = tri(usage.digital_signature)
    except x509.ExtensionNotFound:
        pass
    facts.leaf_self_signed = leaf.self_signed
    facts.leaf_validity = _validity(leaf, now)
    facts.leaf_not_before = f"{leaf.not_before:%Y-%m-%d %H:%M:%S} UTC"
    facts.leaf_not_after = f"{leaf.not_after:%Y-%m-%d %H:%M:%S} UTC"
    facts.leaf_days_left = (leaf.not_after - now).days
    evidence["leaf"] = [_at(leaf, f"subject: {leaf.subject}; issuer: {leaf.issuer} (issuer hash "
                                  f"{leaf.issuer_hash}); {leaf.key_text}; EKU: "
                                  + (", ".join(eku) if eku else "(none)")
                                  + f"; valid {leaf.not_before:%Y-%m-%d} to "
                                  f"{leaf.not_after:%Y-%m-%d}")]
    facts.chain = " <- ".join(f"{c.subject} (hash {c.subject_hash})" for c in report.cas)
    last = report.chain[-1]
    facts.chain_end = last.status if last.status != "signed" else ""
    if last.status == "missing" and last.cert is leaf and leaf.self_issued:
        facts.chain_end = "self-signed"  # self-issued with another key: the self-signed rule
    if facts.chain_end == "missing":
        facts.missing_issuer, facts.missing_issuer_hash = last.cert.issuer, last.cert.issuer_hash
        facts.missing_below = last.cert.subject
        facts.missing_kind = "root" if last.cert.is_ca or last.cert is not leaf else "issuing"
        evidence["chain_end"] = [_at(last.cert, f"issuer: {last.cert.issuer} (issuer hash "
                                                f"{last.cert.issuer_hash}), not in the files")]
    elif facts.chain_end == "bad-signature":
        facts.bad_signature_subject, facts.bad_signature_issuer = last.cert.subject, \
            last.cert.issuer
        signer = f" ({last.issuer.where})" if last.issuer else ""
        evidence["chain_end"] = [_at(last.cert, f"issuer: {last.cert.issuer}: the certificate "
                                                f"with that name{signer} did not sign it")]
    for link in report.chain:
        ca = link.issuer
        if ca is None or ca is leaf or link.status == "bad-signature":
            continue
        state = _validity(ca, now)
        if state in ("expired", "not-yet-valid"):
            facts.cas_expired.append(ca.subject)
        elif state == "expiring":
            facts.cas_expiring.append(ca.subject)
        if state != "valid":
            evidence.setdefault("cas", []).append(_at(
                ca, f"{ca.subject}: valid {ca.not_before:%Y-%m-%d} to {ca.not_after:%Y-%m-%d}"))
    facts.order_ok = _ordered(report)
    return Observation("certs", facts.files, facts, evidence)


def _observe_aliases(report: CertReport, facts: CertFacts,
                     evidence: dict[str, list[Located]], now: datetime) -> None:
    """The keystore facts.

    Every alias, the private-key ones, the one SunX509 presents, and which of them would do as
    the MID Server's client certificate.
    """
    listed = keytool_list(report.bundle.entries)
    facts.aliases = [e.alias for e in listed]
    keyed = [e for e in listed if e.kind == PRIVATE_KEY_ENTRY]
    facts.key_aliases = [e.alias for e in keyed]
    facts.key_choice = report.choice
    flaws = {id(e): fit_flaws(e, now) for e in keyed}
    facts.fitting_aliases = [e.alias for e in keyed if not flaws[id(e)]]
    presented = report.presented
    if presented is not None:
        facts.presented_alias = presented.alias
        facts.presented_flaws = flaws.get(id(presented), [])
        facts.presented_fits = tri(not facts.presented_flaws)
    for e in keyed:
        cert = e.cert
        text = (f"alias '{e.alias}': {e.kind}, "
                + (f"{cert.subject}, {cert.key_text}, valid {cert.not_before:%Y-%m-%d} to "
                   f"{cert.not_after:%Y-%m-%d}" if cert else "no certificate")
                + ("; " + "; ".join(flaws[id(e)]) if flaws[id(e)] else "; fits")
                + ("; SunX509 presents it" if e is presented else ""))
        evidence.setdefault("aliases", []).append(Located(e.where.path, e.where.line, text))


def _ordered(report: CertReport) -> bool:
    """manage-certificates wants the key's file ordered leaf, intermediates, root.

    A keystore keeps each key's chain in its entry: no file order to check there.
    """
    if report.key is None or report.leaf is None or report.key.alias or \
            report.bundle.forms.get(report.key.where.path) in ("pkcs12", "jks", "jceks"):
        return True
    path = report.key.where.path
    in_file = [c for c in report.bundle.certs if c.where.path == path]
    if len(in_file) < 2:
        return True
    expected = [report.leaf] + report.cas
    order = [c for c in expected if c.where.path == path]
    return in_file == order[:len(in_file)]


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
    """Create the file with its final mode, never through a symbolic link.

    The mode is set from the start: there is no window with a wider mode.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, mode)
        os.fchmod(fd, mode)  # an existing file keeps its mode through O_CREAT
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", Location(str(path))) from None


# ----------------------------------------------------------------------------- keys for analyze


def cert_info(cert: Cert) -> CertInfo:
    """A certificate as the log's events describe one, for reasoning beside logged chains.

    Times are naive UTC, as logged times are naive: a few hours off at worst, which matters
    only within hours of an expiry.
    """
    from loganalyzer.jsse.events import CertInfo
    from loganalyzer.vocabulary import EKU_SHORT

    eku = tuple(EKU_SHORT.get(o, o) for o in cert.eku_oids or ())
    return CertInfo(
        subject=cert.subject, issuer=cert.issuer, serial=format(cert.x509.serial_number, "x"),
        not_before=cert.not_before.replace(tzinfo=None),
        not_after=cert.not_after.replace(tzinfo=None), eku=eku, is_ca=cert.is_ca,
        public_key=cert.key_text)


def held_keys(report: CertReport) -> list[HeldKey]:
    """The MID Server's key pairs in the files, each with its chain leaf to root.

    A keystore gives one per private-key entry, with its alias, in ``keytool -list`` order;
    PEM, DER or PKCS#7 files give the leaf the checks chose, with the chain built from them.
    """
    from loganalyzer.analysis.diagnoses import HeldKey

    bundle = report.bundle
    out = []
    for entry in keytool_list(bundle.entries):
        if entry.kind != PRIVATE_KEY_ENTRY or entry.cert is None:
            continue
        chain = entry.chain if len(entry.chain) > 1 else _issuers_up(entry.cert, bundle.certs)
        out.append(HeldKey(entry.alias, entry.where.path,
                           tuple(cert_info(c) for c in chain)))
    if not out and report.leaf is not None:
        built = [link.cert for link in report.chain] or [report.leaf]
        out.append(HeldKey("", report.leaf.where.path, tuple(cert_info(c) for c in built)))
    return out
