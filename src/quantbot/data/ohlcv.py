"""The in-memory form of candles that every market-data component exchanges.

A DataFrame with the columns of :data:`OHLCV_COLUMNS` is the interchange format (the
store, the synthetic market, the importer and the emulator all speak it);
:class:`OhlcvArrays` is the same data as contiguous numpy arrays for the hot loop.
Timestamps are the candle's OPEN time in epoch milliseconds, UTC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["OHLCV_COLUMNS", "OhlcvArrays", "empty_ohlcv_frame"]

OHLCV_COLUMNS = ("ts_ms", "open", "high", "low", "close", "volume")
"""Column order of every OHLCV frame: int64 open time in ms, then float64 values."""


@dataclass(frozen=True, slots=True)
class OhlcvArrays:
    """Candles as one numpy array per column, all the same length.

    Attributes:
        ts_ms: int64 open times in epoch milliseconds, strictly increasing.
        open, high, low, close, volume: float64 values.
    """

    ts_ms: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return len(self.ts_ms)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> OhlcvArrays:
        """Arrays viewing an OHLCV frame's columns (copied only if a dtype differs)."""
        return cls(
            ts_ms=frame["ts_ms"].to_numpy(dtype=np.int64),
            open=frame["open"].to_numpy(dtype=np.float64),
            high=frame["high"].to_numpy(dtype=np.float64),
            low=frame["low"].to_numpy(dtype=np.float64),
            close=frame["close"].to_numpy(dtype=np.float64),
            volume=frame["volume"].to_numpy(dtype=np.float64),
        )

    def to_frame(self) -> pd.DataFrame:
        """The OHLCV frame of these arrays, columns in :data:`OHLCV_COLUMNS` order."""
        return pd.DataFrame({name: getattr(self, name) for name in OHLCV_COLUMNS})


def empty_ohlcv_frame() -> pd.DataFrame:
    """An OHLCV frame with no rows and the right dtypes."""
    return pd.DataFrame(
        {
            name: np.array([], dtype=np.int64 if name == "ts_ms" else np.float64)
            for name in OHLCV_COLUMNS
        }
    )
