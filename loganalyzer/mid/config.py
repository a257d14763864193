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

This module reads the file; :mod:`loganalyzer.selfcheck.midconfig` describes it for the set-up
rules. Config files come from customers: the parser refuses DTDs and entities (no entity
expansion, no external fetches), and every problem names the file and line.
"""

from __future__ import annotations

import xml.parsers.expat
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

from loganalyzer.errors import InputError, Location
from loganalyzer.ingest.sources import read_small_file

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
# the MID Server's own proxy to the instance (product documentation, "MID Server proxy")
PROXY_USE, PROXY_HOST, PROXY_PORT = "mid.proxy.use_proxy", "mid.proxy.host", "mid.proxy.port"


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

    def refuse(what: str) -> Callable[..., Any]:
        def handler(*_args: object) -> Any:
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
