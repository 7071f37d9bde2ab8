import dataclasses

import pytest

from quantbot.core import ClientOrderId, InvalidValue, OrderFilled, OrderRejected

from factories import ORDER_ID, make_fill


def test_order_filled_refuses_a_fill_of_another_order() -> None:
    fill = make_fill(client_order_id=ClientOrderId("someone-else-1"))
    with pytest.raises(InvalidValue, match="someone-else-1"):
        OrderFilled(client_order_id=ORDER_ID, ts_ms=1, fill=fill)


def test_events_are_frozen_values() -> None:
    event = OrderRejected(client_order_id=ORDER_ID, ts_ms=1, reason="insufficient balance")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.reason = "changed"  # type: ignore[misc]
    assert event == OrderRejected(client_order_id=ORDER_ID, ts_ms=1, reason="insufficient balance")
