"""Distinguished names as JSSE prints them (``X500Principal.toString()``), and lists of them.

TLS 1.2 CertificateRequests print the CA names as ``List.toString()``: DNs and the RDNs inside
them are both separated by ``", "``, so the boundaries are ambiguous. They are recovered by
matching DNs the same log shows elsewhere (the key manager's chain, the sent certificate, the
trusted certificates) and, for the rest, by a documented heuristic.
"""

from __future__ import annotations

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
