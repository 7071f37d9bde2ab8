"""The measurements behind the universe filters: USD volume, spread, daily volatility."""

from __future__ import annotations

import statistics
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.data.errors import DataFormatError
from quantbot.data.market_stats import DAY_MS, daily_stats, spread_pct, usd_value
from quantbot.data.ohlcv import OhlcvArrays

DAY0_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z


def daily(closes: list[float], first_ms: int = DAY0_MS) -> OhlcvArrays:
    n = len(closes)
    close = np.array(closes, dtype=np.float64)
    return OhlcvArrays(
        ts_ms=first_ms + DAY_MS * np.arange(n, dtype=np.int64),
        open=close,
        high=close,
        low=close,
        close=close,
        volume=np.ones(n),
    )


def test_btc_quoted_volume_is_converted_with_the_btc_price() -> None:
    assert usd_value(12.5, "BTC", {"BTC": 64_000.0}) == 800_000.0


def test_usd_pegged_quotes_count_at_one_dollar_and_unpriced_ones_are_unknown() -> None:
    assert usd_value(3e6, "USDT", {}) == 3e6
    assert usd_value(3e6, "usd", {}) == 3e6
    assert usd_value(3e6, "ETH", {"BTC": 64_000.0}) is None


def test_spread_is_a_percentage_of_the_mid_price() -> None:
    assert spread_pct(99.75, 100.25) == 0.5
    assert spread_pct(100.0, 100.0) == 0.0


@pytest.mark.parametrize(("bid", "ask"), [(None, 1.0), (1.0, None), (0.0, 1.0), (2.0, 1.0)])
def test_spread_of_a_missing_empty_or_crossed_quote_is_unknown(
    bid: float | None, ask: float | None
) -> None:
    assert spread_pct(bid, ask) is None


def test_daily_volatility_is_the_sample_std_of_close_to_close_returns_in_percent() -> None:
    closes = [100.0, 110.0, 99.0, 103.95, 98.7525]
    stats = daily_stats(daily(closes), now_ms=DAY0_MS + 5 * DAY_MS)
    returns = [b / a - 1 for a, b in pairwise(closes)]
    assert stats.history_days == 5
    assert stats.volatility_pct == pytest.approx(statistics.stdev(returns) * 100, rel=1e-12)


def test_the_candle_still_open_is_left_out() -> None:
    closes = [100.0, 101.0, 102.0, 500.0]  # the last day is in progress
    now_ms = DAY0_MS + 3 * DAY_MS + 3_600_000
    stats = daily_stats(daily(closes), now_ms)
    assert stats.history_days == 3
    assert stats.volatility_pct == pytest.approx(
        statistics.stdev([101 / 100 - 1, 102 / 101 - 1]) * 100
    )


def test_candles_in_any_order_give_the_same_statistics() -> None:
    arrays = daily([100.0, 104.0, 98.0, 101.0])
    reversed_arrays = OhlcvArrays(
        *(
            column[::-1]
            for column in (
                arrays.ts_ms,
                arrays.open,
                arrays.high,
                arrays.low,
                arrays.close,
                arrays.volume,
            )
        )
    )
    now_ms = DAY0_MS + 10 * DAY_MS
    assert daily_stats(reversed_arrays, now_ms) == daily_stats(arrays, now_ms)


def test_volatility_needs_three_closed_candles() -> None:
    stats = daily_stats(daily([100.0, 101.0]), now_ms=DAY0_MS + 9 * DAY_MS)
    assert stats.history_days == 2
    assert stats.volatility_pct is None


def test_a_non_positive_close_is_reported_not_skipped() -> None:
    with pytest.raises(DataFormatError, match="positive"):
        daily_stats(daily([100.0, 0.0, 101.0]), now_ms=DAY0_MS + 9 * DAY_MS)


@given(
    st.lists(st.floats(min_value=0.01, max_value=1e6), min_size=3, max_size=40),
    st.floats(min_value=1e-3, max_value=1e3),
)
def test_volatility_does_not_depend_on_the_price_unit(closes: list[float], scale: float) -> None:
    now_ms = DAY0_MS + len(closes) * DAY_MS
    plain = daily_stats(daily(closes), now_ms).volatility_pct
    scaled = daily_stats(daily([c * scale for c in closes]), now_ms).volatility_pct
    assert plain is not None
    assert scaled == pytest.approx(plain, rel=1e-6, abs=1e-9)
