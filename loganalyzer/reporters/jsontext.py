"""The report document as indented JSON: ``json.dumps(value, indent=2, ensure_ascii=False)``.

The standard library's encoder runs in C only without ``indent``; with it, it turns into a
generator per container in Python, and a dense log's report (a few MB of handshakes) spent a
tenth of its run there. This walk writes the same text with plain appends and the same C string
encoder; a test holds it to ``json.dumps`` on every sample's report and on generated values.
"""

from __future__ import annotations

from json.encoder import encode_basestring  # the C encoder ensure_ascii=False uses
from typing import Any

_INFINITY = float("inf")


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def _scalar(value: Any) -> str | None:
    """A scalar's JSON, as ``json`` writes it; None for anything else."""
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    return None


def _key(key: Any) -> str:
    if isinstance(key, str):
        return encode_basestring(key)
    if isinstance(key, bool) or key is None:
        return '"' + ("true" if key else "false" if key is False else "null") + '"'
    if isinstance(key, int):
        return encode_basestring(int.__repr__(key))
    if isinstance(key, float):
        return encode_basestring(_float(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def indented(value: Any, indent: int = 2) -> str:
    """``value`` as ``json.dumps(value, indent=indent, ensure_ascii=False)`` writes it.

    Lists and tuples are arrays, dicts objects; anything else raises TypeError, as there.
    """
    out: list[str] = []
    append = out.append
    seen: set[int] = set()  # containers on the way down: json refuses a circular value

    def walk(node: Any, level: int) -> None:
        if isinstance(node, dict):
            items: Any = node.items()
            opening, closing = "{", "}"
        elif isinstance(node, (list, tuple)):
            items = node
            opening, closing = "[", "]"
        else:
            raise TypeError(f"Object of type {type(node).__name__} is not JSON serializable")
        if not node:
            append(opening + closing)
            return
        if id(node) in seen:
            raise ValueError("Circular reference detected")
        seen.add(id(node))
        inner = "\n" + " " * (indent * (level + 1))
        separator = opening + inner
        for item in items:
            if closing == "}":
                append(separator + _key(item[0]) + ": ")
                item = item[1]
            else:
                append(separator)
            separator = "," + inner
            text = _scalar(item)
            if text is None:
                walk(item, level + 1)
            else:
                append(text)
        append("\n" + " " * (indent * level) + closing)
        seen.discard(id(node))

    text = _scalar(value)
    if text is not None:
        return text
    walk(value, 0)
    return "".join(out)
