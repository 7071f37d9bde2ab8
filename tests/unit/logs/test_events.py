import re

from quantbot.logs import LogEvent

ISSUE_3_EVENTS = {
    "ORDER_PLACED",
    "ORDER_FILLED",
    "ORDER_CANCELED",
    "ORDER_REJECTED",
    "TRADE_CLOSED",
    "RISK_REJECTED",
    "CIRCUIT_BREAKER",
    "GRID_REBALANCE",
    "STATUS",
    "CONFIG_CHANGED",
    "RECONCILIATION",
}


def test_every_event_the_issue_requires_exists() -> None:
    assert ISSUE_3_EVENTS.issubset(event.value for event in LogEvent)


def test_event_text_is_its_upper_snake_name() -> None:
    for event in LogEvent:
        assert re.fullmatch(r"[A-Z]+(?:_[A-Z]+)*", event.name)
        assert f"{event}" == event.name
