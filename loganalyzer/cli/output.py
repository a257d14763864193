"""Where the CLI writes: payload to stdout, messages and progress to stderr."""

from __future__ import annotations

import os
import sys

from rich.console import Console


def stdout() -> Console:
    return Console(no_color=bool(os.environ.get("NO_COLOR")) or None, soft_wrap=False)


def stderr() -> Console:
    return Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")) or None)


def write_json(document: object) -> None:
    import json

    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def report_problems(problems, console: Console) -> None:
    """One line per problem, naming file and line, on stderr."""
    from rich.text import Text

    for p in problems:
        style = "red" if p.kind == "input" else "yellow"
        # Text, not markup: a path may hold "[" and must print as it is
        console.print(Text.assemble((p.kind, style), f": {p}"), highlight=False, soft_wrap=True)
