import pytest

from quantbot.core import OrderCancelRejected, OrderFilled, event_name

from factories import ORDER_ID, make_fill


@pytest.mark.parametrize(
    ("class_name", "expected"),
    [
        ("OrderFilled", "ORDER_FILLED"),
        ("RiskRejected", "RISK_REJECTED"),
        ("CircuitBreakerTripped", "CIRCUIT_BREAKER_TRIPPED"),
        ("TWAPSliceSent", "TWAP_SLICE_SENT"),
        ("Order2Sent", "ORDER2_SENT"),
        ("Status", "STATUS"),
    ],
)
def test_event_name_is_class_name_in_upper_snake(class_name: str, expected: str) -> None:
    cls = type(class_name, (), {})
    assert event_name(cls) == expected


def test_event_name_accepts_instances_and_classes_alike() -> None:
    event = OrderFilled(client_order_id=ORDER_ID, ts_ms=1, fill=make_fill())
    assert event_name(event) == event_name(OrderFilled) == "ORDER_FILLED"
    assert event_name(OrderCancelRejected) == "ORDER_CANCEL_REJECTED"
