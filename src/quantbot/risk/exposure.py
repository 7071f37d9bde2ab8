"""Exposure: what the portfolio rules read of the account, and what an order changes.

The exposure of a symbol is the absolute notional of its position at the last price,
``|qty| x contract size x last price``, in the quote currency (a USD stablecoin, so
USD), perpetuals included. Working orders count as if they filled on their worse side,
``max(|position + buys|, |position - sells|)``: the exposure is convex in the fills,
so no mix of fills can exceed that, and an order accepted now cannot carry exposure
past a limit later, when the orders resting beside it fill.

Exposures add up gross: a spot long and a perpetual short of the same asset both
count, nothing is netted across symbols. That overstates hedged books (funding
arbitrage uses twice its net exposure) and never understates a directional one.

An order counts by the part that opens or increases a position
(:func:`opening_qty`); reduce-only orders and orders that only reduce the position
(closing orders) open nothing, and the portfolio rules never block them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, cast

from quantbot.core import Side
from quantbot.risk.chain import OrderIntent, PreTradeState

__all__ = [
    "ExposureChange",
    "PortfolioState",
    "as_portfolio_state",
    "exposure_change",
    "opening_qty",
    "symbol_exposure_usd",
    "worst_case_qty",
]


class PortfolioState(PreTradeState, Protocol):
    """What the portfolio rules read besides the venue checks' state.

    One state spans every account the risk manager oversees; a symbol names one market
    in it. All amounts are in the quote currency, a USD stablecoin.
    """

    def equity_usd(self) -> float:
        """Account equity, all accounts together.

        Stablecoin balances, plus spot holdings at the last price, plus the unrealised
        PnL of perpetual positions.
        """
        ...

    def stable_cash_usd(self) -> float:
        """Stablecoin cash free to spend.

        The balance not committed to working orders or as position margin (each
        stablecoin's :meth:`free_balance`), summed over stablecoins and accounts.
        """
        ...

    def symbols_with_exposure(self) -> Iterable[str]:
        """Every symbol with a non-zero position or a working order that is not reduce-only."""
        ...

    def pending_qty(self, symbol: str, side: Side) -> float:
        """What the working orders in ``symbol`` on ``side`` may still fill.

        Their unfilled quantity, >= 0, in order units (base units for spot, contracts
        for perpetuals); reduce-only orders excluded.
        """
        ...

    def exchange_of(self, symbol: str) -> str:
        """The exchange whose account trades ``symbol``, e.g. ``binance``."""
        ...

    def exposure_usd(self, symbol: str, order: OrderIntent | None = None) -> float:
        """:func:`symbol_exposure_usd` of ``symbol``, after ``order`` filled if given.

        Five rules read the same exposures of one order; nothing changes while the
        chain checks it, so a state may remember them until the next order.
        """
        ...

    def rolling_correlation_groups(self) -> Iterable[frozenset[str]]:
        """Groups of base assets whose returns correlate, from the rolling correlation.

        What :func:`~quantbot.risk.correlation.correlated_groups` last returned; empty
        until it first ran. The configured groups need not be included.
        """
        ...


def as_portfolio_state(state: PreTradeState) -> PortfolioState:
    """``state`` as the :class:`PortfolioState` the portfolio rules need.

    Every check of a chain receives the chain's :class:`PreTradeState`; a chain holding
    portfolio rules must be run with a :class:`PortfolioState`. The narrowing is not
    verified (a runtime protocol check costs microseconds on every order): a state
    lacking a method fails with ``AttributeError`` on the first order, at the method.
    """
    return cast(PortfolioState, state)


def opening_qty(intent: OrderIntent, position_qty: float) -> float:
    """The part of ``intent`` that opens or increases a position, in order units.

    Args:
        intent: the order.
        position_qty: the signed position in the order's symbol.

    Returns:
        0 for reduce-only orders and for orders no larger than the position they work
        against (closing orders); for larger ones, what is left after closing it.
    """
    if intent.reduce_only:
        return 0.0
    reducible = max(-position_qty, 0.0) if intent.side is Side.BUY else max(position_qty, 0.0)
    return max(intent.qty - reducible, 0.0)


def worst_case_qty(position_qty: float, pending_buy_qty: float, pending_sell_qty: float) -> float:
    """The largest absolute position any mix of fills of the working orders can leave.

    ``|position + x|`` is convex in the filled quantity ``x``, which ranges from
    ``-pending_sell_qty`` to ``pending_buy_qty``: its maximum is at one of the two ends.
    """
    return max(abs(position_qty + pending_buy_qty), abs(position_qty - pending_sell_qty))


def symbol_exposure_usd(
    state: PortfolioState, symbol: str, order: OrderIntent | None = None
) -> float:
    """The worst-case exposure of ``symbol``, after ``order`` (of that symbol) filled if given.

    An order against the position lowers it: a sell of half a long halves its exposure,
    unless working buys dominate the worst case.
    """
    position = state.position_qty(symbol)
    if order is not None:
        position += order.qty if order.side is Side.BUY else -order.qty
    qty = worst_case_qty(
        position, state.pending_qty(symbol, Side.BUY), state.pending_qty(symbol, Side.SELL)
    )
    return qty * state.instrument(symbol).contract_size * state.last_price(symbol)


@dataclass(frozen=True, slots=True)
class ExposureChange:
    """Gross exposure of a set of symbols before and after an order, in USD."""

    before_usd: float
    after_usd: float

    @property
    def added_usd(self) -> float:
        """What the order adds (negative when it lowers the exposure)."""
        return self.after_usd - self.before_usd


def exposure_change(
    intent: OrderIntent, state: PortfolioState, symbols: Iterable[str]
) -> ExposureChange:
    """Gross exposure of ``symbols`` and the order's own symbol, before and after it fills.

    Symbols are summed in sorted order, so the same state gives the same float sum in
    every run (set order changes with the hash seed).
    """
    own = intent.symbol
    rest = sum(state.exposure_usd(symbol) for symbol in sorted(set(symbols) - {own}))
    return ExposureChange(rest + state.exposure_usd(own), rest + state.exposure_usd(own, intent))
