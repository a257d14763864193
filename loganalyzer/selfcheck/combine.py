"""The customer's pre-case self-check: certificate files, config.xml, the instance and the logs.

Each part describes its input as facts (:mod:`loganalyzer.analysis.setup_facts`); the rules of
``rules/setup/`` judge them into the same :class:`~loganalyzer.analysis.diagnoses.Diagnosis`
objects as the log rules, and a root cause found by several parts becomes one diagnosis with the
evidence of each.

The cross-check is the point of combining: the client certificate's issuer chain against the CA
names the instance sends (seen in the logs or by the probe). JSSE only offers a certificate when
one of its chain's issuers is among those names, so a chain they do not cover is a confirmed
``ca-chain-incomplete`` naming the CA that is missing.

The library never prints or exits; :mod:`loganalyzer.reporters.setup` makes the report document
and :mod:`loganalyzer.cli.selfcheck` writes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from loganalyzer.analysis.diagnoses import Diagnosis
from loganalyzer.analysis.setup_facts import CrossFacts, Located, Observation
from loganalyzer.errors import Location, Problem, boundary
from loganalyzer.selfcheck.diagnose import evaluate, one_per_root_cause
from loganalyzer.vocabulary import worst as worst_severity

if TYPE_CHECKING:
    from loganalyzer.analysis.reading import Reading
    from loganalyzer.ruleset.rules import RuleSet
    from loganalyzer.selfcheck.certs import CertReport
    from loganalyzer.selfcheck.instance import Credentials, InstanceRecords
    from loganalyzer.selfcheck.midconfig import ConfigReport
    from loganalyzer.selfcheck.probe import ProbeResult




# ----------------------------------------------------------------------------- combining


@dataclass(frozen=True, slots=True)
class CaNames:
    """The CA names one source showed: a logged CertificateRequest or the probe's handshake."""

    source: str  # "logs" | "probe"
    names: tuple[str, ...]
    where: Location
    text: str = ""


@dataclass
class LogSummary:
    paths: list[str]
    files: int = 0
    handshakes: int = 0
    ca_names: list[CaNames] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"paths": self.paths, "files": self.files, "handshakes": self.handshakes,
                "ca_names_seen": [{"names": list(c.names), "where": str(c.where)}
                                  for c in self.ca_names]}


@dataclass
class SelfCheck:
    """One self-check: what each part read, and one list of diagnoses, worst first."""

    command: str = "self-check"
    certs: CertReport | None = None
    config: ConfigReport | None = None
    probe: ProbeResult | None = None
    logs: LogSummary | None = None
    records: InstanceRecords | None = None  # the instance's records, read with the Table API
    reading: Reading | None = None
    written: list[Any] = field(default_factory=list)  # certs.Written of --split
    observations: list[Observation] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def worst(self) -> str | None:
        return worst_severity(d.severity for d in self.diagnoses)

    @property
    def checked(self) -> bool:
        """Whether any part had input it could read: only then can "no problem" be said."""
        return any(x is not None for x in (self.certs, self.config, self.probe, self.logs,
                                           self.records))

    @property
    def subject(self) -> str:
        """What the report is about: the one MID Server of the logs, else the inputs read."""
        if self.reading is not None and len(self.reading.servers) == 1:
            return self.reading.servers[0].group
        parts = []
        if self.certs is not None:
            parts.append(", ".join(self.certs.bundle.forms) or "certificate files")
        if self.config is not None:
            parts.append(self.config.config.path)
        if self.probe is not None:
            parts.append(self.probe.url)
        elif self.records is not None:
            parts.append(self.records.url)
        return "; ".join(parts) or "the inputs"


def read_logs(paths: Sequence[str]) -> tuple[LogSummary, Reading]:
    """The logs read as ``analyze`` reads them, and the CA names each CertificateRequest listed."""
    from loganalyzer.analysis.reading import read

    reading = read(list(paths))
    summary = LogSummary(list(paths), files=len(reading.files),
                         handshakes=len(reading.handshakes))
    seen: set[tuple[str, ...]] = set()
    for h in reading.handshakes:
        if h.request is None or h.request.ca_state != "listed" or not h.ca_names:
            continue
        if h.ca_names in seen:
            continue
        seen.add(h.ca_names)
        # point at the line that lists the names (the record starts a few lines earlier)
        line, text = next(((n, t) for n, t in reversed(h.request.lines) if "CN=" in t or
                           "=" in t.partition("[")[2]), (h.request.where.line, h.request.text))
        summary.ca_names.append(CaNames("logs", h.ca_names,
                                        Location(h.request.where.path, line), text))
    return summary, reading


def cross_observations(report: CertReport, sources: Sequence[CaNames]) -> list[Observation]:
    """The client certificate's chain against each list of CA names, for the cross-check rules.

    JSSE offers a chain when the issuer of one of its certificates is among the names (the
    SunX509 rule ``analyze`` uses too); otherwise it sends no certificate at all.
    """
    from loganalyzer.jsse.dn import normalise

    leaf = report.leaf
    if leaf is None:
        return []
    chain = [leaf] + [c for c in report.cas if c is not leaf]
    out = []
    for src in sources:
        wanted = {normalise(n) for n in src.names}
        facts = CrossFacts(
            source=src.source, ca_names=list(src.names), ca_names_text="; ".join(src.names),
            chain_covered=any(normalise(c.issuer) in wanted for c in chain),
            leaf=leaf.subject, leaf_issuer=leaf.issuer, leaf_issuer_hash=leaf.issuer_hash,
            chain=" <- ".join(f"{c.subject} (hash {c.subject_hash})" for c in report.cas),
            seen_where=str(src.where))
        evidence = {"ca_names": [Located(src.where.path, src.where.line,
                                         src.text or facts.ca_names_text)]}
        if leaf.where.path:
            evidence["leaf"] = [Located(leaf.where.path, leaf.where.line,
                                        f"issuer: {leaf.issuer} (issuer hash {leaf.issuer_hash})")]
        out.append(Observation("cross-check", str(src.where), facts, evidence))
    return out


def run(*, logs: Sequence[str] = (), cert_files: Sequence[str] = (), config: str | None = None,
        instance: str | None = None, password: bytes | None = None,
        ask: Callable[[str], bytes | None] | None = None, timeout: float = 10.0,
        split_dir: str | None = None, now: datetime | None = None,
        rules: RuleSet | None = None, proxy: tuple[str, int] | None = None,
        ca_bundle: str | None = None, records: str | None = None,
        credentials: Credentials | None = None, mid_name: str | None = None) -> SelfCheck:
    """Run the checks that have input, judge them with the rules, and fold the diagnoses.

    The diagnoses are folded into one per root cause; unreadable inputs become problems.

    The probe goes through ``proxy`` when given, else through config.xml's ``mid.proxy.*``
    (as the MID Server does), and verifies the server's chain against ``ca_bundle`` (else the
    system store).

    With ``records`` (the instance URL) and ``credentials``, the instance's records are read
    with the Table API and compared with the certificate chain and the MID Server's name
    (``mid_name``, else config.xml's ``name``), through the same proxy and CA bundle.
    """
    from loganalyzer.errors import LogAnalyzerError
    from loganalyzer.ruleset.rules import load_rules

    rules = rules if rules is not None else load_rules()
    result = SelfCheck()
    # Each part runs behind a fault boundary: a bug in one costs that part (an internal
    # problem), never the results the others already have.
    if cert_files:
        from loganalyzer.selfcheck import certs

        with boundary(result.problems, Location(cert_files[0]), "the certificate check"):
            bundle = certs.load(cert_files, password=password, ask=ask)
            result.problems.extend(bundle.problems)
            if bundle.certs or bundle.keys:
                result.certs = certs.check(bundle, now)
                if result.certs.observation is not None:
                    result.observations.append(result.certs.observation)
                if split_dir and result.certs.leaf is not None:
                    try:
                        result.written = certs.split(result.certs, split_dir)
                    except LogAnalyzerError as exc:
                        result.problems.append(Problem(exc.where or Location(split_dir),
                                                       exc.message))
    if config:
        from loganalyzer.selfcheck import midconfig

        with boundary(result.problems, Location(config), "the config.xml check"):
            try:
                result.config = midconfig.check(midconfig.parse(config))
                result.observations.append(result.config.observation)
            except LogAnalyzerError as exc:
                result.problems.append(Problem(exc.where or Location(config), exc.message))
    if instance:
        from loganalyzer.selfcheck import probe

        with boundary(result.problems, Location(instance), "the instance probe"):
            try:
                if proxy is None and result.config is not None:
                    proxy = result.config.proxy
                result.probe = probe.probe(instance, timeout=timeout, report=result.certs,
                                           proxy=proxy, ca_bundle=ca_bundle)
                if result.probe.observation is not None:
                    result.observations.append(result.probe.observation)
            except LogAnalyzerError as exc:
                result.problems.append(Problem(exc.where or Location(instance), exc.message))
    if records and credentials is not None:
        from loganalyzer.selfcheck import instance as table_api

        with boundary(result.problems, Location(records), "the instance records"):
            try:
                through = proxy if proxy is not None else \
                    result.config.proxy if result.config is not None else None
                name = mid_name
                if not name and result.config is not None:  # the MID Server's own name
                    param = result.config.config.get("name")
                    name = param.value.strip() if param is not None and not param.secure \
                        else None
                result.records = table_api.read(records, credentials, report=result.certs,
                                                mid_name=name or None, timeout=timeout,
                                                ca_bundle=ca_bundle, proxy=through)
                result.problems.extend(result.records.problems)
                if result.records.observation is not None:
                    result.observations.append(result.records.observation)
            except LogAnalyzerError as exc:
                result.problems.append(Problem(exc.where or Location(records), exc.message))
    sources: list[CaNames] = []
    log_diagnoses: list[Diagnosis] = []
    if logs:
        from loganalyzer.analysis.diagnoses import diagnose

        with boundary(result.problems, Location(logs[0]), "the log analysis"):
            result.logs, result.reading = read_logs(logs)
            held = []
            if result.certs is not None:  # names the missing CA where the log lacks the chain
                from loganalyzer.selfcheck.certs import held_keys

                held = held_keys(result.certs)
            log_diagnoses = diagnose(result.reading, rules, held)
            result.problems.extend(result.reading.problems)
            for d in log_diagnoses:
                d.sources = ["logs"]
            sources.extend(result.logs.ca_names)
    if result.probe and result.probe.handshake and result.probe.handshake.ca_names:
        sources.append(CaNames("probe", tuple(result.probe.handshake.ca_names),
                               result.probe.where))
    if result.certs is not None and sources:
        with boundary(result.problems, Location(cert_files[0]), "the cross-check"):
            result.observations.extend(cross_observations(result.certs, sources))
    group = result.subject
    setup = evaluate(result.observations, rules, group, result.problems)
    result.diagnoses = one_per_root_cause(log_diagnoses + setup)
    return result
