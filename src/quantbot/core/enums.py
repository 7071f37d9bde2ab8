"""Closed vocabularies of trading: side, order type, time in force, liquidity, kind.

Each is a :class:`~enum.StrEnum` with lower-case values, so a member compares equal to
its value, serialises to JSON and the database as plain text, and reads naturally in
logs (``side=buy``).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["InstrumentKind", "LiquiditySide", "OrderType", "Side", "TimeInForce"]


class Side(StrEnum):
    """The direction of an order or a fill."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """``+1`` for a buy, ``-1`` for a sell: the sign a fill adds to a position."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        """The side that closes a position opened by this one."""
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    """How an order is priced.

    A stop order becomes a market order when the stop price trades; a stop-limit order
    becomes a limit order at ``price`` when ``stop_price`` trades.
    """

    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(StrEnum):
    """How long an order may rest on the book.

    ``POST_ONLY`` is a limit order that must rest (be a maker); the venue rejects or
    expires it rather than let it take liquidity.
    """

    GTC = "gtc"
    """Good till canceled."""
    IOC = "ioc"
    """Immediate or cancel: fill what crosses now, cancel the rest."""
    FOK = "fok"
    """Fill or kill: fill all of it now or none of it."""
    POST_ONLY = "post_only"


class LiquiditySide(StrEnum):
    """Whether a fill added liquidity to the book (maker) or removed it (taker).

    Venues charge the two at different fee rates, so every fill records which it was.
    """

    MAKER = "maker"
    TAKER = "taker"


class RunMode(StrEnum):
    """What a run trades with: simulated history, live data on paper, or real money.

    Backtests, paper and live trading share the database's audit tables; every row
    there says which mode wrote it.
    """

    BACKTEST = "backtest"
    PAPER = "paper"
    LIVE = "live"


class InstrumentKind(StrEnum):
    """What kind of market an instrument trades."""

    SPOT = "spot"
    """Base and quote assets change hands."""
    PERPETUAL = "perpetual"
    """A linear perpetual swap: no expiry, margined and settled in the quote currency,
    with periodic funding payments between longs and shorts."""
