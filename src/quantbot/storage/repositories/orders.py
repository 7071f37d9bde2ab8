"""Orders and their full state history, written before anything is sent to a venue.

The repository records what it is told; whether a transition is legal is decided
by the order state machine in ``quantbot.core`` before it gets here. States, sides
and order types are stored as the domain enums' string values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from quantbot.storage.errors import DuplicateRecord, RecordNotFound
from quantbot.storage.models import Order, OrderTransition
from quantbot.storage.repositories._dialect_insert import insert_on_conflict

__all__ = ["CREATED_EVENT", "OrderRecord", "OrderRepository", "OrderTransitionRecord"]

_ORDERS = Order.__table__
_TRANSITIONS = OrderTransition.__table__

CREATED_EVENT = "CREATED"
"""The event of the transition row that records an order's creation."""


@dataclass(frozen=True, slots=True)
class OrderTransitionRecord:
    """One recorded state change; ``from_state`` is ``None`` for the creation."""

    ts_ms: int
    from_state: str | None
    to_state: str
    event: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order as stored, with its transitions oldest first."""

    id: int
    client_order_id: str
    venue_order_id: str | None
    exchange: str
    strategy: str
    symbol: str
    side: str
    order_type: str
    time_in_force: str
    reduce_only: bool
    qty: float
    price: float | None
    stop_price: float | None
    state: str
    filled_qty: float
    avg_fill_price: float | None
    created_ts_ms: int
    updated_ts_ms: int
    transitions: tuple[OrderTransitionRecord, ...]


class OrderRepository:
    """Write and read the ``orders`` and ``order_transitions`` tables; the caller commits.

    Every change of state writes a transition row in the same transaction as the
    order row, so the history and the current state cannot disagree.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def insert(
        self,
        *,
        client_order_id: str,
        exchange: str,
        strategy: str,
        symbol: str,
        side: str,
        order_type: str,
        qty: float,
        state: str,
        ts_ms: int,
        time_in_force: str = "GTC",
        reduce_only: bool = False,
        price: float | None = None,
        stop_price: float | None = None,
        venue_order_id: str | None = None,
        reason: str | None = None,
    ) -> int:
        """Store a new order with its creation transition and return the order's row id.

        Args:
            client_order_id: quantbot's id of the order, unique.
            exchange: the venue, e.g. ``binance``.
            strategy: the strategy that placed it.
            symbol: the instrument, e.g. ``BTC/USDT``.
            side: the domain's side value.
            order_type: the domain's order type value.
            qty: ordered quantity in base units, > 0.
            state: the initial state (usually the state machine's first one).
            ts_ms: creation time (engine clock).
            time_in_force: the domain's time-in-force value.
            reduce_only: may only reduce a position.
            price: limit price, for limit orders.
            stop_price: trigger price, for stop orders.
            venue_order_id: the venue's id, when already known.
            reason: why the order exists, kept on the creation transition.

        Raises:
            DuplicateRecord: an order with this ``client_order_id`` exists already;
                nothing was written and the transaction remains usable.
        """
        statement = (
            insert_on_conflict(self._session, Order)
            .values(
                client_order_id=client_order_id,
                venue_order_id=venue_order_id,
                exchange=exchange,
                strategy=strategy,
                symbol=symbol,
                side=side,
                order_type=order_type,
                time_in_force=time_in_force,
                reduce_only=reduce_only,
                qty=qty,
                price=price,
                stop_price=stop_price,
                state=state,
                filled_qty=0.0,
                avg_fill_price=None,
                created_ts_ms=ts_ms,
                updated_ts_ms=ts_ms,
            )
            .on_conflict_do_nothing(index_elements=[Order.client_order_id])
            .returning(Order.id)
        )
        order_id = self._session.execute(statement).scalar_one_or_none()
        if order_id is None:
            raise DuplicateRecord("orders", f"client_order_id={client_order_id}")
        self._insert_transition(
            order_id,
            ts_ms=ts_ms,
            from_state=None,
            to_state=state,
            event=CREATED_EVENT,
            reason=reason,
        )
        return order_id

    def record_transition(
        self,
        client_order_id: str,
        *,
        ts_ms: int,
        to_state: str,
        event: str,
        reason: str | None = None,
        filled_qty: float | None = None,
        avg_fill_price: float | None = None,
        venue_order_id: str | None = None,
    ) -> None:
        """Move a stored order to ``to_state`` and keep the transition.

        The order row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL) so that two
        writers cannot both read the same ``from_state``.

        Args:
            client_order_id: the order.
            ts_ms: when the transition happened (engine clock).
            to_state: the new state.
            event: what caused it, e.g. ``ORDER_FILLED``.
            reason: details, e.g. the venue's rejection message.
            filled_qty: the new cumulative filled quantity, when it changed.
            avg_fill_price: the new average fill price, when it changed.
            venue_order_id: the venue's id, when it arrives with this event.

        Raises:
            RecordNotFound: there is no order with this ``client_order_id``.
        """
        query = (
            select(Order.id, Order.state)
            .where(Order.client_order_id == client_order_id)
            .with_for_update()
        )
        current = self._session.execute(query).one_or_none()
        if current is None:
            raise RecordNotFound("orders", f"client_order_id={client_order_id}")
        order_id, from_state = current
        changes: dict[str, Any] = {"state": to_state, "updated_ts_ms": ts_ms}
        optional = {
            "filled_qty": filled_qty,
            "avg_fill_price": avg_fill_price,
            "venue_order_id": venue_order_id,
        }
        changes.update({name: value for name, value in optional.items() if value is not None})
        self._session.execute(update(Order).where(Order.id == order_id).values(**changes))
        self._insert_transition(
            order_id,
            ts_ms=ts_ms,
            from_state=from_state,
            to_state=to_state,
            event=event,
            reason=reason,
        )

    def load(self, client_order_id: str) -> OrderRecord | None:
        """Return the order with its transitions, ``None`` if there is no such order."""
        row = (
            self._session.execute(
                select(_ORDERS).where(_ORDERS.c.client_order_id == client_order_id)
            )
            .mappings()
            .one_or_none()
        )
        if row is None:
            return None
        transitions = self._session.execute(
            select(
                _TRANSITIONS.c.ts_ms,
                _TRANSITIONS.c.from_state,
                _TRANSITIONS.c.to_state,
                _TRANSITIONS.c.event,
                _TRANSITIONS.c.reason,
            )
            .where(_TRANSITIONS.c.order_id == row["id"])
            .order_by(_TRANSITIONS.c.id)
        ).mappings()
        return OrderRecord(
            **row, transitions=tuple(OrderTransitionRecord(**step) for step in transitions)
        )

    def _insert_transition(
        self,
        order_id: int,
        *,
        ts_ms: int,
        from_state: str | None,
        to_state: str,
        event: str,
        reason: str | None,
    ) -> None:
        self._session.execute(
            insert(OrderTransition).values(
                order_id=order_id,
                ts_ms=ts_ms,
                from_state=from_state,
                to_state=to_state,
                event=event,
                reason=reason,
            )
        )
