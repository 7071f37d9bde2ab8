"""Market data for a backtest: from data files, the candle store or the synthetic market.

Every series passes the data-quality policy (``data_quality`` in settings) on its way
in, so a backtest never runs on data that failed a check without the log saying so.
Several symbols are cut to the period they all cover and must then share one
timeline; a gap left by the ``drop`` policy stops the run with a clear message
(``ffill`` repairs gaps).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from quantbot.config.settings import DataQualitySettings
from quantbot.data.errors import DataError
from quantbot.data.files import parse_data_file, read_ohlcv_csv
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.data.quality_policy import apply_quality_policy
from quantbot.data.resample import timeframe_ms
from quantbot.data.store import CandleStore
from quantbot.data.synthetic import generate_market
from quantbot.engine.backtest import BacktestData
from quantbot.engine.instruments import instrument_for

__all__ = ["LoadedMarket", "from_files", "from_store", "from_synthetic"]


@dataclass(frozen=True)
class LoadedMarket:
    """Backtest data and where it came from (for the report and the stored run)."""

    data: BacktestData
    source: str


def from_files(
    paths: Sequence[Path],
    *,
    quality: DataQualitySettings,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> LoadedMarket:
    """Candles from interchange-format files, one per symbol, e.g. ``binance_BTC-USDT_1m.csv.gz``.

    Raises:
        DataError: on a file that is not an OHLCV file, two files of one symbol,
            different timeframes, or data the quality policy refuses.
    """
    frames: dict[str, pd.DataFrame] = {}
    timeframes = set()
    for path in paths:
        data_file = parse_data_file(path)
        if data_file.kind != "ohlcv" or data_file.timeframe is None:
            raise DataError(
                f"{path.name}: a backtest needs OHLCV candles, this file holds {data_file.kind}"
            )
        if data_file.symbol in frames:
            raise DataError(f"{path.name}: a second file for {data_file.symbol}")
        timeframes.add(data_file.timeframe)
        frames[data_file.symbol] = _window(read_ohlcv_csv(path), start_ms, end_ms)
    if len(timeframes) != 1:
        raise DataError(f"the files have different timeframes: {sorted(timeframes)}")
    timeframe = timeframes.pop()
    source = ", ".join(p.name for p in paths)
    return LoadedMarket(_market(frames, timeframe, quality, source_label=source), source)


def from_store(
    store: CandleStore,
    exchange: str,
    symbols: Sequence[str],
    timeframe: str,
    *,
    quality: DataQualitySettings,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> LoadedMarket:
    """Candles of ``symbols`` from the candle store.

    Raises:
        DataError: when a series is missing or the quality policy refuses it.
    """
    frames = {}
    for symbol in symbols:
        frame = store.load(exchange, symbol, timeframe, start_ms=start_ms, end_ms=end_ms)
        if frame.empty:
            raise DataError(
                f"no {timeframe} candles of {symbol} on {exchange} in the store for that period; "
                "download or import them first (quantbot download / quantbot data import)"
            )
        frames[symbol] = frame
    source = f"candle store, {exchange} {timeframe}"
    return LoadedMarket(_market(frames, timeframe, quality, source_label=exchange), source)


def from_synthetic(
    symbols: Sequence[str], *, start_ms: int, days: int, seed: int, quality: DataQualitySettings
) -> LoadedMarket:
    """The seeded synthetic market (the embedded default: no files, no network)."""
    market = generate_market(symbols, start_ms=start_ms, minutes=days * 1440, seed=seed)
    source = f"synthetic market, seed {seed}, {days} days"
    return LoadedMarket(_market(market.candles, "1m", quality, source_label="synthetic"), source)


def _window(frame: pd.DataFrame, start_ms: int | None, end_ms: int | None) -> pd.DataFrame:
    keep = np.ones(len(frame), dtype=bool)
    if start_ms is not None:
        keep &= frame["ts_ms"].to_numpy() >= start_ms
    if end_ms is not None:
        keep &= frame["ts_ms"].to_numpy() < end_ms
    return frame[keep].reset_index(drop=True)


def _market(
    frames: Mapping[str, pd.DataFrame],
    timeframe: str,
    quality: DataQualitySettings,
    *,
    source_label: str,
) -> BacktestData:
    """Apply the quality policy, cut to the common period, check one shared timeline."""
    checked = {
        symbol: apply_quality_policy(
            frame, timeframe, quality, series=f"{source_label} {symbol} {timeframe}"
        )
        for symbol, frame in frames.items()
    }
    if any(frame.empty for frame in checked.values()):
        raise DataError("a series has no candles in the chosen period")
    first = max(int(f["ts_ms"].iloc[0]) for f in checked.values())
    last = min(int(f["ts_ms"].iloc[-1]) for f in checked.values())
    if first > last:
        raise DataError("the symbols' data do not overlap in time")
    expected = np.arange(first, last + 1, timeframe_ms(timeframe), dtype=np.int64)
    arrays = {}
    for symbol, frame in checked.items():
        cut = frame[(frame["ts_ms"] >= first) & (frame["ts_ms"] <= last)]
        candles = OhlcvArrays.from_frame(cut)
        if not np.array_equal(candles.ts_ms, expected):
            raise DataError(
                f"{symbol}: {len(expected) - len(candles)} candles missing in the common period; "
                "set data_quality.policy to ffill to fill gaps with flat candles"
            )
        arrays[symbol] = candles
    instruments = {s: instrument_for(s, float(a.close[0])) for s, a in arrays.items()}
    return BacktestData(timeframe, arrays, instruments)
