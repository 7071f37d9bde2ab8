"""Klines (``GET /api/v3/klines``, ``GET /fapi/v1/klines``) with Binance's windowing.

Binance's rules, reproduced exactly:

- ``limit`` defaults to 500; larger values are capped at 1000 (spot) or 1500
  (futures); below 1 is an error (-1130);
- with ``startTime``: the first ``limit`` candles opening at or after it (inclusive),
  up to ``endTime`` (inclusive) when given;
- without ``startTime``: the last ``limit`` candles opening at or before ``endTime``,
  or the most recent ones;
- rows sorted by open time; the candle still open at "now" is included, built as
  :class:`~quantbot.venues.emulator.market_view.MarketView` describes.

Intervals served: 1m to 1d and 1w (Binance also has 1s, 3d and 1M, which the emulator
answers with -1120 "Invalid interval.").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from quantbot.config.base import timeframe_seconds
from quantbot.data.ohlcv import empty_ohlcv_frame
from quantbot.venues.emulator.errors import ApiError
from quantbot.venues.emulator.market_view import MarketView
from quantbot.venues.emulator.markets import MarketSpec
from quantbot.venues.emulator.trades import TRADES_PER_CANDLE
from quantbot.venues.emulator.windows import first_rows, last_rows

__all__ = ["KLINE_INTERVALS", "KlineQuery", "kline_rows", "select_klines"]

KLINE_INTERVALS = (
    "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "1w",
)  # fmt: skip
DEFAULT_LIMIT = 500


@dataclass(frozen=True, slots=True)
class KlineQuery:
    """A validated klines request.

    Attributes:
        interval: one of :data:`KLINE_INTERVALS`.
        start_ms: ``startTime`` (inclusive), or None.
        end_ms: ``endTime`` (inclusive), or None.
        limit: rows wanted, already capped.
    """

    interval: str
    start_ms: int | None
    end_ms: int | None
    limit: int

    @classmethod
    def parse(
        cls,
        *,
        interval: str | None,
        start_ms: int | None,
        end_ms: int | None,
        limit: int | None,
        max_limit: int,
    ) -> KlineQuery:
        """Validate a request's parameters the way Binance does.

        Raises:
            ApiError: -1102 without an interval, -1120 for an unserved one, -1130 for
                a limit below 1.
        """
        if not interval:
            raise ApiError.mandatory("interval")
        if interval not in KLINE_INTERVALS:
            raise ApiError.invalid_interval()
        if limit is not None and limit < 1:
            raise ApiError.invalid_value("limit")
        capped = DEFAULT_LIMIT if limit is None else min(limit, max_limit)
        return cls(interval, start_ms, end_ms, capped)


def select_klines(view: MarketView, query: KlineQuery) -> pd.DataFrame:
    """The candles a klines request returns, as an OHLCV frame (open candle last)."""
    if view.span_ms is None or not view.serves(query.interval):
        return empty_ohlcv_frame()
    period_ms = timeframe_seconds(query.interval) * 1000
    current_open = view.open_time(query.interval, view.now_ms)
    last_open = current_open
    if query.end_ms is not None:
        last_open = min(last_open, view.open_time(query.interval, query.end_ms))
    data_lo = view.open_time(query.interval, view.span_ms[0])
    data_hi = view.open_time(query.interval, view.span_ms[1]) + period_ms
    hi = min(last_open + period_ms, data_hi)

    def fetch(lo: int, stop: int) -> pd.DataFrame:
        closed = view.closed(query.interval, start_ms=lo, end_ms=stop)
        if lo <= current_open < stop:
            forming = view.open_candle(query.interval)
            if not forming.empty:
                return pd.concat([closed, forming], ignore_index=True) if len(closed) else forming
        return closed

    width_ms = query.limit * period_ms
    if query.start_ms is not None:
        lo = max(query.start_ms, data_lo)
        # startTime is inclusive of the candle opening at it, not of one containing it.
        lo = (
            lo
            if lo == view.open_time(query.interval, lo)
            else view.open_time(query.interval, lo) + period_ms
        )
        return first_rows(
            fetch, lo=lo, hi=hi, limit=query.limit, width_ms=width_ms, empty=empty_ohlcv_frame()
        )
    return last_rows(
        fetch, lo=data_lo, hi=hi, limit=query.limit, width_ms=width_ms, empty=empty_ohlcv_frame()
    )


def kline_rows(
    candles: pd.DataFrame, spec: MarketSpec, *, period_ms: int, base_ms: int
) -> list[list[Any]]:
    """Binance's kline arrays for an OHLCV frame.

    ``[open time, open, high, low, close, volume, close time, quote volume, trades,
    taker buy base volume, taker buy quote volume, "0"]``, prices and quantities as
    strings in the market's format. Quote volume uses the candle's mean price; the
    taker-buy share leans with the candle's direction; the trade count is the number
    the trades endpoints derive per base candle.
    """
    if candles.empty:
        return []
    ts = candles["ts_ms"].to_numpy(dtype=np.int64)
    o, h, low, c, v = (
        candles[k].to_numpy(dtype=np.float64) for k in ("open", "high", "low", "close", "volume")
    )
    mean_price = (o + h + low + c) / 4.0
    quote_volume = v * mean_price
    span = np.where(h > low, h - low, 1.0)
    buy_share = np.clip(0.5 + 0.4 * (c - o) / span, 0.05, 0.95)
    trades = np.where(v > 0, TRADES_PER_CANDLE * (period_ms // base_ms), 0)
    prices = [spec.price_texts(column) for column in (o, h, low, c)]
    volumes = spec.qty_texts(v)
    buy_volumes = spec.qty_texts(v * buy_share)
    quote_texts = [f"{x:.8f}" for x in quote_volume]
    buy_quote_texts = [f"{x:.8f}" for x in quote_volume * buy_share]
    return [
        [
            int(ts[i]),
            prices[0][i],
            prices[1][i],
            prices[2][i],
            prices[3][i],
            volumes[i],
            int(ts[i]) + period_ms - 1,
            quote_texts[i],
            int(trades[i]),
            buy_volumes[i],
            buy_quote_texts[i],
            "0",
        ]
        for i in range(len(ts))
    ]
