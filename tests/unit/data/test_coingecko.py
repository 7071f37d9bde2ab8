"""The CoinGecko client against the local stand-in (tests/fixtures/coingecko.py): paging,
symbol batches and collisions, listing counts, retries, refusals, timeouts, the key."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection

import pytest

from quantbot.config.settings import UniverseSettings
from quantbot.data.coingecko import CoinGeckoClient
from quantbot.data.errors import MarketCapProviderError
from quantbot.data.market_caps import AssetInfo, MarketCapProvider
from quantbot.data.retry import RetryPolicy

from fixtures.coingecko import CoinGeckoStandIn

KEY = "CG-t3stK3yV4lue9x"


def fetch(
    client: CoinGeckoClient, symbols: Collection[str], *, listings: bool = True
) -> dict[str, AssetInfo]:
    return asyncio.run(client.fetch_assets(symbols, listings=listings))


def fast_client(
    server: CoinGeckoStandIn,
    *,
    api_key: str | None = None,
    key_header: str | None = None,
    timeout_s: float = 10.0,
    attempts: int = 4,
    per_page: int = 250,
    max_ticker_pages: int = 1,
) -> CoinGeckoClient:
    """A client that backs off in milliseconds, so retries do not slow the suite."""
    return CoinGeckoClient(
        server.url,
        api_key=api_key,
        key_header=key_header,
        timeout_s=timeout_s,
        retry=RetryPolicy(attempts=attempts, base_delay_s=0.001, max_delay_s=0.01),
        per_page=per_page,
        max_ticker_pages=max_ticker_pages,
    )


def test_the_client_is_a_market_cap_provider(coingecko_server: CoinGeckoStandIn) -> None:
    assert isinstance(fast_client(coingecko_server), MarketCapProvider)


def test_market_caps_and_listings_come_from_coins_markets_and_tickers(
    coingecko_server: CoinGeckoStandIn,
) -> None:
    assets = fetch(fast_client(coingecko_server), ["btc", "ETH", "one"])
    assert assets["BTC"].coin_id == "bitcoin"
    assert assets["BTC"].market_cap_usd == 1_325_400_000_000
    assert assets["ETH"].exchange_listings == 14
    assert assets["ONE"].market_cap_usd == 85_300_000
    [markets] = coingecko_server.seen("/coins/markets")
    assert markets.query["vs_currency"] == "usd"
    assert markets.query["include_tokens"] == "all"
    assert sorted(markets.query["symbols"].split(",")) == ["btc", "eth", "one"]


def test_a_symbol_the_provider_does_not_know_is_left_out(
    coingecko_server: CoinGeckoStandIn,
) -> None:
    assets = fetch(fast_client(coingecko_server), ["BTC", "NOTACOIN"])
    assert set(assets) == {"BTC"}


def test_a_shared_symbol_resolves_to_the_highest_market_cap_and_names_the_others(
    coingecko_server: CoinGeckoStandIn,
) -> None:
    pepe = fetch(fast_client(coingecko_server), ["PEPE"])["PEPE"]
    assert pepe.coin_id == "pepe"
    assert pepe.market_cap_usd == 4_850_000_000
    assert set(pepe.also_matched) == {"based-pepe", "pepe-bridged-sol"}
    assert [r.path for r in coingecko_server.requests if "tickers" in r.path] == [
        "/coins/pepe/tickers"
    ]


def test_a_market_cap_reported_as_zero_is_unknown(coingecko_server: CoinGeckoStandIn) -> None:
    pundix = fetch(fast_client(coingecko_server), ["PUNDIX"])["PUNDIX"]
    assert pundix.market_cap_usd is None
    assert pundix.exchange_listings == 4


def test_market_pages_are_followed_until_a_short_page(
    coingecko_server: CoinGeckoStandIn,
) -> None:
    symbols = ["BTC", "ETH", "SOL", "XRP", "PEPE"]  # 7 coins, PEPE is three of them
    assets = fetch(fast_client(coingecko_server, per_page=2), symbols, listings=False)
    assert set(assets) == set(symbols)
    pages = [r.query["page"] for r in coingecko_server.seen("/coins/markets")]
    assert pages == ["1", "2", "3", "4"]
    assert all(r.query["per_page"] == "2" for r in coingecko_server.seen("/coins/markets"))


def test_more_than_fifty_symbols_are_split_into_requests_of_fifty(
    coingecko_server: CoinGeckoStandIn,
) -> None:
    symbols = ["BTC", *(f"ZZ{i}" for i in range(119))]
    assets = fetch(fast_client(coingecko_server), symbols, listings=False)
    assert set(assets) == {"BTC"}
    sizes = [len(r.query["symbols"].split(",")) for r in coingecko_server.seen("/coins/markets")]
    assert sizes == [50, 50, 20]


def test_listings_count_distinct_live_exchanges_and_skip_stale_tickers(
    coingecko_server: CoinGeckoStandIn,
) -> None:
    kaspa = fetch(fast_client(coingecko_server), ["KAS"])["KAS"]
    assert kaspa.exchange_listings == 2  # a third exchange's ticker is stale


def test_ticker_pages_beyond_the_limit_are_not_read(coingecko_server: CoinGeckoStandIn) -> None:
    # bitcoin: 15 exchanges x 8 quote currencies = 120 tickers, 100 per page.
    one_page = fetch(fast_client(coingecko_server), ["BTC"])["BTC"]
    assert one_page.exchange_listings == 13  # a lower bound: 100 tickers, 8 per exchange
    two_pages = fetch(fast_client(coingecko_server, max_ticker_pages=5), ["BTC"])["BTC"]
    assert two_pages.exchange_listings == 15
    pages = [r.query["page"] for r in coingecko_server.seen("/coins/bitcoin/tickers")]
    assert pages == ["1", "1", "2"]


def test_without_listings_no_ticker_request_is_made(coingecko_server: CoinGeckoStandIn) -> None:
    assets = fetch(fast_client(coingecko_server), ["BTC", "ETH"], listings=False)
    assert assets["BTC"].exchange_listings is None
    assert [r.path for r in coingecko_server.requests] == ["/coins/markets"]


def test_rate_limited_requests_are_retried_until_they_succeed(
    coingecko_server: CoinGeckoStandIn,
) -> None:
    coingecko_server.fail("/coins/markets", 429, times=2, retry_after="0")
    coingecko_server.fail("/coins/bitcoin/tickers", 503)
    assets = fetch(fast_client(coingecko_server), ["BTC"])
    assert assets["BTC"].exchange_listings == 13
    assert len(coingecko_server.seen("/coins/markets")) == 3
    assert len(coingecko_server.seen("/coins/bitcoin/tickers")) == 2


def test_a_rate_limit_that_persists_fails_after_the_last_attempt(
    coingecko_server: CoinGeckoStandIn,
) -> None:
    coingecko_server.fail("/coins/markets", 429, times=10)
    with pytest.raises(MarketCapProviderError, match=r"gave up after 3 attempts.*429.*Rate Limit"):
        fetch(fast_client(coingecko_server, attempts=3), ["BTC"])
    assert len(coingecko_server.seen("/coins/markets")) == 3


def test_a_refused_request_fails_at_once_without_retrying(
    coingecko_server: CoinGeckoStandIn,
) -> None:
    coingecko_server.required_key = KEY
    with pytest.raises(MarketCapProviderError, match="HTTP 401: API Key Missing"):
        fetch(fast_client(coingecko_server, attempts=4), ["BTC"])
    assert len(coingecko_server.requests) == 1


def test_the_api_key_travels_in_the_header_and_never_in_the_url(
    coingecko_server: CoinGeckoStandIn,
) -> None:
    coingecko_server.required_key = KEY
    assets = fetch(fast_client(coingecko_server, api_key=KEY), ["BTC", "ETH"])
    assert set(assets) == {"BTC", "ETH"}
    assert coingecko_server.requests
    for request in coingecko_server.requests:
        assert request.headers["x-cg-demo-api-key"] == KEY
        assert KEY not in request.url
        assert "x_cg" not in request.url


def test_the_key_header_can_be_named_for_a_pro_plan(coingecko_server: CoinGeckoStandIn) -> None:
    fetch(fast_client(coingecko_server, api_key=KEY, key_header="x-cg-pro-api-key"), ["BTC"])
    assert coingecko_server.requests[0].headers["x-cg-pro-api-key"] == KEY
    assert "x-cg-demo-api-key" not in coingecko_server.requests[0].headers


def test_the_key_stays_out_of_the_clients_repr(coingecko_server: CoinGeckoStandIn) -> None:
    assert KEY not in repr(fast_client(coingecko_server, api_key=KEY))


def test_a_slow_answer_times_out_and_is_retried(coingecko_server: CoinGeckoStandIn) -> None:
    coingecko_server.stall("/coins/markets", 2.0)
    assets = fetch(fast_client(coingecko_server, timeout_s=0.2), ["BTC"], listings=False)
    assert set(assets) == {"BTC"}
    assert len(coingecko_server.seen("/coins/markets")) == 2


def test_a_provider_that_keeps_timing_out_fails_with_the_reason(
    coingecko_server: CoinGeckoStandIn,
) -> None:
    coingecko_server.stall("/coins/markets", 2.0, times=2)
    with pytest.raises(MarketCapProviderError, match=r"gave up after 2 attempts.*Timeout"):
        fetch(fast_client(coingecko_server, timeout_s=0.2, attempts=2), ["BTC"])


def test_from_settings_reads_the_key_from_the_named_variable(
    coingecko_server: CoinGeckoStandIn,
) -> None:
    settings = UniverseSettings(
        provider_url=coingecko_server.url, provider_api_key_env="COINGECKO_API_KEY"
    )
    client = CoinGeckoClient.from_settings(settings, {"COINGECKO_API_KEY": KEY})
    fetch(client, ["BTC"], listings=False)
    assert coingecko_server.requests[0].headers["x-cg-demo-api-key"] == KEY


def test_from_settings_without_the_variable_warns_and_calls_without_a_key(
    coingecko_server: CoinGeckoStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    settings = UniverseSettings(
        provider_url=coingecko_server.url, provider_api_key_env="COINGECKO_API_KEY"
    )
    with caplog.at_level(logging.WARNING, logger="quantbot.data.coingecko"):
        client = CoinGeckoClient.from_settings(settings, {})
    assert "COINGECKO_API_KEY" in caplog.text
    fetch(client, ["BTC"], listings=False)
    assert "x-cg-demo-api-key" not in coingecko_server.requests[0].headers


@pytest.mark.parametrize("per_page", [0, 251])
def test_a_page_size_coingecko_refuses_is_rejected_up_front(per_page: int) -> None:
    with pytest.raises(ValueError, match="per_page"):
        CoinGeckoClient("http://127.0.0.1:9/api/v3", per_page=per_page)
