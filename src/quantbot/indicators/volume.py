"""Volume indicators: OBV and MFI (TA-Lib), VWAP and volume versus its average (computed here).

VWAP comes in two forms, since TA-Lib has neither: over a trailing window of bars
(:func:`rolling_vwap`) and anchored to a session that restarts at fixed UTC boundaries,
a calendar day by default (:func:`session_vwap`). Both weigh the typical price
``(high + low + close) / 3`` of each bar by its volume.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import talib

from quantbot.indicators.jit import jit
from quantbot.indicators.rolling import compensated_add, rolling_sum
from quantbot.indicators.series import (
    FloatArray,
    TimestampArray,
    aligned,
    as_series,
    as_timestamps,
    check_period,
    check_same_length,
)

__all__ = ["DAY_MS", "mfi", "obv", "rolling_vwap", "session_vwap", "volume_ratio"]

DAY_MS = 86_400_000
"""One UTC day in milliseconds, the default VWAP session."""


def obv(close: npt.ArrayLike, volume: npt.ArrayLike) -> FloatArray:
    """On-balance volume (Granville): the running sum of volume signed by the close's direction.

    OBV is cumulative from the first bar (TA-Lib starts it at ``volume[0]``), so its
    level depends on where the series starts and only its changes carry meaning: a
    live window and the backtest's full history give OBVs that differ by a constant.

    Args:
        close: bar closes.
        volume: bar volumes.

    Returns:
        The OBV in volume units, defined from bar 0.

    Raises:
        IndicatorError: on series that are not 1-D numbers or differ in length.
    """
    closes, volumes = aligned("obv", close=close, volume=volume)
    return talib.OBV(closes, volumes)


def mfi(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    period: int = 14,
) -> FloatArray:
    """Money flow index: a volume-weighted RSI of the typical price, from 0 to 100.

    Args:
        high: bar highs.
        low: bar lows.
        close: bar closes.
        volume: bar volumes.
        period: window in bars, >= 2.

    Returns:
        The index, NaN for the first ``period`` bars.

    Raises:
        IndicatorError: on series that are not 1-D numbers or differ in length, or a
            period out of range.
    """
    highs, lows, closes, volumes = aligned("mfi", high=high, low=low, close=close, volume=volume)
    return talib.MFI(
        highs, lows, closes, volumes, timeperiod=check_period("mfi", "period", period, minimum=2)
    )


def volume_ratio(volume: npt.ArrayLike, period: int = 20) -> FloatArray:
    """Each bar's volume divided by the mean volume of the last ``period`` bars, bar t included.

    1.5 means 50 % above average: the momentum strategy's "volume > 1.5x its 20-bar
    average" is ``volume_ratio(volume, 20) > 1.5``. The current bar is part of the
    average, as in ``volume / volume.rolling(20).mean()``.

    Args:
        volume: bar volumes.
        period: window in bars, >= 1.

    Returns:
        The ratios: NaN for the first ``period - 1`` bars, for windows holding a
        missing volume and for windows without any volume (the ratio is undefined).

    Raises:
        IndicatorError: on a series that is not 1-D numbers or a period out of range.
    """
    volumes = as_series("volume_ratio", "volume", volume)
    bars = check_period("volume_ratio", "period", period, maximum=None)
    mean = rolling_sum(volumes, bars) / bars
    ratio = np.full(len(volumes), np.nan)
    np.divide(volumes, mean, out=ratio, where=mean > 0.0)
    return ratio


def rolling_vwap(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    period: int = 20,
) -> FloatArray:
    """Volume-weighted average price of the last ``period`` bars, bar t included.

    ``sum(typical * volume) / sum(volume)`` over the window, with
    ``typical = (high + low + close) / 3``.

    Args:
        high: bar highs.
        low: bar lows.
        close: bar closes.
        volume: bar volumes.
        period: window in bars, >= 1.

    Returns:
        The VWAP in price units: NaN for the first ``period - 1`` bars, for windows
        holding a missing value and for windows without any volume.

    Raises:
        IndicatorError: on series that are not 1-D numbers or differ in length, or a
            period out of range.
    """
    highs, lows, closes, volumes = aligned(
        "rolling_vwap", high=high, low=low, close=close, volume=volume
    )
    bars = check_period("rolling_vwap", "period", period, maximum=None)
    traded = rolling_sum(_typical_price(highs, lows, closes) * volumes, bars)
    total = rolling_sum(volumes, bars)
    vwap = np.full(len(volumes), np.nan)
    np.divide(traded, total, out=vwap, where=total > 0.0)
    return vwap


def session_vwap(
    ts_ms: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    *,
    session_ms: int = DAY_MS,
) -> FloatArray:
    """Volume-weighted average price since the start of the bar's session.

    Sessions are the multiples of ``session_ms`` since the Unix epoch, in UTC: the
    default restarts at midnight UTC every day, ``4 * 3_600_000`` restarts with every
    4h candle. A bar belongs to the session its open time falls in.

    Args:
        ts_ms: bar open times in epoch milliseconds, never decreasing.
        high: bar highs.
        low: bar lows.
        close: bar closes.
        volume: bar volumes.
        session_ms: session length in milliseconds, >= 1.

    Returns:
        The VWAP in price units: NaN until the session has traded some volume, and for
        the rest of a session once one of its bars has a missing value (its VWAP is
        then unknown).

    Raises:
        IndicatorError: on series that are not 1-D numbers or differ in length,
            timestamps that are not integers or go back in time, or a session length
            below 1 ms.
    """
    highs, lows, closes, volumes = aligned(
        "session_vwap", high=high, low=low, close=close, volume=volume
    )
    stamps = as_timestamps("session_vwap", ts_ms)
    check_same_length("session_vwap", ts_ms=stamps, volume=volumes)
    session = check_period("session_vwap", "session_ms", session_ms, maximum=None)
    vwap = np.empty(len(volumes), dtype=np.float64)
    _session_vwap_into(stamps // session, _typical_price(highs, lows, closes), volumes, vwap)
    return vwap


def _typical_price(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    return (high + low + close) / 3.0


@jit
def _session_vwap_into(
    sessions: TimestampArray, typical: FloatArray, volume: FloatArray, out: FloatArray
) -> None:
    """Fill ``out`` with the VWAP since each bar's session began, in one pass."""
    traded = traded_error = total = total_error = 0.0
    trading_bars = 0
    missing = False
    for t in range(len(sessions)):
        if t == 0 or sessions[t] != sessions[t - 1]:
            traded = traded_error = total = total_error = 0.0
            trading_bars = 0
            missing = False
        if not (math.isfinite(typical[t]) and math.isfinite(volume[t])):
            missing = True
        elif volume[t] != 0.0:
            traded, traded_error = compensated_add(traded, traded_error, typical[t] * volume[t])
            total, total_error = compensated_add(total, total_error, volume[t])
            trading_bars += 1
        if missing or trading_bars == 0:
            out[t] = math.nan
        else:
            out[t] = (traded + traded_error) / (total + total_error)
