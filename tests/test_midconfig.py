"""``loganalyzer config``: the config.xml settings the KB names, and hostile or broken XML."""

from __future__ import annotations

import json

import pytest

from loganalyzer.selfcheck import midconfig
from loganalyzer.errors import InputError

from test_certs import run

MUTUAL = """<?xml version="1.0" encoding="UTF-8"?>
<parameters>
    <parameter name="url" value="https://acme-lab.service-now.com/"/>
    <parameter name="name" value="mid-lab-01"/>
    <parameter name="mid_sys_id" value=""/>
    <parameter name="mid.ssl.bootstrap.default.check_cert_hostname" value="true"/>
    <parameter name="mid.ssl.bootstrap.default.check_cert_chain" value="true"/>
    <parameter name="mid.ssl.bootstrap.default.check_cert_revocation" value="TRUE "/>
</parameters>
"""

BASIC = """<?xml version="1.0" encoding="UTF-8"?>
<parameters>
    <parameter name="url" value="https://acme-lab.service-now.com/"/>
    <parameter name="mid.instance.username" value="mid.user"/>
    <parameter name="mid.instance.password" secure="true" value="encrypted:abc"/>
    <parameter name="mid.ssl.bootstrap.default.check_cert_hostname" value="true"/>
    <parameter name="mid.ssl.bootstrap.default.check_cert_chain" value="false"/>
</parameters>
"""


def write(tmp_path, text: str, name: str = "config.xml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def checks(report) -> dict[str, object]:
    return {f.check: f for f in report.findings}


def test_mutual_auth_config_passes(tmp_path):
    report = midconfig.check(midconfig.parse(write(tmp_path, MUTUAL)))
    assert report.mutual_auth == "enabled"
    assert report.url == "https://acme-lab.service-now.com/"
    assert [f for f in report.findings if f.severity != "info"] == []


def test_basic_auth_and_policy_parameters_named_with_lines(tmp_path):
    path = write(tmp_path, BASIC)
    report = midconfig.check(midconfig.parse(path))
    found = checks(report)
    assert report.mutual_auth == "disabled"
    user = found["config.mutual-auth"]
    assert user.root_cause == "auth-user-null" and str(user.where) == f"{path}:4"
    chain = found["config.check_cert_chain"]
    assert chain.root_cause == "mid-security-policy-regression" and chain.where.line == 7
    assert "'false'" in chain.detail
    revocation = found["config.check_cert_revocation"]
    assert "not set" in revocation.detail and revocation.where.line == 0
    assert "config.check_cert_hostname" not in found
    assert any("check_cert_revocation" in step for step in revocation.fix)


def test_url_problems(tmp_path):
    no_url = midconfig.check(midconfig.parse(write(tmp_path, "<parameters/>")))
    assert checks(no_url)["config.url"].severity == "error"
    http = MUTUAL.replace("https://acme-lab", "http://acme-lab")
    found = checks(midconfig.check(midconfig.parse(write(tmp_path, http))))
    assert found["config.url"].root_cause == "no-client-cert-requested"
    onprem = MUTUAL.replace("acme-lab.service-now.com", "snow.corp.example")
    found = checks(midconfig.check(midconfig.parse(write(tmp_path, onprem))))
    assert "target_endpoint" in found["config.target-endpoint"].detail


def test_duplicate_parameter(tmp_path):
    text = MUTUAL.replace("</parameters>", '<parameter name="url" value="https://x.service-now.com"/>\n</parameters>')
    found = checks(midconfig.check(midconfig.parse(write(tmp_path, text))))
    assert "lines 3 and 9" in found["config.duplicate"].detail


@pytest.mark.parametrize("text,line,words", [
    ('<parameters>\n<parameter name="url" value="https://a"\n</parameters>\n', 3, "malformed XML"),
    ("<parameters>\n<parameter name='a' value='b'/>\n", 3, "malformed XML"),
    ('<?xml version="1.0"?>\n<!DOCTYPE p [<!ENTITY a "aaaa">]>\n<parameters/>', 2, "DOCTYPE"),
    ("<config>\n</config>", 1, "not <parameters>"),
    ("<parameters>\n  <parameter value='x'/>\n</parameters>", 2, "without a name"),
    ("\x00\x01binary", 1, "malformed XML"),
])
def test_malformed_xml_names_file_and_line(tmp_path, text, line, words):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        midconfig.parse(path)
    assert err.value.where.line == line and words in str(err.value)
    assert str(err.value).startswith(f"{path}:{line}:")


def test_billion_laughs_is_refused_quickly(tmp_path):
    lol = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
           + "".join(f' <!ENTITY lol{i} "{"&lol%s;" % ("" if i == 1 else i - 1) * 10}">\n'
                     for i in range(1, 10))
           + ']>\n<parameters><parameter name="url" value="&lol9;"/></parameters>\n')
    with pytest.raises(InputError, match="DOCTYPE"):
        midconfig.parse(write(tmp_path, lol))


def test_cli_exit_codes_and_json(tmp_path):
    good = run("config", str(write(tmp_path, MUTUAL)))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "mutual authentication" in good.stdout and "enabled" in good.stdout
    bad = run("config", str(write(tmp_path, BASIC, "basic.xml")), "--format", "json")
    assert bad.returncode == 1
    doc = json.loads(bad.stdout)
    assert doc["config"]["mutual_auth"] == "disabled"
    assert {f["root_cause"] for f in doc["findings"]} >= {"auth-user-null",
                                                           "mid-security-policy-regression"}
    broken = run("config", str(write(tmp_path, "<parameters>\n<oops>", "broken.xml")))
    assert broken.returncode == 2 and "broken.xml:2" in broken.stderr
    assert "Traceback" not in broken.stderr
    assert run("config", str(tmp_path / "absent.xml")).returncode == 2
