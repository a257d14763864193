"""Data flows one way through the stage packages: no import cycle, no import against the flow.

Every module of ``loganalyzer`` is read with ``ast`` (imports at module level, inside functions
and under ``TYPE_CHECKING`` alike; relative imports resolved) and each import is checked against
``FLOW``. A stage may import itself and the stages before it. Siblings (same rank) may not import
each other.

The order, and why it is not quite ingest -> jsse -> mid -> analysis -> ruleset:
- base (``errors``, ``vocabulary``, ``resources``, the package ``__init__``) is below everything;
- ``ingest`` owns the record model and ``Thread``, so the scanner never names a dialect;
- ``ruleset`` comes after ``analysis`` because rules are typed against ``analysis.facts``;
  ``analysis.diagnoses`` takes the rules as a parameter instead of importing them;
- ``batch`` and ``selfcheck`` both run analysis with rules, and neither uses the other;
- ``reporters`` render what any stage produced; ``api`` composes stages; ``cli`` sits on
  top, and ``__main__`` only starts it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "loganalyzer"

FLOW: tuple[tuple[str, ...], ...] = (
    ("", "errors", "vocabulary", "resources"),
    ("ingest",),
    ("jsse",),
    ("mid",),
    ("analysis",),
    ("ruleset",),
    ("batch", "selfcheck"),
    ("reporters",),
    ("api",),
    ("cli",),
    ("__main__",),
)


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(root: Path, path: Path) -> list[tuple[str, int]]:
    """Every module ``path`` imports, with its line: ``import a.b``, ``from a import b`` (a.b
    when b is a module, else a), relative forms resolved against the file's package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = _module_name(root, path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, node.lineno))
            found.extend((f"{target}.{alias.name}", node.lineno) for alias in node.names
                         if _is_module(root, f"{target}.{alias.name}"))
    return found


def _is_module(root: Path, dotted: str) -> bool:
    parts = dotted.split(".")
    if parts[0] != root.name:
        return False
    rel = root.parent.joinpath(*parts)
    return rel.with_suffix(".py").is_file() or (rel / "__init__.py").is_file()


def _stage(root: Path, dotted: str) -> str | None:
    """The stage a module of the package belongs to (``""`` for the package itself)."""
    parts = dotted.split(".")
    if parts[0] != root.name:
        return None  # outside the package: stdlib or third party
    return parts[1] if len(parts) > 1 else ""


def check(root: Path, flow: tuple[tuple[str, ...], ...] = FLOW) -> list[str]:
    """Violations in package ``root``: imports against ``flow`` and cycles between stages."""
    rank = {stage: i for i, group in enumerate(flow) for stage in group}
    base = set(flow[0])  # one stage: its modules may import each other
    problems: list[str] = []
    edges: dict[str, dict[str, str]] = {}
    for path in sorted(root.rglob("*.py")):
        me = _stage(root, _module_name(root, path))
        me = "" if me in base else me
        if me not in rank:
            problems.append(f"{path}: stage {me!r} is not in the declared flow")
            continue
        for target, line in _imports(root, path):
            other = _stage(root, target)
            other = "" if other in base else other
            if other is None or other == me:
                continue
            where = f"{path.relative_to(root.parent)}:{line}"
            edges.setdefault(me, {}).setdefault(other, where)
            if other not in rank:
                problems.append(f"{where}: imports {target}, whose stage {other!r} is not in the flow")
            elif rank[other] >= rank[me]:
                how = "a sibling" if rank[other] == rank[me] else "a later stage"
                problems.append(f"{where}: {me or 'base'} imports {target} ({how})")
    problems.extend(_cycles(edges))
    return problems


def _cycles(edges: dict[str, dict[str, str]]) -> list[str]:
    """Each cycle between stages, once, with the file:line of every edge on it."""
    found: list[str] = []
    seen: set[frozenset[str]] = set()

    def walk(node: str, stack: list[str]) -> None:
        for nxt in edges.get(node, {}):
            if nxt in stack:
                ring = stack[stack.index(nxt):] + [nxt]
                if frozenset(ring) not in seen:
                    seen.add(frozenset(ring))
                    hops = ", ".join(f"{a or 'base'} -> {b or 'base'} ({edges[a][b]})"
                                     for a, b in zip(ring, ring[1:]))
                    found.append(f"import cycle: {hops}")
            elif len(stack) < len(edges) + 1:
                walk(nxt, stack + [nxt])

    for start in sorted(edges):
        walk(start, [start])
    return found


def test_imports_follow_the_flow() -> None:
    problems = check(PACKAGE)
    assert not problems, "\n".join(problems)


def test_every_stage_is_a_package_with_a_docstring() -> None:
    """The tree shows the pipeline: each stage package says what it holds and may import."""
    for group in FLOW[1:]:
        for stage in group:
            if stage in ("api", "__main__"):
                assert (PACKAGE / f"{stage}.py").is_file()
                continue
            init = PACKAGE / stage / "__init__.py"
            doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
            assert doc and "import" in doc, f"{init}: the docstring must say what it may import"
    flat = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert flat == ["__init__", "__main__", "api", "errors", "resources", "vocabulary"], flat


def _package(tmp: Path, files: dict[str, str]) -> Path:
    root = tmp / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


FLOW_ABC = (("",), ("a",), ("b",), ("c",))


def test_the_checker_accepts_a_clean_package(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "a/__init__.py": "", "a/x.py": "import os\n",
        "b/__init__.py": "", "b/y.py": "from pkg.a import x\nfrom . import z\n", "b/z.py": "",
        "c/__init__.py": "", "c/w.py": "def f():\n    from ..b.y import g\n",
    })
    assert check(root, FLOW_ABC) == []


@pytest.mark.parametrize(("files", "wanted"), [
    # a module-level import of a later stage
    ({"a/x.py": "import pkg.b.y\n", "b/y.py": ""}, "pkg/a/x.py:1: a imports pkg.b.y (a later stage)"),
    # a function-level, relative one
    ({"a/x.py": "def f():\n    from ..c import w\n", "c/w.py": ""},
     "pkg/a/x.py:2: a imports pkg.c.w (a later stage)"),
    # one hidden under TYPE_CHECKING
    ({"b/y.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.c.w import W\n",
      "c/w.py": ""}, "pkg/b/y.py:3: b imports pkg.c.w (a later stage)"),
    # base reaching up
    ({"util.py": "from pkg import a\n", "a/x.py": ""}, "pkg/util.py:1: base imports pkg.a (a later stage)"),
])
def test_the_checker_finds_a_planted_violation(tmp_path: Path, files: dict[str, str],
                                               wanted: str) -> None:
    files = {"a/__init__.py": "", "b/__init__.py": "", "c/__init__.py": "", **files}
    flow = (("", "util"), ("a",), ("b",), ("c",))
    assert wanted in check(_package(tmp_path, files), flow)


def test_the_checker_finds_a_cycle(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "a/__init__.py": "", "a/x.py": "from pkg.b import y\n",
        "b/__init__.py": "", "b/y.py": "from pkg.a.x import X\n",
    })
    problems = check(root, (("",), ("a", "b")))  # siblings: both imports are against the flow
    assert "pkg/a/x.py:1: a imports pkg.b.y (a sibling)" in problems
    assert any(p.startswith("import cycle: a -> b (pkg/a/x.py:1), b -> a (pkg/b/y.py:1)")
               for p in problems), problems
