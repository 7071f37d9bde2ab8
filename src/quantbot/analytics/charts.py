"""The report's plotly charts: equity against benchmarks, drawdown, monthly returns, trade P&L.

Time axes carry epoch milliseconds on plotly ``date`` axes (plotly reads numbers
there as UTC milliseconds), which plotly serialises as compact binary arrays rather
than date strings; plotted values are float32 (7 significant digits), half the
bytes of float64 and finer than a chart can show. Bar series are thinned with
:func:`~quantbot.analytics.downsample.extremes_indices` so a year of 1m bars stays a
few hundred kB; trade P&L and monthly returns are small and drawn in full.
"""

from __future__ import annotations

import calendar

import numpy as np
import plotly.graph_objects as go

from quantbot.analytics.analysis import BacktestAnalysis
from quantbot.analytics.daily_equity import daily_equity
from quantbot.analytics.downsample import DEFAULT_MAX_POINTS, extremes_indices
from quantbot.analytics.drawdown import drawdown_fraction
from quantbot.analytics.monthly_returns import monthly_returns_pct
from quantbot.analytics.result_frames import trades_frame
from quantbot.data import timeframe_ms

__all__ = [
    "drawdown_figure",
    "equity_figure",
    "monthly_returns_figure",
    "trade_pnl_figure",
]

_LAYOUT = {
    "template": "plotly_white",
    "height": 420,
    "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
    "legend": {"orientation": "h", "y": -0.15},
    "hovermode": "x unified",
}


def _close_ms(analysis: BacktestAnalysis) -> np.ndarray:
    result = analysis.result
    return (np.asarray(result.ts_ms, dtype=np.int64) + timeframe_ms(result.timeframe)).astype(
        np.float64
    )


def _plotted(values: np.ndarray) -> np.ndarray:
    # float32 (7 significant digits) is exact enough for a chart and halves the bytes.
    return values.astype(np.float32)


def _line(
    x: np.ndarray, y: np.ndarray, name: str, *, max_points: int, visible: bool | str = True
) -> go.Scatter:
    keep = extremes_indices(y, max_points)
    return go.Scatter(x=x[keep], y=_plotted(y[keep]), name=name, mode="lines", visible=visible)


def equity_figure(analysis: BacktestAnalysis, *, max_points: int = DEFAULT_MAX_POINTS) -> go.Figure:
    """Account equity against each buy-and-hold benchmark; strategy curves toggle on.

    Args:
        analysis: the analysed run.
        max_points: points per line at most.
    """
    result = analysis.result
    x = _close_ms(analysis)
    figure = go.Figure(
        _line(x, np.asarray(result.equity, dtype=np.float64), "Equity", max_points=max_points)
    )
    for benchmark in analysis.benchmarks:
        figure.add_trace(_line(x, benchmark.equity, benchmark.label, max_points=max_points))
    if len(result.strategy_equity) > 1:
        for name, curve in result.strategy_equity.items():
            figure.add_trace(
                _line(
                    x,
                    np.asarray(curve, dtype=np.float64),
                    f"Strategy {name}",
                    max_points=max_points,
                    visible="legendonly",
                )
            )
    figure.update_layout(
        _LAYOUT,
        title="Equity vs buy & hold",
        xaxis={"type": "date"},
        yaxis={"title": f"equity ({result.quote_currency})"},
    )
    return figure


def drawdown_figure(
    analysis: BacktestAnalysis, *, max_points: int = DEFAULT_MAX_POINTS
) -> go.Figure:
    """Drawdown of the account equity from its running peak, percent, bar by bar.

    Measured from the starting equity on, at every bar's close: finer than the daily
    closes the max-drawdown metric uses, so the chart can dip below that figure. The
    benchmarks' drawdowns are in the metrics table, not drawn (they would double the
    chart's weight).
    """
    result = analysis.result
    anchored = np.concatenate(([result.initial_capital], np.asarray(result.equity, np.float64)))
    drawdown_pct = drawdown_fraction(anchored)[1:] * 100.0
    keep = extremes_indices(drawdown_pct, max_points)
    figure = go.Figure(
        go.Scatter(
            x=_close_ms(analysis)[keep],
            y=_plotted(drawdown_pct[keep]),
            name="Equity",
            mode="lines",
            fill="tozeroy",
        )
    )
    figure.update_layout(
        _LAYOUT, title="Drawdown", xaxis={"type": "date"}, yaxis={"title": "drawdown (%)"}
    )
    return figure


def monthly_returns_figure(analysis: BacktestAnalysis) -> go.Figure:
    """Heatmap of calendar-month returns (percent), years down, months across."""
    result = analysis.result
    daily = daily_equity(
        result.ts_ms,
        result.equity,
        bar_ms=timeframe_ms(result.timeframe),
        initial_value=result.initial_capital,
    )
    table = monthly_returns_pct(daily)
    figure = go.Figure(
        go.Heatmap(
            z=table.to_numpy(),
            x=[calendar.month_abbr[int(month)] for month in table.columns],
            y=[str(year) for year in table.index],
            colorscale="RdYlGn",
            zmid=0.0,
            texttemplate="%{z:.1f}%",
            hovertemplate="%{y} %{x}: %{z:.2f}%<extra></extra>",
            colorbar={"title": "%"},
        )
    )
    figure.update_layout(
        _LAYOUT,
        title="Monthly returns (%)",
        height=max(200, 80 + 40 * len(table.index)),
        yaxis={"autorange": "reversed", "type": "category"},
        hovermode="closest",
    )
    return figure


def trade_pnl_figure(analysis: BacktestAnalysis) -> go.Figure | None:
    """Histogram of closed trades' net P&L, one overlaid series per strategy.

    Returns:
        The figure, or ``None`` when no trade was closed.
    """
    trades = trades_frame(analysis.result)
    closed = trades.loc[~trades["is_open"].to_numpy(bool)]
    if closed.empty:
        return None
    figure = go.Figure()
    for name, group in closed.groupby("strategy", sort=True):
        figure.add_trace(
            go.Histogram(x=group["pnl"].to_numpy(np.float64), name=str(name), opacity=0.75)
        )
    figure.update_layout(
        _LAYOUT,
        title="Trade P&L distribution",
        barmode="overlay",
        xaxis={"title": f"net P&L per trade ({analysis.result.quote_currency})"},
        yaxis={"title": "trades"},
        hovermode="closest",
    )
    return figure
