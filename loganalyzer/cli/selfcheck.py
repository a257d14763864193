"""``loganalyzer self-check``: certificate files, config.xml, the instance and logs in one report.

Also holds what ``certs``, ``config`` and ``probe`` share: the output formats, the password
sources and the exit-code policy (the same as ``analyze``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from loganalyzer.cli import (
    EXIT_ERROR,
    EXIT_NO_EVIDENCE,
    EXIT_OK,
    FailOn,
    ReportFormat,
    findings_exit,
    problems_exit,
)
from loganalyzer.cli.app import app
from loganalyzer.cli.options import PASSWORD_ENV_OPTION, TIMEOUT_OPTION, passwords
from loganalyzer.cli.output import emit as emit_document
from loganalyzer.cli.output import report_problems, stderr

if TYPE_CHECKING:
    from loganalyzer.selfcheck.combine import SelfCheck
    from loganalyzer.selfcheck.instance import Credentials

EXIT_HELP = ("Exit codes: 0 nothing at or above --fail-on (default: warning) was found; 1 at "
             "least one such finding; 2 usage error or an input that could not be read (bad "
             "file, wrong password, malformed XML, unreachable instance), after the other "
             "inputs were checked.")



FORMAT_OPTION = typer.Option(ReportFormat.text, "--format", "-f", help="Output format.")
OUTPUT_OPTION = typer.Option(None, "--output", "-o", metavar="FILE", dir_okay=False,
                             help="Write the report to FILE instead of stdout (any format).")
FAIL_ON_OPTION = typer.Option(FailOn.warning, "--fail-on",
                              help="Lowest severity that makes the exit code 1 (never: always 0).")
REDACT_OPTION = typer.Option(
    False, "--redact",
    help="Replace instance and host names, IP and e-mail addresses, user names, DN values and "
         "certificate serials with stable pseudonyms, so the report can be shared.")
PROXY_OPTION = typer.Option(
    None, "--proxy", metavar="HOST:PORT",
    help="Reach the instance through this HTTP CONNECT proxy (self-check: default config.xml's "
         "mid.proxy.host/port).")
CA_BUNDLE_OPTION = typer.Option(
    None, "--ca-bundle", metavar="FILE", dir_okay=False,
    help="PEM file of the CAs to verify the instance's certificate chain and host name "
         "against (default: the system store); give the CAs the MID Server trusts.")


def proxy_address(text: str | None) -> tuple[str, int] | None:
    """``--proxy HOST:PORT`` as (host, port); a malformed value is a usage error (exit 2)."""
    if text is None:
        return None
    from loganalyzer.selfcheck.probe import ProbeError, parse_proxy

    try:
        return parse_proxy(text)
    except ProbeError as exc:
        stderr().print(f"loganalyzer: error: --proxy: {exc}", markup=False, highlight=False)
        raise typer.Exit(EXIT_ERROR) from None


# -- the instance's records (Table API): credentials from the environment, ~/.netrc or a prompt,
#    never from the command line
USER_ENV_OPTION = typer.Option(
    None, "--user-env", metavar="VAR",
    help="Environment variable holding the instance user name for the Table API (with "
         "--instance-password-env; default: the ~/.netrc entry of the instance's host).")
INSTANCE_PASSWORD_ENV_OPTION = typer.Option(
    None, "--instance-password-env", metavar="VAR",
    help="Environment variable holding that user's password.")
TOKEN_ENV_OPTION = typer.Option(
    None, "--token-env", metavar="VAR",
    help="Environment variable holding an OAuth bearer token for the Table API (instead of a "
         "user and password).")
MID_NAME_OPTION = typer.Option(
    None, "--mid-name", metavar="NAME",
    help="The MID Server's name, to find its record and its user certificate (default: "
         "config.xml's name parameter).")


def table_api_credentials(url: str, user_env: str | None, password_env: str | None,
                          token_env: str | None, *, prompt: bool) -> Credentials | None:
    """The Table API credentials, or None when there are none.

    They come from the named variables, else the ~/.netrc entry of the host, else (with
    ``prompt``, on a terminal) a prompt. A variable that is not set, or half a pair, is a usage
    error (exit 2); no value is ever printed.
    """
    from loganalyzer.selfcheck.instance import (
        Credentials,
        InstanceError,
        from_environment,
        from_netrc,
        parse_instance,
    )

    def fail(message: str) -> typer.Exit:
        stderr().print(f"loganalyzer: error: {message}", markup=False, highlight=False)
        return typer.Exit(EXIT_ERROR)

    if token_env and (user_env or password_env):
        raise fail("give --token-env, or --user-env with a password variable, not both")
    if bool(user_env) != bool(password_env):
        raise fail("--user-env and the password variable go together")
    try:
        if token_env or user_env:
            return from_environment(user_env, password_env, token_env)
        _, host, _ = parse_instance(url)
        found = from_netrc(host)
    except InstanceError as exc:
        raise fail(str(exc)) from None
    if found is not None or not (prompt and sys.stdin.isatty()):
        return found
    user = str(typer.prompt(f"User name on {host}", err=True))
    secret = str(typer.prompt(f"Password of {user} on {host}", hide_input=True, err=True))
    return Credentials("basic", user=user, secret=secret, source="the prompt")


def emit(check: SelfCheck, format: ReportFormat, fail_on: FailOn, output: Path | None = None,
         redact: bool = False) -> None:
    """Write the report with ``analyze``'s reporters, and exit with analyze's policy.

    The report goes to ``output`` or stdout, the unread inputs to stderr.
    """
    from loganalyzer.reporters.setup import document

    doc = document(check)
    problems = check.problems + emit_document(doc, format.value, output, redact)
    report_problems(problems, stderr(), redact, doc)
    failed = problems_exit(problems)
    if failed is not None:
        raise typer.Exit(failed)
    code = findings_exit((d.severity for d in check.diagnoses), fail_on)
    if code == EXIT_OK and doc["verdict"] in ("inconclusive", "no-evidence"):
        raise typer.Exit(EXIT_NO_EVIDENCE)  # unknown is not clean, as with analyze
    raise typer.Exit(code)


@app.command("self-check")
def self_check(
    logs: list[str] = typer.Option([], "--logs", help="Log files, folders or archives (repeat)."),
    certs: list[str] = typer.Option([], "--certs",
                                    help="Certificate / key files: PEM, DER, PKCS#12 (repeat)."),
    config: str | None = typer.Option(None, "--config", help="The MID Server's config.xml."),
    instance: str | None = typer.Option(None, "--instance",
                                        help="https://INSTANCE to probe live."),
    proxy: str | None = PROXY_OPTION,
    ca_bundle: str | None = CA_BUNDLE_OPTION,
    password_env: str | None = PASSWORD_ENV_OPTION,
    user_env: str | None = USER_ENV_OPTION,
    instance_password_env: str | None = INSTANCE_PASSWORD_ENV_OPTION,
    token_env: str | None = TOKEN_ENV_OPTION,
    mid_name: str | None = MID_NAME_OPTION,
    timeout: float = TIMEOUT_OPTION,
    format: ReportFormat = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
    fail_on: FailOn = FAIL_ON_OPTION,
    redact: bool = REDACT_OPTION,
) -> None:
    """Run every check that has input (certificates, config.xml, instance, logs): one report.

    The checks read the certificate files, config.xml, the instance's TLS
    endpoint, and the logs, and cross-check the client certificate's issuer
    chain against the CA names the logs or the probe show (ca-chain-incomplete,
    naming the missing CA). The report is analyze's: one diagnosis per root
    cause, with the evidence of every part that found it.

    With credentials for the instance (--user-env and --instance-password-env,
    --token-env, or a ~/.netrc entry of its host), it also reads the instance's
    records with the Table API, as `loganalyzer instance` does.

    Exit codes: 0 nothing at or above --fail-on (default: warning) was found; 1
    at least one such finding; 2 usage error or an input that could not be read,
    after the others ran; 3 nothing found, but not clean either: the logs alone
    could not judge, or an instance record could not be checked.
    """
    from loganalyzer.selfcheck.combine import run

    if not (logs or certs or config or instance):
        stderr().print("loganalyzer: error: give at least one of --logs, --certs, --config, "
                       "--instance", markup=False, highlight=False)
        raise typer.Exit(EXIT_ERROR)
    through = proxy_address(proxy)
    password, ask = passwords(password_env)
    # the instance's records, when credentials are given (or ~/.netrc has the host)
    if (user_env or instance_password_env or token_env) and not instance:
        stderr().print("loganalyzer: error: --user-env and --token-env need --instance",
                       markup=False, highlight=False)
        raise typer.Exit(EXIT_ERROR)
    credentials = table_api_credentials(instance, user_env, instance_password_env, token_env,
                                        prompt=False) if instance else None
    check = run(logs=logs, cert_files=certs, config=config, instance=instance,
                password=password, ask=ask, timeout=timeout, proxy=through, ca_bundle=ca_bundle,
                records=instance if credentials is not None else None, credentials=credentials,
                mid_name=mid_name)
    emit(check, format, fail_on, output, redact)
