"""Risk events and actions: what the engine carries out and ``summary.json`` lists."""

from __future__ import annotations

import json
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from quantbot.risk.risk_events import (
    ALL_POLICIES,
    BreakerPolicy,
    RiskAction,
    RiskEvent,
    RiskEventKind,
    iso_ms,
)


def test_event_to_dict_gives_time_kind_value_and_the_action_asked() -> None:
    event = RiskEvent(
        ts_ms=1_704_067_200_123,
        kind=RiskEventKind.DAILY_CIRCUIT_BREAK,
        value=-3.2,
        limit=-3.0,
        action=RiskAction(
            cancel_all_orders=True,
            close_positions=frozenset({BreakerPolicy.CLOSE}),
            stop_opening=ALL_POLICIES,
        ),
        reason="daily_loss_limit_pct 3 reached",
    )

    assert event.to_dict() == {
        "time": "2024-01-01T00:00:00.123Z",
        "ts_ms": 1_704_067_200_123,
        "kind": "DAILY_CIRCUIT_BREAK",
        "value": -3.2,
        "limit": -3.0,
        "action": {
            "cancel_all_orders": True,
            "close_positions": ["close"],
            "stop_opening": ["close", "keep_inventory"],
        },
        "subject": "",
        "level": None,
        "reason": "daily_loss_limit_pct 3 reached",
    }


def test_action_to_dict_lists_only_what_it_asks_for() -> None:
    assert RiskAction().to_dict() == {}
    assert RiskAction(pause_exchange="binance", pause_until_ms=300_000).to_dict() == {
        "pause_exchange": "binance",
        "pause_until": "1970-01-01T00:05:00.000Z",
    }
    assert RiskAction(cancel_orders_symbol="BTC/USDT", shutdown=True).to_dict() == {
        "cancel_orders_symbol": "BTC/USDT",
        "shutdown": True,
    }


def test_policies_read_as_their_config_values() -> None:
    assert [str(policy) for policy in BreakerPolicy] == ["close", "keep_inventory"]
    assert frozenset(BreakerPolicy) == ALL_POLICIES


@given(
    st.integers(-(10**12), 4 * 10**12),
    st.sampled_from(list(RiskEventKind)),
    st.none() | st.floats(allow_nan=False, allow_infinity=False),
    st.frozensets(st.sampled_from(list(BreakerPolicy))),
    st.none() | st.text(max_size=12),
)
def test_every_event_survives_json(
    ts_ms: int,
    kind: RiskEventKind,
    value: float | None,
    policies: frozenset[BreakerPolicy],
    symbol: str | None,
) -> None:
    event = RiskEvent(
        ts_ms=ts_ms,
        kind=kind,
        value=value,
        action=RiskAction(close_positions=policies, cancel_orders_symbol=symbol),
    )

    document = event.to_dict()

    assert json.loads(json.dumps(document, allow_nan=False)) == document


@given(st.integers(-(10**12), 4 * 10**12))
def test_iso_time_keeps_every_millisecond(ts_ms: int) -> None:

    text = iso_ms(ts_ms)
    assert text is not None
    assert text.endswith("Z")

    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert round(parsed.timestamp() * 1000) == ts_ms


def test_iso_time_of_none_is_none() -> None:
    assert iso_ms(None) is None
