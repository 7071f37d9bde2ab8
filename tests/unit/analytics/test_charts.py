import numpy as np

from quantbot.analytics import BacktestAnalysis, analyse_backtest
from quantbot.analytics.charts import (
    drawdown_figure,
    equity_figure,
    monthly_returns_figure,
    trade_pnl_figure,
)

from .builders import HOUR_MS, START_MS, make_result, trade

BARS = 24 * 400


def long_run() -> BacktestAnalysis:
    rng = np.random.default_rng(2)
    equity = 1_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, BARS)))
    return analyse_backtest(
        make_result(
            equity,
            initial_capital=1_000.0,
            timeframe="1h",
            bar_ms=HOUR_MS,
            strategy_equity={"a": equity / 2, "b": equity / 2},
            closes={"BTC/USDT": 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.003, BARS)))},
            trades=[trade(strategy="a", pnl=1.0), trade(strategy="b", pnl=-1.0)],
        )
    )


def test_long_series_are_thinned_to_the_point_budget_keeping_the_extremes() -> None:
    run = long_run()

    figure = equity_figure(run, max_points=500)

    assert [trace.name for trace in figure.data] == [
        "Equity",
        "Buy & hold BTC/USDT",
        "Strategy a",
        "Strategy b",
    ]
    assert all(len(trace.y) <= 500 for trace in figure.data)
    assert max(figure.data[0].y) == np.float32(run.result.equity.max())
    assert figure.data[2].visible == "legendonly"
    assert figure.data[0].x[0] == START_MS + HOUR_MS  # plotted at the bar's close


def test_drawdown_chart_bottoms_at_the_deepest_bar_drawdown() -> None:
    run = long_run()
    equity = np.concatenate(([1_000.0], run.result.equity))
    deepest = (equity / np.maximum.accumulate(equity) - 1.0).min() * 100.0

    figure = drawdown_figure(run, max_points=300)

    (trace,) = figure.data
    assert len(trace.y) <= 300
    assert min(trace.y) == np.float32(deepest)


def test_monthly_heatmap_has_a_row_per_year_and_a_column_per_month() -> None:
    heatmap = monthly_returns_figure(long_run()).data[0]

    assert list(heatmap.y) == ["2024", "2025"]
    assert list(heatmap.x)[:3] == ["Jan", "Feb", "Mar"]
    assert np.asarray(heatmap.z).shape == (2, 12)


def test_trade_histogram_has_one_series_per_strategy() -> None:
    figure = trade_pnl_figure(long_run())

    assert figure is not None
    assert sorted(trace.name for trace in figure.data) == ["a", "b"]
