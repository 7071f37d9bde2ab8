"""The configuration each run started with, so that any past trade can be explained."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from quantbot.storage.models import ConfigurationHistory

__all__ = ["ConfigurationHistoryRepository", "ConfigurationRecord"]

_TABLE = ConfigurationHistory.__table__


@dataclass(frozen=True, slots=True)
class ConfigurationRecord:
    """One stored configuration, as stored: secrets masked by the engine hook."""

    id: int
    ts_ms: int
    run_id: str
    configuration: dict[str, Any]
    notes: str | None


class ConfigurationHistoryRepository:
    """Append to and read the ``configuration_history`` table; the caller commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def record(
        self,
        configuration: Mapping[str, Any],
        *,
        ts_ms: int,
        run_id: str,
        notes: str | None = None,
    ) -> int:
        """Store the configuration a run uses and return its row id.

        Args:
            configuration: the effective configuration as a JSON-like mapping.
            ts_ms: when the run started with it or reloaded it (engine clock).
            run_id: the run it belongs to.
            notes: why it was recorded, e.g. ``hot reload: grid spacing``.
        """
        statement = (
            insert(ConfigurationHistory)
            .values(ts_ms=ts_ms, run_id=run_id, configuration=dict(configuration), notes=notes)
            .returning(ConfigurationHistory.id)
        )
        return self._session.execute(statement).scalar_one()

    def history(self, *, run_id: str | None = None) -> list[ConfigurationRecord]:
        """Return stored configurations, oldest first, optionally of one run only."""
        query = select(_TABLE).order_by(_TABLE.c.ts_ms, _TABLE.c.id)
        if run_id is not None:
            query = query.where(_TABLE.c.run_id == run_id)
        return [ConfigurationRecord(**row) for row in self._session.execute(query).mappings()]

    def latest(self) -> ConfigurationRecord | None:
        """Return the most recently stored configuration, if any."""
        query = select(_TABLE).order_by(_TABLE.c.ts_ms.desc(), _TABLE.c.id.desc()).limit(1)
        row = self._session.execute(query).mappings().first()
        return None if row is None else ConfigurationRecord(**row)
