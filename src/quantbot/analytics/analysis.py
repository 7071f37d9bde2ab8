"""One analysis of a backtest: metrics and benchmarks computed once, shared by every output.

The report, the files, ``summary.json``, the CLI's table and the stored run all read
the same :class:`BacktestAnalysis`, so they cannot disagree and nothing is computed
twice. That includes what the risk manager did (:class:`RiskActivity`): the breaker,
brake and operational events of the run, each read once from the engine's
``risk_events`` frame, and the orders rejected, counted by the rule that refused them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from quantbot.analytics.benchmarks import Benchmark, compute_benchmarks
from quantbot.analytics.errors import AnalyticsError, EmptyBacktest
from quantbot.analytics.iso_time import iso_utc
from quantbot.analytics.json_ready import json_value
from quantbot.analytics.metrics import RunMetrics, compute_metrics
from quantbot.data import timeframe_ms
from quantbot.engine.results import RISK_EVENT_COLUMNS, BacktestResult
from quantbot.risk import RiskEventKind

__all__ = [
    "BREAKER_TRIP_KINDS",
    "BacktestAnalysis",
    "RiskActivity",
    "RiskEventEntry",
    "analyse_backtest",
    "risk_activity",
]

BREAKER_TRIP_KINDS = frozenset(
    {
        RiskEventKind.DAILY_CIRCUIT_BREAK,
        RiskEventKind.WEEKLY_CIRCUIT_BREAK,
        RiskEventKind.MONTHLY_SHUTDOWN,
        RiskEventKind.EXCHANGE_PAUSED,
        RiskEventKind.PRICE_SHOCK,
    }
)
"""Kinds of event that are a breaker tripping (the loss breakers and the operational ones);
the rest are resumes, recovery changes and drawdown brake level changes."""

_REJECTION_COLUMNS = ("ts_ms", "strategy", "symbol", "side", "qty", "check", "reason")


@dataclass(frozen=True, slots=True)
class RiskEventEntry:
    """One risk event of a run, its JSON text columns parsed.

    Attributes:
        ts_ms: when the breaker or brake changed state, epoch ms.
        kind: a :class:`~quantbot.risk.RiskEventKind` value, e.g. ``DAILY_CIRCUIT_BREAK``.
        value: the measured number (P&L or drawdown in percent, negative a loss; API
            errors; price move in percent); None when nothing was measured.
        limit: the bound ``value`` reached, same unit; None when none applies.
        level: the drawdown brake level after the change (``DRAWDOWN_BRAKE`` only).
        subject: the exchange, the symbol, or for ``RESUMED`` the status that ended.
        action: what the engine was asked to do (:meth:`quantbot.risk.RiskAction.to_dict`).
        reason: the one-line explanation naming the rule and the values.
        positions_closed: the positions closed at market for it, ``{strategy, symbol, qty}``.
    """

    ts_ms: int
    kind: str
    value: float | None
    limit: float | None
    level: int | None
    subject: str
    action: dict[str, Any]
    reason: str
    positions_closed: list[dict[str, Any]]

    @property
    def is_breaker_trip(self) -> bool:
        """True for a breaker tripping (:data:`BREAKER_TRIP_KINDS`)."""
        return self.kind in BREAKER_TRIP_KINDS

    def value_text(self) -> str:
        """The value with its unit and limit, e.g. ``-3.21 % (limit -3 %)``; empty when unmeasured."""
        if self.value is None:
            return ""
        unit = " errors" if self.kind == RiskEventKind.EXCHANGE_PAUSED else " %"
        number = f"{self.value:g}" if unit == " errors" else f"{self.value:.2f}"
        limit = "" if self.limit is None else f" (limit {self.limit:g}{unit})"
        return f"{number}{unit}{limit}"

    def action_text(self) -> str:
        """The action in words, e.g. ``cancel all orders; close positions: close``; ``none``."""
        parts = []
        for key, value in self.action.items():
            words = key.replace("_", " ")
            if value is True:
                parts.append(words)
            elif isinstance(value, list):
                parts.append(f"{words}: {', '.join(map(str, value))}")
            else:
                parts.append(f"{words}: {value}")
        return "; ".join(parts) or "none"

    def positions_text(self) -> str:
        """The positions closed, e.g. ``momentum BTC/USDT 0.01``; empty when none were."""
        return ", ".join(
            f"{p.get('strategy', '')} {p.get('symbol', '')} {p.get('qty', '')}".strip()
            for p in self.positions_closed
        )

    def to_dict(self) -> dict[str, Any]:
        """The event as a ``risk_events`` entry of ``summary.json`` (time in ISO 8601 UTC)."""
        return {
            "time": iso_utc(self.ts_ms),
            "kind": self.kind,
            "value": self.value,
            "limit": self.limit,
            "level": self.level,
            "subject": self.subject,
            "action": self.action,
            "reason": self.reason,
            "positions_closed": self.positions_closed,
        }


@dataclass(frozen=True)
class RiskActivity:
    """What the risk manager did in a run.

    Attributes:
        events: every risk event, in time order.
        rejections_by_rule: orders rejected per check name (venue rules included), the
            most frequent first.
        rejections_by_strategy: the same per strategy id; every strategy of the run has
            an entry, empty when none of its orders was rejected.
    """

    events: tuple[RiskEventEntry, ...]
    rejections_by_rule: dict[str, int]
    rejections_by_strategy: dict[str, dict[str, int]]

    @property
    def num_rejections(self) -> int:
        """Orders rejected in all."""
        return sum(self.rejections_by_rule.values())

    def kind_counts(self, *, trips_only: bool = False) -> dict[str, int]:
        """Events per kind, in the order each kind first occurred."""
        counts: dict[str, int] = {}
        for event in self.events:
            if event.is_breaker_trip or not trips_only:
                counts[event.kind] = counts.get(event.kind, 0) + 1
        return counts

    def max_brake_level(self) -> int:
        """The highest drawdown brake level the run reached (0: none engaged)."""
        levels = [
            event.level
            for event in self.events
            if event.kind == RiskEventKind.DRAWDOWN_BRAKE and event.level is not None
        ]
        return max(levels, default=0)


@dataclass(frozen=True)
class BacktestAnalysis:
    """A backtest result with its metrics and benchmarks.

    Attributes:
        result: the run.
        metrics: overall and per-strategy metrics.
        benchmarks: buy-and-hold benchmarks on the same bars and capital.
        risk_free_rate_pct: the annual risk-free rate the ratios used, percent.
        risk: the risk events and rejections of the run.
    """

    result: BacktestResult
    metrics: RunMetrics
    benchmarks: tuple[Benchmark, ...]
    risk_free_rate_pct: float
    risk: RiskActivity

    @property
    def start_ms(self) -> int:
        """Open time of the first bar, epoch ms."""
        return int(self.result.ts_ms[0])

    @property
    def end_ms(self) -> int:
        """Close time of the last bar, epoch ms."""
        return int(self.result.ts_ms[-1]) + timeframe_ms(self.result.timeframe)


def analyse_backtest(
    result: BacktestResult, *, risk_free_rate_pct: float = 0.0
) -> BacktestAnalysis:
    """Compute the metrics and benchmarks of a run.

    Args:
        result: the run.
        risk_free_rate_pct: annual risk-free rate, percent (4.0 = 4 %), for Sharpe and
            Sortino; 0 by default, the usual choice for crypto.

    Raises:
        EmptyBacktest: if the result has no bars.
        AnalyticsError: if its fills, trades, rejections or risk events lack a column of
            the engine's contract, or a risk event's JSON text does not parse.
    """
    if len(result.ts_ms) == 0:
        raise EmptyBacktest(result.run_id)
    return BacktestAnalysis(
        result=result,
        metrics=compute_metrics(result, risk_free_rate_pct=risk_free_rate_pct),
        benchmarks=compute_benchmarks(result, risk_free_rate_pct=risk_free_rate_pct),
        risk_free_rate_pct=risk_free_rate_pct,
        risk=risk_activity(result),
    )


def risk_activity(result: BacktestResult) -> RiskActivity:
    """Read the risk events and count the rejections of a run.

    Raises:
        AnalyticsError: if a non-empty frame lacks a column, or an event's ``action`` or
            ``positions_closed`` is not the JSON the engine writes.
    """
    rejections = _columns(result.rejections, _REJECTION_COLUMNS, "rejections", result.run_id)
    by_rule = _ranked(Counter(map(str, rejections["check"])))
    by_strategy: dict[str, dict[str, int]] = {name: {} for name in result.strategy_equity}
    for (strategy, check), count in Counter(
        zip(map(str, rejections["strategy"]), map(str, rejections["check"]), strict=True)
    ).items():
        by_strategy.setdefault(strategy, {})[check] = count
    events = _columns(result.risk_events, RISK_EVENT_COLUMNS, "risk events", result.run_id)
    ordered = events.sort_values("ts_ms", kind="stable") if len(events) else events
    return RiskActivity(
        events=tuple(_entry(row, result.run_id) for row in ordered.to_dict(orient="records")),
        rejections_by_rule=by_rule,
        rejections_by_strategy={name: _ranked(counts) for name, counts in by_strategy.items()},
    )


def _columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str, run_id: str) -> pd.DataFrame:
    missing = [column for column in columns if column not in frame.columns]
    if not missing:
        return frame
    if frame.empty:
        return frame.reindex(columns=list(columns))
    raise AnalyticsError(f"backtest {run_id}: {what} frame lacks columns {', '.join(missing)}")


def _ranked(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts the most frequent first, ties by name."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _entry(row: Mapping[Hashable, Any], run_id: str) -> RiskEventEntry:
    try:
        action = _parsed(row["action"], {})
        positions = _parsed(row["positions_closed"], [])
    except ValueError as exc:
        raise AnalyticsError(
            f"backtest {run_id}: risk event {row['kind']} at {iso_utc(int(row['ts_ms']))} "
            f"has unreadable JSON: {exc}"
        ) from None
    if not isinstance(action, dict) or not isinstance(positions, list):
        raise AnalyticsError(
            f"backtest {run_id}: risk event {row['kind']} at {iso_utc(int(row['ts_ms']))}: "
            "action must be a JSON object and positions_closed a JSON list"
        )
    level = row["level"]
    return RiskEventEntry(
        ts_ms=int(row["ts_ms"]),
        kind=str(row["kind"]),
        value=_number(row["value"]),
        limit=_number(row["limit"]),
        level=None if _missing(level) else int(level),
        subject="" if _missing(row["subject"]) else str(row["subject"]),
        action=action,
        reason="" if _missing(row["reason"]) else str(row["reason"]),
        positions_closed=positions,
    )


def _parsed(text: Any, empty: Any) -> Any:
    """JSON text as values; a missing or blank text is ``empty``."""
    if _missing(text) or not str(text).strip():
        return empty
    return json.loads(str(text))


def _missing(value: Any) -> bool:
    return value is None or (np.ndim(value) == 0 and bool(pd.isna(value)))


def _number(value: Any) -> float | None:
    if _missing(value):
        return None
    number: float | None = json_value(float(value))
    return number
