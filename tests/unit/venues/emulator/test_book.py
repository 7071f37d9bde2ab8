"""Depth snapshots: Binance's limits, an uncrossed book on the market's grid, stable per minute."""

from __future__ import annotations

import pytest

from quantbot.venues.emulator.book import (
    FUTURES_DEPTH_LIMITS,
    depth_body,
    depth_limit,
    depth_snapshot,
)
from quantbot.venues.emulator.errors import ApiError
from quantbot.venues.emulator.market_view import MarketView
from quantbot.venues.emulator.markets import market_spec

from ._builders import MINUTE_MS, START_MS, frame_source, minute_candles

CANDLES = minute_candles(START_MS, 300, price=60_000.0)
SOURCE = frame_source({"BTC/USDT": CANDLES, "BTC/USDT:USDT": CANDLES})
NOW_MS = START_MS + 200 * MINUTE_MS + 5_000


def snapshot(symbol: str = "BTC/USDT", now_ms: int = NOW_MS, levels: int = 50):
    spec = market_spec(symbol, 60_000.0)
    return spec, depth_snapshot(MarketView(SOURCE, symbol, now_ms), spec, levels=levels, seed=3)


def test_spot_limits_default_to_100_and_are_cut_at_5000() -> None:
    assert depth_limit(None, perpetual=False) == 100
    assert depth_limit(7, perpetual=False) == 7
    assert depth_limit(9999, perpetual=False) == 5000
    with pytest.raises(ApiError):
        depth_limit(0, perpetual=False)


def test_futures_accept_only_binance_depth_limits() -> None:
    assert depth_limit(None, perpetual=True) == 500
    assert all(depth_limit(limit, perpetual=True) == limit for limit in FUTURES_DEPTH_LIMITS)
    with pytest.raises(ApiError) as raised:
        depth_limit(25, perpetual=True)
    assert raised.value.code == -4021


@pytest.mark.parametrize("symbol", ["BTC/USDT", "BTC/USDT:USDT"])
def test_book_is_sorted_uncrossed_around_the_price_and_on_the_grid(symbol: str) -> None:
    spec, book = snapshot(symbol)
    bids = [(float(p), float(q)) for p, q in book.bids]
    asks = [(float(p), float(q)) for p, q in book.asks]
    assert len(bids) == len(asks) == 50
    assert [p for p, _ in bids] == sorted({p for p, _ in bids}, reverse=True)
    assert [p for p, _ in asks] == sorted({p for p, _ in asks})
    price = float(CANDLES[CANDLES["ts_ms"] == NOW_MS - 5_000]["open"].iloc[0])
    tick = float(spec.tick_size)
    assert bids[0][0] < asks[0][0]
    assert bids[0][0] - tick <= price <= asks[0][0] + tick
    for p, q in bids + asks:
        assert p / tick == pytest.approx(round(p / tick))
        assert q >= float(spec.min_qty)


def test_the_book_holds_within_a_minute_and_moves_with_the_next() -> None:
    _, book = snapshot()
    _, same_minute = snapshot(now_ms=NOW_MS + 20_000)
    _, next_minute = snapshot(now_ms=NOW_MS + MINUTE_MS)
    assert book == same_minute
    assert book.bids != next_minute.bids
    assert next_minute.update_id > book.update_id


def test_futures_depth_carries_event_and_transaction_times() -> None:
    _, book = snapshot("BTC/USDT:USDT", levels=5)
    assert set(depth_body(book, perpetual=True, now_ms=NOW_MS)) == {
        "lastUpdateId",
        "E",
        "T",
        "bids",
        "asks",
    }
    assert set(depth_body(book, perpetual=False, now_ms=NOW_MS)) == {"lastUpdateId", "bids", "asks"}


def test_no_book_before_the_data_starts() -> None:
    _, book = snapshot(now_ms=START_MS - MINUTE_MS)
    assert book.bids == book.asks == []
