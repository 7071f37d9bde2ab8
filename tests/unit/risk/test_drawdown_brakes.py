"""Drawdown brakes: levels from peak equity, their factors, hysteresis and restarts."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import InvalidValue
from quantbot.risk.drawdown_brakes import (
    DEFAULT_BRAKE_LEVELS,
    NO_BRAKE,
    BrakeLevel,
    DrawdownBrakes,
)
from quantbot.risk.risk_events import ALL_POLICIES, RiskAction, RiskEvent, RiskEventKind

T0 = 1_704_067_200_000
M = 60_000


def _levels_after(equities: list[float]) -> list[int]:
    brakes = DrawdownBrakes()
    levels = []
    for minute, equity in enumerate(equities):
        brakes.observe(T0 + minute * M, equity)
        levels.append(brakes.level)
    return levels


def test_default_levels_are_5_10_15_pct_with_the_spec_factors() -> None:
    assert [
        (
            level.drawdown_pct,
            level.take_profit_factor,
            level.order_size_factor,
            level.leverage_factor,
            level.stop_opening,
        )
        for level in DEFAULT_BRAKE_LEVELS
    ] == [
        (5.0, 0.7, 1.0, 1.0, False),
        (10.0, 0.7, 0.5, 0.6, False),
        (15.0, 0.7, 0.5, 0.6, True),
    ]


@pytest.mark.parametrize(
    ("equity", "level"),
    [(9_501.0, 0), (9_500.0, 1), (9_001.0, 1), (9_000.0, 2), (8_501.0, 2), (8_500.0, 3)],
)
def test_a_level_engages_at_exactly_its_drawdown(equity: float, level: int) -> None:
    brakes = DrawdownBrakes()
    brakes.observe(T0, 10_000.0)

    brakes.observe(T0 + M, equity)

    assert brakes.level == level
    assert brakes.current() == (NO_BRAKE, *DEFAULT_BRAKE_LEVELS)[level]


def test_levels_release_only_when_back_at_the_previous_threshold() -> None:
    assert _levels_after(
        [10_000.0, 8_900.0, 9_300.0, 9_499.0, 9_500.0, 9_900.0, 9_999.0, 10_000.0]
    ) == [0, 2, 2, 2, 1, 1, 1, 0]


def test_equity_wobbling_around_a_threshold_changes_the_level_once() -> None:
    brakes = DrawdownBrakes()
    brakes.observe(T0, 10_000.0)
    events: list[RiskEvent] = []
    for minute, equity in enumerate([9_490.0, 9_510.0, 9_480.0, 9_520.0, 9_495.0], start=1):
        events += brakes.observe(T0 + minute * M, equity)

    assert [event.level for event in events] == [1]


def test_one_event_reports_a_jump_of_several_levels_with_its_action() -> None:
    brakes = DrawdownBrakes()
    brakes.observe(T0, 10_000.0)
    brakes.observe(T0 + M, 12_000.0)  # the peak

    [down] = brakes.observe(T0 + 2 * M, 10_000.0)
    [up] = brakes.observe(T0 + 3 * M, 12_500.0)

    assert down.kind is RiskEventKind.DRAWDOWN_BRAKE
    assert (down.ts_ms, down.level, down.limit) == (T0 + 2 * M, 3, -15.0)
    assert down.value == pytest.approx(-100 / 6)
    assert down.action == RiskAction(stop_opening=ALL_POLICIES)
    assert "drawdown brake level 0 -> 3: drawdown 16.67 % from peak 12000" in down.reason
    assert (up.level, up.value, up.limit, up.action) == (0, 0.0, 0.0, RiskAction())
    assert brakes.peak_equity == 12_500.0


def test_only_reaching_the_stopping_level_asks_to_stop_opening() -> None:
    brakes = DrawdownBrakes()
    brakes.observe(T0, 10_000.0)

    [first] = brakes.observe(T0 + M, 9_400.0)
    [second] = brakes.observe(T0 + 2 * M, 8_900.0)
    [third] = brakes.observe(T0 + 3 * M, 8_400.0)
    [back] = brakes.observe(T0 + 4 * M, 9_000.0)

    assert [e.action for e in (first, second, back)] == [RiskAction()] * 3
    assert third.action == RiskAction(stop_opening=ALL_POLICIES)
    assert back.level == 2


def test_custom_levels_with_a_single_stop() -> None:
    brakes = DrawdownBrakes([BrakeLevel(drawdown_pct=20.0, stop_opening=True)])
    brakes.observe(T0, 100.0)

    brakes.observe(T0 + M, 80.0)

    assert brakes.current().stop_opening


@pytest.mark.parametrize(
    "levels",
    [
        [],
        [BrakeLevel(drawdown_pct=10.0), BrakeLevel(drawdown_pct=5.0)],
        [BrakeLevel(drawdown_pct=5.0), BrakeLevel(drawdown_pct=5.0)],
        [BrakeLevel(drawdown_pct=0.0)],
    ],
)
def test_thresholds_must_increase_strictly_from_above_zero(levels: list[BrakeLevel]) -> None:
    with pytest.raises(InvalidValue, match="strictly increasing"):
        DrawdownBrakes(levels)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"drawdown_pct": 100.0},
        {"drawdown_pct": -1.0},
        {"drawdown_pct": 5.0, "take_profit_factor": 1.2},
        {"drawdown_pct": 5.0, "order_size_factor": 0.0},
        {"drawdown_pct": 5.0, "leverage_factor": float("nan")},
    ],
)
def test_a_level_refuses_thresholds_and_factors_out_of_range(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidValue):
        BrakeLevel(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("equity", [0.0, float("nan")])
def test_equity_must_be_a_positive_finite_amount(equity: float) -> None:
    with pytest.raises(InvalidValue, match="positive finite"):
        DrawdownBrakes().observe(T0, equity)


def test_time_never_goes_back() -> None:
    brakes = DrawdownBrakes()
    brakes.observe(T0, 1.0)

    with pytest.raises(InvalidValue, match="time went back"):
        brakes.observe(T0 - 1, 1.0)


@pytest.mark.parametrize("state", [{}, {"level": 4, "peak_equity": 1.0, "last_ts_ms": 0}])
def test_an_unreadable_state_is_refused(state: dict[str, object]) -> None:
    with pytest.raises(InvalidValue, match="drawdown brake state"):
        DrawdownBrakes.from_state(state)


_EQUITY_PATHS = st.lists(st.floats(70.0, 130.0), min_size=1, max_size=60)


@given(_EQUITY_PATHS, st.data())
def test_a_restart_at_any_point_gives_the_events_of_an_uninterrupted_run(
    equities: list[float], data: st.DataObject
) -> None:
    restart_at = data.draw(st.integers(0, len(equities)), label="restart_at")
    whole = DrawdownBrakes()
    expected = [e for i, x in enumerate(equities) for e in whole.observe(T0 + i * M, x)]

    first = DrawdownBrakes()
    events = [e for i, x in enumerate(equities[:restart_at]) for e in first.observe(T0 + i * M, x)]
    second = DrawdownBrakes.from_state(json.loads(json.dumps(first.state())))
    events += [
        e
        for i, x in enumerate(equities[restart_at:], start=restart_at)
        for e in second.observe(T0 + i * M, x)
    ]

    assert events == expected
    assert second.state() == whole.state()


@given(_EQUITY_PATHS)
def test_the_level_lies_between_the_drawdown_now_and_the_deepest_since_the_peak(
    equities: list[float],
) -> None:
    def engaged(drawdown_pct: float) -> int:
        return sum(drawdown_pct >= level.drawdown_pct - 1e-9 for level in DEFAULT_BRAKE_LEVELS)

    brakes = DrawdownBrakes()
    peak, deepest = 0.0, 0.0
    for i, equity in enumerate(equities):
        brakes.observe(T0 + i * M, equity)
        if equity >= peak:
            peak, deepest = equity, 0.0
        drawdown_pct = (1 - equity / peak) * 100
        deepest = max(deepest, drawdown_pct)

        assert engaged(drawdown_pct) <= brakes.level <= engaged(deepest)
        if drawdown_pct == 0.0:
            assert brakes.level == 0
