"""The summary of a run: the ``summary.json`` document and the table the CLI and report show.

``summary.json`` (:func:`summary_document`) holds every metric, overall
(``overall``) and per strategy (``strategies``, by strategy id), the benchmarks, the run's facts
(period, bars, symbols, strategies, speed of the simulation proper) and its
configuration. Each scope's P&L is broken down into ``funding_net_quote``,
``fees_paid_quote``, ``slippage_paid_quote`` and ``price_pnl_quote``, which add up to its
``total_return_quote`` (funding - fees - slippage + price P&L; see
:mod:`quantbot.analytics.trade_metrics`): for a funding arbitrage, the funding it
collected apart from what its basis made or lost. Values are JSON-ready: undefined or unbounded figures are ``null``
(see :mod:`quantbot.analytics.json_ready`); the table (:func:`summary_table`) shows
those as ``n/a`` and ``inf``.

What the risk manager did is in ``risk_events`` (every breaker trip and resume, recovery
start and end, drawdown brake level change, exchange pause and price shock: ``time``,
``kind``, ``value``, ``limit``, ``level``, ``subject``, ``action``, ``reason``,
``positions_closed``) and ``rejections_by_rule`` (orders refused per check, overall and
inside each ``strategies`` entry); the risk settings of the run are under
``config.risk`` (``null`` for a run with venue rules only). The table's notes carry one
``risk:`` line with the breaker trips and rejection counts when there are any.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from quantbot.analytics.analysis import BacktestAnalysis, RiskActivity
from quantbot.analytics.iso_time import iso_utc, iso_utc_array
from quantbot.analytics.json_ready import json_document
from quantbot.analytics.metrics import Metrics
from quantbot.analytics.result_frames import fills_frame, trades_frame
from quantbot.analytics.return_metrics import ReturnMetrics

__all__ = [
    "METRIC_ROWS",
    "MetricRow",
    "SummaryTable",
    "format_metric",
    "run_symbols",
    "summary_document",
    "summary_table",
]

MetricKind = Literal["money", "pct", "ratio", "count", "days", "hours", "time"]


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One row of the metrics table.

    Attributes:
        label: what the row shows, with its unit.
        group: ``returns`` (:class:`ReturnMetrics` field, benchmarks have it) or
            ``trades`` (:class:`TradeMetrics` field).
        field: the attribute name.
        kind: how the value is formatted.
    """

    label: str
    group: Literal["returns", "trades"]
    field: str
    kind: MetricKind


METRIC_ROWS: tuple[MetricRow, ...] = (
    MetricRow("Final equity", "returns", "final_equity", "money"),
    MetricRow("Total return", "returns", "total_return_quote", "money"),
    MetricRow("Total return %", "returns", "total_return_pct", "pct"),
    MetricRow("CAGR %", "returns", "cagr_pct", "pct"),
    MetricRow("Max drawdown %", "returns", "max_drawdown_pct", "pct"),
    MetricRow("Max drawdown peak", "returns", "max_drawdown_peak_ts_ms", "time"),
    MetricRow("Max drawdown trough", "returns", "max_drawdown_trough_ts_ms", "time"),
    MetricRow("Max drawdown recovery", "returns", "max_drawdown_recovery_ts_ms", "time"),
    MetricRow("Longest drawdown (days)", "returns", "max_drawdown_duration_days", "days"),
    MetricRow("Annual volatility %", "returns", "annual_volatility_pct", "pct"),
    MetricRow("Sharpe", "returns", "sharpe", "ratio"),
    MetricRow("Sortino", "returns", "sortino", "ratio"),
    MetricRow("Calmar", "returns", "calmar", "ratio"),
    MetricRow("Trades (closed)", "trades", "num_trades", "count"),
    MetricRow("Open at end", "trades", "open_trades", "count"),
    MetricRow("Win rate %", "trades", "win_rate_pct", "pct"),
    MetricRow("Profit factor", "trades", "profit_factor", "ratio"),
    MetricRow("Expectancy per trade", "trades", "expectancy_quote", "money"),
    MetricRow("Expectancy per trade %", "trades", "expectancy_pct", "pct"),
    MetricRow("SQN", "trades", "sqn", "ratio"),
    MetricRow("Avg trade duration (h)", "trades", "avg_trade_duration_hours", "hours"),
    MetricRow("Max consecutive losses", "trades", "max_consecutive_losses", "count"),
    MetricRow("Trades per day", "trades", "trades_per_day", "ratio"),
    MetricRow("Exposure time %", "trades", "exposure_time_pct", "pct"),
    MetricRow("Funding net", "trades", "funding_net_quote", "money"),
    MetricRow("Fees paid", "trades", "fees_paid_quote", "money"),
    MetricRow("Slippage paid", "trades", "slippage_paid_quote", "money"),
    MetricRow("Price P&L", "trades", "price_pnl_quote", "money"),
)
"""The rows of the CLI's summary table and of the report's metrics table, in order.

The last four are where each scope's P&L came from: funding net - fees paid -
slippage paid + price P&L = total return (:mod:`quantbot.analytics.trade_metrics`)."""

_FORMATS: dict[MetricKind, Callable[[Any], str]] = {
    "money": lambda value: f"{value:,.2f}",
    "pct": lambda value: f"{value:,.2f}",
    "ratio": lambda value: f"{value:,.2f}",
    "count": lambda value: f"{int(value):,d}",
    "days": lambda value: f"{value:,.1f}",
    "hours": lambda value: f"{value:,.1f}",
    "time": lambda value: (iso_utc(int(value)) or "")[:16].replace("T", " "),
}

NOT_AVAILABLE = "n/a"
"""How an undefined figure (NaN, no time) reads in tables."""


def format_metric(value: Any, kind: MetricKind) -> str:
    """Format one metric value for a table: ``n/a`` when undefined, ``inf`` when unbounded."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_AVAILABLE
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return _FORMATS[kind](value)


@dataclass(frozen=True, slots=True)
class SummaryTable:
    """A run's key figures as text, ready for a rich table or HTML.

    Attributes:
        title: the table's caption.
        columns: ``Metric``, then ``Overall``, each strategy, each benchmark.
        rows: one tuple per :data:`METRIC_ROWS` entry, aligned with ``columns``
            (benchmarks show an empty cell on trade rows).
        notes: lines to print under the table (period, bars, speed).
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...]


def run_symbols(analysis: BacktestAnalysis) -> list[str]:
    """The markets of a run: those with closes, then any other one that has fills."""
    result = analysis.result
    symbols = list(result.closes)
    traded = fills_frame(result)["symbol"].dropna().unique().tolist()
    return symbols + sorted(str(symbol) for symbol in traded if symbol not in symbols)


def _cell(metrics: Metrics | ReturnMetrics, row: MetricRow) -> str:
    if isinstance(metrics, ReturnMetrics):
        if row.group == "trades":
            return ""
        return format_metric(getattr(metrics, row.field), row.kind)
    source = metrics.returns if row.group == "returns" else metrics.trades
    return format_metric(getattr(source, row.field), row.kind)


def _perpetual_notes(analysis: BacktestAnalysis) -> tuple[str, ...]:
    """Funding and liquidations, for runs that traded perpetuals."""
    result = analysis.result
    if not len(result.funding) and not len(result.liquidations):
        return ()
    funding = float(result.funding["amount"].sum()) if len(result.funding) else 0.0
    return (
        f"funding received {funding:+,.2f} {result.quote_currency} (negative: paid); "
        f"{len(result.liquidations)} liquidation(s)",
    )


def _risk_notes(risk: RiskActivity) -> tuple[str, ...]:
    """One line: breaker trips, the highest drawdown brake level, rejections per rule."""
    parts = []
    trips = risk.kind_counts(trips_only=True)
    if trips:
        kinds = ", ".join(f"{kind} {count}" for kind, count in trips.items())
        parts.append(f"{sum(trips.values())} breaker trip(s) ({kinds})")
    level = risk.max_brake_level()
    if level:
        parts.append(f"drawdown brake up to level {level}")
    if risk.num_rejections:
        rules = ", ".join(f"{rule} {count}" for rule, count in risk.rejections_by_rule.items())
        parts.append(f"{risk.num_rejections} order(s) rejected ({rules})")
    if not parts:
        return ()
    return ("risk: " + "; ".join(parts) + " (see the report)",)


def _speed_note(analysis: BacktestAnalysis) -> str:
    result = analysis.result
    speed = result.bars_per_second
    rate = f"{speed:,.0f} bars/s" if math.isfinite(speed) else "instant"
    return (
        f"{result.bars_processed:,d} bars simulated in {result.elapsed_s:.3f} s ({rate}, "
        f"{result.events_processed:,d} with events); data loading and reports excluded"
    )


def summary_table(analysis: BacktestAnalysis, *, title: str = "Backtest summary") -> SummaryTable:
    """Build the key-figures table of a run for the CLI (rich) and the report.

    Args:
        analysis: the analysed run.
        title: the caption.
    """
    result = analysis.result
    scopes: list[tuple[str, Metrics | ReturnMetrics]] = [("Overall", analysis.metrics.overall)]
    scopes += list(analysis.metrics.strategies.items())
    scopes += [(benchmark.label, benchmark.metrics) for benchmark in analysis.benchmarks]
    rows = tuple(
        (row.label, *(_cell(metrics, row) for _, metrics in scopes)) for row in METRIC_ROWS
    )
    start, end = iso_utc(analysis.start_ms), iso_utc(analysis.end_ms)
    notes = (
        f"{start} to {end}, {result.timeframe} bars, amounts in {result.quote_currency}",
        *_perpetual_notes(analysis),
        *_risk_notes(analysis.risk),
        _speed_note(analysis),
    )
    return SummaryTable(
        title=title,
        columns=("Metric", *(name for name, _ in scopes)),
        rows=rows,
        notes=notes,
    )


def _open_positions(analysis: BacktestAnalysis) -> list[dict[str, Any]]:
    trades = trades_frame(analysis.result)
    still_open = trades.loc[trades["is_open"].to_numpy(bool)]
    records = still_open.rename(
        columns={
            "entry_ts_ms": "entry_time",
            "exit_ts_ms": "mark_time",
            "exit_price": "mark_price",
            "pnl": "unrealised_pnl",
        }
    ).drop(columns=["is_open"])
    records["entry_time"] = iso_utc_array(still_open["entry_ts_ms"].to_numpy(np.int64))
    records["mark_time"] = iso_utc_array(still_open["exit_ts_ms"].to_numpy(np.int64))
    return [
        {str(key): value for key, value in record.items()}
        for record in records.to_dict(orient="records")
    ]


def summary_document(analysis: BacktestAnalysis, *, title: str = "") -> dict[str, Any]:
    """Build the ``summary.json`` document of a run (see the module docstring).

    Trades still open at the end are listed under ``open_positions`` with their P&L
    marked to the last close; they are not in ``trades.csv`` nor in the trade metrics.
    Risk events and rejection counts come from :attr:`BacktestAnalysis.risk`.

    Args:
        analysis: the analysed run.
        title: the run's title, as on the report.
    """
    result = analysis.result
    metrics = analysis.metrics
    risk = analysis.risk
    strategies = {
        name: {**scope.to_dict(), "rejections_by_rule": risk.rejections_by_strategy.get(name, {})}
        for name, scope in metrics.strategies.items()
    }
    document = {
        "run_id": result.run_id,
        "title": title,
        "timeframe": result.timeframe,
        "quote_currency": result.quote_currency,
        "start_time": iso_utc(analysis.start_ms),
        "end_time": iso_utc(analysis.end_ms),
        "symbols": run_symbols(analysis),
        "initial_capital": result.initial_capital,
        "final_equity": result.final_equity,
        "num_trades": metrics.overall.trades.num_trades,
        "num_fills": len(fills_frame(result)),
        "num_rejections": len(result.rejections),
        "funding_net": float(result.funding["amount"].sum()) if len(result.funding) else 0.0,
        "num_liquidations": len(result.liquidations),
        "bars_processed": result.bars_processed,
        "events_processed": result.events_processed,
        "elapsed_s": result.elapsed_s,
        "bars_per_second": result.bars_per_second,
        "risk_free_rate_pct": analysis.risk_free_rate_pct,
        "overall": metrics.overall.to_dict(),
        "strategies": strategies,
        "benchmarks": {benchmark.key: benchmark.to_dict() for benchmark in analysis.benchmarks},
        "open_positions": _open_positions(analysis),
        "risk_events": [event.to_dict() for event in risk.events],
        "rejections_by_rule": risk.rejections_by_rule,
        "config": result.config,
    }
    return dict(json_document(document))
