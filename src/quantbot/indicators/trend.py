"""Trend indicators: moving averages, MACD and ADX, all computed by TA-Lib.

Each function checks its arguments (:mod:`quantbot.indicators.series`), calls TA-Lib
and returns float64 arrays of the input's length, NaN during the warm-up TA-Lib needs.

The moving averages of a finite window (SMA, WMA) give the same value at bar t whatever
bar the series starts on. The recursive ones (EMA, and MACD and ADX built on smoothed
averages) depend on where they were seeded; two computations started on different bars
agree once the seed has decayed, to about 1e-9 relative after 10 periods' worth of bars
for an EMA. A live strategy computing them over a rolling window must therefore keep a
window of at least that many bars, or its values will differ from the backtest's.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy.typing as npt
import talib

from quantbot.indicators.errors import IndicatorError
from quantbot.indicators.series import FloatArray, aligned, as_series, check_period

__all__ = ["Macd", "adx", "ema", "macd", "sma", "wma"]


class Macd(NamedTuple):
    """The three series of MACD, in TA-Lib's order (unpack as ``line, signal, hist``)."""

    macd: FloatArray
    """The fast EMA minus the slow EMA of the price, in price units."""
    signal: FloatArray
    """The EMA of :attr:`macd` over the signal period."""
    hist: FloatArray
    """:attr:`macd` minus :attr:`signal`; positive and rising: upward momentum growing."""


def sma(values: npt.ArrayLike, period: int = 20) -> FloatArray:
    """Simple moving average: the mean of the last ``period`` values.

    Args:
        values: the series, e.g. closes.
        period: window length in bars, >= 1.

    Returns:
        The averages, NaN for the first ``period - 1`` bars.

    Raises:
        IndicatorError: on a series that is not 1-D numbers or a period out of range.
    """
    series = as_series("sma", "values", values)
    return talib.SMA(series, timeperiod=check_period("sma", "period", period))


def ema(values: npt.ArrayLike, period: int = 20) -> FloatArray:
    """Exponential moving average with ``alpha = 2 / (period + 1)``.

    **Seeding.** TA-Lib seeds the EMA with the simple average of the first ``period``
    values, placed on bar ``period - 1`` (earlier bars are NaN); from there
    ``ema[t] = ema[t-1] + alpha * (values[t] - ema[t-1])``. Other tools seed
    differently: pandas' ``ewm(span=period, adjust=False)`` starts from ``values[0]``
    on bar 0. The seed's weight decays as ``(1 - alpha) ** bars``, so after about
    ``10 * period`` bars the two agree to about 1e-9 relative (a test pins this): no
    decision taken after that warm-up may depend on the seeding convention.

    Args:
        values: the series, e.g. closes.
        period: span in bars, >= 1 (1 returns the series itself).

    Returns:
        The averages, NaN for the first ``period - 1`` bars.

    Raises:
        IndicatorError: on a series that is not 1-D numbers or a period out of range.
    """
    series = as_series("ema", "values", values)
    return talib.EMA(series, timeperiod=check_period("ema", "period", period))


def wma(values: npt.ArrayLike, period: int = 20) -> FloatArray:
    """Linearly weighted moving average: the newest value weighs ``period``, the oldest 1.

    Args:
        values: the series, e.g. closes.
        period: window length in bars, >= 1.

    Returns:
        The averages, NaN for the first ``period - 1`` bars.

    Raises:
        IndicatorError: on a series that is not 1-D numbers or a period out of range.
    """
    series = as_series("wma", "values", values)
    return talib.WMA(series, timeperiod=check_period("wma", "period", period))


def macd(
    close: npt.ArrayLike,
    fast_period: int = 12,
    slow_period: int = 26,
    signal_period: int = 9,
) -> Macd:
    """Moving average convergence/divergence (Appel): EMA(fast) - EMA(slow) and its signal.

    TA-Lib starts the fast EMA on the same bar as the slow one, so during the first
    bars after the warm-up ``macd`` differs slightly from ``ema(fast) - ema(slow)``
    computed separately; the two converge like any differently seeded EMAs.

    Args:
        close: closing prices.
        fast_period: span of the fast EMA in bars, >= 2.
        slow_period: span of the slow EMA in bars, greater than ``fast_period``.
        signal_period: span of the signal EMA in bars, >= 1.

    Returns:
        :class:`Macd`; all three series are NaN for the first
        ``slow_period + signal_period - 2`` bars.

    Raises:
        IndicatorError: on a series that is not 1-D numbers, a period out of range or
            ``fast_period >= slow_period`` (TA-Lib would silently swap them).
    """
    series = as_series("macd", "close", close)
    fast = check_period("macd", "fast_period", fast_period, minimum=2)
    slow = check_period("macd", "slow_period", slow_period, minimum=2)
    signal = check_period("macd", "signal_period", signal_period)
    if fast >= slow:
        raise IndicatorError(f"macd fast_period {fast}: must be < slow_period {slow}")
    line, signal_line, hist = talib.MACD(
        series, fastperiod=fast, slowperiod=slow, signalperiod=signal
    )
    return Macd(macd=line, signal=signal_line, hist=hist)


def adx(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Average directional index (Wilder): trend strength from 0 to 100, whatever its direction.

    Above 25 is commonly read as a trending market. Wilder's smoothing is recursive,
    so, like an EMA, the value depends on where the series starts until the seed has
    decayed.

    Args:
        high: bar highs.
        low: bar lows.
        close: bar closes.
        period: smoothing period in bars, >= 2.

    Returns:
        The index, NaN for the first ``2 * period - 1`` bars.

    Raises:
        IndicatorError: on series that are not 1-D numbers or differ in length, or a
            period out of range.
    """
    highs, lows, closes = aligned("adx", high=high, low=low, close=close)
    return talib.ADX(
        highs, lows, closes, timeperiod=check_period("adx", "period", period, minimum=2)
    )
