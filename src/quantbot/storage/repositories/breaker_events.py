"""Circuit breaker trips and their resumption, per run mode.

Backtests, paper and live trading share the ``circuit_breaker_events`` table; every
query here names the mode it is about, so that a backtest's trips never stand for the
bot's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quantbot.core import RunMode
from quantbot.storage.models import CircuitBreakerEvent

__all__ = ["BreakerEventRecord", "BreakerEventRepository"]

_TABLE = CircuitBreakerEvent.__table__


@dataclass(frozen=True, slots=True)
class BreakerEventRecord:
    """One stored breaker trip."""

    id: int
    ts_ms: int
    trigger_type: str
    trigger_value: float
    positions_closed: list[Any]
    resumed_ts_ms: int | None
    run_id: str | None
    mode: RunMode


class BreakerEventRepository:
    """Record, read and resume breaker trips; the caller commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def record(
        self,
        *,
        ts_ms: int,
        trigger_type: str,
        trigger_value: float,
        mode: RunMode,
        positions_closed: Sequence[Any] = (),
        resumed_ts_ms: int | None = None,
        run_id: str | None = None,
    ) -> int:
        """Store one trip and return its row id.

        Args:
            ts_ms: when it tripped.
            trigger_type: ``daily``, ``weekly``, ``monthly``, ``api_errors`` or
                ``price_shock``.
            trigger_value: the measured value that crossed the limit.
            mode: whether a backtest, paper or live trading tripped.
            positions_closed: the positions closed at market for it.
            resumed_ts_ms: when trading resumed, if it already did.
            run_id: the backtest or trading session.
        """
        row = CircuitBreakerEvent(
            ts_ms=ts_ms,
            trigger_type=trigger_type,
            trigger_value=trigger_value,
            positions_closed=list(positions_closed),
            resumed_ts_ms=resumed_ts_ms,
            run_id=run_id,
            mode=RunMode(mode).value,
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def history(self, mode: RunMode, *, limit: int | None = None) -> list[BreakerEventRecord]:
        """The trips of ``mode``, the newest first (at most ``limit``)."""
        query = (
            select(_TABLE)
            .where(_TABLE.c.mode == RunMode(mode).value)
            .order_by(_TABLE.c.ts_ms.desc(), _TABLE.c.id.desc())
            .limit(limit)
        )
        return [
            BreakerEventRecord(**{**row, "mode": RunMode(row["mode"])})
            for row in self._session.execute(query).mappings()
        ]

    def mark_resumed(self, mode: RunMode, trigger_types: Sequence[str], *, ts_ms: int) -> int:
        """Set ``resumed_ts_ms`` on every trip of ``mode`` and these types not resumed yet.

        One loss breaker is in force at a time and a more severe one replaces a milder
        one, so a resume ends the trip in force and every escalation before it.
        Returns how many rows it marked.
        """
        statement = (
            update(CircuitBreakerEvent)
            .where(
                CircuitBreakerEvent.mode == RunMode(mode).value,
                CircuitBreakerEvent.trigger_type.in_(list(trigger_types)),
                CircuitBreakerEvent.resumed_ts_ms.is_(None),
            )
            .values(resumed_ts_ms=ts_ms)
            .returning(CircuitBreakerEvent.id)
        )
        return len(self._session.execute(statement).all())
