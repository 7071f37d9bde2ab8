"""A market at "now": the open candle and the price never use what happens after now."""

from __future__ import annotations

from quantbot.venues.emulator.market_view import MarketView

from ._builders import MINUTE_MS, START_MS, frame_source, minute_candles

CANDLES = minute_candles(START_MS, 120)
SOURCE = frame_source({"BTC/USDT": CANDLES})


def test_price_is_the_open_of_the_current_minute() -> None:
    view = MarketView(SOURCE, "BTC/USDT", START_MS + 30 * MINUTE_MS + 59_999)
    assert view.price() == CANDLES["open"].iloc[30]


def test_after_the_data_ends_the_price_is_the_last_close() -> None:
    view = MarketView(SOURCE, "BTC/USDT", START_MS + 500 * MINUTE_MS)
    assert view.price() == CANDLES["close"].iloc[-1]
    assert view.current_base().empty


def test_before_the_data_starts_there_is_no_price_and_no_open_candle() -> None:
    view = MarketView(SOURCE, "BTC/USDT", START_MS - 1)
    assert view.price() is None
    assert view.open_candle("1h").empty


def test_closed_candles_stop_before_the_open_one() -> None:
    view = MarketView(SOURCE, "BTC/USDT", START_MS + 90 * MINUTE_MS + 1)
    closed = view.closed("1h", start_ms=START_MS, end_ms=START_MS + 10 * 60 * MINUTE_MS)
    assert closed["ts_ms"].tolist() == [START_MS]
    assert view.open_candle("1h")["ts_ms"].tolist() == [START_MS + 60 * MINUTE_MS]


def test_timeframes_must_be_whole_multiples_of_the_base() -> None:
    view = MarketView(SOURCE, "BTC/USDT", START_MS)
    assert view.serves("1m")
    assert view.serves("4h")
    assert view.serves("1w")
