"""Walking the type annotations of the configuration models.

Both the error messages (which keys are allowed at a path) and the generated
reference (which fields a section has) need to step from a field's annotation to the
model or element it holds.
"""

from __future__ import annotations

from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

__all__ = ["element_type", "is_model", "without_none"]


def is_model(annotation: Any) -> bool:
    """Whether ``annotation`` is a pydantic model class (a config section)."""
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def without_none(annotation: Any) -> Any:
    """``X | None`` → ``X``; anything else unchanged."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (UnionType, Union) and len(args) == 1:
        return args[0]
    return annotation


def element_type(annotation: Any) -> Any:
    """The element of ``list[X]`` or the value of ``dict[str, X]``; None for anything else."""
    if get_origin(annotation) in (list, dict):
        return get_args(annotation)[-1]
    return None
