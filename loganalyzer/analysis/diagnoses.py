"""Diagnoses: rules evaluated over facts, folded into root causes with evidence and fixes.

Each rule is evaluated on every handshake (or agent event) of a MID Server. Hits of one rule
become one diagnosis per MID Server, citing the first handshakes it fired on. Where the log
cannot tell causes apart, several ``possible`` diagnoses come back, most likely first. Which
rule gives way to which on the same handshake is said once, in each rule's ``yields_to``.

A diagnosis whose fix is uploading CA certificates or keeping the right key
(:data:`CHAIN_CAUSES`) also says, in one sentence (``detail``) and as a structured field
(``missing``), which CA names the instance accepts, the chain the MID Server holds (leaf to root,
with OpenSSL's subject and issuer hashes) and what to upload to ``sys_ca_certificate``. When
the log does not show that chain, the MID Server's certificate files can (``analyze --certs``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Protocol

from loganalyzer.analysis.facts import AgentFacts, HandshakeFacts, Timeline, derive, derive_agent
from loganalyzer.analysis.handshakes import Handshake
from loganalyzer.analysis.reading import MidServer, Reading
from loganalyzer.errors import Location, Problem, boundary, debug_enabled, internal_problem
from loganalyzer.ingest.names import basename
from loganalyzer.jsse import events as ev
from loganalyzer.jsse.dn import atom_type, atoms, dn_hash, normalise
from loganalyzer.vocabulary import Confidence, severity_rank

if TYPE_CHECKING:
    from _typeshed import SupportsKeysAndGetItem
    from typing_extensions import Self

MAX_EVIDENCE_HANDSHAKES = 3
# The root causes whose diagnosis names the CAs accepted, the chain held and what to upload.
CHAIN_CAUSES = frozenset({"ca-chain-incomplete", "ca-list-empty", "wrong-key-chosen"})
SENTENCE_NAMES = 3  # accepted CA names the sentence lists; the rest it counts
# The alias the MID Server's mutual authentication presents (ServiceNow docs, manage-certificates).
MID_ALIAS = "defaultsecuritykeypairhandle"
# A certificate file's times are UTC and a log's are local, in a zone the log may not name:
# the widest gap between the two (UTC-12 to UTC+14).
ZONE_MARGIN = timedelta(hours=14)

# Which events a rule's ``evidence`` names pull out of a handshake.
EVIDENCE_EVENTS: dict[str, tuple[type[ev.Event], ...]] = {
    "hello": (ev.ClientHello, ev.ServerHello, ev.NegotiatedVersion),
    "server_certificate": (ev.ServerCertificate,),
    "request": (ev.CertificateRequest,),
    "client_certificate": (ev.ClientCertificate, ev.NoClientCertificate),
    "key_manager": (ev.KeyManagerClass, ev.KeySelection, ev.KeyFound),
    "alert": (ev.Alert,),
    "failure": (ev.Failure,),
    "finished": (ev.Finished,),
}


class Rule(Protocol):
    """What diagnosing reads of a rule (:class:`loganalyzer.ruleset.rules.Rule`).

    Rules come after analysis in the flow: they are passed in, described here, never imported.
    """

    @property
    def id(self) -> str: ...
    @property
    def root_cause(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def confidence(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def meaning(self) -> str: ...
    @property
    def fix(self) -> Sequence[str]: ...
    @property
    def kb(self) -> SupportsKeysAndGetItem[str, str]: ...
    @property
    def distinguish(self) -> str | None: ...
    @property
    def rank(self) -> int: ...
    @property
    def evidence(self) -> Sequence[str]: ...

    def matches(self, facts: Any) -> bool: ...

    def gives_way(self, fired: Sequence[Self]) -> bool: ...


class RuleSet(Protocol):
    """The rules to run (:class:`loganalyzer.ruleset.rules.RuleSet`), by scope."""

    def for_scope(self, scope: str) -> Sequence[Rule]: ...


@dataclass(frozen=True, slots=True)
class Evidence:
    path: str
    line: int
    text: str


@dataclass(slots=True)
class Diagnosis:
    """One root cause found in one MID Server's logs."""

    root_cause: str
    rule: str
    severity: str
    confidence: str
    title: str
    meaning: str
    fix: list[str]
    kb: dict[str, str]
    mid_server: str
    distinguish: str = ""
    rank: int = 0
    evidence: list[Evidence] = field(default_factory=list)
    handshakes: int = 0  # how many handshakes (or agent events) the rule fired on
    first_seen: datetime | None = None
    first_line: tuple[str, int] = ("", 0)
    # set-up checks: the sentence that says exactly what was found, and every source (certs,
    # config, probe, cross-check, logs) that found this root cause
    detail: str = ""
    sources: list[str] = field(default_factory=list)
    # for CHAIN_CAUSES: the CA names accepted, the chain held and what to upload (see ``missing``)
    missing: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {
            "root_cause": self.root_cause,
            "rule": self.rule,
            "severity": self.severity,
            "confidence": self.confidence,
            "title": self.title,
            "meaning": self.meaning,
            "mid_server": self.mid_server,
            "occurrences": self.handshakes,
            "first_seen": self.first_seen.isoformat(sep=" ") if self.first_seen else None,
            "evidence": [{"path": e.path, "line": e.line, "text": e.text} for e in self.evidence],
            "fix": list(self.fix),
            "kb": dict(self.kb),
            "distinguish": self.distinguish or None,
        }
        if self.detail:
            out["detail"] = self.detail
        if self.sources:
            out["sources"] = list(self.sources)
        if self.missing is not None:
            out["missing"] = {k: [dict(x) if isinstance(x, dict) else x for x in v]
                              if isinstance(v, list) else v for k, v in self.missing.items()}
        return out


def diagnose(reading: Reading, rules: RuleSet, held: Sequence[HeldKey] = (), *,
             memo: bool = True) -> list[Diagnosis]:
    """Every diagnosis for every MID Server in ``reading``, most important first.

    Each rule runs on each handshake behind a fault boundary: a rule that raises is skipped
    for that handshake and reported in ``reading.problems`` as ``internal``; the others run.
    ``held``: keys read from the MID Server's certificate files, for naming what is missing
    where the log shows no chain (they never change which rules fire).
    ``memo``: judge each distinct facts value once (:class:`_Verdicts`); False evaluates every
    rule on every handshake, the reference the memoised result must equal.
    """
    out: list[Diagnosis] = []
    for server in reading.servers:
        with boundary(reading.problems, Location(server.group), "diagnosing this MID Server"):
            out.extend(_diagnose_server(server, rules, reading.problems, held, memo))
    out.sort(key=sort_key)
    return out


def leading(diagnoses: Sequence[Diagnosis]) -> list[Diagnosis]:
    """The top of a sorted list: the first diagnosis, or the leading group of a differential.

    When the first is one candidate of a differential, the top is the whole leading group of
    ``possible`` candidates of its severity.
    """
    if not diagnoses:
        return []
    first = diagnoses[0]
    if first.confidence != "possible":
        return [first]
    return [d for d in diagnoses if d.confidence == "possible" and d.severity == first.severity]


def sort_key(d: Diagnosis) -> tuple[int, int, int, str, tuple[str, int], str]:
    return (
        -severity_rank(d.severity),  # worst first
        Confidence(d.confidence).rank,
        d.rank,
        d.mid_server,
        d.first_line,
        d.rule,
    )


_Facts = HandshakeFacts | AgentFacts
_GETTERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def facts_key(facts: _Facts) -> Hashable | None:
    """The facts' values as a dictionary key: equal keys, equal facts, the same rules fire.

    Every field is in it (the facts hold no place or time of their own, and a predicate may read
    any field). Lists become tuples; each value's type goes in too, so None, False and 0 (or
    True and 1) stay apart. None when a value cannot be hashed: those facts are not memoised.
    """
    cls = type(facts)
    getter = _GETTERS.get(cls)
    if getter is None:
        names = [f.name for f in fields(cls)]
        getter = _GETTERS[cls] = attrgetter(*names) if len(names) > 1 else (
            lambda x: (attrgetter(*names)(x),))
    values = getter(facts)
    key = (tuple(tuple(v) if type(v) is list else v for v in values), tuple(map(type, values)))
    try:
        hash(key)
    except TypeError:
        return None
    return key


@dataclass(slots=True)
class _Verdict:
    """What one facts value made the rules of a scope do."""

    matched: list[Rule]  # the rules whose condition held, in the scope's order
    raised: list[tuple[str, Exception]]  # (rule id, its exception), in the same order
    kept: list[Rule] | None = None  # ``matched`` after precedence, once worked out


class _Verdicts:
    """The rules of one scope, evaluated once per distinct facts value.

    A MID Server retries the same failing handshake hundreds of times, and rule-engine costs
    tens of microseconds per condition: since a rule reads nothing but the facts, identical facts
    share one evaluation. A rule that raised is reported again for each handshake (or agent
    event) with those facts, at its place, as if it had been evaluated there.
    """

    def __init__(self, rules: Sequence[Rule], precedence: bool, memo: bool = True) -> None:
        self.rules = list(rules)
        self.precedence = precedence  # handshake rules give way by ``yields_to``; agent rules not
        self.memo = memo  # False: evaluate every time (what the memoised verdicts must equal)
        self._memo: dict[Hashable, _Verdict] = {}

    def fired(self, facts: _Facts, where: Location, problems: list[Problem]) -> list[Rule]:
        """The rules that fire on ``facts``, after precedence; a rule that raised is a problem."""
        key = facts_key(facts) if self.memo else None
        verdict = self._memo.get(key) if key is not None else None
        if verdict is None:
            verdict = self._evaluate(facts)
            if key is not None:
                self._memo[key] = verdict
        for rule_id, exc in verdict.raised:
            problems.append(internal_problem(where, f"rule {rule_id}", exc))
        if not self.precedence:
            return verdict.matched
        if verdict.kept is None:  # a gives_way that raises is not kept: it raises again next time
            verdict.kept = [r for r in verdict.matched if not r.gives_way(verdict.matched)]
        return verdict.kept

    def _evaluate(self, facts: _Facts) -> _Verdict:
        verdict = _Verdict([], [])
        for rule in self.rules:
            try:
                if rule.matches(facts):
                    verdict.matched.append(rule)
            except Exception as exc:  # noqa: BLE001 - one rule's bug costs that rule here
                if debug_enabled():
                    raise
                verdict.raised.append((rule.id, exc))
        return verdict


def _diagnose_server(server: MidServer, rules: RuleSet, problems: list[Problem],
                     held: Sequence[HeldKey] = (), memo: bool = True) -> list[Diagnosis]:
    agent = server.agent_events
    timeline = Timeline(server.handshakes, agent)
    hits: dict[str, list[tuple[Handshake | None, ev.Event | None]]] = {}
    by_id: dict[str, Rule] = {}
    handshake_rules = _Verdicts(rules.for_scope("handshake"), precedence=True, memo=memo)
    for h in timeline.handshakes:
        with boundary(problems, h.start, "deriving the facts of this handshake"):
            facts = derive(h, timeline)
            for rule in handshake_rules.fired(facts, h.start, problems):
                hits.setdefault(rule.id, []).append((h, None))
                by_id[rule.id] = rule
    agent_rules = _Verdicts(rules.for_scope("agent"), precedence=False, memo=memo)
    for event in agent:
        with boundary(problems, event.where, "deriving the facts of this agent log line"):
            agent_facts = derive_agent(event, timeline)
            for rule in agent_rules.fired(agent_facts, event.where, problems):
                hits.setdefault(rule.id, []).append((_failed_near(event, timeline), event))
                by_id[rule.id] = rule
    out = []
    for rid, found in hits.items():
        with boundary(problems, Location(server.group), f"folding the hits of rule {rid}"):
            diagnosis = _fold(by_id[rid], server.group, found)
            out.append(diagnosis)
            if diagnosis.root_cause in CHAIN_CAUSES:  # a bug here costs the sentence only
                with boundary(problems, Location(server.group), f"naming what is missing ({rid})"):
                    diagnosis.detail, diagnosis.missing = what_is_missing(
                        diagnosis.root_cause, [h for h, _ in found if h], timeline, held)
    return out


def _failed_near(event: ev.AgentEvent, timeline: Timeline) -> Handshake | None:
    """The failed handshake an agent-log line most likely stems from (closest before it)."""
    if event.time is None:  # then no handshake is near it
        return None
    before = [h for h in timeline.failed_near(event)
              if h.start_time is not None and h.start_time <= event.time]
    return before[-1] if before else None


def _fold(rule: Rule, group: str,
          found: list[tuple[Handshake | None, ev.Event | None]]) -> Diagnosis:
    evidence: list[Evidence] = []
    seen: set[tuple[str, int]] = set()
    first_time = None
    first_line = ("", 0)
    for h, agent_event in found[:MAX_EVIDENCE_HANDSHAKES]:
        cited: list[ev.Event] = []
        if agent_event is not None:
            cited.append(agent_event)
        if h is not None:
            cited.extend(_evidence_events(h, rule.evidence))
        for event in cited:
            for item in _evidence_lines(event):
                key = (item.path, item.line)
                if key not in seen:
                    seen.add(key)
                    evidence.append(item)
    for h, agent_event in found:
        anchor = agent_event or (h.events[0] if h and h.events else None)
        if anchor is not None:
            first_time = anchor.time
            first_line = (anchor.where.path, anchor.where.line)
            break
    return Diagnosis(
        root_cause=rule.root_cause,
        rule=rule.id,
        severity=rule.severity,
        confidence=rule.confidence,
        title=rule.title,
        meaning=rule.meaning,
        fix=list(rule.fix),
        kb=dict(rule.kb),
        mid_server=group,
        distinguish=rule.distinguish or "",
        rank=rule.rank,
        evidence=evidence,
        handshakes=len(found),
        first_seen=first_time,
        first_line=first_line,
    )


def _evidence_events(h: Handshake, names: Sequence[str]) -> list[ev.Event]:
    wanted = tuple(t for name in names for t in EVIDENCE_EVENTS.get(name, ()))
    picked = []
    failures: set[str] = set()
    for e in h.events:
        if not isinstance(e, wanted):
            continue
        if isinstance(e, ev.Failure):
            if e.message in failures:  # JSSE, the app and its stack trace report it again
                continue
            failures.add(e.message)
        picked.append(e)
    if "key_manager" in names:
        picked = list(h.key_manager.found) + picked
    if not picked and h.events:
        picked = [h.events[0]]
    return sorted(picked, key=lambda e: (e.where.path, e.where.line))


def _evidence_lines(event: ev.Event) -> list[Evidence]:
    items = [Evidence(event.where.path, event.where.line, event.text)]
    items.extend(Evidence(event.where.path, n, text) for n, text in event.lines)
    return items


# ----------------------------------------------------------------------------- what is missing


@dataclass(frozen=True, slots=True)
class HeldKey:
    """A key pair read from the MID Server's certificate files, not from the log.

    ``alias`` is its keystore alias ("" for PEM files); ``path`` the file its leaf came from.
    """

    alias: str
    path: str
    chain: tuple[ev.CertInfo, ...]


@dataclass(frozen=True, slots=True)
class _Key:
    """A key the MID Server's JVM holds (dumped by its key manager, or a chain it sent)."""

    alias: str  # "" when only a sent chain shows it
    chain: tuple[ev.CertInfo, ...]
    presented: bool  # its chain is the one sent in the handshake
    problems: tuple[str, ...]  # why the instance refuses its leaf: expired, not for client auth
    # where the chain was seen: ``sent`` (in this handshake), ``keystore`` (the key manager's
    # dump), ``other handshake`` (sent by the same JVM in another one), ``certs`` (a file)
    origin: str
    path: str = ""  # for ``certs``: the file


def what_is_missing(cause: str, handshakes: Sequence[Handshake], timeline: Timeline,
                    held: Sequence[HeldKey] = ()) -> tuple[str, dict[str, Any] | None]:
    """The sentence and the ``missing`` field of a diagnosis of one of :data:`CHAIN_CAUSES`.

    Taken from the handshake that shows most (a CertificateRequest, then a chain). The chain is
    the one sent, else the keystore's (``defaultsecuritykeypairhandle`` first); for
    ``wrong-key-chosen`` it is the fitting key's. When the log shows no chain at all, the keys
    ``held`` in the certificate files given stand in for it; without them the chain is said to
    be unknown. What to upload: the issuers of that chain that the CA names do not cover.
    """
    if not handshakes:
        return "", None
    h = max(handshakes, key=lambda x: (x.request is not None, bool(timeline.known_chains(x))))
    listed = h.request is not None and h.request.ca_state == "listed"
    accepted = list(h.ca_names) if listed else []
    keys = _keys(h, timeline) or [
        _Key(k.alias, k.chain, False, _leaf_problems(k.chain[0], h, ZONE_MARGIN), "certs",
             k.path)
        for k in held if k.chain]
    chosen = _chain_of_interest(cause, keys)
    chain = chosen.chain if chosen else ()
    covered = {normalise(n) for n in accepted}
    upload: list[str] = []
    # a chain of CAs only (a CA bundle given without the leaf): its first CA issued the leaf
    issuers = ([chain[0].subject] if chain and chain[0].is_ca else []) + [c.issuer for c in chain]
    for issuer in issuers:
        if normalise(issuer) not in covered and all(normalise(u) != normalise(issuer)
                                                    for u in upload):
            upload.append(issuer)
    missing: dict[str, Any] = {
        "accepted": accepted,
        "chain": [{"subject": c.subject, "issuer": c.issuer, "subject_hash": dn_hash(c.subject),
                   "issuer_hash": dn_hash(c.issuer)} for c in chain],
        "alias": chosen.alias if chosen else "",
        "source": chosen.origin if chosen else "",
        "upload": upload,
        "keys": [{"alias": k.alias, "subject": k.chain[0].subject, "presented": k.presented,
                  "fits": not k.problems} for k in keys],
    }
    return _sentence(cause, h, missing, keys, chosen), missing


def _keys(h: Handshake, timeline: Timeline) -> list[_Key]:
    """The keys the log shows for this handshake's JVM, with their aliases where dumped."""
    aliases = {tuple(c.subject for c in chain): alias for alias, chain in h.key_manager.aliases}
    sent = tuple(c.subject for c in h.client_chain)
    out = []
    for chain in timeline.known_chains(h):
        subjects = tuple(c.subject for c in chain)
        presented = bool(sent) and (subjects == sent or subjects[:1] == sent[:1])
        origin = "sent" if presented else "keystore" if subjects in aliases else "other handshake"
        out.append(_Key(aliases.get(subjects, ""), chain, presented,
                        _leaf_problems(chain[0], h), origin))
    return out


def _leaf_problems(leaf: ev.CertInfo, h: Handshake,
                   margin: timedelta = timedelta(0)) -> tuple[str, ...]:
    """Why the instance refuses ``leaf``, judged at the handshake's time.

    ``margin``: how far apart the two clocks may be (a file's UTC against a log's local time);
    a validity bound within it of the handshake is no problem, as it cannot be told.
    """
    problems = []
    when, start, end = h.start_time, leaf.not_before, leaf.not_after
    if when is not None and start is not None and when < start - margin:
        problems.append("not valid yet")
    elif when is not None and end is not None and when > end + margin:
        problems.append("expired")
    if leaf.allows_client_auth is False:
        problems.append("not for client authentication")
    return tuple(problems)


def _chain_of_interest(cause: str, keys: Sequence[_Key]) -> _Key | None:
    """The chain the diagnosis is about.

    For ``wrong-key-chosen`` the fitting key's; else the one sent, else the MID Server's own
    alias, a fitting key, or the first.
    """
    if not keys:
        return None
    if cause == "wrong-key-chosen":
        fitting = [k for k in keys if not k.presented and not k.problems]
        if fitting:
            return next((k for k in fitting if k.alias == MID_ALIAS), fitting[0])
    for pick in ((k for k in keys if k.presented), (k for k in keys if k.alias == MID_ALIAS),
                 (k for k in keys if not k.problems)):
        found = next(pick, None)
        if found is not None:
            return found
    return keys[0]


def short_name(dn: str) -> str:
    """A DN in brackets, by its CN as printed (``[CN=Acme Root]``); the whole DN without one.

    The brackets end the name for whoever reads it after it, a redactor too.
    """
    cn = next((a for a in atoms(dn) if atom_type(a) == "CN"), "")
    return f"[{cn or dn}]"


def _names(dns: Sequence[str], limit: int = 0) -> str:
    """``[A]``, ``[A] and [B]``, ``[A], [B] and [C]``; past ``limit``, ``and N more``."""
    shown = [short_name(d) for d in (dns[:limit] if limit and len(dns) > limit else dns)]
    if len(shown) < len(dns):
        return ", ".join(shown) + f" and {len(dns) - len(shown)} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _links(chain: Sequence[dict[str, str]]) -> str:
    """``[CN=leaf] (hash 1a2b3c4d) <- [CN=issuer] (hash ...)``: leaf first, as issued."""
    return " <- ".join(f"{short_name(c['subject'])} (hash {c['subject_hash'] or '?'})"
                       for c in chain)


def _sentence(cause: str, h: Handshake, missing: dict[str, Any], keys: Sequence[_Key],
              chosen: _Key | None) -> str:
    accepted, chain, upload = missing["accepted"], missing["chain"], missing["upload"]
    names_unknown = False
    if accepted:
        ca = f"the instance accepts certificates issued by {_names(accepted, SENTENCE_NAMES)}"
    elif cause == "ca-list-empty" or (
            h.request is not None and h.request.ca_state in ("empty", "absent", "malformed")):
        ca = "the instance asked for a client certificate but named no CA it accepts"
    else:
        ca = "the log does not show which CAs the instance accepts"
        names_unknown = True
    if cause == "wrong-key-chosen":
        return _wrong_key_sentence(ca, missing, keys, chosen)
    if not chain:
        held = ("the MID Server's chain is not in the log (add keymanager to javax.net.debug, or "
                "give its certificate files with --certs)")
        todo = ("upload the intermediate and root CA certificates that issued the MID Server's "
                "certificate to sys_ca_certificate")
        if accepted:
            todo = ("check them against the issuers of the MID Server's certificate (keytool "
                    "-list -v) and upload the missing intermediate and root CA certificates to "
                    "sys_ca_certificate")
    else:
        whose = {"sent": "the chain the MID Server sent",
                 "other handshake": "the chain the MID Server sent in another handshake",
                 "certs": "the chain in " + (basename(chosen.path if chosen else "")
                                             or "the certificate files"),
                 }.get(missing["source"], "the MID Server's chain")
        if missing["alias"] and missing["source"] != "sent":
            whose = f"{whose} (key {missing['alias']})"
        held = f"{whose} is {_links(chain)}"
        if names_unknown:  # none of the issuers is known to be covered, nor known not to be
            todo = (f"make sure {_names(upload)} {'are' if len(upload) > 1 else 'is'} in "
                    "sys_ca_certificate (the log does not show which the instance already has)")
        elif upload:
            todo = f"upload {_names(upload)} to sys_ca_certificate"
        else:
            todo = "its issuers are all named, so nothing is missing from sys_ca_certificate"
    return f"{ca[0].upper()}{ca[1:]}; {held}; {todo}."


def _wrong_key_sentence(ca: str, missing: dict[str, Any], keys: Sequence[_Key],
                        chosen: _Key | None) -> str:
    def label(k: _Key) -> str:
        return f"{k.alias} {short_name(k.chain[0].subject)}" if k.alias \
            else short_name(k.chain[0].subject)

    held = f"The keystore holds {len(keys)} keys, " + (
        ", ".join(label(k) for k in keys[:-1]) + " and " + label(keys[-1]))
    sent = next((k for k in keys if k.presented), None)
    if sent is None:
        presented = "the log does not show which one the MID Server presented"
    else:
        why = f", which is {' and '.join(sent.problems)}" if sent.problems else ""
        presented = (f"the MID Server presented "
                     f"{sent.alias or short_name(sent.chain[0].subject)}{why}")
        if chosen is not None and chosen is not sent:
            presented += f", instead of {chosen.alias or short_name(chosen.chain[0].subject)}"
    if chosen is None or chosen is sent:
        return f"{held}; {presented}; {ca}."
    mine = chosen.alias or short_name(chosen.chain[0].subject)
    todo = (f"upload {_names(missing['upload'])} to sys_ca_certificate for {mine}'s chain"
            if missing["upload"] else f"they cover {mine}'s chain: nothing to upload")
    return f"{held}; {presented}; {ca}; {todo}."
