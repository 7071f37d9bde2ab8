"""One market as it stands at the emulator clock's "now": what has closed, what is open.

The rule every endpoint follows: **nothing from the future**. A candle is served once
it has closed (its open time + period <= now); the candle still open at "now" is
served too, as Binance does, but built only from what is known at "now":

- the emulator's resolution is the source's base candle (1 minute for the synthetic
  market): within the current base candle the market stands still at that candle's
  open price, with no volume yet;
- a higher-timeframe candle still open is the aggregate of its closed base candles
  plus that flat current one.

So a client polling the emulator under a simulated clock sees exactly the candles a
live client would have seen at that time, and the last kline of a response is still
"forming" (a downloader must drop it, as against the real exchange).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantbot.config.base import timeframe_seconds
from quantbot.data.ohlcv import OHLCV_COLUMNS, empty_ohlcv_frame
from quantbot.data.resample import bucket_start_ms
from quantbot.venues.emulator.source import MarketSource
from quantbot.venues.emulator.windows import last_rows

__all__ = ["MarketView"]


class MarketView:
    """Candles of one market as known at ``now_ms``.

    Args:
        source: where the candles come from.
        symbol: ccxt symbol the source holds.
        now_ms: the emulator clock's time.
    """

    def __init__(self, source: MarketSource, symbol: str, now_ms: int) -> None:
        self.source = source
        self.symbol = symbol
        self.now_ms = now_ms
        self.base_timeframe = source.base_timeframe(symbol)
        self.base_ms = timeframe_seconds(self.base_timeframe) * 1000
        self.span_ms = source.span_ms(symbol)

    def serves(self, timeframe: str) -> bool:
        """Whether candles of ``timeframe`` can be built from this market's base candles."""
        period_ms = timeframe_seconds(timeframe) * 1000
        return period_ms >= self.base_ms and period_ms % self.base_ms == 0

    def open_time(self, timeframe: str, ts_ms: int) -> int:
        """Open time of the ``timeframe`` candle containing ``ts_ms``."""
        return int(bucket_start_ms(np.array([ts_ms]), timeframe)[0])

    def closed(self, timeframe: str, *, start_ms: int, end_ms: int) -> pd.DataFrame:
        """Closed candles of ``timeframe`` opening in ``[start_ms, end_ms)``."""
        stop = min(end_ms, self.open_time(timeframe, self.now_ms))
        if stop <= start_ms:
            return empty_ohlcv_frame()
        return self.source.candles(self.symbol, timeframe, start_ms=start_ms, end_ms=stop)

    def current_base(self) -> pd.DataFrame:
        """The base candle open at "now", flattened to its open price and no volume.

        Empty when the source has no candle there (before or after its data).
        """
        open_ms = self.open_time(self.base_timeframe, self.now_ms)
        row = self.source.candles(
            self.symbol, self.base_timeframe, start_ms=open_ms, end_ms=open_ms + self.base_ms
        )
        if row.empty:
            return empty_ohlcv_frame()
        price = float(row["open"].iloc[0])
        return pd.DataFrame(
            {
                "ts_ms": np.array([open_ms], dtype=np.int64),
                "open": [price],
                "high": [price],
                "low": [price],
                "close": [price],
                "volume": [0.0],
            }
        )

    def open_candle(self, timeframe: str) -> pd.DataFrame:
        """The ``timeframe`` candle open at "now" (one row), or an empty frame.

        Built from the closed base candles since it opened plus the flat current one.
        """
        open_ms = self.open_time(timeframe, self.now_ms)
        parts = [
            self.closed(self.base_timeframe, start_ms=open_ms, end_ms=self.now_ms),
            self.current_base(),
        ]
        rows = pd.concat([p for p in parts if not p.empty] or [empty_ohlcv_frame()])
        if rows.empty:
            return empty_ohlcv_frame()
        return pd.DataFrame(
            {
                "ts_ms": np.array([open_ms], dtype=np.int64),
                "open": [float(rows["open"].iloc[0])],
                "high": [float(rows["high"].max())],
                "low": [float(rows["low"].min())],
                "close": [float(rows["close"].iloc[-1])],
                "volume": [float(rows["volume"].sum())],
            },
            columns=list(OHLCV_COLUMNS),
        )

    def price(self) -> float | None:
        """The last traded price at "now"; None before the data starts.

        The open of the current base candle, else the close of the last closed one.
        """
        current = self.current_base()
        if not current.empty:
            return float(current["open"].iloc[0])
        if self.span_ms is None:
            return None
        last = last_rows(
            lambda lo, hi: self.closed(self.base_timeframe, start_ms=lo, end_ms=hi),
            lo=self.span_ms[0],
            hi=min(self.now_ms, self.span_ms[1] + self.base_ms),
            limit=1,
            width_ms=60 * self.base_ms,
            empty=empty_ohlcv_frame(),
        )
        return float(last["close"].iloc[-1]) if not last.empty else None
