"""Divergence: a new price extreme over the lookback that the oscillator does not match."""

from __future__ import annotations

import numpy as np

from quantbot.indicators import divergence, rsi, rsi_divergence

from ._markets import random_market


def test_new_price_high_without_a_new_oscillator_high_is_bearish() -> None:
    price = [1.0, 2.0, 3.0, 4.0, 5.0]
    oscillator = [10.0, 20.0, 30.0, 25.0, 28.0]
    bearish, bullish = divergence(price, oscillator, lookback=2)
    # bar 2: a new high confirmed by the oscillator (30 > 20); bars 3 and 4: new highs,
    # oscillator at or below its previous two values' high (30).
    np.testing.assert_array_equal(bearish, [False, False, False, True, True])
    assert not bullish.any()


def test_new_price_low_without_a_new_oscillator_low_is_bullish() -> None:
    price = [5.0, 4.0, 3.0, 2.0, 1.0]
    oscillator = [50.0, 40.0, 30.0, 35.0, 30.0]
    bearish, bullish = divergence(price, oscillator, lookback=2)
    np.testing.assert_array_equal(bullish, [False, False, False, True, True])
    assert not bearish.any()


def test_equalling_the_previous_high_is_not_a_new_high() -> None:
    bearish, _ = divergence([1.0, 3.0, 2.0, 3.0], [9.0, 9.0, 9.0, 1.0], lookback=2)
    assert not bearish.any()


def test_an_oscillator_in_warm_up_hides_the_divergence() -> None:
    bearish, _ = divergence([1.0, 2.0, 3.0, 4.0], [np.nan, 20.0, 10.0, 5.0], lookback=2)
    np.testing.assert_array_equal(bearish, [False, False, False, True])


def test_a_gap_in_the_data_hides_divergences_while_it_is_in_the_lookback() -> None:
    price = [1.0, 2.0, np.nan, 3.0, 4.0, 5.0]
    bearish, _ = divergence(price, [5.0, 5.0, 5.0, 5.0, 5.0, 5.0], lookback=2)
    np.testing.assert_array_equal(bearish, [False, False, False, False, False, True])


def test_matches_a_bar_by_bar_reading_of_the_definition() -> None:
    market = random_market(41, 400, holes=(100, 250))
    price, oscillator = market["price"], market["oscillator"]
    bearish, bullish = divergence(price, oscillator, lookback=5)
    for t in range(len(price)):
        before = slice(max(t - 5, 0), t)
        full = t >= 5
        assert bearish[t] == (
            full and price[t] > price[before].max() and oscillator[t] <= oscillator[before].max()
        )
        assert bullish[t] == (
            full and price[t] < price[before].min() and oscillator[t] >= oscillator[before].min()
        )


def test_rsi_divergence_is_the_divergence_of_price_and_its_rsi() -> None:
    close = random_market(42, 500)["close"]
    result = rsi_divergence(close, rsi_period=10, lookback=8)
    expected = divergence(close, rsi(close, 10), lookback=8)
    np.testing.assert_array_equal(result.bearish, expected.bearish)
    np.testing.assert_array_equal(result.bullish, expected.bullish)
    assert not result.bearish[: 10 + 8].any()
    assert result.bearish.any()
