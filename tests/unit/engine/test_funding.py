"""The funding schedule: at which bar's close each settlement is booked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantbot.engine.funding import FundingSchedule, Settlement

from factories import START_MS

FIVE_MIN = 300_000
TIMELINE = START_MS + FIVE_MIN * np.arange(6, dtype=np.int64)  # six 5m bars
"""Bars close at START + 5, 10, ..., 30 minutes."""


def _frame(*rows: tuple[int, float]) -> pd.DataFrame:
    return pd.DataFrame({"ts_ms": [t for t, _ in rows], "funding_rate": [r for _, r in rows]})


def test_settlements_are_booked_at_the_first_bar_close_at_or_after_them() -> None:
    schedule = FundingSchedule(
        {"A": _frame((START_MS + FIVE_MIN, 0.1), (START_MS + 2 * FIVE_MIN + 1, 0.2))},
        TIMELINE,
        FIVE_MIN,
    )

    assert schedule.next_bar() == 0
    assert schedule.due(0) == [Settlement(0, START_MS + FIVE_MIN, "A", 0.1)]
    assert schedule.next_bar() == 2  # 1 ms after the close of bar 1
    assert schedule.due(1) == []
    assert schedule.due(2) == [Settlement(2, START_MS + 2 * FIVE_MIN + 1, "A", 0.2)]
    assert schedule.next_bar() > len(TIMELINE)


def test_settlements_before_the_first_open_or_after_the_last_close_are_outside_the_run() -> None:
    end = int(TIMELINE[-1]) + FIVE_MIN
    frame = _frame((START_MS - 1, 0.1), (START_MS, 0.2), (end, 0.3), (end + 1, 0.4))

    schedule = FundingSchedule({"A": frame}, TIMELINE, FIVE_MIN)

    assert len(schedule) == 1
    assert schedule.due(5) == [Settlement(5, end, "A", 0.3)]


def test_settlements_of_several_symbols_come_in_time_then_data_order() -> None:
    t = START_MS + 3 * FIVE_MIN
    schedule = FundingSchedule(
        {"B": _frame((t, 0.2)), "A": _frame((t - 1, 0.1), (t, 0.3))}, TIMELINE, FIVE_MIN
    )

    assert [(s.symbol, s.rate) for s in schedule.due(2)] == [("A", 0.1), ("B", 0.2), ("A", 0.3)]


def test_a_bar_skipped_over_never_leaves_its_settlement_behind() -> None:
    schedule = FundingSchedule({"A": _frame((START_MS + FIVE_MIN, 0.1))}, TIMELINE, FIVE_MIN)

    assert [s.rate for s in schedule.due(4)] == [0.1]
