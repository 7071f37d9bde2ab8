"""The user's hand on the circuit breakers of paper and live trading: status, resume, reset.

A weekly circuit break ends only by a user's command and a monthly shutdown only after
the configuration changed (docs/risk.md). Both act on the breaker state the runtime
saved in the database (:mod:`quantbot.engine.risk_state`), with the bot stopped: the
runtime restores that state when it starts, so a cleared breaker lets it trade and a
breaker in force keeps it closing only.

Each command runs in one transaction: the breaker's new state, and the
``resumed_ts_ms`` of the trips it ends in ``circuit_breaker_events`` (those of the
configuration's mode, ``paper`` or ``live``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session

from quantbot.config import QuantbotConfig
from quantbot.core import RunMode
from quantbot.engine.risk_setup import risk_setup
from quantbot.engine.risk_state import (
    RISK_STATE_KEY,
    Breakers,
    restore_risk_state,
    save_risk_state,
)
from quantbot.logs import LogEvent, log_event
from quantbot.risk import BreakerStatus, CircuitBreaker, RiskEvent
from quantbot.storage import create_engine_for, ensure_migrated, session_factory
from quantbot.storage.repositories import (
    AppStateRepository,
    BreakerEventRecord,
    BreakerEventRepository,
)

__all__ = ["RiskStatus", "reset_breaker", "resume_breaker", "risk_status"]

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

_RESUMED_BY = {
    "resume": ("daily", "weekly"),
    "reset": ("daily", "weekly", "monthly"),
}
"""The trips a command ends: a resume ends a weekly break (and the daily one it
escalated from), a reset a monthly shutdown and everything before it."""


@dataclass(frozen=True)
class RiskStatus:
    """What the database says of the breakers of one mode.

    Attributes:
        mode: ``paper`` or ``live``, the configuration's.
        saved: whether the runtime ever saved a breaker state (otherwise the breakers
            start clear).
        breakers: the breakers as the runtime will restore them.
        config_changed: whether the configuration differs from the one a monthly
            shutdown tripped under (so that ``reset`` can end it).
        trips: the latest breaker trips of the mode, newest first.
    """

    mode: RunMode
    saved: bool
    breakers: Breakers
    config_changed: bool
    trips: list[BreakerEventRecord]


def risk_status(
    config: QuantbotConfig, database_url: str, *, database_option: bool = False, trips: int = 5
) -> RiskStatus:
    """The breakers of the configuration's mode and its ``trips`` latest trips.

    Raises:
        DatabaseNotMigrated: when the database is not at the code's revision.
        InvalidValue: when the saved state is unreadable.
    """

    def read(session: Session, mode: RunMode) -> RiskStatus:
        breakers = _restore(session, config)
        tripped_under = breakers.circuit_breaker.trip_fingerprint
        return RiskStatus(
            mode=mode,
            saved=AppStateRepository(session).get(RISK_STATE_KEY) is not None,
            breakers=breakers,
            config_changed=tripped_under is not None and tripped_under != config.fingerprint(),
            trips=BreakerEventRepository(session).history(mode, limit=trips),
        )

    return _in_transaction(config, database_url, database_option, read)


def resume_breaker(
    config: QuantbotConfig, database_url: str, *, now_ms: int, database_option: bool = False
) -> list[RiskEvent]:
    """End a weekly circuit break by the user's command; return the ``RESUMED`` event.

    Raises:
        BreakerNotResumable: if no weekly break is in force (a daily one resumes by
            itself, a monthly shutdown needs ``reset`` after a configuration change).
        DatabaseNotMigrated: when the database is not at the code's revision.
        InvalidValue: when the saved state is unreadable, or ``now_ms`` is before the
            breaker's last observation (a clock gone back).
    """
    return _change(
        config,
        database_url,
        database_option=database_option,
        command="resume",
        act=lambda breaker: breaker.manual_resume(now_ms),
        now_ms=now_ms,
    )


def reset_breaker(
    config: QuantbotConfig, database_url: str, *, now_ms: int, database_option: bool = False
) -> list[RiskEvent]:
    """End a monthly shutdown under a changed configuration; return the ``RESUMED`` event.

    Raises:
        BreakerNotResumable: if no monthly shutdown is in force, or the configuration is
            the one it tripped under.
        DatabaseNotMigrated: when the database is not at the code's revision.
        InvalidValue: as :func:`resume_breaker`.
    """
    fingerprint = config.fingerprint()
    return _change(
        config,
        database_url,
        database_option=database_option,
        command="reset",
        act=lambda breaker: breaker.reset_after_config_change(now_ms, fingerprint),
        now_ms=now_ms,
    )


def _change(
    config: QuantbotConfig,
    database_url: str,
    *,
    database_option: bool,
    command: str,
    act: Callable[[CircuitBreaker], list[RiskEvent]],
    now_ms: int,
) -> list[RiskEvent]:
    """Apply ``act`` to the saved breaker; save it and mark the trips it ended, at once."""

    def change(session: Session, mode: RunMode) -> list[RiskEvent]:
        breakers = _restore(session, config)
        ended: BreakerStatus = breakers.circuit_breaker.status
        events = act(breakers.circuit_breaker)
        save_risk_state(session, breakers, ts_ms=now_ms)
        BreakerEventRepository(session).mark_resumed(mode, _RESUMED_BY[command], ts_ms=now_ms)
        log_event(
            _log,
            LogEvent.CIRCUIT_BREAKER,
            "%s ended by quantbot risk %s (%s)",
            ended,
            command,
            mode,
            level=logging.WARNING,
        )
        return events

    return _in_transaction(config, database_url, database_option, change)


def _restore(session: Session, config: QuantbotConfig) -> Breakers:
    return restore_risk_state(
        session, risk_setup(config.settings), config_fingerprint=config.fingerprint()
    )


def _in_transaction(
    config: QuantbotConfig,
    database_url: str,
    database_option: bool,
    work: Callable[[Session, RunMode], _T],
) -> _T:
    """Run ``work`` in one transaction on the migrated database; nothing is kept if it raises."""
    engine = create_engine_for(database_url)
    try:
        ensure_migrated(engine, database_option=database_option)
        with session_factory(engine).begin() as session:
            return work(session, RunMode(config.settings.bot.mode))
    finally:
        engine.dispose()
