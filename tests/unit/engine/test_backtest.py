"""The backtest engine on hand-made candles: hook order, timeframes, halts, rejections,
the order state machine, timers and balance reservations."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from quantbot.core import (
    Fill,
    OrderState,
    OrderType,
    Side,
    TimeInForce,
    rejected_by_check,
)
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.engine import ledger
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.results import BacktestResult
from quantbot.strategies import Bar, Strategy, StrategyContext
from quantbot.venues.simulated import BookDepth, FillModel

from .order_checks import assert_legal_history
from .strategies_for_tests import Scripted
from factories import MINUTE_MS, START_MS, SYMBOL, make_backtest_data, make_instrument, make_ohlcv

Row = tuple[float, float, float, float, float]
HOUR_MS = 3_600_000
FLAT: Row = (100.0, 100.5, 99.5, 100.0, 1_000.0)
MODEL = FillModel(maker_fee_pct=0.02, taker_fee_pct=0.05, slippage_pct=0.1, max_volume_share=None)


def _data(rows: Sequence[Row], *, min_notional: float = 0.0) -> BacktestData:
    return BacktestData(
        "1m",
        {SYMBOL: make_ohlcv(rows)},
        {SYMBOL: make_instrument(tick_size=0.01, lot_size=0.001, min_notional=min_notional)},
    )


def _run(
    data: BacktestData,
    strategies: Sequence[Strategy],
    *,
    model: FillModel = MODEL,
    capital: float = 10_000.0,
    skip: bool = True,
) -> BacktestResult:
    config = BacktestConfig(initial_capital=capital, fill_model=model, skip_idle_bars=skip)
    return run_backtest(data, strategies, config)


def _close_ms(bar: int) -> int:
    return START_MS + (bar + 1) * MINUTE_MS


def _buy(qty: float, **kwargs: object) -> object:
    return lambda s, bar, ctx: s.place(ctx, bar.symbol, Side.BUY, qty, **kwargs)


# -- hook order and timing ------------------------------------------------------------------


@pytest.mark.parametrize("skip", [True, False])
def test_fills_of_a_bar_reach_the_strategy_before_its_candle(skip: bool) -> None:
    strategy = Scripted({0: _buy(1.0)})

    _run(_data([FLAT] * 4), [strategy], skip=skip)

    on_bar_1 = [(hook, now) for hook, now, _ in strategy.calls if now == _close_ms(1)]
    assert on_bar_1 == [("fill", _close_ms(1)), ("candle", _close_ms(1))]


def test_market_order_decided_on_a_close_fills_at_the_next_open_as_taker() -> None:
    rows = [FLAT, (101.0, 102.0, 100.0, 101.5, 1_000.0), FLAT]
    strategy = Scripted({0: _buy(2.0)})

    result = _run(_data(rows), [strategy])

    [fill] = result.fills.itertuples()
    assert fill.ts_ms == START_MS + MINUTE_MS  # the open of bar 1
    assert fill.price == pytest.approx(101.0 * 1.001, rel=1e-12)
    assert fill.fee == pytest.approx(2.0 * 101.0 * 1.001 * 0.0005, rel=1e-12)
    assert (fill.liquidity, fill.side, fill.fee_currency) == ("taker", "buy", "USDT")


def test_equity_at_a_bar_close_includes_that_bars_fills_marked_at_its_close() -> None:
    rows = [FLAT, (100.0, 101.5, 99.5, 101.0, 1_000.0), (101.0, 103.0, 100.0, 102.5, 1_000.0)]
    free = FillModel(maker_fee_pct=0, taker_fee_pct=0, slippage_pct=0, max_volume_share=None)

    result = _run(_data(rows), [Scripted({0: _buy(1.0)})], model=free)

    assert result.equity.tolist() == pytest.approx([10_000.0, 10_001.0, 10_002.5], rel=1e-12)


def test_strategy_on_a_higher_timeframe_sees_each_candle_only_once_it_has_closed() -> None:
    data = make_backtest_data(minutes=6 * 60 + 30)  # six whole hours and half of a seventh
    strategy = Scripted(timeframe="1h")

    _run(data, [strategy])

    candles = strategy.hooks("candle")
    assert [bar.ts_ms for _, _, bar in candles] == [START_MS + k * HOUR_MS for k in range(6)]
    base = data.arrays[SYMBOL]
    for now, bar in ((now, bar) for _, now, bar in candles):
        assert bar.ts_ms + HOUR_MS == now  # delivered at its close, not before, not later
        minutes = slice(bar.index * 60, bar.index * 60 + 60)
        assert bar.open == base.open[minutes][0]
        assert bar.high == base.high[minutes].max()
        assert bar.low == base.low[minutes].min()
        assert bar.close == base.close[minutes][-1]
        assert bar.volume == pytest.approx(base.volume[minutes].sum(), rel=1e-12)


def test_higher_timeframe_candle_missing_its_last_minute_is_still_delivered_after_its_close() -> (
    None
):
    full = make_backtest_data(minutes=3 * 60).arrays[SYMBOL]
    keep = np.arange(len(full)) != 59  # no candle for 00:59
    gapped = OhlcvArrays(*(getattr(full, c)[keep] for c in OhlcvArrays.__slots__))
    data = BacktestData("1m", {SYMBOL: gapped}, {SYMBOL: make_instrument()})
    strategy = Scripted(timeframe="1h")

    _run(data, [strategy])

    for _, now, bar in strategy.hooks("candle"):
        assert bar.ts_ms + HOUR_MS <= now


@pytest.mark.parametrize("skip", [True, False])
def test_timers_fire_at_the_first_bar_close_at_or_after_their_time(skip: bool) -> None:
    def start(s: Scripted, ctx: StrategyContext) -> None:
        ctx.set_timer(START_MS + 150_000, "between closes")  # 2.5 bars in
        ctx.set_timer(START_MS + 5 * MINUTE_MS, "on a close")
        ctx.set_timer(START_MS + 100 * MINUTE_MS, "after the end")

    def later(s: Scripted, bar: Bar, ctx: StrategyContext) -> None:
        ctx.set_timer(ctx.now_ms + 1, "one ms after this close")

    strategy = Scripted({6: later}, wake=[6], on_start=start)

    _run(_data([FLAT] * 10), [strategy], skip=skip)

    assert [(now, name) for _, now, name in strategy.hooks("timer")] == [
        (START_MS + 3 * MINUTE_MS, "between closes"),
        (START_MS + 5 * MINUTE_MS, "on a close"),
        (_close_ms(7), "one ms after this close"),
    ]


def test_order_placed_in_on_start_never_fills_before_it_was_decided() -> None:
    strategy = Scripted(on_start=lambda s, ctx: s.place(ctx, SYMBOL, Side.BUY, 1.0))

    result = _run(_data([FLAT] * 3), [strategy])

    [order] = strategy.orders
    assert result.fills["ts_ms"].min() >= order.ts_ms


# -- halting a strategy ---------------------------------------------------------------------------


def _boom(s: Scripted, bar: Bar, ctx: StrategyContext) -> None:
    raise RuntimeError("boom")


def test_strategy_raising_in_on_candle_is_halted_alone_and_its_orders_are_canceled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    faulty = Scripted(
        {2: _buy(1.0, order_type=OrderType.LIMIT, price=90.0), 5: _boom}, strategy_id="a"
    )
    healthy = Scripted({3: _buy(0.5), 8: _buy(0.5)}, strategy_id="b")

    with caplog.at_level(logging.ERROR):
        result = _run(_data([FLAT] * 12), [faulty, healthy])

    [resting] = faulty.orders
    assert resting.state is OrderState.CANCELED
    assert max(bar.index for _, _, bar in faulty.hooks("candle")) == 5
    assert result.fills.groupby("strategy")["ts_ms"].apply(list).to_dict() == {
        "b": [START_MS + 4 * MINUTE_MS, START_MS + 9 * MINUTE_MS]
    }
    assert "strategy a stopped: on_candle raised RuntimeError: boom" in caplog.text


def test_strategy_raising_in_precompute_is_halted_before_it_trades() -> None:
    class Broken(Scripted):
        def precompute(self, history: object) -> None:  # type: ignore[override]
            raise ValueError("no data")

    broken, healthy = (
        Broken({0: _buy(1.0)}, strategy_id="a"),
        Scripted({0: _buy(1.0)}, strategy_id="b"),
    )

    result = _run(_data([FLAT] * 3), [broken, healthy])

    assert broken.hooks("candle") == []
    assert set(result.fills["strategy"]) == {"b"}


def test_strategy_whose_wake_masks_miss_a_symbol_is_halted_alone() -> None:
    class Partial(Scripted):
        def precompute(self, history: object) -> dict[str, np.ndarray]:  # type: ignore[override]
            return {}

    partial, healthy = Partial(strategy_id="a"), Scripted({0: _buy(1.0)}, strategy_id="b")

    result = _run(_data([FLAT] * 3), [partial, healthy])

    assert set(result.fills["strategy"]) == {"b"}


def test_strategy_halted_in_precompute_is_never_started() -> None:
    class Broken(Scripted):
        def precompute(self, history: object) -> None:  # type: ignore[override]
            raise ValueError("no data")

    broken = Broken({0: _buy(1.0)})

    _run(_data([FLAT] * 3), [broken])

    assert broken.hooks("start") == []


# -- rejections ---------------------------------------------------------------------------------


def test_rejected_order_comes_back_rejected_with_the_checks_reason_and_is_listed() -> None:
    strategy = Scripted({1: _buy(0.01)})

    result = _run(_data([FLAT] * 3, min_notional=5.0), [strategy])

    [order] = strategy.orders
    reason = "min_notional 5 USDT not reached: 0.01 x 100 = 1 USDT"
    assert order.state is OrderState.REJECTED
    assert [(t.from_state, t.to_state, t.reason) for t in order.history] == [
        (OrderState.PENDING, OrderState.REJECTED, f"refused by min_notional: {reason}")
    ]
    assert rejected_by_check(order) == "min_notional"
    assert result.fills.empty
    assert result.rejections.to_dict("records") == [
        {
            "ts_ms": _close_ms(1),
            "strategy": "scripted",
            "symbol": SYMBOL,
            "side": "buy",
            "qty": 0.01,
            "check": "min_notional",
            "reason": reason,
        }
    ]


def test_order_sized_to_zero_is_refused_without_halting_the_strategy() -> None:
    strategy = Scripted({1: _buy(0.0)})

    result = _run(_data([FLAT] * 4), [strategy])

    assert [bar.index for _, _, bar in strategy.hooks("candle")] == [0, 1, 2, 3]
    assert result.rejections["check"].tolist() == ["qty"]


def test_open_buy_orders_reserve_quote_so_later_buys_are_cut_or_rejected() -> None:
    def bar1(s: Scripted, bar: Bar, ctx: StrategyContext) -> None:
        for price, qty in ((90.0, 100.0), (80.0, 100.0), (80.0, 10.0)):
            s.place(ctx, SYMBOL, Side.BUY, qty, order_type=OrderType.LIMIT, price=price)

    def bar2(s: Scripted, bar: Bar, ctx: StrategyContext) -> None:
        ctx.cancel(s.orders[0].client_order_id)
        s.place(ctx, SYMBOL, Side.BUY, 100.0, order_type=OrderType.LIMIT, price=90.0)

    strategy = Scripted({1: bar1, 2: bar2})

    _run(_data([FLAT] * 4), [strategy])

    first, cut, refused, after_cancel = strategy.orders
    per_unit = 80.0 * (1 + 0.0005)  # the limit price plus the taker fee
    free = 10_000.0 - 100.0 * 90.0 * (1 + 0.0005)
    assert first.state is OrderState.CANCELED
    assert cut.state is OrderState.NEW
    assert cut.qty * per_unit <= free
    assert (cut.qty + 0.001) * per_unit > free
    assert refused.state is OrderState.REJECTED
    assert rejected_by_check(refused) == "balance"
    assert refused.history[-1].reason.startswith("refused by balance: insufficient USDT")
    assert (after_cancel.state, after_cancel.qty) == (OrderState.NEW, 100.0)


def test_open_sell_orders_reserve_the_base_asset() -> None:
    def bar2(s: Scripted, bar: Bar, ctx: StrategyContext) -> None:
        s.place(ctx, SYMBOL, Side.SELL, 1.0, order_type=OrderType.LIMIT, price=200.0)
        s.place(ctx, SYMBOL, Side.SELL, 1.0)

    strategy = Scripted({0: _buy(1.0), 2: bar2})

    _run(_data([FLAT] * 4), [strategy])

    _, resting, refused = strategy.orders
    assert resting.state is OrderState.NEW
    assert refused.state is OrderState.REJECTED
    assert refused.history[-1].reason == (
        "refused by balance: insufficient BTC: free 0 does not cover sell 1 BTC/USDT"
    )


def test_spot_buy_never_spends_more_quote_than_the_account_holds() -> None:
    gap_up = (110.0, 111.0, 109.0, 110.0, 1_000.0)
    strategy = Scripted({0: _buy(200.0)})  # cut by the balance check to what 100 allows

    result = _run(_data([FLAT, gap_up, FLAT]), [strategy])

    fills = result.fills
    spent = (fills["qty"] * fills["price"] + fills["fee"]).sum()
    assert spent <= 10_000.0


# -- the order state machine ---------------------------------------------------------------------

_SCENARIO_ROWS: list[Row] = [
    (100.0, 100.5, 99.5, 100.0, 20.0),
    (100.0, 100.5, 99.5, 100.0, 20.0),
    (100.0, 100.5, 99.5, 100.0, 20.0),
    (99.0, 99.5, 94.0, 96.0, 20.0),
    (96.0, 97.0, 95.5, 96.0, 20.0),
    (96.0, 96.5, 95.5, 96.0, 20.0),
    (100.0, 100.5, 99.5, 100.0, 20.0),
    (100.0, 100.5, 99.5, 100.0, 20.0),
    (101.0, 104.0, 100.5, 103.5, 20.0),
    (103.0, 103.5, 102.5, 103.0, 20.0),
]
"""Volume 20 and a 10 % cap: 2 units may fill per bar."""


def _scenario() -> tuple[Scripted, BacktestResult]:
    limit, gtc = OrderType.LIMIT, TimeInForce.GTC

    def bar0(s: Scripted, bar: Bar, ctx: StrategyContext) -> None:
        s.place(ctx, SYMBOL, Side.BUY, 1.0)  # o1: market
        s.place(ctx, SYMBOL, Side.BUY, 1.0, order_type=limit, price=95.0)  # o2: rests
        s.place(ctx, SYMBOL, Side.BUY, 1.0, order_type=limit, price=90.0)  # o3: canceled
        for tif in (TimeInForce.IOC, TimeInForce.FOK):  # o4, o5: 5 > what bar 1 allows
            s.place(ctx, SYMBOL, Side.BUY, 5.0, order_type=limit, price=105.0, time_in_force=tif)
        post = TimeInForce.POST_ONLY  # o6: marketable at arrival
        s.place(ctx, SYMBOL, Side.BUY, 1.0, order_type=limit, price=102.0, time_in_force=post)

    def bar1(s: Scripted, bar: Bar, ctx: StrategyContext) -> None:
        stop = OrderType.STOP  # o7: protective stop, hit on bar 3
        s.place(ctx, SYMBOL, Side.SELL, 1.0, order_type=stop, stop_price=97.0, reduce_only=True)

    def bar6(s: Scripted, bar: Bar, ctx: StrategyContext) -> None:
        s.place(  # o9: stop-limit, limit beyond the stop
            ctx,
            SYMBOL,
            Side.BUY,
            1.0,
            order_type=OrderType.STOP_LIMIT,
            price=104.0,
            stop_price=103.0,
        )
        s.place(ctx, SYMBOL, Side.BUY, 1.0, order_type=limit, price=50.0, time_in_force=gtc)

    strategy = Scripted(
        {
            0: bar0,
            1: bar1,
            2: lambda s, bar, ctx: ctx.cancel(s.orders[2].client_order_id),
            4: lambda s, bar, ctx: s.place(ctx, SYMBOL, Side.SELL, 2.0, reduce_only=True),  # o8
            6: bar6,
            7: _buy(0.0001),  # o11: below the lot
        }
    )
    model = FillModel(
        maker_fee_pct=0.02, taker_fee_pct=0.05, slippage_pct=0.1, max_volume_share=0.1
    )
    return strategy, _run(_data(_SCENARIO_ROWS), [strategy], model=model)


def test_each_kind_of_order_ends_in_the_state_the_venue_rules_give_it() -> None:
    strategy, _ = _scenario()

    got = [(o.state, o.filled_qty) for o in strategy.orders]

    assert got == [
        (OrderState.FILLED, 1.0),  # market
        (OrderState.FILLED, 1.0),  # limit touched on bar 3
        (OrderState.CANCELED, 0.0),  # canceled by the strategy
        (OrderState.EXPIRED, pytest.approx(1.0)),  # IOC: what bar 1 had left
        (OrderState.EXPIRED, 0.0),  # FOK: not all of it, so none
        (OrderState.CANCELED, 0.0),  # post-only that would have taken liquidity
        (OrderState.FILLED, 1.0),  # stop
        (OrderState.FILLED, 2.0),  # reduce-only market sell of the position
        (OrderState.FILLED, 1.0),  # stop-limit
        (OrderState.NEW, 0.0),  # still resting at the end
        (OrderState.REJECTED, 0.0),  # below the lot
    ]
    updates = {detail for _, _, detail in strategy.hooks("update")}
    ids = [o.client_order_id for o in strategy.orders]
    # The venue ended these three on its own: the strategy must hear of it.
    assert {
        (ids[3], OrderState.EXPIRED),
        (ids[4], OrderState.EXPIRED),
        (ids[5], OrderState.CANCELED),
    } <= updates


def test_every_order_history_is_a_chain_of_legal_transitions_matching_its_fills() -> None:
    strategy, result = _scenario()

    for order in strategy.orders:
        assert_legal_history(order)
        rows = result.fills[result.fills["client_order_id"] == order.client_order_id]
        assert rows["qty"].sum() == pytest.approx(order.filled_qty, rel=1e-12)
        assert (rows["ts_ms"] >= order.ts_ms).all()
        fills = [t for t in order.history if t.event == "ORDER_FILLED"]
        assert len(fills) == len(rows)


def test_fills_of_the_scenario_are_maker_only_for_limits_that_rested() -> None:
    strategy, result = _scenario()
    ids = [o.client_order_id for o in strategy.orders]

    liquidity = dict(zip(result.fills["client_order_id"], result.fills["liquidity"], strict=True))

    assert liquidity == {
        ids[0]: "taker",
        ids[1]: "maker",
        ids[3]: "taker",
        ids[6]: "taker",
        ids[7]: "taker",
        ids[8]: "taker",
    }


# -- races between a bar's executions and the strategy's reactions --------------------------------


def _cancel_the_other(s: Scripted, fill: Fill, ctx: StrategyContext) -> None:
    if fill.client_order_id == s.orders[0].client_order_id:
        ctx.cancel(s.orders[1].client_order_id)


def _raise_on_fill(s: Scripted, fill: Fill, ctx: StrategyContext) -> None:
    raise RuntimeError("boom")


@pytest.mark.parametrize("reaction", [_cancel_the_other, _raise_on_fill])
def test_cancel_in_on_fill_of_an_order_partly_filled_on_the_same_bar_keeps_its_fill(
    reaction: object,
) -> None:
    rows = [FLAT, (100.0, 100.5, 97.0, 99.0, 10.0), FLAT]  # 1 unit may fill on bar 1

    def bar0(s: Scripted, bar: Bar, ctx: StrategyContext) -> None:
        s.place(ctx, SYMBOL, Side.BUY, 0.5, order_type=OrderType.LIMIT, price=99.0)
        s.place(ctx, SYMBOL, Side.BUY, 2.0, order_type=OrderType.LIMIT, price=98.0)

    strategy = Scripted({0: bar0}, on_fill=reaction)  # type: ignore[arg-type]
    capped = FillModel(maker_fee_pct=0, taker_fee_pct=0, slippage_pct=0, max_volume_share=0.1)

    result = _run(_data(rows), [strategy], model=capped)

    first, second = strategy.orders
    assert first.state is OrderState.FILLED
    assert second.state is OrderState.CANCELED
    assert second.filled_qty == pytest.approx(0.5)
    assert result.fills["qty"].sum() == pytest.approx(1.0)


def test_volume_capped_fill_leaving_a_float_dust_remainder_completes_the_order() -> None:
    # The bar allows 0.9999999995 of 1.0: within the order's 1e-9 tolerance of complete.
    rows = [FLAT, (100.0, 100.5, 99.5, 100.0, 9.999999995), FLAT, FLAT]
    strategy = Scripted({0: _buy(1.0)})
    capped = FillModel(max_volume_share=0.1)

    result = _run(_data(rows), [strategy], model=capped)

    [order] = strategy.orders
    assert order.state is OrderState.FILLED
    assert len(result.fills) == 1  # no dust left to fill on a later bar


def _depth(ts_ms: int) -> BookDepth:
    return BookDepth(
        pd.DataFrame(
            {
                "ts_ms": [ts_ms],
                "update_id": [0],
                "bids": [[[99.9, 5.0]]],
                "asks": [[[100.2, 0.5], [100.4, 5.0]]],
            }
        ),
        name="book",
    )


def test_a_run_with_the_symbols_book_fills_its_market_orders_against_it() -> None:
    rows = [FLAT] * 3
    buy = {0: lambda s, bar, ctx: s.place(ctx, SYMBOL, Side.BUY, 1.0)}
    instruments = {SYMBOL: make_instrument(tick_size=None, lot_size=None)}
    plain = BacktestData("1m", {SYMBOL: make_ohlcv(rows)}, instruments)
    booked = BacktestData(
        plain.timeframe,
        plain.arrays,
        plain.instruments,
        books={SYMBOL: _depth(START_MS + MINUTE_MS)},
    )

    slipped = run_backtest(plain, [Scripted(buy)], BacktestConfig(10_000, fill_model=MODEL))
    walked = run_backtest(booked, [Scripted(buy)], BacktestConfig(10_000, fill_model=MODEL))

    assert slipped.fills["price"].tolist() == pytest.approx([100.0 * 1.001])
    assert walked.fills["price"].tolist() == pytest.approx([(100.2 * 0.5 + 100.4 * 0.5)])
    assert walked.fills["slippage"].tolist() == pytest.approx([(100.3 - 100.05) * 1.0])
    snapshot_ms = START_MS + MINUTE_MS
    assert walked.config["order_books"] == {
        SYMBOL: {  # bars 1 and 2 open within a minute of the snapshot
            "snapshots": 1,
            "first_ms": snapshot_ms,
            "last_ms": snapshot_ms,
            "bar_opens_covered": 2,
        }
    }
    assert slipped.config["order_books"] == {}


def test_order_books_of_a_symbol_without_candles_are_refused() -> None:
    with pytest.raises(ValueError, match=r"order books for \['ETH/USDT'\], which have no candles"):
        BacktestData(
            "1m",
            {SYMBOL: make_ohlcv([FLAT])},
            {SYMBOL: make_instrument()},
            books={"ETH/USDT": _depth(START_MS)},
        )


def test_the_result_frames_have_their_declared_columns_and_types_with_or_without_rows() -> None:
    rows = [FLAT] * 3
    buy = {0: lambda s, bar, ctx: s.place(ctx, SYMBOL, Side.BUY, 1.0)}
    data = BacktestData(
        "1m", {SYMBOL: make_ohlcv(rows)}, {SYMBOL: make_instrument(tick_size=None, lot_size=None)}
    )
    traded = run_backtest(data, [Scripted(buy)], BacktestConfig(10_000, fill_model=MODEL))
    idle = run_backtest(data, [Scripted({})], BacktestConfig(10_000, fill_model=MODEL))

    declared = dict(ledger._FILL_DTYPES)  # the ledger's own declaration of its columns

    for result in (traded, idle):
        assert {c: str(t) for c, t in result.fills.dtypes.items()} == declared
        assert str(result.funding["amount"].dtype) == "float64"
    assert traded.fills["side"].tolist() == ["buy"]
    assert idle.fills.empty
