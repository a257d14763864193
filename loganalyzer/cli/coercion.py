"""Command-line values converted without pydantic, exactly as typer's own adapters convert them.

typer (0.29 on) checks every parameter with a pydantic TypeAdapter; importing pydantic and
building the adapters took 0.09 s of a 0.5 s ``analyze`` start. The values our commands take are
plain (strings, choices, numbers, paths, lists of them) and are converted here with typer's own
helpers. Every other value, and every value typer would refuse, goes to typer's adapter, so the
result and the wording of an error are typer's either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

from typer._click import Context
from typer._coercion import RuntimeParam, build_runtime_param
from typer._param_types import coerce_cli_choice, coerce_cli_path
from typer.core import _TyperParameter
from typer.models import ParameterInfo

_UNDECIDED = object()  # left to typer's adapter
# Numbers as pydantic reads them for sure (no exponent, underscore, space or sign of infinity);
# bounded, so int() never meets Python's limit on digits.
_INT = re.compile(r"[+-]?[0-9]{1,18}")
_FLOAT = re.compile(r"[+-]?(?:[0-9]{1,18}(?:\.[0-9]{0,18})?|\.[0-9]{1,18})")


class DirectParam(RuntimeParam):
    """Converts a plain value itself; anything else is built and converted by typer."""

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        done = convert(self.annotation, self.parameter_info, value, param, ctx)
        if done is _UNDECIDED:
            return build_runtime_param(param.type_descriptor)._coerce_value(value, param, ctx)
        return done


def install(params: Iterable[Any]) -> None:
    """Let ``params`` convert their values directly (typer builds its adapter on first use)."""
    for param in params:
        if (isinstance(param, _TyperParameter) and param._runtime_param is None
                and param.type_descriptor.file_annotation is None):
            param._runtime_param = DirectParam(
                parameter_info=param.type_descriptor.parameter_info,
                annotation=param.type_descriptor.annotation,
            )


def convert(annotation: Any, info: ParameterInfo, value: Any, param: _TyperParameter,
            ctx: Context) -> Any:
    """``value`` as typer's adapter for ``annotation`` returns it, or ``_UNDECIDED``."""
    if info.parser is not None:
        return _UNDECIDED
    if get_origin(annotation) is list:
        if not isinstance(value, (list, tuple)):
            return _UNDECIDED
        [item_type] = get_args(annotation)
        items = [convert(item_type, info, item, param, ctx) for item in value]
        return _UNDECIDED if any(item is _UNDECIDED for item in items) else items
    if not isinstance(annotation, type):
        return _UNDECIDED
    if issubclass(annotation, Enum):
        try:
            return coerce_cli_choice(value, choices=list(annotation),
                                     case_sensitive=info.case_sensitive, ctx=ctx)
        except ValueError:  # not a choice: typer words the error
            return _UNDECIDED
    if annotation in (str, bool):
        return value if type(value) is annotation else _UNDECIDED
    if annotation in (int, float) and not info.clamp:
        return _number(annotation, info, value)
    if issubclass(annotation, Path) and info.path_type is None and not info.allow_dash:
        if type(value) is str:
            # typer checks the path made of the string but names the string in its messages:
            # the same when the path is spelled as given (no '' for '.', no trailing slash)
            path = annotation(value)
            if str(path) != value:
                return _UNDECIDED
            value = path
        if not isinstance(value, annotation):
            return _UNDECIDED
        return coerce_cli_path(value, info, path_type=annotation, param=param, ctx=ctx)
    return _UNDECIDED


def _number(kind: type[Any], info: ParameterInfo, value: Any) -> Any:
    if type(value) is kind or (kind is float and type(value) is int):
        number = kind(value)
    elif type(value) is str and (_INT if kind is int else _FLOAT).fullmatch(value):
        number = kind(value)
    else:
        return _UNDECIDED
    if (info.min is not None and number < info.min) or (info.max is not None
                                                         and number > info.max):
        return _UNDECIDED  # out of range: typer words the error
    return number
