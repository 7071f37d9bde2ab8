"""Grid state: lots split pro rata, inventory averages, and every field survives JSON."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.core import ClientOrderId, Side
from quantbot.strategies.grid_levels import GridLevels
from quantbot.strategies.grid_state import Lot, PairGrid, Piece, RoundTrip

quantities = st.floats(1e-6, 100.0)
prices = st.floats(1.0, 1e5)
lots = st.builds(
    Lot,
    direction=st.sampled_from([1, -1]),
    qty=quantities,
    value=st.floats(1e-3, 1e7),
    fee=st.floats(0.0, 10.0),
    trade_ids=st.lists(st.text("abc-123", min_size=1, max_size=8), max_size=3),
    carried=st.integers(0, 5),
)
pieces = st.builds(
    Piece,
    slot=st.integers(-50, 50),
    side=st.sampled_from(list(Side)),
    qty=quantities,
    lot=st.none() | lots,
    order_id=st.none() | st.text("abcdef-0123456789", min_size=1, max_size=20).map(ClientOrderId),
    ordered=quantities,
)


@given(lots, st.just(0.0) | st.floats(1e-6, 1.0))
def test_taking_from_a_lot_splits_quantity_value_and_fee_pro_rata(lot: Lot, share: float) -> None:
    qty, value, fee, price = lot.qty, lot.value, lot.fee, lot.price

    taken = lot.take(qty * share)

    assert taken.qty + lot.qty == pytest.approx(qty, rel=1e-12)
    assert taken.value + lot.value == pytest.approx(value, rel=1e-9)
    assert taken.fee + lot.fee == pytest.approx(fee, rel=1e-9, abs=1e-12)
    if taken.qty > 0:
        assert taken.price == pytest.approx(price, rel=1e-9)
    assert (taken.direction, taken.carried) == (lot.direction, lot.carried)


def test_taking_all_of_a_lot_empties_it() -> None:
    lot = Lot(1, 2.0, 200.0, 0.3, ["t1"])

    taken = lot.take(2.0 + 1e-18)

    assert (taken.qty, taken.value, taken.fee, taken.trade_ids) == (2.0, 200.0, 0.3, ["t1"])
    assert (lot.qty, lot.value, lot.fee) == (0.0, 0.0, 0.0)


def test_the_inventory_is_the_signed_sum_of_lots_at_their_average_price() -> None:
    pair = PairGrid("BTC/USDT")
    pair.add(Piece(-1, Side.SELL, 1.0, Lot(1, 1.0, 99.0, 0.0)))
    pair.add(Piece(-2, Side.SELL, 2.0, Lot(1, 2.0, 196.0, 0.0)))
    pair.loose.append(Lot(1, 1.0, 101.0, 0.0))

    assert pair.inventory() == pytest.approx((4.0, 396.0 / 4.0))
    assert PairGrid("BTC/USDT").inventory() == (0.0, 0.0)


def test_a_round_trips_pnl_is_sell_value_less_buy_value_less_fees() -> None:
    trip = RoundTrip("BTC/USDT", "grid", 1, -1, 1.0, 99.0, 100.0, 0.15, ("a",), "b", 0)

    assert trip.pnl == pytest.approx(100.0 - 99.0 - 0.15)


@given(
    st.lists(pieces, max_size=6),
    st.lists(lots, max_size=3),
    st.none()
    | st.builds(
        GridLevels, st.sampled_from(["arithmetic", "geometric"]), prices, st.floats(0.1, 5)
    ),
    st.integers(-10, 10),
    st.none() | st.integers(0, 40),
    st.floats(-1e4, 1e4),
    st.none() | st.sampled_from(["stop_loss", "take_profit"]),
)
def test_a_pairs_grid_survives_a_trip_through_json(
    items: list[Piece],
    loose: list[Lot],
    levels: GridLevels | None,
    centre: int,
    highest: int | None,
    cash: float,
    stopped: str | None,
) -> None:
    pair = PairGrid("BTC/USDT", levels=levels, centre=centre, highest_slot=highest, cash=cash)
    for piece in items:
        number = pair.add(piece)
        if piece.order_id is not None:
            pair.by_order[piece.order_id] = number
    pair.loose = loose
    pair.stopped, pair.rebalances, pair.round_trips = stopped, 2, 7
    pair.last_rebalance = {"number": 2, "carried_trade_ids": ["x"]}

    text = json.dumps(pair.to_dict(), allow_nan=False)
    restored = PairGrid.from_dict("BTC/USDT", json.loads(text))

    assert restored == pair


@given(st.lists(st.tuples(st.booleans(), pieces), min_size=1, max_size=30))
def test_pieces_by_level_follows_every_addition_and_removal(
    steps: list[tuple[bool, Piece]],
) -> None:
    pair = PairGrid("BTC/USDT")
    for remove, piece in steps:
        pair.pieces_by_level()  # kept from the last call, unless the pieces changed since
        if remove and pair.pieces:
            del pair.pieces[next(iter(pair.pieces))]
        else:
            pair.add(piece)

        levels, numbers_at = pair.pieces_by_level()

        expected: dict[int, list[int]] = {}
        for number, kept in pair.pieces.items():
            expected.setdefault(kept.level, []).append(number)
        assert levels == sorted(expected)
        assert numbers_at == expected
