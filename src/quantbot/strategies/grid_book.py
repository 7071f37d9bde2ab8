"""The grid's orders on the venue: placing its pieces, holding some back, canceling.

A grid wants one order per :class:`~quantbot.strategies.grid_state.Piece`. At most
``max_open_orders`` rest at once across all pairs of one grid: the pieces nearest their
pair's last price (relative distance of their level), ties by pair and age. The others
are held back — canceled if they rested, their pieces kept as they are — and placed
when they are among the nearest again (:func:`sync_book` runs after every fill and
price alert).

A piece the pre-trade checks refuse leaves the grid: an entry is dropped, an exit's
inventory becomes loose (held without an order).
"""

from __future__ import annotations

from collections.abc import Iterable

from quantbot.core import QTY_REL_TOL, OrderState, OrderType
from quantbot.strategies.base import StrategyContext
from quantbot.strategies.grid_state import PairGrid

__all__ = ["clear_book", "drop_piece", "place_piece", "sync_book"]


def sync_book(pairs: Iterable[PairGrid], max_open_orders: int, ctx: StrategyContext) -> None:
    """Rest the orders the running grids want, at most ``max_open_orders``, nearest first."""
    running = [pair for pair in pairs if pair.stopped is None]
    wanted = sum(len(pair.pieces) for pair in running)
    if wanted <= max_open_orders:
        for pair in running:
            for number in [n for n, p in pair.pieces.items() if p.order_id is None]:
                place_piece(pair, number, ctx)
        return
    ranked = []
    for order, pair in enumerate(running):
        last = ctx.last_price(pair.symbol)
        for number, piece in pair.pieces.items():
            distance = abs(pair.lattice.price(piece.level) / last - 1.0)
            ranked.append((distance, order, number, pair))
    ranked.sort(key=lambda item: item[:3])
    for _, _, number, pair in ranked[max_open_orders:]:
        piece = pair.pieces[number]
        if piece.order_id is not None:
            ctx.cancel(piece.order_id)  # held back: the piece keeps its state
            del pair.by_order[piece.order_id]
            piece.order_id, piece.ordered = None, 0.0
    for _, _, number, pair in ranked[:max_open_orders]:
        if number in pair.pieces and pair.pieces[number].order_id is None:
            place_piece(pair, number, ctx)


def place_piece(pair: PairGrid, number: int, ctx: StrategyContext) -> None:
    """Submit a piece's limit order at its level; a refusal takes the piece out of the grid."""
    piece = pair.pieces[number]
    order = ctx.submit(
        pair.symbol,
        piece.side,
        piece.qty,
        order_type=OrderType.LIMIT,
        price=pair.lattice.price(piece.level),
        tag=f"grid:{piece.level}",
    )
    if order is None or order.state is OrderState.REJECTED:
        del pair.pieces[number]
        if piece.lot is not None:
            pair.loose.append(piece.lot)
        return
    if piece.lot is not None and order.qty < piece.lot.qty * (1.0 - QTY_REL_TOL):
        pair.loose.append(piece.lot.take(piece.lot.qty - order.qty))  # the lot's rounding
    piece.qty = piece.ordered = order.qty
    piece.order_id = order.client_order_id
    pair.by_order[order.client_order_id] = number


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
