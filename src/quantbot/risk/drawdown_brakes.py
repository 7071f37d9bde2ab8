"""Drawdown brakes: trade ever more cautiously the further equity falls below its peak.

The adaptive-grid spec (REQUIREMENTS.md §7, on by default) brakes at 5, 10 and 15 %
below peak equity: level 1 brings take-profits closer (distance x 0.7), level 2 also
halves order sizes and cuts leverage (x 0.6), level 3 also stops opening positions.
Each :class:`BrakeLevel` states its full set of factors, so the factors in force are
simply those of the current level.

Hysteresis: a level engages when the drawdown reaches its threshold, and is released
only when the drawdown is back at or below the previous level's threshold (level 1: a
new peak). Equity wobbling around a threshold therefore changes the level once, not on
every observation. Observations may jump several levels at once; one event reports the
change.

:class:`DrawdownBrakes` is a pure state machine like the circuit breaker: the engine
feeds it equity (:meth:`DrawdownBrakes.observe`), applies :meth:`DrawdownBrakes.current`
to take-profit distances and leverage, and the pre-trade check
:class:`~quantbot.risk.breaker_checks.DrawdownBrakeCheck` applies the size factor and
the stop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from quantbot.core import InvalidValue
from quantbot.risk.circuit_breaker import PCT_TOLERANCE
from quantbot.risk.risk_events import ALL_POLICIES, RiskAction, RiskEvent, RiskEventKind

__all__ = ["DEFAULT_BRAKE_LEVELS", "NO_BRAKE", "BrakeLevel", "DrawdownBrakes"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BrakeLevel:
    """One brake level: its threshold and the factors in force while it is engaged.

    Attributes:
        drawdown_pct: drawdown from peak equity that engages it (5.0 = 5 % below the peak).
        take_profit_factor: factor on take-profit distances (0.7: 30 % closer).
        order_size_factor: factor on the size of opening orders.
        leverage_factor: factor on the leverage of new perpetual positions.
        stop_opening: no order may open or increase a position.

    Raises:
        InvalidValue: for a threshold outside [0, 100) or a factor outside (0, 1].
    """

    drawdown_pct: float
    take_profit_factor: float = 1.0
    order_size_factor: float = 1.0
    leverage_factor: float = 1.0
    stop_opening: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.drawdown_pct < 100:
            raise InvalidValue(f"drawdown_pct {self.drawdown_pct}: must be in [0, 100)")
        for name in ("take_profit_factor", "order_size_factor", "leverage_factor"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise InvalidValue(f"{name} {value}: must be in (0, 1]; a brake never loosens")


NO_BRAKE = BrakeLevel(drawdown_pct=0.0)
"""Level 0: no brake, every factor 1."""

DEFAULT_BRAKE_LEVELS = (
    BrakeLevel(drawdown_pct=5.0, take_profit_factor=0.7),
    BrakeLevel(
        drawdown_pct=10.0, take_profit_factor=0.7, order_size_factor=0.5, leverage_factor=0.6
    ),
    BrakeLevel(
        drawdown_pct=15.0,
        take_profit_factor=0.7,
        order_size_factor=0.5,
        leverage_factor=0.6,
        stop_opening=True,
    ),
)
"""REQUIREMENTS.md's -5 / -10 / -15 % brakes with the adaptive-grid spec's factors."""


class DrawdownBrakes:
    """Multi-level brakes on the drawdown from peak equity.

    Args:
        levels: the brake levels, thresholds strictly increasing and above 0.

    Raises:
        InvalidValue: if the levels are empty or their thresholds do not increase.
    """

    def __init__(self, levels: Sequence[BrakeLevel] = DEFAULT_BRAKE_LEVELS) -> None:
        thresholds = [level.drawdown_pct for level in levels]
        if not levels or thresholds[0] <= 0 or thresholds != sorted(set(thresholds)):
            raise InvalidValue(
                f"drawdown brake thresholds {thresholds}: need at least one, all above 0 "
                "and strictly increasing"
            )
        self._levels = (NO_BRAKE, *levels)
        self._level = 0
        self._peak: float | None = None
        self._last_ts_ms: int | None = None

    @property
    def level(self) -> int:
        """The level engaged: 0 for none, up to the number of levels."""
        return self._level

    @property
    def peak_equity(self) -> float | None:
        """The highest equity observed; None before the first observation."""
        return self._peak

    def current(self) -> BrakeLevel:
        """The factors in force (:data:`NO_BRAKE` at level 0)."""
        return self._levels[self._level]

    def observe(self, ts_ms: int, equity: float) -> list[RiskEvent]:
        """Feed the account equity at ``ts_ms``; return a ``DRAWDOWN_BRAKE`` event if the level changed.

        The event's value is the drawdown in percent (negative), its limit the new
        level's threshold (0 for level 0), its level the new level; reaching a level that
        stops opening asks every strategy to stop opening.

        Raises:
            InvalidValue: if time goes back or the equity is not a positive finite amount.
        """
        if self._last_ts_ms is not None and ts_ms < self._last_ts_ms:
            raise InvalidValue(
                f"drawdown brakes: time went back from {self._last_ts_ms} to {ts_ms}"
            )
        if not (math.isfinite(equity) and equity > 0):
            raise InvalidValue(f"drawdown brakes: equity {equity} must be a positive finite amount")
        self._last_ts_ms = ts_ms
        self._peak = equity if self._peak is None else max(self._peak, equity)
        drawdown_pct = (1.0 - equity / self._peak) * 100.0
        previous = self._level
        self._level = self._new_level(drawdown_pct)
        if self._level == previous:
            return []
        brake = self.current()
        stop = brake.stop_opening and not self._levels[previous].stop_opening
        return [
            RiskEvent(
                ts_ms=ts_ms,
                kind=RiskEventKind.DRAWDOWN_BRAKE,
                value=-drawdown_pct,
                limit=-brake.drawdown_pct,
                action=RiskAction(stop_opening=ALL_POLICIES) if stop else RiskAction(),
                level=self._level,
                reason=f"drawdown brake level {previous} -> {self._level}: drawdown "
                f"{drawdown_pct:.2f} % from peak {self._peak:g}; take-profit x "
                f"{brake.take_profit_factor:g}, size x {brake.order_size_factor:g}, leverage x "
                f"{brake.leverage_factor:g}{', no opening' if brake.stop_opening else ''}",
            )
        ]

    def state(self) -> dict[str, Any]:
        """The peak, level and last time as JSON-ready values (see :meth:`from_state`)."""
        return {"level": self._level, "peak_equity": self._peak, "last_ts_ms": self._last_ts_ms}

    @classmethod
    def from_state(
        cls, state: dict[str, Any], levels: Sequence[BrakeLevel] = DEFAULT_BRAKE_LEVELS
    ) -> DrawdownBrakes:
        """The brakes :meth:`state` described, with ``levels`` (the configuration now).

        Raises:
            InvalidValue: if ``state`` is not what :meth:`state` writes or its level does
                not exist in ``levels``.
        """
        brakes = cls(levels)
        try:
            level = int(state["level"])
            peak, last = state["peak_equity"], state["last_ts_ms"]
            brakes._peak = None if peak is None else float(peak)
            brakes._last_ts_ms = None if last is None else int(last)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidValue(f"drawdown brake state unreadable: {exc!r}") from exc
        if not 0 <= level < len(brakes._levels):
            raise InvalidValue(f"drawdown brake state: level {level} does not exist")
        brakes._level = level
        return brakes

    def _new_level(self, drawdown_pct: float) -> int:
        engaged = max(
            number
            for number, brake in enumerate(self._levels)
            if drawdown_pct >= brake.drawdown_pct - PCT_TOLERANCE
        )
        if engaged >= self._level:
            return engaged
        level = self._level
        while (
            level > engaged and drawdown_pct <= self._levels[level - 1].drawdown_pct + PCT_TOLERANCE
        ):
            level -= 1
        return level
