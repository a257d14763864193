"""The root ``loganalyzer`` command; each subcommand lives in its own module."""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
from collections.abc import Iterator
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from loganalyzer import __version__
from loganalyzer.cli import EXIT_ERROR
from loganalyzer.cli.codecache import cached_dataclass_code
from loganalyzer.errors import DEBUG_ENV, LogAnalyzerError, debug_enabled

# ---------------------------------------------------------------------------------------------
# Help as a person reads it: plain metavars as click writes them (TEXT, INTEGER, PATH,
# [text|json]) instead of <str>, <bool> and <list[str]>, PATHS... in the usage line instead of
# {paths}..., and, piped, no line padded with spaces. (The click that typer bundles is private,
# so the parameters are typed Any here.)

_PLAIN_TYPES = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "bool": "BOOLEAN",
                "path": "PATH", "Path": "PATH", "datetime": "DATETIME"}


def plain_metavar(typed: str) -> str:
    """Typer's type label as click's metavar: ``<int range>`` INTEGER, ``<a|b>`` [a|b]."""
    label = typed.removeprefix("<").removesuffix(">").removesuffix(" range")
    if label.startswith("list[") and label.endswith("]"):
        label = label[5:-1]  # a repeatable option takes one value each time
    if "|" in label:
        return f"[{label}]"
    return _PLAIN_TYPES.get(label, label.upper())


class PlainArgument(TyperArgument):
    """An argument shown by its name in capitals: ``PATHS...`` (``[PATH]`` when optional)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None  # the name says it; typer would add <list[str]>

    def _usage_display_name(self) -> str:
        name = self.display_name_raw.removesuffix("...")
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")


def _plain(params: list[Any], ctx: Any) -> list[Any]:
    """The parameters with plain metavars; an option that takes no value shows none."""
    for param in params:
        if isinstance(param, TyperArgument):
            param.__class__ = PlainArgument
            if param.metavar is None:
                param.metavar = (param.name or "").upper() + ("..." if param.nargs != 1 else "")
        elif isinstance(param, TyperOption) and param.metavar is None:
            param.metavar = "" if param.is_flag else plain_metavar(param.display_type(ctx))
    return params


def _direct(params: list[Any]) -> list[Any]:
    """The parameters, converting plain values without pydantic (see cli/coercion.py)."""
    try:
        from loganalyzer.cli.coercion import install
    except ImportError:  # a typer without those internals converts every value itself
        return params
    install(params)
    return params


@contextlib.contextmanager
def _unpadded() -> Iterator[None]:
    """Help written off a terminal loses the spaces rich pads its lines with."""
    if sys.stdout.isatty():
        yield
        return
    from loganalyzer.cli.output import Unpadded

    stream = Unpadded(sys.stdout)
    with contextlib.redirect_stdout(stream):
        yield
    stream.flush()


class _PlainHelp:
    """Help with plain metavars (see :func:`plain_metavar`) and no padding, for either class."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _direct(_plain(super().get_params(ctx), ctx))  # type: ignore[misc]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with _unpadded():
            super().format_help(ctx, formatter)  # type: ignore[misc]


class PlainCommand(_PlainHelp, TyperCommand):
    """A subcommand whose help shows plain metavars."""


class PlainGroup(_PlainHelp, TyperGroup):
    """A command with subcommands whose help shows plain metavars."""


def plain_help(typer_app: typer.Typer) -> None:
    """Give every command of ``typer_app`` (and of its sub-apps) the plain help."""
    for info in typer_app.registered_commands:
        if info.cls in (None, TyperCommand):  # the default; a command's own class stays
            info.cls = PlainCommand
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            plain_help(group.typer_instance)


app = typer.Typer(
    name="loganalyzer",
    help="Explain why mutual TLS between a ServiceNow MID Server and its instance fails.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    cls=PlainGroup,
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


def _command(args: list[str]) -> str:
    """The subcommand ``args`` name, or "" (none, or one not known)."""
    name = next((a for a in args if not a.startswith("-")), "")
    return name if name in _COMMANDS else ""


def _register(args: list[str]) -> None:
    """Attach the subcommand ``args`` name, or all of them; imported here so start-up is fast."""
    import importlib

    name = _command(args)
    if name and "--help" not in args:
        importlib.import_module(f"loganalyzer.cli.{_COMMANDS[name]}")  # registers on import
    else:
        from loganalyzer.cli import commands  # noqa: F401  (registers on import)
    plain_help(app)


# At exit the collector walks every object the run made (the modules, classes and parsers of
# the start-up above all), twice, only to free memory the process gives back anyway: frozen,
# they are skipped, which is a tenth of a small log's run. atexit, not main(): callers that run
# main() in their own process (the tests) keep their collector.
atexit.register(gc.freeze)


def main() -> None:
    """Console-script entry point: one funnel turns library errors into one line and exit 2."""
    # the modules a command imports make their dataclasses faster
    with cached_dataclass_code(_command(sys.argv[1:]) or "other"):
        _main()


def _main() -> None:
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
