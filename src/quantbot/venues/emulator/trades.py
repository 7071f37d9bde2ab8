"""Public trades derived from candles (``/trades``, ``/aggTrades``).

Each closed base candle (one minute for the synthetic market) becomes
:data:`TRADES_PER_CANDLE` trades that walk its path: the open, the extreme on the far
side of the close (the low of a rising candle), the other extreme, the close, with
the volume split among them. Ids are the base-candle number since the epoch times
:data:`TRADES_PER_CANDLE` plus the trade's place in it, so they grow with time, stay
the same on every request and never need storing; times and sizes vary with
deterministic noise (:mod:`quantbot.venues.emulator.noise`). A trade whose size rounds
to zero lots is left out (all of a candle without volume), so ids can have holes:
clients page with ``fromId`` = last id + 1, never by counting ids.

The candle still open at "now" has no trades yet (the market stands at its open).
Each trade is its own aggregate trade (``a == f == l``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from quantbot.data.ohlcv import empty_ohlcv_frame
from quantbot.venues.emulator.market_view import MarketView
from quantbot.venues.emulator.markets import MarketSpec
from quantbot.venues.emulator.noise import stream_key, uniform
from quantbot.venues.emulator.windows import first_rows, last_rows

__all__ = [
    "TRADES_PER_CANDLE",
    "TRADE_COLUMNS",
    "candle_trades",
    "recent_trades",
    "trades_between",
    "trades_from_id",
]

TRADES_PER_CANDLE = 6
TRADE_COLUMNS = ("id", "ts_ms", "price", "qty", "buyer_maker")
"""Columns of a trade frame: id, time (epoch ms), price, quantity (base), whether the
buyer was the maker (the seller took liquidity: a down-tick)."""

# Where each trade sits on the way from the first extreme to the second (0 and 1 are
# the extremes themselves); the first and last trades are the open and the close.
_PATH = np.array([0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0])


def _empty_trades() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": np.array([], dtype=np.int64),
            "ts_ms": np.array([], dtype=np.int64),
            "price": np.array([], dtype=np.float64),
            "qty": np.array([], dtype=np.float64),
            "buyer_maker": np.array([], dtype=bool),
        },
        columns=list(TRADE_COLUMNS),
    )


def candle_trades(candles: pd.DataFrame, *, base_ms: int, spec: MarketSpec) -> pd.DataFrame:
    """The trades of closed base candles, in time order (see the module docstring).

    Args:
        candles: closed base candles (OHLCV frame).
        base_ms: length of a base candle.
        spec: the market, for its tick and lot and as the noise stream's name.
    """
    if candles.empty:
        return _empty_trades()
    n = TRADES_PER_CANDLE
    ts = candles["ts_ms"].to_numpy(dtype=np.int64)
    o, h, low, c, v = (
        candles[k].to_numpy(dtype=np.float64) for k in ("open", "high", "low", "close", "volume")
    )
    ids = (ts // base_ms)[:, None] * n + np.arange(n)
    jitter = uniform(ids.ravel(), stream_key(spec.symbol, "trade-time")).reshape(ids.shape)
    times = ts[:, None] + ((np.arange(n) + jitter) * base_ms / n).astype(np.int64)
    rising = (c >= o)[:, None]
    first = np.where(rising, low[:, None], h[:, None])
    second = np.where(rising, h[:, None], low[:, None])
    prices = np.column_stack((o, first + (second - first) * _PATH, c))
    weights = 0.2 + uniform(ids.ravel(), stream_key(spec.symbol, "trade-size")).reshape(ids.shape)
    qtys = v[:, None] * weights / weights.sum(axis=1, keepdims=True)
    prices, qtys = spec.round_prices(prices.ravel()), spec.round_qtys(qtys.ravel())
    buyer_maker = np.concatenate(([False], prices[1:] < prices[:-1]))
    frame = pd.DataFrame(
        {
            "id": ids.ravel(),
            "ts_ms": times.ravel(),
            "price": prices,
            "qty": qtys,
            "buyer_maker": buyer_maker,
        },
        columns=list(TRADE_COLUMNS),
    )
    return frame[frame["qty"] > 0].reset_index(drop=True)


def trades_between(
    view: MarketView, spec: MarketSpec, *, start_ms: int, end_ms: int
) -> pd.DataFrame:
    """Trades with time in ``[start_ms, end_ms]`` (inclusive, as Binance), closed candles only."""
    first_open = view.open_time(view.base_timeframe, start_ms)
    candles = view.closed(view.base_timeframe, start_ms=first_open, end_ms=end_ms + 1)
    trades = candle_trades(candles, base_ms=view.base_ms, spec=spec)
    inside = (trades["ts_ms"] >= start_ms) & (trades["ts_ms"] <= end_ms)
    return trades[inside].reset_index(drop=True)


def trades_from_id(view: MarketView, spec: MarketSpec, *, from_id: int, limit: int) -> pd.DataFrame:
    """The first ``limit`` trades with id >= ``from_id``."""
    if view.span_ms is None:
        return _empty_trades()
    start_ms = max((from_id // TRADES_PER_CANDLE) * view.base_ms, view.span_ms[0])
    candles = first_rows(
        lambda lo, hi: view.closed(view.base_timeframe, start_ms=lo, end_ms=hi),
        lo=start_ms,
        hi=min(view.now_ms, view.span_ms[1] + view.base_ms),
        limit=_candles_for(limit),
        width_ms=_candles_for(limit) * view.base_ms,
        empty=empty_ohlcv_frame(),
    )
    trades = candle_trades(candles, base_ms=view.base_ms, spec=spec)
    return trades[trades["id"] >= from_id].head(limit).reset_index(drop=True)


def recent_trades(view: MarketView, spec: MarketSpec, *, limit: int) -> pd.DataFrame:
    """The last ``limit`` trades before "now"."""
    if view.span_ms is None:
        return _empty_trades()
    candles = last_rows(
        lambda lo, hi: view.closed(view.base_timeframe, start_ms=lo, end_ms=hi),
        lo=view.span_ms[0],
        hi=min(view.now_ms, view.span_ms[1] + view.base_ms),
        limit=_candles_for(limit),
        width_ms=_candles_for(limit) * view.base_ms,
        empty=empty_ohlcv_frame(),
    )
    return (
        candle_trades(candles, base_ms=view.base_ms, spec=spec).tail(limit).reset_index(drop=True)
    )


def _candles_for(limit: int) -> int:
    """Base candles that hold at least ``limit`` trades (one spare for zero-size trades)."""
    return math.ceil(limit / TRADES_PER_CANDLE) + 1
