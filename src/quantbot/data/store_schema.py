"""What the candle store accepts: the Arrow schema of each kind of series, and its checks.

The checks turn a caller's DataFrame into a table of the schema before anything is
written. Only the structure is checked (columns, dtypes, epoch-millisecond timestamps,
candles on their timeframe's grid, book levels as ``[price, qty]`` pairs). Values are
kept as given: judging them (NaN, OHLC consistency, spikes) is the data-quality checks'
job, and they must see what the source said.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from quantbot.data.errors import DataFormatError
from quantbot.data.ohlcv import OHLCV_COLUMNS
from quantbot.data.resample import bucket_start_ms

__all__ = [
    "FUNDING_COLUMNS",
    "FUNDING_SCHEMA",
    "OHLCV_SCHEMA",
    "ORDER_BOOK_COLUMNS",
    "ORDER_BOOK_SCHEMA",
    "funding_table",
    "ohlcv_table",
    "order_book_table",
]

FUNDING_COLUMNS = ("ts_ms", "funding_rate")
"""Settlement time (epoch ms) and rate (a fraction per settlement: 0.0001 = 0.01 %)."""

ORDER_BOOK_COLUMNS = ("ts_ms", "update_id", "bids", "asks")
"""Snapshot time, book sequence number (-1 if unknown), ``[price, qty]`` levels per side."""

_MIN_TS_MS = 100_000_000_000
"""1973-03-03 in epoch ms; anything smaller is almost surely seconds, not milliseconds."""

_LEVELS = pa.list_(pa.list_(pa.float64(), 2))

OHLCV_SCHEMA = pa.schema(
    [pa.field("ts_ms", pa.int64(), nullable=False)]
    + [pa.field(name, pa.float64()) for name in OHLCV_COLUMNS[1:]]
)
FUNDING_SCHEMA = pa.schema(
    [pa.field("ts_ms", pa.int64(), nullable=False), pa.field("funding_rate", pa.float64())]
)
ORDER_BOOK_SCHEMA = pa.schema(
    [
        pa.field("ts_ms", pa.int64(), nullable=False),
        pa.field("update_id", pa.int64(), nullable=False),
        pa.field("bids", _LEVELS, nullable=False),
        pa.field("asks", _LEVELS, nullable=False),
    ]
)


def ohlcv_table(candles: pd.DataFrame, timeframe: str) -> pa.Table:
    """Candles as a table of :data:`OHLCV_SCHEMA`, checked for the store.

    Raises:
        ValueError: for a malformed timeframe.
        DataFormatError: for missing or extra columns, non-numeric values, or timestamps
            that are not epoch milliseconds or not on the timeframe's grid.
    """
    ts_ms = _timestamps(candles, OHLCV_COLUMNS, "candles")
    off_grid = np.flatnonzero(bucket_start_ms(ts_ms, timeframe) != ts_ms)
    if len(off_grid):
        raise DataFormatError(
            f"{len(off_grid)} candle(s) not on the {timeframe} grid, the first at ts_ms "
            f"{ts_ms[off_grid[0]]}"
        )
    columns = {name: _floats(candles[name], name) for name in OHLCV_COLUMNS[1:]}
    return pa.table({"ts_ms": ts_ms, **columns}, schema=OHLCV_SCHEMA)


def funding_table(rates: pd.DataFrame) -> pa.Table:
    """Funding settlements as a table of :data:`FUNDING_SCHEMA`, checked for the store.

    Raises:
        DataFormatError: for missing or extra columns, non-numeric values or timestamps
            that are not epoch milliseconds.
    """
    ts_ms = _timestamps(rates, FUNDING_COLUMNS, "funding rates")
    rate = _floats(rates["funding_rate"], "funding_rate")
    return pa.table({"ts_ms": ts_ms, "funding_rate": rate}, schema=FUNDING_SCHEMA)


def order_book_table(books: pd.DataFrame) -> pa.Table:
    """Book snapshots as a table of :data:`ORDER_BOOK_SCHEMA`, checked for the store.

    Raises:
        DataFormatError: for missing or extra columns, non-integer ids, levels that are
            not ``[price, qty]`` number pairs, or timestamps that are not epoch milliseconds.
    """
    ts_ms = _timestamps(books, ORDER_BOOK_COLUMNS, "order books")
    return pa.table(
        {
            "ts_ms": ts_ms,
            "update_id": _integers(books["update_id"], "update_id"),
            "bids": _levels(books["bids"], "bids"),
            "asks": _levels(books["asks"], "asks"),
        },
        schema=ORDER_BOOK_SCHEMA,
    )


def _timestamps(frame: pd.DataFrame, columns: Sequence[str], what: str) -> np.ndarray:
    """Check ``frame`` has exactly ``columns`` and return its ``ts_ms`` as int64."""
    if set(frame.columns) != set(columns):
        missing = [c for c in columns if c not in frame.columns]
        extra = [str(c) for c in frame.columns if c not in columns]
        raise DataFormatError(
            f"{what} need columns {list(columns)}; missing {missing}, unexpected {extra}"
        )
    ts_ms = _integers(frame["ts_ms"], "ts_ms")
    if len(ts_ms) and ts_ms.min() < _MIN_TS_MS:
        raise DataFormatError(
            f"ts_ms {ts_ms.min()} is not epoch milliseconds (before 1973; seconds given?)"
        )
    return ts_ms


def _integers(column: pd.Series, name: str) -> np.ndarray:
    if not pd.api.types.is_integer_dtype(column.dtype):
        raise DataFormatError(f"column {name} holds {column.dtype}, expected integers")
    try:
        return column.to_numpy(dtype=np.int64)
    except (TypeError, ValueError):
        raise DataFormatError(f"column {name} has missing values") from None


def _floats(column: pd.Series, name: str) -> np.ndarray:
    dtype = column.dtype
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        raise DataFormatError(f"column {name} holds {dtype}, expected numbers")
    return column.to_numpy(dtype=np.float64, na_value=np.nan)


def _levels(column: pd.Series, name: str) -> pa.Array:
    try:
        levels = pa.array(column.tolist(), type=_LEVELS)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise DataFormatError(f"column {name} must hold lists of [price, qty]: {exc}") from None
    pairs = levels.flatten()
    if levels.null_count or pairs.null_count or pairs.flatten().null_count:
        raise DataFormatError(f"column {name} has missing book sides, levels or values")
    return levels
