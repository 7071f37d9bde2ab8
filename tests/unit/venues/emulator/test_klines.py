"""Klines windowing: Binance's startTime/endTime/limit rules, and nothing from the future."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantbot.data.resample import resample
from quantbot.venues.emulator.errors import ApiError
from quantbot.venues.emulator.klines import KlineQuery, kline_rows, select_klines
from quantbot.venues.emulator.market_view import MarketView
from quantbot.venues.emulator.markets import market_spec

from ._builders import MINUTE_MS, START_MS, frame_source, minute_candles

HOUR_MS = 60 * MINUTE_MS
CANDLES = minute_candles(START_MS, 3 * 1440, gaps=((600, 719),))
SOURCE = frame_source({"BTC/USDT": CANDLES})
NOW_MS = START_MS + 2 * 1440 * MINUTE_MS + 30 * MINUTE_MS + 30_000  # day 3, 00:30:30


def klines(
    interval: str,
    *,
    now_ms: int = NOW_MS,
    start: int | None = None,
    end: int | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    query = KlineQuery.parse(
        interval=interval, start_ms=start, end_ms=end, limit=limit, max_limit=1000
    )
    return select_klines(MarketView(SOURCE, "BTC/USDT", now_ms), query)


def expected_klines(interval: str, now_ms: int) -> pd.DataFrame:
    """Every candle a client may see at ``now_ms``, built independently of the windowing."""
    period = {"1m": MINUTE_MS, "5m": 5 * MINUTE_MS, "1h": HOUR_MS}[interval]
    known = CANDLES[CANDLES["ts_ms"] + MINUTE_MS <= now_ms]
    full = (
        known
        if interval == "1m"
        else resample(CANDLES, "1m", interval).drop(columns="source_count")
    )
    closed = full[full["ts_ms"] + period <= now_ms]
    open_at = now_ms - now_ms % period
    minute_at = now_ms - now_ms % MINUTE_MS
    current = CANDLES[CANDLES["ts_ms"] == minute_at]
    inside = known[known["ts_ms"] >= open_at]
    if current.empty and inside.empty:
        return closed.reset_index(drop=True)
    price = float(current["open"].iloc[0]) if not current.empty else None
    highs = [*inside["high"], *([price] if price is not None else [])]
    lows = [*inside["low"], *([price] if price is not None else [])]
    forming = pd.DataFrame(
        {
            "ts_ms": [open_at],
            "open": [float(inside["open"].iloc[0]) if not inside.empty else price],
            "high": [max(highs)],
            "low": [min(lows)],
            "close": [price if price is not None else float(inside["close"].iloc[-1])],
            "volume": [float(inside["volume"].sum())],
        }
    )
    return pd.concat([closed, forming], ignore_index=True)


def test_limit_defaults_to_500_and_is_capped_at_the_api_maximum() -> None:
    assert (
        KlineQuery.parse(
            interval="1m", start_ms=None, end_ms=None, limit=None, max_limit=1000
        ).limit
        == 500
    )
    assert (
        KlineQuery.parse(
            interval="1m", start_ms=None, end_ms=None, limit=5000, max_limit=1000
        ).limit
        == 1000
    )
    assert (
        KlineQuery.parse(
            interval="1m", start_ms=None, end_ms=None, limit=5000, max_limit=1500
        ).limit
        == 1500
    )


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"interval": None}, -1102),
        ({"interval": "7m"}, -1120),
        ({"interval": "1M"}, -1120),
        ({"limit": 0}, -1130),
    ],
)
def test_bad_parameters_get_binance_error_codes(fields: dict[str, object], code: int) -> None:
    arguments: dict[str, object] = {
        "interval": "1m",
        "start_ms": None,
        "end_ms": None,
        "limit": None,
        "max_limit": 1000,
        **fields,
    }
    with pytest.raises(ApiError) as raised:
        KlineQuery.parse(**arguments)  # type: ignore[arg-type]
    assert raised.value.code == code


def test_without_times_the_latest_candles_end_with_the_one_still_open() -> None:
    got = klines("1m", limit=5)
    assert np.diff(got["ts_ms"]).tolist() == [MINUTE_MS] * 4
    last = got.iloc[-1]
    assert last["ts_ms"] == NOW_MS - 30_000
    # Half a minute in, the open candle has no trades yet: flat at its open.
    assert last["open"] == last["high"] == last["low"] == last["close"]
    assert last["volume"] == 0


def test_start_time_is_inclusive_and_an_unaligned_start_begins_at_the_next_candle() -> None:
    at = START_MS + 10 * MINUTE_MS
    assert klines("1m", start=at, limit=3)["ts_ms"].tolist() == [
        at,
        at + MINUTE_MS,
        at + 2 * MINUTE_MS,
    ]
    assert klines("1m", start=at + 1, limit=1)["ts_ms"].tolist() == [at + MINUTE_MS]


def test_end_time_is_inclusive() -> None:
    end = START_MS + 10 * MINUTE_MS
    assert klines("1m", end=end, limit=2)["ts_ms"].tolist() == [end - MINUTE_MS, end]
    assert klines("1m", start=end - 5 * MINUTE_MS, end=end, limit=100)["ts_ms"].iloc[-1] == end


def test_a_page_skips_a_gap_in_the_data() -> None:
    got = klines("1m", start=START_MS + 590 * MINUTE_MS, limit=20)
    assert len(got) == 20
    assert got["ts_ms"].iloc[10] == START_MS + 720 * MINUTE_MS


def test_nothing_opens_after_now() -> None:
    assert klines("1m", start=NOW_MS + HOUR_MS).empty
    assert klines("1h", now_ms=START_MS - 1).empty
    assert (klines("1m", limit=1000)["ts_ms"] <= NOW_MS).all()


def test_the_open_hour_is_built_from_its_closed_minutes_only() -> None:
    hour = klines("1h", limit=1).iloc[-1]
    minutes = CANDLES[(CANDLES["ts_ms"] >= hour["ts_ms"]) & (CANDLES["ts_ms"] < NOW_MS - 30_000)]
    assert len(minutes) == 30
    assert hour["volume"] == pytest.approx(minutes["volume"].sum())
    assert hour["open"] == minutes["open"].iloc[0]
    whole_hour = CANDLES[
        (CANDLES["ts_ms"] >= hour["ts_ms"]) & (CANDLES["ts_ms"] < hour["ts_ms"] + HOUR_MS)
    ]
    assert hour["volume"] < whole_hour["volume"].sum()


@settings(max_examples=60)
@given(
    interval=st.sampled_from(["1m", "5m", "1h"]),
    now_offset=st.integers(0, 3 * 1440 * MINUTE_MS + HOUR_MS),
    start_offset=st.none() | st.integers(-HOUR_MS, 3 * 1440 * MINUTE_MS),
    end_offset=st.none() | st.integers(0, 3 * 1440 * MINUTE_MS),
    limit=st.integers(1, 700),
)
def test_windows_match_binance_rules(
    interval: str, now_offset: int, start_offset: int | None, end_offset: int | None, limit: int
) -> None:
    now_ms = START_MS + now_offset
    start = None if start_offset is None else START_MS + start_offset
    end = None if end_offset is None else START_MS + end_offset
    visible = expected_klines(interval, now_ms)
    if start is not None:
        visible = visible[visible["ts_ms"] >= start]
    if end is not None:
        visible = visible[visible["ts_ms"] <= end]
    expected = visible.head(limit) if start is not None else visible.tail(limit)
    got = klines(interval, now_ms=now_ms, start=start, end=end, limit=limit)
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )


def test_kline_rows_have_binance_fields_and_formats() -> None:
    spec = market_spec("BTC/USDT", 100.0)
    row = kline_rows(klines("1h", limit=2).head(1), spec, period_ms=HOUR_MS, base_ms=MINUTE_MS)[0]
    assert len(row) == 12
    open_ms, o, h, low, c, v, close_ms, quote, trades, buy_base, buy_quote, ignore = row
    assert close_ms == open_ms + HOUR_MS - 1
    assert all(
        isinstance(x, str) and len(x.split(".")[1]) == 8
        for x in (o, h, low, c, v, quote, buy_base, buy_quote)
    )
    assert float(low) <= min(float(o), float(c)) <= max(float(o), float(c)) <= float(h)
    assert 0 < float(buy_base) < float(v)
    assert isinstance(trades, int)
    assert trades > 0
    assert ignore == "0"
