"""Funding history windows and the premium index, never ahead of "now"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantbot.venues.emulator.errors import ApiError
from quantbot.venues.emulator.funding import (
    FUNDING_INTERVAL_MS,
    FundingQuery,
    funding_rows,
    premium_index,
    select_funding,
)
from quantbot.venues.emulator.market_view import MarketView
from quantbot.venues.emulator.markets import market_spec

from ._builders import MINUTE_MS, START_MS, frame_source, minute_candles

SETTLEMENTS = 12
FUNDING = pd.DataFrame(
    {
        "ts_ms": START_MS + np.arange(SETTLEMENTS, dtype=np.int64) * FUNDING_INTERVAL_MS,
        "funding_rate": np.round(np.linspace(-0.0003, 0.0008, SETTLEMENTS), 8),
    }
)
SOURCE = frame_source(
    {"BTC/USDT:USDT": minute_candles(START_MS, 4 * 1440, price=60_000.0)},
    {"BTC/USDT:USDT": FUNDING},
)
SPEC = market_spec("BTC/USDT:USDT", 60_000.0)
NOW_MS = START_MS + 5 * FUNDING_INTERVAL_MS + 90 * MINUTE_MS  # after the 6th settlement


def view(now_ms: int = NOW_MS) -> MarketView:
    return MarketView(SOURCE, "BTC/USDT:USDT", now_ms)


def select(
    start: int | None = None, end: int | None = None, limit: int | None = None, now_ms: int = NOW_MS
) -> list[int]:
    found = select_funding(
        view(now_ms), FundingQuery.parse(start_ms=start, end_ms=end, limit=limit)
    )
    return [int((t - START_MS) // FUNDING_INTERVAL_MS) for t in found["ts_ms"]]


def test_only_settlements_up_to_now_exist() -> None:
    assert select() == [0, 1, 2, 3, 4, 5]
    assert select(now_ms=START_MS - 1) == []


def test_start_time_gives_the_first_and_no_start_the_latest() -> None:
    assert select(start=START_MS + FUNDING_INTERVAL_MS, limit=2) == [1, 2]
    assert select(limit=2) == [4, 5]
    assert select(end=START_MS + 3 * FUNDING_INTERVAL_MS, limit=2) == [2, 3]  # endTime inclusive
    assert select(start=START_MS + 1, end=START_MS + 2 * FUNDING_INTERVAL_MS) == [1, 2]


def test_limit_defaults_to_100_caps_at_1000_and_must_be_positive() -> None:
    assert FundingQuery.parse(start_ms=None, end_ms=None, limit=None).limit == 100
    assert FundingQuery.parse(start_ms=None, end_ms=None, limit=5000).limit == 1000
    with pytest.raises(ApiError):
        FundingQuery.parse(start_ms=None, end_ms=None, limit=0)


def test_rows_carry_rate_and_mark_price_at_settlement() -> None:
    found = select_funding(view(), FundingQuery.parse(start_ms=None, end_ms=None, limit=2))
    rows = funding_rows(view(), SPEC, found)
    candles = SOURCE.candles(
        "BTC/USDT:USDT",
        "1m",
        start_ms=int(found["ts_ms"].iloc[-1]),
        end_ms=int(found["ts_ms"].iloc[-1]) + MINUTE_MS,
    )
    assert rows[-1] == {
        "symbol": "BTCUSDT",
        "fundingTime": int(found["ts_ms"].iloc[-1]),
        "fundingRate": f"{FUNDING['funding_rate'].iloc[5]:.8f}",
        "markPrice": SPEC.price_text(float(candles["open"].iloc[0])),
    }


def test_premium_index_shows_the_last_settled_rate_and_the_next_settlement() -> None:
    index = premium_index(view(), SPEC)
    assert index is not None
    assert index["lastFundingRate"] == f"{FUNDING['funding_rate'].iloc[5]:.8f}"
    assert index["nextFundingTime"] == START_MS + 6 * FUNDING_INTERVAL_MS
    assert index["time"] == NOW_MS
    mark, index_price = float(index["markPrice"]), float(index["indexPrice"])
    assert mark == pytest.approx(view().price())
    # A positive premium above the interest part puts the mark above the index.
    assert (mark > index_price) == (FUNDING["funding_rate"].iloc[5] > 0.0001)
    assert premium_index(view(START_MS - MINUTE_MS), SPEC) is None
