"""Process-wide values that survive a restart (last reconciliation time, run counters)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from quantbot.storage.models import AppState
from quantbot.storage.repositories._dialect_insert import insert_on_conflict

__all__ = ["AppStateRepository"]


class AppStateRepository:
    """Key to JSON value store on the ``app_state`` table.

    Writes join the caller's transaction; the caller commits.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, key: str) -> Any | None:
        """Return the value stored under ``key``, ``None`` when there is none."""
        return self._session.execute(
            select(AppState.value).where(AppState.key == key)
        ).scalar_one_or_none()

    def set(self, key: str, value: Any, *, ts_ms: int) -> None:
        """Store ``value`` under ``key``, replacing any previous value.

        Args:
            key: the name of the value.
            value: any JSON-serialisable value except ``None`` (use :meth:`delete`),
                so that :meth:`get` returning ``None`` always means "absent".
            ts_ms: when the value was written (engine clock).

        Raises:
            ValueError: if ``value`` is ``None``.
        """
        if value is None:
            raise ValueError(f"app_state {key!r}: None is not a value; delete the key instead")
        statement = insert_on_conflict(self._session, AppState).values(
            key=key, value=value, updated_ts_ms=ts_ms
        )
        self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[AppState.key],
                set_={
                    "value": statement.excluded.value,
                    "updated_ts_ms": statement.excluded.updated_ts_ms,
                },
            )
        )

    def delete(self, key: str) -> bool:
        """Remove ``key``; return whether it existed."""
        statement = delete(AppState).where(AppState.key == key).returning(AppState.key)
        return self._session.execute(statement).first() is not None
