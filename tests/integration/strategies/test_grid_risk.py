"""``grid`` under the risk manager's circuit breakers: inventory kept, entries held, re-laid.

On Binance's recorded BTC/USDT 1m candles of 2025-06-16 to 2025-06-30 (skipped when
``../shared/data`` is absent), the grid alone trades 2,000 USDT orders on 100,000 USDT
with a 0.3 % daily loss limit: its inventory trips the daily breaker twice. Checked:

- every trip cancels the grid's orders and keeps its inventory (nothing closes it);
- while a break lasts no entry rests: the only refusals are one probe a retry, by the
  circuit breaker, and the exits still sell;
- after each resume the grid re-lays around the price (a ``resume`` recentre) with
  entries halved by recovery mode, and trades again;
- skipping idle candles makes exactly the run of a bar-by-bar one.

On seeded synthetic markets with daily and weekly breaks, spot and a neutral futures
grid on a perpetual, under fill models from frictionless to volume-starved, the grid's
own rules (``test_grid_backtests``) hold and the fast path matches bar by bar.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integration.engine.backtest_runs import (
    BTC,
    BTC_PERP,
    assert_same_run,
    fill_models,
    market,
    perp_market,
)
from integration.strategies.test_grid_backtests import _check_run
from quantbot.config.settings import DataQualitySettings
from quantbot.core import OrderState, Side
from quantbot.engine.backtest import RISK_CLOSE_PREFIX, BacktestConfig, BacktestData, run_backtest
from quantbot.engine.loading import from_files
from quantbot.engine.results import BacktestResult
from quantbot.engine.risk_setup import RiskSetup
from quantbot.strategies.grid_params import GridParams
from quantbot.venues.simulated import FillModel, MarginModel
from unit.strategies.test_grid import Observed

from factories import loss_breaker_setup

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
START_MS = 1_750_032_000_000  # 2025-06-16 00:00 UTC
END_MS = START_MS + 14 * DAY_MS
CAPITAL = 100_000.0
ORDER_USD = 2_000.0
GRID: dict[str, Any] = {"num_grids": 20, "grid_spacing_pct": 0.5, "order_size_usd": ORDER_USD}


def _setup(
    *,
    daily: float = 0.3,
    weekly: float = 50.0,
    resume_hours: float = 24.0,
    recovery_hours: float = 24.0,
) -> RiskSetup:
    return loss_breaker_setup(
        daily_pct=daily,
        weekly_pct=weekly,
        resume_hours=resume_hours,
        recovery_hours=recovery_hours,
    )


def _run(
    data: BacktestData,
    params: dict[str, Any],
    setup: RiskSetup,
    *,
    skip: bool = True,
    model: FillModel | None = None,
    leverage: float = 1.0,
) -> tuple[BacktestResult, Observed]:
    grid = Observed(GridParams.model_validate(params), symbols=list(data.arrays))
    config = BacktestConfig(
        CAPITAL,
        fill_model=model or FillModel(max_volume_share=None),
        skip_idle_bars=skip,
        margin=MarginModel(leverage=leverage),
        risk=setup,
    )
    return run_backtest(data, [grid], config), grid


@pytest.fixture(scope="module")
def data(shared_data: Path) -> BacktestData:
    loaded = from_files(
        [shared_data / "binance_BTC-USDT_1m.csv.gz"],
        quality=DataQualitySettings(),
        start_ms=START_MS,
        end_ms=END_MS,
    )
    return loaded.data


@pytest.fixture(scope="module")
def daily(data: BacktestData) -> tuple[BacktestResult, Observed]:
    return _run(data, GRID, _setup())


def _breaks(result: BacktestResult) -> list[tuple[int, int]]:
    """Each daily break: (trip, resume or the end of the run)."""
    events = result.risk_events
    trips = events.loc[events["kind"] == "DAILY_CIRCUIT_BREAK", "ts_ms"].tolist()
    resumes = events.loc[events["kind"] == "RESUMED", "ts_ms"].tolist()
    return list(zip(trips, resumes + [END_MS] * (len(trips) - len(resumes)), strict=True))


def test_the_grid_keeps_its_inventory_through_each_break_and_opens_nothing_during_it(
    daily: tuple[BacktestResult, Observed],
) -> None:
    result, grid = daily
    breaks = _breaks(result)
    assert len(breaks) >= 2
    fills = result.fills
    assert not fills["client_order_id"].str.startswith(RISK_CLOSE_PREFIX).any()
    for trip_ms, end_ms in breaks:
        # The trip cancels the grid's orders; its inventory, still the account's, stays.
        at_trip = [c for c in grid.checks if c[1] == trip_ms and c[0] == "on_order_update"]
        assert at_trip
        inventory, position = at_trip[-1][3][BTC]
        assert inventory == pytest.approx(position, abs=1e-9)
        assert inventory > 0
        inside = [(t, o) for t, o in grid.orders if trip_ms <= t < end_ms]
        buys = [(t, o) for t, o in inside if o.side is Side.BUY]
        assert all(o.state is OrderState.REJECTED for _, o in buys)  # probes only
        times = [t for t, _ in buys]
        assert times == sorted(set(times))  # at most one a retry
        assert len(times) <= (end_ms - trip_ms) // HOUR_MS + 1
        bought = fills[(fills["side"] == "buy") & fills["ts_ms"].between(trip_ms, end_ms - 1)]
        assert bought.empty
    refused = result.rejections
    assert set(refused["check"]) == {"circuit_breaker"}
    assert set(refused["side"]) == {"buy"}
    # The exits kept selling the inventory during some break.
    sold = fills[fills["side"] == "sell"]
    assert any(sold["ts_ms"].between(begin, end - 1).any() for begin, end in breaks)
    _check_run(result, grid)


def test_after_each_resume_the_grid_re_lays_with_halved_entries_and_trades_again(
    daily: tuple[BacktestResult, Observed],
) -> None:
    result, grid = daily
    lot = result.fills["qty"].min()  # BTC/USDT trades 0.00001 BTC lots
    resumes = [end for _, end in _breaks(result) if end < END_MS]
    assert resumes
    relays = [r for r in grid.recentres if r["reason"] == "resume"]
    assert len(relays) == len(resumes)
    entry_fills = {t for trip in grid.round_trips for t in trip.entry_trade_ids}
    fills = result.fills.set_index("trade_id")
    for resume_ms, relay in zip(resumes, relays, strict=True):
        # The first retry after the resume (the retries run hourly) re-lays the grid.
        assert resume_ms < relay["ts_ms"] <= resume_ms + HOUR_MS
        assert relay["to_centre"] == pytest.approx(
            float(result.closes[BTC][(result.ts_ms + MINUTE_MS).searchsorted(relay["ts_ms"])])
        )
        placed = [o for t, o in grid.orders if t == relay["ts_ms"] and o.side is Side.BUY]
        probe, *entries = placed
        assert probe.state is OrderState.CANCELED
        assert len(entries) == GRID["num_grids"]
        for order in entries:  # recovery mode halves them (rounded down to the lot)
            half = ORDER_USD / 2 / (order.price or 0)
            assert half - lot - 1e-12 <= order.qty <= half + 1e-12
    # Trading again: round trips whose entries filled after the first resume.
    first = resumes[0]
    assert any(fills.loc[t, "ts_ms"] > first for t in entry_fills)


def test_fast_path_matches_bar_by_bar_through_breaks_on_real_data(
    data: BacktestData, daily: tuple[BacktestResult, Observed]
) -> None:
    fast, _ = daily
    slow, _ = _run(data, GRID, _setup(), skip=False)

    assert fast.events_processed < slow.events_processed / 10
    assert_same_run(fast, slow)


SYNTHETIC_GRIDS = st.fixed_dictionaries(
    {
        "grid_type": st.sampled_from(["arithmetic", "geometric"]),
        "num_grids": st.integers(3, 8),
        "grid_spacing_pct": st.sampled_from([0.3, 0.5]),
        "rebalance_trigger_pct": st.sampled_from([1.0, 2.0]),
        "upper_bound_pct": st.just(3.0),
        "lower_bound_pct": st.just(3.0),
        "order_size_usd": st.sampled_from([2_000.0, 5_000.0]),
        "variant": st.sampled_from(["standard", "infinity"]),
        "max_open_orders": st.integers(3, 20),
        "resume_check_interval_s": st.sampled_from([600, 1_800, 3_600]),
    },
)
SYNTHETIC_SETUPS = st.builds(
    _setup,
    daily=st.sampled_from([0.1, 0.3]),
    weekly=st.sampled_from([0.5, 50.0]),
    resume_hours=st.sampled_from([1.0, 4.0]),
    recovery_hours=st.sampled_from([0.0, 6.0]),
)


@settings(max_examples=10)
@given(st.integers(0, 40), SYNTHETIC_GRIDS, SYNTHETIC_SETUPS, fill_models)
def test_grids_under_tight_breakers_keep_their_rules_and_the_fast_path(
    seed: int, grid: dict[str, Any], setup: RiskSetup, model: FillModel
) -> None:
    data = market(seed, minutes=2 * 1440)

    fast, observed = _run(data, grid, setup, model=model, skip=True)
    slow, _ = _run(data, grid, setup, model=model, skip=False)

    assert_same_run(fast, slow)
    _check_run(fast, observed)


@pytest.mark.parametrize("seed", [0, 1, 3])
@pytest.mark.parametrize("weekly", [0.4, 50.0])
def test_a_futures_grid_under_breakers_keeps_its_inventory_and_the_fast_path(
    seed: int, weekly: float
) -> None:
    data = perp_market(seed, minutes=2 * 1440)
    params = {
        "variant": "futures",
        "num_grids": 8,
        "grid_spacing_pct": 0.3,
        "order_size_usd": 5_000.0,
        "rebalance_trigger_pct": 2.0,
        "upper_bound_pct": 3.0,
        "lower_bound_pct": 3.0,
        "resume_check_interval_s": 1_800,
    }
    setup = _setup(weekly=weekly, resume_hours=4.0, recovery_hours=6.0)

    fast, grid = _run(data, params, setup, model=FillModel(), leverage=3.0)
    slow, _ = _run(data, params, setup, model=FillModel(), leverage=3.0, skip=False)

    assert_same_run(fast, slow)
    _check_run(fast, grid)
    kinds = set(fast.risk_events["kind"])
    assert "DAILY_CIRCUIT_BREAK" in kinds
    if "WEEKLY_CIRCUIT_BREAK" in kinds:  # closed by the risk manager: nothing held after
        assert grid.pairs[BTC_PERP].inventory()[0] == 0.0
        assert fast.fills["client_order_id"].str.startswith(RISK_CLOSE_PREFIX).any()
    else:
        assert any(r["reason"] == "resume" for r in grid.recentres)
