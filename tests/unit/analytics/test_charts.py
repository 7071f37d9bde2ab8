import numpy as np

from quantbot.analytics import BacktestAnalysis, analyse_backtest
from quantbot.analytics.charts import (
    drawdown_figure,
    equity_figure,
    monthly_returns_figure,
    trade_pnl_figure,
)

from .builders import HOUR_MS, START_MS, make_result, risk_event, trade

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


def test_risk_events_are_markers_on_the_equity_curve_grouped_with_hover_text() -> None:
    bars = 72
    equity = 1_000.0 - np.arange(bars, dtype=np.float64)
    events = [
        risk_event(ts_ms=START_MS + 10 * HOUR_MS),  # the close of bar 9
        risk_event(
            ts_ms=START_MS + 34 * HOUR_MS,
            kind="RESUMED",
            value=None,
            limit=None,
            subject="DAILY_CIRCUIT_BREAK",
            action={},
            positions_closed=[],
            reason="DAILY_CIRCUIT_BREAK ended: 24 h passed",
        ),
        risk_event(
            ts_ms=START_MS + 34 * HOUR_MS,
            kind="RECOVERY_STARTED",
            value=None,
            limit=None,
            action={},
            positions_closed=[],
        ),
        risk_event(
            ts_ms=START_MS + 40 * HOUR_MS + 1,  # inside bar 40: marked at its close
            kind="DRAWDOWN_BRAKE",
            value=-5.1,
            limit=-5.0,
            level=1,
            action={},
            positions_closed=[],
        ),
    ]
    run = analyse_backtest(make_result(equity, timeframe="1h", bar_ms=HOUR_MS, risk_events=events))

    figure = equity_figure(run)

    markers = {trace.name: trace for trace in figure.data if trace.mode == "markers"}
    assert list(markers) == ["Circuit breaker", "Resume / recovery", "Drawdown brake"]
    breaker = markers["Circuit breaker"]
    assert list(breaker.x) == [START_MS + 10 * HOUR_MS]
    assert list(breaker.y) == [np.float32(equity[9])]
    (hover,) = breaker.hovertext
    assert hover.startswith("<b>DAILY_CIRCUIT_BREAK</b><br>-3.20 % (limit -3 %)<br>")
    assert "action: cancel all orders; close positions: close" in hover
    assert "closed: ema BTC/USDT 0.5" in hover
    assert len(markers["Resume / recovery"].x) == 2
    assert list(markers["Drawdown brake"].y) == [np.float32(equity[40])]
    assert "brake level 1" in markers["Drawdown brake"].hovertext[0]
    bands = [(shape.x0, shape.x1, shape.fillcolor) for shape in figure.layout.shapes]
    end = START_MS + bars * HOUR_MS
    assert [(x0, x1) for x0, x1, _ in bands] == [
        (START_MS + 10 * HOUR_MS, START_MS + 34 * HOUR_MS),  # the break
        (START_MS + 34 * HOUR_MS, end),  # the recovery, open at the end
    ]
    assert "214, 69, 69" in bands[0][2]


def test_an_escalation_continues_the_break_band_and_a_new_break_ends_a_recovery() -> None:
    def event(hour: int, kind: str) -> dict[str, object]:
        return risk_event(ts_ms=START_MS + hour * HOUR_MS, kind=kind, action={})

    events = [
        event(1, "DAILY_CIRCUIT_BREAK"),
        event(2, "WEEKLY_CIRCUIT_BREAK"),
        event(5, "RESUMED"),
        event(5, "RECOVERY_STARTED"),
        event(7, "DAILY_CIRCUIT_BREAK"),
        event(9, "RESUMED"),
    ]
    run = analyse_backtest(
        make_result(np.full(12, 100.0), timeframe="1h", bar_ms=HOUR_MS, risk_events=events)
    )

    shapes = equity_figure(run).layout.shapes

    hours = [((s.x0 - START_MS) / HOUR_MS, (s.x1 - START_MS) / HOUR_MS) for s in shapes]
    assert hours == [(1, 5), (5, 7), (7, 9)]


def test_a_run_without_risk_events_has_no_markers_or_bands() -> None:
    figure = equity_figure(long_run())

    assert all(trace.mode == "lines" for trace in figure.data)
    assert not figure.layout.shapes
