"""Hurst exponent (variance of lagged differences): an oracle, pinned shapes, statistics."""

from __future__ import annotations

import numpy as np
import pytest

from quantbot.indicators import IndicatorError, hurst_exponent

from ._markets import random_market


def brute_force(close: np.ndarray, window: int, max_lag: int) -> np.ndarray:
    """The definition, window by window: half the fitted slope of ln(mean square) on ln(lag)."""
    logs = np.log(close)
    lags = 2 ** np.arange(1, int(np.log2(max_lag)) + 1)
    out = np.full(len(close), np.nan)
    for t in range(window - 1, len(close)):
        prices = logs[t - window + 1 : t + 1]
        mean_squares = [np.mean((prices[lag:] - prices[:-lag]) ** 2) for lag in lags]
        if np.all(np.isfinite(mean_squares)) and min(mean_squares) > 0:
            out[t] = np.polyfit(np.log(lags), np.log(mean_squares), 1)[0] / 2
    return out


@pytest.mark.parametrize(("window", "max_lag"), [(40, 8), (100, 16), (70, 32)])
def test_matches_the_definition_window_by_window(window: int, max_lag: int) -> None:
    close = random_market(61, 400, flat=(150, 80), holes=(300,))["close"]
    np.testing.assert_allclose(
        hurst_exponent(close, window, max_lag), brute_force(close, window, max_lag), atol=1e-9
    )


def test_the_lags_are_the_powers_of_two_up_to_max_lag() -> None:
    close = random_market(62, 300)["close"]
    np.testing.assert_array_equal(hurst_exponent(close, 60, 20), hurst_exponent(close, 60, 16))
    assert not np.array_equal(hurst_exponent(close, 60, 32), hurst_exponent(close, 60, 16))


def test_a_steady_exponential_trend_has_exponent_one() -> None:
    close = 100.0 * np.exp(0.001 * np.arange(300))
    values = hurst_exponent(close, 100, 16)
    assert np.isnan(values[:99]).all()
    np.testing.assert_allclose(values[99:], 1.0, atol=1e-9)


def test_a_price_that_keeps_returning_to_the_same_levels_has_exponent_near_zero() -> None:
    # Period 3 never divides a power-of-two lag: every lag sees the same spread.
    close = np.tile([100.0, 101.0, 100.5], 100)
    values = hurst_exponent(close, 100, 16)
    assert np.abs(values[99:]).max() < 0.02


def test_a_random_walk_reads_about_one_half() -> None:
    rng = np.random.default_rng(63)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, 100_000)))
    values = hurst_exponent(close)
    assert 0.47 < np.nanmean(values) < 0.51
    low, high = np.nanpercentile(values, [5, 95])
    assert 0.3 < low < 0.42
    assert 0.56 < high < 0.66


def test_persistent_moves_read_higher_than_a_random_walk_and_reverting_ones_lower() -> None:
    rng = np.random.default_rng(64)
    shocks = rng.normal(0.0, 0.001, 20_000)
    persistent = np.empty_like(shocks)
    persistent[0] = shocks[0]
    for t in range(1, len(shocks)):
        persistent[t] = 0.6 * persistent[t - 1] + shocks[t]
    walk = hurst_exponent(100.0 * np.exp(np.cumsum(shocks)))
    trending = hurst_exponent(100.0 * np.exp(np.cumsum(persistent)))
    reverting = hurst_exponent(100.0 * np.exp(shocks))
    assert np.nanmean(trending) > np.nanmean(walk) + 0.1
    assert np.nanmean(reverting) < 0.1


def test_a_window_where_the_price_does_not_move_is_undefined_and_later_recovers() -> None:
    moving = random_market(65, 100)["close"]
    close = np.concatenate((moving, np.full(60, moving[-1]), moving * 1.5))
    values = hurst_exponent(close, 50, 8)
    # The price is flat from bar 99 to 159: windows of 50 prices within it are flat.
    assert np.isfinite(values[49:148]).all()
    assert np.isnan(values[148:160]).all()
    assert np.isfinite(values[160:]).all()


def test_a_missing_price_blanks_the_windows_holding_it() -> None:
    close = random_market(66, 200)["close"].copy()
    clean = hurst_exponent(close, 50, 8)
    close[100] = np.nan
    values = hurst_exponent(close, 50, 8)
    assert np.isnan(values[100:150]).all()
    np.testing.assert_array_equal(values[:100], clean[:100])
    np.testing.assert_allclose(values[150:], clean[150:], atol=1e-12)


def test_a_non_positive_price_counts_as_missing() -> None:
    close = random_market(67, 120)["close"].copy()
    close[60] = 0.0
    values = hurst_exponent(close, 30, 8)
    assert np.isnan(values[60:90]).all()
    assert np.isfinite(values[90:]).all()


def test_window_must_hold_two_differences_of_the_longest_lag() -> None:
    with pytest.raises(
        IndicatorError, match="hurst_exponent window 17: must be >= max_lag \\+ 2 = 18"
    ):
        hurst_exponent(np.arange(1.0, 100.0), window=17, max_lag=16)


def test_the_fit_needs_lags_two_and_four() -> None:
    with pytest.raises(IndicatorError, match="hurst_exponent max_lag 3: must be >= 4"):
        hurst_exponent(np.arange(1.0, 100.0), max_lag=3)
