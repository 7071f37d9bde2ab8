"""Query parameters of Binance requests, read and checked the way Binance does.

Binance sends the same error codes for the same mistakes on every endpoint: a missing
mandatory parameter is -1102, a number with letters in it -1100, a list that is not a
JSON array of names -1100. Handlers read parameters through these functions so that
ccxt sees those codes (and raises ``BadRequest``/``BadSymbol``) exactly as live.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from quantbot.venues.emulator.errors import ApiError

__all__ = ["optional_int", "symbol_list"]


def optional_int(query: Mapping[str, str], name: str) -> int | None:
    """An integer parameter, or None when absent or empty.

    Raises:
        ApiError: -1100 when the value is not a base-10 integer.
    """
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError.illegal(name) from None


def symbol_list(query: Mapping[str, str], name: str = "symbols") -> list[str] | None:
    """A ``symbols=["BTCUSDT","ETHUSDT"]`` parameter, or None when absent.

    Raises:
        ApiError: -1100 when the value is not a JSON array of strings.
    """
    raw = query.get(name)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ApiError(
            -1100,
            f"Illegal characters found in parameter '{name}'; legal range is '^\\[(\"[A-Z0-9-_.]{{1,20}}\"(,\"[A-Z0-9-_.]{{1,20}}\"){{0,}}){{0,1}}\\]$'.",
        )
    return value
