import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quantbot.analytics.downsample import extremes_indices


def test_a_short_series_is_kept_whole() -> None:
    assert extremes_indices(np.arange(10.0), 10).tolist() == list(range(10))


@given(
    arrays(np.float64, st.integers(5, 3_000), elements=st.floats(-1e6, 1e6)),
    st.integers(4, 200),
)
def test_thinning_keeps_the_ends_and_every_extreme_within_the_budget(
    values: np.ndarray, max_points: int
) -> None:
    keep = extremes_indices(values, max_points)

    assert len(keep) <= max_points
    assert np.all(np.diff(keep) > 0)
    assert keep[0] == 0
    assert keep[-1] == len(values) - 1
    assert values[keep].min() == values.min()
    assert values[keep].max() == values.max()


def test_a_year_of_minutes_fits_in_five_thousand_points() -> None:
    values = np.cumsum(np.random.default_rng(3).normal(size=525_600))

    keep = extremes_indices(values)

    assert 4_000 < len(keep) <= 5_000
    assert values[keep].min() == values.min()


def test_nan_is_never_picked_as_an_extreme() -> None:
    values = np.array([np.nan] * 50 + [1.0, 5.0, -3.0] + [np.nan] * 50)

    keep = extremes_indices(values, 10)

    assert {1.0, 5.0, -3.0} <= set(values[keep][~np.isnan(values[keep])].tolist())


def test_too_small_a_budget_is_refused() -> None:
    with pytest.raises(ValueError, match=">= 4"):
        extremes_indices(np.arange(10.0), 3)
