"""``grid``: buy below and sell above a centre price at fixed spacing, round trip after round trip.

The grid of each pair is laid at the close of its first candle, around that close
(the *centre*), on a lattice of levels a fixed percentage (geometric, the default) or
a fixed price step (arithmetic) apart, ``num_grids`` a side within the bounds
(:mod:`~quantbot.strategies.grid_levels`). A *slot* spans two adjacent levels:

- its **entry** rests at one level — a limit buy at the lower one (long slots, below
  the centre) or a short sell at the upper one (short slots of the reverse and futures
  variants, above the centre) — worth ``order_size_usd`` at that level's price;
- when the entry fills, its **exit** is placed at once for the quantity filled, one
  level across: the sell one level up, the buy-back one level down;
- when the exit fills, the **round trip** is recorded (``sell value - buy value - both
  fees``, the entry and exit trade ids linked) and the entry is placed again.

**How the upper side starts.** On spot a grid starts with quote currency only, so the
standard grid starts *buy-only*: nothing rests above the centre until a buy has filled
and placed its sell. It does not buy the upper levels' inventory at market first,
which is the other common practice, because (1) every unit it ever holds is then
bought at a grid level, so every round trip earns exactly one spacing less two maker
fees; (2) it pays no taker fee or slippage to start; (3) it does not open with a
directional bet of ``num_grids x order_size_usd``; and (4) the same rule, mirrored,
starts the reverse grid sell-only. What it gives up — a rise straight from the start
earns nothing — the rebalance recovers: the grid recentres on the risen price.

Everything rests on the venue, and the rest is found ahead as *price watches*
(``ctx.watch_price``): the strategy wakes only on its first candle, on its fills and
when a watched price is reached, so the engine skips every candle in between.

- **Rebalance.** When price reaches ``rebalance_trigger_pct`` from the centre price,
  the grid cancels its orders — the far side the move left behind (the exits above
  after a fall, the buys below after a rise) and what remains of the near side, whose
  prices belong to the old levels — and recentres on the close: new levels, new
  entries, and the inventory *carried* through, merged at its average price, offered
  for sale on the new slots above the centre (bought back below it when short), one
  order size a level nearest first, an equal share a level when it is more than the
  slots take at one order size each. A carried sale re-places the entry one level
  down like any exit, so the carried slots become ordinary slots. Logged as
  ``GRID_REBALANCE``.
- **Stop-loss.** When price reaches ``stop_loss_pct`` beyond the inventory's average
  price (below it for bought inventory), the pair's grid is closed: its orders
  canceled, its inventory sold (bought back) at market, the pair stopped, logged as
  ``TRADE_CLOSED`` at warning level.
- **Take-profit** (optional). When the pair's profit — cash received less paid, fees
  included, plus the inventory at the price — reaches ``take_profit_pct`` of
  ``num_grids x order_size_usd``, the pair's grid is closed the same way.

Both closes are decided at the close of the candle that reached their price and fill
at the next open. ``max_open_orders`` caps the resting orders across all pairs: the
orders nearest their pair's last price rest, the others are held back (their slots
keep their state); a held-back order takes a resting one's place when it is nearer
by ``replace_margin_levels`` of its pair's spacing (one level), and a free place
whenever it is the nearest held back (:mod:`~quantbot.strategies.grid_book`).

Orders the pre-trade checks refuse leave the grid: an entry is dropped (its slot
waits for the next rebalance), the inventory of an exit stays held without an order
(*loose*) and is carried at the next rebalance or sold by a close. A fill of an order
the grid did not place (a liquidation, the risk manager's close) closes inventory
without a resting exit (loose first) or adds loose inventory.

**Risk pauses.** Two things tell the grid that the risk layer holds trading back for a
while (a circuit breaker, a drawdown brake, an exchange pause): an
order of its own that someone else ended (``on_order_update``: the risk manager cancels
every order on a daily break; a liquidation, or the venue, may too), and a refusal
by one of those rules (:func:`~quantbot.strategies.grid_book.held_back_by_risk`). The pair
then *pauses* instead of dropping pieces: it keeps its inventory, each exit its lot;
exits rest as usual (closing orders pass the breaker); entries are kept without orders,
and no new one is tried, so a break costs one refusal, not one per piece. A retry timer
(``ctx.set_timer``; at the next bar's close after a cancel, then every
``resume_check_interval_s``) places the exits and submits one *probe*: the entry the
re-laid grid would rest nearest the price. Refused by such a rule, the pair stays
paused; otherwise the probe is canceled at once and the pair is re-laid around the
price like a rebalance, carrying its inventory, logged as ``GRID_REBALANCE`` with the
reason ``resume``; the chain sizes the new entries (halved in recovery mode).

:meth:`Grid.state` returns the whole grid as a JSON-ready dict and :meth:`Grid.restore`
takes it back; :mod:`quantbot.engine.strategy_state` keeps it in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from quantbot.core import QTY_REL_TOL, Fill, Order, OrderState, OrderType, QuantbotError, Side
from quantbot.core.quantize import quantize_qty
from quantbot.data.symbols import is_perpetual
from quantbot.logs import LogEvent, log_event
from quantbot.strategies.base import Bar, MarketHistory, Strategy, StrategyContext, WakeMasks
from quantbot.strategies.grid_book import clear_book, drop_piece, held_back_by_risk, sync_book
from quantbot.strategies.grid_levels import GridLevels
from quantbot.strategies.grid_params import GridLevelParams, GridParams
from quantbot.strategies.grid_state import LONG, SHORT, Lot, PairGrid, Piece, RoundTrip
from quantbot.strategies.grid_variants import VARIANTS

__all__ = ["RETRY_TIMER", "STATE_VERSION", "Grid", "GridSetupError", "GridStateError"]

_log = logging.getLogger(__name__)

STATE_VERSION = 1
"""Version of the dict :meth:`Grid.state` returns; :meth:`Grid.restore` refuses others."""

RETRY_TIMER = "grid:retry"
"""Name of the timer on which paused pairs try whether entries pass again."""


class GridSetupError(QuantbotError, ValueError):
    """The grid cannot run on these symbols (a short-selling variant on a spot market)."""


class GridStateError(QuantbotError, ValueError):
    """A saved grid state that does not fit this strategy."""


class Grid(Strategy):
    """Resting buys and sells a fixed spacing apart, re-placed after every fill.

    Args:
        params: the grid's parameters.
        symbols: the pairs it trades, one grid each.
        timeframe: the timeframe of its candles (only the first one is used).
        strategy_id: unique id of this instance in a run.

    Settings in ``params.pairs`` for a symbol it does not trade are not used (a
    configured pair the run's data lacks).

    Raises:
        GridSetupError: for the reverse or futures variant on a spot symbol.
    """

    name = "grid"
    Params = GridParams
    breaker_policy = "keep_inventory"

    def __init__(
        self,
        params: GridParams,
        *,
        symbols: Sequence[str],
        timeframe: str = "1m",
        strategy_id: str | None = None,
    ) -> None:
        super().__init__(params, symbols=symbols, timeframe=timeframe, strategy_id=strategy_id)
        self.rules = VARIANTS[params.variant]
        if self.rules.perpetual_only:
            spot = [s for s in self.symbols if not is_perpetual(s)]
            if spot:
                raise GridSetupError(
                    f"the {params.variant} grid sells short, which needs a perpetual; "
                    f"{spot} are spot markets (use e.g. BTC/USDT:USDT)"
                )
        self._settings: dict[str, GridLevelParams] = {s: params.for_symbol(s) for s in self.symbols}
        self._max_open_orders = params.max_open_orders
        self._replace_margin = params.replace_margin_levels
        self._retry_interval_ms = params.resume_check_interval_s * 1000
        self._timers: set[int] = set()
        """Times of the retry timers asked for and not yet fired (not state: a restarted
        grid asks again)."""
        self._pairs = {s: PairGrid(s) for s in self.symbols}
        self._contract_sizes: dict[str, float] = {}
        self.round_trips: list[RoundTrip] = []
        """Every round trip completed since construction (not part of :meth:`state`)."""

    def records(self) -> dict[str, list[dict[str, Any]]]:
        """The round trips, each linking its exit fill to the entry fills it closed."""
        return {"round_trips": [trip.record() for trip in self.round_trips]}

    @property
    def pairs(self) -> Mapping[str, PairGrid]:
        """Each pair's grid (read it; the strategy changes it)."""
        return self._pairs

    # -- hooks --------------------------------------------------------------------------

    def precompute(self, history: MarketHistory) -> WakeMasks:
        """Wake on each symbol's first candle only: the grid is laid there."""
        masks = {}
        for symbol in self.symbols:
            mask = np.zeros(len(history.candles(symbol, self.timeframe)), dtype=bool)
            mask[:1] = True
            masks[symbol] = mask
        return masks

    def on_candle(self, bar: Bar, ctx: StrategyContext) -> None:
        """Lay the grids around their closes (a restored grid only resumes).

        Every pair not laid yet is laid at the first call, each around its own close,
        before any order is placed: ``max_open_orders`` then chooses among all pairs'
        orders at once, instead of placing the first pair's and canceling some of them
        for the next pair's on the same candle. A restored grid asks again for the
        retry timer of its paused pairs.
        """
        for other in self._pairs.values():
            if other.levels is None:
                price = bar.close if other.symbol == bar.symbol else ctx.last_price(other.symbol)
                self._lay(other, ctx, price, [])
        pair = self._pairs[bar.symbol]
        if pair.stopped is not None:
            return
        self._settle(pair, ctx)

    def on_fill(self, fill: Fill, ctx: StrategyContext) -> None:
        """Place the exit of a filled entry, or record the round trip and re-place the entry."""
        pair = self._pairs.get(fill.symbol)
        if pair is None:
            return
        sign = fill.side.sign
        value = fill.price * fill.qty
        pair.position += sign * fill.qty
        pair.cash -= sign * value * self._contract_size(ctx, fill.symbol) + fill.fee
        pair.fees += fill.fee
        number = pair.by_order.get(fill.client_order_id)
        if number is None:
            self._absorb(pair, fill, ctx)
        else:
            piece = pair.pieces[number]
            piece.qty -= fill.qty
            done = piece.qty <= piece.ordered * QTY_REL_TOL
            if piece.lot is None:
                lot = Lot(sign, fill.qty, value, fill.fee, [fill.trade_id])
                pair.add(Piece(piece.slot, fill.side.opposite, fill.qty, lot))
            else:
                closed = piece.lot.take(piece.lot.qty if done else fill.qty)
                kind = "carried" if closed.carried else "grid"
                self._record(pair, closed, fill, ctx, kind=kind, slot=piece.slot)
                if pair.stopped is None and pair.in_bounds(piece.slot):
                    if not closed.carried:  # the slot buys (sells) back what it sold (bought)
                        pair.add(Piece(piece.slot, fill.side.opposite, fill.qty))
                    elif done:  # a carried slot, sold out, becomes an ordinary one
                        pair.add(self._entry(pair, ctx, piece.slot, fill.side.opposite))
            if done:
                del pair.pieces[number]
                del pair.by_order[fill.client_order_id]
        if pair.stopped is None:
            self._check_take_profit(pair, ctx)
        self._settle(pair, ctx)

    def on_order_update(self, order: Order, ctx: StrategyContext) -> None:
        """An order someone else ended (the risk manager, a liquidation, the venue): pause.

        The piece is kept without an order (an exit keeps its lot) and the pair pauses;
        its retry, at the next bar's close, places the exits again and probes whether
        entries pass. Nothing is placed here: other executions of the bar may still be
        on their way (a liquidation's fill after the cancels it caused).
        """
        pair = self._pairs.get(order.symbol)
        if pair is None:
            return
        number = pair.by_order.pop(order.client_order_id, None)
        if number is None:
            return
        piece = pair.pieces[number]
        piece.order_id, piece.ordered = None, 0.0
        pair.pause(ctx.now_ms, ctx.now_ms)
        self._arm(pair, ctx)
        self._schedule(ctx)

    def on_price_alert(self, bar: Bar, ctx: StrategyContext) -> None:
        """A watched price was reached: stop-loss, take-profit, rebalance or follow the rise."""
        pair = self._pairs.get(bar.symbol)
        if pair is None or pair.stopped is not None or pair.levels is None:
            return
        settings = self._settings[bar.symbol]
        levels = pair.levels
        centre_price = levels.price(pair.centre)
        trigger = settings.rebalance_trigger_pct / 100.0
        qty, average = pair.inventory()
        loss = settings.stop_loss_pct / 100.0
        if (qty > 0 and bar.low <= average * (1.0 - loss)) or (
            qty < 0 and bar.high >= average * (1.0 + loss)
        ):
            self._close(pair, ctx, "stop_loss")
        elif self._profit_reached(pair, ctx, bar.high if qty > 0 else bar.low):
            self._close(pair, ctx, "take_profit")
        elif bar.low <= centre_price * (1.0 - trigger) or (
            not self.rules.open_top and bar.high >= centre_price * (1.0 + trigger)
        ):
            self._rebalance(pair, ctx, bar.close, reason="trigger")
        elif self.rules.open_top and bar.high >= levels.price(pair.centre + 1):
            self._follow(pair, ctx, bar.close)
        self._settle(pair, ctx)

    def on_timer(self, name: str, ctx: StrategyContext) -> None:
        """Retry the paused pairs due: one probe; re-lay them around the price once it passes."""
        if name != RETRY_TIMER:
            return
        now = ctx.now_ms
        self._timers = {at for at in self._timers if at > now}
        due = [
            pair
            for pair in self._pairs.values()
            if pair.stopped is None
            and pair.levels is not None
            and pair.retry_ms is not None
            and pair.retry_ms <= now
        ]
        if not due:
            return  # a timer asked for twice (after a restart), or for a pair since re-laid
        if self._entries_pass(due[0], ctx):
            for pair in due:
                self._rebalance(pair, ctx, ctx.last_price(pair.symbol), reason="resume")
        else:
            for pair in due:
                pair.retry_ms = now + self._retry_interval_ms
        self._sync_book(ctx)
        for pair in due:
            self._arm(pair, ctx)
        self._schedule(ctx)

    # -- state --------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The whole grid as a JSON-ready dict: levels, orders, inventory, results.

        Per pair (``pairs[symbol]``): the lattice, centre and slot range; every piece
        (slot, side, quantity, its lot, the client order id resting for it); loose
        inventory; inventory quantity and average price; cash flow, realised P&L, fees,
        round-trip count; rebalances and the last one; why it stopped; since when it is
        paused and when it retries. Individual round trips are not in it: they are
        linked fills (:attr:`round_trips`), stored with the fills.
        """
        return {
            "version": STATE_VERSION,
            "strategy": self.name,
            "pairs": {symbol: pair.to_dict() for symbol, pair in self._pairs.items()},
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take back a :meth:`state`: the grids resume where they were.

        The orders it names must still be open on the venue under the same client
        order ids (reconciliation's job after a restart); the first candle then only
        re-places held-back orders and re-arms the price watches and the retry timer.

        Raises:
            GridStateError: for another version, or a pair this strategy does not trade.
        """
        if state.get("version") != STATE_VERSION or state.get("strategy") != self.name:
            raise GridStateError(
                f"grid state version {state.get('version')!r} of {state.get('strategy')!r}: "
                f"this grid reads version {STATE_VERSION} of {self.name!r}"
            )
        pairs = state["pairs"]
        strays = sorted(set(pairs) - set(self.symbols))
        if strays:
            raise GridStateError(f"grid state for {strays}, not among the symbols {self.symbols}")
        for symbol, data in pairs.items():
            self._pairs[symbol] = PairGrid.from_dict(symbol, data)

    # -- laying and moving the grid ---------------------------------------------------------

    def _lay(self, pair: PairGrid, ctx: StrategyContext, price: float, carried: list[Lot]) -> None:
        """Lay the pair's grid around ``price``: the lattice, the entries, the carried lots."""
        settings = self._settings[pair.symbol]
        levels = GridLevels(settings.grid_type, price, settings.grid_spacing_pct)
        upper = None if self.rules.open_top else settings.upper_bound_pct
        lowest, highest = levels.slot_range(0, settings.num_grids, settings.lower_bound_pct, upper)
        pair.levels, pair.centre = levels, 0
        pair.lowest_slot, pair.highest_slot = lowest, highest
        top = settings.num_grids - 1 if highest is None else highest
        occupied = self._carry(pair, ctx, carried, top)
        if self.rules.buys_below:
            for slot in range(-1, lowest - 1, -1):
                if slot not in occupied:
                    pair.add(self._entry(pair, ctx, slot, Side.BUY))
        if self.rules.sells_above:
            for slot in range(0, top + 1):
                if slot not in occupied:
                    pair.add(self._entry(pair, ctx, slot, Side.SELL))

    def _entry(self, pair: PairGrid, ctx: StrategyContext, slot: int, side: Side) -> Piece:
        """A slot's entry worth ``order_size_usd`` at its level's price."""
        piece = Piece(slot, side, 0.0)
        price = pair.lattice.price(piece.level)
        size = self._settings[pair.symbol].order_size_usd
        piece.qty = size / (price * self._contract_size(ctx, pair.symbol))
        return piece

    def _carry(self, pair: PairGrid, ctx: StrategyContext, lots: list[Lot], top: int) -> set[int]:
        """Offer carried inventory on the new slots; return the slots it occupies.

        Bought inventory is offered on the slots above the centre (sold at levels 1,
        2, ...), inventory sold short on those below (bought back at -1, -2, ...):
        one order size a level, nearest first (the last up to one and a half), or an
        equal share a level when there is more than the slots take.
        """
        occupied: set[int] = set()
        lot_size = ctx.instrument(pair.symbol).lot_size
        size = self._settings[pair.symbol].order_size_usd
        contract = self._contract_size(ctx, pair.symbol)
        for lot in lots:
            if lot.direction == LONG:
                slots, side = list(range(0, top + 1)), Side.SELL
            else:
                slots, side = list(range(-1, pair.lowest_slot - 1, -1)), Side.BUY
            if not slots:
                pair.loose.append(lot)
                continue
            pieces = [Piece(slot, side, 0.0) for slot in slots]
            full = [size / (pair.lattice.price(p.level) * contract) for p in pieces]
            if sum(full) < lot.qty:
                full = [lot.qty / len(pieces)] * len(pieces)
            for piece, chunk in zip(pieces, full, strict=True):
                if lot.qty <= 0.0:
                    break
                qty = quantize_qty(chunk, lot_size)
                # A remainder under half a chunk joins this piece rather than rest alone,
                # where it could fall below the market's minimum order.
                last = piece is pieces[-1] or lot.qty - qty < qty / 2
                piece.lot = lot.take(lot.qty if last else qty)
                piece.qty = piece.lot.qty
                if piece.qty > 0.0:
                    pair.add(piece)
                    occupied.add(piece.slot)
        return occupied

    def _rebalance(
        self, pair: PairGrid, ctx: StrategyContext, price: float, *, reason: str
    ) -> None:
        """Cancel the pair's orders and lay the grid again around ``price``, carrying inventory.

        ``reason``: ``trigger`` (the price reached ``rebalance_trigger_pct`` from the
        centre) or ``resume`` (a paused pair re-laid once entries pass again, which ends
        the pause; a pair that recentres while paused stays paused).
        """
        levels = pair.lattice
        old_centre = levels.price(pair.centre)
        paused_ms = pair.paused_ms
        if reason == "resume":
            pair.unpause()
        cancelled = clear_book(pair, ctx)
        pair.rebalances += 1
        qty, average = pair.inventory()
        merged: list[Lot] = []
        trade_ids: list[str] = []
        for direction in (LONG, SHORT):
            lots = [lot for lot in pair.loose if lot.direction == direction]
            if lots:
                merged.append(
                    Lot(
                        direction,
                        sum(lot.qty for lot in lots),
                        sum(lot.value for lot in lots),
                        sum(lot.fee for lot in lots),
                        carried=pair.rebalances,
                    )
                )
                trade_ids += [t for lot in lots for t in lot.trade_ids]
        pair.loose = []
        self._lay(pair, ctx, price, merged)
        pair.last_rebalance = {
            "number": pair.rebalances,
            "reason": reason,
            "ts_ms": ctx.now_ms,
            "from_centre": old_centre,
            "to_centre": price,
            "cancelled_orders": cancelled,
            "carried_qty": qty,
            "carried_avg_price": average,
            "carried_trade_ids": trade_ids,
        }
        log_event(
            _log,
            LogEvent.GRID_REBALANCE,
            "grid %s recentred (%s) from %g to %g: %d orders canceled, %g carried at %g",
            pair.symbol,
            reason,
            old_centre,
            price,
            cancelled,
            qty,
            average,
            strategy=self.strategy_id,
            pair=pair.symbol,
            reason=reason,
            paused_ms=paused_ms,
            strategy_context=pair.last_rebalance,
        )

    def _follow(self, pair: PairGrid, ctx: StrategyContext, close: float) -> None:
        """Infinity grid: move the centre up to the close's level, buys following below it."""
        levels = pair.lattice
        centre = levels.floor_level(close)
        if centre <= pair.centre:
            return  # the rise did not hold to the close
        settings = self._settings[pair.symbol]
        lowest, _ = levels.slot_range(centre, settings.num_grids, settings.lower_bound_pct, None)
        pair.centre, pair.lowest_slot = centre, lowest
        for number, piece in list(pair.pieces.items()):
            if piece.lot is None and piece.slot < lowest:
                drop_piece(pair, number, ctx)
        occupied = {piece.slot for piece in pair.pieces.values()}
        for slot in range(centre - 1, lowest - 1, -1):
            if slot not in occupied:
                pair.add(self._entry(pair, ctx, slot, Side.BUY))

    # -- closing --------------------------------------------------------------------------

    def _close(self, pair: PairGrid, ctx: StrategyContext, reason: str) -> None:
        """Stop the pair's grid: cancel everything, close the inventory at market."""
        clear_book(pair, ctx)
        pair.stopped = reason
        pair.unpause()
        held, average = pair.inventory()
        if held:
            side = Side.SELL if held > 0 else Side.BUY
            order = ctx.submit(pair.symbol, side, abs(held), tag=f"grid:{reason}")
            if order is not None and order.state is not OrderState.REJECTED:
                pair.closing_order = order.client_order_id
        log_event(
            _log,
            LogEvent.TRADE_CLOSED,
            "grid %s stopped by %s: closing %g at market (average %g), profit %g",
            pair.symbol,
            reason,
            held,
            average,
            self._profit(pair, ctx, ctx.last_price(pair.symbol)),
            level=logging.WARNING if reason == "stop_loss" else logging.INFO,
            strategy=self.strategy_id,
            pair=pair.symbol,
            reason=reason,
            inventory_qty=held,
            avg_price=average,
        )

    def _absorb(self, pair: PairGrid, fill: Fill, ctx: StrategyContext) -> None:
        """Book a fill of an order with no piece: the closing order, or one placed by others.

        It closes inventory of the other direction that has no resting exit: loose lots
        first (oldest first), then the lots of exits without an order (paused or held
        back), in the order they were made; what is left of it becomes loose inventory.
        """
        kind = pair.stopped if fill.client_order_id == pair.closing_order else None
        remaining = fill.qty
        direction = -fill.side.sign
        idle = [
            piece.lot
            for piece in pair.pieces.values()
            if piece.lot is not None and piece.order_id is None and piece.lot.direction == direction
        ]
        for lot in [lot for lot in pair.loose if lot.direction == direction] + idle:
            if remaining <= fill.qty * QTY_REL_TOL:
                break
            whole = remaining >= lot.qty * (1.0 - QTY_REL_TOL)  # up to float noise
            closed = lot.take(lot.qty if whole else remaining)
            share = closed.qty / fill.qty
            self._record(pair, closed, fill, ctx, kind=kind or "outside", slot=None, share=share)
            remaining -= closed.qty
        pair.loose = [lot for lot in pair.loose if lot.qty > 0.0]
        for number, piece in list(pair.pieces.items()):
            if piece.lot is not None and piece.order_id is None:
                if piece.lot.qty > 0.0:
                    piece.qty = piece.lot.qty
                else:
                    del pair.pieces[number]
        if remaining > fill.qty * QTY_REL_TOL:
            share = remaining / fill.qty
            pair.loose.append(
                Lot(
                    fill.side.sign,
                    remaining,
                    fill.price * remaining,
                    fill.fee * share,
                    [fill.trade_id],
                )
            )

    def _record(
        self,
        pair: PairGrid,
        lot: Lot,
        fill: Fill,
        ctx: StrategyContext,
        *,
        kind: str,
        slot: int | None,
        share: float | None = None,
    ) -> None:
        """Record the round trip closing ``lot`` with ``fill`` (``share`` of its fee)."""
        contract = self._contract_size(ctx, pair.symbol)
        exit_value = fill.price * lot.qty * contract
        entry_value = lot.value * contract
        exit_fee = fill.fee * (lot.qty / fill.qty if share is None else share)
        bought, sold = (
            (entry_value, exit_value) if lot.direction == LONG else (exit_value, entry_value)
        )
        trip = RoundTrip(
            symbol=pair.symbol,
            kind=kind,
            direction=lot.direction,
            slot=slot,
            qty=lot.qty,
            buy_value=bought,
            sell_value=sold,
            fees=lot.fee + exit_fee,
            entry_trade_ids=tuple(lot.trade_ids),
            exit_trade_id=fill.trade_id,
            ts_ms=fill.ts_ms,
        )
        self.round_trips.append(trip)
        pair.round_trips += 1
        pair.realised_pnl += trip.pnl

    # -- pauses --------------------------------------------------------------------------

    def _settle(self, pair: PairGrid, ctx: StrategyContext) -> None:
        """After a hook: rest the wanted orders, re-arm ``pair``'s watches, ask for a retry."""
        self._sync_book(ctx)
        self._arm(pair, ctx)
        self._schedule(ctx)

    def _sync_book(self, ctx: StrategyContext) -> None:
        """Rest the orders all pairs want, within ``max_open_orders``."""
        sync_book(
            self._pairs.values(),
            self._max_open_orders,
            ctx,
            retry_ms=self._retry_at(ctx),
            margin_levels=self._replace_margin,
        )

    def _retry_at(self, ctx: StrategyContext) -> int:
        """When a pair paused now tries again."""
        return ctx.now_ms + self._retry_interval_ms

    def _schedule(self, ctx: StrategyContext) -> None:
        """Ask for the retry timer of the earliest paused pair, unless already asked for."""
        retries = [
            pair.retry_ms
            for pair in self._pairs.values()
            if pair.stopped is None and pair.retry_ms is not None
        ]
        if retries and min(retries) not in self._timers:
            self._timers.add(min(retries))
            ctx.set_timer(min(retries), RETRY_TIMER)

    def _entries_pass(self, pair: PairGrid, ctx: StrategyContext) -> bool:
        """Whether the risk layer lets entries through again, found with one probe order.

        The probe is the entry a grid laid around the price now would rest nearest it:
        a buy one level below (a sell one level above for a grid short or selling only),
        worth ``order_size_usd``, an opening order for the breaker. Refused by a rule
        that holds trading back, it answers no. Accepted, it is canceled at once (the
        re-laid grid places its own entries). Refused for another reason, it cannot tell
        (the chain stops at the first refusal): the pair is re-laid and its entries meet
        the checks as usual.
        """
        settings = self._settings[pair.symbol]
        price = ctx.last_price(pair.symbol)
        levels = GridLevels(settings.grid_type, price, settings.grid_spacing_pct)
        held, _ = pair.inventory()
        buys = self.rules.buys_below and (not self.rules.sells_above or held >= 0.0)
        side, level = (Side.BUY, -1) if buys else (Side.SELL, 1)
        limit = levels.price(level)
        qty = settings.order_size_usd / (limit * self._contract_size(ctx, pair.symbol))
        order = ctx.submit(
            pair.symbol, side, qty, order_type=OrderType.LIMIT, price=limit, tag="grid:probe"
        )
        if order is None:
            return True
        if order.state is OrderState.REJECTED:
            return not held_back_by_risk(order)
        ctx.cancel(order.client_order_id)
        return True

    # -- watches and profit -------------------------------------------------------------------

    def _arm(self, pair: PairGrid, ctx: StrategyContext) -> None:
        """Watch the prices at which the pair's grid must act next."""
        if pair.stopped is not None or pair.levels is None:
            ctx.watch_price(pair.symbol)
            return
        settings = self._settings[pair.symbol]
        centre_price = pair.levels.price(pair.centre)
        trigger = settings.rebalance_trigger_pct / 100.0
        below = centre_price * (1.0 - trigger)
        if self.rules.open_top:
            above = pair.levels.price(pair.centre + 1)
        else:
            above = centre_price * (1.0 + trigger)
        qty, average = pair.inventory()
        loss = settings.stop_loss_pct / 100.0
        if qty > 0:
            below = max(below, average * (1.0 - loss))
        elif qty < 0:
            above = min(above, average * (1.0 + loss))
        target = self._profit_target(pair)
        if target is not None and qty:
            price = (target - pair.cash) / (qty * self._contract_size(ctx, pair.symbol))
            if qty > 0 and price > 0:
                above = min(above, price)
            elif qty < 0:
                below = max(below, price)
        ctx.watch_price(pair.symbol, above=above, below=below)

    def _profit_target(self, pair: PairGrid) -> float | None:
        """The take-profit in quote currency; None when off."""
        settings = self._settings[pair.symbol]
        if settings.take_profit_pct is None:
            return None
        return settings.take_profit_pct / 100.0 * settings.num_grids * settings.order_size_usd

    def _profit(self, pair: PairGrid, ctx: StrategyContext, price: float) -> float:
        """The pair's profit with its inventory valued at ``price``: cash flow plus holdings."""
        qty, _ = pair.inventory()
        return pair.cash + qty * price * self._contract_size(ctx, pair.symbol)

    def _profit_reached(self, pair: PairGrid, ctx: StrategyContext, price: float) -> bool:
        target = self._profit_target(pair)
        return target is not None and self._profit(pair, ctx, price) >= target

    def _check_take_profit(self, pair: PairGrid, ctx: StrategyContext) -> None:
        if self._profit_reached(pair, ctx, ctx.last_price(pair.symbol)):
            self._close(pair, ctx, "take_profit")

    def _contract_size(self, ctx: StrategyContext, symbol: str) -> float:
        size = self._contract_sizes.get(symbol)
        if size is None:
            size = self._contract_sizes[symbol] = ctx.instrument(symbol).contract_size
        return size
