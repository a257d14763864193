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
