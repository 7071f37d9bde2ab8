"""Trailing-window sums: NaN-aware, exact zeros, compensated, same as a direct sum."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quantbot.indicators.rolling import rolling_max, rolling_sum, rolling_variance


def test_sums_the_last_period_values() -> None:
    np.testing.assert_array_equal(rolling_sum(np.array([1.0, 2.0, 3.0, 4.0]), 2), [np.nan, 3, 5, 7])


def test_a_missing_value_blanks_the_windows_holding_it_then_the_sum_recovers() -> None:
    values = np.array([1.0, np.nan, 2.0, 3.0, np.inf, 4.0, 5.0])
    np.testing.assert_array_equal(
        rolling_sum(values, 2), [np.nan, np.nan, np.nan, 5, np.nan, np.nan, 9]
    )


def test_a_window_of_zeros_sums_to_exactly_zero_after_large_values_passed() -> None:
    values = np.array([1e16, 1.0, 3.3, 0.0, 0.0, 0.0])
    assert rolling_sum(values, 3)[-1] == 0.0
    assert rolling_variance(values, 3, ddof=1)[-1] == 0.0


def test_compensation_keeps_the_sums_of_a_long_series_of_mixed_magnitudes_exact() -> None:
    # A plain running total is off by ~1e-8 of the window's magnitude here.
    rng = np.random.default_rng(1)
    values = rng.lognormal(0.0, 4.0, 300_000) * rng.choice([-1.0, 1.0], 300_000)
    sums = rolling_sum(values, 10)
    for t in range(len(values) - 500, len(values)):
        window = values[t - 9 : t + 1]
        assert abs(sums[t] - math.fsum(window)) <= 1e-15 * np.sum(np.abs(window))


@given(
    values=arrays(
        np.float64,
        st.integers(1, 80),
        elements=st.one_of(st.just(0.0), st.just(np.nan), st.floats(-1e6, 1e6)),
    ),
    period=st.integers(1, 10),
)
def test_each_window_sums_like_a_direct_sum_of_its_values(values: np.ndarray, period: int) -> None:
    """Exact up to rounding relative to the largest value the running total has held."""
    sums = rolling_sum(values, period)
    for t in range(len(values)):
        window = values[max(t - period + 1, 0) : t + 1]
        if t < period - 1 or np.isnan(window).any():
            assert np.isnan(sums[t])
        else:
            largest = np.nanmax(np.abs(values[: t + 1]))
            assert abs(sums[t] - math.fsum(window)) <= 1e-13 * largest


@given(
    values=arrays(np.float64, st.integers(2, 60), elements=st.floats(-1e3, 1e3)),
    period=st.integers(2, 10),
    ddof=st.sampled_from([0, 1]),
)
def test_variance_matches_numpy_on_each_window(values: np.ndarray, period: int, ddof: int) -> None:
    variances = rolling_variance(values, period, ddof)
    for t in range(period - 1, len(values)):
        window = values[t - period + 1 : t + 1]
        assert variances[t] >= 0.0
        assert abs(variances[t] - np.var(window, ddof=ddof)) <= 1e-9 * max(1.0, np.mean(window**2))


def test_maximum_of_the_last_period_values() -> None:
    values = np.array([3.0, 1.0, 2.0, 5.0, 4.0, 4.0, 0.0])
    np.testing.assert_array_equal(rolling_max(values, 3), [np.nan, np.nan, 3, 5, 5, 5, 4])


def test_a_missing_value_blanks_the_maxima_of_the_windows_holding_it() -> None:
    values = np.array([1.0, 9.0, np.nan, 3.0, 2.0, 1.0])
    np.testing.assert_array_equal(rolling_max(values, 2), [np.nan, 9, np.nan, np.nan, 3, 2])


@given(
    values=arrays(
        np.float64,
        st.integers(0, 80),
        elements=st.one_of(st.just(np.nan), st.floats(-10, 10), st.sampled_from([1.0, 2.0])),
    ),
    period=st.integers(1, 12),
)
def test_maximum_matches_each_window(values: np.ndarray, period: int) -> None:
    maxima = rolling_max(values, period)
    assert len(maxima) == len(values)
    for t in range(len(values)):
        window = values[max(t - period + 1, 0) : t + 1]
        if t < period - 1 or np.isnan(window).any():
            assert np.isnan(maxima[t])
        else:
            assert maxima[t] == window.max()
