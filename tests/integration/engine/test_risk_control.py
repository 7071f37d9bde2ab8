"""The breaker commands' engine (status, resume, reset) on SQLite and PostgreSQL.

The CLI tests (tests/integration/test_risk_commands.py) drive the same functions
through ``quantbot risk`` on the default SQLite file; these run them on both backends
and pin which trips a command marks resumed.
"""

from __future__ import annotations

import pytest

from quantbot.config import load_config
from quantbot.core import RunMode
from quantbot.engine.risk_control import reset_breaker, resume_breaker, risk_status
from quantbot.engine.risk_setup import risk_setup
from quantbot.engine.risk_state import Breakers, save_risk_state
from quantbot.risk import BreakerNotResumable, BreakerStatus, CircuitBreaker, RiskEventKind
from quantbot.storage import create_engine_for, session_factory, upgrade
from quantbot.storage.repositories import BreakerEventRepository

START_MS = 1_735_776_000_000  # 2025-01-02 00:00 UTC
MINUTE_MS = 60_000


def _tripped(db_url: str, loss_pct: float) -> BreakerStatus:
    """Save a paper bot's breaker that lost ``loss_pct`` in a minute, and its trip rows."""
    config = load_config(None, environ={})
    setup = risk_setup(config.settings)
    breaker = CircuitBreaker(
        setup.loss_limits, timezone=setup.timezone, config_fingerprint=config.fingerprint()
    )
    breaker.observe(START_MS, 10_000.0)
    breaker.observe(START_MS + MINUTE_MS, 10_000.0 * (1 - loss_pct / 100))
    engine = create_engine_for(db_url)
    try:
        with session_factory(engine).begin() as session:
            save_risk_state(session, Breakers(breaker, None), ts_ms=START_MS + MINUTE_MS)
            trips = BreakerEventRepository(session)
            for trigger, mode in (
                ("daily", RunMode.PAPER),
                ("weekly", RunMode.PAPER),
                ("api_errors", RunMode.PAPER),
                ("weekly", RunMode.BACKTEST),
                ("weekly", RunMode.LIVE),
            ):
                trips.record(
                    ts_ms=START_MS, trigger_type=trigger, trigger_value=-loss_pct, mode=mode
                )
    finally:
        engine.dispose()
    return breaker.status


def _resumed(db_url: str) -> dict[tuple[str, str], int | None]:
    engine = create_engine_for(db_url)
    try:
        with session_factory(engine)() as session:
            trips = BreakerEventRepository(session)
            return {
                (str(mode), t.trigger_type): t.resumed_ts_ms
                for mode in RunMode
                for t in trips.history(mode)
            }
    finally:
        engine.dispose()


def test_resume_ends_the_weekly_break_and_only_the_modes_loss_trips(db_url: str) -> None:
    upgrade(db_url)
    assert _tripped(db_url, 8.0) is BreakerStatus.WEEKLY_CIRCUIT_BREAK
    config = load_config(None, environ={})
    now = START_MS + 2 * MINUTE_MS

    with pytest.raises(BreakerNotResumable, match="no monthly shutdown"):
        reset_breaker(config, db_url, now_ms=now)
    events = resume_breaker(config, db_url, now_ms=now)

    assert [(e.kind, e.subject) for e in events] == [
        (RiskEventKind.RESUMED, "WEEKLY_CIRCUIT_BREAK")
    ]
    status = risk_status(config, db_url)
    assert status.saved
    assert status.breakers.circuit_breaker.status is BreakerStatus.NORMAL
    assert _resumed(db_url) == {
        ("paper", "daily"): now,
        ("paper", "weekly"): now,
        ("paper", "api_errors"): None,
        ("backtest", "weekly"): None,
        ("live", "weekly"): None,
    }


def test_a_refused_command_changes_nothing(db_url: str) -> None:
    upgrade(db_url)
    assert _tripped(db_url, 13.0) is BreakerStatus.MONTHLY_SHUTDOWN
    config = load_config(None, environ={})

    for command in (resume_breaker, reset_breaker):
        with pytest.raises(BreakerNotResumable):
            command(config, db_url, now_ms=START_MS + 2 * MINUTE_MS)

    status = risk_status(config, db_url)
    assert status.breakers.circuit_breaker.status is BreakerStatus.MONTHLY_SHUTDOWN
    assert not status.config_changed
    assert status.breakers.circuit_breaker.tripped_at_ms == START_MS + MINUTE_MS
    assert set(_resumed(db_url).values()) == {None}
