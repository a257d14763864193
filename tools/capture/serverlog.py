"""Parse the output of `openssl s_server -state -msg` into per-connection facts.

The harness derives the "truth" of every sample log from what the server itself printed:
the handshake messages it sent and received (``-msg`` prints them as hex, which we decode
here), the alerts, the certificate verify callback lines (``depth=``, ``verify error:``) and
the OpenSSL error queue lines.  Nothing here looks at what the scenario *intended*.

Only the standard library is used (a tiny DER reader decodes distinguished names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# ----------------------------------------------------------------------------- DER helpers

OID_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.5": "SERIALNUMBER",
    "0.9.2342.19200300.100.1.25": "DC",
    "1.2.840.113549.1.9.1": "EMAILADDRESS",
}


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """Returns (tag, value_start, value_end) of the DER element at pos."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    return tag, pos, pos + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    out = []
    pos = start
    while pos < end:
        tag, vs, ve = _tlv(data, pos)
        out.append((tag, vs, ve))
        pos = ve
    return out


def _oid(raw: bytes) -> str:
    first = raw[0]
    parts = [first // 40, first % 40]
    val = 0
    for b in raw[1:]:
        val = (val << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(val)
            val = 0
    return ".".join(str(p) for p in parts)


def _quote(value: str) -> str:
    # the way java.security X500Principal.toString() protects special characters
    if any(c in value for c in ',+=<>#;"') or value != value.strip():
        return '"' + value.replace('"', '\\"') + '"'
    return value


def der_name_to_str(data: bytes, start: int | None = None, end: int | None = None) -> str:
    """DER Name -> 'CN=..., O=..., C=US' (most specific first, like X500Principal)."""
    if start is None:
        _, start, end = _tlv(data, 0)
    rdns = []
    for _tag, s, e in _children(data, start, end):  # SET OF
        avas = []
        for _t2, s2, e2 in _children(data, s, e):  # SEQUENCE {oid, value}
            (_to, os_, oe), (vt, vs, ve) = _children(data, s2, e2)[:2]
            oid = _oid(data[os_:oe])
            raw = data[vs:ve]
            if vt == 0x1E:  # BMPString
                value = raw.decode("utf-16-be", "replace")
            else:
                value = raw.decode("utf-8", "replace")
            avas.append(f"{OID_NAMES.get(oid, 'OID.' + oid)}={_quote(value)}")
        rdns.append(" + ".join(avas))
    return ", ".join(reversed(rdns))


def cert_subject_issuer(der: bytes) -> tuple[str, str]:
    """Subject and issuer of a DER X.509 certificate."""
    _, cs, ce = _tlv(der, 0)
    tbs_tag, ts, te = _children(der, cs, ce)[0]
    fields = _children(der, ts, te)
    if fields and fields[0][0] == 0xA0:  # [0] version
        fields = fields[1:]
    # serial, signature, issuer, validity, subject
    _, is_, ie = fields[2]
    _, ss, se = fields[4]
    return der_name_to_str(der, ss, se), der_name_to_str(der, is_, ie)


def pem_certs_der(text: str) -> list[bytes]:
    import base64

    out = []
    for m in re.finditer(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text, re.S):
        out.append(base64.b64decode("".join(m.group(1).split())))
    return out


# ----------------------------------------------------------------------------- TLS message decoding


def _dn_list(body: bytes) -> list[str]:
    names = []
    pos = 0
    while pos + 2 <= len(body):
        n = int.from_bytes(body[pos:pos + 2], "big")
        pos += 2
        names.append(der_name_to_str(body[pos:pos + n]))
        pos += n
    return names


def parse_certificate_request(msg: bytes, tls13: bool) -> tuple[list[str], str]:
    """CA names in a CertificateRequest and how they were carried.

    The second value is "list" (TLS 1.2 certificate_authorities field, possibly empty),
    "extension" (TLS 1.3 certificate_authorities extension with names), "empty-extension"
    (TLS 1.3 extension present but holding no names) or "no-extension".
    """
    body = msg[4:]
    if not tls13:
        pos = 1 + body[0]  # certificate_types
        sl = int.from_bytes(body[pos:pos + 2], "big")
        pos += 2 + sl  # supported_signature_algorithms
        cl = int.from_bytes(body[pos:pos + 2], "big")
        return _dn_list(body[pos + 2:pos + 2 + cl]), "list"
    pos = 1 + body[0]  # certificate_request_context
    el = int.from_bytes(body[pos:pos + 2], "big")
    pos += 2
    end = pos + el
    while pos + 4 <= end:
        etype = int.from_bytes(body[pos:pos + 2], "big")
        elen = int.from_bytes(body[pos + 2:pos + 4], "big")
        data = body[pos + 4:pos + 4 + elen]
        if etype == 47:  # certificate_authorities
            ll = int.from_bytes(data[:2], "big")
            names = _dn_list(data[2:2 + ll])
            return names, "extension" if names else "empty-extension"
        pos += 4 + elen
    return [], "no-extension"


def parse_client_hello_server_name(msg: bytes) -> str | None:
    """The host_name of a ClientHello's server_name extension; None when it has none."""
    body = msg[4:]
    pos = 2 + 32  # client_version, random
    pos += 1 + body[pos]  # session_id
    pos += 2 + int.from_bytes(body[pos:pos + 2], "big")  # cipher_suites
    pos += 1 + body[pos]  # compression_methods
    if pos + 2 > len(body):
        return None  # no extensions at all
    end = pos + 2 + int.from_bytes(body[pos:pos + 2], "big")
    pos += 2
    while pos + 4 <= end:
        etype = int.from_bytes(body[pos:pos + 2], "big")
        elen = int.from_bytes(body[pos + 2:pos + 4], "big")
        data = body[pos + 4:pos + 4 + elen]
        if etype == 0:  # server_name: ServerNameList of (name_type, HostName)
            i = 2
            while i + 3 <= len(data):
                kind, n = data[i], int.from_bytes(data[i + 1:i + 3], "big")
                if kind == 0:  # host_name
                    return data[i + 3:i + 3 + n].decode("ascii", "replace")
                i += 3 + n
            return ""
        pos += 4 + elen
    return None


def parse_certificate(msg: bytes, tls13: bool) -> list[bytes]:
    """DER certificates of a Certificate handshake message (empty list when none)."""
    body = msg[4:]
    pos = 0
    if tls13:
        pos = 1 + body[0]
    total = int.from_bytes(body[pos:pos + 3], "big")
    pos += 3
    end = pos + total
    certs = []
    while pos < end:
        n = int.from_bytes(body[pos:pos + 3], "big")
        pos += 3
        certs.append(body[pos:pos + n])
        pos += n
        if tls13:
            el = int.from_bytes(body[pos:pos + 2], "big")
            pos += 2 + el
    return certs


# ----------------------------------------------------------------------------- s_server output

MSG_RE = re.compile(
    r"^(?P<dir><<<|>>>) (?P<ver>TLS 1\.[0-3]|SSL 3\.0|DTLS [0-9.]+|\?\?\?), (?P<ctype>\w+) "
    r"\[length (?P<len>[0-9a-f]+)\](?:, (?P<what>.*))?$"
)
ERR_RE = re.compile(r"^[0-9A-F]+:error:(?P<code>[0-9A-F]+):(?P<lib>[^:]+):(?P<func>[^:]*):(?P<reason>[^:]+):")


@dataclass
class Connection:
    index: int
    lines: list[str] = field(default_factory=list)
    messages: list[tuple[str, str, str, str, bytes]] = field(default_factory=list)


def _split(text: str) -> tuple[list[str], list[Connection]]:
    pre: list[str] = []
    conns: list[Connection] = []
    cur: Connection | None = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = MSG_RE.match(line)
        if m:
            hexbytes = []
            j = i + 1
            while j < len(lines) and lines[j].startswith("    ") and re.fullmatch(r"(?: [0-9a-f]{2})+", lines[j][3:]):
                hexbytes.append(lines[j].strip())
                j += 1
            data = bytes.fromhex(" ".join(hexbytes)) if hexbytes else b""
            if m.group("ctype") == "Handshake" and m.group("what") == "ClientHello" and m.group("dir") == "<<<":
                cur = Connection(index=len(conns) + 1)
                conns.append(cur)
            target = cur.lines if cur else pre
            target.append(line)
            if cur is not None:
                cur.messages.append((m.group("dir"), m.group("ver"), m.group("ctype"), m.group("what") or "", data))
            i = j
            continue
        (cur.lines if cur else pre).append(line)
        i += 1
    return pre, conns


def analyse_connection(conn: Connection) -> dict:
    tls13 = False
    negotiated = None
    requested = False
    ca_names = None
    ca_form = None
    client_cert_msg = None
    client_certs: list[bytes] = []
    alerts_sent: list[str] = []
    alerts_received: list[str] = []
    client_finished = False
    server_name = None
    server_leaf = None
    for direction, ver, ctype, what, data in conn.messages:
        if ctype == "Handshake" and what == "ClientHello" and direction == "<<<" and data:
            server_name = parse_client_hello_server_name(data)
        elif ctype == "Handshake" and what == "Certificate" and direction == ">>>":
            sent = parse_certificate(data, tls13)
            server_leaf = cert_subject_issuer(sent[0])[0] if sent else None
        elif ctype == "Handshake" and what == "ServerHello" and direction == ">>>":
            negotiated = ver.replace("TLS ", "TLSv")
            tls13 = ver == "TLS 1.3"
        elif ctype == "Handshake" and what == "CertificateRequest" and direction == ">>>":
            requested = True
            ca_names, ca_form = parse_certificate_request(data, tls13)
        elif ctype == "Handshake" and what == "Certificate" and direction == "<<<":
            client_cert_msg = True
            client_certs = parse_certificate(data, tls13)
        elif ctype == "Handshake" and what == "Finished" and direction == "<<<":
            client_finished = True
        elif ctype == "Alert":
            (alerts_sent if direction == ">>>" else alerts_received).append(what)
    verify_errors = []
    depth0 = None
    errors = []
    for line in conn.lines:
        if line.startswith("verify error:"):
            verify_errors.append(line[len("verify error:"):].strip())
        elif line.startswith("depth=0 ") and depth0 is None:
            depth0 = line[len("depth=0 "):].strip()
        m = ERR_RE.match(line)
        if m:
            errors.append(f"{m.group('func')}: {m.group('reason')}")
    fatal_sent = [a for a in alerts_sent if a.startswith("fatal")]
    fatal_received = [a for a in alerts_received if a.startswith("fatal")]
    completed = client_finished and not fatal_sent and not fatal_received and not errors
    subject = issuer = None
    chain = []
    for der in client_certs:
        try:
            s, iss = cert_subject_issuer(der)
        except Exception:  # pragma: no cover - malformed input
            s, iss = "<undecodable>", "<undecodable>"
        chain.append({"subject": s, "issuer": iss})
    if chain:
        subject, issuer = chain[0]["subject"], chain[0]["issuer"]
    if not client_certs:
        verify = None
    elif verify_errors:
        verify = "; ".join(verify_errors)
    else:
        verify = "ok"
    return {
        "server_connection_index": conn.index,
        "tls_version": negotiated,
        "client_hello_server_name": server_name,  # None: the ClientHello had no server_name (SNI)
        "server_cert_subject": server_leaf,  # the leaf of the server's own Certificate message
        "server_requested_client_cert": requested,
        "ca_names_sent": ca_names if requested else None,
        "ca_names_form": ca_form,
        "client_certificate_message": bool(client_cert_msg),
        "server_received_client_cert": bool(client_certs),
        "received_cert_subject": subject,
        "received_cert_issuer": issuer,
        "received_chain": chain,
        "server_verify_callback_subject": depth0,
        "server_verify_result": verify,
        "server_errors": errors,
        "alerts_sent_by_server": alerts_sent,
        "alerts_received_by_server": alerts_received,
        "handshake_completed": completed,
    }


def parse_server_output(text: str) -> list[dict]:
    _pre, conns = _split(text)
    return [analyse_connection(c) for c in conns]



def accepts_before_first_client_hello(text: str) -> int:
    """TCP connections the server accepted and lost before any ClientHello arrived (the client sent nothing).

    Counted from the OpenSSL error lines ``unexpected eof while reading`` that precede the first ClientHello.
    """
    pre, _conns = _split(text)
    return sum(1 for line in pre if ERR_RE.match(line) and "unexpected eof while reading" in line)
