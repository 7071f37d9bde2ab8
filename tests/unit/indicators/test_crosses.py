"""Crossover masks: strict on both bars, exactly backtesting.py's ``crossover``."""

from __future__ import annotations

import numpy as np
from backtesting.lib import crossover as backtesting_crossover
from hypothesis import given
from hypothesis import strategies as st

from quantbot.indicators import crossover, crossunder

from ._markets import random_market


def test_a_clean_cross_is_flagged_on_the_bar_it_happens() -> None:
    a = [1.0, 3.0, 1.0, 3.0]
    np.testing.assert_array_equal(crossover(a, 2.0), [False, True, False, True])
    np.testing.assert_array_equal(crossunder(a, 2.0), [False, False, True, False])


def test_passing_through_equality_is_not_a_cross() -> None:
    a = [1.0, 2.0, 3.0, 2.0, 1.0]
    b = [2.0, 2.0, 2.0, 2.0, 2.0]
    assert not crossover(a, b).any()
    assert not crossunder(a, b).any()


def test_bar_zero_is_never_a_cross() -> None:
    assert not crossover([5.0], [1.0])[0]


def test_nan_on_either_bar_hides_the_cross() -> None:
    np.testing.assert_array_equal(crossover([np.nan, 1.0, 3.0], 2.0), [False, False, True])
    np.testing.assert_array_equal(crossover([1.0, np.nan, 3.0], 2.0), [False, False, False])
    np.testing.assert_array_equal(crossover([1.0, 3.0, 3.0], [2.0, np.nan, 2.0]), [False] * 3)


@given(seed=st.integers(0, 2**32 - 1), tick=st.sampled_from([0.0, 0.5]))
def test_masks_match_backtesting_py_bar_by_bar(seed: int, tick: float) -> None:
    market = random_market(seed, 120, tick=tick)
    a, b = market["a"], market["b"]
    up, down = crossover(a, b), crossunder(a, b)
    for t in range(len(a)):
        assert up[t] == backtesting_crossover(a[: t + 1], b[: t + 1])
        assert down[t] == backtesting_crossover(b[: t + 1], a[: t + 1])
