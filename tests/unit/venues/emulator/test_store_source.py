"""The store source: lists a store's series, resamples what is not stored, passes funding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantbot.data.resample import resample
from quantbot.data.store import CandleStore
from quantbot.venues.emulator.store_source import StoreSource

from ._builders import MINUTE_MS, START_MS, minute_candles

HOUR_MS = 60 * MINUTE_MS
# 5h of 1m data whose 3rd hour lacks its final minute and whose data ends at 04:30.
MINUTES = minute_candles(START_MS, 270, gaps=((179, 179),))


@pytest.fixture
def store(tmp_path: Path) -> CandleStore:
    store = CandleStore(tmp_path / "market")
    store.append("binance", "BTC/USDT", "1m", MINUTES)
    store.append(
        "binance",
        "ETH/USDT:USDT",
        "1h",
        resample(minute_candles(START_MS, 600), "1m", "1h").drop(columns="source_count"),
    )
    store.append_funding(
        "binance",
        "ETH/USDT:USDT",
        pd.DataFrame(
            {
                "ts_ms": START_MS + np.arange(3, dtype=np.int64) * 8 * HOUR_MS,
                "funding_rate": [0.0001, -0.0002, 0.0003],
            }
        ),
    )
    store.append("kraken", "XBT/USD", "1m", MINUTES)
    return store


def test_lists_the_exchange_series_and_their_finest_timeframe(store: CandleStore) -> None:
    source = StoreSource(store)
    assert source.symbols() == ("BTC/USDT", "ETH/USDT:USDT")
    assert source.base_timeframe("BTC/USDT") == "1m"
    assert source.base_timeframe("ETH/USDT:USDT") == "1h"
    assert source.span_ms("BTC/USDT") == (START_MS, START_MS + 269 * MINUTE_MS)
    assert "binance" in source.description


def test_stored_timeframes_are_loaded_as_stored(store: CandleStore) -> None:
    source = StoreSource(store)
    got = source.candles(
        "BTC/USDT", "1m", start_ms=START_MS + 10 * MINUTE_MS, end_ms=START_MS + 20 * MINUTE_MS
    )
    pd.testing.assert_frame_equal(
        got, MINUTES.iloc[10:20].reset_index(drop=True), check_dtype=False
    )


def test_other_timeframes_are_resampled_and_only_closed_buckets_served(store: CandleStore) -> None:
    source = StoreSource(store)
    hours = source.candles("BTC/USDT", "1h", start_ms=START_MS, end_ms=START_MS + 10 * HOUR_MS)
    # Hour 2 misses its last minute but later data shows it closed; hour 4 is still open.
    assert hours["ts_ms"].tolist() == [START_MS + h * HOUR_MS for h in range(4)]
    expected = resample(MINUTES, "1m", "1h").drop(columns="source_count")
    pd.testing.assert_frame_equal(hours, expected.head(4), check_dtype=False)
    middle = source.candles(
        "BTC/USDT", "1h", start_ms=START_MS + HOUR_MS, end_ms=START_MS + 2 * HOUR_MS
    )
    assert middle["ts_ms"].tolist() == [START_MS + HOUR_MS]


def test_timeframes_finer_than_the_stored_ones_are_empty(store: CandleStore) -> None:
    source = StoreSource(store)
    assert source.candles("ETH/USDT:USDT", "1m", start_ms=START_MS, end_ms=START_MS + HOUR_MS).empty
    assert (
        len(
            source.candles("ETH/USDT:USDT", "4h", start_ms=START_MS, end_ms=START_MS + 10 * HOUR_MS)
        )
        == 2
    )


def test_funding_is_read_from_the_store(store: CandleStore) -> None:
    source = StoreSource(store)
    funding = source.funding("ETH/USDT:USDT", start_ms=START_MS, end_ms=START_MS + 9 * HOUR_MS)
    assert funding["funding_rate"].tolist() == [0.0001, -0.0002]
    assert source.funding_span_ms("ETH/USDT:USDT") == (START_MS, START_MS + 16 * HOUR_MS)
    assert source.funding_span_ms("BTC/USDT") is None


def test_a_store_without_the_exchange_is_refused(tmp_path: Path, store: CandleStore) -> None:
    with pytest.raises(ValueError, match="no bitstamp candles"):
        StoreSource(store, exchange="bitstamp")
    with pytest.raises(ValueError, match="no binance candles"):
        StoreSource(CandleStore(tmp_path / "empty"))
