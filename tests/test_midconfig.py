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


def diagnosed(path) -> dict[str, object]:
    """The set-up rules' diagnoses of one config.xml, by rule id."""
    from loganalyzer.ruleset.rules import load_rules
    from loganalyzer.selfcheck.diagnose import evaluate

    report = midconfig.check(midconfig.parse(path))
    return {d.rule: d for d in evaluate([report.observation], load_rules(), "config", [])}


def test_mutual_auth_config_passes(tmp_path):
    report = midconfig.check(midconfig.parse(write(tmp_path, MUTUAL)))
    assert report.mutual_auth == "enabled"
    assert report.url == "https://acme-lab.service-now.com/"
    assert diagnosed(write(tmp_path, MUTUAL)) == {}


def test_defaults_the_tool_calls_safe_raise_nothing(tmp_path):
    """check_cert_* absent means the product's defaults: no warning, exit 0."""
    text = "\n".join(line for line in MUTUAL.splitlines() if "check_cert" not in line)
    path = write(tmp_path, text)
    assert diagnosed(path) == {}
    done = run("config", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No problem found." in done.stdout
    assert "check_cert_chain" in done.stdout and "(not set)" in done.stdout


def test_basic_auth_and_policy_parameters_named_with_lines(tmp_path):
    path = write(tmp_path, BASIC)
    report = midconfig.check(midconfig.parse(path))
    found = diagnosed(path)
    assert report.mutual_auth == "disabled"
    user = found["MTLS-344"]
    assert user.root_cause == "mutual-auth-not-enabled"
    assert (user.evidence[0].path, user.evidence[0].line) == (str(path), 4)
    assert "manage-certificates -m" in " ".join(user.fix)
    chain = found["MTLS-347"]
    assert chain.root_cause == "mid-security-policy-regression" and chain.evidence[0].line == 7
    assert "chain" in chain.detail and "revocation=(default false)" in chain.detail
    assert [e.line for e in chain.evidence] == [7]  # the parameter that is false, not the absent


def test_http_url_says_use_https(tmp_path):
    http = MUTUAL.replace("https://acme-lab", "http://acme-lab")
    hit = diagnosed(write(tmp_path, http))["MTLS-341"]
    assert hit.root_cause == "instance-url-not-https" and hit.severity == "error"
    assert hit.title == "The instance URL is not https"
    assert hit.detail == "url is 'http://acme-lab.service-now.com/'."
    assert hit.fix[0].startswith("Use https:")
    assert "ADCv2" not in " ".join(hit.fix) + hit.meaning  # no load-balancer steps for a typo


def test_url_problems(tmp_path):
    no_url = diagnosed(write(tmp_path, "<parameters/>"))
    assert no_url["MTLS-340"].severity == "error"
    onprem = MUTUAL.replace("acme-lab.service-now.com", "snow.corp.example")
    found = diagnosed(write(tmp_path, onprem))
    assert "snow.corp.example" in found["MTLS-342"].detail
    assert "target_endpoint" in " ".join(found["MTLS-342"].fix)


def test_duplicate_parameter(tmp_path):
    text = MUTUAL.replace("</parameters>", '<parameter name="url" value="https://x.service-now.com"/>\n</parameters>')
    found = diagnosed(write(tmp_path, text))
    assert [e.line for e in found["MTLS-343"].evidence] == [3, 9]
    assert "url" in found["MTLS-343"].detail


def test_proxy_parameters_are_read(tmp_path):
    text = MUTUAL.replace("</parameters>", '<parameter name="mid.proxy.use_proxy" value="true"/>\n'
                          '<parameter name="mid.proxy.host" value="proxy.corp.example"/>\n'
                          '<parameter name="mid.proxy.port" value="8080"/>\n</parameters>')
    report = midconfig.check(midconfig.parse(write(tmp_path, text)))
    assert report.proxy == ("proxy.corp.example", 8080)
    off = text.replace('"mid.proxy.use_proxy" value="true"', '"mid.proxy.use_proxy" value="false"')
    assert midconfig.check(midconfig.parse(write(tmp_path, off))).proxy is None


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
    assert {d["root_cause"] for d in doc["diagnoses"]} >= {"mutual-auth-not-enabled",
                                                           "mid-security-policy-regression"}
    broken = run("config", str(write(tmp_path, "<parameters>\n<oops>", "broken.xml")))
    assert broken.returncode == 2 and "broken.xml:2" in broken.stderr
    assert "Traceback" not in broken.stderr
    assert run("config", str(tmp_path / "absent.xml")).returncode == 2
