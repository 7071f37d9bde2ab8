"""Breaker state through a real database (SQLite, then PostgreSQL): a restart in the
middle of a break keeps it, and the restored breakers carry on exactly like ones that
never stopped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from quantbot.config import load_config
from quantbot.engine.risk_setup import RiskSetup, risk_setup
from quantbot.engine.risk_state import Breakers, restore_risk_state, save_risk_state
from quantbot.risk import BreakerNotResumable, BreakerStatus, CircuitBreaker, DrawdownBrakes
from quantbot.storage import create_engine_for, session_factory, upgrade

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
START_MS = 1_735_776_000_000  # 2025-01-02 00:00 UTC, a Thursday


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(db_url)
    engine = create_engine_for(db_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def setup() -> RiskSetup:
    return risk_setup(load_config(None, environ={}).settings)


def _fresh(setup: RiskSetup) -> Breakers:
    return Breakers(
        CircuitBreaker(setup.loss_limits, timezone=setup.timezone),
        DrawdownBrakes(setup.brake_levels),
    )


def _observe(breakers: Breakers, ts_ms: int, equity: float) -> list[str]:
    events = breakers.circuit_breaker.observe(ts_ms, equity)
    assert breakers.drawdown_brakes is not None
    events += breakers.drawdown_brakes.observe(ts_ms, equity)
    return [f"{e.kind}@{e.ts_ms}" for e in events]


def _restart(
    sessions: sessionmaker[Session], breakers: Breakers, setup: RiskSetup, ts_ms: int
) -> Breakers:
    with sessions.begin() as session:
        save_risk_state(session, breakers, ts_ms=ts_ms)
    with sessions() as session:
        return restore_risk_state(session, setup)


def test_a_database_without_saved_state_gives_fresh_breakers(
    sessions: sessionmaker[Session], setup: RiskSetup
) -> None:
    with sessions() as session:
        restored = restore_risk_state(session, setup)
    assert restored.circuit_breaker.status is BreakerStatus.NORMAL
    assert restored.drawdown_brakes is not None
    assert restored.drawdown_brakes.peak_equity is None


def test_a_restart_during_a_daily_break_keeps_it_and_resumes_as_if_never_stopped(
    sessions: sessionmaker[Session], setup: RiskSetup
) -> None:
    path = [(0, 10_000.0), (HOUR_MS, 10_050.0), (2 * HOUR_MS, 9_600.0)]  # -4.5 % on the day
    later = [(h * HOUR_MS, 9_650.0 + 10 * h) for h in range(3, 80)]
    uninterrupted, restarted = _fresh(setup), _fresh(setup)
    for ts, equity in path:
        expected = _observe(uninterrupted, START_MS + ts, equity)
        assert _observe(restarted, START_MS + ts, equity) == expected
    assert restarted.circuit_breaker.status is BreakerStatus.DAILY_CIRCUIT_BREAK

    restarted = _restart(sessions, restarted, setup, START_MS + 2 * HOUR_MS)

    assert restarted.circuit_breaker.status is BreakerStatus.DAILY_CIRCUIT_BREAK
    assert restarted.circuit_breaker.active
    assert restarted.drawdown_brakes is not None
    assert restarted.drawdown_brakes.level == uninterrupted.drawdown_brakes.level  # type: ignore[union-attr]
    events = []
    for ts, equity in later:
        expected = _observe(uninterrupted, START_MS + ts, equity)
        assert _observe(restarted, START_MS + ts, equity) == expected
        events += expected
    assert any(e.startswith("RESUMED") for e in events)
    assert restarted.circuit_breaker.state() == uninterrupted.circuit_breaker.state()


def test_a_weekly_break_survives_a_restart_and_still_needs_a_manual_resume(
    sessions: sessionmaker[Session], setup: RiskSetup
) -> None:
    breakers = _fresh(setup)
    _observe(breakers, START_MS, 10_000.0)
    _observe(breakers, START_MS + HOUR_MS, 9_000.0)  # -10 %: past the weekly 7 %
    assert breakers.circuit_breaker.status is BreakerStatus.WEEKLY_CIRCUIT_BREAK

    restored = _restart(sessions, breakers, setup, START_MS + HOUR_MS)
    _observe(restored, START_MS + 10 * DAY_MS, 9_500.0)

    assert restored.circuit_breaker.status is BreakerStatus.WEEKLY_CIRCUIT_BREAK
    restored.circuit_breaker.manual_resume(START_MS + 10 * DAY_MS + 1)
    assert not restored.circuit_breaker.active


def test_a_monthly_shutdown_survives_a_restart_until_the_configuration_changes(
    sessions: sessionmaker[Session], setup: RiskSetup
) -> None:
    breakers = _fresh(setup)
    _observe(breakers, START_MS, 10_000.0)
    _observe(breakers, START_MS + HOUR_MS, 8_500.0)  # -15 %: past the monthly 12 %
    assert breakers.circuit_breaker.status is BreakerStatus.MONTHLY_SHUTDOWN

    with sessions.begin() as session:
        save_risk_state(session, breakers, ts_ms=START_MS + HOUR_MS)
    with sessions() as session:
        restored = restore_risk_state(session, setup, config_fingerprint="")

    with pytest.raises(BreakerNotResumable):
        restored.circuit_breaker.reset_after_config_change(START_MS + 2 * HOUR_MS, "")
    assert restored.circuit_breaker.status is BreakerStatus.MONTHLY_SHUTDOWN
    restored.circuit_breaker.reset_after_config_change(START_MS + 2 * HOUR_MS, "new-limits")
    assert restored.circuit_breaker.status is BreakerStatus.NORMAL
