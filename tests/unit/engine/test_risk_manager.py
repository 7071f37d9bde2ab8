"""The engine's risk manager on hand-made equity paths: the chain it builds, when it observes,
the fast-path scan against observing every bar, price shocks, rolling correlation, actions."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantbot.data.ohlcv import OhlcvArrays
from quantbot.engine.results import RISK_EVENT_COLUMNS
from quantbot.engine.risk_manager import ClosedPosition, RiskManager, describe_risk_setup
from quantbot.engine.risk_setup import RiskSetup
from quantbot.risk import (
    BrakeLevel,
    BreakerPolicy,
    BreakerStatus,
    LossLimits,
    OperationalLimits,
    PriceShockBreaker,
    RiskLimits,
    correlated_groups,
)

from factories import MINUTE_MS, START_MS, SYMBOL

DAY_BARS = 1440
ALL = frozenset(BreakerPolicy)


def _setup(
    *,
    daily: float = 1.0,
    weekly: float = 5.0,
    monthly: float = 10.0,
    brakes: Sequence[float] = (),
    interval_s: int = 60,
    shock_pct: float = 10.0,
    shock_window_s: float = 60.0,
    resume_after_hours: float = 24.0,
    recovery_period_hours: float = 48.0,
    limits: RiskLimits | None = None,
) -> RiskSetup:
    return RiskSetup(
        limits=limits or RiskLimits(),
        loss_limits=LossLimits(
            daily_loss_limit_pct=daily,
            weekly_loss_limit_pct=weekly,
            monthly_loss_limit_pct=monthly,
            resume_after_hours=resume_after_hours,
            recovery_period_hours=recovery_period_hours,
        ),
        brake_levels=tuple(
            BrakeLevel(drawdown_pct=pct, order_size_factor=0.5, stop_opening=i == len(brakes) - 1)
            for i, pct in enumerate(brakes)
        ),
        operational=OperationalLimits(
            price_shock_pct=shock_pct, price_shock_window_s=shock_window_s
        ),
        timezone="UTC",
        check_interval_s=interval_s,
    )


def _candles(
    closes: Sequence[float],
    *,
    highs: Sequence[float] | None = None,
    lows: Sequence[float] | None = None,
) -> OhlcvArrays:
    close = np.asarray(closes, dtype=np.float64)
    return OhlcvArrays(
        ts_ms=START_MS + MINUTE_MS * np.arange(len(close), dtype=np.int64),
        open=close.copy(),
        high=close.copy() if highs is None else np.asarray(highs, dtype=np.float64),
        low=close.copy() if lows is None else np.asarray(lows, dtype=np.float64),
        close=close,
        volume=np.ones(len(close)),
    )


def _manager(setup: RiskSetup, candles: dict[str, OhlcvArrays]) -> RiskManager:
    first = next(iter(candles.values()))
    return RiskManager(
        setup,
        ts_ms=first.ts_ms,
        period_ms=MINUTE_MS,
        prices=[a.close for a in candles.values()],
        candles=candles,
        bases={symbol: symbol.split("/")[0] for symbol in candles},
    )


class Actions:
    """Records what the risk manager asks the engine to do."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def cancel_orders(self, symbol: str | None) -> None:
        self.calls.append(("cancel", symbol))

    def close_positions(self, policies: frozenset[BreakerPolicy]) -> list[ClosedPosition]:
        self.calls.append(("close", policies))
        return [ClosedPosition("momentum", SYMBOL, 0.5)]

    def shutdown(self) -> None:
        self.calls.append(("shutdown", None))


def _close_ms(bar: int) -> int:
    return START_MS + (bar + 1) * MINUTE_MS


def _q(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


# -- the chain ---------------------------------------------------------------------------


def test_chain_is_the_portfolio_rules_with_the_breakers_then_lot_and_min_notional_again() -> None:
    manager = _manager(_setup(brakes=(5.0, 10.0)), {SYMBOL: _candles([100.0] * 10)})

    names = [check.name for check in manager.checks()]

    assert names == [
        "asset_list",
        "max_order_size_usd",
        "max_risk_per_trade_pct",
        "max_total_exposure_pct",
        "max_single_pair_exposure_pct",
        "max_correlated_exposure_pct",
        "max_capital_per_exchange_pct",
        "leverage_cap",
        "circuit_breaker",
        "recovery_resize",
        "drawdown_brake",
        "reserve_cash_pct",
        "lot_size",
        "min_notional",
    ]
    assert manager.rule_names == frozenset(names[:-2])


def test_without_brake_levels_there_are_no_brakes_and_no_brake_check() -> None:
    manager = _manager(_setup(), {SYMBOL: _candles([100.0] * 10)})

    assert manager.brakes is None
    assert "drawdown_brake" not in [check.name for check in manager.checks()]


def test_a_check_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="check_interval_s 0"):
        _manager(_setup(interval_s=0), {SYMBOL: _candles([100.0] * 10)})


def test_the_setup_is_described_as_json() -> None:
    described = describe_risk_setup(_setup(brakes=(5.0,)))

    assert json.loads(json.dumps(described)) == described
    assert described["loss_limits"]["daily_loss_limit_pct"] == 1.0
    assert described["brake_levels"][0]["drawdown_pct"] == 5.0
    assert described["limits"]["asset_whitelist"] == []


# -- the scan ----------------------------------------------------------------------------


def test_the_scan_finds_the_first_bar_whose_equity_reaches_the_daily_limit() -> None:
    closes = np.concatenate([np.full(10, 100.0), np.linspace(100.0, 90.0, 200)])
    manager = _manager(_setup(daily=1.0), {SYMBOL: _candles(closes)})
    constant, qty = 9_000.0, 10.0  # 10 units at 100 and 9,000 cash: 10,000
    manager.start(10_000.0, Actions())

    found = manager.next_bar(0, len(closes), constant, _q(qty))

    level = 10_000.0 * (1.0 - (1.0 - 1e-9) / 100.0)
    expected = int(np.flatnonzero(constant + qty * closes <= level)[0])
    assert found == expected
    actions = Actions()
    manager.step(found, constant, _q(qty), filled=False, actions=actions)
    assert manager.breaker.status is BreakerStatus.DAILY_CIRCUIT_BREAK
    assert actions.calls == [("cancel", None), ("close", frozenset({BreakerPolicy.CLOSE}))]
    row = manager.frame().iloc[0]
    assert row["ts_ms"] == _close_ms(found)
    assert row["kind"] == "DAILY_CIRCUIT_BREAK"
    assert row["limit"] == -1.0
    assert json.loads(row["positions_closed"]) == [
        {"strategy": "momentum", "symbol": SYMBOL, "qty": 0.5}
    ]


def test_the_scan_looks_only_at_bars_closing_on_the_check_interval() -> None:
    closes = np.concatenate([np.full(10, 100.0), np.full(200, 80.0)])
    manager = _manager(_setup(daily=1.0, interval_s=300), {SYMBOL: _candles(closes)})
    manager.start(10_000.0, Actions())

    found = manager.next_bar(0, len(closes), 9_000.0, _q(10.0))

    assert found == 14  # bar 10 drops; the first close on a 5-minute multiple is bar 14's
    assert _close_ms(found) % 300_000 == 0


def test_the_scan_stops_at_the_engines_next_event_and_at_the_next_period_boundary() -> None:
    closes = np.full(3 * DAY_BARS, 100.0)
    manager = _manager(_setup(), {SYMBOL: _candles(closes)})
    manager.start(10_000.0, Actions())

    assert manager.next_bar(0, 500, 9_000.0, _q(10.0)) == 500
    assert manager.next_bar(600, len(closes), 9_000.0, _q(10.0)) == DAY_BARS - 1  # closes at 00:00
    manager.step(DAY_BARS - 1, 9_000.0, _q(10.0), filled=False, actions=Actions())
    assert manager.next_bar(DAY_BARS, len(closes), 9_000.0, _q(10.0)) == 2 * DAY_BARS - 1


def test_an_equity_that_is_not_positive_is_never_observed() -> None:
    closes = np.concatenate([np.full(5, 100.0), np.full(20, 50.0)])
    manager = _manager(_setup(daily=1.0), {SYMBOL: _candles(closes)})
    manager.start(5_000.0, Actions())

    found = manager.next_bar(0, len(closes), -5_000.0, _q(100.0))  # 0 at 50: bankrupt

    assert found == len(closes)


def test_the_scan_finds_a_brake_level_and_the_peak_of_the_bars_it_jumped_over_is_fed() -> None:
    closes = np.array([100.0, 104.0, 110.0, 107.0, 104.0, 103.0, 100.0, 98.0])
    manager = _manager(
        _setup(daily=50.0, weekly=60.0, monthly=70.0, brakes=(5.0, 10.0)),
        {SYMBOL: _candles(closes)},
    )
    manager.start(10_000.0, Actions())  # 100 units at 100, no cash

    found = manager.next_bar(0, len(closes), 0.0, _q(100.0))

    assert found == 4  # 10,400 is 5.45 % below the 11,000 peak of bar 2
    manager.step(found, 0.0, _q(100.0), filled=False, actions=Actions())
    assert manager.brakes is not None
    assert manager.brakes.peak_equity == 11_000.0
    assert manager.brakes.level == 1
    row = manager.frame().iloc[-1]
    assert (row["kind"], row["level"]) == ("DRAWDOWN_BRAKE", 1)
    # Level 1 releases at a new peak, level 2 engages at 10 %: 98 x 100 = 9,800 is 10.9 %.
    assert manager.next_bar(5, len(closes), 0.0, _q(100.0)) == 7


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    volatility=st.sampled_from([0.002, 0.01, 0.03]),
    daily=st.sampled_from([0.5, 2.0]),
    weekly=st.sampled_from([1.0, 4.0]),
    brakes=st.sampled_from([(), (1.0, 2.0, 4.0), (3.0,)]),
    interval_s=st.sampled_from([60, 300, 3_600]),
    fills=st.lists(st.integers(1, 3 * DAY_BARS - 1), max_size=6),
)
def test_jumping_with_the_scan_observes_exactly_what_observing_every_bar_does(
    seed: int,
    volatility: float,
    daily: float,
    weekly: float,
    brakes: tuple[float, ...],
    interval_s: int,
    fills: list[int],
) -> None:
    rng = np.random.default_rng(seed)
    n = 3 * DAY_BARS
    closes = 100.0 * np.exp(np.cumsum(rng.normal(0.0, volatility, n)))
    eth = 20.0 * np.exp(np.cumsum(rng.normal(0.0, volatility, n)))
    candles = {SYMBOL: _candles(closes), "ETH/USDT": _candles(eth)}
    setup = _setup(
        daily=daily,
        weekly=max(weekly, daily),
        monthly=50.0,
        brakes=brakes,
        interval_s=interval_s,
        shock_pct=1.0,
        resume_after_hours=6.0,
        recovery_period_hours=3.0,
    )
    # The positions change at the fill bars: (cash, BTC, ETH) after each.
    books = {bar: (rng.uniform(0, 5_000), rng.uniform(0, 60), rng.uniform(0, 200)) for bar in fills}
    books[-1] = (5_000.0, 30.0, 100.0)

    def parts(bar: int) -> tuple[float, np.ndarray]:
        cash, btc, eth_qty = books[max(b for b in books if b <= bar)]
        return cash, _q(btc, eth_qty)

    every = _manager(setup, candles)
    every.start(5_000.0 + 30.0 * float(closes[0]) + 100.0 * float(eth[0]), Actions())
    for bar in range(n):
        every.step(bar, *parts(bar), filled=bar in books, actions=Actions())

    jumping = _manager(setup, candles)
    jumping.start(5_000.0 + 30.0 * float(closes[0]) + 100.0 * float(eth[0]), Actions())
    bar, visited = -1, 0
    while True:
        upcoming = min([b for b in books if b > bar] + [n])
        upcoming = jumping.next_bar(bar + 1, upcoming, *parts(bar))
        if upcoming >= n:
            break
        bar = upcoming
        visited += 1
        jumping.step(bar, *parts(bar), filled=bar in books, actions=Actions())

    assert visited < n
    assert jumping.frame().equals(every.frame())
    assert jumping.breaker.state() | {"last_ts_ms": None} == every.breaker.state() | {
        "last_ts_ms": None
    }
    if every.brakes is not None:
        assert jumping.brakes is not None
        assert jumping.brakes.level == every.brakes.level
        # The peak of the bars after the last event is fed at the next one: none came.
        assert jumping.brakes.peak_equity is not None
        assert every.brakes.peak_equity is not None
        assert jumping.brakes.peak_equity <= every.brakes.peak_equity


# -- actions -----------------------------------------------------------------------------


def test_each_breaker_asks_for_its_own_actions() -> None:
    closes = np.linspace(100.0, 80.0, 400)
    manager = _manager(_setup(daily=1.0, weekly=2.0, monthly=3.0), {SYMBOL: _candles(closes)})
    manager.start(10_000.0, Actions())
    actions = Actions()

    for bar in range(len(closes)):
        manager.step(bar, 0.0, _q(100.0), filled=False, actions=actions)

    kinds = manager.frame()["kind"].tolist()
    assert kinds == ["DAILY_CIRCUIT_BREAK", "WEEKLY_CIRCUIT_BREAK", "MONTHLY_SHUTDOWN"]
    assert actions.calls == [
        ("cancel", None),
        ("close", frozenset({BreakerPolicy.CLOSE})),
        ("cancel", None),
        ("close", ALL),
        ("cancel", None),
        ("close", ALL),
        ("shutdown", None),
    ]
    actions_column = [json.loads(text) for text in manager.frame()["action"]]
    assert actions_column[2]["shutdown"] is True


def test_a_daily_break_resumes_after_its_hours_into_recovery_then_ends_it() -> None:
    closes = np.concatenate([np.full(10, 100.0), np.full(4 * DAY_BARS, 98.0)])
    manager = _manager(
        _setup(daily=1.0, weekly=5.0, resume_after_hours=2.0, recovery_period_hours=1.0),
        {SYMBOL: _candles(closes)},
    )
    manager.start(10_000.0, Actions())
    bar = -1
    while (bar := manager.next_bar(bar + 1, len(closes), 0.0, _q(100.0))) < len(closes):
        manager.step(bar, 0.0, _q(100.0), filled=False, actions=Actions())

    frame = manager.frame()
    trip = int(frame["ts_ms"].iloc[0])
    assert frame["kind"].tolist()[:4] == [
        "DAILY_CIRCUIT_BREAK",
        "RESUMED",
        "RECOVERY_STARTED",
        "RECOVERY_ENDED",
    ]
    assert trip == _close_ms(10)
    assert frame["ts_ms"].tolist()[1:4] == [
        trip + 2 * 3_600_000,
        trip + 2 * 3_600_000,
        trip + 3 * 3_600_000,
    ]
    assert frame["subject"].iloc[1] == "DAILY_CIRCUIT_BREAK"


def test_an_empty_run_has_the_risk_event_columns_and_types() -> None:
    frame = _manager(_setup(), {SYMBOL: _candles([100.0] * 5)}).frame()

    assert tuple(frame.columns) == RISK_EVENT_COLUMNS
    assert frame.empty
    assert str(frame["ts_ms"].dtype) == "int64"
    assert str(frame["level"].dtype) == "Int64"
    assert str(frame["value"].dtype) == "float64"


# -- price shocks ------------------------------------------------------------------------


def _shock_bars_observing_every_candle(
    candles: OhlcvArrays, limits: OperationalLimits
) -> list[tuple[int, float]]:
    breaker = PriceShockBreaker(limits)
    found = []
    for bar in range(len(candles.close)):
        for event in breaker.observe_range(
            SYMBOL, _close_ms(bar), low=float(candles.low[bar]), high=float(candles.high[bar])
        ):
            assert event.value is not None
            found.append((bar, event.value))
    return found


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 1_000), window_s=st.sampled_from([60.0, 150.0, 300.0]))
def test_price_shocks_found_ahead_are_those_of_observing_every_candle(
    seed: int, window_s: float
) -> None:
    rng = np.random.default_rng(seed)
    n = 600
    closes = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.004, n)))
    spread = np.abs(rng.normal(0.0, 0.004, n)) * closes
    candles = _candles(closes, highs=closes + spread, lows=closes - spread)
    setup = _setup(shock_pct=1.5, shock_window_s=window_s)
    manager = _manager(setup, {SYMBOL: candles})
    manager.start(10_000.0, Actions())
    actions = Actions()
    bar = -1
    while (bar := manager.next_bar(bar + 1, n, 10_000.0, _q(0.0))) < n:
        manager.step(bar, 10_000.0, _q(0.0), filled=False, actions=actions)

    frame = manager.frame()
    expected = _shock_bars_observing_every_candle(candles, setup.operational)
    assert list(zip(frame["ts_ms"], frame["value"], strict=True)) == [
        (_close_ms(bar), value) for bar, value in expected
    ]
    assert set(frame["kind"]) <= {"PRICE_SHOCK"}
    assert actions.calls == [("cancel", SYMBOL)] * len(expected)


# -- rolling correlation -----------------------------------------------------------------


def test_correlation_groups_use_closed_days_only() -> None:
    rng = np.random.default_rng(5)
    days = 8
    moves = np.repeat(rng.normal(0.0, 0.02, days), DAY_BARS)
    btc = 100.0 * np.exp(np.cumsum(moves) / DAY_BARS)
    eth = 10.0 * np.exp(np.cumsum(moves) / DAY_BARS)
    other = 5.0 * np.exp(np.cumsum(np.repeat(rng.normal(0.0, 0.02, days), DAY_BARS)) / DAY_BARS)
    candles = {SYMBOL: _candles(btc), "ETH/USDT": _candles(eth), "SOL/USDT": _candles(other)}
    window = 5
    manager = _manager(_setup(limits=RiskLimits(correlation_window_days=window)), candles)
    day_ends = [day * DAY_BARS - 1 for day in range(1, days)]  # the bars closing at midnight

    assert manager.correlation_groups(day_ends[window - 1]) == ()  # 5 closes: 4 returns
    groups = manager.correlation_groups(day_ends[window])
    expected = correlated_groups(
        {
            "BTC": btc[day_ends[: window + 1]],
            "ETH": eth[day_ends[: window + 1]],
            "SOL": other[day_ends[: window + 1]],
        },
        threshold=0.8,
        window=window,
    )
    assert groups == expected
    assert any({"BTC", "ETH"} <= group for group in groups)
    # A bar before the next midnight sees the same closed days.
    assert manager.correlation_groups(day_ends[window] + DAY_BARS - 1) == groups


def test_values_with_no_measure_are_nan_in_the_frame() -> None:
    closes = np.concatenate([np.full(10, 100.0), np.full(2 * DAY_BARS, 98.0)])
    manager = _manager(_setup(daily=1.0, resume_after_hours=1.0), {SYMBOL: _candles(closes)})
    manager.start(10_000.0, Actions())
    for bar in range(200):
        manager.step(bar, 0.0, _q(100.0), filled=False, actions=Actions())

    resumed = manager.frame().iloc[1]
    assert resumed["kind"] == "RESUMED"
    assert math.isnan(resumed["value"])
    assert resumed["level"] is pd.NA
    assert json.loads(resumed["action"]) == {}
