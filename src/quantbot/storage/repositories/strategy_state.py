"""What a strategy needs to resume after a restart: grid levels, inventory, cooldowns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quantbot.storage.models import StrategyState
from quantbot.storage.repositories._dialect_insert import insert_on_conflict

__all__ = ["WHOLE_STRATEGY", "StrategyStateRepository"]

WHOLE_STRATEGY = ""
"""The ``symbol`` under which state of the strategy as a whole is kept."""


class StrategyStateRepository:
    """Save and load strategy state documents (JSON); the caller commits.

    State is keyed by strategy and symbol, so that a grid running on several pairs
    saves each pair's levels on its own.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def save(
        self,
        strategy: str,
        state: Mapping[str, Any],
        *,
        ts_ms: int,
        symbol: str = WHOLE_STRATEGY,
    ) -> None:
        """Store ``state``, replacing what was saved before under the same key.

        Args:
            strategy: the strategy id.
            state: a JSON-like mapping (NaN is stored as null).
            ts_ms: when it was saved (engine clock).
            symbol: the instrument the state belongs to, or :data:`WHOLE_STRATEGY`.
        """
        statement = insert_on_conflict(self._session, StrategyState).values(
            strategy=strategy, symbol=symbol, state=dict(state), updated_ts_ms=ts_ms
        )
        self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[StrategyState.strategy, StrategyState.symbol],
                set_={
                    "state": statement.excluded.state,
                    "updated_ts_ms": statement.excluded.updated_ts_ms,
                },
            )
        )

    def load(self, strategy: str, *, symbol: str = WHOLE_STRATEGY) -> dict[str, Any] | None:
        """Return the state saved under ``strategy`` and ``symbol``, ``None`` if none."""
        query = select(StrategyState.state).where(
            StrategyState.strategy == strategy, StrategyState.symbol == symbol
        )
        return self._session.execute(query).scalar_one_or_none()

    def load_all(self, strategy: str) -> dict[str, dict[str, Any]]:
        """Return every state saved for ``strategy``, by symbol."""
        query = select(StrategyState.symbol, StrategyState.state).where(
            StrategyState.strategy == strategy
        )
        return dict(self._session.execute(query).all())
