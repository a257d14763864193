"""The words every stage shares, each defined once.

Severity, confidence, tri-state answers and the Extended Key Usage names.

The enums are ``str`` subclasses, so a value compares equal to its plain string (``"error"``),
reads as itself in JSON and YAML, and the rule files and the JSON contract need not change.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Literal


class Severity(str, Enum):
    """How bad a diagnosis is; declared lowest first, and that order is the one order."""

    info = "info"  # a note (for example: mutual TLS works)
    warning = "warning"  # will or may break authentication
    error = "error"  # breaks authentication

    @property
    def rank(self) -> int:
        """0 for info, 1 for warning, 2 for error."""
        return _SEVERITY_RANK[self]

    def __str__(self) -> str:
        return self.value


class Confidence(str, Enum):
    """How sure a diagnosis is; declared most certain first."""

    confirmed = "confirmed"  # the log settles it
    possible = "possible"  # one candidate of a differential

    @property
    def rank(self) -> int:
        """0 for confirmed, 1 for possible."""
        return _CONFIDENCE_RANK[self]

    def __str__(self) -> str:
        return self.value


_SEVERITY_RANK = {s: n for n, s in enumerate(Severity)}
_CONFIDENCE_RANK = {c: n for n, c in enumerate(Confidence)}
SEVERITIES = tuple(s.value for s in Severity)
CONFIDENCES = tuple(c.value for c in Confidence)


def severity_rank(value: str) -> int:
    """The rank of a severity given as a string; an unknown one ranks lowest."""
    try:
        return Severity(value).rank
    except ValueError:
        return -1


def worst(severities: Iterable[str]) -> str | None:
    """The highest of ``severities`` (``None`` when there are none)."""
    values = list(severities)
    return max(values, key=severity_rank) if values else None


# -- answers a log may not give ------------------------------------------------------------------

Tri = Literal["yes", "no", "unknown"]
"""A fact the log may not show. Facts are strings because rules compare them (``cert_sent ==
'no'``); models between stages use ``bool | None`` and :func:`tri` turns one into the other."""
YES: Tri = "yes"
NO: Tri = "no"
UNKNOWN: Tri = "unknown"
TRI_VALUES = frozenset({YES, NO, UNKNOWN})


def tri(value: bool | None) -> Tri:
    """``True`` -> yes, ``False`` -> no, ``None`` (the log cannot tell) -> unknown."""
    return UNKNOWN if value is None else (YES if value else NO)


# -- Extended Key Usage --------------------------------------------------------------------------

CLIENT_AUTH_EKU = "clientAuth"
SERVER_AUTH_EKU = "serverAuth"
ANY_EKU = "anyExtendedKeyUsage"

SERVER_AUTH_OID = "1.3.6.1.5.5.7.3.1"
CLIENT_AUTH_OID = "1.3.6.1.5.5.7.3.2"
ANY_EKU_OID = "2.5.29.37.0"

# OID -> (the short name JSSE prints, the long name ``openssl x509 -text`` prints and the KB quotes)
EKU: dict[str, tuple[str, str]] = {
    SERVER_AUTH_OID: (SERVER_AUTH_EKU, "TLS Web Server Authentication"),
    CLIENT_AUTH_OID: (CLIENT_AUTH_EKU, "TLS Web Client Authentication"),
    "1.3.6.1.5.5.7.3.3": ("codeSigning", "Code Signing"),
    "1.3.6.1.5.5.7.3.4": ("emailProtection", "E-mail Protection"),
    "1.3.6.1.5.5.7.3.8": ("timeStamping", "Time Stamping"),
    "1.3.6.1.5.5.7.3.9": ("OCSPSigning", "OCSP Signing"),
    ANY_EKU_OID: (ANY_EKU, "Any Extended Key Usage"),
}
EKU_SHORT = {oid: short for oid, (short, _) in EKU.items()}
EKU_LONG = {oid: long for oid, (_, long) in EKU.items()}
