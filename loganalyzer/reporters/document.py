"""Plain-data views of the models (dicts and lists), shared by every output.

The JSON documents built here are what every renderer (text, Markdown, HTML) reads, so that
redaction is one document-to-document step (:mod:`loganalyzer.reporters.redaction`) in front of
all of them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from loganalyzer.analysis.handshakes import Handshake
from loganalyzer.errors import Problem
from loganalyzer.jsse import events as ev

if TYPE_CHECKING:
    from loganalyzer.analysis.diagnoses import Diagnosis
    from loganalyzer.analysis.reading import FileReading, Reading

SCHEMA_VERSION = 1


def _time(value: datetime | None) -> str | None:
    return value.isoformat(sep=" ", timespec="milliseconds") if value else None


def cert(c: ev.CertInfo) -> dict[str, Any]:
    return {
        "subject": c.subject,
        "issuer": c.issuer,
        "serial": c.serial,
        "not_before": _time(c.not_before),
        "not_after": _time(c.not_after),
        "eku": list(c.eku),
        "key_usage": list(c.key_usage),
        "san": list(c.san),
        "self_signed": c.self_signed,
    }


def evidence(event: ev.Event) -> dict[str, Any]:
    return {"path": event.where.path, "line": event.where.line, "text": event.text}


def handshake(h: Handshake) -> dict[str, Any]:
    failure = h.failure
    req = h.request
    return {
        "path": h.path,
        "line": h.start.line,
        "end_line": h.end.line,
        "end_path": h.end.path,  # differs from path when rotation cut the connection
        "jvm": h.thread.jvm,
        "thread": h.thread.name,
        "time": _time(h.start_time),
        "host": h.sni,
        "tls_version": h.version,
        "cipher": h.cipher,
        "cert_requested": h.requested,  # true, false, or null when the log cannot tell
        "ca_names": list(h.ca_names),
        "ca_state": req.ca_state if req else None,
        "ca_split": req.ca_split if req else None,
        "cert_sent": h.client_cert_sent,
        "client_chain": [cert(c) for c in h.client_chain],
        "server_chain": [cert(c) for c in h.server_chain],
        "key_manager": {
            "class": h.key_manager.class_name or None,
            "aliases": [
                {"alias": alias, "chain": [cert(c) for c in chain]}
                for alias, chain in h.key_manager.aliases
            ],
            "selections": [
                {"outcome": s.outcome, "alias": s.alias, "reason": s.reason, "line": s.where.line}
                for s in h.key_manager.selections
            ],
        },
        "outcome": h.outcome,
        "alert_received": h.alert_received.description if h.alert_received else None,
        "alert_sent": h.alert_sent.description if h.alert_sent else None,
        "failure": (
            {
                "alert": failure.alert or None,
                "exception": failure.exception or None,
                "message": failure.message,
                "line": failure.where.line,
            }
            if failure
            else None
        ),
        "evidence": [evidence(e) for e in h.events],
    }


def problem(p: Problem) -> dict[str, Any]:
    return {"path": p.where.path, "line": p.where.line, "kind": p.kind, "message": p.message}


def file_input(f: FileReading) -> dict[str, Any]:
    return {
        "path": f.path,
        "mid_server": f.source.group,
        "role": f.source.role,
        "layout": f.layout,
        "lines": f.lines,
        "bytes": f.bytes,
        "records": f.records,
        "handshakes": len(f.handshakes),
        "agent_events": len(f.agent_events),
        "unparsed": sum(1 for p in f.problems if p.kind == "unparsed"),
    }


def parse_document(reading: Reading, window: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``parse --format json`` document; ``window`` is the time window read, when one was."""
    doc = {
        "schema_version": SCHEMA_VERSION,
        "redacted": False,
        "inputs": [file_input(f) for f in reading.files],
        "handshakes": [handshake(h) for h in reading.handshakes],
        "agent_events": [
            {**evidence(e), "kind": e.kind, "detail": dict(e.detail), "time": _time(e.time)}
            for s in reading.servers
            for e in s.agent_events
        ],
        "problems": [problem(p) for p in reading.problems],
        "skipped": reading.skipped,
    }
    if window is not None:
        doc["window"] = window
    return doc


# What "no evidence" tells the user to do; the KB's "Setup MID Server SSL debug" step.
NO_EVIDENCE: dict[str, Any] = {
    "message": "No TLS handshake and no MID Server agent event was logged in what was read, so "
    "there is nothing to judge: this is not a clean bill of health.",
    "fix": [
        "Add `-Djavax.net.debug=ssl:handshake:verbose:keymanager:trustmanager` as a "
        "java.additional entry in the MID Server's agent/conf/wrapper-override.conf (plain `ssl` "
        "prints too little on JDK 11, 17 and older 21 builds), restart the MID Server, reproduce "
        "the problem and analyse the new wrapper.log.",
        "Or give the tool the MID Server's agent0.log.* files as well, if they were left out.",
    ],
    "kb": {"article": "MID Server Mutual Authentication",
           "section": "Troubleshooting: Setup MID Server SSL debug", "number": "KB1116112",
           "url": "https://support.servicenow.com/kb?id=kb_article_view&sysparm_article=KB1116112"},
}


def verdict(doc: dict[str, Any]) -> str:
    """The verdict: ``findings``, ``clean``, ``inconclusive`` or ``no-evidence``.

    ``findings``: a warning or error was diagnosed; ``clean``: a handshake completed, or agent
    events were read, and nothing was diagnosed; ``inconclusive``: handshakes were read, none
    completed, and no rule names a cause; ``no-evidence``: nothing to judge.
    """
    if any(d["severity"] in ("error", "warning") for d in doc.get("diagnoses", [])):
        return "findings"
    handshakes = doc.get("handshakes", [])
    if handshakes and not any(h["outcome"] == "completed" for h in handshakes):
        return "inconclusive"
    if handshakes or doc.get("agent_events"):
        return "clean"
    return "no-evidence"


def analyze_document(reading: Reading, diagnoses: Sequence[Diagnosis],
                     window: dict[str, Any] | None = None,
                     selection: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``analyze --format json`` document: the public contract (see the README).

    ``window`` and ``selection`` (see :mod:`loganalyzer.analysis.selection` and
    :mod:`loganalyzer.ruleset.selection`) are stated when they were given.
    """
    doc = parse_document(reading)
    out = {
        "schema_version": SCHEMA_VERSION,
        "redacted": False,
        "verdict": "",
        "inputs": doc["inputs"],
        "diagnoses": [d.as_dict() for d in diagnoses],
        "handshakes": doc["handshakes"],
        "agent_events": doc["agent_events"],
        "problems": doc["problems"],
        "skipped": doc["skipped"],
    }
    out["verdict"] = verdict(out)
    if out["verdict"] == "no-evidence":
        out["no_evidence"] = NO_EVIDENCE
    if window is not None:
        out["window"] = window
    if selection is not None:
        out["selection"] = selection
    return out


def scope_line(doc: dict[str, Any]) -> str:
    """The window and rule selection a report used, in one line ("" when it used all)."""
    parts = []
    window = doc.get("window")
    if window:
        durations = window.get("durations", {})
        if window.get("each"):  # a batch: each log set counts back from its own newest event
            told = [f"{name} {window.get(name) or durations[name] + ' before the newest event'}"
                    for name in ("since", "until") if window.get(name) or name in durations]
        else:
            told = [f"{name} {window.get(name) or 'no event'}"
                    + (f" ({durations[name]} before the newest event)" if name in durations
                       else "") for name in ("since", "until") if window.get(name) or
                    name in durations]
        if window.get("each") and durations:
            told[-1] += " of each log set"
        if window.get("last_jvm"):
            jvms = window.get("jvms", [])
            told.append("newest JVM start only" + (_jvm_told(jvms[0]) if len(jvms) == 1
                                                    else " of each MID Server"))
        parts.append("Window: " + ", ".join(told))
    selection = doc.get("selection")
    if selection:
        given = [f"--{k} {','.join(selection[k])}" for k in ("select", "ignore") if selection[k]]
        parts.append(f"Rules: {' '.join(given)} ({len(selection['rules'])} of "
                     f"{selection['of']} log rules)")
    return " · ".join(parts)


def _jvm_told(jvm: dict[str, Any]) -> str:
    earlier = jvm["earlier_starts"]
    if not earlier:
        return f" (jvm {jvm['jvm']}, the only one logged)"
    return f" (jvm {jvm['jvm']}; {earlier} earlier start{'s' if earlier > 1 else ''} left out)"


class Groups:
    """A document's MID Servers with their diagnoses, handshakes and inputs, indexed once.

    Renderers walk the MID Servers and ask for each one's parts; asking the whole document per
    MID Server made a report of 50,000 small inputs quadratic.
    """

    def __init__(self, doc: dict[str, Any]) -> None:
        self.names: list[str] = []
        self._inputs: dict[str, list[dict[str, Any]]] = {}
        self._diagnoses: dict[str, list[dict[str, Any]]] = {}
        self._handshakes: dict[str, list[dict[str, Any]]] = {}
        self._evidence: set[str] = set()
        seen: dict[str, None] = {}
        server_of: dict[str, str] = {}
        for item in doc.get("inputs", []):
            seen.setdefault(item["mid_server"], None)
            self._inputs.setdefault(item["mid_server"], []).append(item)
            server_of[item["path"]] = item["mid_server"]
        for d in doc.get("diagnoses", []):
            seen.setdefault(d["mid_server"], None)
            self._diagnoses.setdefault(d["mid_server"], []).append(d)
        for h in doc.get("handshakes", []):
            group = server_of.get(h["path"])
            if group is not None:
                self._handshakes.setdefault(group, []).append(h)
                self._evidence.add(group)
        for e in doc.get("agent_events", []):
            if e["path"] in server_of:
                self._evidence.add(server_of[e["path"]])
        self.names = list(seen)

    def diagnoses(self, group: str) -> list[dict[str, Any]]:
        """The diagnoses of one MID Server."""
        return self._diagnoses.get(group, [])

    def handshakes(self, group: str) -> list[dict[str, Any]]:
        """The handshakes of one MID Server: those that start in one of its files."""
        return self._handshakes.get(group, [])

    def has_evidence(self, group: str) -> bool:
        """Whether its files logged anything to judge: a handshake or an agent event."""
        return group in self._evidence

    def no_problem(self, group: str) -> str:
        """What the report says for a MID Server with nothing diagnosed.

        It is clean only when one of its handshakes completed (or it logged no handshake, only
        agent events).
        """
        handshakes = self.handshakes(group)
        if not handshakes or any(h["outcome"] == "completed" for h in handshakes):
            return "No mutual-TLS problem found."
        n = len(handshakes)
        return (f"Inconclusive: {n} TLS handshake{'s' if n != 1 else ''} logged, none completed, "
                "and no rule names a cause (the log ends or moves on before an outcome, or the "
                "failure is one the rules do not know). This is not a clean result.")

    def nothing_to_judge(self, group: str) -> str:
        """The sentence replacing "no problem found" for a MID Server whose logs show nothing."""
        mine = self._inputs.get(group, [])
        lines = sum(i["lines"] for i in mine)
        files = "1 file" if len(mine) == 1 else f"{len(mine)} files"
        return (f"Nothing to judge: {files} ({lines:,} lines) read, but no TLS handshake and no "
                "MID Server agent event was logged. This is not a clean result.")


def cite(kb: dict[str, str]) -> str:
    """The source of a fix in one line.

    As in ``KB1116112 “MID Server Mutual Authentication”, section “…”`` (the number only where
    the article has one).
    """
    number = f"{kb['number']} " if kb.get("number") else "KB " if not kb.get("url") else ""
    return f"{number}“{kb.get('article', '')}”, section “{kb.get('section', '')}”"


def is_setup(doc: dict[str, Any]) -> bool:
    """A self-check document (``certs``, ``config``, ``probe``, ``self-check``).

    It says what each part checked, beside the diagnoses.
    """
    return "checked" in doc


def heading(doc: dict[str, Any], group: str) -> str:
    """The title of one group's section: a MID Server's logs, or what a self-check looked at."""
    return f"Checked: {group}" if is_setup(doc) else f"MID Server logs: {group}"


def provenance(d: dict[str, Any]) -> str:
    """"found by certs, logs" for a diagnosis a set-up check took part in, else ""."""
    sources = d.get("sources") or []
    return f"found by {', '.join(sources)}" if sources and sources != ["logs"] else ""


def setup_empty(doc: dict[str, Any]) -> str:
    """What a self-check document says when nothing was diagnosed."""
    return doc.get("nothing_checked") or "No problem found."


def mid_servers(doc: dict[str, Any]) -> list[str]:
    """The MID Servers (log folders) of a document, in reading order, each once."""
    return Groups(doc).names


def diagnoses_of(doc: dict[str, Any], group: str) -> list[dict[str, Any]]:
    """The diagnoses of one MID Server (one call; a renderer uses :class:`Groups`)."""
    return Groups(doc).diagnoses(group)


def handshakes_of(doc: dict[str, Any], group: str) -> list[dict[str, Any]]:
    """The handshakes of one MID Server (one call; a renderer uses :class:`Groups`)."""
    return Groups(doc).handshakes(group)


def relative(path: str, group: str) -> str:
    """``path`` inside its MID Server folder (``wrapper.log``), so table cells stay short."""
    for sep in ("/", "!", "\\"):
        if group and path.startswith(group + sep):
            return path[len(group) + 1 :]
    return path


# ---------------------------------------------------------------------------------------------
# How a MID Server's diagnoses are laid out: evidence once.

# Root causes that follow from another failure logged before them (the MID Server's start-up
# login, a misleading key message): a report points to that cause instead of repeating it.
SIDE_EFFECTS = frozenset({"auth-user-null", "encryption-keys-mismatch-misleading"})
# The cause a side effect points to when it shares no evidence line with any diagnosis: the one
# its rule names (MTLS-131: the instance did not ask for a certificate).
NAMED_CAUSES = {"auth-user-null": ("no-client-cert-requested",)}


def _key(e: dict[str, Any]) -> tuple[str, int]:
    return (e["path"], e["line"])


@dataclass
class Block:
    """What a report shows as one block: a diagnosis, or every candidate of a differential.

    The candidates of a differential (``possible`` diagnoses of one MID Server and severity,
    drawn from the same handshakes) share one evidence block. A side effect (``SIDE_EFFECTS``)
    has a ``cause``, the block it follows from, and leaves out the evidence lines that block
    already shows (``left_out`` counts them); the JSON document keeps every line.
    """

    diagnoses: list[dict[str, Any]]
    numbers: list[int]
    evidence: list[dict[str, Any]] = field(default_factory=list)
    cause: Block | None = None
    left_out: int = 0

    @property
    def differential(self) -> bool:
        """Several candidates the log cannot tell apart."""
        return len(self.diagnoses) > 1

    @property
    def span(self) -> str:
        """Its numbers: ``1``, ``1–3``, or ``1, 4, 6`` when others come between."""
        n = self.numbers
        if len(n) > 1 and n == list(range(n[0], n[-1] + 1)):
            return f"{n[0]}–{n[-1]}"
        return ", ".join(str(x) for x in n)

    @property
    def name(self) -> str:
        """How a pointer names it: ``diagnosis 1, ca-chain-incomplete`` or the candidates'."""
        if not self.differential:
            return f"diagnosis {self.numbers[0]}, {self.diagnoses[0]['root_cause']}"
        return f"diagnoses {self.span}, the possible causes"

    def pointer(self) -> str:
        """The sentence a side effect opens with: which diagnosis it follows from."""
        if self.cause is None:
            return ""
        if self.left_out:
            return f"A side effect: see {self.cause.name}. Fixing that clears this too."
        return f"The likely cause: see {self.cause.name}."

    def evidence_title(self) -> str:
        """The heading of its evidence: plain, shared by the candidates, or what is left out."""
        if self.differential:
            return f"Evidence (the same handshakes for all {len(self.diagnoses)} candidates)"
        if self.left_out and self.cause is not None:
            lines = "the line" if self.left_out == 1 else f"the {self.left_out} lines"
            where = ("diagnoses " if self.cause.differential else "diagnosis ") + self.cause.span
            return f"Evidence (besides {lines} shown under {where})"
        return "Evidence"


def blocks(diagnoses: list[dict[str, Any]], number: dict[int, int]) -> list[Block]:
    """One MID Server's diagnoses (in report order) as the blocks a report shows.

    ``number`` maps ``id(diagnosis)`` to its number in the report.
    """
    out: list[Block] = []
    for d in diagnoses:
        keys = {_key(e) for e in d["evidence"]}
        group = None
        if d["confidence"] == "possible" and d["root_cause"] not in SIDE_EFFECTS and keys:
            group = next((b for b in out if _candidate_of(b, d, keys)), None)
        if group is None:
            out.append(Block([d], [number[id(d)]], list(d["evidence"])))
        else:
            group.diagnoses.append(d)
            group.numbers.append(number[id(d)])
            group.evidence = _union(group.evidence, d["evidence"])
    for b in out:
        if not b.differential and b.diagnoses[0]["root_cause"] in SIDE_EFFECTS:
            _point_to_cause(b, out)
    return out


def laid_out(diagnoses: list[dict[str, Any]], number: dict[int, int],
             problems: list[Problem] | None, group: str) -> list[Block]:
    """:func:`blocks`, or one block per diagnosis when that fails (an internal problem)."""
    from loganalyzer.reporters import section

    return section(problems, group, "the layout of its diagnoses",
                   lambda: blocks(diagnoses, number),
                   lambda _message: [Block([d], [number[id(d)]], list(d["evidence"]))
                                     for d in diagnoses])


def origin(b: Block) -> str:
    """What a placeholder names: ``diagnosis 1 (MTLS-020)``, ``diagnoses 1–3 (MTLS-021, …)``."""
    rules = ", ".join(d.get("rule", "?") for d in b.diagnoses)
    return ("diagnoses " if b.differential else "diagnosis ") + f"{b.span} ({rules})"


def plural(n: int, word: str, many: str = "") -> str:
    """``1 file``, ``2 files``; ``many`` is the plural when adding an s will not do."""
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


def _candidate_of(b: Block, d: dict[str, Any], keys: set[tuple[str, int]]) -> bool:
    first = b.diagnoses[0]
    return (first["confidence"] == "possible" and first["root_cause"] not in SIDE_EFFECTS
            and first["severity"] == d["severity"]
            and not keys.isdisjoint(_key(e) for e in b.evidence))


def _union(shown: list[dict[str, Any]], more: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Both lists' lines, each once, by file (in the order first cited) and line."""
    merged = {_key(e): e for e in shown}
    for e in more:
        merged.setdefault(_key(e), e)
    files = {p: n for n, p in enumerate(dict.fromkeys(e["path"] for e in merged.values()))}
    return sorted(merged.values(), key=lambda e: (files[e["path"]], e["line"]))


def _point_to_cause(b: Block, out: list[Block]) -> None:
    d = b.diagnoses[0]
    keys = {_key(e) for e in d["evidence"]}
    causes = [c for c in out if c is not b and c.diagnoses[0]["root_cause"] not in SIDE_EFFECTS
              and c.diagnoses[0]["severity"] != "info"]
    best, shared = None, 0
    for c in causes:
        n = len(keys & {_key(e) for e in c.evidence})
        if n > shared:
            best, shared = c, n
    if best is None:
        named = NAMED_CAUSES.get(d["root_cause"], ())
        best = next((c for c in causes if c.diagnoses[0]["root_cause"] in named), None)
    if best is None:
        return
    shown = {_key(e) for e in best.evidence}
    b.cause = best
    b.evidence = [e for e in d["evidence"] if _key(e) not in shown]
    b.left_out = len(d["evidence"]) - len(b.evidence)


def standing(groups: Groups, group: str) -> str:
    """One MID Server in a word or three: its worst severity, ``clean``, and so on.

    ``error`` or ``warning`` when one was diagnosed; else ``nothing to judge`` (no handshake,
    no agent event), ``inconclusive`` (handshakes, none completed) or ``clean``.
    """
    severities = {d["severity"] for d in groups.diagnoses(group)}
    for severity in ("error", "warning"):
        if severity in severities:
            return severity
    if not groups.has_evidence(group) and not severities:
        return "nothing to judge"
    handshakes = groups.handshakes(group)
    if handshakes and not any(h["outcome"] == "completed" for h in handshakes):
        return "inconclusive"
    return "clean"


def numbers(groups: Groups) -> dict[int, int]:
    """Each diagnosis's number in a report, by ``id()``: in reading order.

    MID Server by MID Server, so the candidates of a differential have consecutive numbers.
    The JSON document keeps its own order (worst first over all MID Servers); with one MID
    Server the two are the same.
    """
    out: dict[int, int] = {}
    for group in groups.names:
        for d in groups.diagnoses(group):
            out[id(d)] = len(out) + 1
    return out


def causes_told(diagnoses: list[dict[str, Any]], number: dict[int, int]) -> str:
    """A MID Server's root causes in a few words, worst first, each once.

    A differential reads ``a or b or c (possible)``; a lone ``possible`` diagnosis is marked
    so, and so is a side effect.
    """
    told: list[str] = []
    for b in blocks(diagnoses, number):
        causes = list(dict.fromkeys(d["root_cause"] for d in b.diagnoses))
        word = " or ".join(causes)
        if b.cause is not None and b.left_out:
            word += " (side effect)"
        elif b.diagnoses[0]["confidence"] == "possible":
            word += " (possible)"
        if word not in told:
            told.append(word)
    return "; ".join(told)


def common_folder(names: list[str]) -> str:
    """The folder every name starts with (``sample_logs/``), or "" when they share none."""
    if len(names) < 2:
        return ""
    prefix = os.path.commonprefix(names)
    folder = prefix[: prefix.rfind("/") + 1]
    return folder if all(len(n) > len(folder) for n in names) else ""


def shorten_left(text: str, width: int) -> str:
    """``text`` in ``width`` terminal cells, a long path losing its left end.

    As in ``…/mid01/wrapper.log``: the right end of a path names the file.
    """
    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text
    kept = ""
    for char in reversed(text):
        if cell_len(char + kept) > width - 1:
            break
        kept = char + kept
    return "…" + kept


def plain(text: str) -> str:
    """``text`` without trailing spaces on any line (what rich pads a line to its width with)."""
    return "".join(line.rstrip(" ") + "\n" for line in text.splitlines())
