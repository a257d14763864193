"""Finds the data folders (``grammars/``, ``rules/``) in a checkout or in an installed wheel."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """The folder ``name`` ships in: ``LOGANALYZER_<NAME>_DIR``, the wheel copy, or the checkout.

    The wheel copy (``loganalyzer/_data/<name>``) wins over the checkout so that an installed
    tool never reads a stray folder of the same name.
    """
    override = os.environ.get(f"LOGANALYZER_{name.upper()}_DIR")
    if override:
        return Path(override)
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name}/ folder is missing from this installation")


def cache_dir() -> Path:
    """Where loganalyzer keeps what it can rebuild (parser tables).

    ``LOGANALYZER_CACHE_DIR``, else ``$XDG_CACHE_HOME/loganalyzer`` or ``~/.cache/loganalyzer``.
    Never the temp folder, so a run writes nothing there (the scan's promise).
    """
    own = os.environ.get("LOGANALYZER_CACHE_DIR")
    if own:
        return Path(own)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "loganalyzer"
