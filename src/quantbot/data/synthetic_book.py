"""Synthetic L2 order-book snapshots around 1-minute candles.

A snapshot every ``interval_s`` seconds, ``levels`` price levels per side, built to
look like Binance spot books of liquid pairs (checked against recorded ones in
tests/integration/test_synthetic_realism.py):

- the mid follows a bridge from the candle's open to its close, inside its high/low;
- the spread is one tick nearly always (BTC/USDT's is 0.01 USDT at 60 000) and opens
  up now and then, more often when the minute is volatile;
- levels are sparse: the gap between two levels is a random number of ticks worth about
  0.08 basis points of price, so 20 levels span one to two basis points whatever the
  tick;
- the touch holds a queue several times a typical level's; away from it quantities
  grow with the level, with log-normal noise; books thin out when volatility rises;
- the top 20 levels of a side hold about a quarter of a minute's average volume.

Prices are multiples of the tick and quantities multiples of the lot, never crossed:
best bid < best ask, bids descending, asks ascending.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from quantbot.data.synthetic_assets import decimals_of
from quantbot.data.synthetic_processes import MINUTE_MS

__all__ = ["ORDER_BOOK_COLUMNS", "generate_order_books"]

ORDER_BOOK_COLUMNS = ("ts_ms", "update_id", "bids", "asks")
"""Columns of a book frame (the store's order-book format): snapshot time (epoch ms),
book sequence number, and ``[[price, qty], ...]`` lists, bids descending, asks ascending."""

_WIDE_SPREAD_PROBABILITY = 0.01
"""Chance that the spread is wider than a tick in a minute of typical volatility."""
_WIDE_SPREAD_BPS = 0.2
"""Mean extra width of a wide spread, in basis points of price (at least a tick)."""
_LEVEL_SPACING_BPS = 0.08
_DEPTH_MINUTES = 0.25
"""Quantity in the top 20 levels of a side, in minutes of average traded volume."""
_REFERENCE_LEVELS = 20
_TOUCH_MULTIPLIER = 10.0
_LEVEL_GROWTH = 0.1
_QTY_NOISE = 1.0
_UPDATES_PER_SECOND = 20.0
_PARKINSON = 2.0 * math.sqrt(math.log(2.0))
"""Divides a candle's relative range to estimate its return standard deviation."""


def generate_order_books(
    candles: pd.DataFrame,
    *,
    tick_size: float,
    lot_size: float,
    interval_s: int = 60,
    levels: int = 20,
    seed: int | np.random.SeedSequence = 7,
) -> pd.DataFrame:
    """Book snapshots every ``interval_s`` seconds over the span of 1-minute candles.

    Works on any OHLCV frame (synthetic or loaded from the store): volatility comes from
    each candle's range, the size of the book from the frame's mean volume. Snapshots
    that would fall in a gap between candles are left out.

    Args:
        candles: 1-minute OHLCV frame, ``ts_ms`` increasing.
        tick_size: price increment, quote currency.
        lot_size: quantity increment, base units.
        interval_s: seconds between snapshots; the first is at the first candle's open.
        levels: price levels per side.
        seed: random seed (or seed sequence); equal inputs give identical books.

    Returns:
        A frame with the columns of :data:`ORDER_BOOK_COLUMNS`.

    Raises:
        ValueError: on no candles, a non-positive interval, level count, tick or lot,
            or prices too low to fit ``levels`` bids above zero.
    """
    if candles.empty:
        raise ValueError("order books need at least one candle")
    if interval_s <= 0 or levels <= 0 or not (tick_size > 0 and lot_size > 0):
        raise ValueError(
            f"interval_s {interval_s}, levels {levels}, tick_size {tick_size} and "
            f"lot_size {lot_size} must all be > 0"
        )
    rng = np.random.Generator(np.random.PCG64(seed))
    open_ms = candles["ts_ms"].to_numpy(dtype=np.int64)
    times = np.arange(open_ms[0], open_ms[-1] + MINUTE_MS, interval_s * 1000, dtype=np.int64)
    minute = np.searchsorted(open_ms, times, side="right") - 1
    inside = times - open_ms[minute] < MINUTE_MS
    times, minute = times[inside], minute[inside]
    mid, volatility = _mid_prices(rng, candles, minute, (times - open_ms[minute]) / MINUTE_MS)
    bid_ticks, ask_ticks = _level_ticks(rng, mid / tick_size, volatility, levels)
    if bid_ticks[:, -1].min() < 1:
        raise ValueError(
            f"price {mid.min()} is too low for {levels} bid levels at tick {tick_size}"
        )
    thinning = 1.0 / np.sqrt(np.clip(volatility, 0.25, 4.0))
    mean_volume = float(candles["volume"].mean())
    bids, asks = (
        _side(
            rng,
            ticks,
            tick_size=tick_size,
            lot_size=lot_size,
            mean_volume=mean_volume,
            thinning=thinning,
        )
        for ticks in (bid_ticks, ask_ticks)
    )
    updates = 1 + rng.poisson(_UPDATES_PER_SECOND * interval_s, len(times))
    update_id = int(rng.integers(1, 10**9)) + np.cumsum(updates)
    with _collector_paused():
        bid_lists, ask_lists = bids.tolist(), asks.tolist()
    return pd.DataFrame(
        {
            "ts_ms": times,
            "update_id": update_id.astype(np.int64),
            "bids": bid_lists,
            "asks": ask_lists,
        },
        columns=list(ORDER_BOOK_COLUMNS),
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building millions of small lists.

    Each allocation burst triggers collections that rescan every young list, which made
    the conversion five times slower; lists of floats hold no cycles to collect.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _mid_prices(
    rng: np.random.Generator, candles: pd.DataFrame, minute: np.ndarray, fraction: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mid price at each snapshot and its minute's volatility relative to the typical one.

    The mid moves from the candle's open to its close with Brownian-bridge noise scaled
    by the candle's range, and never leaves the candle's high/low.
    """
    o, h, low, c = (candles[k].to_numpy(dtype=np.float64) for k in ("open", "high", "low", "close"))
    sigma = (h - low) / ((h + low) / 2.0) / _PARKINSON
    typical = float(np.median(sigma))
    relative = sigma / typical if typical > 0 else np.ones_like(sigma)
    o, h, low, c, sigma = o[minute], h[minute], low[minute], c[minute], sigma[minute]
    wander = sigma * np.sqrt(fraction * (1.0 - fraction)) * rng.standard_normal(len(minute))
    mid = np.clip((o + fraction * (c - o)) * (1.0 + wander), low, h)
    return mid, relative[minute]


def _level_ticks(
    rng: np.random.Generator, mid_ticks: np.ndarray, volatility: np.ndarray, levels: int
) -> tuple[np.ndarray, np.ndarray]:
    """Integer tick prices of every level: bids ``(n, levels)`` descending, asks ascending."""
    rows = len(mid_ticks)
    wide = rng.random(rows) < np.minimum(_WIDE_SPREAD_PROBABILITY * volatility**2, 0.5)
    wide_mean = np.maximum(1.0, _WIDE_SPREAD_BPS * 1e-4 * mid_ticks)
    spread = 1 + wide * (rng.geometric(1.0 / (1.0 + wide_mean)) - 1)
    best_bid = np.floor(mid_ticks - spread / 2.0 + 0.5).astype(np.int64)
    best_ask = best_bid + spread
    # Gaps of one tick or more, worth about _LEVEL_SPACING_BPS of price on average.
    gap_mean = np.maximum(1.0, _LEVEL_SPACING_BPS * 1e-4 * mid_ticks)[:, None]
    shape = (rows, levels - 1)
    bid_offsets = np.cumsum(rng.geometric(1.0 / gap_mean, shape), axis=1)
    ask_offsets = np.cumsum(rng.geometric(1.0 / gap_mean, shape), axis=1)
    bids = np.column_stack((best_bid, best_bid[:, None] - bid_offsets))
    asks = np.column_stack((best_ask, best_ask[:, None] + ask_offsets))
    return bids, asks


def _side(
    rng: np.random.Generator,
    ticks: np.ndarray,
    *,
    tick_size: float,
    lot_size: float,
    mean_volume: float,
    thinning: np.ndarray,
) -> np.ndarray:
    """``(n, levels, 2)`` price/quantity pairs of one side of every snapshot."""
    weights = _level_weights(ticks.shape[1])
    # Sized so that 20 levels hold _DEPTH_MINUTES of volume, whatever the level count.
    unit = _DEPTH_MINUTES * mean_volume / _level_weights(_REFERENCE_LEVELS).sum()
    # Log-normal noise with mean 1: exp(N(-s^2/2, s^2)).
    noise = rng.lognormal(-(_QTY_NOISE**2) / 2.0, _QTY_NOISE, ticks.shape)
    qty = unit * weights * noise * thinning[:, None]
    lots = np.maximum(np.round(qty / lot_size), 1.0)
    pairs = np.empty((*ticks.shape, 2))
    pairs[:, :, 0] = np.round(ticks * tick_size, decimals_of(tick_size))
    pairs[:, :, 1] = np.round(lots * lot_size, decimals_of(lot_size))
    return pairs


def _level_weights(levels: int) -> np.ndarray:
    """Mean quantity of each level, in typical levels: the touch's queue, then growth."""
    weights = 1.0 + _LEVEL_GROWTH * np.arange(levels)
    weights[0] *= _TOUCH_MULTIPLIER
    return weights
