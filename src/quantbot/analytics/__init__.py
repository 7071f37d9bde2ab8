"""Analytics of backtests: metrics, buy-and-hold benchmarks, the HTML report and output files.

Everything starts from the engine's :class:`~quantbot.engine.results.BacktestResult`.
:func:`analyse_backtest` computes the metrics (overall and per strategy) and the
benchmarks once; :func:`write_outputs` does that and writes ``report.html``,
``trades.csv``, ``fills.csv``, ``equity.csv`` and ``summary.json``;
:func:`summary_table` gives the CLI its table. Return statistics are computed from
daily UTC closes and annualised over 365 days, with empyrical's formulas.
"""

from typing import TYPE_CHECKING

# Named like its module: imported at once, so the function, not the module, is the name.
from quantbot.analytics.daily_equity import daily_equity
from quantbot.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from quantbot.analytics.analysis import BacktestAnalysis, analyse_backtest
    from quantbot.analytics.benchmarks import BASKET_KEY, Benchmark, compute_benchmarks
    from quantbot.analytics.daily_equity import DailyEquity, daily_equity
    from quantbot.analytics.errors import AnalyticsError, EmptyBacktest
    from quantbot.analytics.metrics import Metrics, RunMetrics, compute_metrics
    from quantbot.analytics.outputs import (
        FILLS_CSV_COLUMNS,
        TRADES_CSV_COLUMNS,
        BacktestOutputs,
        OutputPaths,
        write_outputs,
    )
    from quantbot.analytics.report import PlotlyJsMode, render_report, write_report
    from quantbot.analytics.return_metrics import DAYS_PER_YEAR, ReturnMetrics
    from quantbot.analytics.summary import SummaryTable, summary_document, summary_table
    from quantbot.analytics.trade_metrics import TradeMetrics

__all__ = [
    "BASKET_KEY",
    "DAYS_PER_YEAR",
    "FILLS_CSV_COLUMNS",
    "TRADES_CSV_COLUMNS",
    "AnalyticsError",
    "BacktestAnalysis",
    "BacktestOutputs",
    "Benchmark",
    "DailyEquity",
    "EmptyBacktest",
    "Metrics",
    "OutputPaths",
    "PlotlyJsMode",
    "ReturnMetrics",
    "RunMetrics",
    "SummaryTable",
    "TradeMetrics",
    "analyse_backtest",
    "compute_benchmarks",
    "compute_metrics",
    "daily_equity",
    "render_report",
    "summary_document",
    "summary_table",
    "write_outputs",
    "write_report",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "BASKET_KEY": "quantbot.analytics.benchmarks",
        "DAYS_PER_YEAR": "quantbot.analytics.return_metrics",
        "FILLS_CSV_COLUMNS": "quantbot.analytics.outputs",
        "TRADES_CSV_COLUMNS": "quantbot.analytics.outputs",
        "AnalyticsError": "quantbot.analytics.errors",
        "BacktestAnalysis": "quantbot.analytics.analysis",
        "BacktestOutputs": "quantbot.analytics.outputs",
        "Benchmark": "quantbot.analytics.benchmarks",
        "DailyEquity": "quantbot.analytics.daily_equity",
        "EmptyBacktest": "quantbot.analytics.errors",
        "Metrics": "quantbot.analytics.metrics",
        "OutputPaths": "quantbot.analytics.outputs",
        "PlotlyJsMode": "quantbot.analytics.report",
        "ReturnMetrics": "quantbot.analytics.return_metrics",
        "RunMetrics": "quantbot.analytics.metrics",
        "SummaryTable": "quantbot.analytics.summary",
        "TradeMetrics": "quantbot.analytics.trade_metrics",
        "analyse_backtest": "quantbot.analytics.analysis",
        "compute_benchmarks": "quantbot.analytics.benchmarks",
        "compute_metrics": "quantbot.analytics.metrics",
        "render_report": "quantbot.analytics.report",
        "summary_document": "quantbot.analytics.summary",
        "summary_table": "quantbot.analytics.summary",
        "write_outputs": "quantbot.analytics.outputs",
        "write_report": "quantbot.analytics.report",
    },
)
