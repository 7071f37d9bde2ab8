"""The events that move an order through its lifecycle.

Each is a frozen value in the past tense, stamped with ``ts_ms`` from the engine's
clock (when quantbot learned of it) and addressed by the order's client order id.
Venue adapters translate exchange messages into these; the order manager records its
own decisions (a cancel request, giving up on an unacknowledged order) the same way.
:meth:`quantbot.core.orders.Order.apply` is the only consumer that changes state.
"""

from __future__ import annotations

from dataclasses import dataclass

from quantbot.core.errors import InvalidValue
from quantbot.core.fills import Fill
from quantbot.core.ids import ClientOrderId, VenueOrderId

__all__ = [
    "OrderAccepted",
    "OrderCancelRejected",
    "OrderCancelRequested",
    "OrderCanceled",
    "OrderEvent",
    "OrderExpired",
    "OrderFailed",
    "OrderFilled",
    "OrderRejected",
]


@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class OrderEvent:
    """Base of every order event.

    Attributes:
        client_order_id: The order the event is about.
        ts_ms: When quantbot learned of it, epoch milliseconds from the engine clock.
    """

    client_order_id: ClientOrderId
    ts_ms: int

    # The events' constructors are written out, not generated: compiled
    # (quantbot.compiled), where generated ones would stay interpreted.
    def __init__(self, *, client_order_id: ClientOrderId, ts_ms: int) -> None:
        object.__setattr__(self, "client_order_id", client_order_id)
        object.__setattr__(self, "ts_ms", ts_ms)


@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class _Refusal(OrderEvent):
    """Base of the events that carry a reason: a rejection, a failure, a refused cancel."""

    reason: str

    def __init__(self, *, client_order_id: ClientOrderId, ts_ms: int, reason: str) -> None:
        OrderEvent.__init__(self, client_order_id=client_order_id, ts_ms=ts_ms)
        object.__setattr__(self, "reason", reason)


@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class OrderAccepted(OrderEvent):
    """The venue acknowledged the order and gave it an id; it rests or is matching."""

    venue_order_id: VenueOrderId

    def __init__(
        self, *, client_order_id: ClientOrderId, ts_ms: int, venue_order_id: VenueOrderId
    ) -> None:
        OrderEvent.__init__(self, client_order_id=client_order_id, ts_ms=ts_ms)
        object.__setattr__(self, "venue_order_id", venue_order_id)


@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class OrderRejected(_Refusal):
    """The venue refused the order (funds, filters, post-only would cross...)."""


@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class OrderFailed(_Refusal):
    """We gave up: the order was never acknowledged after the retries.

    The venue may still hold it; reconciliation finds out.
    """


@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class OrderCancelRequested(OrderEvent):
    """We sent a cancel request; until the venue answers, a fill may still arrive."""


@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class OrderCancelRejected(_Refusal):
    """The venue refused our cancel request (e.g. it does not know the order yet)."""


@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class OrderCanceled(OrderEvent):
    """The venue confirmed the order is canceled, at our request or its own."""


@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class OrderExpired(OrderEvent):
    """The order ended by its time in force or its expiry time.

    Examples: the unfilled remainder of an IOC or FOK order, a post-only order that
    would have taken liquidity.
    """


@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class OrderFilled(OrderEvent):
    """The order executed (partly); ``fill`` carries the execution.

    Raises:
        InvalidValue: if the fill belongs to another order than ``client_order_id``.
    """

    fill: Fill

    def __init__(self, *, client_order_id: ClientOrderId, ts_ms: int, fill: Fill) -> None:
        OrderEvent.__init__(self, client_order_id=client_order_id, ts_ms=ts_ms)
        object.__setattr__(self, "fill", fill)
        if self.fill.client_order_id != self.client_order_id:
            raise InvalidValue(
                f"OrderFilled for order {self.client_order_id} carries fill "
                f"{self.fill.trade_id} of order {self.fill.client_order_id}"
            )
