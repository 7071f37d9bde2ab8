"""The synthetic source: deterministic, perpetuals on the spot path, 8-hourly funding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantbot.data.resample import resample
from quantbot.venues.emulator.synthetic_source import SyntheticSource

START_MS = 1_735_689_600_000
DAY_MS = 86_400_000
SYMBOLS = ("BTC/USDT", "BTC/USDT:USDT", "ETH/USDT:USDT")


@pytest.fixture(scope="module")
def source() -> SyntheticSource:
    return SyntheticSource.generate(SYMBOLS, start_ms=START_MS, minutes=3 * 1440, seed=11)


def test_same_seed_same_market_other_seed_other_market(source: SyntheticSource) -> None:
    again = SyntheticSource.generate(SYMBOLS, start_ms=START_MS, minutes=3 * 1440, seed=11)
    other = SyntheticSource.generate(SYMBOLS, start_ms=START_MS, minutes=3 * 1440, seed=12)
    for symbol in SYMBOLS:
        a = source.candles(symbol, "1m", start_ms=START_MS, end_ms=START_MS + DAY_MS)
        pd.testing.assert_frame_equal(
            a, again.candles(symbol, "1m", start_ms=START_MS, end_ms=START_MS + DAY_MS)
        )
        assert not a["close"].equals(
            other.candles(symbol, "1m", start_ms=START_MS, end_ms=START_MS + DAY_MS)["close"]
        )
    pd.testing.assert_frame_equal(
        source.funding("BTC/USDT:USDT", start_ms=START_MS, end_ms=START_MS + 3 * DAY_MS),
        again.funding("BTC/USDT:USDT", start_ms=START_MS, end_ms=START_MS + 3 * DAY_MS),
    )


def test_perpetual_tracks_its_spot_market_within_a_small_basis(source: SyntheticSource) -> None:
    window = {"start_ms": START_MS, "end_ms": START_MS + 3 * DAY_MS}
    spot = source.candles("BTC/USDT", "1m", **window)["close"].to_numpy()
    perp = source.candles("BTC/USDT:USDT", "1m", **window)["close"].to_numpy()
    basis = perp / spot - 1.0
    assert np.abs(basis).max() < 0.01
    assert np.abs(basis).mean() > 1e-6  # a basis, not a copy


def test_funding_settles_every_eight_hours_on_the_utc_grid(source: SyntheticSource) -> None:
    funding = source.funding("ETH/USDT:USDT", start_ms=START_MS, end_ms=START_MS + 3 * DAY_MS + 1)
    assert (funding["ts_ms"] % (8 * 3_600_000) == 0).all()
    assert len(funding) == 9
    assert source.funding_span_ms("ETH/USDT:USDT") == (
        int(funding["ts_ms"].iloc[0]),
        int(funding["ts_ms"].iloc[-1]),
    )
    assert source.funding_span_ms("BTC/USDT") is None
    assert source.funding("BTC/USDT", start_ms=START_MS, end_ms=START_MS + DAY_MS).empty


def test_higher_timeframes_are_the_resampled_minutes(source: SyntheticSource) -> None:
    minutes = source.candles("BTC/USDT", "1m", start_ms=START_MS, end_ms=START_MS + DAY_MS)
    hours = source.candles("BTC/USDT", "1h", start_ms=START_MS, end_ms=START_MS + DAY_MS)
    expected = resample(minutes, "1m", "1h").drop(columns="source_count")
    pd.testing.assert_frame_equal(hours, expected)
    assert source.candles("BTC/USDT", "1s", start_ms=START_MS, end_ms=START_MS + DAY_MS).empty


def test_span_and_base_timeframe(source: SyntheticSource) -> None:
    assert source.symbols() == SYMBOLS
    assert source.base_timeframe("BTC/USDT") == "1m"
    assert source.span_ms("BTC/USDT") == (START_MS, START_MS + (3 * 1440 - 1) * 60_000)
