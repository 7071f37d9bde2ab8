"""The breakers' state in the database: a restart does not clear a circuit breaker.

A daily break waits out its 24 hours, a weekly one a manual resume and a monthly
shutdown a changed configuration — across restarts too, or a crash would be the way
round them. The paper and live runtimes save the state with :func:`save_risk_state`
whenever the breakers report an event (in the transaction that records it), and build
their breakers with :func:`restore_risk_state` before the first order.

The state is one document in the ``app_state`` table under :data:`RISK_STATE_KEY`:
the circuit breaker's status, timers and period baselines, and the drawdown brakes'
peak and level. The limits are not in it: they come from the configuration in force,
so a changed limit applies at once, while a breaker in force stays in force.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from quantbot.engine.risk_setup import RiskSetup
from quantbot.risk import CircuitBreaker, DrawdownBrakes
from quantbot.storage.repositories import AppStateRepository

__all__ = ["RISK_STATE_KEY", "Breakers", "restore_risk_state", "save_risk_state"]

RISK_STATE_KEY = "risk_manager"
"""The ``app_state`` key of the breakers' state."""


@dataclass(frozen=True)
class Breakers:
    """The stateful parts of a risk manager: what a restart must not forget."""

    circuit_breaker: CircuitBreaker
    drawdown_brakes: DrawdownBrakes | None


def save_risk_state(session: Session, breakers: Breakers, *, ts_ms: int) -> None:
    """Store the breakers' state, replacing the one saved before; the caller commits."""
    brakes = breakers.drawdown_brakes
    AppStateRepository(session).set(
        RISK_STATE_KEY,
        {
            "circuit_breaker": breakers.circuit_breaker.state(),
            "drawdown_brakes": None if brakes is None else brakes.state(),
        },
        ts_ms=ts_ms,
    )


def restore_risk_state(
    session: Session, setup: RiskSetup, *, config_fingerprint: str = ""
) -> Breakers:
    """The breakers as they were saved, under the limits of ``setup``; fresh ones if none were.

    Args:
        session: an open session on a migrated database.
        setup: the risk configuration in force now.
        config_fingerprint: fingerprint of that configuration
            (:meth:`~quantbot.config.QuantbotConfig.fingerprint`); a monthly shutdown clears
            only through
            :meth:`~quantbot.risk.CircuitBreaker.reset_after_config_change` with one
            that differs from the fingerprint it tripped under.

    Raises:
        quantbot.core.errors.InvalidValue: when the saved state is unreadable (the
            runtime must not start with breakers it cannot trust).
    """
    saved = AppStateRepository(session).get(RISK_STATE_KEY)
    levels = setup.brake_levels
    if saved is None:
        return Breakers(
            CircuitBreaker(
                setup.loss_limits, timezone=setup.timezone, config_fingerprint=config_fingerprint
            ),
            DrawdownBrakes(levels) if levels else None,
        )
    breaker = CircuitBreaker.from_state(
        saved["circuit_breaker"],
        setup.loss_limits,
        timezone=setup.timezone,
        config_fingerprint=config_fingerprint,
    )
    brakes_state = saved.get("drawdown_brakes")
    brakes = None
    if levels:
        brakes = (
            DrawdownBrakes.from_state(brakes_state, levels)
            if brakes_state is not None
            else DrawdownBrakes(levels)
        )
    return Breakers(breaker, brakes)
