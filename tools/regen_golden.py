"""Rewrite tests/golden/<sample>.json: the handshakes ``parse`` finds in each sample log.

Run after a deliberate change to parsing, then review the diff:
    python tools/regen_golden.py            # rewrite
    python tools/regen_golden.py --check    # exit 1 when a golden file differs
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loganalyzer.analysis.reading import read  # noqa: E402
from loganalyzer.reporters.document import parse_document  # noqa: E402

KEPT = ("line", "end_line", "jvm", "thread", "host", "tls_version", "cert_requested", "ca_names",
        "ca_state", "cert_sent", "outcome", "alert_received", "alert_sent")


def golden(folder: Path) -> dict:
    """The pinned view of one sample: handshake summaries, inputs and problems, repo-relative."""
    doc = parse_document(read([str(folder.relative_to(ROOT))]))
    handshakes = []
    for h in doc["handshakes"]:
        item = {k: h[k] for k in KEPT}
        item["client_leaf"] = h["client_chain"][0]["subject"] if h["client_chain"] else None
        item["failure"] = h["failure"]
        item["evidence_lines"] = [e["line"] for e in h["evidence"]]
        handshakes.append(item)
    return {
        "inputs": [{k: i[k] for k in ("path", "role", "layout", "lines", "records", "handshakes",
                                       "agent_events", "unparsed")} for i in doc["inputs"]],
        "handshakes": handshakes,
        "agent_events": [{k: e[k] for k in ("line", "kind", "detail")} for e in doc["agent_events"]],
        "problems": doc["problems"],
    }


def main(argv: list[str]) -> int:
    check = "--check" in argv
    out_dir = ROOT / "tests" / "golden"
    stale = []
    for folder in sorted(p.parent for p in (ROOT / "sample_logs").glob("*/expected.json")):
        text = json.dumps(golden(folder), indent=1, ensure_ascii=False) + "\n"
        target = out_dir / f"{folder.name}.json"
        if check:
            if not target.exists() or target.read_text() != text:
                stale.append(target.name)
        else:
            target.write_text(text)
    if stale:
        print("stale golden files:", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
