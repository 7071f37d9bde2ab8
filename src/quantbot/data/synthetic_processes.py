"""The hidden stochastic processes behind the synthetic market.

- :func:`regime_path`: a Markov chain over trend-up, trend-down, range and
  high-volatility regimes with geometric stays;
- :func:`volatility_path`: the market's volatility multiplier per minute, the product of
  a GARCH(1,1)-type variance (minutes to hours), a slow log-normal level (days) and the
  regime's multiplier;
- :func:`intraday_curve`: the UTC day's activity shape (busiest around the US open);
- :func:`linear_recurrence`: ``x[t+1] = a[t] * x[t] + b[t]`` solved with numpy in blocks,
  which both the variance and the funding premium use instead of a Python loop over
  every minute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "MINUTE_MS",
    "REGIMES",
    "Regime",
    "intraday_curve",
    "linear_recurrence",
    "regime_path",
    "volatility_path",
]

MINUTE_MS = 60_000
_DAY_MS = 86_400_000
_BLOCK = 256
"""Steps solved together by :func:`linear_recurrence`; products of ``a`` over a block
must stay within float64 range (0.9**256 is 2e-12: ample)."""


@dataclass(frozen=True, slots=True)
class Regime:
    """One market regime.

    Attributes:
        name: trend_up, trend_down, range or high_volatility.
        drift_per_volatility: annualised drift as a multiple of the asset's annual
            volatility (3.5 with 55 % volatility is +190 % a year while it lasts).
        volatility_multiplier: factor on the asset's volatility while it lasts.
        mean_stay_minutes: expected length of a stay.
    """

    name: str
    drift_per_volatility: float
    volatility_multiplier: float
    mean_stay_minutes: int


REGIMES = (
    Regime("trend_up", 3.5, 0.9, 3 * 1440),
    Regime("trend_down", -4.5, 1.1, 2 * 1440),
    Regime("range", 0.0, 0.75, 4 * 1440),
    Regime("high_volatility", 0.0, 2.0, 720),
)
"""The regimes, in the order :func:`regime_path` indexes them. Trends are strong enough
to see over a stay (about a third of a stay's own noise) and falls are sharper than
rises, as in crypto markets."""

# GARCH(1,1)-type variance with its own normal shocks: omega + alpha + beta = 1 keeps
# the mean at 1. A persistence of 0.97 (a half-life of about 20 minutes) with a large
# alpha gives the fast decay of real 1m clustering over the first half hour; the slow
# level and the regimes carry the memory of hours and days. Calibrated against Binance
# BTC/USDT 1m (tests/integration/test_synthetic_realism.py).
_GARCH_ALPHA = 0.12
_GARCH_BETA = 0.85
# The slow level: an hourly AR(1) log-volatility with this time constant and deviation
# makes whole days calm or busy.
_SLOW_HOURS = 48.0
_SLOW_STD = 0.2
_INTRADAY_PEAK_HOUR = 14.0
"""UTC hour at which activity peaks (the US open overlapping Europe's afternoon)."""


def regime_path(rng: np.random.Generator, minutes: int) -> np.ndarray:
    """Regime index per minute (into :data:`REGIMES`) from a Markov chain.

    Stays are geometric with the regime's mean; the next regime is drawn uniformly among
    the other ones.
    """
    path = np.empty(minutes, dtype=np.int64)
    position, state = 0, int(rng.integers(len(REGIMES)))
    while position < minutes:
        stay = int(rng.geometric(1.0 / REGIMES[state].mean_stay_minutes))
        path[position : position + stay] = state
        position += stay
        state = int(rng.choice([s for s in range(len(REGIMES)) if s != state]))
    return path


def intraday_curve(ts_ms: np.ndarray, amplitude: float) -> np.ndarray:
    """The UTC day's activity at each timestamp: ``1 + amplitude * sin(...)``.

    Peaks at 14:00 UTC and bottoms out twelve hours later; the mean over a day is 1.
    A real day peaks at 13-16 UTC and is quietest at 02-05 UTC, with the busiest hour's
    volume about 2.5 times the quietest's and its volatility about twice.
    """
    day_fraction = (ts_ms % _DAY_MS) / _DAY_MS
    phase = 2.0 * np.pi * (day_fraction - (_INTRADAY_PEAK_HOUR - 6.0) / 24.0)
    curve: np.ndarray = 1.0 + amplitude * np.sin(phase)
    return curve


def volatility_path(rng: np.random.Generator, regime_index: np.ndarray) -> np.ndarray:
    """The market's volatility multiplier per minute, before the intraday curve.

    The product of a GARCH(1,1)-type variance driven by its own shocks (calm and stormy
    hours cluster), a slow log-normal level (calm and busy days) and the regime's
    multiplier; its mean square is close to 1. One path is shared by all assets, so
    that their correlation stays the configured one and they are stormy together, as
    real crypto markets are.

    Args:
        rng: the random stream.
        regime_index: regime of each minute, into :data:`REGIMES`.
    """
    minutes = len(regime_index)
    shocks = rng.standard_normal(minutes - 1)
    omega = 1.0 - _GARCH_ALPHA - _GARCH_BETA
    variance = linear_recurrence(
        _GARCH_ALPHA * shocks**2 + _GARCH_BETA, np.full(minutes - 1, omega), x0=1.0
    )
    hours = minutes // 60 + 2
    phi = math.exp(-1.0 / _SLOW_HOURS)
    innovations = rng.standard_normal(hours) * _SLOW_STD
    # Start from the stationary distribution, then AR(1) with that deviation.
    slow_hourly = linear_recurrence(
        phi, innovations[1:] * math.sqrt(1.0 - phi * phi), x0=float(innovations[0])
    )
    slow_log = np.interp(np.arange(minutes) / 60.0, np.arange(hours), slow_hourly)
    # exp(x - s^2) with x ~ N(0, s^2) has a mean square of 1.
    slow = np.exp(slow_log - _SLOW_STD**2)
    regime_multiplier = np.array([r.volatility_multiplier for r in REGIMES])[regime_index]
    multiplier: np.ndarray = regime_multiplier * np.sqrt(variance) * slow
    return multiplier


def linear_recurrence(a: float | np.ndarray, b: np.ndarray, *, x0: float) -> np.ndarray:
    """Solve ``x[0] = x0, x[t + 1] = a[t] * x[t] + b[t]`` for ``len(b) + 1`` values.

    Within a block the solution is ``x = P * x_start + Q`` with ``P`` a cumulative
    product of ``a`` and ``Q`` a cumulative sum, both vectorised; only the block starts
    (one per 256 steps) are chained in Python. This is 10-20 times faster than a
    Python loop over every step and equal to it up to rounding.

    Args:
        a: positive coefficients, one per step, or one for all steps.
        b: additive terms, one per step.
        x0: the initial value.

    Raises:
        ValueError: when a coefficient is not positive.
    """
    steps = len(b)
    coefficients = np.broadcast_to(np.asarray(a, dtype=np.float64), (steps,))
    if steps and coefficients.min() <= 0.0:
        raise ValueError("linear_recurrence needs positive coefficients")
    pad = (-steps) % _BLOCK
    a_blocks = np.concatenate((coefficients, np.ones(pad))).reshape(-1, _BLOCK)
    b_blocks = np.concatenate((np.asarray(b, dtype=np.float64), np.zeros(pad))).reshape(-1, _BLOCK)
    products = np.cumprod(a_blocks, axis=1)
    sums = products * np.cumsum(b_blocks / products, axis=1)
    starts = np.empty(len(a_blocks))
    value = x0
    for index, (product, total) in enumerate(
        zip(products[:, -1].tolist(), sums[:, -1].tolist(), strict=True)
    ):
        starts[index] = value
        value = product * value + total
    solution = np.empty((len(a_blocks), _BLOCK + 1))
    solution[:, 0] = starts
    solution[:, 1:] = products * starts[:, None] + sums
    # Each block's last value is the next block's start: keep it once.
    flat = np.concatenate((solution[:, :-1].ravel(), [value]))
    result: np.ndarray = flat[: steps + 1]
    return result
