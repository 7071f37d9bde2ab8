"""The order state machine: every state x event, the venue races, stale events, random
sequences, and the order's own bookkeeping."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import (
    DUPLICATE_FILL_REASON,
    IGNORED,
    RACES,
    TERMINAL_STATES,
    TRANSITIONS,
    AccountingError,
    ClientOrderId,
    IgnoredEvent,
    InvalidTransition,
    InvalidValue,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderCancelRequested,
    OrderEvent,
    OrderExpired,
    OrderFailed,
    OrderFilled,
    OrderRejected,
    OrderState,
    OrderType,
    Side,
    StrategyId,
    TimeInForce,
    Transition,
    VenueOrderId,
    check_rejection_reason,
    rejected_by_check,
)

from factories import ORDER_ID, make_fill, make_order

S = OrderState
VENUE_ID = VenueOrderId("V-1")


def ack(ts_ms: int = 10) -> OrderAccepted:
    return OrderAccepted(client_order_id=ORDER_ID, ts_ms=ts_ms, venue_order_id=VENUE_ID)


def filled(trade_id: str, qty: float, price: float = 100.0, **fill: Any) -> OrderFilled:
    return OrderFilled(
        client_order_id=ORDER_ID,
        ts_ms=20,
        fill=make_fill(trade_id=trade_id, qty=qty, price=price, **fill),
    )


def cancel_requested() -> OrderCancelRequested:
    return OrderCancelRequested(client_order_id=ORDER_ID, ts_ms=30)


def cancel_rejected() -> OrderCancelRejected:
    return OrderCancelRejected(client_order_id=ORDER_ID, ts_ms=40, reason="unknown order")


def canceled() -> OrderCanceled:
    return OrderCanceled(client_order_id=ORDER_ID, ts_ms=50)


def expired() -> OrderExpired:
    return OrderExpired(client_order_id=ORDER_ID, ts_ms=50)


def rejected() -> OrderRejected:
    return OrderRejected(client_order_id=ORDER_ID, ts_ms=10, reason="insufficient balance")


def failed() -> OrderFailed:
    return OrderFailed(client_order_id=ORDER_ID, ts_ms=10, reason="no ack after 3 retries")


@dataclass(frozen=True)
class Snapshot:
    state: OrderState
    filled_qty: float
    avg_fill_price: float | None
    fees: dict[str, float]
    trade_ids: frozenset[str]
    history: tuple[Transition, ...]


def snapshot(order: Order) -> Snapshot:
    return Snapshot(
        order.state,
        order.filled_qty,
        order.avg_fill_price,
        dict(order.fees),
        frozenset(order.trade_ids),
        order.history,
    )


# --- every state x event -------------------------------------------------------------

# The order quantity is 1.0; "seen" is the trade id of the 0.5 fill on the way to the
# partially filled variants.
VARIANT_PATHS: dict[str, list[Callable[[], OrderEvent]]] = {
    "PENDING": [],
    "NEW": [ack],
    "PARTIALLY_FILLED": [ack, lambda: filled("seen", 0.5)],
    "FILLED": [ack, lambda: filled("seen", 1.0)],
    "PENDING_CANCEL": [ack, cancel_requested],
    "PENDING_CANCEL_UNACKED": [cancel_requested],
    "PENDING_CANCEL_PARTIAL": [ack, lambda: filled("seen", 0.5), cancel_requested],
    "CANCELED": [ack, canceled],
    "REJECTED": [rejected],
    "EXPIRED": [ack, expired],
    "FAILED": [failed],
}

EVENTS: dict[str, Callable[[Order], OrderEvent]] = {
    "ACK": lambda order: ack(ts_ms=60),
    "REJECT": lambda order: rejected(),
    "FAIL": lambda order: failed(),
    "CANCEL_REQ": lambda order: cancel_requested(),
    "CANCEL_REJ": lambda order: cancel_rejected(),
    "CANCELED": lambda order: canceled(),
    "EXPIRED": lambda order: expired(),
    "FILL_PART": lambda order: filled("new", 0.25),
    "FILL_REST": lambda order: filled("new", order.remaining_qty or 0.25),
    "FILL_DUP": lambda order: filled("seen", 0.25),
}

# Expected outcome of each event in each variant: a state name (the order moves there),
# "ignore" (a documented stale event: nothing changes), "raise" (InvalidTransition) or
# "-" (not applicable: no fill was seen, so there is nothing to duplicate).
EXPECTED = """
variant                 ACK             REJECT    FAIL    CANCEL_REQ      CANCEL_REJ        CANCELED  EXPIRED  FILL_PART         FILL_REST  FILL_DUP
PENDING                 NEW             REJECTED  FAILED  PENDING_CANCEL  raise             CANCELED  EXPIRED  PARTIALLY_FILLED  FILLED     -
NEW                     ignore          raise     raise   PENDING_CANCEL  raise             CANCELED  EXPIRED  PARTIALLY_FILLED  FILLED     -
PARTIALLY_FILLED        ignore          raise     raise   PENDING_CANCEL  raise             CANCELED  EXPIRED  PARTIALLY_FILLED  FILLED     ignore
FILLED                  ignore          raise     raise   raise           ignore            raise     raise    raise             raise      ignore
PENDING_CANCEL          PENDING_CANCEL  raise     raise   ignore          NEW               CANCELED  EXPIRED  PENDING_CANCEL    FILLED     -
PENDING_CANCEL_UNACKED  PENDING_CANCEL  REJECTED  FAILED  ignore          PENDING           CANCELED  EXPIRED  PENDING_CANCEL    FILLED     -
PENDING_CANCEL_PARTIAL  PENDING_CANCEL  raise     raise   ignore          PARTIALLY_FILLED  CANCELED  EXPIRED  PENDING_CANCEL    FILLED     ignore
CANCELED                ignore          raise     raise   raise           ignore            ignore    raise    raise             raise      -
REJECTED                raise           ignore    raise   raise           ignore            raise     raise    raise             raise      -
EXPIRED                 ignore          raise     raise   raise           ignore            raise     ignore   raise             raise      -
FAILED                  raise           raise     raise   raise           ignore            raise     raise    raise             raise      -
"""


def _expected_cells() -> list[tuple[str, str, str]]:
    header, *rows = [line.split() for line in EXPECTED.strip().splitlines()]
    cells = [
        (row[0], event, outcome)
        for row in rows
        for event, outcome in zip(header[1:], row[1:], strict=True)
    ]
    return [cell for cell in cells if cell[2] != "-"]


CELLS = _expected_cells()


def order_in(variant: str) -> Order:
    order = make_order(qty=1.0)
    for event in VARIANT_PATHS[variant]:
        order.apply(event())
    return order


def test_expected_table_covers_every_variant_and_event() -> None:
    assert {variant for variant, _, _ in CELLS} == set(VARIANT_PATHS)
    assert {event for _, event, _ in CELLS} == set(EVENTS)


@pytest.mark.parametrize("variant", VARIANT_PATHS)
def test_variant_paths_reach_their_state(variant: str) -> None:
    assert (
        order_in(variant).state
        == OrderState[variant.removesuffix("_UNACKED").removesuffix("_PARTIAL")]
    )


@pytest.mark.parametrize(("variant", "event_kind", "outcome"), CELLS)
def test_every_state_and_event(variant: str, event_kind: str, outcome: str) -> None:
    order = order_in(variant)
    before = snapshot(order)
    event = EVENTS[event_kind](order)
    if outcome == "raise":
        with pytest.raises(InvalidTransition) as raised:
            order.apply(event)
        assert raised.value.from_state == before.state
        assert snapshot(order) == before
    elif outcome == "ignore":
        result = order.apply(event)
        assert isinstance(result, IgnoredEvent)
        assert result.reason in (IGNORED.get((before.state, type(event))), DUPLICATE_FILL_REASON)
        assert snapshot(order) == before
    else:
        result = order.apply(event)
        assert isinstance(result, Transition)
        assert (result.from_state, result.to_state) == (before.state, OrderState[outcome])
        assert result.to_state in TRANSITIONS[before.state]
        assert order.state == OrderState[outcome]
        assert order.history == (*before.history, result)


def test_transition_table_has_no_move_that_no_event_makes() -> None:
    made = {
        (order_in(variant).state, OrderState[outcome])
        for variant, _, outcome in CELLS
        if outcome not in ("raise", "ignore")
    }
    table = {(source, target) for source, targets in TRANSITIONS.items() for target in targets}
    assert made == table


def test_ignored_table_lists_exactly_the_stale_events() -> None:
    kinds = {
        "ACK": OrderAccepted,
        "REJECT": OrderRejected,
        "FAIL": OrderFailed,
        "CANCEL_REQ": OrderCancelRequested,
        "CANCEL_REJ": OrderCancelRejected,
        "CANCELED": OrderCanceled,
        "EXPIRED": OrderExpired,
    }
    ignored = {
        (order_in(variant).state, kinds[event])
        for variant, event, outcome in CELLS
        if outcome == "ignore" and event in kinds
    }
    assert ignored == set(IGNORED)
    assert all(reason for reason in IGNORED.values())


def test_terminal_states_have_no_way_out() -> None:
    assert {S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED, S.FAILED} == TERMINAL_STATES
    assert all(TRANSITIONS[state] == frozenset() for state in TERMINAL_STATES)
    assert set(TRANSITIONS) == set(OrderState)


def test_every_race_is_a_legal_transition_with_a_reason() -> None:
    for (source, target), reason in RACES.items():
        assert target in TRANSITIONS[source]
        assert reason


# --- the venue races, by name ----------------------------------------------------------


def test_fill_before_ack_moves_pending_to_partially_filled() -> None:
    order = make_order(qty=1.0)
    result = order.apply(filled("t1", 0.4, venue_order_id="V-1"))
    assert order.state is S.PARTIALLY_FILLED
    assert isinstance(result, Transition)
    assert result.reason == RACES[(S.PENDING, S.PARTIALLY_FILLED)]
    assert order.venue_order_id == "V-1"
    assert order.is_acknowledged


def test_fill_before_ack_can_complete_the_order() -> None:
    order = make_order(qty=1.0)
    order.apply(filled("t1", 1.0))
    assert order.state is S.FILLED


def test_late_ack_after_fill_is_ignored_but_supplies_the_venue_order_id() -> None:
    order = make_order(qty=1.0)
    order.apply(filled("t1", 1.0))
    result = order.apply(ack())
    assert isinstance(result, IgnoredEvent)
    assert order.state is S.FILLED
    assert order.venue_order_id == VENUE_ID
    assert len(order.history) == 1


def test_fill_after_cancel_request_keeps_fill() -> None:
    order = order_in("PENDING_CANCEL")
    during_cancel = order.apply(filled("t1", 0.3))
    assert isinstance(during_cancel, Transition)
    assert during_cancel.to_state is S.PENDING_CANCEL
    order.apply(canceled())
    assert order.state is S.CANCELED
    assert order.filled_qty == 0.3
    assert order.remaining_qty == pytest.approx(0.7, rel=1e-12)


def test_fill_after_cancel_request_completing_the_order_wins_the_race() -> None:
    order = order_in("PENDING_CANCEL_PARTIAL")
    order.apply(filled("t2", 0.5))
    assert order.state is S.FILLED
    assert order.apply(cancel_rejected()).reason == IGNORED[(S.FILLED, OrderCancelRejected)]


def test_cancel_requested_before_ack_then_ack_keeps_cancel_pending() -> None:
    order = order_in("PENDING_CANCEL_UNACKED")
    acknowledged = order.apply(ack())
    assert isinstance(acknowledged, Transition)
    assert acknowledged.to_state is S.PENDING_CANCEL
    assert order.venue_order_id == VENUE_ID
    order.apply(cancel_rejected())
    assert order.state is S.NEW, "the ack that arrived meanwhile makes the order rest again"


def test_cancel_rejected_before_ack_returns_to_pending() -> None:
    order = order_in("PENDING_CANCEL_UNACKED")
    result = order.apply(cancel_rejected())
    assert order.state is S.PENDING
    assert isinstance(result, Transition)
    assert result.reason == "unknown order"


def test_cancel_rejected_after_partial_fill_returns_to_partially_filled() -> None:
    order = order_in("PENDING_CANCEL")
    order.apply(filled("t1", 0.2))
    order.apply(cancel_rejected())
    assert order.state is S.PARTIALLY_FILLED


def test_duplicate_fill_is_ignored() -> None:
    order = make_order(qty=1.0)
    order.apply(filled("t1", 0.4, fee=0.04))
    result = order.apply(filled("t1", 0.4, fee=0.04))
    assert isinstance(result, IgnoredEvent)
    assert result.reason == DUPLICATE_FILL_REASON
    assert order.filled_qty == 0.4
    assert order.fees == {"USDT": 0.04}


def test_duplicate_fill_after_order_filled_is_ignored() -> None:
    order = make_order(qty=1.0)
    order.apply(filled("t1", 1.0))
    assert isinstance(order.apply(filled("t1", 1.0)), IgnoredEvent)
    assert order.filled_qty == 1.0


def test_reject_after_ack_while_cancel_pending_raises() -> None:
    order = order_in("PENDING_CANCEL")
    with pytest.raises(InvalidTransition, match="pending_cancel -> rejected"):
        order.apply(rejected())


def test_failure_after_a_fill_while_cancel_pending_raises() -> None:
    order = order_in("PENDING_CANCEL_UNACKED")
    order.apply(filled("t1", 0.1))
    with pytest.raises(InvalidTransition):
        order.apply(failed())


def test_ack_after_failure_raises_so_reconciliation_finds_the_live_order() -> None:
    order = order_in("FAILED")
    with pytest.raises(InvalidTransition) as raised:
        order.apply(ack())
    assert (raised.value.from_state, raised.value.to_state) == (S.FAILED, S.NEW)
    assert raised.value.event == "ORDER_ACCEPTED"
    assert raised.value.order_id == ORDER_ID


# --- the order's own bookkeeping -------------------------------------------------------


def test_average_fill_price_is_quantity_weighted() -> None:
    order = make_order(qty=1.0)
    order.apply(filled("t1", 0.4, price=100.0))
    order.apply(filled("t2", 0.6, price=110.0))
    # (0.4 * 100 + 0.6 * 110) / 1.0 = 106
    assert order.avg_fill_price == pytest.approx(106.0, rel=1e-12)


def test_fees_are_summed_per_currency() -> None:
    order = make_order(qty=1.0)
    order.apply(filled("t1", 0.5, fee=0.05))
    order.apply(filled("t2", 0.25, fee=0.001, fee_currency="BNB"))
    order.apply(filled("t3", 0.25, fee=-0.01))
    assert dict(order.fees) == pytest.approx({"USDT": 0.04, "BNB": 0.001}, rel=1e-12)


def test_partial_fills_summing_to_qty_in_float_fill_the_order_exactly() -> None:
    order = make_order(qty=0.3)
    order.apply(filled("t1", 0.1))
    order.apply(filled("t2", 0.2))  # 0.1 + 0.2 == 0.30000000000000004
    assert order.state is S.FILLED
    assert order.remaining_qty == 0.0
    assert order.filled_qty == 0.3


def test_fill_beyond_remaining_raises_and_changes_nothing() -> None:
    order = make_order(qty=1.0)
    order.apply(filled("t1", 0.7))
    before = snapshot(order)
    with pytest.raises(AccountingError, match="exceeds the remaining"):
        order.apply(filled("t2", 0.4))
    assert snapshot(order) == before


@pytest.mark.parametrize(
    "mismatch",
    [{"symbol": "ETH/USDT"}, {"side": Side.SELL}, {"strategy_id": StrategyId("other")}],
)
def test_fill_for_another_symbol_side_or_strategy_raises(mismatch: dict[str, Any]) -> None:
    order = make_order(qty=1.0)
    with pytest.raises(AccountingError):
        order.apply(filled("t1", 0.5, **mismatch))
    assert order.state is S.PENDING


def test_event_for_another_order_raises() -> None:
    order = make_order()
    other = OrderCanceled(client_order_id=ClientOrderId("other-1"), ts_ms=1)
    with pytest.raises(InvalidValue, match="other-1"):
        order.apply(other)


def test_contradicting_venue_order_id_raises() -> None:
    order = order_in("NEW")
    with pytest.raises(InvalidValue, match="contradicts"):
        order.apply(filled("t1", 0.5, venue_order_id="V-2"))
    assert order.filled_qty == 0.0


def test_history_records_each_transition_with_event_name_and_reason() -> None:
    order = make_order(qty=1.0)
    order.apply(rejected())
    assert order.history == (
        Transition(10, S.PENDING, S.REJECTED, "ORDER_REJECTED", "insufficient balance"),
    )


def test_open_and_terminal_are_complementary() -> None:
    order = order_in("PENDING_CANCEL")
    assert (order.is_open, order.is_terminal) == (True, False)
    order.apply(canceled())
    assert (order.is_open, order.is_terminal) == (False, True)


@pytest.mark.parametrize(
    ("order_type", "price", "stop_price", "tif", "message"),
    [
        (OrderType.LIMIT, None, None, TimeInForce.GTC, "needs a price"),
        (OrderType.STOP, None, None, TimeInForce.GTC, "needs a stop_price"),
        (OrderType.STOP_LIMIT, 100.0, None, TimeInForce.GTC, "needs a stop_price"),
        (OrderType.STOP_LIMIT, None, 90.0, TimeInForce.GTC, "needs a price"),
        (OrderType.MARKET, 100.0, None, TimeInForce.IOC, "takes no price"),
        (OrderType.STOP, 100.0, 90.0, TimeInForce.GTC, "takes no price"),
        (OrderType.LIMIT, 100.0, 90.0, TimeInForce.GTC, "takes no stop_price"),
        (OrderType.LIMIT, -1.0, None, TimeInForce.GTC, "must be > 0"),
        (OrderType.MARKET, None, None, TimeInForce.POST_ONLY, "post_only"),
        (OrderType.STOP_LIMIT, 100.0, 90.0, TimeInForce.POST_ONLY, "post_only"),
    ],
)
def test_order_terms_must_fit_the_order_type(
    order_type: OrderType,
    price: float | None,
    stop_price: float | None,
    tif: TimeInForce,
    message: str,
) -> None:
    with pytest.raises(InvalidValue, match=message):
        make_order(order_type=order_type, price=price, stop_price=stop_price, time_in_force=tif)


@pytest.mark.parametrize("qty", [0.0, -1.0, float("nan")])
def test_order_qty_must_be_positive(qty: float) -> None:
    with pytest.raises(InvalidValue, match="qty"):
        make_order(qty=qty)


@pytest.mark.parametrize(
    ("order_type", "price", "stop_price", "tif"),
    [
        (OrderType.MARKET, None, None, TimeInForce.IOC),
        (OrderType.LIMIT, 100.0, None, TimeInForce.POST_ONLY),
        (OrderType.STOP, None, 90.0, TimeInForce.GTC),
        (OrderType.STOP_LIMIT, 89.0, 90.0, TimeInForce.FOK),
    ],
)
def test_well_formed_orders_start_pending(
    order_type: OrderType, price: float | None, stop_price: float | None, tif: TimeInForce
) -> None:
    order = make_order(order_type=order_type, price=price, stop_price=stop_price, time_in_force=tif)
    assert order.state is S.PENDING
    assert order.remaining_qty == order.qty
    assert order.avg_fill_price is None


# --- random event sequences ------------------------------------------------------------

fill_qtys = st.one_of(st.sampled_from([0.1, 0.25, 0.5, 1.0]), st.floats(0.001, 1.2))
event_steps = st.one_of(
    st.sampled_from(
        [ack(), rejected(), failed(), cancel_requested(), cancel_rejected(), canceled(), expired()]
    ),
    st.builds(
        filled,
        st.sampled_from(["t1", "t2", "t3", "t4", "t5"]),
        fill_qtys,
    ),
)


@given(st.lists(event_steps, max_size=25))
def test_random_event_sequences_stay_inside_the_transition_table(events: list[OrderEvent]) -> None:
    order = make_order(qty=1.0)
    booked: dict[str, float] = {}
    for event in events:
        before = snapshot(order)
        try:
            result = order.apply(event)
        except (InvalidTransition, AccountingError):
            assert snapshot(order) == before, "a refused event must change nothing"
            continue
        if isinstance(result, Transition):
            assert result.from_state == before.state
            assert result.to_state in TRANSITIONS[result.from_state]
            if isinstance(event, OrderFilled):
                booked[event.fill.trade_id] = event.fill.qty
        else:
            assert snapshot(order) == before
        assert order.state in TRANSITIONS
        assert order.filled_qty <= order.qty
        # Tolerance: the order snaps a completing fill to qty, within 1e-9 relative.
        assert math.isclose(order.filled_qty, sum(booked.values()), rel_tol=1e-9, abs_tol=1e-12)
    states = [S.PENDING] + [transition.to_state for transition in order.history]
    assert [transition.from_state for transition in order.history] == states[:-1]
    assert states[-1] == order.state


def _rejected(reason: str) -> Order:
    order = make_order()
    order.apply(OrderRejected(client_order_id=ORDER_ID, ts_ms=2_000, reason=reason))
    return order


def test_a_check_refusal_names_its_check() -> None:
    reason = check_rejection_reason("circuit_breaker", "DAILY_CIRCUIT_BREAK: only closing")
    assert reason == "refused by circuit_breaker: DAILY_CIRCUIT_BREAK: only closing"
    assert rejected_by_check(_rejected(reason)) == "circuit_breaker"


@pytest.mark.parametrize(
    "reason", ["insufficient balance", "binance: -2010 insufficient balance", "refused by x"]
)
def test_a_venue_rejection_names_no_check(reason: str) -> None:
    assert rejected_by_check(_rejected(reason)) is None


def test_an_order_not_rejected_names_no_check() -> None:
    order = make_order()
    order.apply(
        OrderAccepted(client_order_id=ORDER_ID, ts_ms=2_000, venue_order_id=VenueOrderId("v"))
    )
    assert rejected_by_check(order) is None
