"""``dca`` on hand-crafted price paths: safety orders, take profit, stop-loss, trailing, cooldown.

Every expectation is derived in the test from the documented rules and the path:
prices are exact (no tick or lot rounding, no slippage) unless a test adds fees.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from quantbot.core import Order, OrderType, Side
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.results import BacktestResult
from quantbot.engine.risk_setup import RiskSetup
from quantbot.indicators import rsi
from quantbot.risk import (
    BrakeLevel,
    CheckAction,
    CheckChain,
    CheckDecision,
    LossLimits,
    OperationalLimits,
    OrderIntent,
    PreTradeState,
    venue_rule_checks,
)
from quantbot.strategies.dca import Dca, DcaParams
from quantbot.venues.simulated import FillModel
from unit.engine.strategies_for_tests import Recorded

from factories import MINUTE_MS, SYMBOL, WIDE_RISK_LIMITS, make_instrument, make_ohlcv

PERP = "BTC/USDT:USDT"
NO_COSTS = FillModel(maker_fee_pct=0, taker_fee_pct=0, slippage_pct=0, max_volume_share=None)
LADDER = {
    "base_order_usd": 100.0,
    "safety_order_usd": 100.0,
    "max_safety_orders": 3,
    "price_deviation_pct": 1.0,
    "step_scale": 2.0,
    "volume_scale": 2.0,
    "take_profit_pct": 1.0,
}
"""Safety orders 1 %, 2 % and 4 % below the running average, for 100, 200 and 400 USDT."""

Row = tuple[float, float, float, float, float]


def _path(closes: Sequence[float], *, start: float = 100.0, wick: float = 0.0) -> list[Row]:
    """Candles without gaps: each opens at the previous close; ``wick`` beyond the body."""
    rows, previous = [], start
    for close in closes:
        rows.append(
            (previous, max(previous, close) + wick, min(previous, close) - wick, close, 1e6)
        )
        previous = close
    return rows


def _line(start: float, end: float, step: float) -> list[float]:
    """Closes from just after ``start`` to ``end`` in steps of ``step``."""
    count = round(abs(end - start) / step)
    return list(np.linspace(start, end, count + 1)[1:])


def _run(
    rows: Sequence[Row],
    symbol: str = SYMBOL,
    *,
    model: FillModel = NO_COSTS,
    chain: CheckChain | None = None,
    **params: Any,
) -> tuple[BacktestResult, Recorded, BacktestData]:
    data = BacktestData(
        "1m",
        {symbol: make_ohlcv(rows)},
        {symbol: make_instrument(symbol, tick_size=None, lot_size=None)},
    )
    strategy = Recorded(Dca(DcaParams(**{**LADDER, **params}), symbols=[symbol]))
    result = run_backtest(data, [strategy], BacktestConfig(100_000, fill_model=model), chain=chain)
    return result, strategy, data


def _bar(data: BacktestData, ts_ms: int) -> int:
    return int(np.searchsorted(data.ts_ms, ts_ms))


def _orders(strategy: Recorded, side: Side, order_type: OrderType) -> list[Order]:
    return [o for o in strategy.orders if o.side is side and o.order_type is order_type]


def _average(buys: pd.DataFrame) -> float:
    return float((buys["price"] * buys["qty"]).sum() / buys["qty"].sum())


def test_a_falling_path_fills_each_safety_order_at_its_deviation_from_the_average() -> None:
    rows = _path(_line(100, 70, 0.25))
    result, _, data = _run(rows)
    low = data.arrays[SYMBOL].low

    buys = result.fills[result.fills["side"] == "buy"].reset_index(drop=True)
    assert len(buys) == 1 + LADDER["max_safety_orders"]  # never more, though it keeps falling
    base = buys.iloc[0]
    assert (base["ts_ms"], base["price"], base["qty"]) == (data.ts_ms[0], 100.0, 1.0)
    placed_at = 0
    for n in range(1, len(buys)):
        average = _average(buys.iloc[:n])
        price = average * (1 - 1.0 * 2.0 ** (n - 1) / 100)
        fills_on = placed_at + 1 + int(np.argmax(low[placed_at + 1 :] <= price))
        fill = buys.iloc[n]
        assert fill["ts_ms"] == data.ts_ms[fills_on]
        assert fill["price"] == pytest.approx(price, rel=1e-12)
        assert fill["qty"] * fill["price"] == pytest.approx(100.0 * 2.0 ** (n - 1), rel=1e-12)
        assert fill["liquidity"] == "maker"
        placed_at = fills_on
    assert (result.fills["side"] == "sell").sum() == 0


def test_the_take_profit_is_replaced_at_the_new_average_after_every_buy() -> None:
    result, strategy, _ = _run(_path(_line(100, 70, 0.25)))

    buys = result.fills[result.fills["side"] == "buy"].reset_index(drop=True)
    targets = _orders(strategy, Side.SELL, OrderType.LIMIT)
    assert len(targets) == len(buys) == 4
    for n, target in enumerate(targets, start=1):
        assert target.price == pytest.approx(_average(buys.iloc[:n]) * 1.01, rel=1e-12)
        assert target.qty == pytest.approx(buys["qty"].iloc[:n].sum(), rel=1e-12)
        assert target.reduce_only
    assert [o.is_open for o in targets] == [False, False, False, True]


def test_a_bounce_closes_the_deal_at_the_take_profit_with_the_pnl_of_its_fills() -> None:
    maker, taker = 0.05, 0.1
    model = FillModel(
        maker_fee_pct=maker, taker_fee_pct=taker, slippage_pct=0, max_volume_share=None
    )
    rows = _path([*_line(100, 97.25, 0.25), *_line(97.25, 101, 0.25)])
    result, _, _ = _run(rows, model=model)

    fills = result.fills
    first_sell = int(np.flatnonzero(fills["side"] == "sell")[0])
    buys, sell = fills.iloc[:first_sell], fills.iloc[first_sell]
    assert len(buys) == 3  # the base order and two safety orders
    qty, average = buys["qty"].sum(), _average(buys)
    assert sell["price"] == pytest.approx(average * 1.01, rel=1e-12)
    assert sell["qty"] == pytest.approx(qty, rel=1e-12)
    assert sell["liquidity"] == "maker"
    notional_in = (buys["price"] * buys["qty"]).to_numpy()
    fees = (
        notional_in[0] * taker / 100 + (notional_in[1:].sum() + qty * sell["price"]) * maker / 100
    )
    expected_pnl = qty * (sell["price"] - average) - fees
    trade = result.trades.iloc[0]
    assert not trade["is_open"]
    assert trade["pnl"] == pytest.approx(expected_pnl, rel=1e-9)
    assert expected_pnl > 0


def test_the_stop_loss_closes_the_deal_below_the_average_and_cancels_the_rest() -> None:
    result, strategy, data = _run(
        _path(_line(100, 90, 0.25)), PERP, stop_loss_pct=5.0, max_safety_orders=2
    )

    fills = result.fills
    first_sell = int(np.flatnonzero(fills["side"] == "sell")[0])
    buys, sell = fills.iloc[:first_sell], fills.iloc[first_sell]
    assert len(buys) == 3
    stop = _average(buys) * 0.95
    assert sell["price"] == pytest.approx(stop, rel=1e-12)
    assert sell["qty"] == pytest.approx(buys["qty"].sum(), rel=1e-12)
    assert sell["liquidity"] == "taker"
    assert data.arrays[PERP].low[_bar(data, sell["ts_ms"])] <= stop
    stops = _orders(strategy, Side.SELL, OrderType.STOP)[:3]  # that deal's stop-losses
    assert [o.stop_price for o in stops] == pytest.approx(
        [_average(buys.iloc[:n]) * 0.95 for n in (1, 2, 3)], rel=1e-12
    )
    targets = _orders(strategy, Side.SELL, OrderType.LIMIT)[:3]  # that deal's take profits
    assert all(not o.is_open and o.filled_qty == 0 for o in targets)
    next_base = fills.iloc[first_sell + 1]
    assert next_base["side"] == "buy"
    assert _bar(data, next_base["ts_ms"]) == _bar(data, sell["ts_ms"]) + 2


@pytest.mark.parametrize("cooldown_minutes", [0, 5, 30])
def test_the_next_deal_starts_at_the_first_close_after_the_cooldown(
    cooldown_minutes: int,
) -> None:
    rows = _path([*_line(100, 99.5, 0.25), *_line(99.5, 101.5, 0.25), *([101.5] * 60)])
    result, _, data = _run(rows, cooldown_minutes=cooldown_minutes, max_safety_orders=0)

    fills = result.fills
    sell = fills[fills["side"] == "sell"].iloc[0]
    next_base = fills[(fills["side"] == "buy") & (fills["ts_ms"] > sell["ts_ms"])].iloc[0]
    ended_ms = int(sell["ts_ms"]) + MINUTE_MS  # the close of the candle the deal ended on
    closes = data.ts_ms + MINUTE_MS
    decided = int(np.flatnonzero(closes >= ended_ms + max(cooldown_minutes * MINUTE_MS, 1))[0])
    assert next_base["ts_ms"] == data.ts_ms[decided + 1]  # a market order: the next open
    assert next_base["qty"] * rows[decided][3] == pytest.approx(100.0, rel=1e-12)


def test_a_safety_order_filling_with_the_take_profit_is_sold_with_the_deal() -> None:
    rows = _path([100.0])
    rows.append((100.0, 101.5, 98.5, 100.0, 1e6))  # reaches the first safety order and the TP
    rows += _path([100.0] * 5, start=100.0)
    result, _, _ = _run(rows, max_safety_orders=1)

    fills = result.fills
    sides = fills["side"].tolist()
    assert sides[:5] == ["buy", "buy", "sell", "sell", "buy"]
    base, safety, target, leftover = (fills.iloc[i] for i in range(4))
    assert safety["price"] == pytest.approx(99.0, rel=1e-12)
    assert target["price"] == pytest.approx(101.0, rel=1e-12)
    assert target["qty"] == pytest.approx(base["qty"], rel=1e-12)
    assert leftover["qty"] == pytest.approx(safety["qty"], rel=1e-12)
    assert leftover["liquidity"] == "taker"


def test_the_trailing_take_profit_sells_on_the_pullback_from_the_highest_high() -> None:
    closes = [*_line(100, 101.5, 0.25), *_line(101.5, 103, 0.5), *_line(103, 100, 0.25)]
    rows = _path(closes, wick=0.1)
    result, strategy, data = _run(
        rows, trailing_deviation_pct=0.5, stop_loss_pct=3.0, max_safety_orders=1
    )
    high, low, open_ = (getattr(data.arrays[SYMBOL], c) for c in ("high", "low", "open"))

    fills = result.fills
    base, sell = fills.iloc[0], fills.iloc[1]
    assert _orders(strategy, Side.SELL, OrderType.LIMIT) == []  # no fixed take profit
    started = int(np.argmax(high >= base["price"] * 1.01))
    stop = -np.inf
    for bar in range(started + 1, len(high)):
        stop = high[started:bar].max() * (1 - 0.5 / 100)
        if low[bar] <= stop:
            break
    assert sell["ts_ms"] == data.ts_ms[bar]
    assert sell["price"] == pytest.approx(min(stop, open_[bar]), rel=1e-12)
    assert sell["price"] > base["price"] * 1.01 * (1 - 0.5 / 100)
    safety = _orders(strategy, Side.BUY, OrderType.LIMIT)[0]
    assert not safety.is_open  # canceled when trailing began
    assert safety.filled_qty == 0
    stops = [o for o in _orders(strategy, Side.SELL, OrderType.STOP) if o.ts_ms <= sell["ts_ms"]]
    assert stops[0].stop_price == pytest.approx(base["price"] * 0.97, rel=1e-12)  # stop-loss
    assert [o.filled_qty for o in stops] == [0.0] * (len(stops) - 1) + [sell["qty"]]


def test_with_a_start_condition_deals_open_only_on_candles_with_a_low_rsi() -> None:
    closes = [*_line(100, 104, 0.5), *_line(104, 98, 1.0), *_line(98, 104, 0.5)]
    rows = _path(closes)
    result, _, data = _run(rows, start_rsi_below=30.0, rsi_period=5, max_safety_orders=0)

    strength = rsi(data.arrays[SYMBOL].close, 5)
    base = result.fills.iloc[0]
    decided = _bar(data, base["ts_ms"]) - 1
    assert base["side"] == "buy"
    assert strength[decided] < 30.0
    assert not (strength[:decided] < 30.0).any()


def test_a_deal_never_starts_on_the_candle_the_previous_one_ended() -> None:
    zigzag = [100 + 0.05 * i + (0.1 if i % 2 else 0.0) for i in range(1, 80)]
    rows = _path(zigzag)
    result, _, data = _run(rows, start_rsi_below=99.9, rsi_period=5, max_safety_orders=0)

    fills = result.fills
    sell = fills[fills["side"] == "sell"].iloc[0]
    ended = _bar(data, sell["ts_ms"])
    assert rsi(data.arrays[SYMBOL].close, 5)[ended] < 99.9  # a start candle, yet too early
    next_base = fills[(fills["side"] == "buy") & (fills["ts_ms"] > sell["ts_ms"])].iloc[0]
    assert _bar(data, next_base["ts_ms"]) == ended + 2  # decided one candle later


class _RefuseStops:
    """A pre-trade check that refuses every stop order, as a venue without them would."""

    name = "no_stops"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        if intent.order_type is OrderType.STOP:
            return CheckDecision(self.name, CheckAction.REJECT, intent, "no stop orders here")
        return CheckDecision(self.name, CheckAction.APPROVE, intent)


def test_a_refused_exit_stops_the_strategy_instead_of_leaving_the_deal_unprotected() -> None:
    chain = CheckChain([*venue_rule_checks(), _RefuseStops()])
    rows = _path(_line(100, 95, 0.25))
    result, strategy, _ = _run(rows, PERP, chain=chain, stop_loss_pct=5.0)

    assert result.fills["side"].tolist() == ["buy"]  # the base order, then nothing
    assert result.rejections["reason"].tolist() == ["no stop orders here"]
    assert all(not o.is_open for o in strategy.orders)  # the halt canceled the rest


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"price_deviation_pct": 10.0, "step_scale": 2.0, "max_safety_orders": 5},
            "safety order 5 would rest 160 % below",
        ),
        (
            {"take_profit_pct": 1.0, "trailing_deviation_pct": 1.0},
            "trailing_deviation_pct 1 must be below take_profit_pct 1",
        ),
        ({"stop_loss_pct": 100.0}, "less than 100"),
        ({"base_order_usd": 0.0}, "greater than 0"),
    ],
)
def test_incoherent_parameters_are_refused_with_the_reason(
    params: dict[str, float], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        DcaParams.model_validate(params)


def test_take_profits_placed_while_the_drawdown_brakes_are_on_aim_nearer() -> None:
    # 800 USDT bought on the way down from 100 to 70 on a 1,000 USDT account: the
    # account falls past 0.5 % from its peak, which engages the brake's first level.
    rows = _path(_line(100, 70, 0.25))
    data = BacktestData(
        "1m", {SYMBOL: make_ohlcv(rows)}, {SYMBOL: make_instrument(tick_size=None, lot_size=None)}
    )
    strategy = Recorded(Dca(DcaParams(**LADDER), symbols=[SYMBOL]))
    risk = RiskSetup(
        limits=WIDE_RISK_LIMITS,
        loss_limits=LossLimits(
            daily_loss_limit_pct=50, weekly_loss_limit_pct=60, monthly_loss_limit_pct=70
        ),
        brake_levels=(
            BrakeLevel(drawdown_pct=0.5, take_profit_factor=0.7),
            BrakeLevel(drawdown_pct=90.0, take_profit_factor=0.7, stop_opening=True),
        ),
        operational=OperationalLimits(),
        timezone="UTC",
        check_interval_s=60,
    )

    result = run_backtest(data, [strategy], BacktestConfig(1_000, fill_model=NO_COSTS, risk=risk))

    [brake] = result.risk_events[result.risk_events["kind"] == "DRAWDOWN_BRAKE"].itertuples()
    buys = result.fills[result.fills["side"] == "buy"].reset_index(drop=True)
    targets = _orders(strategy, Side.SELL, OrderType.LIMIT)
    assert len(targets) == len(buys) == 4
    factors = []
    for n, target in enumerate(targets, start=1):
        factor = target.price / _average(buys.iloc[:n]) - 1.0
        factors.append(round(factor * 100, 9))
    # before the brake: the full 1 %; from the first buy after it: 0.7 %
    engaged = [t.ts_ms >= brake.ts_ms for t in targets]
    assert engaged[0] is False
    assert engaged[-1] is True
    assert factors == [0.7 if on else 1.0 for on in engaged]
