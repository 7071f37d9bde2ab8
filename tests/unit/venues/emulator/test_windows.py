"""Paging windows: the first/last ``limit`` rows of a range, whatever the gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from quantbot.venues.emulator.windows import first_rows, last_rows

EMPTY = pd.DataFrame({"ts_ms": np.array([], dtype=np.int64)})


def fetcher(ts: list[int], calls: list[tuple[int, int]]):
    frame = pd.DataFrame({"ts_ms": np.array(sorted(set(ts)), dtype=np.int64)})

    def fetch(lo: int, hi: int) -> pd.DataFrame:
        calls.append((lo, hi))
        return frame[(frame["ts_ms"] >= lo) & (frame["ts_ms"] < hi)].reset_index(drop=True)

    return frame, fetch


timestamps = st.lists(st.integers(0, 100_000), max_size=300)


@given(
    ts=timestamps,
    lo=st.integers(0, 100_000),
    span=st.integers(0, 100_000),
    limit=st.integers(1, 50),
    width=st.integers(1, 5_000),
)
def test_first_rows_are_the_earliest_in_range(
    ts: list[int], lo: int, span: int, limit: int, width: int
) -> None:
    calls: list[tuple[int, int]] = []
    frame, fetch = fetcher(ts, calls)
    hi = lo + span
    got = first_rows(fetch, lo=lo, hi=hi, limit=limit, width_ms=width, empty=EMPTY)
    expected = frame[(frame["ts_ms"] >= lo) & (frame["ts_ms"] < hi)].head(limit)
    assert got["ts_ms"].tolist() == expected["ts_ms"].tolist()
    # Windows double, so even a long empty stretch takes few reads.
    assert len(calls) <= 2 + int(np.log2(max(span, 1) / width + 1)) + 1


@given(
    ts=timestamps,
    lo=st.integers(0, 100_000),
    span=st.integers(0, 100_000),
    limit=st.integers(1, 50),
    width=st.integers(1, 5_000),
)
def test_last_rows_are_the_latest_in_range_in_ascending_order(
    ts: list[int], lo: int, span: int, limit: int, width: int
) -> None:
    calls: list[tuple[int, int]] = []
    frame, fetch = fetcher(ts, calls)
    hi = lo + span
    got = last_rows(fetch, lo=lo, hi=hi, limit=limit, width_ms=width, empty=EMPTY)
    expected = frame[(frame["ts_ms"] >= lo) & (frame["ts_ms"] < hi)].tail(limit)
    assert got["ts_ms"].tolist() == expected["ts_ms"].tolist()


def test_an_empty_range_returns_the_empty_frame_given() -> None:
    calls: list[tuple[int, int]] = []
    _, fetch = fetcher([5, 6], calls)
    marked = EMPTY.assign(marker=np.array([], dtype=bool))
    for result in (
        first_rows(fetch, lo=10, hi=10, limit=3, width_ms=1, empty=marked),
        last_rows(fetch, lo=0, hi=5, limit=3, width_ms=1, empty=marked),
    ):
        assert result.empty
        assert "marker" in result.columns
