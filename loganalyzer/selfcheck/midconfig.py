"""config.xml described for the set-up rules.

The description is a :class:`~loganalyzer.analysis.setup_facts.ConfigFacts` record.
:mod:`loganalyzer.mid.config` reads the file; the rules of scope ``config`` in ``rules/setup/``
judge what is here. A parameter that is absent takes the product's default, and a default the
KB calls safe raises nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from loganalyzer.analysis.setup_facts import ConfigFacts, Located, Observation
from loganalyzer.mid.config import (
    CHECK_CERT,
    CHECK_CERT_DEFAULTS,
    PASSWORDS,
    PROXY_HOST,
    PROXY_PORT,
    PROXY_USE,
    SERVICENOW_DOMAINS,
    TARGET_ENDPOINT,
    USE_INSTANCE_POLICY,
    USERNAMES,
    MidConfig,
    Parameter,
    parse,
)

__all__ = ["CHECK_CERT", "ConfigReport", "check", "parse"]

_OFF = ("false", "0", "no", "off")


@dataclass
class ConfigReport:
    """One checked config.xml: the parsed file and its facts."""

    config: MidConfig
    observation: Observation
    url: str | None = None
    mutual_auth: str = "unknown"  # enabled | disabled
    proxy: tuple[str, int] | None = None  # (host, port) the MID Server goes through

    def as_dict(self) -> dict[str, Any]:
        c = self.config
        return {
            "path": c.path,
            "url": self.url,
            "mutual_auth": self.mutual_auth,
            "proxy": f"{self.proxy[0]}:{self.proxy[1]}" if self.proxy else None,
            "parameters": {name: ({"value": p.value if not p.secure else "(encrypted)",
                                   "line": p.line} if (p := c.get(name)) else None)
                           for name in ("url", *USERNAMES, *PASSWORDS, *CHECK_CERT,
                                        USE_INSTANCE_POLICY, PROXY_HOST, PROXY_PORT)},
        }


def check(config: MidConfig) -> ConfigReport:
    """Describe one parsed config.xml for the rules of scope ``config``."""
    facts = ConfigFacts(path=config.path)
    evidence: dict[str, list[Located]] = {"file": [Located(config.path, 0, "config.xml")]}

    def at(name: str, p: Parameter, text: str = "") -> None:
        shown = "(encrypted)" if p.secure else p.value
        evidence.setdefault(name, []).append(Located(
            config.path, p.line, text or f'<parameter name="{p.name}" value="{shown}"/>'))

    report = ConfigReport(config, Observation("config", config.path, facts, evidence))
    seen: dict[str, Parameter] = {}
    for p in config.parameters:
        if p.name in seen and p.name not in facts.duplicates:
            facts.duplicates.append(p.name)
            at("duplicates", seen[p.name])
        if p.name in seen:
            at("duplicates", p)
        seen[p.name] = p
    _url(config, report, at)
    users = [p for p in (config.get(n) for n in USERNAMES) if p is not None and p.value.strip()]
    passwords = [p for p in (config.get(n) for n in PASSWORDS)
                 if p is not None and p.value.strip()]
    off = [p for p in config.parameters if "mutual" in p.name.lower()
           and p.value.strip().lower() in _OFF]
    if users:
        facts.basic_auth_user = users[0].name
        at("user", users[0])
    elif passwords:
        facts.basic_auth_password_only = True
        at("user", passwords[0])
    if off:
        facts.mutual_flag_off = off[0].name
        at("mutual_flag", off[0])
    report.mutual_auth = "disabled" if users or off else "enabled"
    values = []
    for name in CHECK_CERT:
        param = config.get(name)
        short = name.rsplit("_", 1)[1]
        if param is None:
            values.append(f"{short}=(default {CHECK_CERT_DEFAULTS[name]})")
            continue
        values.append(f"{short}={param.value}")
        if param.value.strip().lower() != "true":
            facts.check_cert_off.append(short)
            at("check_cert", param)
    facts.check_cert_values = ", ".join(values)
    policy = config.get(USE_INSTANCE_POLICY)
    if policy is not None:
        facts.instance_policy = policy.value.strip().lower()
        at("policy", policy)
    report.proxy = _proxy(config)
    if report.proxy:
        facts.proxy = f"{report.proxy[0]}:{report.proxy[1]}"
    return report


def _url(config: MidConfig, report: ConfigReport, at: Callable[[str, Parameter], None]) -> None:
    facts = report.observation.facts
    assert isinstance(facts, ConfigFacts)
    p = config.get("url")
    if p is None or not p.value.strip():
        facts.url_state = "missing"
        return
    at("url", p)
    if p.secure:
        facts.url_state = "encrypted"
        return
    url = p.value.strip()
    report.url = facts.url = url
    parts = urlsplit(url)
    facts.url_host = (parts.hostname or "").lower()
    facts.url_state = "https" if parts.scheme.lower() == "https" and parts.hostname \
        else "not-https"
    facts.under_servicenow = facts.url_host.endswith(SERVICENOW_DOMAINS)
    facts.target_endpoint_set = config.get(TARGET_ENDPOINT) is not None


def _proxy(config: MidConfig) -> tuple[str, int] | None:
    """The proxy the MID Server uses to reach the instance, when config.xml turns one on."""
    use = config.get(PROXY_USE)
    host = config.get(PROXY_HOST)
    if host is None or not host.value.strip() or host.secure:
        return None
    if use is not None and use.value.strip().lower() in _OFF:
        return None
    port = config.get(PROXY_PORT)
    try:
        number = int(port.value.strip()) if port is not None else 3128
    except ValueError:
        return None
    return host.value.strip(), number if 0 < number < 65536 else 3128
