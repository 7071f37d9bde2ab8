"""Taker fills at the open of a bar with a recorded L2 book walk its levels."""

from __future__ import annotations

import pandas as pd
import pytest

from quantbot.core import OrderType, Side, TimeInForce
from quantbot.venues.simulated import BookDepth, SimulatedVenue

from ._builders import Row, cancels, fee, fills, order, process, taker_buy, venue
from factories import MINUTE_MS, START_MS

FLAT: Row = (100.0, 100.5, 99.5, 100.0, 1_000.0)
OPEN_101: Row = (101.0, 103.0, 100.0, 102.0, 1_000.0)
BIDS = [[100.9, 3.0], [100.5, 2.0]]
ASKS = [[101.1, 1.0], [101.5, 2.0], [102.0, 5.0]]
MID = (100.9 + 101.1) / 2


def _venue(age_ms: int = 500) -> SimulatedVenue:
    """Bars FLAT, OPEN_101, OPEN_101; one snapshot ``age_ms`` before bar 1's open."""
    frame = pd.DataFrame(
        {"ts_ms": [START_MS + MINUTE_MS - age_ms], "update_id": [1], "bids": [BIDS], "asks": [ASKS]}
    )
    return venue([FLAT, OPEN_101, OPEN_101], books=BookDepth(frame, name="book"))


def test_a_market_buy_walks_the_asks_and_pays_its_distance_from_the_mid() -> None:
    sim = _venue()
    sim.submit(order(Side.BUY, 2.5), decided_at=0)

    [fill] = fills(process(sim, [0, 1]))

    price = (101.1 * 1.0 + 101.5 * 1.5) / 2.5
    assert (fill.bar, fill.qty, fill.maker) == (1, 2.5, False)
    assert fill.price == pytest.approx(price, rel=1e-12)
    assert fill.fee == pytest.approx(fee(2.5, price, maker=False), rel=1e-12)
    assert fill.slippage == pytest.approx((price - MID) * 2.5, rel=1e-9)


def test_a_market_sell_walks_the_bids() -> None:
    sim = _venue()
    sim.submit(order(Side.SELL, 4.0), decided_at=0)

    [fill] = fills(process(sim, [0, 1]))

    assert fill.price == pytest.approx((100.9 * 3.0 + 100.5 * 1.0) / 4.0, rel=1e-12)


def test_what_the_visible_levels_lack_fills_at_a_later_open() -> None:
    sim = _venue()
    sim.submit(order(Side.BUY, 10.0), decided_at=0)

    first, rest = fills(process(sim, [0, 1, 2]))

    assert (first.bar, first.qty) == (1, 8.0)  # every ask level
    assert first.price == pytest.approx((101.1 + 101.5 * 2 + 102.0 * 5) / 8, rel=1e-12)
    assert (rest.bar, rest.qty) == (2, 2.0)  # no fresh book there: the slippage model
    assert rest.price == pytest.approx(taker_buy(101.0), rel=1e-12)


def test_a_second_order_at_the_same_open_meets_the_levels_the_first_left() -> None:
    sim = _venue()
    sim.submit(order(Side.BUY, 1.5), decided_at=0)
    sim.submit(order(Side.BUY, 1.5), decided_at=0)

    first, second = fills(process(sim, [0, 1]))

    assert first.price == pytest.approx((101.1 + 101.5 * 0.5) / 1.5, rel=1e-12)
    assert second.price == pytest.approx(101.5, rel=1e-12)


def test_a_marketable_limit_takes_levels_up_to_its_limit_and_rests_the_rest() -> None:
    sim = _venue()
    sim.submit(order(Side.BUY, 5.0, OrderType.LIMIT, price=101.5), decided_at=0)

    taken, rested = fills(process(sim, [0, 1]))

    assert (taken.qty, taken.maker) == (3.0, False)
    assert taken.price == pytest.approx((101.1 + 101.5 * 2) / 3, rel=1e-12)
    assert (rested.qty, rested.maker, rested.price) == (2.0, True, 101.5)  # the bar's low


def test_a_fok_order_larger_than_the_book_is_canceled() -> None:
    sim = _venue()
    sim.submit(order(Side.BUY, 9.0, tif=TimeInForce.FOK), decided_at=0)

    events = process(sim, [0, 1])

    assert fills(events) == []
    assert "the book" in cancels(events)[0].reason


def test_a_book_older_than_a_bar_at_the_open_is_not_used() -> None:
    sim = _venue(age_ms=MINUTE_MS + 1)
    sim.submit(order(Side.BUY, 2.5), decided_at=0)

    [fill] = fills(process(sim, [0, 1]))

    assert fill.price == pytest.approx(taker_buy(101.0), rel=1e-12)
