"""The self-check as a report document, in ``analyze``'s shape.

So the same reporters, redaction and output options serve ``certs``, ``config``, ``probe`` and
``self-check``.

Beside the diagnoses it holds ``checked``: what each part looked at, as titled rows of label and
value (the certificate chain with its hashes, the config.xml parameters, what the endpoint said),
and the structured results of each part under ``certs``, ``config``, ``probe`` and ``logs``.
"""

from __future__ import annotations

from typing import Any

from loganalyzer.reporters.document import SCHEMA_VERSION, analyze_document, problem
from loganalyzer.selfcheck.combine import SelfCheck


def document(check: SelfCheck) -> dict[str, Any]:
    """The self-check as a report document, in ``analyze``'s shape, plus what each part checked.

    The shape is ``analyze``'s so that the same reporters, redaction and output options serve it.
    """
    if check.reading is not None:
        doc = analyze_document(check.reading, check.diagnoses)
    else:
        doc = {"schema_version": SCHEMA_VERSION, "redacted": False, "verdict": "",
               "inputs": [], "diagnoses": [d.as_dict() for d in check.diagnoses],
               "handshakes": [], "agent_events": [], "problems": [], "skipped": []}
    logs_verdict = doc["verdict"] if check.reading is not None else ""
    doc = {"schema_version": SCHEMA_VERSION, "redacted": False, "command": check.command,
           "subject": check.subject, **{k: v for k, v in doc.items()
                                        if k not in ("schema_version", "redacted")}}
    doc.pop("no_evidence", None)
    logged = {id(p) for p in check.reading.problems} if check.reading else set()
    doc["problems"] = doc["problems"] + [problem(p) for p in check.problems
                                         if id(p) not in logged]
    doc["checked"] = [{"title": title, "rows": [{"label": k, "value": v} for k, v in rows]}
                      for title, rows in sections(check)]
    doc["certs"] = check.certs.as_dict() if check.certs else None
    doc["split"] = [{"path": str(w.path), "what": w.what, "mode": f"{w.mode:04o}"}
                    for w in check.written]
    doc["config"] = check.config.as_dict() if check.config else None
    doc["probe"] = check.probe.as_dict() if check.probe else None
    doc["logs"] = check.logs.as_dict() if check.logs else None
    doc["records"] = check.records.as_dict() if check.records else None
    doc["verdict"] = verdict(doc, check, logs_verdict)
    if doc["verdict"] == "not-checked":
        doc["nothing_checked"] = nothing_checked(check)
    elif doc["verdict"] == "inconclusive" and check.records is not None \
            and check.records.unchecked:  # what the instance check could not say
        doc["nothing_checked"] = ("Inconclusive: no problem found, but some of the instance's "
                                  "records could not be checked (" +
                                  "; ".join(check.records.unchecked) +
                                  "). This is not a clean result.")
    return doc


def verdict(doc: dict[str, Any], check: SelfCheck, logs_verdict: str) -> str:
    """The verdict: ``findings``, ``not-checked``, ``inconclusive`` or ``clean``.

    ``findings``: a warning or error; ``not-checked``: no input could be read; ``inconclusive``:
    only the logs were read, and they cannot judge, or an instance record could not be checked.
    """
    if any(d["severity"] in ("error", "warning") for d in doc["diagnoses"]):
        return "findings"
    if not check.checked:
        return "not-checked"
    only_logs = check.certs is None and check.config is None and check.probe is None \
        and check.records is None
    if only_logs and logs_verdict in ("inconclusive", "no-evidence"):
        return logs_verdict
    if check.records is not None and check.records.unchecked:  # unknown is never clean
        return "inconclusive"
    return "clean"


def nothing_checked(check: SelfCheck) -> str:
    """What the report says when no input could be read: never "no problem"."""
    n = len(check.problems)
    return (f"Nothing could be checked: {'the input' if n == 1 else f'{n} inputs'} could not "
            "be read (see below). This is not a clean result.")


def sections(check: SelfCheck) -> list[tuple[str, list[tuple[str, str]]]]:
    """What was checked, as titled (label, value) rows: one model for every output format."""
    out: list[tuple[str, list[tuple[str, str]]]] = []
    if check.certs is not None:
        r = check.certs
        rows = [(path, form.upper()) for path, form in r.bundle.forms.items()]
        for n, link in enumerate(r.chain):
            role = "leaf" if n == 0 else ("root" if link.status == "self-signed" else
                                          "intermediate")
            c = link.cert
            rows.append((f"{role}: {c.subject}",
                         f"hash {c.subject_hash}, issuer hash {c.issuer_hash}; {c.key_text}; "
                         f"valid {c.not_before:%Y-%m-%d} to {c.not_after:%Y-%m-%d}; "
                         f"{c.where}"))
            if link.status == "missing":
                rows.append(("missing link", f"{c.issuer} (hash {c.issuer_hash}) is not in "
                                             "the files"))
            elif link.status == "bad-signature":
                rows.append(("broken link", f"{c.issuer} did not sign {c.subject}"))
        if r.leaf is not None:
            eku = r.leaf.eku
            rows.append(("Extended Key Usage", ", ".join(eku) if eku else "(none)"))
        if r.key is not None:
            state = {True: "matches the leaf", False: "does NOT match the leaf",
                     None: "not checked (encrypted, no password)"}[r.key_matches]
            rows.append(("private key", f"{r.key.where} ({r.key.form}"
                         + (f", alias {r.key.alias}" if r.key.alias else "") + f"): {state}"))
        from loganalyzer.selfcheck.certs import PRIVATE_KEY_ENTRY, keytool_list

        listed = keytool_list(r.bundle.entries)
        for e in listed:  # as keytool -list lists them
            rows.append((f"alias {e.alias}",
                         f"{e.kind}, {e.cert.subject}, SHA-256 {e.fingerprint}" if e.cert
                         else e.kind))
        if r.choice and (len(r.bundle.keys) > 1
                         or sum(e.kind == PRIVATE_KEY_ENTRY for e in listed) > 1):
            rows.append(("key choice", r.choice))
        for c in r.unrelated:
            rows.append(("not in the chain", f"{c.subject} ({c.where})"))
        for w in check.written:
            rows.append((f"wrote {w.path}", f"{w.what}, mode {w.mode:04o}"))
        out.append(("Certificates", rows))
    if check.config is not None:
        cfg = check.config
        rows = [("file", cfg.config.path), ("url", cfg.url or "(none or encrypted)"),
                ("mutual authentication", cfg.mutual_auth)]
        from loganalyzer.selfcheck.midconfig import CHECK_CERT

        for name in CHECK_CERT:
            param = cfg.config.get(name)
            rows.append((name, f"{param.value} (line {param.line})" if param else "(not set)"))
        out.append(("MID Server config.xml", rows))
    if check.probe is not None:
        probe = check.probe
        rows = [("instance", f"{probe.url} ({probe.address})"),
                ("Server header", f"{probe.server!r} -> "
                 + ("ADCv2" if probe.adcv2 else "not ADCv2")
                 if probe.status is not None else f"(no answer: {probe.http_error})"),
                ("/adcv2/supports_tls", probe.supports_tls or "(no answer)")]
        for label, hs in (("handshake", probe.handshake),
                          ("with client certificate", probe.with_cert)):
            if hs is None:
                continue
            req = "client certificate requested" if hs.cert_requested else \
                "no client certificate requested"
            rows.append((label, f"{hs.version or '?'}: {req}; {hs.outcome}"
                         + (f" ({hs.error})" if hs.error else "")))
            if label == "handshake":
                for name, h in zip(hs.ca_names, hs.ca_hashes):
                    rows.append(("CA name", f"{name} (hash {h})"))
        out.append(("Instance", rows))
    if check.records is not None:  # the Table API: each check, and the columns it used
        out.append(("Instance records", [(r.label, r.value) for r in check.records.rows]))
    if check.logs is not None:
        lg = check.logs
        rows = [("logs", ", ".join(lg.paths)), ("files", str(lg.files)),
                ("handshakes", str(lg.handshakes))]
        for ca in lg.ca_names:
            rows.append((f"CA names at {ca.where}", "; ".join(ca.names)))
        out.append(("Logs", rows))
    return out
