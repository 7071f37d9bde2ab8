import numpy as np
import pytest

from quantbot.analytics.daily_equity import daily_equity
from quantbot.analytics.monthly_returns import monthly_returns_pct

from .builders import DAY_MS, START_MS, bar_times


def test_months_are_measured_close_to_close_and_compound_to_the_total() -> None:
    # 2024-01-01 .. 2024-03-10: January ends at 110, February at 99, the run at 108.9.
    equity = np.full(70, 108.9)
    equity[:31] = 110.0
    equity[31:60] = 99.0

    daily = daily_equity(bar_times(70), equity, bar_ms=DAY_MS, initial_value=100.0)
    table = monthly_returns_pct(daily)

    assert table.index.tolist() == [2024]
    assert table.columns.tolist() == list(range(1, 13))
    assert table.loc[2024, 1] == pytest.approx(10.0)
    assert table.loc[2024, 2] == pytest.approx(-10.0)
    assert table.loc[2024, 3] == pytest.approx(10.0)
    assert np.isnan(table.loc[2024, 4])
    growth = np.prod(1 + table.loc[2024, [1, 2, 3]].to_numpy() / 100)
    assert growth == pytest.approx(108.9 / 100.0)


def test_a_run_across_new_year_has_a_row_per_year() -> None:
    start = START_MS - 2 * DAY_MS  # 2023-12-30
    daily = daily_equity(
        bar_times(4, start_ms=start),
        np.array([1.0, 2.0, 3.0, 4.0]),
        bar_ms=DAY_MS,
        initial_value=1.0,
    )

    table = monthly_returns_pct(daily)

    assert table.index.tolist() == [2023, 2024]
    assert table.loc[2023, 12] == pytest.approx(100.0)
    assert table.loc[2024, 1] == pytest.approx(100.0)
