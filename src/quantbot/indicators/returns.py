"""Log returns, the input of the statistical indicators (volatility, correlation, Hurst)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quantbot.indicators.series import FloatArray, as_series

__all__ = ["log_prices", "log_returns"]


def log_returns(close: npt.ArrayLike) -> FloatArray:
    """``ln(close[t] / close[t-1])`` at each bar: the continuously compounded return.

    Log returns add up over time (the return of a day is the sum of its minutes'),
    which is what makes their variance scale with the number of bars.

    Args:
        close: closing prices, positive.

    Returns:
        The returns, NaN on bar 0 and wherever a price involved is missing or not
        positive (the logarithm is undefined there).

    Raises:
        IndicatorError: on a series that is not 1-D numbers.
    """
    logs = log_prices(as_series("log_returns", "close", close))
    returns = np.full(len(logs), np.nan)
    returns[1:] = logs[1:] - logs[:-1]
    return returns


def log_prices(prices: FloatArray) -> FloatArray:
    """``ln(prices)`` of a checked series, NaN where a price is not positive or not finite.

    numpy would warn and return -inf or NaN there; a NaN is what the rolling windows
    of :mod:`quantbot.indicators.rolling` skip and report.
    """
    logs = np.full(len(prices), np.nan)
    positive = prices > 0.0
    np.log(prices, out=logs, where=positive)
    logs[np.isinf(logs)] = np.nan
    return logs
