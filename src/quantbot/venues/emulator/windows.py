"""Paging through time-indexed rows the way Binance's history endpoints do.

Binance answers a history request (klines, funding rates) with the first ``limit``
rows from ``startTime`` when it is given, else the last ``limit`` rows up to
``endTime`` (or now). Data can have gaps, so the number of rows in a time range is not
known in advance: :func:`first_rows` and :func:`last_rows` fetch windows that double in
width until they have ``limit`` rows or reach the end of the range, which keeps
requests over long gaps to a handful of reads.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

__all__ = ["Fetch", "first_rows", "last_rows"]

Fetch = Callable[[int, int], pd.DataFrame]
"""Rows with ``ts_ms`` in ``[lo, hi)``, sorted by ``ts_ms``."""


def first_rows(
    fetch: Fetch, *, lo: int, hi: int, limit: int, width_ms: int, empty: pd.DataFrame
) -> pd.DataFrame:
    """The first ``limit`` rows with ``ts_ms`` in ``[lo, hi)``.

    Args:
        fetch: reads one window.
        lo: start of the range (inclusive), epoch ms.
        hi: end of the range (exclusive), epoch ms.
        limit: rows wanted (>= 1).
        width_ms: width of the first window; each next window is twice as wide.
        empty: what to return when the range holds no rows (a frame with the columns).
    """
    frames: list[pd.DataFrame] = []
    found, cursor, width = 0, lo, max(width_ms, 1)
    while found < limit and cursor < hi:
        stop = min(cursor + width, hi)
        chunk = fetch(cursor, stop)
        frames.append(chunk)
        found += len(chunk)
        cursor, width = stop, width * 2
    return _joined(frames, empty).head(limit).reset_index(drop=True)


def last_rows(
    fetch: Fetch, *, lo: int, hi: int, limit: int, width_ms: int, empty: pd.DataFrame
) -> pd.DataFrame:
    """The last ``limit`` rows with ``ts_ms`` in ``[lo, hi)`` (in ascending order).

    Args are those of :func:`first_rows`; windows go backwards from ``hi``.
    """
    frames: list[pd.DataFrame] = []
    found, cursor, width = 0, hi, max(width_ms, 1)
    while found < limit and cursor > lo:
        start = max(cursor - width, lo)
        chunk = fetch(start, cursor)
        frames.insert(0, chunk)
        found += len(chunk)
        cursor, width = start, width * 2
    return _joined(frames, empty).tail(limit).reset_index(drop=True)


def _joined(frames: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    non_empty = [frame for frame in frames if not frame.empty]
    if not non_empty:
        return empty
    return pd.concat(non_empty, ignore_index=True) if len(non_empty) > 1 else non_empty[0]
