"""The HTML report of a backtest: run facts, metrics, charts, trades and settings in one page.

The report opens offline. By default plotly.js (about 4.8 MB) is inlined, so the one
file works anywhere, e.g. sent by mail or archived. ``plotlyjs="directory"`` writes
``plotly.min.js`` once next to the report and references it instead, for batches of
runs in one directory (optimisation); the pair then opens offline as long as the two
files stay together. Everything else (data, styles) is inline in both modes; bar
series are thinned to a few thousand points, so the report's own content stays
around 1 MB even for a year of 1m bars with ten thousand trades.

Sections: run facts, the metrics table (overall, per strategy, per benchmark), equity
against buy-and-hold with the risk events marked on it, drawdown, monthly returns,
trade P&L histogram, risk (the risk events, the first :data:`MAX_RISK_EVENT_ROWS`, and
the rejected orders per rule and strategy), trades (the first :data:`MAX_TRADE_ROWS`;
``trades.csv`` has all), and the run's settings.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from quantbot.analytics.analysis import BacktestAnalysis
from quantbot.analytics.charts import (
    MAX_RISK_MARKERS,
    drawdown_figure,
    equity_figure,
    monthly_returns_figure,
    trade_pnl_figure,
)
from quantbot.analytics.downsample import DEFAULT_MAX_POINTS
from quantbot.analytics.iso_time import iso_utc, iso_utc_array
from quantbot.analytics.result_frames import trades_frame
from quantbot.analytics.summary import run_symbols, summary_table

__all__ = [
    "MAX_RISK_EVENT_ROWS",
    "MAX_SETTING_ROWS",
    "MAX_TRADE_ROWS",
    "PLOTLY_JS_NAME",
    "PlotlyJsMode",
    "render_report",
    "write_report",
]

PlotlyJsMode = Literal["inline", "directory"]

PLOTLY_JS_NAME = "plotly.min.js"
"""File name of plotly.js next to the report in ``directory`` mode."""

MAX_TRADE_ROWS = 1_000
"""Trades listed in the report at most (the earliest); ``trades.csv`` has every one."""

MAX_RISK_EVENT_ROWS = 1_000
"""Risk events listed in the report at most (the earliest); ``summary.json`` has every one."""

MAX_SETTING_ROWS = 500
"""Settings listed in the report at most."""

_STYLE = """
body { font-family: system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 24px;
       color: #1f2933; }
h1 { margin-bottom: 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #d9e2ec; }
.muted { color: #627d98; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e4e7eb; text-align: right;
         white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f4f8; position: sticky; top: 0; }
.scroll { max-height: 600px; overflow: auto; display: inline-block; }
.note { font-size: 13px; color: #627d98; }
"""


def _table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(column))}</th>" for column in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _number(value: float) -> str:
    return f"{value:,.8g}"


def _facts(analysis: BacktestAnalysis) -> str:
    result = analysis.result
    speed = result.bars_per_second
    rows = [
        ("Run", result.run_id),
        ("Period", f"{iso_utc(analysis.start_ms)} to {iso_utc(analysis.end_ms)}"),
        ("Timeframe", result.timeframe),
        ("Bars", f"{len(result.ts_ms):,d}"),
        ("Symbols", ", ".join(run_symbols(analysis)) or "none"),
        ("Strategies", ", ".join(result.strategy_equity) or "none"),
        ("Starting capital", f"{result.initial_capital:,.2f} {result.quote_currency}"),
        ("Final equity", f"{result.final_equity:,.2f} {result.quote_currency}"),
        ("Orders rejected", f"{len(result.rejections):,d}"),
        (
            "Bars simulated",
            f"{result.bars_processed:,d} ({result.events_processed:,d} with events)",
        ),
        ("Simulation time", f"{result.elapsed_s:.3f} s"),
        ("Speed", f"{speed:,.0f} bars/s" if np.isfinite(speed) else "n/a"),
        ("Risk-free rate", f"{analysis.risk_free_rate_pct:g} % a year"),
    ]
    return _table(("Fact", "Value"), rows)


def _metrics(analysis: BacktestAnalysis) -> str:
    table = summary_table(analysis)
    note = (
        '<p class="note">Return statistics use daily (UTC) closes, annualised over 365 '
        "days; trade statistics use closed trades; benchmarks buy at the first bar's close "
        "without fees.</p>"
    )
    return _table(table.columns, table.rows) + note


def _trades(analysis: BacktestAnalysis) -> str:
    trades = trades_frame(analysis.result)
    if trades.empty:
        return '<p class="note">No trades.</p>'
    shown = trades.sort_values("entry_ts_ms", kind="stable").head(MAX_TRADE_ROWS)
    text = {
        "entry": [stamp[:19] for stamp in iso_utc_array(shown["entry_ts_ms"].to_numpy(np.int64))],
        "exit": [stamp[:19] for stamp in iso_utc_array(shown["exit_ts_ms"].to_numpy(np.int64))],
        "size": [_number(value) for value in shown["size"].to_numpy(np.float64)],
        "entry_price": [_number(value) for value in shown["entry_price"].to_numpy(np.float64)],
        "exit_price": [_number(value) for value in shown["exit_price"].to_numpy(np.float64)],
        "fees": [f"{value:,.4f}" for value in shown["fees"].to_numpy(np.float64)],
        "pnl": [f"{value:,.4f}" for value in shown["pnl"].to_numpy(np.float64)],
        "status": np.where(shown["is_open"].to_numpy(bool), "open (marked)", "closed").tolist(),
    }
    rows = zip(
        shown["strategy"].tolist(),
        shown["symbol"].tolist(),
        shown["side"].tolist(),
        text["size"],
        text["entry"],
        text["entry_price"],
        text["exit"],
        text["exit_price"],
        text["fees"],
        text["pnl"],
        text["status"],
        strict=True,
    )
    columns = (
        "Strategy",
        "Symbol",
        "Side",
        "Size",
        "Entry (UTC)",
        "Entry price",
        "Exit (UTC)",
        "Exit price",
        "Fees",
        "P&L",
        "Status",
    )
    note = ""
    if len(trades) > len(shown):
        note = (
            f'<p class="note">Showing the first {len(shown):,d} of {len(trades):,d} trades; '
            "trades.csv lists every closed trade.</p>"
        )
    return note + f'<div class="scroll">{_table(columns, rows)}</div>'


def _risk(analysis: BacktestAnalysis) -> str:
    risk = analysis.risk
    if not risk.events and not risk.num_rejections:
        return '<p class="note">No risk event; no order was rejected.</p>'
    parts = []
    if risk.events:
        shown = risk.events[:MAX_RISK_EVENT_ROWS]
        rows = [
            (
                (iso_utc(event.ts_ms) or "")[:19],
                event.kind,
                event.subject,
                event.value_text(),
                "" if event.level is None else str(event.level),
                event.action_text(),
                event.positions_text(),
                event.reason,
            )
            for event in shown
        ]
        columns = (
            "Time (UTC)",
            "Kind",
            "Subject",
            "Value",
            "Brake level",
            "Action",
            "Positions closed",
            "Reason",
        )
        notes = [
            f"{len(risk.events):,d} risk event(s), marked on the equity chart"
            + (f" (the first {MAX_RISK_MARKERS:,d})" if len(risk.events) > MAX_RISK_MARKERS else "")
            + "."
        ]
        if len(risk.events) > len(shown):
            notes.append(f"Showing the first {len(shown):,d}; summary.json lists every risk event.")
        parts.append(
            f'<p class="note">{html.escape(" ".join(notes))}</p>'
            f'<div class="scroll">{_table(columns, rows)}</div>'
        )
    else:
        parts.append('<p class="note">No risk event.</p>')
    if risk.num_rejections:
        strategies = list(risk.rejections_by_strategy)
        rule_rows: list[tuple[str, ...]] = [
            (
                rule,
                f"{count:,d}",
                *(f"{risk.rejections_by_strategy[name].get(rule, 0):,d}" for name in strategies),
            )
            for rule, count in risk.rejections_by_rule.items()
        ]
        parts.append(
            "<h3>Rejected orders by rule</h3>" + _table(("Rule", "Overall", *strategies), rule_rows)
        )
    else:
        parts.append('<p class="note">No order was rejected.</p>')
    return "".join(parts)


def _flatten(config: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            rows += _flatten(value, f"{name}.")
        else:
            rows.append((name, json.dumps(value, default=str)))
    return rows


def _settings(analysis: BacktestAnalysis) -> str:
    rows = _flatten(analysis.result.config)
    if not rows:
        return '<p class="note">No settings recorded with this run.</p>'
    note = ""
    if len(rows) > MAX_SETTING_ROWS:
        note = f'<p class="note">Showing {MAX_SETTING_ROWS:,d} of {len(rows):,d} settings.</p>'
    return note + _table(("Setting", "Value"), rows[:MAX_SETTING_ROWS])


def _chart(figure: go.Figure | None, missing: str = "") -> str:
    if figure is None:
        return f'<p class="note">{html.escape(missing)}</p>'
    return str(
        figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            config={"displaylogo": False, "responsive": True},
        )
    )


def render_report(
    analysis: BacktestAnalysis,
    *,
    title: str,
    plotlyjs: PlotlyJsMode = "inline",
    max_points: int = DEFAULT_MAX_POINTS,
) -> str:
    """Render the report as one HTML document.

    Args:
        analysis: the analysed run.
        title: the page's heading.
        plotlyjs: ``inline`` embeds plotly.js; ``directory`` references
            :data:`PLOTLY_JS_NAME` next to the page (see :func:`write_report`).
        max_points: points per plotted bar series at most.
    """
    script = (
        f"<script>{get_plotlyjs()}</script>"
        if plotlyjs == "inline"
        else f'<script src="{PLOTLY_JS_NAME}"></script>'
    )
    sections = [
        ("Run", _facts(analysis)),
        ("Metrics", _metrics(analysis)),
        ("Equity", _chart(equity_figure(analysis, max_points=max_points))),
        ("Drawdown", _chart(drawdown_figure(analysis, max_points=max_points))),
        ("Monthly returns", _chart(monthly_returns_figure(analysis))),
        ("Trade P&L", _chart(trade_pnl_figure(analysis), "No closed trades.")),
        ("Risk", _risk(analysis)),
        ("Trades", _trades(analysis)),
        ("Settings", _settings(analysis)),
    ]
    body = "".join(f"<h2>{html.escape(name)}</h2>{content}" for name, content in sections)
    escaped = html.escape(title)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escaped}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}</style>{script}</head>"
        f'<body><h1>{escaped}</h1><p class="muted">quantbot backtest report</p>{body}'
        "</body></html>\n"
    )


def write_report(
    analysis: BacktestAnalysis,
    path: Path,
    *,
    title: str,
    plotlyjs: PlotlyJsMode = "inline",
    max_points: int = DEFAULT_MAX_POINTS,
) -> Path:
    """Write the report to ``path`` (and plotly.js beside it in ``directory`` mode).

    In ``directory`` mode ``plotly.min.js`` is written only when it is missing or
    differs, so many reports in one directory share one copy.

    Args:
        analysis: the analysed run.
        path: the HTML file to write; its directory must exist.
        title: the page's heading.
        plotlyjs: see :func:`render_report`.
        max_points: points per plotted bar series at most.

    Returns:
        ``path``.

    Raises:
        OSError: if a file cannot be written.
    """
    if plotlyjs == "directory":
        script = path.parent / PLOTLY_JS_NAME
        library = get_plotlyjs()
        if not script.is_file() or script.stat().st_size != len(library.encode("utf-8")):
            script.write_text(library, encoding="utf-8")
    document = render_report(analysis, title=title, plotlyjs=plotlyjs, max_points=max_points)
    path.write_text(document, encoding="utf-8")
    return path
