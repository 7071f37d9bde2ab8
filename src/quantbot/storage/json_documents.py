"""How JSON columns are serialised: the same document on SQLite and PostgreSQL.

Indicators are NaN during their warm-up and Python's ``json`` writes ``NaN``, which
is not JSON: SQLite would store it, PostgreSQL's JSONB refuses it. Non-finite
floats are therefore written as ``null`` ("no value"), on both backends alike.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["dumps"]


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {key: _finite(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(item) for item in obj]
    return obj


def dumps(obj: Any) -> str:
    """Serialise ``obj`` to strict JSON, non-finite floats (NaN, infinities) as ``null``.

    Raises:
        TypeError: for values JSON cannot hold (sets, datetimes...): callers convert
            them explicitly, the storage layer does not guess a representation.
    """
    return json.dumps(_finite(obj), allow_nan=False)
