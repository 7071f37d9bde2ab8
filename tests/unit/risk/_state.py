"""A pre-trade state held in plain dictionaries, and intents to check against it."""

from __future__ import annotations

from dataclasses import dataclass, field

from quantbot.core import Instrument, OrderType, Side, StrategyId, TimeInForce
from quantbot.risk import OrderIntent

from factories import SYMBOL, make_instrument

PERP = "BTC/USDT:USDT"


@dataclass
class State:
    """What the checks read: instruments, last prices, free balances, positions, fee, margin."""

    instruments: dict[str, Instrument] = field(
        default_factory=lambda: {
            SYMBOL: make_instrument(SYMBOL, tick_size=0.01, lot_size=0.001, min_notional=5.0),
            PERP: make_instrument(PERP, tick_size=0.1, lot_size=0.001, min_notional=5.0),
        }
    )
    prices: dict[str, float] = field(default_factory=lambda: {SYMBOL: 100.0, PERP: 100.0})
    balances: dict[str, float] = field(default_factory=lambda: {"USDT": 10_000.0, "BTC": 1.0})
    positions: dict[str, float] = field(default_factory=dict)
    fee_rate: float = 0.001
    leverages: dict[str, float] = field(default_factory=dict)
    margins: dict[str, float] = field(default_factory=lambda: {"USDT": 10_000.0})

    def instrument(self, symbol: str) -> Instrument:
        return self.instruments[symbol]

    def last_price(self, symbol: str) -> float:
        return self.prices[symbol]

    def free_balance(self, asset: str) -> float:
        return self.balances.get(asset, 0.0)

    def position_qty(self, symbol: str) -> float:
        return self.positions.get(symbol, 0.0)

    def taker_fee_rate(self) -> float:
        return self.fee_rate

    def leverage(self, symbol: str) -> float:
        return self.leverages.get(symbol, 1.0)

    def available_margin(self, asset: str) -> float:
        return self.margins.get(asset, 0.0)


def intent(
    side: Side = Side.BUY,
    qty: float = 1.0,
    order_type: OrderType = OrderType.MARKET,
    *,
    price: float | None = None,
    stop_price: float | None = None,
    symbol: str = SYMBOL,
    reduce_only: bool = False,
    tif: TimeInForce = TimeInForce.GTC,
) -> OrderIntent:
    return OrderIntent(
        StrategyId("s"),
        symbol,
        side,
        qty,
        order_type,
        price,
        stop_price,
        tif,
        reduce_only,
    )
