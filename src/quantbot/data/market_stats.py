"""What the universe filters measure about one exchange market, and how it is measured.

:class:`MarketStats` holds, per ccxt symbol, the exchange's view (quote currency,
24h volume in USD, best bid and ask), the daily candles' view (:class:`DailyStats`:
history length and volatility) and the market-cap provider's view of the base
asset (:class:`~quantbot.data.market_caps.AssetInfo`). Gathering is staged to save
requests, so the last two may be None, meaning *not measured*; a value the source
did not know is None one level down (``AssetInfo.market_cap_usd``,
``DailyStats.volatility_pct``).

The functions here are the measurements themselves, pure and unit-tested: USD
conversion of a quote-currency volume, spread in percent of the mid price, and daily
volatility from closed candles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from quantbot.data.errors import DataFormatError
from quantbot.data.market_caps import AssetInfo
from quantbot.data.ohlcv import OhlcvArrays

__all__ = [
    "DAY_MS",
    "USD_PEGGED",
    "DailyStats",
    "MarketStats",
    "daily_stats",
    "spread_pct",
    "usd_value",
]

DAY_MS = 86_400_000
"""One daily candle, in milliseconds."""

USD_PEGGED = frozenset({"USD", "USDT", "USDC", "FDUSD", "TUSD", "DAI", "BUSD"})
"""Quote currencies counted at 1 USD. A stablecoin trading off its peg by a few
percent moves a $5M volume threshold by the same few percent: immaterial for a
liquidity filter, and it saves a price lookup per stablecoin."""


@dataclass(frozen=True, slots=True)
class DailyStats:
    """What the closed daily candles of a market say.

    Attributes:
        history_days: closed daily candles received (the request asks for a bounded
            window, so this is "at least" once it reaches the window).
        volatility_pct: sample standard deviation of daily close-to-close simple
            returns, in percent (2.0 = 2 %); None with fewer than three closes.
    """

    history_days: int
    volatility_pct: float | None


@dataclass(frozen=True, slots=True)
class MarketStats:
    """One exchange market as the universe filters see it.

    Attributes:
        symbol: ccxt symbol, e.g. ``BTC/USDT``.
        base: base currency (``BTC``); the asset the provider is asked about.
        quote: quote currency (``USDT``).
        quote_volume_usd: 24h volume in USD; None when the exchange gave no quote
            volume or there is no USD price for the quote currency.
        bid: best bid in the quote currency; None when the exchange gave none.
        ask: best ask in the quote currency; None when the exchange gave none.
        daily: closed daily candles' statistics; None when not fetched.
        asset: the provider's facts about ``base``; None when the provider was not
            asked (an asset it does not know is an :class:`AssetInfo` whose market
            cap and listings are None).
    """

    symbol: str
    base: str
    quote: str
    quote_volume_usd: float | None
    bid: float | None
    ask: float | None
    daily: DailyStats | None = None
    asset: AssetInfo | None = None

    @property
    def spread_pct(self) -> float | None:
        """Bid-ask spread in percent of the mid price; None without a valid quote."""
        return spread_pct(self.bid, self.ask)


def usd_value(amount: float, currency: str, usd_prices: Mapping[str, float]) -> float | None:
    """``amount`` of ``currency`` in USD, or None when no USD price is known for it.

    Args:
        amount: a quantity of ``currency`` (e.g. a 24h quote volume of 12.5 BTC).
        currency: its code; :data:`USD_PEGGED` currencies count at 1 USD.
        usd_prices: USD price per unit of other currencies, e.g. ``{"BTC": 64000.0}``.
    """
    code = currency.upper()
    if code in USD_PEGGED:
        return amount
    price = usd_prices.get(code)
    return None if price is None else amount * price


def spread_pct(bid: float | None, ask: float | None) -> float | None:
    """Bid-ask spread ``(ask - bid) / mid`` in percent.

    None when either side is missing or the book is empty or crossed (bid <= 0 or
    ask < bid): no spread describes such a quote.
    """
    if bid is None or ask is None or bid <= 0 or ask < bid:
        return None
    mid = (bid + ask) / 2
    # Multiplying before dividing keeps round inputs exact: bid 99.75, ask 100.25 -> 0.5.
    return (ask - bid) * 100.0 / mid


def daily_stats(candles: OhlcvArrays, now_ms: int) -> DailyStats:
    """History length and daily volatility from daily candles, ignoring the open one.

    The candle of the current day (open time + 1 day after ``now_ms``) has not closed:
    its "close" is the latest trade, and a partial day's return would understate the
    volatility, so it is dropped.

    Args:
        candles: daily candles, any order (they are sorted by open time).
        now_ms: the current time in epoch milliseconds, from the caller's clock.

    Raises:
        DataFormatError: when a closed candle's close is not a positive finite number,
            which no return can be computed from (report it, never guess).
    """
    order = np.argsort(candles.ts_ms, kind="stable")
    ts_ms = candles.ts_ms[order]
    closes = candles.close[order][ts_ms + DAY_MS <= now_ms]
    if not np.all(np.isfinite(closes) & (closes > 0)):
        raise DataFormatError(f"daily closes must be positive numbers, got {closes.tolist()}")
    volatility = None
    if len(closes) >= 3:
        returns = closes[1:] / closes[:-1] - 1.0
        volatility = float(np.std(returns, ddof=1) * 100.0)
    return DailyStats(history_days=len(closes), volatility_pct=volatility)
