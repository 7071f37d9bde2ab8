"""``grid`` in whole backtests: round trips, the order cap, inventory, closes, the fast path.

Behaviour checked on every run (never a P&L figure):

- every grid round trip buys at one level and sells at least one level higher (at it
  when both fills rest on the book), and its recorded P&L is exactly
  ``sell value - buy value - both fees`` of its two linked fills;
- the inventory the grid tracks equals the strategy's position after every candle;
- the grid never has more than ``max_open_orders`` orders resting.

On the spot BTC/USDT and the USD-M BTC/USDT perpetual 1m candles of ``../shared/data``
(skipped when absent; the futures grid also with leverage), and on seeded synthetic
markets under fill models from frictionless to volume-starved (partial fills) with
latency, where skipping idle candles must make exactly the fills of a bar-by-bar run.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integration.engine.backtest_runs import BTC, assert_same_run, fill_models, market
from quantbot.config.settings import DataQualitySettings
from quantbot.engine.backtest import BacktestConfig, BacktestData, run_backtest
from quantbot.engine.loading import from_files
from quantbot.engine.results import BacktestResult
from quantbot.strategies.grid_params import GridParams
from quantbot.venues.simulated import FillModel, MarginModel
from unit.strategies.test_grid import Observed

from fixtures.cli import quantbot

DAY_MS = 86_400_000
SPOT, PERP = "binance_BTC-USDT_1m.csv.gz", "binance-usdm_BTC-USDT-PERP_1m.csv.gz"
START_MS = {SPOT: 1_748_736_000_000, PERP: 1_746_403_200_000}
"""2025-06-01 and 2025-05-05 UTC: a few weeks inside each file."""
PERP_ORDER_USD = 500.0
"""The perpetual trades 0.001 BTC lots with a 100 USDT minimum: orders of a few hundred."""


def _market(shared_data: Path, name: str, days: int) -> BacktestData:
    start = START_MS[name]
    loaded = from_files(
        [shared_data / name],
        quality=DataQualitySettings(),
        start_ms=start,
        end_ms=start + days * DAY_MS,
    )
    return loaded.data


def _run(
    data: BacktestData,
    params: dict[str, Any],
    *,
    model: FillModel | None = None,
    skip: bool = True,
    capital: float = 100_000,
    leverage: float = 1.0,
) -> tuple[BacktestResult, Observed]:
    grid = Observed(GridParams.model_validate(params), symbols=list(data.arrays))
    config = BacktestConfig(
        capital,
        fill_model=model or FillModel(),
        skip_idle_bars=skip,
        margin=MarginModel(leverage=leverage),
    )
    return run_backtest(data, [grid], config), grid


def _check_run(result: BacktestResult, grid: Observed) -> None:
    """The behaviour every run must show (module docstring)."""
    params: GridParams = grid.params  # type: ignore[assignment]
    fills = result.fills.set_index("trade_id")
    for trip in grid.round_trips:
        if trip.kind != "grid":
            continue  # carried or closed at market: not one level apart
        entry = fills.loc[trip.entry_trade_ids[0]]
        exit_fill = fills.loc[trip.exit_trade_id]
        bought, sold = (entry, exit_fill) if trip.direction == 1 else (exit_fill, entry)
        settings = params.for_symbol(trip.symbol)
        assert sold["price"] > bought["price"]
        if settings.grid_type == "geometric":
            spacing = 1 + settings.grid_spacing_pct / 100
            assert sold["price"] >= bought["price"] * spacing * (1 - 1e-9)
        fees = (entry["fee"] / entry["qty"] + exit_fill["fee"] / exit_fill["qty"]) * trip.qty
        pnl = (sold["price"] - bought["price"]) * trip.qty - fees
        assert trip.pnl == pytest.approx(pnl, rel=1e-9, abs=1e-9)
    last_of_candle = {now_ms: holdings for _, now_ms, _, holdings in grid.checks}
    for holdings in last_of_candle.values():
        for inventory, position in holdings.values():
            assert inventory == pytest.approx(position, abs=1e-9)
    assert max(check[2] for check in grid.checks) <= params.max_open_orders


def test_the_default_grid_on_spot_btc_earns_the_spacing_each_round_trip(
    shared_data: Path,
) -> None:
    data = _market(shared_data, SPOT, days=30)
    result, grid = _run(data, {})

    _check_run(result, grid)
    trips = [t for t in grid.round_trips if t.kind == "grid"]
    assert len(trips) > 50
    both_rested = [
        t
        for t in trips
        if {"maker"}
        == set(
            result.fills.set_index("trade_id").loc[
                [*t.entry_trade_ids, t.exit_trade_id], "liquidity"
            ]
        )
    ]
    assert len(both_rested) > 0.9 * len(trips)  # grid orders rest: maker fees
    assert result.rejections.empty


def test_a_tight_order_cap_on_the_perpetual_futures_grid_is_never_exceeded(
    shared_data: Path,
) -> None:
    data = _market(shared_data, PERP, days=20)
    params = {"variant": "futures", "order_size_usd": PERP_ORDER_USD, "max_open_orders": 12}
    result, grid = _run(data, params)

    _check_run(result, grid)
    directions = {t.direction for t in grid.round_trips if t.kind == "grid"}
    assert directions == {1, -1}  # longs below the centre, shorts above
    # Held back and placed later: more distinct levels traded than ever rest at once.
    assert len({o.price for _, o in grid.orders}) > 12


def test_leverage_carries_the_futures_grid_where_the_capital_alone_does_not(
    shared_data: Path,
) -> None:
    data = _market(shared_data, PERP, days=20)
    params = {"variant": "futures", "order_size_usd": 250.0}  # up to 10,000 USDT of entries

    unlevered, _ = _run(data, params, capital=5_000)
    result, grid = _run(data, params, capital=5_000, leverage=3)

    assert len(unlevered.rejections) > 0
    assert set(unlevered.rejections["check"]) == {"margin"}
    _check_run(result, grid)
    assert result.rejections.empty
    assert result.liquidations.empty
    assert {t.direction for t in grid.round_trips if t.kind == "grid"} == {1, -1}


def test_the_reverse_grid_on_the_perpetual_only_ever_holds_a_short(shared_data: Path) -> None:
    data = _market(shared_data, PERP, days=20)
    result, grid = _run(data, {"variant": "reverse", "order_size_usd": PERP_ORDER_USD})

    _check_run(result, grid)
    assert len(grid.round_trips) > 20
    assert {t.direction for t in grid.round_trips} == {-1}
    for _, _, _, holdings in grid.checks:
        for _, position in holdings.values():
            assert position <= 1e-9


def test_the_infinity_grid_never_recentres_upward(shared_data: Path) -> None:
    data = _market(shared_data, SPOT, days=60)
    result, grid = _run(data, {"variant": "infinity"})

    _check_run(result, grid)
    pair = grid.pairs[BTC]
    assert pair.levels is not None
    assert pair.centre > 0  # it followed a rise on its lattice
    assert pair.last_rebalance is None or (
        pair.last_rebalance["to_centre"] < pair.last_rebalance["from_centre"]
    )


def test_a_stop_loss_leaves_the_pair_flat_and_silent(shared_data: Path) -> None:
    data = _market(shared_data, SPOT, days=30)
    _, grid = _run(data, {"stop_loss_pct": 1.0})

    pair = grid.pairs[BTC]
    assert pair.stopped == "stop_loss"
    (close,) = [o for _, o in grid.orders if o.order_type == "market"]
    decided = next(t for t, o in grid.orders if o is close)
    assert grid.orders[-1][1] is close  # nothing after
    assert all(t <= decided for t, _ in grid.orders)
    assert close.is_terminal
    assert close.filled_qty == pytest.approx(close.qty)
    assert pair.inventory()[0] == 0
    assert abs(grid.checks[-1][3][BTC][1]) < 1e-9


def test_skipping_idle_bars_makes_the_fills_of_a_bar_by_bar_run(shared_data: Path) -> None:
    data = _market(shared_data, SPOT, days=10)
    params = {
        "grid_spacing_pct": 0.3,
        "num_grids": 10,
        "rebalance_trigger_pct": 2.0,
        "upper_bound_pct": 3.0,
        "lower_bound_pct": 3.0,
        "take_profit_pct": 10.0,
    }

    fast, _ = _run(data, params, skip=True)
    slow, _ = _run(data, params, skip=False)

    assert fast.events_processed < slow.events_processed / 10
    assert len(fast.fills) > 20
    assert_same_run(fast, slow)


GRIDS = st.fixed_dictionaries(
    {
        "grid_type": st.sampled_from(["arithmetic", "geometric"]),
        "num_grids": st.integers(2, 8),
        "grid_spacing_pct": st.sampled_from([0.3, 0.5]),
        "rebalance_trigger_pct": st.sampled_from([1.0, 2.0]),
        "upper_bound_pct": st.just(3.0),
        "lower_bound_pct": st.just(3.0),
        "order_size_usd": st.sampled_from([500.0, 2_000.0]),
        "variant": st.sampled_from(["standard", "infinity"]),
        "max_open_orders": st.integers(3, 20),
    },
    optional={
        "take_profit_pct": st.sampled_from([0.5, 2.0]),
        "stop_loss_pct": st.sampled_from([1.0, 3.0]),
    },
)


@settings(max_examples=12)
@given(st.integers(0, 40), GRIDS, fill_models)
def test_grids_keep_their_rules_and_the_fast_path_under_any_fill_model(
    seed: int, grid: dict[str, Any], model: FillModel
) -> None:
    data = market(seed, minutes=1440)

    fast, observed = _run(data, grid, model=model, skip=True)
    slow, _ = _run(data, grid, model=model, skip=False)

    assert_same_run(fast, slow)
    _check_run(fast, observed)


def test_round_trips_csv_links_each_exit_fill_to_the_entry_fills_it_closed(
    workdir: Path, shared_data: Path
) -> None:
    """``grid_round_trips.csv`` as a user reads it, checked against ``fills.csv``."""
    result = quantbot(
        "backtest",
        "-s",
        "grid",
        "--data",
        str(shared_data / "binance_BTC-USDT_1m.csv.gz"),
        "--from",
        "2025-06-01",
        "--to",
        "2025-06-15",
        "--out",
        "out",
    )
    assert result.exit_code == 0, result.output
    with (workdir / "out" / "fills.csv").open(newline="") as handle:
        fills = {row["trade_id"]: row for row in csv.DictReader(handle)}
    with (workdir / "out" / "grid_round_trips.csv").open(newline="") as handle:
        trips = [row for row in csv.DictReader(handle) if row["kind"] == "grid"]
    assert trips, "two weeks of real 1m candles should complete grid round trips"
    for trip in trips:
        exit_fill = fills[trip["trade_id"]]
        entries = [fills[trade_id] for trade_id in trip["linked_trade_id"].split()]
        assert entries
        assert exit_fill["time"] == trip["exit_time"]
        assert {e["symbol"] for e in entries} == {exit_fill["symbol"]} == {trip["symbol"]}
        assert all(e["time"] <= exit_fill["time"] for e in entries)
        assert {e["side"] for e in entries} == {"buy"}
        assert exit_fill["side"] == "sell"
        # a long round trip sells above where it bought
        assert float(exit_fill["price"]) > max(float(e["price"]) for e in entries)
        assert float(trip["pnl"]) == pytest.approx(
            float(trip["sell_value"]) - float(trip["buy_value"]) - float(trip["fees"])
        )
