"""The backtest engine with a risk manager, on hand-made candles: the breakers' actions, the
resume into recovery, the portfolio rules reading the engine, logging and the fast path."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from quantbot.core import OrderState, OrderType, Side
from quantbot.engine.backtest import (
    RISK_CLOSE_PREFIX,
    BacktestConfig,
    BacktestData,
    run_backtest,
)
from quantbot.engine.results import RISK_EVENT_COLUMNS, BacktestResult
from quantbot.engine.risk_setup import RiskSetup
from quantbot.logs import LogEvent, record_event
from quantbot.risk import RiskLimits
from quantbot.strategies import Bar, Strategy, StrategyContext
from quantbot.venues.simulated import FillModel

from .strategies_for_tests import Scripted
from factories import (
    MINUTE_MS,
    START_MS,
    SYMBOL,
    WIDE_RISK_LIMITS,
    loss_breaker_setup,
    make_instrument,
    make_ohlcv,
)

Row = tuple[float, float, float, float, float]
ETH = "ETH/USDT"
FREE = FillModel(maker_fee_pct=0, taker_fee_pct=0, slippage_pct=0, max_volume_share=None)
WIDE = WIDE_RISK_LIMITS


class Keeper(Scripted):
    """A scripted strategy whose inventory a daily breaker keeps, like a grid's."""

    breaker_policy = "keep_inventory"


def _setup(
    *,
    daily: float = 1.0,
    weekly: float = 5.0,
    monthly: float = 10.0,
    limits: RiskLimits = WIDE,
    shock_pct: float = 10.0,
) -> RiskSetup:
    return loss_breaker_setup(
        daily_pct=daily,
        weekly_pct=weekly,
        monthly_pct=monthly,
        recovery_hours=1.0,
        limits=limits,
        price_shock_pct=shock_pct,
    )


def _row(close: float, previous: float | None = None) -> Row:
    opening = close if previous is None else previous
    return (opening, max(opening, close) + 0.1, min(opening, close) - 0.1, close, 1_000.0)


def _falling_market(bars: int = 1_530) -> list[Row]:
    """100 for ten bars, down to 95 by bar 15 (a 1 % loss for 20 units), then 95."""
    closes = [100.0] * 10 + [99.0, 98.0, 97.0, 96.0, 95.5, 95.0] + [95.0] * (bars - 16)
    return [_row(c, closes[i - 1] if i else None) for i, c in enumerate(closes)]


def _data(rows: Sequence[Row], *, min_notional: float = 0.0) -> BacktestData:
    return BacktestData(
        "1m",
        {SYMBOL: make_ohlcv(rows)},
        {SYMBOL: make_instrument(tick_size=0.01, lot_size=0.001, min_notional=min_notional)},
    )


def _run(
    data: BacktestData,
    strategies: Sequence[Strategy],
    setup: RiskSetup | None,
    *,
    skip: bool = True,
) -> BacktestResult:
    config = BacktestConfig(
        initial_capital=10_000.0, fill_model=FREE, skip_idle_bars=skip, risk=setup
    )
    return run_backtest(data, strategies, config)


def _close_ms(bar: int) -> int:
    return START_MS + (bar + 1) * MINUTE_MS


def _order(side: Side, qty: float, **kwargs: object) -> object:
    return lambda s, bar, ctx: s.place(ctx, bar.symbol, side, qty, **kwargs)


def _both(**actions: dict[int, object]) -> tuple[Scripted, Keeper]:
    closer_actions = {1: _order(Side.BUY, 10.0), **actions.get("closer", {})}
    keeper_actions = {
        1: _order(Side.BUY, 10.0),
        3: lambda s, bar, ctx: (
            s.place(ctx, SYMBOL, Side.BUY, 10.0, order_type=OrderType.LIMIT, price=50.0),
            s.place(ctx, SYMBOL, Side.SELL, 5.0, order_type=OrderType.LIMIT, price=150.0),
        ),
        **actions.get("keeper", {}),
    }
    closer = Scripted(closer_actions, strategy_id="closer", wake=sorted(closer_actions))  # type: ignore[arg-type]
    keeper = Keeper(keeper_actions, strategy_id="keeper", wake=sorted(keeper_actions))  # type: ignore[arg-type]
    return closer, keeper


# -- without a risk manager ---------------------------------------------------------------


def test_without_a_risk_manager_the_risk_events_are_an_empty_frame_of_the_columns() -> None:
    result = _run(_data(_falling_market(40)), _both(), None)

    assert tuple(result.risk_events.columns) == RISK_EVENT_COLUMNS
    assert result.risk_events.empty
    assert result.config["risk"] is None


# -- the daily circuit breaker --------------------------------------------------------------


@pytest.mark.parametrize("skip", [True, False])
def test_a_daily_break_cancels_orders_closes_close_policy_positions_and_keeps_inventory(
    skip: bool,
) -> None:
    closer, keeper = _both(
        keeper={20: _order(Side.BUY, 1.0), 21: _order(Side.SELL, 2.0)},
    )

    result = _run(_data(_falling_market()), [closer, keeper], _setup(), skip=skip)

    trip = result.risk_events.iloc[0]
    assert trip["kind"] == "DAILY_CIRCUIT_BREAK"
    assert trip["ts_ms"] == _close_ms(15)  # 8,000 cash + 20 x 95 = 9,900: -1 %
    assert result.equity[15] == 9_900.0
    assert result.equity[14] > 9_900.0
    assert trip["value"] == pytest.approx(-1.0)
    assert trip["limit"] == -1.0
    assert json.loads(trip["action"]) == {
        "cancel_all_orders": True,
        "close_positions": ["close"],
        "stop_opening": ["close", "keep_inventory"],
    }
    assert json.loads(trip["positions_closed"]) == [
        {"strategy": "closer", "symbol": SYMBOL, "qty": 10.0}
    ]
    # The keeper's resting orders were canceled and it heard of it at the trip.
    limits = keeper.orders[1:3]
    assert [o.state for o in limits] == [OrderState.CANCELED, OrderState.CANCELED]
    updates = [(now, state) for _, now, (_, state) in keeper.hooks("update")]
    assert updates == [(_close_ms(15), OrderState.CANCELED)] * 2
    # The closer's position closed at the next open, by an order attributed to it.
    closing = result.fills[result.fills["client_order_id"].str.startswith(RISK_CLOSE_PREFIX)]
    assert closing[["ts_ms", "strategy", "side", "qty", "price"]].to_dict("records") == [
        {
            "ts_ms": START_MS + 16 * MINUTE_MS,
            "strategy": "closer",
            "side": "sell",
            "qty": 10.0,
            "price": 95.0,
        }
    ]
    assert [fill.client_order_id for _, _, fill in closer.hooks("fill")][-1].startswith(
        RISK_CLOSE_PREFIX
    )
    # The keeper kept its inventory, could not buy, could sell.
    buy, sell = keeper.orders[3:5]
    assert buy.state is OrderState.REJECTED
    assert sell.state is OrderState.FILLED
    rejected = result.rejections[result.rejections["strategy"] == "keeper"]
    assert rejected[["ts_ms", "check"]].values.tolist() == [[_close_ms(20), "circuit_breaker"]]
    assert result.trades.query("strategy == 'keeper'")["size"].tolist() == [10.0]


def test_a_daily_break_resumes_after_24_hours_into_recovery_with_halved_sizes() -> None:
    closer, keeper = _both(
        closer={1460: _order(Side.BUY, 4.0), 1520: _order(Side.BUY, 4.0)},
    )

    result = _run(_data(_falling_market()), [closer, keeper], _setup())

    events = result.risk_events
    assert events["kind"].tolist() == [
        "DAILY_CIRCUIT_BREAK",
        "RESUMED",
        "RECOVERY_STARTED",
        "RECOVERY_ENDED",
    ]
    day_ms, hour_ms = 86_400_000, 3_600_000
    assert events["ts_ms"].tolist() == [
        _close_ms(15),
        _close_ms(15) + day_ms,
        _close_ms(15) + day_ms,
        _close_ms(15) + day_ms + hour_ms,
    ]
    in_recovery, after = closer.orders[1:3]
    assert (in_recovery.qty, in_recovery.state) == (2.0, OrderState.FILLED)
    assert (after.qty, after.state) == (4.0, OrderState.FILLED)


def test_a_halved_order_below_the_minimum_notional_is_refused() -> None:
    closer, keeper = _both(closer={1460: _order(Side.BUY, 4.0)})

    result = _run(_data(_falling_market(), min_notional=300.0), [closer, keeper], _setup())

    # 4 x 95 = 380 passes the venue's minimum; halved, 190 does not.
    assert closer.orders[1].state is OrderState.REJECTED
    last = result.rejections.iloc[-1]
    assert (last["ts_ms"], last["check"]) == (_close_ms(1460), "min_notional")


# -- the weekly and monthly circuit breakers ------------------------------------------------


def test_a_weekly_break_closes_every_position_and_nothing_opens_for_the_rest_of_the_run() -> None:
    closer, keeper = _both(keeper={1460: _order(Side.BUY, 1.0)})

    result = _run(
        _data(_falling_market()), [closer, keeper], _setup(daily=3.0, weekly=1.0, monthly=10.0)
    )

    [trip] = result.risk_events.to_dict("records")
    assert (trip["kind"], trip["ts_ms"]) == ("WEEKLY_CIRCUIT_BREAK", _close_ms(15))
    assert json.loads(trip["positions_closed"]) == [
        {"strategy": "closer", "symbol": SYMBOL, "qty": 10.0},
        {"strategy": "keeper", "symbol": SYMBOL, "qty": 10.0},
    ]
    assert result.trades["is_open"].tolist() == [False, False]
    assert keeper.orders[-1].state is OrderState.REJECTED
    assert result.rejections["check"].tolist() == ["circuit_breaker"]


def test_a_monthly_shutdown_stops_every_strategy_hook() -> None:
    closer, keeper = _both(keeper={30: _order(Side.BUY, 1.0)})

    result = _run(
        _data(_falling_market(60)), [closer, keeper], _setup(daily=3.0, weekly=3.0, monthly=1.0)
    )

    [trip] = result.risk_events.to_dict("records")
    assert trip["kind"] == "MONTHLY_SHUTDOWN"
    assert json.loads(trip["action"])["shutdown"] is True
    for strategy in (closer, keeper):
        assert all(now <= _close_ms(15) for _, now, _ in strategy.calls)
        assert not strategy.hooks("stop")
    assert result.trades["is_open"].tolist() == [False, False]  # both closed at the next open


# -- price shocks ---------------------------------------------------------------------------


def test_a_price_shock_cancels_the_orders_of_that_symbol_only() -> None:
    flat = [_row(100.0)] * 12
    shocked = [*flat[:5], (100.0, 106.0, 94.5, 100.0, 1_000.0), *flat[6:]]
    data = BacktestData(
        "1m",
        {SYMBOL: make_ohlcv(shocked), ETH: make_ohlcv(flat)},
        {SYMBOL: make_instrument(SYMBOL), ETH: make_instrument(ETH)},
    )

    def place(s: Scripted, bar: Bar, ctx: StrategyContext) -> None:
        if bar.symbol != SYMBOL:
            return  # called for each symbol's candle: place once
        for symbol in (SYMBOL, ETH):
            s.place(ctx, symbol, Side.BUY, 1.0, order_type=OrderType.LIMIT, price=50.0)

    strategy = Scripted({1: place}, symbols=[SYMBOL, ETH], wake=[1])

    result = _run(data, [strategy], _setup())

    [shock] = result.risk_events.to_dict("records")
    assert (shock["kind"], shock["subject"], shock["ts_ms"]) == (
        "PRICE_SHOCK",
        SYMBOL,
        _close_ms(5),
    )
    assert shock["value"] == pytest.approx((106.0 / 94.5 - 1.0) * 100.0)
    assert json.loads(shock["action"]) == {"cancel_orders_symbol": SYMBOL}
    btc, eth = strategy.orders
    assert (btc.state, eth.state) == (OrderState.CANCELED, OrderState.NEW)
    assert [(now, coid) for _, now, (coid, _) in strategy.hooks("update")] == [
        (_close_ms(5), btc.client_order_id)
    ]


# -- the portfolio rules read the engine -----------------------------------------------------


def test_a_portfolio_rule_rejection_names_the_numbers_and_logs_risk_rejected(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limits = RiskLimits(
        max_order_size_usd=1e9,
        max_total_exposure_pct=15.0,
        max_single_pair_exposure_pct=100.0,
        max_correlated_exposure_pct=100.0,
        max_capital_per_exchange_pct=100.0,
        reserve_cash_pct=0.0,
    )
    strategy = Scripted(
        {
            1: _order(Side.BUY, 10.0),
            3: _order(Side.BUY, 5.0, order_type=OrderType.LIMIT, price=90.0),
            4: _order(Side.BUY, 1.0),
            5: _order(Side.SELL, 10.0),
        },
        wake=[1, 3, 4, 5],
    )

    with caplog.at_level(logging.DEBUG, logger="quantbot.engine.backtest"):
        result = _run(_data([_row(100.0)] * 10), [strategy], _setup(limits=limits))

    # 10 held and 5 bid for at 100 are 1,500: 15 % of 10,000; one more is 16 %.
    [rejection] = result.rejections.to_dict("records")
    assert rejection["check"] == "max_total_exposure_pct"
    assert "1,500 + 100 = 1,600 USDT is 16.0 % of 10,000 equity, above 1,500" in rejection["reason"]
    assert strategy.orders[3].state is not OrderState.REJECTED  # closing orders pass
    [record] = [r for r in caplog.records if record_event(r) == LogEvent.RISK_REJECTED]
    assert record.check == "max_total_exposure_pct"  # type: ignore[attr-defined]
    assert record.qty == 1.0  # type: ignore[attr-defined]


def test_the_reserve_cash_rule_reads_the_cash_left_after_open_orders() -> None:
    limits = RiskLimits(
        max_order_size_usd=1e9,
        max_total_exposure_pct=100.0,
        max_single_pair_exposure_pct=100.0,
        max_correlated_exposure_pct=100.0,
        max_capital_per_exchange_pct=100.0,
        reserve_cash_pct=80.0,
    )
    strategy = Scripted(
        {
            1: _order(Side.BUY, 10.0),
            3: _order(Side.BUY, 5.0, order_type=OrderType.LIMIT, price=90.0),
            4: _order(Side.BUY, 7.0, order_type=OrderType.LIMIT, price=90.0),
        },
        wake=[1, 3, 4],
    )

    result = _run(_data([_row(100.0)] * 10), [strategy], _setup(limits=limits))

    # 10,000 - 1,000 spent - 450 committed to the first limit = 8,550 free.
    assert strategy.orders[1].state is OrderState.NEW
    [rejection] = result.rejections.to_dict("records")
    assert rejection["check"] == "reserve_cash_pct"
    assert rejection["reason"] == (
        "reserve_cash_pct 80: 8,550 - 630 = 7,920 USDT cash left is 79.2 % of 10,000 equity, "
        "below 8,000"
    )


def test_an_unknown_breaker_policy_is_refused() -> None:
    class Odd(Scripted):
        breaker_policy = "hold_my_beer"

    with pytest.raises(ValueError, match="breaker_policy 'hold_my_beer'"):
        _run(_data([_row(100.0)] * 3), [Odd()], _setup())


def test_the_run_configuration_describes_the_risk_setup() -> None:
    result = _run(_data([_row(100.0)] * 3), [Scripted()], _setup())

    assert result.config["risk"]["loss_limits"]["daily_loss_limit_pct"] == 1.0
    assert json.loads(json.dumps(result.config["risk"])) == result.config["risk"]


def test_fast_path_and_bar_by_bar_give_the_same_risk_events_and_fills() -> None:
    def make() -> list[Strategy]:
        closer, keeper = _both(
            closer={1460: _order(Side.BUY, 4.0), 1520: _order(Side.BUY, 4.0)},
            keeper={20: _order(Side.BUY, 1.0), 21: _order(Side.SELL, 2.0)},
        )
        return [closer, keeper]

    data = _data(_falling_market())
    fast = _run(data, make(), _setup(), skip=True)
    slow = _run(data, make(), _setup(), skip=False)

    assert fast.events_processed < slow.events_processed / 10
    pd.testing.assert_frame_equal(fast.risk_events, slow.risk_events, check_exact=True)
    pd.testing.assert_frame_equal(fast.fills, slow.fills, check_exact=True)
    pd.testing.assert_frame_equal(fast.rejections, slow.rejections, check_exact=True)
    np.testing.assert_array_equal(fast.equity, slow.equity)
