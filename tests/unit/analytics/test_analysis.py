import dataclasses
import json
from typing import Any

import pandas as pd
import pytest
from hypothesis import given

from quantbot.analytics import AnalyticsError, analyse_backtest, summary_document, summary_table
from quantbot.analytics.summary import METRIC_ROWS
from quantbot.engine.results import BacktestResult

from .builders import DAY_MS, START_MS, make_result, rejection, results, risk_event


@given(results())
def test_any_result_gives_strict_json_and_a_full_table(result: BacktestResult) -> None:
    analysis = analyse_backtest(result)

    document = json.loads(json.dumps(summary_document(analysis), allow_nan=False))
    table = summary_table(analysis)

    closed = int((~result.trades["is_open"].astype(bool)).sum())
    assert document["num_trades"] == closed
    assert document["final_equity"] == result.equity[-1]
    assert len(document["open_positions"]) == len(result.trades) - closed
    assert document["overall"]["days"] >= 1
    assert len(table.rows) == len(METRIC_ROWS)
    assert {len(row) for row in table.rows} == {len(table.columns)}
    assert len(document["risk_events"]) == len(result.risk_events)
    assert sum(document["rejections_by_rule"].values()) == len(result.rejections)


def risky_result(**overrides: object) -> BacktestResult:
    """Four daily bars: a daily break, its resume into recovery, a brake level, rejections."""
    arguments: dict[str, Any] = {
        "strategy_equity": {"grid": [500.0] * 4, "ema": [500.0] * 4},
        "risk_events": [
            risk_event(
                ts_ms=START_MS + 2 * DAY_MS,
                kind="RESUMED",
                value=None,
                limit=None,
                subject="DAILY_CIRCUIT_BREAK",
                action={},
                positions_closed=[],
                reason="DAILY_CIRCUIT_BREAK ended: 24 h passed",
            ),
            risk_event(),
            risk_event(
                ts_ms=START_MS + DAY_MS,
                kind="DRAWDOWN_BRAKE",
                value=-5.4,
                limit=-5.0,
                level=1,
                action={},
                positions_closed=[],
            ),
        ],
        "rejections": [
            rejection(strategy="ema", check="circuit_breaker"),
            rejection(strategy="grid", check="max_order_size_usd"),
            rejection(strategy="ema", check="max_order_size_usd"),
            rejection(strategy="ema", check="max_order_size_usd"),
            rejection(strategy="gone", check="lot_size"),
        ],
    }
    arguments.update(overrides)
    return make_result([1_000.0, 990.0, 970.0, 980.0], **arguments)


def test_risk_events_are_read_in_time_order_with_their_json_parsed() -> None:
    risk = analyse_backtest(risky_result()).risk

    assert [event.kind for event in risk.events] == [
        "DAILY_CIRCUIT_BREAK",
        "DRAWDOWN_BRAKE",
        "RESUMED",
    ]
    trip = risk.events[0]
    assert trip.action == {
        "cancel_all_orders": True,
        "close_positions": ["close"],
        "stop_opening": ["close", "keep_inventory"],
    }
    assert trip.positions_closed == [{"strategy": "ema", "symbol": "BTC/USDT", "qty": 0.5}]
    assert (trip.value, trip.limit, trip.level) == (-3.2, -3.0, None)
    assert trip.is_breaker_trip
    assert trip.value_text() == "-3.20 % (limit -3 %)"
    assert trip.action_text() == (
        "cancel all orders; close positions: close; stop opening: close, keep_inventory"
    )
    assert trip.positions_text() == "ema BTC/USDT 0.5"
    resumed = risk.events[2]
    assert (resumed.value, resumed.limit, resumed.action) == (None, None, {})
    assert resumed.value_text() == ""
    assert resumed.action_text() == "none"
    assert risk.events[1].level == 1
    assert risk.kind_counts(trips_only=True) == {"DAILY_CIRCUIT_BREAK": 1}
    assert risk.max_brake_level() == 1


def test_rejections_are_counted_per_rule_overall_and_per_strategy() -> None:
    risk = analyse_backtest(risky_result()).risk

    assert risk.rejections_by_rule == {
        "max_order_size_usd": 3,
        "circuit_breaker": 1,
        "lot_size": 1,
    }
    assert list(risk.rejections_by_rule) == ["max_order_size_usd", "circuit_breaker", "lot_size"]
    assert risk.rejections_by_strategy == {
        "grid": {"max_order_size_usd": 1},
        "ema": {"max_order_size_usd": 2, "circuit_breaker": 1},
        "gone": {"lot_size": 1},
    }
    assert risk.num_rejections == 5


def test_a_run_without_risk_activity_has_none_even_from_frames_without_columns() -> None:
    bare = dataclasses.replace(
        make_result([1.0, 2.0]), risk_events=pd.DataFrame(), rejections=pd.DataFrame()
    )

    risk = analyse_backtest(bare).risk

    assert risk.events == ()
    assert risk.rejections_by_rule == {}
    assert risk.rejections_by_strategy == {"ema": {}}
    assert risk.max_brake_level() == 0


def test_an_unreadable_risk_event_names_the_run_event_and_time() -> None:
    broken = risky_result(risk_events=[risk_event(action="{not json")])

    with pytest.raises(
        AnalyticsError, match=r"run-1: risk event DAILY_CIRCUIT_BREAK at 2024-01-02"
    ):
        analyse_backtest(broken)


def test_a_risk_events_frame_without_the_engine_columns_is_refused() -> None:
    frame = pd.DataFrame({"ts_ms": [START_MS], "kind": ["PRICE_SHOCK"]})
    broken = dataclasses.replace(make_result([1.0, 2.0]), risk_events=frame)

    with pytest.raises(AnalyticsError, match="risk events frame lacks columns value, limit"):
        analyse_backtest(broken)
