from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from plotly.offline import get_plotlyjs

from quantbot.analytics import BacktestAnalysis, analyse_backtest, render_report, write_report
from quantbot.analytics.report import MAX_RISK_EVENT_ROWS, MAX_TRADE_ROWS, PLOTLY_JS_NAME
from quantbot.engine.results import BacktestResult

from .builders import HOUR_MS, START_MS, make_result, rejection, results, risk_event, trade

VOID = {"meta", "br", "hr", "img", "input", "link"}


class StrictParser(HTMLParser):
    """Fails on an end tag that does not close the innermost open element."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.counts: dict[str, int] = {}
        self.sections: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        self._in_h2 = tag == "h2"
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1:] == [tag], f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()
        self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.sections.append(data)


def parse(document: str) -> StrictParser:
    parser = StrictParser()
    parser.feed(document)
    parser.close()
    assert parser.stack == [], f"unclosed: {parser.stack}"
    return parser


def analysis(
    trades: int = 3,
    bars: int = 48,
    risk_events: Sequence[Mapping[str, Any]] = (),
    rejections: Sequence[Mapping[str, Any]] = (),
) -> BacktestAnalysis:
    rng = np.random.default_rng(11)
    return analyse_backtest(
        make_result(
            1_000.0 + np.cumsum(rng.normal(size=bars)),
            initial_capital=1_000.0,
            timeframe="1h",
            bar_ms=HOUR_MS,
            closes={"BTC/USDT": 100.0 + rng.random(bars), "ETH/USDT": 10.0 + rng.random(bars)},
            trades=[
                trade(
                    pnl=float(k % 5) - 2.0, entry_ts_ms=START_MS + k, exit_ts_ms=START_MS + HOUR_MS
                )
                for k in range(trades)
            ],
            config={"venue": {"fee_pct": 0.1, "slippage_pct": 0.02}, "strategies": ["ema"]},
            risk_events=risk_events,
            rejections=rejections,
        )
    )


def test_report_is_well_formed_html_with_every_section_and_chart() -> None:
    document = render_report(analysis(), title="BTC <test> & more")

    assert document.startswith("<!DOCTYPE html>")
    parsed = parse(document)
    assert parsed.sections == [
        "Run",
        "Metrics",
        "Equity",
        "Drawdown",
        "Monthly returns",
        "Trade P&L",
        "Risk",
        "Trades",
        "Settings",
    ]
    assert document.count("Plotly.newPlot(") == 4
    for title in (
        "Equity vs buy & hold",
        "Drawdown",
        "Monthly returns (%)",
        "Trade P&L distribution",
    ):
        assert f'"text":"{title}"' in document
    assert "BTC &lt;test&gt; &amp; more" in document
    assert "<test>" not in document


def test_report_shows_run_facts_metrics_and_settings() -> None:
    document = render_report(analysis(), title="t")

    assert "2024-01-01T00:00:00.000Z to 2024-01-03T00:00:00.000Z" in document
    assert "BTC/USDT, ETH/USDT" in document
    assert "Equal weight BTC/USDT + ETH/USDT" in document
    assert "Sharpe" in document
    assert "venue.fee_pct" in document
    assert "venue.slippage_pct" in document


def test_inline_report_embeds_plotly_and_loads_nothing() -> None:
    document = render_report(analysis(), title="t")

    assert get_plotlyjs()[:2_000] in document
    assert "<script src=" not in document
    assert "https://" not in document.replace(get_plotlyjs(), "")


def test_directory_mode_writes_plotly_once_beside_the_report(tmp_path: Path) -> None:
    first = write_report(analysis(), tmp_path / "a.html", title="a", plotlyjs="directory")
    library = tmp_path / PLOTLY_JS_NAME
    stamp = library.stat().st_mtime_ns
    write_report(analysis(), tmp_path / "b.html", title="b", plotlyjs="directory")

    document = first.read_text(encoding="utf-8")
    assert f'<script src="{PLOTLY_JS_NAME}"></script>' in document
    assert library.read_text(encoding="utf-8") == get_plotlyjs()
    assert library.stat().st_mtime_ns == stamp
    assert len(document) < len(get_plotlyjs()) / 10


def test_a_long_trade_list_is_capped_with_a_note() -> None:
    document = render_report(analysis(trades=MAX_TRADE_ROWS + 200), title="t")

    trades_section = document[
        document.index("<h2>Trades</h2>") : document.index("<h2>Settings</h2>")
    ]
    assert trades_section.count("<tr>") == MAX_TRADE_ROWS + 1  # + the header row
    assert f"Showing the first {MAX_TRADE_ROWS:,d} of {MAX_TRADE_ROWS + 200:,d} trades" in document


def test_a_run_without_trades_says_so_instead_of_a_histogram() -> None:
    document = render_report(analysis(trades=0), title="t")

    parse(document)
    assert document.count("Plotly.newPlot(") == 3
    assert "No closed trades." in document
    assert "No trades." in document


@settings(max_examples=15)
@given(results())
def test_any_result_renders_a_well_formed_report(result: BacktestResult) -> None:
    document = render_report(analyse_backtest(result), title="any", plotlyjs="directory")

    assert len(parse(document).sections) == 9


def section(document: str, name: str, following: str) -> str:
    return document[document.index(f"<h2>{name}</h2>") : document.index(f"<h2>{following}</h2>")]


def test_risk_section_lists_each_event_and_the_rejections_per_rule_and_strategy() -> None:
    events = [
        risk_event(ts_ms=START_MS + 5 * HOUR_MS, reason="daily <limit> & more"),
        risk_event(
            ts_ms=START_MS + 9 * HOUR_MS,
            kind="PRICE_SHOCK",
            value=12.5,
            limit=10.0,
            subject="BTC/USDT",
            action={"cancel_orders_symbol": "BTC/USDT"},
            positions_closed=[],
        ),
    ]
    refused = [rejection(), rejection(check="circuit_breaker"), rejection(strategy="other")]

    document = render_report(analysis(risk_events=events, rejections=refused), title="t")

    parse(document)
    risk = section(document, "Risk", "Trades")
    assert "2 risk event(s), marked on the equity chart." in risk
    assert "2024-01-01T05:00:00" in risk
    assert "DAILY_CIRCUIT_BREAK" in risk
    assert "-3.20 % (limit -3 %)" in risk
    assert "cancel all orders; close positions: close; stop opening: close, keep_inventory" in risk
    assert "ema BTC/USDT 0.5" in risk
    assert "daily &lt;limit&gt; &amp; more" in risk
    assert "12.50 % (limit 10 %)" in risk
    assert "cancel orders symbol: BTC/USDT" in risk
    assert "<h3>Rejected orders by rule</h3>" in risk
    rules = risk[risk.index("<h3>") :]
    assert "<th>Rule</th><th>Overall</th><th>ema</th><th>other</th>" in rules
    assert "<td>max_order_size_usd</td><td>2</td><td>1</td><td>1</td>" in rules
    assert "<td>circuit_breaker</td><td>1</td><td>1</td><td>0</td>" in rules


def test_risk_events_are_marked_on_the_equity_chart() -> None:
    document = render_report(analysis(risk_events=[risk_event()]), title="t")

    equity = section(document, "Equity", "Drawdown")
    assert '"name":"Circuit breaker"' in equity
    assert "DAILY_CIRCUIT_BREAK" in equity  # the hover text


def test_a_run_without_risk_activity_says_so() -> None:
    document = render_report(analysis(), title="t")

    assert "No risk event; no order was rejected." in section(document, "Risk", "Trades")


def test_a_long_risk_event_list_is_capped_with_a_note() -> None:
    events = [
        risk_event(ts_ms=START_MS + k, kind="PRICE_SHOCK", action={}, positions_closed=[])
        for k in range(MAX_RISK_EVENT_ROWS + 5)
    ]

    document = render_report(analysis(risk_events=events), title="t")

    risk = section(document, "Risk", "Trades")
    assert risk.count("<tr>") == MAX_RISK_EVENT_ROWS + 1
    assert f"Showing the first {MAX_RISK_EVENT_ROWS:,d}; summary.json lists every" in risk
    assert "No order was rejected." in risk
