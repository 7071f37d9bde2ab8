"""The hidden processes of the synthetic market: the vectorised recurrence equals the
plain loop it replaces, regimes switch with their configured stays, volatility has a
unit mean square and clusters, and the intraday curve follows the UTC day."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quantbot.data.synthetic_processes import (
    REGIMES,
    intraday_curve,
    linear_recurrence,
    regime_path,
    volatility_path,
)

HOUR_MS = 3_600_000


def looped(a: np.ndarray, b: np.ndarray, x0: float) -> np.ndarray:
    values = [x0]
    for coefficient, term in zip(a, b, strict=True):
        values.append(coefficient * values[-1] + term)
    return np.array(values)


@given(
    steps=st.integers(0, 1200),
    x0=st.floats(-10, 10),
    seed=st.integers(0, 2**32 - 1),
    constant=st.booleans(),
)
def test_linear_recurrence_equals_the_plain_loop(
    steps: int, x0: float, seed: int, constant: bool
) -> None:
    rng = np.random.default_rng(seed)
    a = np.full(steps, 0.97) if constant else rng.uniform(0.5, 1.2, steps)
    b = rng.normal(0.0, 1.0, steps)
    expected = looped(a, b, x0)
    got = linear_recurrence(0.97 if constant else a, b, x0=x0)
    assert got.shape == (steps + 1,)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


@given(arrays(np.float64, st.integers(1, 50), elements=st.floats(-1.0, 0.0)))
def test_linear_recurrence_refuses_non_positive_coefficients(a: np.ndarray) -> None:
    with pytest.raises(ValueError, match="positive"):
        linear_recurrence(a, np.zeros(len(a)), x0=1.0)


def test_regimes_visit_every_state_with_stays_near_their_means() -> None:
    path = regime_path(np.random.default_rng(1), 3 * 525_600)
    starts = np.flatnonzero(np.diff(path)) + 1
    runs = np.diff(np.concatenate(([0], starts, [len(path)])))
    states = path[np.concatenate(([0], starts))]
    for index, regime in enumerate(REGIMES):
        mean_stay = runs[states == index].mean()
        # About 40-300 stays each over three years: the mean is within 30 % of its target.
        assert 0.7 * regime.mean_stay_minutes < mean_stay < 1.3 * regime.mean_stay_minutes, regime


def test_volatility_has_unit_mean_square_and_clusters() -> None:
    rng = np.random.default_rng(2)
    regimes = regime_path(rng, 525_600)
    multiplier = volatility_path(rng, regimes)
    assert multiplier.shape == regimes.shape
    assert (multiplier > 0).all()
    # Unit mean square keeps the asset's annual volatility at its profile's.
    assert 0.6 < (multiplier**2).mean() < 1.6
    # Storms last: still visible an hour and a day later (i.i.d. volatility gives ~0).
    for lag in (1, 60, 1440):
        assert np.corrcoef(multiplier[:-lag], multiplier[lag:])[0, 1] > 0.1, lag


def test_high_volatility_regime_is_the_stormiest() -> None:
    rng = np.random.default_rng(3)
    regimes = regime_path(rng, 2 * 525_600)
    multiplier = volatility_path(rng, regimes)
    names = [r.name for r in REGIMES]
    by_regime = {name: multiplier[regimes == i].mean() for i, name in enumerate(names)}
    assert by_regime["high_volatility"] > 1.5 * max(
        by_regime[name] for name in names if name != "high_volatility"
    )


def test_intraday_curve_peaks_in_the_us_afternoon_and_averages_one() -> None:
    day = np.arange(0, 24 * HOUR_MS, 60_000, dtype=np.int64) + 1_735_689_600_000
    curve = intraday_curve(day, 0.4)
    assert curve.mean() == pytest.approx(1.0, abs=1e-9)
    peak_hour = (day[curve.argmax()] % (24 * HOUR_MS)) / HOUR_MS
    quiet_hour = (day[curve.argmin()] % (24 * HOUR_MS)) / HOUR_MS
    assert 13 <= peak_hour <= 16
    assert 1 <= quiet_hour <= 5
