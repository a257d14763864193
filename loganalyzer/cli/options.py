"""Options several commands share, declared once so their names and help never drift apart."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import typer

from loganalyzer.cli import EXIT_ERROR

SINCE_OPTION = typer.Option(
    None, "--since", metavar="WHEN",
    help="Only handshakes and MID log lines from WHEN on: a time as the log shows it, in its "
    "local time (2026-11-26 14:09:25), or a duration before the newest event read (30m, 2h, "
    "1d), so a log from last month works too.",
)
UNTIL_OPTION = typer.Option(
    None, "--until", metavar="WHEN", help="Only what was logged up to WHEN (as --since).",
)
LAST_JVM_OPTION = typer.Option(
    False, "--last-jvm", help="Only the newest JVM start of each MID Server (the wrapper's "
    "jvm N of its last handshake).",
)
SELECT_OPTION = typer.Option(
    [], "--select", metavar="RULES",
    help="Only these rules: ids (MTLS-020), id prefixes (MTLS-0) or root causes "
    "(ca-list-empty), comma-separated or repeated.",
)
IGNORE_OPTION = typer.Option(
    [], "--ignore", metavar="RULES",
    help="Leave these rules out (as --select; --ignore wins). A rule that gives way to one "
    "left out speaks again.",
)
TIMEOUT_OPTION = typer.Option(10.0, "--timeout", help="Seconds per network step.")
JOBS_OPTION = typer.Option(
    None, "--jobs", "-j", min=1, metavar="N",
    help="Processes for one plain log file of 256 MB or more (default: LOGANALYZER_JOBS, else "
    "every core; 1 reads in this process).",
)

PASSWORD_ENV_OPTION = typer.Option(
    None, "--password-env", metavar="VAR",
    help="Environment variable holding the password of PKCS#12 files and encrypted keys "
         "(otherwise asked for on a terminal).")


def passwords(
    password_env: str | None,
) -> tuple[bytes | None, Callable[[str], bytes | None] | None]:
    """(password, ask): from the named variable, or a hidden prompt when stdin is a terminal."""
    if password_env:
        value = os.environ.get(password_env)
        if value is None:
            from loganalyzer.cli.output import stderr

            stderr().print(f"loganalyzer: error: --password-env: the variable {password_env} "
                           "is not set", markup=False, highlight=False)
            raise typer.Exit(EXIT_ERROR)
        return value.encode(), None
    if not sys.stdin.isatty():
        return None, None

    def ask(what: str) -> bytes | None:
        return str(typer.prompt(f"Password of {what}", hide_input=True, default="",
                                show_default=False, err=True)).encode()

    return None, ask
