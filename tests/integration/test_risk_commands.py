"""``quantbot risk status | resume | reset`` on a real migrated database and real breakers.

The breaker state is the one the runtime saves (:mod:`quantbot.engine.risk_state`),
made by feeding a real :class:`~quantbot.risk.CircuitBreaker` the equity that trips it;
the commands run through the real CLI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quantbot.config import QuantbotConfig, load_config
from quantbot.core import RunMode, WallClock
from quantbot.engine.risk_setup import risk_setup
from quantbot.engine.risk_state import (
    RISK_STATE_KEY,
    Breakers,
    restore_risk_state,
    save_risk_state,
)
from quantbot.risk import BreakerStatus, CircuitBreaker, DrawdownBrakes
from quantbot.storage import create_engine_for, session_factory
from quantbot.storage.repositories import AppStateRepository, BreakerEventRepository

from fixtures.cli import quantbot

HOUR_MS = 3_600_000


@pytest.fixture
def database(workdir: Path) -> str:
    """The migrated working directory's database (the embedded defaults' paper file)."""
    return f"sqlite:///{workdir / 'data' / 'quantbot-paper.sqlite'}"


def trip(config: QuantbotConfig, database: str, loss_pct: float) -> BreakerStatus:
    """Save the breakers of a runtime that lost ``loss_pct`` within the last hour.

    Also records the trip in ``circuit_breaker_events`` (mode paper) beside a
    backtest's trip, which no command may touch.
    """
    setup = risk_setup(config.settings)
    breaker = CircuitBreaker(
        setup.loss_limits, timezone=setup.timezone, config_fingerprint=config.fingerprint()
    )
    brakes = DrawdownBrakes(setup.brake_levels)
    start = WallClock().now_ms() - HOUR_MS
    for observe in (breaker.observe, brakes.observe):
        observe(start, 10_000.0)
        observe(start + 60_000, 10_000.0 * (1 - loss_pct / 100))
    engine = create_engine_for(database)
    try:
        with session_factory(engine).begin() as session:
            save_risk_state(session, Breakers(breaker, brakes), ts_ms=start + 60_000)
            trips = BreakerEventRepository(session)
            kind = str(breaker.status).split("_")[0].lower()
            trips.record(
                ts_ms=start + 60_000, trigger_type=kind, trigger_value=-loss_pct, mode=RunMode.PAPER
            )
            trips.record(ts_ms=start, trigger_type=kind, trigger_value=-9.0, mode=RunMode.BACKTEST)
    finally:
        engine.dispose()
    return breaker.status


def stored(config: QuantbotConfig, database: str) -> tuple[BreakerStatus, dict[RunMode, list]]:
    """The saved breaker's status and the ``resumed_ts_ms`` of every trip, per mode."""
    engine = create_engine_for(database)
    try:
        with session_factory(engine)() as session:
            breakers = restore_risk_state(
                session, risk_setup(config.settings), config_fingerprint=config.fingerprint()
            )
            trips = BreakerEventRepository(session)
            resumed = {
                mode: [t.resumed_ts_ms for t in trips.history(mode)]
                for mode in (RunMode.PAPER, RunMode.BACKTEST)
            }
    finally:
        engine.dispose()
    return breakers.circuit_breaker.status, resumed


def test_status_without_a_saved_state_says_the_breakers_start_clear(database: str) -> None:
    shown = quantbot("risk", "status")

    assert shown.exit_code == 0, shown.output
    assert "circuit breaker: NORMAL" in shown.output
    assert "no breaker state saved yet" in shown.output
    assert "drawdown brakes: level 0" in shown.output


def test_a_weekly_break_ends_only_by_resume(database: str) -> None:
    config = load_config(None, environ={})
    assert trip(config, database, loss_pct=8.0) is BreakerStatus.WEEKLY_CIRCUIT_BREAK

    status = quantbot("risk", "status")
    assert status.exit_code == 0, status.output
    assert "WEEKLY_CIRCUIT_BREAK since" in status.output
    assert "quantbot risk resume" in status.output
    assert "drawdown brakes: level 1, peak equity 10,000.00" in status.output
    assert "weekly" in status.output
    assert "not resumed" in status.output

    refused = quantbot("risk", "reset")
    assert refused.exit_code == 1
    assert "no monthly shutdown to reset: status WEEKLY_CIRCUIT_BREAK" in refused.output
    assert stored(config, database)[0] is BreakerStatus.WEEKLY_CIRCUIT_BREAK

    before_ms = WallClock().now_ms()
    resumed = quantbot("risk", "resume")
    assert resumed.exit_code == 0, resumed.output
    assert "WEEKLY_CIRCUIT_BREAK ended: manual resume" in resumed.output

    status_now, trips = stored(config, database)
    assert status_now is BreakerStatus.NORMAL
    [paper_resumed] = trips[RunMode.PAPER]
    assert paper_resumed is not None
    assert paper_resumed >= before_ms
    assert trips[RunMode.BACKTEST] == [None]
    assert "circuit breaker: NORMAL" in quantbot("risk", "status").output

    again = quantbot("risk", "resume")
    assert again.exit_code == 1
    assert "no circuit break to resume: status NORMAL" in again.output


def test_a_daily_break_is_not_resumed_by_hand(database: str) -> None:
    config = load_config(None, environ={})
    assert trip(config, database, loss_pct=4.0) is BreakerStatus.DAILY_CIRCUIT_BREAK

    assert "resumes by itself at" in quantbot("risk", "status").output
    refused = quantbot("risk", "resume")
    assert refused.exit_code == 1
    assert "DAILY_CIRCUIT_BREAK resumes by itself" in refused.output
    assert stored(config, database)[0] is BreakerStatus.DAILY_CIRCUIT_BREAK


def test_a_monthly_shutdown_ends_only_by_reset_after_a_configuration_change(
    workdir: Path, database: str
) -> None:
    assert quantbot("config", "init", "setup").exit_code == 0
    options = ("--config", "setup", "--database", database)
    config = load_config(workdir / "setup", environ={})
    assert trip(config, database, loss_pct=13.0) is BreakerStatus.MONTHLY_SHUTDOWN

    assert "change the configuration, then run" in quantbot("risk", "status", *options).output
    for command, refusal in (
        ("resume", "change the configuration, then reset the breaker"),
        ("reset", "the configuration is unchanged"),
    ):
        refused = quantbot("risk", command, *options)
        assert refused.exit_code == 1
        assert refusal in refused.output
    assert stored(config, database)[0] is BreakerStatus.MONTHLY_SHUTDOWN

    settings = workdir / "setup" / "settings.yaml"
    text = settings.read_text()
    assert "max_order_size_usd: 500.0" in text
    settings.write_text(text.replace("max_order_size_usd: 500.0", "max_order_size_usd: 250.0"))
    changed = load_config(workdir / "setup", environ={})
    assert changed.fingerprint() != config.fingerprint()

    assert "the configuration has changed since" in quantbot("risk", "status", *options).output
    reset = quantbot("risk", "reset", *options)
    assert reset.exit_code == 0, reset.output
    assert "MONTHLY_SHUTDOWN ended: configuration changed" in reset.output
    status_now, trips = stored(changed, database)
    assert status_now is BreakerStatus.NORMAL
    assert None not in trips[RunMode.PAPER]


def test_an_unreadable_saved_state_is_refused(database: str) -> None:
    engine = create_engine_for(database)
    try:
        with session_factory(engine).begin() as session:
            AppStateRepository(session).set(
                RISK_STATE_KEY, {"circuit_breaker": {"status": "SIDEWAYS"}}, ts_ms=1
            )
    finally:
        engine.dispose()

    for command in ("status", "resume"):
        refused = quantbot("risk", command)
        assert refused.exit_code == 1
        assert "circuit breaker state unreadable" in refused.output


def test_the_fingerprint_follows_values_not_formatting(workdir: Path) -> None:
    assert quantbot("config", "init", "setup").exit_code == 0
    settings = workdir / "setup" / "settings.yaml"
    before = load_config(workdir / "setup", environ={}).fingerprint()

    settings.write_text("# a comment\n" + settings.read_text())
    assert load_config(workdir / "setup", environ={}).fingerprint() == before

    settings.write_text(settings.read_text().replace("leverage_cap: 6.0", "leverage_cap: 4.0"))
    assert load_config(workdir / "setup", environ={}).fingerprint() != before
