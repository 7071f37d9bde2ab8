"""The array types indicators take and return, and the argument checks they all share.

Indicators work on whole 1-D float64 numpy arrays (a year of 1m bars in a backtest, a
rolling window live) and return arrays of the same length. TA-Lib accepts nothing
else and reports anything else with cryptic messages (``input array type is not
double``, ``Bad Parameter (TA_BAD_PARAM)``), so every indicator converts and checks its
arguments here first and raises :class:`~quantbot.indicators.errors.IndicatorError`
naming the indicator, the argument and the rule.
"""

from __future__ import annotations

import math
import operator
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from quantbot.indicators.errors import IndicatorError

__all__ = [
    "TALIB_MAX_PERIOD",
    "BoolArray",
    "FloatArray",
    "TimestampArray",
    "aligned",
    "as_series",
    "as_timestamps",
    "check_period",
    "check_positive",
    "check_same_length",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
"""A 1-D float64 array: a price, volume or indicator series, NaN where undefined."""

BoolArray: TypeAlias = npt.NDArray[np.bool_]
"""A 1-D boolean array: one flag per bar (e.g. "the EMAs crossed up on this bar")."""

TimestampArray: TypeAlias = npt.NDArray[np.int64]
"""A 1-D int64 array of bar open times in epoch milliseconds, UTC."""

TALIB_MAX_PERIOD = 100_000
"""The largest period TA-Lib accepts for any of its functions."""

_NUMERIC_KINDS = frozenset("biuf")
"""numpy dtype kinds taken as numbers: booleans, signed and unsigned integers, floats."""


def as_series(indicator: str, name: str, values: npt.ArrayLike) -> FloatArray:
    """``values`` as a contiguous 1-D float64 array (no copy when it already is one).

    Args:
        indicator: the calling indicator's name, for the error message.
        name: the argument's name, for the error message.
        values: numbers: a numpy array, a pandas Series, a list...

    Raises:
        IndicatorError: if ``values`` is not 1-D or not numeric (text, dates, complex
            numbers); an object array is accepted when every element is a real number.
    """
    array = np.asarray(values)
    if array.dtype.kind == "O":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise IndicatorError(f"{indicator} {name}: not numbers ({exc})") from None
    elif array.dtype.kind not in _NUMERIC_KINDS:
        raise IndicatorError(f"{indicator} {name}: not real numbers (dtype {array.dtype})")
    if array.ndim != 1:
        raise IndicatorError(f"{indicator} {name}: must be a 1-D series, got shape {array.shape}")
    return np.ascontiguousarray(array, dtype=np.float64)


def aligned(indicator: str, **series: npt.ArrayLike) -> tuple[FloatArray, ...]:
    """Several series converted by :func:`as_series`, checked to have the same length.

    The series are returned in the keyword order, so callers unpack them:
    ``high, low, close = aligned("atr", high=high, low=low, close=close)``.

    Raises:
        IndicatorError: if one series fails :func:`as_series` or their lengths differ
            (see :func:`check_same_length`).
    """
    arrays = {name: as_series(indicator, name, values) for name, values in series.items()}
    check_same_length(indicator, **arrays)
    return tuple(arrays.values())


def check_same_length(indicator: str, **arrays: npt.NDArray[np.generic]) -> None:
    """Check that ``arrays`` (already converted) all have the same length.

    Raises:
        IndicatorError: naming each array's length when they differ (a caller that
            misaligned two series would otherwise get a silently shifted result).
    """
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} {length}" for name, length in lengths.items())
        raise IndicatorError(f"{indicator}: series lengths differ: {described}")


def as_timestamps(indicator: str, values: npt.ArrayLike) -> TimestampArray:
    """``values`` as a contiguous 1-D int64 array of bar open times, checked to be in order.

    Raises:
        IndicatorError: if ``values`` is not a 1-D array of integers (epoch
            milliseconds) or goes back in time somewhere.
    """
    array = np.asarray(values)
    if array.dtype.kind not in "iu":
        raise IndicatorError(
            f"{indicator} ts_ms: must be integer epoch milliseconds (dtype {array.dtype})"
        )
    if array.ndim != 1:
        raise IndicatorError(f"{indicator} ts_ms: must be a 1-D series, got shape {array.shape}")
    stamps = np.ascontiguousarray(array, dtype=np.int64)
    backwards = np.flatnonzero(np.diff(stamps) < 0)
    if len(backwards) > 0:
        row = int(backwards[0]) + 1
        raise IndicatorError(
            f"{indicator} ts_ms: must not decrease: row {row} ({stamps[row]}) "
            f"is before row {row - 1} ({stamps[row - 1]})"
        )
    return stamps


def check_period(
    indicator: str,
    name: str,
    value: int,
    *,
    minimum: int = 1,
    maximum: int | None = TALIB_MAX_PERIOD,
) -> int:
    """``value`` as an ``int`` after checking it is an integer number of bars in range.

    Args:
        indicator: the calling indicator's name, for the error message.
        name: the argument's name (``period``, ``lookback``...).
        value: the number of bars.
        minimum: the smallest value that means something for this indicator (TA-Lib
            refuses a 1-bar RSI, for instance).
        maximum: the largest value accepted; TA-Lib's own limit by default, ``None``
            for indicators computed here.

    Raises:
        IndicatorError: if ``value`` is not an integer (a bool or float is refused
            rather than truncated) or lies outside ``minimum..maximum``.
    """
    if isinstance(value, bool | np.bool_):
        raise IndicatorError(f"{indicator} {name} {value!r}: must be an integer")
    try:
        bars = operator.index(value)
    except TypeError:
        raise IndicatorError(f"{indicator} {name} {value!r}: must be an integer") from None
    if bars < minimum:
        raise IndicatorError(f"{indicator} {name} {bars}: must be >= {minimum}")
    if maximum is not None and bars > maximum:
        raise IndicatorError(f"{indicator} {name} {bars}: must be <= {maximum}")
    return bars


def check_positive(indicator: str, name: str, value: float, *, allow_zero: bool = False) -> float:
    """``value`` as a ``float`` after checking it is finite and positive.

    Args:
        indicator: the calling indicator's name, for the error message.
        name: the argument's name (``dev_up``, ``bars_per_year``...).
        value: the number to check.
        allow_zero: accept 0 as well (a 0-wide Bollinger band is legal, if useless).

    Raises:
        IndicatorError: if ``value`` is not a finite real number above zero (or at
            least zero with ``allow_zero``).
    """
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        raise IndicatorError(f"{indicator} {name} {value!r}: must be a number")
    number = float(value)
    rule_ok = number >= 0.0 if allow_zero else number > 0.0
    if not (math.isfinite(number) and rule_ok):
        bound = ">= 0" if allow_zero else "> 0"
        raise IndicatorError(f"{indicator} {name} {value!r}: must be finite and {bound}")
    return number
