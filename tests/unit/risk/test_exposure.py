"""Exposure: the opening part of an order, worst cases over working orders, sums over symbols."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import Side
from quantbot.risk import (
    ExposureChange,
    exposure_change,
    opening_qty,
    symbol_exposure_usd,
    worst_case_qty,
)

from .portfolio_fakes import BTC, BTC_PERP, ETH, SOL, Portfolio, order

qtys = st.floats(min_value=0.0, max_value=1e6)
positions = st.floats(min_value=-1e6, max_value=1e6)

# -- opening quantity ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "qty", "position", "expected"),
    [
        (Side.BUY, 2.0, 0.0, 2.0),  # opens
        (Side.BUY, 2.0, 3.0, 2.0),  # adds to a long
        (Side.BUY, 2.0, -3.0, 0.0),  # reduces a short
        (Side.BUY, 3.0, -3.0, 0.0),  # closes it exactly
        (Side.BUY, 5.0, -3.0, 2.0),  # flips: closes 3, opens a long of 2
        (Side.SELL, 2.0, 3.0, 0.0),
        (Side.SELL, 5.0, 3.0, 2.0),
        (Side.SELL, 2.0, -1.0, 2.0),
    ],
)
def test_opening_qty_is_what_goes_beyond_the_position_against_it(
    side: Side, qty: float, position: float, expected: float
) -> None:
    assert opening_qty(order(side=side, qty=qty), position) == expected


def test_reduce_only_orders_open_nothing_whatever_the_position() -> None:
    assert opening_qty(order(side=Side.BUY, qty=5.0, reduce_only=True), 1.0) == 0.0


@given(st.sampled_from(list(Side)), st.floats(min_value=1e-6, max_value=1e6), positions)
def test_an_order_opens_nothing_exactly_when_it_only_reduces_the_position(
    side: Side, qty: float, position: float
) -> None:
    signed = qty if side is Side.BUY else -qty
    after = position + signed

    opening = opening_qty(order(side=side, qty=qty), position)

    assert 0.0 <= opening <= qty
    # Closing: the position shrinks without crossing zero (a flip opens the other side).
    same_side = after == 0.0 or (after > 0.0) == (position > 0.0)
    assert (opening == 0.0) == (abs(after) <= abs(position) and same_side)
    if opening > 0.0:
        # The new position: the one the order added to (none if it flipped) plus what opened.
        kept = abs(position) if position != 0.0 and (position > 0.0) == (signed > 0.0) else 0.0
        assert abs(after) == pytest.approx(kept + opening, rel=1e-9, abs=1e-6)


# -- worst case over working orders ----------------------------------------------------------------


def test_worst_case_is_one_side_of_working_orders_filling() -> None:
    assert worst_case_qty(1.0, 0.0, 0.0) == 1.0
    assert worst_case_qty(1.0, 2.0, 0.5) == 3.0  # buys fill: long 3
    assert worst_case_qty(1.0, 0.5, 4.0) == 3.0  # sells fill: short 3
    assert worst_case_qty(-2.0, 1.0, 0.0) == 2.0  # buys only shrink the short


@given(positions, qtys, qtys, st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_no_mix_of_fills_exceeds_the_worst_case(
    position: float, buys: float, sells: float, buy_share: float, sell_share: float
) -> None:
    filled = position + buy_share * buys - sell_share * sells

    assert abs(filled) <= worst_case_qty(position, buys, sells) * (1 + 1e-12) + 1e-9


# -- exposure of a symbol and of a set of symbols ------------------------------------------------


def test_exposure_is_the_absolute_notional_at_the_last_price() -> None:
    state = Portfolio(positions={BTC: 2.0, BTC_PERP: -50.0}, prices={BTC: 150.0, BTC_PERP: 200.0})

    assert symbol_exposure_usd(state, BTC) == 300.0
    # 50 contracts of 0.01 BTC at 200, short.
    assert symbol_exposure_usd(state, BTC_PERP) == pytest.approx(100.0)


def test_working_orders_count_on_their_worse_side() -> None:
    state = Portfolio(positions={BTC: 2.0})
    state.rest(order(BTC, Side.BUY, 3.0, price=90.0))
    state.rest(order(BTC, Side.SELL, 1.0, price=110.0))

    # Long 5 if the buy fills, valued at the last price 100.
    assert symbol_exposure_usd(state, BTC) == 500.0


def test_an_order_against_the_position_lowers_its_exposure() -> None:
    state = Portfolio(positions={BTC: 4.0})

    assert symbol_exposure_usd(state, BTC, order(BTC, Side.SELL, 1.0)) == 300.0
    assert symbol_exposure_usd(state, BTC, order(BTC, Side.SELL, 6.0)) == 200.0
    assert symbol_exposure_usd(state, BTC, order(BTC, Side.BUY, 1.0)) == 500.0


def test_change_sums_the_symbols_gross_and_adds_the_orders_own_symbol() -> None:
    state = Portfolio(positions={BTC: 4.0, BTC_PERP: -100.0, ETH: 1.0})

    change = exposure_change(order(SOL, Side.BUY, 2.0), state, [BTC, BTC_PERP, BTC])

    # BTC 400 and the short perp 100 add up (not netted); ETH is not asked for.
    assert change == ExposureChange(before_usd=500.0, after_usd=700.0)
    assert change.added_usd == 200.0


def test_change_of_a_reducing_order_is_negative() -> None:
    state = Portfolio(positions={BTC: 4.0, ETH: 1.0})

    change = exposure_change(order(BTC, Side.SELL, 3.0), state, state.symbols_with_exposure())

    assert change == ExposureChange(before_usd=500.0, after_usd=200.0)
    assert change.added_usd == -300.0
