"""Position accounting with hand-computed numbers, plus the mark-to-market identity.

Float tolerance: hand-computed cases compare with a relative tolerance of 1e-12 (a few
float64 operations); the property test allows 1e-9 of the gross value traded.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import (
    AccountingError,
    FundingPayment,
    Instrument,
    InvalidValue,
    MissingPrice,
    Position,
    Side,
)

from factories import make_fill

SPOT = Instrument.from_symbol("BTC/USDT")
PERP = Instrument.from_symbol("BTC/USDT:USDT")
approx = pytest.approx

_trade_ids = iter(range(10**9))


def trade(
    position: Position,
    side: Side,
    qty: float,
    price: float,
    *,
    fee: float = 0.0,
    fee_currency: str = "USDT",
    fee_price: float | None = None,
) -> float:
    fill = make_fill(
        trade_id=f"t{next(_trade_ids)}",
        side=side,
        qty=qty,
        price=price,
        fee=fee,
        fee_currency=fee_currency,
        symbol=position.symbol,
    )
    return position.apply_fill(fill, fee_price=fee_price)


def test_buys_average_the_entry_price() -> None:
    position = Position(SPOT)
    trade(position, Side.BUY, 1.0, 100.0)
    trade(position, Side.BUY, 1.0, 110.0)
    assert position.qty == 2.0
    assert position.avg_entry_price == approx(105.0, rel=1e-12)
    assert position.realized_pnl == 0.0


def test_reducing_realizes_against_the_average_and_keeps_it() -> None:
    position = Position(SPOT)
    trade(position, Side.BUY, 1.0, 100.0)
    trade(position, Side.BUY, 1.0, 110.0)
    realized = trade(position, Side.SELL, 1.5, 120.0)
    # 1.5 * (120 - 105) = 22.5
    assert realized == approx(22.5, rel=1e-12)
    assert position.realized_pnl == approx(22.5, rel=1e-12)
    assert position.qty == approx(0.5, rel=1e-12)
    assert position.avg_entry_price == approx(105.0, rel=1e-12)


def test_fill_through_zero_flips_and_opens_the_rest_at_the_fill_price() -> None:
    position = Position(SPOT)
    trade(position, Side.BUY, 2.0, 105.0)
    trade(position, Side.SELL, 1.5, 120.0)  # realized 22.5, 0.5 left
    trade(position, Side.SELL, 1.0, 90.0)  # closes 0.5 at -15 each: -7.5; opens 0.5 short
    assert position.realized_pnl == approx(15.0, rel=1e-12)
    assert position.qty == approx(-0.5, rel=1e-12)
    assert position.avg_entry_price == 90.0
    # Short 0.5 from 90, marked at 80: +5.
    assert position.unrealized_pnl(80.0) == approx(5.0, rel=1e-12)


def test_closing_exactly_leaves_a_flat_position() -> None:
    position = Position(PERP)
    trade(position, Side.BUY, 0.1, 100.0)
    trade(position, Side.BUY, 0.2, 100.0)
    trade(position, Side.SELL, 0.3, 101.0)  # 0.1 + 0.2 != 0.3 in float64
    assert position.is_flat
    assert position.avg_entry_price == 0.0
    assert position.realized_pnl == approx(0.3, rel=1e-9)


def test_short_profits_when_price_falls() -> None:
    position = Position(PERP)
    trade(position, Side.SELL, 2.0, 50.0)
    assert position.unrealized_pnl(45.0) == approx(10.0, rel=1e-12)
    assert trade(position, Side.BUY, 1.0, 40.0) == approx(10.0, rel=1e-12)
    assert position.qty == -1.0


def test_contract_size_scales_perpetual_pnl() -> None:
    position = Position(Instrument.from_symbol("BTC/USDT:USDT", contract_size=0.001))
    trade(position, Side.BUY, 10.0, 60_000.0)  # 10 contracts = 0.01 BTC
    assert position.notional(60_000.0) == approx(600.0, rel=1e-12)
    assert position.unrealized_pnl(61_000.0) == approx(10.0, rel=1e-12)
    assert trade(position, Side.SELL, 10.0, 61_000.0) == approx(10.0, rel=1e-12)


def test_quote_fee_is_counted_as_is_and_a_rebate_reduces_fees() -> None:
    position = Position(PERP)
    trade(position, Side.BUY, 1.0, 100.0, fee=0.06)
    trade(position, Side.SELL, 1.0, 100.0, fee=-0.01)
    assert position.fees_paid == approx(0.05, rel=1e-12)
    assert position.net_pnl(100.0) == approx(-0.05, rel=1e-12)


def test_spot_base_fee_is_valued_at_the_fill_price_and_shrinks_the_position() -> None:
    position = Position(SPOT)
    trade(position, Side.BUY, 1.0, 100.0, fee=0.001, fee_currency="BTC")
    assert position.fees_paid == approx(0.1, rel=1e-12)
    assert position.qty == approx(0.999, rel=1e-12)
    assert position.avg_entry_price == approx(100.0, rel=1e-12)
    # Holding 0.999 BTC bought for 100 USDT; at 110 that is worth 109.89: net +9.89.
    assert position.net_pnl(110.0) == approx(0.999 * 110.0 - 100.0, rel=1e-12)


def test_perpetual_base_fee_is_valued_at_the_fill_price_and_leaves_the_size() -> None:
    position = Position(PERP)
    trade(position, Side.BUY, 1.0, 100.0, fee=0.001, fee_currency="BTC")
    assert position.fees_paid == approx(0.1, rel=1e-12)
    assert position.qty == 1.0


def test_third_currency_fee_needs_its_price() -> None:
    position = Position(SPOT)
    with pytest.raises(MissingPrice, match="BNB"):
        trade(position, Side.BUY, 1.0, 100.0, fee=0.01, fee_currency="BNB")
    assert position.is_flat, "a refused fill changes nothing"
    trade(position, Side.BUY, 1.0, 100.0, fee=0.01, fee_currency="BNB", fee_price=300.0)
    assert position.fees_paid == approx(3.0, rel=1e-12)


def test_funding_is_added_to_net_pnl() -> None:
    position = Position(PERP)
    trade(position, Side.BUY, 2.0, 100.0)
    payment = FundingPayment.from_rate(
        ts_ms=0, symbol=PERP.symbol, rate=0.0001, mark_price=100.0, position_qty=position.qty
    )
    position.apply_funding(payment)
    assert position.funding_net == approx(-0.02, rel=1e-12)
    # Unrealized at 101: 2 * 1 = 2; minus 0.02 funding.
    assert position.net_pnl(101.0) == approx(1.98, rel=1e-12)


def test_funding_on_spot_or_another_symbol_is_refused() -> None:
    payment = FundingPayment(
        ts_ms=0, symbol="ETH/USDT:USDT", rate=0.0, mark_price=1.0, position_qty=0.0, amount=1.0
    )
    with pytest.raises(AccountingError, match="ETH"):
        Position(PERP).apply_funding(payment)
    spot_payment = FundingPayment(
        ts_ms=0, symbol=SPOT.symbol, rate=0.0, mark_price=1.0, position_qty=0.0, amount=1.0
    )
    with pytest.raises(AccountingError, match="spot"):
        Position(SPOT).apply_funding(spot_payment)


def test_fill_for_another_symbol_is_refused() -> None:
    with pytest.raises(AccountingError, match="ETH/USDT"):
        Position(SPOT).apply_fill(make_fill(symbol="ETH/USDT"))


@pytest.mark.parametrize("mark", [0.0, -1.0, float("nan")])
def test_mark_price_must_be_positive(mark: float) -> None:
    with pytest.raises(InvalidValue):
        Position(SPOT).unrealized_pnl(mark)


fills = st.lists(
    st.tuples(
        st.sampled_from(Side),
        st.one_of(st.sampled_from([0.5, 1.0, 2.0]), st.floats(0.001, 5.0)),
        st.floats(1.0, 1_000.0),
    ),
    max_size=30,
)


@given(fills, st.floats(1.0, 1_000.0), st.sampled_from([1.0, 0.001, 10.0]))
def test_realized_plus_unrealized_is_the_mark_to_market_gain(
    steps: list[tuple[Side, float, float]], mark: float, contract_size: float
) -> None:
    # Whatever the averaging, the price PnL of a sequence of trades is what the final
    # holding is worth at the mark minus what all trades cost: qty*m - sum(signed q*p).
    position = Position(Instrument.from_symbol("BTC/USDT:USDT", contract_size=contract_size))
    signed_qty = cost = gross = 0.0
    for side, qty, price in steps:
        trade(position, side, qty, price)
        signed_qty += side.sign * qty
        cost += side.sign * qty * price
        gross += qty * price
    gain = contract_size * (signed_qty * mark - cost)
    pnl = position.realized_pnl + position.unrealized_pnl(mark)
    tolerance = 1e-9 * contract_size * (gross + abs(signed_qty) * mark) + 1e-12
    assert math.isclose(position.qty, signed_qty, abs_tol=1e-9 * (1 + gross))
    assert abs(pnl - gain) <= tolerance
