"""Small hand-made markets for the emulator's unit tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantbot.venues.emulator.synthetic_source import SyntheticSource

MINUTE_MS = 60_000
START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z


def minute_candles(
    start_ms: int, minutes: int, *, gaps: tuple[tuple[int, int], ...] = (), price: float = 100.0
) -> pd.DataFrame:
    """1m candles from ``start_ms``; ``gaps`` are (first, last) minute indices left out.

    Prices walk by a deterministic zig-zag so every candle differs; the open is the
    previous close and volume grows with the index.
    """
    index = np.arange(minutes)
    close = price + np.cumsum(np.where(index % 3 == 0, -0.7, 0.5))
    open_ = np.concatenate(([price], close[:-1]))
    frame = pd.DataFrame(
        {
            "ts_ms": start_ms + index.astype(np.int64) * MINUTE_MS,
            "open": open_,
            "high": np.maximum(open_, close) + 0.3,
            "low": np.minimum(open_, close) - 0.2,
            "close": close,
            "volume": 1.0 + index % 7,
        }
    )
    keep = np.ones(minutes, dtype=bool)
    for first, last in gaps:
        keep[first : last + 1] = False
    return frame[keep].reset_index(drop=True)


def frame_source(
    candles: dict[str, pd.DataFrame], funding: dict[str, pd.DataFrame] | None = None
) -> SyntheticSource:
    """A source serving exactly these frames."""
    return SyntheticSource(candles, funding or {}, description="test frames")
