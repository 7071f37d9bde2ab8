"""Log returns, undefined where a price is missing or not positive."""

from __future__ import annotations

import math

import numpy as np

from quantbot.indicators import log_returns


def test_log_returns_are_the_log_of_price_ratios() -> None:
    np.testing.assert_allclose(
        log_returns([100.0, 110.0, 99.0]), [np.nan, math.log(1.1), math.log(0.9)]
    )


def test_a_missing_zero_or_negative_price_spoils_the_returns_it_is_part_of() -> None:
    returns = log_returns([1.0, np.nan, 2.0, 0.0, 3.0, -1.0, 4.0, np.inf, 5.0, 5.0])
    assert np.isnan(returns[:9]).all()
    assert returns[9] == 0.0
