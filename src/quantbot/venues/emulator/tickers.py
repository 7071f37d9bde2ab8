"""24-hour rolling ticker statistics (``/api/v3/ticker/24hr``, ``/fapi/v1/ticker/24hr``).

Computed from the base candles of the 24 hours before "now" (closed ones plus the flat
current one), the trades derived from them and, for spot, the top of the derived book,
with the fields and number formats of each API: spot carries ``prevClosePrice`` and
the best bid and ask, futures does not (which is also how ccxt tells the two apart
when both list ``BTCUSDT``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from quantbot.data.ohlcv import empty_ohlcv_frame
from quantbot.venues.emulator.book import depth_snapshot
from quantbot.venues.emulator.market_view import MarketView
from quantbot.venues.emulator.markets import MarketSpec
from quantbot.venues.emulator.trades import candle_trades

__all__ = ["ticker_24h"]

_DAY_MS = 86_400_000


def ticker_24h(view: MarketView, spec: MarketSpec, *, seed: int) -> dict[str, Any] | None:
    """The 24h ticker of one market at the view's "now"; None before its data starts."""
    now = view.now_ms
    start = now - _DAY_MS
    closed = view.closed(
        view.base_timeframe, start_ms=view.open_time(view.base_timeframe, start), end_ms=now
    )
    candles = pd.concat(
        [f for f in (closed, view.current_base()) if not f.empty] or [empty_ohlcv_frame()],
        ignore_index=True,
    )
    if candles.empty:
        return None
    trades = candle_trades(closed, base_ms=view.base_ms, spec=spec)
    last = float(candles["close"].iloc[-1])
    open_ = float(candles["open"].iloc[0])
    volume = float(candles["volume"].sum())
    quote_volume = float(
        ((candles["high"] + candles["low"] + candles["close"]) / 3.0 * candles["volume"]).sum()
    )
    price = spec.price_text
    body: dict[str, Any] = {
        "symbol": spec.market_id,
        "priceChange": price(last - open_),
        "priceChangePercent": f"{(last / open_ - 1.0) * 100.0:.3f}",
        "weightedAvgPrice": price(quote_volume / volume if volume > 0 else last),
    }
    if not spec.perpetual:
        book = depth_snapshot(view, spec, levels=1, seed=seed)
        body["prevClosePrice"] = price(open_)
        body["lastPrice"] = price(last)
        body["lastQty"] = spec.qty_text(float(trades["qty"].iloc[-1]) if len(trades) else 0.0)
        body["bidPrice"], body["bidQty"] = (
            book.bids[0] if book.bids else ("0.00000000", "0.00000000")
        )
        body["askPrice"], body["askQty"] = (
            book.asks[0] if book.asks else ("0.00000000", "0.00000000")
        )
    else:
        body["lastPrice"] = price(last)
        body["lastQty"] = spec.qty_text(float(trades["qty"].iloc[-1]) if len(trades) else 0.0)
    first_id = int(trades["id"].iloc[0]) if len(trades) else -1
    last_id = int(trades["id"].iloc[-1]) if len(trades) else -1
    body.update(
        {
            "openPrice": price(open_),
            "highPrice": price(float(candles["high"].max())),
            "lowPrice": price(float(candles["low"].min())),
            "volume": spec.qty_text(volume),
            "quoteVolume": f"{quote_volume:.8f}" if not spec.perpetual else f"{quote_volume:.2f}",
            "openTime": start,
            "closeTime": now,
            "firstId": first_id,
            "lastId": last_id,
            "count": len(trades),
        }
    )
    return body
