"""Rules as data: load, validate and look up the rule files in ``rules/``.

One YAML file per rule, named ``<ID>-<root-cause>.yaml``. Every field is validated when the file
is loaded; a ``when`` condition is compiled with rule-engine against the fact dataclass of the
rule's scope (:class:`~loganalyzer.analysis.facts.HandshakeFacts` or
:class:`~loganalyzer.analysis.facts.AgentFacts`), so an unknown fact, a mistyped value or a bad
regex fails at load time, never while analysing. Rule text is never passed to ``eval``.

The library never prints: problems are :class:`~loganalyzer.errors.RuleLoadError` objects naming
the file (and line) in ``where`` and the field in the message. :func:`check_rules` returns all of
them; :func:`load_rules` raises the first unless ``collect_errors=True``.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pickle
import re
import string
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loganalyzer.analysis.facts import FACT_VALUES, AgentFacts, HandshakeFacts
from loganalyzer.errors import Location, RuleLoadError
from loganalyzer.ruleset import conditions
from loganalyzer.ruleset.predicates import PREDICATES
from loganalyzer.vocabulary import CONFIDENCES, SEVERITIES

if TYPE_CHECKING:
    import yaml
    from rule_engine import Rule as RuleEngineRule  # untyped: Any to mypy


def _engine() -> Any:  # the rule_engine module, which ships no types
    """rule-engine, imported when first needed: a run whose rules come from the cache never is.

    Through ``_rule_engine``, which takes its parser tables from the cache (importing
    rule_engine by name first would build them again: a second at start-up).
    """
    from loganalyzer.ruleset._rule_engine import rule_engine

    return rule_engine


#: The public contract of the JSON output: root-cause id -> one-line meaning (issue 4).
CANONICAL_ROOT_CAUSES: dict[str, str] = {
    "no-client-cert-requested": "the instance never asked for a client certificate",
    "ca-list-empty": "a certificate was requested but with no CA names (or an empty or malformed "
    "CA extension)",
    "ca-chain-incomplete": "the CA names do not cover the client certificate's issuer chain",
    "client-cert-not-in-keystore": "the MID keystore has no usable private key + certificate",
    "not-a-client-certificate": "the certificate lacks Extended Key Usage "
    "\"TLS Web Client Authentication\"",
    "self-signed-client-cert": "the client certificate is self-signed",
    "mid-security-policy-regression": "a client certificate was sent at first and no longer later",
    "client-cert-expired": "the client certificate is expired",
    "client-cert-rejected": "the instance rejected the sent certificate with no more specific "
    "cause",
    "server-cert-untrusted": "the MID does not trust the instance's certificate "
    "(PKIX path building failed)",
    "server-hostname-mismatch": "the instance's certificate does not match the host name",
    "revocation-check-failed": "revocation (OCSP/CRL) checking failed",
    "tls-debug-missing": "a TLS failure with no, or too little, javax.net.debug output to "
    "explain it",
    "auth-user-null": "\"Could not authenticate user 'null' on the ServiceNow instance\"",
    "encryption-keys-mismatch-misleading": "\"MID Server encryption keys do not match...\" on a "
    "mutual-auth MID",
    "ui-action-invalid-client-cert": "\"Invalid client_cert: Unable to load certificate\"",
    "unable-to-validate-certificate-from-ca": "\"Unable to validate the certificate from CA\"",
    "chain-verification-failed": "\"Failed in client cert chain verification\" / "
    "\"incomplete certificate chain\"",
    "mtls-ok": "mutual TLS completed with a client certificate",
    # issue 13: causes beyond the KB article
    "client-cert-revoked": "the instance refused the client certificate as revoked "
    "(alert certificate_revoked)",
    "client-cert-not-yet-valid": "the client certificate's notBefore lies after the handshake "
    "(clock skew or a future-dated certificate)",
    "client-key-unsupported": "the client key is not RSA of 2048 bits or more, the only key the "
    "instance accepts",
    "mid-keypair-missing": "\"No key pair found for DefaultSecurityKeyPairHandle\": the MID key "
    "pair was removed or agent_keystore deleted",
    "wrong-key-chosen": "several private keys in the keystore, and the key manager presented an "
    "expired or serverAuth-only one while a fitting one exists",
    "keystore-unreadable": "the JVM cannot read its key store (wrong password, corrupt or tampered "
    "file, a type its provider does not read such as non-bcfks in FIPS mode): no handshake starts",
    "tls-intercepting-proxy": "a TLS-inspecting proxy re-signs the instance's certificate (its CA "
    "is not the instance's public CA) and no client certificate is requested",
    "sni-missing": "the MID Server's ClientHello carries no server_name (SNI) extension "
    "(glide.outbound.tls_sni.enabled false, or -Djsse.enableSNIExtension=false)",
    "mutual-auth-not-enabled": "config.xml still logs in with a user name and password: "
    "`manage-certificates -m` never ran, or mutual authentication is switched off",
    "private-key-not-pkcs8": "the private key is not unencrypted PKCS#8 (BEGIN PRIVATE KEY), the "
    "only form the MID Server reads (\"Could not find valid private key\")",
    # what only a check of the set-up can show (certificate files, config.xml, the endpoint)
    "client-key-mismatch": "the private key does not belong to the client certificate",
    "certificate-missing": "a private key came without the certificate it belongs to",
    "private-key-missing": "the files hold no private key (the MID Server's file needs one)",
    "certificate-not-pem": "a certificate file is PKCS#7 or DER, not the PEM the KB's steps take",
    "pem-block-ignored": "a PEM block that is neither a certificate nor a private key",
    "client-chain-misordered": "the MID Server's file is not ordered leaf, intermediates, root",
    "client-cert-no-eku": "the client certificate has no Extended Key Usage extension",
    "client-cert-expiring": "the client certificate expires within 30 days",
    "ca-cert-expired": "a CA certificate of the chain is expired or not valid yet",
    "instance-url-missing": "config.xml names no instance url",
    "instance-url-not-https": "config.xml's instance url is not https://",
    "target-endpoint-missing": "a self-hosted instance without "
    "mid.ssl.bootstrap.default.target_endpoint in config.xml",
    "config-parameter-duplicated": "a config.xml parameter is set twice",
    "basic-auth-leftover": "a basic-authentication password is left in config.xml without a "
    "user name",
    "instance-security-policy-on": "mid.ssl.use.instance.security.policy is true: the instance's "
    "policy overrides the check_cert_* settings",
}

#: Root causes that only a check of the set-up can show: no log line names them.
SETUP_ONLY_ROOT_CAUSES = frozenset({
    "client-key-mismatch", "certificate-missing", "private-key-missing", "certificate-not-pem",
    "pem-block-ignored", "client-chain-misordered", "client-cert-no-eku", "client-cert-expiring",
    "ca-cert-expired", "instance-url-missing", "instance-url-not-https", "target-endpoint-missing",
    "config-parameter-duplicated", "basic-auth-leftover", "instance-security-policy-on",
})

#: Setup scopes: certificate files, config.xml, the live endpoint, and their cross-check
#: (facts: ``SETUP_FACT_CLASSES`` of :mod:`loganalyzer.analysis.setup_facts`, which names the
#: same scopes). Named here, so that judging logs never imports the set-up facts.
SETUP_SCOPES = ("certs", "config", "probe", "cross-check", "instance")
SCOPES = ("handshake", "agent", "text", *SETUP_SCOPES)  # text: explain only, no log shows it
KB_ARTICLE = "MID Server Mutual Authentication"
ID_PATTERN = re.compile(r"^MTLS-\d{3}$")
KB_NUMBER = re.compile(r"KB\d{7}")

#: Evidence a rule may ask the reporter to show: name -> which events of the handshake.
#: For scope ``agent`` the agent-log line is always shown; the names pick events of the failed
#: handshake nearest to it. Scope ``text`` rules show no evidence.
EVIDENCE: dict[str, str] = {
    "hello": "ClientHello / ServerHello (host name, TLS version)",
    "server_certificate": "the instance's certificate chain",
    "request": "the CertificateRequest and its CA names",
    "client_certificate": "the client Certificate message the MID Server sent (or the "
    "no-certificate marker)",
    "key_manager": "key-manager output: keys found, aliases chosen or ignored",
    "alert": "TLS alerts received or sent",
    "failure": "the failure (Fatal record or exception)",
    "finished": "the Finished messages of a completed handshake",
}

_LOG_FACT_CLASSES: dict[str, type] = {"handshake": HandshakeFacts, "agent": AgentFacts}


def fact_class(scope: str) -> type:
    """The facts dataclass the rules of ``scope`` are written against."""
    if scope in SETUP_SCOPES:
        from loganalyzer.analysis.setup_facts import SETUP_FACT_CLASSES

        return SETUP_FACT_CLASSES[scope]
    return _LOG_FACT_CLASSES[scope]


def _fact_values(scope: str) -> dict[str, frozenset[str]]:
    """Values the string facts of ``scope`` can take, so that a mistyped literal fails at load."""
    if scope in SETUP_SCOPES:
        from loganalyzer.analysis.setup_facts import SETUP_FACT_VALUES

        return SETUP_FACT_VALUES.get(scope, {})
    return FACT_VALUES.get(scope, {})

# field name -> (required, description) ; "required" may depend on scope (checked below)
FIELDS: dict[str, str] = {
    "id": "stable id MTLS-NNN, never reused; the file is named <id>-<root_cause>.yaml",
    "root_cause": "one of the canonical root-cause ids",
    "title": "one line naming the problem",
    "severity": "error | warning | info",
    "confidence": "confirmed | possible (one candidate of a differential)",
    "rank": "order among candidates, lower = more likely (default 100)",
    "scope": "handshake | agent | text (explain only) | certs | config | probe | cross-check "
    "(a set-up check)",
    "kb": "{article, section} of the KB article (or documentation page) the rule follows, with "
    "number (KBnnnnnnn) and url where one exists",
    "meaning": "what it means",
    "fix": "list of fix steps",
    "when": "rule-engine expression over the scope's facts (not for scope text)",
    "predicate": "optional name of a Python predicate in loganalyzer/ruleset/predicates.py, "
    "ANDed with when",
    "evidence": "which events (log scopes) or located facts (set-up scopes) to show",
    "detail": "set-up scopes: one sentence with {fact} placeholders, filled from the facts, "
    "saying exactly what was found",
    "distinguish": "for possible rules: what tells the candidates apart",
    "explain": "regexes (case-insensitive) matching pasted error texts",
    "yields_to": "rule ids (or 'confirmed': any confirmed error or warning) that, when they fire "
    "on the same handshake, silence this rule there: the one place precedence is said",
}
#: In ``yields_to``: every confirmed error or warning rule (the differential's candidates give
#: way to a cause the log proves).
YIELD_TO_CONFIRMED = "confirmed"
DEFAULT_RANK = 100


@dataclass(frozen=True, slots=True)
class KbRef:
    """Where the rule's knowledge comes from: the article, the section, a KB number and URL.

    The article is the seed KB, another KB, or the product documentation; the KB number and a
    URL to read it are given where one exists.
    """

    article: str
    section: str
    number: str = ""  # KB1116112
    url: str = ""

    def __str__(self) -> str:
        return f"{self.article}: {self.section}"

    def keys(self) -> tuple[str, ...]:
        """So that ``dict(rule.kb)`` gives ``{"article", "section"}``, plus the rest where set.

        ``number`` and ``url`` are included where the rule has them.
        """
        return ("article", "section") + tuple(k for k in ("number", "url") if getattr(self, k))

    def __getitem__(self, key: str) -> str:
        if key not in ("article", "section", "number", "url"):
            raise KeyError(key)
        return str(getattr(self, key))


class _FactView(dict[str, str]):
    """The facts as ``detail`` templates see them.

    Lists are joined with ", ", and an empty value is shown as "(none)".
    """

    def __init__(self, facts: Any) -> None:
        super().__init__()
        self._facts = facts

    def __missing__(self, key: str) -> str:
        value = getattr(self._facts, key)
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        return str(value) if value not in ("", None) else "(none)"


_FORMATTER = string.Formatter()


@dataclass(frozen=True, eq=False)
class Rule:
    """One loaded, validated rule. ``compiled`` is the rule-engine rule (``None`` for text)."""

    id: str
    root_cause: str
    title: str
    severity: str
    confidence: str
    rank: int
    scope: str
    kb: KbRef
    meaning: str
    fix: tuple[str, ...]
    when: str | None
    predicate: str | None
    evidence: tuple[str, ...]
    distinguish: str | None
    explain: tuple[str, ...]
    compiled: RuleEngineRule | None = field(repr=False)
    path: Path = field(repr=False)
    patterns: tuple[re.Pattern[str] | _LazyPattern, ...] = field(default=(), repr=False)
    yields_to: tuple[str, ...] = ()
    detail: str | None = None

    def gives_way(self, fired: Sequence[Rule]) -> bool:
        """Whether one of ``fired`` (the rules that fired on the same handshake) silences it."""
        for other in fired:
            if other is self:
                continue
            if other.id in self.yields_to:
                return True
            if (YIELD_TO_CONFIRMED in self.yields_to and other.confidence == "confirmed"
                    and other.severity in ("error", "warning")):
                return True
        return False

    def matches(self, facts: Any) -> bool:
        """True when ``facts`` (of this rule's scope) satisfy ``when`` and the predicate."""
        if self.compiled is None:
            return False
        if not self.compiled.matches(facts):
            return False
        return self.predicate is None or bool(PREDICATES[self.predicate](facts))

    def matches_text(self, text: str) -> bool:
        """True when a pasted message matches one of the ``explain`` patterns."""
        return any(p.search(text) for p in self.patterns)

    def to_dict(self) -> dict[str, Any]:
        """Plain metadata (what ``rules list --format json`` and ``explain`` print)."""
        return {
            "id": self.id,
            "root_cause": self.root_cause,
            "title": self.title,
            "severity": self.severity,
            "confidence": self.confidence,
            "rank": self.rank,
            "scope": self.scope,
            "kb": dict(self.kb),
            "meaning": self.meaning,
            "fix": list(self.fix),
            "when": self.when,
            "predicate": self.predicate,
            "evidence": list(self.evidence),
            "distinguish": self.distinguish,
            "explain": list(self.explain),
            "yields_to": list(self.yields_to),
            "detail": self.detail,
        }

    def describe(self, facts: Any) -> str:
        """The ``detail`` sentence filled in from ``facts`` (empty for log rules)."""
        if not self.detail:
            return ""
        return _FORMATTER.vformat(self.detail, (), _FactView(facts))


@dataclass(frozen=True)
class RuleSet:
    """The rules of one folder, ordered by id, plus (with ``collect_errors``) what was wrong."""

    rules: tuple[Rule, ...]
    directory: Path
    errors: tuple[RuleLoadError, ...] = ()

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def __contains__(self, rule_id: object) -> bool:
        return any(r.id == rule_id for r in self.rules)

    def __getitem__(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def get(self, rule_id: str) -> Rule | None:
        """The rule with this id (case-insensitive), or ``None``."""
        wanted = rule_id.strip().upper()
        return next((r for r in self.rules if r.id == wanted), None)

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.rules]

    def by_root_cause(self, root_cause: str) -> list[Rule]:
        return [r for r in self.rules if r.root_cause == root_cause]

    def for_scope(self, scope: str) -> list[Rule]:
        """Rules to evaluate over facts of ``scope`` (``handshake`` or ``agent``), by rank."""
        return sorted((r for r in self.rules if r.scope == scope), key=lambda r: (r.rank, r.id))


# ---------------------------------------------------------------------------- loading


def rules_dir() -> Path:
    """The shipped rules folder (checkout or installed wheel)."""
    from loganalyzer.resources import data_dir

    return data_dir("rules")


#: The shipped rules live apart by kind: ``detect/`` diagnoses logs (scope handshake or agent,
#: ids MTLS-001 to MTLS-199), ``kb/`` matches the KB's text-only messages for ``explain`` (scope
#: text, ids MTLS-200 and up). A rule pack may use the same folders or none.
KIND_FOLDERS = {"detect": ("handshake", "agent"), "kb": ("text",), "setup": SETUP_SCOPES}


def rule_files(directory: Path) -> list[Path]:
    """The rule files under a folder, its subfolders included, by name.

    Every ``*.yaml`` / ``*.yml`` file is one; README and the rest are ignored.
    """
    files = (p for p in directory.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml"))
    return sorted(files, key=lambda p: (p.name, str(p)))


def load_rules(
    path: str | Path | None = None,
    collect_errors: bool = False,
    extra: Sequence[str | Path] = (),
) -> RuleSet:
    """Load and validate every rule file in ``path``, plus the rule packs in ``extra``.

    ``path`` defaults to the shipped ``rules/``; ``extra`` holds a support team's own rules,
    loaded next to the shipped ones.

    With ``collect_errors=False`` the first problem is raised as a :class:`RuleLoadError`; with
    ``True`` the valid rules are returned and every problem is in ``RuleSet.errors``.
    Results are cached per process while the files are unchanged.
    """
    directory = _resolve(path)
    ruleset = _load_cached(directory, _signature(directory))
    for pack in extra:
        pack_dir = _resolve(pack)
        ruleset = _merged(ruleset, _load_cached(pack_dir, _signature(pack_dir)))
    ruleset = _with_links_checked(ruleset)
    if ruleset.errors and not collect_errors:
        first = ruleset.errors[0]
        more = len(ruleset.errors) - 1
        if more:
            raise RuleLoadError(
                f"{first.message} (and {more} more problem{'s' if more > 1 else ''}; "
                "run `loganalyzer rules check` to list them)",
                first.where,
            )
        raise first
    return ruleset


def _merged(base: RuleSet, pack: RuleSet) -> RuleSet:
    """``base`` with the rules of ``pack``; an id both hold is an error, never a silent override."""
    errors = list(base.errors) + list(pack.errors)
    rules = list(base.rules)
    for rule in pack.rules:
        if rule.id in base:
            errors.append(RuleLoadError(
                f"field 'id': {rule.id} is already a rule of {base.directory}; a pack adds rules "
                "with ids of its own", Location(str(rule.path))))
            continue
        rules.append(rule)
    rules.sort(key=lambda r: r.id)
    return RuleSet(tuple(rules), base.directory, tuple(errors))


def _with_links_checked(ruleset: RuleSet) -> RuleSet:
    """Every ``yields_to`` must name a rule that is loaded (from any folder or pack)."""
    ids = {r.id for r in ruleset}
    bad = [RuleLoadError(f"field 'yields_to': no rule {other} among the rules loaded",
                         Location(str(r.path)))
           for r in ruleset for other in r.yields_to
           if other != YIELD_TO_CONFIRMED and other not in ids]
    if not bad:
        return ruleset
    return RuleSet(ruleset.rules, ruleset.directory, ruleset.errors + tuple(bad))


def check_rules(path: str | Path | None = None) -> list[RuleLoadError]:
    """Every problem in the rule files of ``path`` (empty list: all good)."""
    try:
        directory = _resolve(path)
    except RuleLoadError as exc:
        return [exc]
    return list(_with_links_checked(_load_cached(directory, _signature(directory))).errors)


def match_text(ruleset: RuleSet, text: str) -> list[Rule]:
    """Rules whose ``explain`` patterns match a pasted error message, most specific first.

    Whitespace runs and typographic quotes are normalised first, since texts pasted from
    e-mails and the instance UI rarely keep them.
    """
    lines = [x for x in text.splitlines() if not ROUTINE.search(x)]
    normalised = _normalise_text("\n".join(lines))
    if not normalised:
        return []
    hits = [r for r in ruleset if r.matches_text(normalised)]
    return sorted(hits, key=lambda r: (r.rank, r.id))


# Lines every healthy MID Server logs; they name things the rules are about (a session being
# invalidated, a security-policy setting) without being an error, so explain never matches them:
# JSSE's own debug records below WARNING, the MID's DEBUG/INFO lines, and JSSE 8's "%%" notes.
ROUTINE = re.compile(
    r"javax\.net\.ssl\|(?:DEBUG|ALL|FINE|FINER|FINEST|TRACE|INFO|CONFIG)\|"
    r"|^\s*(?:\S.*?\s)?(?:DEBUG|INFO):\s"
    r"|MIDSecPolicy: .* is (?:true|false)\s*$"
    r"|\bInvalidated session\b|%% Invalidated"
)


def _normalise_text(text: str) -> str:
    table = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                           "\u00a0": " "})
    return " ".join(text.translate(table).split())


def _resolve(path: str | Path | None) -> Path:
    if path is None:
        try:
            return rules_dir().resolve()
        except FileNotFoundError as exc:
            raise RuleLoadError(str(exc)) from None
    directory = Path(path)
    if not directory.exists():
        raise RuleLoadError("no such rules folder", Location(str(directory)))
    if not directory.is_dir():
        raise RuleLoadError("not a folder (give the folder that holds the rule files)",
                            Location(str(directory)))
    return directory.resolve()


def _signature(directory: Path) -> tuple[tuple[str, int, int], ...]:
    out = []
    for p in rule_files(directory):
        st = p.stat()
        out.append((str(p.relative_to(directory)), st.st_mtime_ns, st.st_size))
    return tuple(out)


@lru_cache(maxsize=16)
def _load_cached(directory: Path, signature: tuple[tuple[str, int, int], ...]) -> RuleSet:
    key = _disk_key(directory, signature) if _shipped(directory) else ""
    cached = _from_disk(directory, key) if key else None
    if cached is not None:
        return cached
    ruleset = _load_folder(directory)
    if key and not ruleset.errors:
        _to_disk(directory, key, ruleset)
    return ruleset


# ---------------------------------------------------------------------------- the disk cache
# Loading validates 100-odd YAML files and compiles their conditions: a tenth of a second of
# every start. A valid rule set is kept in the user's cache folder, keyed by the hash of the
# rule files' bytes and of the code that validates them. The compiled rule-engine rules do not
# pickle: the cache keeps each ``when`` translated to a Python function (ruleset/conditions.py),
# as marshalled bytecode, so a run on the cache never imports rule-engine; a condition the
# translation does not cover is compiled with rule-engine when its rule is first matched. An
# ``explain`` pattern is compiled when first searched. Any failure to read or write the cache
# only costs that time. Only the shipped folder is kept: a rule pack is small, and a pack being
# written changes with every run.

_CACHE_FORMAT = 2
_LOADER_MODULES = (__name__, "loganalyzer.analysis.facts", "loganalyzer.analysis.setup_facts",
                   "loganalyzer.ruleset.predicates", "loganalyzer.vocabulary",
                   "loganalyzer.ruleset.conditions",
                   # rule-engine's own version (read, not imported: the cache spares that)
                   "rule_engine")


def _shipped(directory: Path) -> bool:
    try:
        return directory == rules_dir().resolve()
    except (OSError, FileNotFoundError):
        return False


def _disk_file(directory: Path) -> Path:
    from loganalyzer.resources import cache_dir

    name = hashlib.sha256(str(directory).encode()).hexdigest()[:24]
    return cache_dir() / "rules" / f"{name}.pickle"


def _disk_key(directory: Path, signature: tuple[tuple[str, int, int], ...]) -> str:
    """The hash of the rule files and of the loader's code; "" when they cannot be read.

    The files are those ``signature`` lists (as :func:`rule_files` finds them), so the folder
    is not walked twice.
    """
    digest = hashlib.sha256(f"{_CACHE_FORMAT} {sys.version} {directory}".encode())
    try:
        for module in _LOADER_MODULES:  # what decides whether a rule is valid
            spec = importlib.util.find_spec(module)  # found, not imported (set-up facts)
            if spec is not None and spec.origin:
                digest.update(Path(spec.origin).read_bytes())
        for name, _, _ in signature:
            digest.update(name.encode() + b"\0")
            digest.update((directory / name).read_bytes() + b"\0")
    except Exception:  # noqa: BLE001 - no key, no cache
        return ""
    return digest.hexdigest()


def _from_disk(directory: Path, key: str) -> RuleSet | None:
    try:
        with open(_disk_file(directory), "rb") as f:
            stored_key, ruleset, module = pickle.load(f)  # noqa: S301 - the user's own cache file
        if stored_key != key or not isinstance(ruleset, RuleSet) or not isinstance(module, bytes):
            return None
        functions = conditions.load_module(module)
        rules = tuple(
            replace(r, compiled=_condition(r, functions.get(_function_name(r)))
                    if r.scope != "text" and r.when is not None else None,
                    patterns=tuple(_LazyPattern(p) for p in r.explain))
            for r in ruleset.rules)
        return RuleSet(rules, directory, ())
    except Exception:  # noqa: BLE001 - missing, stale or broken: load the files instead
        return None


def _function_name(rule: Rule) -> str:
    return "rule_" + re.sub(r"\W", "_", rule.id)


def _engine_rule(when: str, scope: str) -> Any:
    return _engine().Rule(when, context=_context(scope))


def _condition(rule: Rule, function: Any) -> conditions.Condition | _Deferred:
    """A cached rule's condition: its translation, or rule-engine's when there is none."""
    assert rule.when is not None
    if function is None:
        return _Deferred(rule.when, rule.scope)
    when, scope = rule.when, rule.scope
    return conditions.Condition(function, lambda: _engine_rule(when, scope))


def _translated(ruleset: RuleSet) -> bytes:
    """The conditions of ``ruleset`` (loaded from the files) as one module of Python functions."""
    sources = {}
    for r in ruleset.rules:
        if r.compiled is not None and not isinstance(r.compiled, (_Deferred, conditions.Condition)):
            name = _function_name(r)
            source = conditions.translate(_engine(), r.compiled.statement.expression, name)
            if source is not None:
                sources[name] = source
    return conditions.compile_module(sources)


class _Deferred:
    """A cached rule's condition, compiled when first matched (a run uses few scopes' rules).

    It compiled when the rule was loaded from its file, so it compiles again.
    """

    __slots__ = ("_rule", "_scope", "_when")

    def __init__(self, when: str, scope: str) -> None:
        self._when, self._scope = when, scope
        self._rule: RuleEngineRule | None = None

    def matches(self, facts: Any) -> bool:
        if self._rule is None:
            self._rule = _engine_rule(self._when, self._scope)
        return bool(self._rule.matches(facts))


class _LazyPattern:
    """A cached rule's ``explain`` pattern, compiled when first searched.

    Only ``explain`` searches them; compiling all of them as the cache was read cost every
    ``analyze`` 9 ms. The loader compiled each (with re.IGNORECASE) before the rule was cached.
    """

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled: re.Pattern[str] | None = None

    def search(self, text: str) -> re.Match[str] | None:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, re.IGNORECASE)
        return self._compiled.search(text)


def _to_disk(directory: Path, key: str, ruleset: RuleSet) -> None:
    plain = RuleSet(tuple(replace(r, compiled=None, patterns=()) for r in ruleset.rules),
                    directory, ())
    target = _disk_file(directory)
    temporary = ""
    try:
        module = _translated(ruleset)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as f:
            temporary = f.name
            pickle.dump((key, plain, module), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, target)
    except Exception:  # noqa: BLE001 - a read-only home: every start loads the files
        if temporary:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _load_folder(directory: Path) -> RuleSet:
    """Load and validate every rule file of ``directory``."""
    rules: list[Rule] = []
    errors: list[RuleLoadError] = []
    files = rule_files(directory)
    if not files:
        errors.append(RuleLoadError("no rule files (*.yaml) in this folder",
                                    Location(str(directory))))
    seen: dict[str, Path] = {}
    for path in files:
        rule, problems, raw_id, id_line = _load_file(path)
        errors.extend(problems)
        if raw_id is not None:
            if raw_id in seen:
                errors.append(RuleLoadError(
                    f"field 'id': duplicate id {raw_id} (also in {seen[raw_id].name})",
                    Location(str(path), id_line)))
                continue
            seen[raw_id] = path
        if rule is not None:
            kind = path.parent.name if path.parent != directory else None
            if kind in KIND_FOLDERS and rule.scope not in KIND_FOLDERS[kind]:
                home = next(k for k, scopes in KIND_FOLDERS.items() if rule.scope in scopes)
                errors.append(RuleLoadError(
                    f"field 'scope': a {rule.scope} rule belongs in {home}/, not {kind}/",
                    Location(str(path))))
                continue
            rules.append(rule)
    rules.sort(key=lambda r: r.id)
    return RuleSet(tuple(rules), directory, tuple(errors))


def _compose_and_load(text: str) -> tuple[yaml.Node | None, object]:
    """The YAML node tree (for field line numbers) and the data built from it, in one pass.

    yaml is imported here: a start that finds the rules in the cache never needs it.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml: 20x faster
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


def _load_file(path: Path) -> tuple[Rule | None, list[RuleLoadError], str | None, int]:
    """Parse and validate one rule file: the rule, its problems, and the raw id with its line.

    The rule is ``None`` when broken; the raw id and its line are for the duplicate check, done
    even when the file is broken.
    """
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [RuleLoadError(f"cannot read the file: {exc}", Location(where))], None, 0
    import yaml

    try:
        node, data = _compose_and_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [RuleLoadError(f"not valid YAML: {problem}", Location(where, line))], None, 0
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        return None, [RuleLoadError("a rule file must be a YAML mapping of fields",
                                    Location(where, 1))], None, 0
    lines: dict[str, int] = {}
    errors: list[RuleLoadError] = []
    for key_node, _ in node.value:
        key = str(key_node.value)
        if key in lines:
            errors.append(RuleLoadError(f"field '{key}': given twice",
                                        Location(where, key_node.start_mark.line + 1)))
        lines[key] = key_node.start_mark.line + 1
    v = _Validator(path, data, lines, errors)
    rule = v.build()
    raw_id = data.get("id") if isinstance(data.get("id"), str) else None
    return (rule if not errors else None), errors, raw_id, lines.get("id", 1)


class _Validator:
    """Checks one file's fields, collecting every problem rather than stopping at the first."""

    def __init__(self, path: Path, data: dict[str, Any], lines: dict[str, int],
                 errors: list[RuleLoadError]) -> None:
        self.path, self.data, self.lines, self.errors = path, data, lines, errors

    def error(self, name: str, message: str) -> None:
        self.errors.append(RuleLoadError(f"field '{name}': {message}",
                                         Location(str(self.path), self.lines.get(name, 1))))

    def string(self, name: str, required: bool = True) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.error(name, "missing (required)")
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(name, f"must be a non-empty string, not {value!r}")
            return None
        return value.strip()

    def choice(self, name: str, allowed: Sequence[str]) -> str | None:
        value = self.string(name)
        if value is not None and value not in allowed:
            self.error(name, f"{value!r} is not one of {', '.join(allowed)}")
            return None
        return value

    def strings(self, name: str, required: bool = True) -> tuple[str, ...] | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.error(name, "missing (required)")
            return None if required else ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(s, str) and s.strip() for s in value):
            self.error(name, "must be a list of non-empty strings")
            return None
        if required and not value:
            self.error(name, "must not be empty")
            return None
        return tuple(s.strip() for s in value)

    def build(self) -> Rule | None:
        unknown = sorted(set(self.data) - set(FIELDS))
        for name in unknown:
            self.error(name, f"unknown field (known: {', '.join(FIELDS)})")

        rule_id = self.string("id")
        if rule_id is not None and not ID_PATTERN.match(rule_id):
            self.error("id", f"{rule_id!r} does not have the form MTLS-NNN")
            rule_id = None
        root_cause = self.string("root_cause")
        if root_cause is not None and root_cause not in CANONICAL_ROOT_CAUSES:
            self.error("root_cause", f"{root_cause!r} is not a canonical root cause "
                       f"(see `loganalyzer rules list` or issue 4)")
            root_cause = None
        if rule_id and root_cause:
            expected = f"{rule_id}-{root_cause}"
            if self.path.stem != expected:
                self.error("id", f"the file must be named {expected}.yaml to match id and "
                           "root_cause")
        title = self.string("title")
        severity = self.choice("severity", SEVERITIES)
        confidence = self.choice("confidence", CONFIDENCES)
        scope = self.choice("scope", SCOPES)
        rank = self.data.get("rank", DEFAULT_RANK)
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank <= 999:
            self.error("rank", f"must be a whole number from 0 to 999, not {rank!r}")
            rank = DEFAULT_RANK
        kb = self._kb()
        meaning = self.string("meaning")
        fix = self.strings("fix")
        distinguish = self.string("distinguish", required=confidence == "possible")
        explain = self.strings("explain", required=scope == "text") or ()
        patterns = self._patterns(explain)
        when = self.string("when", required=scope not in (None, "text"))
        predicate = self.string("predicate", required=False)
        evidence = self.strings("evidence", required=scope == "handshake"
                                or scope in SETUP_SCOPES) or ()
        detail = self.string("detail", required=scope in SETUP_SCOPES)
        if detail is not None and scope is not None:
            detail = self._template(detail, scope)
        yields_to = self.strings("yields_to", required=False) or ()
        for item in yields_to:
            if item != YIELD_TO_CONFIRMED and not ID_PATTERN.match(item):
                self.error("yields_to", f"{item!r} is neither a rule id MTLS-NNN nor "
                           f"{YIELD_TO_CONFIRMED!r}")
        compiled = None
        if scope == "text":
            for name in ("when", "predicate", "evidence"):
                if self.data.get(name):
                    self.error(name, "not allowed for scope text (no log shows this message)")
        elif scope is not None:
            if when is not None:
                compiled = self._compile(when, scope)
            if scope not in SETUP_SCOPES and self.data.get("detail") is not None:
                self.error("detail", "only set-up scopes (certs, config, probe, cross-check) "
                           "take a detail template")
            if predicate is not None and predicate not in PREDICATES:
                known_names = ", ".join(PREDICATES) or "none"
                self.error("predicate", f"{predicate!r} is not registered in "
                           f"loganalyzer/ruleset/predicates.py (known: {known_names})")
            if scope in SETUP_SCOPES:
                from loganalyzer.analysis.setup_facts import SETUP_EVIDENCE

                known = SETUP_EVIDENCE[scope]
            else:
                known = EVIDENCE
            for item in evidence:
                if item not in known:
                    self.error("evidence", f"{item!r} is not a kind of evidence for scope "
                               f"{scope} (known: {', '.join(known)})")
        if self.errors:
            return None
        assert rule_id and root_cause and title and severity and confidence and scope
        assert kb and meaning and fix is not None
        return Rule(
            id=rule_id, root_cause=root_cause, title=title, severity=severity,
            confidence=confidence, rank=rank, scope=scope, kb=kb, meaning=meaning, fix=fix,
            when=when, predicate=predicate, evidence=evidence, distinguish=distinguish,
            explain=explain, compiled=compiled, path=self.path, patterns=patterns,
            yields_to=yields_to, detail=detail,
        )

    def _template(self, detail: str, scope: str) -> str | None:
        """A detail template whose every ``{placeholder}`` is a fact of the scope."""
        names = {f.name for f in dataclass_fields(fact_class(scope))}
        try:
            used = [name for _, name, _, _ in _FORMATTER.parse(detail) if name is not None]
        except ValueError as exc:
            self.error("detail", f"not a valid template: {exc}")
            return None
        for name in used:
            if name not in names:
                self.error("detail", f"{{{name}}} is not a fact of scope {scope} "
                           f"(a field of {fact_class(scope).__name__})")
        return detail

    def _kb(self) -> KbRef | None:
        value = self.data.get("kb")
        if value is None:
            self.error("kb", "missing (required): {article: ..., section: ...}")
            return None
        if (not isinstance(value, dict) or not {"article", "section"} <= set(value)
                or not set(value) <= {"article", "section", "number", "url"}):
            self.error("kb", "must be a mapping with the keys article and section, and "
                       "optionally number and url")
            return None
        if not all(isinstance(value[k], str) and value[k].strip() for k in value):
            self.error("kb", "article, section, number and url must be non-empty strings")
            return None
        number, url = value.get("number", "").strip(), value.get("url", "").strip()
        if number and not KB_NUMBER.fullmatch(number):
            self.error("kb", f"number {number!r} is not of the form KB1234567")
            return None
        if url and not url.startswith("https://"):
            self.error("kb", f"url {url!r} must be an https:// address")
            return None
        return KbRef(value["article"].strip(), value["section"].strip(), number, url)

    def _patterns(self, explain: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
        out = []
        for pattern in explain:
            try:
                out.append(re.compile(pattern, re.IGNORECASE))
            except re.error as exc:
                self.error("explain", f"pattern {pattern!r} does not compile: {exc}")
        return tuple(out)

    def _compile(self, when: str, scope: str) -> RuleEngineRule | None:
        rule_engine = _engine()
        try:
            compiled = rule_engine.Rule(when, context=_context(scope))
        except rule_engine.errors.SymbolResolutionError as exc:
            hint = f" (did you mean {exc.suggestion!r}?)" if exc.suggestion else ""
            cls = fact_class(scope).__name__
            self.error("when", f"unknown fact {exc.symbol_name!r} for scope {scope} "
                       f"(a field of {cls}){hint}")
            return None
        except rule_engine.errors.EngineError as exc:
            self.error("when", f"does not compile: {type(exc).__name__}: {exc.message}")
            return None
        result = compiled.statement.expression.result_type
        if result not in (rule_engine.DataType.BOOLEAN, rule_engine.DataType.UNDEFINED):
            self.error("when", f"must be a true/false condition, not a {result.name.lower()}")
            return None
        for problem in _literal_problems(compiled.statement.expression, scope):
            self.error("when", problem)
        return compiled


@lru_cache(maxsize=None)
def _context(scope: str) -> Any:
    rule_engine = _engine()
    return rule_engine.Context(
        type_resolver=rule_engine.type_resolver_from_dataclass(fact_class(scope)),
        resolver=rule_engine.resolve_attribute,
    )


def _children(node: Any) -> Iterator[Any]:
    re_ast = _engine().ast
    for name in ("left", "right", "expression", "container", "member", "function",
                 "condition", "case_true", "case_false", "result", "iterable"):
        child = getattr(node, name, None)
        if isinstance(child, re_ast.ExpressionBase):
            yield child
    for name in ("arguments", "value"):
        items = getattr(node, name, None)
        if isinstance(items, (tuple, list)):
            yield from (i for i in items if isinstance(i, re_ast.ExpressionBase))


def _literal_problems(node: Any, scope: str) -> Iterator[str]:
    """Catch what type checking lets through.

    That is a string literal a fact can never equal, and a ``$builtin`` that does not exist.
    """
    values = _fact_values(scope)
    rule_engine = _engine()
    re_ast = rule_engine.ast

    def symbol(n: Any) -> str | None:
        if isinstance(n, re_ast.SymbolExpression) and n.scope is None:
            return str(n.name)
        return None

    def check(name: str | None, literal: Any, verb: str = "is never") -> Iterator[str]:
        if name in values and isinstance(literal, re_ast.StringExpression):
            if literal.value not in values[name]:
                known = ", ".join(repr(v) for v in sorted(values[name]) if v)
                yield f"{name} {verb} {literal.value!r} (known values: {known})"

    if isinstance(node, re_ast.ComparisonExpression):
        yield from check(symbol(node.left), node.right)
        yield from check(symbol(node.right), node.left)
    elif isinstance(node, re_ast.ContainsExpression):
        name = symbol(node.member)
        if name and isinstance(node.container, re_ast.ArrayExpression):
            for item in node.container.value:
                yield from check(name, item)
        name = symbol(node.container)
        if name:
            yield from check(name, node.member, "never holds")
    elif isinstance(node, re_ast.SymbolExpression) and node.scope == "built-in":
        if node.name not in rule_engine.Context().builtins:
            yield f"${node.name} is not a rule-engine built-in"
    for child in _children(node):
        yield from _literal_problems(child, scope)
