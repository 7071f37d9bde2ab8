import numpy as np
import pytest

from quantbot.analytics.daily_equity import daily_equity

from .builders import DAY_MS, HOUR_MS, START_MS, bar_times


def test_daily_bars_give_one_point_per_day_after_the_anchor() -> None:
    daily = daily_equity(
        bar_times(3), np.array([101.0, 99.0, 105.0]), bar_ms=DAY_MS, initial_value=100.0
    )

    assert daily.values.tolist() == [100.0, 101.0, 99.0, 105.0]
    assert daily.close_ms.tolist() == [START_MS] + [START_MS + k * DAY_MS for k in (1, 2, 3)]
    assert daily.days == 3
    np.testing.assert_allclose(daily.returns, [0.01, 99 / 101 - 1, 105 / 99 - 1], rtol=1e-15)


def test_hourly_bars_are_sampled_at_the_last_close_of_each_utc_day() -> None:
    equity = 1_000.0 + np.arange(48, dtype=np.float64)

    daily = daily_equity(bar_times(48, bar_ms=HOUR_MS), equity, bar_ms=HOUR_MS, initial_value=990.0)

    assert daily.values.tolist() == [990.0, equity[23], equity[47]]
    assert daily.day_ms[1:].tolist() == [START_MS, START_MS + DAY_MS]


def test_a_bar_belongs_to_the_day_in_which_it_closes() -> None:
    minute = 60_000
    ts_ms = START_MS + DAY_MS - 2 * minute + np.arange(3) * minute  # 23:58, 23:59, 00:00

    daily = daily_equity(ts_ms, np.array([1.0, 2.0, 3.0]), bar_ms=minute, initial_value=1.0)

    assert daily.values.tolist() == [1.0, 2.0, 3.0]
    assert daily.close_ms[1:].tolist() == [START_MS + DAY_MS, START_MS + DAY_MS + minute]


def test_a_day_without_bars_repeats_the_previous_close_with_a_zero_return() -> None:
    ts_ms = np.array([START_MS, START_MS + 3 * DAY_MS])

    daily = daily_equity(ts_ms, np.array([110.0, 121.0]), bar_ms=DAY_MS, initial_value=100.0)

    assert daily.values.tolist() == [100.0, 110.0, 110.0, 110.0, 121.0]
    assert daily.returns[1:3].tolist() == [0.0, 0.0]


def test_a_partly_covered_first_day_counts_as_one_day() -> None:
    ts_ms = START_MS + 20 * HOUR_MS + np.arange(8) * HOUR_MS  # 20:00 to 03:00 next day

    daily = daily_equity(
        ts_ms, np.arange(8, dtype=np.float64) + 1, bar_ms=HOUR_MS, initial_value=1.0
    )

    assert daily.days == 2
    assert daily.close_ms[0] == ts_ms[0]
    assert daily.close_ms[-1] == ts_ms[-1] + HOUR_MS


def test_no_bars_is_refused() -> None:
    with pytest.raises(ValueError, match="without bars"):
        daily_equity(np.array([], dtype=np.int64), np.array([]), bar_ms=DAY_MS, initial_value=1.0)
