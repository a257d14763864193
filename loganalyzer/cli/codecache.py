"""The methods ``dataclasses`` writes, compiled once and then read from the user's cache folder.

``@dataclass`` writes the source of each class's ``__init__``, ``__repr__``, ``__eq__`` (and, when
frozen, ``__setattr__``, ``__delattr__`` and ``__hash__``) and compiles it with ``exec``: for the
75 dataclasses an ``analyze`` imports that was a tenth of its start-up. While a command runs,
:func:`cached_dataclass_code` gives the ``dataclasses`` module an ``exec`` of its own (a module
global, which its calls find before the builtin) that takes the code compiled from the same text
from a cache file and compiles only what it has not seen. The code is what the builtin would have
compiled from that text (the same file name, ``<string>``, and no ``__future__`` flags, as
``dataclasses`` has none), so the classes are the same. The file is named by the interpreter's
bytecode version; a missing, stale or broken file, or one that cannot be written, costs only the
compile.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import importlib.util
import marshal
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import CodeType
from typing import Any

#: More texts than the dataclasses one command imports write (analyze: some 330): past that the
#: file starts again with this run's, so it never grows without bound (nor costs its reading).
MAX_ENTRIES = 1000


def _cache_file(command: str) -> Path:
    """One file per command, so that each reads only the code of the dataclasses it makes."""
    from loganalyzer.resources import cache_dir

    tag = f"{sys.implementation.cache_tag}-{importlib.util.MAGIC_NUMBER.hex()}"
    return cache_dir() / "dataclass-code" / f"{command}-{tag}.marshal"


def _read(path: Path) -> dict[str, CodeType]:
    try:
        # loads of the bytes: marshal.load of the file reads it in small pieces, 13 ms slower
        codes = marshal.loads(path.read_bytes())  # noqa: S302 - the user's own cache
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(codes, dict):
        return {}
    return {k: v for k, v in codes.items() if isinstance(k, str) and isinstance(v, CodeType)}


def _write(path: Path, codes: dict[str, CodeType]) -> None:
    temporary = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as f:
            temporary = f.name
            marshal.dump(codes, f)
        os.replace(temporary, path)
    except OSError:  # a read-only home: every start compiles
        if temporary:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


class _CachedExec:
    """``exec`` for ``dataclasses``: source text is compiled once per text, then taken as code."""

    def __init__(self, codes: dict[str, CodeType]) -> None:
        self.codes = codes
        self.new: dict[str, CodeType] = {}

    def __call__(self, source: Any, globals: Any = None, locals: Any = None) -> None:
        if type(source) is str:
            code = self.codes.get(source)
            if code is None:
                # what exec(source) compiles in dataclasses, which has no __future__ import
                code = compile(source, "<string>", "exec", dont_inherit=True)
                self.codes[source] = self.new[source] = code
            source = code
        builtins.exec(source, globals, locals)


@contextlib.contextmanager
def cached_dataclass_code(command: str) -> Iterator[None]:
    """While it is open, dataclasses are made from cached code; new code is saved on leaving.

    ``command`` names the cache file (see :func:`_cache_file`). Does nothing where
    ``dataclasses`` already has an ``exec`` of its own (someone else's).
    """
    if "exec" in vars(dataclasses):
        yield
        return
    path = _cache_file(command)
    cached = _CachedExec(_read(path))
    dataclasses.exec = cached  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if vars(dataclasses).get("exec") is cached:
            del dataclasses.exec  # type: ignore[attr-defined]
        if cached.new:
            _write(path, cached.codes if len(cached.codes) <= MAX_ENTRIES else cached.new)
