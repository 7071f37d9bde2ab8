"""Candles of higher timeframes derived from the base candles, and when each is known."""

from __future__ import annotations

import numpy as np
import pytest

from quantbot.engine.history import CandleHistory

from factories import MINUTE_MS, START_MS, SYMBOL, make_backtest_data

HOUR_MS = 3_600_000


@pytest.fixture(scope="module")
def history() -> CandleHistory:
    data = make_backtest_data(minutes=5 * 60 + 30)  # five whole hours and half of a sixth
    return CandleHistory("1m", data.arrays)


def test_hourly_candles_are_the_closed_hours_of_the_base_candles(history: CandleHistory) -> None:
    base = history.candles(SYMBOL, "1m")
    hourly = history.candles(SYMBOL, "1h")

    assert hourly.ts_ms.tolist() == [START_MS + k * HOUR_MS for k in range(5)]
    for k in range(5):
        part = slice(60 * k, 60 * k + 60)
        assert hourly.open[k] == base.open[part][0]
        assert hourly.high[k] == base.high[part].max()
        assert hourly.low[k] == base.low[part].min()
        assert hourly.close[k] == base.close[part][-1]


def test_each_hourly_candle_is_known_at_the_close_of_its_last_minute(
    history: CandleHistory,
) -> None:
    base_close = history.candles(SYMBOL, "1m").ts_ms + MINUTE_MS

    bars = history.decision_bars(SYMBOL, "1h")

    np.testing.assert_array_equal(base_close[bars], history.close_times_ms(SYMBOL, "1h"))


def test_align_points_each_base_bar_at_the_last_hour_closed_by_its_close(
    history: CandleHistory,
) -> None:
    base_close = history.candles(SYMBOL, "1m").ts_ms + MINUTE_MS
    hour_close = history.close_times_ms(SYMBOL, "1h")

    aligned = history.align(SYMBOL, "1h", "1m")

    assert len(aligned) == len(base_close)
    for j, k in enumerate(aligned):
        if k >= 0:
            assert hour_close[k] <= base_close[j]
        if k + 1 < len(hour_close):
            assert hour_close[k + 1] > base_close[j]
    assert (aligned[:59] == -1).all()
    assert aligned[59] == 0


def test_align_to_a_higher_timeframe_uses_only_candles_closed_by_its_close(
    history: CandleHistory,
) -> None:
    aligned = history.align(SYMBOL, "1h", "4h")  # one closed 4h candle: 00:00-04:00

    assert aligned.tolist() == [3]
