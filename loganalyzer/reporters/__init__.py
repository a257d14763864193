"""Reporters: turn readings and diagnoses into text, JSON, Markdown or HTML. No analysis here.

Each section that renders text taken from a log (a diagnosis, a timeline) is drawn behind a
fault boundary (:func:`section`): a bug there costs that section, shown as a one-line
placeholder, and an ``internal`` problem; the rest of the report is still written.

Also holds ``redaction``, a document-to-document step after diagnosis. Reporters may import
every stage up to ``batch`` and ``selfcheck`` (they render what those produce), never ``api`` or
``cli``; this ``__init__`` imports only ``errors``, so importing a reporter stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from loganalyzer.errors import Location, Problem, debug_enabled, internal_problem

T = TypeVar("T")


def section(
    problems: list[Problem] | None,
    where: str,
    origin: str,
    draw: Callable[[], T],
    fallback: Callable[[str], T],
) -> T:
    """``draw()``, or when it raises, ``fallback(message)`` and an internal problem."""
    try:
        return draw()
    except Exception as exc:  # noqa: BLE001 - one section's bug must not cost the report
        if debug_enabled():
            raise
        problem = internal_problem(Location(where), f"the report section {origin}", exc)
        if problems is not None:
            problems.append(problem)
        return fallback(f"[{origin} could not be shown: {problem.message}]")


def internal_problems(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's ``internal`` problems: bugs contained while it was made."""
    return [p for p in doc.get("problems", []) if p.get("kind") == "internal"]
