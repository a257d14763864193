"""A rule's ``when`` as a plain Python function: a cached rule set needs no rule-engine.

Importing rule-engine and compiling the conditions cost a run on a small log a sixth of its time.
When the rule files are loaded (with rule-engine), each condition's syntax tree is translated
here into the source of a Python function; the rule cache keeps the module of all of them as
marshalled bytecode, and a later run loads that instead of importing rule-engine.

The translation covers the parts of the language the rules use (``and``, ``or``, ``not``,
``==``, ``!=``, ``<``, ``>``, ``<=``, ``>=``, ``in``, ``=~~``, ``=~``, literals, comprehensions,
``.length``) over facts of plain types (str, bool, int, None and lists of str). A condition
using anything else is not translated and stays with rule-engine. A translated function first
checks each fact it reads has the plain type rule-engine expects, for which the Python
operators give what rule-engine's do (rule-engine turns an int into a Decimal and a list into a
tuple, neither of which changes ``==``, ``<``, ``in`` or ``len``); with any other value, or any
exception, :class:`Condition` asks rule-engine, so an odd value is judged (or refused) exactly
as before. Rule text only ever reaches the generated source through ``repr`` of its literals.
"""

from __future__ import annotations

import keyword
import marshal
import re
from collections.abc import Callable
from types import CodeType
from typing import Any

#: The rule-engine rule a condition falls back on, compiled when first needed.
EngineRule = Callable[[], Any]


class Unsupported(Exception):
    """A part of the condition (or a fact type) the translation does not cover."""


class _Translator:
    """Translates one rule-engine expression tree into a Python expression over locals."""

    def __init__(self, rule_engine: Any) -> None:
        self.ast = rule_engine.ast
        self.types = rule_engine.types.DataType
        self.facts: dict[str, str] = {}  # fact name -> local variable
        self.guards: dict[str, str] = {}  # local variable -> its type check
        self.scopes: list[dict[str, str]] = []  # comprehension variable -> local variable
        self.counter = 0

    def local(self) -> str:
        self.counter += 1
        return f"_v{self.counter}"

    # -- types: the category of a value at run time (str, bool, num, array, none) -------------

    def category(self, dt: Any) -> tuple[str, bool]:
        """The category of a declared type, and whether it may be null."""
        types = self.types
        nullable = False
        if types.is_type(dt, types.NULLABLE):
            nullable, dt = True, dt.inner_type
        if dt == types.STRING:
            return "str", nullable
        if dt == types.BOOLEAN:
            return "bool", nullable
        if dt == types.FLOAT:
            return "num", nullable
        if dt == types.NULL:
            return "none", True
        if types.is_type(dt, types.ARRAY) and dt.value_type == types.STRING \
                and not dt.value_type_nullable:
            return "array", nullable
        raise Unsupported(f"type {dt!r}")

    def guard(self, var: str, dt: Any) -> str:
        """The check that ``var`` holds a value rule-engine reads as ``dt`` without change."""
        category, nullable = self.category(dt)
        check = {
            "str": f"type({var}) is str",
            "bool": f"type({var}) is bool",
            "num": f"type({var}) is int",
            "none": f"{var} is None",
            "array": f"(type({var}) is list or type({var}) is tuple)"
                     f" and all(type(_e) is str for _e in {var})",
        }[category]
        if nullable and category != "none":
            check = f"({var} is None or {check})"
        return check

    # -- nodes ---------------------------------------------------------------------------------

    def expr(self, node: Any) -> tuple[str, str, bool]:
        """Python source of ``node``, its category and whether it may be None."""
        a = self.ast
        kind = type(node)
        if kind is a.SymbolExpression:
            return self.symbol(node)
        if kind is a.StringExpression:
            return repr(str(node.value)), "str", False
        if kind is a.BooleanExpression:
            return repr(bool(node.value)), "bool", False
        if kind is a.NullExpression:
            return "None", "none", True
        if kind is a.FloatExpression:
            value = node.value
            if not value.is_finite() or value != int(value):
                raise Unsupported(f"number {value}")
            return repr(int(value)), "num", False
        if kind is a.ArrayExpression:
            items = [self.expr(member) for member in node.value]
            if any(cat != "str" or nullable for _, cat, nullable in items):
                raise Unsupported("an array of other than strings")
            return "(" + "".join(f"{src}, " for src, _, _ in items) + ")", "array", False
        if kind is a.UnaryExpression and node.type == "not":
            return f"(not {self.boolean(node.right)})", "bool", False
        if kind is a.LogicExpression and node.type in ("and", "or"):
            return (f"({self.boolean(node.left)} {node.type} {self.boolean(node.right)})",
                    "bool", False)
        if kind is a.ComparisonExpression and node.type in ("eq", "ne"):
            return self.equality(node)
        if kind is a.ArithmeticComparisonExpression and node.type in ("gt", "ge", "lt", "le"):
            return self.ordered(node)
        if kind is a.FuzzyComparisonExpression and node.type in ("eq_fzs", "eq_fzm"):
            return self.regex(node)
        if kind is a.ContainsExpression:
            return self.contains(node)
        if kind is a.GetAttributeExpression and node.name == "length" and not node.safe:
            src, cat, nullable = self.expr(node.object)
            if cat not in ("array", "str") or nullable:
                raise Unsupported("length of other than a string or an array")
            return f"len({src})", "num", False
        if kind is a.ComprehensionExpression:
            return self.comprehension(node)
        raise Unsupported(f"{kind.__name__} {getattr(node, 'type', '')}".strip())

    def boolean(self, node: Any) -> str:
        """``node`` as a Python bool (rule-engine's ``and``, ``or`` and ``not`` take truth)."""
        src, cat, nullable = self.expr(node)
        return src if cat == "bool" and not nullable else f"bool({src})"

    def symbol(self, node: Any) -> tuple[str, str, bool]:
        if node.scope is not None:
            raise Unsupported(f"${node.name}")
        for scope in reversed(self.scopes):
            if node.name in scope:
                return scope[node.name], "str", False  # an element of a guarded array
        name = str(node.name)
        if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
            raise Unsupported(f"fact name {name!r}")
        category, nullable = self.category(node.result_type)
        var = self.facts.get(name)
        if var is None:
            var = self.facts[name] = self.local()
            self.guards[var] = self.guard(var, node.result_type)
        return var, category, nullable

    def equality(self, node: Any) -> tuple[str, str, bool]:
        """``==``: rule-engine is false for values of different types; so is Python here."""
        left, lcat, _ = self.expr(node.left)
        right, rcat, _ = self.expr(node.right)
        if lcat != rcat and "none" not in (lcat, rcat):
            raise Unsupported(f"{lcat} == {rcat}")
        if lcat == "array":
            raise Unsupported("comparing arrays")  # rule-engine compares tuples, never lists
        op = "==" if node.type == "eq" else "!="
        return f"({left} {op} {right})", "bool", False

    def ordered(self, node: Any) -> tuple[str, str, bool]:
        left, lcat, lnull = self.expr(node.left)
        right, rcat, rnull = self.expr(node.right)
        if lcat != "num" or rcat != "num" or lnull or rnull:
            raise Unsupported("ordering other than numbers")
        op = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}[node.type]
        return f"({left} {op} {right})", "bool", False

    def regex(self, node: Any) -> tuple[str, str, bool]:
        """``=~~`` searches, ``=~`` matches; a null text matches nothing."""
        if type(node.right) is not self.ast.StringExpression:
            raise Unsupported("a pattern that is not a literal")
        left, lcat, _ = self.expr(node.left)
        if lcat not in ("str", "none"):
            raise Unsupported("a pattern over other than a string")
        flags = int(node.context.regex_flags)
        function = "_search" if node.type == "eq_fzs" else "_match"
        call = f"{function}({str(node.right.value)!r}, {left}, {flags})"
        return f"({left} is not None and {call} is not None)", "bool", False

    def contains(self, node: Any) -> tuple[str, str, bool]:
        member, mcat, _ = self.expr(node.member)
        container, ccat, cnull = self.expr(node.container)
        if cnull or ccat not in ("array", "str") or mcat != "str":
            raise Unsupported("in over other than strings")
        # a string in a string: rule-engine wants both strings (so does the translation, above)
        return f"({member} in {container})", "bool", False

    def comprehension(self, node: Any) -> tuple[str, str, bool]:
        iterable, cat, nullable = self.expr(node.iterable)
        if cat != "array" or nullable:
            raise Unsupported("a comprehension over other than an array")
        var = self.local()
        self.scopes.append({str(node.variable): var})
        try:
            result, rcat, rnull = self.expr(node.result)
            condition = self.boolean(node.condition) if node.condition is not None else None
        finally:
            self.scopes.pop()
        if rcat != "str" or rnull:
            raise Unsupported("a comprehension making other than strings")
        where = f" if {condition}" if condition is not None else ""
        return f"[{result} for {var} in {iterable}{where}]", "array", False


def translate(rule_engine: Any, expression: Any, name: str) -> str | None:
    """Source of ``def name(f)``, the condition ``expression`` over facts ``f``; None if uncovered.

    The function raises :class:`Unsupported` where a fact's value is not of the plain type it
    was written for (the caller then asks rule-engine).
    """
    t = _Translator(rule_engine)
    try:
        body = t.boolean(expression)
    except (Unsupported, AttributeError, TypeError, ValueError):  # a node of another shape
        return None
    lines = [f"def {name}(f):"]
    lines += [f"    {var} = f.{fact}" for fact, var in t.facts.items()]
    if t.guards:
        lines.append(f"    if not ({' and '.join(t.guards.values())}):")
        lines.append("        raise _Unsure")
    lines.append(f"    return {body}")
    return "\n".join(lines) + "\n"


def compile_module(sources: dict[str, str]) -> bytes:
    """The functions ``sources`` define (name -> source), as one module's marshalled code."""
    text = "\n".join(sources[name] for name in sorted(sources))
    return marshal.dumps(compile(text, "<loganalyzer rule conditions>", "exec"))


def _search(pattern: str, text: str, flags: int) -> re.Match[str] | None:
    return re.search(pattern, text, flags)  # re keeps the compiled pattern


def _match(pattern: str, text: str, flags: int) -> re.Match[str] | None:
    return re.match(pattern, text, flags)


def load_module(blob: bytes) -> dict[str, Callable[[Any], bool]]:
    """The functions of a module :func:`compile_module` made, by name."""
    code = marshal.loads(blob)  # noqa: S302 - the user's own cache, written by this version
    if not isinstance(code, CodeType):
        raise ValueError("not a code object")
    namespace: dict[str, Any] = {"_Unsure": Unsupported, "_search": _search, "_match": _match,
                                 "__builtins__": __builtins__}
    exec(code, namespace)  # noqa: S102 - generated above from rule-engine's syntax tree
    return {k: v for k, v in namespace.items() if k.startswith("rule_") and callable(v)}


class Condition:
    """A rule's condition: the translated function, and rule-engine for whatever it leaves.

    The function answers when every fact it reads has a plain value; otherwise (or on any
    exception) rule-engine evaluates the condition, raising what it always raised.
    """

    __slots__ = ("_engine", "_function", "_rule")

    def __init__(self, function: Callable[[Any], bool], engine: EngineRule) -> None:
        self._function = function
        self._engine = engine
        self._rule: Any = None

    def matches(self, facts: Any) -> bool:
        try:
            return self._function(facts)
        except Exception:  # noqa: BLE001, S110 - rule-engine decides, and raises its own error
            pass
        return self.engine_matches(facts)

    def engine_matches(self, facts: Any) -> bool:
        """What rule-engine says of ``facts`` (the tests compare the two)."""
        if self._rule is None:
            self._rule = self._engine()
        return bool(self._rule.matches(facts))
