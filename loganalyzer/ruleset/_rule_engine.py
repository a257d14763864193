"""Imports rule-engine with its parser tables taken from a cache.

rule-engine builds the LALR tables of its expression language (with PLY) every time it is
imported, which costs 0.4-0.6 s of every ``loganalyzer`` start. PLY can read those tables
from a generated module instead, and checks the module's signature against the grammar, so a
stale table is never used. The module is written once per grammar into the user's cache folder;
when that fails (read-only home, another PLY), the import simply costs its time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from loganalyzer.resources import cache_dir

_TABLES = "rule_engine.parser.parsetab"


def _cache_dir() -> Path | None:
    """The tables' folder, named by a hash of rule-engine's grammar and of the PLY it vendors.

    Read from the files, not from the package's version: importlib.metadata alone would cost
    a twentieth of a second of every start.
    """
    spec = importlib.util.find_spec("rule_engine")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    digest = hashlib.sha256()
    try:
        for source in sorted([*package.glob("parser/*.py"), *package.glob("_vendor/ply/*.py")]):
            digest.update(source.name.encode() + b"\0" + source.read_bytes())
    except OSError:
        return None
    return cache_dir() / f"rule-engine-{digest.hexdigest()[:16]}"


def _preload(tables: Path) -> bool:
    """Register the cached table module under the name PLY imports; False when there is none."""
    if not tables.is_file():
        return False
    try:
        spec = importlib.util.spec_from_file_location(_TABLES, tables)
        if spec is None or spec.loader is None:
            return False
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception:  # a broken cache file is rebuilt below
        return False
    sys.modules[_TABLES] = module
    return True


def _write(folder: Path, engine: ModuleType) -> None:
    """Generate the table module with PLY itself, into a temporary folder, then move it in place."""
    from rule_engine._vendor.ply import yacc

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        yacc.yacc(module=engine.Rule.parser, debug=False, write_tables=True, outputdir=tmp,
                  tabmodule="parsetab", errorlog=yacc.NullLogger())
        os.replace(Path(tmp) / "parsetab.py", folder / "parsetab.py")


def _import() -> Any:  # the rule_engine module, which ships no types
    folder = _cache_dir()
    cached = folder is not None and _preload(folder / "parsetab.py")
    import rule_engine

    if folder is not None and not cached:
        try:
            _write(folder, rule_engine)
        except Exception:  # noqa: S110  (a cache is an optimisation; never fail for it)
            pass
    return rule_engine


rule_engine = _import()
