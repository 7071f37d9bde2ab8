"""Higher-timeframe candles built from lower ones, the way exchanges build them, and the grid they sit on.

The grid (:func:`bucket_start_ms`) is the exchanges' one, in UTC:

- minutes, hours and days count from the Unix epoch (``1h`` candles open on the hour,
  ``4h`` at 00, 04, 08... UTC, ``1d`` at midnight UTC);
- weeks open on Monday 00:00 UTC, as on Binance (the epoch fell on a Thursday, so
  week buckets are offset by four days);
- months (``1M``) open on the first of the calendar month, 00:00 UTC.

:func:`resample` folds source candles into those buckets, left-closed and
left-labelled: the candle labelled ``t`` covers ``[t, next boundary)``; its open is
the first source open, its high the highest high, its low the lowest low, its close
the last close and its volume the sum. Two rules matter to callers:

**A candle exists only once it has closed.** With ``now_ms`` given, a bucket is kept
when its end (start + period) is at or before ``now_ms``. Without it the source data
is the only evidence of time: the last bucket is kept only if its final source candle
(the one opening at end - source period) is present, since the exchange cannot have
closed a candle it is still receiving trades for. Buckets followed by later data have
closed whatever they contain. When chaining resamples (1m → 15m → 1h), pass ``now_ms``
to every step: without it, a middle step drops an unfinished last bucket that was the
only evidence that the bucket before it had closed.

**Gaps inside a bucket do not suppress it.** An exchange emits a candle from the trades
it has, so a bucket missing some source candles (an outage, a no-trade minute on an
illiquid market) is still built from the candles present. The output's
``source_count`` column says how many there were; a complete bucket has
``(end - start) / source period`` of them, which is how quality checks spot a partial
candle. A bucket with no source candle at all produces no row (nothing is invented).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from quantbot.config.base import timeframe_seconds
from quantbot.data.errors import DataFormatError
from quantbot.data.ohlcv import OHLCV_COLUMNS, empty_ohlcv_frame

__all__ = [
    "SOURCE_COUNT_COLUMN",
    "bucket_end_ms",
    "bucket_start_ms",
    "resample",
    "timeframe_ms",
]

SOURCE_COUNT_COLUMN = "source_count"
"""Column of :func:`resample`'s output: number of source candles in each bucket (int64)."""

_DAY_MS = 86_400_000
_WEEK_OFFSET_MS = 4 * _DAY_MS
"""1970-01-01 was a Thursday; the first Monday 00:00 UTC is four days later."""


@dataclass(frozen=True, slots=True)
class _Grid:
    """Where a timeframe's candles open: fixed ``period_ms`` from ``offset_ms``, or ``months``."""

    period_ms: int
    offset_ms: int
    months: int


def _grid(timeframe: str) -> _Grid:
    seconds = timeframe_seconds(timeframe)  # validates the notation
    unit, count = timeframe[-1], int(timeframe[:-1])
    if unit == "M":
        return _Grid(period_ms=0, offset_ms=0, months=count)
    return _Grid(
        period_ms=seconds * 1000, offset_ms=_WEEK_OFFSET_MS if unit == "w" else 0, months=0
    )


def timeframe_ms(timeframe: str) -> int:
    """Length of a fixed-length timeframe (``1m`` to weeks) in milliseconds.

    Raises:
        ValueError: for a malformed timeframe or a month timeframe, whose candles differ
            in length (use :func:`bucket_end_ms` for those).
    """
    grid = _grid(timeframe)
    if grid.months:
        raise ValueError(f"{timeframe}: calendar months have no fixed length")
    return grid.period_ms


def bucket_start_ms(ts_ms: np.ndarray, timeframe: str) -> np.ndarray:
    """Open time of the ``timeframe`` candle containing each timestamp (int64 epoch ms, UTC).

    A timestamp is on the timeframe's grid exactly when it equals its bucket start.

    Raises:
        ValueError: for a malformed timeframe.
    """
    grid = _grid(timeframe)
    ts = np.asarray(ts_ms, dtype=np.int64)
    if grid.months:
        months = ts.astype("datetime64[ms]").astype("datetime64[M]").astype(np.int64)
        starts = (months // grid.months) * grid.months
        return starts.astype("datetime64[M]").astype("datetime64[ms]").astype(np.int64)
    shifted = ts - grid.offset_ms
    return shifted - shifted % grid.period_ms + grid.offset_ms


def bucket_end_ms(start_ms: np.ndarray, timeframe: str) -> np.ndarray:
    """Close time (exclusive) of the ``timeframe`` candles opening at ``start_ms``.

    Raises:
        ValueError: for a malformed timeframe.
    """
    grid = _grid(timeframe)
    starts = np.asarray(start_ms, dtype=np.int64)
    if grid.months:
        months = starts.astype("datetime64[ms]").astype("datetime64[M]") + grid.months
        return months.astype("datetime64[ms]").astype(np.int64)
    return starts + grid.period_ms


def _check_compatible(source: str, target: str) -> None:
    """Every target boundary must be a source boundary, or buckets would split candles."""
    src, dst = _grid(source), _grid(target)
    if dst.months:
        fits = (
            dst.months % src.months == 0
            if src.months
            else _DAY_MS % src.period_ms == 0 and src.offset_ms == 0
        )
    else:
        fits = (
            not src.months
            and dst.period_ms % src.period_ms == 0
            and (dst.offset_ms - src.offset_ms) % src.period_ms == 0
        )
    if not fits:
        raise ValueError(
            f"cannot resample {source} candles to {target}: {target} boundaries "
            f"do not all fall on the {source} grid"
        )


def resample(
    candles: pd.DataFrame,
    source_timeframe: str,
    target_timeframe: str,
    *,
    now_ms: int | None = None,
) -> pd.DataFrame:
    """Build the closed ``target_timeframe`` candles from ``source_timeframe`` candles.

    See the module docstring for the bucket, completeness and gap rules.

    Args:
        candles: an OHLCV frame (``ts_ms`` strictly increasing, on the source grid).
        source_timeframe: timeframe of ``candles``, e.g. ``1m``.
        target_timeframe: timeframe to build, e.g. ``1h``, ``1d``, ``1w``, ``1M``.
        now_ms: the current time, epoch ms; a bucket is complete once it has ended by
            then. Without it, the last bucket is complete only if its final source candle
            is present.

    Returns:
        An OHLCV frame plus :data:`SOURCE_COUNT_COLUMN`, one row per closed bucket.

    Raises:
        ValueError: for malformed timeframes or a target whose boundaries are not on the
            source grid (e.g. ``1h`` from ``7m``, ``1M`` from ``1w``).
        DataFormatError: if ``candles`` lacks OHLCV columns, or its timestamps are not
            strictly increasing or not on the source grid.
    """
    _check_compatible(source_timeframe, target_timeframe)
    missing = [c for c in OHLCV_COLUMNS if c not in candles.columns]
    if missing:
        raise DataFormatError(f"candles lack OHLCV columns {missing}")
    ts = candles["ts_ms"].to_numpy(dtype=np.int64)
    if len(ts) > 1 and not bool((ts[1:] > ts[:-1]).all()):
        raise DataFormatError("candle timestamps are not strictly increasing")
    if not np.array_equal(bucket_start_ms(ts, source_timeframe), ts):
        raise DataFormatError(f"candle timestamps are not on the {source_timeframe} grid")

    if not len(ts):
        return empty_ohlcv_frame().assign(**{SOURCE_COUNT_COLUMN: np.array([], dtype=np.int64)})
    buckets = bucket_start_ms(ts, target_timeframe)
    first = np.flatnonzero(np.concatenate(([True], buckets[1:] != buckets[:-1])))
    last = np.append(first[1:], len(ts)) - 1
    starts = buckets[first]
    ends = bucket_end_ms(starts, target_timeframe)
    if now_ms is not None:
        closed = ends <= now_ms
    else:
        # Only the data can tell whether the last bucket closed: its final candle must be there.
        closed = np.ones(len(starts), dtype=bool)
        closed[-1] = ts[-1] == bucket_start_ms(ends[-1:] - 1, source_timeframe)[0]
    frame = pd.DataFrame(
        {
            "ts_ms": starts,
            "open": candles["open"].to_numpy(dtype=np.float64)[first],
            "high": _reduce(np.maximum, candles["high"], first),
            "low": _reduce(np.minimum, candles["low"], first),
            "close": candles["close"].to_numpy(dtype=np.float64)[last],
            "volume": _reduce(np.add, candles["volume"], first),
            SOURCE_COUNT_COLUMN: last - first + 1,
        }
    )
    return frame[closed].reset_index(drop=True)


def _reduce(ufunc: np.ufunc, column: pd.Series, first: np.ndarray) -> np.ndarray:
    return ufunc.reduceat(column.to_numpy(dtype=np.float64), first)
