"""Snapshot files: compare a rendering with its file, or rewrite the file on request."""

from __future__ import annotations

import os
from pathlib import Path


def check_snapshot(path: Path, got: str) -> None:
    """``got`` must equal ``path``'s text; with ``UPDATE_SNAPSHOTS=1`` it becomes that text."""
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path.name}: run UPDATE_SNAPSHOTS=1 python -m pytest"
    assert got == path.read_text(encoding="utf-8"), (
        f"{path.name} differs; if the change is meant, UPDATE_SNAPSHOTS=1 and review the diff")
