"""Momentum on real Binance candles: properties every trade must have (never a P&L figure).

Three runs on ``../shared/data`` (skipped when it is absent):

- ``perps``: BTC, ETH and SOL USD-M perpetuals, 1h candles (about 15 months they
  share), default parameters: longs and shorts;
- ``perps_capped``: the same with looser entry rules and at most 2 positions, so that
  entries are held back by the cap;
- ``spot_1m``: BTC and ETH spot, 90 days of 1m candles from which the engine builds
  the 1h and 4h candles, looser entry rules: longs only.

The default rules are strict (an EMA cross with ADX above 25 on the same candle is
rare: about one entry per pair and month on these perpetuals, none in the 90 days of
spot), hence the looser variants, whose trades must obey the same properties.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quantbot.config.settings import DataQualitySettings
from quantbot.core import Order, OrderType, Side
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.loading import from_files
from quantbot.engine.results import BacktestResult
from quantbot.strategies.momentum import Momentum
from quantbot.strategies.momentum_params import MomentumParams
from quantbot.strategies.momentum_trade import DecisionAction, ExitReason, MomentumTrade
from quantbot.venues.simulated import FillModel
from unit.engine.strategies_for_tests import Recorded

LOOSER = {
    "adx_min_strength": 15.0,
    "volume_surge_multiplier": 1.0,
    "rsi_long_threshold": 50.0,
    "rsi_short_threshold": 50.0,
}
RUNS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "perps": (
        tuple(f"binance-usdm_{base}-USDT-PERP_1h.csv.gz" for base in ("BTC", "ETH", "SOL")),
        {},
    ),
    "perps_capped": (
        tuple(f"binance-usdm_{base}-USDT-PERP_1h.csv.gz" for base in ("BTC", "ETH", "SOL")),
        {**LOOSER, "max_concurrent_positions": 2},
    ),
    "spot_1m": (("binance_BTC-USDT_1m.csv.gz", "binance_ETH-USDT_1m.csv.gz"), LOOSER),
}
MODEL = FillModel()  # Binance's fees, 0.03 % slippage, 10 % of a bar's volume at most


@dataclass(frozen=True)
class Run:
    data: BacktestData
    strategy: Momentum
    orders: list[Order]
    result: BacktestResult


_runs: dict[str, Run] = {}


@pytest.fixture(params=list(RUNS))
def momentum_run(request: pytest.FixtureRequest, shared_data: Path) -> Run:
    """One backtest per case, run once per session."""
    name: str = request.param
    if name not in _runs:
        files, params = RUNS[name]
        market = from_files([shared_data / f for f in files], quality=DataQualitySettings())
        strategy = Momentum(MomentumParams(**params), symbols=list(market.data.arrays))
        recorded = Recorded(strategy)
        result = run_backtest(market.data, [recorded], BacktestConfig(10_000.0, fill_model=MODEL))
        _runs[name] = Run(market.data, strategy, recorded.orders, result)
    return _runs[name]


def _fills(run: Run, trade: MomentumTrade) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The trade's entry fills and exit fills."""
    fills = run.result.fills
    mine = fills[fills["symbol"] == trade.symbol]
    entries = mine[mine["client_order_id"] == trade.entry_order]
    end = trade.closed_ms if trade.closed_ms is not None else np.iinfo(np.int64).max
    exits = mine[
        (mine["ts_ms"] >= (trade.opened_ms or 0))
        & (mine["ts_ms"] <= end)
        & (mine["side"] != str(trade.side))
    ]
    return entries, exits


def test_every_trade_records_its_entry_signals_and_every_exit_its_reason(
    momentum_run: Run,
) -> None:
    strategy, trades = momentum_run.strategy, momentum_run.result.trades

    assert len(strategy.trades) > 0
    assert len(strategy.trades) == len(trades)
    assert [t.opened_ms for t in strategy.trades] == sorted(trades["entry_ts_ms"].tolist())
    for trade in strategy.trades:
        conditions = trade.entry_signals["conditions"]
        assert isinstance(conditions, dict)
        assert conditions
        assert all(conditions.values())
        assert trade.is_closed == (trade.exit_reason is not None)
        assert trade.exit_reason is None or trade.exit_reason in set(ExitReason)
    closed = [t for t in strategy.trades if t.is_closed]
    assert int((~trades["is_open"]).sum()) == len(closed)
    exits = [d for d in strategy.decisions if d.signal.startswith("exit")]
    executed = [d for d in exits if d.action is DecisionAction.EXECUTED]
    assert sorted((d.symbol, d.reason) for d in executed) == sorted(
        (t.symbol, str(t.exit_reason)) for t in closed
    )


def test_never_more_positions_at_once_than_the_cap(momentum_run: Run) -> None:
    cap = momentum_run.strategy.params.max_concurrent_positions
    fills = momentum_run.result.fills
    signed = np.where(fills["side"] == "buy", fills["qty"], -fills["qty"])
    positions = pd.DataFrame({"ts_ms": fills["ts_ms"], "symbol": fills["symbol"], "qty": signed})
    held: dict[str, float] = {}
    most = 0
    for _, group in positions.groupby("ts_ms", sort=True):
        for symbol, qty in zip(group["symbol"], group["qty"], strict=True):
            held[symbol] = held.get(symbol, 0.0) + qty
        most = max(most, sum(1 for q in held.values() if abs(q) > 1e-9))

    assert most <= cap
    if len(momentum_run.data.arrays) > cap:
        held_back = [d for d in momentum_run.strategy.decisions if d.action is DecisionAction.HELD]
        assert any(d.reason.startswith("max_concurrent_positions") for d in held_back)


def test_stops_rest_at_the_venue_reduce_only_and_never_loosen(momentum_run: Run) -> None:
    stops = [o for o in momentum_run.orders if o.order_type is OrderType.STOP]
    placed = sorted(
        (ts, trade.symbol, price)
        for trade in momentum_run.strategy.trades
        for ts, price in trade.stops
    )

    assert sorted((o.ts_ms, o.symbol, o.stop_price) for o in stops) == placed
    assert all(o.reduce_only for o in stops)
    for trade in momentum_run.strategy.trades:
        levels = [price for _, price in trade.stops]
        assert levels
        assert levels == sorted(levels, reverse=not trade.long)
        sides = {o.side for o in stops if o.symbol == trade.symbol and trade.opened_ms <= o.ts_ms}
        assert (Side.SELL if trade.long else Side.BUY) in sides


def test_shorts_only_on_perpetuals(momentum_run: Run) -> None:
    instruments = momentum_run.data.instruments
    fills = momentum_run.result.fills
    for symbol, group in fills.groupby("symbol"):
        signed = np.where(group["side"] == "buy", group["qty"], -group["qty"])
        if not instruments[str(symbol)].is_perpetual:
            assert (np.cumsum(signed) >= -1e-9).all()
    shorts = [t for t in momentum_run.strategy.trades if not t.long]
    assert all(instruments[t.symbol].is_perpetual for t in shorts)
    if all(i.is_perpetual for i in instruments.values()):
        assert shorts


def test_losses_stay_within_one_r_plus_slippage_unless_the_price_gapped_past_the_stop(
    momentum_run: Run,
) -> None:
    slip = MODEL.slippage_pct / 100.0
    for trade in momentum_run.strategy.trades:
        if not trade.is_closed:
            continue
        entries, exits = _fills(momentum_run, trade)
        first_price = float(entries["price"].iloc[0])
        initial_stop = trade.stops[0][1] if trade.stops else first_price
        tick = momentum_run.data.instruments[trade.symbol].tick_size or 0.0
        sign = 1.0 if trade.long else -1.0
        worst = min(sign * p for p in exits["price"])
        slack = float(exits["price"].max()) * slip * 1.001 + tick
        if sign * initial_stop - worst <= slack:
            loss_per_unit = sign * (first_price - trade.exit_price)
            assert loss_per_unit <= trade.risk_per_unit + slack + 1e-9
            continue
        # Beyond the stop: only where a bar opened past it (the exit filled at that open).
        assert _opened_past(momentum_run.data, trade, exits["ts_ms"], initial_stop)


def _opened_past(
    data: BacktestData, trade: MomentumTrade, times: Sequence[int], stop: float
) -> bool:
    candles = data.arrays[trade.symbol]
    bars = np.searchsorted(candles.ts_ms, np.asarray(times))
    opens = candles.open[bars]
    return bool(np.any(opens < stop) if trade.long else np.any(opens > stop))
