"""Order-book depth (``/api/v3/depth``, ``/fapi/v1/depth``) around the current price.

The book is the synthetic market's (:func:`quantbot.data.synthetic_book.generate_order_books`:
one-tick spread, sparse levels, a deep touch, log-normal sizes, the top 20 levels worth
about a quarter of a minute's volume), generated for the market's own tick and lot,
centred on the price at "now" and sized by the last hour's volume. It is seeded by
the market and the base candle, so it changes once per base candle and every request
within one sees the same book; ``lastUpdateId`` is the base candle's number, which
grows with time like Binance's update ids.

Depth limits are Binance's: spot accepts 1 to 5000 levels (more is cut to 5000,
default 100); futures accepts 5, 10, 20, 50, 100, 500 or 1000 (default 500) and
answers -4021 "Invalid depth limit." otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from quantbot.data.ohlcv import empty_ohlcv_frame
from quantbot.data.synthetic_book import generate_order_books
from quantbot.venues.emulator.errors import ApiError
from quantbot.venues.emulator.market_view import MarketView
from quantbot.venues.emulator.markets import MarketSpec
from quantbot.venues.emulator.noise import stream_key
from quantbot.venues.emulator.windows import last_rows

__all__ = ["FUTURES_DEPTH_LIMITS", "DepthSnapshot", "depth_body", "depth_limit", "depth_snapshot"]

FUTURES_DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)
_SPOT_MAX_DEPTH = 5000
_VOLUME_WINDOW_MS = 3_600_000
_MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class DepthSnapshot:
    """A book at one instant.

    Attributes:
        update_id: the book's sequence number (the base candle's number).
        bids: ``[price, qty]`` text pairs, best (highest) first.
        asks: ``[price, qty]`` text pairs, best (lowest) first.
    """

    update_id: int
    bids: list[list[str]]
    asks: list[list[str]]


def depth_limit(limit: int | None, *, perpetual: bool) -> int:
    """The number of levels per side a depth request returns.

    Raises:
        ApiError: -4021 for a futures limit Binance does not offer, -1130 for a spot
            limit below 1.
    """
    if perpetual:
        if limit is None:
            return 500
        if limit not in FUTURES_DEPTH_LIMITS:
            raise ApiError(-4021, "Invalid depth limit.")
        return limit
    if limit is None:
        return 100
    if limit < 1:
        raise ApiError.invalid_value("limit")
    return min(limit, _SPOT_MAX_DEPTH)


def depth_snapshot(view: MarketView, spec: MarketSpec, *, levels: int, seed: int) -> DepthSnapshot:
    """The book of ``spec``'s market at the view's "now", ``levels`` deep per side.

    Empty sides before the market's data starts.
    """
    price = view.price()
    update_id = view.now_ms // view.base_ms
    if price is None:
        return DepthSnapshot(update_id, [], [])
    volume_per_minute = _recent_volume(view) * _MINUTE_MS / view.base_ms
    snapshot = pd.DataFrame(
        {
            "ts_ms": [view.open_time(view.base_timeframe, view.now_ms)],
            "open": [price],
            "high": [price],
            "low": [price],
            "close": [price],
            "volume": [max(volume_per_minute, float(spec.min_qty))],
        }
    )
    sequence = np.random.SeedSequence([seed, stream_key(spec.symbol, "book"), update_id])
    depth = levels
    while True:
        try:
            books = generate_order_books(
                snapshot,
                tick_size=float(spec.tick_size),
                lot_size=float(spec.step_size),
                levels=depth,
                seed=sequence,
            )
            break
        except ValueError:
            if depth == 1:
                raise
            depth = max(1, depth // 2)  # a price too few ticks above zero for this depth
    bids, asks = books["bids"].iloc[0], books["asks"].iloc[0]
    return DepthSnapshot(update_id, _levels(spec, bids), _levels(spec, asks))


def depth_body(snapshot: DepthSnapshot, *, perpetual: bool, now_ms: int) -> dict[str, Any]:
    """The JSON body of a depth response (futures adds message and transaction times)."""
    body: dict[str, Any] = {"lastUpdateId": snapshot.update_id}
    if perpetual:
        body["E"] = now_ms
        body["T"] = now_ms
    body["bids"] = snapshot.bids
    body["asks"] = snapshot.asks
    return body


def _recent_volume(view: MarketView) -> float:
    """Mean base-candle volume over the last hour (or the last candles there are)."""
    if view.span_ms is None:
        return 0.0
    candles = last_rows(
        lambda lo, hi: view.closed(view.base_timeframe, start_ms=lo, end_ms=hi),
        lo=view.span_ms[0],
        hi=min(view.now_ms, view.span_ms[1] + view.base_ms),
        limit=max(1, _VOLUME_WINDOW_MS // view.base_ms),
        width_ms=_VOLUME_WINDOW_MS,
        empty=empty_ohlcv_frame(),
    )
    return float(candles["volume"].mean()) if not candles.empty else 0.0


def _levels(spec: MarketSpec, pairs: list[list[float]]) -> list[list[str]]:
    if not len(pairs):
        return []
    values = np.asarray(pairs, dtype=np.float64)
    return [
        list(pair)
        for pair in zip(spec.price_texts(values[:, 0]), spec.qty_texts(values[:, 1]), strict=True)
    ]
