"""Rolling correlation of a market's returns with a reference market's (e.g. BTC correlation).

Correlation is measured on log returns, never on prices: two unrelated markets that
both drifted up over the window have highly correlated prices and uncorrelated returns.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quantbot.indicators.returns import log_returns
from quantbot.indicators.rolling import rolling_sum
from quantbot.indicators.series import FloatArray, aligned, check_period

__all__ = ["return_correlation"]


def return_correlation(
    close: npt.ArrayLike, reference: npt.ArrayLike, period: int = 30
) -> FloatArray:
    """Pearson correlation of the last ``period`` log returns of ``close`` and ``reference``.

    Both series must be aligned bar for bar (same timestamps, e.g. SOL/USDT and
    BTC/USDT closes of the same 1h candles); aligning them is the caller's job.

    Args:
        close: closing prices of the market, positive.
        reference: closing prices of the reference market (BTC), positive.
        period: number of returns in the window, >= 2 (it spans ``period + 1`` prices).

    Returns:
        The correlation, from -1 to 1: NaN for the first ``period`` bars, for windows
        holding a missing or non-positive price and for windows in which either
        market did not move (the correlation of a constant is undefined).

    Raises:
        IndicatorError: on series that are not 1-D numbers or differ in length, or a
            period below 2.
    """
    prices, references = aligned("return_correlation", close=close, reference=reference)
    bars = check_period("return_correlation", "period", period, minimum=2, maximum=None)
    x = log_returns(prices)
    y = log_returns(references)
    sum_x = rolling_sum(x, bars)
    sum_y = rolling_sum(y, bars)
    # n * sum of squares - sum ** 2 is n**2 times the population variance (covariance).
    spread_x = bars * rolling_sum(x * x, bars) - sum_x * sum_x
    spread_y = bars * rolling_sum(y * y, bars) - sum_y * sum_y
    co_spread = bars * rolling_sum(x * y, bars) - sum_x * sum_y
    correlation = np.full(len(prices), np.nan)
    moved = (spread_x > 0.0) & (spread_y > 0.0)
    correlation[moved] = co_spread[moved] / np.sqrt(spread_x[moved] * spread_y[moved])
    # Rounding can push a perfect correlation a hair past 1.
    bounded: FloatArray = np.clip(correlation, -1.0, 1.0)
    return bounded
