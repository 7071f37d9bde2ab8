"""Trades derived from candles: on the candle's path, summing to its volume, stable ids."""

from __future__ import annotations

import numpy as np
import pytest

from quantbot.venues.emulator.market_view import MarketView
from quantbot.venues.emulator.markets import market_spec
from quantbot.venues.emulator.trades import (
    TRADES_PER_CANDLE,
    candle_trades,
    recent_trades,
    trades_between,
    trades_from_id,
)

from ._builders import MINUTE_MS, START_MS, frame_source, minute_candles

CANDLES = minute_candles(START_MS, 600, price=60_000.0)
SPEC = market_spec("BTC/USDT", 60_000.0)
SOURCE = frame_source({"BTC/USDT": CANDLES})
NOW_MS = START_MS + 300 * MINUTE_MS + 40_000


def view(now_ms: int = NOW_MS) -> MarketView:
    return MarketView(SOURCE, "BTC/USDT", now_ms)


def test_each_candle_becomes_trades_inside_it_that_sum_to_its_volume() -> None:
    trades = candle_trades(CANDLES.head(50), base_ms=MINUTE_MS, spec=SPEC)
    minute = trades["ts_ms"] // MINUTE_MS * MINUTE_MS
    for ts, group in trades.groupby(minute):
        candle = CANDLES[CANDLES["ts_ms"] == ts].iloc[0]
        assert len(group) == TRADES_PER_CANDLE
        assert group["price"].iloc[0] == pytest.approx(candle["open"], abs=0.005)
        assert group["price"].iloc[-1] == pytest.approx(candle["close"], abs=0.005)
        assert group["price"].max() == pytest.approx(candle["high"], abs=0.005)
        assert group["price"].min() == pytest.approx(candle["low"], abs=0.005)
        assert group["qty"].sum() == pytest.approx(candle["volume"], abs=TRADES_PER_CANDLE * 1e-5)
    assert (np.diff(trades["id"]) > 0).all()
    assert (np.diff(trades["ts_ms"]) > 0).all()


def test_trades_are_on_the_tick_and_lot_grid_and_down_ticks_are_seller_initiated() -> None:
    trades = candle_trades(CANDLES.head(20), base_ms=MINUTE_MS, spec=SPEC)
    assert np.allclose(trades["price"] / 0.01, np.round(trades["price"] / 0.01))
    assert np.allclose(trades["qty"] / 0.00001, np.round(trades["qty"] / 0.00001))
    down = trades["price"].diff() < 0
    assert (trades["buyer_maker"] == down).all()


def test_the_same_candles_always_give_the_same_trades() -> None:
    first = candle_trades(CANDLES.head(30), base_ms=MINUTE_MS, spec=SPEC)
    again = candle_trades(CANDLES.head(30), base_ms=MINUTE_MS, spec=SPEC)
    assert first.equals(again)
    other_market = candle_trades(
        CANDLES.head(30), base_ms=MINUTE_MS, spec=market_spec("ETH/USDT", 3000.0)
    )
    assert not first["ts_ms"].equals(other_market["ts_ms"])


def test_recent_trades_end_before_the_open_candle() -> None:
    trades = recent_trades(view(), SPEC, limit=20)
    assert len(trades) == 20
    assert trades["ts_ms"].max() < NOW_MS - 40_000
    assert trades["id"].iloc[-1] == (NOW_MS // MINUTE_MS) * TRADES_PER_CANDLE - 1


def test_trades_from_id_start_at_that_id() -> None:
    recent = recent_trades(view(), SPEC, limit=50)
    from_id = int(recent["id"].iloc[7])
    got = trades_from_id(view(), SPEC, from_id=from_id, limit=10)
    assert got["id"].tolist() == recent["id"].iloc[7:17].tolist()
    assert trades_from_id(view(), SPEC, from_id=int(recent["id"].iloc[-1]) + 1, limit=10).empty


def test_trades_between_is_inclusive_and_stops_at_now() -> None:
    all_trades = recent_trades(view(), SPEC, limit=60)
    lo, hi = int(all_trades["ts_ms"].iloc[3]), int(all_trades["ts_ms"].iloc[9])
    got = trades_between(view(), SPEC, start_ms=lo, end_ms=hi)
    assert got["id"].tolist() == all_trades["id"].iloc[3:10].tolist()
    assert trades_between(view(), SPEC, start_ms=NOW_MS - 40_000, end_ms=NOW_MS + MINUTE_MS).empty


def test_candles_without_volume_have_no_trades() -> None:
    quiet = CANDLES.head(3).assign(volume=0.0)
    assert candle_trades(quiet, base_ms=MINUTE_MS, spec=SPEC).empty
