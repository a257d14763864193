"""Which part of an evidence line matters: the spans a renderer highlights.

An evidence line is raw log text. The reader's eye should land on the words that prove the
cause (the alert, the empty list, the CA names, the issuer, the exception message), not on the
JSON punctuation around them. Patterns are tried on the line as is; where a pattern has a group,
only the group is highlighted.
"""

from __future__ import annotations

import re

_PATTERNS = [
    re.compile(p)
    for p in (
        r"<empty list>",
        r"\"certificate authorities\": (\[\])",
        r"\"certificate authorities\": \[(.+?)\]?$",
        r"^\s*((?:CN|OU|O)=.+?)\]?$",  # a continuation line of a CA-name list
        r"\"(?:subject|issuer)\"\s*:\s*\"(.+)\",?$",
        r"[Ff]atal alert: \w+",
        r"\"description\": \"(\w+)\"",
        r"alert\((\w+)\)",
        r"Fatal \((\w+)\)",
        r"No X\.509 cert(?:ificate)? (?:selected for .+|for client authentication)",
        r"No available (?:client )?authentication scheme",
        r"PKIX path (?:building|validation) failed",
        r"unable to find valid certification path to requested target",
        r"No subject alternative (?:DNS name|names)[^.]*",
        r"Unable to determine revocation status[\w ]*",
        r"Invalid certificate_authorities extension[^\n]*",
        r"Could not authenticate user '[^']*'",
        r"MIDSecPolicy: .+ is (true|false)$",
        r"found key for : (.+)$",
        r"matching alias: (.+)$",
        r"Negotiated protocol version: (\S+)",
        r"encryption keys do not match",
        r"Invalid client_cert[^\n]*",
        r"Unable to validate the certificate from CA",
        r"Failed in client cert chain verification",
        r"certificate (?:has )?expired|NotAfter: [^,]+",
    )
]


def spans(text: str) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) spans of ``text`` worth highlighting."""
    found: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span(1) if m.re.groups else m.span()
            if end > start:
                found.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def pieces(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, highlighted) pairs, in order."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for start, end in spans(text):
        if start > pos:
            out.append((text[pos:start], False))
        out.append((text[start:end], True))
        pos = end
    if pos < len(text) or not out:
        out.append((text[pos:], False))
    return out
