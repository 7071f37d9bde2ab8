"""The grid's orders on the venue: placing its pieces, holding some back, canceling.

A grid wants one order per :class:`~quantbot.strategies.grid_state.Piece`. At most
``max_open_orders`` rest at once across all pairs of one grid, chosen by the relative
distance of their level from their pair's last price (:func:`sync_book` runs after
every fill, price alert and retry):

- free places go to the nearest held-back pieces, ties by pair and age;
- a resting order gives its place to a held-back piece only when that piece is nearer
  by a margin: ``replace_margin_levels`` of its pair's spacing, one level by default.
  Without a margin the orders at the edge of the nearest set would be canceled
  and placed again on most moves of any pair: two requests to the exchange each time,
  and the order's place in the queue lost.

A piece held back is canceled if it rested and keeps its state.

A piece the pre-trade checks refuse leaves the grid (an entry is dropped, an exit's
inventory becomes loose, held without an order), unless a rule that only holds
trading back for a while refused it (:func:`held_back_by_risk`: a circuit breaker, a
drawdown brake, an exchange pause). Then the piece is kept, every
running pair is *paused* (:meth:`~quantbot.strategies.grid_state.PairGrid.pause`) and
no further entry is tried in that pass, so a break costs one refusal, not one per
piece. A paused pair places only its exits, which close inventory and pass those rules.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
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
    pairs: Iterable[PairGrid],
    max_open_orders: int,
    ctx: StrategyContext,
    *,
    retry_ms: int,
    margin_levels: float,
) -> None:
    """Rest the orders the running grids want, at most ``max_open_orders``, nearest first.

    Which pieces rest is decided as the module says, with ``margin_levels`` as the
    margin. A paused pair's entries that do not rest are not wanted. When a refusal
    shows that the risk layer holds entries back, every running pair pauses until
    ``retry_ms``, no further entry is tried, and a held-back exit ends the pass.
    """
    running = [pair for pair in pairs if pair.stopped is None]
    wanted: list[_Ranked]
    if sum(len(pair.placeable_pieces()) for pair in running) <= max_open_orders:
        # Room for every piece: no ranking needed.
        wanted = [
            (0.0, index, number)
            for index, pair in enumerate(running)
            for number, _ in pair.placeable_pieces()
        ]
    else:
        lasts = [ctx.last_price(pair.symbol) for pair in running]
        dropped, wanted = _nearest(running, lasts, max_open_orders, margin_levels)
        for _, index, number in dropped:
            pair = running[index]
            held = pair.pieces[number]
            if held.order_id is not None:
                ctx.cancel(held.order_id)
                del pair.by_order[held.order_id]
                held.order_id, held.ordered = None, 0.0
    for _, index, number in wanted:
        pair = running[index]
        piece = pair.pieces.get(number)
        if piece is None or piece.order_id is not None or not pair.placeable(piece):
            continue
        if place_piece(pair, number, ctx) is Placement.HELD:
            for other in running:
                other.pause(ctx.now_ms, retry_ms)
            if piece.lot is not None:
                return  # even an exit is held back: nothing more this pass


_Ranked = tuple[float, int, int]
"""A piece ranked for the book: (distance of its level from its pair's last price, pair
index, piece number); sorted, nearest first, ties by pair and age."""


def _nearest(
    running: list[PairGrid], lasts: list[float], max_open_orders: int, margin_levels: float
) -> tuple[list[_Ranked], list[_Ranked]]:
    """The resting pieces to hold back and the held-back pieces to place, nearest first.

    Beyond ``max_open_orders`` the farthest resting pieces are held back. Free places
    go to the nearest held-back pieces; then, nearest first, a held-back piece takes
    the place of the farthest resting one while it is nearer by ``margin_levels`` of its
    pair's spacing.
    """
    resting: list[_Ranked] = []
    for index, pair in enumerate(running):
        if pair.by_order:
            pieces = pair.pieces
            resting += pair.lattice.ranked(
                [(pieces[number].level, number) for number in pair.by_order.values()],
                lasts[index],
                index,
            )
    resting.sort()
    kept, dropped = resting[:max_open_orders], resting[max_open_orders:]
    free = max_open_orders - len(kept)
    # Only a held-back piece nearer than the farthest resting one can be placed, unless
    # fewer of those than the free places exist.
    waiting = _waiting(running, lasts, resting[-1][0]) if resting else None
    if waiting is None or len(waiting) < free:
        waiting = _waiting(running, lasts, math.inf) or []  # never None unbounded
    waiting.sort()
    placed = waiting[:free]
    for candidate in waiting[free:]:
        distance, index, _ = candidate
        margin = running[index].lattice.spacing_pct / 100.0 * margin_levels
        if not kept or distance + margin >= kept[-1][0]:
            break
        dropped.append(kept.pop())
        placed.append(candidate)
    return dropped, placed


def _waiting(running: list[PairGrid], lasts: list[float], within: float) -> list[_Ranked] | None:
    """The placeable pieces without an order whose level lies less than ``within`` away.

    Looks only at the levels near each pair's price (:meth:`PairGrid.pieces_by_level`);
    None when a pair's levels cannot be bounded (then ask again with ``within`` infinite).
    """
    found: list[_Ranked] = []
    for index, pair in enumerate(running):
        if not pair.pieces:
            continue
        lattice, last = pair.lattice, lasts[index]
        levels, numbers_at = pair.pieces_by_level()
        if within < math.inf:
            window = lattice.level_window(last, within)
            if window is None:
                return None
            levels = levels[bisect_left(levels, window[0]) : bisect_right(levels, window[1])]
        pieces = pair.pieces
        near = [
            (level, number)
            for level in levels
            for number in numbers_at[level]
            if pieces[number].order_id is None
        ]
        if pair.paused_ms is not None:
            near = [(level, number) for level, number in near if pair.placeable(pieces[number])]
        found += [ranked for ranked in lattice.ranked(near, last, index) if ranked[0] < within]
    return found


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
