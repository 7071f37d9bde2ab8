"""The pre-trade check chain: every order passes it before it reaches a venue, in every mode.

An order starts as an :class:`OrderIntent` (what a strategy asked for). The chain runs
its checks in order; each one approves it, amends it (a smaller quantity, a price on
the tick grid) or rejects it with a reason naming the rule and the values. The first
rejection stops the chain. Venue rules (tick and lot size, balance and margin, minimum
notional) come first; the portfolio rules of the risk manager are appended to the same
chain.

Denials are values (:class:`CheckDecision`), never exceptions: a refused order is a
normal outcome that the engine records and the strategy sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from quantbot.core import Instrument, OrderType, Side, StrategyId, TimeInForce

__all__ = [
    "NOTHING_QTY",
    "ChainOutcome",
    "CheckAction",
    "CheckChain",
    "CheckDecision",
    "OrderIntent",
    "PreTradeCheck",
    "PreTradeState",
    "amended",
]

NOTHING_QTY = 1e-12
"""A quantity this small (below any market's lot) is nothing: an order for it is refused."""


@dataclass(frozen=True, slots=True, init=False)
class OrderIntent:
    """An order a strategy asked for, before any check has passed it."""

    strategy_id: StrategyId
    symbol: str
    side: Side
    qty: float
    order_type: OrderType = OrderType.MARKET
    price: float | None = None
    stop_price: float | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    tag: str = ""
    stop_loss: float | None = None
    """The price at which the strategy will exit with a loss, declaring the trade's risk
    (``|entry - stop_loss| x qty``); None = undeclared."""

    def __init__(  # noqa: PLR0917 - the fields, positional as a dataclass's are
        self,
        strategy_id: StrategyId,
        symbol: str,
        side: Side,
        qty: float,
        order_type: OrderType = OrderType.MARKET,
        price: float | None = None,
        stop_price: float | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
        tag: str = "",
        stop_loss: float | None = None,
    ) -> None:
        # Written out: mypyc compiles it; a generated one would stay interpreted.
        object.__setattr__(self, "strategy_id", strategy_id)
        object.__setattr__(self, "symbol", symbol)
        object.__setattr__(self, "side", side)
        object.__setattr__(self, "qty", qty)
        object.__setattr__(self, "order_type", order_type)
        object.__setattr__(self, "price", price)
        object.__setattr__(self, "stop_price", stop_price)
        object.__setattr__(self, "time_in_force", time_in_force)
        object.__setattr__(self, "reduce_only", reduce_only)
        object.__setattr__(self, "tag", tag)
        object.__setattr__(self, "stop_loss", stop_loss)

    def reference_price(self, last_price: float) -> float:
        """The price the order would trade at: its limit, else its stop, else the last price."""
        return self.price if self.price is not None else self.stop_price or last_price


class CheckAction(StrEnum):
    """What one check decided."""

    APPROVE = "approve"
    AMEND = "amend"
    REJECT = "reject"


@dataclass(frozen=True, slots=True, init=False)
class CheckDecision:
    """One check's verdict; ``intent`` is the (possibly amended) order to pass on."""

    check: str
    action: CheckAction
    intent: OrderIntent
    reason: str = ""

    def __init__(
        self, check: str, action: CheckAction, intent: OrderIntent, reason: str = ""
    ) -> None:
        # Written out: mypyc compiles it; a generated one would stay interpreted.
        object.__setattr__(self, "check", check)
        object.__setattr__(self, "action", action)
        object.__setattr__(self, "intent", intent)
        object.__setattr__(self, "reason", reason)


class PreTradeState(Protocol):
    """What checks may read: rules, prices, balances, margin, positions, open-order commitments."""

    def instrument(self, symbol: str) -> Instrument:
        """Trading rules of ``symbol``."""
        ...

    def last_price(self, symbol: str) -> float:
        """Latest close of ``symbol``."""
        ...

    def free_balance(self, asset: str) -> float:
        """Balance of ``asset`` not committed to open orders."""
        ...

    def position_qty(self, symbol: str) -> float:
        """Account position in ``symbol`` (signed), as the venue holds it."""
        ...

    def taker_fee_rate(self) -> float:
        """Taker fee as a fraction (0.001 = 0.1 %), to reserve for fees."""
        ...

    def leverage(self, symbol: str) -> float:
        """Leverage of a perpetual: its initial margin is notional / leverage."""
        ...

    def available_margin(self, asset: str) -> float:
        """Margin in ``asset`` free for new perpetual orders.

        The wallet minus what open orders and positions commit, plus, when margined
        cross, the unrealised PnL of every position at the mark.
        """
        ...


class PreTradeCheck(Protocol):
    """One rule of the chain."""

    name: str

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Approve, amend or reject ``intent``."""
        ...


@dataclass(frozen=True, slots=True, init=False)
class ChainOutcome:
    """The chain's result: the order to send (None if rejected) and every check's verdict."""

    intent: OrderIntent | None
    decisions: tuple[CheckDecision, ...]

    def __init__(self, intent: OrderIntent | None, decisions: tuple[CheckDecision, ...]) -> None:
        # Written out: mypyc compiles it; a generated one would stay interpreted.
        object.__setattr__(self, "intent", intent)
        object.__setattr__(self, "decisions", decisions)

    @property
    def rejection(self) -> CheckDecision | None:
        """The decision that rejected the order, if one did."""
        last = self.decisions[-1] if self.decisions else None
        return last if last is not None and last.action is CheckAction.REJECT else None


class CheckChain:
    """An ordered list of checks run on every order."""

    def __init__(self, checks: Sequence[PreTradeCheck]) -> None:
        self._checks = tuple(checks)

    @property
    def checks(self) -> tuple[PreTradeCheck, ...]:
        """The checks, in the order they run."""
        return self._checks

    def then(self, *checks: PreTradeCheck) -> CheckChain:
        """A chain running these checks after the current ones."""
        return CheckChain((*self._checks, *checks))

    def run(self, intent: OrderIntent, state: PreTradeState) -> ChainOutcome:
        """Pass ``intent`` through every check; stop at the first rejection."""
        decisions = []
        for rule in self._checks:
            decision = rule.check(intent, state)
            decisions.append(decision)
            if decision.action is CheckAction.REJECT:
                return ChainOutcome(None, tuple(decisions))
            intent = decision.intent
        return ChainOutcome(intent, tuple(decisions))


def amended(check: str, intent: OrderIntent, reason: str, **changes: object) -> CheckDecision:
    """An AMEND decision with ``changes`` applied, or APPROVE when nothing changes."""
    for name, value in changes.items():
        if getattr(intent, name) != value:
            return CheckDecision(check, CheckAction.AMEND, replace(intent, **changes), reason)  # type: ignore[arg-type]
    return CheckDecision(check, CheckAction.APPROVE, intent)
