"""Unmodified async ccxt (aiohttp) against the emulator, with concurrent requests."""

from __future__ import annotations

import asyncio

from fixtures.emulator import (
    EMULATOR_NOW_MS,
    EMULATOR_START_MS,
    RunningEmulator,
    async_binance_client,
)


def test_async_client_loads_markets_and_fetches_concurrently(emulator: RunningEmulator) -> None:
    async def scenario() -> None:
        async with async_binance_client(emulator.base_url) as exchange:
            markets = await exchange.load_markets()
            assert markets["ETH/USDT:USDT"]["precision"]["price"] == 0.01
            time_ms, candles, book, funding, tickers, trades = await asyncio.gather(
                exchange.fetch_time(),
                exchange.fetch_ohlcv("ETH/USDT", "15m", since=EMULATOR_START_MS, limit=4),
                exchange.fetch_order_book("SOL/USDT:USDT", limit=10),
                exchange.fetch_funding_rate_history(
                    "ETH/USDT:USDT", since=EMULATOR_START_MS, limit=3
                ),
                exchange.fetch_tickers(["BTC/USDT", "SOL/USDT"]),
                exchange.fetch_trades("SOL/USDT", limit=12),
            )
            assert time_ms == EMULATOR_NOW_MS
            assert [c[0] for c in candles] == [EMULATOR_START_MS + i * 900_000 for i in range(4)]
            assert len(book["bids"]) == 10
            assert book["bids"][0][0] < book["asks"][0][0]
            assert [f["timestamp"] for f in funding] == [
                EMULATOR_START_MS + i * 28_800_000 for i in (1, 2, 3)
            ]
            assert set(tickers) == {"BTC/USDT", "SOL/USDT"}
            assert len(trades) == 12

    asyncio.run(scenario())
    assert emulator.control.request_counts()["/fapi/v1/fundingRate"] == 1
