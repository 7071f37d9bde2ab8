"""Loss circuit breakers: trips, exact actions, resume rules, local periods, restarts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from quantbot.core import InvalidValue
from quantbot.risk.circuit_breaker import (
    BreakerNotResumable,
    BreakerStatus,
    CircuitBreaker,
    LossLimits,
)
from quantbot.risk.risk_events import (
    ALL_POLICIES,
    BreakerPolicy,
    RiskAction,
    RiskEvent,
    RiskEventKind,
)

H = 3_600_000


def at(text: str) -> int:
    """Epoch milliseconds of an ISO time written with its UTC offset."""
    return round(datetime.fromisoformat(text).timestamp() * 1000)


MON = at("2024-01-15T00:00:00+00:00")  # a Monday


def _kinds(events: list[RiskEvent]) -> list[RiskEventKind]:
    return [event.kind for event in events]


def _daily_break(breaker: CircuitBreaker | None = None) -> tuple[CircuitBreaker, int]:
    """A breaker whose daily limit tripped at Monday 10:00 UTC (-4 %)."""
    breaker = breaker or CircuitBreaker()
    breaker.observe(MON + 9 * H, 10_000.0)
    assert _kinds(breaker.observe(MON + 10 * H, 9_600.0)) == [RiskEventKind.DAILY_CIRCUIT_BREAK]
    return breaker, MON + 10 * H


# -- trips and their exact actions ----------------------------------------------------------


def test_daily_loss_trips_the_daily_breaker_with_its_exact_actions() -> None:
    breaker = CircuitBreaker()
    assert breaker.observe(MON + 9 * H, 10_000.0) == []

    [event] = breaker.observe(MON + 10 * H, 9_650.0)

    assert event.kind is RiskEventKind.DAILY_CIRCUIT_BREAK
    assert event.ts_ms == MON + 10 * H
    assert event.value == pytest.approx(-3.5)
    assert event.limit == -3.0
    assert event.action == RiskAction(
        cancel_all_orders=True,
        close_positions=frozenset({BreakerPolicy.CLOSE}),
        stop_opening=frozenset({BreakerPolicy.CLOSE, BreakerPolicy.KEEP_INVENTORY}),
    )
    assert "daily_loss_limit_pct 3 reached: daily P&L -3.50 %" in event.reason
    assert breaker.status is BreakerStatus.DAILY_CIRCUIT_BREAK
    assert breaker.active
    assert breaker.tripped_at_ms == MON + 10 * H


@pytest.mark.parametrize(("equity", "trips"), [(9_700.0, True), (9_701.0, False)])
def test_daily_breaker_trips_at_exactly_minus_3_pct_not_at_minus_2_99(
    equity: float, trips: bool
) -> None:
    breaker = CircuitBreaker()
    breaker.observe(MON, 10_000.0)

    events = breaker.observe(MON + H, equity)

    assert _kinds(events) == ([RiskEventKind.DAILY_CIRCUIT_BREAK] if trips else [])
    assert breaker.active is trips


@given(st.floats(1.0, 1e9), st.sampled_from(["product", "quotient", "difference"]))
def test_a_loss_of_exactly_the_limit_trips_whatever_the_start_equity(
    start: float, written: str
) -> None:
    # However the caller's arithmetic rounds -3 %, it trips; -2.99 % never does.
    equity = {
        "product": start * 0.97,
        "quotient": start * 97 / 100,
        "difference": start - start * 3 / 100,
    }[written]
    reached, short = CircuitBreaker(), CircuitBreaker()
    for breaker in (reached, short):
        breaker.observe(MON, start)

    assert _kinds(reached.observe(MON + H, equity)) == [RiskEventKind.DAILY_CIRCUIT_BREAK]
    assert short.observe(MON + H, start * (1 - 2.99 / 100)) == []


def test_weekly_loss_built_over_days_trips_the_weekly_breaker_and_closes_everything() -> None:
    breaker = CircuitBreaker()
    equity = 10_000.0
    events: list[RiskEvent] = []
    for day in range(3):  # -2.4 % a day: no daily trip, -7.03 % on Wednesday
        events += breaker.observe(MON + day * 24 * H, equity)
        equity *= 0.976
        events += breaker.observe(MON + day * 24 * H + 12 * H, equity)

    [event] = events
    assert event.kind is RiskEventKind.WEEKLY_CIRCUIT_BREAK
    assert event.ts_ms == MON + 2 * 24 * H + 12 * H
    assert event.value == pytest.approx((0.976**3 - 1) * 100)
    assert event.limit == -7.0
    assert event.action == RiskAction(
        cancel_all_orders=True, close_positions=ALL_POLICIES, stop_opening=ALL_POLICIES
    )
    assert breaker.status is BreakerStatus.WEEKLY_CIRCUIT_BREAK


def test_monthly_loss_shuts_everything_down() -> None:
    breaker = CircuitBreaker(config_fingerprint="cfg-a")
    breaker.observe(MON, 10_000.0)

    [event] = breaker.observe(MON + H, 8_700.0)  # beyond all three limits: only the worst trips

    assert event.kind is RiskEventKind.MONTHLY_SHUTDOWN
    assert event.limit == -12.0
    assert event.action == RiskAction(
        cancel_all_orders=True,
        close_positions=ALL_POLICIES,
        stop_opening=ALL_POLICIES,
        shutdown=True,
    )
    assert breaker.status is BreakerStatus.MONTHLY_SHUTDOWN


def test_a_daily_break_escalates_to_weekly_but_never_trips_daily_again() -> None:
    breaker, _ = _daily_break()

    assert breaker.observe(MON + 24 * H, 9_600.0) == []  # Tuesday starts at 9600
    assert breaker.observe(MON + 26 * H, 9_310.0) == []  # Tuesday -3.02 %: daily already in force
    [event] = breaker.observe(MON + 27 * H, 9_290.0)  # week -7.1 %

    assert event.kind is RiskEventKind.WEEKLY_CIRCUIT_BREAK
    assert breaker.next_change_ms() == MON + 48 * H  # no daily resume pending any more
    assert breaker.observe(MON + 10 * H + 24 * H, 9_290.0) == []
    assert breaker.status is BreakerStatus.WEEKLY_CIRCUIT_BREAK


# -- resume, recovery, manual restarts ------------------------------------------------------


def test_daily_break_resumes_after_24h_into_48h_of_half_size_then_full_size() -> None:
    breaker, tripped = _daily_break()
    assert breaker.recovery_size_factor == 1.0
    timeline: list[tuple[int, RiskEventKind]] = []
    factors: list[tuple[int, float]] = []
    while (ts := breaker.next_change_ms()) is not None and ts <= tripped + 80 * H:
        timeline += [(event.ts_ms, event.kind) for event in breaker.observe(ts, 9_600.0)]
        factors.append((ts, breaker.recovery_size_factor))

    assert timeline == [
        (tripped + 24 * H, RiskEventKind.RESUMED),
        (tripped + 24 * H, RiskEventKind.RECOVERY_STARTED),
        (tripped + 72 * H, RiskEventKind.RECOVERY_ENDED),
    ]
    assert all(
        factor == (0.5 if tripped + 24 * H <= ts < tripped + 72 * H else 1.0)
        for ts, factor in factors
    )
    assert breaker.status is BreakerStatus.NORMAL


def test_daily_break_holds_until_the_last_millisecond_of_its_24h() -> None:
    breaker, tripped = _daily_break()

    assert breaker.observe(tripped + 24 * H - 1, 9_600.0) == []
    assert breaker.status is BreakerStatus.DAILY_CIRCUIT_BREAK

    [resumed, started] = breaker.observe(tripped + 24 * H, 9_600.0)
    assert resumed.subject == "DAILY_CIRCUIT_BREAK"
    assert started.kind is RiskEventKind.RECOVERY_STARTED
    assert breaker.status is BreakerStatus.RECOVERY
    assert breaker.recovery_until_ms == tripped + 72 * H
    assert breaker.recovery_size_factor == 0.5
    assert not breaker.active


def test_a_late_observation_does_not_stretch_the_recovery() -> None:
    breaker, tripped = _daily_break()

    breaker.observe(tripped + 30 * H, 9_600.0)

    assert breaker.recovery_until_ms == tripped + 72 * H


def test_resumed_day_starts_afresh_so_the_loss_during_the_break_does_not_trip_again() -> None:
    breaker, tripped = _daily_break(
        CircuitBreaker(LossLimits(weekly_loss_limit_pct=50.0, monthly_loss_limit_pct=60.0))
    )
    breaker.observe(MON + 24 * H, 9_600.0)  # Tuesday starts at 9600
    breaker.observe(MON + 30 * H, 9_000.0)  # -6.25 % during the break

    assert _kinds(breaker.observe(tripped + 24 * H, 9_000.0)) == [
        RiskEventKind.RESUMED,
        RiskEventKind.RECOVERY_STARTED,
    ]
    assert breaker.observe(tripped + 25 * H, 8_740.0) == []  # -2.9 % from the resume
    assert _kinds(breaker.observe(tripped + 26 * H, 8_730.0)) == [RiskEventKind.DAILY_CIRCUIT_BREAK]
    assert breaker.recovery_until_ms is None  # the new break replaces the recovery


def test_a_recovery_period_of_zero_resumes_at_full_size() -> None:
    breaker, tripped = _daily_break(CircuitBreaker(LossLimits(recovery_period_hours=0.0)))

    assert _kinds(breaker.observe(tripped + 24 * H, 9_600.0)) == [RiskEventKind.RESUMED]
    assert breaker.status is BreakerStatus.NORMAL


def test_weekly_break_never_resumes_by_itself_only_by_a_manual_resume() -> None:
    breaker = CircuitBreaker()
    breaker.observe(MON, 10_000.0)
    breaker.observe(MON + H, 9_250.0)
    assert breaker.status is BreakerStatus.WEEKLY_CIRCUIT_BREAK

    assert breaker.observe(MON + 10 * 24 * H, 9_250.0) == []  # ten days, a new week
    assert breaker.status is BreakerStatus.WEEKLY_CIRCUIT_BREAK

    [event] = breaker.manual_resume(MON + 10 * 24 * H + H)
    assert event.kind is RiskEventKind.RESUMED
    assert event.subject == "WEEKLY_CIRCUIT_BREAK"
    assert event.action == RiskAction()
    assert breaker.status is BreakerStatus.NORMAL  # no recovery mode after a manual resume


def test_manual_resume_mid_week_measures_the_rest_of_the_week_from_the_resume() -> None:
    breaker = CircuitBreaker()
    breaker.observe(MON, 10_000.0)
    breaker.observe(MON + H, 9_250.0)  # weekly trip on Monday
    breaker.manual_resume(MON + 2 * H)

    assert breaker.observe(MON + 3 * H, 9_250.0) == []
    assert breaker.observe(MON + 4 * H, 9_000.0) == []  # -2.7 % since the resume
    assert _kinds(breaker.observe(MON + 5 * H, 8_960.0)) == [RiskEventKind.DAILY_CIRCUIT_BREAK]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("none", "no circuit break to resume: status NORMAL"),
        ("daily", "DAILY_CIRCUIT_BREAK resumes by itself at 2024-01-16T10:00:00.000Z"),
        ("monthly", "MONTHLY_SHUTDOWN since 2024-01-15T01:00:00.000Z: change the configuration"),
    ],
)
def test_manual_resume_refuses_what_it_cannot_end(setup: str, message: str) -> None:
    breaker = CircuitBreaker()
    if setup == "daily":
        _daily_break(breaker)
    else:
        breaker.observe(MON, 10_000.0)
    if setup == "monthly":
        breaker.observe(MON + H, 8_000.0)

    with pytest.raises(BreakerNotResumable, match=message):
        breaker.manual_resume(MON + 30 * H)


def test_monthly_shutdown_clears_only_under_another_configuration() -> None:
    breaker = CircuitBreaker(config_fingerprint="cfg-a")
    breaker.observe(MON, 10_000.0)
    breaker.observe(MON + H, 8_000.0)
    assert breaker.observe(MON + 40 * 24 * H, 8_000.0) == []  # a new month changes nothing

    with pytest.raises(BreakerNotResumable, match="configuration is unchanged"):
        breaker.reset_after_config_change(MON + 41 * 24 * H, "cfg-a")
    assert breaker.status is BreakerStatus.MONTHLY_SHUTDOWN

    [event] = breaker.reset_after_config_change(MON + 41 * 24 * H, "cfg-b")
    assert (event.kind, event.subject) == (RiskEventKind.RESUMED, "MONTHLY_SHUTDOWN")
    assert breaker.status is BreakerStatus.NORMAL
    assert breaker.observe(MON + 41 * 24 * H + H, 8_000.0) == []  # every period starts afresh


def test_reset_without_a_monthly_shutdown_is_refused() -> None:
    breaker, _ = _daily_break()

    with pytest.raises(BreakerNotResumable, match="no monthly shutdown to reset"):
        breaker.reset_after_config_change(MON + 11 * H, "cfg-b")


# -- periods in the configured time zone ----------------------------------------------------


def test_days_start_at_local_midnight_of_the_configured_zone() -> None:
    # Berlin's 2024-01-16 starts at 2024-01-15T23:00Z; UTC's an hour later.
    observations = [
        (at("2024-01-15T22:00:00+00:00"), 10_000.0),
        (at("2024-01-15T22:59:59.999+00:00"), 9_900.0),
        (at("2024-01-15T23:00:00+00:00"), 9_800.0),
        (at("2024-01-15T23:30:00+00:00"), 9_650.0),
    ]
    berlin, utc = CircuitBreaker(timezone="Europe/Berlin"), CircuitBreaker(timezone="UTC")
    for ts, equity in observations:
        berlin_events = berlin.observe(ts, equity)
        utc_events = utc.observe(ts, equity)

    assert berlin_events == []  # -1.5 % since Berlin's midnight
    assert _kinds(utc_events) == [RiskEventKind.DAILY_CIRCUIT_BREAK]  # -3.5 % since 22:00Z


@pytest.mark.parametrize(
    ("first", "midnight", "next_midnight"),
    [
        # Spring forward: 2024-03-31 has 23 hours in Berlin.
        ("2024-03-30T12:00:00+00:00", "2024-03-31T00:00:00+01:00", "2024-04-01T00:00:00+02:00"),
        # Fall back: 2024-10-27 has 25 hours.
        ("2024-10-26T12:00:00+00:00", "2024-10-27T00:00:00+02:00", "2024-10-28T00:00:00+01:00"),
    ],
)
def test_dst_days_end_at_local_midnight(first: str, midnight: str, next_midnight: str) -> None:
    breaker = CircuitBreaker(timezone="Europe/Berlin")
    breaker.observe(at(first), 10_000.0)
    assert breaker.next_change_ms() == at(midnight)

    breaker.observe(at(midnight), 10_000.0)

    assert breaker.next_change_ms() == at(next_midnight)
    assert abs(at(next_midnight) - at(midnight)) in (23 * H, 25 * H)


@pytest.mark.parametrize(
    ("last_ts", "trips"),
    [("2024-03-31T21:59:59.999+00:00", True), ("2024-03-31T22:00:00+00:00", False)],
)
def test_the_23_hour_day_measures_its_loss_until_its_local_end(last_ts: str, trips: bool) -> None:
    breaker = CircuitBreaker(timezone="Europe/Berlin")
    breaker.observe(at("2024-03-31T00:00:00+01:00"), 10_000.0)

    events = breaker.observe(at(last_ts), 9_700.0)

    assert _kinds(events) == ([RiskEventKind.DAILY_CIRCUIT_BREAK] if trips else [])


@pytest.mark.parametrize("zone", ["Europe/Berlin", "UTC"])
@pytest.mark.parametrize(
    ("limits", "kind"),
    [
        (
            LossLimits(
                daily_loss_limit_pct=50.0, weekly_loss_limit_pct=8.0, monthly_loss_limit_pct=60.0
            ),
            RiskEventKind.WEEKLY_CIRCUIT_BREAK,
        ),
        (
            LossLimits(
                daily_loss_limit_pct=50.0, weekly_loss_limit_pct=60.0, monthly_loss_limit_pct=8.0
            ),
            RiskEventKind.MONTHLY_SHUTDOWN,
        ),
    ],
)
def test_weeks_and_months_start_at_local_midnight_on_monday_and_the_first(
    zone: str, limits: LossLimits, kind: RiskEventKind
) -> None:
    # Monday 2024-04-01 starts a week and a month at 2024-03-31T22:00Z in Berlin (CEST).
    breaker = CircuitBreaker(limits, timezone=zone)
    breaker.observe(at("2024-03-31T21:00:00+00:00"), 10_000.0)
    breaker.observe(at("2024-03-31T21:59:59.999+00:00"), 9_500.0)
    breaker.observe(at("2024-03-31T22:00:00+00:00"), 9_500.0)

    events = breaker.observe(at("2024-03-31T23:00:00+00:00"), 9_100.0)

    # Berlin: the new week and April lost 4.2 %. UTC: still Sunday of March, down 9 %.
    assert _kinds(events) == ([] if zone == "Europe/Berlin" else [kind])


# -- bad input -------------------------------------------------------------------------------


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(InvalidValue, match="'Mars/Olympus' is not an IANA time zone"):
        CircuitBreaker(timezone="Mars/Olympus")


@pytest.mark.parametrize("equity", [0.0, -1.0, float("nan"), float("inf")])
def test_equity_must_be_a_positive_finite_amount(equity: float) -> None:
    with pytest.raises(InvalidValue, match="must be a positive finite amount"):
        CircuitBreaker().observe(MON, equity)


def test_time_never_goes_back() -> None:
    breaker = CircuitBreaker()
    breaker.observe(MON + H, 10_000.0)

    with pytest.raises(InvalidValue, match="time went back"):
        breaker.observe(MON, 10_000.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("daily_loss_limit_pct", 0.0),
        ("weekly_loss_limit_pct", 101.0),
        ("monthly_loss_limit_pct", float("nan")),
        ("reduce_position_sizes_by_pct", 100.0),
        ("reduce_position_sizes_by_pct", -1.0),
        ("recovery_period_hours", -1.0),
        ("resume_after_hours", float("inf")),
    ],
)
def test_loss_limits_refuse_values_that_make_no_sense(field: str, value: float) -> None:
    with pytest.raises(InvalidValue, match=field):
        LossLimits(**{field: value})


def test_defaults_are_the_requirements_3_7_12_pct() -> None:
    limits = LossLimits()

    assert (
        limits.daily_loss_limit_pct,
        limits.weekly_loss_limit_pct,
        limits.monthly_loss_limit_pct,
        limits.reduce_position_sizes_by_pct,
        limits.recovery_period_hours,
        limits.resume_after_hours,
    ) == (3.0, 7.0, 12.0, 50.0, 48.0, 24.0)


# -- state across restarts -------------------------------------------------------------------


def _restart(
    breaker: CircuitBreaker, *, timezone: str = "UTC", config_fingerprint: str = ""
) -> CircuitBreaker:
    """The breaker a restart restores from its stored state."""
    state = json.loads(json.dumps(breaker.state(), allow_nan=False))
    return CircuitBreaker.from_state(
        state, breaker.limits, timezone=timezone, config_fingerprint=config_fingerprint
    )


def test_a_restart_keeps_a_daily_break_and_its_resume_time() -> None:
    breaker, tripped = _daily_break()

    restored = _restart(breaker)

    assert restored.status is BreakerStatus.DAILY_CIRCUIT_BREAK
    assert restored.next_change_ms() == breaker.next_change_ms()
    assert _kinds(restored.observe(tripped + 24 * H, 9_600.0)) == [
        RiskEventKind.RESUMED,
        RiskEventKind.RECOVERY_STARTED,
    ]


def test_a_restart_under_a_new_configuration_keeps_a_monthly_shutdown() -> None:
    breaker = CircuitBreaker(config_fingerprint="cfg-a")
    breaker.observe(MON, 10_000.0)
    breaker.observe(MON + H, 8_000.0)

    restored = _restart(breaker, config_fingerprint="cfg-b")

    assert restored.status is BreakerStatus.MONTHLY_SHUTDOWN
    with pytest.raises(BreakerNotResumable):
        restored.reset_after_config_change(MON + 2 * H, "cfg-a")
    assert _kinds(restored.reset_after_config_change(MON + 2 * H, "cfg-b")) == [
        RiskEventKind.RESUMED
    ]


@pytest.mark.parametrize(
    "state",
    [{}, {"status": "SLEEPING"}, {**CircuitBreaker().state(), "periods": {"year": [0, 1, 2.0]}}],
)
def test_an_unreadable_state_is_refused(state: dict[str, object]) -> None:
    with pytest.raises(InvalidValue, match="circuit breaker state unreadable"):
        CircuitBreaker.from_state(state)


@dataclass(frozen=True)
class _Step:
    op: str  # observe | resume | reset
    ts_ms: int
    equity: float


_ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
_START = at("2024-03-28T05:00:00+00:00")  # DST changes in Berlin and the spring month end ahead


@st.composite
def _paths(draw: st.DrawFn) -> list[_Step]:
    moves = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["observe"] * 8 + ["resume", "reset"]),
                st.integers(0, 40 * H) | st.sampled_from([H, 24 * H, 48 * H]),
                st.floats(-6.0, 5.0),
            ),
            min_size=1,
            max_size=60,
        )
    )
    steps, ts, equity = [], _START, 10_000.0
    for op, dt_ms, change_pct in moves:
        ts += dt_ms
        equity *= 1 + change_pct / 100
        steps.append(_Step(op, ts, equity))
    return steps


def _run(breaker: CircuitBreaker, steps: list[_Step], fingerprint: list[str]) -> list[RiskEvent]:
    events: list[RiskEvent] = []
    for step in steps:
        if step.op == "observe":
            events += breaker.observe(step.ts_ms, step.equity)
        elif step.op == "resume" and breaker.status is BreakerStatus.WEEKLY_CIRCUIT_BREAK:
            events += breaker.manual_resume(step.ts_ms)
        elif step.op == "reset" and breaker.status is BreakerStatus.MONTHLY_SHUTDOWN:
            fingerprint.append(f"cfg-{len(fingerprint)}")
            events += breaker.reset_after_config_change(step.ts_ms, fingerprint[-1])
    return events


@given(_paths(), st.data(), st.sampled_from(_ZONES))
def test_a_restart_at_any_point_gives_the_events_of_an_uninterrupted_run(
    steps: list[_Step], data: st.DataObject, zone: str
) -> None:
    restart_at = data.draw(st.integers(0, len(steps)), label="restart_at")
    limits = LossLimits()
    whole = CircuitBreaker(limits, timezone=zone, config_fingerprint="cfg-0")
    expected = _run(whole, steps, ["cfg-0"])

    fingerprint = ["cfg-0"]
    first = CircuitBreaker(limits, timezone=zone, config_fingerprint="cfg-0")
    events = _run(first, steps[:restart_at], fingerprint)
    second = _restart(first, timezone=zone, config_fingerprint=fingerprint[-1])
    events += _run(second, steps[restart_at:], fingerprint)

    assert events == expected
    assert second.state() == whole.state()
    for event in expected:
        if event.kind in (
            RiskEventKind.DAILY_CIRCUIT_BREAK,
            RiskEventKind.WEEKLY_CIRCUIT_BREAK,
            RiskEventKind.MONTHLY_SHUTDOWN,
        ):
            assert event.value is not None
            assert event.limit is not None
            assert event.value <= event.limit + 1e-6


@given(_paths(), st.sampled_from(_ZONES))
def test_observations_the_breaker_skips_change_nothing_a_full_one_would(
    steps: list[_Step], zone: str
) -> None:
    """Between changes an observation above the trip level is skipped; restored before
    every step (so that every observation is a full one) the breaker must agree."""
    whole = CircuitBreaker(timezone=zone, config_fingerprint="cfg-0")
    expected = _run(whole, steps, ["cfg-0"])

    fingerprint = ["cfg-0"]
    fresh = CircuitBreaker(timezone=zone, config_fingerprint="cfg-0")
    events: list[RiskEvent] = []
    for step in steps:
        events += _run(fresh, [step], fingerprint)
        fresh = _restart(fresh, timezone=zone, config_fingerprint=fingerprint[-1])

    assert events == expected
    assert fresh.state() == whole.state()


@given(_paths())
def test_trip_equity_is_the_exact_equity_at_which_a_breaker_trips(steps: list[_Step]) -> None:
    breaker = CircuitBreaker(timezone="Europe/Berlin")
    _run(breaker, steps, ["cfg-0"])
    level = breaker.trip_equity()
    if breaker.status is BreakerStatus.MONTHLY_SHUTDOWN:
        assert level is None
    assume(level is not None)
    assert level is not None
    now = breaker.state()["last_ts_ms"]
    assume(now < (breaker.next_change_ms() or now))  # the level holds until the next change

    at_level = _restart(breaker, timezone="Europe/Berlin")
    above = _restart(breaker, timezone="Europe/Berlin")

    assert any(event.value is not None for event in at_level.observe(now, level))
    assert above.observe(now, level * (1 + 1e-9)) == []
