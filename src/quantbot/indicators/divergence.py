"""Divergence: a new price extreme that an oscillator (RSI...) does not confirm.

With ``L = lookback`` and the window of the ``L`` bars *before* bar t:

    bearish[t] = price[t] > max(price[t-L .. t-1]) and osc[t] <= max(osc[t-L .. t-1])
    bullish[t] = price[t] < min(price[t-L .. t-1]) and osc[t] >= min(osc[t-L .. t-1])

That is "price makes a new L-bar high while RSI does not" (the momentum strategy's
exit for a long) and its mirror for a short. Both read bars t-L .. t only, so each is
known at the close of bar t. No divergence is reported while either window holds a NaN
(the oscillator's warm-up, a gap in the data).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from quantbot.indicators.momentum import rsi
from quantbot.indicators.rolling import rolling_max
from quantbot.indicators.series import BoolArray, FloatArray, aligned, as_series, check_period

__all__ = ["Divergence", "divergence", "rsi_divergence"]


class Divergence(NamedTuple):
    """Bars on which a divergence shows (unpack as ``bearish, bullish``)."""

    bearish: BoolArray
    """A new price high that the oscillator does not confirm: upward momentum fading."""
    bullish: BoolArray
    """A new price low that the oscillator does not confirm: downward momentum fading."""


def divergence(price: npt.ArrayLike, oscillator: npt.ArrayLike, lookback: int = 14) -> Divergence:
    """Bars where ``price`` sets a new ``lookback``-bar extreme and ``oscillator`` does not.

    Args:
        price: the price series, e.g. closes.
        oscillator: the momentum series compared, e.g. RSI or the MACD histogram.
        lookback: number of earlier bars the new extreme must beat, >= 1.

    Returns:
        :class:`Divergence`, one flag per bar.

    Raises:
        IndicatorError: on series that are not 1-D numbers or differ in length, or a
            lookback out of range.
    """
    prices, oscillators = aligned("divergence", price=price, oscillator=oscillator)
    bars = check_period("divergence", "lookback", lookback, maximum=None)
    return Divergence(
        bearish=_new_extreme_unconfirmed(prices, oscillators, bars),
        bullish=_new_extreme_unconfirmed(-prices, -oscillators, bars),
    )


def rsi_divergence(close: npt.ArrayLike, rsi_period: int = 14, lookback: int = 14) -> Divergence:
    """RSI divergence: :func:`divergence` of the closes and their RSI.

    Args:
        close: closing prices.
        rsi_period: RSI period in bars, >= 2.
        lookback: number of earlier bars the new extreme must beat, >= 1.

    Returns:
        :class:`Divergence`; no flag is set before bar ``rsi_period + lookback``.

    Raises:
        IndicatorError: on a series that is not 1-D numbers or a period out of range.
    """
    closes = as_series("rsi_divergence", "close", close)
    period = check_period("rsi_divergence", "rsi_period", rsi_period, minimum=2)
    bars = check_period("rsi_divergence", "lookback", lookback, maximum=None)
    return divergence(closes, rsi(closes, period), bars)


def _new_extreme_unconfirmed(price: FloatArray, oscillator: FloatArray, lookback: int) -> BoolArray:
    """``price[t]`` above its previous ``lookback`` values, ``oscillator[t]`` not above its own."""
    flags = np.zeros(len(price), dtype=np.bool_)
    # The maximum of the lookback bars ending at t-1 is the trailing maximum at t-1.
    price_before = rolling_max(price, lookback)[:-1]
    oscillator_before = rolling_max(oscillator, lookback)[:-1]
    flags[1:] = (price[1:] > price_before) & (oscillator[1:] <= oscillator_before)
    return flags
