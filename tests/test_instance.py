"""``loganalyzer instance`` and ``self-check --instance``, against a local Table API.

``TableServer`` implements the subset of ServiceNow's documented Table API contract that the
check reads: ``GET /api/now/table/<table>`` with ``sysparm_query`` (``=``, ``IN``,
``ISNOTEMPTY``, ``^``), ``sysparm_fields`` (with the dot-walked ``super_class.name``),
``sysparm_limit``/``sysparm_offset``, ``sysparm_display_value=all``, the ``Link`` and
``X-Total-Count`` headers, and the 401, 403, 404, 429 (``Retry-After``) and 500 answers with the
``{"error": {"message", "detail"}}`` body. It is the probe's LabServer (tests/test_probe.py)
underneath, so one server also answers the probe's handshake, ``HEAD /`` and
``/adcv2/supports_tls``. Its records are made from the lab PKI (tests/test_certs.py): the CA
records hold the real root and issuing CA, the user certificate record the real SHA-256
fingerprint of the leaf. The server records every method it is sent.

The columns have names the check is not told: it must find them by their labels in
sys_dictionary, some on the parent table (sys_db_object's super_class), as the docs name only
the labels. Nothing but 127.0.0.1 is contacted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from cli_helpers import run_cli
from test_certs import pki  # noqa: F401  (the session PKI fixture)

test_probe = pytest.importorskip("test_probe")  # pyOpenSSL: the server underneath

from loganalyzer.selfcheck import combine, instance  # noqa: E402
from loganalyzer.selfcheck.certs import load  # noqa: E402

MID = "mid-lab-01"
USER = "svc-mtls-reader"
PASSWORD = "Pw-7qL!x9-zz-never-shown"
TOKEN = "tok-4f9c1e-never-shown-9b2"
SECRETS = (USER, PASSWORD, TOKEN, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode())
INT = "CN=Acme Lab Client Issuing CA 1"
ROOT = "CN=Acme Lab Client Root CA"

# The columns as sys_dictionary holds them: (table, element, label). The element names are the
# server's own; the check only knows the labels. The CA columns are split between
# sys_ca_certificate and the table it extends.
COLUMNS = [
    ("v_plugin", "id", "ID"), ("v_plugin", "name", "Name"), ("v_plugin", "active", "Active"),
    ("v_plugin", "version", "Version"),
    ("sys_certificate", "name", "Name"), ("sys_certificate", "active", "Active"),
    ("sys_certificate", "pem_certificate", "PEM Certificate"),
    ("sys_certificate", "expires", "Expires"),
    ("sys_ca_certificate", "u_cert_type", "Type"),
    ("sys_ca_certificate", "u_pub_state", "Publish Status"),
    ("sys_user_certificate", "name", "Name"), ("sys_user_certificate", "active", "Active"),
    ("sys_user_certificate", "pem_certificate", "PEM Certificate"),
    ("sys_user_certificate", "u_fp", "SHA-256 Fingerprint"),
    ("sys_user_certificate", "user", "User"),
    ("ecc_agent", "name", "Name"), ("ecc_agent", "status", "Status"),
    ("ecc_agent", "u_is_mutual", "Is using mutual authentication?"),
]
PARENTS = {"sys_ca_certificate": "sys_certificate", "sys_certificate": "",
           "sys_user_certificate": "", "v_plugin": "", "ecc_agent": ""}
DISPLAY = {"u_cert_type": {"ca_cert": "CA Cert", "intermediate_cert": "Intermediate Cert"},
           "u_pub_state": {"exists": "Exists", "pending": "Pending", "": ""}}


@dataclass
class Lab:
    """The instance's records, by what can be wrong with them."""

    plugin: str = "active"  # active | inactive | missing
    cas: list[str] = field(default_factory=lambda: ["root", "int"])  # "root+int": one bundle
    types: dict[str, str] = field(default_factory=dict)  # CA -> intermediate_cert
    publish: dict[str, str] = field(default_factory=dict)  # CA -> pending
    inactive_cas: list[str] = field(default_factory=list)
    user_cert: str | None = "good"  # the certificate the MID Server's record was made from
    user_active: bool = True
    user_name: str = MID
    mid_mutual: bool | None = True  # None: no ecc_agent record
    hide: list[str] = field(default_factory=list)  # labels left out of sys_dictionary


def sha256(pki, name: str) -> str:
    der = load([pki.path(name)]).certs[0].x509.public_bytes(instance._der())
    return hashlib.sha256(der).hexdigest()


def colons(hexdigits: str) -> str:
    return ":".join(hexdigits[i:i + 2] for i in range(0, 64, 2)).upper()


def tables(pki, lab: Lab) -> dict[str, list[dict[str, str]]]:
    """The records a Lab stands for, made from the lab PKI's certificates."""
    out: dict[str, list[dict[str, str]]] = {}
    out["v_plugin"] = [] if lab.plugin == "missing" else [
        {"sys_id": "a1" * 16, "id": "com.glide.auth.mutual", "version": "1.0",
         "name": "Certificate-based authentication", "active": lab.plugin}]
    out["sys_ca_certificate"] = [
        {"sys_id": f"{n:02d}" * 16, "name": f"Acme Lab {names}",
         "active": "false" if any(c in lab.inactive_cas for c in names.split("+")) else "true",
         "pem_certificate": pki.text(*(f"{c}.pem" for c in names.split("+"))),
         "u_cert_type": next((lab.types[c] for c in names.split("+") if c in lab.types),
                             "ca_cert"),
         "u_pub_state": next((lab.publish[c] for c in names.split("+") if c in lab.publish),
                             "exists"), "expires": "2035-01-01"}
        for n, names in enumerate(lab.cas, 10)]
    out["sys_user_certificate"] = [] if lab.user_cert is None else [
        {"sys_id": "c3" * 16, "name": lab.user_name, "user": "mid.user",
         "active": "true" if lab.user_active else "false",
         "u_fp": colons(sha256(pki, lab.user_cert)), "pem_certificate": ""}]
    out["ecc_agent"] = [] if lab.mid_mutual is None else [
        {"sys_id": "d4" * 16, "name": MID, "status": "Up",
         "u_is_mutual": "true" if lab.mid_mutual else "false"}]
    out["sys_db_object"] = [{"name": t, "super_class.name": p} for t, p in PARENTS.items()]
    out["sys_dictionary"] = [
        {"name": t, "element": e, "column_label": label} for t, e, label in COLUMNS
        if label not in lab.hide] + [{"name": t, "element": "", "column_label": t}
                                     for t in PARENTS]  # each table's collection entry
    return out


class TableServer(test_probe.LabServer):
    """The probe's LabServer, which also answers ``/api/now/table/*`` from a :class:`Lab`.

    ``fail`` maps a table (or ``*``) to the status its requests get, the first ``fail_times``
    of them (0: all); ``max_limit`` caps a page, as an instance does; ``next_elsewhere`` points
    the ``next`` link at another host.
    """

    def __init__(self, pki, lab: Lab | None = None, *, fail: dict[str, int] | None = None,
                 fail_times: int = 0, retry_after: str = "0", max_limit: int = 1000,
                 next_elsewhere: bool = False, html: bool = False, **tls) -> None:
        self.tables = tables(pki, lab or Lab())
        self.fail = dict(fail or {})
        self.fail_times = fail_times
        self.failed = 0
        self.retry_after = retry_after
        self.max_limit = max_limit
        self.next_elsewhere = next_elsewhere
        self.html = html
        self.methods: list[str] = []
        self.table_requests: list[str] = []
        super().__init__(pki, **tls)

    def _answer(self, request: bytes) -> bytes:
        head = request.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
        method, target = (head[0].split(" ") + ["", ""])[:2]
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
        self.methods.append(method)
        parts = urlsplit(target)
        if not parts.path.startswith("/api/now/table/"):
            return super()._answer(request)
        table = parts.path.removeprefix("/api/now/table/")
        self.table_requests.append(table)
        if method != "GET":
            return self._json(405, {"error": {"message": "Method not allowed"}})
        wanted = {f"Basic {base64.b64encode(f'{USER}:{PASSWORD}'.encode()).decode()}",
                  f"Bearer {TOKEN}"}
        if headers.get("authorization") not in wanted:
            return self._json(401, {"error": {"message": "User Not Authenticated",
                                              "detail": "Required to provide Auth information"},
                                    "status": "failure"})
        status = self.fail.get(table, self.fail.get("*"))
        if status and (not self.fail_times or self.failed < self.fail_times):
            self.failed += 1
            return self._failure(status, table)
        if self.html:
            return self._raw(200, "text/html", "<html>Log in</html>")
        if table not in self.tables:
            return self._json(400, {"error": {"message": "Invalid table " + table}})
        return self._page(table, dict(parse_qsl(parts.query, keep_blank_values=True)))

    def _failure(self, status: int, table: str) -> bytes:
        if status == 403:
            return self._json(403, {"error": {
                "message": "User Not Authorized",
                "detail": f"ACL restricts the record retrieval for {table}"}})
        if status == 429:
            return self._json(429, {"error": {"message": "Rate limit exceeded"}},
                              {"Retry-After": self.retry_after})
        return self._json(status, {"error": {"message": "Internal Server Error"}})

    def _page(self, table: str, params: dict[str, str]) -> bytes:
        rows = [r for r in self.tables[table] if _matches(r, params.get("sysparm_query", ""))]
        total = len(rows)
        limit = min(int(params.get("sysparm_limit") or 10000), self.max_limit)
        offset = int(params.get("sysparm_offset") or 0)
        page = rows[offset:offset + limit]
        fields = [f for f in params.get("sysparm_fields", "").split(",") if f]
        display = params.get("sysparm_display_value", "false")
        result = [{f: _shown(f, r.get(f, ""), display) for f in (fields or list(r))}
                  for r in page]
        host = "elsewhere.example:8443" if self.next_elsewhere else f"127.0.0.1:{self.port}"

        def link(at: int, rel: str) -> str:
            query = urlencode({**params, "sysparm_offset": str(at), "sysparm_limit": str(limit)})
            return f'<https://{host}/api/now/table/{table}?{query}>;rel="{rel}"'

        links = [link(0, "first")]
        if offset > 0:
            links.append(link(max(0, offset - limit), "prev"))
        if offset + limit < total:
            links.append(link(offset + limit, "next"))
        links.append(link(max(0, (total - 1) // limit * limit), "last"))
        return self._json(200, {"result": result},
                          {"X-Total-Count": str(total), "Link": ",".join(links)})

    def _json(self, status: int, body: dict, extra: dict[str, str] | None = None) -> bytes:
        return self._raw(status, "application/json;charset=UTF-8", json.dumps(body), extra)

    def _raw(self, status: int, kind: str, text: str,
             extra: dict[str, str] | None = None) -> bytes:
        data = text.encode()
        head = [f"HTTP/1.1 {status} X", f"Content-Type: {kind}", f"Content-Length: {len(data)}",
                "Server: snow_adc", "Connection: close"]
        head += [f"{k}: {v}" for k, v in (extra or {}).items()]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + data


def _matches(record: dict[str, str], query: str) -> bool:
    for term in (t for t in query.split("^") if t):
        if term.endswith("ISNOTEMPTY"):
            if not record.get(term.removesuffix("ISNOTEMPTY")):
                return False
        elif (m := re.fullmatch(r"(\w+)IN(.*)", term)) and "=" not in term:
            if record.get(m.group(1)) not in m.group(2).split(","):
                return False
        else:
            name, _, value = term.partition("=")
            if record.get(name) != value:
                return False
    return True


def _shown(column: str, value: str, display: str):
    if display != "all":
        return value
    return {"value": value, "display_value": DISPLAY.get(column, {}).get(value, value)}


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def _no_outside(monkeypatch, tmp_path):
    """No proxy from the environment and no ~/.netrc of the machine: only what a test gives.

    A CA bundle requests would read from the environment is set on purpose: --ca-bundle must
    win over it, as it does for the probe.
    """
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "no-such-bundle.pem"))
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.setenv("SN_USER", USER)
    monkeypatch.setenv("SN_PASSWORD", PASSWORD)
    monkeypatch.setenv("SN_TOKEN", TOKEN)


@pytest.fixture
def server(pki):
    started: list[TableServer] = []

    def start(lab: Lab | None = None, **kw) -> TableServer:
        kw.setdefault("request_cert", True)
        kw.setdefault("ca_names", ("int", "root"))
        s = TableServer(pki, lab, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        s.close()


BASIC = instance.Credentials("basic", user=USER, secret=PASSWORD, source="the test")


def records(pki, s: TableServer, certs=("bundle.pem",), mid: str | None = MID,
            **kw) -> combine.SelfCheck:
    """``instance`` as the library runs it: the records against the lab chain."""
    return combine.run(cert_files=[str(pki.dir / c) for c in certs], records=s.url,
                       credentials=kw.pop("credentials", BASIC), mid_name=mid, timeout=5.0,
                       ca_bundle=str(pki.path("root")), **kw)


def fired(check: combine.SelfCheck) -> dict[str, object]:
    """Rule id -> diagnosis, of the set-up rules over the observations (before folding)."""
    from loganalyzer.ruleset.rules import load_rules
    from loganalyzer.selfcheck.diagnose import evaluate

    problems: list = []
    out = {d.rule: d for d in evaluate(check.observations, load_rules(), check.subject, problems)}
    assert problems == []
    return out


def facts(check: combine.SelfCheck) -> instance.InstanceFacts:
    assert check.records is not None
    return check.records.facts


def dn(pki, name: str) -> str:
    return load([pki.path(name)]).certs[0].subject


def secrets_absent(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# ----------------------------------------------------------------------------- clean


def test_a_correct_instance_is_clean(pki, server):
    s = server()
    check = records(pki, s)
    f = facts(check)
    assert check.problems == []
    assert f.plugin == "active" and f.ca_check == "done" and f.user_cert == "active"
    assert f.mid_record == "found" and f.mid_mutual == "yes" and f.unchecked == []
    assert f.cas == [dn(pki, "int"), dn(pki, "root")]
    assert not (f.cas_missing or f.cas_inactive or f.cas_intermediate or f.cas_unpublished)
    assert f.leaf_fingerprint == colons(sha256(pki, "good"))
    assert [d.rule for d in check.diagnoses] == []
    # the columns were found by label, the CA ones across the parent table
    assert check.records.columns["sys_ca_certificate"]["Publish Status"] == "u_pub_state"
    assert check.records.columns["sys_ca_certificate"]["PEM Certificate"] == "pem_certificate"
    assert "u_fp" in f.user_cert_column
    from loganalyzer.reporters.setup import document

    doc = document(check)
    assert doc["verdict"] == "clean"
    rows = {r["label"]: r["value"] for part in doc["checked"] if part["title"] ==
            "Instance records" for r in part["rows"]}
    assert rows["plugin com.glide.auth.mutual"].startswith("active")
    assert rows[f"CA {dn(pki, 'int')}"].startswith("ok: sys_ca_certificate record")
    assert "sys_id 1111" in rows[f"CA {dn(pki, 'int')}"]
    assert rows["user certificate"].startswith("ok:")
    assert rows["requests"].endswith("all GET")


def test_only_get_requests_are_sent(pki, server):
    s = server(Lab(cas=["root"], user_cert="other"))  # findings too: still nothing but reads
    check = records(pki, s)
    assert fired(check)
    assert set(s.methods) == {"GET"} and len(s.table_requests) > 8
    assert {line.split()[0] for line in check.records.sent} == {"GET"}


def test_a_bundle_record_holds_both_cas(pki, server):
    """The docs prefer root and intermediates as one PEM bundle of type CA Cert."""
    check = records(pki, server(Lab(cas=["root+int"])))
    assert facts(check).cas_missing == [] and check.diagnoses == []


def test_pages_follow_the_link_header(pki, server):
    s = server(max_limit=2)
    check = records(pki, s)
    assert check.diagnoses == [] and facts(check).unchecked == []
    # sys_dictionary has more than two columns per table: read in pages of two
    assert s.table_requests.count("sys_dictionary") > 4
    assert check.records.columns["ecc_agent"]["Is using mutual authentication?"] == "u_is_mutual"


def test_a_table_too_large_to_read_whole_is_not_judged(pki, server, monkeypatch):
    from loganalyzer.selfcheck import certs

    monkeypatch.setattr(instance, "MAX_PAGES", 2)
    report = certs.check(load([pki.dir / "bundle.pem"]))
    got = instance.read(server().url, BASIC, report=report, mid_name=MID, timeout=5.0,
                        ca_bundle=str(pki.path("root")), page_size=1)
    f = got.facts
    assert f.cas_missing == [] and f.ca_check == "unknown" and f.plugin == "unknown"
    assert "CA records: sys_dictionary cannot be read (more than 2 records)" in f.unchecked
    assert [p.message for p in got.problems] == [
        "more than 2 records: sys_dictionary was not read whole"]


def test_a_next_page_on_another_host_is_not_followed(pki, server):
    s = server(max_limit=2, next_elsewhere=True)
    check = records(pki, s)
    [problem] = [p for p in check.problems]
    assert "the next page is not on the instance (elsewhere.example:8443)" in problem.message
    assert facts(check).plugin == "unknown" and facts(check).unchecked


# ----------------------------------------------------------------------------- findings


def test_a_missing_intermediate_is_named_with_its_place_in_the_files(pki, server):
    check = records(pki, server(Lab(cas=["root"])))
    f = facts(check)
    assert f.cas_missing == [dn(pki, "int")]
    hit = fired(check)["MTLS-392"]
    assert hit.root_cause == "ca-chain-incomplete" and hit.severity == "error"
    assert f"No sys_ca_certificate record on {check.records.url} holds: {dn(pki, 'int')}" \
        in hit.detail
    assert "PEM Certificate" in hit.detail  # says which column matched the records
    [where] = [e for e in hit.evidence if e.path.endswith("bundle.pem")]
    assert where.line > 1 and colons(sha256(pki, "int")) in where.text


def test_an_intermediate_cert_record_is_named(pki, server):
    check = records(pki, server(Lab(types={"int": "intermediate_cert"})))
    f = facts(check)
    assert f.cas_intermediate == [dn(pki, "int")] and f.cas_missing == []
    hit = fired(check)["MTLS-393"]
    assert hit.kb["url"].startswith("https://github.com/ServiceNow/ServiceNowDocs/")
    [line] = [e.text for e in hit.evidence if "Intermediate Cert" in e.text]
    assert "sys_ca_certificate record 'Acme Lab int' (sys_id 1111" in line
    assert "Type = Intermediate Cert" in line


def test_a_record_still_publishing_says_wait(pki, server):
    check = records(pki, server(Lab(publish={"int": "pending"})))
    assert facts(check).cas_unpublished == [f"{dn(pki, 'int')} (Pending)"]
    hit = fired(check)["MTLS-394"]
    assert hit.severity == "warning" and hit.detail.endswith("Wait, then retry.")
    assert any("Publish Status = Pending" in e.text for e in hit.evidence)


def test_an_inactive_ca_record_fails_chain_verification(pki, server):
    check = records(pki, server(Lab(inactive_cas=["root"])))
    assert facts(check).cas_inactive == [dn(pki, "root")]
    hit = fired(check)["MTLS-395"]
    assert hit.root_cause == "chain-verification-failed"
    assert any("Active = false" in e.text and "sys_id 1010" in e.text for e in hit.evidence)


def test_an_inactive_user_certificate(pki, server):
    check = records(pki, server(Lab(user_active=False)))
    f = facts(check)
    assert f.user_cert == "inactive" and f.user_cert_record == MID
    hit = fired(check)["MTLS-396"]
    assert hit.root_cause == "client-cert-rejected"
    assert f"The record {MID} on" in hit.detail and colons(sha256(pki, "good")) in hit.detail


def test_a_fingerprint_mismatch_names_both(pki, server):
    check = records(pki, server(Lab(user_cert="other")))
    f = facts(check)
    assert f.user_cert == "mismatch"
    assert f.user_cert_fingerprint == colons(sha256(pki, "other"))
    hit = fired(check)["MTLS-397"]
    assert colons(sha256(pki, "other")) in hit.detail
    assert colons(sha256(pki, "good")) in hit.detail


def test_no_user_certificate_record(pki, server):
    check = records(pki, server(Lab(user_cert="other", user_name="another-mid")))
    assert facts(check).user_cert == "missing"
    assert "MTLS-398" in fired(check)


@pytest.mark.parametrize("state, rule", [("inactive", "MTLS-390"), ("missing", "MTLS-391")])
def test_a_plugin_that_is_not_active(pki, server, state, rule):
    check = records(pki, server(Lab(plugin=state)))
    assert facts(check).plugin == state
    hit = fired(check)[rule]
    assert hit.root_cause == "no-client-cert-requested"
    assert any("v_plugin" in e.text for e in hit.evidence)


def test_a_mid_record_without_mutual_authentication(pki, server):
    check = records(pki, server(Lab(mid_mutual=False)))
    assert facts(check).mid_mutual == "no"
    assert fired(check)["MTLS-399"].root_cause == "mutual-auth-not-enabled"


def test_no_mid_record_is_said_not_judged(pki, server):
    check = records(pki, server(Lab(mid_mutual=None)))
    assert facts(check).mid_record == "missing" and check.diagnoses == []


# ----------------------------------------------------------------------------- unknown


def test_a_column_that_cannot_be_found_is_could_not_check(pki, server):
    check = records(pki, server(Lab(hide=["Publish Status"], publish={"int": "pending"})))
    f = facts(check)
    assert f.cas_unpublished == []  # not judged: the column is not known
    assert f.unchecked == ["CA records: Publish Status: no column labelled 'Publish Status' or "
                           "'Publishing Status' in sys_ca_certificate (or sys_certificate)"]
    from loganalyzer.reporters.setup import document

    doc = document(check)
    assert doc["verdict"] == "inconclusive"
    assert "This is not a clean result" in doc["nothing_checked"]


def test_no_fingerprint_column_means_the_user_certificate_is_unknown(pki, server):
    check = records(pki, server(Lab(hide=["SHA-256 Fingerprint", "PEM Certificate"])))
    f = facts(check)
    assert f.user_cert == "unknown" and f.ca_check == "unknown"
    assert check.diagnoses == [] and len(f.unchecked) == 2


def test_no_rights_on_one_table_is_that_check_unknown(pki, server):
    s = server(fail={"sys_ca_certificate": 403})
    check = records(pki, s)
    [problem] = check.problems
    assert str(problem.where).endswith("/api/now/table/sys_ca_certificate")
    assert problem.message.startswith("403 User Not Authorized: this user may not read "
                                      "sys_ca_certificate")
    f = facts(check)
    assert f.ca_check == "unknown" and f.plugin == "active" and f.user_cert == "active"
    assert f.unchecked == ["CA records: sys_ca_certificate cannot be read (HTTP 403)"]


def test_a_retry_after_429_and_a_5xx_succeed(pki, server, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(instance.time, "sleep", waits.append)
    s = server(fail={"v_plugin": 429}, fail_times=1, retry_after="2")
    check = records(pki, s)
    assert check.problems == [] and facts(check).plugin == "active" and waits == [2.0]
    s = server(fail={"ecc_agent": 503}, fail_times=2)
    check = records(pki, s)
    assert check.problems == [] and facts(check).mid_mutual == "yes"
    assert waits[1:] == [instance.BACKOFF, instance.BACKOFF * 2]


def test_a_retry_after_beyond_the_cap_is_not_waited_for(pki, server, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(instance.time, "sleep", waits.append)
    check = records(pki, server(fail={"*": 429}, retry_after="3600"))
    assert waits == []
    [problem] = check.problems
    assert "429 Rate limit exceeded: the instance rate-limits this user (tried once; it asks " \
        "to wait 3600 s)" in problem.message


def test_an_html_answer_is_no_table_api(pki, server):
    check = records(pki, server(html=True))
    assert "the answer is not Table API JSON (text/html)" in check.problems[0].message


def test_the_proxy_of_config_xml_is_used(pki, server, tmp_path):
    relay = test_probe.ConnectProxy()
    try:
        config = tmp_path / "config.xml"
        config.write_text(
            '<?xml version="1.0"?>\n<parameters>\n'
            '<parameter name="url" value="https://acme.service-now.com/"/>\n'
            f'<parameter name="name" value="{MID}"/>\n'
            '<parameter name="mid.proxy.use_proxy" value="true"/>\n'
            f'<parameter name="mid.proxy.host" value="127.0.0.1"/>\n'
            f'<parameter name="mid.proxy.port" value="{relay.address[1]}"/>\n</parameters>\n')
        s = server()
        check = records(pki, s, mid=None, config=str(config))
    finally:
        relay.close()
    assert relay.targets and all(t == f"127.0.0.1:{s.port}" for t in relay.targets)
    assert check.problems == [] and facts(check).mid_name == MID  # config.xml's name
    assert check.records.proxy == f"127.0.0.1:{relay.address[1]}"


# ----------------------------------------------------------------------------- credentials


def test_credentials_from_the_environment_and_netrc(tmp_path, monkeypatch):
    creds = instance.from_environment("SN_USER", "SN_PASSWORD")
    assert creds.kind == "basic" and creds.user == USER and creds.secret == PASSWORD
    assert PASSWORD not in repr(creds) and USER not in repr(creds) and USER not in str(creds)
    assert instance.from_environment(token_var="SN_TOKEN").kind == "bearer"
    with pytest.raises(instance.InstanceError, match="SN_NOPE is not set"):
        instance.from_environment("SN_USER", "SN_NOPE")
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
    netrc.chmod(0o600)
    found = instance.from_netrc("127.0.0.1", str(netrc))
    assert found is not None and found.secret == PASSWORD and found.source.startswith(str(netrc))
    assert instance.from_netrc("other.example", str(netrc)) is None
    netrc.write_text(f"default login {USER} password {PASSWORD}\n")
    assert instance.from_netrc("127.0.0.1", str(netrc)) is None  # meant for other hosts
    netrc.write_text(f"machine 127.0.0.1 login {USER} password\n{PASSWORD} bogus-{PASSWORD}\n")
    with pytest.raises(instance.InstanceError) as broken:
        instance.from_netrc("127.0.0.1", str(netrc))
    secrets_absent(str(broken.value))


def _cli(capsys, monkeypatch, *args: str, tmp_path=None) -> tuple[int, str, str]:
    code, out, err = run_cli(capsys, monkeypatch, *args)
    secrets_absent(out, err)
    return code, out, err


@pytest.mark.parametrize("how", ["user", "token", "netrc"])
def test_cli_instance_clean_with_each_credential_source(pki, server, capsys, monkeypatch,
                                                        tmp_path, how):
    s = server()
    args = ["instance", s.url, "--certs", str(pki.dir / "bundle.pem"), "--mid-name", MID,
            "--ca-bundle", str(pki.path("root")), "--format", "json"]
    if how == "user":
        args += ["--user-env", "SN_USER", "--password-env", "SN_PASSWORD"]
    elif how == "token":
        args += ["--token-env", "SN_TOKEN"]
    else:
        netrc = tmp_path / "netrc"
        netrc.write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
        netrc.chmod(0o600)
        monkeypatch.setenv("NETRC", str(netrc))
    code, out, err = _cli(capsys, monkeypatch, *args)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["command"] == "instance" and doc["verdict"] == "clean"
    assert doc["records"]["plugin"] == "active" and doc["records"]["could_not_check"] == []
    assert set(s.methods) == {"GET"}


def test_cli_instance_without_credentials_is_a_usage_error(pki, server, capsys, monkeypatch):
    code, out, err = _cli(capsys, monkeypatch, "instance", "https://127.0.0.1:9")
    assert code == 2 and "no credentials for the Table API" in err and out == ""
    code, _, err = _cli(capsys, monkeypatch, "instance", "https://127.0.0.1:9", "--user-env",
                        "SN_USER")
    assert code == 2 and "go together" in err
    code, _, err = _cli(capsys, monkeypatch, "instance", "https://127.0.0.1:9", "--user-env",
                        "SN_USER", "--password-env", "SN_UNSET")
    assert code == 2 and "SN_UNSET is not set" in err


def test_cli_instance_findings_and_could_not_check(pki, server, capsys, monkeypatch):
    base = ["--certs", str(pki.dir / "bundle.pem"), "--mid-name", MID, "--ca-bundle",
            str(pki.path("root")), "--user-env", "SN_USER", "--password-env", "SN_PASSWORD"]
    s = server(Lab(types={"int": "intermediate_cert"}))
    code, out, err = _cli(capsys, monkeypatch, "instance", s.url, *base)
    assert code == 1, err
    assert "MTLS-393" in out and "Intermediate Cert" in out and "Instance records" in out
    s = server(Lab(hide=["Is using mutual authentication?"]))
    code, out, err = _cli(capsys, monkeypatch, "instance", s.url, *base, "--format", "markdown")
    assert code == 3, err
    assert "Inconclusive: no problem found" in out and "not a clean result" in out


FAILURES = {
    "401": ({"fail": {}}, "401 User Not Authenticated: the instance refused the credentials "
                          "(basic authentication from the variables SN_USER and SN_WRONG)"),
    "403": ({"fail": {"v_plugin": 403}}, "403 User Not Authorized: this user may not read "
                                         "v_plugin"),
    "429": ({"fail": {"*": 429}, "retry_after": "0"}, "429 Rate limit exceeded: the instance "
                                                      "rate-limits this user (tried 3 times"),
    "500": ({"fail": {"*": 500}}, "HTTP 500 Internal Server Error (tried 3 times)"),
    "timeout": ({"mute": True, "request_cert": False}, "no answer within 1 s from 127.0.0.1:"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_failures_are_one_line_exit_2_and_the_other_parts_stay(pki, server, capsys, monkeypatch,
                                                               tmp_path, case):
    """A Table API that fails costs that part of a self-check only.

    self-check with certs, config.xml and credentials: one line naming the table, exit 2, the
    other parts in the report, and no credential anywhere.
    """
    monkeypatch.setattr(instance.time, "sleep", lambda s: None)
    options, message = FAILURES[case]
    s = server(**options)
    config = tmp_path / "config.xml"
    config.write_text('<?xml version="1.0"?>\n<parameters>\n'
                      '<parameter name="url" value="https://acme.service-now.com/"/>\n'
                      f'<parameter name="name" value="{MID}"/>\n</parameters>\n')
    password = "SN_WRONG" if case == "401" else "SN_PASSWORD"
    monkeypatch.setenv("SN_WRONG", "not-the-password")
    report = tmp_path / "report.json"
    args = ["self-check", "--certs", str(pki.dir / "bundle.pem"), "--config", str(config),
            "--instance", s.url, "--ca-bundle", str(pki.path("root")), "--user-env", "SN_USER",
            "--instance-password-env", password, "--timeout", "1", "--format", "json", "-o",
            str(report)]
    code, out, err = _cli(capsys, monkeypatch, *args)
    text = report.read_text()
    secrets_absent(text)
    assert "not-the-password" not in out + err + text
    assert code == 2, err
    lines = [line for line in err.splitlines() if "/api/now/table/" in line]
    assert len(lines) == 1 and message in lines[0], err
    doc = json.loads(text)
    assert doc["certs"] is not None and doc["config"] is not None  # the other parts stay
    assert {part["title"] for part in doc["checked"]} >= {"Certificates",
                                                          "MID Server config.xml",
                                                          "Instance records"}
    assert doc["records"]["could_not_check"]
    if case != "timeout":
        assert doc["probe"] is not None


def test_self_check_names_the_missing_ca_record_and_is_clean_when_correct(pki, server, capsys,
                                                                          monkeypatch):
    """The acceptance run: self-check --certs bundle.pem --instance https://127.0.0.1:PORT."""
    for lab, expect in ((Lab(cas=["root"]), 1), (Lab(), 0)):
        s = server(lab)
        code, out, err = _cli(capsys, monkeypatch, "self-check", "--certs",
                              str(pki.dir / "bundle.pem"), "--instance", s.url, "--mid-name",
                              MID, "--ca-bundle", str(pki.path("root")), "--user-env",
                              "SN_USER", "--instance-password-env", "SN_PASSWORD", "--format",
                              "json")
        assert code == expect, err
        doc = json.loads(out)
        causes = {d["root_cause"]: d for d in doc["diagnoses"]}
        if expect:
            hit = causes["ca-chain-incomplete"]
            assert "instance" in hit["sources"] and dn(pki, "int") in hit["detail"]
        else:
            assert doc["verdict"] == "clean"
            assert {d["severity"] for d in doc["diagnoses"]} <= {"info"}
        assert doc["records"] is not None and doc["probe"] is not None


def test_redact_covers_the_instance_and_the_ca_names(pki, server, capsys, monkeypatch):
    s = server(Lab(cas=["root"]))
    code, out, err = _cli(capsys, monkeypatch, "instance", s.url, "--certs",
                          str(pki.dir / "bundle.pem"), "--mid-name", MID, "--ca-bundle",
                          str(pki.path("root")), "--token-env", "SN_TOKEN", "--redact",
                          "--format", "json")
    assert code == 1, err
    assert "127.0.0.1" not in out and "Acme Lab Client Issuing CA 1" not in out
    assert json.loads(out)["redacted"] is True
    # the records' sys_ids name one customer's records: pseudonyms, the same one everywhere
    _, plain, _ = _cli(capsys, monkeypatch, "instance", s.url, "--certs",
                       str(pki.dir / "bundle.pem"), "--mid-name", MID, "--ca-bundle",
                       str(pki.path("root")), "--token-env", "SN_TOKEN", "--format", "json")
    ids = set(re.findall(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", plain))
    assert ids and not any(i in out for i in ids)
    assert "sys_id-1" in out


def readme_instance_commands() -> list[str]:
    """The commands of the README's "Instance records (Table API)" section, as typed.

    They need an instance and credentials, so tests/test_readme_examples.py, which runs the sh
    blocks against its stand-ins, leaves them to this file.
    """
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("## Instance records (Table API)", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```text\n(.*?)```", section, re.S)
    assert block is not None
    lines = block.group(1).replace("\\\n", " ").splitlines()
    return [" ".join(line.split()) for line in lines if line.startswith("loganalyzer ")]


@pytest.mark.parametrize("command", readme_instance_commands())
def test_the_readmes_instance_commands_run(pki, server, capsys, monkeypatch, tmp_path, command):
    """Each as written, against the local Table API; its CA stands in for the system store."""
    import shlex

    monkeypatch.setenv("SSL_CERT_FILE", str(pki.path("root")))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "agent").mkdir()
    (tmp_path / "agent" / "config.xml").write_text(
        '<?xml version="1.0"?>\n<parameters>\n'
        '<parameter name="url" value="https://acme.service-now.com/"/>\n'
        f'<parameter name="name" value="{MID}"/>\n</parameters>\n')
    (tmp_path / "bundle.pem").write_text((pki.dir / "bundle.pem").read_text())
    s = server()
    args = shlex.split(command.replace("https://acme.service-now.com", s.url))[1:]
    code, out, err = _cli(capsys, monkeypatch, *args)
    assert code == 0, f"{command}\n{err}"
    assert "Instance records" in out and "could not check" not in out
