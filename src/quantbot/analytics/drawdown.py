"""Drawdowns of an equity curve: depth, the deepest one's dates, the longest time under water.

A drawdown at a point is ``value / running_peak - 1`` (0 at a new high, -0.25 a
quarter below the best value so far), as in REQUIREMENTS.md section 13 and
empyrical. The curve is "under water" from a peak until it first gets back to that
peak's value (the recovery); a spell not recovered by the end lasts until the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quantbot.analytics.iso_time import DAY_MS

__all__ = ["DrawdownStats", "drawdown_fraction", "drawdown_stats"]


@dataclass(frozen=True, slots=True)
class DrawdownStats:
    """The deepest drawdown of a curve and its longest spell under water.

    Attributes:
        max_drawdown_pct: depth of the deepest drawdown, <= 0 (-25.0 = a quarter lost
            from the peak); NaN for a curve of fewer than two points.
        peak_ts_ms: when the deepest drawdown's peak was set; ``None`` without drawdown.
        trough_ts_ms: when it bottomed; ``None`` without drawdown.
        recovery_ts_ms: when the curve first got back to the peak; ``None`` if never
            (or without drawdown).
        longest_underwater_days: the longest time from a peak to its recovery (or to the
            end of the curve when not recovered), in days; 0 without drawdown.
    """

    max_drawdown_pct: float
    peak_ts_ms: int | None
    trough_ts_ms: int | None
    recovery_ts_ms: int | None
    longest_underwater_days: float


def drawdown_fraction(values: np.ndarray) -> np.ndarray:
    """Drawdown at each point as a fraction of the running peak (<= 0)."""
    curve = np.asarray(values, dtype=np.float64)
    peak = np.fmax.accumulate(curve)
    with np.errstate(divide="ignore", invalid="ignore"):
        return curve / peak - 1.0


def drawdown_stats(times_ms: np.ndarray, values: np.ndarray) -> DrawdownStats:
    """Measure the drawdowns of ``values`` sampled at ``times_ms``.

    Args:
        times_ms: time of each value, epoch ms, increasing.
        values: the curve (equity), same length; positive.

    Returns:
        The deepest drawdown with its peak, trough and recovery times, and the longest
        time under water. Time resolution is that of the samples (daily closes for the
        metrics).
    """
    times = np.asarray(times_ms, dtype=np.int64)
    curve = np.asarray(values, dtype=np.float64)
    if len(curve) < 2:
        return DrawdownStats(float("nan"), None, None, None, 0.0)
    drawdown = drawdown_fraction(curve)
    index = np.arange(len(curve))
    at_high = curve >= np.fmax.accumulate(curve)
    # The index of the latest high at or before each point.
    last_peak = np.maximum.accumulate(np.where(at_high, index, 0))
    trough = int(np.nanargmin(drawdown))
    depth = float(drawdown[trough])
    if not depth < 0.0:
        return DrawdownStats(0.0, None, None, None, 0.0)
    peak = int(last_peak[trough])
    later_highs = np.flatnonzero(at_high[trough:])
    recovery = int(later_highs[0]) + trough if len(later_highs) else None
    return DrawdownStats(
        max_drawdown_pct=depth * 100.0,
        peak_ts_ms=int(times[peak]),
        trough_ts_ms=int(times[trough]),
        recovery_ts_ms=None if recovery is None else int(times[recovery]),
        longest_underwater_days=_longest_underwater_ms(times, at_high, last_peak) / DAY_MS,
    )


def _longest_underwater_ms(times: np.ndarray, at_high: np.ndarray, last_peak: np.ndarray) -> int:
    # A spell ends at a high that follows a point under water (recovered), or at the
    # last point when that is still under water (not recovered).
    recovered = np.flatnonzero(at_high[1:] & ~at_high[:-1]) + 1
    spells = times[recovered] - times[last_peak[recovered - 1]]
    if not at_high[-1]:
        spells = np.append(spells, times[-1] - times[last_peak[-1]])
    return int(spells.max()) if len(spells) else 0
