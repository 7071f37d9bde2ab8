"""The venue's rules as pre-trade checks: tick, lot, minimum notional and balance."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import Instrument, OrderType, Side
from quantbot.risk import (
    BalanceCheck,
    CheckAction,
    LotSizeCheck,
    MinNotionalCheck,
    TickSizeCheck,
)

from ._state import PERP, State, intent

# -- tick size -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "order_type", "price", "stop", "expected_price", "expected_stop"),
    [
        # Limits never pay more (buys) or accept less (sells) than asked.
        (Side.BUY, OrderType.LIMIT, 100.017, None, 100.01, None),
        (Side.SELL, OrderType.LIMIT, 100.013, None, 100.02, None),
        # Stops never trigger before the level asked: buy stops up, sell stops down.
        (Side.BUY, OrderType.STOP, None, 100.013, None, 100.02),
        (Side.SELL, OrderType.STOP, None, 100.017, None, 100.01),
        (Side.BUY, OrderType.STOP_LIMIT, 100.017, 100.013, 100.01, 100.02),
        (Side.SELL, OrderType.STOP_LIMIT, 100.013, 100.017, 100.02, 100.01),
    ],
)
def test_tick_rounding_goes_the_way_that_never_breaks_the_strategys_price(
    side: Side,
    order_type: OrderType,
    price: float | None,
    stop: float | None,
    expected_price: float | None,
    expected_stop: float | None,
) -> None:
    decision = TickSizeCheck().check(
        intent(side, 1.0, order_type, price=price, stop_price=stop), State()
    )

    assert decision.action is CheckAction.AMEND
    for got, expected in (
        (decision.intent.price, expected_price),
        (decision.intent.stop_price, expected_stop),
    ):
        assert got is None if expected is None else got == pytest.approx(expected, rel=1e-12)
    assert decision.reason == "prices rounded to tick 0.01"


@given(
    st.floats(0.05, 1e5),
    st.sampled_from([0.01, 0.1, 0.5, 1.0]),
    st.sampled_from(list(Side)),
)
def test_rounded_limit_price_is_on_the_grid_within_one_tick_on_the_safe_side(
    price: float, tick: float, side: Side
) -> None:
    state = State()
    state.instruments["BTC/USDT"] = Instrument.from_symbol("BTC/USDT", tick_size=tick)

    rounded = TickSizeCheck().check(intent(side, 1.0, OrderType.LIMIT, price=price), state)
    result = rounded.intent.price
    assert result is not None

    steps = result / tick
    assert abs(steps - round(steps)) < 1e-6
    if side is Side.BUY:
        assert price - result < tick * (1 + 1e-9)
        assert result <= price * (1 + 1e-9)
    else:
        assert result - price < tick * (1 + 1e-9)
        assert result >= price * (1 - 1e-9)


def test_prices_already_on_the_tick_and_market_orders_are_approved_unchanged() -> None:
    on_grid = intent(Side.BUY, 1.0, OrderType.LIMIT, price=100.25)
    market = intent(Side.SELL, 1.0)

    for order in (on_grid, market):
        decision = TickSizeCheck().check(order, State())
        assert decision.action is CheckAction.APPROVE
        assert decision.intent == order


# -- lot size ----------------------------------------------------------------------------------


def test_quantity_is_rounded_down_to_the_lot() -> None:
    decision = LotSizeCheck().check(intent(qty=0.123456), State())

    assert decision.action is CheckAction.AMEND
    assert decision.intent.qty == pytest.approx(0.123, rel=1e-12)
    assert decision.reason == "qty rounded down to lot 0.001"


def test_quantity_that_rounds_to_zero_is_rejected_naming_the_lot() -> None:
    decision = LotSizeCheck().check(intent(qty=0.0004), State())

    assert decision.action is CheckAction.REJECT
    assert decision.reason == "lot_size 0.001: qty 0.0004 rounds to 0"


@given(st.floats(1e-6, 1e4), st.sampled_from([1e-5, 0.001, 0.1, 1.0]))
def test_lot_rounding_never_adds_quantity_and_loses_less_than_a_lot(qty: float, lot: float) -> None:
    state = State()
    state.instruments["BTC/USDT"] = Instrument.from_symbol("BTC/USDT", lot_size=lot)

    decision = LotSizeCheck().check(intent(qty=qty), state)

    if qty < lot * (1 - 1e-9):
        assert decision.action is CheckAction.REJECT
        return
    assert decision.action is not CheckAction.REJECT
    result = decision.intent.qty
    assert result <= qty * (1 + 1e-9)  # float noise only (quantize_qty's own tolerance)
    assert qty - result < lot * (1 + 1e-9)
    steps = result / lot  # a whole number of lots, up to float noise relative to it
    assert abs(steps - round(steps)) <= 1e-11 * max(1.0, steps)


# -- minimum notional -------------------------------------------------------------------------


def test_order_below_the_minimum_notional_is_rejected_with_the_rule_and_the_values() -> None:
    state = State(prices={"BTC/USDT": 30_000.0})

    decision = MinNotionalCheck().check(intent(qty=0.0001), state)

    assert decision.action is CheckAction.REJECT
    assert decision.reason == "min_notional 5 USDT not reached: 0.0001 x 30000 = 3 USDT"


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (
            intent(Side.BUY, 0.1, OrderType.LIMIT, price=40.0),
            "min_notional 5 USDT not reached: 0.1 x 40 = 4 USDT",
        ),
        (
            intent(Side.SELL, 0.1, OrderType.STOP, stop_price=45.0),
            "min_notional 5 USDT not reached: 0.1 x 45 = 4.5 USDT",
        ),
    ],
)
def test_minimum_notional_values_a_limit_at_its_price_and_a_stop_at_its_stop(
    order: object, message: str
) -> None:
    # The last price (100) would make 0.1 worth 10 USDT, above the minimum.
    decision = MinNotionalCheck().check(order, State())  # type: ignore[arg-type]

    assert decision.action is CheckAction.REJECT
    assert decision.reason == message


def test_minimum_notional_counts_the_contract_size_of_perpetuals() -> None:
    state = State()
    state.instruments[PERP] = Instrument.from_symbol(PERP, contract_size=0.01, min_notional=5.0)

    below = MinNotionalCheck().check(intent(qty=4.0, symbol=PERP), state)  # 4 x 0.01 x 100 = 4
    above = MinNotionalCheck().check(intent(qty=6.0, symbol=PERP), state)

    assert below.action is CheckAction.REJECT
    assert above.action is CheckAction.APPROVE


def test_reduce_only_orders_are_exempt_from_the_minimum_notional() -> None:
    decision = MinNotionalCheck().check(intent(Side.SELL, 0.001, reduce_only=True), State())
    assert decision.action is CheckAction.APPROVE


def test_order_worth_exactly_the_minimum_is_approved() -> None:
    decision = MinNotionalCheck().check(intent(qty=0.05), State())  # 0.05 x 100 = 5
    assert decision.action is CheckAction.APPROVE


# -- balance ----------------------------------------------------------------------------------


def test_spot_buy_the_free_quote_covers_is_approved() -> None:
    decision = BalanceCheck().check(intent(Side.BUY, 50.0), State())
    assert decision.action is CheckAction.APPROVE


def test_spot_market_buy_beyond_the_free_quote_is_cut_to_what_it_covers_with_fees() -> None:
    state = State()  # 10 000 USDT, price 100, taker fee 0.1 %

    decision = BalanceCheck().check(intent(Side.BUY, 200.0), state)

    assert decision.action is CheckAction.AMEND
    assert decision.reason == "qty cut to the free USDT 10000"
    # A market buy may fill above the last price: the check keeps a margin of two taker
    # fees on the price, plus the fee itself.
    cost_per_unit = 100.0 * (1 + 2 * 0.001) * (1 + 0.001)
    qty = decision.intent.qty
    assert qty * cost_per_unit <= 10_000.0
    assert (qty + 0.001) * cost_per_unit > 10_000.0


def test_spot_limit_buy_is_costed_at_its_limit_price_plus_the_fee() -> None:
    state = State(balances={"USDT": 1_000.0})

    decision = BalanceCheck().check(intent(Side.BUY, 100.0, OrderType.LIMIT, price=50.0), state)

    qty = decision.intent.qty
    assert decision.action is CheckAction.AMEND
    assert qty * 50.0 * 1.001 <= 1_000.0
    assert (qty + 0.001) * 50.0 * 1.001 > 1_000.0


def test_spot_sell_beyond_the_free_base_is_cut_to_it() -> None:
    state = State(balances={"USDT": 0.0, "BTC": 0.5})

    decision = BalanceCheck().check(intent(Side.SELL, 1.0), state)

    assert decision.action is CheckAction.AMEND
    assert decision.intent.qty == pytest.approx(0.5, rel=1e-12)
    assert decision.reason == "qty cut to the free BTC 0.5"


@pytest.mark.parametrize(
    ("side", "message"),
    [
        (Side.BUY, "insufficient USDT: free 0 does not cover buy 1 BTC/USDT"),
        (Side.SELL, "insufficient BTC: free 0 does not cover sell 1 BTC/USDT"),
    ],
)
def test_spot_order_nothing_of_which_is_affordable_is_rejected(side: Side, message: str) -> None:
    state = State(balances={"USDT": 0.0, "BTC": 0.0})

    decision = BalanceCheck().check(intent(side, 1.0), state)

    assert decision.action is CheckAction.REJECT
    assert decision.reason == message


def test_balance_smaller_than_one_lot_rejects_the_buy() -> None:
    state = State(balances={"USDT": 0.05})  # less than 0.001 x 100
    assert BalanceCheck().check(intent(Side.BUY, 1.0), state).action is CheckAction.REJECT


def test_perpetual_orders_are_left_to_the_margin_check() -> None:
    state = State(balances={})
    decision = BalanceCheck().check(intent(Side.SELL, 1_000.0, symbol=PERP), state)
    assert decision.action is CheckAction.APPROVE


@given(
    st.floats(0.0, 1e6),
    st.floats(1.0, 1e5),
    st.floats(1e-3, 1e3),
    st.sampled_from([OrderType.MARKET, OrderType.LIMIT]),
)
def test_approved_or_cut_spot_buy_never_costs_more_than_the_free_quote(
    free: float, price: float, qty: float, order_type: OrderType
) -> None:
    state = State(balances={"USDT": free}, prices={"BTC/USDT": price})
    limit = price if order_type is OrderType.LIMIT else None

    decision = BalanceCheck().check(intent(Side.BUY, qty, order_type, price=limit), state)

    if decision.action is CheckAction.REJECT:
        assert free < 0.001 * price * (1 + 0.001) * (1 + 2 * 0.001) * (1 + 1e-9)
        return
    assert decision.intent.qty <= qty
    assert decision.intent.qty * price * (1 + 0.001) <= free * (1 + 1e-9)


def test_intent_fields_not_touched_by_a_cut_are_kept() -> None:
    original = intent(Side.SELL, 2.0, OrderType.LIMIT, price=101.0, reduce_only=True)
    decision = BalanceCheck().check(original, State(balances={"BTC": 1.0}))

    assert decision.intent.qty == pytest.approx(1.0)
    assert (decision.intent.side, decision.intent.price, decision.intent.reduce_only) == (
        Side.SELL,
        101.0,
        True,
    )
