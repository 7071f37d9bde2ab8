from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import quantize_price, quantize_qty


def test_quantities_round_down_to_the_lot() -> None:
    assert quantize_qty(0.123456, 0.001) == pytest.approx(0.123)
    assert quantize_qty(0.1 + 0.2, 0.1) == pytest.approx(0.3)  # float noise stays on the grid
    assert quantize_qty(5.0, None) == 5.0


def test_buy_prices_round_down_sell_prices_up() -> None:
    assert quantize_price(100.037, 0.01, round_up=False) == pytest.approx(100.03)
    assert quantize_price(100.031, 0.01, round_up=True) == pytest.approx(100.04)
    assert quantize_price(100.03, 0.01, round_up=True) == pytest.approx(100.03)


@given(st.floats(1e-6, 1e6), st.sampled_from([1e-8, 1e-5, 0.001, 0.01, 0.1, 1.0]))
def test_quantised_quantity_never_exceeds_the_input_and_is_within_one_lot(
    qty: float, lot: float
) -> None:
    q = quantize_qty(qty, lot)
    assert q <= qty * (1 + 1e-9)
    assert qty - q < lot * (1 + 1e-9)


@given(st.floats(1e-4, 1e6), st.sampled_from([1e-4, 0.01, 0.5, 1.0]), st.booleans())
def test_quantised_price_moves_at_most_one_tick_in_the_promised_direction(
    price: float, tick: float, up: bool
) -> None:
    q = quantize_price(price, tick, round_up=up)
    assert abs(q - price) < tick * (1 + 1e-9)
    if up:
        assert q >= price * (1 - 1e-9)
    else:
        assert q <= price * (1 + 1e-9)
