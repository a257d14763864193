"""``loganalyzer probe https://INSTANCE``: the KB's live checks of the instance's endpoint."""

from __future__ import annotations

from pathlib import Path

import typer

from loganalyzer.cli import FailOn, ReportFormat
from loganalyzer.cli.app import app
from loganalyzer.cli.options import TIMEOUT_OPTION
from loganalyzer.cli.options import PASSWORD_ENV_OPTION, passwords
from loganalyzer.cli.selfcheck import (
    CA_BUNDLE_OPTION,
    FAIL_ON_OPTION,
    FORMAT_OPTION,
    OUTPUT_OPTION,
    PROXY_OPTION,
    REDACT_OPTION,
    emit,
    proxy_address,
)


@app.command()
def probe(
    url: str = typer.Argument(..., help="The instance, e.g. https://acme.service-now.com"),
    cert: list[str] = typer.Option([], "--cert", help="Client certificate (chain) file."),
    key: str | None = typer.Option(None, "--key", help="Its private key (if not in --cert)."),
    proxy: str | None = PROXY_OPTION,
    ca_bundle: str | None = CA_BUNDLE_OPTION,
    password_env: str | None = PASSWORD_ENV_OPTION,
    timeout: float = TIMEOUT_OPTION,
    format: ReportFormat = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
    fail_on: FailOn = FAIL_ON_OPTION,
    redact: bool = REDACT_OPTION,
) -> None:
    """Ask the instance what the KB's troubleshooting asks, over TLS and HTTP.

    It asks whether the TLS handshake requests a client certificate and with
    which CA names, the Server header (snow_adc = ADCv2) and /adcv2/supports_tls
    (true or mixed); with --cert/--key, also a handshake with that certificate
    and its outcome, and the CA names checked against its issuer chain. The
    server's chain and host name are verified against --ca-bundle (default: the
    system store), and an issuer named like a TLS-inspection CA is reported.
    With --proxy every connection goes through that HTTP CONNECT proxy.

    Exit codes: 0 nothing at or above --fail-on (default: warning) was found; 1
    at least one such finding; 2 usage error or the instance could not be
    reached (DNS, refused, timeout, a proxy that refuses the tunnel).
    """
    from loganalyzer.selfcheck.combine import run

    through = proxy_address(proxy)
    files = list(cert) + ([key] if key else [])
    password, ask = passwords(password_env) if files else (None, None)
    check = run(cert_files=files, instance=url, password=password, ask=ask, timeout=timeout,
                proxy=through, ca_bundle=ca_bundle)
    check.command = "probe"
    emit(check, format, fail_on, output, redact)
