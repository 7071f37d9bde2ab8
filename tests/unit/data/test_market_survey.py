"""Gathering market statistics: staged requests, USD conversion, closed candles only.

The exchange and the provider are small in-memory fakes with the methods the survey
calls (ccxt's names and shapes); they record every call so that the staging (no
candles and no provider lookups for markets the ticker filters rejected) is tested.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import pytest

from quantbot.config.settings import UniverseSettings
from quantbot.core.clock import SimulatedClock
from quantbot.data.coingecko import CoinGeckoClient
from quantbot.data.errors import DataFormatError
from quantbot.data.market_caps import AssetInfo, Progress
from quantbot.data.market_stats import DAY_MS, MarketStats
from quantbot.data.market_survey import VOLATILITY_WINDOW_DAYS, survey_markets, survey_universe
from quantbot.data.retry import RetryPolicy

from fixtures.coingecko import CoinGeckoStandIn

NOW_MS = 1_748_822_400_000 + 9 * 3_600_000  # 2025-06-02T09:00Z: the day's candle is open
TODAY_MS = NOW_MS - NOW_MS % DAY_MS


def spot(symbol: str, *, active: bool | None = True) -> dict[str, Any]:
    base, quote = symbol.split("/")
    return {"symbol": symbol, "base": base, "quote": quote, "spot": True, "active": active}


def ticker(bid: float, ask: float, quote_volume: float | None) -> dict[str, Any]:
    return {"bid": bid, "ask": ask, "last": (bid + ask) / 2, "quoteVolume": quote_volume}


class FakeExchange:
    """ccxt's async market-data methods over canned markets, tickers and closes."""

    def __init__(
        self,
        markets: Sequence[dict[str, Any]],
        tickers: Mapping[str, dict[str, Any]],
        closes: Mapping[str, Sequence[float]] | None = None,
    ) -> None:
        self.markets = {m["symbol"]: m for m in markets}
        self.tickers = dict(tickers)
        self.closes = dict(closes or {})
        self.ohlcv_calls: list[tuple[str, str, int]] = []

    async def load_markets(self) -> Mapping[str, Any]:
        return self.markets

    async def fetch_tickers(self) -> Mapping[str, Any]:
        return self.tickers

    async def fetch_ohlcv(self, symbol: str, timeframe: str, *, limit: int) -> list[list[Any]]:
        self.ohlcv_calls.append((symbol, timeframe, limit))
        closes = list(self.closes.get(symbol, [100.0 + (i % 2) for i in range(40)]))
        # The newest candle is today's, still open; older ones closed one per day.
        first_ms = TODAY_MS - (len(closes) - 1) * DAY_MS
        rows = [[first_ms + i * DAY_MS, c, c, c, c, 1.0] for i, c in enumerate(closes)]
        return rows[-limit:]


class FakeProvider:
    def __init__(self, assets: Mapping[str, AssetInfo]) -> None:
        self.assets = dict(assets)
        self.calls: list[tuple[set[str], bool]] = []

    async def fetch_assets(
        self, symbols: Collection[str], *, listings: bool = True, progress: Progress | None = None
    ) -> Mapping[str, AssetInfo]:
        self.calls.append((set(symbols), listings))
        return {s: a for s, a in self.assets.items() if s in symbols}


def big(symbol: str) -> AssetInfo:
    return AssetInfo(symbol, market_cap_usd=5e10, exchange_listings=12)


def survey(
    exchange: FakeExchange,
    provider: FakeProvider,
    settings: UniverseSettings | None = None,
    **options: Any,
) -> dict[str, MarketStats]:
    stats = asyncio.run(
        survey_markets(
            exchange,
            provider,
            settings or UniverseSettings(),
            SimulatedClock(NOW_MS),
            **options,
        )
    )
    return {s.symbol: s for s in stats}


@pytest.fixture
def exchange() -> FakeExchange:
    return FakeExchange(
        [
            spot("BTC/USDT"),
            spot("ETH/BTC"),
            spot("DUST/USDT"),  # too little volume
            spot("WIDE/USDT"),  # spread too wide
            spot("BTC/EUR"),  # quote currency not allowed
            spot("OLD/USDT", active=False),  # delisted
            {**spot("BTC/USDT:USDT"), "spot": False},  # a perpetual
        ],
        {
            "BTC/USDT": ticker(63_999.0, 64_001.0, 900e6),
            "ETH/BTC": ticker(0.0499, 0.0501, 250.0),  # 250 BTC of volume
            "DUST/USDT": ticker(1.0, 1.001, 20_000.0),
            "WIDE/USDT": ticker(1.0, 1.2, 30e6),
            "BTC/EUR": ticker(59_000.0, 59_010.0, 40e6),
            "OLD/USDT": ticker(1.0, 1.001, 50e6),
        },
    )


def test_only_active_spot_markets_are_surveyed(exchange: FakeExchange) -> None:
    provider = FakeProvider({"BTC": big("BTC"), "ETH": big("ETH")})
    assert sorted(survey(exchange, provider)) == [
        "BTC/EUR",
        "BTC/USDT",
        "DUST/USDT",
        "ETH/BTC",
        "WIDE/USDT",
    ]


def test_btc_quoted_volume_is_converted_at_the_btc_usdt_mid(exchange: FakeExchange) -> None:
    stats = survey(exchange, FakeProvider({}))
    assert stats["ETH/BTC"].quote_volume_usd == pytest.approx(250.0 * 64_000.0)
    assert stats["BTC/USDT"].quote_volume_usd == 900e6


def test_candles_and_asset_lookups_only_for_markets_passing_the_ticker_filters(
    exchange: FakeExchange,
) -> None:
    provider = FakeProvider({"BTC": big("BTC"), "ETH": big("ETH")})
    stats = survey(exchange, provider)
    assert sorted(call[0] for call in exchange.ohlcv_calls) == ["BTC/USDT", "ETH/BTC"]
    assert provider.calls == [({"BTC", "ETH"}, True)]
    for rejected in ("DUST/USDT", "WIDE/USDT", "BTC/EUR"):
        assert stats[rejected].daily is None
        assert stats[rejected].asset is None
    assert stats["BTC/USDT"].asset == big("BTC")


def test_check_all_measures_every_market(exchange: FakeExchange) -> None:
    provider = FakeProvider({})
    stats = survey(exchange, provider, check_all=True)
    assert len(exchange.ohlcv_calls) == len(stats) == 5
    assert all(s.daily is not None and s.asset is not None for s in stats.values())


def test_an_asset_the_provider_does_not_know_gets_unknown_facts(exchange: FakeExchange) -> None:
    stats = survey(exchange, FakeProvider({"BTC": big("BTC")}))
    assert stats["ETH/BTC"].asset == AssetInfo("ETH", market_cap_usd=None, exchange_listings=None)


def test_the_provider_is_not_asked_when_its_filters_are_off(exchange: FakeExchange) -> None:
    provider = FakeProvider({"BTC": big("BTC")})
    off = UniverseSettings(min_market_cap_usd=0, min_exchange_listings=0)
    stats = survey(exchange, provider, off)
    assert provider.calls == []
    assert stats["BTC/USDT"].asset is None


def test_listings_are_not_asked_for_when_the_listings_filter_is_off(
    exchange: FakeExchange,
) -> None:
    provider = FakeProvider({})
    survey(exchange, provider, UniverseSettings(min_exchange_listings=0))
    assert [listings for _, listings in provider.calls] == [False]


def test_daily_statistics_leave_out_the_open_candle(exchange: FakeExchange) -> None:
    # Closed days alternate 100/101; today's open candle at 1000 must not count.
    exchange.closes["BTC/USDT"] = [100.0 + (i % 2) for i in range(35)] + [1000.0]
    stats = survey(exchange, FakeProvider({"BTC": big("BTC")}))
    daily = stats["BTC/USDT"].daily
    assert daily is not None
    assert daily.history_days == VOLATILITY_WINDOW_DAYS
    assert daily.volatility_pct is not None
    assert daily.volatility_pct < 1.1
    assert ("BTC/USDT", "1d", VOLATILITY_WINDOW_DAYS + 1) in exchange.ohlcv_calls


def test_a_longer_history_minimum_widens_the_candle_request(exchange: FakeExchange) -> None:
    survey(exchange, FakeProvider({}), UniverseSettings(min_history_days=90))
    assert {limit for _, _, limit in exchange.ohlcv_calls} == {91}


def test_a_young_market_reports_its_short_history(exchange: FakeExchange) -> None:
    exchange.closes["ETH/BTC"] = [0.05, 0.051, 0.0505, 0.052, 0.05]
    daily = survey(exchange, FakeProvider({}))["ETH/BTC"].daily
    assert daily is not None
    assert daily.history_days == 4


def test_malformed_candles_name_the_market(exchange: FakeExchange) -> None:
    exchange.closes["BTC/USDT"] = [100.0, -1.0, 101.0, 102.0]
    with pytest.raises(DataFormatError, match="BTC/USDT"):
        survey(exchange, FakeProvider({}))


def test_progress_reports_every_daily_candle_request(exchange: FakeExchange) -> None:
    seen: list[tuple[str, int, int]] = []
    survey(
        exchange,
        FakeProvider({}),
        progress=lambda step, done, total: seen.append((step, done, total)),
    )
    assert [(done, total) for step, done, total in seen if step == "daily candles"] == [
        (1, 2),
        (2, 2),
    ]


def test_the_whole_pipeline_against_the_coingecko_stand_in(
    coingecko_server: CoinGeckoStandIn,
) -> None:
    wild = [100.0 * (1.25 if i % 2 else 1.0) for i in range(40)]  # +-20-25 % a day
    exchange = FakeExchange(
        [
            spot(symbol)
            for symbol in (
                "BTC/USDT",
                "ETH/USDT",
                "ETH/BTC",
                "PEPE/USDT",
                "KAS/USDT",
                "ONE/USDT",
                "PUNDIX/USDT",
                "NOPE/USDT",
                "DOGE/USDT",
                "AVAX/USDT",
                "XRP/USDT",
                "LINK/EUR",
            )
        ],
        {
            "BTC/USDT": ticker(63_999.0, 64_001.0, 900e6),
            "ETH/USDT": ticker(3_479.9, 3_480.1, 400e6),
            "ETH/BTC": ticker(0.05437, 0.05438, 1_000.0),  # $64M
            "PEPE/USDT": ticker(0.00001152, 0.00001153, 120e6),
            "KAS/USDT": ticker(0.1701, 0.1702, 22e6),
            "ONE/USDT": ticker(0.01214, 0.01215, 9e6),
            "PUNDIX/USDT": ticker(0.441, 0.4412, 7e6),
            "NOPE/USDT": ticker(1.0, 1.001, 6e6),
            "DOGE/USDT": ticker(0.1204, 0.1205, 300e6),
            "AVAX/USDT": ticker(27.47, 27.49, 80e6),
            "XRP/USDT": ticker(0.5212, 0.5213, 4.2e6),
            "LINK/EUR": ticker(13.1, 13.12, 30e6),
        },
        closes={"DOGE/USDT": wild, "AVAX/USDT": [27.0, 27.5, 27.2, 27.4, 27.6]},
    )
    client = CoinGeckoClient(coingecko_server.url, retry=RetryPolicy(base_delay_s=0.001))
    result = asyncio.run(
        survey_universe(exchange, client, UniverseSettings(), SimulatedClock(NOW_MS))
    )

    assert [s.symbol for s in result.included] == ["BTC/USDT", "ETH/USDT", "PEPE/USDT", "ETH/BTC"]
    why = {v.stats.symbol: [str(r) for r in v.rejections] for v in result.excluded}
    assert why["KAS/USDT"] == ["listed on 2 exchanges < 3"]
    assert why["ONE/USDT"] == ["market cap $85.3M < $100M"]
    assert why["PUNDIX/USDT"] == ["unknown market cap"]
    assert why["NOPE/USDT"] == ["unknown market cap", "unknown exchange listings"]
    assert why["DOGE/USDT"][0].startswith("daily volatility 2")
    assert why["AVAX/USDT"] == ["history 4 days < 30"]
    assert why["XRP/USDT"] == ["24h volume $4.2M < $5M"]
    assert why["LINK/EUR"] == [  # and no EUR/USDT market to price its volume
        "quote currency EUR not in USD, USDT, BTC",
        "24h volume unknown in USD (no volume or no USD price for EUR)",
    ]
    unchecked = {v.stats.symbol for v in result.excluded if v.unchecked}
    assert unchecked == {"XRP/USDT", "LINK/EUR"}
    # Only the bases of markets passing the ticker filters were looked up.
    [lookup] = coingecko_server.seen("/coins/markets")
    assert "xrp" not in lookup.query["symbols"].split(",")
    assert "link" not in lookup.query["symbols"].split(",")
