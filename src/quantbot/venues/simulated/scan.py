"""Finding the next bar on which something can happen: the compiled forward scans.

Between two events nothing a strategy or the book cares about happens, so the engine
jumps from event to event. Two kinds of event are found by scanning forward:

- **Order triggers.** The venue reduces its resting orders to two thresholds per
  symbol — the highest price a low must reach (buy limits, sell stops) and the lowest a
  high must reach (sell limits, buy stops) — and :func:`first_crossing` finds the first
  bar that crosses either.
- **Liquidations.** Between events positions, margins and the wallet are constant, so
  "equity has fallen to the maintenance margin" is a linear condition on the mark
  prices, ``sum(coef[j] * price[row[j]]) <= bound``, checked at each bar's adverse
  extreme (the low where the coefficient is positive, the high where it is negative).
  :class:`LinearScan` finds the first bar where it holds. It skips whole blocks of
  bars at once using each block's lowest low and highest high: the condition at those
  extremes is a necessary one (float rounding is monotone), so no crossing is skipped.
  The per-bar test is one compiled expression, used both by the scan and by the
  engine's check of a single bar, so the fast path and a bar-by-bar run can never
  disagree about a liquidation.

The loops are compiled with numba (cached on disk after the first run).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["SCAN_BLOCK_BARS", "CrossingScan", "LinearScan", "first_crossing"]

SCAN_BLOCK_BARS = 512
"""Bars per block of :class:`LinearScan`: a year of minutes is about 1,000 blocks."""


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


class CrossingScan:
    """:func:`first_crossing` over one symbol's candles, remembering its last answer.

    Between events the engine asks again from a later start with the same thresholds;
    while the start has not passed the last answer, the answer is the same, so a
    resting order far from the price costs one scan, not one per event.
    """

    __slots__ = ("_high", "_high_at", "_low", "_low_at", "_result", "_start")

    def __init__(self, low: np.ndarray, high: np.ndarray) -> None:
        self._low, self._high = low, high
        self._low_at, self._high_at, self._start, self._result = np.nan, np.nan, -1, -1

    def first(self, start: int, low_at: float, high_at: float) -> int:
        """First bar ``>= start`` with ``low <= low_at`` or ``high >= high_at``."""
        if (
            low_at == self._low_at
            and high_at == self._high_at
            and self._start <= start <= self._result
        ):
            return self._result
        self._low_at, self._high_at, self._start = low_at, high_at, start
        self._result = first_crossing(self._low, self._high, start, low_at, high_at)
        return self._result


@njit(cache=True, nogil=True)
def _linear_value(
    lows: np.ndarray, highs: np.ndarray, rows: np.ndarray, coefs: np.ndarray, i: int
) -> float:
    """``sum(coef * adverse price)`` at bar ``i``: the low for coef > 0, the high for coef < 0."""
    total = 0.0
    for j in range(rows.shape[0]):
        coef = coefs[j]
        total += coef * (lows[rows[j], i] if coef > 0.0 else highs[rows[j], i])
    return total


@njit(cache=True, nogil=True)
def _first_linear_crossing(  # noqa: PLR0917 -- numba compiles positional parameters only
    lows: np.ndarray,
    highs: np.ndarray,
    block_lows: np.ndarray,
    block_highs: np.ndarray,
    block: int,
    rows: np.ndarray,
    coefs: np.ndarray,
    bound: float,
    start: int,
    stop: int,
) -> int:
    i = start
    while i < stop:
        # A whole block is skipped when even its extremes cannot meet the condition.
        if (
            i % block == 0
            and i + block <= stop
            and _linear_value(block_lows, block_highs, rows, coefs, i // block) > bound
        ):
            i += block
            continue
        if _linear_value(lows, highs, rows, coefs, i) <= bound:
            return i
        i += 1
    return stop


class LinearScan:
    """Mark-price lows and highs of several symbols, indexed for linear-condition scans.

    Args:
        lows: per row (symbol), its lows on the run's timeline.
        highs: per row, its highs, same shapes.
        block: bars per block (:data:`SCAN_BLOCK_BARS`).

    Raises:
        ValueError: if the arrays do not all have one length.
    """

    def __init__(
        self,
        lows: list[np.ndarray],
        highs: list[np.ndarray],
        *,
        block: int = SCAN_BLOCK_BARS,
    ) -> None:
        if len({len(a) for a in (*lows, *highs)}) > 1 or len(lows) != len(highs):
            raise ValueError("every row of a LinearScan must have one length")
        n = len(lows[0]) if lows else 0
        self._lows = np.ascontiguousarray(np.vstack(lows) if lows else np.empty((0, n)))
        self._highs = np.ascontiguousarray(np.vstack(highs) if highs else np.empty((0, n)))
        starts = np.arange(0, n, block)
        self._block_lows = np.ascontiguousarray(np.minimum.reduceat(self._lows, starts, axis=1))
        self._block_highs = np.ascontiguousarray(np.maximum.reduceat(self._highs, starts, axis=1))
        self._block = block
        self._n = n

    @property
    def bars(self) -> int:
        """Length of the timeline."""
        return self._n

    def first(
        self,
        rows: np.ndarray,
        coefs: np.ndarray,
        bound: float,
        start: int,
        stop: int | None = None,
    ) -> int:
        """First bar ``i`` in ``[start, stop)`` with ``sum(coefs * adverse[rows, i]) <= bound``.

        Args:
            rows: int64 row of each term.
            coefs: float64 coefficient of each term; the adverse price of a row is its
                low where the coefficient is positive and its high where negative.
            bound: right-hand side.
            start: first bar to test.
            stop: bar after the last to test; the end of the timeline by default.

        Returns:
            The bar, or ``stop`` when no bar in the range meets the condition (a NaN
            price never does).
        """
        end = self._n if stop is None else min(stop, self._n)
        if start >= end:
            return end
        return int(
            _first_linear_crossing(
                self._lows,
                self._highs,
                self._block_lows,
                self._block_highs,
                self._block,
                rows,
                coefs,
                bound,
                start,
                end,
            )
        )

    def holds_at(self, rows: np.ndarray, coefs: np.ndarray, bound: float, bar: int) -> bool:
        """Whether the condition holds at ``bar`` (the same test the scan applies)."""
        return self.first(rows, coefs, bound, bar, bar + 1) == bar
