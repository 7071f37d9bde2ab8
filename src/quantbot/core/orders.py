"""The order and its lifecycle state machine.

:data:`TRANSITIONS` is the only source of legal moves between :class:`OrderState`
values; :meth:`Order.apply` is the only way an order changes. Anything else raises
:class:`~quantbot.core.errors.InvalidTransition`, because an order whose true state
we have to guess is worse than a crash followed by reconciliation.

Venues do not deliver messages in the order a textbook lifecycle suggests: the REST
response to a placement and the stream's execution reports travel on different
connections. Those races are legal moves, each listed in :data:`RACES` with its
reason. Messages that arrive too late to matter (a second acknowledgement, a fill with
a trade id already booked, a cancel rejection after the order ended) are listed in
:data:`IGNORED` and leave the order untouched.

Two facts besides the state decide a few moves, and :meth:`Order.apply` checks them on
top of the table: a rejection or failure is only possible while the venue has shown no
sign of knowing the order (no acknowledgement, no fill), and a cancel rejection is only
possible while a cancel is pending.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from quantbot.core.enums import OrderType, Side, TimeInForce
from quantbot.core.errors import AccountingError, InvalidTransition, InvalidValue
from quantbot.core.events import event_name
from quantbot.core.fills import Fill
from quantbot.core.ids import ClientOrderId, StrategyId, TradeId, VenueOrderId
from quantbot.core.order_events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderCancelRequested,
    OrderEvent,
    OrderExpired,
    OrderFailed,
    OrderFilled,
    OrderRejected,
)

__all__ = [
    "DUPLICATE_FILL_REASON",
    "IGNORED",
    "QTY_REL_TOL",
    "RACES",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "IgnoredEvent",
    "Order",
    "OrderState",
    "Transition",
    "check_rejection_reason",
    "rejected_by_check",
]


class OrderState(StrEnum):
    """Where an order is in its lifecycle."""

    PENDING = "pending"
    """Created and (being) sent; the venue has not acknowledged it."""
    NEW = "new"
    """Acknowledged by the venue, nothing filled yet."""
    PARTIALLY_FILLED = "partially_filled"
    PENDING_CANCEL = "pending_cancel"
    """Cancel sent, not yet confirmed: a fill may still arrive."""
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    FAILED = "failed"
    """Never acknowledged after the retries. The venue may still hold the order, which
    is reconciliation's job to find out; a later acknowledgement or fill raises."""


_S = OrderState

TRANSITIONS: Mapping[OrderState, frozenset[OrderState]] = MappingProxyType(
    {
        _S.PENDING: frozenset(
            {
                _S.NEW,
                _S.PARTIALLY_FILLED,
                _S.FILLED,
                _S.PENDING_CANCEL,
                _S.CANCELED,
                _S.EXPIRED,
                _S.REJECTED,
                _S.FAILED,
            }
        ),
        _S.NEW: frozenset(
            {_S.PARTIALLY_FILLED, _S.FILLED, _S.PENDING_CANCEL, _S.CANCELED, _S.EXPIRED}
        ),
        _S.PARTIALLY_FILLED: frozenset(
            {_S.PARTIALLY_FILLED, _S.FILLED, _S.PENDING_CANCEL, _S.CANCELED, _S.EXPIRED}
        ),
        _S.PENDING_CANCEL: frozenset(
            {
                _S.PENDING_CANCEL,
                _S.PENDING,
                _S.NEW,
                _S.PARTIALLY_FILLED,
                _S.FILLED,
                _S.CANCELED,
                _S.EXPIRED,
                _S.REJECTED,
                _S.FAILED,
            }
        ),
        _S.FILLED: frozenset(),
        _S.CANCELED: frozenset(),
        _S.REJECTED: frozenset(),
        _S.EXPIRED: frozenset(),
        _S.FAILED: frozenset(),
    }
)
"""Every legal move; a state mapping to the empty set is terminal."""

TERMINAL_STATES: frozenset[OrderState] = frozenset(s for s, to in TRANSITIONS.items() if not to)

RACES: Mapping[tuple[OrderState, OrderState], str] = MappingProxyType(
    {
        (_S.PENDING, _S.PARTIALLY_FILLED): (
            "fill before the acknowledgement: the stream's trade beat the REST response"
        ),
        (_S.PENDING, _S.FILLED): (
            "fill before the acknowledgement: the stream's trade beat the REST response"
        ),
        (_S.PENDING, _S.PENDING_CANCEL): "cancel requested before the acknowledgement arrived",
        (_S.PENDING, _S.CANCELED): (
            "the venue canceled the order before its acknowledgement reached us"
        ),
        (_S.PENDING, _S.EXPIRED): (
            "an IOC, FOK or post-only order ended at once, before its acknowledgement reached us"
        ),
        (_S.PENDING_CANCEL, _S.PENDING_CANCEL): (
            "fill or acknowledgement while the cancel is in flight: the venue had not "
            "processed the cancel yet; the fill counts"
        ),
        (_S.PENDING_CANCEL, _S.FILLED): "the last fill beat the cancel request; the fill counts",
        (_S.PENDING_CANCEL, _S.NEW): "cancel rejected: the order rests again, unfilled",
        (_S.PENDING_CANCEL, _S.PARTIALLY_FILLED): (
            "cancel rejected: the order rests again with its partial fills"
        ),
        (_S.PENDING_CANCEL, _S.PENDING): (
            "cancel rejected before the acknowledgement: the venue does not know the order yet"
        ),
        (_S.PENDING_CANCEL, _S.REJECTED): (
            "cancel requested before the acknowledgement, then the venue rejected the order"
        ),
        (_S.PENDING_CANCEL, _S.FAILED): (
            "cancel requested before the acknowledgement, which never came after the retries"
        ),
        (_S.PENDING_CANCEL, _S.EXPIRED): "the order expired while the cancel was in flight",
    }
)
"""Moves that only happen because venue messages race each other, with the reason."""

_LATE_ACK = "late acknowledgement: a fill or an earlier acknowledgement already showed it"
_CANCEL_TOO_LATE = "cancel rejected because the order had already ended"

IGNORED: Mapping[tuple[OrderState, type[OrderEvent]], str] = MappingProxyType(
    {
        (_S.NEW, OrderAccepted): (
            "duplicate acknowledgement: the REST response and the stream both report it"
        ),
        (_S.PARTIALLY_FILLED, OrderAccepted): _LATE_ACK,
        (_S.FILLED, OrderAccepted): _LATE_ACK,
        (_S.CANCELED, OrderAccepted): "late acknowledgement of an order that already ended",
        (_S.EXPIRED, OrderAccepted): "late acknowledgement of an order that already ended",
        (_S.PENDING_CANCEL, OrderCancelRequested): (
            "cancel requested again while the first request is in flight"
        ),
        (_S.FILLED, OrderCancelRejected): "cancel rejected because the order had already filled",
        (_S.CANCELED, OrderCancelRejected): _CANCEL_TOO_LATE,
        (_S.EXPIRED, OrderCancelRejected): _CANCEL_TOO_LATE,
        (_S.REJECTED, OrderCancelRejected): _CANCEL_TOO_LATE,
        (_S.FAILED, OrderCancelRejected): _CANCEL_TOO_LATE,
        (_S.CANCELED, OrderCanceled): "duplicate cancel confirmation",
        (_S.EXPIRED, OrderExpired): "duplicate expiry",
        (_S.REJECTED, OrderRejected): "duplicate rejection",
    }
)
"""Stale events that change nothing (an ignored acknowledgement still supplies a venue
order id the order lacked), with the reason they are harmless."""

DUPLICATE_FILL_REASON = (
    "duplicate fill: this trade id is already booked (the REST response and the stream "
    "both report it)"
)
"""Why a fill whose trade id the order has seen is ignored, in any state."""

_FIXED_TARGETS: Mapping[type[OrderEvent], OrderState] = MappingProxyType(
    {
        OrderRejected: _S.REJECTED,
        OrderFailed: _S.FAILED,
        OrderCancelRequested: _S.PENDING_CANCEL,
        OrderCanceled: _S.CANCELED,
        OrderExpired: _S.EXPIRED,
    }
)
"""Events whose target does not depend on the order's state or fills."""

QTY_REL_TOL = 1e-9
"""Relative tolerance on fill quantities: partial fills summing to the order quantity
in float64 may miss it by a few ulps, which must neither leave a dust remainder open
nor count as an overfill."""


@dataclass(frozen=True, slots=True, init=False)
class Transition:
    """One applied event, as the database keeps it.

    Attributes:
        ts_ms: The event's timestamp.
        from_state: State before the event.
        to_state: State after it; equal to ``from_state`` for a further partial fill.
        event: The event's UPPER_SNAKE name, e.g. ``ORDER_FILLED``.
        reason: The event's own reason (rejection, failure, cancel rejection), else the
            race the move resolves (see :data:`RACES`), else empty.
    """

    ts_ms: int
    from_state: OrderState
    to_state: OrderState
    event: str
    reason: str = ""

    def __init__(
        self, ts_ms: int, from_state: OrderState, to_state: OrderState, event: str, reason: str = ""
    ) -> None:
        # Written out: mypyc compiles it; a generated one would stay interpreted.
        object.__setattr__(self, "ts_ms", ts_ms)
        object.__setattr__(self, "from_state", from_state)
        object.__setattr__(self, "to_state", to_state)
        object.__setattr__(self, "event", event)
        object.__setattr__(self, "reason", reason)


@dataclass(frozen=True, slots=True)
class IgnoredEvent:
    """A stale event :meth:`Order.apply` left without effect, and why (worth a log line)."""

    ts_ms: int
    state: OrderState
    event: str
    reason: str


class Order:
    """One order and everything the venue has told us about it.

    The order's terms are read-only attributes; its lifecycle (state, fills, fees,
    history) changes only through :meth:`apply`.

    Attributes:
        client_order_id: Our id, sent to the venue.
        strategy_id: The strategy that placed it.
        symbol: ccxt unified symbol.
        side: Buy or sell.
        order_type: Market, limit, stop or stop-limit.
        qty: Ordered quantity (base units for spot, contracts for perpetuals).
        price: Limit price, for limit and stop-limit orders.
        stop_price: Trigger price, for stop and stop-limit orders.
        time_in_force: GTC, IOC, FOK or post-only (limit orders only).
        reduce_only: Whether the order may only shrink a position.
        ts_ms: When the order was created, epoch milliseconds.
    """

    __slots__ = (
        "_acknowledged",
        "_avg_fill_price",
        "_fees",
        "_filled_qty",
        "_history",
        "_state",
        "_trade_ids",
        "_venue_order_id",
        "client_order_id",
        "order_type",
        "price",
        "qty",
        "reduce_only",
        "side",
        "stop_price",
        "strategy_id",
        "symbol",
        "time_in_force",
        "ts_ms",
    )

    def __init__(
        self,
        *,
        client_order_id: ClientOrderId,
        strategy_id: StrategyId,
        symbol: str,
        side: Side,
        order_type: OrderType,
        qty: float,
        ts_ms: int,
        price: float | None = None,
        stop_price: float | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
    ) -> None:
        """Create an order in state PENDING.

        Raises:
            InvalidValue: if the quantity is not positive, the prices do not fit the
                order type (limit needs ``price``, stop needs ``stop_price``, stop-limit
                both, market neither; every given price > 0), or post-only is asked for
                anything but a limit order.
        """
        _check_terms(
            client_order_id,
            order_type=order_type,
            qty=qty,
            price=price,
            stop_price=stop_price,
            time_in_force=time_in_force,
        )
        self.client_order_id: Final = client_order_id
        self.strategy_id: Final = strategy_id
        self.symbol: Final = symbol
        self.side: Final = side
        self.order_type: Final = order_type
        self.qty: Final = qty
        self.price: Final = price
        self.stop_price: Final = stop_price
        self.time_in_force: Final = time_in_force
        self.reduce_only: Final = reduce_only
        self.ts_ms: Final = ts_ms
        self._state = OrderState.PENDING
        self._acknowledged = False
        self._venue_order_id: VenueOrderId | None = None
        self._filled_qty = 0.0
        self._avg_fill_price: float | None = None
        self._fees: dict[str, float] = {}
        self._trade_ids: set[TradeId] = set()
        self._history: list[Transition] = []

    def __repr__(self) -> str:
        return (
            f"Order({self.client_order_id} {self.side} {self.qty} {self.symbol} "
            f"{self.order_type} {self._state}, filled {self._filled_qty})"
        )

    @property
    def state(self) -> OrderState:
        """The current lifecycle state."""
        return self._state

    @property
    def venue_order_id(self) -> VenueOrderId | None:
        """The venue's id, once an acknowledgement or a fill has carried it."""
        return self._venue_order_id

    @property
    def is_acknowledged(self) -> bool:
        """Whether the venue has shown it holds the order (acknowledged or filled it)."""
        return self._acknowledged

    @property
    def filled_qty(self) -> float:
        """Quantity executed so far."""
        return self._filled_qty

    @property
    def remaining_qty(self) -> float:
        """Quantity not executed yet (the part a cancel would remove)."""
        return max(self.qty - self._filled_qty, 0.0)

    @property
    def avg_fill_price(self) -> float | None:
        """Quantity-weighted average execution price; ``None`` before the first fill."""
        return self._avg_fill_price

    @property
    def fees(self) -> Mapping[str, float]:
        """Fees paid per currency (negative for net rebates), read-only."""
        return MappingProxyType(self._fees)

    @property
    def trade_ids(self) -> frozenset[TradeId]:
        """Trade ids of the fills booked, to recognise repeated fill messages."""
        return frozenset(self._trade_ids)

    @property
    def history(self) -> tuple[Transition, ...]:
        """Every applied event, oldest first."""
        return tuple(self._history)

    @property
    def is_terminal(self) -> bool:
        """Whether the order has ended; nothing but stale events can arrive any more."""
        return self._state in TERMINAL_STATES

    @property
    def is_open(self) -> bool:
        """Whether the order may still fill (including while pending or cancel-pending)."""
        return self._state not in TERMINAL_STATES

    def apply(self, event: OrderEvent) -> Transition | IgnoredEvent:
        """Apply one event: move the state, book a fill, record the transition.

        Either the whole event is applied or, when it raises, nothing changes.

        Returns:
            The :class:`Transition` recorded in :attr:`history`, or an
            :class:`IgnoredEvent` for a stale event (see :data:`IGNORED` and
            :data:`DUPLICATE_FILL_REASON`).

        Raises:
            InvalidValue: if the event is addressed to another order, or names a venue
                order id that contradicts the one already known.
            InvalidTransition: if the move is not legal from the current state.
            AccountingError: if a fill is for another symbol, side or strategy, or
                exceeds the remaining quantity.
        """
        if event.client_order_id != self.client_order_id:
            raise InvalidValue(
                f"{event_name(event)} for order {event.client_order_id} applied to order "
                f"{self.client_order_id}"
            )
        name = event_name(event)
        venue_order_id = _venue_order_id_of(event)
        if venue_order_id is not None:
            self._check_venue_order_id(venue_order_id)
        if isinstance(event, OrderFilled) and event.fill.trade_id in self._trade_ids:
            return IgnoredEvent(event.ts_ms, self._state, name, DUPLICATE_FILL_REASON)
        stale = IGNORED.get((self._state, type(event)))
        if stale is not None:
            self._venue_order_id = self._venue_order_id or venue_order_id
            return IgnoredEvent(event.ts_ms, self._state, name, stale)

        target = self._target(event)
        if not self._is_legal(event, target):
            raise InvalidTransition(self.client_order_id, self._state, target, name)
        if isinstance(event, OrderFilled):
            self._check_fill(event.fill)
            self._book_fill(event.fill, target)
        self._venue_order_id = self._venue_order_id or venue_order_id
        self._acknowledged = self._acknowledged or isinstance(event, _ACKNOWLEDGING)
        if isinstance(event, _WITH_REASON):
            reason = event.reason
        else:
            reason = RACES.get((self._state, target), "")
        transition = Transition(event.ts_ms, self._state, target, name, reason)
        self._history.append(transition)
        self._state = target
        return transition

    def _target(self, event: OrderEvent) -> OrderState:
        """The state ``event`` would move the order to, before checking it is legal."""
        pending_cancel = self._state is OrderState.PENDING_CANCEL
        if isinstance(event, OrderAccepted):
            return OrderState.PENDING_CANCEL if pending_cancel else OrderState.NEW
        if isinstance(event, OrderFilled):
            if self._filled_qty + event.fill.qty >= self.qty * (1 - QTY_REL_TOL):
                return OrderState.FILLED
            return OrderState.PENDING_CANCEL if pending_cancel else OrderState.PARTIALLY_FILLED
        if isinstance(event, OrderCancelRejected):
            # Back to where the order stood before the cancel request, updated by
            # whatever arrived meanwhile.
            if self._filled_qty > 0:
                return OrderState.PARTIALLY_FILLED
            return OrderState.NEW if self._acknowledged else OrderState.PENDING
        return _FIXED_TARGETS[type(event)]

    def _is_legal(self, event: OrderEvent, target: OrderState) -> bool:
        """Whether the table allows the move and the order's facts allow the event."""
        if target not in TRANSITIONS[self._state]:
            return False
        if isinstance(event, OrderCancelRejected):
            return self._state is OrderState.PENDING_CANCEL
        if isinstance(event, _REFUSALS):
            # Once the venue acknowledged or filled the order it exists there; calling
            # it rejected or failed would lose track of a live order.
            return not self._acknowledged
        return True

    def _check_venue_order_id(self, venue_order_id: VenueOrderId) -> None:
        if self._venue_order_id is not None and venue_order_id != self._venue_order_id:
            raise InvalidValue(
                f"order {self.client_order_id}: venue order id {venue_order_id} contradicts "
                f"the known {self._venue_order_id}"
            )

    def _check_fill(self, fill: Fill) -> None:
        if (
            self.symbol == fill.symbol
            and self.side == fill.side
            and self.strategy_id == fill.strategy_id
            and not self._filled_qty + fill.qty > self.qty * (1 + QTY_REL_TOL)
        ):
            return  # every fill of a backtest: the messages below are built only when needed
        where = f"order {self.client_order_id}: fill {fill.trade_id}"
        for field, ours, theirs in (
            ("symbol", self.symbol, fill.symbol),
            ("side", self.side, fill.side),
            ("strategy", self.strategy_id, fill.strategy_id),
        ):
            if ours != theirs:
                raise AccountingError(f"{where} has {field} {theirs}, the order {ours}")
        raise AccountingError(
            f"{where} qty {fill.qty} exceeds the remaining {self.remaining_qty} of {self.qty}"
        )

    def _book_fill(self, fill: Fill, target: OrderState) -> None:
        filled = self._filled_qty + fill.qty
        previous_cost = (self._avg_fill_price or 0.0) * self._filled_qty
        self._avg_fill_price = (previous_cost + fill.price * fill.qty) / filled
        # Snap a completed order to its exact quantity so no ulp-sized remainder stays.
        self._filled_qty = self.qty if target is OrderState.FILLED else filled
        self._fees[fill.fee_currency] = self._fees.get(fill.fee_currency, 0.0) + fill.fee
        self._trade_ids.add(fill.trade_id)


_ACKNOWLEDGING = (OrderAccepted, OrderFilled)
"""Events that show the venue holds the order."""
_REFUSALS = (OrderRejected, OrderFailed)
_WITH_REASON = (OrderRejected, OrderFailed, OrderCancelRejected)


def _venue_order_id_of(event: OrderEvent) -> VenueOrderId | None:
    if isinstance(event, OrderAccepted):
        return event.venue_order_id
    if isinstance(event, OrderFilled):
        return event.fill.venue_order_id
    return None


def _check_terms(
    client_order_id: ClientOrderId,
    *,
    order_type: OrderType,
    qty: float,
    price: float | None,
    stop_price: float | None,
    time_in_force: TimeInForce,
) -> None:
    """Raise :class:`InvalidValue` unless the order's terms fit together."""
    problem = _terms_problem(order_type, qty, price, stop_price, time_in_force)
    if problem is not None:
        raise InvalidValue(f"order {client_order_id}: {problem}")


def _terms_problem(
    order_type: OrderType,
    qty: float,
    price: float | None,
    stop_price: float | None,
    time_in_force: TimeInForce,
) -> str | None:
    """What is wrong with the order's terms; None, and no message built, when nothing is."""
    if not (math.isfinite(qty) and qty > 0):
        return f"qty {qty}, must be > 0"
    needs_price = order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
    needs_stop = order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
    for name, value, needed in (
        ("price", price, needs_price),
        ("stop_price", stop_price, needs_stop),
    ):
        if needed and value is None:
            return f"a {order_type} order needs a {name}"
        if not needed and value is not None:
            return f"a {order_type} order takes no {name}, got {value}"
        if value is not None and not (math.isfinite(value) and value > 0):
            return f"{name} {value}, must be > 0"
    if time_in_force is TimeInForce.POST_ONLY and order_type is not OrderType.LIMIT:
        return f"post_only applies to limit orders only, not {order_type}"
    return None


_CHECK_REFUSAL = "refused by "


def check_rejection_reason(check: str, reason: str) -> str:
    """The reason an order refused by pre-trade check ``check`` is rejected with.

    ``refused by <check>: <reason>``: the check's name leads, so that a strategy can tell
    a rule that holds trading back for a while (a circuit breaker) from one that refuses
    the order for good, without reading the reason's wording (:func:`rejected_by_check`).
    """
    return f"{_CHECK_REFUSAL}{check}: {reason}"


def rejected_by_check(order: Order) -> str | None:
    """The name of the pre-trade check that refused ``order``; None if none did.

    None as well for an order rejected by a venue, whose reason is the exchange's.
    """
    if order.state is not OrderState.REJECTED or not order._history:
        return None
    reason = order._history[-1].reason
    if not reason.startswith(_CHECK_REFUSAL):
        return None
    check, separator, _ = reason[len(_CHECK_REFUSAL) :].partition(": ")
    return check if separator else None
