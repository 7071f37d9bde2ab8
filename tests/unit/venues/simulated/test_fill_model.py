"""The fill model's arithmetic: taker prices with slippage and impact, fees, capacity."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import Side
from quantbot.venues.simulated import FillModel


@given(
    st.floats(1.0, 1e5),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.floats(1e-6, 1e3),
    st.floats(1e-3, 1e4),
)
def test_taker_price_moves_against_the_taker_by_slippage_plus_impact_on_the_volume_share(
    reference: float, slippage_pct: float, impact_pct: float, qty: float, volume: float
) -> None:
    model = FillModel(slippage_pct=slippage_pct, impact_pct=impact_pct)
    move = (slippage_pct + impact_pct * min(qty / volume, 1.0)) / 100

    buy = model.taker_price(reference, Side.BUY, qty, volume)
    sell = model.taker_price(reference, Side.SELL, qty, volume)

    assert buy == pytest.approx(reference * (1 + move), rel=1e-12)
    assert sell == pytest.approx(reference * (1 - move), rel=1e-12)
    assert sell <= reference <= buy


def test_impact_is_capped_at_one_whole_bar_of_volume() -> None:
    model = FillModel(slippage_pct=0.0, impact_pct=1.0)
    assert model.taker_price(100.0, Side.BUY, 50.0, 10.0) == pytest.approx(101.0, rel=1e-12)


def test_fee_is_the_maker_or_taker_rate_of_the_notional() -> None:
    model = FillModel(maker_fee_pct=0.02, taker_fee_pct=0.05)
    assert model.fee(10_000.0, maker=True) == pytest.approx(2.0, rel=1e-12)
    assert model.fee(10_000.0, maker=False) == pytest.approx(5.0, rel=1e-12)


def test_capacity_is_the_volume_share_and_unlimited_without_a_cap() -> None:
    assert FillModel(max_volume_share=0.25).capacity(40.0) == pytest.approx(10.0)
    assert FillModel(max_volume_share=0.25).capacity(0.0) == 0.0
    assert FillModel(max_volume_share=None).capacity(40.0) == math.inf


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("maker_fee_pct", 6.0),
        ("taker_fee_pct", -2.0),
        ("slippage_pct", -0.1),
        ("impact_pct", 11.0),
        ("max_volume_share", 0.0),
        ("max_volume_share", 1.5),
        ("latency_bars", -1),
    ],
)
def test_out_of_range_settings_are_refused_naming_the_field(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        FillModel(**{field: value})  # type: ignore[arg-type]
