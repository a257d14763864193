"""The root ``loganalyzer`` command; each subcommand lives in its own module."""

from __future__ import annotations

import os
import sys

import typer

from loganalyzer import __version__
from loganalyzer.cli import EXIT_ERROR
from loganalyzer.errors import DEBUG_ENV, LogAnalyzerError, debug_enabled

app = typer.Typer(
    name="loganalyzer",
    help="Explain why mutual TLS between a ServiceNow MID Server and its instance fails.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"loganalyzer {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", help="Show the version and exit.", callback=_version, is_eager=True
    ),
    debug: bool = typer.Option(
        False,
        "--debug",
        help="For developers: let a contained bug (an internal problem) raise with its traceback "
        "instead of skipping the record, rule or section (also LOGANALYZER_DEBUG=1).",
    ),
) -> None:
    """Read MID Server wrapper.log files and say why certificate-based authentication fails."""
    if debug:
        os.environ[DEBUG_ENV] = "1"  # read by every fault boundary, in workers too


# The module of each subcommand: a run imports only the one it runs (the others cost a tenth
# of a second of start-up); help and a name not listed here import them all (commands.py).
_COMMANDS = {"analyze": "analyze", "certs": "certs", "config": "config", "explain": "explain",
             "instance": "instance", "parse": "parse", "probe": "probe", "rules": "rules",
             "scan": "scan", "self-check": "selfcheck"}


def _register(args: list[str]) -> None:
    """Attach the subcommand ``args`` name, or all of them; imported here so start-up is fast."""
    import importlib

    name = next((a for a in args if not a.startswith("-")), "")
    if name in _COMMANDS and "--help" not in args:
        importlib.import_module(f"loganalyzer.cli.{_COMMANDS[name]}")  # registers on import
    else:
        from loganalyzer.cli import commands  # noqa: F401  (registers on import)


def main() -> None:
    """Console-script entry point: one funnel turns library errors into one line and exit 2."""
    _register(sys.argv[1:])
    try:
        # Without standalone mode click returns the code of a typer.Exit instead of exiting.
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except LogAnalyzerError as exc:
        typer.echo(f"loganalyzer: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("loganalyzer: aborted", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        typer.echo("loganalyzer: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        # Usage errors come from typer's click layer; they know how to show themselves.
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):
            show()
            sys.exit(EXIT_ERROR)
        if debug_enabled():
            raise
        typer.echo(f"loganalyzer: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_ERROR)
