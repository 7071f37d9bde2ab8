"""Metric records as JSON-ready dictionaries, the shape ``summary.json`` and the database hold.

One conversion for every record, so that all outputs agree: non-finite floats
(NaN "undefined", +-inf "unbounded") become ``null`` (strict JSON has neither), and
``*_ts_ms`` fields become ISO 8601 UTC strings under a ``*_time`` key.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from quantbot.analytics.iso_time import iso_utc

__all__ = ["json_document", "json_ready", "json_value"]

_TS_SUFFIX = "_ts_ms"


def json_value(value: Any) -> Any:
    """Return ``value`` as a plain JSON value: numpy scalars unwrapped, non-finite floats ``None``."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_document(obj: Any) -> Any:
    """Return a nested structure of mappings, sequences and scalars as plain JSON values.

    Mappings become dicts with string keys, tuples, lists and arrays become lists, and every
    scalar goes through :func:`json_value`, so that ``json.dumps(..., allow_nan=False)``
    accepts the result.
    """
    if isinstance(obj, Mapping):
        return {str(key): json_document(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [json_document(item) for item in obj]
    return json_value(obj)


def json_ready(record: Any) -> dict[str, Any]:
    """Flatten a metrics dataclass into a JSON-ready dict (see the module docstring).

    Raises:
        TypeError: if ``record`` is not a dataclass instance.
    """
    if not dataclasses.is_dataclass(record) or isinstance(record, type):
        raise TypeError(f"{type(record).__name__} is not a dataclass instance")
    document: dict[str, Any] = {}
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        if field.name.endswith(_TS_SUFFIX):
            document[field.name.removesuffix(_TS_SUFFIX) + "_time"] = iso_utc(value)
        else:
            document[field.name] = json_value(value)
    return document
