"""The simulated venue: a matching model that fills orders against candles.

It holds the working orders, decides on which bar and at which price each fills, and
reports executions and cancellations; it never changes an :class:`~quantbot.core.Order`
itself (the engine applies the events, so orders follow the same state machine as on a
real exchange). It knows markets and its own net positions, never strategies.

The fill model, bar by bar (documented in docs/backtesting.md):

- **Latency**: an order submitted at the close of bar t reaches the book at the open
  of bar ``t + 1 + latency_bars`` (its arrival bar).
- **At the open** of a bar: arriving market orders fill at the open (taker, with
  slippage, or walking the recorded L2 book where there is one:
  :mod:`~quantbot.venues.simulated.depth`); an arriving limit that the open already
  crosses is marketable: it fills at the open as taker (walking the book likewise,
  up to its limit), or is refused if post-only; a resting limit the open gaps
  through fills at the open as maker (price improvement); a stop whose price the open
  has passed fills at the open (taker, slippage or the book). IOC and FOK orders live
  only at the open of their arrival bar: what does not fill there is canceled (FOK:
  all or nothing).
- **Within the bar**, the path between open and close is unknown, so the venue is
  conservative: every stop touched by the bar's range fills before any limit does.
  When a position's stop and its target are both inside one bar's range, the stop
  wins, unless the open had already passed the target (then the target filled at the
  open). Stops fill at their stop price with slippage, limits at their limit price as
  makers (touching the limit is enough unless ``fill_limits_on_touch`` is off). A
  limit that could not fill at the open (a reduce-only with no position yet, no
  volume left) and becomes able to later in a bar whose whole range is beyond it
  fills at the bar's worst price that honours its limit: a taker on its arrival bar,
  a maker after (it rested). No fill is ever priced outside its bar.
  A stop-limit whose limit is at or beyond its stop fills at the stop when triggered;
  one whose limit is inside the stop rests from the next bar on.
- **Volume**: all fills on one bar together take at most ``max_volume_share`` of the
  bar's volume; the rest of an order stays working (market remainders fill at later
  opens), and a bar without volume fills nothing. Without a cap
  (``max_volume_share=None``) volume plays no part, as in backtesting.py.
- **Reduce-only** orders fill at most the open position and are canceled when it is
  flat.
- **Balance**: a fill the account cannot pay for at its execution price (a spot buy
  after a gap up) is cut to what it can, and the order canceled when that is nothing.
- Partial fills (volume cap, balance) are rounded down to the market's lot.

Only the orders a bar can act on are matched: an order arriving on it, a market
remainder, and a resting order whose price the bar's range reaches. Each order carries
that price (``low_at``/``high_at``), and each symbol's book remembers the first bar at or
after a given one on which any of its orders can act (found with the compiled forward
scan, :mod:`~quantbot.venues.simulated.scan`) until its orders change. That answer is
the fast path's next venue event, and a bar before it is passed over without looking at
a single order, in a bar-by-bar run too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from quantbot.core import QTY_REL_TOL, Instrument, Order, OrderType, Side, TimeInForce, quantize_qty
from quantbot.data.ohlcv import OhlcvArrays
from quantbot.venues.simulated.depth import BookDepth, BookTake
from quantbot.venues.simulated.fill_model import FillModel
from quantbot.venues.simulated.scan import CrossingScan

__all__ = ["SimulatedVenue", "VenueCancel", "VenueFill"]

_DUST = 1e-12


# The venue's reports and working orders have their constructors written out, not
# generated: mypyc compiles them (quantbot.compiled); generated ones stay interpreted.


@dataclass(frozen=True, slots=True, init=False)
class VenueFill:
    """One execution the venue reports."""

    order: Order
    bar: int
    qty: float
    price: float
    fee: float
    maker: bool
    slippage: float
    """Cost of slippage in quote: (execution price - undisturbed price) x qty, >= 0."""

    def __init__(  # noqa: PLR0917 - the fields, positional as a dataclass's are
        self,
        order: Order,
        bar: int,
        qty: float,
        price: float,
        fee: float,
        maker: bool,
        slippage: float,
    ) -> None:
        object.__setattr__(self, "order", order)
        object.__setattr__(self, "bar", bar)
        object.__setattr__(self, "qty", qty)
        object.__setattr__(self, "price", price)
        object.__setattr__(self, "fee", fee)
        object.__setattr__(self, "maker", maker)
        object.__setattr__(self, "slippage", slippage)


@dataclass(frozen=True, slots=True, init=False)
class VenueCancel:
    """The venue ended an order without (fully) filling it."""

    order: Order
    bar: int
    reason: str
    expired: bool = False
    """True for time-in-force endings (IOC/FOK remainders), False for refusals."""

    def __init__(self, order: Order, bar: int, reason: str, expired: bool = False) -> None:
        object.__setattr__(self, "order", order)
        object.__setattr__(self, "bar", bar)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "expired", expired)


@dataclass(slots=True, init=False)
class _Working:
    order: Order
    arrival: int
    remaining: float
    seq: int
    triggered_at: int
    """Bar on which a stop-limit's stop triggered (-1: not yet)."""
    rests_from: int
    """First bar a limit may fill as a resting order (a stop-limit triggered inside a bar
    whose limit is not yet reachable rests from the next bar)."""
    live: bool
    """False once the order left the book (filled, canceled, ended)."""
    limit_price: float | None
    """The price it rests at as a limit: a limit's, or a triggered stop-limit's."""
    market: bool
    low_at: float
    """A bar whose low reaches this (``<=``) may fill it: buy limits, sell stops; -inf never."""
    high_at: float
    """A bar whose high reaches this (``>=``) may fill it: sell limits, buy stops; inf never."""

    def __init__(self, order: Order, arrival: int, remaining: float, seq: int) -> None:
        self.order = order
        self.arrival = arrival
        self.remaining = remaining
        self.seq = seq
        self.triggered_at = -1
        self.rests_from = -1
        self.live = True
        self._aim()

    @property
    def triggered(self) -> bool:
        return self.triggered_at >= 0

    def trigger(self, bar: int) -> None:
        """The stop of a stop-limit triggered on ``bar``: from now on it is a limit."""
        self.triggered_at = bar
        self._aim()

    def _aim(self) -> None:
        """Work out the order's price and the bar range that reaches it.

        Between two bars a resting order can only act on a bar whose range reaches its
        price: the matcher looks at no other, and the venue's scan looks for the first.
        """
        o = self.order
        self.market = o.order_type is OrderType.MARKET
        self.limit_price = (
            o.price
            if o.order_type is OrderType.LIMIT
            or (o.order_type is OrderType.STOP_LIMIT and self.triggered)
            else None
        )
        self.low_at, self.high_at = -math.inf, math.inf
        if self.market:
            return
        is_stop = self.limit_price is None
        trigger = o.stop_price if is_stop else self.limit_price
        assert trigger is not None
        if (o.side is Side.BUY) != is_stop:  # buy limit or sell stop: the low must reach it
            self.low_at = trigger
        else:  # sell limit or buy stop: the high must reach it
            self.high_at = trigger


_NEVER = 2**62
"""A bar after any timeline: nothing will happen."""


@dataclass(slots=True)
class _Book:
    arrays: OhlcvArrays
    instrument: Instrument
    depth: BookDepth | None = None
    """Recorded L2 books of the symbol, if any."""
    snapshot_of_bar: np.ndarray | None = None
    """Per bar, the index of the book snapshot its open fills against; -1 for none."""
    working: list[_Working] = field(default_factory=list)
    """Working orders in submission order (``seq``), which is also the matching order."""
    position: float = 0.0
    scan: CrossingScan = field(init=False)
    version: int = 0
    """Bumped whenever ``working`` or an order's price changes."""
    _next: tuple[int, int, int] = (-1, 0, -1)
    """(version, start, answer) of the last :meth:`next_event`."""

    def __post_init__(self) -> None:
        self.scan = CrossingScan(self.arrays.low, self.arrays.high)

    def next_event(self, start: int) -> int:
        """The first bar ``>= start`` on which an order may arrive, fill, trigger or end.

        :data:`_NEVER` when none can. Remembered while the book is unchanged: no bar in
        ``[start, answer)`` has anything, so every later start up to the answer has the
        same answer, and the engine asks at every event.
        """
        version, known_start, answer = self._next
        if version == self.version and known_start <= start <= answer:
            return answer
        answer = self._first_event(start)
        self._next = (self.version, start, answer)
        return answer

    def _first_event(self, start: int) -> int:
        low_at, high_at, arriving = -math.inf, math.inf, _NEVER
        for w in self.working:
            if w.arrival >= start:
                arriving = min(arriving, w.arrival)
            elif w.market:
                return start  # a market remainder fills at the next open
            else:
                low_at = max(low_at, w.low_at)
                high_at = min(high_at, w.high_at)
        if low_at > -math.inf or high_at < math.inf:
            return min(arriving, self.scan.first(start, low_at, high_at))
        return arriving

    def active(self, bar: int) -> list[_Working]:
        """The orders that may act on ``bar``, in matching order; empty when none can.

        An order arriving on ``bar``, a market remainder, and a resting order whose price
        the bar's range reaches; any other resting order cannot fill, trigger or end on
        this bar, so the matcher need not look at it. Such an order exists exactly when
        :meth:`next_event` is ``bar``.
        """
        if not self.working or self.next_event(bar) != bar:
            return []
        low, high = self.arrays.low[bar], self.arrays.high[bar]
        return [
            w
            for w in self.working
            if w.arrival == bar
            or (w.arrival < bar and (w.market or low <= w.low_at or high >= w.high_at))
        ]


VenueEvent = VenueFill | VenueCancel

EventSink = Callable[[VenueEvent], None]
"""Where :meth:`SimulatedVenue.process_bar` delivers each event as it happens."""


class Budget(Protocol):
    """The most of an order the account can pay for now.

    A real exchange refuses what the balance (spot) or the margin (perpetuals) does not
    cover at execution; this is how the simulated venue learns the account's means
    without keeping the account itself.
    """

    def __call__(
        self, order: Order, *, price: float, fee_rate: float, position: float, bar: int
    ) -> float:
        """The most of ``order`` affordable at ``price``.

        Args:
            order: the order about to fill.
            price: its execution price.
            fee_rate: the fee as a fraction of the notional (maker or taker).
            position: the venue's net position in the order's symbol, fills of this
                bar included (what the order may reduce without margin).
            bar: the bar it fills on.
        """
        ...


class SimulatedVenue:
    """Fills working orders against candle arrays aligned to one timeline.

    Args:
        arrays: per symbol, candles on the run's base timeline (same length).
        instruments: per symbol, its trading rules.
        fill_model: fees, slippage, volume cap, latency.
        budget: what the account can pay for at execution; unlimited without it.
        books: per symbol, recorded L2 books: takers at a bar's open walk the
            snapshot taken at or before it (:mod:`~quantbot.venues.simulated.depth`).
        book_max_age_ms: the oldest a snapshot may be at the open it fills (one bar).
    """

    def __init__(
        self,
        arrays: Mapping[str, OhlcvArrays],
        instruments: Mapping[str, Instrument],
        fill_model: FillModel,
        *,
        budget: Budget | None = None,
        books: Mapping[str, BookDepth] | None = None,
        book_max_age_ms: int = 60_000,
    ) -> None:
        self._books = {symbol: _Book(arrays[symbol], instruments[symbol]) for symbol in arrays}
        for symbol, depth in (books or {}).items():
            book = self._books[symbol]
            book.depth = depth
            book.snapshot_of_bar = depth.snapshots_at(book.arrays.ts_ms, book_max_age_ms)
        self._model = fill_model
        self._budget = budget
        self._by_id: dict[str, tuple[_Book, _Working]] = {}
        self._seq = 0
        self._version = 0
        """Bumped with any book's version."""
        self._next: tuple[int, int, int] = (-1, 0, -1)
        """(version, start, answer) of the last :meth:`next_event_bar`."""

    def budget(self, order: Order, *, price: float, fee_rate: float, bar: int) -> float:
        """Most of ``order`` the account can pay for at ``price`` (:class:`Budget`)."""
        if self._budget is None:
            return math.inf
        position = self._books[order.symbol].position
        return self._budget(order, price=price, fee_rate=fee_rate, position=position, bar=bar)

    @property
    def fill_model(self) -> FillModel:
        """The model this venue fills with."""
        return self._model

    def position(self, symbol: str) -> float:
        """The venue's net position in ``symbol`` (base units or contracts, signed)."""
        return self._books[symbol].position

    def close_position(self, symbol: str) -> float:
        """Flatten the net position in ``symbol``, which a liquidation closed; return what it was.

        The liquidation is the venue's own execution, not a working order, so it takes
        no bar capacity and no fee model: the margin engine prices it
        (:mod:`quantbot.venues.simulated.margin`).
        """
        book = self._books[symbol]
        closed, book.position = book.position, 0.0
        return closed

    def working_orders(self, symbol: str) -> list[Order]:
        """Orders that may still fill on ``symbol``, oldest first."""
        return [w.order for w in self._books[symbol].working]

    def submit(self, order: Order, *, decided_at: int) -> int:
        """Accept ``order`` decided at the close of bar ``decided_at``; return its arrival bar."""
        book = self._books[order.symbol]
        arrival = decided_at + 1 + self._model.latency_bars
        self._seq += 1
        working = _Working(order, arrival, order.qty, self._seq)
        book.working.append(working)
        self._changed(book)
        self._by_id[order.client_order_id] = (book, working)
        return arrival

    def cancel(self, client_order_id: str) -> bool:
        """Remove a working order; False when it is not working (already filled or ended)."""
        found = self._by_id.get(client_order_id)
        if found is None:
            return False
        self._remove(*found)
        return True

    def next_event_bar(self, start: int) -> int:
        """The first bar ``>= start`` on which any working order may arrive or fill.

        Returns a bar past the end of the data when none can. Remembered, like each
        book's answer, while no order changes.
        """
        version, known_start, answer = self._next
        if version == self._version and known_start <= start <= answer:
            return answer
        answer = min((book.next_event(start) for book in self._books.values()), default=_NEVER)
        self._next = (self._version, start, answer)
        return answer

    def process_bar(self, bar: int, sink: EventSink | None = None) -> list[VenueEvent]:
        """Fill what bar ``bar`` fills, in the order the model prescribes.

        Args:
            bar: the bar to match.
            sink: called with each event the moment it happens, before the next order
                is matched. An account that books each fill there is up to date when
                the venue asks the next order's :class:`Budget`: two orders filling on
                one bar cannot both spend the same balance or margin.

        Returns:
            The bar's events, in the order they happened.
        """
        events: list[VenueEvent] = []
        if self.next_event_bar(bar) != bar:
            return events  # no order can arrive or act on this bar
        for book in self._books.values():
            active = book.active(bar)
            if active:
                _BarMatcher(self, book, bar, events, sink).run(active)
        return events

    def _remove(self, book: _Book, working: _Working) -> None:
        self._by_id.pop(working.order.client_order_id, None)
        book.working.remove(working)
        self._changed(book)
        working.live = False

    def _changed(self, book: _Book) -> None:
        """``book``'s orders or their prices changed: what was remembered no longer holds."""
        book.version += 1
        self._version += 1


class _BarMatcher:
    """Matching of one symbol's working orders against one bar."""

    def __init__(
        self,
        venue: SimulatedVenue,
        book: _Book,
        bar: int,
        events: list[VenueEvent],
        sink: EventSink | None,
    ) -> None:
        a = book.arrays
        self.venue, self.book, self.bar, self.events = venue, book, bar, events
        self.sink = sink
        self.model = venue.fill_model
        self.open = float(a.open[bar])
        self.high = float(a.high[bar])
        self.low = float(a.low[bar])
        self.volume = float(a.volume[bar])
        self.capacity = self.model.capacity(self.volume)
        snapshots = book.snapshot_of_bar
        self.snapshot = -1 if snapshots is None else int(snapshots[bar])
        self.taken = {Side.BUY: 0.0, Side.SELL: 0.0}
        """What this bar's fills took from the snapshot, by the side of the orders."""

    def run(self, active: list[_Working]) -> None:
        """Match ``active`` (:meth:`_Book.active`, in submission order) against the bar."""
        if math.isnan(self.open):
            # No prices, no trading: only orders that live at their arrival end here.
            for w in active:
                self._end_unfilled_arrival(w)
            return
        for w in active:
            self._at_open(w)
        # Within the range, every stop before any limit: the conservative path.
        for w in active:
            if self._working(w) and w.limit_price is None:
                self._stop_in_range(w)
        for w in active:
            limit = w.limit_price
            if (
                self._working(w)
                and limit is not None
                and w.rests_from <= self.bar
                and self._limit_touched(w.order.side, limit)
            ):
                self._limit_in_range(w, limit)
        for w in active:
            o = w.order
            if self._working(w) and w.arrival == self.bar and o.time_in_force in _AT_ARRIVAL_ONLY:
                self._end(w, f"{o.time_in_force} remainder not filled at arrival", expired=True)

    def _working(self, w: _Working) -> bool:
        return w.live and w.remaining > _DUST

    def _at_open(self, w: _Working) -> None:
        o = w.order
        if o.order_type is OrderType.MARKET:
            self._fill(w, self.open, maker=False, at_open=True)
            return
        if o.order_type in (OrderType.STOP, OrderType.STOP_LIMIT) and not w.triggered:
            assert o.stop_price is not None
            if not _stop_reached(o.side, o.stop_price, self.open, self.open):
                self._end_unfilled_arrival(w)
                return
            if o.order_type is OrderType.STOP:
                self._fill(w, self.open, maker=False, at_open=True)
                return
            self._trigger(w)
        limit = w.limit_price
        if limit is None:
            return
        marketable = self.open <= limit if o.side is Side.BUY else self.open >= limit
        if not marketable:
            self._end_unfilled_arrival(w)
            return
        taker = self.bar in (w.arrival, w.triggered_at)
        if taker and o.time_in_force is TimeInForce.POST_ONLY:
            self._end(w, "post-only order would take liquidity at arrival")
            return
        self._fill(w, self.open, maker=not taker, limit=limit, at_open=True)

    def _trigger(self, w: _Working) -> None:
        """A stop-limit's stop triggered: it becomes a limit (a new price on the book)."""
        w.trigger(self.bar)
        self.venue._changed(self.book)

    def _end_unfilled_arrival(self, w: _Working) -> None:
        """IOC/FOK orders that cannot execute at their arrival open end there."""
        if w.arrival == self.bar and w.order.time_in_force in _AT_ARRIVAL_ONLY:
            self._end(w, f"{w.order.time_in_force} not marketable at arrival", expired=True)

    def _stop_in_range(self, w: _Working) -> None:
        o = w.order
        if o.order_type not in (OrderType.STOP, OrderType.STOP_LIMIT):
            return
        assert o.stop_price is not None
        if not _stop_reached(o.side, o.stop_price, self.high, self.low):
            return
        if o.order_type is OrderType.STOP:
            self._fill(w, o.stop_price, maker=False)
            return
        self._trigger(w)
        assert o.price is not None
        if o.price >= o.stop_price if o.side is Side.BUY else o.price <= o.stop_price:
            self._fill(w, o.stop_price, maker=False, limit=o.price)
        else:
            w.rests_from = self.bar + 1

    def _limit_in_range(self, w: _Working, limit: float) -> None:
        """Fill a limit the bar's range reaches.

        Touched inside the range, it fills at its price as a maker. If the whole range
        is already beyond it (it could not fill at the open: no position yet for a
        reduce-only, no volume left), it fills at the bar's worst price that honours its
        limit — never outside the bar — as a taker on the bar it arrived or its stop
        triggered (it came marketable) and as a maker later (it rested on the book).
        """
        sell = w.order.side is Side.SELL
        if not (limit < self.low if sell else limit > self.high):
            self._fill(w, limit, maker=True)
            return
        worst = self.low if sell else self.high
        if self.bar not in (w.arrival, w.triggered_at):
            self._fill(w, worst, maker=True)
        elif w.order.time_in_force is TimeInForce.POST_ONLY:
            self._end(w, "post-only order would take liquidity at arrival")
        else:
            self._fill(w, worst, maker=False, limit=limit)

    def _limit_touched(self, side: Side, limit: float) -> bool:
        if self.model.fill_limits_on_touch:
            return self.low <= limit if side is Side.BUY else self.high >= limit
        return self.low < limit if side is Side.BUY else self.high > limit

    def _fill(
        self,
        w: _Working,
        reference: float,
        *,
        maker: bool,
        limit: float | None = None,
        at_open: bool = False,
    ) -> None:
        """Fill as much of ``w`` as the bar's capacity, the book and reduce-only allow.

        A maker fills at ``reference``. A taker at the open (``at_open``) of a bar with a
        book snapshot walks its levels; any other taker fills at ``reference`` moved by
        slippage and impact. Never beyond its ``limit``.
        """
        o, book = w.order, self.book
        walks = at_open and not maker and self.snapshot >= 0
        qty = self._fillable(w, limit, walks=walks)
        if qty <= _DUST:
            return
        if walks:
            taken = self._take(o.side, qty, limit)
            price, reference = taken.price, taken.mid
        else:
            price = (
                reference if maker else self.model.taker_price(reference, o.side, qty, self.volume)
            )
        if limit is not None:
            price = min(price, limit) if o.side is Side.BUY else max(price, limit)
        budget = self.venue.budget(
            o, price=price, fee_rate=self.model.fee(1.0, maker=maker), bar=self.bar
        )
        if qty > budget:
            # A shortfall within float dust of the order (partial fills summed in float64
            # leave the balance an ulp below the remainder) is not a lack of funds: fill
            # what the account holds, which ends the order.
            dust = qty - budget <= QTY_REL_TOL * o.qty
            qty = budget if dust else quantize_qty(budget, book.instrument.lot_size)
            if qty <= _DUST:
                self._end(w, "insufficient balance or margin at execution")
                return
            if walks:  # fewer levels taken: a price no worse than the one afforded
                price = self._take(o.side, qty, limit).price
        if walks:
            self.taken[o.side] += qty
        contract = book.instrument.contract_size
        fee = self.model.fee(qty * price * contract, maker=maker)
        slippage = abs(price - reference) * qty * contract
        book.position += qty if o.side is Side.BUY else -qty
        w.remaining -= qty
        self.capacity -= qty
        self._emit(VenueFill(o, self.bar, qty, price, fee, maker, slippage))
        if w.remaining <= QTY_REL_TOL * o.qty:
            # What is left is float dust: the order counts as filled (as Order does).
            self.venue._remove(book, w)
        elif o.reduce_only and abs(book.position) <= _DUST:
            self._end(w, "reduce-only order: the position it reduced is closed")

    def _fillable(self, w: _Working, limit: float | None, *, walks: bool) -> float:
        """How much of ``w`` may fill now: 0 when nothing (the order may have ended).

        The bar's remaining capacity, the book's visible levels within ``limit`` when
        the fill ``walks`` it, and for reduce-only the open position; lot-rounded
        unless it is all of the order. A FOK order that cannot fill whole ends.
        """
        o, book = w.order, self.book
        allowed = self.capacity
        if walks:
            allowed = min(allowed, self._take(o.side, math.inf, limit).qty)
        if o.reduce_only:
            reducible = max(-book.position, 0.0) if o.side is Side.BUY else max(book.position, 0.0)
            if reducible <= _DUST:
                self._end(w, "reduce-only order with no position left to reduce")
                return 0.0
            allowed = min(allowed, reducible)
        if o.time_in_force is TimeInForce.FOK and w.remaining > allowed + _DUST:
            self._end(
                w,
                "FOK order larger than the bar's volume, the book or the position allows",
                expired=True,
            )
            return 0.0
        if w.remaining <= allowed + QTY_REL_TOL * o.qty:
            return w.remaining  # all of it (what the bar lacks is float dust)
        return quantize_qty(allowed, book.instrument.lot_size)

    def _take(self, side: Side, qty: float, limit: float | None) -> BookTake:
        """Take up to ``qty`` from the bar's book snapshot, after what this bar took."""
        depth = self.book.depth
        assert depth is not None
        return depth.take(self.snapshot, side, qty, limit=limit, skip=self.taken[side])

    def _end(self, w: _Working, reason: str, *, expired: bool = False) -> None:
        self.venue._remove(self.book, w)
        self._emit(VenueCancel(w.order, self.bar, reason, expired))

    def _emit(self, event: VenueEvent) -> None:
        self.events.append(event)
        if self.sink is not None:
            self.sink(event)


_AT_ARRIVAL_ONLY = (TimeInForce.IOC, TimeInForce.FOK)


def _stop_reached(side: Side, stop: float, high: float, low: float) -> bool:
    return high >= stop if side is Side.BUY else low <= stop
