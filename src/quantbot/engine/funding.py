"""Funding settlements of a backtest: when each perpetual's funding is paid, known ahead.

Historical funding rates are known times, so the engine treats every settlement as an
event found ahead of the loop, like a timer: it is booked at the close of the first
bar that closes at or after the settlement time (with 1m bars and settlements on the
minute, exactly at it), on the positions held then, at that bar's closing mark price.
A settlement at or before the first bar's open, or after the last bar's close, is
outside the run and ignored.

Every strategy holding a position in the perpetual pays or receives
``-qty * contract_size * mark * rate`` on its own position (longs pay when the rate is
positive, :meth:`~quantbot.core.FundingPayment.from_rate`); the account is booked on
its net position.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["FundingSchedule", "Settlement"]

_NEVER = 2**62


@dataclass(frozen=True, slots=True)
class Settlement:
    """One funding settlement of one perpetual.

    Attributes:
        bar: the bar at whose close it is booked.
        ts_ms: settlement time, epoch ms.
        symbol: the perpetual.
        rate: funding rate for the interval, a fraction (positive: longs pay).
    """

    bar: int
    ts_ms: int
    symbol: str
    rate: float


class FundingSchedule:
    """Every settlement of a run in booking order, consumed bar by bar.

    Args:
        funding: per perpetual, settlements (columns ``ts_ms``, ``funding_rate``).
        ts_ms: the run's timeline (bar open times).
        period_ms: the length of one bar.
    """

    def __init__(self, funding: Mapping[str, pd.DataFrame], ts_ms: np.ndarray, period_ms: int):
        settlements: list[Settlement] = []
        if len(ts_ms):
            close_ms = ts_ms + period_ms
            for symbol, frame in funding.items():
                times = frame["ts_ms"].to_numpy(dtype=np.int64)
                rates = frame["funding_rate"].to_numpy(dtype=np.float64)
                inside = (times > ts_ms[0]) & (times <= close_ms[-1])
                bars = np.searchsorted(close_ms, times[inside], side="left")
                settlements += [
                    Settlement(int(bar), int(t), symbol, float(rate))
                    for bar, t, rate in zip(bars, times[inside], rates[inside], strict=True)
                ]
        # Stable: settlements of one bar keep the data's symbol order.
        self._settlements = sorted(settlements, key=lambda s: (s.bar, s.ts_ms))
        self._next = 0

    def __len__(self) -> int:
        return len(self._settlements)

    def next_bar(self) -> int:
        """The bar of the next settlement not yet booked; a huge number when none is left."""
        if self._next < len(self._settlements):
            return self._settlements[self._next].bar
        return _NEVER

    def due(self, bar: int) -> list[Settlement]:
        """The settlements booked at the close of ``bar`` (taken off the schedule)."""
        first = self._next
        while self._next < len(self._settlements) and self._settlements[self._next].bar <= bar:
            self._next += 1
        return self._settlements[first : self._next]
