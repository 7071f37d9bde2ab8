"""The forward scans and ``next_event_bar``: the bars the fast path may not skip.

``next_event_bar`` is checked against a brute-force loop over the same rule, and a venue
driven only through the bars it names is checked to produce exactly the events of a
venue that processes every bar. The liquidation scan (:class:`LinearScan`) is checked
against a bar-by-bar loop for every block size, so skipping blocks never skips a bar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import Order, OrderType, Side, TimeInForce
from quantbot.venues.simulated import FillModel, VenueCancel, VenueFill
from quantbot.venues.simulated.scan import LinearScan, first_crossing

from ._builders import Row, order, venue

# -- generators --------------------------------------------------------------------------------


@st.composite
def candle_rows(draw: st.DrawFn, max_bars: int = 25) -> list[Row]:
    """Candles on a coarse price grid, so that touches and exact gaps happen often."""
    n = draw(st.integers(2, max_bars))
    rows: list[Row] = []
    close = 100.0
    for _ in range(n):
        gap = draw(st.sampled_from([0, 0, 0, -2, 2]))
        open_ = close + gap
        close = open_ + draw(st.integers(-3, 3))
        high = max(open_, close) + draw(st.integers(0, 2))
        low = min(open_, close) - draw(st.integers(0, 2))
        volume = draw(st.sampled_from([0.0, 5.0, 10.0, 1_000.0]))
        rows.append((open_, float(high), float(low), close, volume))
    return rows


@dataclass(frozen=True)
class Placed:
    order: Order
    decided_at: int


@st.composite
def placed_orders(
    draw: st.DrawFn, rows: list[Row], *, gtc_only: bool = False, last_decision: int | None = None
) -> list[Placed]:
    """Orders of every type, side and time in force, decided on random bars.

    Prices are the candles' own highs and lows, so exact touches are frequent.
    """
    levels = st.sampled_from(sorted({r[1] for r in rows} | {r[2] for r in rows}))
    last = len(rows) - 2 if last_decision is None else last_decision
    placed = []
    for _ in range(draw(st.integers(1, 6))):
        order_type = draw(st.sampled_from(list(OrderType)))
        side = draw(st.sampled_from(list(Side)))
        price = stop = None
        if order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
            price = draw(levels)
        if order_type in (OrderType.STOP, OrderType.STOP_LIMIT):
            stop = draw(levels)
        tifs = [TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK]
        if order_type is OrderType.LIMIT:
            tifs.append(TimeInForce.POST_ONLY)
        tif = TimeInForce.GTC if gtc_only else draw(st.sampled_from(tifs))
        new = order(
            side,
            draw(st.sampled_from([0.5, 1.0, 3.0])),
            order_type,
            price=price,
            stop_price=stop,
            tif=tif,
            reduce_only=draw(st.booleans()),
        )
        placed.append(Placed(new, draw(st.integers(-1, max(last, -1)))))
    return placed


fill_models = st.builds(
    FillModel,
    maker_fee_pct=st.just(0.02),
    taker_fee_pct=st.just(0.05),
    slippage_pct=st.sampled_from([0.0, 0.1]),
    impact_pct=st.sampled_from([0.0, 0.5]),
    max_volume_share=st.sampled_from([None, 0.1, 0.5, 1.0]),
    latency_bars=st.integers(0, 2),
    fill_limits_on_touch=st.booleans(),
)


# -- first_crossing ----------------------------------------------------------------------------


@given(
    st.lists(st.tuples(st.integers(90, 110), st.integers(0, 5)), min_size=1, max_size=40),
    st.integers(0, 45),
    st.one_of(st.just(-np.inf), st.integers(85, 110).map(float)),
    st.one_of(st.just(np.inf), st.integers(90, 115).map(float)),
)
def test_first_crossing_is_the_first_bar_whose_low_or_high_reaches_a_threshold(
    bars: list[tuple[int, int]], start: int, low_at: float, high_at: float
) -> None:
    low = np.array([float(b) for b, _ in bars])
    high = low + np.array([float(w) for _, w in bars])

    expected = next(
        (i for i in range(start, len(low)) if low[i] <= low_at or high[i] >= high_at), len(low)
    )

    assert first_crossing(low, high, start, low_at, high_at) == expected


# -- next_event_bar ---------------------------------------------------------------------------


def _brute_next_event(rows: list[Row], placed: list[tuple[Order, int]], start: int) -> int:
    """The first bar >= start on which an order arrives or its price can be reached."""
    n = len(rows)
    best = n
    for o, arrival in placed:
        if arrival >= start:
            best = min(best, arrival)
            continue
        if o.order_type is OrderType.MARKET:
            best = min(best, start)
            continue
        is_limit = o.order_type is OrderType.LIMIT
        trigger = o.price if is_limit else o.stop_price
        assert trigger is not None
        # Buy limits and sell stops wait for the low; sell limits and buy stops for the high.
        wants_low = (o.side is Side.BUY) == is_limit
        for j in range(start, n):
            _, high, low, _, _ = rows[j]
            if (low <= trigger) if wants_low else (high >= trigger):
                best = min(best, j)
                break
    return best


@given(st.data(), candle_rows(), st.integers(0, 2))
def test_next_event_bar_is_the_first_bar_an_order_arrives_on_or_can_trigger(
    data: st.DataObject, rows: list[Row], latency: int
) -> None:
    n = len(rows)
    start = data.draw(st.integers(0, n))
    # Mostly orders that arrived before ``start``, whose prices decide; some arrive later.
    last_decision = data.draw(st.sampled_from([start - 2 - latency, n - 2]))
    placed = data.draw(placed_orders(rows, gtc_only=True, last_decision=last_decision))
    sim = venue(rows, FillModel(max_volume_share=None, latency_bars=latency))
    arrivals = [(p.order, sim.submit(p.order, decided_at=p.decided_at)) for p in placed]

    assert min(sim.next_event_bar(start), n) == _brute_next_event(rows, arrivals, start)


def test_next_event_bar_without_orders_is_past_the_end() -> None:
    rows: list[Row] = [(100.0, 101.0, 99.0, 100.0, 10.0)] * 3
    assert venue(rows).next_event_bar(0) >= len(rows)


def _key(event: VenueFill | VenueCancel) -> tuple[object, ...]:
    if isinstance(event, VenueFill):
        return ("fill", event.order.client_order_id, event.bar, event.qty, event.price, event.maker)
    return ("end", event.order.client_order_id, event.bar, event.reason, event.expired)


@given(st.data(), candle_rows(), fill_models)
def test_visiting_only_the_bars_next_event_bar_names_gives_the_events_of_every_bar(
    data: st.DataObject, rows: list[Row], model: FillModel
) -> None:
    n = len(rows)
    placed = data.draw(placed_orders(rows))
    every_bar, event_driven = venue(rows, model), venue(rows, model)
    for p in placed:
        every_bar.submit(p.order, decided_at=p.decided_at)
        event_driven.submit(p.order, decided_at=p.decided_at)

    expected = [_key(e) for bar in range(n) for e in every_bar.process_bar(bar)]
    seen = []
    bar = event_driven.next_event_bar(0)
    while bar < n:
        seen.extend(_key(e) for e in event_driven.process_bar(bar))
        bar = event_driven.next_event_bar(bar + 1)

    assert seen == expected


# -- LinearScan: the liquidation condition ------------------------------------------------------


def _brute_linear(
    lows: np.ndarray,
    highs: np.ndarray,
    rows: list[int],
    coefs: list[float],
    bound: float,
    start: int,
) -> int:
    """The first bar >= start whose adverse prices meet the condition, bar by bar."""
    for i in range(start, lows.shape[1]):
        total = 0.0
        for row, coef in zip(rows, coefs, strict=True):
            total += coef * (lows[row, i] if coef > 0 else highs[row, i])
        if total <= bound:
            return i
    return lows.shape[1]


@given(
    st.data(),
    st.integers(1, 3),
    st.integers(1, 60),
    st.integers(1, 7),
)
def test_linear_scan_finds_the_first_bar_meeting_the_condition_whatever_the_block_size(
    data: st.DataObject, symbols: int, bars: int, block: int
) -> None:
    prices = st.integers(80, 120).map(float)
    lows = np.array(
        [data.draw(st.lists(prices, min_size=bars, max_size=bars)) for _ in range(symbols)]
    )
    highs = lows + np.array(
        [
            data.draw(st.lists(st.integers(0, 6), min_size=bars, max_size=bars))
            for _ in range(symbols)
        ]
    )
    rows = data.draw(
        st.lists(st.integers(0, symbols - 1), min_size=1, max_size=symbols, unique=True)
    )
    coefs = [data.draw(st.sampled_from([-2.5, -1.0, -0.3, 0.4, 1.0, 3.0])) for _ in rows]
    bound = float(data.draw(st.integers(-300, 300)))
    start = data.draw(st.integers(0, bars))
    scan = LinearScan(list(lows), list(highs), block=block)
    row_array, coef_array = np.array(rows, dtype=np.int64), np.array(coefs)

    expected = _brute_linear(lows, highs, rows, coefs, bound, start)

    assert scan.first(row_array, coef_array, bound, start) == expected
    if start < bars:
        assert scan.holds_at(row_array, coef_array, bound, start) == (expected == start)


def test_linear_scan_uses_the_low_for_positive_and_the_high_for_negative_coefficients() -> None:
    lows = [np.array([100.0, 95.0, 100.0]), np.array([10.0, 10.0, 10.0])]
    highs = [np.array([101.0, 96.0, 101.0]), np.array([10.0, 10.0, 12.0])]
    scan = LinearScan(lows, highs, block=2)
    rows = np.array([0, 1], dtype=np.int64)

    # 1 x low(0) - 10 x high(1) <= -5: bar 0: 100 - 100 = 0; bar 1: 95 - 100 = -5.
    assert scan.first(rows, np.array([1.0, -10.0]), -5.0, 0) == 1
    # Only the high of symbol 1 (12 at bar 2) brings -10 x high below -115.
    assert scan.first(np.array([1], dtype=np.int64), np.array([-10.0]), -115.0, 0) == 2


def test_linear_scan_never_meets_the_condition_on_a_bar_without_prices() -> None:
    nan = float("nan")
    scan = LinearScan([np.array([nan, 50.0])], [np.array([nan, 50.0])], block=1)

    assert scan.first(np.array([0], dtype=np.int64), np.array([1.0]), 60.0, 0) == 1
