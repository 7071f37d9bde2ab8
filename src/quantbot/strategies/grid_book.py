"""The grid's orders on the venue: placing its pieces, holding some back, canceling.

A grid wants one order per :class:`~quantbot.strategies.grid_state.Piece`. At most
``max_open_orders`` rest at once across all pairs of one grid: the pieces nearest their
pair's last price (relative distance of their level), ties by pair and age. The others
are held back — canceled if they rested, their pieces kept as they are — and placed
when they are among the nearest again (:func:`sync_book` runs after every fill, price
alert and retry).

A piece the pre-trade checks refuse leaves the grid (an entry is dropped, an exit's
inventory becomes loose, held without an order), unless a rule that only holds
trading back for a while refused it (:func:`held_back_by_risk`: a circuit breaker, a
drawdown brake, an exchange pause). Then the piece is kept, every
running pair is *paused* (:meth:`~quantbot.strategies.grid_state.PairGrid.pause`) and
no further entry is tried in that pass, so a break costs one refusal, not one per
piece. A paused pair places only its exits, which close inventory and pass those rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from quantbot.core import QTY_REL_TOL, Order, OrderState, OrderType, rejected_by_check
from quantbot.strategies.base import StrategyContext
from quantbot.strategies.grid_state import PairGrid

__all__ = [
    "HOLDING_CHECKS",
    "Placement",
    "clear_book",
    "drop_piece",
    "held_back_by_risk",
    "place_piece",
    "sync_book",
]

HOLDING_CHECKS = frozenset({"circuit_breaker", "drawdown_brake", "exchange_pause"})
"""The pre-trade checks whose refusals only hold trading back for a while.

The risk layer's circuit breaker (rule 5) and drawdown brakes refuse opening orders
while they are in force, an exchange pause every order until it ends. The engine
names the refusing check in the rejected order's reason
(:func:`~quantbot.core.rejected_by_check`).
"""


class Placement(Enum):
    """What became of a piece :func:`place_piece` submitted."""

    PLACED = "placed"
    REFUSED = "refused"
    """Refused for good: the piece left the grid."""
    HELD = "held"
    """Refused by a rule that holds trading back for a while: the piece is kept."""


def held_back_by_risk(order: Order) -> bool:
    """Whether ``order`` was refused by a rule that only holds trading back for a while."""
    return rejected_by_check(order) in HOLDING_CHECKS


def sync_book(
    pairs: Iterable[PairGrid], max_open_orders: int, ctx: StrategyContext, *, retry_ms: int
) -> None:
    """Rest the orders the running grids want, at most ``max_open_orders``, nearest first.

    A paused pair's entries that do not rest are not wanted. When a refusal shows that
    the risk layer holds entries back, every running pair pauses until ``retry_ms``,
    no further entry is tried, and a held-back exit ends the pass.
    """
    running = [pair for pair in pairs if pair.stopped is None]
    # (distance of its level from the pair's last price, pair index, piece number):
    # nearest first, ties by pair and age. One pass with bound lookups: this runs after
    # every fill, over every piece of every pair.
    ranked: list[tuple[float, int, int]] = []
    for index, pair in enumerate(running):
        if not pair.pieces:
            continue
        price, last = pair.lattice.price, ctx.last_price(pair.symbol)
        ranked += [
            (abs(price(piece.level) / last - 1.0), index, number)
            for number, piece in pair.placeable_pieces()
        ]
    if len(ranked) > max_open_orders:
        ranked.sort()
        del ranked[max_open_orders:]
        # Every resting piece is placeable, so a resting piece outside the nearest is
        # held back: canceled, its piece keeping its state.
        kept = {(index, number) for _, index, number in ranked}
        for index, pair in enumerate(running):
            for number in [n for n in pair.by_order.values() if (index, n) not in kept]:
                held = pair.pieces[number]
                if held.order_id is not None:
                    ctx.cancel(held.order_id)
                    del pair.by_order[held.order_id]
                    held.order_id, held.ordered = None, 0.0
    wanted = [(running[index], number) for _, index, number in ranked]
    for pair, number in wanted:
        piece = pair.pieces.get(number)
        if piece is None or piece.order_id is not None or not pair.placeable(piece):
            continue
        if place_piece(pair, number, ctx) is Placement.HELD:
            for other in running:
                other.pause(ctx.now_ms, retry_ms)
            if piece.lot is not None:
                return  # even an exit is held back: nothing more this pass


def place_piece(pair: PairGrid, number: int, ctx: StrategyContext) -> Placement:
    """Submit a piece's limit order at its level.

    A refusal takes the piece out of the grid (its lot becomes loose), except one by a
    rule that holds trading back for a while (:func:`held_back_by_risk`), which keeps it.
    """
    piece = pair.pieces[number]
    order = ctx.submit(
        pair.symbol,
        piece.side,
        piece.qty,
        order_type=OrderType.LIMIT,
        price=pair.lattice.price(piece.level),
        tag=f"grid:{piece.level}",
    )
    if order is not None and held_back_by_risk(order):
        return Placement.HELD
    if order is None or order.state is OrderState.REJECTED:
        del pair.pieces[number]
        if piece.lot is not None:
            pair.loose.append(piece.lot)
        return Placement.REFUSED
    if piece.lot is not None and order.qty < piece.lot.qty * (1.0 - QTY_REL_TOL):
        pair.loose.append(piece.lot.take(piece.lot.qty - order.qty))  # the lot's rounding
    piece.qty = piece.ordered = order.qty
    piece.order_id = order.client_order_id
    pair.by_order[order.client_order_id] = number
    return Placement.PLACED


def drop_piece(pair: PairGrid, number: int, ctx: StrategyContext) -> None:
    """Cancel and forget an entry piece."""
    piece = pair.pieces.pop(number)
    if piece.order_id is not None:
        ctx.cancel(piece.order_id)
        del pair.by_order[piece.order_id]


def clear_book(pair: PairGrid, ctx: StrategyContext) -> int:
    """Cancel every order of the pair's grid; the exits' inventory becomes loose.

    Returns:
        How many resting orders were canceled.
    """
    cancelled = 0
    for piece in pair.pieces.values():
        if piece.order_id is not None:
            ctx.cancel(piece.order_id)
            cancelled += 1
        if piece.lot is not None:
            pair.loose.append(piece.lot)
    pair.pieces.clear()
    pair.by_order.clear()
    return cancelled
