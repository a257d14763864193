"""Command-line layer: parses options, calls the library, hands results to a reporter.

The last stage: it may import everything. Commands import the stage they run inside the command
function, so ``--version`` stays fast and ``analyze`` never loads pandas.

Exit codes (also in the README):
    0  no error or warning diagnosed
    1  at least one diagnosis at or above the ``--fail-on`` severity
    2  usage error, unreadable input, a broken rule file, or an internal problem (a bug that
       was contained: the rest of the report was still written)
    3  not clean and not diagnosed: nothing was logged to judge, or handshakes were logged but
       none completed and no rule names a cause
"""

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
EXIT_NO_EVIDENCE = 3

from collections.abc import Iterable  # noqa: E402
from enum import Enum  # noqa: E402


class ReportFormat(str, Enum):
    """``--format`` of every command that writes a report."""

    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


class FailOn(str, Enum):
    """``--fail-on``: the lowest severity that makes the exit code 1."""

    error = "error"
    warning = "warning"
    never = "never"


from loganalyzer.errors import Problem  # noqa: E402
from loganalyzer.vocabulary import Severity, severity_rank  # noqa: E402 (--min-severity)

__all__ = ["EXIT_ERROR", "EXIT_FINDINGS", "EXIT_NO_EVIDENCE", "EXIT_OK", "FailOn", "ReportFormat",
           "Severity", "findings_exit", "problems_exit", "severity_rank"]


def findings_exit(severities: Iterable[str], fail_on: FailOn) -> int:
    """EXIT_FINDINGS when any severity reaches ``fail_on``, else EXIT_OK (``never``: always OK)."""
    if fail_on is FailOn.never:
        return EXIT_OK
    threshold = Severity(fail_on.value).rank
    reached = any(severity_rank(s) >= threshold for s in severities)
    return EXIT_FINDINGS if reached else EXIT_OK


def problems_exit(problems: Iterable[Problem]) -> int | None:
    """EXIT_ERROR when an input could not be read or a bug was contained; None otherwise."""
    return EXIT_ERROR if any(p.kind in ("input", "internal") for p in problems) else None
