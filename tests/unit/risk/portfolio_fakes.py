"""A portfolio held in plain dictionaries, as the portfolio rules read it, and orders for it.

:class:`Portfolio` is a :class:`~quantbot.risk.PortfolioState` with a tiny account
model, enough for the property tests to apply the orders the rules approve: a
stablecoin wallet, spot holdings, perpetual positions marked to market into the wallet
(so equity is the wallet plus the spot holdings at the last price), resting orders
that reserve cash and count as pending quantity.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from quantbot.core import Instrument, OrderType, Side
from quantbot.risk import OrderIntent, opening_qty, symbol_exposure_usd

from ._state import State, intent

BTC = "BTC/USDT"
ETH = "ETH/USDT"
SOL = "SOL/USDT"
BTC_PERP = "BTC/USDT:USDT"
DOGE_PERP = "DOGE/USDT:USDT"


def _instruments() -> dict[str, Instrument]:
    return {
        BTC: Instrument.from_symbol(BTC),
        ETH: Instrument.from_symbol(ETH),
        SOL: Instrument.from_symbol(SOL),
        BTC_PERP: Instrument.from_symbol(BTC_PERP, contract_size=0.01),
        DOGE_PERP: Instrument.from_symbol(DOGE_PERP, contract_size=10.0),
    }


@dataclass
class Resting:
    """A working order and the cash it reserved."""

    intent: OrderIntent
    reserved_usd: float


@dataclass
class Portfolio(State):
    """A :class:`~quantbot.risk.PortfolioState`; every price 100 and no fee unless set."""

    instruments: dict[str, Instrument] = field(default_factory=_instruments)
    prices: dict[str, float] = field(default_factory=lambda: dict.fromkeys(_instruments(), 100.0))
    fee_rate: float = 0.0
    cash_usd: float = 10_000.0
    resting: list[Resting] = field(default_factory=list)
    exchanges: dict[str, str] = field(default_factory=dict)
    rolling_groups: list[frozenset[str]] = field(default_factory=list)

    # -- PortfolioState ------------------------------------------------------------------

    def equity_usd(self) -> float:
        return self.cash_usd + sum(
            qty * self.prices[symbol]
            for symbol, qty in self.positions.items()
            if not self.instruments[symbol].is_perpetual
        )

    def stable_cash_usd(self) -> float:
        margin = sum(
            abs(qty) * self._value(symbol) / self.leverage(symbol)
            for symbol, qty in self.positions.items()
            if self.instruments[symbol].is_perpetual
        )
        return self.cash_usd - margin - sum(order.reserved_usd for order in self.resting)

    def symbols_with_exposure(self) -> list[str]:
        held = [symbol for symbol, qty in self.positions.items() if qty != 0.0]
        return held + [order.intent.symbol for order in self.resting]

    def pending_qty(self, symbol: str, side: Side) -> float:
        return sum(
            order.intent.qty
            for order in self.resting
            if order.intent.symbol == symbol and order.intent.side is side
        )

    def exchange_of(self, symbol: str) -> str:
        return self.exchanges.get(symbol, "binance")

    def exposure_usd(self, symbol: str, order: OrderIntent | None = None) -> float:
        return symbol_exposure_usd(self, symbol, order)

    def rolling_correlation_groups(self) -> list[frozenset[str]]:
        return self.rolling_groups

    # -- the account moving --------------------------------------------------------------

    def fill(self, order: OrderIntent, price: float) -> None:
        """Book ``order`` filled at ``price``: spot swaps cash, perpetuals mark to the last price.

        A reduce-only order fills no more than the position it reduces, as on a venue.
        """
        position = self.positions.get(order.symbol, 0.0)
        qty = order.qty
        if order.reduce_only:
            qty = min(qty, max(-position, 0.0) if order.side is Side.BUY else max(position, 0.0))
        signed = qty if order.side is Side.BUY else -qty
        instrument = self.instruments[order.symbol]
        notional = qty * instrument.contract_size * price
        if instrument.is_perpetual:
            self.cash_usd += signed * instrument.contract_size * (self.prices[order.symbol] - price)
        else:
            self.cash_usd -= signed * price
        self.cash_usd -= notional * self.fee_rate
        self.positions[order.symbol] = position + signed

    def rest(self, order: OrderIntent) -> None:
        """Keep ``order`` working; reserve what its opening part costs, as the rules count it."""
        instrument = self.instruments[order.symbol]
        price = order.reference_price(self.prices[order.symbol])
        if instrument.is_perpetual:
            per_unit = (
                price * instrument.contract_size * (1 / self.leverage(order.symbol) + self.fee_rate)
            )
        elif order.side is Side.BUY:
            per_unit = price * (1 + self.fee_rate)
        else:
            per_unit = 0.0
        opening = opening_qty(order, self.positions.get(order.symbol, 0.0))
        self.resting.append(Resting(order, opening * per_unit))

    def fill_resting(self, index: int) -> None:
        """Fill the ``index``-th working order at its own price."""
        order = self.resting.pop(index).intent
        self.fill(order, order.reference_price(self.prices[order.symbol]))

    def move(self, symbol: str, price: float) -> None:
        """A new last price for ``symbol``; perpetual positions settle the change."""
        instrument = self.instruments[symbol]
        if instrument.is_perpetual:
            change = price - self.prices[symbol]
            self.cash_usd += self.positions.get(symbol, 0.0) * instrument.contract_size * change
        self.prices[symbol] = price

    def _value(self, symbol: str) -> float:
        return self.instruments[symbol].contract_size * self.prices[symbol]


def order(
    symbol: str = BTC,
    side: Side = Side.BUY,
    qty: float = 1.0,
    *,
    price: float | None = None,
    stop_loss: float | None = None,
    reduce_only: bool = False,
) -> OrderIntent:
    """A market order, or a limit order at ``price``; ``stop_loss`` declares its risk."""
    kind = OrderType.MARKET if price is None else OrderType.LIMIT
    built = intent(side, qty, kind, price=price, symbol=symbol, reduce_only=reduce_only)
    return replace(built, stop_loss=stop_loss)
