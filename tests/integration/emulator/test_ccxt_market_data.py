"""Unmodified sync ccxt against the emulator: every market-data call ccxt's binance makes."""

from __future__ import annotations

from typing import Any

import ccxt
import pytest

from fixtures.emulator import EMULATOR_NOW_MS, EMULATOR_START_MS, RunningEmulator

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
FUNDING_MS = 8 * HOUR_MS


def test_load_markets_lists_spot_and_perpetuals_with_binance_filters(
    binance: Any, emulator: RunningEmulator
) -> None:
    markets = binance.load_markets()
    assert {
        "BTC/USDT",
        "ETH/USDT",
        "SOL/USDT",
        "BTC/USDT:USDT",
        "ETH/USDT:USDT",
        "SOL/USDT:USDT",
    } <= set(markets)
    spot, perp = markets["BTC/USDT"], markets["BTC/USDT:USDT"]
    assert (spot["type"], spot["spot"], spot["active"]) == ("spot", True, True)
    assert (perp["type"], perp["swap"], perp["linear"], perp["settle"]) == (
        "swap",
        True,
        True,
        "USDT",
    )
    assert spot["precision"]["price"] == 0.01
    assert spot["precision"]["amount"] == 0.00001
    assert spot["limits"]["cost"]["min"] == 5
    assert spot["limits"]["amount"]["min"] == 0.00001
    assert perp["precision"]["price"] == 0.1
    assert perp["precision"]["amount"] == 0.001
    assert perp["limits"]["cost"]["min"] == 100
    assert markets["SOL/USDT:USDT"]["precision"]["amount"] == 1
    assert binance.amount_to_precision("BTC/USDT", 0.123456789) == "0.12345"
    assert emulator.control.request_counts() == {
        "/api/v3/exchangeInfo": 1,
        "/fapi/v1/exchangeInfo": 1,
        "/dapi/v1/exchangeInfo": 1,
    }


def test_server_time_is_the_emulator_clock(binance: Any, emulator: RunningEmulator) -> None:
    assert binance.fetch_time() == EMULATOR_NOW_MS
    assert binance.fetch_time({"type": "future"}) == EMULATOR_NOW_MS


def download_minutes(binance: Any, symbol: str, *, page: int) -> list[list[float]]:
    """Page through 1m candles from the first one, as a downloader does."""
    rows: list[list[float]] = []
    since = EMULATOR_START_MS
    while True:
        batch = binance.fetch_ohlcv(symbol, "1m", since=since, limit=page)
        rows.extend(batch)
        if len(batch) < page:
            return rows
        since = batch[-1][0] + MINUTE_MS


# ccxt asks at most 1000 rows per request on both APIs (it caps the limit itself).
@pytest.mark.parametrize(
    ("symbol", "page", "endpoint"),
    [
        ("BTC/USDT", 1000, "/api/v3/klines"),
        ("ETH/USDT:USDT", 1000, "/fapi/v1/klines"),
        ("SOL/USDT", 700, "/api/v3/klines"),
    ],
)
def test_paging_klines_from_the_start_gives_every_minute_once(
    binance: Any, emulator: RunningEmulator, symbol: str, page: int, endpoint: str
) -> None:
    binance.load_markets()
    emulator.control.reset_requests()
    rows = download_minutes(binance, symbol, page=page)
    times = [row[0] for row in rows]
    expected_minutes = (
        EMULATOR_NOW_MS - EMULATOR_START_MS
    ) // MINUTE_MS + 1  # the last one still open
    assert times == [EMULATOR_START_MS + i * MINUTE_MS for i in range(expected_minutes)]
    assert emulator.control.request_counts() == {endpoint: -(-expected_minutes // page)}
    log = emulator.control.request_log(endpoint)
    assert [int(r["query"]["startTime"]) for r in log][:2] == [
        EMULATOR_START_MS,
        EMULATOR_START_MS + page * MINUTE_MS,
    ]
    assert {r["query"]["limit"] for r in log} == {str(page)}


def test_spot_caps_a_page_at_1000_and_futures_at_1500(binance: Any) -> None:
    spot = binance.publicGetKlines(
        {"symbol": "BTCUSDT", "interval": "1m", "startTime": EMULATOR_START_MS, "limit": 5000}
    )
    futures = binance.fapiPublicGetKlines(
        {"symbol": "BTCUSDT", "interval": "1m", "startTime": EMULATOR_START_MS, "limit": 5000}
    )
    default = binance.publicGetKlines({"symbol": "BTCUSDT", "interval": "1m"})
    assert (len(spot), len(futures), len(default)) == (1000, 1500, 500)
    assert isinstance(spot[0][1], str)
    assert isinstance(spot[0][0], int)


def test_until_bounds_a_page_and_the_latest_page_ends_with_the_open_candle(binance: Any) -> None:
    until = EMULATOR_START_MS + 2 * HOUR_MS
    bounded = binance.fetch_ohlcv(
        "BTC/USDT", "1h", since=EMULATOR_START_MS, params={"until": until}
    )
    assert [row[0] for row in bounded] == [EMULATOR_START_MS, EMULATOR_START_MS + HOUR_MS, until]
    latest = binance.fetch_ohlcv("BTC/USDT", "1m", limit=3)
    assert latest[-1][0] == EMULATOR_NOW_MS - 30_000
    assert latest[-1][1] == latest[-1][2] == latest[-1][3] == latest[-1][4]
    assert latest[-1][5] == 0


def test_hour_candles_aggregate_the_minute_candles(binance: Any) -> None:
    hour = binance.fetch_ohlcv("BTC/USDT", "1h", since=EMULATOR_START_MS + 5 * HOUR_MS, limit=1)[0]
    minutes = binance.fetch_ohlcv("BTC/USDT", "1m", since=hour[0], limit=60)
    assert hour[1] == minutes[0][1]
    assert hour[2] == max(m[2] for m in minutes)
    assert hour[3] == min(m[3] for m in minutes)
    assert hour[4] == minutes[-1][4]
    assert hour[5] == pytest.approx(sum(m[5] for m in minutes), abs=1e-4)


def test_advancing_the_clock_closes_the_open_candle(
    binance: Any, emulator: RunningEmulator
) -> None:
    before = binance.fetch_ohlcv("BTC/USDT", "1m", limit=2)
    emulator.control.set_time(EMULATOR_NOW_MS + MINUTE_MS)
    after = binance.fetch_ohlcv("BTC/USDT", "1m", limit=3)
    assert after[0] == before[0]
    closed = after[1]
    assert closed[0] == before[1][0]
    assert closed[5] > 0
    assert closed[1] == before[1][1]  # it opened where the open candle stood
    assert after[2][0] == before[1][0] + MINUTE_MS


def test_tickers_for_one_market_and_for_all(binance: Any) -> None:
    ticker = binance.fetch_ticker("BTC/USDT")
    assert ticker["symbol"] == "BTC/USDT"
    assert ticker["bid"] < ticker["ask"]
    assert ticker["low"] <= ticker["last"] <= ticker["high"]
    assert ticker["timestamp"] == EMULATOR_NOW_MS
    last_minute = binance.fetch_ohlcv("BTC/USDT", "1m", limit=1)[0]
    assert ticker["last"] == last_minute[4]
    swap = binance.fetch_ticker("BTC/USDT:USDT")
    assert swap["symbol"] == "BTC/USDT:USDT"
    assert swap["bid"] is None
    assert set(binance.fetch_tickers()) == {"BTC/USDT", "ETH/USDT", "SOL/USDT"}
    assert set(binance.fetch_tickers(["BTC/USDT", "ETH/USDT"])) == {"BTC/USDT", "ETH/USDT"}
    assert set(binance.fetch_tickers(["BTC/USDT:USDT", "SOL/USDT:USDT"])) == {
        "BTC/USDT:USDT",
        "SOL/USDT:USDT",
    }


def test_order_books_respect_binance_depth_limits(binance: Any) -> None:
    book = binance.fetch_order_book("BTC/USDT", limit=7)
    assert len(book["bids"]) == len(book["asks"]) == 7
    assert book["bids"][0][0] < book["asks"][0][0]
    assert len(binance.fetch_order_book("ETH/USDT")["bids"]) == 100
    perp = binance.fetch_order_book("BTC/USDT:USDT", limit=20)
    assert len(perp["asks"]) == 20
    assert perp["timestamp"] == EMULATOR_NOW_MS
    with pytest.raises(ccxt.BadRequest, match="-4021"):
        binance.fetch_order_book("BTC/USDT:USDT", limit=25)


def test_trades_recent_and_since(binance: Any, emulator: RunningEmulator) -> None:
    recent = binance.fetch_trades("BTC/USDT", limit=30)
    assert len(recent) == 30
    assert all(t["timestamp"] < EMULATOR_NOW_MS - 30_000 for t in recent)
    assert [int(t["id"]) for t in recent] == sorted(int(t["id"]) for t in recent)
    since = EMULATOR_START_MS + HOUR_MS
    window = binance.fetch_trades("ETH/USDT:USDT", since=since, limit=10)
    assert len(window) == 10
    assert window[0]["timestamp"] >= since
    assert window[0]["timestamp"] < since + MINUTE_MS
    plain = binance.fetch_trades(
        "BTC/USDT", limit=5, params={"fetchTradesMethod": "publicGetTrades"}
    )
    assert [t["id"] for t in plain] == [t["id"] for t in recent[-5:]]
    assert set(emulator.control.request_counts()) >= {
        "/api/v3/aggTrades",
        "/fapi/v1/aggTrades",
        "/api/v3/trades",
    }


def test_funding_rate_now_and_for_all_perpetuals(binance: Any) -> None:
    rate = binance.fetch_funding_rate("BTC/USDT:USDT")
    assert rate["symbol"] == "BTC/USDT:USDT"
    assert rate["fundingTimestamp"] == (EMULATOR_NOW_MS // FUNDING_MS + 1) * FUNDING_MS
    assert abs(rate["fundingRate"]) < 0.003
    history = binance.fetch_funding_rate_history("BTC/USDT:USDT", limit=1)
    assert rate["fundingRate"] == history[-1]["fundingRate"]
    assert set(binance.fetch_funding_rates()) == {"BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"}


def test_funding_history_pages_cover_every_settlement_once(binance: Any) -> None:
    rows: list[dict[str, Any]] = []
    since = EMULATOR_START_MS
    while True:
        page = binance.fetch_funding_rate_history("SOL/USDT:USDT", since=since, limit=7)
        rows.extend(page)
        if len(page) < 7:
            break
        since = page[-1]["timestamp"] + 1
    times = [row["timestamp"] for row in rows]
    assert times == list(range(EMULATOR_START_MS + FUNDING_MS, EMULATOR_NOW_MS + 1, FUNDING_MS))


def test_refusals_raise_the_ccxt_error_binance_codes_map_to(binance: Any) -> None:
    with pytest.raises(ccxt.BadSymbol, match="-1121"):
        binance.publicGetKlines({"symbol": "NOPEUSDT", "interval": "1m"})
    with pytest.raises(ccxt.BadRequest, match="-1120"):
        binance.publicGetKlines({"symbol": "BTCUSDT", "interval": "3d"})
    with pytest.raises(ccxt.BadRequest, match="-1102"):
        binance.fapiPublicGetKlines({"interval": "1m"})
    with pytest.raises(ccxt.BadRequest, match="-1127"):
        binance.publicGetAggTrades(
            {
                "symbol": "BTCUSDT",
                "startTime": EMULATOR_START_MS,
                "endTime": EMULATOR_START_MS + 2 * HOUR_MS,
            }
        )
