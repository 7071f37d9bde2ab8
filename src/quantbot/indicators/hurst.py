"""The rolling Hurst exponent of a price: trending, random walk or mean-reverting.

Method: **variance of lagged differences** (not rescaled range). For a process whose
increments scale like fractional Brownian motion, the change over ``tau`` bars grows
like ``tau ** H``::

    mean((y[s] - y[s - tau]) ** 2)  ~  tau ** (2 * H)        y = ln(price)

so H is half the slope of ``ln mean square`` against ``ln tau``. At each bar t this
takes the window of the last ``window`` log prices and, for each lag ``tau`` in
``2, 4, 8, ...`` up to ``max_lag``, the mean square of the ``window - tau``
differences lying inside the window, then fits the slope by ordinary least squares.

Choices, and why:

- The differences are not demeaned. A steady drift therefore counts as persistence
  and a trending market reads above 0.5, which is what a regime filter wants; it also
  halves the bias of short windows (a 100-bar random walk averages about 0.48, against
  0.43 with demeaned differences).
- The lags double, so they are evenly spaced on the log axis of the fit (every octave
  weighs the same; consecutive lags 2..20 would crowd the fit with long lags), and a
  year of 1m bars costs a few running sums and logarithms per lag.
- Lag 1 is left out: one-bar changes carry most of the bid-ask bounce of real data,
  which drags the estimate down.

Reading: H near 0.5 is a random walk; above 0.5 moves tend to persist (trend
following suits the market); below 0.5 they tend to reverse (mean reversion and grids
suit it). Estimates are noisy: with the default 200-bar window, nine in ten random-walk
windows read between about 0.36 and 0.60, so compare them with thresholds like 0.35
and 0.65 rather than 0.5.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from quantbot.indicators.errors import IndicatorError
from quantbot.indicators.jit import jit
from quantbot.indicators.returns import log_prices
from quantbot.indicators.rolling import compensated_add
from quantbot.indicators.series import FloatArray, as_series, check_period

__all__ = ["hurst_exponent"]

_FIRST_LAG = 2


def hurst_exponent(close: npt.ArrayLike, window: int = 200, max_lag: int = 16) -> FloatArray:
    """The Hurst exponent of the last ``window`` prices at each bar (variance-of-lags method).

    Args:
        close: closing prices, positive.
        window: number of prices in each estimate, >= ``max_lag + 2`` so that every lag
            has at least two differences in the window.
        max_lag: the largest lag in bars, >= 4 (the fit needs two lags, 2 and 4); the
            lags are the powers of two from 2 up to it.

    Returns:
        The exponent, dimensionless: NaN for the first ``window - 1`` bars, for
        windows holding a missing or non-positive price and for windows in which
        every change over some lag is zero, e.g. a flat price (the logarithm of zero
        is undefined).

    Raises:
        IndicatorError: on a series that is not 1-D numbers or window and lag out of
            range.
    """
    prices = as_series("hurst_exponent", "close", close)
    longest = check_period(
        "hurst_exponent", "max_lag", max_lag, minimum=2 * _FIRST_LAG, maximum=None
    )
    bars = check_period("hurst_exponent", "window", window, minimum=2, maximum=None)
    if bars < longest + 2:
        raise IndicatorError(
            f"hurst_exponent window {bars}: must be >= max_lag + 2 = {longest + 2}"
        )
    lags = _FIRST_LAG ** np.arange(1, int(np.log2(longest)) + 1)
    log_lags = np.log(lags.astype(np.float64))
    centred = log_lags - log_lags.mean()
    # The least-squares slope of v against ln(tau) is sum(weight * v); H is half the
    # slope of ln(mean square), so the half goes into the weights.
    weights = 0.5 * centred / np.sum(centred * centred)
    out = np.empty(len(prices), dtype=np.float64)
    _hurst_into(log_prices(prices), bars, lags, weights, out)
    return out


@jit
def _hurst_into(
    logs: FloatArray,
    window: int,
    lags: npt.NDArray[np.int64],
    weights: FloatArray,
    out: FloatArray,
) -> None:
    """Fill ``out`` with the fitted slope, keeping a running sum of squares per lag."""
    count = len(lags)
    squares = np.zeros(count)
    errors = np.zeros(count)
    nonzero = np.zeros(count, dtype=np.int64)
    missing = 0
    for t in range(len(logs)):
        if not math.isfinite(logs[t]):
            missing += 1
        if t >= window and not math.isfinite(logs[t - window]):
            missing -= 1
        estimate = 0.0
        defined = t >= window - 1 and missing == 0
        for i in range(count):
            lag = lags[i]
            size = window - lag
            # The difference ending at bar t enters the window; the one ending at
            # t - size leaves it (it was added at t - size, if that bar had one).
            if t >= lag:
                change = logs[t] - logs[t - lag]
                if math.isfinite(change) and change != 0.0:
                    squares[i], errors[i] = compensated_add(squares[i], errors[i], change * change)
                    nonzero[i] += 1
            if t - size >= lag:
                change = logs[t - size] - logs[t - size - lag]
                if math.isfinite(change) and change != 0.0:
                    squares[i], errors[i] = compensated_add(squares[i], errors[i], -change * change)
                    nonzero[i] -= 1
            if nonzero[i] == 0:
                squares[i] = errors[i] = 0.0
            mean_square = (squares[i] + errors[i]) / size
            if mean_square > 0.0:
                estimate += weights[i] * math.log(mean_square)
            else:
                defined = False
        out[t] = estimate if defined else math.nan
