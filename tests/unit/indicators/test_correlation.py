"""Correlation of returns with a reference market (BTC correlation)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantbot.indicators import return_correlation

from ._markets import random_market


def test_agrees_with_pandas_rolling_correlation_of_log_returns() -> None:
    market = random_market(71, 1000)
    close, reference = market["close"], market["reference"]
    returns = np.log(pd.Series(close)).diff()
    reference_returns = np.log(pd.Series(reference)).diff()
    expected = returns.rolling(30).corr(reference_returns).to_numpy()
    values = return_correlation(close, reference, 30)
    assert np.isnan(values[:30]).all()
    np.testing.assert_allclose(values, expected, atol=1e-9)
    assert 0.2 < np.nanmean(values) < 0.8  # the market follows half of the reference's moves


def test_a_market_moving_as_a_power_of_the_reference_is_perfectly_correlated() -> None:
    reference = random_market(72, 200)["close"]
    np.testing.assert_allclose(return_correlation(reference**2, reference, 20)[20:], 1.0)
    np.testing.assert_allclose(return_correlation(1.0 / reference, reference, 20)[20:], -1.0)


def test_correlation_is_measured_on_returns_not_prices() -> None:
    # Both drift up, by independent amounts: prices correlate, returns do not.
    rng = np.random.default_rng(73)
    first = 100.0 * np.exp(np.cumsum(0.01 + rng.normal(0.0, 0.001, 5000)))
    second = 100.0 * np.exp(np.cumsum(0.01 + rng.normal(0.0, 0.001, 5000)))
    assert np.corrcoef(first, second)[0, 1] > 0.99
    assert abs(np.nanmean(return_correlation(first, second, 100))) < 0.1


def test_undefined_while_either_market_stands_still() -> None:
    market = random_market(74, 120)
    reference = market["reference"].copy()
    reference[40:80] = reference[40]
    values = return_correlation(market["close"], reference, 10)
    # Returns 41..79 are zero: windows of 10 returns inside them have no spread.
    assert np.isfinite(values[10:50]).all()
    assert np.isnan(values[50:80]).all()
    assert np.isfinite(values[80:]).all()


def test_a_missing_price_blanks_the_windows_holding_its_returns() -> None:
    market = random_market(75, 120)
    close = market["close"].copy()
    clean = return_correlation(close, market["reference"], 10)
    close[50] = np.nan
    values = return_correlation(close, market["reference"], 10)
    assert np.isnan(values[50:61]).all()
    np.testing.assert_array_equal(values[:50], clean[:50])
    np.testing.assert_allclose(values[61:], clean[61:], atol=1e-9)
