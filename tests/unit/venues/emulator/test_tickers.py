"""24h tickers: statistics of the last day of candles, with each API's fields."""

from __future__ import annotations

import pytest

from quantbot.venues.emulator.market_view import MarketView
from quantbot.venues.emulator.markets import market_spec
from quantbot.venues.emulator.tickers import ticker_24h

from ._builders import MINUTE_MS, START_MS, frame_source, minute_candles

DAY_MS = 1440 * MINUTE_MS
CANDLES = minute_candles(START_MS, 3 * 1440, price=60_000.0)
SOURCE = frame_source({"BTC/USDT": CANDLES, "BTC/USDT:USDT": CANDLES})
NOW_MS = START_MS + 2 * DAY_MS + 15_000


def ticker(symbol: str, now_ms: int = NOW_MS):
    return ticker_24h(MarketView(SOURCE, symbol, now_ms), market_spec(symbol, 60_000.0), seed=1)


def test_statistics_cover_the_last_24_hours() -> None:
    body = ticker("BTC/USDT")
    assert body is not None
    day = CANDLES[
        (CANDLES["ts_ms"] >= NOW_MS - 15_000 - DAY_MS) & (CANDLES["ts_ms"] < NOW_MS - 15_000)
    ]
    current = CANDLES[CANDLES["ts_ms"] == NOW_MS - 15_000].iloc[0]
    assert float(body["openPrice"]) == pytest.approx(day["open"].iloc[0], abs=0.005)
    assert float(body["lastPrice"]) == pytest.approx(current["open"], abs=0.005)
    assert float(body["highPrice"]) == pytest.approx(
        max(day["high"].max(), current["open"]), abs=0.005
    )
    assert float(body["volume"]) == pytest.approx(day["volume"].sum(), abs=1e-4)
    assert float(body["priceChange"]) == pytest.approx(
        float(body["lastPrice"]) - float(body["openPrice"]), abs=0.011
    )
    assert (body["openTime"], body["closeTime"]) == (NOW_MS - DAY_MS, NOW_MS)
    assert body["count"] == body["lastId"] - body["firstId"] + 1
    assert float(body["lowPrice"]) <= float(body["weightedAvgPrice"]) <= float(body["highPrice"])


def test_spot_has_book_and_previous_close_and_futures_do_not() -> None:
    spot, perp = ticker("BTC/USDT"), ticker("BTC/USDT:USDT")
    assert spot is not None
    assert perp is not None
    assert {"bidPrice", "bidQty", "askPrice", "askQty", "prevClosePrice"} <= set(spot)
    assert not {"bidPrice", "askPrice", "prevClosePrice"} & set(perp)
    assert float(spot["bidPrice"]) < float(spot["askPrice"])


def test_no_ticker_before_the_data_starts() -> None:
    assert ticker("BTC/USDT", now_ms=START_MS - DAY_MS) is None
