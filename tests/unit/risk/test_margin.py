"""The margin check: perpetual orders need initial margin (notional / leverage + fee)."""

from __future__ import annotations

import pytest

from quantbot.core import OrderType, Side
from quantbot.risk import CheckAction, MarginCheck, OrderIntent

from ._state import PERP, State, intent

CHECK = MarginCheck()
FEE = 0.001


def _perp(side: Side = Side.BUY, qty: float = 1.0, *, reduce_only: bool = False) -> OrderIntent:
    return intent(side, qty, OrderType.LIMIT, price=100.0, symbol=PERP, reduce_only=reduce_only)


def test_spot_orders_pass_whatever_the_margin() -> None:
    decision = CHECK.check(intent(Side.BUY, 50.0), State(margins={}))

    assert decision.action is CheckAction.APPROVE


def test_opening_order_within_the_available_margin_passes() -> None:
    # 5 x 100 at leverage 10 needs 50 of margin and 0.5 of fee.
    state = State(leverages={PERP: 10.0}, margins={"USDT": 50.51})

    assert CHECK.check(_perp(qty=5.0), state).action is CheckAction.APPROVE


def test_opening_order_beyond_the_available_margin_is_cut_to_what_it_covers() -> None:
    state = State(leverages={PERP: 10.0}, margins={"USDT": 30.3})  # covers 3 at 10.1 each

    decision = CHECK.check(_perp(qty=5.0), state)

    assert decision.action is CheckAction.AMEND
    assert decision.intent.qty == pytest.approx(3.0)
    assert "available margin 30.3 USDT" in decision.reason
    assert "leverage 10" in decision.reason


def test_order_nothing_of_which_is_covered_is_rejected_with_the_values() -> None:
    state = State(leverages={PERP: 2.0}, margins={"USDT": 0.04})

    decision = CHECK.check(_perp(qty=1.0), state)

    assert decision.action is CheckAction.REJECT
    assert decision.reason == (
        "margin: initial margin 50.1 USDT (1 x 100 at leverage 2, fee included) "
        "exceeds the available 0.04 USDT"
    )


def test_higher_leverage_needs_proportionally_less_margin() -> None:
    margins = {"USDT": 1_010.0}
    low = State(leverages={PERP: 2.0}, margins=margins)
    high = State(leverages={PERP: 20.0}, margins=margins)

    at_low = CHECK.check(_perp(qty=100.0), low)
    at_high = CHECK.check(_perp(qty=100.0), high)

    # 100 x 100 needs 5,000 + 10 at leverage 2 and 500 + 10 at leverage 20.
    assert at_low.intent.qty == pytest.approx(1_010.0 / (100 * (0.5 + FEE)), abs=1e-3)
    assert at_high.action is CheckAction.APPROVE


def test_market_orders_are_priced_with_a_fee_sized_cushion_over_the_last_price() -> None:
    state = State(leverages={PERP: 10.0}, margins={"USDT": 10.11})  # 1 at 100: 10.1

    limit = CHECK.check(_perp(qty=1.0), state)
    market = CHECK.check(intent(Side.BUY, 1.0, symbol=PERP), state)

    assert limit.action is CheckAction.APPROVE
    assert market.action is CheckAction.AMEND


@pytest.mark.parametrize(("side", "position"), [(Side.SELL, 2.0), (Side.BUY, -2.0)])
def test_orders_reducing_the_position_need_no_margin(side: Side, position: float) -> None:
    state = State(positions={PERP: position}, margins={"USDT": 0.0})

    assert CHECK.check(_perp(side, 2.0), state).action is CheckAction.APPROVE


def test_reduce_only_orders_need_no_margin() -> None:
    state = State(margins={"USDT": -5.0})

    decision = CHECK.check(_perp(Side.SELL, 3.0, reduce_only=True), state)

    assert decision.action is CheckAction.APPROVE


def test_an_order_flipping_the_position_needs_margin_for_the_part_beyond_it() -> None:
    # Long 2: selling 5 closes 2 and opens a short of 3, of which the margin covers 1.
    state = State(leverages={PERP: 10.0}, positions={PERP: 2.0}, margins={"USDT": 10.1})

    decision = CHECK.check(_perp(Side.SELL, 5.0), state)

    assert decision.action is CheckAction.AMEND
    assert decision.intent.qty == pytest.approx(3.0)
