"""The only place quantbot reads time.

Backtest/paper parity needs every timestamp to come from one injectable clock: the
backtest plugs in :class:`SimulatedClock`, paper and live plug in :class:`WallClock`.
A ruff banned-API rule forbids wall-clock reads anywhere else.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SimulatedClock", "WallClock", "ms_to_datetime"]


@runtime_checkable
class Clock(Protocol):
    """Source of the current time in epoch milliseconds (UTC)."""

    def now_ms(self) -> int:
        """Return the current time in milliseconds since the Unix epoch."""
        ...


class WallClock:
    """The machine's real-time clock, for paper and live trading."""

    def now_ms(self) -> int:
        """Return the wall time in epoch milliseconds."""
        return time.time_ns() // 1_000_000


class SimulatedClock:
    """A clock the engine moves forward explicitly, for backtests and tests.

    Time never goes backwards: an engine that tries is replaying events out of
    order, which would silently break causality, so it raises instead.
    """

    def __init__(self, start_ms: int = 0) -> None:
        self._now_ms = start_ms

    def now_ms(self) -> int:
        """Return the simulated time in epoch milliseconds."""
        return self._now_ms

    def advance_to(self, ts_ms: int) -> None:
        """Move the clock to ``ts_ms``.

        Raises:
            ValueError: if ``ts_ms`` is earlier than the current simulated time.
        """
        if ts_ms < self._now_ms:
            raise ValueError(f"clock cannot go back from {self._now_ms} to {ts_ms}")
        self._now_ms = ts_ms


def ms_to_datetime(ts_ms: int) -> datetime:
    """Convert epoch milliseconds to an aware UTC datetime (for display and storage)."""
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
