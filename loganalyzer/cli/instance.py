"""``loganalyzer instance https://INSTANCE``: the instance's records of mutual authentication."""

from __future__ import annotations

from pathlib import Path

import typer

from loganalyzer.cli import EXIT_ERROR, FailOn, ReportFormat
from loganalyzer.cli.app import app
from loganalyzer.cli.options import TIMEOUT_OPTION
from loganalyzer.cli.output import stderr
from loganalyzer.cli.options import passwords
from loganalyzer.cli.selfcheck import (
    CA_BUNDLE_OPTION,
    FAIL_ON_OPTION,
    FORMAT_OPTION,
    MID_NAME_OPTION,
    OUTPUT_OPTION,
    PROXY_OPTION,
    REDACT_OPTION,
    TOKEN_ENV_OPTION,
    USER_ENV_OPTION,
    emit,
    proxy_address,
    table_api_credentials,
)


@app.command()
def instance(
    url: str = typer.Argument(..., help="The instance, e.g. https://acme.service-now.com"),
    certs: list[str] = typer.Option(
        [], "--certs", help="The MID Server's certificate chain: PEM, DER, PKCS#12 (repeat)."),
    config: str | None = typer.Option(
        None, "--config", help="The MID Server's config.xml: its name and mid.proxy.*."),
    mid_name: str | None = MID_NAME_OPTION,
    user_env: str | None = USER_ENV_OPTION,
    password_env: str | None = typer.Option(
        None, "--password-env", "--instance-password-env", metavar="VAR",
        help="Environment variable holding that user's password."),
    token_env: str | None = TOKEN_ENV_OPTION,
    proxy: str | None = PROXY_OPTION,
    ca_bundle: str | None = CA_BUNDLE_OPTION,
    timeout: float = TIMEOUT_OPTION,
    format: ReportFormat = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
    fail_on: FailOn = FAIL_ON_OPTION,
    redact: bool = REDACT_OPTION,
) -> None:
    """Read the instance's records of mutual authentication (Table API, GET only).

    They are compared with the MID Server's chain and name: the plugin
    com.glide.auth.mutual is active; every CA of the chain is in
    sys_ca_certificate, active, of type "CA Cert" and published (Publish Status
    "Exists"); the leaf's sys_user_certificate record is active and holds its
    SHA-256 fingerprint; the MID Server's ecc_agent record shows "Is using mutual
    authentication?". Columns the documentation does not name are found by their
    labels in sys_dictionary; one that cannot be found is "could not check".

    Credentials come from --user-env with --password-env, or --token-env (OAuth
    bearer), else from the ~/.netrc entry of the host, else a prompt on a
    terminal; never from the command line. The user needs read access to
    v_plugin, sys_ca_certificate, sys_user_certificate, ecc_agent,
    sys_dictionary and sys_db_object.

    Exit codes: 0 nothing at or above --fail-on (default: warning) was found; 1
    at least one such finding; 2 usage error, or the instance could not be read
    (credentials refused, no rights, rate limited, server error, timeout); 3
    nothing found, but a record could not be checked.
    """
    from loganalyzer.selfcheck.combine import run

    through = proxy_address(proxy)
    credentials = table_api_credentials(url, user_env, password_env, token_env, prompt=True)
    if credentials is None:
        stderr().print("loganalyzer: error: no credentials for the Table API: give --user-env "
                       "and --password-env, --token-env, or a ~/.netrc entry for the instance",
                       markup=False, highlight=False)
        raise typer.Exit(EXIT_ERROR)
    password, ask = passwords(None) if certs else (None, None)
    check = run(cert_files=certs, config=config, password=password, ask=ask, timeout=timeout,
                proxy=through, ca_bundle=ca_bundle, records=url, credentials=credentials,
                mid_name=mid_name)
    check.command = "instance"
    emit(check, format, fail_on, output, redact)  # an unknown check exits 3 there
