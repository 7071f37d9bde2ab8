"""Backtest runs in the database: recorded when they start, completed when they finish.

A run that crashed stays visible as started and never finished. The configuration and
summary stored are the run's own documents; the storage layer masks any secret that
might have slipped into them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from quantbot.core.clock import Clock
from quantbot.engine.backtest_job import PreparedBacktest
from quantbot.storage import create_engine_for, ensure_migrated, session_factory
from quantbot.storage.repositories import BacktestRunRepository

__all__ = ["record_run_finished", "record_run_started"]


def record_run_started(
    database_url: str,
    run_id: str,
    prepared: PreparedBacktest,
    *,
    clock: Clock,
    database_option: bool = False,
) -> None:
    """Store a run about to start, with what it runs on and with.

    Raises:
        DatabaseNotMigrated: when the database is not at the code's revision (the run
            is refused before it starts, with the command that fixes it).
    """
    engine = create_engine_for(database_url)
    try:
        ensure_migrated(engine, database_option=database_option)
        data = prepared.market.data
        ts = data.ts_ms
        period_ms = int(ts[1] - ts[0]) if len(ts) > 1 else 0
        config: dict[str, Any] = {
            "source": prepared.market.source,
            "strategies": [s.describe() for s in prepared.strategies],
            "engine": {
                "initial_capital": prepared.config.initial_capital,
                "quote_currency": prepared.config.quote_currency,
                "skip_idle_bars": prepared.config.skip_idle_bars,
                "fill_model": {
                    k: getattr(prepared.config.fill_model, k)
                    for k in prepared.config.fill_model.__slots__
                },
            },
        }
        with session_factory(engine).begin() as session:
            BacktestRunRepository(session).start(
                run_id,
                started_ts_ms=clock.now_ms(),
                strategies=[s.strategy_id for s in prepared.strategies],
                symbols=list(data.arrays),
                timeframe=data.timeframe,
                period_start_ts_ms=int(ts[0]),
                period_end_ts_ms=int(ts[-1]) + period_ms,
                config=config,
            )
    finally:
        engine.dispose()


def record_run_finished(
    database_url: str, run_id: str, *, summary: dict[str, Any], report: Path | None, clock: Clock
) -> None:
    """Complete a stored run with its summary and the path of its report."""
    engine = create_engine_for(database_url)
    try:
        with session_factory(engine).begin() as session:
            BacktestRunRepository(session).finish(
                run_id,
                finished_ts_ms=clock.now_ms(),
                summary=summary,
                report_path=str(report) if report is not None else None,
            )
    finally:
        engine.dispose()
