"""The grid's book: which pieces rest under ``max_open_orders``, across pairs."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import ClientOrderId, Order, Side
from quantbot.strategies.grid_book import sync_book
from quantbot.strategies.grid_levels import GridLevels
from quantbot.strategies.grid_state import Lot, PairGrid, Piece

from factories import make_order


@dataclass
class BookContext:
    """The part of a strategy context the book uses: prices, submit and cancel."""

    lasts: dict[str, float]
    now_ms: int = 0
    submitted: list[Order] = field(default_factory=list)
    canceled: list[ClientOrderId] = field(default_factory=list)

    def last_price(self, symbol: str) -> float:
        return self.lasts[symbol]

    def submit(
        self, symbol: str, side: Side, qty: float, *, price: float | None = None, **_: object
    ) -> Order:
        order = make_order(
            client_order_id=ClientOrderId(f"o{len(self.submitted)}"),
            symbol=symbol,
            side=side,
            qty=qty,
            price=price,
        )
        self.submitted.append(order)
        return order

    def cancel(self, client_order_id: ClientOrderId) -> None:
        self.canceled.append(client_order_id)


def _rest(pair: PairGrid, slot: int, side: Side = Side.BUY) -> int:
    number = pair.add(Piece(slot, side, 1.0))
    order_id = ClientOrderId(f"{pair.symbol}-{number}")
    pair.pieces[number].order_id = order_id
    pair.by_order[order_id] = number
    return number


def _resting(pair: PairGrid) -> set[int]:
    return {number for number, piece in pair.pieces.items() if piece.order_id is not None}


def _a_rests_b_waits() -> tuple[PairGrid, PairGrid, int, int]:
    """Two 1 % grids: A's buy at 98.03 rests, B's buy at 99 is held back."""
    a = PairGrid("A/USDT", GridLevels("geometric", 100.0, 1.0))
    b = PairGrid("B/USDT", GridLevels("geometric", 100.0, 1.0))
    return a, b, _rest(a, -2), b.add(Piece(-1, Side.BUY, 1.0))


def test_a_resting_order_makes_way_only_for_a_piece_a_whole_level_nearer() -> None:
    a, b, a_number, b_number = _a_rests_b_waits()
    ctx = BookContext({"A/USDT": 100.0, "B/USDT": 100.5})  # 1.97 % and 1.49 % away

    sync_book([a, b], 1, ctx, retry_ms=0, margin_levels=1.0)

    assert (ctx.canceled, ctx.submitted) == ([], [])  # nearer, by less than a level
    ctx.lasts["B/USDT"] = 99.9  # B's buy 0.90 % away: 1.07 % nearer than A's

    sync_book([a, b], 1, ctx, retry_ms=0, margin_levels=1.0)

    assert ctx.canceled == [ClientOrderId(f"A/USDT-{a_number}")]
    assert [(o.symbol, o.price) for o in ctx.submitted] == [("B/USDT", b.lattice.price(-1))]
    assert (_resting(a), _resting(b)) == (set(), {b_number})


def test_without_a_margin_the_nearest_always_rest() -> None:
    a, b, _, b_number = _a_rests_b_waits()
    ctx = BookContext({"A/USDT": 100.0, "B/USDT": 100.5})  # B's buy 0.48 % nearer

    sync_book([a, b], 1, ctx, retry_ms=0, margin_levels=0.0)

    assert (_resting(a), _resting(b)) == (set(), {b_number})


def test_a_free_place_goes_to_the_nearest_held_back_piece_whatever_its_pair() -> None:
    a = PairGrid("A/USDT", GridLevels("geometric", 100.0, 1.0))
    b = PairGrid("B/USDT", GridLevels("arithmetic", 100.0, 1.0))
    _rest(a, -1)
    far = a.add(Piece(-4, Side.BUY, 1.0))
    near = b.add(Piece(-2, Side.BUY, 1.0))  # 98 against 99.5: 1.5 %
    ctx = BookContext({"A/USDT": 100.0, "B/USDT": 99.5})

    sync_book([a, b], 2, ctx, retry_ms=0, margin_levels=1.0)

    assert ctx.canceled == []
    assert (far not in _resting(a), _resting(b)) == (True, {near})


@st.composite
def books(draw: st.DrawFn) -> tuple[list[PairGrid], dict[str, float], int]:
    pairs, lasts = [], {}
    for index in range(draw(st.integers(1, 4))):
        symbol = f"P{index}/USDT"
        spacing = draw(st.floats(0.2, 3.0))
        pair = PairGrid(
            symbol, GridLevels(draw(st.sampled_from(["arithmetic", "geometric"])), 100.0, spacing)
        )
        for slot, side, rests, exit_ in draw(
            st.lists(
                st.tuples(
                    st.integers(-30, 30), st.sampled_from(list(Side)), st.booleans(), st.booleans()
                ),
                max_size=25,
            )
        ):
            number = _rest(pair, slot, side) if rests else pair.add(Piece(slot, side, 1.0))
            if exit_:
                pair.pieces[number].lot = Lot(1, 1.0, 100.0, 0.0)
        if draw(st.booleans()):
            pair.paused_ms = 0
        pairs.append(pair)
        lasts[symbol] = 100.0 * draw(st.floats(0.8, 1.25))
    return pairs, lasts, draw(st.integers(1, 20))


def _expected(
    pairs: list[PairGrid], lasts: dict[str, float], cap: int, margin_levels: float
) -> set[tuple[int, int]]:
    """The documented rule, over every piece at once: the resting pieces stay (the
    farthest held back beyond the cap), free places go to the nearest held-back pieces,
    then a held-back piece takes the farthest resting one's place while it is a margin
    nearer."""
    ranked = []
    for index, pair in enumerate(pairs):
        for number, piece in pair.placeable_pieces():
            [(distance, _, _)] = pair.lattice.ranked([(piece.level, number)], lasts[pair.symbol], 0)
            ranked.append((distance, index, number, piece.order_id is not None))
    if len(ranked) <= cap:
        return {(index, number) for _, index, number, _ in ranked}
    ranked.sort()
    resting = [entry for entry in ranked if entry[3]]
    waiting = [entry for entry in ranked if not entry[3]]
    kept = resting[:cap]
    placed = waiting[: cap - len(kept)]
    for entry in waiting[len(placed) :]:
        margin = pairs[entry[1]].lattice.spacing_pct / 100.0 * margin_levels
        if not kept or entry[0] + margin >= kept[-1][0]:
            break
        kept.pop()
        placed.append(entry)
    return {(index, number) for _, index, number, _ in kept + placed}


@given(books(), st.sampled_from([0.0, 0.5, 1.0, 2.0]))
def test_the_book_rests_what_ranking_every_piece_would_choose(
    book: tuple[list[PairGrid], dict[str, float], int], margin_levels: float
) -> None:
    pairs, lasts, cap = book
    expected = _expected(pairs, lasts, cap, margin_levels)

    sync_book(pairs, cap, BookContext(lasts), retry_ms=0, margin_levels=margin_levels)

    resting = {(index, number) for index, pair in enumerate(pairs) for number in _resting(pair)}
    assert resting == expected
    assert len(resting) <= cap
    for pair in pairs:
        assert pair.by_order == {pair.pieces[n].order_id: n for n in _resting(pair)}
