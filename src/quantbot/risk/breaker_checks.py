"""Breakers, brakes and exchange pauses as pre-trade checks (rules 5 and 6 of the chain).

The state machines decide *when* trading is restricted; these checks apply the
restriction to each order:

- :class:`CircuitBreakerCheck` (rule 5): while a circuit breaker is in force, only
  closing orders pass.
- :class:`RecoveryResizeCheck` (rule 6): in recovery mode the opening part of an order
  is cut by ``reduce_position_sizes_by_pct``, then the chain continues.
- :class:`DrawdownBrakeCheck`: the brake level's size factor on the opening part; at a
  level that stops opening, only closing orders pass.
- :class:`ExchangePauseCheck`: nothing goes to a paused exchange.

An order *closes* as far as it reduces the account's position in its symbol
(:func:`~quantbot.risk.exposure.opening_qty` is the rest); a reduce-only order closes
entirely (the venue caps it). Closing orders are never blocked or shrunk by a breaker
or brake, whatever the strategy's breaker policy: a grid keeping its inventory during a
daily break may still sell it, and cutting a stop-loss would leave risk open. An order
that closes and then opens the other way is cut to its closing part. Cut quantities are
rounded down to the lot, since these checks may run after the lot-size rule.
"""

from __future__ import annotations

from quantbot.core import Clock, quantize_qty
from quantbot.risk.chain import (
    NOTHING_QTY,
    CheckAction,
    CheckDecision,
    OrderIntent,
    PreTradeState,
    amended,
)
from quantbot.risk.circuit_breaker import CircuitBreaker
from quantbot.risk.drawdown_brakes import DrawdownBrakes
from quantbot.risk.exposure import opening_qty
from quantbot.risk.operational_breakers import ApiErrorBreaker
from quantbot.risk.portfolio_rules import LeverageCapCheck
from quantbot.risk.risk_events import iso_ms

__all__ = [
    "CircuitBreakerCheck",
    "DrawdownBrakeCheck",
    "ExchangePauseCheck",
    "RecoveryResizeCheck",
]


class CircuitBreakerCheck:
    """Rule 5: while a circuit breaker is in force, only closing orders pass."""

    name = "circuit_breaker"

    def __init__(self, breaker: CircuitBreaker) -> None:
        self._breaker = breaker

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Approve when no breaker is in force; else pass only the closing part."""
        if not self._breaker.active:
            return CheckDecision(self.name, CheckAction.APPROVE, intent)
        why = f"{self._breaker.status} since {iso_ms(self._breaker.tripped_at_ms)}"
        return _closing_only(self.name, intent, state, why)


class RecoveryResizeCheck:
    """Rule 6: in recovery mode, the opening part of an order is cut, then the chain goes on."""

    name = "recovery_resize"

    def __init__(self, breaker: CircuitBreaker) -> None:
        self._breaker = breaker

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Scale the opening quantity by the recovery factor (approve outside recovery)."""
        why = (
            f"recovery mode until {iso_ms(self._breaker.recovery_until_ms)}: "
            f"reduce_position_sizes_by_pct {self._breaker.limits.reduce_position_sizes_by_pct:g}"
        )
        return _scale_opening(self.name, intent, state, self._breaker.recovery_size_factor, why)


class DrawdownBrakeCheck:
    """The drawdown brake level's order size factor, leverage factor and stop on opening.

    Args:
        brakes: the drawdown brakes.
        leverage_cap: the portfolio's leverage cap (``leverage_cap`` of the limits); a
            level's ``leverage_factor`` lowers it, so that an order may not take the
            portfolio's leverage past ``leverage_cap x leverage_factor``. None leaves
            leverage to the portfolio rules.
    """

    name = "drawdown_brake"

    def __init__(self, brakes: DrawdownBrakes, *, leverage_cap: float | None = None) -> None:
        self._brakes = brakes
        self._leverage_cap = leverage_cap

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Pass only closing orders at a stopping level; else scale, then cap leverage."""
        brake = self._brakes.current()
        why = f"drawdown brake level {self._brakes.level} ({brake.drawdown_pct:g} % from peak)"
        if brake.stop_opening:
            return _closing_only(self.name, intent, state, why)
        scaled = _scale_opening(self.name, intent, state, brake.order_size_factor, why)
        if (
            scaled.action is CheckAction.REJECT
            or self._leverage_cap is None
            or brake.leverage_factor >= 1.0
        ):
            return scaled
        braked = LeverageCapCheck(self._leverage_cap * brake.leverage_factor)
        verdict = braked.check(scaled.intent, state)
        if verdict.action is CheckAction.REJECT:
            return CheckDecision(
                self.name,
                CheckAction.REJECT,
                intent,
                f"{why}: leverage x {brake.leverage_factor:g}, {verdict.reason}",
            )
        return scaled


class ExchangePauseCheck:
    """No order of any kind goes to an exchange paused for API errors.

    One check per venue's chain. Closing orders are held too: the pause exists to stop
    calls to a failing exchange; the engine sends what a breaker still needs closed
    once the pause ends.

    Args:
        breaker: the API error breaker.
        exchange: the exchange this chain sends to.
        clock: the engine's clock; a pause ends at its time, between observations.
    """

    name = "exchange_pause"

    def __init__(self, breaker: ApiErrorBreaker, exchange: str, clock: Clock) -> None:
        self._breaker = breaker
        self._exchange = exchange
        self._clock = clock

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Reject every order while the exchange is paused."""
        until_ms = self._breaker.paused_until_ms(self._exchange, self._clock.now_ms())
        if until_ms is None:
            return CheckDecision(self.name, CheckAction.APPROVE, intent)
        return CheckDecision(
            self.name,
            CheckAction.REJECT,
            intent,
            f"exchange {self._exchange} paused for API errors until {iso_ms(until_ms)}",
        )


def _closing_only(name: str, intent: OrderIntent, state: PreTradeState, why: str) -> CheckDecision:
    opening = opening_qty(intent, state.position_qty(intent.symbol))
    if opening <= NOTHING_QTY:
        return CheckDecision(name, CheckAction.APPROVE, intent)
    qty = quantize_qty(intent.qty - opening, state.instrument(intent.symbol).lot_size)
    if qty <= NOTHING_QTY:
        return CheckDecision(
            name,
            CheckAction.REJECT,
            intent,
            f"{why}: only closing orders pass; {intent.side} {intent.qty:g} {intent.symbol} opens",
        )
    return amended(name, intent, f"{why}: qty cut to the closing {qty:g}", qty=qty)


def _scale_opening(
    name: str, intent: OrderIntent, state: PreTradeState, factor: float, why: str
) -> CheckDecision:
    if factor >= 1.0:
        return CheckDecision(name, CheckAction.APPROVE, intent)
    opening = opening_qty(intent, state.position_qty(intent.symbol))
    if opening <= NOTHING_QTY:
        return CheckDecision(name, CheckAction.APPROVE, intent)
    qty = quantize_qty(
        intent.qty - opening * (1.0 - factor), state.instrument(intent.symbol).lot_size
    )
    if qty <= NOTHING_QTY:
        return CheckDecision(
            name,
            CheckAction.REJECT,
            intent,
            f"{why}: qty {intent.qty:g} x {factor:g} rounds to 0",
        )
    return amended(name, intent, f"{why}: opening qty {opening:g} x {factor:g}", qty=qty)
