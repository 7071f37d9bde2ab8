"""The funding estimate: the exchange's formula on the mean premium, causal, and the conditions it drives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quantbot.strategies.funding_arb_params import FundingArbParams
from quantbot.strategies.funding_arb_signal import (
    funding_rate_estimate,
    funding_signals,
    premium_window,
)

BINANCE = {"window": 8, "interest": 0.0001, "clamp": 0.0005}


@pytest.mark.parametrize(
    ("premium", "rate"),
    [
        (0.0, 0.0001),  # calm market: the interest part alone
        (0.0005, 0.0001),  # inside the clamp band (-0.04 % .. +0.06 %): still the baseline
        (-0.0004, 0.0001),  # the band's lower edge
        (0.0006, 0.0001),  # the band's upper edge
        (0.002, 0.0015),  # above the band: premium - 0.05 %
        (-0.002, -0.0015),  # below it: premium + 0.05 %
    ],
)
def test_a_steady_premium_settles_at_the_exchange_formula(premium: float, rate: float) -> None:
    basis = np.full(20, premium)

    estimate = funding_rate_estimate(basis, **BINANCE)

    assert np.isnan(estimate[:7]).all()  # one interval of candles before the first value
    assert estimate[7:] == pytest.approx(np.full(13, rate), abs=1e-12)


def test_the_estimate_averages_the_premium_of_the_last_interval_only() -> None:
    basis = np.array([0.01, 0.0, 0.0, 0.003, 0.001, 0.002, 0.003, 0.002, 0.004, 0.002])

    estimate = funding_rate_estimate(basis, window=4, interest=0.0001, clamp=0.0005)

    for k in range(3, len(basis)):
        mean = basis[k - 3 : k + 1].mean()
        expected = mean + min(max(0.0001 - mean, -0.0005), 0.0005)
        assert estimate[k] == pytest.approx(expected, abs=1e-8)


@given(
    basis=arrays(np.float64, 40, elements=st.floats(-0.01, 0.01)),
    cut=st.integers(1, 39),
)
def test_the_estimate_at_a_candle_does_not_change_with_later_candles(
    basis: np.ndarray, cut: int
) -> None:
    whole = funding_rate_estimate(basis, **BINANCE)
    prefix = funding_rate_estimate(basis[:cut], **BINANCE)

    np.testing.assert_array_equal(whole[:cut], prefix)


def test_rates_are_published_to_eight_decimals_so_the_baseline_is_exact() -> None:
    estimate = funding_rate_estimate(np.full(8, 0.0003), **BINANCE)

    assert estimate[-1] == 0.0001  # not 0.00009999999999999999


def test_conditions_compare_the_estimate_per_8h_with_the_thresholds_in_percent() -> None:
    params = FundingArbParams(premium_clamp_pct=0.0, max_basis_divergence_pct=1.5)
    basis_pct = np.array([0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.031, 1.6, 0.0])
    spot = np.full(len(basis_pct), 200.0)
    perp = spot * (1 + basis_pct / 100)

    signals = funding_signals(spot, perp, params, "1h")

    # The estimate is the mean premium (no clamp): exactly 0.03 is not above 0.03.
    assert signals.funding_rate_pct[7] == 0.03
    assert not signals.enter[7]
    assert signals.enter[8]
    assert signals.exit_basis.tolist() == [False] * 9 + [True, False]
    assert not signals.enter[9]  # funding is high but the basis is beyond the limit
    assert signals.wake.tolist() == (signals.enter | signals.exit_basis).tolist()


def test_a_shorter_settlement_interval_is_scaled_to_the_thresholds_8h() -> None:
    params = FundingArbParams(premium_clamp_pct=0.0, funding_interval_hours=4)
    spot = np.full(6, 100.0)
    perp = spot * 1.0002  # 0.02 % per 4 h settlement is 0.04 % per 8 h

    signals = funding_signals(spot, perp, params, "1h")

    assert signals.funding_rate_pct[3:] == pytest.approx([0.04] * 3)
    assert signals.enter[3:].all()


@pytest.mark.parametrize(("timeframe", "window"), [("1m", 480), ("15m", 32), ("1h", 8), ("8h", 1)])
def test_the_window_is_one_funding_interval_of_candles(timeframe: str, window: int) -> None:
    assert premium_window(FundingArbParams(), timeframe) == window


def test_a_timeframe_that_does_not_divide_the_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="does not divide the 8h funding interval"):
        premium_window(FundingArbParams(), "3h")
