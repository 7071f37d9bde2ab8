"""Thinning long series for charts without losing their extremes.

A year of 1m bars is 525,600 points: plotted as is, a report weighs tens of MB and a
browser crawls. :func:`extremes_indices` keeps, for each of about
``max_points / 2`` equal buckets of the series, the points of its minimum and maximum
(plus the first and last points), so every peak, trough and drawdown bottom the
full series has is still drawn, and the file stays a few hundred kB.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_MAX_POINTS", "extremes_indices"]

DEFAULT_MAX_POINTS = 5_000
"""Points per plotted series in reports."""


def extremes_indices(values: np.ndarray, max_points: int = DEFAULT_MAX_POINTS) -> np.ndarray:
    """Indices of at most ``max_points`` points of ``values`` that keep its extremes.

    Args:
        values: the series; NaN values are never chosen as extremes.
        max_points: upper bound of the result's length, >= 4.

    Returns:
        Sorted unique indices: all of them when the series is short enough; otherwise
        the first and last points and each bucket's minimum and maximum.

    Raises:
        ValueError: if ``max_points`` is below 4.
    """
    if max_points < 4:
        raise ValueError(f"max_points {max_points}: must be >= 4")
    series = np.asarray(values, dtype=np.float64)
    size = len(series)
    if size <= max_points:
        return np.arange(size)
    buckets = (max_points - 2) // 2
    width = -(-size // buckets)
    padded = np.full(buckets * width, np.nan)
    padded[:size] = series
    grid = padded.reshape(buckets, width)
    # A bucket of NaN only has no extreme; fmin/fmax-style masking keeps NaN out.
    low = np.where(np.isnan(grid), np.inf, grid).argmin(axis=1)
    high = np.where(np.isnan(grid), -np.inf, grid).argmax(axis=1)
    offsets = np.arange(buckets) * width
    chosen = np.concatenate(([0, size - 1], offsets + low, offsets + high))
    return np.unique(chosen[chosen < size])
