"""Momentum oscillators against their textbook definitions, written out independently here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from quantbot.indicators import IndicatorError, cci, roc, rsi, stoch_rsi

from ._markets import random_market


def wilder_rsi(close: np.ndarray, period: int) -> np.ndarray:
    """RSI by the book: Wilder's averages seeded with the mean of the first ``period`` moves."""
    moves = np.diff(close)
    gains, losses = np.maximum(moves, 0.0), np.maximum(-moves, 0.0)
    out = np.full(len(close), np.nan)
    avg_gain, avg_loss = gains[:period].mean(), losses[:period].mean()
    for t in range(period, len(close)):
        if t > period:
            avg_gain = (avg_gain * (period - 1) + gains[t - 1]) / period
            avg_loss = (avg_loss * (period - 1) + losses[t - 1]) / period
        out[t] = 100.0 * avg_gain / (avg_gain + avg_loss)
    return out


def test_rsi_is_wilders_rsi() -> None:
    close = random_market(11, 500)["close"]
    np.testing.assert_allclose(rsi(close, 14), wilder_rsi(close, 14), rtol=1e-9)


def test_rsi_of_a_series_that_only_rises_is_100() -> None:
    values = rsi(np.arange(1.0, 31.0), 14)
    assert np.isnan(values[:14]).all()
    np.testing.assert_array_equal(values[14:], 100.0)


def test_rsi_of_a_series_that_only_falls_is_0() -> None:
    np.testing.assert_array_equal(rsi(np.arange(30.0, 0.0, -1.0), 14)[14:], 0.0)


def test_rsi_of_an_unmoved_series_is_neutral_where_talib_says_oversold() -> None:
    close = np.concatenate((np.full(20, 100.0), [101.0, 100.5]))
    assert talib.RSI(close, 14)[14] == 0.0
    values = rsi(close, 14)
    np.testing.assert_array_equal(values[14:20], 50.0)
    assert values[20] == 100.0  # the first move, a gain, with no loss ever
    assert 0.0 < values[21] < 100.0


def test_rsi_after_leading_nans_starts_its_neutral_stretch_at_the_first_price() -> None:
    close = np.concatenate(([np.nan, np.nan], np.full(20, 7.0)))
    values = rsi(close, 5)
    assert np.isnan(values[:7]).all()
    np.testing.assert_array_equal(values[7:], 50.0)


def test_rsi_needs_a_period_of_two() -> None:
    with pytest.raises(IndicatorError, match="rsi period 1: must be >= 2"):
        rsi([1.0, 2.0, 3.0], 1)


def pandas_stoch_rsi(
    close: np.ndarray, periods: tuple[int, int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    rsi_period, stoch_period, k_period, d_period = periods
    strength = pd.Series(wilder_rsi(close, rsi_period))
    low = strength.rolling(stoch_period).min()
    high = strength.rolling(stoch_period).max()
    raw = 100.0 * (strength - low) / (high - low)
    k = raw.rolling(k_period).mean()
    return k.to_numpy(), k.rolling(d_period).mean().to_numpy()


@pytest.mark.parametrize("periods", [(14, 14, 3, 3), (7, 5, 1, 2)])
def test_stoch_rsi_is_the_smoothed_position_of_rsi_in_its_range(
    periods: tuple[int, int, int, int],
) -> None:
    close = random_market(12, 600)["close"]
    k, d = stoch_rsi(close, *periods)
    expected_k, expected_d = pandas_stoch_rsi(close, periods)
    first_k = sum(periods[:3]) - 2
    assert np.isnan(k[:first_k]).all()
    assert np.isnan(d[: first_k + periods[3] - 1]).all()
    np.testing.assert_allclose(k, expected_k, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(d, expected_d, rtol=1e-9, atol=1e-9)


def test_stoch_rsi_of_a_flat_rsi_is_neutral() -> None:
    k, d = stoch_rsi(np.arange(1.0, 61.0))  # RSI 100 throughout: its range is zero
    np.testing.assert_array_equal(k[~np.isnan(k)], 50.0)
    np.testing.assert_array_equal(d[~np.isnan(d)], 50.0)
    assert np.isfinite(d).sum() == 60 - (14 + 14 + 3 - 2) - 2


def test_roc_is_the_percent_change_over_the_period() -> None:
    np.testing.assert_allclose(roc([100.0, 50.0, 110.0, 60.0], 2), [np.nan, np.nan, 10.0, 20.0])


def test_cci_is_the_scaled_distance_of_the_typical_price_from_its_mean() -> None:
    market = random_market(13, 300)
    high, low, close = market["high"], market["low"], market["close"]
    typical = (high + low + close) / 3.0
    windows = np.lib.stride_tricks.sliding_window_view(typical, 20)
    mean = windows.mean(axis=1)
    deviation = np.abs(windows - mean[:, None]).mean(axis=1)
    expected = np.concatenate((np.full(19, np.nan), (typical[19:] - mean) / (0.015 * deviation)))
    np.testing.assert_allclose(cci(high, low, close, 20), expected, rtol=1e-7)
