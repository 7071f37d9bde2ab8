"""Position sizing: the loss at the stop is the planned risk, Kelly follows its formula."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.risk.sizing import (
    capped_qty,
    fixed_fractional_qty,
    half_kelly_fraction,
    volatility_qty,
)

prices = st.floats(min_value=1e-3, max_value=1e6)
equities = st.floats(min_value=1.0, max_value=1e8)
risk_pcts = st.floats(min_value=0.01, max_value=10.0)


def test_one_percent_of_ten_thousand_over_a_two_hundred_dollar_stop_is_half_a_coin() -> None:
    assert fixed_fractional_qty(10_000, 1.0, entry=30_000, stop=29_800) == pytest.approx(0.5)
    assert fixed_fractional_qty(10_000, 1.0, entry=29_800, stop=30_000) == pytest.approx(0.5)


@given(equities, risk_pcts, prices, st.floats(min_value=0.001, max_value=0.5))
def test_the_loss_at_the_stop_is_the_planned_risk(
    equity: float, risk_pct: float, entry: float, stop_fraction: float
) -> None:
    stop = entry * (1 - stop_fraction)
    qty = fixed_fractional_qty(equity, risk_pct, entry, stop)
    assert qty * (entry - stop) == pytest.approx(equity * risk_pct / 100, rel=1e-9)


@pytest.mark.parametrize(
    ("equity", "entry", "stop"),
    [(0.0, 100.0, 90.0), (-5.0, 100.0, 90.0), (1000.0, 100.0, 100.0), (1000.0, math.nan, 90.0)],
)
def test_nothing_to_risk_gives_no_size(equity: float, entry: float, stop: float) -> None:
    assert fixed_fractional_qty(equity, 1.0, entry, stop) == 0.0


@given(equities, risk_pcts, st.floats(min_value=1e-3, max_value=1e4))
def test_twice_the_volatility_halves_the_size(equity: float, risk_pct: float, atr: float) -> None:
    calm = volatility_qty(equity, risk_pct, atr, atr_multiple=1.5)
    wild = volatility_qty(equity, risk_pct, 2 * atr, atr_multiple=1.5)
    assert wild == pytest.approx(calm / 2, rel=1e-9)
    assert calm * 1.5 * atr == pytest.approx(equity * risk_pct / 100, rel=1e-9)


def test_half_kelly_of_a_sixty_percent_even_money_edge_is_ten_percent() -> None:
    pnls = [10.0] * 12 + [-10.0] * 8
    # f* = (0.6 x 1 - 0.4) / 1 = 0.2, half of it 0.1
    assert half_kelly_fraction(pnls) == pytest.approx(0.1)


def test_half_kelly_with_a_two_to_one_payoff() -> None:
    pnls = [20.0] * 8 + [-10.0] * 12
    # p = 0.4, b = 2: f* = (0.8 - 0.6) / 2 = 0.1, half 0.05
    assert half_kelly_fraction(pnls) == pytest.approx(0.05)


@pytest.mark.parametrize(
    "pnls",
    [
        [10.0] * 30,  # no loss: the downside is unknown
        [-10.0] * 30,  # no win
        [10.0] * 8 + [-10.0] * 12,  # a losing edge
        [10.0] * 12 + [-10.0] * 7,  # too few trades
    ],
)
def test_no_evidence_of_an_edge_means_no_bet(pnls: list[float]) -> None:
    assert half_kelly_fraction(pnls) == 0.0


@given(st.lists(st.floats(min_value=-1e4, max_value=1e4), min_size=20, max_size=200))
def test_half_kelly_stays_between_nothing_and_half(pnls: list[float]) -> None:
    assert 0.0 <= half_kelly_fraction(pnls) <= 0.5


@given(st.floats(min_value=0, max_value=1e6), prices, st.floats(min_value=1, max_value=1e7))
def test_a_capped_size_never_exceeds_the_notional_and_never_grows(
    qty: float, price: float, max_notional: float
) -> None:
    capped = capped_qty(qty, price, max_notional)
    assert capped <= qty
    assert capped * price <= max_notional * (1 + 1e-12)
