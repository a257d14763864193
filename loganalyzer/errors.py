"""Errors the library raises. Each names where it happened, so the CLI can say file and line."""

from __future__ import annotations

from dataclasses import dataclass


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


@dataclass(frozen=True, slots=True)
class Problem:
    """Something in the input that was skipped or cut short: reported, never fatal.

    ``kind`` is ``input`` (file or archive member unreadable: exit code 2), ``skipped`` (not a
    log), ``unparsed`` (a record no grammar accepted; the rest of the file is still analysed)
    or ``notice`` (read, but not whole: an overlong line was cut).
    """

    where: Location
    message: str
    kind: str = "input"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
