"""Bar equity resampled to UTC daily closes: the series every return statistic uses.

Return statistics (CAGR, Sharpe, Sortino, Calmar, volatility, maximum drawdown) are
computed from DAILY returns whatever the bar timeframe, as empyrical and most
reports do: per-bar returns of 1m candles would make the ratios depend on the
timeframe (and on intraday noise), and daily figures compare across runs. Crypto
trades every calendar day, so a year is 365 daily returns.

How the curve is built (:func:`daily_equity`):

- Point 0 is the anchor: the starting equity at the open of the first bar. The first
  daily return is therefore the first day's close against the starting equity, so a
  loss on day one counts as a drawdown.
- Each UTC calendar day from the first bar's day to the last bar's day has one point:
  the equity at the close of the day's last bar. A day is the one in which the bar
  CLOSES (a 1m bar opening at 23:59 belongs to that day). A first or last day the run
  covers only in part still counts as one day.
- A day without any bar (a data gap) repeats the previous close: equity did not
  move, so its return is 0 and it still counts towards the 365 days of a year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quantbot.analytics.iso_time import DAY_MS

__all__ = ["DailyEquity", "daily_equity"]


@dataclass(frozen=True)
class DailyEquity:
    """An equity curve sampled at the anchor and at each UTC daily close.

    Attributes:
        close_ms: when each value holds, epoch ms: the run's start for the anchor,
            then the end of each UTC day (the last bar's close for the final day).
        day_ms: the UTC day (its midnight, epoch ms) of each value; the anchor's is
            the first day's.
        values: the equity at those times, in quote currency; ``values[0]`` is the
            starting equity.
    """

    close_ms: np.ndarray
    day_ms: np.ndarray
    values: np.ndarray

    @property
    def returns(self) -> np.ndarray:
        """Simple daily returns as fractions (0.01 = 1 %), one per day, anchor excluded."""
        with np.errstate(divide="ignore", invalid="ignore"):
            returns: np.ndarray = self.values[1:] / self.values[:-1] - 1.0
        return returns

    @property
    def days(self) -> int:
        """Number of daily returns (calendar days covered, partial days included)."""
        return len(self.values) - 1


def daily_equity(
    ts_ms: np.ndarray, equity: np.ndarray, *, bar_ms: int, initial_value: float
) -> DailyEquity:
    """Resample an equity curve to UTC daily closes, anchored at the starting equity.

    Args:
        ts_ms: open time of each bar, epoch ms, strictly increasing.
        equity: equity at each bar's close, same length.
        bar_ms: length of one bar in milliseconds (its close is ``ts_ms + bar_ms``).
        initial_value: equity before the first bar.

    Returns:
        The anchored daily curve.

    Raises:
        ValueError: if there is no bar (there is no day to sample).
    """
    ts = np.asarray(ts_ms, dtype=np.int64)
    values = np.asarray(equity, dtype=np.float64)
    if len(ts) == 0:
        raise ValueError("an equity curve without bars has no daily closes")
    close_ms = ts + bar_ms
    day = (close_ms - 1) // DAY_MS
    last_of_day = np.append(np.flatnonzero(np.diff(day)), len(day) - 1)
    days_present = day[last_of_day]
    all_days = np.arange(days_present[0], days_present[-1] + 1, dtype=np.int64)
    # The latest present day at or before each calendar day: a missing day repeats it.
    source = np.searchsorted(days_present, all_days, side="right") - 1
    day_close = values[last_of_day][source]
    day_end_ms = np.minimum((all_days + 1) * DAY_MS, close_ms[-1])
    return DailyEquity(
        close_ms=np.concatenate(([ts[0]], day_end_ms)),
        day_ms=np.concatenate(([all_days[0]], all_days)) * DAY_MS,
        values=np.concatenate(([float(initial_value)], day_close)),
    )
