"""cli/codecache.py: dataclasses made from cached code are the dataclasses Python makes itself."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import loganalyzer
from loganalyzer.cli import codecache

SOURCE = '''
import dataclasses
from typing import Optional


@dataclasses.dataclass(frozen=True, slots=True)
class Frozen:
    name: str
    count: int = 0
    tags: tuple[str, ...] = ()
    parent: Optional["Frozen"] = None


@dataclasses.dataclass(order=True)
class Plain:
    a: list[int] = dataclasses.field(default_factory=list)
    b: float = 1.5
    c: dataclasses.InitVar[int] = 3

    def __post_init__(self, c: int) -> None:
        self.b += c
'''


def _classes() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "made"}
    sys.modules["made"] = type(sys)("made")
    try:
        exec(compile(SOURCE, "made.py", "exec", dont_inherit=True), namespace)  # noqa: S102 - the source above
    finally:
        del sys.modules["made"]
    return namespace


def _methods(cls: type) -> dict[str, tuple[Any, ...]]:
    """Each method dataclasses wrote, by what makes it that method: code, annotations, defaults."""
    out = {}
    for name in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__",
                 "__lt__", "__ge__"):
        function = getattr(cls.__dict__.get(name), "__wrapped__", cls.__dict__.get(name))
        if callable(function) and hasattr(function, "__code__"):
            code = function.__code__
            out[name] = (code.co_code, code.co_consts, code.co_names, code.co_varnames,
                         code.co_freevars, code.co_filename, code.co_flags, function.__qualname__,
                         {k: repr(v) for k, v in function.__annotations__.items()},
                         function.__defaults__, function.__kwdefaults__)
    return out


def test_cached_code_makes_the_same_classes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LOGANALYZER_CACHE_DIR", str(tmp_path))
    plain = _classes()
    with codecache.cached_dataclass_code("test"):  # compiles, and writes the cache
        first = _classes()
    assert "exec" not in vars(dataclasses)  # given back on leaving
    written = codecache._read(codecache._cache_file("test"))
    assert len(written) >= 8
    compiled = []
    monkeypatch.setattr(codecache, "compile",
                        lambda *a, **k: compiled.append(a) or compile(*a, **k), raising=False)
    with codecache.cached_dataclass_code("test"):  # everything from the cache
        second = _classes()
    assert compiled == []
    for name in ("Frozen", "Plain"):
        assert _methods(plain[name]) == _methods(first[name]) == _methods(second[name]), name
        assert len(_methods(plain[name])) >= 3
    # and they behave as Python's: repr, equality, hashing, frozenness, __post_init__
    for made in (plain, second):
        one = made["Frozen"]("x", 2, ("a",))
        assert repr(one) == "Frozen(name='x', count=2, tags=('a',), parent=None)"
        assert one == made["Frozen"]("x", 2, ("a",)) and hash(one) == hash(made["Frozen"]("x", 2,
                                                                                          ("a",)))
        with pytest.raises(dataclasses.FrozenInstanceError):
            one.name = "y"
        assert made["Plain"]([1]).b == 4.5 and made["Plain"]() < made["Plain"]([1])


def test_a_broken_or_unwritable_cache_costs_only_the_compile(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LOGANALYZER_CACHE_DIR", str(tmp_path))
    path = codecache._cache_file("test")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00not marshal")
    with codecache.cached_dataclass_code("test"):
        made = _classes()
    assert _methods(made["Frozen"]) == _methods(_classes()["Frozen"])
    assert len(codecache._read(path)) >= 8  # written again
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("LOGANALYZER_CACHE_DIR", str(blocker))
    with codecache.cached_dataclass_code("test"):
        made = _classes()
    assert _methods(made["Plain"]) == _methods(_classes()["Plain"])


def test_the_cache_stays_bounded(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LOGANALYZER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(codecache, "MAX_ENTRIES", 5)
    path = codecache._cache_file("test")
    with codecache.cached_dataclass_code("test"):
        _classes()
    assert len(codecache._read(path)) >= 8  # this run's, though more than the bound
    codes = codecache._read(path)
    codes.update({f"# {n}": compile("pass", "<string>", "exec") for n in range(10)})
    codecache._write(path, codes)
    with codecache.cached_dataclass_code("test"):  # finds nothing new: the file is left alone
        _classes()
    assert len(codecache._read(path)) == len(codes)


def test_every_dataclass_of_the_package_is_made_alike(tmp_path: Path) -> None:
    """Import every module twice in fresh processes, with the cache filled and without it."""
    code = (
        "import dataclasses, importlib, pkgutil, sys, loganalyzer\n"
        "from loganalyzer.cli import codecache\n"
        "def run():\n"
        "    for m in pkgutil.walk_packages(loganalyzer.__path__, 'loganalyzer.'):\n"
        "        if not m.name.endswith('__main__'):\n"
        "            importlib.import_module(m.name)\n"
        "if sys.argv[1] == 'cached':\n"
        "    with codecache.cached_dataclass_code('test'):\n"
        "        run()\n"
        "else:\n"
        "    run()\n"
        "out = []\n"
        "for name, module in sorted(sys.modules.items()):\n"
        "    for cls in list(vars(module).values()):\n"
        "        if isinstance(cls, type) and dataclasses.is_dataclass(cls) \\\n"
        "                and cls.__module__ == name and name.startswith('loganalyzer'):\n"
        "            for m in ('__init__', '__repr__', '__eq__', '__hash__', '__setattr__'):\n"
        "                f = cls.__dict__.get(m)\n"
        "                if hasattr(f, '__code__'):\n"
        "                    c = f.__code__\n"
        "                    out.append(repr((name, cls.__qualname__, m, c.co_code, c.co_consts,\n"
        "                                     c.co_names, c.co_flags, c.co_filename,\n"
        "                                     sorted(map(repr, f.__annotations__.items())))))\n"
        "print(len(out)); print('\\n'.join(out))\n"
    )
    env = {"LOGANALYZER_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def made(kind: str) -> list[str]:
        done = subprocess.run([sys.executable, "-c", code, kind], capture_output=True, text=True,
                              env=env, check=True, cwd=Path(loganalyzer.__file__).parent.parent)
        return done.stdout.splitlines()

    fill = made("cached")
    assert list(tmp_path.glob("dataclass-code/test-*"))
    cached, plain = made("cached"), made("plain")
    assert int(plain[0]) > 150
    assert cached == plain == fill


def test_analyze_keeps_its_code_and_reads_it_back(tmp_path: Path) -> None:
    """The CLI's first run writes the code of analyze's dataclasses; the next compiles none."""
    root = Path(loganalyzer.__file__).parent.parent
    env = {"LOGANALYZER_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin",
           "LOGANALYZER_PROGRESS": "never"}
    command = [sys.executable, "-m", "loganalyzer", "analyze",
               str(root / "sample_logs" / "jdk17-tls12-success-lptm"), "-f", "json"]
    first = subprocess.run(command, capture_output=True, text=True, env=env, cwd=root)
    (cache,) = tmp_path.glob("dataclass-code/analyze-*.marshal")
    written = cache.read_bytes()
    assert len(codecache._read(cache)) > 200
    second = subprocess.run(command, capture_output=True, text=True, env=env, cwd=root)
    assert cache.read_bytes() == written  # nothing new to keep
    assert first.returncode == second.returncode == 0 and first.stdout == second.stdout
