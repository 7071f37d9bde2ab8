"""The report's plotly charts: equity against benchmarks, drawdown, monthly returns, trade P&L.

Time axes carry epoch milliseconds on plotly ``date`` axes (plotly reads numbers
there as UTC milliseconds), which plotly serialises as compact binary arrays rather
than date strings; plotted values are float32 (7 significant digits), half the
bytes of float64 and finer than a chart can show. Bar series are thinned with
:func:`~quantbot.analytics.downsample.extremes_indices` so a year of 1m bars stays a
few hundred kB; trade P&L and monthly returns are small and drawn in full.

The equity chart marks the risk manager's events (:attr:`BacktestAnalysis.risk`): a
marker on the equity curve for each event (up to :data:`MAX_RISK_MARKERS`), one legend
entry per group so each can be hidden, with the kind, value, action and reason on
hover; and a shaded band over each period a circuit breaker was in force (red) and
each recovery period (amber), up to :data:`MAX_RISK_BANDS`.
"""

from __future__ import annotations

import calendar
import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from quantbot.analytics.analysis import BacktestAnalysis, RiskEventEntry
from quantbot.analytics.daily_equity import daily_equity
from quantbot.analytics.downsample import DEFAULT_MAX_POINTS, extremes_indices
from quantbot.analytics.drawdown import drawdown_fraction
from quantbot.analytics.monthly_returns import monthly_returns_pct
from quantbot.analytics.result_frames import trades_frame
from quantbot.data import timeframe_ms
from quantbot.risk import RiskEventKind

__all__ = [
    "MAX_RISK_BANDS",
    "MAX_RISK_MARKERS",
    "RISK_MARKER_GROUPS",
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


MAX_RISK_MARKERS = 2_000
"""Risk events marked on the equity chart at most (the earliest); the report's table and
``summary.json`` list every one."""

MAX_RISK_BANDS = 200
"""Breaker and recovery periods shaded on the equity chart at most (the earliest)."""

RISK_MARKER_GROUPS: tuple[tuple[str, frozenset[str], str, str], ...] = (
    (
        "Circuit breaker",
        frozenset(
            {
                RiskEventKind.DAILY_CIRCUIT_BREAK,
                RiskEventKind.WEEKLY_CIRCUIT_BREAK,
                RiskEventKind.MONTHLY_SHUTDOWN,
            }
        ),
        "x",
        "#d64545",
    ),
    (
        "Resume / recovery",
        frozenset(
            {
                RiskEventKind.RESUMED,
                RiskEventKind.RECOVERY_STARTED,
                RiskEventKind.RECOVERY_ENDED,
            }
        ),
        "triangle-up",
        "#2f8132",
    ),
    ("Drawdown brake", frozenset({RiskEventKind.DRAWDOWN_BRAKE}), "diamond", "#e0a800"),
    (
        "Operational breaker",
        frozenset(
            {
                RiskEventKind.EXCHANGE_PAUSED,
                RiskEventKind.EXCHANGE_RESUMED,
                RiskEventKind.PRICE_SHOCK,
            }
        ),
        "star",
        "#7c5cbf",
    ),
)
"""Legend entry, event kinds, marker symbol and colour of each group of risk markers;
a kind in no group (added later) is drawn with the operational ones."""

_BREAK_KINDS = RISK_MARKER_GROUPS[0][1]
_BAND_COLOURS = {"break": "rgba(214, 69, 69, 0.12)", "recovery": "rgba(224, 168, 0, 0.12)"}


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
    events = analysis.risk.events
    for trace in _risk_markers(events[:MAX_RISK_MARKERS], x, result.equity):
        figure.add_trace(trace)
    for kind, start, end in _risk_bands(events, end_ms=float(x[-1]))[:MAX_RISK_BANDS]:
        figure.add_vrect(
            x0=start, x1=end, fillcolor=_BAND_COLOURS[kind], line_width=0, layer="below"
        )
    figure.update_layout(
        _LAYOUT,
        title="Equity vs buy & hold",
        xaxis={"type": "date"},
        yaxis={"title": f"equity ({result.quote_currency})"},
    )
    return figure


def _risk_markers(
    events: Sequence[RiskEventEntry], close_ms: np.ndarray, equity: np.ndarray
) -> list[go.Scatter]:
    """One marker trace per group of :data:`RISK_MARKER_GROUPS` that has events.

    Each marker sits on the equity curve at the first bar closing at or after its event.
    """
    if not events:
        return []
    curve = np.asarray(equity, dtype=np.float64)
    known = frozenset().union(*(kinds for _, kinds, _, _ in RISK_MARKER_GROUPS))
    traces = []
    for index, (name, kinds, symbol, colour) in enumerate(RISK_MARKER_GROUPS):
        last = index == len(RISK_MARKER_GROUPS) - 1
        group = [e for e in events if e.kind in kinds or (last and e.kind not in known)]
        if not group:
            continue
        times = np.array([event.ts_ms for event in group], dtype=np.float64)
        bars = np.clip(np.searchsorted(close_ms, times, side="left"), 0, len(curve) - 1)
        traces.append(
            go.Scatter(
                x=times,
                y=_plotted(curve[bars]),
                name=name,
                mode="markers",
                marker={"symbol": symbol, "size": 10, "color": colour, "line": {"width": 1}},
                hovertext=[_hover(event) for event in group],
                hoverinfo="text",
            )
        )
    return traces


def _hover(event: RiskEventEntry) -> str:
    """Kind, subject, value, action and reason of one event, as plotly hover HTML."""
    lines = [f"<b>{html.escape(event.kind)}</b> {html.escape(event.subject)}".rstrip()]
    if event.value is not None:
        lines.append(html.escape(event.value_text()))
    if event.level is not None:
        lines.append(f"brake level {event.level}")
    lines.append("action: " + html.escape(event.action_text()))
    if event.positions_closed:
        lines.append("closed: " + html.escape(event.positions_text()))
    if event.reason:
        lines.append(html.escape(_wrapped(event.reason)).replace("\n", "<br>"))
    return "<br>".join(lines)


def _wrapped(text: str, width: int = 90) -> str:
    """Long reasons broken at spaces so the hover box stays narrow."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def _risk_bands(
    events: Sequence[RiskEventEntry], *, end_ms: float
) -> list[tuple[str, float, float]]:
    """Periods a circuit breaker was in force (``break``) and recovery periods (``recovery``).

    A break lasts from its trip to the next ``RESUMED``; an escalation (a daily break
    becoming weekly) continues the same band. A recovery lasts from ``RECOVERY_STARTED``
    to ``RECOVERY_ENDED`` or to a new break. A period still open at the end ends with the
    run (``end_ms``).
    """
    bands: list[tuple[str, float, float]] = []
    open_kind: str | None = None
    open_ms = 0.0
    for event in events:
        ts = float(event.ts_ms)
        if event.kind in _BREAK_KINDS:
            if open_kind == "recovery":
                bands.append(("recovery", open_ms, ts))
            if open_kind != "break":
                open_kind, open_ms = "break", ts
        elif event.kind == RiskEventKind.RESUMED and open_kind == "break":
            bands.append(("break", open_ms, ts))
            open_kind = None
        elif event.kind == RiskEventKind.RECOVERY_STARTED and open_kind is None:
            open_kind, open_ms = "recovery", ts
        elif event.kind == RiskEventKind.RECOVERY_ENDED and open_kind == "recovery":
            bands.append(("recovery", open_ms, ts))
            open_kind = None
    if open_kind is not None:
        bands.append((open_kind, open_ms, max(end_ms, open_ms)))
    return bands


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
