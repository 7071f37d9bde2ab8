"""The simulated venue's fill model, bar by bar, on hand-made candles.

Each test builds a few candles whose open, high, low and volume decide one rule of the
model stated in ``quantbot.venues.simulated.venue`` and checks the venue's executions
(price, quantity, maker/taker, fee) and cancellations against that rule.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from quantbot.core import OrderType, Side, TimeInForce
from quantbot.venues.simulated import SimulatedVenue, VenueCancel, VenueFill

from ._builders import (
    MODEL,
    Row,
    cancels,
    fee,
    fills,
    order,
    process,
    taker_buy,
    taker_sell,
    venue,
)
from factories import SYMBOL, make_instrument, make_ohlcv

FLAT: Row = (100.0, 100.5, 99.5, 100.0, 1_000.0)
"""A quiet bar that reaches none of the prices the tests use."""


def _long(sim: SimulatedVenue, qty: float) -> None:
    """Open a long of ``qty`` with a market buy filled at bar 0's open."""
    sim.submit(order(Side.BUY, qty), decided_at=-1)
    assert [f.qty for f in fills(sim.process_bar(0))] == [qty]


# -- market orders and latency -------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "expected"), [(Side.BUY, taker_buy(101.0)), (Side.SELL, taker_sell(101.0))]
)
def test_market_order_fills_at_the_next_open_moved_against_it_by_slippage(
    side: Side, expected: float
) -> None:
    sim = venue([FLAT, (101.0, 103.0, 100.0, 102.0, 1_000.0), FLAT])
    sim.submit(order(side, 2.0), decided_at=0)

    assert sim.process_bar(0) == []
    [fill] = sim.process_bar(1)

    assert isinstance(fill, VenueFill)
    assert (fill.bar, fill.qty, fill.maker) == (1, 2.0, False)
    assert fill.price == pytest.approx(expected, rel=1e-12)
    assert fill.fee == pytest.approx(fee(2.0, expected, maker=False), rel=1e-12)
    assert fill.slippage == pytest.approx(abs(expected - 101.0) * 2.0, rel=1e-9)


def test_latency_bars_delay_the_arrival_of_an_order() -> None:
    rows = [FLAT, FLAT, FLAT, (103.0, 104.0, 102.0, 103.0, 1_000.0), FLAT]
    sim = venue(rows, dataclasses.replace(MODEL, latency_bars=2))

    arrival = sim.submit(order(Side.BUY, 1.0), decided_at=0)

    assert arrival == 3
    assert process(sim, [0, 1, 2]) == []
    [fill] = fills(sim.process_bar(3))
    assert fill.price == pytest.approx(taker_buy(103.0), rel=1e-12)


# -- limit orders -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "limit", "bar"),
    [
        (Side.BUY, 99.0, (100.0, 100.5, 99.0, 100.0, 1_000.0)),
        (Side.SELL, 101.0, (100.0, 101.0, 99.5, 100.0, 1_000.0)),
    ],
)
def test_limit_touched_within_the_range_fills_at_its_price_as_maker(
    side: Side, limit: float, bar: Row
) -> None:
    sim = venue([FLAT, bar])
    sim.submit(order(side, 1.5, OrderType.LIMIT, price=limit), decided_at=0)

    [fill] = fills(process(sim, [1]))

    assert (fill.price, fill.qty, fill.maker) == (limit, 1.5, True)
    assert fill.fee == pytest.approx(fee(1.5, limit, maker=True), rel=1e-12)
    assert fill.slippage == 0.0


def test_limit_only_touched_does_not_fill_when_fill_on_touch_is_off() -> None:
    touch = (100.0, 100.5, 99.0, 100.0, 1_000.0)
    through = (100.0, 100.5, 98.9, 100.0, 1_000.0)
    sim = venue([FLAT, touch, through], dataclasses.replace(MODEL, fill_limits_on_touch=False))
    sim.submit(order(Side.BUY, 1.0, OrderType.LIMIT, price=99.0), decided_at=0)

    assert sim.process_bar(1) == []
    [fill] = fills(sim.process_bar(2))
    assert (fill.price, fill.maker) == (99.0, True)


@pytest.mark.parametrize(
    ("side", "limit", "gap_open"), [(Side.BUY, 99.0, 98.0), (Side.SELL, 101.0, 102.0)]
)
def test_resting_limit_the_open_gaps_through_fills_at_the_open_as_maker(
    side: Side, limit: float, gap_open: float
) -> None:
    gap = (gap_open, gap_open + 0.5, gap_open - 0.5, gap_open, 1_000.0)
    sim = venue([FLAT, FLAT, gap])
    sim.submit(order(side, 1.0, OrderType.LIMIT, price=limit), decided_at=0)

    assert sim.process_bar(1) == []
    [fill] = fills(sim.process_bar(2))

    assert (fill.price, fill.maker) == (gap_open, True)
    assert fill.fee == pytest.approx(fee(1.0, gap_open, maker=True), rel=1e-12)


@pytest.mark.parametrize(
    ("side", "limit", "expected"),
    [
        (Side.BUY, 105.0, taker_buy(101.0)),  # slippage stays inside the limit
        (Side.BUY, 101.05, 101.05),  # slippage would pass the limit: capped at it
        (Side.SELL, 95.0, taker_sell(101.0)),
        (Side.SELL, 100.95, 100.95),
    ],
)
def test_arriving_marketable_limit_fills_at_the_open_as_taker_never_worse_than_its_limit(
    side: Side, limit: float, expected: float
) -> None:
    sim = venue([FLAT, (101.0, 101.5, 100.5, 101.0, 1_000.0)])
    sim.submit(order(side, 1.0, OrderType.LIMIT, price=limit), decided_at=0)

    [fill] = fills(sim.process_bar(1))

    assert fill.maker is False
    assert fill.price == pytest.approx(expected, rel=1e-12)
    assert fill.fee == pytest.approx(fee(1.0, expected, maker=False), rel=1e-12)


def test_post_only_limit_marketable_at_arrival_is_canceled_without_filling() -> None:
    sim = venue([FLAT, (101.0, 101.5, 100.5, 101.0, 1_000.0), FLAT])
    sim.submit(
        order(Side.BUY, 1.0, OrderType.LIMIT, price=102.0, tif=TimeInForce.POST_ONLY), decided_at=0
    )

    events = process(sim, [1, 2])

    [cancel] = events
    assert isinstance(cancel, VenueCancel)
    assert (cancel.bar, cancel.expired) == (1, False)
    assert "post-only" in cancel.reason
    assert sim.working_orders("BTC/USDT") == []


def test_post_only_limit_that_rests_at_arrival_fills_as_maker_when_touched() -> None:
    sim = venue([FLAT, (100.0, 100.5, 98.0, 99.0, 1_000.0)])
    sim.submit(
        order(Side.BUY, 1.0, OrderType.LIMIT, price=99.0, tif=TimeInForce.POST_ONLY), decided_at=0
    )

    [fill] = fills(sim.process_bar(1))

    assert (fill.price, fill.maker) == (99.0, True)


# -- stop orders ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "stop", "bar", "expected"),
    [
        (Side.SELL, 99.0, (100.0, 100.5, 98.5, 99.0, 1_000.0), taker_sell(99.0)),
        (Side.BUY, 101.0, (100.0, 101.5, 99.5, 101.0, 1_000.0), taker_buy(101.0)),
    ],
)
def test_stop_touched_within_the_range_fills_at_the_stop_moved_by_slippage(
    side: Side, stop: float, bar: Row, expected: float
) -> None:
    sim = venue([FLAT, bar])
    sim.submit(order(side, 1.0, OrderType.STOP, stop_price=stop), decided_at=0)

    [fill] = fills(sim.process_bar(1))

    assert fill.maker is False
    assert fill.price == pytest.approx(expected, rel=1e-12)
    assert fill.fee == pytest.approx(fee(1.0, expected, maker=False), rel=1e-12)


@pytest.mark.parametrize(
    ("side", "stop", "gap_open", "expected"),
    [(Side.SELL, 99.0, 97.0, taker_sell(97.0)), (Side.BUY, 101.0, 103.0, taker_buy(103.0))],
)
def test_stop_gapped_at_the_open_fills_at_the_open(
    side: Side, stop: float, gap_open: float, expected: float
) -> None:
    sim = venue([FLAT, FLAT, (gap_open, gap_open + 0.5, gap_open - 0.5, gap_open, 1_000.0)])
    sim.submit(order(side, 1.0, OrderType.STOP, stop_price=stop), decided_at=0)

    assert sim.process_bar(1) == []
    [fill] = fills(sim.process_bar(2))

    assert fill.maker is False
    assert fill.price == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("stop_first", [True, False])
def test_stop_and_target_inside_one_bar_the_stop_fills_and_the_reduce_only_target_is_canceled(
    stop_first: bool,
) -> None:
    sim = venue([FLAT, FLAT, (100.0, 104.0, 96.0, 100.0, 1_000.0)])
    _long(sim, 1.0)
    stop = order(Side.SELL, 1.0, OrderType.STOP, stop_price=97.0, reduce_only=True)
    target = order(Side.SELL, 1.0, OrderType.LIMIT, price=103.0, reduce_only=True)
    for o in (stop, target) if stop_first else (target, stop):
        sim.submit(o, decided_at=0)

    assert sim.process_bar(1) == []
    events = sim.process_bar(2)

    [fill, cancel] = events
    assert isinstance(fill, VenueFill)
    assert isinstance(cancel, VenueCancel)
    assert fill.order is stop
    assert fill.price == pytest.approx(taker_sell(97.0), rel=1e-12)
    assert cancel.order is target
    assert "reduce-only" in cancel.reason
    assert sim.position("BTC/USDT") == 0.0


def test_target_the_open_already_passed_fills_at_the_open_before_the_stop_is_considered() -> None:
    sim = venue([FLAT, FLAT, (104.0, 104.5, 96.0, 100.0, 1_000.0)])
    _long(sim, 1.0)
    stop = order(Side.SELL, 1.0, OrderType.STOP, stop_price=97.0, reduce_only=True)
    target = order(Side.SELL, 1.0, OrderType.LIMIT, price=103.0, reduce_only=True)
    sim.submit(stop, decided_at=0)
    sim.submit(target, decided_at=0)

    assert sim.process_bar(1) == []
    [fill, cancel] = sim.process_bar(2)

    assert isinstance(fill, VenueFill)
    assert (fill.order, fill.price, fill.maker) == (target, 104.0, True)
    assert isinstance(cancel, VenueCancel)
    assert cancel.order is stop


def test_stops_fill_before_limits_whatever_the_submission_order() -> None:
    # Without reduce-only both fill, and the pessimistic path puts the stop first.
    sim = venue([FLAT, (100.0, 104.0, 96.0, 100.0, 1_000.0)])
    target = order(Side.SELL, 1.0, OrderType.LIMIT, price=103.0)
    stop = order(Side.SELL, 1.0, OrderType.STOP, stop_price=97.0)
    sim.submit(target, decided_at=0)
    sim.submit(stop, decided_at=0)

    assert [f.order for f in fills(sim.process_bar(1))] == [stop, target]


# -- stop-limit orders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "stop", "limit", "bar", "expected"),
    [
        (Side.BUY, 101.0, 101.5, (100.0, 102.0, 99.5, 101.0, 1_000.0), taker_buy(101.0)),
        (Side.BUY, 101.0, 101.05, (100.0, 102.0, 99.5, 101.0, 1_000.0), 101.05),
        (Side.SELL, 99.0, 98.5, (100.0, 100.5, 98.0, 99.0, 1_000.0), taker_sell(99.0)),
    ],
)
def test_stop_limit_with_its_limit_beyond_the_stop_fills_at_the_stop_when_triggered(
    side: Side, stop: float, limit: float, bar: Row, expected: float
) -> None:
    sim = venue([FLAT, bar])
    sim.submit(order(side, 1.0, OrderType.STOP_LIMIT, price=limit, stop_price=stop), decided_at=0)

    [fill] = fills(sim.process_bar(1))

    assert fill.maker is False
    assert fill.price == pytest.approx(expected, rel=1e-12)


def test_stop_limit_with_its_limit_inside_the_stop_rests_and_fills_later_as_maker() -> None:
    trigger = (100.0, 101.5, 100.2, 101.0, 1_000.0)  # reaches the stop, not the limit
    dip = (101.0, 101.2, 99.0, 100.0, 1_000.0)
    sim = venue([FLAT, trigger, dip])
    sim.submit(
        order(Side.BUY, 1.0, OrderType.STOP_LIMIT, price=100.0, stop_price=101.0), decided_at=0
    )

    assert sim.process_bar(1) == []
    [fill] = fills(sim.process_bar(2))

    assert (fill.price, fill.maker) == (100.0, True)


def test_stop_limit_with_its_limit_inside_the_stop_does_not_fill_on_its_trigger_bar() -> None:
    # The range reaches both the stop (101) and the limit (100); the path between them
    # is unknown, so the order only becomes a resting limit.
    sim = venue([FLAT, (100.5, 101.5, 99.5, 100.5, 1_000.0), FLAT])
    sim.submit(
        order(Side.BUY, 1.0, OrderType.STOP_LIMIT, price=100.0, stop_price=101.0), decided_at=0
    )

    assert fills(sim.process_bar(1)) == []
    assert len(sim.working_orders("BTC/USDT")) == 1


# -- time in force ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order_type", "price"), [(OrderType.LIMIT, 105.0), (OrderType.MARKET, None)]
)
def test_ioc_fills_what_the_bar_allows_at_arrival_and_the_rest_expires(
    order_type: OrderType, price: float | None
) -> None:
    capped = dataclasses.replace(MODEL, max_volume_share=0.1)
    sim = venue([FLAT, (101.0, 101.5, 100.5, 101.0, 10.0), FLAT], capped)
    sim.submit(order(Side.BUY, 3.0, order_type, price=price, tif=TimeInForce.IOC), decided_at=0)

    events = process(sim, [1, 2])

    [fill, end] = events
    assert isinstance(fill, VenueFill)
    assert fill.qty == pytest.approx(1.0, rel=1e-12)  # 10 % of the bar's volume of 10
    assert fill.maker is False
    assert isinstance(end, VenueCancel)
    assert (end.bar, end.expired) == (1, True)
    assert sim.working_orders("BTC/USDT") == []


def test_ioc_limit_not_marketable_at_arrival_expires_even_if_the_range_reaches_it() -> None:
    sim = venue([FLAT, (100.0, 100.5, 98.0, 99.0, 1_000.0)])
    sim.submit(order(Side.BUY, 1.0, OrderType.LIMIT, price=99.0, tif=TimeInForce.IOC), decided_at=0)

    [end] = sim.process_bar(1)

    assert isinstance(end, VenueCancel)
    assert end.expired is True


@pytest.mark.parametrize(("qty", "fills_all"), [(3.0, False), (1.0, True)])
def test_fok_fills_all_or_nothing(qty: float, fills_all: bool) -> None:
    capped = dataclasses.replace(MODEL, max_volume_share=0.1)
    sim = venue([FLAT, (101.0, 101.5, 100.5, 101.0, 10.0)], capped)
    sim.submit(
        order(Side.BUY, qty, OrderType.LIMIT, price=105.0, tif=TimeInForce.FOK), decided_at=0
    )

    events = sim.process_bar(1)

    if fills_all:
        assert [(f.qty, f.maker) for f in fills(events)] == [(qty, False)]
        assert cancels(events) == []
    else:
        assert fills(events) == []
        [end] = cancels(events)
        assert end.expired is True
    assert sim.working_orders("BTC/USDT") == []


# -- volume ---------------------------------------------------------------------------------------


def test_volume_cap_fills_part_and_the_rest_keeps_working_on_later_bars() -> None:
    rows = [FLAT, *[(100.0 + k, 100.5 + k, 99.5 + k, 100.0 + k, 10.0) for k in (1, 2, 3, 4)]]
    sim = venue(rows, dataclasses.replace(MODEL, max_volume_share=0.1))
    sim.submit(order(Side.BUY, 2.5), decided_at=0)

    events = process(sim, [1, 2, 3, 4])

    assert [f.bar for f in fills(events)] == [1, 2, 3]
    assert [f.qty for f in fills(events)] == pytest.approx([1.0, 1.0, 0.5], rel=1e-12)
    assert [f.price for f in fills(events)] == pytest.approx(
        [taker_buy(101.0), taker_buy(102.0), taker_buy(103.0)], rel=1e-12
    )
    assert cancels(events) == []


def test_a_balance_short_of_the_remainder_by_float_dust_fills_it_all() -> None:
    """Partial fills summed in float64 can leave the balance an ulp below the remainder."""
    for balance in (math.nextafter(0.3, 0.0), 0.3 - 1e-12):
        sim = SimulatedVenue(
            {SYMBOL: make_ohlcv([FLAT, FLAT])},
            {SYMBOL: make_instrument(tick_size=None, lot_size=0.001)},
            MODEL,
            budget=lambda o, balance=balance, **_: balance,
        )
        sim.submit(order(Side.SELL, 0.3), decided_at=0)

        events = process(sim, [1])

        assert cancels(events) == []
        assert [f.qty for f in fills(events)] == [balance]


def test_a_balance_short_by_more_than_dust_fills_what_the_lots_allow() -> None:
    sim = SimulatedVenue(
        {SYMBOL: make_ohlcv([FLAT, FLAT])},
        {SYMBOL: make_instrument(tick_size=None, lot_size=0.001)},
        MODEL,
        budget=lambda o, **_: 0.2995,
    )
    sim.submit(order(Side.SELL, 0.3), decided_at=0)

    events = process(sim, [1])

    assert [f.qty for f in fills(events)] == pytest.approx([0.299])


def test_each_fill_reaches_the_sink_before_the_next_order_asks_its_budget() -> None:
    """An account booking fills in the sink is current when the next order's budget is asked."""
    seen: list[str] = []

    def budget(o: object, **_: object) -> float:
        seen.append("budget")
        return math.inf

    sim = SimulatedVenue(
        {SYMBOL: make_ohlcv([FLAT, FLAT])},
        {SYMBOL: make_instrument(tick_size=None, lot_size=0.001)},
        MODEL,
        budget=budget,
    )
    sim.submit(order(Side.BUY, 0.3), decided_at=0)
    sim.submit(order(Side.BUY, 0.2), decided_at=0)

    events = sim.process_bar(1, lambda event: seen.append(f"fill {event.qty:g}"))

    assert seen == ["budget", "fill 0.3", "budget", "fill 0.2"]
    assert [f.qty for f in fills(events)] == [0.3, 0.2]


def test_volume_cap_is_shared_by_every_order_filling_on_the_bar() -> None:
    sim = venue(
        [FLAT, (101.0, 101.5, 100.5, 101.0, 15.0), FLAT],
        dataclasses.replace(MODEL, max_volume_share=0.1),
    )
    first, second = order(Side.BUY, 1.0), order(Side.SELL, 1.0)
    sim.submit(first, decided_at=0)
    sim.submit(second, decided_at=0)

    bar1 = fills(sim.process_bar(1))

    assert [f.order for f in bar1] == [first, second]
    assert [f.qty for f in bar1] == pytest.approx([1.0, 0.5], rel=1e-12)
    assert sum(f.qty for f in bar1) == pytest.approx(1.5, rel=1e-12)


def test_bar_without_volume_fills_nothing_and_the_order_waits() -> None:
    sim = venue(
        [FLAT, (101.0, 101.5, 100.5, 101.0, 0.0), (102.0, 102.5, 101.5, 102.0, 1_000.0)],
        dataclasses.replace(MODEL, max_volume_share=0.1),
    )
    sim.submit(order(Side.BUY, 1.0), decided_at=0)

    assert sim.process_bar(1) == []
    [fill] = fills(sim.process_bar(2))
    assert fill.price == pytest.approx(taker_buy(102.0), rel=1e-12)


def test_without_a_volume_cap_volume_plays_no_part_even_on_a_bar_without_volume() -> None:
    # As in backtesting.py, which the differential test compares with.
    sim = venue([FLAT, (101.0, 101.5, 100.5, 101.0, 0.0)])
    sim.submit(order(Side.BUY, 1.0), decided_at=0)

    [fill] = fills(sim.process_bar(1))

    assert fill.price == pytest.approx(taker_buy(101.0), rel=1e-12)


# -- reduce-only -------------------------------------------------------------------------------


def test_reduce_only_order_fills_at_most_the_open_position() -> None:
    sim = venue([FLAT, FLAT, FLAT])
    _long(sim, 1.0)
    sim.submit(order(Side.SELL, 3.0, reduce_only=True), decided_at=0)

    events = process(sim, [1, 2])

    assert [f.qty for f in fills(events)] == [1.0]
    assert sim.position("BTC/USDT") == 0.0
    assert sim.working_orders("BTC/USDT") == []


def test_reduce_only_order_without_a_position_is_canceled() -> None:
    sim = venue([FLAT, FLAT])
    sim.submit(order(Side.SELL, 1.0, reduce_only=True), decided_at=0)

    [end] = sim.process_bar(1)

    assert isinstance(end, VenueCancel)
    assert end.expired is False
    assert "reduce-only" in end.reason


def test_reduce_only_remainder_never_fills_against_a_position_opened_later() -> None:
    touch = (100.0, 105.0, 99.5, 100.0, 1_000.0)
    sim = venue([FLAT, touch, FLAT, touch])
    _long(sim, 1.0)
    target = order(Side.SELL, 3.0, OrderType.LIMIT, price=105.0, reduce_only=True)
    sim.submit(target, decided_at=0)
    assert [f.qty for f in fills(sim.process_bar(1))] == [1.0]

    sim.submit(order(Side.BUY, 1.0), decided_at=1)  # a new long, opened at bar 2's open
    process(sim, [2])
    events = sim.process_bar(3)

    assert [f for f in fills(events) if f.order is target] == []
    assert sim.position("BTC/USDT") == 1.0


def test_reduce_only_fok_larger_than_the_position_fills_nothing() -> None:
    sim = venue([FLAT, FLAT])
    _long(sim, 1.0)
    sim.submit(
        order(Side.SELL, 3.0, OrderType.LIMIT, price=95.0, tif=TimeInForce.FOK, reduce_only=True),
        decided_at=0,
    )

    assert fills(sim.process_bar(1)) == []


# -- cancel and bars without prices --------------------------------------------------------------


def test_cancel_removes_a_working_order_and_is_refused_once_it_is_gone() -> None:
    sim = venue([FLAT, (100.0, 100.5, 98.0, 99.0, 1_000.0)])
    resting = order(Side.BUY, 1.0, OrderType.LIMIT, price=99.0)
    sim.submit(resting, decided_at=0)

    assert sim.cancel(resting.client_order_id) is True
    assert sim.working_orders("BTC/USDT") == []
    assert sim.process_bar(1) == []
    assert sim.cancel(resting.client_order_id) is False
    assert sim.next_event_bar(1) > 1


def test_ioc_arriving_on_a_bar_without_prices_never_fills_later() -> None:
    nan = (math.nan, math.nan, math.nan, math.nan, 0.0)
    sim = venue([FLAT, nan, (99.0, 99.5, 98.5, 99.0, 1_000.0)])
    sim.submit(
        order(Side.BUY, 1.0, OrderType.LIMIT, price=100.0, tif=TimeInForce.IOC), decided_at=0
    )

    events = process(sim, [1, 2])

    assert fills(events) == []
    assert sim.working_orders("BTC/USDT") == []
