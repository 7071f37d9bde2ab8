"""Momentum oscillators: RSI, stochastic RSI, rate of change and CCI, on TA-Lib.

Each function checks its arguments (:mod:`quantbot.indicators.series`), calls TA-Lib
and returns float64 arrays of the input's length, NaN during the warm-up.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import talib

from quantbot.indicators.series import FloatArray, aligned, as_series, check_period

__all__ = ["StochRsi", "cci", "roc", "rsi", "stoch_rsi"]

_NEUTRAL = 50.0
"""The middle of the 0..100 oscillators: neither overbought nor oversold."""


class StochRsi(NamedTuple):
    """The two lines of the stochastic RSI (unpack as ``k, d``), from 0 to 100."""

    k: FloatArray
    """The smoothed position of RSI within its recent range."""
    d: FloatArray
    """The moving average of :attr:`k`, its signal line."""


def rsi(close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """Relative strength index (Wilder's smoothing), from 0 to 100.

    ``100 * avg_gain / (avg_gain + avg_loss)`` with gains and losses smoothed by
    Wilder's recursive average (TA-Lib's RSI). With no loss at all it reads 100.

    One deliberate difference from TA-Lib: while the price has not moved at all since
    the series began, both averages are zero and RSI is undefined; TA-Lib reports 0
    there, which a mean-reversion strategy would read as "deeply oversold" and buy.
    This function reports 50 (neutral) instead.

    Args:
        close: closing prices.
        period: smoothing period in bars, >= 2.

    Returns:
        The RSI, NaN for the first ``period`` bars.

    Raises:
        IndicatorError: on a series that is not 1-D numbers or a period out of range.
    """
    series = as_series("rsi", "close", close)
    values = talib.RSI(series, timeperiod=check_period("rsi", "period", period, minimum=2))
    start, end = _unmoved_stretch(series)
    unmoved = values[start:end]
    unmoved[~np.isnan(unmoved)] = _NEUTRAL
    return values


def stoch_rsi(
    close: npt.ArrayLike,
    rsi_period: int = 14,
    stoch_period: int = 14,
    k_period: int = 3,
    d_period: int = 3,
) -> StochRsi:
    """Stochastic RSI (Chande and Kroll), with the common 14/14/3/3 smoothing.

    ``raw = 100 * (rsi - min(rsi)) / (max(rsi) - min(rsi))`` over the last
    ``stoch_period`` RSI values; ``k`` is the ``k_period`` SMA of ``raw`` and ``d`` the
    ``d_period`` SMA of ``k``. TA-Lib's STOCHRSI has no ``k`` smoothing, hence this
    composition of its RSI, MAX, MIN and SMA. Where RSI has been flat over the whole
    window the position within the range is undefined; it reads 50 (neutral) rather
    than NaN, which would otherwise poison TA-Lib's running averages for the rest of
    the series.

    Args:
        close: closing prices.
        rsi_period: RSI period in bars, >= 2.
        stoch_period: window of the RSI's range in bars, >= 2.
        k_period: smoothing of ``k`` in bars, >= 1.
        d_period: smoothing of ``d`` in bars, >= 1.

    Returns:
        :class:`StochRsi`; ``k`` is NaN for the first
        ``rsi_period + stoch_period + k_period - 2`` bars, ``d`` for ``d_period - 1``
        more.

    Raises:
        IndicatorError: on a series that is not 1-D numbers or a period out of range.
    """
    series = as_series("stoch_rsi", "close", close)
    stoch = check_period("stoch_rsi", "stoch_period", stoch_period, minimum=2)
    k_bars = check_period("stoch_rsi", "k_period", k_period)
    d_bars = check_period("stoch_rsi", "d_period", d_period)
    strength = rsi(series, check_period("stoch_rsi", "rsi_period", rsi_period, minimum=2))
    highest = talib.MAX(strength, timeperiod=stoch)
    lowest = talib.MIN(strength, timeperiod=stoch)
    spread = highest - lowest
    raw = np.full(len(series), np.nan)
    moved = spread > 0.0
    raw[moved] = 100.0 * (strength[moved] - lowest[moved]) / spread[moved]
    raw[spread == 0.0] = _NEUTRAL
    k = talib.SMA(raw, timeperiod=k_bars)
    return StochRsi(k=k, d=talib.SMA(k, timeperiod=d_bars))


def roc(values: npt.ArrayLike, period: int = 10) -> FloatArray:
    """Rate of change in percent: ``100 * (values[t] / values[t - period] - 1)``.

    Units are percent (2.0 = 2 %), as TA-Lib's ROC. Applies to any series: prices for
    price momentum, volumes for the "volume ROC" of a scanner. Where the old value is
    0 the change is undefined and TA-Lib reports 0.

    Args:
        values: the series.
        period: look-back in bars, >= 1.

    Returns:
        The changes, NaN for the first ``period`` bars.

    Raises:
        IndicatorError: on a series that is not 1-D numbers or a period out of range.
    """
    series = as_series("roc", "values", values)
    return talib.ROC(series, timeperiod=check_period("roc", "period", period))


def cci(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 20
) -> FloatArray:
    """Commodity channel index (Lambert): distance of the typical price from its mean.

    ``(tp - sma(tp)) / (0.015 * mean absolute deviation of tp)`` with
    ``tp = (high + low + close) / 3`` over the last ``period`` bars; roughly 70-80 % of
    values fall within -100..100.

    Args:
        high: bar highs.
        low: bar lows.
        close: bar closes.
        period: window in bars, >= 2.

    Returns:
        The index, NaN for the first ``period - 1`` bars.

    Raises:
        IndicatorError: on series that are not 1-D numbers or differ in length, or a
            period out of range.
    """
    highs, lows, closes = aligned("cci", high=high, low=low, close=close)
    return talib.CCI(
        highs, lows, closes, timeperiod=check_period("cci", "period", period, minimum=2)
    )


def _unmoved_stretch(series: FloatArray) -> tuple[int, int]:
    """The bars ``start:end`` from the first price up to (excluding) its first change.

    TA-Lib skips leading NaNs and seeds RSI at the first price; Wilder's averages are
    exactly zero only until the price first changes, since any move leaves a positive
    average that never decays back to zero.
    """
    present = ~np.isnan(series)
    if not present.any():
        return 0, 0
    start = int(np.argmax(present))
    changed = series[start:] != series[start]
    return start, start + (int(np.argmax(changed)) if changed.any() else len(changed))
