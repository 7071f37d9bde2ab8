"""The candle store as the emulator's data source: replay downloaded or imported data.

Lists every symbol with traded-price candles of one exchange in the store (``binance``
by default). A timeframe that is not stored is resampled from the finest one stored
(usually 1m) with :func:`quantbot.data.resample.resample`, which keeps only buckets
the data shows to be complete. Funding settlements come from the store's funding
series (perpetuals without one simply have none).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantbot.config.base import timeframe_seconds
from quantbot.data.ohlcv import OHLCV_COLUMNS, empty_ohlcv_frame
from quantbot.data.resample import bucket_end_ms, bucket_start_ms, resample
from quantbot.data.store import CandleStore, SeriesInfo
from quantbot.venues.emulator.source import FUNDING_COLUMNS

__all__ = ["StoreSource"]


class StoreSource:
    """Candles and funding read from a :class:`CandleStore` on every request.

    The catalogue of series is read once at construction; restart the emulator to
    serve series added later.

    Args:
        store: the store to read.
        exchange: the ccxt exchange id whose series are served.

    Raises:
        ValueError: when the store holds no candles for ``exchange``.
    """

    def __init__(self, store: CandleStore, *, exchange: str = "binance") -> None:
        self._store = store
        self._exchange = exchange
        series = [s for s in store.series() if s.exchange == exchange]
        self._timeframes: dict[str, list[str]] = {}
        self._spans: dict[str, tuple[int, int]] = {}
        self._funding_spans: dict[str, tuple[int, int]] = {}
        for info in sorted(series, key=_finest_first):
            if info.kind == "ohlcv" and info.timeframe is not None:
                self._timeframes.setdefault(info.symbol, []).append(info.timeframe)
                self._spans.setdefault(info.symbol, (info.first_ts_ms, info.last_ts_ms))
            elif info.kind == "funding":
                self._funding_spans[info.symbol] = (info.first_ts_ms, info.last_ts_ms)
        if not self._timeframes:
            raise ValueError(f"the candle store at {store.root} holds no {exchange} candles")

    @property
    def description(self) -> str:
        """What the data is."""
        return f"candle store {self._store.root} ({self._exchange})"

    def symbols(self) -> tuple[str, ...]:
        """Symbols with stored candles."""
        return tuple(sorted(self._timeframes))

    def base_timeframe(self, symbol: str) -> str:
        """The finest stored timeframe of ``symbol``."""
        return self._timeframes[symbol][0]

    def span_ms(self, symbol: str) -> tuple[int, int] | None:
        """First and last open time of the finest stored series."""
        return self._spans.get(symbol)

    def candles(self, symbol: str, timeframe: str, *, start_ms: int, end_ms: int) -> pd.DataFrame:
        """Stored candles of ``timeframe``, or ones resampled from the base timeframe."""
        if timeframe in self._timeframes[symbol]:
            return self._store.load(
                self._exchange, symbol, timeframe, start_ms=start_ms, end_ms=end_ms
            )
        base = self.base_timeframe(symbol)
        if timeframe_seconds(timeframe) <= timeframe_seconds(base):
            return empty_ohlcv_frame()
        # Whole buckets, plus one base candle after the last: data after a bucket is
        # what shows it closed even when its final base candle is missing.
        edges = bucket_start_ms(np.array([start_ms, end_ms - 1]), timeframe)
        lo = int(edges[0])
        hi = int(bucket_end_ms(edges[1:], timeframe)[0])
        hi += timeframe_seconds(base) * 1000
        raw = self._store.load(self._exchange, symbol, base, start_ms=lo, end_ms=hi)
        try:
            built = resample(raw, base, timeframe)
        except ValueError:
            return empty_ohlcv_frame()
        inside = (built["ts_ms"] >= start_ms) & (built["ts_ms"] < end_ms)
        return built.loc[inside, list(OHLCV_COLUMNS)].reset_index(drop=True)

    def funding_span_ms(self, symbol: str) -> tuple[int, int] | None:
        """First and last stored settlement."""
        return self._funding_spans.get(symbol)

    def funding(self, symbol: str, *, start_ms: int, end_ms: int) -> pd.DataFrame:
        """Stored settlements in ``[start_ms, end_ms)``."""
        frame = self._store.load_funding(self._exchange, symbol, start_ms=start_ms, end_ms=end_ms)
        return frame.loc[:, list(FUNDING_COLUMNS)]


def _finest_first(info: SeriesInfo) -> tuple[str, int]:
    return info.symbol, timeframe_seconds(info.timeframe) if info.timeframe else 0
