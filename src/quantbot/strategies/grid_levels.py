"""The price levels of a grid: an indexed lattice around a centre, and its bounds.

Level ``j`` of a lattice anchored at price ``A`` with spacing ``s`` (a fraction) is

- geometric: ``A x (1 + s) ** j`` — every step is the same percentage;
- arithmetic: ``A + j x A x s`` — every step is the same price, ``A x s``.

Level 0 is the anchor, the price the grid was laid around. The grid's *centre* is a
level index: 0 after a (re)centring, higher when an infinity grid has followed a rise
(its lattice stays anchored, so levels already on the book keep their prices). A
*slot* ``j`` spans levels ``j`` and ``j + 1``: it buys at the lower and sells at the
upper one. The bounds keep the slots whose levels lie within ``lower_bound_pct`` below
and ``upper_bound_pct`` above the centre price, at most ``num_grids`` a side.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from quantbot.strategies.grid_params import GridType

__all__ = ["GridLevels"]

_BOUND_TOL = 1e-12
"""Relative slack when comparing a level with a bound, so that the last level of an
arithmetic grid whose bound is an exact multiple of the spacing is not lost to float
rounding (20 x 0.5 % against a 10 % bound)."""


@dataclass(frozen=True, slots=True)
class GridLevels:
    """A price lattice.

    Attributes:
        grid_type: arithmetic or geometric.
        anchor: the price of level 0, quote currency.
        spacing_pct: distance between adjacent levels, percent (arithmetic: of the
            anchor).
    """

    grid_type: GridType
    anchor: float
    spacing_pct: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.anchor) and self.anchor > 0):
            raise ValueError(f"grid anchor {self.anchor}: must be a positive price")
        if not (math.isfinite(self.spacing_pct) and self.spacing_pct > 0):
            raise ValueError(f"grid spacing {self.spacing_pct} %: must be positive")

    @property
    def step(self) -> float:
        """The arithmetic grid's price step, quote currency."""
        return self.anchor * self.spacing_pct / 100.0

    def price(self, level: int) -> float:
        """The price of level ``level`` (may be negative); never 0 within the bounds."""
        if self.grid_type == "geometric":
            return self.anchor * (1.0 + self.spacing_pct / 100.0) ** level
        return self.anchor + level * self.step

    def ranked(
        self, pieces: Iterable[tuple[int, int]], price: float, tag: int
    ) -> list[tuple[float, int, int]]:
        """``(distance, tag, number)`` for each ``(level, number)`` in ``pieces``.

        The distance of a level from ``price`` is ``|price(level) / price - 1|``. The
        formula of :meth:`price` is written inline and the tuples are built in the same
        pass, because the grid's book ranks the pieces near every pair's price after
        each fill; ``tag`` tells the pairs apart in the ranking.
        """
        if self.grid_type == "geometric":
            scale, ratio = self.anchor / price, 1.0 + self.spacing_pct / 100.0
            return [(abs(scale * ratio**level - 1.0), tag, number) for level, number in pieces]
        offset, step = self.anchor / price - 1.0, self.step / price
        return [(abs(offset + level * step), tag, number) for level, number in pieces]

    def level_window(self, price: float, distance: float) -> tuple[int, int] | None:
        """A range of levels holding every level less than ``distance`` from ``price``.

        Distance as in :meth:`ranked`. The range has a level of slack on each side
        for float rounding: the caller measures the levels it finds. None when the
        range is unbounded: every level of a geometric lattice below ``price`` lies
        less than 100 % away.
        """
        if self.grid_type == "geometric":
            if distance >= 1.0:
                return None
            log_ratio = math.log1p(self.spacing_pct / 100.0)
            at = math.log(price / self.anchor) / log_ratio
            low = at + math.log1p(-distance) / log_ratio
            high = at + math.log1p(distance) / log_ratio
        else:
            at, half = (price - self.anchor) / self.step, distance * price / self.step
            low, high = at - half, at + half
        return math.floor(low) - 1, math.ceil(high) + 1

    def floor_level(self, price: float) -> int:
        """The highest level whose price is at or below ``price``."""
        if self.grid_type == "geometric":
            guess = math.floor(math.log(price / self.anchor) / math.log1p(self.spacing_pct / 100.0))
        else:
            guess = math.floor((price - self.anchor) / self.step)
        # The logarithm and the division can land one off on a level's exact price.
        while self.price(guess + 1) <= price:
            guess += 1
        while self.price(guess) > price:
            guess -= 1
        return guess

    def slot_range(
        self, centre: int, num_grids: int, lower_bound_pct: float, upper_bound_pct: float | None
    ) -> tuple[int, int | None]:
        """The lowest and highest slot of a grid centred on level ``centre``.

        Slots below the centre buy at ``centre - 1`` down to ``centre - num_grids``,
        slots above it sell at ``centre + 1`` up to ``centre + num_grids``; a slot whose
        outer level lies beyond its bound is left out. ``upper_bound_pct`` None (the
        infinity grid) leaves the top open: the highest slot is then None.
        """
        centre_price = self.price(centre)
        floor = centre_price * (1.0 - lower_bound_pct / 100.0) * (1.0 - _BOUND_TOL)
        below = 0
        while below < num_grids and self.price(centre - below - 1) >= floor:
            below += 1
        if upper_bound_pct is None:
            return centre - below, None
        ceiling = centre_price * (1.0 + upper_bound_pct / 100.0) * (1.0 + _BOUND_TOL)
        above = 0
        while above < num_grids and self.price(centre + above + 1) <= ceiling:
            above += 1
        return centre - below, centre + above - 1

    def to_dict(self) -> dict[str, Any]:
        """The lattice as JSON-ready values."""
        return {
            "grid_type": self.grid_type,
            "anchor": self.anchor,
            "spacing_pct": self.spacing_pct,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GridLevels:
        """The lattice :meth:`to_dict` wrote."""
        kind = data["grid_type"]
        if kind not in ("arithmetic", "geometric"):
            raise ValueError(f"grid_type {kind!r}: must be arithmetic or geometric")
        grid_type: GridType = "geometric" if kind == "geometric" else "arithmetic"
        return cls(grid_type, float(data["anchor"]), float(data["spacing_pct"]))
