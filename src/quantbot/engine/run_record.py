"""Backtest runs in the database: recorded when they start, completed when they finish.

A run that crashed stays visible as started and never finished. The configuration and
summary stored are the run's own documents; the storage layer masks any secret that
might have slipped into them. The configuration includes the risk settings the run
applied (``risk``, ``null`` for venue rules only); the summary holds its risk events and
rejection counts per rule.

When the run finishes, what its risk manager did is also written where the live runtime
writes it, in the same transaction as the summary:

- every breaker trip to ``circuit_breaker_events`` (:func:`breaker_event_rows`):
  ``trigger_type`` ``daily``, ``weekly`` or ``monthly`` for the loss breakers,
  ``api_errors`` for an exchange pause, ``price_shock`` for a price shock;
  ``trigger_value`` the measured value (P&L or move in percent, API errors);
  ``positions_closed`` the positions closed at market for it; ``resumed_ts_ms`` when
  trading resumed (the next ``RESUMED`` event; for an exchange pause the exchange's
  ``EXCHANGE_RESUMED``; a price shock stops nothing, so it resumes at once), None when
  the run ended first;
- every rejected order to the append-only ``decisions`` table
  (:func:`rejection_decisions`), ``action_taken`` REJECTED, the rule and its reason in
  ``risk_checks``.

Rows of both tables carry the run's ``run_id`` and ``mode`` ``backtest``, so that the
live runtime, which writes to the same tables, never mistakes a backtest's trip for
its own.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from quantbot.core import RunMode
from quantbot.core.clock import Clock
from quantbot.engine.backtest_job import PreparedBacktest
from quantbot.engine.results import BacktestResult
from quantbot.engine.risk_manager import describe_risk_setup
from quantbot.engine.risk_setup import RiskSetup
from quantbot.risk import RiskEventKind
from quantbot.storage import create_engine_for, ensure_migrated, session_factory
from quantbot.storage.repositories import (
    BacktestRunRepository,
    BreakerEventRepository,
    DecisionAction,
    DecisionRepository,
)

__all__ = [
    "TRIGGER_TYPES",
    "breaker_event_rows",
    "record_run_finished",
    "record_run_started",
    "rejection_decisions",
    "risk_settings",
]

TRIGGER_TYPES: Mapping[str, str] = {
    RiskEventKind.DAILY_CIRCUIT_BREAK: "daily",
    RiskEventKind.WEEKLY_CIRCUIT_BREAK: "weekly",
    RiskEventKind.MONTHLY_SHUTDOWN: "monthly",
    RiskEventKind.EXCHANGE_PAUSED: "api_errors",
    RiskEventKind.PRICE_SHOCK: "price_shock",
}
"""``circuit_breaker_events.trigger_type`` of each kind of breaker trip."""

_LOSS_BREAKS = frozenset(
    {
        RiskEventKind.DAILY_CIRCUIT_BREAK,
        RiskEventKind.WEEKLY_CIRCUIT_BREAK,
        RiskEventKind.MONTHLY_SHUTDOWN,
    }
)


def risk_settings(setup: RiskSetup | None) -> dict[str, Any] | None:
    """The risk settings of a run as its result's ``config.risk`` holds them; None: venue rules only.

    See :func:`~quantbot.engine.risk_manager.describe_risk_setup`.
    """
    return None if setup is None else describe_risk_setup(setup)


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
                "order_books": data.book_coverage(period_ms),
            },
            "risk": risk_settings(prepared.config.risk),
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
    database_url: str,
    run_id: str,
    *,
    summary: dict[str, Any],
    report: Path | None,
    clock: Clock,
    result: BacktestResult | None = None,
) -> None:
    """Complete a stored run with its summary and the path of its report.

    Args:
        database_url: the database the run was started in.
        run_id: the run, as given to :func:`record_run_started`.
        summary: its ``summary.json`` document (risk events and rejection counts
            included).
        report: where its HTML report was written, if anywhere.
        clock: the wall clock, for the finishing time.
        result: the run's result; when given, its breaker trips go to
            ``circuit_breaker_events`` and its rejections to ``decisions`` (module
            docstring), in the same transaction.
    """
    engine = create_engine_for(database_url)
    try:
        with session_factory(engine).begin() as session:
            BacktestRunRepository(session).finish(
                run_id,
                finished_ts_ms=clock.now_ms(),
                summary=summary,
                report_path=str(report) if report is not None else None,
            )
            if result is not None:
                trips = BreakerEventRepository(session)
                for row in breaker_event_rows(result.risk_events):
                    trips.record(**row, run_id=run_id, mode=RunMode.BACKTEST)
                decisions = DecisionRepository(session)
                for decision in rejection_decisions(result.rejections, run_id=run_id):
                    decisions.append(**decision)
    finally:
        engine.dispose()


def breaker_event_rows(risk_events: pd.DataFrame) -> list[dict[str, Any]]:
    """The ``circuit_breaker_events`` rows of a run's risk events, one per breaker trip.

    Args:
        risk_events: the run's :attr:`~quantbot.engine.results.BacktestResult.risk_events`.

    Returns:
        Rows with ``ts_ms``, ``trigger_type``, ``trigger_value``, ``positions_closed``
        and ``resumed_ts_ms`` (see the module docstring), in time order.

    Raises:
        ValueError: if an event's ``positions_closed`` is not a JSON list.
    """
    if risk_events.empty:
        return []
    events = risk_events.sort_values("ts_ms", kind="stable").to_dict(orient="records")
    rows = []
    for index, event in enumerate(events):
        kind = str(event["kind"])
        if kind not in TRIGGER_TYPES:
            continue
        rows.append(
            {
                "ts_ms": int(event["ts_ms"]),
                "trigger_type": TRIGGER_TYPES[kind],
                "trigger_value": _float(event["value"]),
                "positions_closed": _positions(event["positions_closed"]),
                "resumed_ts_ms": _resumed_ms(events, index),
            }
        )
    return rows


def _resumed_ms(events: list[dict[Hashable, Any]], index: int) -> int | None:
    """When trading resumed after the trip at ``events[index]``; None if not within the run.

    One loss breaker is in force at a time and a more severe one replaces it, so the
    next ``RESUMED`` ends a trip and every escalation of it.
    """
    trip = events[index]
    kind = str(trip["kind"])
    if kind == RiskEventKind.PRICE_SHOCK:
        return int(trip["ts_ms"])
    for later in events[index + 1 :]:
        later_kind = str(later["kind"])
        if kind in _LOSS_BREAKS and later_kind == RiskEventKind.RESUMED:
            return int(later["ts_ms"])
        if (
            kind == RiskEventKind.EXCHANGE_PAUSED
            and later_kind == RiskEventKind.EXCHANGE_RESUMED
            and later["subject"] == trip["subject"]
        ):
            return int(later["ts_ms"])
    return None


def rejection_decisions(rejections: pd.DataFrame, *, run_id: str) -> list[dict[str, Any]]:
    """The ``decisions`` rows of a run's rejected orders, as ``DecisionRepository.append`` arguments.

    ``signal`` is the order's side (``BUY``/``SELL``), ``reason`` the check's reason,
    ``risk_checks`` names the check, its verdict and the order; ``run_id`` and ``mode``
    (``backtest``) say which run refused it.
    """
    if rejections.empty:
        return []
    ordered = rejections.sort_values("ts_ms", kind="stable").to_dict(orient="records")
    return [
        {
            "ts_ms": int(row["ts_ms"]),
            "strategy": str(row["strategy"]),
            "symbol": str(row["symbol"]),
            "signal": str(row["side"]).upper(),
            "reason": str(row["reason"]),
            "action_taken": DecisionAction.REJECTED,
            "risk_checks": {
                "check": str(row["check"]),
                "action": "reject",
                "reason": str(row["reason"]),
                "order": {"side": str(row["side"]), "qty": float(row["qty"])},
            },
            "run_id": run_id,
            "mode": RunMode.BACKTEST,
        }
        for row in ordered
    ]


def _positions(text: Any) -> list[Any]:
    if text is None or (isinstance(text, float) and pd.isna(text)) or not str(text).strip():
        return []
    positions = json.loads(str(text))
    if not isinstance(positions, list):
        raise ValueError(f"positions_closed {text!r}: not a JSON list")
    return positions


def _float(value: Any) -> float:
    """The trigger value; a trip always measures one, NaN only if the engine lost it."""
    return float(value) if value is not None and not pd.isna(value) else float("nan")
