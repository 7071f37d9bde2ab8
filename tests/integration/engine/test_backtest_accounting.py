"""Accounting of whole runs, rebuilt independently from the fills and the candles.

Spot only (the account holds quote cash and base assets). Tolerances: money sums are
compared to 1e-7 USDT absolute plus 1e-12 relative (float64 sums of a few thousand
fills of a 100 000 USDT account), fees and prices to 1e-12 relative.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from backtest_runs import (
    BTC,
    CAPITAL,
    ETH,
    StrategyMaker,
    ema_cross,
    fill_models,
    ladder,
    market,
    mixed,
    run,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from quantbot.core import Order, OrderState, OrderType, Side
from quantbot.engine.backtest import BacktestData
from quantbot.engine.results import BacktestResult
from quantbot.venues.simulated import FillModel
from unit.engine.order_checks import assert_legal_history
from unit.engine.strategies_for_tests import Recorded

MONEY_ATOL = 1e-7
REL = 1e-12

makers = st.sampled_from(
    [
        [ema_cross()],
        [ladder(levels=3, spacing_pct=0.1, recenter_every=120)],
        [mixed(seed=1, every=5)],
        [mixed((BTC, ETH), seed=2, every=9), ladder(ETH, qty=0.3), ema_cross(symbol=BTC)],
    ]
)


def _run(
    makers: list[StrategyMaker], seed: int, model: FillModel
) -> tuple[BacktestData, BacktestResult, list[Recorded]]:
    data = market(seed, minutes=1440, symbols=(BTC, ETH))
    recorded = [Recorded(make()) for make in makers]
    return data, run(data, recorded, model=model), recorded


def _fill_bars(data: BacktestData, fills: pd.DataFrame) -> np.ndarray:
    bars = np.searchsorted(data.ts_ms, fills["ts_ms"].to_numpy())
    assert (data.ts_ms[bars] == fills["ts_ms"].to_numpy()).all()
    return bars


def _signed(fills: pd.DataFrame) -> np.ndarray:
    return np.where(fills["side"] == "buy", 1.0, -1.0) * fills["qty"].to_numpy()


@settings(max_examples=8)
@given(st.integers(0, 30), makers, fill_models)
def test_equity_at_every_bar_is_quote_cash_plus_base_holdings_at_the_close(
    seed: int, makers: list[StrategyMaker], model: FillModel
) -> None:
    data, result, _ = _run(makers, seed, model)
    fills = result.fills
    n = len(data.ts_ms)
    bars = _fill_bars(data, fills)
    signed = _signed(fills)

    cash_flow = np.zeros(n)
    np.add.at(cash_flow, bars, -signed * fills["price"].to_numpy() - fills["fee"].to_numpy())
    equity = CAPITAL + np.cumsum(cash_flow)
    for symbol, candles in data.arrays.items():
        mine = (fills["symbol"] == symbol).to_numpy()
        held = np.zeros(n)
        np.add.at(held, bars[mine], signed[mine])
        equity += np.cumsum(held) * candles.close

    np.testing.assert_allclose(result.equity, equity, rtol=REL, atol=MONEY_ATOL)
    total = sum(result.strategy_equity.values())
    np.testing.assert_allclose(total, result.equity, rtol=REL, atol=MONEY_ATOL)


@settings(max_examples=8)
@given(st.integers(0, 30), makers, fill_models)
def test_every_fill_is_priced_within_its_bar_and_charged_the_fee_of_its_liquidity(
    seed: int, makers: list[StrategyMaker], model: FillModel
) -> None:
    data, result, recorded = _run(makers, seed, model)
    orders = {o.client_order_id: o for r in recorded for o in r.orders}
    widen = (model.slippage_pct + model.impact_pct) / 100

    for fill, bar in zip(result.fills.itertuples(), _fill_bars(data, result.fills), strict=True):
        candles = data.arrays[fill.symbol]
        low, high = candles.low[bar], candles.high[bar]
        order = orders[fill.client_order_id]
        maker = fill.liquidity == "maker"
        if maker:
            assert low <= fill.price <= high
        else:
            assert low * (1 - widen) * (1 - REL) <= fill.price <= high * (1 + widen) * (1 + REL)
        if order.price is not None and order.order_type is not OrderType.STOP:
            if order.side is Side.BUY:
                assert fill.price <= order.price * (1 + REL)
            else:
                assert fill.price >= order.price * (1 - REL)
        rate = (model.maker_fee_pct if maker else model.taker_fee_pct) / 100
        assert fill.fee == pytest.approx(fill.qty * fill.price * rate, rel=REL, abs=1e-300)
        expected = _expected_liquidity(order, bar, data, model)
        if expected is not None:
            assert fill.liquidity == expected, (order, bar)


def _expected_liquidity(order: Order, bar: int, data: BacktestData, model: FillModel) -> str | None:
    """Maker for orders that rested on the book before filling, taker otherwise.

    None for the one case the venue's xfail test settles: a stop-limit filled on the bar
    its stop triggered within the range, with its limit inside the stop.
    """
    if order.order_type in (OrderType.MARKET, OrderType.STOP):
        return "taker"
    candles = data.arrays[order.symbol]
    arrival = int(np.searchsorted(data.ts_ms, order.ts_ms)) + model.latency_bars
    buy = order.side is Side.BUY
    assert order.price is not None

    def marketable(at: int) -> bool:
        return bool(candles.open[at] <= order.price if buy else candles.open[at] >= order.price)

    if order.order_type is OrderType.LIMIT:
        return "taker" if bar == arrival and marketable(bar) else "maker"
    stop = order.stop_price
    assert stop is not None
    reached = candles.high >= stop if buy else candles.low <= stop
    trigger = arrival + int(np.argmax(reached[arrival:]))
    if bar > trigger:
        return "maker"
    opened_past = candles.open[trigger] >= stop if buy else candles.open[trigger] <= stop
    if opened_past:
        return "taker" if marketable(trigger) else "maker"
    beyond = order.price >= stop if buy else order.price <= stop
    return "taker" if beyond else None


@settings(max_examples=8)
@given(st.integers(0, 30), makers, fill_models)
def test_strategy_position_is_the_signed_sum_of_its_fills_whenever_it_decides(
    seed: int, makers: list[StrategyMaker], model: FillModel
) -> None:
    _, result, recorded = _run(makers, seed, model)
    fills = result.fills.assign(signed=_signed(result.fills))

    for strategy in recorded:
        checked: defaultdict[str, int] = defaultdict(int)
        for symbol in strategy.symbols:
            mine = fills[(fills["strategy"] == strategy.strategy_id) & (fills["symbol"] == symbol)]
            fill_ts = mine["ts_ms"].to_numpy()
            held_after = np.concatenate(([0.0], np.cumsum(mine["signed"].to_numpy())))
            for hook, now_ms, at_symbol, qty in strategy.positions:
                if at_symbol != symbol:
                    continue
                # Every hook runs after all of the bar's fills are booked: fills before now.
                expected = held_after[np.searchsorted(fill_ts, now_ms, side="left")]
                assert qty == pytest.approx(expected, rel=1e-9, abs=1e-12), hook
                checked[hook] += 1
        assert checked["on_stop"] == len(strategy.symbols)


@settings(max_examples=8)
@given(st.integers(0, 30), st.integers(0, 2), fill_models)
def test_pnl_of_the_trades_rebuilt_from_fills_adds_up_to_the_change_in_equity(
    seed: int, which: int, model: FillModel
) -> None:
    maker = [ema_cross(), ladder(spacing_pct=0.1, recenter_every=120), mixed(seed=seed)][which]
    _, result, _ = _run([maker], seed, model)

    trades = result.trades
    closed = trades[~trades["is_open"]]

    assert trades["pnl"].sum() == pytest.approx(
        result.final_equity - CAPITAL, rel=1e-9, abs=MONEY_ATOL
    )
    assert trades["fees"].sum() == pytest.approx(result.fills["fee"].sum(), rel=1e-9, abs=1e-12)
    assert (closed["exit_ts_ms"] >= closed["entry_ts_ms"]).all()


@settings(max_examples=8)
@given(st.integers(0, 30), makers, fill_models)
def test_every_order_of_a_run_moves_legally_and_its_fills_add_up(
    seed: int, makers: list[StrategyMaker], model: FillModel
) -> None:
    _, result, recorded = _run(makers, seed, model)
    orders = [o for r in recorded for o in r.orders]
    by_order = result.fills.groupby("client_order_id")["qty"]

    assert set(result.fills["client_order_id"]) <= {o.client_order_id for o in orders}
    for order in orders:
        assert_legal_history(order)
        booked = [t for t in order.history if t.event == "ORDER_FILLED"]
        qty = by_order.sum().get(order.client_order_id, 0.0)
        assert len(booked) == by_order.count().get(order.client_order_id, 0)
        assert qty == pytest.approx(order.filled_qty, rel=1e-9, abs=1e-15)
        # Nothing is left half-way: no unacknowledged order, no cancel still in flight.
        assert order.state not in (OrderState.PENDING, OrderState.PENDING_CANCEL)
