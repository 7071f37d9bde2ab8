import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.analytics.drawdown import drawdown_fraction, drawdown_stats

DAY = 86_400_000


def days(count: int) -> np.ndarray:
    return np.arange(count, dtype=np.int64) * DAY


def test_known_drawdown_has_its_depth_peak_trough_and_recovery() -> None:
    values = np.array([100.0, 120.0, 90.0, 130.0, 110.0, 100.0, 140.0])

    stats = drawdown_stats(days(7), values)

    assert stats.max_drawdown_pct == -25.0
    assert (stats.peak_ts_ms, stats.trough_ts_ms, stats.recovery_ts_ms) == (DAY, 2 * DAY, 3 * DAY)
    # Under water from 120 (day 1) to day 3, and from 130 (day 3) until 140 on day 6.
    assert stats.longest_underwater_days == 3.0


def test_unrecovered_drawdown_lasts_until_the_end_and_has_no_recovery() -> None:
    stats = drawdown_stats(days(4), np.array([100.0, 80.0, 90.0, 95.0]))

    assert stats.max_drawdown_pct == pytest.approx(-20.0, rel=1e-12)
    assert stats.recovery_ts_ms is None
    assert stats.longest_underwater_days == 3.0


def test_a_curve_that_never_falls_has_no_drawdown() -> None:
    stats = drawdown_stats(days(3), np.array([100.0, 100.0, 101.0]))

    assert stats.max_drawdown_pct == 0.0
    assert stats.peak_ts_ms is None
    assert stats.longest_underwater_days == 0.0


def test_a_single_point_has_an_undefined_drawdown() -> None:
    assert math.isnan(drawdown_stats(days(1), np.array([100.0])).max_drawdown_pct)


def brute_force(values: list[float]) -> tuple[float, int]:
    depth = min(values[j] / max(values[: j + 1]) - 1.0 for j in range(len(values)))
    longest = 0
    for start in range(len(values)):
        if values[start] < max(values[: start + 1]):
            continue
        end = start + 1
        while end < len(values) and values[end] < values[start]:
            end += 1
        if end > start + 1:
            longest = max(longest, min(end, len(values) - 1) - start)
    return depth * 100.0, longest


@given(st.lists(st.floats(1.0, 1_000.0), min_size=2, max_size=60))
def test_depth_and_longest_spell_match_a_brute_force_scan(values: list[float]) -> None:
    stats = drawdown_stats(days(len(values)), np.array(values))

    depth, longest = brute_force(values)
    assert math.isclose(stats.max_drawdown_pct, depth, rel_tol=1e-12, abs_tol=1e-12)
    assert stats.longest_underwater_days == longest


def test_drawdown_fraction_is_zero_at_new_highs() -> None:
    assert drawdown_fraction(np.array([1.0, 2.0, 1.0, 3.0])).tolist() == [0.0, 0.0, -0.5, 0.0]
