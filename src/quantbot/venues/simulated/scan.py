"""Finding the next bar on which a resting order can trigger: the compiled forward scan.

Between two events nothing a strategy or the book cares about happens, so the engine
jumps from event to event. The venue reduces its resting orders to two thresholds per
symbol — the highest price a low must reach (buy limits, sell stops) and the lowest a
high must reach (sell limits, buy stops) — and scans forward for the first bar that
crosses either. The loop is compiled with numba (cached on disk after the first run).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["first_crossing"]


@njit(cache=True, nogil=True)
def _first_crossing(
    low: np.ndarray, high: np.ndarray, start: int, low_at: float, high_at: float
) -> int:
    n: int = low.shape[0]
    for i in range(start, n):
        if low[i] <= low_at or high[i] >= high_at:
            return i
    return n


def first_crossing(
    low: np.ndarray, high: np.ndarray, start: int, low_at: float, high_at: float
) -> int:
    """First index ``i >= start`` with ``low[i] <= low_at`` or ``high[i] >= high_at``.

    Returns ``len(low)`` when no bar crosses. Pass ``-inf``/``inf`` to disable a side.
    """
    if start >= low.shape[0]:
        return int(low.shape[0])
    return int(_first_crossing(low, high, start, low_at, high_at))
