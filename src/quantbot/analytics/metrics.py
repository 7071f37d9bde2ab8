"""Metrics of a backtest, overall and per strategy: return statistics plus trade statistics.

Return statistics come from the DAILY closes of an equity curve
(:mod:`quantbot.analytics.return_metrics`), trade statistics from the closed trades
(:mod:`quantbot.analytics.trade_metrics`). The overall figures use the account equity,
all trades and fills, and the account-level exposure; a strategy's figures use its own
equity curve (:attr:`BacktestResult.strategy_equity`), trades and fills, and the bars
on which one of its trades was open. Each scope's P&L is also split into funding,
fees, slippage and price P&L, which add up to its total return
(:class:`~quantbot.analytics.trade_metrics.TradeMetrics`), so that a strategy's funding
income is reported apart from what prices made it.

A strategy's starting equity is taken as its equity at the first bar's close: orders
decided on a bar's close fill from the next bar on (issue 5, latency), so no strategy
has made or paid anything by then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from quantbot.analytics.daily_equity import daily_equity
from quantbot.analytics.errors import EmptyBacktest
from quantbot.analytics.json_ready import json_ready
from quantbot.analytics.result_frames import fills_frame, trades_frame
from quantbot.analytics.return_metrics import ReturnMetrics, return_metrics
from quantbot.analytics.trade_metrics import TradeMetrics, exposure_from_trades, trade_metrics
from quantbot.data import timeframe_ms
from quantbot.engine.results import BacktestResult

__all__ = ["Metrics", "RunMetrics", "compute_metrics", "curve_metrics"]


@dataclass(frozen=True, slots=True)
class Metrics:
    """Every figure of one scope (the whole run or one strategy)."""

    returns: ReturnMetrics
    trades: TradeMetrics

    def to_dict(self) -> dict[str, Any]:
        """Return the figures as one flat JSON-ready dict.

        NaN and infinities are ``null``, times ISO 8601 UTC strings under ``*_time``,
        durations float days (``*_days``) or hours (``*_hours``).
        """
        return json_ready(self.returns) | json_ready(self.trades)


@dataclass(frozen=True, slots=True)
class RunMetrics:
    """The metrics of a run: overall and per strategy id."""

    overall: Metrics
    strategies: Mapping[str, Metrics]

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"overall": {...}, "strategies": {id: {...}}}``, JSON-ready."""
        return {
            "overall": self.overall.to_dict(),
            "strategies": {name: metrics.to_dict() for name, metrics in self.strategies.items()},
        }


def curve_metrics(
    result: BacktestResult,
    equity: np.ndarray,
    *,
    initial_value: float,
    risk_free_rate_pct: float = 0.0,
) -> ReturnMetrics:
    """Return statistics of any equity curve on ``result``'s bars (a strategy, a benchmark).

    Args:
        result: the run whose timeline ``equity`` follows.
        equity: value at each bar's close, quote currency.
        initial_value: value before the first bar.
        risk_free_rate_pct: annual risk-free rate, percent.
    """
    daily = daily_equity(
        result.ts_ms, equity, bar_ms=timeframe_ms(result.timeframe), initial_value=initial_value
    )
    return return_metrics(daily, risk_free_rate_pct=risk_free_rate_pct)


def _period_ms(result: BacktestResult) -> int:
    return int(result.ts_ms[-1]) + timeframe_ms(result.timeframe) - int(result.ts_ms[0])


def _strategy_metrics(
    result: BacktestResult, strategy: str, *, risk_free_rate_pct: float
) -> Metrics:
    equity = np.asarray(result.strategy_equity[strategy], dtype=np.float64)
    all_trades = trades_frame(result)
    all_fills = fills_frame(result)
    trades = all_trades.loc[all_trades["strategy"] == strategy]
    fills = all_fills.loc[all_fills["strategy"] == strategy]
    exposed = exposure_from_trades(result.ts_ms, trades)
    return Metrics(
        returns=curve_metrics(
            result, equity, initial_value=float(equity[0]), risk_free_rate_pct=risk_free_rate_pct
        ),
        trades=trade_metrics(
            trades,
            fills,
            quote_currency=result.quote_currency,
            period_ms=_period_ms(result),
            exposure_time_pct=float(np.mean(exposed)) * 100.0,
        ),
    )


def compute_metrics(result: BacktestResult, *, risk_free_rate_pct: float = 0.0) -> RunMetrics:
    """Compute the metrics of a run, overall and for each strategy.

    Args:
        result: a run with at least one bar.
        risk_free_rate_pct: annual risk-free rate, percent (Sharpe, Sortino).

    Raises:
        EmptyBacktest: if the result has no bars.
        AnalyticsError: if its fills or trades lack a column of the engine's contract.
    """
    if len(result.ts_ms) == 0:
        raise EmptyBacktest(result.run_id)
    overall = Metrics(
        returns=curve_metrics(
            result,
            result.equity,
            initial_value=result.initial_capital,
            risk_free_rate_pct=risk_free_rate_pct,
        ),
        trades=trade_metrics(
            trades_frame(result),
            fills_frame(result),
            quote_currency=result.quote_currency,
            period_ms=_period_ms(result),
            exposure_time_pct=float(np.mean(np.asarray(result.exposure) > 0.0)) * 100.0,
        ),
    )
    strategies = {
        name: _strategy_metrics(result, name, risk_free_rate_pct=risk_free_rate_pct)
        for name in result.strategy_equity
    }
    return RunMetrics(overall=overall, strategies=strategies)
