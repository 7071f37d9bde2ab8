"""Gathering :class:`MarketStats` for every spot market of one exchange, cheaply.

The exchange is anything with ccxt's async market-data methods (``load_markets``,
``fetch_tickers``, ``fetch_ohlcv``): an unmodified ``ccxt.async_support`` exchange,
pointed at a local emulator or not, is the real one. This module does not import
ccxt (the caller builds and closes the exchange), so the data layer stays free of
exchange set-up and the venues layer.

Gathering is staged so that the costly requests are made only where they can still
change the outcome:

1. ``load_markets`` and ONE ``fetch_tickers``: quote currency, 24h volume (converted
   to USD with prices from the same tickers) and spread of every active spot market.
2. For markets passing those :data:`~quantbot.data.universe.TICKER_FILTERS`: the
   market-cap provider for their base assets (skipped when both of its filters are
   off) and one ``fetch_ohlcv(symbol, "1d")`` each for volatility and history.

A market rejected in stage 1 has no asset facts or daily statistics; its verdict
lists those filters as unchecked. ``check_all=True`` gathers everything for every
market instead.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

import pandas as pd

from quantbot.config.settings import UniverseSettings
from quantbot.core.clock import Clock
from quantbot.data.errors import DataFormatError
from quantbot.data.market_caps import AssetInfo, MarketCapProvider, Progress
from quantbot.data.market_stats import (
    USD_PEGGED,
    DailyStats,
    MarketStats,
    daily_stats,
    usd_value,
)
from quantbot.data.ohlcv import OHLCV_COLUMNS, OhlcvArrays
from quantbot.data.universe import TICKER_FILTERS, UniverseResult, check_market, select_universe

__all__ = ["VOLATILITY_WINDOW_DAYS", "ExchangeMarketData", "survey_markets", "survey_universe"]

_log = logging.getLogger(__name__)

VOLATILITY_WINDOW_DAYS = 30
"""Closed daily candles the volatility is measured over (more when
``min_history_days`` asks for a longer history)."""

_PRICE_QUOTES = ("USDT", "USD", "USDC")
"""Markets a non-pegged quote currency is priced in, most liquid first."""


class ExchangeMarketData(Protocol):
    """The three ccxt async methods the survey calls (``ccxt.async_support`` has them)."""

    async def load_markets(self) -> Mapping[str, Any]:
        """Market structures (ccxt shape) by symbol."""
        ...

    async def fetch_tickers(self) -> Mapping[str, Any]:
        """Ticker structures (ccxt shape) by symbol: bid, ask, last, quoteVolume..."""
        ...

    async def fetch_ohlcv(
        self, symbol: str, timeframe: str, *, limit: int
    ) -> Sequence[Sequence[Any]]:
        """The newest ``limit`` candles as ``[ts_ms, open, high, low, close, volume]``."""
        ...


async def survey_markets(
    exchange: ExchangeMarketData,
    provider: MarketCapProvider,
    settings: UniverseSettings,
    clock: Clock,
    *,
    check_all: bool = False,
    concurrency: int = 4,
    progress: Progress | None = None,
) -> list[MarketStats]:
    """Measure every active spot market of ``exchange`` for the universe filters.

    Args:
        exchange: ccxt-like async exchange, markets loadable.
        provider: source of market caps and listing counts.
        settings: the filter limits; they decide what is worth fetching.
        clock: decides which daily candle is still open.
        check_all: gather candles and asset facts for every market, not only for
            those passing the ticker filters (slow: one request per market).
        concurrency: daily-candle requests in flight at once (ccxt's own rate
            limiter still spaces them).
        progress: optional callback (step, completed, total).

    Returns:
        One :class:`MarketStats` per active spot market, in symbol order.

    Raises:
        MarketCapProviderError: when the provider cannot answer.
        DataFormatError: when the exchange's candles are malformed.
        Exception: whatever the exchange object raises (ccxt errors), unchanged.
    """
    if progress is not None:
        progress("markets and tickers", 0, 1)
    markets = await exchange.load_markets()
    spot = sorted(
        (market for market in markets.values() if _is_active_spot(market)),
        key=lambda market: str(market["symbol"]),
    )
    tickers = await exchange.fetch_tickers()
    if progress is not None:
        progress("markets and tickers", 1, 1)
    prices = _usd_prices({str(market["quote"]) for market in spot}, tickers)
    stats = [_from_ticker(market, tickers.get(market["symbol"]), prices) for market in spot]
    passing = [s for s in stats if not check_market(s, settings, TICKER_FILTERS).rejections]
    chosen = stats if check_all else passing
    _log.info(
        "%d active spot markets, %d pass the ticker filters; measuring %d further",
        len(stats),
        len(passing),
        len(chosen),
    )
    assets = await _assets(provider, settings, {s.base for s in chosen}, progress)
    daily = await _daily(
        exchange,
        symbols=[s.symbol for s in chosen],
        limit=max(settings.min_history_days, VOLATILITY_WINDOW_DAYS) + 1,
        clock=clock,
        concurrency=concurrency,
        progress=progress,
    )
    by_symbol = {s.symbol: s for s in stats}
    for s in chosen:
        asset = None
        if assets is not None:
            asset = assets.get(s.base) or AssetInfo(
                s.base, market_cap_usd=None, exchange_listings=None
            )
        by_symbol[s.symbol] = replace(s, daily=daily[s.symbol], asset=asset)
    return [by_symbol[s.symbol] for s in stats]


async def survey_universe(
    exchange: ExchangeMarketData,
    provider: MarketCapProvider,
    settings: UniverseSettings,
    clock: Clock,
    *,
    check_all: bool = False,
    concurrency: int = 4,
    progress: Progress | None = None,
) -> UniverseResult:
    """Survey ``exchange`` (see :func:`survey_markets`) and apply the universe filters.

    Raises:
        MarketCapProviderError: when the provider cannot answer.
        DataFormatError: when the exchange's candles are malformed.
        Exception: whatever the exchange object raises (ccxt errors), unchanged.
    """
    stats = await survey_markets(
        exchange,
        provider,
        settings,
        clock,
        check_all=check_all,
        concurrency=concurrency,
        progress=progress,
    )
    return select_universe(stats, settings)


def _is_active_spot(market: Mapping[str, Any]) -> bool:
    # ccxt sets "active" to None when the exchange does not say; only False excludes.
    return bool(market.get("spot")) and market.get("active") is not False


def _number(value: object) -> float | None:
    """A finite float from a ccxt field, or None (ccxt uses None for "not given")."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _usd_prices(quotes: set[str], tickers: Mapping[str, Any]) -> dict[str, float]:
    """USD price of each non-pegged quote currency, from its ticker against a stablecoin.

    The mid of bid and ask when both exist, else the last trade. A currency without
    such a market gets no price, so volumes quoted in it stay unknown.
    """
    prices: dict[str, float] = {}
    for currency in sorted(quotes - USD_PEGGED):
        for stable in _PRICE_QUOTES:
            ticker = tickers.get(f"{currency}/{stable}")
            if not isinstance(ticker, Mapping):
                continue
            bid, ask = _number(ticker.get("bid")), _number(ticker.get("ask"))
            price = (bid + ask) / 2 if bid and ask else _number(ticker.get("last"))
            if price and price > 0:
                prices[currency] = price
                break
    return prices


def _from_ticker(
    market: Mapping[str, Any], ticker: object, prices: Mapping[str, float]
) -> MarketStats:
    quote = str(market["quote"])
    fields: Mapping[str, Any] = ticker if isinstance(ticker, Mapping) else {}
    volume = _number(fields.get("quoteVolume"))
    return MarketStats(
        symbol=str(market["symbol"]),
        base=str(market["base"]),
        quote=quote,
        quote_volume_usd=None if volume is None else usd_value(volume, quote, prices),
        bid=_number(fields.get("bid")),
        ask=_number(fields.get("ask")),
    )


async def _assets(
    provider: MarketCapProvider,
    settings: UniverseSettings,
    bases: set[str],
    progress: Progress | None,
) -> Mapping[str, AssetInfo] | None:
    """The provider's facts about ``bases``; None when neither of its filters is active."""
    if settings.min_market_cap_usd == 0 and settings.min_exchange_listings == 0:
        return None
    if not bases:
        return {}
    return await provider.fetch_assets(
        bases, listings=settings.min_exchange_listings > 0, progress=progress
    )


async def _daily(
    exchange: ExchangeMarketData,
    *,
    symbols: Sequence[str],
    limit: int,
    clock: Clock,
    concurrency: int,
    progress: Progress | None,
) -> dict[str, DailyStats]:
    """Daily statistics per symbol from one ``fetch_ohlcv(symbol, "1d", limit)`` each.

    ``limit`` is one more than the window wanted: the newest candle is usually open.
    """
    gate = asyncio.Semaphore(concurrency)
    done = 0

    async def one(symbol: str) -> tuple[str, DailyStats]:
        nonlocal done
        async with gate:
            rows = await exchange.fetch_ohlcv(symbol, "1d", limit=limit)
        try:
            stats = daily_stats(_ohlcv_arrays(rows), clock.now_ms())
        except DataFormatError as exc:
            raise DataFormatError(f"{symbol} daily candles: {exc}") from None
        done += 1
        if progress is not None:
            progress("daily candles", done, len(symbols))
        return symbol, stats

    return dict(await asyncio.gather(*(one(symbol) for symbol in symbols)))


def _ohlcv_arrays(rows: Sequence[Sequence[Any]]) -> OhlcvArrays:
    try:
        return OhlcvArrays.from_frame(pd.DataFrame(list(rows), columns=list(OHLCV_COLUMNS)))
    except (ValueError, TypeError) as exc:
        raise DataFormatError(f"not [ts_ms, open, high, low, close, volume] rows ({exc})") from None
