"""One funding-arbitrage position (long spot + short perpetual) from its entry to flat, and its P&L.

:class:`ArbPosition` is what the strategy keeps of a position: its legs, state, why it
ended, and its P&L split into the parts the strategy can know exactly from its own
book (:meth:`ArbPosition.book`):

- **funding** collected on the short perpetual (the engine books each settlement into
  the strategy's position; negative when the short paid);
- **fees** of both legs (the clearance fee of a liquidation included);
- **price P&L** of both legs at their fill prices (realised, plus unrealised at the
  latest closes while open). For a hedged position it is the *basis P&L*: spot and
  perpetual move together, what is left is the change of their spread, plus the
  slippage every fill paid.

Slippage is not visible to a strategy (a fill carries its price, not the undisturbed
one), so :func:`attribution` takes it from a run's fills (the ``slippage`` column of
``BacktestResult.fills``, matched on the position's order ids) and reports the basis
P&L before slippage: ``net = funding - fees - slippage + basis_pnl``.

:class:`FundingArbDecision` is one row of the strategy's audit trail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

from quantbot.core import ClientOrderId, Order
from quantbot.strategies.base import StrategyContext

__all__ = [
    "ATTRIBUTION_COLUMNS",
    "ArbAction",
    "ArbExit",
    "ArbPosition",
    "ArbState",
    "FundingArbDecision",
    "attribution",
]

ATTRIBUTION_COLUMNS = (
    "spot",
    "perp",
    "opened_ms",
    "closed_ms",
    "qty",
    "exit_reason",
    "funding",
    "fees",
    "slippage",
    "basis_pnl",
    "net_pnl",
)
"""Columns of :func:`attribution`, one row per position, money in the quote currency.

``opened_ms`` is the close of the candle the entry was decided on, ``closed_ms`` that of
the bar both legs were flat again (None while open); ``qty`` the base amount each leg
held at most; ``net_pnl = funding - fees - slippage + basis_pnl``."""


class ArbState(StrEnum):
    """Where a position is in its life."""

    OPENING = "opening"
    """Both entry orders sent; waiting for their fills."""
    OPEN = "open"
    """Both legs held; the hedge is trimmed when the legs drift apart."""
    CLOSING = "closing"
    """Unwinding: reduce-only orders flatten both legs."""
    CLOSED = "closed"
    """Both legs flat."""


class ArbExit(StrEnum):
    """Why a position was unwound."""

    FUNDING = "funding_below_exit"
    """The estimated funding rate fell below ``exit_funding_rate``."""
    BASIS = "basis_divergence"
    """The perpetual's price left spot by more than ``max_basis_divergence_pct``."""
    LEG_FAILED = "leg_failed"
    """One leg ended up flat (not filled, or liquidated): the other was unwound."""
    NOT_FILLED = "not_filled"
    """Neither entry order filled."""


class ArbAction(StrEnum):
    """What a decision did."""

    ENTER = "enter"
    EXIT = "exit"
    REBALANCE = "rebalance"
    HELD = "held"
    """A standing entry signal not taken (position cap, size); recorded on the first
    candle of each unbroken run of candles held back for the same cause."""
    REFUSED = "refused"
    """The pre-trade checks refused an order."""


@dataclass(frozen=True, slots=True)
class FundingArbDecision:
    """One decision of the strategy.

    Attributes:
        ts_ms: engine time of the decision (a bar close).
        pair: the spot symbol of the pair.
        action: what it did.
        reason: why, in words with the numbers (e.g. the estimate and the threshold).
    """

    ts_ms: int
    pair: str
    action: ArbAction
    reason: str


@dataclass(frozen=True, slots=True)
class _Baseline:
    """The legs' running totals when the position was decided: its P&L starts from them."""

    realized: float
    fees: float
    funding: float


@dataclass(slots=True, eq=False)
class ArbPosition:
    """One position: long ``qty`` of ``spot``, short as much base of ``perp``.

    Attributes:
        spot, perp: the legs' symbols.
        decided_ms: close of the candle the entry was decided on.
        qty: base amount each leg was ordered.
        entry_funding_rate_pct, entry_basis_pct: the signal at the entry decision.
        entry_orders: the two entry orders (spot buy, perpetual sell).
        order_ids: every order sent for the position, in order.
        state: where it is in its life.
        exit_reason: why it was unwound; None while it is not.
        pending_exit: an exit decided while the entry was still filling.
        closed_ms: the bar close at which both legs were flat again.
        rebalances: hedge trims sent.
        held_qty: the largest base amount a leg has held.
        funding, fees, price_pnl: the P&L parts (module docstring), quote currency,
            as of the last :meth:`book`.
    """

    spot: str
    perp: str
    decided_ms: int
    qty: float
    entry_funding_rate_pct: float
    entry_basis_pct: float
    entry_orders: tuple[Order, Order]
    baseline: _Baseline
    order_ids: list[ClientOrderId] = field(default_factory=list)
    state: ArbState = ArbState.OPENING
    exit_reason: ArbExit | None = None
    pending_exit: ArbExit | None = None
    closed_ms: int | None = None
    rebalances: int = 0
    held_qty: float = 0.0
    funding: float = 0.0
    fees: float = 0.0
    price_pnl: float = 0.0

    @classmethod
    def start(
        cls,
        ctx: StrategyContext,
        entry_orders: tuple[Order, Order],
        *,
        funding_rate_pct: float,
        basis_pct: float,
    ) -> ArbPosition:
        """A position just sent to the venue, its P&L counted from the legs' totals now."""
        spot_order, perp_order = entry_orders
        legs = [ctx.position(spot_order.symbol), ctx.position(perp_order.symbol)]
        return cls(
            spot=spot_order.symbol,
            perp=perp_order.symbol,
            decided_ms=ctx.now_ms,
            qty=spot_order.qty,
            entry_funding_rate_pct=funding_rate_pct,
            entry_basis_pct=basis_pct,
            entry_orders=entry_orders,
            baseline=_Baseline(
                realized=sum(p.realized_pnl for p in legs),
                fees=sum(p.fees_paid for p in legs),
                funding=sum(p.funding_net for p in legs),
            ),
            order_ids=[o.client_order_id for o in entry_orders],
        )

    @property
    def is_active(self) -> bool:
        """Not closed yet: it holds, or may still hold, capital."""
        return self.state is not ArbState.CLOSED

    def legs(self, ctx: StrategyContext) -> tuple[float, float]:
        """Base amounts held now: (spot long, perpetual short), both >= 0 when hedged."""
        short = ctx.position(self.perp)
        return ctx.position(self.spot).qty, -short.qty * short.instrument.contract_size

    def book(self, ctx: StrategyContext) -> None:
        """Bring funding, fees and price P&L up to date from the strategy's positions."""
        legs = [ctx.position(self.spot), ctx.position(self.perp)]
        self.funding = sum(p.funding_net for p in legs) - self.baseline.funding
        self.fees = sum(p.fees_paid for p in legs) - self.baseline.fees
        unrealized = sum(
            p.qty * p.instrument.contract_size * (ctx.last_price(p.symbol) - p.avg_entry_price)
            for p in legs
            if not p.is_flat
        )
        realized = sum(p.realized_pnl for p in legs) - self.baseline.realized
        self.price_pnl = realized + unrealized
        self.held_qty = max(self.held_qty, *self.legs(ctx))


def attribution(positions: Sequence[ArbPosition], fills: pd.DataFrame) -> pd.DataFrame:
    """Each position's P&L: funding, fees, slippage and basis P&L (:data:`ATTRIBUTION_COLUMNS`).

    Args:
        positions: the strategy's positions (``FundingArb.positions``), booked.
        fills: the run's fills with ``client_order_id`` and ``slippage`` columns
            (``BacktestResult.fills``); fills of other strategies are ignored.
    """
    slippage = (
        fills.groupby("client_order_id")["slippage"].sum() if len(fills) else pd.Series(dtype=float)
    )
    rows = []
    for position in positions:
        paid = float(slippage.reindex(position.order_ids).fillna(0.0).sum())
        rows.append(
            (
                position.spot,
                position.perp,
                position.decided_ms,
                position.closed_ms,
                position.held_qty,
                None if position.exit_reason is None else str(position.exit_reason),
                position.funding,
                position.fees,
                paid,
                position.price_pnl + paid,
                position.funding - position.fees + position.price_pnl,
            )
        )
    return pd.DataFrame(rows, columns=list(ATTRIBUTION_COLUMNS))
