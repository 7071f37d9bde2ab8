"""Mark candles on the base timeline: exact, resampled, or traded candles times the last basis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantbot.engine.mark_prices import align_marks

from factories import MINUTE_MS, START_MS, make_ohlcv

TRADES = make_ohlcv(
    [(100.0 + i, 101.0 + i, 99.0 + i, 100.5 + i, 10.0) for i in range(6)]
)  # six 1m bars
"""Traded candles: bar i opens at 100 + i and closes at 100.5 + i."""


def _marks(
    rows: list[tuple[float, float, float, float]], period_ms: int, start: int = START_MS
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ts_ms": start + period_ms * np.arange(len(rows), dtype=np.int64),
            "open": [r[0] for r in rows],
            "high": [r[1] for r in rows],
            "low": [r[2] for r in rows],
            "close": [r[3] for r in rows],
            "volume": 0.0,
        }
    )


def test_marks_of_the_base_timeframe_are_used_as_they_are() -> None:
    rows = [(100.0 + i, 102.0 + i, 98.0 + i, 101.0 + i) for i in range(6)]

    marks = align_marks(TRADES, "1m", _marks(rows, MINUTE_MS), "1m")

    np.testing.assert_array_equal(marks.ts_ms, TRADES.ts_ms)
    np.testing.assert_array_equal(marks.low, [r[2] for r in rows])
    np.testing.assert_array_equal(marks.close, [r[3] for r in rows])
    assert (marks.volume == 0).all()


def test_a_missing_mark_candle_is_the_traded_candle_times_the_last_basis() -> None:
    rows = [(100.0, 102.0, 98.0, 100.5 * 1.01), (101.0, 102.0, 98.0, 101.5 * 1.02)]
    frame = _marks(rows, MINUTE_MS).iloc[[0, 1]]  # bars 2..5 have no mark candle

    marks = align_marks(TRADES, "1m", frame, "1m")

    assert marks.close[:2] == pytest.approx([100.5 * 1.01, 101.5 * 1.02])
    assert marks.low[2:] == pytest.approx(TRADES.low[2:] * 1.02)
    assert marks.close[2:] == pytest.approx(TRADES.close[2:] * 1.02)


def test_coarser_marks_scale_the_traded_candles_from_the_close_of_each_mark_candle_on() -> None:
    # 3m marks: the first closes with bar 2, the second with bar 5.
    frame = _marks([(0.0, 0.0, 0.0, 102.5 * 1.001), (0.0, 0.0, 0.0, 105.5 * 0.998)], 3 * MINUTE_MS)

    marks = align_marks(TRADES, "1m", frame, "3m")

    ratio = np.array([1.0, 1.0, 1.001, 1.001, 1.001, 0.998])
    assert marks.high == pytest.approx(TRADES.high * ratio, rel=1e-12)
    assert marks.close == pytest.approx(TRADES.close * ratio, rel=1e-12)


def test_coarser_marks_are_never_used_before_they_close() -> None:
    frame = _marks([(0.0, 0.0, 0.0, 102.5 * 1.001), (0.0, 0.0, 0.0, 105.5 * 0.998)], 3 * MINUTE_MS)
    wild = frame.assign(close=[102.5 * 1.001, 1_000_000.0])

    calm, changed = align_marks(TRADES, "1m", frame, "3m"), align_marks(TRADES, "1m", wild, "3m")

    np.testing.assert_array_equal(calm.close[:5], changed.close[:5])


def test_finer_marks_are_resampled_to_the_base_timeframe() -> None:
    trades = make_ohlcv([(100.0, 101.0, 99.0, 100.0, 1.0)] * 2, period_ms=2 * MINUTE_MS)
    rows = [(100.0, 103.0, 99.5, 101.0), (101.0, 101.5, 97.0, 98.0)] * 2

    marks = align_marks(trades, "2m", _marks(rows, MINUTE_MS), "1m")

    assert marks.high.tolist() == [103.0, 103.0]
    assert marks.low.tolist() == [97.0, 97.0]
    assert marks.close.tolist() == [98.0, 98.0]
