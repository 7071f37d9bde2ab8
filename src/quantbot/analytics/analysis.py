"""One analysis of a backtest: metrics and benchmarks computed once, shared by every output.

The report, the files, ``summary.json``, the CLI's table and the stored run all read
the same :class:`BacktestAnalysis`, so they cannot disagree and nothing is computed
twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from quantbot.analytics.benchmarks import Benchmark, compute_benchmarks
from quantbot.analytics.errors import EmptyBacktest
from quantbot.analytics.metrics import RunMetrics, compute_metrics
from quantbot.data import timeframe_ms
from quantbot.engine.results import BacktestResult

__all__ = ["BacktestAnalysis", "analyse_backtest"]


@dataclass(frozen=True)
class BacktestAnalysis:
    """A backtest result with its metrics and benchmarks.

    Attributes:
        result: the run.
        metrics: overall and per-strategy metrics.
        benchmarks: buy-and-hold benchmarks on the same bars and capital.
        risk_free_rate_pct: the annual risk-free rate the ratios used, percent.
    """

    result: BacktestResult
    metrics: RunMetrics
    benchmarks: tuple[Benchmark, ...]
    risk_free_rate_pct: float

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
        AnalyticsError: if its fills or trades lack a column of the engine's contract.
    """
    if len(result.ts_ms) == 0:
        raise EmptyBacktest(result.run_id)
    return BacktestAnalysis(
        result=result,
        metrics=compute_metrics(result, risk_free_rate_pct=risk_free_rate_pct),
        benchmarks=compute_benchmarks(result, risk_free_rate_pct=risk_free_rate_pct),
        risk_free_rate_pct=risk_free_rate_pct,
    )
