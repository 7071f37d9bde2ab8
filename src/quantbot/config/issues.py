"""Translation of pydantic validation errors into located, human-sized config issues.

A user reads ``config/grid_config.yaml:14 grid_strategy.pairs[1].num_grids: 0, must be
>= 2``, not pydantic's generic wording: the bad value, the rule, the place. Values of
fields that may hold a pasted secret are never echoed.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from quantbot.config.annotations import element_type, is_model, without_none
from quantbot.config.base import CROSS_FIELD_ERROR, describe
from quantbot.config.documents import Document, KeyPath, format_path, parse_path
from quantbot.config.errors import ConfigIssue

__all__ = ["issues_from_validation_error"]

_TYPE_NAMES = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
}

_BOUNDS = {
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}


def issues_from_validation_error(
    error: ValidationError, document: Document, model: type[BaseModel]
) -> list[ConfigIssue]:
    """One :class:`ConfigIssue` per problem in ``error``, located in ``document``."""
    issues: list[ConfigIssue] = []
    for detail in error.errors():
        loc: KeyPath = tuple(detail["loc"])
        if detail["type"] == CROSS_FIELD_ERROR:
            for relative, message in detail["ctx"]["problems"]:
                path = (*loc, *parse_path(relative))
                issues.append(_issue(document, path, message))
            continue
        issues.append(_issue(document, loc, _message(detail, loc, model)))
    return issues


def _issue(document: Document, path: KeyPath, message: str) -> ConfigIssue:
    return ConfigIssue(document.display_name, format_path(path), message, document.line_of(path))


def _message(detail: Any, loc: KeyPath, model: type[BaseModel]) -> str:
    kind: str = detail["type"]
    ctx: dict[str, Any] = detail.get("ctx", {})
    shown = _shown_value(detail, loc)
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        hint = ""
        if allowed:
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            hint += f" Allowed keys: {', '.join(allowed)}"
        return f"unknown key{hint}"
    if kind == "missing":
        return "is required but missing"
    if kind in _BOUNDS:
        symbol, key = _BOUNDS[kind]
        return f"{shown}, must be {symbol} {ctx[key]}"
    if kind == "literal_error":
        return f"{shown}, must be one of {ctx['expected']}"
    if kind in _TYPE_NAMES:
        return f"{shown}, must be {_TYPE_NAMES[kind]}"
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        limit = ctx.get("min_length", ctx.get("max_length"))
        return f"{shown}, must have {bound} {limit} item(s)"
    if kind == "string_too_short":
        return f"{shown}, must not be empty"
    message: str = detail["msg"]
    message = message.removeprefix("Value error, ")
    return (
        message
        if kind == "literal_secret"
        else f"{shown}, {message}"
        if kind == "value_error"
        else message
    )


def _shown_value(detail: Any, loc: KeyPath) -> str:
    """The offending value as the user wrote it, unless it may be a secret."""
    if loc and isinstance(loc[-1], str) and loc[-1].endswith("_env"):
        return "this value"
    value = detail.get("input")
    if isinstance(value, dict | list):
        return f"a {type(value).__name__}"
    return describe(value)


def _allowed_keys(model: type[BaseModel], path: KeyPath) -> list[str]:
    """Field names of the model found at ``path`` below ``model`` (for typo hints)."""
    current: Any = model
    for part in path:
        current = without_none(current)
        if is_model(current):
            if not isinstance(part, str) or part not in current.model_fields:
                return []
            current = current.model_fields[part].annotation
        else:
            current = element_type(current)
            if current is None:
                return []
    current = without_none(current)
    return sorted(current.model_fields) if is_model(current) else []
