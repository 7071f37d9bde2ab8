"""Backtest runs: stored when they start (configuration), completed when they finish (summary)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quantbot.storage.errors import DuplicateRecord, RecordNotFound
from quantbot.storage.models import BacktestRun
from quantbot.storage.repositories._dialect_insert import insert_on_conflict

__all__ = ["BacktestRunRecord", "BacktestRunRepository"]

_TABLE = BacktestRun.__table__


@dataclass(frozen=True, slots=True)
class BacktestRunRecord:
    """One stored backtest run, as stored (secrets in ``config`` masked by the engine hook)."""

    run_id: str
    started_ts_ms: int
    finished_ts_ms: int | None
    strategies: list[str]
    symbols: list[str]
    timeframe: str
    period_start_ts_ms: int
    period_end_ts_ms: int
    config: dict[str, Any]
    summary: dict[str, Any] | None
    report_path: str | None


class BacktestRunRepository:
    """Write and read the ``backtest_runs`` table; the caller commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def start(
        self,
        run_id: str,
        *,
        started_ts_ms: int,
        strategies: Sequence[str],
        symbols: Sequence[str],
        timeframe: str,
        period_start_ts_ms: int,
        period_end_ts_ms: int,
        config: Mapping[str, Any],
    ) -> None:
        """Record a run about to start, with everything it will run on and with.

        Args:
            run_id: the run's identifier (``BacktestResult.run_id``).
            started_ts_ms: wall time the run started, epoch ms.
            strategies: strategy ids.
            symbols: markets in ccxt notation.
            timeframe: the base timeframe, e.g. ``1m``.
            period_start_ts_ms: open time of the first bar to simulate.
            period_end_ts_ms: close time of the last bar to simulate.
            config: the effective configuration as a JSON-like mapping.

        Raises:
            DuplicateRecord: a run with this id exists already; nothing was written
                and the transaction remains usable.
        """
        statement = (
            insert_on_conflict(self._session, BacktestRun)
            .values(
                run_id=run_id,
                started_ts_ms=started_ts_ms,
                finished_ts_ms=None,
                strategies=list(strategies),
                symbols=list(symbols),
                timeframe=timeframe,
                period_start_ts_ms=period_start_ts_ms,
                period_end_ts_ms=period_end_ts_ms,
                config=dict(config),
                summary=None,
                report_path=None,
            )
            .on_conflict_do_nothing(index_elements=[BacktestRun.run_id])
            .returning(BacktestRun.run_id)
        )
        if self._session.execute(statement).scalar_one_or_none() is None:
            raise DuplicateRecord("backtest_runs", f"run_id={run_id}")

    def finish(
        self,
        run_id: str,
        *,
        finished_ts_ms: int,
        summary: Mapping[str, Any],
        report_path: str | None = None,
    ) -> None:
        """Complete a started run with its summary and the path of its report.

        Args:
            run_id: the run, as given to :meth:`start`.
            finished_ts_ms: wall time the run finished, epoch ms.
            summary: the run's ``summary.json`` document.
            report_path: where its HTML report was written, if anywhere.

        Raises:
            RecordNotFound: no run with this id was started.
        """
        statement = (
            update(BacktestRun)
            .where(BacktestRun.run_id == run_id)
            .values(finished_ts_ms=finished_ts_ms, summary=dict(summary), report_path=report_path)
            .returning(BacktestRun.run_id)
        )
        if self._session.execute(statement).scalar_one_or_none() is None:
            raise RecordNotFound("backtest_runs", f"run_id={run_id}")

    def get(self, run_id: str) -> BacktestRunRecord | None:
        """Return the run stored under ``run_id``, ``None`` when there is none."""
        row = self._session.execute(select(_TABLE).where(_TABLE.c.run_id == run_id)).mappings()
        found = row.first()
        return None if found is None else BacktestRunRecord(**found)

    def recent(self, *, limit: int = 20) -> list[BacktestRunRecord]:
        """Return up to ``limit`` runs, the most recently started first."""
        query = select(_TABLE).order_by(_TABLE.c.started_ts_ms.desc(), _TABLE.c.run_id).limit(limit)
        return [BacktestRunRecord(**row) for row in self._session.execute(query).mappings()]
