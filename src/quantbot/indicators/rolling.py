"""Trailing-window sums, variances and maxima: building blocks of what TA-Lib lacks.

TA-Lib keeps its windowed sums as one running total (add the new value, subtract the
old one). That is fast, but a single NaN inside a series poisons every later value
(NaN - NaN is NaN), and a window of zeros reads as a tiny residue like 3e-13 instead
of 0 after large values have passed through it. The sums here keep the same O(n)
running total but:

- skip non-finite values and count them, so a window containing one reads NaN and the
  series recovers once it has left the window;
- count the non-zero values, so a window of zeros sums to exactly 0.0 (a day without
  volume gives an undefined VWAP, not a garbage one);
- compensate the rounding of each addition (Neumaier's variant of Kahan summation), so
  the sum of the window does not drift over a year of bars.

The trailing maximum likewise reads NaN for a window holding a non-finite value
(TA-Lib's MAX skips such a value and can then miss the true maximum of the window).

The value at bar t uses bars ``t - period + 1 .. t`` only.
"""

from __future__ import annotations

import math

import numpy as np

from quantbot.indicators.jit import jit
from quantbot.indicators.series import FloatArray

__all__ = ["compensated_add", "rolling_max", "rolling_sum", "rolling_variance"]


def rolling_sum(values: FloatArray, period: int) -> FloatArray:
    """The sum of the last ``period`` values at each bar.

    Args:
        values: a 1-D float64 series (checked by the caller).
        period: window length in bars, at least 1 (checked by the caller).

    Returns:
        A series of ``values``' length: NaN for the first ``period - 1`` bars and for
        every window holding a non-finite value; exactly 0.0 for a window of zeros.
    """
    out = np.empty(len(values), dtype=np.float64)
    _rolling_sum_into(values, period, out)
    return out


def rolling_variance(values: FloatArray, period: int, ddof: int) -> FloatArray:
    """The variance of the last ``period`` values at each bar.

    Computed as ``(sum(x**2) - sum(x)**2 / n) / (n - ddof)`` from the compensated sums
    of :func:`rolling_sum`; rounding can leave that a hair below zero for a constant
    window, so it is clipped at 0.

    Args:
        values: a 1-D float64 series (checked by the caller).
        period: window length in bars, greater than ``ddof`` (checked by the caller).
        ddof: delta degrees of freedom: 0 for the population variance, 1 for the
            sample variance.

    Returns:
        A series of ``values``' length, NaN where :func:`rolling_sum` is NaN; exactly
        0.0 for a window of zeros.
    """
    sums = rolling_sum(values, period)
    with np.errstate(over="ignore"):  # a square beyond 1.8e308 is inf: missing, NaN
        squares = rolling_sum(values * values, period)
    variance = (squares - sums * sums / period) / (period - ddof)
    return np.maximum(variance, 0.0)


def rolling_max(values: FloatArray, period: int) -> FloatArray:
    """The largest of the last ``period`` values at each bar.

    Args:
        values: a 1-D float64 series (checked by the caller).
        period: window length in bars, at least 1 (checked by the caller).

    Returns:
        A series of ``values``' length: NaN for the first ``period - 1`` bars and for
        every window holding a non-finite value.
    """
    out = np.empty(len(values), dtype=np.float64)
    _rolling_max_into(values, period, out)
    return out


@jit
def compensated_add(total: float, compensation: float, value: float) -> tuple[float, float]:
    """``total + value``, with the rounding error of the addition added to ``compensation``.

    Neumaier's summation: the running sum is ``total + compensation``. Compiled, for
    use inside the compiled loops of this package.
    """
    result = total + value
    if abs(total) >= abs(value):
        compensation += (total - result) + value
    else:
        compensation += (value - result) + total
    return result, compensation


@jit
def _rolling_sum_into(values: FloatArray, period: int, out: FloatArray) -> None:
    """Fill ``out`` with the trailing sums of :func:`rolling_sum` in one pass."""
    total = 0.0
    compensation = 0.0
    missing = 0
    nonzero = 0
    for t in range(len(values)):
        value = values[t]
        if not math.isfinite(value):
            missing += 1
        elif value != 0.0:
            total, compensation = compensated_add(total, compensation, value)
            nonzero += 1
        if t >= period:
            old = values[t - period]
            if not math.isfinite(old):
                missing -= 1
            elif old != 0.0:
                total, compensation = compensated_add(total, compensation, -old)
                nonzero -= 1
        if nonzero == 0:
            # Nothing but zeros (or non-finite values) is in the window: drop the
            # rounding residue left by the values that have passed through it.
            total = 0.0
            compensation = 0.0
        if t < period - 1 or missing > 0:
            out[t] = math.nan
        else:
            out[t] = total + compensation


@jit
def _rolling_max_into(values: FloatArray, period: int, out: FloatArray) -> None:
    """Fill ``out`` with trailing maxima by van Herk and Gil-Werman's method.

    Cut the series into blocks of ``period`` bars; ``ahead[i]`` is the maximum from
    the start of i's block to i, ``behind[i]`` from i to the end of its block. A window
    ``s..t`` of ``period`` bars spans at most two blocks, so its maximum is
    ``max(behind[s], ahead[t])``: three comparisons a bar whatever the period, without
    the unpredictable branches of a queue. Non-finite values count as -inf in the
    blocks and blank their windows through a running count.
    """
    size = len(values)
    ahead = np.empty(size)
    behind = np.empty(size)
    missing = np.zeros(size + 1, dtype=np.int64)
    for i in range(size):
        missing[i + 1] = missing[i] + (0 if math.isfinite(values[i]) else 1)
    for first in range(0, size, period):
        last = min(first + period, size) - 1
        running = -math.inf
        for i in range(first, last + 1):
            if math.isfinite(values[i]) and values[i] > running:
                running = values[i]
            ahead[i] = running
        running = -math.inf
        for i in range(last, first - 1, -1):
            if math.isfinite(values[i]) and values[i] > running:
                running = values[i]
            behind[i] = running
    out[: period - 1] = math.nan
    for t in range(period - 1, size):
        start = t - period + 1
        if missing[t + 1] - missing[start] > 0:
            out[t] = math.nan
        else:
            out[t] = max(behind[start], ahead[t])
