"""The venue's own rules as pre-trade checks: tick and lot size, minimum notional, balance.

These are the refusals an exchange would answer with; checking them before sending
saves a round trip, and in a backtest they make the simulated venue as strict as the
real one. Messages name the rule and the values, e.g. ``min_notional 5 USDT not
reached: 0.0001 x 30000 = 3 USDT``. The margin of perpetual orders is checked by
:class:`~quantbot.risk.margin.MarginCheck`, which :func:`venue_rule_checks` includes.
"""

from __future__ import annotations

from quantbot.core import OrderType, Side, quantize_price, quantize_qty
from quantbot.risk.chain import (
    NOTHING_QTY,
    CheckAction,
    CheckDecision,
    OrderIntent,
    PreTradeState,
    amended,
)
from quantbot.risk.margin import MarginCheck

__all__ = ["BalanceCheck", "LotSizeCheck", "MinNotionalCheck", "TickSizeCheck", "venue_rule_checks"]


class TickSizeCheck:
    """Limit and stop prices on the tick grid, rounded so the order is never worse.

    Limit prices: buys down, sells up (never pay more or accept less than asked). Stop
    prices the other way: buy stops up, sell stops down (never trigger before the
    level asked).
    """

    name = "tick_size"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Amend prices that are off the grid."""
        if intent.price is None and intent.stop_price is None:
            return CheckDecision(self.name, CheckAction.APPROVE, intent)
        tick = state.instrument(intent.symbol).tick_size
        up = intent.side is Side.SELL
        price = None if intent.price is None else quantize_price(intent.price, tick, round_up=up)
        stop = (
            None
            if intent.stop_price is None
            else quantize_price(intent.stop_price, tick, round_up=not up)
        )
        return amended(
            self.name, intent, f"prices rounded to tick {tick}", price=price, stop_price=stop
        )


class LotSizeCheck:
    """Quantity on the lot grid (rounded down); nothing left after rounding is a rejection."""

    name = "lot_size"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Round the quantity down to the lot; reject when it becomes zero."""
        lot = state.instrument(intent.symbol).lot_size
        qty = quantize_qty(intent.qty, lot)
        if qty <= 0:
            return CheckDecision(
                self.name,
                CheckAction.REJECT,
                intent,
                f"lot_size {lot}: qty {intent.qty:g} rounds to 0",
            )
        if qty == intent.qty:
            return CheckDecision(self.name, CheckAction.APPROVE, intent)
        return amended(self.name, intent, f"qty rounded down to lot {lot}", qty=qty)


class MinNotionalCheck:
    """The order's value must reach the market's minimum notional."""

    name = "min_notional"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Reject orders worth less than the minimum (reduce-only orders are exempt, as on Binance futures)."""
        instrument = state.instrument(intent.symbol)
        price = intent.reference_price(state.last_price(intent.symbol))
        notional = intent.qty * price * instrument.contract_size
        if intent.reduce_only or notional >= instrument.min_notional:
            return CheckDecision(self.name, CheckAction.APPROVE, intent)
        return CheckDecision(
            self.name,
            CheckAction.REJECT,
            intent,
            f"min_notional {instrument.min_notional:g} {instrument.quote} not reached: "
            f"{intent.qty:g} x {price:g} = {notional:g} {instrument.quote}",
        )


class BalanceCheck:
    """Spot orders must be covered: buys by free quote (fees included), sells by free base.

    An order larger than the balance is cut down to what the balance covers (then
    re-rounded to the lot); nothing affordable is a rejection. Perpetuals are margin
    trades: the margin check covers them.
    """

    name = "balance"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Cut or reject spot orders the free balance cannot pay for."""
        instrument = state.instrument(intent.symbol)
        if instrument.is_perpetual:
            return CheckDecision(self.name, CheckAction.APPROVE, intent)
        if intent.side is Side.BUY:
            price = intent.reference_price(state.last_price(intent.symbol))
            if intent.order_type is OrderType.MARKET:
                # A market order may pay the taker fee on a slightly higher price.
                price *= 1.0 + 2 * state.taker_fee_rate()
            free = state.free_balance(instrument.quote)
            affordable = free / (price * (1.0 + state.taker_fee_rate()))
            asset, have = instrument.quote, free
        else:
            affordable = state.free_balance(instrument.base)
            asset, have = instrument.base, affordable
        if intent.qty <= affordable:
            return CheckDecision(self.name, CheckAction.APPROVE, intent)
        qty = quantize_qty(affordable, instrument.lot_size)
        if qty <= NOTHING_QTY:
            return CheckDecision(
                self.name,
                CheckAction.REJECT,
                intent,
                f"insufficient {asset}: free {have:g} does not cover {intent.side} {intent.qty:g} {intent.symbol}",
            )
        return amended(self.name, intent, f"qty cut to the free {asset} {have:g}", qty=qty)


def venue_rule_checks() -> list[
    TickSizeCheck | LotSizeCheck | BalanceCheck | MarginCheck | MinNotionalCheck
]:
    """The venue rules in the order they run: prices, quantity, balance, margin, notional.

    Balance (spot) and margin (perpetuals) may cut the quantity, so the minimum
    notional is checked after them, on what is left.
    """
    return [TickSizeCheck(), LotSizeCheck(), BalanceCheck(), MarginCheck(), MinNotionalCheck()]
