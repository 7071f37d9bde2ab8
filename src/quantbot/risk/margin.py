"""The margin check: a perpetual order must be covered by the margin available for it.

Opening or increasing a perpetual position commits initial margin, the notional
divided by the leverage, plus the taker fee on the notional. The available margin
(:meth:`~quantbot.risk.chain.PreTradeState.available_margin`) is the wallet minus
what positions and open orders commit, plus the unrealised PnL when margined cross
(REQUIREMENTS.md §7: ``available = wallet - sum(entry * |qty| / lev) + uPnL``).

What only reduces a position needs no margin: reduce-only orders, and the part of an
order against the position that does not exceed it. An order larger than the margin
covers is cut down to what it covers (re-rounded to the lot); nothing affordable is a
rejection naming the values, e.g. ``margin: initial margin 612 USDT (0.1 x 61200 at
leverage 10, fee included) exceeds the available 500 USDT``.
"""

from __future__ import annotations

from quantbot.core import OrderType, Side, quantize_qty
from quantbot.risk.chain import (
    NOTHING_QTY,
    CheckAction,
    CheckDecision,
    OrderIntent,
    PreTradeState,
    amended,
)

__all__ = ["MarginCheck"]


class MarginCheck:
    """Perpetual orders must be covered by the available margin (spot orders pass)."""

    name = "margin"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Approve, cut or reject a perpetual order by the margin it needs."""
        instrument = state.instrument(intent.symbol)
        if not instrument.is_perpetual or intent.reduce_only:
            return CheckDecision(self.name, CheckAction.APPROVE, intent)
        position = state.position_qty(intent.symbol)
        reducible = max(-position, 0.0) if intent.side is Side.BUY else max(position, 0.0)
        opening = intent.qty - reducible
        if opening <= 0.0:
            return CheckDecision(self.name, CheckAction.APPROVE, intent)
        fee_rate = state.taker_fee_rate()
        price = intent.reference_price(state.last_price(intent.symbol))
        if intent.order_type is OrderType.MARKET:
            # A market order may fill at a slightly worse price than the last close.
            price *= 1.0 + 2 * fee_rate
        leverage = state.leverage(intent.symbol)
        per_unit = price * instrument.contract_size * (1.0 / leverage + fee_rate)
        settle = instrument.settle or instrument.quote
        available = state.available_margin(settle)
        need = opening * per_unit
        if need <= available:
            return CheckDecision(self.name, CheckAction.APPROVE, intent)
        qty = quantize_qty(reducible + max(available, 0.0) / per_unit, instrument.lot_size)
        if qty <= NOTHING_QTY:
            return CheckDecision(
                self.name,
                CheckAction.REJECT,
                intent,
                f"margin: initial margin {need:g} {settle} ({opening:g} x {price:g} at "
                f"leverage {leverage:g}, fee included) exceeds the available {available:g} "
                f"{settle}",
            )
        return amended(
            self.name,
            intent,
            f"qty cut to what the available margin {available:g} {settle} covers at "
            f"leverage {leverage:g}",
            qty=qty,
        )
