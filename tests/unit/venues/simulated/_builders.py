"""Orders and venues for the simulated-venue tests: hand-made candles, unique order ids."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from quantbot.core import ClientOrderId, Order, OrderType, Side, TimeInForce
from quantbot.venues.simulated import BookDepth, FillModel, SimulatedVenue, VenueCancel, VenueFill

from factories import MINUTE_MS, STRATEGY, SYMBOL, make_instrument, make_ohlcv

Row = tuple[float, float, float, float, float]
"""(open, high, low, close, volume)"""

MAKER_PCT = 0.02
TAKER_PCT = 0.05
SLIPPAGE_PCT = 0.1
MODEL = FillModel(
    maker_fee_pct=MAKER_PCT,
    taker_fee_pct=TAKER_PCT,
    slippage_pct=SLIPPAGE_PCT,
    max_volume_share=None,
)
"""Distinct maker and taker fees and a round slippage, so each rule shows in the numbers."""

_ids = itertools.count(1)


def order(
    side: Side = Side.BUY,
    qty: float = 1.0,
    order_type: OrderType = OrderType.MARKET,
    *,
    price: float | None = None,
    stop_price: float | None = None,
    tif: TimeInForce = TimeInForce.GTC,
    reduce_only: bool = False,
) -> Order:
    """An order with a fresh client order id."""
    return Order(
        client_order_id=ClientOrderId(f"test-{next(_ids)}"),
        strategy_id=STRATEGY,
        symbol=SYMBOL,
        side=side,
        order_type=order_type,
        qty=qty,
        ts_ms=0,
        price=price,
        stop_price=stop_price,
        time_in_force=tif,
        reduce_only=reduce_only,
    )


def venue(
    rows: Sequence[Row], model: FillModel = MODEL, *, books: BookDepth | None = None
) -> SimulatedVenue:
    """A venue on one symbol whose candles are ``rows`` (and its recorded ``books``)."""
    return SimulatedVenue(
        {SYMBOL: make_ohlcv(rows)},
        {SYMBOL: make_instrument(tick_size=None, lot_size=None)},
        model,
        books=None if books is None else {SYMBOL: books},
        book_max_age_ms=MINUTE_MS,
    )


def process(sim: SimulatedVenue, bars: Iterable[int]) -> list[VenueFill | VenueCancel]:
    """Every event of ``bars``, processed in order."""
    return [event for bar in bars for event in sim.process_bar(bar)]


def fills(events: Iterable[VenueFill | VenueCancel]) -> list[VenueFill]:
    return [e for e in events if isinstance(e, VenueFill)]


def cancels(events: Iterable[VenueFill | VenueCancel]) -> list[VenueCancel]:
    return [e for e in events if isinstance(e, VenueCancel)]


def taker_buy(reference: float) -> float:
    return reference * (1 + SLIPPAGE_PCT / 100)


def taker_sell(reference: float) -> float:
    return reference * (1 - SLIPPAGE_PCT / 100)


def fee(qty: float, price: float, *, maker: bool) -> float:
    return qty * price * (MAKER_PCT if maker else TAKER_PCT) / 100
