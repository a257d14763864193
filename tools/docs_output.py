"""What the doc generators share: write a generated file, or with --check say it is stale."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(text: str, output: Path, check: bool, command: str) -> int:
    """Write ``text`` to ``output`` (exit code 0), or with ``check`` compare them: 0 when equal,
    1 (and the ``command`` that regenerates it on stderr) when the file is stale."""
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            print(f"{output} is stale: run `{command}`", file=sys.stderr)
            return 1
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}")
    return 0
