"""The MID Server's ``agent/config.xml``: the settings the KB names for mutual authentication.

``config.xml`` is ``<parameters>`` with one ``<parameter name="…" value="…"/>`` per setting.
The KB and the product documentation name these:

- ``url``: the instance (required; https);
- ``mid.instance.username`` / ``mid.instance.password`` (older names ``glide.glidesoap.*``):
  basic authentication. Enabling mutual authentication (``manage-certificates -m``) removes
  them, which is why the log then says "Could not authenticate user 'null'";
- ``mid.ssl.bootstrap.default.check_cert_hostname`` / ``check_cert_chain`` /
  ``check_cert_revocation``: the KB's fix for a MID Security Policy that is not out of the box
  sets all three to true;
- ``mid.ssl.use.instance.security.policy``: when true the instance's policy overwrites them.

The public documentation names no config.xml parameter that switches mutual authentication on
(``manage-certificates -m`` does it); so mutual authentication counts as enabled when the basic
authentication user is absent, and any parameter whose name mentions "mutual" is reported too.

Config files come from customers: the parser refuses DTDs and entities (no entity expansion, no
external fetches), and every problem names the file and line.
"""

from __future__ import annotations

import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from loganalyzer.errors import InputError, Location
from loganalyzer.ingest.sources import read_small_file
from loganalyzer.selfcheck.findings import Finding, finding

MAX_CONFIG_BYTES = 5 * 1024 * 1024
USERNAMES = ("mid.instance.username", "glide.glidesoap.username")
PASSWORDS = ("mid.instance.password", "glide.glidesoap.password")
CHECK_CERT = ("mid.ssl.bootstrap.default.check_cert_hostname",
              "mid.ssl.bootstrap.default.check_cert_chain",
              "mid.ssl.bootstrap.default.check_cert_revocation")
# what config.xml holds when a parameter is missing (product documentation)
CHECK_CERT_DEFAULTS = {CHECK_CERT[0]: "true", CHECK_CERT[1]: "true", CHECK_CERT[2]: "false"}
USE_INSTANCE_POLICY = "mid.ssl.use.instance.security.policy"
TARGET_ENDPOINT = "mid.ssl.bootstrap.default.target_endpoint"
SERVICENOW_DOMAINS = (".service-now.com", ".servicenow.com")


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    value: str
    line: int
    secure: bool = False  # value encrypted by the MID Server (secure="true")


@dataclass
class MidConfig:
    path: str
    parameters: list[Parameter] = field(default_factory=list)

    def get(self, name: str) -> Parameter | None:
        """The last parameter of that name (the one the MID Server uses)."""
        found = [p for p in self.parameters if p.name == name]
        return found[-1] if found else None

    def where(self, p: Parameter | None) -> Location:
        return Location(self.path, p.line if p else 0)


@dataclass
class ConfigReport:
    config: MidConfig
    url: str | None = None
    mutual_auth: str = "unknown"  # enabled | disabled | unknown
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict:
        c = self.config
        return {
            "path": c.path,
            "url": self.url,
            "mutual_auth": self.mutual_auth,
            "parameters": {name: ({"value": p.value if not p.secure else "(encrypted)",
                                   "line": p.line} if (p := c.get(name)) else None)
                           for name in ("url", *USERNAMES, *PASSWORDS, *CHECK_CERT,
                                        USE_INSTANCE_POLICY)},
        }


def parse(path: str | Path) -> MidConfig:
    """Read ``config.xml``; malformed XML, DTDs and entities raise InputError with file:line."""
    where = Location(str(path))
    data = read_small_file(
        str(path), MAX_CONFIG_BYTES, directory="is a directory; give the path of config.xml",
        too_large="too large for a MID Server config.xml",
    )
    config = MidConfig(str(path))
    parser = xml.parsers.expat.ParserCreate()
    depth = [0]
    root: list[str] = []

    def refuse(what: str):
        def handler(*_args):
            raise InputError(f"{what} are not allowed in config.xml (refused for safety)",
                             Location(str(path), parser.CurrentLineNumber))
        return handler

    def start(tag: str, attrs: dict[str, str]) -> None:
        depth[0] += 1
        if depth[0] == 1:
            root.append(tag)
            if tag != "parameters":
                raise InputError(f"the root element is <{tag}>, not <parameters>: not a MID "
                                 "Server config.xml", Location(str(path), parser.CurrentLineNumber))
        elif tag == "parameter" and depth[0] == 2:
            line = parser.CurrentLineNumber
            if "name" not in attrs:
                raise InputError("<parameter> without a name attribute",
                                 Location(str(path), line))
            config.parameters.append(Parameter(
                attrs["name"].strip(), attrs.get("value", ""), line,
                attrs.get("secure", "").strip().lower() == "true"))

    def end(_tag: str) -> None:
        depth[0] -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse("DOCTYPE declarations")
    parser.EntityDeclHandler = refuse("entity declarations")
    parser.ExternalEntityRefHandler = refuse("external entities")
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        message = xml.parsers.expat.ErrorString(exc.code)
        raise InputError(f"malformed XML: {message} (column {exc.offset + 1})",
                         Location(str(path), exc.lineno)) from None
    if not root:
        raise InputError("no XML element: not a MID Server config.xml", where)
    return config


def check(config: MidConfig) -> ConfigReport:
    """The KB's checks on one parsed config.xml."""
    report = ConfigReport(config)
    out = report.findings
    _check_duplicates(config, out)
    _check_url(config, report)
    _check_mutual_auth(config, report)
    for name in CHECK_CERT:
        p = config.get(name)
        value = p.value.strip().lower() if p else None
        if value == "true":
            continue
        short = name.rsplit(".", 1)[1]
        if p is None:
            detail = (f"{name} is not set (the MID Server then uses "
                      f"{CHECK_CERT_DEFAULTS[name]}); the KB's fix sets {short} to true.")
        else:
            detail = f"{name} is '{p.value}', not true."
        out.append(finding(f"config.{short}", "MTLS-150", "warning", detail,
                           where=config.where(p)))
    policy = config.get(USE_INSTANCE_POLICY)
    if policy is not None and policy.value.strip().lower() == "true":
        out.append(finding(
            "config.instance-policy", None, "info",
            f"{USE_INSTANCE_POLICY} is true: the instance's MID Security Policy for "
            "*.service-now.com overwrites the check_cert_* values; check that it is out of the "
            "box (KB: MID Security Policy not OOB).", where=config.where(policy)))
    return report


def _check_duplicates(config: MidConfig, out: list[Finding]) -> None:
    seen: dict[str, Parameter] = {}
    for p in config.parameters:
        if p.name in seen:
            out.append(finding(
                "config.duplicate", None, "warning",
                f"{p.name} is set twice (lines {seen[p.name].line} and {p.line}); the MID "
                "Server uses one of them: remove the other.", where=config.where(p)))
        seen[p.name] = p


def _check_url(config: MidConfig, report: ConfigReport) -> None:
    p = config.get("url")
    if p is None or not p.value.strip():
        report.findings.append(finding(
            "config.url", None, "error",
            "No instance url parameter: the MID Server does not know its instance.",
            where=config.where(p)))
        return
    if p.secure:
        report.url = None
        return
    url = p.value.strip()
    report.url = url
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        report.findings.append(finding(
            "config.url", "MTLS-001", "error",
            f"url is '{url}': mutual authentication needs an https:// instance URL.",
            where=config.where(p)))
        return
    host = parts.hostname.lower()
    if not host.endswith(SERVICENOW_DOMAINS) and config.get(TARGET_ENDPOINT) is None:
        report.findings.append(finding(
            "config.target-endpoint", None, "info",
            f"The instance {host} is not under service-now.com: a self-hosted instance needs "
            f'<parameter name="{TARGET_ENDPOINT}" value="{host}"/> in config.xml.',
            where=config.where(p)))


def _check_mutual_auth(config: MidConfig, report: ConfigReport) -> None:
    users = [p for p in (config.get(n) for n in USERNAMES) if p is not None and p.value.strip()]
    passwords = [p for p in (config.get(n) for n in PASSWORDS) if p is not None and p.value.strip()]
    flags = [p for p in config.parameters if "mutual" in p.name.lower()]
    off = [p for p in flags if p.value.strip().lower() in ("false", "0", "no", "off")]
    if users:
        report.mutual_auth = "disabled"
        user = users[0]
        shown = "(encrypted)" if user.secure else f"'{user.value}'"
        report.findings.append(finding(
            "config.mutual-auth", "MTLS-130", "warning",
            f"{user.name} is set ({shown}): this MID Server logs in with basic authentication. "
            "Enabling mutual authentication (`manage-certificates -m`) removes the user name "
            "and password from config.xml.", where=config.where(user)))
    elif off:
        report.mutual_auth = "disabled"
        report.findings.append(finding(
            "config.mutual-auth", "MTLS-030", "warning",
            f"{off[0].name} is '{off[0].value}': mutual authentication is switched off.",
            where=config.where(off[0])))
    else:
        report.mutual_auth = "enabled"
        if passwords:
            report.findings.append(finding(
                "config.mutual-auth", None, "info",
                f"{passwords[0].name} is set without a user name: a leftover of basic "
                "authentication; `manage-certificates -m` normally removes it.",
                where=config.where(passwords[0])))
