"""Rules as data: loading, validation, catalogue meta-tests, docs freshness, and the rule cases.

The rule cases live in ``tests/rule_cases/<ID>.yaml`` and are discovered here (test id
``<RULE>-<case>``, so ``pytest -k MTLS-020`` runs one rule's cases). Log cases need the diagnosis
engine (``loganalyzer.api``); they are skipped only while it cannot be imported. Cases of the
set-up rules (``rules/setup/``) give certificate files of the lab PKI, a config.xml, a live
endpoint, or a log's CA names instead (see ``test_rule_case``).
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from loganalyzer.errors import RuleLoadError
from loganalyzer.analysis.setup_facts import SETUP_EVIDENCE
from loganalyzer.ruleset.rules import (
    CANONICAL_ROOT_CAUSES,
    EVIDENCE,
    FIELDS,
    SETUP_ONLY_ROOT_CAUSES,
    SETUP_SCOPES,
    check_rules,
    load_rules,
    match_text,
)

from test_certs import pki  # noqa: F401  (the lab PKI the set-up cases name files of)

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "rules"
CASES_DIR = Path(__file__).resolve().parent / "rule_cases"
SAMPLES = ROOT / "sample_logs"
CASE_FIELDS = {"name", "expect", "log", "only", "text", "substitute", "todo",
               "certs", "password", "config", "probe"}
#: What a set-up case may ask of the local endpoint (tests/test_probe.py's LabServer), and how
#: the probe reaches and verifies it: server_cert (the lab PKI certificate it serves), ca_bundle
#: (the lab PKI certificate to verify against; default root, which issued "server"), proxy
#: (true: through a local CONNECT relay, as a MID Server's mid.proxy.* does).
PROBE_FIELDS = {"server_header", "supports_tls", "request_cert", "ca_names", "require", "tls13",
                "server_cert", "ca_bundle", "proxy"}
CONFIG_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "config"


def _engine():
    try:
        return importlib.import_module("loganalyzer.api")
    except ImportError:
        return None


# ---------------------------------------------------------------------------- the shipped rules


def test_every_rule_file_loads():
    ruleset = load_rules(RULES_DIR)
    files = sorted(RULES_DIR.rglob("*.yaml"))
    assert len(ruleset) == len(files) > 0
    assert {r.path.name for r in ruleset} == {p.name for p in files}


def test_check_rules_is_empty_for_the_shipped_rules():
    assert [str(e) for e in check_rules(RULES_DIR)] == []


def test_default_folder_is_the_shipped_one():
    assert load_rules().ids == load_rules(RULES_DIR).ids


def test_every_canonical_root_cause_has_a_rule():
    ruleset = load_rules()
    # the 19 of the KB article, 8 more from real cases (issue 13), 2 that a log or a set-up check
    # shows (mutual-auth-not-enabled, private-key-not-pkcs8), 15 that only a set-up check shows
    assert len(CANONICAL_ROOT_CAUSES) == 44
    assert len(SETUP_ONLY_ROOT_CAUSES) == 15 and SETUP_ONLY_ROOT_CAUSES <= set(CANONICAL_ROOT_CAUSES)
    missing = [c for c in CANONICAL_ROOT_CAUSES if not ruleset.by_root_cause(c)]
    assert missing == []


def test_ids_are_unique_and_match_file_names():
    ruleset = load_rules()
    assert len(set(ruleset.ids)) == len(ruleset)
    for r in ruleset:
        assert r.path.name == f"{r.id}-{r.root_cause}.yaml"


def test_doc_fields_are_filled_in():
    for r in load_rules():
        assert r.title and r.meaning and r.fix and r.kb.article and r.kb.section, r.id
        # the seed KB article, or (issue 13) another source by its number and title
        assert (r.kb.article == "MID Server Mutual Authentication"
                or re.match(r"(KB\d{7}|ServiceNow docs)[: ]", r.kb.article)), r.id
        # the article number and a URL to read it, wherever one exists
        if r.kb.article == "MID Server Mutual Authentication" and not r.kb.section.startswith(
                "Not covered by the article"):
            assert r.kb.number == "KB1116112" and r.kb.url.endswith("KB1116112"), r.id
        if re.match(r"KB\d{7}", r.kb.article):
            assert r.kb.number == r.kb.article[:9] and r.kb.url.endswith(r.kb.number), r.id
        if r.kb.article.startswith("ServiceNow docs"):
            assert r.kb.url.startswith("https://github.com/ServiceNow/ServiceNowDocs/"), r.id
        if r.confidence == "possible":
            assert r.distinguish, r.id
        if r.scope == "text":
            assert r.explain and r.when is None and r.compiled is None, r.id
        else:
            assert r.when and r.compiled is not None, r.id
        if r.scope == "handshake" or r.scope in SETUP_SCOPES:
            assert r.evidence, r.id
        known = SETUP_EVIDENCE[r.scope] if r.scope in SETUP_SCOPES else EVIDENCE
        assert set(r.evidence) <= set(known), r.id
        assert bool(r.detail) == (r.scope in SETUP_SCOPES), r.id


def test_differential_groups_come_with_a_confirmed_rule():
    """Each root cause offered as a possible candidate can also be confirmed by a log rule,
    except those no log can settle: a TLS-inspecting proxy shows only in the name of the CA that
    signed the server chain, so only the probe from the MID host confirms it (issue 13)."""
    only_possible = {"tls-intercepting-proxy"}
    ruleset = load_rules()
    for r in ruleset:
        if r.confidence == "possible" and r.scope == "handshake" and r.root_cause not in only_possible:
            assert any(o.confidence == "confirmed" and o.scope == "handshake"
                       for o in ruleset.by_root_cause(r.root_cause)), r.id


def test_lookup_and_scopes():
    ruleset = load_rules()
    assert ruleset["MTLS-020"].root_cause == "ca-chain-incomplete"
    assert ruleset.get("mtls-020") is ruleset["MTLS-020"]
    assert ruleset.get("MTLS-999") is None
    with pytest.raises(KeyError):
        ruleset["MTLS-999"]
    handshake = ruleset.for_scope("handshake")
    assert handshake and all(r.scope == "handshake" for r in handshake)
    assert [(r.rank, r.id) for r in handshake] == sorted((r.rank, r.id) for r in handshake)
    assert all(r.scope == "agent" for r in ruleset.for_scope("agent"))
    assert dict(ruleset["MTLS-020"].kb) == {
        "article": "MID Server Mutual Authentication",
        "section": "Errors: Certificate chain incomplete", "number": "KB1116112",
        "url": "https://support.servicenow.com/kb?id=kb_article_view&sysparm_article=KB1116112"}
    # a source without a number keeps only what it has
    assert set(dict(ruleset["MTLS-193"].kb)) == {"article", "section", "url"}


def test_text_rules_never_match_facts():
    from loganalyzer.analysis.facts import HandshakeFacts

    for r in load_rules():
        if r.scope == "text":
            assert r.matches(HandshakeFacts()) is False


def test_loading_is_cached_per_process():
    assert load_rules() is load_rules()


# ---------------------------------------------------------------------------- broken rule files


GOOD = """\
id: MTLS-900
root_cause: ca-chain-incomplete
title: Test rule
severity: error
confidence: confirmed
rank: 10
scope: handshake
kb: {article: MID Server Mutual Authentication, section: Certificate chain incomplete}
meaning: A test.
fix: ["do something"]
when: "cert_requested and ca_state == 'listed' and cert_sent == 'no'"
evidence: [request, failure]
explain: ["test message"]
"""


def _write(folder: Path, text: str, name: str = "MTLS-900-ca-chain-incomplete.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _only_error(folder: Path) -> RuleLoadError:
    errors = check_rules(folder)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def test_a_good_file_loads(tmp_path):
    _write(tmp_path, GOOD)
    ruleset = load_rules(tmp_path)
    assert ruleset.ids == ["MTLS-900"]
    assert [r.id for r in match_text(ruleset, "a TEST   message here")] == ["MTLS-900"]


def test_unknown_fact_in_when_fails_at_load_time(tmp_path):
    path = _write(tmp_path, GOOD.replace("cert_requested and", "cert_requestd and"))
    error = _only_error(tmp_path)
    assert error.where.path == str(path)
    assert error.where.line == 11
    assert "field 'when'" in error.message and "cert_requestd" in error.message
    assert "cert_requested" in error.message  # the suggestion
    with pytest.raises(RuleLoadError):
        load_rules(tmp_path)


def test_a_value_a_fact_never_takes_fails(tmp_path):
    _write(tmp_path, GOOD.replace("ca_state == 'listed'", "ca_state == 'lsited'"))
    error = _only_error(tmp_path)
    assert "field 'when'" in error.message and "'lsited'" in error.message


def test_when_must_be_a_condition(tmp_path):
    _write(tmp_path, GOOD.replace(
        "when: \"cert_requested and ca_state == 'listed' and cert_sent == 'no'\"", "when: ca_count"))
    assert "true/false" in _only_error(tmp_path).message


def test_when_with_a_syntax_error(tmp_path):
    _write(tmp_path, GOOD.replace("cert_sent == 'no'\"", "cert_sent ==\""))
    assert "field 'when'" in _only_error(tmp_path).message


def test_bad_severity(tmp_path):
    path = _write(tmp_path, GOOD.replace("severity: error", "severity: fatal"))
    error = _only_error(tmp_path)
    assert error.where.path == str(path) and error.where.line == 4
    assert "field 'severity'" in error.message and "'fatal'" in error.message
    assert str(path) in str(error)


def test_duplicate_id(tmp_path):
    first = _write(tmp_path, GOOD)
    second = _write(tmp_path, GOOD, name="MTLS-900-ca-chain-incomplete-copy.yaml")
    dup = [e for e in check_rules(tmp_path) if "duplicate id MTLS-900" in e.message]
    assert len(dup) == 1 and "field 'id'" in dup[0].message
    # one file is named in where, the other in the message
    names = {Path(dup[0].where.path).name, dup[0].message.split("also in ")[1].rstrip(")")}
    assert names == {first.name, second.name}


def test_unknown_root_cause(tmp_path):
    path = _write(tmp_path, GOOD.replace("root_cause: ca-chain-incomplete",
                                         "root_cause: cert-chain-incomplete"),
                  name="MTLS-900-cert-chain-incomplete.yaml")
    error = _only_error(tmp_path)
    assert error.where.path == str(path)
    assert "field 'root_cause'" in error.message and "cert-chain-incomplete" in error.message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda t: t + "colour: red\n", "colour"),
        (lambda t: t.replace("title: Test rule\n", ""), "title"),
        (lambda t: t.replace("confidence: confirmed", "confidence: likely"), "confidence"),
        (lambda t: t.replace("scope: handshake", "scope: wrapper"), "scope"),
        (lambda t: t.replace("rank: 10", "rank: ten"), "rank"),
        (lambda t: t.replace("evidence: [request, failure]", "evidence: [request, stacktrace]"),
         "evidence"),
        (lambda t: t.replace('explain: ["test message"]', 'explain: ["(unclosed"]'), "explain"),
        (lambda t: t + "predicate: no_such_predicate\n", "predicate"),
        (lambda t: t.replace("confidence: confirmed", "confidence: possible"), "distinguish"),
        (lambda t: t.replace("kb: {article: MID Server Mutual Authentication, section: "
                             "Certificate chain incomplete}", "kb: KB123"), "kb"),
        (lambda t: t.replace("fix: [\"do something\"]", "fix: []"), "fix"),
        (lambda t: t.replace("id: MTLS-900", "id: TLS900"), "id"),
        (lambda t: t + "severity: warning\n", "severity"),
    ],
    ids=["unknown-field", "missing-title", "bad-confidence", "bad-scope", "bad-rank",
         "bad-evidence", "bad-regex", "unknown-predicate", "possible-without-distinguish",
         "bad-kb", "empty-fix", "bad-id", "field-twice"],
)
def test_each_broken_field_is_named(tmp_path, change, field):
    path = _write(tmp_path, change(GOOD))
    errors = check_rules(tmp_path)
    assert errors, "expected a problem"
    assert all(e.where.path == str(path) for e in errors)
    assert any(f"field '{field}'" in e.message for e in errors), [str(e) for e in errors]


def test_text_scope_rules_take_no_condition(tmp_path):
    _write(tmp_path, GOOD.replace("scope: handshake", "scope: text"))
    messages = [e.message for e in check_rules(tmp_path)]
    assert any("field 'when'" in m for m in messages)
    assert any("field 'evidence'" in m for m in messages)


def test_agent_rules_compile_against_agent_facts(tmp_path):
    _write(tmp_path, GOOD.replace("scope: handshake", "scope: agent"))
    error = _only_error(tmp_path)
    assert "cert_requested" in error.message and "AgentFacts" in error.message


def test_all_problems_at_once(tmp_path):
    _write(tmp_path, GOOD.replace("severity: error", "severity: fatal")
           .replace("cert_requested and", "cert_requestd and"))
    _write(tmp_path, "id: [unclosed\n", name="MTLS-901-x.yaml")
    errors = check_rules(tmp_path)
    assert len(errors) == 3
    ruleset = load_rules(tmp_path, collect_errors=True)
    assert len(ruleset) == 0 and len(ruleset.errors) == 3
    with pytest.raises(RuleLoadError, match="2 more problems"):
        load_rules(tmp_path)


def test_missing_or_empty_folder(tmp_path):
    assert "no such rules folder" in check_rules(tmp_path / "nope")[0].message
    assert "no rule files" in check_rules(tmp_path)[0].message


def test_reloads_when_a_file_changes(tmp_path):
    path = _write(tmp_path, GOOD)
    assert load_rules(tmp_path)["MTLS-900"].title == "Test rule"
    path.write_text(GOOD.replace("title: Test rule", "title: Changed rule title"))
    assert load_rules(tmp_path)["MTLS-900"].title == "Changed rule title"


# ---------------------------------------------------------------------------- docs


def test_docs_rules_md_is_current():
    """docs/rules.md is generated from the rule metadata; regenerate with
    `python tools/gen_rule_docs.py`."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_rule_docs.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_docs_check_detects_a_stale_file(tmp_path):
    stale = tmp_path / "rules.md"
    stale.write_text("# old\n")
    gen = [sys.executable, str(ROOT / "tools" / "gen_rule_docs.py")]
    assert subprocess.run(gen + ["--check", "--output", str(stale)],
                          capture_output=True).returncode == 1
    assert subprocess.run(gen + ["--output", str(stale)], capture_output=True).returncode == 0
    assert subprocess.run(gen + ["--check", "--output", str(stale)],
                          capture_output=True).returncode == 0
    text = stale.read_text()
    for r in load_rules():
        assert f"## {r.id}" in text


def test_readme_documents_every_field():
    readme = (RULES_DIR / "README.md").read_text()
    for name in FIELDS:
        assert f"`{name}`" in readme, name


# ---------------------------------------------------------------------------- rule cases


def _case_files() -> list[Path]:
    return sorted(CASES_DIR.glob("*.yaml"))


def _load_cases() -> list[tuple[str, dict]]:
    out = []
    for path in _case_files():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data.get("cases", []):
            out.append((data["rule"], case))
    return out


def test_every_rule_has_fire_and_silent_cases():
    """Meta-test: tests/rule_cases/<ID>.yaml exists for every rule, with at least one case that
    must fire and one that must stay silent."""
    ids = set(load_rules().ids)
    by_rule: dict[str, set[str]] = {}
    for path in _case_files():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data.get("rule") == path.stem, f"{path.name}: rule must be {path.stem}"
        assert path.stem in ids, f"{path.name}: no such rule"
        names = [c.get("name") for c in data.get("cases", [])]
        assert len(names) == len(set(names)), f"{path.name}: case names must be unique"
        # a case marked todo (a known gap, xfail) still counts: it documents the missing piece
        by_rule[path.stem] = {c.get("expect") for c in data.get("cases", [])}
    lacking = sorted(i for i in ids if not {"fire", "silent"} <= by_rule.get(i, set()))
    assert lacking == [], f"rules without a fire and a silent case: {lacking}"


def test_rule_cases_are_well_formed(request):
    ruleset = load_rules()
    pki_files: list[tuple[str, str]] = []  # (where, token) checked against the lab PKI below
    for rule_id, case in _load_cases():
        where = f"{rule_id}/{case.get('name')}"
        assert set(case) <= CASE_FIELDS, where
        assert case.get("expect") in ("fire", "silent"), where
        scope = ruleset[rule_id].scope
        if scope in SETUP_SCOPES:
            pki_files += [(where, t) for t in _setup_case_tokens(case, scope, where)]
            continue
        assert not {"certs", "password", "config", "probe"} & set(case), \
            f"{where}: set-up inputs are for the rules of rules/setup/"
        assert ("log" in case) != ("text" in case), f"{where}: give log or text"
        if "log" in case:
            assert (ROOT / case["log"]).exists(), f"{where}: no folder or file {case['log']}"
            assert scope != "text", f"{where}: text rules take text cases"
        if "substitute" in case or "only" in case:
            assert "log" in case and (ROOT / case["log"]).is_dir(), where
    if pki_files and shutil.which("openssl") is not None:
        lab = request.getfixturevalue("pki")
        for where, token in pki_files:
            assert _pki_file(lab, token).is_file(), f"{where}: the lab PKI has no {token}"


def _setup_case_tokens(case: dict, scope: str, where: str) -> list[str]:
    """Check a set-up rule's case; return the lab PKI names it uses."""
    if scope == "instance":
        return _instance_case_tokens(case, where)
    assert not {"text", "only", "substitute"} & set(case), \
        f"{where}: a set-up case takes certs, password, config, probe or log"
    needs = {"certs": "certs", "config": "config", "probe": "probe"}.get(scope)
    if needs:
        assert needs in case, f"{where}: a {scope} rule's case needs {needs}"
    else:  # cross-check: the certificate against CA names from a log or the live endpoint
        assert "certs" in case and ("log" in case or "probe" in case), \
            f"{where}: a cross-check case needs certs and a log or probe"
    tokens: list[str] = []
    if "certs" in case:
        assert isinstance(case["certs"], list) and case["certs"], where
        assert all(isinstance(t, str) and t for t in case["certs"]), where
        tokens += case["certs"]
    if "password" in case:
        assert "certs" in case and isinstance(case["password"], str), where
    if "log" in case:
        assert "certs" in case, f"{where}: a log in a set-up case gives CA names for certs"
        assert (ROOT / case["log"]).exists(), f"{where}: no folder or file {case['log']}"
    if "config" in case:
        path = ROOT / case["config"]
        assert path.is_file() and path.parent == CONFIG_FIXTURES, \
            f"{where}: config must be a file of tests/fixtures/config/"
    if "probe" in case:
        options = case["probe"]
        assert isinstance(options, dict) and set(options) <= PROBE_FIELDS, \
            f"{where}: probe takes {sorted(PROBE_FIELDS)}"
        if "supports_tls" in options:
            status, body, location = options["supports_tls"]
            assert isinstance(status, int) and isinstance(body, str), where
            assert location is None or isinstance(location, str), where
        for flag in ("request_cert", "require", "tls13", "proxy"):
            assert isinstance(options.get(flag, False), bool), f"{where}: {flag}"
        for name in ("server_cert", "ca_bundle"):
            if name in options:
                token = options[name]
                assert isinstance(token, str) and "." not in token \
                    and not token.startswith("key:"), \
                    f"{where}: {name} is a certificate of the lab PKI, by name"
                tokens.append(token)
        names = options.get("ca_names", [])
        assert isinstance(names, list), where
        assert not names or options.get("request_cert"), f"{where}: ca_names need request_cert"
        assert all("." not in n and not n.startswith("key:") for n in names), \
            f"{where}: ca_names are certificates of the lab PKI, by name"
        tokens += names
    return tokens


def pytest_generate_tests(metafunc):
    if "rule_case" in metafunc.fixturenames:
        cases = _load_cases()
        metafunc.parametrize("rule_case", cases,
                             ids=[f"{rule}-{case.get('name')}" for rule, case in cases])


def _analysis_folder(case: dict, tmp_path: Path) -> Path:
    folder = ROOT / case["log"]
    if not case.get("substitute") and not case.get("only"):
        return folder  # a sample folder, or one file (a field excerpt)
    copy = tmp_path / folder.name
    if case.get("only"):  # some files of the folder: an agent log on its own, say
        copy.mkdir()
        for name in case["only"]:
            shutil.copy2(folder / name, copy / name)
    else:
        shutil.copytree(folder, copy)
    for name, pairs in case.get("substitute", {}).items():
        target = copy / name
        text = target.read_text(encoding="utf-8")
        for old, new in pairs:
            assert old in text, f"{name} has no {old!r}"
            text = text.replace(old, new)
        target.write_text(text, encoding="utf-8")
    return copy


def test_rule_case(rule_case, tmp_path, request):
    rule_id, case = rule_case
    if case.get("todo"):
        pytest.xfail(f"todo: {case['todo']}")
    ruleset = load_rules()
    if ruleset[rule_id].scope in SETUP_SCOPES:
        fired = rule_id in {d.rule for d in _setup_diagnoses(case, ruleset, request)}
    elif "text" in case:
        fired = rule_id in {r.id for r in match_text(ruleset, case["text"])}
    else:
        engine = _engine()
        if engine is None:
            pytest.skip("diagnosis engine not available yet")
        diagnoses = engine.analyze_paths([str(_analysis_folder(case, tmp_path))])
        fired = rule_id in {d.rule for d in diagnoses}
    expected = case["expect"] == "fire"
    assert fired == expected, f"{rule_id} should {'fire' if expected else 'stay silent'}"


def _pki_file(lab, token: str) -> Path:
    """A file of the lab PKI (tests/test_certs.py's ``make_pki``).

    ``name`` is the certificate name.pem, ``key:name`` its private key name.key, a name with a
    dot that file itself.
    """
    if token.startswith("key:"):
        return lab.key(token[4:])
    if "." in token:
        return lab.dir / token
    return lab.path(token)


def _setup_diagnoses(case: dict, ruleset, request) -> list:
    """The set-up rules' diagnoses of a case's inputs, before one-per-root-cause folding.

    The inputs go through ``combine.run`` as ``self-check`` passes them: ``certs`` (files of the
    lab PKI, ``password`` for their encrypted keys), ``config`` (a file of
    tests/fixtures/config/), ``probe`` (a local HTTPS endpoint started for the case, with the
    certificate files as the client certificate) and ``log`` (whose CertificateRequests give
    CA names for the cross-check). Its observations are then judged once more here, because
    ``run`` folds diagnoses of one root cause into the lead one and so hides the others' rule
    ids. Every input must be read without a problem: a case proves a rule on real data, not
    on a file the tool could not read.
    """
    from loganalyzer.selfcheck import combine
    from loganalyzer.selfcheck.diagnose import evaluate

    if "instance" in case:
        return _instance_diagnoses(case, ruleset, request)
    if shutil.which("openssl") is None and ("certs" in case or "probe" in case):
        pytest.skip("needs the openssl CLI (the lab PKI)")
    lab = request.getfixturevalue("pki") if "certs" in case or "probe" in case else None
    cert_files = [str(_pki_file(lab, t)) for t in case.get("certs", [])]
    password = case["password"].encode() if "password" in case else None
    server = relay = None
    ca_bundle = None
    if "probe" in case:
        lab_probe = pytest.importorskip("test_probe")  # needs pyOpenSSL
        options = dict(case["probe"])
        for name in ("supports_tls", "ca_names"):
            if name in options:
                options[name] = tuple(options[name])
        # the MID Server trusts the CA of the instance's certificate unless the case says
        ca_bundle = str(lab.path(options.pop("ca_bundle", "root")))
        if options.pop("proxy", False):
            relay = lab_probe.ConnectProxy()
        server = lab_probe.LabServer(lab, **options)
    try:
        check = combine.run(
            logs=[str(ROOT / case["log"])] if "log" in case else [], cert_files=cert_files,
            config=str(ROOT / case["config"]) if "config" in case else None,
            instance=server.url if server else None, password=password, timeout=5.0,
            rules=ruleset, proxy=relay.address if relay else None, ca_bundle=ca_bundle)
    finally:
        if server is not None:
            server.close()
        if relay is not None:
            relay.close()
    if relay is not None:
        assert relay.targets, "the probe did not go through the proxy"
    assert [str(p) for p in check.problems] == []
    scopes = {o.scope for o in check.observations}
    expected = ({"certs"} if cert_files else set()) | ({"config"} if "config" in case else set()) \
        | ({"probe"} if server else set())
    assert expected <= scopes, f"inputs without an observation: {expected - scopes}"
    problems: list = []
    diagnoses = evaluate(check.observations, ruleset, check.subject, problems)
    assert [str(p) for p in problems] == []
    return diagnoses


# -- cases of the instance rules (scope instance): the lab chain against a local Table API

#: ``instance:`` gives the records of the local Table API (tests/test_instance.py's Lab): the
#: plugin's state, the CA records (lab PKI names; "root+int" is one bundle record), their types,
#: publish states and inactive ones, the certificate the MID Server's user certificate record
#: was made from and whether it is active, the MID Server record, and labels left out of
#: sys_dictionary.
INSTANCE_FIELDS = {"plugin", "cas", "types", "publish", "inactive_cas", "user_cert",
                   "user_active", "user_name", "mid_mutual", "hide"}
CASE_FIELDS.add("instance")


def _instance_case_tokens(case: dict, where: str) -> list[str]:
    assert set(case) <= {"name", "expect", "todo", "certs", "instance"}, \
        f"{where}: an instance case takes certs and instance"
    options = case.get("instance")
    assert isinstance(options, dict) and set(options) <= INSTANCE_FIELDS, \
        f"{where}: instance takes {sorted(INSTANCE_FIELDS)}"
    tokens = list(case.get("certs", []))
    tokens += [n for names in options.get("cas", []) for n in names.split("+")]
    tokens += list(options.get("types", {})) + list(options.get("publish", {}))
    tokens += list(options.get("inactive_cas", []))
    tokens += [options["user_cert"]] if options.get("user_cert") else []
    return tokens


def _instance_diagnoses(case: dict, ruleset, request) -> list:
    """The set-up rules' diagnoses of the instance's records a case describes, read through
    ``combine.run`` as ``loganalyzer instance`` reads them (credentials, the lab root as the CA
    bundle, the MID Server's name), with nothing but GET requests."""
    from loganalyzer.selfcheck import combine
    from loganalyzer.selfcheck.diagnose import evaluate

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl CLI (the lab PKI)")
    table_api = pytest.importorskip("test_instance")  # its server needs pyOpenSSL
    monkeypatch = request.getfixturevalue("monkeypatch")
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    lab = request.getfixturevalue("pki")
    server = table_api.TableServer(lab, table_api.Lab(**case["instance"]))
    try:
        check = combine.run(cert_files=[str(_pki_file(lab, t)) for t in case.get("certs", [])],
                            records=server.url, credentials=table_api.BASIC,
                            mid_name=table_api.MID, timeout=5.0, rules=ruleset,
                            ca_bundle=str(lab.path("root")))
    finally:
        server.close()
    assert [str(p) for p in check.problems] == []
    assert "instance" in {o.scope for o in check.observations}
    assert set(server.methods) == {"GET"}
    problems: list = []
    diagnoses = evaluate(check.observations, ruleset, check.subject, problems)
    assert [str(p) for p in problems] == []
    return diagnoses


def _successful_captures() -> list[Path]:
    out = []
    for expected in sorted(SAMPLES.glob("*/expected.json")):
        data = json.loads(expected.read_text())
        if data.get("scenario_id") == 1 and data.get("client_final_outcome", {}).get("authenticated"):
            out.append(expected.parent)
    return out


@pytest.mark.parametrize("folder", _successful_captures(), ids=lambda p: p.name)
def test_good_logs_give_no_error_or_warning(folder):
    """Every rule over every successful capture: info only (mtls-ok), never error or warning."""
    engine = _engine()
    if engine is None:
        pytest.skip("diagnosis engine not available yet")
    diagnoses = engine.analyze_paths([str(folder)])
    bad = [(d.rule, d.severity) for d in diagnoses if d.severity in ("error", "warning")]
    assert bad == []
    assert "mtls-ok" in {d.root_cause for d in diagnoses}


# ---------------------------------------------------------------------------- precedence


def test_yields_to_names_rules_of_the_folder(tmp_path):
    _write(tmp_path, GOOD.replace("\nexplain:", "\nyields_to: [MTLS-999]\nexplain:", 1))
    assert "no rule MTLS-999 among the rules loaded" in _only_error(tmp_path).message


def test_yields_to_takes_ids_or_confirmed(tmp_path):
    _write(tmp_path, GOOD.replace("\nexplain:", "\nyields_to: [earlier]\nexplain:", 1))
    assert "field 'yields_to'" in _only_error(tmp_path).message


def test_precedence_is_said_once():
    """No rule repeats another's condition to give way to it: that is what yields_to is for."""
    ruleset = load_rules(RULES_DIR)
    policy = ruleset["MTLS-060"]
    for rule in ruleset:
        if rule is not policy and rule.when:
            assert "earlier_cert_sent and not later_cert_sent" not in rule.when, rule.id
    yielding = {r.id for r in ruleset if "MTLS-060" in r.yields_to}
    assert yielding == {"MTLS-020", "MTLS-021", "MTLS-030", "MTLS-031", "MTLS-050", "MTLS-051"}
    # every possible candidate of a handshake gives way to a cause the log proves, except a
    # refinement the general confirmed rules give way to (an inspecting proxy, MTLS-198: MTLS-090
    # and MTLS-001 yield to it, so it cannot yield to them too; the probe's MTLS-367/368, to
    # which its untrusted-chain and host-name rules MTLS-366/369 yield)
    refining = {r.id for r in ruleset if any(r.id in o.yields_to for o in ruleset if o.confidence == "confirmed")}
    assert refining == {"MTLS-198", "MTLS-367", "MTLS-368"} | {
        i for i in refining if ruleset[i].confidence == "confirmed"}
    assert all("confirmed" in r.yields_to for r in ruleset
               if r.scope == "handshake" and r.confidence == "possible" and r.id not in refining)


def test_a_policy_regression_silences_the_causes_that_yield_to_it():
    """The policy-drops-cert captures: a certificate went out earlier, then none; only
    MTLS-060 (and the side effect) may stand, none of the rules that give way to it."""
    engine = _engine()
    for sample in ("jdk17-tls12-policy-drops-cert-tm", "jdk21-tls13-policy-drops-cert-lptm"):
        rules = {d.rule for d in engine.analyze_paths([str(SAMPLES / sample)])}
        assert "MTLS-060" in rules
        assert not rules & {"MTLS-020", "MTLS-021", "MTLS-030", "MTLS-031", "MTLS-050", "MTLS-051"}


def test_docs_facts_md_is_current():
    """docs/facts.md, the glossary of facts, is generated from facts.py; regenerate with
    `python tools/gen_fact_docs.py`."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_fact_docs.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_fact_is_explained_in_the_glossary():
    import dataclasses

    from loganalyzer.analysis.facts import AgentFacts, HandshakeFacts

    glossary = (ROOT / "docs" / "facts.md").read_text(encoding="utf-8")
    for cls in (HandshakeFacts, AgentFacts):
        section = glossary.split(f"## `{cls.__name__}`", 1)[1].split("\n## ", 1)[0]
        for f in dataclasses.fields(cls):
            [row] = [x for x in section.splitlines() if x.startswith(f"| `{f.name}` |")]
            meaning = row.split(" | ")[3]
            assert meaning.strip(), f"{cls.__name__}.{f.name} has no comment in facts.py"


# ---------------------------------------------------------------------------- rule packs


def test_a_rule_pack_adds_rules_to_analyze(tmp_path):
    """A support team's own rule, next to the shipped ones, without forking them."""
    pack = tmp_path / "pack"
    pack.mkdir()
    shipped = (RULES_DIR / "detect" / "MTLS-190-mtls-ok.yaml").read_text(encoding="utf-8")
    (pack / "MTLS-900-mtls-ok.yaml").write_text(
        shipped.replace("id: MTLS-190", "id: MTLS-900"), encoding="utf-8")
    sample = str(SAMPLES / "jdk25-tls13-success-tm")
    done = subprocess.run([sys.executable, "-m", "loganalyzer", "analyze", sample, "-f", "json",
                           "--extra-rules", str(pack)], capture_output=True, text=True, cwd=ROOT)
    rules = {d["rule"] for d in json.loads(done.stdout)["diagnoses"]}
    assert {"MTLS-190", "MTLS-900"} <= rules, done.stderr
    # a clashing id is a located error, exit 2
    (pack / "MTLS-190-mtls-ok.yaml").write_text(shipped, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "loganalyzer", "analyze", sample,
                           "--extra-rules", str(pack)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "MTLS-190 is already a rule" in done.stderr
    assert "MTLS-190-mtls-ok.yaml" in done.stderr


def test_rules_dir_replaces_the_shipped_rules_in_analyze(tmp_path):
    only = tmp_path / "only"
    only.mkdir()
    shutil.copy2(RULES_DIR / "detect" / "MTLS-190-mtls-ok.yaml", only)
    sample = str(SAMPLES / "jdk21-tls12-ca-mismatch-tm")
    done = subprocess.run([sys.executable, "-m", "loganalyzer", "analyze", sample, "-f", "json",
                           "--rules-dir", str(only)], capture_output=True, text=True, cwd=ROOT)
    doc = json.loads(done.stdout)
    # only mtls-ok is loaded: the failed handshake gets no cause, which is no clean result
    assert doc["diagnoses"] == [] and doc["verdict"] == "inconclusive" and done.returncode == 3


def test_a_rule_pack_travels_to_scan_workers(tmp_path):
    """scan's workers (a process pool here) load the same pack, by its absolute path."""
    pack = tmp_path / "pack"
    pack.mkdir()
    shipped = (RULES_DIR / "detect" / "MTLS-190-mtls-ok.yaml").read_text(encoding="utf-8")
    (pack / "MTLS-900-mtls-ok.yaml").write_text(shipped.replace("id: MTLS-190", "id: MTLS-900"),
                                                encoding="utf-8")
    out = tmp_path / "t.csv"
    done = subprocess.run(
        [sys.executable, "-m", "loganalyzer", "scan", str(SAMPLES / "jdk25-tls13-success-tm"),
         str(SAMPLES / "jdk21-tls12-ca-mismatch-tm"), "-j", "2", "-q", "-o", str(out),
         "--extra-rules", "pack"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    import csv

    rules = {row["rule"] for row in csv.DictReader(out.open(encoding="utf-8"))}
    assert {"MTLS-900", "MTLS-190", "MTLS-020"} <= rules


def test_readme_lists_every_root_cause():
    """The README's root-cause tables are the public contract: every id, with its source."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`"): line for line in readme.splitlines()
            if line.startswith("| `") and line.count("|") >= 4}
    missing = [c for c in CANONICAL_ROOT_CAUSES if c not in rows]
    assert missing == []
    assert all(rows[c].rstrip().rstrip("|").split("|")[-1].strip() for c in CANONICAL_ROOT_CAUSES)
