"""The OHLCV interchange format: column order, dtypes, and the frame <-> arrays round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantbot.data.ohlcv import OHLCV_COLUMNS, OhlcvArrays, empty_ohlcv_frame


def candles(rows: int = 4) -> pd.DataFrame:
    ts = 1_700_000_000_000 + 60_000 * np.arange(rows, dtype=np.int64)
    close = 100.0 + np.arange(rows, dtype=np.float64)
    return pd.DataFrame(
        {
            "ts_ms": ts,
            "open": close - 0.5,
            "high": close + 1.0,
            "low": close - 1.0,
            "close": close,
            "volume": np.linspace(1.0, 2.0, rows),
        }
    )


def test_columns_are_open_time_then_prices_then_volume() -> None:
    assert OHLCV_COLUMNS == ("ts_ms", "open", "high", "low", "close", "volume")


def test_empty_frame_has_the_columns_in_order_and_typed() -> None:
    frame = empty_ohlcv_frame()
    assert list(frame.columns) == list(OHLCV_COLUMNS)
    assert len(frame) == 0
    assert frame["ts_ms"].dtype == np.int64
    assert all(frame[name].dtype == np.float64 for name in OHLCV_COLUMNS[1:])


def test_arrays_round_trip_to_an_identical_frame() -> None:
    frame = candles()
    arrays = OhlcvArrays.from_frame(frame)
    assert len(arrays) == 4
    pd.testing.assert_frame_equal(arrays.to_frame(), frame)


def test_to_frame_orders_columns_whatever_the_source_order() -> None:
    frame = candles()[["volume", "close", "ts_ms", "low", "open", "high"]]
    assert list(OhlcvArrays.from_frame(frame).to_frame().columns) == list(OHLCV_COLUMNS)


def test_from_frame_views_columns_of_the_right_dtype_without_copying() -> None:
    frame = candles()
    arrays = OhlcvArrays.from_frame(frame)
    assert np.shares_memory(arrays.close, frame["close"].to_numpy())
    assert np.shares_memory(arrays.ts_ms, frame["ts_ms"].to_numpy())


def test_from_frame_converts_integer_prices_to_float64() -> None:
    frame = candles().astype({"close": np.int64, "volume": np.int32})
    arrays = OhlcvArrays.from_frame(frame)
    assert arrays.close.dtype == np.float64
    assert arrays.volume.dtype == np.float64
    np.testing.assert_array_equal(arrays.close, frame["close"].to_numpy(dtype=np.float64))


def test_from_frame_names_a_missing_column() -> None:
    with pytest.raises(KeyError, match="volume"):
        OhlcvArrays.from_frame(candles().drop(columns="volume"))
