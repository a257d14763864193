"""Named Python predicates: the escape hatch for rule conditions the fact model cannot yet express.

A rule names one with ``predicate: <name>``; it is ANDed with the rule's ``when`` expression.
Each predicate takes the scope's facts (:class:`~loganalyzer.facts.HandshakeFacts` or
:class:`~loganalyzer.facts.AgentFacts`) and returns a bool. The registry is a plain dict at the
bottom of this module; ``loganalyzer rules check`` fails for a name that is not in it.

Keep this list short: every entry here stands for a fact that should, in time, move into
``facts.py`` (its docstring says which).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loganalyzer.facts import HandshakeFacts


def mutual_auth_expected(f: HandshakeFacts) -> bool:
    """The MID Server looks set up for certificate-based authentication.

    Stands in for a missing fact (``mutual_auth_configured``: the agent log's
    "mutual authentication enabled" or config.xml). Until it exists, any of these counts:
    the key manager holds a key, a handshake to the same host sent a certificate earlier,
    or the agent log near the handshake reports the MID user as ``null`` (mutual auth
    removes ``mid.instance.username``) or a SOAP 401.
    """
    return (
        f.km_aliases > 0
        or f.earlier_cert_sent
        or f.later_cert_sent
        or "auth-user-null" in f.agent_kinds
        or "soap-401" in f.agent_kinds
    )


def keymanager_debug_on(f: HandshakeFacts) -> bool:
    """The JVM's ``keymanager`` debug output was on, so a missing ``found key for`` line proves
    the keystore holds no private key + certificate.

    Stands in for a missing fact (``km_debug_on``: derivable from the ``javax.net.debug`` value
    the log shows, the JDK version, or other ``keymanager``-gated lines of the same JVM).
    ``km_logged`` cannot serve: it is also true for the handshake's own "No X.509 cert
    selected" lines, which print without the ``keymanager`` option. Until the fact exists this
    returns False, and the empty-keystore case stays a ``possible`` candidate.
    """
    return bool(getattr(f, "km_debug_on", False))


def keymanager_debug_off(f: HandshakeFacts) -> bool:
    """The negation of :func:`keymanager_debug_on`, for the ``possible`` rules of the same group
    (keeps confirmed and possible versions mutually exclusive)."""
    return not keymanager_debug_on(f)


#: name -> predicate(facts) -> bool. Which scope a predicate suits is in its docstring.
PREDICATES: dict[str, Callable[[Any], bool]] = {
    "mutual_auth_expected": mutual_auth_expected,
    "keymanager_debug_on": keymanager_debug_on,
    "keymanager_debug_off": keymanager_debug_off,
}
