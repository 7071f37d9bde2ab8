"""Trading rules of the markets a backtest trades: Binance's real filters where known.

The simulated venue must be as strict as the exchange, so a backtest on BTC/USDT uses
Binance's tick size, lot size and minimum notional (the table the exchange emulator
serves); markets outside that table get rules derived from their price level.
"""

from __future__ import annotations

from quantbot.core import Instrument
from quantbot.venues.emulator.markets import market_spec

__all__ = ["instrument_for"]


def instrument_for(symbol: str, reference_price: float) -> Instrument:
    """The :class:`Instrument` of ``symbol`` with the venue's tick, lot and minimum notional.

    Args:
        symbol: ccxt symbol, spot or USD-M perpetual.
        reference_price: a typical price of the market (used only for markets whose
            rules are derived rather than known).
    """
    spec = market_spec(symbol, reference_price)
    return Instrument.from_symbol(
        symbol,
        tick_size=float(spec.tick_size),
        lot_size=float(spec.step_size),
        min_notional=float(spec.min_notional),
    )
