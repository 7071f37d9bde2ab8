"""Risk events: what a breaker or brake decided, and the action the engine must take for it.

Circuit breakers, drawdown brakes and operational breakers are pure state machines: they
never cancel or close anything themselves. Each change of their state is a
:class:`RiskEvent` carrying a :class:`RiskAction`, and the engine (backtest or live
runtime) carries the action out, logs the event, stores it in the database and lists it
in ``summary.json`` (``risk_events``: time, kind, value, action) through
:meth:`RiskEvent.to_dict`.

Percentages follow the P&L sign: ``value=-3.2, limit=-3.0`` is a loss of 3.2 % that
reached the 3 % limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

__all__ = ["ALL_POLICIES", "BreakerPolicy", "RiskAction", "RiskEvent", "RiskEventKind", "iso_ms"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BreakerPolicy(StrEnum):
    """What a daily circuit breaker does with one strategy's positions.

    The engine maps each strategy to a policy (momentum closes, grid keeps its
    inventory); weekly and monthly breakers close the positions of every policy.
    """

    CLOSE = "close"
    """Close the strategy's positions at market."""
    KEEP_INVENTORY = "keep_inventory"
    """Keep the positions (a grid's inventory); the strategy only stops opening."""


ALL_POLICIES = frozenset(BreakerPolicy)
"""Every policy: weekly and monthly breakers close and stop all strategies."""


class RiskEventKind(StrEnum):
    """Every kind of risk event; the value is the status or log name."""

    DAILY_CIRCUIT_BREAK = "DAILY_CIRCUIT_BREAK"
    WEEKLY_CIRCUIT_BREAK = "WEEKLY_CIRCUIT_BREAK"
    MONTHLY_SHUTDOWN = "MONTHLY_SHUTDOWN"
    RESUMED = "RESUMED"
    RECOVERY_STARTED = "RECOVERY_STARTED"
    RECOVERY_ENDED = "RECOVERY_ENDED"
    DRAWDOWN_BRAKE = "DRAWDOWN_BRAKE"
    EXCHANGE_PAUSED = "EXCHANGE_PAUSED"
    EXCHANGE_RESUMED = "EXCHANGE_RESUMED"
    PRICE_SHOCK = "PRICE_SHOCK"


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskAction:
    """What the engine must do in answer to a risk event; the defaults do nothing.

    Attributes:
        cancel_all_orders: cancel every open order of every strategy on every venue.
        cancel_orders_symbol: cancel every pending order on this symbol, of every strategy.
        close_positions: close at market the positions of the strategies whose breaker
            policy is in this set.
        stop_opening: strategies whose policy is in this set may not open or increase
            positions until the breaker or brake clears; the pre-trade checks enforce it
            and closing orders still pass, so the engine only reports it.
        pause_exchange: send nothing to this exchange until ``pause_until_ms``.
        pause_until_ms: end of the exchange pause, epoch milliseconds.
        shutdown: stop every strategy (no more hooks called) until the breaker is cleared.
    """

    cancel_all_orders: bool = False
    cancel_orders_symbol: str | None = None
    close_positions: frozenset[BreakerPolicy] = frozenset()
    stop_opening: frozenset[BreakerPolicy] = frozenset()
    pause_exchange: str | None = None
    pause_until_ms: int | None = None
    shutdown: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The fields that ask for something, JSON-ready (sets as sorted lists)."""
        full: dict[str, Any] = {
            "cancel_all_orders": self.cancel_all_orders,
            "cancel_orders_symbol": self.cancel_orders_symbol,
            "close_positions": sorted(self.close_positions),
            "stop_opening": sorted(self.stop_opening),
            "pause_exchange": self.pause_exchange,
            "pause_until": iso_ms(self.pause_until_ms),
            "shutdown": self.shutdown,
        }
        return {key: value for key, value in full.items() if value}


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskEvent:
    """One change of a breaker's or brake's state.

    Attributes:
        ts_ms: when the state changed, epoch milliseconds (the observation that changed it).
        kind: what happened.
        value: the measured number, e.g. the daily P&L in percent (negative is a loss),
            the drawdown from peak in percent, the API errors in the window, the price
            move in percent; None when nothing was measured (a manual resume).
        limit: the bound ``value`` reached, in the same unit; None when none applies.
        action: what the engine must do now.
        subject: what the event concerns: the exchange, the symbol, or for ``RESUMED``
            the status that ended; empty for the whole account.
        level: the drawdown brake level after the change (``DRAWDOWN_BRAKE`` only).
        reason: one line for logs and alerts naming the rule and the values.
    """

    ts_ms: int
    kind: RiskEventKind
    value: float | None = None
    limit: float | None = None
    action: RiskAction = RiskAction()
    subject: str = ""
    level: int | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready ``risk_events`` entry of ``summary.json``."""
        return {
            "time": iso_ms(self.ts_ms),
            "ts_ms": self.ts_ms,
            "kind": str(self.kind),
            "value": self.value,
            "limit": self.limit,
            "action": self.action.to_dict(),
            "subject": self.subject,
            "level": self.level,
            "reason": self.reason,
        }


def iso_ms(ts_ms: int | None) -> str | None:
    """Epoch milliseconds as ISO 8601 UTC text (``2024-01-01T00:00:00.000Z``), the format of every output file.

    Integer arithmetic keeps every millisecond exact; ``None`` stays ``None``.
    """
    if ts_ms is None:
        return None
    moment = _EPOCH + timedelta(milliseconds=ts_ms)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ts_ms % 1000:03d}Z"
