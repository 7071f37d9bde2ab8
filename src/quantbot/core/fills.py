"""The fill: one execution of (part of) an order, as the venue reported it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from quantbot.core.enums import LiquiditySide, Side
from quantbot.core.errors import InvalidValue
from quantbot.core.ids import ClientOrderId, StrategyId, TradeId, VenueOrderId

__all__ = ["Fill"]


@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class Fill:
    """One execution.

    Attributes:
        trade_id: The venue's execution id; a repeated trade id is the same fill.
        client_order_id: Our id of the order that filled.
        venue_order_id: The venue's id of that order, when the message carried it.
        strategy_id: The strategy that owns the order.
        symbol: ccxt unified symbol of the instrument.
        side: Buy or sell.
        qty: Executed quantity, ``> 0``, in the instrument's unit (base units for spot,
            contracts for perpetuals).
        price: Execution price in quote units per base unit, ``> 0``.
        fee: Fee charged, in ``fee_currency``; negative for a maker rebate.
        fee_currency: The asset the fee was charged in: usually the quote or the base
            asset, sometimes a third one (BNB on Binance).
        liquidity: Maker or taker.
        ts_ms: When the venue executed it, epoch milliseconds.

    Raises:
        InvalidValue: on a non-positive or non-finite quantity or price, a non-finite
            fee, an empty fee currency or a negative timestamp.
    """

    trade_id: TradeId
    client_order_id: ClientOrderId
    venue_order_id: VenueOrderId | None = None
    strategy_id: StrategyId
    symbol: str
    side: Side
    qty: float
    price: float
    fee: float
    fee_currency: str
    liquidity: LiquiditySide
    ts_ms: int

    def __init__(
        self,
        *,
        trade_id: TradeId,
        client_order_id: ClientOrderId,
        venue_order_id: VenueOrderId | None = None,
        strategy_id: StrategyId,
        symbol: str,
        side: Side,
        qty: float,
        price: float,
        fee: float,
        fee_currency: str,
        liquidity: LiquiditySide,
        ts_ms: int,
    ) -> None:
        # Written out: mypyc compiles it; a generated one would stay interpreted.
        object.__setattr__(self, "trade_id", trade_id)
        object.__setattr__(self, "client_order_id", client_order_id)
        object.__setattr__(self, "venue_order_id", venue_order_id)
        object.__setattr__(self, "strategy_id", strategy_id)
        object.__setattr__(self, "symbol", symbol)
        object.__setattr__(self, "side", side)
        object.__setattr__(self, "qty", qty)
        object.__setattr__(self, "price", price)
        object.__setattr__(self, "fee", fee)
        object.__setattr__(self, "fee_currency", fee_currency)
        object.__setattr__(self, "liquidity", liquidity)
        object.__setattr__(self, "ts_ms", ts_ms)
        self._validate()

    def _validate(self) -> None:
        where = f"fill {self.trade_id} of order {self.client_order_id}"
        if not (math.isfinite(self.qty) and self.qty > 0):
            raise InvalidValue(f"{where}: qty {self.qty}, must be > 0")
        if not (math.isfinite(self.price) and self.price > 0):
            raise InvalidValue(f"{where}: price {self.price}, must be > 0")
        if not math.isfinite(self.fee):
            raise InvalidValue(f"{where}: fee {self.fee}, must be finite")
        if not self.fee_currency:
            raise InvalidValue(f"{where}: fee_currency must not be empty")
        if self.ts_ms < 0:
            raise InvalidValue(f"{where}: ts_ms {self.ts_ms}, must be >= 0")

    @property
    def signed_qty(self) -> float:
        """The quantity with the side's sign: what this fill adds to a position."""
        # Not ``side.sign``: an enum's property is never compiled.
        return self.qty if self.side is Side.BUY else -self.qty
