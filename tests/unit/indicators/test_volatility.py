"""Volatility indicators against their definitions, and realised volatility on hand-made prices."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantbot.indicators import IndicatorError, atr, bollinger, donchian, realised_volatility

from ._markets import random_market


def test_atr_is_wilders_average_of_true_ranges_including_gaps() -> None:
    market = random_market(21, 400)
    high, low, close = market["high"], market["low"], market["close"]
    previous = np.concatenate(([np.nan], close[:-1]))
    true_range = np.nanmax(
        np.stack((high - low, np.abs(high - previous), np.abs(low - previous))), axis=0
    )
    expected = np.full(len(close), np.nan)
    expected[14] = true_range[1:15].mean()
    for t in range(15, len(close)):
        expected[t] = (expected[t - 1] * 13 + true_range[t]) / 14
    np.testing.assert_allclose(atr(high, low, close, 14), expected, rtol=1e-9)


def test_bollinger_bands_use_the_population_standard_deviation() -> None:
    close = random_market(22, 300)["close"]
    rolling = pd.Series(close).rolling(20)
    middle = rolling.mean().to_numpy()
    spread = rolling.std(ddof=0).to_numpy()
    upper, mid, lower = bollinger(close, 20, dev_up=2.0, dev_down=1.5)
    np.testing.assert_allclose(mid, middle, rtol=1e-10)
    np.testing.assert_allclose(upper, middle + 2.0 * spread, rtol=1e-9)
    np.testing.assert_allclose(lower, middle - 1.5 * spread, rtol=1e-9)


def test_bollinger_refuses_a_negative_width() -> None:
    with pytest.raises(IndicatorError, match=r"bollinger dev_down -1\.0: must be finite and >= 0"):
        bollinger(np.arange(30.0), dev_down=-1.0)


def test_donchian_channel_holds_the_extremes_of_the_window_including_bar_t() -> None:
    high = np.array([3.0, 5.0, 4.0, 2.0, 6.0])
    low = np.array([1.0, 2.0, 0.5, 1.5, 3.0])
    upper, lower = donchian(high, low, 3)
    np.testing.assert_array_equal(upper, [np.nan, np.nan, 5.0, 5.0, 6.0])
    np.testing.assert_array_equal(lower, [np.nan, np.nan, 0.5, 0.5, 0.5])


def test_realised_volatility_is_the_annualised_sample_std_of_log_returns() -> None:
    close = random_market(23, 500)["close"]
    returns = np.log(pd.Series(close)).diff()
    expected = returns.rolling(30).std(ddof=1).to_numpy() * math.sqrt(365.0)
    values = realised_volatility(close, 30)
    assert np.isnan(values[:30]).all()
    np.testing.assert_allclose(values, expected, rtol=1e-9)


def test_realised_volatility_of_alternating_prices() -> None:
    # Returns alternate +a, -a: mean 0, sample variance 4 a^2 / 3 over four of them.
    close = np.array([100.0, 101.0] * 5)
    step = math.log(1.01)
    values = realised_volatility(close, 4, bars_per_year=8760.0)
    np.testing.assert_allclose(values[4:], step * 2.0 / math.sqrt(3.0) * math.sqrt(8760.0))


def test_realised_volatility_of_an_unmoved_price_is_exactly_zero() -> None:
    moving = random_market(25, 50)["close"]
    close = np.concatenate((moving, np.full(40, moving[-1])))
    values = realised_volatility(close, 10)
    assert (values[10:50] > 0.0).all()
    # The last move is the return of bar 49; it leaves the 10-return window at bar 59.
    assert (values[50:59] > 0.0).all()
    assert (values[59:] == 0.0).all()


def test_realised_volatility_recovers_once_a_missing_price_leaves_the_window() -> None:
    close = random_market(24, 100)["close"].copy()
    clean = realised_volatility(close, 10)
    close[40] = np.nan
    values = realised_volatility(close, 10)
    # Bar 40's price is in the returns of bars 40 and 41, and they in the windows up to 50.
    assert np.isnan(values[40:51]).all()
    np.testing.assert_allclose(values[51:], clean[51:], rtol=1e-9)
    np.testing.assert_array_equal(values[:40], clean[:40])


def test_realised_volatility_refuses_a_non_positive_year() -> None:
    with pytest.raises(IndicatorError, match="realised_volatility bars_per_year 0"):
        realised_volatility(np.arange(1.0, 50.0), bars_per_year=0)
