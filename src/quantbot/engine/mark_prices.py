"""Mark-price candles on a backtest's timeline, whatever timeframe they were recorded at.

The engine needs a mark candle for every base bar (liquidations are checked on the
mark's low and high, funding and equity use its close). Mark data often comes at
another timeframe than the trades (Binance's recorded marks in ``../shared/data`` are
1h, the trades 1m), so they are put on the base timeline causally:

- **finer** marks (1m marks, 1h trades) are resampled to the base timeframe, the way
  the exchange builds candles;
- marks of the **base** timeframe are used as they are;
- **coarser** marks, and base bars whose mark candle is missing, are the traded candle
  scaled by the latest known basis: at the close of each mark candle the ratio of its
  close to the traded close of the base bar ending at the same time is taken, and
  every base bar from that one on is the traded candle times that ratio, until the
  next mark candle closes (the bar it closes on closes exactly at its close). Before
  the first mark candle closes the ratio is 1. So the mark follows the traded price bar
  by bar, with the premium the last closed mark showed, and nothing of a mark candle is
  used before it has closed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantbot.data.ohlcv import OHLCV_COLUMNS, OhlcvArrays
from quantbot.data.resample import resample, timeframe_ms

__all__ = ["align_marks"]


def align_marks(
    candles: OhlcvArrays, timeframe: str, marks: pd.DataFrame, mark_timeframe: str
) -> OhlcvArrays:
    """Mark candles on ``candles``' timeline (see the module docstring); volume is 0.

    Args:
        candles: the traded candles, base timeframe, one contiguous timeline.
        timeframe: their timeframe.
        marks: mark-price candles (an OHLCV frame), in time order.
        mark_timeframe: the marks' timeframe.

    Raises:
        ValueError: when finer marks cannot be resampled to the base timeframe.
    """
    base_ms = timeframe_ms(timeframe)
    if timeframe_ms(mark_timeframe) < base_ms:
        marks = resample(marks, mark_timeframe, timeframe)[list(OHLCV_COLUMNS)]
        mark_timeframe = timeframe
    mark_ms = timeframe_ms(mark_timeframe)
    n = len(candles)
    close_ms = candles.ts_ms + base_ms
    mark_open = marks["ts_ms"].to_numpy(dtype=np.int64)
    mark_close = marks["close"].to_numpy(dtype=np.float64)
    # The base bar that ends when each mark candle ends: the mark is known at its close.
    bars = np.searchsorted(close_ms, mark_open + mark_ms)
    known = bars < n
    known[known] = close_ms[bars[known]] == mark_open[known] + mark_ms
    ratio = np.full(n, np.nan)
    ratio[bars[known]] = mark_close[known] / candles.close[bars[known]]
    filled = pd.Series(ratio).ffill().fillna(1.0).to_numpy()
    columns = {
        "open": candles.open * filled,
        "high": candles.high * filled,
        "low": candles.low * filled,
        "close": candles.close * filled,
    }
    exact = bars[known]
    if mark_ms == base_ms:
        for name, values in columns.items():
            values[exact] = marks[name].to_numpy(dtype=np.float64)[known]
    else:
        # The bar where a mark candle closes closes at that mark, to the last bit.
        columns["close"][exact] = mark_close[known]
        columns["high"][exact] = np.maximum(columns["high"][exact], mark_close[known])
        columns["low"][exact] = np.minimum(columns["low"][exact], mark_close[known])
    return OhlcvArrays(ts_ms=candles.ts_ms.copy(), volume=np.zeros(n), **columns)
