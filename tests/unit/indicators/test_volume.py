"""Volume indicators: OBV and MFI by definition, VWAP and volume ratio on hand-made bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quantbot.indicators import (
    IndicatorError,
    mfi,
    obv,
    rolling_vwap,
    session_vwap,
    volume_ratio,
)

from ._markets import MINUTE_MS, START_MS, random_market

HOUR_MS = 60 * MINUTE_MS


def test_obv_adds_volume_on_up_closes_and_subtracts_it_on_down_closes() -> None:
    close = [10.0, 11.0, 10.5, 10.5, 12.0]
    volume = [5.0, 2.0, 3.0, 7.0, 1.0]
    np.testing.assert_array_equal(obv(close, volume), [5.0, 7.0, 4.0, 4.0, 5.0])


def test_mfi_is_the_share_of_positive_money_flow() -> None:
    market = random_market(31, 200, zero_volume_share=0.0)
    high, low, close, volume = (market[key] for key in ("high", "low", "close", "volume"))
    typical = (high + low + close) / 3.0
    flow = typical * volume
    up = np.concatenate(([False], typical[1:] > typical[:-1]))
    down = np.concatenate(([False], typical[1:] < typical[:-1]))
    positive = pd.Series(np.where(up, flow, 0.0)).rolling(14).sum().to_numpy()
    negative = pd.Series(np.where(down, flow, 0.0)).rolling(14).sum().to_numpy()
    expected = 100.0 * positive / (positive + negative)
    expected[:14] = np.nan
    np.testing.assert_allclose(mfi(high, low, close, volume, 14), expected, rtol=1e-9)


def test_volume_ratio_compares_each_bar_with_the_mean_including_itself() -> None:
    np.testing.assert_allclose(
        volume_ratio([1.0, 1.0, 1.0, 4.0, 0.0], 4), [np.nan, np.nan, np.nan, 16 / 7, 0.0]
    )


def test_volume_ratio_is_undefined_over_a_window_without_volume() -> None:
    volume = np.array([50.0, 0.0, 0.0, 0.0, 0.0, 2.0])
    np.testing.assert_array_equal(
        volume_ratio(volume, 3), [np.nan, np.nan, 0.0, np.nan, np.nan, 3.0]
    )


def test_volume_ratio_agrees_with_a_windowed_mean_on_a_long_series() -> None:
    volume = random_market(32, 5000)["volume"]
    expected = volume / pd.Series(volume).rolling(20).mean().to_numpy()
    np.testing.assert_allclose(volume_ratio(volume, 20), expected, rtol=1e-9)


def test_rolling_vwap_weighs_typical_prices_by_volume() -> None:
    price = np.array([10.0, 20.0, 30.0])
    volume = np.array([1.0, 1.0, 2.0])
    # typical = price (high = low = close): (10 + 20) / 2, then (20 + 60) / 3
    np.testing.assert_allclose(rolling_vwap(price, price, price, volume, 2), [np.nan, 15.0, 80 / 3])


def test_rolling_vwap_uses_the_typical_price() -> None:
    vwap = rolling_vwap([12.0], [6.0], [9.0], [5.0], 1)
    np.testing.assert_array_equal(vwap, [9.0])


def test_rolling_vwap_is_undefined_without_volume_and_recovers_after_a_hole() -> None:
    price = np.full(8, 10.0)
    volume = np.array([1.0, 0.0, 0.0, 1.0, np.nan, 1.0, 1.0, 1.0])
    vwap = rolling_vwap(price, price, price, volume, 2)
    np.testing.assert_array_equal(vwap, [np.nan, 10.0, np.nan, 10.0, np.nan, np.nan, 10.0, 10.0])


def session_bars(minutes_after_start: list[int]) -> np.ndarray:
    return START_MS + MINUTE_MS * np.array(minutes_after_start, dtype=np.int64)


def test_session_vwap_restarts_at_midnight_utc() -> None:
    day = 24 * 60
    ts = session_bars([day - 2, day - 1, day, day + 1])
    price = np.array([10.0, 20.0, 40.0, 10.0])
    volume = np.array([1.0, 3.0, 1.0, 1.0])
    vwap = session_vwap(ts, price, price, price, volume)
    np.testing.assert_allclose(vwap, [10.0, 70 / 4, 40.0, 25.0])


def test_session_vwap_with_four_hour_sessions() -> None:
    ts = session_bars([0, 60, 239, 240, 300])
    price = np.array([1.0, 2.0, 3.0, 4.0, 6.0])
    vwap = session_vwap(ts, price, price, price, np.ones(5), session_ms=4 * HOUR_MS)
    np.testing.assert_allclose(vwap, [1.0, 1.5, 2.0, 4.0, 5.0])


def test_session_vwap_waits_for_volume_and_stays_unknown_after_a_missing_bar() -> None:
    day = 24 * 60
    ts = session_bars([0, 1, 2, 3, day, day + 1])
    price = np.array([10.0, 12.0, np.nan, 14.0, 20.0, 30.0])
    volume = np.array([0.0, 2.0, 1.0, 1.0, 1.0, 1.0])
    vwap = session_vwap(ts, price, price, price, volume)
    np.testing.assert_array_equal(vwap, [np.nan, 12.0, np.nan, np.nan, 20.0, 25.0])


def test_session_vwap_agrees_with_a_per_day_cumulative_sum() -> None:
    market = random_market(33, 5000)
    high, low, close, volume = (market[key] for key in ("high", "low", "close", "volume"))
    frame = pd.DataFrame(
        {
            "day": market["ts_ms"] // 86_400_000,
            "traded": (high + low + close) / 3.0 * volume,
            "volume": volume,
        }
    )
    sums = frame.groupby("day")[["traded", "volume"]].cumsum()
    expected = (sums["traded"] / sums["volume"].where(sums["volume"] > 0)).to_numpy()
    vwap = session_vwap(market["ts_ms"], high, low, close, volume)
    np.testing.assert_allclose(vwap, expected, rtol=1e-12)


def test_session_vwap_refuses_timestamps_out_of_order_or_misaligned() -> None:
    price = np.ones(3)
    with pytest.raises(IndicatorError, match="session_vwap ts_ms: must not decrease"):
        session_vwap(session_bars([0, 2, 1]), price, price, price, price)
    with pytest.raises(
        IndicatorError, match="session_vwap: series lengths differ: ts_ms 2, volume 3"
    ):
        session_vwap(session_bars([0, 1]), price, price, price, price)
