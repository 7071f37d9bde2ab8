"""Perpetuals in the backtest engine, on hand-made candles: liquidation, funding, margin, mark.

Every scenario runs on the fast path and bar by bar; both must give the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pytest

from quantbot.core import Fill, OrderState, OrderType, Side
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.results import BacktestResult
from quantbot.strategies import Strategy
from quantbot.venues.simulated import FillModel, MarginModel

from .order_checks import assert_legal_history
from .strategies_for_tests import Scripted
from factories import MINUTE_MS, START_MS, make_instrument, make_ohlcv

PERP = "BTC/USDT:USDT"
Row = tuple[float, float, float, float, float]
FLAT: Row = (100.0, 100.5, 99.5, 100.0, 1_000.0)
MODEL = FillModel(maker_fee_pct=0.02, taker_fee_pct=0.05, slippage_pct=0.0, max_volume_share=None)
MMR = 0.004  # BTC's tier-1 maintenance rate


def _data(
    rows: Sequence[Row],
    *,
    funding: Sequence[tuple[int, float]] = (),
    marks: Sequence[Row] | None = None,
) -> BacktestData:
    """One perpetual; ``funding`` as (bar at whose close it settles, rate)."""
    frame = pd.DataFrame(
        {
            "ts_ms": [START_MS + (bar + 1) * MINUTE_MS for bar, _ in funding],
            "funding_rate": [rate for _, rate in funding],
        }
    )
    return BacktestData(
        "1m",
        {PERP: make_ohlcv(rows)},
        {PERP: make_instrument(PERP, tick_size=0.01, lot_size=0.001)},
        funding={PERP: frame} if funding else {},
        marks={} if marks is None else {PERP: make_ohlcv(marks)},
    )


def _run(
    data: BacktestData,
    strategies: Sequence[Strategy],
    *,
    skip: bool,
    capital: float = 10_000.0,
    margin: MarginModel | None = None,
) -> BacktestResult:
    config = BacktestConfig(
        initial_capital=capital,
        fill_model=MODEL,
        skip_idle_bars=skip,
        margin=margin or MarginModel(),
    )
    return run_backtest(data, strategies, config)


def _order(side: Side, qty: float, **kwargs: object) -> object:
    return lambda s, bar, ctx: s.place(ctx, PERP, side, qty, **kwargs)


CRASH: list[Row] = [
    FLAT,
    FLAT,
    (100.0, 100.0, 95.0, 96.0, 1_000.0),
    (96.0, 96.5, 91.0, 92.0, 1_000.0),
    (92.0, 92.0, 89.0, 89.5, 1_000.0),  # the low passes 90.36, the 10x long's liquidation
    (89.5, 90.0, 80.0, 81.0, 1_000.0),
    FLAT,
]


# -- liquidation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("skip", [True, False])
def test_isolated_long_at_10x_is_liquidated_on_the_crash_bar_at_its_liquidation_price(
    skip: bool,
) -> None:
    strategy = Scripted({0: _order(Side.BUY, 10.0)}, symbols=[PERP])
    isolated = MarginModel(mode="isolated", leverage=10)  # type: ignore[arg-type]

    result = _run(_data(CRASH), [strategy], skip=skip, margin=isolated)

    entry, liquidation = result.fills.itertuples()
    price = (100.0 - 100.0 / 10) / (1 - MMR)  # margin 100 on 10 @ 100
    assert (entry.price, entry.liquidation) == (100.0, False)
    assert liquidation.ts_ms == START_MS + 4 * MINUTE_MS
    assert (liquidation.side, liquidation.qty, liquidation.liquidation) == ("sell", 10.0, True)
    assert liquidation.price == pytest.approx(price, rel=1e-12)
    assert liquidation.fee == pytest.approx(MMR * 10 * price, rel=1e-9)  # what was left
    [row] = result.liquidations.itertuples()
    assert (row.symbol, row.side, row.qty, row.bankrupt) == (PERP, "long", 10.0, False)
    # The whole margin (100) and the entry fee are lost; nothing else.
    assert result.final_equity == pytest.approx(10_000.0 - 100.0 - 0.5, rel=1e-12)
    trade = result.trades.iloc[0]
    assert trade["pnl"] == pytest.approx(-100.5, rel=1e-9)
    assert strategy.hooks("fill")[-1][2].price == pytest.approx(price, rel=1e-12)


@pytest.mark.parametrize("skip", [True, False])
def test_cross_account_is_liquidated_only_when_the_wallet_no_longer_covers_the_loss(
    skip: bool,
) -> None:
    # Capital 150, long 10 @ 100 at 10x: equity 149.5 + 10 (p - 100) = 0.004 x 10 p.
    strategy = Scripted({0: _order(Side.BUY, 10.0)}, symbols=[PERP])

    result = _run(
        _data(CRASH), [strategy], skip=skip, capital=150.0, margin=MarginModel(leverage=10)
    )

    liquidation = result.fills.iloc[-1]
    price = (1_000.0 - 149.5) / (10 * (1 - MMR))
    assert liquidation["ts_ms"] == START_MS + 5 * MINUTE_MS  # the 80 low, not the 89
    assert liquidation["price"] == pytest.approx(price, rel=1e-9)
    assert result.final_equity == pytest.approx(0.0, abs=1e-9)  # the clearance fee takes the rest


@pytest.mark.parametrize("skip", [True, False])
def test_liquidation_wins_over_a_stop_in_the_same_bar_and_cancels_the_open_orders(
    skip: bool,
) -> None:
    def protect(s: Scripted, fill: Fill, ctx: object) -> None:
        if not fill.client_order_id.startswith("liquidation"):
            s.place(ctx, PERP, Side.SELL, 10.0, order_type=OrderType.STOP, stop_price=89.5)
            s.place(ctx, PERP, Side.SELL, 10.0, order_type=OrderType.LIMIT, price=120.0)

    strategy = Scripted({0: _order(Side.BUY, 10.0)}, symbols=[PERP], on_fill=protect)
    isolated = MarginModel(mode="isolated", leverage=10)  # type: ignore[arg-type]

    result = _run(_data(CRASH), [strategy], skip=skip, margin=isolated)

    assert result.fills["liquidation"].tolist() == [False, True]
    _, stop, target = strategy.orders
    assert stop.state is OrderState.CANCELED
    assert target.state is OrderState.CANCELED
    for order in strategy.orders:
        assert_legal_history(order)
    updates = [detail for _, _, detail in strategy.hooks("update")]
    assert updates == [
        (stop.client_order_id, OrderState.CANCELED),
        (target.client_order_id, OrderState.CANCELED),
    ]


@pytest.mark.parametrize("skip", [True, False])
def test_liquidation_is_checked_on_the_mark_not_the_traded_price(skip: bool) -> None:
    marks = [FLAT, FLAT, FLAT, FLAT, FLAT, FLAT, FLAT]  # the mark never falls
    strategy = Scripted({0: _order(Side.BUY, 10.0)}, symbols=[PERP])
    isolated = MarginModel(mode="isolated", leverage=10)  # type: ignore[arg-type]

    result = _run(_data(CRASH, marks=marks), [strategy], skip=skip, margin=isolated)

    assert not result.fills["liquidation"].any()
    assert result.liquidations.empty
    # Equity marks the position at the mark's close, not at the traded close.
    assert result.equity[-2] == pytest.approx(10_000.0 - 0.5, rel=1e-12)


@pytest.mark.parametrize("skip", [True, False])
def test_short_liquidated_when_the_mark_high_reaches_its_price(skip: bool) -> None:
    rows = [FLAT, FLAT, (100.0, 104.0, 99.0, 103.0, 1.0), (103.0, 121.0, 102.0, 120.0, 1.0), FLAT]
    strategy = Scripted({0: _order(Side.SELL, 2.0)}, symbols=[PERP])
    isolated = MarginModel(mode="isolated", leverage=5)  # type: ignore[arg-type]

    result = _run(_data(rows), [strategy], skip=skip, margin=isolated)

    liquidation = result.fills.iloc[-1]
    assert liquidation["side"] == "buy"
    assert liquidation["ts_ms"] == START_MS + 3 * MINUTE_MS
    assert liquidation["price"] == pytest.approx((100.0 + 20.0) / (1 + MMR), rel=1e-12)


# -- funding -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("skip", [True, False])
def test_a_short_receives_positive_funding_and_pays_negative_funding_on_its_mark(
    skip: bool,
) -> None:
    rows = [FLAT, FLAT, (100.0, 101.0, 99.0, 100.5, 1.0), FLAT, (100.0, 103.0, 99.0, 102.0, 1.0)]
    rows += [FLAT] * 3
    strategy = Scripted({0: _order(Side.SELL, 2.0), 5: _order(Side.BUY, 2.0)}, symbols=[PERP])
    funding = [(0, 0.01), (2, 0.001), (4, -0.002), (7, 0.05)]  # the first and last: flat

    result = _run(_data(rows, funding=funding), [strategy], skip=skip)

    paid = result.funding
    assert paid["ts_ms"].tolist() == [START_MS + 3 * MINUTE_MS, START_MS + 5 * MINUTE_MS]
    assert paid["position_qty"].tolist() == [-2.0, -2.0]
    assert paid["mark_price"].tolist() == [100.5, 102.0]
    assert paid["amount"].tolist() == pytest.approx([2 * 100.5 * 0.001, -2 * 102.0 * 0.002])
    fees = result.fills["fee"].sum()
    assert result.final_equity == pytest.approx(10_000.0 - fees + paid["amount"].sum(), rel=1e-12)
    [trade] = result.trades.itertuples()
    assert trade.funding == pytest.approx(paid["amount"].sum(), rel=1e-12)
    assert trade.pnl == pytest.approx(result.final_equity - 10_000.0, rel=1e-9)


@pytest.mark.parametrize("skip", [True, False])
def test_two_strategies_in_one_perpetual_each_pay_on_their_own_position(skip: bool) -> None:
    long = Scripted({0: _order(Side.BUY, 3.0)}, symbols=[PERP], strategy_id="long")
    short = Scripted({0: _order(Side.SELL, 1.0)}, symbols=[PERP], strategy_id="short")

    result = _run(_data([FLAT] * 4, funding=[(2, 0.001)]), [long, short], skip=skip)

    amounts = result.funding.set_index("strategy")["amount"].to_dict()
    assert amounts == pytest.approx({"long": -3 * 100 * 0.001, "short": 1 * 100 * 0.001})
    final = {sid: curve[-1] for sid, curve in result.strategy_equity.items()}
    total_fees = result.fills["fee"].sum()
    assert sum(final.values()) == pytest.approx(result.final_equity, rel=1e-12)
    assert result.final_equity == pytest.approx(10_000.0 - total_fees - 0.2, rel=1e-12)


# -- margin at submission -------------------------------------------------------------------------


def test_orders_are_cut_to_the_margin_left() -> None:
    # 1,000 of capital at 2x: a market buy at 100 (+0.1 % cushion) needs 50.1 per contract.
    actions = {0: _order(Side.BUY, 50.0), 2: _order(Side.BUY, 5.0)}
    strategy = Scripted(actions, symbols=[PERP])

    result = _run(
        _data([FLAT] * 4), [strategy], skip=True, capital=1_000.0, margin=MarginModel(leverage=2)
    )

    first, second = strategy.orders
    assert first.qty == pytest.approx(1_000.0 / (100.0 * 1.001 * (0.5 + 0.0005)), abs=1e-3)
    assert 0 < second.qty < 0.1  # what the first left of the margin
    held = first.qty + second.qty
    assert held * 100.0 / 2 + result.fills["fee"].sum() <= 1_000.0
    assert [r.check for r in result.rejections.itertuples()] == []


def test_an_order_no_lot_of_which_the_margin_covers_is_refused_with_the_values() -> None:
    strategy = Scripted({0: _order(Side.SELL, 1.0)}, symbols=[PERP])

    result = _run(_data([FLAT] * 3), [strategy], skip=True, capital=0.04)

    [order] = strategy.orders
    assert order.state is OrderState.REJECTED
    [rejection] = result.rejections.itertuples()
    assert rejection.check == "margin"
    assert rejection.reason == (
        "margin: initial margin 100.15 USDT (1 x 100.1 at leverage 1, fee included) "
        "exceeds the available 0.04 USDT"
    )


def test_spot_runs_are_untouched_by_the_margin_model() -> None:
    spot = "BTC/USDT"
    data = BacktestData("1m", {spot: make_ohlcv([FLAT] * 3)}, {spot: make_instrument(spot)})
    strategy = Scripted({0: lambda s, bar, ctx: s.place(ctx, spot, Side.BUY, 1.0)}, symbols=[spot])

    result = _run(data, [strategy], skip=True, margin=MarginModel(leverage=50))

    assert result.funding.empty
    assert result.liquidations.empty
    assert result.fills["liquidation"].tolist() == [False]


def test_funding_or_marks_for_a_spot_symbol_are_refused() -> None:
    spot = "BTC/USDT"
    with pytest.raises(ValueError, match="not perpetuals"):
        BacktestData(
            "1m",
            {spot: make_ohlcv([FLAT])},
            {spot: make_instrument(spot)},
            marks={spot: make_ohlcv([FLAT])},
        )
