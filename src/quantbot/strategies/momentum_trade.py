"""One momentum trade from its entry decision to flat, its trailing stop, and the decision records.

The trailing stop of a trade starts ``trailing_stop_atr_multiplier`` ATRs from the
entry price; that distance is the trade's risk unit **R**. At every candle close the
trade's best profit (in R, from the closes) picks the stop distance: the initial one,
then each ``stop_tightening`` step the best profit has passed (1.2 ATR above 1R, 1.0
above 2R, 0.8 above 3R by default). The candidate stop is the close minus (a short:
plus) that many ATRs, and the stop only ever moves toward the price
(:func:`trail_stop`).

:class:`MomentumTrade` is what the ``positions`` table keeps of a trade (entry signals,
exit reason); :class:`MomentumDecision` is one row of the ``decisions`` audit trail.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from quantbot.core import ClientOrderId, Side

__all__ = [
    "DecisionAction",
    "ExitReason",
    "MomentumDecision",
    "MomentumTrade",
    "stop_distance_atr",
    "trail_stop",
]


class ExitReason(StrEnum):
    """Why a trade ended (the ``exit_reason`` of its position)."""

    TRAILING_STOP = "trailing_stop"
    """The stop resting at the venue filled (the initial stop counts as well)."""
    SIGNAL_REVERSAL = "signal_reversal"
    """The EMAs crossed against the trade."""
    RSI_DIVERGENCE = "rsi_divergence"
    """A new price extreme in the trade's favour that the RSI did not confirm."""
    TIME_STOP = "time_stop"
    """Open for ``time_stop_hours`` without the close ever reaching the target profit."""
    CIRCUIT_BREAKER = "circuit_breaker"
    """The risk manager closed the position (a circuit breaker tripped)."""


class DecisionAction(StrEnum):
    """What became of a decision: the ``action_taken`` of the ``decisions`` table."""

    EXECUTED = "EXECUTED"
    """The order went to the venue."""
    REJECTED = "REJECTED"
    """The pre-trade checks refused the order."""
    HELD = "HELD"
    """The signal stood but a rule of the strategy held it back (cap, cooldown, size)."""


@dataclass(frozen=True, slots=True)
class MomentumDecision:
    """One decision of the strategy, shaped like a row of the ``decisions`` table.

    Attributes:
        ts_ms: when it was taken (engine clock).
        symbol: the market.
        signal: ``enter_long``, ``enter_short``, ``exit_long`` or ``exit_short``.
        reason: for entries the rule set (``entry``) or what held it back, for exits
            the :class:`ExitReason`.
        indicators: what it was taken on, JSON-ready (entries:
            :meth:`~quantbot.strategies.momentum_signals.MomentumSignals.entry_record`).
        action: what became of it.
        client_order_id: the order it sent, if any.
    """

    ts_ms: int
    symbol: str
    signal: str
    reason: str
    indicators: Mapping[str, object]
    action: DecisionAction
    client_order_id: str | None = None


@dataclass(slots=True)
class MomentumTrade:
    """A trade of one symbol, from the entry decision until the position is flat again.

    Attributes:
        symbol: the market.
        side: ``BUY`` for a long, ``SELL`` for a short.
        decided_ms: time of the entry decision.
        entry_signals: indicator values and entry rules at the decision
            (:meth:`~quantbot.strategies.momentum_signals.MomentumSignals.entry_record`).
        risk_per_unit: R, the initial stop distance in price.
        entry_order: the market order that opens the trade.
        opened_ms: time of the first entry fill (None until then).
        entry_price: average entry price of the position.
        qty: largest absolute position the trade reached.
        stop: the stop level the trade wants now: R from the first entry fill, then
            trailed (NaN before the first fill).
        stops: every stop price placed at the venue (after tick rounding), with the
            time it was placed.
        best_r: best profit a candle close showed, in R.
        stop_order: the stop resting at the venue, if any.
        exit_order: the market order closing the trade, once one is sent.
        exit_reason: why the trade ended (set when the exit is decided or the stop fills).
        closed_ms: time of the fill that made the position flat.
        exit_price: average price of the exit fills.
        pnl: realised P&L of the trade after fees (and funding), in quote currency.
        baseline: the strategy position's realised P&L, fees and funding before the
            trade, to measure the trade's own from.
    """

    symbol: str
    side: Side
    decided_ms: int
    entry_signals: Mapping[str, object]
    risk_per_unit: float
    entry_order: ClientOrderId
    baseline: tuple[float, float, float]
    opened_ms: int | None = None
    entry_price: float = math.nan
    qty: float = 0.0
    stop: float = math.nan
    stops: list[tuple[int, float]] = field(default_factory=list)
    best_r: float = 0.0
    stop_order: ClientOrderId | None = None
    exit_order: ClientOrderId | None = None
    exit_reason: ExitReason | None = None
    closed_ms: int | None = None
    exit_price: float = math.nan
    pnl: float | None = None
    _exit_value: float = field(default=0.0, init=False, repr=False)
    _exit_qty: float = field(default=0.0, init=False, repr=False)

    @property
    def long(self) -> bool:
        """Whether the trade is long."""
        return self.side is Side.BUY

    @property
    def is_closed(self) -> bool:
        """Whether the position the trade opened is flat again."""
        return self.closed_ms is not None

    def profit_r(self, price: float) -> float:
        """Profit at ``price`` in R (negative for a loss)."""
        move = price - self.entry_price if self.long else self.entry_price - price
        return move / self.risk_per_unit

    def add_exit_fill(self, qty: float, price: float) -> None:
        """Count an execution that reduced the position (for the average exit price)."""
        self._exit_qty += qty
        self._exit_value += qty * price
        self.exit_price = self._exit_value / self._exit_qty

    def record(self) -> dict[str, object]:
        """The trade, JSON-ready: what the ``positions`` table and reports keep."""
        return {
            "symbol": self.symbol,
            "side": "long" if self.long else "short",
            "decided_ms": self.decided_ms,
            "opened_ms": self.opened_ms,
            "closed_ms": self.closed_ms,
            "entry_price": None if math.isnan(self.entry_price) else self.entry_price,
            "exit_price": None if math.isnan(self.exit_price) else self.exit_price,
            "qty": self.qty,
            "risk_per_unit": self.risk_per_unit,
            "best_r": self.best_r,
            "stops": [list(placed) for placed in self.stops],
            "entry_signals": dict(self.entry_signals),
            "exit_reason": None if self.exit_reason is None else str(self.exit_reason),
            "pnl": self.pnl,
        }


def stop_distance_atr(
    best_r: float, initial_atr: float, tightening: Sequence[tuple[float, float]]
) -> float:
    """The stop distance in ATRs for a trade whose best profit was ``best_r``.

    ``initial_atr`` until the best profit passes the first step's profit, then the
    distance of the last step passed (profits strictly above the step's).
    """
    distance = initial_atr
    for step_r, step_atr in tightening:
        if best_r > step_r:
            distance = step_atr
    return distance


def trail_stop(
    current: float,
    *,
    long: bool,
    close: float,
    atr: float,
    best_r: float,
    initial_atr: float,
    tightening: Sequence[tuple[float, float]],
) -> float:
    """The stop after a candle closed at ``close``: tightened toward the price, never loosened.

    Args:
        current: the stop now.
        long: the trade's direction.
        close: the candle's close.
        atr: the ATR at the candle.
        best_r: the trade's best profit in R, this candle included.
        initial_atr: the initial stop distance in ATRs.
        tightening: the (profit in R, distance in ATRs) steps.

    Returns:
        ``current`` or a stop closer to the price; ``current`` when the ATR is unknown.
    """
    distance = stop_distance_atr(best_r, initial_atr, tightening) * atr
    if not math.isfinite(distance):
        return current
    if long:
        return max(current, close - distance)
    return min(current, close + distance)
