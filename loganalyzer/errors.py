"""Errors the library raises. Each names where it happened, so the CLI can say file and line."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from types import ModuleType
from typing import Literal


@dataclass(frozen=True, slots=True)
class Location:
    """A place in an input: a path (``archive.zip!member`` inside archives) and a 1-based line."""

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class LogAnalyzerError(Exception):
    """Base class: a problem the user can act on, never a bug report."""

    def __init__(self, message: str, where: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class InputError(LogAnalyzerError):
    """An input could not be read (missing, unreadable, a directory, binary, broken archive)."""


class RuleLoadError(LogAnalyzerError):
    """A rule file is malformed; ``where`` names the file, the message names the field."""


class GrammarError(LogAnalyzerError):
    """A grammar file in ``grammars/`` could not be loaded."""


class ProblemKind(str, Enum):
    """What went wrong with a piece of input; a str, so ``kind == "input"`` reads as before.

    ``input``: a file or archive member could not be read (exit code 2). ``skipped``: not a
    log. ``unparsed``: a record no grammar accepted (the rest of the file is still analysed).
    ``notice``: read, but not whole (an overlong line was cut). ``internal``: a bug in
    loganalyzer, contained at a fault boundary; the record, rule or part is skipped, the rest
    is analysed and reported, and the command exits 2.
    """

    input = "input"
    skipped = "skipped"
    unparsed = "unparsed"
    notice = "notice"
    internal = "internal"

    def __str__(self) -> str:
        return self.value


KindName = Literal["input", "skipped", "unparsed", "notice", "internal"]
"""A :class:`ProblemKind` by its value, as callers may write it."""


@dataclass(frozen=True, slots=True, init=False)
class Problem:
    """Something in the input that was skipped or cut short: reported, never fatal."""

    where: Location
    message: str
    kind: ProblemKind

    def __init__(
        self, where: Location, message: str, kind: ProblemKind | KindName = ProblemKind.input
    ) -> None:
        # frozen: the fields are set as the generated __init__ sets them; a plain string becomes
        # the member, so ``kind`` is always a ProblemKind
        object.__setattr__(self, "where", where)
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "kind", ProblemKind(kind))

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


# ----------------------------------------------------------------------------- fault boundaries

DEBUG_ENV = "LOGANALYZER_DEBUG"


def debug_enabled() -> bool:
    """``--debug`` or ``LOGANALYZER_DEBUG=1``: let contained exceptions escape, for developers."""
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def internal_problem(where: Location, origin: str, exc: BaseException) -> Problem:
    """The one-line report of an exception caught at a fault boundary."""
    detail = " ".join(str(exc).split())[:200]
    what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return Problem(
        where,
        f"internal error in {origin}: {what} (a bug in loganalyzer: please report this line; "
        "this part was skipped, everything else was analysed)",
        ProblemKind.internal,
    )


@contextmanager
def boundary(problems: list[Problem], where: Location, origin: str) -> Iterator[None]:
    """Contain an exception of one record, rule, check or report section.

    It becomes an ``internal`` problem at ``where`` and the caller goes on with the next one.
    """
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - the whole point: one bug costs one piece
        if debug_enabled():
            raise
        problems.append(internal_problem(where, origin, exc))


class MissingDependency(LogAnalyzerError):
    """A package a command needs is not installed; the message gives the exact install command."""


def require(module: str, package: str, extra: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependency` naming the ``pip install`` to run.

    Commands import their heavier packages lazily (``analyze`` never loads pandas), so this is
    where a broken or partial install shows: as one line, never as ``internal error``.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        command = f"pip install 'loganalyzer[{extra}]'" if extra else f"pip install '{package}'"
        raise MissingDependency(
            f"this needs the Python package {package}, which is not installed ({exc}); "
            f"install it with: {command}"
        ) from exc
