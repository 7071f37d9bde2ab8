"""What a finished backtest writes about its risk manager: breaker rows, rejected decisions, settings.

The database round trip, on SQLite and PostgreSQL, is in tests/integration/test_risk_cli.py.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from quantbot.config import load_config
from quantbot.core import RunMode
from quantbot.engine.results import risk_events_frame
from quantbot.engine.risk_setup import risk_setup
from quantbot.engine.run_record import breaker_event_rows, rejection_decisions, risk_settings
from quantbot.storage.repositories import DecisionAction

HOUR_MS = 3_600_000
T0 = 1_735_689_600_000


def event(
    hour: float,
    kind: str,
    *,
    value: float = math.nan,
    subject: str = "",
    positions: list[dict[str, Any]] | None = None,
) -> tuple[Any, ...]:
    return (
        T0 + round(hour * HOUR_MS),
        kind,
        value,
        math.nan,
        None,
        subject,
        "{}",
        f"{kind} at hour {hour}",
        json.dumps(positions or []),
    )


def test_each_breaker_trip_is_a_row_resumed_by_the_next_resume() -> None:
    closed = [{"strategy": "momentum", "symbol": "BTC/USDT", "qty": 0.02}]
    events = risk_events_frame(
        [
            event(1, "DAILY_CIRCUIT_BREAK", value=-3.1, positions=closed),
            event(2, "DRAWDOWN_BRAKE", value=-5.0),
            event(25, "RESUMED", subject="DAILY_CIRCUIT_BREAK"),
            event(25, "RECOVERY_STARTED"),
            event(30, "DAILY_CIRCUIT_BREAK", value=-3.0),
            event(31, "WEEKLY_CIRCUIT_BREAK", value=-7.2),
            event(40, "RESUMED", subject="WEEKLY_CIRCUIT_BREAK"),
            event(41, "PRICE_SHOCK", value=11.0, subject="ETH/USDT"),
            event(50, "MONTHLY_SHUTDOWN", value=-12.4),
        ]
    )

    rows = breaker_event_rows(events)

    assert [(r["trigger_type"], r["trigger_value"]) for r in rows] == [
        ("daily", -3.1),
        ("daily", -3.0),
        ("weekly", -7.2),
        ("price_shock", 11.0),
        ("monthly", -12.4),
    ]
    assert rows[0]["positions_closed"] == closed
    assert rows[1]["positions_closed"] == []
    resumed = [r["resumed_ts_ms"] for r in rows]
    # a daily break escalated to weekly resumes with it; a price shock stops nothing;
    # the monthly shutdown is still in force at the end
    assert resumed == [
        T0 + 25 * HOUR_MS,
        T0 + 40 * HOUR_MS,
        T0 + 40 * HOUR_MS,
        rows[3]["ts_ms"],
        None,
    ]


def test_an_exchange_pause_resumes_with_its_own_exchange() -> None:
    events = risk_events_frame(
        [
            event(1, "EXCHANGE_PAUSED", value=11.0, subject="binance"),
            event(1.05, "EXCHANGE_RESUMED", subject="bybit"),
            event(1.08, "EXCHANGE_RESUMED", subject="binance"),
        ]
    )

    (row,) = breaker_event_rows(events)

    assert (row["trigger_type"], row["trigger_value"]) == ("api_errors", 11.0)
    assert row["resumed_ts_ms"] == T0 + round(1.08 * HOUR_MS)


def test_a_run_without_events_has_no_rows() -> None:
    assert breaker_event_rows(risk_events_frame()) == []
    assert breaker_event_rows(pd.DataFrame()) == []


def test_every_rejection_is_a_rejected_decision_naming_the_rule_and_the_run() -> None:
    rejections = pd.DataFrame(
        [
            (T0 + 5, "grid", "ETH/USDT", "sell", 0.5, "reserve_cash_pct", "reserve"),
            (T0 + 1, "momentum", "BTC/USDT", "buy", 0.01, "max_order_size_usd", "too big"),
        ],
        columns=["ts_ms", "strategy", "symbol", "side", "qty", "check", "reason"],
    )

    first, second = rejection_decisions(rejections, run_id="bt-1")

    assert first == {
        "ts_ms": T0 + 1,
        "strategy": "momentum",
        "symbol": "BTC/USDT",
        "signal": "BUY",
        "reason": "too big",
        "action_taken": DecisionAction.REJECTED,
        "risk_checks": {
            "check": "max_order_size_usd",
            "action": "reject",
            "reason": "too big",
            "order": {"side": "buy", "qty": 0.01},
        },
        "run_id": "bt-1",
        "mode": RunMode.BACKTEST,
    }
    assert (second["strategy"], second["signal"]) == ("grid", "SELL")
    assert rejection_decisions(pd.DataFrame(), run_id="bt-1") == []


def test_risk_settings_are_json_ready_and_none_without_a_risk_manager() -> None:
    settings = risk_settings(risk_setup(load_config(None, environ={}).settings))

    assert settings is not None
    assert json.loads(json.dumps(settings, allow_nan=False)) == settings
    assert settings["limits"]["max_order_size_usd"] == 500.0
    assert settings["limits"]["correlation_groups"] == [["BTC", "ETH"]]
    assert settings["limits"]["asset_whitelist"] == []
    assert settings["loss_limits"]["daily_loss_limit_pct"] == 3.0
    assert [level["drawdown_pct"] for level in settings["brake_levels"]] == [5.0, 10.0, 15.0]
    assert settings["timezone"] == "UTC"
    assert risk_settings(None) is None
