"""Named Python predicates: the escape hatch for rule conditions the fact model cannot yet express.

A rule names one with ``predicate: <name>``; it is ANDed with the rule's ``when`` expression.
Each predicate takes the scope's facts (:class:`~loganalyzer.analysis.facts.HandshakeFacts`
or :class:`~loganalyzer.analysis.facts.AgentFacts`) and returns a bool. The registry is a plain
dict at the bottom of this module; ``loganalyzer rules check`` fails for a name that is not in it.

Keep this list short: every entry here stands for a fact that should, in time, move into
``facts.py`` (its docstring says which).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loganalyzer.analysis.facts import HandshakeFacts


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


#: name -> predicate(facts) -> bool. Which scope a predicate suits is in its docstring.
PREDICATES: dict[str, Callable[[Any], bool]] = {
    "mutual_auth_expected": mutual_auth_expected,
}
