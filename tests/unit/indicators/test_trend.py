"""Trend indicators: TA-Lib's values checked against their definitions, and EMA seeding.

The seeding tests carry a claim the backtest differential test relies on: TA-Lib's
EMA (seeded with an SMA) and pandas' ``ewm(adjust=False)`` (seeded with the first
value) agree to 1e-9 relative after ten periods' worth of bars, so no decision taken
after that warm-up depends on the convention.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.data.files import read_ohlcv_csv
from quantbot.indicators import IndicatorError, adx, crossover, ema, macd, sma, wma

from ._markets import random_market


def walk(size: int, seed: int = 1, sigma: float = 0.002) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100.0 * np.exp(np.cumsum(rng.normal(0.0, sigma, size)))


def pandas_ema(values: np.ndarray, period: int) -> np.ndarray:
    return pd.Series(values).ewm(span=period, adjust=False).mean().to_numpy()


# -- moving averages -----------------------------------------------------------------------


def test_sma_is_the_mean_of_the_last_period_values() -> None:
    np.testing.assert_allclose(sma([1, 2, 3, 4, 5, 6], 3), [np.nan, np.nan, 2, 3, 4, 5])


def test_sma_agrees_with_a_windowed_mean_on_a_long_series() -> None:
    values = walk(2000)
    expected = pd.Series(values).rolling(50).mean().to_numpy()
    np.testing.assert_allclose(sma(values, 50), expected, rtol=1e-12)


def test_wma_weighs_the_newest_value_most() -> None:
    # (1*1 + 2*2 + 3*4) / 6 then (1*2 + 2*4 + 3*8) / 6
    np.testing.assert_allclose(wma([1, 2, 4, 8], 3), [np.nan, np.nan, 17 / 6, 34 / 6])


def test_ema_is_seeded_with_the_sma_of_the_first_period_values() -> None:
    values = np.array([2.0, 4.0, 6.0, 10.0, 4.0])
    alpha = 2 / (3 + 1)
    seed = (2 + 4 + 6) / 3
    second = seed + alpha * (10 - seed)
    third = second + alpha * (4 - second)
    np.testing.assert_allclose(ema(values, 3), [np.nan, np.nan, seed, second, third])


def test_ema_of_period_one_is_the_series_itself() -> None:
    np.testing.assert_array_equal(ema([3.0, 1.0, 2.0], 1), [3.0, 1.0, 2.0])


@given(period=st.integers(2, 60), seed=st.integers(0, 2**32 - 1))
def test_ema_seeding_is_forgotten_after_ten_periods(period: int, seed: int) -> None:
    values = walk(12 * period + 10, seed)
    warm = 10 * period
    ours = ema(values, period)[warm:]
    theirs = pandas_ema(values, period)[warm:]
    assert np.max(np.abs(ours / theirs - 1.0)) < 1e-9


def test_seeding_differences_are_visible_before_the_warm_up() -> None:
    """The seeds really differ: the agreement above is the decay, not a coincidence."""
    values = walk(400)
    relative = np.abs(ema(values, 21) / pandas_ema(values, 21) - 1.0)
    assert relative[25] > 1e-6
    assert relative[210:].max() < 1e-9


def btc_closes(shared_data: Path) -> np.ndarray:
    frame = read_ohlcv_csv(shared_data / "binance-usdm_BTC-USDT-PERP_1m.csv.gz")
    return frame["close"].to_numpy()


@pytest.mark.parametrize("period", [9, 21, 50, 200])
def test_ema_seeding_is_forgotten_on_real_btc_minutes(shared_data: Path, period: int) -> None:
    closes = btc_closes(shared_data)
    warm = 10 * period
    relative = np.abs(ema(closes, period)[warm:] / pandas_ema(closes, period)[warm:] - 1.0)
    assert relative.max() < 1e-9


def test_ema_cross_signals_do_not_depend_on_seeding_after_warm_up(shared_data: Path) -> None:
    """The template strategy's EMA 9/21 crossings, with either seeding, on real BTC minutes."""
    closes = btc_closes(shared_data)
    warm = 10 * 21
    talib_up = crossover(ema(closes, 9), ema(closes, 21))[warm:]
    pandas_up = crossover(pandas_ema(closes, 9), pandas_ema(closes, 21))[warm:]
    talib_down = crossover(ema(closes, 21), ema(closes, 9))[warm:]
    pandas_down = crossover(pandas_ema(closes, 21), pandas_ema(closes, 9))[warm:]
    assert talib_up.sum() > 100
    np.testing.assert_array_equal(talib_up, pandas_up)
    np.testing.assert_array_equal(talib_down, pandas_down)


# -- MACD and ADX ----------------------------------------------------------------------------


def test_macd_hist_is_the_line_minus_its_signal_ema() -> None:
    values = walk(600)
    result = macd(values)
    line, signal, hist = result
    assert np.isnan(line[:33]).all()
    assert np.isfinite(line[33:]).all()
    np.testing.assert_allclose(hist[33:], (line - signal)[33:], rtol=0, atol=1e-12)
    np.testing.assert_allclose(signal[300:], ema(line[33:], 9)[300 - 33 :], rtol=1e-9)


def test_macd_line_converges_to_the_difference_of_the_two_emas() -> None:
    values = walk(600)
    line = macd(values, 12, 26, 9).macd
    np.testing.assert_allclose(line[260:], (ema(values, 12) - ema(values, 26))[260:], atol=1e-9)


def test_macd_refuses_a_fast_period_that_is_not_faster() -> None:
    with pytest.raises(IndicatorError, match="macd fast_period 26: must be < slow_period 12"):
        macd(walk(100), fast_period=26, slow_period=12)


def test_adx_reads_a_steady_trend_as_strong_and_noise_as_weak() -> None:
    size = 400
    rising = 100.0 + np.arange(size, dtype=float)
    trend = adx(rising + 0.5, rising - 0.5, rising)
    assert np.isnan(trend[:27]).all()
    assert trend[100:].min() > 90
    market = random_market(2, 2000)
    noise = adx(market["high"], market["low"], market["close"])
    assert np.nanmedian(noise) < 40
    assert 0 <= np.nanmin(noise) <= np.nanmax(noise) <= 100
