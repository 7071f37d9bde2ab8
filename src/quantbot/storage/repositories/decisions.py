"""The decision audit trail: what each strategy decided, why, and what became of it.

Append-only: this repository offers no update or delete, and database triggers
refuse both, so the trail cannot be rewritten after the fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from quantbot.core import RunMode
from quantbot.storage.models import Decision

__all__ = ["DecisionAction", "DecisionRecord", "DecisionRepository"]

_TABLE = Decision.__table__
_NOTHING: Mapping[str, Any] = MappingProxyType({})


class DecisionAction(StrEnum):
    """What was done with a decision."""

    EXECUTED = "EXECUTED"
    """An order was sent."""
    REJECTED = "REJECTED"
    """The risk manager refused it; ``risk_checks`` says which rule."""
    HELD = "HELD"
    """The strategy chose not to act (no signal strong enough, cooldown...)."""


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One stored decision, as stored: secrets masked by the engine hook."""

    id: int
    ts_ms: int
    strategy: str
    symbol: str
    signal: str
    reason: str
    indicators: dict[str, Any]
    risk_checks: dict[str, Any]
    action_taken: DecisionAction
    client_order_id: str | None
    run_id: str | None
    mode: RunMode


class DecisionRepository:
    """Append to and read the ``decisions`` table; the caller commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def append(
        self,
        *,
        ts_ms: int,
        strategy: str,
        symbol: str,
        signal: str,
        reason: str,
        action_taken: DecisionAction,
        mode: RunMode,
        run_id: str | None = None,
        indicators: Mapping[str, Any] = _NOTHING,
        risk_checks: Mapping[str, Any] = _NOTHING,
        client_order_id: str | None = None,
    ) -> int:
        """Record a decision and return its row id.

        Args:
            ts_ms: when the strategy decided (engine clock).
            strategy: the strategy id.
            symbol: the instrument, e.g. ``BTC/USDT``.
            signal: what the strategy wanted, e.g. ``LONG_ENTRY``.
            reason: why, in words a reviewer understands.
            action_taken: what was done about it.
            mode: whether a backtest, paper or live trading decided.
            run_id: the backtest or trading session that decided.
            indicators: the indicator values the decision used (NaN is stored as null).
            risk_checks: each risk rule's verdict.
            client_order_id: the order sent, when ``action_taken`` is EXECUTED.
        """
        statement = (
            insert(Decision)
            .values(
                ts_ms=ts_ms,
                strategy=strategy,
                symbol=symbol,
                signal=signal,
                reason=reason,
                indicators=dict(indicators),
                risk_checks=dict(risk_checks),
                action_taken=DecisionAction(action_taken).value,
                client_order_id=client_order_id,
                run_id=run_id,
                mode=RunMode(mode).value,
            )
            .returning(Decision.id)
        )
        return self._session.execute(statement).scalar_one()

    def history(
        self,
        *,
        strategy: str | None = None,
        symbol: str | None = None,
        since_ts_ms: int | None = None,
        mode: RunMode | None = None,
        run_id: str | None = None,
        limit: int | None = None,
    ) -> list[DecisionRecord]:
        """Return decisions in the order they were taken, optionally filtered.

        Args:
            strategy: only this strategy's decisions.
            symbol: only decisions on this instrument.
            since_ts_ms: only decisions taken at or after this time.
            mode: only decisions of backtests, of paper or of live trading.
            run_id: only decisions of this run.
            limit: at most this many, the oldest first.
        """
        query = select(_TABLE).order_by(_TABLE.c.ts_ms, _TABLE.c.id).limit(limit)
        if strategy is not None:
            query = query.where(_TABLE.c.strategy == strategy)
        if symbol is not None:
            query = query.where(_TABLE.c.symbol == symbol)
        if since_ts_ms is not None:
            query = query.where(_TABLE.c.ts_ms >= since_ts_ms)
        if mode is not None:
            query = query.where(_TABLE.c.mode == RunMode(mode).value)
        if run_id is not None:
            query = query.where(_TABLE.c.run_id == run_id)
        return [
            DecisionRecord(
                **{
                    **row,
                    "action_taken": DecisionAction(row["action_taken"]),
                    "mode": RunMode(row["mode"]),
                }
            )
            for row in self._session.execute(query).mappings()
        ]
