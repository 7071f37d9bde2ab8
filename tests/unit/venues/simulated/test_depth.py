"""Recorded L2 books: taking from a side level by level, which snapshot an open meets,
and the refusal of books that are not well formed."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import Side
from quantbot.venues.simulated import BookDepth

ASKS = [[100.0, 1.0], [101.0, 2.0], [103.0, 5.0]]
BIDS = [[99.0, 3.0], [98.5, 1.0]]


def books(*snapshots: tuple[int, list[list[float]], list[list[float]]]) -> pd.DataFrame:
    """A book frame of ``(ts_ms, bids, asks)`` snapshots."""
    return pd.DataFrame(
        {
            "ts_ms": [ts for ts, _, _ in snapshots],
            "update_id": list(range(len(snapshots))),
            "bids": [bids for _, bids, _ in snapshots],
            "asks": [asks for _, _, asks in snapshots],
        }
    )


ONE = BookDepth(books((0, BIDS, ASKS)), name="one")


def test_a_buy_takes_the_asks_best_first_at_their_weighted_price() -> None:
    taken = ONE.take(0, Side.BUY, 2.5, limit=None, skip=0.0)

    assert taken.qty == 2.5
    assert taken.price == pytest.approx((100.0 * 1.0 + 101.0 * 1.5) / 2.5, rel=1e-12)
    assert taken.mid == pytest.approx((99.0 + 100.0) / 2)


def test_a_sell_takes_the_bids_and_no_more_than_they_hold() -> None:
    taken = ONE.take(0, Side.SELL, 10.0, limit=None, skip=0.0)

    assert taken.qty == 4.0
    assert taken.price == pytest.approx((99.0 * 3.0 + 98.5 * 1.0) / 4.0, rel=1e-12)


def test_no_level_beyond_the_limit_is_taken() -> None:
    assert ONE.take(0, Side.BUY, 5.0, limit=101.0, skip=0.0).qty == 3.0
    assert ONE.take(0, Side.SELL, 5.0, limit=99.5, skip=0.0).qty == 0.0


def test_what_earlier_fills_took_is_gone() -> None:
    taken = ONE.take(0, Side.BUY, 1.0, limit=None, skip=1.5)

    assert (taken.qty, taken.price) == (1.0, 101.0)
    assert math.isnan(ONE.take(0, Side.BUY, 1.0, limit=None, skip=8.0).price)


def test_an_open_meets_the_last_snapshot_at_or_before_it_while_it_is_fresh() -> None:
    depth = BookDepth(books((1_000, BIDS, ASKS), (61_000, BIDS, ASKS)), name="two")

    found = depth.snapshots_at(np.array([0, 1_000, 60_999, 61_000, 121_000, 121_001]), 60_000)

    assert found.tolist() == [-1, 0, 0, 1, 1, -1]


@pytest.mark.parametrize(
    ("bids", "asks", "message"),
    [
        (BIDS, [[99.0, 1.0]], r"snapshot at ts_ms 1 is crossed: best bid 99 >= best ask 99"),
        (
            BIDS,
            [[101.0, 1.0], [100.0, 1.0]],
            r"snapshot at ts_ms 1: asks are not in ascending price order",
        ),
        (
            [[98.0, 1.0], [99.0, 1.0]],
            ASKS,
            r"snapshot at ts_ms 1: bids are not in descending price order",
        ),
        (
            BIDS,
            [[100.0, 0.0]],
            r"snapshot at ts_ms 1: asks hold a price or quantity that is not a positive",
        ),
        (BIDS, [[100.0, float("nan")]], r"asks hold a price or quantity that is not a positive"),
        ([], ASKS, r"snapshot at ts_ms 1 has no bids"),
        (BIDS, [[100.0]], r"snapshot at ts_ms 1: asks are not \[price, qty\] pairs"),
    ],
)
def test_books_that_are_not_well_formed_are_refused_naming_the_snapshots_time(
    bids: list[list[float]], asks: list[list[float]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        BookDepth(books((0, BIDS, ASKS), (1, bids, asks))[1:].reset_index(drop=True), name="f")


def test_snapshots_out_of_time_order_are_refused() -> None:
    with pytest.raises(
        ValueError, match=r"f: book snapshot at ts_ms 4 is older than the one before it"
    ):
        BookDepth(books((5, BIDS, ASKS), (4, BIDS, ASKS)), name="f")


sides = st.lists(st.tuples(st.floats(0.01, 5.0), st.floats(0.001, 10.0)), min_size=1, max_size=20)


@given(sides, st.floats(0.0, 60.0), st.floats(0.0, 30.0), st.floats(0.0, 30.0))
def test_taking_in_two_steps_costs_what_taking_once_does(
    steps: list[tuple[float, float]], skip: float, first: float, second: float
) -> None:
    prices = 100.0 + np.cumsum([step for step, _ in steps])
    asks = [[float(p), size] for p, (_, size) in zip(prices, steps, strict=True)]
    depth = BookDepth(books((0, [[99.0, 1.0]], asks)), name="random")

    once = depth.take(0, Side.BUY, first + second, limit=None, skip=skip)
    a = depth.take(0, Side.BUY, first, limit=None, skip=skip)
    b = depth.take(0, Side.BUY, second, limit=None, skip=skip + a.qty)

    assert once.qty == pytest.approx(a.qty + b.qty, rel=1e-9, abs=1e-12)
    assert once.qty <= first + second + 1e-12
    if once.qty > 0:
        cost = (a.price * a.qty if a.qty else 0.0) + (b.price * b.qty if b.qty else 0.0)
        assert once.price * once.qty == pytest.approx(cost, rel=1e-9)
        assert asks[0][0] <= once.price <= asks[-1][0]
