"""Loads the Lark grammars in ``grammars/``: one file per log dialect, LALR, contextual lexer.

Parsers are built once per process and per (grammar, transformer) and cached on disk by Lark,
so start-up stays in milliseconds. Grammars are only ever applied to small record bodies.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from lark import Lark, Transformer
from lark import __version__ as lark_version
from lark.exceptions import LarkError

from loganalyzer.errors import GrammarError, Location
from loganalyzer.resources import cache_dir, data_dir


@cache
def grammar_text(name: str) -> str:
    """The text of ``grammars/<name>.lark``."""
    path = data_dir("grammars") / f"{name}.lark"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GrammarError(f"cannot read grammar: {exc.strerror}", Location(str(path))) from exc


def _cache_file(name: str, transformer: type[Transformer[Any, Any]] | None) -> str | bool:
    """Lark's cache of the built parser, kept with our other caches; False when it cannot be.

    Lark's default is the temp folder, where a run must write nothing. No cache when our folder
    cannot be made.
    """
    folder = cache_dir() / f"lark-{lark_version}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    digest = hashlib.sha256(grammar_text(name).encode()).hexdigest()[:16]
    return str(folder / f"{name}-{transformer.__name__ if transformer else 'tree'}-{digest}.cache")


@cache
def parser(
    name: str, transformer: type[Transformer[Any, Any]] | None = None, strict: bool = False
) -> Lark:
    """An LALR parser for ``grammars/<name>.lark``; with a transformer, parsing builds no tree."""
    try:
        return Lark(
            grammar_text(name),
            parser="lalr",
            lexer="contextual",
            transformer=transformer() if transformer else None,
            cache=False if strict else _cache_file(name, transformer),
            strict=strict,
            maybe_placeholders=False,
        )
    except LarkError as exc:
        where = Location(str(data_dir("grammars") / f"{name}.lark"))
        raise GrammarError(f"invalid grammar: {exc}", where) from exc
