"""Errors of the indicators layer: a bad argument, i.e. a bug in the caller, never market data."""

from __future__ import annotations

from quantbot.core.errors import QuantbotError

__all__ = ["IndicatorError"]


class IndicatorError(QuantbotError, ValueError):
    """An indicator was called with arguments it cannot compute from.

    Examples: a 2-D array, a period of 0, series of different lengths, text where
    numbers were expected. It is also a :class:`ValueError`, the error Python code
    expects for a bad argument. The message names the argument, its value and the rule:
    ``rsi period 1: must be >= 2``.
    """
