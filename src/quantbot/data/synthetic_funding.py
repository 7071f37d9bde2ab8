"""Perpetual funding and mark prices of the synthetic market.

Each asset gets a linear perpetual whose premium over the spot price (its *basis*, a
fraction) leans with the market: positive and building up in up-trends (longs crowd in
and pay), negative in down-trends, small in ranges, pushed further by the asset's last
day of returns, persistent over hours and noisy. Funding is then settled the way
Binance USD-M does it, every 8 hours at 00:00, 08:00 and 16:00 UTC::

    rate = P + clamp(I - P, -0.05 %, +0.05 %),  clamped to +-0.3 %

with ``P`` the mean premium over the interval and ``I`` the 0.01 % interest part, so a
premium between -0.04 % and +0.06 % gives exactly the 0.01 % baseline, as about a third
of real settlements do. Rates are rounded to 8 decimals, as Binance publishes them.
The mark price is the spot price times ``1 + basis``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from quantbot.data.ohlcv import OHLCV_COLUMNS
from quantbot.data.synthetic_processes import MINUTE_MS, REGIMES, linear_recurrence

__all__ = [
    "FUNDING_CAP",
    "FUNDING_COLUMNS",
    "FUNDING_INTEREST",
    "FUNDING_INTERVAL_MS",
    "basis_path",
    "funding_settlements",
    "mark_candles",
]

FUNDING_INTERVAL_MS = 8 * 3_600_000
"""Time between settlements; settlements fall on multiples of it since the epoch."""
FUNDING_INTEREST = 0.0001
"""The interest part of the rate per settlement (0.01 %): the rate of a calm market."""
FUNDING_CAP = 0.003
"""Largest absolute rate per settlement (Binance's BTCUSDT cap, 0.3 %)."""
FUNDING_COLUMNS = ("ts_ms", "funding_rate", "mark_price")
"""Columns of a funding frame: settlement time (epoch ms), rate (fraction per
settlement, positive = longs pay shorts) and mark price at settlement."""

_PREMIUM_CLAMP = 0.0005
_PREMIUM_BY_REGIME = {
    "trend_up": 0.0009,
    "trend_down": -0.0006,
    "range": -0.0002,
    "high_volatility": 0.0,
}
"""Premium each regime pulls the basis towards, as a fraction of the spot price."""
_MOMENTUM_PREMIUM = 0.0002
"""Premium added per standard deviation of the asset's return over the last day."""
_PREMIUM_HOURS = 8.0
"""Time constant of the basis: it takes about a settlement interval to follow a new regime."""
_PREMIUM_NOISE = 0.0002
_MINUTE_NOISE = 0.00003
_DAY_MINUTES = 1440


def basis_path(
    rng: np.random.Generator,
    *,
    close: np.ndarray,
    regime_index: np.ndarray,
    minute_volatility: float,
) -> np.ndarray:
    """The perpetual's premium over spot at each minute, as a fraction of the spot price.

    Args:
        rng: the random stream (the funding stream, not the price one).
        close: the asset's spot closes, one per minute.
        regime_index: regime of each minute, into :data:`REGIMES`.
        minute_volatility: the asset's typical standard deviation of 1m returns, to turn
            the last day's return into a number of standard deviations.
    """
    minutes = len(close)
    lean = np.array([_PREMIUM_BY_REGIME[r.name] for r in REGIMES])[regime_index]
    day_ago = np.concatenate((np.full(min(_DAY_MINUTES, minutes), close[0]), close))[:minutes]
    day_z = (close / day_ago - 1.0) / (minute_volatility * math.sqrt(_DAY_MINUTES))
    target = lean + _MOMENTUM_PREMIUM * np.clip(day_z, -3.0, 3.0)
    # The basis follows its target hour by hour, as an AR(1) with noise.
    hour = np.arange(minutes) // 60
    hourly_target = np.bincount(hour, weights=target) / np.bincount(hour)
    phi = math.exp(-1.0 / _PREMIUM_HOURS)
    noise = rng.standard_normal(len(hourly_target)) * _PREMIUM_NOISE * math.sqrt(1.0 - phi * phi)
    hourly = linear_recurrence(
        phi, (1.0 - phi) * hourly_target[1:] + noise[1:], x0=float(hourly_target[0])
    )
    basis: np.ndarray = np.interp(np.arange(minutes) / 60.0, np.arange(len(hourly)), hourly)
    return basis + rng.standard_normal(minutes) * _MINUTE_NOISE


def funding_settlements(
    *, ts_ms: np.ndarray, basis: np.ndarray, mark_close: np.ndarray, end_ms: int
) -> pd.DataFrame:
    """Settle funding at every 8h grid time in ``(ts_ms[0], end_ms]``.

    Each settlement averages the basis of the minutes that opened in the 8 hours before
    it (fewer for the first one when the data starts between settlements).

    Args:
        ts_ms: minute open times, epoch ms, contiguous.
        basis: premium of each minute, a fraction.
        mark_close: mark price at each minute's close.
        end_ms: end of the data (the last minute's close time).

    Returns:
        A frame with the columns of :data:`FUNDING_COLUMNS`, one row per settlement.
    """
    interval = ts_ms // FUNDING_INTERVAL_MS
    slot = interval - interval[0]
    premium = np.bincount(slot, weights=basis) / np.bincount(slot)
    formula = premium + np.clip(FUNDING_INTEREST - premium, -_PREMIUM_CLAMP, _PREMIUM_CLAMP)
    rate = np.round(np.clip(formula, -FUNDING_CAP, FUNDING_CAP), 8)
    settle_ms = (interval[0] + 1 + np.arange(len(premium), dtype=np.int64)) * FUNDING_INTERVAL_MS
    keep = settle_ms <= end_ms
    # The mark at settlement is the close of the minute that ends at the settlement.
    last_minute = (settle_ms[keep] - MINUTE_MS - ts_ms[0]) // MINUTE_MS
    return pd.DataFrame(
        {
            "ts_ms": settle_ms[keep],
            "funding_rate": rate[keep],
            "mark_price": mark_close[last_minute],
        }
    )


def mark_candles(candles: pd.DataFrame, basis: np.ndarray) -> pd.DataFrame:
    """Mark-price candles: spot times ``1 + basis``, volume 0 (as Binance's mark klines).

    Each close is the spot close times the minute's ``1 + basis`` and each open is the
    previous mark close, so the candles chain like traded ones; high and low are the
    spot's scaled, widened to include open and close.

    Args:
        candles: spot OHLCV frame.
        basis: premium of each minute, a fraction, same length as ``candles``.
    """
    factor = 1.0 + basis
    close = candles["close"].to_numpy() * factor
    first_open = candles["open"].to_numpy()[:1] * factor[:1]
    open_ = np.concatenate((first_open, close[:-1]))
    high = np.maximum(candles["high"].to_numpy() * factor, np.maximum(open_, close))
    low = np.minimum(candles["low"].to_numpy() * factor, np.minimum(open_, close))
    return pd.DataFrame(
        {
            "ts_ms": candles["ts_ms"].to_numpy(),
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": np.zeros(len(close)),
        },
        columns=list(OHLCV_COLUMNS),
    )
