"""Java exception lines and fatal alerts, as every JSSE dialect prints them.

The unified, legacy and app-exception dialects all read ``Class: message`` lines and the alert a
peer sent; the helpers live here so that no dialect imports another.
"""

from __future__ import annotations

import re

ALERT_PREFIX = re.compile(r"^\((?P<alert>[a-z_]+)\) ")
RECEIVED_ALERT = re.compile(r"Received fatal alert: (?P<alert>[a-z_]+)")
_EXCEPTION_LINE = re.compile(r"^(?P<cls>[\w.$]+(?:Exception|Error)): ?(?P<msg>.*)$")


def split_exception(text: str) -> tuple[str, str]:
    """``javax.net.ssl.SSLHandshakeException: (bad_certificate) msg`` -> (class, msg)."""
    m = _EXCEPTION_LINE.match(text.strip())
    if not m:
        return "", text.strip()
    return m.group("cls"), ALERT_PREFIX.sub("", m.group("msg").strip())
