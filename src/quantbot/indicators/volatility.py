"""Volatility indicators: ATR, Bollinger and Donchian channels (TA-Lib), realised volatility.

All return float64 arrays of the input's length, NaN during the warm-up.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import talib

from quantbot.indicators.returns import log_returns
from quantbot.indicators.rolling import rolling_variance
from quantbot.indicators.series import (
    FloatArray,
    aligned,
    as_series,
    check_period,
    check_positive,
)

__all__ = [
    "CRYPTO_DAYS_PER_YEAR",
    "BollingerBands",
    "DonchianChannel",
    "atr",
    "bollinger",
    "donchian",
    "realised_volatility",
]

CRYPTO_DAYS_PER_YEAR = 365.0
"""Crypto markets trade every day of the year, so a year has 365 daily bars (not 252)."""


class BollingerBands(NamedTuple):
    """The three Bollinger lines (unpack as ``upper, middle, lower``), in price units."""

    upper: FloatArray
    """The middle band plus ``dev_up`` standard deviations."""
    middle: FloatArray
    """The simple moving average of the price."""
    lower: FloatArray
    """The middle band minus ``dev_down`` standard deviations."""


class DonchianChannel(NamedTuple):
    """The Donchian channel (unpack as ``upper, lower``), in price units."""

    upper: FloatArray
    """The highest high of the window, bar t included."""
    lower: FloatArray
    """The lowest low of the window, bar t included."""


def atr(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Average true range (Wilder), in price units: the typical size of a bar's move.

    The true range of a bar is the largest of ``high - low``, ``|high - prev close|``
    and ``|low - prev close|`` (so gaps count); it is averaged with Wilder's recursive
    smoothing, seeded by the simple mean of the first ``period`` true ranges.

    Args:
        high: bar highs.
        low: bar lows.
        close: bar closes.
        period: smoothing period in bars, >= 1.

    Returns:
        The ATR, NaN for the first ``period`` bars.

    Raises:
        IndicatorError: on series that are not 1-D numbers or differ in length, or a
            period out of range.
    """
    highs, lows, closes = aligned("atr", high=high, low=low, close=close)
    return talib.ATR(highs, lows, closes, timeperiod=check_period("atr", "period", period))


def bollinger(
    close: npt.ArrayLike,
    period: int = 20,
    dev_up: float = 2.0,
    dev_down: float = 2.0,
) -> BollingerBands:
    """Bollinger bands: the SMA of the price plus and minus multiples of its standard deviation.

    The middle band is TA-Lib's default simple moving average; the standard deviation
    is the population one (divided by ``period``, not ``period - 1``), as in TA-Lib and
    Bollinger's own definition.

    Args:
        close: closing prices.
        period: window in bars, >= 2.
        dev_up: standard deviations from the middle to the upper band, >= 0.
        dev_down: standard deviations from the middle to the lower band, >= 0.

    Returns:
        :class:`BollingerBands`, NaN for the first ``period - 1`` bars.

    Raises:
        IndicatorError: on a series that is not 1-D numbers, a period out of range or
            a negative or non-finite deviation multiple.
    """
    series = as_series("bollinger", "close", close)
    upper, middle, lower = talib.BBANDS(
        series,
        timeperiod=check_period("bollinger", "period", period, minimum=2),
        nbdevup=check_positive("bollinger", "dev_up", dev_up, allow_zero=True),
        nbdevdn=check_positive("bollinger", "dev_down", dev_down, allow_zero=True),
    )
    return BollingerBands(upper=upper, middle=middle, lower=lower)


def donchian(high: npt.ArrayLike, low: npt.ArrayLike, period: int = 20) -> DonchianChannel:
    """Donchian channel: the highest high and lowest low of the last ``period`` bars.

    The window includes bar t, so ``close[t] > upper[t]`` can never hold; a breakout
    rule "close above the highest high of the previous N bars" compares ``close[t]``
    with ``upper[t - 1]`` (TA-Lib's MAX and MIN compute the channel).

    Args:
        high: bar highs.
        low: bar lows.
        period: window in bars, >= 2.

    Returns:
        :class:`DonchianChannel`, NaN for the first ``period - 1`` bars.

    Raises:
        IndicatorError: on series that are not 1-D numbers or differ in length, or a
            period out of range.
    """
    highs, lows = aligned("donchian", high=high, low=low)
    bars = check_period("donchian", "period", period, minimum=2)
    return DonchianChannel(
        upper=talib.MAX(highs, timeperiod=bars), lower=talib.MIN(lows, timeperiod=bars)
    )


def realised_volatility(
    close: npt.ArrayLike,
    period: int = 30,
    bars_per_year: float = CRYPTO_DAYS_PER_YEAR,
) -> FloatArray:
    """Annualised realised volatility of the last ``period`` log returns.

    The sample standard deviation (divided by ``period - 1``) of the log returns,
    scaled to a year by ``sqrt(bars_per_year)``.

    The result is a fraction per year (0.65 = 65 % a year). The defaults give the
    30-day volatility of daily bars used to select pairs; for other bars pass their
    number per year (crypto trades 365 days: 8,760 for 1h, 525,600 for 1m).

    Args:
        close: closing prices, positive.
        period: number of returns in the window, >= 2 (it spans ``period + 1`` prices).
        bars_per_year: bars in a 365-day year, > 0.

    Returns:
        The volatility: NaN for the first ``period`` bars and for windows holding a
        missing or non-positive price; 0.0 where the price did not move.

    Raises:
        IndicatorError: on a series that is not 1-D numbers, a period below 2 or a
            non-positive ``bars_per_year``.
    """
    prices = as_series("realised_volatility", "close", close)
    bars = check_period("realised_volatility", "period", period, minimum=2, maximum=None)
    scale = math.sqrt(check_positive("realised_volatility", "bars_per_year", bars_per_year))
    variance = rolling_variance(log_returns(prices), bars, ddof=1)
    return np.sqrt(variance) * scale
