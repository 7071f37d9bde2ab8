"""Swing levels: a swing is strict on both sides and known only ``strength`` bars later."""

from __future__ import annotations

import numpy as np
import pytest

from quantbot.indicators import swing_levels

from ._markets import random_market

NAN = np.nan


def test_levels_follow_the_latest_confirmed_swings() -> None:
    high = [1.0, 3.0, 2.0, 5.0, 4.0, 4.0, 2.0, 7.0, 7.0, 1.0]
    low = [5.0, 4.0, 6.0, 3.0, 3.0, 4.0, 2.0, 8.0, 9.0, 1.0]
    resistance, support = swing_levels(high, low, strength=1)
    # Swing highs at bars 1 (3) and 3 (5); the flat top 7, 7 is none. Swing lows at
    # bars 1 (4) and 6 (2); the flat bottom 3, 3 is none. Each shows one bar later.
    np.testing.assert_array_equal(resistance, [NAN, NAN, 3, 3, 5, 5, 5, 5, 5, 5])
    np.testing.assert_array_equal(support, [NAN, NAN, 4, 4, 4, 4, 4, 2, 2, 2])


def test_a_swing_is_known_only_strength_bars_after_it() -> None:
    high = np.array([1.0, 2.0, 3.0, 4.0, 10.0, 4.0, 3.0, 2.0, 1.0])
    resistance, _ = swing_levels(high, high - 1.0, strength=2)
    np.testing.assert_array_equal(resistance[:6], NAN)
    np.testing.assert_array_equal(resistance[6:], 10.0)


def test_a_swing_needs_strength_bars_on_each_side() -> None:
    # Bar 1 beats its only left neighbour and two right ones: not enough for strength 2.
    # Bar 4 beats two on each side and shows at bar 6.
    high = [1.0, 9.0, 2.0, 1.5, 3.0, 2.0, 1.0]
    resistance, _ = swing_levels(high, np.zeros(7), strength=2)
    np.testing.assert_array_equal(resistance, [NAN, NAN, NAN, NAN, NAN, NAN, 3.0])


def brute_force(high: np.ndarray, low: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    resistance = np.full(len(high), np.nan)
    support = np.full(len(low), np.nan)
    for t in range(len(high)):
        for s in range(t - k, k - 1, -1):
            neighbours = [*range(s - k, s), *range(s + 1, s + k + 1)]
            if all(high[s] > high[j] for j in neighbours):
                resistance[t] = high[s]
                break
        for s in range(t - k, k - 1, -1):
            neighbours = [*range(s - k, s), *range(s + 1, s + k + 1)]
            if all(low[s] < low[j] for j in neighbours):
                support[t] = low[s]
                break
    return resistance, support


@pytest.mark.parametrize("strength", [1, 2, 3, 5])
def test_matches_a_brute_force_search_for_the_latest_swing(strength: int) -> None:
    market = random_market(51 + strength, 300, tick=0.5, holes=(40, 41))
    high, low = market["high"], market["low"]
    resistance, support = swing_levels(high, low, strength)
    expected_resistance, expected_support = brute_force(high, low, strength)
    np.testing.assert_array_equal(resistance, expected_resistance)
    np.testing.assert_array_equal(support, expected_support)
