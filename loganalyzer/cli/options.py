"""Options several commands share, declared once so their names and help never drift apart."""

from __future__ import annotations

import typer

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
