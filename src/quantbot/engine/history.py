"""Candles of every timeframe a strategy reads, derived from the run's base candles.

A strategy trading 1h candles on 1m data, or reading the 4h trend, gets higher
timeframes built the way the exchange builds them (:func:`quantbot.data.resample`),
and only candles that have closed. For each such candle the history also knows the
base bar at whose close it becomes known: that is when the engine may act on it, so a
higher-timeframe candle is never delivered before it closes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from quantbot.data.ohlcv import OHLCV_COLUMNS, OhlcvArrays
from quantbot.data.resample import resample, timeframe_ms

__all__ = ["CandleHistory"]


class CandleHistory:
    """Base candles per symbol and the higher timeframes derived from them, cached.

    Args:
        timeframe: the base timeframe of ``arrays``.
        arrays: per symbol, base candles on one shared timeline.
    """

    def __init__(self, timeframe: str, arrays: Mapping[str, OhlcvArrays]) -> None:
        self.timeframe = timeframe
        self._base = dict(arrays)
        self._period_ms = timeframe_ms(timeframe)
        self._cache: dict[tuple[str, str], tuple[OhlcvArrays, np.ndarray]] = {}

    def candles(self, symbol: str, timeframe: str) -> OhlcvArrays:
        """Closed candles of ``symbol`` at ``timeframe``."""
        return self._derived(symbol, timeframe)[0]

    def decision_bars(self, symbol: str, timeframe: str) -> np.ndarray:
        """For every candle of ``timeframe``, the base bar at whose close it is known."""
        return self._derived(symbol, timeframe)[1]

    def close_times_ms(self, symbol: str, timeframe: str) -> np.ndarray:
        """Close time of every candle of ``timeframe`` (open time + one period)."""
        return self.candles(symbol, timeframe).ts_ms + timeframe_ms(timeframe)

    def align(self, symbol: str, timeframe: str, to_timeframe: str) -> np.ndarray:
        """Index of the last ``timeframe`` candle closed by each ``to_timeframe`` candle's close.

        -1 where none has closed yet.
        """
        source = self.close_times_ms(symbol, timeframe)
        target = self.close_times_ms(symbol, to_timeframe)
        return np.searchsorted(source, target, side="right").astype(np.int64) - 1

    def _derived(self, symbol: str, timeframe: str) -> tuple[OhlcvArrays, np.ndarray]:
        key = (symbol, timeframe)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        base = self._base[symbol]
        if timeframe == self.timeframe:
            result = (base, np.arange(len(base), dtype=np.int64))
        else:
            frame = resample(base.to_frame(), self.timeframe, timeframe)[list(OHLCV_COLUMNS)]
            closes = frame["ts_ms"].to_numpy() + timeframe_ms(timeframe)
            # A candle is known at the close of the base bar that ends at its close; if
            # that bar is missing, at the close of the first bar after it (never earlier).
            bars = np.searchsorted(base.ts_ms, closes - self._period_ms, side="left").astype(
                np.int64
            )
            known = bars < len(base)
            candles = OhlcvArrays.from_frame(frame[known])
            bars = bars[known]
            result = (candles, bars)
        self._cache[key] = result
        return result
