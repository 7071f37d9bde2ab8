import json
import math

import numpy as np
import pytest

from quantbot.analytics import (
    BacktestAnalysis,
    analyse_backtest,
    summary_document,
    summary_table,
)
from quantbot.analytics.summary import METRIC_ROWS, format_metric

from .builders import DAY_MS, START_MS, fill, make_result, rejection, risk_event, trade


def analysis_with_everything() -> BacktestAnalysis:
    return analyse_backtest(
        make_result(
            [1_000.0, 1_010.0, 990.0, 1_030.0],
            initial_capital=1_000.0,
            strategy_equity={"grid": [500.0, 505.0, 495.0, 515.0], "ema": [500.0] * 4},
            closes={"BTC/USDT": [100.0, 101.0, 99.0, 103.0], "ETH/USDT": [10.0, 11.0, 9.0, 12.0]},
            trades=[
                trade(strategy="grid", pnl=12.0),
                trade(strategy="grid", pnl=-2.0, is_open=True, exit_ts_ms=START_MS + 3 * DAY_MS),
            ],
            fills=[fill(strategy="grid"), fill(strategy="grid", symbol="SOL/USDT")],
            config={"venue": {"fee_pct": 0.1}},
        )
    )


def test_table_has_a_column_per_scope_and_a_row_per_metric() -> None:
    table = summary_table(analysis_with_everything())

    assert table.columns == (
        "Metric",
        "Overall",
        "grid",
        "ema",
        "Buy & hold BTC/USDT",
        "Buy & hold ETH/USDT",
        "Equal weight BTC/USDT + ETH/USDT",
    )
    assert [row[0] for row in table.rows] == [row.label for row in METRIC_ROWS]
    assert all(len(row) == len(table.columns) for row in table.rows)
    trades_row = next(row for row in table.rows if row[0] == "Trades (closed)")
    assert trades_row[1:4] == ("1", "1", "0")
    assert trades_row[4:] == ("", "", "")  # benchmarks do not trade
    assert "bars simulated" in table.notes[1]


def test_table_cells_say_inf_for_unbounded_and_na_for_undefined() -> None:
    table = summary_table(analysis_with_everything())

    cells = {row[0]: row for row in table.rows}
    assert cells["Profit factor"][2] == "inf"  # grid: one win, no loss
    assert cells["Profit factor"][3] == "n/a"  # ema: no trade
    assert cells["Final equity"][1] == "1,030.00"


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (math.nan, "ratio", "n/a"),
        (None, "time", "n/a"),
        (-math.inf, "ratio", "-inf"),
        (1234.5678, "money", "1,234.57"),
        (12, "count", "12"),
        (1_704_067_200_000, "time", "2024-01-01 00:00"),
    ],
)
def test_format_metric(value: object, kind: str, text: str) -> None:
    assert format_metric(value, kind) == text  # type: ignore[arg-type]


def test_summary_document_is_strict_json_with_every_scope_and_the_run_facts() -> None:
    analysis = analysis_with_everything()

    document = summary_document(analysis, title="demo")
    loaded = json.loads(json.dumps(document, allow_nan=False))

    assert loaded["title"] == "demo"
    assert loaded["final_equity"] == 1_030.0
    assert loaded["num_trades"] == 1
    assert loaded["bars_processed"] == 4
    assert loaded["elapsed_s"] == 0.5
    assert loaded["bars_per_second"] == 8.0
    assert loaded["start_time"] == "2024-01-01T00:00:00.000Z"
    assert loaded["end_time"] == "2024-01-05T00:00:00.000Z"
    assert loaded["symbols"] == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    assert list(loaded["strategies"]) == ["grid", "ema"]
    assert loaded["overall"] == analysis.metrics.overall.to_dict()
    assert loaded["num_liquidations"] == 0
    assert set(loaded["benchmarks"]) == {"buy_hold_BTC-USDT", "buy_hold_ETH-USDT", "equal_weight"}
    assert loaded["config"] == {"venue": {"fee_pct": 0.1}}


def test_every_strategy_reports_funding_fees_slippage_and_price_pnl_apart() -> None:
    analysis = analysis_with_everything()

    strategies = summary_document(analysis)["strategies"]

    parts = ("funding_net_quote", "fees_paid_quote", "slippage_paid_quote", "price_pnl_quote")
    grid = strategies["grid"]
    assert grid["funding_net_quote"] == 0.0  # spot: no funding
    assert (grid["fees_paid_quote"], grid["slippage_paid_quote"]) == pytest.approx((0.1, 0.02))
    # Its two trades at their fill prices (12 + 0.1 and -2 + 0.1), plus slippage.
    assert grid["price_pnl_quote"] == pytest.approx(10.2 + 0.02)
    assert {key: strategies["ema"][key] for key in parts} == dict.fromkeys(parts, 0.0)
    rows = {row[0]: row for row in summary_table(analysis).rows}
    assert rows["Price P&L"][1:4] == ("10.22", "10.22", "0.00")


def test_open_positions_are_listed_with_their_mark() -> None:
    (position,) = summary_document(analysis_with_everything())["open_positions"]

    assert position["strategy"] == "grid"
    assert position["unrealised_pnl"] == -2.0
    assert position["mark_time"] == "2024-01-04T00:00:00.000Z"
    assert position["entry_time"] == "2024-01-01T00:00:00.000Z"


def test_an_instant_simulation_has_no_speed_figure() -> None:
    analysis = analyse_backtest(make_result(np.array([1.0, 1.0]), elapsed_s=0.0))

    assert summary_document(analysis)["bars_per_second"] is None
    assert "instant" in summary_table(analysis).notes[1]


def risky_analysis() -> BacktestAnalysis:
    return analyse_backtest(
        make_result(
            [1_000.0, 960.0, 950.0, 990.0],
            strategy_equity={"grid": [500.0] * 4, "ema": [500.0] * 4},
            risk_events=[
                risk_event(),
                risk_event(
                    ts_ms=START_MS + DAY_MS,
                    kind="DRAWDOWN_BRAKE",
                    value=-5.0,
                    limit=-5.0,
                    level=1,
                    action={},
                    positions_closed=[],
                    reason="drawdown brake level 0 -> 1",
                ),
                risk_event(
                    ts_ms=START_MS + 2 * DAY_MS,
                    kind="RESUMED",
                    value=None,
                    limit=None,
                    subject="DAILY_CIRCUIT_BREAK",
                    action={},
                    positions_closed=[],
                ),
            ],
            rejections=[
                rejection(strategy="ema"),
                rejection(strategy="ema", check="circuit_breaker"),
                rejection(strategy="ema", check="circuit_breaker"),
            ],
            config={"risk": {"limits": {"max_order_size_usd": 500.0}}},
        )
    )


def test_summary_lists_every_risk_event_with_time_kind_value_and_action() -> None:
    document = json.loads(json.dumps(summary_document(risky_analysis()), allow_nan=False))

    trip, brake, resumed = document["risk_events"]
    assert trip == {
        "time": "2024-01-02T00:00:00.000Z",
        "kind": "DAILY_CIRCUIT_BREAK",
        "value": -3.2,
        "limit": -3.0,
        "level": None,
        "subject": "",
        "action": {
            "cancel_all_orders": True,
            "close_positions": ["close"],
            "stop_opening": ["close", "keep_inventory"],
        },
        "reason": "daily_loss_limit_pct 3 reached: daily P&L -3.20 %",
        "positions_closed": [{"strategy": "ema", "symbol": "BTC/USDT", "qty": 0.5}],
    }
    assert (brake["kind"], brake["level"], brake["action"]) == ("DRAWDOWN_BRAKE", 1, {})
    assert (resumed["kind"], resumed["value"], resumed["subject"]) == (
        "RESUMED",
        None,
        "DAILY_CIRCUIT_BREAK",
    )
    assert document["config"]["risk"] == {"limits": {"max_order_size_usd": 500.0}}


def test_summary_counts_rejections_per_rule_overall_and_in_each_strategy() -> None:
    document = summary_document(risky_analysis())

    assert document["rejections_by_rule"] == {"circuit_breaker": 2, "max_order_size_usd": 1}
    assert document["num_rejections"] == 3
    assert document["strategies"]["ema"]["rejections_by_rule"] == {
        "circuit_breaker": 2,
        "max_order_size_usd": 1,
    }
    assert document["strategies"]["grid"]["rejections_by_rule"] == {}


def test_table_notes_say_what_the_risk_manager_did() -> None:
    notes = summary_table(risky_analysis()).notes

    assert notes[1] == (
        "risk: 1 breaker trip(s) (DAILY_CIRCUIT_BREAK 1); drawdown brake up to level 1; "
        "3 order(s) rejected (circuit_breaker 2, max_order_size_usd 1) (see the report)"
    )
    assert "bars simulated" in notes[2]


def test_a_run_the_risk_manager_left_alone_has_no_risk_note() -> None:
    analysis = analysis_with_everything()

    assert not any(note.startswith("risk:") for note in summary_table(analysis).notes)
    document = summary_document(analysis)
    assert document["risk_events"] == []
    assert document["rejections_by_rule"] == {}
