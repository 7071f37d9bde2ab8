"""Grid levels: the lattice's prices, the level below a price, and the slots within the bounds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.strategies.grid_levels import GridLevels

grid_types = st.sampled_from(["arithmetic", "geometric"])
spacings = st.floats(0.1, 5.0)


def test_geometric_levels_are_a_fixed_percentage_apart() -> None:
    levels = GridLevels("geometric", 200.0, 2.0)

    assert [levels.price(k) for k in (-2, -1, 0, 1, 2)] == pytest.approx(
        [200 / 1.02**2, 200 / 1.02, 200.0, 204.0, 208.08], rel=1e-12
    )


def test_arithmetic_levels_are_a_fixed_price_step_apart() -> None:
    levels = GridLevels("arithmetic", 200.0, 2.0)

    assert levels.step == pytest.approx(4.0)
    assert [levels.price(k) for k in (-2, -1, 0, 1, 2)] == pytest.approx(
        [192.0, 196.0, 200.0, 204.0, 208.0], rel=1e-12
    )


@given(grid_types, spacings, st.floats(0.93, 1.07))
def test_the_floor_level_is_the_highest_level_at_or_below_the_price(
    grid_type: str, spacing: float, ratio: float
) -> None:
    levels = GridLevels(grid_type, 100.0, spacing)  # type: ignore[arg-type]
    price = 100.0 * ratio

    k = levels.floor_level(price)

    assert levels.price(k) <= price < levels.price(k + 1)


def test_a_level_price_is_its_own_floor() -> None:
    levels = GridLevels("geometric", 100.0, 0.5)

    assert [levels.floor_level(levels.price(k)) for k in range(-30, 31)] == list(range(-30, 31))


@given(
    grid_types,
    spacings,
    st.integers(2, 40),
    st.floats(1.0, 30.0),
    st.floats(1.0, 30.0),
    st.integers(-5, 5),
)
def test_the_slots_fill_the_bounds_with_at_most_num_grids_a_side(
    grid_type: str, spacing: float, num_grids: int, lower: float, upper: float, centre: int
) -> None:
    levels = GridLevels(grid_type, 100.0, spacing)  # type: ignore[arg-type]
    middle = levels.price(centre)
    floor, ceiling = middle * (1 - lower / 100), middle * (1 + upper / 100)

    lowest, highest = levels.slot_range(centre, num_grids, lower, upper)

    assert highest is not None
    below, above = centre - lowest, highest - centre + 1
    assert 0 <= below <= num_grids
    assert 0 <= above <= num_grids
    assert levels.price(lowest) >= floor * (1 - 1e-9)
    assert levels.price(highest + 1) <= ceiling * (1 + 1e-9)
    # Maximal: one more level on either side breaks its count or its bound.
    assert below == num_grids or levels.price(lowest - 1) < floor * (1 + 1e-9)
    assert above == num_grids or levels.price(highest + 2) > ceiling * (1 - 1e-9)


def test_an_arithmetic_bound_that_is_a_multiple_of_the_spacing_keeps_its_last_level() -> None:
    levels = GridLevels("arithmetic", 60_000.0, 0.5)

    assert levels.slot_range(0, 20, 10.0, 10.0) == (-20, 19)


def test_an_open_top_has_no_highest_slot() -> None:
    levels = GridLevels("geometric", 100.0, 1.0)

    assert levels.slot_range(0, 3, 5.0, None) == (-3, None)


def test_the_lattice_round_trips_through_a_dict() -> None:
    levels = GridLevels("arithmetic", 123.45, 0.7)

    assert GridLevels.from_dict(levels.to_dict()) == levels


@pytest.mark.parametrize(("anchor", "spacing"), [(0.0, 1.0), (-5.0, 1.0), (100.0, 0.0)])
def test_a_lattice_needs_a_positive_anchor_and_spacing(anchor: float, spacing: float) -> None:
    with pytest.raises(ValueError, match=r"must be (a )?positive"):
        GridLevels("geometric", anchor, spacing)


@given(grid_types, spacings, st.integers(-40, 40), st.floats(0.8, 1.25))
def test_a_level_ranks_at_its_relative_distance_from_the_price(
    grid_type: str, spacing: float, level: int, ratio: float
) -> None:
    levels = GridLevels(grid_type, 100.0, spacing)  # type: ignore[arg-type]
    price = 100.0 * ratio
    if levels.price(level) <= 0:
        return  # an arithmetic level beyond zero is never laid

    [(distance, tag, number)] = levels.ranked([(level, 7)], price, 3)

    assert (tag, number) == (3, 7)
    assert distance == pytest.approx(abs(levels.price(level) / price - 1.0), rel=1e-9, abs=1e-12)


@given(grid_types, spacings, st.floats(0.8, 1.25), st.floats(0.0, 0.99))
def test_the_level_window_holds_every_level_nearer_than_the_distance(
    grid_type: str, spacing: float, ratio: float, distance: float
) -> None:
    levels = GridLevels(grid_type, 100.0, spacing)  # type: ignore[arg-type]
    price = 100.0 * ratio

    window = levels.level_window(price, distance)

    assert window is not None
    low, high = window
    ranked = levels.ranked([(k, k) for k in range(low - 200, high + 201)], price, 0)
    assert all(low <= level <= high for d, _, level in ranked if d < distance)
    # and no wider than a level of slack each side: the levels within those are near
    edges = [d for d, _, level in ranked if level in (low + 2, high - 2)]
    assert low + 2 > high - 2 or max(edges) <= distance * (1 + 1e-9)


def test_no_window_bounds_a_geometric_lattice_a_whole_price_below() -> None:
    assert GridLevels("geometric", 100.0, 1.0).level_window(100.0, 1.0) is None
    assert GridLevels("arithmetic", 100.0, 1.0).level_window(100.0, 1.0) == (-101, 101)
