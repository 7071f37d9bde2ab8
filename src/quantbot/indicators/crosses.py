"""Crossover and crossunder masks: on which bars one series crossed another.

The definition is strict on both bars, the same as backtesting.py's ``crossover``
(so that a differential test against it can expect the very same trades):

    crossover(a, b)[t]  = a[t-1] < b[t-1] and a[t] > b[t]
    crossunder(a, b)[t] = a[t-1] > b[t-1] and a[t] < b[t]

Consequences worth knowing:

- a cross that passes through equality is never flagged: ``a`` below ``b``, then
  equal to it on one bar, then above it is **not** a crossover, on either bar;
- bar 0 is never a cross (there is no bar before it);
- any comparison with NaN is false, so no cross is reported during either series'
  warm-up, nor on the first bar after it.

The mask at bar t reads bars t-1 and t only: a strategy can hand it to the engine as
the bars on which it wants to be woken.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quantbot.indicators.series import BoolArray, FloatArray, as_series, check_same_length

__all__ = ["crossover", "crossunder"]


def crossover(a: npt.ArrayLike, b: npt.ArrayLike | float) -> BoolArray:
    """Bars on which ``a`` crossed above ``b``: ``a[t-1] < b[t-1] and a[t] > b[t]``.

    Args:
        a: the crossing series, e.g. the fast EMA.
        b: the series crossed, e.g. the slow EMA, or a constant level such as an RSI
            of 30.

    Returns:
        One flag per bar of ``a``.

    Raises:
        IndicatorError: on series that are not 1-D numbers or differ in length.
    """
    first, second = _operands("crossover", a, b)
    return _below_then_above(first, second)


def crossunder(a: npt.ArrayLike, b: npt.ArrayLike | float) -> BoolArray:
    """Bars on which ``a`` crossed below ``b``: ``a[t-1] > b[t-1] and a[t] < b[t]``.

    Args:
        a: the crossing series, e.g. the fast EMA.
        b: the series crossed, e.g. the slow EMA, or a constant level such as an RSI
            of 70.

    Returns:
        One flag per bar of ``a``.

    Raises:
        IndicatorError: on series that are not 1-D numbers or differ in length.
    """
    first, second = _operands("crossunder", a, b)
    return _below_then_above(second, first)


def _operands(
    indicator: str, a: npt.ArrayLike, b: npt.ArrayLike | float
) -> tuple[FloatArray, FloatArray]:
    first = as_series(indicator, "a", a)
    if np.ndim(b) == 0:
        b = np.full(len(first), b)
    second = as_series(indicator, "b", b)
    check_same_length(indicator, a=first, b=second)
    return first, second


def _below_then_above(a: FloatArray, b: FloatArray) -> BoolArray:
    """``a[t-1] < b[t-1] and a[t] > b[t]``, False on bar 0."""
    crossed = np.zeros(len(a), dtype=np.bool_)
    crossed[1:] = (a[:-1] < b[:-1]) & (a[1:] > b[1:])
    return crossed
