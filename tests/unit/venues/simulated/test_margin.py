"""The margin engine: liquidation and bankruptcy prices, position margins, liquidations.

Prices are hand-computed from the definitions in the module docstring: a position is
liquidated when its margin (isolated) or the wallet (cross) plus its unrealised PnL at
the mark falls to the maintenance margin ``mmr * |size| * mark``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import Portfolio, Side
from quantbot.venues.simulated import (
    MarginAccount,
    MarginMode,
    MarginModel,
    bankruptcy_price,
    liquidation_price,
)

from factories import make_fill, make_instrument, make_ohlcv

BTC, ETH, SOL = "BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"
EXCHANGE = "sim"
Row = tuple[float, float, float, float, float]
CALM: Row = (100.0, 100.5, 99.5, 100.0, 0.0)

# -- the model ----------------------------------------------------------------------------------


def test_maintenance_rates_are_binance_tier_one_by_base_asset_with_overrides() -> None:
    model = MarginModel(maintenance_margin_pct={SOL: 2.5})

    assert model.maintenance_rate(BTC) == pytest.approx(0.004)
    assert model.maintenance_rate(ETH) == pytest.approx(0.005)
    assert model.maintenance_rate("XRP/USDT:USDT") == pytest.approx(0.01)
    assert model.maintenance_rate(SOL) == pytest.approx(0.025)


def test_leverage_per_symbol_overrides_the_default() -> None:
    model = MarginModel(leverage=3, leverage_by_symbol={ETH: 20})

    assert (model.leverage_for(BTC), model.leverage_for(ETH)) == (3, 20)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"leverage": 0.5},
        {"leverage": 126},
        {"leverage_by_symbol": {BTC: 0}},
        {"maintenance_margin_pct": {BTC: 0}},
        {"liquidation_fee_pct": -1},
    ],
)
def test_model_refuses_values_outside_the_exchange_range(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        MarginModel(**kwargs)  # type: ignore[arg-type]


def test_mode_may_be_given_as_text() -> None:
    assert MarginModel(mode="isolated").mode is MarginMode.ISOLATED  # type: ignore[arg-type]


# -- formulas -----------------------------------------------------------------------------------


def test_long_liquidation_price_is_where_margin_plus_loss_equals_maintenance() -> None:
    # 1 BTC at 100, leverage 10: margin 10; 10 + (p - 100) = 0.004 p  =>  p = 90 / 0.996.
    assert liquidation_price(1.0, 100.0, 10.0, 0.004) == pytest.approx(90.0 / 0.996, rel=1e-12)
    assert bankruptcy_price(1.0, 100.0, 10.0) == pytest.approx(90.0, rel=1e-12)


def test_short_liquidation_price_is_where_margin_minus_loss_equals_maintenance() -> None:
    # -2 at 100, leverage 5: margin 40; 40 - 2 (p - 100) = 0.01 * 2 p  =>  p = 240 / 2.02.
    assert liquidation_price(-2.0, 100.0, 40.0, 0.01) == pytest.approx(240.0 / 2.02, rel=1e-12)
    assert bankruptcy_price(-2.0, 100.0, 40.0) == pytest.approx(120.0, rel=1e-12)


@pytest.mark.parametrize("leverage", [2.0, 5.0, 10.0, 20.0, 50.0])
def test_requirements_approximation_is_within_its_second_order_of_the_exact_price(
    leverage: float,
) -> None:
    mmr, entry = 0.004, 30_000.0
    exact = liquidation_price(1.0, entry, entry / leverage, mmr)
    approx = entry * (1 - 1 / leverage + mmr)  # REQUIREMENTS.md §7

    assert abs(exact - approx) <= entry * 2 * mmr * (mmr + 1 / leverage)
    assert exact < entry < liquidation_price(-1.0, entry, entry / leverage, mmr)


def test_fully_margined_long_has_no_positive_liquidation_price() -> None:
    assert liquidation_price(1.0, 100.0, 100.0, 0.004) <= 0.0


# -- the account -----------------------------------------------------------------------------------


def _account(
    marks: dict[str, Sequence[Row]], model: MarginModel, wallet: float = 1_000.0
) -> tuple[MarginAccount, Portfolio]:
    portfolio = Portfolio()
    portfolio.deposit(EXCHANGE, "USDT", wallet)
    instruments = {s: make_instrument(s, tick_size=None, lot_size=None) for s in marks}
    arrays = {s: make_ohlcv(rows) for s, rows in marks.items()}
    account = MarginAccount(
        model, instruments, arrays, portfolio=portfolio, exchange=EXCHANGE, settle="USDT"
    )
    return account, portfolio


_trades = iter(range(1, 10**9))


def _fill(
    account: MarginAccount, portfolio: Portfolio, symbol: str, qty: float, price: float
) -> None:
    """Book a fill of signed ``qty`` at ``price`` in the ledger and tell the margin engine."""
    instrument = make_instrument(symbol, tick_size=None, lot_size=None)
    position = portfolio.position(EXCHANGE, symbol)
    before = 0.0 if position is None else position.qty
    fill = make_fill(
        trade_id=f"t{next(_trades)}",
        symbol=symbol,
        side=Side.BUY if qty > 0 else Side.SELL,
        qty=abs(qty),
        price=price,
    )
    portfolio.apply_fill(EXCHANGE, fill, instrument)
    after = portfolio.position(EXCHANGE, symbol)
    assert after is not None
    account.on_fill(symbol, before, after.qty, price)


def test_position_margin_follows_opening_increasing_reducing_and_flipping() -> None:
    account, portfolio = _account({BTC: [CALM]}, MarginModel(leverage=10))

    _fill(account, portfolio, BTC, 2.0, 100.0)
    opened = account.position_margin(BTC)
    _fill(account, portfolio, BTC, 1.0, 130.0)
    increased = account.position_margin(BTC)
    _fill(account, portfolio, BTC, -1.5, 90.0)
    reduced = account.position_margin(BTC)
    _fill(account, portfolio, BTC, -4.5, 80.0)
    flipped = account.position_margin(BTC)
    _fill(account, portfolio, BTC, 3.0, 70.0)

    assert opened == pytest.approx(20.0)  # 2 x 100 / 10
    assert increased == pytest.approx(33.0)  # + 1 x 130 / 10
    assert reduced == pytest.approx(16.5)  # half the position left, half the margin
    assert flipped == pytest.approx(24.0)  # short 3 opened at 80
    assert account.position_margin(BTC) == 0.0
    assert account.total_margin() == 0.0


def _isolated_long(rows: Sequence[Row]) -> tuple[MarginAccount, Portfolio]:
    account, portfolio = _account({BTC: rows}, MarginModel(mode="isolated", leverage=10))  # type: ignore[arg-type]
    _fill(account, portfolio, BTC, 1.0, 100.0)
    return account, portfolio


def test_isolated_long_is_liquidated_on_the_first_bar_whose_mark_low_reaches_its_price() -> None:
    rows = [CALM, (100.0, 100.0, 95.0, 96.0, 0.0), (96.0, 96.0, 90.3, 91.0, 0.0), CALM]
    account, _ = _isolated_long(rows)
    price = 90.0 / 0.996

    assert account.next_liquidation_bar(0) == 2
    assert account.due(1) == []
    [liquidation] = account.due(2)

    assert liquidation.symbol == BTC
    assert liquidation.size == 1.0
    assert liquidation.price == pytest.approx(price, rel=1e-12)
    # The clearance fee takes the maintenance margin left: 10 + (p - 100) = 0.004 p.
    assert liquidation.fee == pytest.approx(0.004 * price, rel=1e-9)
    assert not liquidation.bankrupt


def test_isolated_long_gapping_below_its_liquidation_price_closes_at_the_open() -> None:
    account, _ = _isolated_long([CALM, (90.2, 90.5, 89.9, 90.1, 0.0)])

    [liquidation] = account.due(1)

    assert liquidation.price == 90.2
    assert liquidation.fee == pytest.approx(0.2, rel=1e-9)  # all that is left of the margin
    assert not liquidation.bankrupt


def test_isolated_long_gapping_below_its_bankruptcy_price_closes_at_the_bankruptcy_price() -> None:
    account, _ = _isolated_long([CALM, (85.0, 86.0, 84.0, 85.0, 0.0)])

    [liquidation] = account.due(1)

    assert liquidation.price == pytest.approx(90.0, rel=1e-12)
    assert liquidation.fee == 0.0
    assert liquidation.bankrupt


def test_isolated_short_is_liquidated_when_the_mark_high_reaches_its_price() -> None:
    rows = [CALM, (100.0, 118.0, 99.0, 117.0, 0.0), (117.0, 119.0, 116.0, 118.5, 0.0)]
    account, portfolio = _account({SOL: rows}, MarginModel(mode="isolated", leverage=5))  # type: ignore[arg-type]
    _fill(account, portfolio, SOL, -2.0, 100.0)

    [liquidation] = account.due(2)

    assert account.next_liquidation_bar(0) == 2
    assert liquidation.price == pytest.approx(240.0 / 2.02, rel=1e-12)
    assert liquidation.size == -2.0


def test_isolated_positions_are_liquidated_alone() -> None:
    crash = (100.0, 100.0, 80.0, 81.0, 0.0)
    account, portfolio = _account(
        {BTC: [CALM, crash], ETH: [CALM, CALM]},
        MarginModel(mode="isolated", leverage=10),  # type: ignore[arg-type]
    )
    _fill(account, portfolio, BTC, 1.0, 100.0)
    _fill(account, portfolio, ETH, 1.0, 100.0)

    assert [q.symbol for q in account.due(1)] == [BTC]


def test_cross_account_is_liquidated_when_equity_falls_to_the_total_maintenance_margin() -> None:
    rows_btc = [CALM, (100.0, 100.0, 90.0, 92.0, 0.0)]
    rows_eth = [(10.0, 10.05, 9.95, 10.0, 0.0), (10.0, 11.0, 10.0, 10.5, 0.0)]
    account, portfolio = _account({BTC: rows_btc, ETH: rows_eth}, MarginModel(), wallet=20.0)
    _fill(account, portfolio, BTC, 1.0, 100.0)
    _fill(account, portfolio, ETH, -10.0, 10.0)

    liquidations = account.due(1)

    assert account.next_liquidation_bar(0) == 1
    assert [q.symbol for q in liquidations] == [BTC, ETH]
    btc, eth = (q.price for q in liquidations)
    assert 90.0 < btc < 100.0
    assert 10.0 < eth < 11.0
    # Both marks moved the same fraction of the way from their open to their extreme.
    assert (100.0 - btc) / 10.0 == pytest.approx((eth - 10.0) / 1.0, rel=1e-9)
    equity = 20.0 + (btc - 100.0) - 10.0 * (eth - 10.0)
    maintenance = 0.004 * btc + 0.005 * 10.0 * eth
    assert equity == pytest.approx(maintenance, rel=1e-9)
    assert sum(q.fee for q in liquidations) == pytest.approx(equity, rel=1e-9)


def test_cross_account_gapping_past_bankruptcy_loses_the_wallet_and_no_more() -> None:
    account, portfolio = _account({BTC: [CALM, (70.0, 71.0, 69.0, 70.0, 0.0)]}, MarginModel(), 20)
    _fill(account, portfolio, BTC, 1.0, 100.0)

    [liquidation] = account.due(1)

    assert liquidation.bankrupt
    assert liquidation.price == pytest.approx(80.0, rel=1e-12)  # 20 + (p - 100) = 0
    assert liquidation.fee == pytest.approx(0.0, abs=1e-12)


def test_funding_paid_from_the_wallet_brings_a_cross_liquidation_closer() -> None:
    rows = [CALM, (100.0, 100.0, 85.0, 86.0, 0.0)]
    account, portfolio = _account({BTC: rows}, MarginModel(), wallet=20.0)
    _fill(account, portfolio, BTC, 1.0, 100.0)
    assert account.due(1) == []  # liquidation at (100 - 20) / 0.996 = 80.3

    portfolio.withdraw(EXCHANGE, "USDT", 6.0)  # what funding or fees would take
    account.refresh()

    assert [q.symbol for q in account.due(1)] == [BTC]


def test_unrealized_pnl_is_marked_at_each_bars_mark_close() -> None:
    account, portfolio = _account({BTC: [CALM, (100.0, 104.0, 99.0, 103.0, 0.0)]}, MarginModel())
    _fill(account, portfolio, BTC, -2.0, 101.0)

    assert account.unrealized_pnl(0) == pytest.approx(-2.0 * (100.0 - 101.0))
    assert account.unrealized_pnl(1) == pytest.approx(-2.0 * (103.0 - 101.0))
    assert account.unrealized_pnl(-1) == pytest.approx(-2.0 * (100.0 - 101.0))  # first open


@given(
    st.lists(st.tuples(st.integers(60, 140), st.integers(0, 8)), min_size=2, max_size=40),
    st.sampled_from(["isolated", "cross"]),
    st.sampled_from([1.0, 3.0, 10.0, 25.0]),
    st.sampled_from([-3.0, -1.0, 1.0, 2.0]),
    st.integers(0, 5),
)
def test_next_liquidation_bar_is_the_first_bar_due_reports(
    bars: list[tuple[int, int]], mode: str, leverage: float, qty: float, start: int
) -> None:
    rows = [(float(b), float(b + w), float(b - w), float(b), 0.0) for b, w in bars]
    model = MarginModel(mode=mode, leverage=leverage)  # type: ignore[arg-type]
    account, portfolio = _account({BTC: rows}, model, wallet=60.0)
    _fill(account, portfolio, BTC, qty, rows[0][0])

    due = [bar for bar in range(start, len(rows)) if account.due(bar)]

    assert account.next_liquidation_bar(start) == (due[0] if due else len(rows))


def test_without_positions_nothing_is_due() -> None:
    account, _ = _account({BTC: [CALM, (100.0, 100.0, 1.0, 1.0, 0.0)]}, MarginModel(leverage=100))

    assert account.next_liquidation_bar(0) == 2
    assert account.due(1) == []
    assert np.isclose(account.unrealized_pnl(1), 0.0)
