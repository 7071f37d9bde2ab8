"""The risk manager in backtests on Binance's recorded BTC/USDT 1m candles, with tight limits.

Two volatile weeks (2025-06-16 to 2025-06-30, BTC moving 2-6 % a day) traded by
``ema_cross`` (closed by a daily break) and the grid (keeps its inventory), with a
0.5 % daily loss limit. Every trip is checked against the daily P&L recomputed here
from the equity curve and the UTC day boundaries; the actions, the resume after 24 h
into recovery with halved sizes, the weekly break without resume, and the fast path
against a bar-by-bar run. Skipped when ``../shared/data`` is absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from backtest_runs import assert_same_run

from quantbot.config.settings import DataQualitySettings
from quantbot.core import Order, OrderState
from quantbot.engine.backtest import RISK_CLOSE_PREFIX, BacktestConfig, BacktestData, run_backtest
from quantbot.engine.loading import from_files
from quantbot.engine.results import BacktestResult
from quantbot.engine.risk_setup import RiskSetup
from quantbot.strategies import StrategyContext, create_strategy
from quantbot.strategies.grid import Grid
from quantbot.strategies.grid_params import GridParams
from quantbot.venues.simulated import FillModel

from factories import loss_breaker_setup

BTC = "BTC/USDT"
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
START_MS = 1_750_032_000_000  # 2025-06-16 00:00 UTC, a Monday
END_MS = START_MS + 14 * DAY_MS
CAPITAL = 100_000.0
ORDER_SIZE = 0.4  # BTC, about 42,000 USDT: a 1.2 % move is a 0.5 % daily loss
DAILY_LIMIT_PCT = 0.5
GRID = {"num_grids": 20, "grid_spacing_pct": 0.5, "order_size_usd": 1_000.0}


class WatchedGrid(Grid):
    """The grid, recording the order updates it hears of."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.updates: list[tuple[int, OrderState]] = []

    def on_order_update(self, order: Order, ctx: StrategyContext) -> None:
        self.updates.append((ctx.now_ms, order.state))
        super().on_order_update(order, ctx)


def _setup(*, daily: float = DAILY_LIMIT_PCT, weekly: float = 50.0) -> RiskSetup:
    return loss_breaker_setup(daily_pct=daily, weekly_pct=weekly, recovery_hours=48.0)


@pytest.fixture(scope="module")
def data(shared_data: Path) -> BacktestData:
    loaded = from_files(
        [shared_data / "binance_BTC-USDT_1m.csv.gz"],
        quality=DataQualitySettings(),
        start_ms=START_MS,
        end_ms=END_MS,
    )
    assert loaded.data.ts_ms[0] == START_MS
    return loaded.data


def _run(
    data: BacktestData, setup: RiskSetup, *, skip: bool = True
) -> tuple[BacktestResult, WatchedGrid]:
    grid = WatchedGrid(GridParams(**GRID), symbols=[BTC])
    ema = create_strategy(
        "ema_cross",
        {"fast": 9, "slow": 21, "order_size": ORDER_SIZE},
        symbols=[BTC],
        timeframe="5m",
    )
    config = BacktestConfig(
        initial_capital=CAPITAL,
        fill_model=FillModel(max_volume_share=None),
        skip_idle_bars=skip,
        risk=setup,
    )
    return run_backtest(data, [ema, grid], config), grid


@pytest.fixture(scope="module")
def daily(data: BacktestData) -> tuple[BacktestResult, WatchedGrid]:
    return _run(data, _setup())


def _events(result: BacktestResult, kind: str) -> pd.DataFrame:
    return result.risk_events[result.risk_events["kind"] == kind]


def _bar_of(result: BacktestResult, close_ms: int) -> int:
    """The bar whose close is ``close_ms``."""
    period = MINUTE_MS
    return int(np.searchsorted(result.ts_ms + period, close_ms))


def test_the_daily_breaker_trips_where_the_daily_pnl_recomputed_from_the_equity_first_crosses(
    daily: tuple[BacktestResult, WatchedGrid],
) -> None:
    result, _ = daily
    trips = _events(result, "DAILY_CIRCUIT_BREAK")
    resumes = _events(result, "RESUMED")["ts_ms"].tolist()
    closes_ms = result.ts_ms + MINUTE_MS
    assert len(trips) >= 3

    for trip_ms, value in zip(trips["ts_ms"], trips["value"], strict=True):
        # The period's baseline: the day's midnight, or a resume later that day.
        midnight = (int(trip_ms) // DAY_MS) * DAY_MS
        since = max([midnight, *[r for r in resumes if midnight <= r < trip_ms]])
        start_equity = (
            CAPITAL if since <= result.ts_ms[0] else float(result.equity[_bar_of(result, since)])
        )
        window = (closes_ms > since) & (closes_ms <= trip_ms)
        pnl_pct = (result.equity[window] / start_equity - 1.0) * 100.0
        crossed = np.flatnonzero(pnl_pct <= -DAILY_LIMIT_PCT + 1e-9)
        assert len(crossed) > 0
        assert closes_ms[window][crossed[0]] == trip_ms  # the first bar that crossed it
        assert value == pytest.approx(pnl_pct[crossed[0]], abs=1e-9)

    # No day without a trip crossed the limit: each day's P&L from its first
    # observation stays above it until a trip.
    tripped_days = {int(t) // DAY_MS for t in trips["ts_ms"]}
    for day in range(START_MS // DAY_MS, END_MS // DAY_MS):
        if day in tripped_days:
            continue
        breaks = [(int(t), int(t) + DAY_MS) for t in trips["ts_ms"] if int(t) < (day + 1) * DAY_MS]
        midnight = day * DAY_MS
        if any(begin <= midnight < end for begin, end in breaks):
            continue  # a break from the day before runs into this day
        start = (
            CAPITAL
            if midnight <= result.ts_ms[0]
            else float(result.equity[_bar_of(result, midnight)])
        )
        inside = (closes_ms > midnight) & (closes_ms < midnight + DAY_MS)
        assert (result.equity[inside] / start - 1.0).min() * 100.0 > -DAILY_LIMIT_PCT - 1e-9


def test_a_daily_trip_cancels_the_orders_and_closes_ema_cross_but_not_the_grid(
    daily: tuple[BacktestResult, WatchedGrid],
) -> None:
    result, grid = daily
    fills = result.fills
    trips = _events(result, "DAILY_CIRCUIT_BREAK")
    # The grid's resting orders were canceled at every trip, and it heard of it (it
    # re-lays its grid after each resume, so it has orders again at the next trip).
    assert grid.updates
    assert {t for t, _ in grid.updates} == set(trips["ts_ms"])
    assert {s for _, s in grid.updates} == {OrderState.CANCELED}
    for trip in trips.to_dict("records"):
        trip_ms = int(trip["ts_ms"])
        action = json.loads(trip["action"])
        assert action["cancel_all_orders"] is True
        assert action["close_positions"] == ["close"]
        closed = json.loads(trip["positions_closed"])
        assert all(c["strategy"] == "ema_cross" for c in closed)  # the grid keeps inventory
        closing = fills[fills["client_order_id"].str.startswith(RISK_CLOSE_PREFIX)]
        at_open = closing[closing["ts_ms"] == trip_ms]  # the next bar's open
        assert at_open[["strategy", "side", "qty"]].to_dict("records") == [
            {"strategy": c["strategy"], "side": "sell", "qty": pytest.approx(c["qty"])}
            for c in closed
        ]
    assert set(
        fills.loc[fills["client_order_id"].str.startswith(RISK_CLOSE_PREFIX), "strategy"]
    ) == {"ema_cross"}


def test_nothing_opens_during_a_daily_break_and_sizes_are_halved_in_recovery(
    daily: tuple[BacktestResult, WatchedGrid],
) -> None:
    result, _ = daily
    events = result.risk_events
    trips = _events(result, "DAILY_CIRCUIT_BREAK")["ts_ms"].tolist()
    resumes = _events(result, "RESUMED")["ts_ms"].tolist()
    assert resumes == [t + DAY_MS for t in trips if t + DAY_MS <= END_MS]
    starts = _events(result, "RECOVERY_STARTED")["ts_ms"].tolist()
    assert starts == resumes
    # A recovery ends after 48 h or at the next trip.
    recoveries = [
        (start, min([start + 2 * DAY_MS, *[t for t in trips if t > start]])) for start in starts
    ]
    assert _events(result, "RECOVERY_ENDED")["ts_ms"].tolist() == [
        end for start, end in recoveries if end == start + 2 * DAY_MS and end <= END_MS
    ]

    buys = result.fills[(result.fills["side"] == "buy")]
    orders = buys.groupby("client_order_id").agg(
        ts_ms=("ts_ms", "min"), strategy=("strategy", "first"), qty=("qty", "sum")
    )
    breaks = list(zip(trips, resumes + [END_MS] * (len(trips) - len(resumes)), strict=True))
    for order in orders.itertuples():
        decided = int(order.ts_ms)  # the close of the bar before the fill's open
        assert not any(begin <= decided < end for begin, end in breaks), order
        if order.strategy == "ema_cross":
            in_recovery = any(begin <= decided < end for begin, end in recoveries)
            assert order.qty == pytest.approx(ORDER_SIZE / 2 if in_recovery else ORDER_SIZE)
    ema_in_recovery = [
        o
        for o in orders.itertuples()
        if o.strategy == "ema_cross" and any(b <= o.ts_ms < e for b, e in recoveries)
    ]
    assert ema_in_recovery  # the halving was exercised
    assert len(events) > 0
    rejected = result.rejections
    assert set(rejected["check"]) <= {"circuit_breaker", "balance", "min_notional", "lot_size"}
    assert (rejected["check"] == "circuit_breaker").any()


def test_a_weekly_break_closes_everything_and_nothing_opens_again(data: BacktestData) -> None:
    result, _ = _run(data, _setup(daily=50.0, weekly=1.0))

    [trip] = _events(result, "WEEKLY_CIRCUIT_BREAK").to_dict("records")
    trip_ms = int(trip["ts_ms"])
    monday = START_MS + ((trip_ms - START_MS) // (7 * DAY_MS)) * 7 * DAY_MS
    start = CAPITAL if monday == START_MS else float(result.equity[_bar_of(result, monday)])
    closes_ms = result.ts_ms + MINUTE_MS
    inside = (closes_ms > monday) & (closes_ms <= trip_ms)
    pnl_pct = (result.equity[inside] / start - 1.0) * 100.0
    assert closes_ms[inside][np.flatnonzero(pnl_pct <= -1.0 + 1e-9)[0]] == trip_ms
    assert {c["strategy"] for c in json.loads(trip["positions_closed"])} == {"ema_cross", "grid"}
    assert result.risk_events["kind"].tolist() == ["WEEKLY_CIRCUIT_BREAK"]  # never resumed
    after = result.fills[result.fills["ts_ms"] > trip_ms]
    assert (after["side"] == "sell").all()
    assert not result.trades["is_open"].any()


def test_fast_path_matches_bar_by_bar_with_the_risk_manager_on_real_data(
    data: BacktestData, daily: tuple[BacktestResult, WatchedGrid]
) -> None:
    fast, _ = daily
    slow, _ = _run(data, _setup(), skip=False)

    assert fast.events_processed < slow.events_processed / 5
    assert_same_run(fast, slow)
