"""``grid`` on hand-crafted price paths: levels, round trips, rebalance, closes, cap, variants.

Every path opens each candle at the previous close and moves in steps of 0.25 around
a centre of 100, so each limit fills at its own price as a maker and a counter-order
rests before the price can reach it. The grid: 3 levels a side 1 % apart, 100 USDT an
order, bounds ±5 %, recentring at 4 %; no tick or lot rounding. Expectations are
derived in the test from the fills and the documented rules.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from quantbot.core import ClientOrderId, Fill, Order, OrderState, OrderType, Side
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.results import BacktestResult
from quantbot.engine.risk_setup import RiskSetup
from quantbot.risk import BrakeLevel, LossLimits, OperationalLimits
from quantbot.risk.breaker_checks import (
    CircuitBreakerCheck,
    DrawdownBrakeCheck,
    ExchangePauseCheck,
    RecoveryResizeCheck,
)
from quantbot.strategies import Bar, MarketHistory, Strategy, StrategyContext, WakeMasks
from quantbot.strategies.grid import Grid, GridSetupError, GridStateError
from quantbot.strategies.grid_book import HOLDING_CHECKS
from quantbot.strategies.grid_params import GridParams
from quantbot.venues.simulated import FillModel, MarginModel

from factories import MINUTE_MS, SYMBOL, WIDE_RISK_LIMITS, make_instrument, make_ohlcv

PERP = "BTC/USDT:USDT"
NO_COSTS = FillModel(maker_fee_pct=0, taker_fee_pct=0, slippage_pct=0, max_volume_share=None)
MAKER = 0.075
FEES = FillModel(maker_fee_pct=MAKER, taker_fee_pct=0.1, slippage_pct=0, max_volume_share=None)
GRID: dict[str, Any] = {
    "num_grids": 3,
    "grid_spacing_pct": 1.0,
    "order_size_usd": 100.0,
    "upper_bound_pct": 5.0,
    "lower_bound_pct": 5.0,
    "rebalance_trigger_pct": 4.0,
}
STEP = 0.25

Row = tuple[float, float, float, float, float]


def level(k: int, centre: float = 100.0) -> float:
    """Level ``k`` of the geometric test grid."""
    return centre * 1.01**k


def _path(closes: Sequence[float], *, start: float = 100.0, volume: float = 1e6) -> list[Row]:
    """Candles without gaps: each opens at the previous close."""
    rows, previous = [], start
    for close in closes:
        rows.append((previous, max(previous, close), min(previous, close), close, volume))
        previous = close
    return rows


def _walk(*points: float) -> list[float]:
    """Closes through ``points`` (the first is the first candle's close) in steps of 0.25."""
    closes = [points[0]]
    for end in points[1:]:
        count = round(abs(end - closes[-1]) / STEP)
        closes += list(np.linspace(closes[-1], end, count + 1)[1:])
    return closes


class _Spy:
    """A strategy context that records the grid's submits and cancels."""

    def __init__(self, ctx: StrategyContext, owner: Observed) -> None:
        self._ctx = ctx
        self._owner = owner

    def submit(self, *args: Any, **kwargs: Any) -> Order | None:
        order = self._ctx.submit(*args, **kwargs)
        if order is not None:
            self._owner.orders.append((self._ctx.now_ms, order))
        return order

    def cancel(self, client_order_id: ClientOrderId) -> None:
        self._owner.cancels.append((self._ctx.now_ms, client_order_id))
        self._ctx.cancel(client_order_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)


class Observed(Grid):
    """The grid, observed: its orders and, after every hook, its open orders and holdings.

    ``checks`` holds (hook, now_ms, open orders of the strategy, {symbol: (inventory
    the grid tracks, position of the account book)}); ``recentres`` every
    ``last_rebalance`` record, in order.
    """

    def __init__(self, params: GridParams, symbols: Sequence[str] = (SYMBOL,)) -> None:
        super().__init__(params, symbols=symbols)
        self.orders: list[tuple[int, Order]] = []
        self.cancels: list[tuple[int, ClientOrderId]] = []
        self.checks: list[tuple[str, int, int, dict[str, tuple[float, float]]]] = []
        self.recentres: list[dict[str, Any]] = []

    def _check(self, hook: str, ctx: StrategyContext) -> None:
        holdings = {s: (p.inventory()[0], ctx.position(s).qty) for s, p in self.pairs.items()}
        self.checks.append((hook, ctx.now_ms, len(ctx.open_orders()), holdings))
        for pair in self.pairs.values():
            record = pair.last_rebalance
            if record is not None and not any(record is seen for seen in self.recentres):
                self.recentres.append(record)

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        super().on_candle(bar, _Spy(ctx, self))  # type: ignore[arg-type]
        self._check("on_candle", ctx)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        super().on_fill(fill, _Spy(ctx, self))  # type: ignore[arg-type]
        self._check("on_fill", ctx)

    def on_order_update(self, order: Order, ctx: StrategyContext) -> None:
        super().on_order_update(order, _Spy(ctx, self))  # type: ignore[arg-type]
        self._check("on_order_update", ctx)

    def on_price_alert(self, bar: Bar, ctx: StrategyContext) -> None:
        super().on_price_alert(bar, _Spy(ctx, self))  # type: ignore[arg-type]
        self._check("on_price_alert", ctx)

    def on_timer(self, name: str, ctx: StrategyContext) -> None:
        super().on_timer(name, _Spy(ctx, self))  # type: ignore[arg-type]
        self._check("on_timer", ctx)

    def submitted(self, at_ms: int | None = None) -> list[Order]:
        return [o for t, o in self.orders if at_ms is None or t == at_ms]


def _data(rows: Sequence[Row], symbol: str = SYMBOL, **rules: Any) -> BacktestData:
    instrument = make_instrument(symbol, **{"tick_size": None, "lot_size": None, **rules})
    return BacktestData("1m", {symbol: make_ohlcv(rows)}, {symbol: instrument})


def _run(
    rows: Sequence[Row],
    symbol: str = SYMBOL,
    *,
    model: FillModel = NO_COSTS,
    rules: dict[str, Any] | None = None,
    **params: Any,
) -> tuple[BacktestResult, Observed]:
    grid = Observed(GridParams(**{**GRID, **params}), symbols=[symbol])
    data = _data(rows, symbol, **(rules or {}))
    return run_backtest(data, [grid], BacktestConfig(100_000, fill_model=model)), grid


def _close_ms(rows: Sequence[Row], index: int) -> int:
    """When the candle ``index`` of a path closes (decisions are stamped then)."""
    return int(make_ohlcv(rows).ts_ms[index]) + MINUTE_MS


def _first_reaching(rows: Sequence[Row], *, below: float | None = None, after: int = 0) -> int:
    lows = np.array([r[2] for r in rows])
    return after + int(np.argmax(lows[after:] <= below))


def _limits(orders: Sequence[Order], side: Side) -> list[float]:
    return [o.price for o in orders if o.side is side and o.price is not None]


# -- levels and the start -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grid_type", "expected"),
    [
        ("geometric", [100 / 1.01, 100 / 1.01**2, 100 / 1.01**3]),
        ("arithmetic", [99.0, 98.0, 97.0]),
    ],
)
def test_the_grid_starts_with_buys_one_spacing_apart_below_the_first_close(
    grid_type: str, expected: list[float]
) -> None:
    rows = _path([100.0] * 5)
    _, grid = _run(rows, grid_type=grid_type)

    first = grid.submitted(_close_ms(rows, 0))
    assert [o.order_type for o in first] == [OrderType.LIMIT] * 3
    assert _limits(first, Side.BUY) == pytest.approx(expected, rel=1e-12)
    assert [o.qty * o.price for o in first if o.price] == pytest.approx([100.0] * 3, rel=1e-12)
    assert _limits(first, Side.SELL) == []  # buy-only start: no inventory to sell yet
    assert len(grid.orders) == 3  # nothing else for the rest of the flat path


@pytest.mark.parametrize(
    ("grid_type", "count", "lowest"),
    [("geometric", 5, 100 / 1.01**5), ("arithmetic", 5, 95.0)],
)
def test_no_level_lies_beyond_the_lower_bound(grid_type: str, count: int, lowest: float) -> None:
    rows = _path([100.0] * 3)
    _, grid = _run(rows, grid_type=grid_type, num_grids=20)

    buys = _limits(grid.submitted(), Side.BUY)
    assert len(buys) == count
    assert min(buys) == pytest.approx(lowest, rel=1e-12)
    assert min(buys) >= 95.0 * (1 - 1e-12)


# -- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("maker_fee_pct", [MAKER, 0.02])
@pytest.mark.parametrize("grid_type", ["geometric", "arithmetic"])
def test_on_an_oscillating_path_every_round_trip_earns_the_spacing_less_two_maker_fees(
    grid_type: str, maker_fee_pct: float
) -> None:
    swings = 4
    rows = _path(_walk(100, *[96.5, 101.5] * swings))
    model = FillModel(
        maker_fee_pct=maker_fee_pct, taker_fee_pct=0.1, slippage_pct=0, max_volume_share=None
    )
    result, grid = _run(rows, model=model, grid_type=grid_type)

    fills = result.fills.set_index("trade_id")
    assert (fills["liquidity"] == "maker").all()
    # The fee rule: every fill pays the maker fee on its own notional.
    notional = fills["price"] * fills["qty"]
    assert np.allclose(fills["fee"], maker_fee_pct / 100 * notional, rtol=1e-12, atol=0)
    assert len(grid.round_trips) == 3 * swings  # three levels bought and sold per swing
    linked = set()
    for trip in grid.round_trips:
        (entry,) = trip.entry_trade_ids
        buy, sell = fills.loc[entry], fills.loc[trip.exit_trade_id]
        assert (buy["side"], sell["side"]) == ("buy", "sell")
        qty = buy["qty"]
        assert sell["qty"] == pytest.approx(qty, rel=1e-12)
        # One level up: 1 % of the buy price (geometric), 1 % of the centre (arithmetic).
        spacing = buy["price"] * 0.01 if grid_type == "geometric" else 100.0 * 0.01
        assert sell["price"] == pytest.approx(buy["price"] + spacing, rel=1e-12)
        two_fees = maker_fee_pct / 100 * (buy["price"] * qty + sell["price"] * qty)
        assert trip.pnl == pytest.approx(spacing * qty - two_fees, rel=1e-9)
        linked |= {entry, trip.exit_trade_id}
    assert linked == set(fills.index)  # every fill belongs to one round trip
    pair = grid.pairs[SYMBOL]
    assert pair.realised_pnl == pytest.approx(sum(t.pnl for t in grid.round_trips), rel=1e-12)
    assert pair.inventory()[0] == 0


def test_a_filled_buy_places_its_sell_one_level_up_and_a_filled_sell_its_buy_one_level_down() -> (
    None
):
    rows = _path(_walk(100, 98.75, 98.75, 100.25))
    result, grid = _run(rows)

    buy, sell = result.fills.iloc[0], result.fills.iloc[1]
    assert (buy["side"], buy["price"]) == ("buy", pytest.approx(level(-1), rel=1e-12))
    placed = grid.submitted(int(buy["ts_ms"]) + MINUTE_MS)  # at the close of the fill candle
    assert [(o.side, o.qty) for o in placed] == [(Side.SELL, buy["qty"])]
    assert placed[0].price == pytest.approx(level(0), rel=1e-12)
    assert (sell["side"], sell["client_order_id"]) == ("sell", placed[0].client_order_id)
    again = grid.submitted(int(sell["ts_ms"]) + MINUTE_MS)
    assert [(o.side, o.qty) for o in again] == [(Side.BUY, sell["qty"])]
    assert again[0].price == pytest.approx(level(-1), rel=1e-12)
    assert len(result.fills) == 2


def test_partial_fills_each_get_their_exit_and_the_inventory_follows_the_position() -> None:
    # A volume cap of 0.3 units per candle cuts every ~1-unit order into pieces.
    model = FillModel(maker_fee_pct=MAKER, taker_fee_pct=0.1, slippage_pct=0, max_volume_share=0.5)
    rows = _path(_walk(100, 96.5, 100.5, 96.5, 101.5), volume=0.6)
    result, grid = _run(rows, model=model)

    assert result.fills.groupby("client_order_id").size().max() > 1  # partial fills
    for trip in grid.round_trips:
        entries = result.fills.set_index("trade_id").loc[list(trip.entry_trade_ids)]
        assert trip.qty <= entries["qty"].sum() * (1 + 1e-12)
        # At least one level up: an exit placed after the price passed it fills better.
        assert trip.sell_value >= trip.buy_value * 1.01 * (1 - 1e-12)
    # The engine books every fill of a candle before the first callback: compare the
    # two after the candle's last one.
    last_of_candle = {now_ms: holdings for _, now_ms, _, holdings in grid.checks}
    for holdings in last_of_candle.values():
        inventory, position = holdings[SYMBOL]
        assert inventory == pytest.approx(position, abs=1e-12)
    sold = result.fills[result.fills["side"] == "sell"]["qty"].sum()
    assert sum(t.qty for t in grid.round_trips) == pytest.approx(sold, rel=1e-12)


# -- rebalance ---------------------------------------------------------------------------------


def test_a_fall_beyond_the_trigger_recentres_and_carries_the_inventory_at_its_average(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rows = _path(_walk(100, 95.75, 95.75, 97.5))
    with caplog.at_level(logging.INFO, logger="quantbot.strategies.grid"):
        result, grid = _run(rows, model=FEES)

    trigger = _first_reaching(rows, below=96.0)
    at = _close_ms(rows, trigger)
    buys = result.fills[(result.fills["side"] == "buy") & (result.fills["ts_ms"] < at)]
    assert len(buys) == 3
    exits = [o for t, o in grid.orders if t < at and o.side is Side.SELL]
    assert sorted(i for t, i in grid.cancels if t == at) == sorted(
        o.client_order_id for o in exits
    )  # the far side: the three exits above
    centre = rows[trigger][3]
    placed = grid.submitted(at)
    assert _limits(placed, Side.BUY) == pytest.approx([level(-k, centre) for k in (1, 2, 3)])
    carried = [o for o in placed if o.side is Side.SELL]
    assert _limits(carried, Side.SELL) == pytest.approx([level(k, centre) for k in (1, 2, 3)])
    held = buys["qty"].sum()
    assert sum(o.qty for o in carried) == pytest.approx(held, rel=1e-12)
    for order in carried[:-1]:  # one order size a level, the rest on the last
        assert order.qty * (order.price or 0) == pytest.approx(100.0, rel=1e-12)
    average = (buys["price"] * buys["qty"]).sum() / held
    rebalance = grid.pairs[SYMBOL].last_rebalance
    assert rebalance is not None
    assert rebalance["to_centre"] == centre
    assert rebalance["carried_qty"] == pytest.approx(held, rel=1e-12)
    assert rebalance["carried_avg_price"] == pytest.approx(average, rel=1e-12)
    assert sorted(rebalance["carried_trade_ids"]) == sorted(buys["trade_id"])
    (record,) = [r for r in caplog.records if getattr(r, "event", None) == "GRID_REBALANCE"]
    assert record.__dict__["pair"] == SYMBOL
    # The bounce sells the first carried share one level above the new centre, at its
    # share of the average cost, and that slot buys again one level below it.
    (trip,) = grid.round_trips
    sale = result.fills.set_index("trade_id").loc[trip.exit_trade_id]
    assert trip.kind == "carried"
    assert sale["price"] == pytest.approx(level(1, centre), rel=1e-12)
    expected = sale["qty"] * (sale["price"] - average) - sale["fee"] - trip.fees + sale["fee"]
    assert trip.pnl == pytest.approx(expected, rel=1e-9)
    rebuy = grid.submitted(int(sale["ts_ms"]) + MINUTE_MS)
    assert [(o.side, o.price) for o in rebuy] == [(Side.BUY, pytest.approx(centre, rel=1e-12))]


def test_a_rise_beyond_the_trigger_cancels_the_buys_and_lays_them_below_the_new_price() -> None:
    rows = _path(_walk(100, 104.5))
    result, grid = _run(rows)

    highs = np.array([r[1] for r in rows])
    trigger = int(np.argmax(highs >= 104.0))
    at = _close_ms(rows, trigger)
    first = grid.submitted(_close_ms(rows, 0))
    assert sorted(i for t, i in grid.cancels if t == at) == sorted(o.client_order_id for o in first)
    centre = rows[trigger][3]
    assert _limits(grid.submitted(at), Side.BUY) == pytest.approx(
        [level(-k, centre) for k in (1, 2, 3)]
    )
    assert _limits(grid.submitted(at), Side.SELL) == []
    assert result.fills.empty
    assert grid.pairs[SYMBOL].rebalances == 1


# -- stop-loss and take-profit -------------------------------------------------------------------


def test_the_stop_loss_sells_the_inventory_at_market_and_stops_the_grid(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rows = _path(_walk(100, 95.75, 100.5, 96.5, 100.5))
    with caplog.at_level(logging.WARNING, logger="quantbot.strategies.grid"):
        result, grid = _run(rows, model=FEES, stop_loss_pct=2.0, rebalance_trigger_pct=4.5)

    buys = result.fills[result.fills["side"] == "buy"]
    assert len(buys) == 3
    average = (buys["price"] * buys["qty"]).sum() / buys["qty"].sum()
    stop = _first_reaching(rows, below=average * 0.98)
    at = _close_ms(rows, stop)
    assert len([i for t, i in grid.cancels if t == at]) == 3  # the three exits
    (close,) = grid.submitted(at)
    assert (close.side, close.order_type) == (Side.SELL, OrderType.MARKET)
    assert close.qty == pytest.approx(buys["qty"].sum(), rel=1e-12)
    assert grid.orders[-1][1] is close  # nothing placed after, though price comes back
    sale = result.fills.iloc[-1]
    assert (sale["client_order_id"], sale["price"]) == (close.client_order_id, rows[stop + 1][0])
    assert len(result.fills) == 4
    pair = grid.pairs[SYMBOL]
    assert pair.stopped == "stop_loss"
    assert pair.inventory()[0] == 0
    assert [t.kind for t in grid.round_trips] == ["stop_loss"] * 3
    total = sum(t.pnl for t in grid.round_trips)
    cash = (
        result.fills["price"]
        * result.fills["qty"]
        * np.where(result.fills["side"] == "sell", 1, -1)
    )
    assert total == pytest.approx(cash.sum() - result.fills["fee"].sum(), rel=1e-9)
    (record,) = [r for r in caplog.records if getattr(r, "event", None) == "TRADE_CLOSED"]
    assert record.levelno == logging.WARNING
    assert record.__dict__["reason"] == "stop_loss"


def test_the_take_profit_closes_the_grid_once_its_profit_reaches_the_target() -> None:
    rows = _path(_walk(100, 96.5, 101.5, 96.5, 101.5))
    target = 0.9 / 100 * 3 * 100.0  # take_profit_pct of num_grids x order_size_usd
    result, grid = _run(rows, take_profit_pct=0.9)

    fills = result.fills
    cash = np.where(fills["side"] == "sell", 1, -1) * fills["price"] * fills["qty"]
    held = np.where(fills["side"] == "buy", 1, -1) * fills["qty"]
    closes = [o for _, o in grid.orders if o.order_type is OrderType.MARKET]
    (close,) = closes
    decided = next(t for t, o in grid.orders if o is close)
    before = fills["ts_ms"] < decided - MINUTE_MS + 1  # fills up to the deciding candle
    flow, qty = float(cash[before].sum()), float(held[before].sum())
    trigger = (target - flow) / qty  # price at which cash + holdings reach the target
    candle = next(i for i in range(len(rows)) if _close_ms(rows, i) == decided)
    assert rows[candle][1] >= trigger > rows[candle - 1][1]  # the first candle to reach it
    assert close.qty == pytest.approx(qty, rel=1e-12)
    assert grid.pairs[SYMBOL].stopped == "take_profit"
    assert grid.orders[-1][1] is close
    final = float(cash.sum())  # flat after the close
    assert final >= target * 0.99
    assert np.isclose(held.sum(), 0.0, atol=1e-12)


# -- the order cap ------------------------------------------------------------------------------


def test_max_open_orders_rests_only_the_nearest_orders_and_places_the_rest_later() -> None:
    rows = _path(_walk(100, 96.5, 101.5, 96.5, 101.5))
    _, grid = _run(rows, model=FEES, max_open_orders=2)

    assert max(check[2] for check in grid.checks) <= 2
    first = grid.submitted(_close_ms(rows, 0))
    assert _limits(first, Side.BUY) == pytest.approx([level(-1), level(-2)])
    deepest = [o for _, o in grid.orders if o.price == pytest.approx(level(-3))]
    assert deepest  # held back at first, placed once the price came near
    assert len(grid.round_trips) >= 4


class BookWatch(Observed):
    """Records after every hook the distance of each wanted order from its pair's last
    price, split into those resting and those held back by the cap."""

    def __init__(self, params: GridParams, symbols: Sequence[str]) -> None:
        super().__init__(params, symbols)
        self.books: list[tuple[list[float], list[float]]] = []

    def _check(self, hook: str, ctx: StrategyContext) -> None:
        super()._check(hook, ctx)
        resting, held = [], []
        for symbol, pair in self.pairs.items():
            if pair.levels is None:
                continue
            last = ctx.last_price(symbol)
            for piece in pair.pieces.values():
                distance = abs(pair.levels.price(piece.level) / last - 1)
                (held if piece.order_id is None else resting).append(distance)
        self.books.append((resting, held))


def test_max_open_orders_caps_the_orders_of_all_pairs_together_nearest_first() -> None:
    eth = "ETH/USDT"
    rising = _path(_walk(100, 103) + [103.0] * (40 - 13))  # BTC's buys drift away, unfilled
    falling = _path([100.0] * 12 + _walk(100, 97.5) + [97.5] * (40 - 12 - 11))
    instruments = {s: make_instrument(s, tick_size=None, lot_size=None) for s in (SYMBOL, eth)}
    data = BacktestData("1m", {SYMBOL: make_ohlcv(rising), eth: make_ohlcv(falling)}, instruments)
    grid = BookWatch(GridParams(**GRID, max_open_orders=4), symbols=[SYMBOL, eth])

    result = run_backtest(data, [grid], BacktestConfig(100_000, fill_model=NO_COSTS))

    assert max(check[2] for check in grid.checks) == 4  # the cap binds, for both together
    first = grid.submitted(_close_ms(rising, 0))
    assert sorted(o.symbol for o in first) == [SYMBOL, SYMBOL, eth, eth]  # equally near
    assert sorted(_limits(first, Side.BUY)) == pytest.approx(sorted([level(-1), level(-2)] * 2))
    for resting, held in grid.books:
        assert len(resting) == min(4, len(resting) + len(held))
        if resting and held:
            # nearest first whichever the pair, a resting order making way only for a
            # piece at least a level (the spacing, 1 %) nearer
            assert max(resting) <= min(held) + GRID["grid_spacing_pct"] / 100 + 1e-12
    assert set(result.fills["symbol"]) == {eth}
    eth_third = [
        o for _, o in grid.orders if o.symbol == eth and o.price == pytest.approx(level(-3))
    ]
    assert eth_third  # held back at first, placed as ETH fell towards it
    btc = {o.client_order_id for _, o in grid.orders if o.symbol == SYMBOL}
    assert btc & {cid for _, cid in grid.cancels}  # BTC, moved away, made way for ETH's


# -- refusals ------------------------------------------------------------------------------------


def test_a_spacing_below_two_fees_and_the_minimum_profit_is_refused_when_built() -> None:
    with pytest.raises(ValidationError, match=r"below 2 x fee_rate \+ min_profit_after_fees"):
        Grid(GridParams(grid_spacing_pct=0.25), symbols=[SYMBOL])


def test_entries_the_checks_refuse_leave_the_grid() -> None:
    rows = _path(_walk(100, 96.5, 100.5))
    result, grid = _run(rows, rules={"min_notional": 150.0})

    assert len(result.rejections) == 3
    assert result.fills.empty
    assert not grid.pairs[SYMBOL].pieces


# -- state ---------------------------------------------------------------------------------------


Restart = Callable[[Grid, int], Grid]
"""Builds the grid that takes over from ``grid`` at ``now_ms``, from its state."""


def restart_through_json(grid: Grid, now_ms: int) -> Grid:
    """A fresh grid restored from ``grid``'s state sent through JSON text."""
    saved = json.loads(json.dumps(grid.state(), allow_nan=False))
    params: GridParams = grid.params  # type: ignore[assignment]
    fresh = Grid(params, symbols=grid.symbols, strategy_id=grid.strategy_id)
    fresh.restore(saved)
    return fresh


class Restarted(Strategy):
    """A grid that, at its first call at or after ``at_ms``, is replaced by the fresh grid
    ``restart`` builds from its state — a restart in the middle of a run."""

    name = "restarted"
    Params = GridParams
    breaker_policy = Grid.breaker_policy

    def __init__(
        self, params: GridParams, at_ms: int, restart: Restart = restart_through_json
    ) -> None:
        super().__init__(params, symbols=[SYMBOL], strategy_id="grid")
        self.grid = Grid(params, symbols=[SYMBOL], strategy_id="grid")
        self.at_ms = at_ms
        self.restart = restart
        self.restarted_ms: int | None = None

    def _current(self, ctx: StrategyContext) -> Grid:
        if self.restarted_ms is None and ctx.now_ms >= self.at_ms:
            fresh = self.restart(self.grid, ctx.now_ms)
            assert fresh is not self.grid
            assert fresh.state() == self.grid.state()
            self.grid, self.restarted_ms = fresh, ctx.now_ms
        return self.grid

    def precompute(self, history: MarketHistory) -> WakeMasks:
        return self.grid.precompute(history)

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        self._current(ctx).on_candle(bar, ctx)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        self._current(ctx).on_fill(fill, ctx)

    def on_order_update(self, order: Order, ctx: StrategyContext) -> None:
        self._current(ctx).on_order_update(order, ctx)

    def on_price_alert(self, bar: Bar, ctx: StrategyContext) -> None:
        self._current(ctx).on_price_alert(bar, ctx)

    def on_timer(self, name: str, ctx: StrategyContext) -> None:
        self._current(ctx).on_timer(name, ctx)


RESTART_PATH = _path(
    _walk(100, 96.5, 101.5, 97, 95.5, 96.7, 94.5, 97.2, 94.7, 97.5, 94.7, 98.5, 95, 97)
)
"""Round trips, a fall that recentres with inventory, carried sales and more trips."""


@pytest.mark.parametrize("fraction", [0.1, 0.35, 0.6, 0.8])
def test_a_grid_restored_from_its_state_makes_the_orders_and_fills_of_one_never_stopped(
    fraction: float,
) -> None:
    params = GridParams(**GRID, take_profit_pct=5.0)
    data = _data(RESTART_PATH)
    config = BacktestConfig(100_000, fill_model=FEES)
    plain = Grid(params, symbols=[SYMBOL], strategy_id="grid")
    at_ms = int(data.ts_ms[int(fraction * len(RESTART_PATH))])
    restarted = Restarted(params, at_ms)

    expected = run_backtest(data, [plain], config)
    result = run_backtest(data, [restarted], config)

    assert restarted.restarted_ms is not None
    assert plain.pairs[SYMBOL].rebalances == 1  # the path does recentre
    assert len(expected.fills) > 20
    pd.testing.assert_frame_equal(result.fills, expected.fills)
    assert restarted.grid.state() == plain.state()


def test_the_state_is_plain_json_with_levels_orders_inventory_and_results() -> None:
    rows = _path(_walk(100, 97.5))
    _, grid = _run(rows)

    state = json.loads(json.dumps(grid.state(), allow_nan=False))
    pair = state["pairs"][SYMBOL]
    open_ids = {o.client_order_id for _, o in grid.orders if o.is_open}
    assert {p["order_id"] for p in pair["pieces"].values()} == open_ids
    assert pair["levels"] == {"grid_type": "geometric", "anchor": 100.0, "spacing_pct": 1.0}
    qty = sum(o.filled_qty for _, o in grid.orders if o.side is Side.BUY)
    assert pair["inventory"]["qty"] == pytest.approx(qty, rel=1e-12)
    assert pair["round_trips"] == 0
    assert pair["last_rebalance"] is None


def test_restoring_a_state_of_another_version_or_pair_is_refused() -> None:
    grid = Grid(GridParams(), symbols=[SYMBOL])
    state = grid.state()

    with pytest.raises(GridStateError, match="version"):
        grid.restore({**state, "version": 99})
    with pytest.raises(GridStateError, match="ETH/USDT"):
        grid.restore({**state, "pairs": {"ETH/USDT": state["pairs"][SYMBOL]}})


# -- variants ------------------------------------------------------------------------------------


def test_the_reverse_grid_starts_with_short_sells_and_buys_each_back_one_level_down() -> None:
    rows = _path(_walk(100, 101.25, 101.25, 99.75))
    result, grid = _run(rows, PERP, model=FEES, variant="reverse")

    first = grid.submitted(_close_ms(rows, 0))
    assert _limits(first, Side.BUY) == []
    assert _limits(first, Side.SELL) == pytest.approx([level(k) for k in (1, 2, 3)])
    short, cover = result.fills.iloc[0], result.fills.iloc[1]
    assert (short["side"], short["price"]) == ("sell", pytest.approx(level(1)))
    (buy_back,) = grid.submitted(int(short["ts_ms"]) + MINUTE_MS)
    assert (buy_back.side, buy_back.qty) == (Side.BUY, short["qty"])
    assert buy_back.price == pytest.approx(level(0), rel=1e-12)
    assert (cover["side"], cover["client_order_id"]) == ("buy", buy_back.client_order_id)
    (trip,) = grid.round_trips
    assert trip.direction == -1
    expected = short["qty"] * (short["price"] - cover["price"]) - short["fee"] - cover["fee"]
    assert trip.pnl == pytest.approx(expected, rel=1e-9)


def test_the_futures_grid_starts_with_buys_below_and_sells_above() -> None:
    rows = _path([100.0] * 3)
    _, grid = _run(rows, PERP, variant="futures")

    first = grid.submitted(_close_ms(rows, 0))
    assert _limits(first, Side.BUY) == pytest.approx([level(-k) for k in (1, 2, 3)])
    assert _limits(first, Side.SELL) == pytest.approx([level(k) for k in (1, 2, 3)])


def test_leverage_lets_the_futures_grid_rest_more_notional_than_the_capital() -> None:
    # Six entries of 400 USDT: 2,400 of notional on 1,000 USDT of capital.
    rows = _path(_walk(100, 98.75, 101.25, 100))
    params = GridParams(**{**GRID, "order_size_usd": 400.0}, variant="futures")
    runs = {}
    for leverage in (1.0, 4.0):
        grid = Observed(params, symbols=[PERP])
        config = BacktestConfig(1_000, fill_model=FEES, margin=MarginModel(leverage=leverage))
        runs[leverage] = (run_backtest(_data(rows, PERP), [grid], config), grid)

    unlevered, _ = runs[1.0]
    assert len(unlevered.rejections) > 0  # without leverage the margin runs out
    assert set(unlevered.rejections["check"]) == {"margin"}
    result, grid = runs[4.0]
    first = grid.submitted(_close_ms(rows, 0))
    assert len(first) == 6
    assert [o.qty * (o.price or 0) for o in first] == pytest.approx([400.0] * 6, rel=1e-12)
    assert result.rejections.empty
    assert result.liquidations.empty
    assert {t.direction for t in grid.round_trips} == {1, -1}  # longs below, shorts above
    for trip in grid.round_trips:
        spacing = trip.buy_value * 0.01
        fees = MAKER / 100 * (trip.buy_value + trip.sell_value)
        assert trip.pnl == pytest.approx(spacing - fees, rel=1e-9)


@pytest.mark.parametrize("variant", ["reverse", "futures"])
def test_short_selling_variants_refuse_spot_symbols(variant: str) -> None:
    with pytest.raises(GridSetupError, match="needs a perpetual"):
        Grid(GridParams(variant=variant), symbols=[SYMBOL])  # type: ignore[arg-type]


STAIRS = _path(_walk(100, *[p for top in range(1, 12) for p in (100 + 1.2 * top, 99.2 + top)]))
"""A rise in steps: up 1.2 %, back 1 %, up again, to about 113."""


def test_the_infinity_grid_follows_a_rise_and_keeps_selling_above_the_upper_bound() -> None:
    result, grid = _run(STAIRS, variant="infinity")

    sells = result.fills[result.fills["side"] == "sell"]
    assert sells["price"].max() > 105.0  # beyond the 5 % bound of the first grid
    assert grid.pairs[SYMBOL].rebalances == 0  # followed, never recentred
    for trip in grid.round_trips:
        assert trip.sell_value == pytest.approx(trip.buy_value * 1.01, rel=1e-12)
    open_buys = [o for _, o in grid.orders if o.is_open and o.side is Side.BUY]
    assert len(open_buys) <= GRID["num_grids"]
    _, standard = _run(STAIRS)
    assert standard.pairs[SYMBOL].rebalances >= 2  # the bounded grid had to recentre


def test_pairs_settings_override_the_top_level_for_their_symbol() -> None:
    rows = _path([100.0] * 3)
    params = GridParams(**GRID, pairs={SYMBOL: {**GRID, "grid_type": "arithmetic"}})
    grid = Observed(params)

    run_backtest(_data(rows), [grid], BacktestConfig(100_000, fill_model=NO_COSTS))

    assert _limits(grid.submitted(), Side.BUY) == pytest.approx([99.0, 98.0, 97.0])


def test_settings_for_a_pair_not_traded_are_left_unused() -> None:
    rows = _path([100.0] * 3)
    grid = Observed(GridParams(**GRID, pairs={"ETH/USDT": {**GRID, "grid_type": "arithmetic"}}))

    run_backtest(_data(rows), [grid], BacktestConfig(100_000, fill_model=NO_COSTS))

    assert _limits(grid.submitted(), Side.BUY) == pytest.approx([level(-k) for k in (1, 2, 3)])


# -- risk pauses ---------------------------------------------------------------------------------

HOUR_MS = 3_600_000
WIDE = WIDE_RISK_LIMITS
RISKY: dict[str, Any] = {**GRID, "order_size_usd": 1_000.0}
"""Orders of 1,000 USDT on 10,000 of capital: a fall of a few levels is a loss of 0.2 %."""
RESUME_HOURS = 2.0


def _risk(*, daily: float = 50.0, brakes: tuple[BrakeLevel, ...] = ()) -> RiskSetup:
    return RiskSetup(
        limits=WIDE,
        loss_limits=LossLimits(
            daily_loss_limit_pct=daily,
            weekly_loss_limit_pct=60.0,
            monthly_loss_limit_pct=90.0,
            reduce_position_sizes_by_pct=50.0,
            recovery_period_hours=6.0,
            resume_after_hours=RESUME_HOURS,
        ),
        brake_levels=brakes,
        operational=OperationalLimits(),
        timezone="UTC",
        check_interval_s=60,
    )


def _run_risky(
    rows: Sequence[Row],
    setup: RiskSetup,
    *,
    skip: bool = True,
    model: FillModel = NO_COSTS,
    **params: Any,
) -> tuple[BacktestResult, Observed]:
    grid = Observed(GridParams(**{**RISKY, **params}))
    config = BacktestConfig(10_000, fill_model=model, risk=setup, skip_idle_bars=skip)
    return run_backtest(_data(rows), [grid], config), grid


def _assert_same(fast: BacktestResult, slow: BacktestResult) -> None:
    pd.testing.assert_frame_equal(fast.fills, slow.fills)
    pd.testing.assert_frame_equal(fast.rejections, slow.rejections)
    pd.testing.assert_frame_equal(fast.risk_events, slow.risk_events)


BREAK_PATH = _path(_walk(100, 97, 99.25) + [99.25] * 60 + _walk(99.25, 98.5) + [98.5] * 200)
"""Buys at levels -1 and -2, then a 0.2 % daily loss at 97.5 trips the breaker while the
third entry rests; during the break the dip to 97 passes that entry's level and the
bounce to 99.25 passes one exit's; the price rests at 98.5 through the resume."""


def test_a_daily_break_keeps_the_inventory_holds_entries_back_and_re_lays_after_the_resume(
    caplog: pytest.LogCaptureFixture,
) -> None:
    setup = _risk(daily=0.2)
    with caplog.at_level(logging.INFO, logger="quantbot.strategies.grid"):
        result, grid = _run_risky(BREAK_PATH, setup)

    events, fills = result.risk_events, result.fills
    (trip_ms,) = events.loc[events["kind"] == "DAILY_CIRCUIT_BREAK", "ts_ms"].tolist()
    (resume_ms,) = events.loc[events["kind"] == "RESUMED", "ts_ms"].tolist()
    assert resume_ms == trip_ms + RESUME_HOURS * HOUR_MS
    # The trip cancels the third entry and both exits; the inventory stays, nothing is sold.
    before = [o for t, o in grid.orders if t < trip_ms]
    assert [o.state for o in before if o.side is Side.BUY] == [
        OrderState.FILLED,
        OrderState.FILLED,
        OrderState.CANCELED,
    ]
    exits = [o for o in before if o.side is Side.SELL]
    assert [o.state for o in exits] == [OrderState.CANCELED] * 2
    held = fills.loc[fills["ts_ms"] < trip_ms, "qty"].sum()
    at_trip = [c for c in grid.checks if c[1] == trip_ms]
    assert [hook for hook, *_ in at_trip] == ["on_order_update"] * 3
    assert all(holdings[SYMBOL] == pytest.approx((held, held)) for *_, holdings in at_trip)
    assert not (fills["ts_ms"] == trip_ms).any()  # no sale at the next open

    # During the break: the exits rest again from the next bar, one sells; no entry rests.
    during = [(t, o) for t, o in grid.orders if trip_ms <= t < resume_ms]
    probes = [(t, o) for t, o in during if o.side is Side.BUY]
    assert [t for t, _ in probes] == [trip_ms + MINUTE_MS, trip_ms + MINUTE_MS + HOUR_MS]
    assert all(o.state is OrderState.REJECTED for _, o in probes)  # one refusal a retry
    assert result.rejections["check"].tolist() == ["circuit_breaker"] * 2
    replaced = [(t, o.price, o.qty) for t, o in during if o.side is Side.SELL]
    assert replaced == [(trip_ms + MINUTE_MS, o.price, o.qty) for o in exits]
    sold = fills[(fills["ts_ms"] >= trip_ms) & (fills["ts_ms"] < resume_ms)]
    assert sold["side"].tolist() == ["sell"]
    assert sold["price"].tolist() == pytest.approx([level(-1)])
    (trip,) = grid.round_trips
    assert (trip.kind, trip.exit_trade_id) == ("grid", sold["trade_id"].iloc[0])
    assert not ((fills["side"] == "buy") & (fills["ts_ms"] >= trip_ms)).any()

    # The first retry after the resume re-lays the grid around the price: halved
    # entries (recovery mode), the inventory carried at full size (closing).
    relay_ms = trip_ms + MINUTE_MS + 2 * HOUR_MS
    (recentre,) = grid.recentres
    assert (recentre["reason"], recentre["ts_ms"], recentre["to_centre"]) == (
        "resume",
        relay_ms,
        98.5,
    )
    (record,) = [r for r in caplog.records if getattr(r, "event", None) == "GRID_REBALANCE"]
    assert (record.__dict__["reason"], record.__dict__["paused_ms"]) == ("resume", trip_ms)
    probe, *relaid = grid.submitted(relay_ms)
    assert (probe.side, probe.state) == (Side.BUY, OrderState.CANCELED)  # passed, withdrawn
    assert probe.price == pytest.approx(level(-1, 98.5))
    entries = [o for o in relaid if o.side is Side.BUY]
    assert _limits(entries, Side.BUY) == pytest.approx([level(-k, 98.5) for k in (1, 2, 3)])
    for order in entries:
        assert order.qty == pytest.approx(RISKY["order_size_usd"] / 2 / (order.price or 0))
    (carried,) = [o for o in relaid if o.side is Side.SELL]
    assert carried.price == pytest.approx(level(1, 98.5))
    assert carried.qty == pytest.approx(held - sold["qty"].sum())
    assert all(o.is_open for o in relaid)
    assert grid.pairs[SYMBOL].paused_ms is None

    slow, _ = _run_risky(BREAK_PATH, setup, skip=False)
    _assert_same(result, slow)


BRAKE_PATH = _path(
    _walk(100, 96.75)
    + [97.0, 97.25, 97.5, 97.75, 98.03]
    + [98.03] * 60
    + _walk(98.03, 99.5)
    + [99.5] * 100
)
"""Three buys, then the lowest lot's exit sells at 98.03 while the brake stops opening
(the lots above are under water); the rise to 99.5 releases it."""


def test_an_entry_a_brake_refuses_pauses_the_grid_with_one_refusal_a_retry() -> None:
    brakes = (BrakeLevel(drawdown_pct=0.01), BrakeLevel(drawdown_pct=0.02, stop_opening=True))
    setup = _risk(brakes=brakes)
    interval_ms = 30 * MINUTE_MS

    result, grid = _run_risky(BRAKE_PATH, setup, model=FEES, resume_check_interval_s=1_800)

    events, fills, rejections = result.risk_events, result.fills, result.rejections
    (release_ms,) = events.loc[
        (events["kind"] == "DRAWDOWN_BRAKE") & (events["level"] == 0), "ts_ms"
    ].tolist()
    sale = fills[fills["side"] == "sell"].iloc[0]
    refused_ms = int(sale["ts_ms"]) + MINUTE_MS  # the sale re-adds its slot's entry
    assert sale["price"] == pytest.approx(level(-2))
    # One refusal pauses the grid; then one probe a retry until the brake lets go.
    times = rejections["ts_ms"].tolist()
    assert times == list(range(refused_ms, release_ms, interval_ms))
    assert set(rejections["check"]) == {"drawdown_brake"}
    relay_ms = times[-1] + interval_ms
    paused = [o for t, o in grid.orders if refused_ms <= t < relay_ms and o.side is Side.BUY]
    assert all(o.state is OrderState.REJECTED for o in paused)
    # The exits still sell while paused.
    assert ((fills["side"] == "sell") & (fills["ts_ms"].between(refused_ms, relay_ms))).any()
    (recentre,) = grid.recentres
    assert (recentre["reason"], recentre["ts_ms"], recentre["to_centre"]) == (
        "resume",
        relay_ms,
        99.5,
    )
    entries = [o for o in grid.submitted(relay_ms)[1:] if o.side is Side.BUY]
    assert _limits(entries, Side.BUY) == pytest.approx([level(-k, 99.5) for k in (1, 2, 3)])
    for order in entries:  # the brake is off: full size
        assert order.qty == pytest.approx(RISKY["order_size_usd"] / (order.price or 0))

    slow, _ = _run_risky(BRAKE_PATH, setup, skip=False, model=FEES, resume_check_interval_s=1_800)
    _assert_same(result, slow)


@pytest.mark.parametrize("after_trip_min", [1, 5, 30, 61, 120])
def test_a_grid_restarted_during_a_break_makes_the_orders_and_fills_of_one_never_stopped(
    after_trip_min: int,
) -> None:
    setup = _risk(daily=0.2)
    params = GridParams(**RISKY)
    config = BacktestConfig(10_000, fill_model=FEES, risk=setup)
    data = _data(BREAK_PATH)
    plain = Grid(params, symbols=[SYMBOL], strategy_id="grid")
    expected = run_backtest(data, [plain], config)
    (trip_ms,) = expected.risk_events.loc[
        expected.risk_events["kind"] == "DAILY_CIRCUIT_BREAK", "ts_ms"
    ].tolist()
    restarted = Restarted(params, trip_ms + after_trip_min * MINUTE_MS)

    result = run_backtest(data, [restarted], config)

    assert restarted.restarted_ms is not None
    assert restarted.restarted_ms < trip_ms + RESUME_HOURS * HOUR_MS + 2 * MINUTE_MS
    assert plain.pairs[SYMBOL].last_rebalance is not None  # the pause did end
    pd.testing.assert_frame_equal(result.fills, expected.fills)
    pd.testing.assert_frame_equal(result.rejections, expected.rejections)
    assert restarted.grid.state() == plain.state()


def test_a_state_saved_before_pauses_existed_restores_a_grid_that_trades() -> None:
    _, grid = _run(_path(_walk(100, 97.5)))
    state = json.loads(json.dumps(grid.state()))
    for pair in state["pairs"].values():
        del pair["paused_ms"], pair["retry_ms"]
    fresh = Grid(GridParams(**GRID), symbols=[SYMBOL])

    fresh.restore(state)

    assert fresh.pairs[SYMBOL].paused_ms is None
    assert fresh.pairs[SYMBOL].retry_ms is None


def test_the_holding_checks_are_the_risk_layers_breaker_checks() -> None:
    """The grid pauses on exactly the refusals of the breakers and brakes (by check name)."""
    breakers = {CircuitBreakerCheck.name, DrawdownBrakeCheck.name, ExchangePauseCheck.name}
    assert breakers == HOLDING_CHECKS
    assert RecoveryResizeCheck.name not in HOLDING_CHECKS  # it resizes, never holds back
