"""Distinguished names as JSSE prints them (``X500Principal.toString()``), and lists of them.

TLS 1.2 CertificateRequests print the CA names as ``List.toString()``: DNs and the RDNs inside
them are both separated by ``", "``, so the boundaries are ambiguous. They are recovered by
matching DNs the same log shows elsewhere (the key manager's chain, the sent certificate, the
trusted certificates) and, for the rest, by a documented heuristic.

A DN's OpenSSL hash (``openssl x509 -hash``: :func:`dn_hash`) is computed from its text alone,
and :func:`name_hash` gives it for a DER name; the set-up checks share that code.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

_ATOM_TYPE = re.compile(r"\s*([A-Za-z][\w.-]*|OID(?:\.\d+)+|\d+(?:\.\d+)+)\s*=")
_TYPE_ALIASES = {"E": "EMAILADDRESS", "S": "ST"}
_ESCAPED = re.compile(r"\\(.)")


def atoms(text: str) -> list[str]:
    """Split ``A=x, B="y, z", C=w`` on the separators outside double quotes.

    Multi-valued RDNs (``OU=A + O=B``) stay one atom; a backslash escapes the next character.
    """
    out: list[str] = []
    buf: list[str] = []
    quoted = escaped = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if escaped:
            buf.append(ch)
            escaped = False
        elif ch == "\\":
            buf.append(ch)
            escaped = True
        elif ch == '"':
            buf.append(ch)
            quoted = not quoted
        elif ch == "," and not quoted:
            out.append("".join(buf).strip())
            buf = []
            if i + 1 < n and text[i + 1] == " ":
                i += 1
        else:
            buf.append(ch)
        i += 1
    tail = "".join(buf).strip()
    if tail or out:
        out.append(tail)
    return [a for a in out if a]


def atom_type(atom: str) -> str:
    m = _ATOM_TYPE.match(atom)
    if not m:
        return ""
    kind = m.group(1).upper()
    return _TYPE_ALIASES.get(kind, kind)


def _atom_key(atom: str) -> str:
    kind, _, value = atom.partition("=")
    kind = _TYPE_ALIASES.get(kind.strip().upper(), kind.strip().upper())
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    value = _ESCAPED.sub(r"\1", value)  # RFC 4514 "Acme\, Inc." is RFC 1779 "Acme, Inc."
    return f"{kind}={' '.join(value.lower().split())}"


def normalise(dn: str) -> str:
    """A comparison key for a DN: attribute types upper-cased, values unquoted, case folded."""
    return ", ".join(_atom_key(a) for a in atoms(dn))


def same_dn(a: str, b: str) -> bool:
    return normalise(a) == normalise(b)


def split_list(text: str, known: Iterable[str] = ()) -> tuple[tuple[str, ...], str]:
    """Split a printed list of DNs; return the DNs and how: ``exact``, ``known`` or ``heuristic``.

    ``text`` may still carry the surrounding brackets. Known DNs are matched as whole runs of
    atoms, longest first; what is left is split where a new DN evidently starts.
    """
    body = text.strip()
    if body.startswith("["):
        body = body[1:]
    if body.endswith("]"):
        body = body[:-1]
    # "..." is no name: a quoted excerpt (the KB article's own) marks names left out with it
    parts = [a for a in atoms(body) if a.strip() not in ("...", "\u2026")]
    if not parts:
        return (), "exact"
    known_runs = sorted(
        {tuple(_atom_key(a) for a in atoms(dn)) for dn in known if dn}, key=len, reverse=True
    )
    keys = [_atom_key(a) for a in parts]
    result: list[str] = []
    pending: list[str] = []
    used_heuristic = False
    i = 0
    while i < len(parts):
        run = next((r for r in known_runs if tuple(keys[i : i + len(r)]) == r), None)
        if run:
            if pending:
                result.extend(_heuristic(pending))
                used_heuristic = True
                pending = []
            result.append(", ".join(parts[i : i + len(run)]))
            i += len(run)
        else:
            pending.append(parts[i])
            i += 1
    if pending:
        chunks = _heuristic(pending)
        used_heuristic = used_heuristic or len(chunks) > 0
        result.extend(chunks)
    method = "heuristic" if used_heuristic else "known"
    return tuple(result), method


def _heuristic(parts: list[str]) -> list[str]:
    """Split where the first DN's leading type comes back after an atom of another type.

    The leading type is CN, or DC for AD-style names; runs of the same type (DC=a, DC=b) stay
    together.
    """
    first = atom_type(parts[0])
    groups: list[list[str]] = [[parts[0]]]
    for prev, atom in zip(parts, parts[1:]):
        if atom_type(atom) == first and atom_type(prev) != first:
            groups.append([atom])
        else:
            groups[-1].append(atom)
    return [", ".join(g) for g in groups]


# ----------------------------------------------------------------------------- OpenSSL hashes
#
# ``openssl x509 -hash -issuer_hash`` prints OpenSSL's ``X509_NAME_hash``: SHA-1 over the
# name's canonical encoding, whose first four bytes are read little-endian. The canonical
# encoding keeps each RDN's attribute types and re-encodes every value of a string type as a
# trimmed, space-collapsed, ASCII-lower-cased UTF8String; the RDN order stays. So the hash of a
# name depends on its text, not on the string types the certificate chose, and a DN as JSSE
# prints it is enough to compute it.

# ASN.1 string tags OpenSSL canonicalises (ASN1_MASK_CANON): UTF8, BMP, Universal, Printable,
# T61, IA5, Visible. Others (NumericString, BIT STRING …) are hashed as they are.
CANON_DECODE = {0x0C: "utf-8", 0x1E: "utf-16-be", 0x1C: "utf-32-be", 0x13: "latin-1",
                0x14: "latin-1", 0x16: "latin-1", 0x1A: "latin-1"}
_SPACE = b" \t\n\v\f\r"
_UTF8_STRING = 0x0C

# The attribute keywords ``X500Principal.toString()`` prints (and the RFC 4514 ones), by OID.
ATTRIBUTE_OIDS = {
    "CN": "2.5.4.3", "C": "2.5.4.6", "L": "2.5.4.7", "ST": "2.5.4.8", "O": "2.5.4.10",
    "OU": "2.5.4.11", "T": "2.5.4.12", "TITLE": "2.5.4.12", "STREET": "2.5.4.9",
    "SERIALNUMBER": "2.5.4.5", "SURNAME": "2.5.4.4", "SN": "2.5.4.4", "GIVENNAME": "2.5.4.42",
    "INITIALS": "2.5.4.43", "GENERATION": "2.5.4.44", "DNQ": "2.5.4.46",
    "DNQUALIFIER": "2.5.4.46", "POSTALCODE": "2.5.4.17", "DC": "0.9.2342.19200300.100.1.25",
    "UID": "0.9.2342.19200300.100.1.1", "EMAILADDRESS": "1.2.840.113549.1.9.1",
    "EMAIL": "1.2.840.113549.1.9.1", "IP": "1.3.6.1.4.1.42.2.11.2.1",
}


def read_tlv(data: bytes, pos: int) -> tuple[int, int, int]:
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


def tlv(tag: int, value: bytes) -> bytes:
    """One DER element: tag, definite length, value."""
    n = len(value)
    if n < 0x80:
        return bytes((tag, n)) + value
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + value


def oid_text(value: bytes) -> str:
    """The dotted form of a DER OBJECT IDENTIFIER's content octets."""
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


def oid_der(dotted: str) -> bytes:
    """The DER OBJECT IDENTIFIER (tag and all) of a dotted OID such as ``2.5.4.3``."""
    arcs = [int(a) for a in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] > 39):
        raise ValueError(f"not an OID: {dotted}")
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, bytes(body))


def name_entries(der: bytes) -> list[list[tuple[str, bytes, int, bytes]]]:
    """The RDNs of a DER Name: per RDN, (oid, oid TLV, value tag, value bytes) per attribute."""
    tag, pos, end = read_tlv(der, 0)
    if tag != 0x30:
        raise ValueError("not a DER Name")
    rdns = []
    while pos < end:
        _, spos, send = read_tlv(der, pos)
        entries = []
        p = spos
        while p < send:
            _, evs, eend = read_tlv(der, p)
            _, ovs, oend = read_tlv(der, evs)
            vtag, vvs, vend = read_tlv(der, oend)
            entries.append((oid_text(der[ovs:oend]), der[evs:oend], vtag, der[vvs:vend]))
            p = eend
        rdns.append(entries)
        pos = send
    return rdns


def canon(tag: int, value: bytes) -> bytes:
    """OpenSSL's asn1_string_canon: UTF-8, trimmed, inner spaces collapsed, ASCII lower-cased."""
    text = value if tag == _UTF8_STRING else value.decode(CANON_DECODE[tag]).encode("utf-8")
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
    canonical = bytearray()
    for rdn in name_entries(der):
        encoded = []
        for _, oid_tlv, tag, value in rdn:
            if tag in CANON_DECODE:
                body = tlv(_UTF8_STRING, canon(tag, value))
            else:
                body = tlv(tag, value)
            encoded.append(tlv(0x30, oid_tlv + body))
        canonical += tlv(0x31, b"".join(sorted(encoded)))  # DER SET OF: sorted encodings
    digest = hashlib.sha1(bytes(canonical)).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


def _split_rdn(atom: str) -> list[str]:
    """The attributes of a multi-valued RDN (``OU=A + O=B``): split on ``+`` outside quotes."""
    out: list[str] = []
    buf: list[str] = []
    quoted = escaped = False
    for ch in atom:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "+" and not quoted:
            out.append("".join(buf).strip())
            buf = []
            continue
        buf.append(ch)
    out.append("".join(buf).strip())
    return out


def _attribute_oid(kind: str) -> str:
    key = kind.strip().upper()
    key = _TYPE_ALIASES.get(key, key)
    if key.startswith("OID."):
        key = key[4:]
    if key in ATTRIBUTE_OIDS:
        return ATTRIBUTE_OIDS[key]
    if re.fullmatch(r"\d+(?:\.\d+)+", key):
        return key
    raise ValueError(f"unknown attribute type {kind.strip()!r}")


_HEX_PAIR = re.compile(r"[0-9A-Fa-f]{2}")


def _value_der(value: str) -> bytes:
    r"""The DER value (tag and all) of an attribute value as printed.

    ``#hex`` is the value's own DER encoding (RFC 4514 §2.4, what JSSE prints for a value that
    is not a string). Otherwise the text is unquoted (RFC 1779 ``"…"`` with ``\"`` inside) or
    unescaped (RFC 4514 ``\,`` and ``\C3\BC``) and encoded as a UTF8String: the canonical form
    makes the string type the certificate used irrelevant.
    """
    value = value.strip()
    if value.startswith("#"):
        raw = bytes.fromhex(value[1:])
        _, _, end = read_tlv(raw, 0)
        if end != len(raw):
            raise ValueError("trailing bytes after a #hex value")
        return raw
    quoted = len(value) >= 2 and value[0] == value[-1] == '"'
    if quoted:
        value = value[1:-1]
    out = bytearray()
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            pair = value[i + 1:i + 3]
            if not quoted and _HEX_PAIR.fullmatch(pair):
                out.append(int(pair, 16))
                i += 3
                continue
            out += value[i + 1].encode("utf-8")
            i += 2
            continue
        out += ch.encode("utf-8")
        i += 1
    bytes(out).decode("utf-8")  # RFC 4514 hex escapes must spell UTF-8
    return tlv(_UTF8_STRING, bytes(out))


def dn_der(dn: str) -> bytes:
    """The DER Name of a DN as JSSE prints it (most specific RDN first, so reversed here).

    Raises ``ValueError`` for a DN that cannot be encoded faithfully: an attribute without
    ``=``, a keyword JSSE does not print, a broken ``#hex`` value or escape.
    """
    rdns = []
    for atom in reversed(atoms(dn)):
        parts = []
        for attribute in _split_rdn(atom):
            kind, eq, value = attribute.partition("=")
            if not eq or not kind.strip():
                raise ValueError(f"not an attribute: {attribute!r}")
            parts.append(tlv(0x30, oid_der(_attribute_oid(kind)) + _value_der(value)))
        rdns.append(tlv(0x31, b"".join(sorted(parts))))
    return tlv(0x30, b"".join(rdns))


def dn_hash(dn: str) -> str:
    """The OpenSSL hash (``openssl x509 -hash``) of a DN as JSSE prints it.

    "" when the DN cannot be encoded (see :func:`dn_der`).
    """
    try:
        return name_hash(dn_der(dn))
    except (ValueError, IndexError, UnicodeError):
        return ""
